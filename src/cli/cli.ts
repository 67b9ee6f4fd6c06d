// netsnap's command line: parse, call the library, print. Nothing else lives here. The command
// (src/cli/main.ts) loads it as one bundle when there is one, else as these modules.
import * as fs from 'node:fs';
import { parseArgs, USAGE } from './args';
import { isTerminal, SILENT, utf8, type Output } from './output';
import type { CliOptions } from './args';
import { CLI_EXIT_STATUS, NetsnapError } from '../model/errors';
import { terminalSafeBinary } from '../bytes/escape';

// Start-up is most of a small listing's time: each mode's modules are loaded only when that
// mode runs (a plain `netsnap -tan` never loads the names, routes, JSON or sampler code).
/* eslint-disable @typescript-eslint/no-require-imports */
const lazy = {
  listing: () => require('./listing') as typeof import('./listing'),
  routes: () => require('./routes') as typeof import('./routes'),
  dns: () => require('../names/dns') as typeof import('../names/dns'),
  interfaces: () => require('./interfaces') as typeof import('./interfaces'),
  statistics: () => require('./statistics') as typeof import('./statistics'),
  continuous: () => require('./continuous') as typeof import('./continuous'),
  json: () => require('./json') as typeof import('./json'),
  summary: () => require('./summary') as typeof import('./summary'),
  baseline: () => require('./baseline') as typeof import('./baseline'),
  watch: () => require('./watch') as typeof import('./watch'),
  namespaces: () => require('./namespaces') as typeof import('./namespaces'),
  backend: () => require('../backends/select') as typeof import('../backends/select'),
  serve: () => require('./serve') as typeof import('./serve'),
  record: () => require('./record') as typeof import('./record'),
  report: () => require('./report') as typeof import('./report'),
  events: () => require('./events') as typeof import('./events'),
  top: () => require('./top') as typeof import('./top'),
  completion: () => require('./completion') as typeof import('./completion'),
};

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string };
  // Line 2 says which addon loaded and why, or why none did (e.g. `backend: js (no prebuild for
  // linux-riscv64, not built)`).
  return `netsnap ${pkg.version}\nbackend: ${lazy.backend().backendDescription()}\nnode ${process.version}, ${process.platform}-${process.arch}\n`;
}

// Output strings are binary (latin1) strings: one char per byte from /proc.
function writeAll(fd: number, text: string): void {
  writeBytes(fd, Buffer.from(text, 'latin1'));
}

