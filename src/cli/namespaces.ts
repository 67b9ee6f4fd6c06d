// --netns NAME, --pid PID, --all-netns: run a mode against another network namespace's view.
//
// A namespace with a process in it is read in-process: its socket tables are /proc/PID/net (the
// mode runs on a copy of the options with netDir = /proc/PID/net, or procRoot = /proc/PID for the
// modes that never scan owners), while owners are still found across the whole /proc. A named
// namespace with no process in it is entered instead: netsnap re-executes itself under
// `nsenter --net=/run/netns/NAME` (root only) without the namespace options.
import { spawn } from 'node:child_process';
import { withoutNamespaceOptions, type CliOptions } from './args';
import { NetsnapError } from '../model/errors';
import { shownText, utf8, type Output } from './output';
import {
  RUN_NETNS, findPidIn, namedNamespaces, namespaceLabel, namespaceOfName, namespaceOfPid, sameNamespace, scanNamespaces,
  type Namespace,
} from '../procnet/netns';

type Run = (o: CliOptions, io: Output) => Promise<number>;

/**
 * The options of one run whose socket tables are those of process `pid`'s namespace. With `ns` (the
 * namespace's id and how to name it), repeated runs (-c, --watch) check between cycles that the
 * process is still in it, move to another process of the namespace when it is not, and stop with
 * ERR_NAMESPACE_GONE when none is left: never a table of a vanished /proc/PID/net.
 */
export function optionsForPid(o: CliOptions, pid: number, ns: Namespace | null = null): CliOptions {
  const copy: CliOptions = { ...o, netns: null, pid: null, allNetns: false, families: [...o.families], namespaceCheck: null };
  const point = (p: number) => {
    // -s, -r and -i read only PROCROOT/net/… and never scan owners: point the whole root there.
    if (o.statistics || o.route || o.interfaces) copy.procRoot = `${o.procRoot}/${p}`;
    else copy.netDir = `${o.procRoot}/${p}/net`;
  };
  point(pid);
  if (ns !== null) {
    let current = pid;
    copy.namespaceCheck = () => {
      try {
        if (sameNamespace(namespaceOfPid(current, o.procRoot), ns)) return null;
      } catch {
        // gone (ENOENT) or no longer readable: look for another process
      }
      const other = findPidIn(ns, o.procRoot);
      const what = ns.name !== null ? `network namespace '${ns.name}'` : `the network namespace of pid ${o.pid ?? pid}`;
      if (other === null) throw new NetsnapError('ERR_NAMESPACE_GONE', `${what}: process ${current} left it, and no other process is in it to read it through`);
      current = other;
      point(other);
      return other;
    };
  }
  return copy;
}

function errnoOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/** Re-executes netsnap inside /run/netns/NAME; stdout is captured when `capture` is given. */
function runInNamedNamespace(name: string, io: Output, capture: ((text: string) => void) | null): Promise<number> {
  const args = ['--net=' + `${RUN_NETNS}/${name}`, '--', process.execPath, require.main?.filename ?? `${__dirname}/main.js`,
    ...withoutNamespaceOptions(process.argv.slice(2))];
  return new Promise((resolve) => {
    const child = spawn('nsenter', args, { stdio: ['inherit', capture ? 'pipe' : 'inherit', 'pipe'] });
    child.stdout?.setEncoding('latin1');
    child.stdout?.on('data', (d: string) => capture?.(d));
    child.stderr?.setEncoding('latin1');
    child.stderr?.on('data', (d: string) => io.err(d));
    child.on('error', (err) => {
      io.err(`netsnap: cannot run nsenter: ${errnoOf(err)}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** The namespace --netns/--pid names, or an error text. */
function target(o: CliOptions): { ns: Namespace } | { error: string } {
  if (o.pid !== null) {
    try {
      const id = namespaceOfPid(o.pid, o.procRoot);
      const name = namedNamespaces().find((n) => sameNamespace(n, id))?.name ?? null;
      return { ns: { ...id, pid: o.pid, name } };
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' || code === 'ESRCH') return { error: `netsnap: no process with pid ${o.pid}` };
      return { error: `netsnap: cannot read the network namespace of pid ${o.pid}: ${code}` };
    }
  }
  const name = o.netns!;
  let id;
  try {
    id = namespaceOfName(name);
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT') return { error: `netsnap: no network namespace named '${name}' (${RUN_NETNS}/${name} does not exist)` };
    return { error: `netsnap: cannot open network namespace '${name}': ${code}` };
  }
  return { ns: { ...id, pid: findPidIn(id, o.procRoot), name } };
}

/** Runs the mode in one namespace; stdout goes to `capture` when given. */
async function runIn(ns: Namespace, o: CliOptions, io: Output, run: Run, capture: ((text: string) => void) | null): Promise<number> {
  if (ns.pid !== null) {
    const sink: Output = capture ? { out: capture, err: (t) => io.err(t) } : io;
    return run(optionsForPid(o, ns.pid, o.continuous || o.watch ? ns : null), sink);
  }
  if (ns.name === null) return 1;
  if (o.procRoot !== '/proc') {
    io.err(`netsnap: network namespace '${ns.name}' has no process; it can only be entered with the live /proc\n`);
    return 1;
  }
  if (process.geteuid?.() !== 0) {
    io.err(`netsnap: network namespace '${ns.name}' has no process to read it through; entering it (nsenter) needs root\n`);
    return 1;
  }
  return runInNamedNamespace(ns.name, io, capture);
}

/** Runs `run` in the network namespace(s) --netns/--pid/--all-netns ask for. */
export async function runNamespaced(o: CliOptions, io: Output, run: Run): Promise<number> {
  const chosen = [o.netns !== null, o.pid !== null, o.allNetns].filter(Boolean).length;
  if (chosen > 1) {
    io.err('netsnap: --netns, --pid and --all-netns exclude each other\n');
    return 3;
  }
  if (o.interfaces) {
    // MTU and flags come from sysfs, which shows the namespace it was mounted in, not the one read.
    io.err('netsnap: -i does not combine with --netns/--pid/--all-netns (sysfs shows the mounting namespace); use `ip netns exec NAME netsnap -i`\n');
    return 1;
  }
  if (!o.allNetns) {
    const t = target(o);
    if ('error' in t) {
      io.err(`${t.error}\n`);
      return 1;
    }
    return runIn(t.ns, o, io, run, null);
  }

  if (o.continuous || o.watch) {
    io.err('netsnap: --all-netns does not combine with -c or --watch (use --netns or --pid)\n');
    return 3;
  }
  const scan = scanNamespaces(o.procRoot);
  const namespaces = [...scan.namespaces];
  // Named namespaces without a process are listed too, where they can be entered (root).
  if (o.procRoot === '/proc' && process.geteuid?.() === 0) {
    for (const n of namedNamespaces()) {
      if (!namespaces.some((ns) => sameNamespace(ns, n))) namespaces.push({ ...n, pid: null });
    }
  }
  if (scan.pidsDenied > 0) {
    io.err(`netsnap: ${scan.pidsDenied} process(es) could not be assigned a network namespace (permission denied); their namespaces may be missing\n`);
  }

  let status = 0;
  if (o.format === 'text') {
    // A namespace's name is a file name under /run/netns: escaped on a terminal, as UTF-8 bytes.
    const shown = shownText(io);
    for (const [i, ns] of namespaces.entries()) {
      io.out(`${i ? '\n' : ''}${utf8(namespaceLabel({ ...ns, name: ns.name === null ? null : shown(ns.name) }))}`);
      const rc = await runIn(ns, o, io, run, null);
      status ||= rc;
    }
    return status;
  }
  const docs: Array<{ id: number; pid: number | null; name: string | null; status: number; result: unknown }> = [];
  for (const ns of namespaces) {
    let text = '';
    const rc = await runIn(ns, o, io, run, (t) => {
      text += t;
    });
    status ||= rc;
    const netns = { id: ns.ino, pid: ns.pid, name: ns.name };
    if (o.format === 'ndjson') {
      for (const line of text.split('\n')) {
        if (line === '') continue;
        let obj: unknown;
        try {
          obj = JSON.parse(line);
        } catch {
          obj = undefined;
        }
        if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) io.out(`${JSON.stringify({ netns, ...obj })}\n`);
        else io.out(`${JSON.stringify({ netns, line })}\n`);
      }
    } else {
      let result: unknown = null;
      try {
        result = text.trim() === '' ? null : JSON.parse(text);
      } catch {
        result = text;
      }
      docs.push({ ...netns, status: rc, result });
    }
  }
  if (o.format === 'json') io.out(`${JSON.stringify({ schema: 'netsnap/v1', kind: 'namespaces', namespaces: docs })}\n`);
  return status;
}
