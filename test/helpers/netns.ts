// Network namespaces for live tests: created by the test, deleted in afterAll, and leftovers of
// dead runs (their pid is in the name) removed first. Needs root and `ip netns`.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';

export const NS_ENV = { ...process.env, LANG: 'C', LC_ALL: 'C' };

export function run(cmd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'latin1', env: NS_ENV, timeout: 30_000, maxBuffer: 64 << 20 });
}

export const canUseNetns = process.getuid?.() === 0 && run('ip', ['netns', 'list']).status === 0 && run('netstat', ['-V']).status === 0;

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Deletes namespaces whose name matches `pattern` (group 1: the pid of the run that made them) when that run is gone. */
export function removeLeftovers(pattern: RegExp): void {
  for (const line of run('ip', ['netns', 'list']).stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = pattern.exec(name);
    if (!m || isAlive(Number(m[1]))) continue;
    run('ip', ['netns', 'del', name]);
    fs.rmSync(`/etc/netns/${name}`, { recursive: true, force: true });
  }
}

/** A command inside namespace `ns`. */
export function inNamespace(ns: string, cmd: string, args: string[]): SpawnSyncReturns<string> {
  const r = run('ip', ['netns', 'exec', ns, cmd, ...args]);
  if (r.error) throw r.error;
  return r;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * netstat, netsnap (`cli`), netstat again inside `ns`, until both netstat runs agree: counters and
 * tables may move between runs (bounded; not a timing assertion).
 */
export function compareInNamespace(ns: string, cli: string, args: string[]): { netstat: SpawnSyncReturns<string>; netsnap: SpawnSyncReturns<string> } {
  for (let attempt = 0; attempt < 20; attempt++) {
    const netstat = inNamespace(ns, 'netstat', args);
    const netsnap = inNamespace(ns, process.execPath, [cli, ...args]);
    const again = inNamespace(ns, 'netstat', args);
    if (netstat.stdout === again.stdout) return { netstat, netsnap };
    sleep(200);
  }
  throw new Error(`netstat ${args.join(' ')} in ${ns} never held still`);
}