function writeBytes(fd: number, buf: Uint8Array): void {
  let off = 0;
  while (off < buf.length) {
    try {
      off += fs.writeSync(fd, buf, off, buf.length - off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') continue;
      if (code === 'EPIPE') process.exit(0); // reader went away (`netsnap | head`)
      throw err;
    }
  }
}

/**
 * stdout and stderr. On a terminal (unless --literal) the modes escape the fields others control
 * (escapeOut), and every message to stderr is escaped whole: its newlines and tabs are netsnap's
 * own, any other control character in it came from a path, a name or an argument it quotes.
 */
function cliOutput(literal: boolean): Output {
  const escapeErr = !literal && isTerminal(2);
  return {
    out: (t) => writeAll(1, t),
    err: (t) => writeAll(2, escapeErr ? terminalSafeBinary(t, { keepLines: true }) : t),
    outBytes: (b) => writeBytes(1, b),
    escapeOut: !literal && isTerminal(1),
    literal: () => cliOutput(true),
  };
}

// Until the options are parsed (an error in them), escaped on a terminal.
let io: Output = cliOutput(false);

/** One run of whatever mode the options select, in the current (or --proc-root's) namespace. */
export async function runMode(o: CliOptions, io: Output): Promise<number> {
  // Every mode reads Linux /proc (-r, -i and -s too, without a backend): elsewhere one clear error.
  lazy.backend().checkPlatform();
  if (o.filter !== null) {
    // A filter chooses sockets: of the listing, -c, --json/--ndjson, --summary, --watch and baselines.
    // -s, -r, -i and -g show no sockets to choose from.
    const mode = o.statistics ? '-s' : o.route ? '-r' : o.interfaces ? '-i' : o.groups ? '-g' : null;
    if (mode !== null) throw new NetsnapError('ERR_USAGE', `a filter ('${o.filter}') does not apply to ${mode}: it shows no sockets`);
  }
  // netstat's order of precedence: statistics (which ignores -c), routes, interfaces, then the
  // socket listing; netsnap's own socket modes come before netstat's listing.
  if (o.statistics) return lazy.statistics().runStatistics(o, io);
  const routeCycle = (first: boolean) => {
    const { routeNames, runRoutes } = lazy.routes();
    const names = routeNames(o);
    return lazy.dns().withResolvedHosts(names, o.resolveTimeout, (dry) => runRoutes(o, dry ? SILENT : io, first, names));
  };
  if (!o.route && !o.interfaces) {
    if (o.saveBaseline !== null || o.compare !== null) return lazy.baseline().runBaseline(o, io);
    if (o.watch) return lazy.watch().runWatch(o, io);
    if (o.summary) return lazy.summary().runSummary(o, io);
  }
  const cycle = o.route
    ? routeCycle
    : o.interfaces
      ? (first: boolean) => lazy.interfaces().runInterfaces(o, io, first)
      : o.format !== 'text'
        ? () => lazy.json().runListingJson(o, io)
        : () => lazy.listing().runListing(o, io);
  return o.continuous ? lazy.continuous().runContinuous(o, cycle) : cycle(true);
}

/**
 * Set by main() when the command, once it resolves, has nothing left to do: a help or error message,
 * one listing, table or summary, all of it written with writeSync. runCli then exits at once
 * (process.exit still runs the 'exit' listeners, e.g. the code cache's) instead of waiting for Node
 * to tear its heap down, which a short listing would otherwise wait for. serve, top, --watch, -c and
 * the namespace modes end as they always did.
 */
let oneShot = false;

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'serve') return lazy.serve().runServe(argv.slice(1), io);
  if (argv[0] === 'record') return lazy.record().runRecord(argv.slice(1), io);
  if (argv[0] === 'report') return lazy.report().runReport(argv.slice(1), io);
  if (argv[0] === 'events') return lazy.events().runEvents(argv.slice(1), io);
  if (argv[0] === 'top') return lazy.top().runTop(argv.slice(1), io);
  if (argv[0] === 'completion') return lazy.completion().runCompletion(argv.slice(1), io);
  const parsed = parseArgs(argv);
  oneShot = parsed.kind !== 'run' || (!parsed.options.continuous && !parsed.options.watch
    && parsed.options.netns === null && parsed.options.pid === null && !parsed.options.allNetns);
  switch (parsed.kind) {
    case 'help':
      io.out(USAGE);
      return 0;
    case 'version':
      io.out(version());
      return 0;
    case 'error':
      io.err(utf8(`${parsed.message}\n`)); // the arguments' text, as Unicode
      if (parsed.usage) io.err(USAGE);
      return parsed.exitCode;
    case 'run':
      break;
  }
  const o = parsed.options;
  if (o.literal) io = io.literal!();
  if (o.masquerade) {
    io.err("netsnap: no support for `ip_masquerade' on this system.\n");
    return 1;
  }
  if (o.context) {
    io.err('SELinux is not enabled on this machine.\n');
    return 1;
  }
  if (o.netns !== null || o.pid !== null || o.allNetns) return lazy.namespaces().runNamespaced(o, io, runMode);
  return runMode(o, io);
}

/** Runs the command line on `argv` and sets the exit status (dist/cli/main.js calls it). */
export function runCli(argv: string[]): void {
  main(argv).then(
    (status) => {
      process.exitCode = status;
      if (oneShot) process.exit(status);
    },
    (err: unknown) => {
      if (!(err instanceof NetsnapError)) throw err;
      io.err(utf8(`netsnap: ${err.message}\n`)); // errors' messages are Unicode
      process.exitCode = CLI_EXIT_STATUS[err.code];
    },
  );
}

if (require.main === module) runCli(process.argv.slice(2));
