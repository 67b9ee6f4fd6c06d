// The real netstat on our fixture trees: in a private mount namespace the fixture's proc/ is
// bind-mounted over /proc and its etc/{hosts,networks,resolv.conf} over /etc, so netstat reads
// exactly what netsnap reads with --proc-root. Nothing outside the namespace changes. Needs root.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI } from './env';

export interface Result {
  stdout: string;
  stderr: string;
  status: number | null;
}

const ENV = { ...process.env, LANG: 'C', LC_ALL: 'C' };
const ETC_FILES = ['hosts', 'networks', 'resolv.conf'];

/** Runs `cmd` with `procOver` (or nothing, for '-') over /proc and the files of `etcDir` over /etc. */
export function inMountNs(procOver: string, etcDir: string, cmd: string[]): Result {
  const binds = ETC_FILES.filter((f) => fs.existsSync(path.join(etcDir, f)))
    .map((f) => `mount --bind '${path.join(etcDir, f)}' /etc/${f} && `)
    .join('');
  const script = `${binds}{ [ "$1" = - ] || mount --bind "$1" /proc; } && shift && exec "$@"`;
  const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', procOver, ...cmd], { encoding: 'latin1', env: ENV, timeout: 60_000 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

/** Can this machine run the oracle (root, netstat, mount namespaces)? */
export function oracleAvailable(probeTree: string, probeFile: string): boolean {
  return process.getuid?.() === 0 && spawnSync('netstat', ['-V']).status === 0 &&
    inMountNs(probeTree, '/nonexistent', ['cat', `/proc/${probeFile}`]).status === 0;
}

/** netstat's and netsnap's outputs for the same tree; netsnap's paths and prefix put in netstat's terms. */
export function both(root: string, etcDir: string, args: string[]): { netstat: Result; netsnap: Result } {
  const netstat = inMountNs(root, etcDir, ['netstat', ...args]);
  const ours = inMountNs('-', etcDir, [process.execPath, CLI, ...args, '--proc-root', root]);
  const stderr = ours.stderr.split(root).join('/proc').replace(/^netsnap:/gm, 'netstat:');
  return { netstat, netsnap: { ...ours, stderr } };
}
