import { spawnSync } from 'node:child_process';
import { CLI } from './env';

export interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built netsnap binary (the real thing users run); bytes come back as latin1 text. */
export function netsnap(args: string[], env: Record<string, string> = {}): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'latin1',
    env: { ...process.env, LANG: 'C', ...env },
    timeout: 60_000,
    maxBuffer: 256 << 20,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
