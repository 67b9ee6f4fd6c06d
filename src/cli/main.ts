#!/usr/bin/env node
// netsnap's command line: parse, call the library, print. Nothing else lives here.
import * as fs from 'node:fs';
import { parseArgs, USAGE } from './args';
import { runListing } from './listing';
import { SILENT, type Output } from './output';
import { routeNames, runRoutes } from './routes';
import { withResolvedHosts } from '../names/dns';
import { runInterfaces } from './interfaces';
import { runStatistics } from './statistics';
import { runContinuous } from './continuous';
import type { CliOptions } from './args';
import { runListingJson } from './json';
import { runSummary } from './summary';
import { runBaseline } from './baseline';
import { runWatch } from './watch';
import { runNamespaced } from './namespaces';
import { backendName } from '../backend';
import { NetsnapError } from '../errors';

function version(): string {
  const pkg = JSON.parse(fs.readFileSync(`${__dirname}/../../package.json`, 'utf8')) as { version: string };
  return `netsnap ${pkg.version} (backend: ${backendName()}, node ${process.version})\n`;
}

// Output strings are binary (latin1) strings: one char per byte from /proc.
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text, 'latin1');
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

const io: Output = { out: (t) => writeAll(1, t), err: (t) => writeAll(2, t) };

/** One run of whatever mode the options select, in the current (or --proc-root's) namespace. */
export async function runMode(o: CliOptions, io: Output): Promise<number> {
  // netstat's order of precedence: statistics (which ignores -c), routes, interfaces, then the
  // socket listing; netsnap's own socket modes come before netstat's listing.
  if (o.statistics) return runStatistics(o, io);
  const routeCycle = (first: boolean) => {
    const names = routeNames(o);
    return withResolvedHosts(names, o.resolveTimeout, (dry) => runRoutes(o, dry ? SILENT : io, first, names));
  };
  if (!o.route && !o.interfaces) {
    if (o.saveBaseline !== null || o.compare !== null) return runBaseline(o, io);
    if (o.watch) return runWatch(o, io);
    if (o.summary) return runSummary(o, io);
  }
  const cycle = o.route
    ? routeCycle
    : o.interfaces
      ? (first: boolean) => runInterfaces(o, io, first)
      : o.format !== 'text'
        ? () => runListingJson(o, io)
        : () => runListing(o, io);
  return o.continuous ? runContinuous(o, cycle) : cycle(true);
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  switch (parsed.kind) {
    case 'help':
      io.out(USAGE);
      return 0;
    case 'version':
      io.out(version());
      return 0;
    case 'error':
      io.err(`${parsed.message}\n`);
      if (parsed.usage) io.err(USAGE);
      return parsed.exitCode;
    case 'run':
      break;
  }
  const o = parsed.options;
  if (o.masquerade) {
    io.err("netsnap: no support for `ip_masquerade' on this system.\n");
    return 1;
  }
  if (o.context) {
    io.err('SELinux is not enabled on this machine.\n');
    return 1;
  }
  if (o.netns !== null || o.pid !== null || o.allNetns) return runNamespaced(o, io, runMode);
  return runMode(o, io);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (status) => {
      process.exitCode = status;
    },
    (err: unknown) => {
      if (!(err instanceof NetsnapError)) throw err;
      io.err(`netsnap: ${err.message}\n`);
      process.exitCode = 1;
    },
  );
}
