// Helpers the benches share for the processes they start: the churn generator (bench/churn.c,
// compiled once into bench/.build/), and a child's resident memory and open fds from /proc.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/** Compiles bench/churn.c (cc -O2) into bench/.build/churn; returns its path. */
export function buildChurn() {
  const dir = path.join(root, 'bench', '.build');
  fs.mkdirSync(dir, { recursive: true });
  const out = path.join(dir, 'churn');
  const r = spawnSync('cc', ['-O2', '-Wall', '-o', out, path.join(root, 'bench', 'churn.c')], { encoding: 'utf8', timeout: 60000 });
  if (r.error || r.status !== 0) throw new Error(`cc bench/churn.c failed: ${r.stderr ?? r.error}`);
  return out;
}

/** A process's VmRSS in bytes; NaN when it is gone. */
export function vmRss(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** How many fds a process has open; NaN when it is gone. */
export function fdCount(pid) {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}
