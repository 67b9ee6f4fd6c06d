// Debian packages a test needs (chromium for the report test, prometheus for the exporter test):
// installed with apt when missing, one install at a time across vitest's workers (flock), bounded
// in time. Returns null when the program is there, or why it could not be installed (the test then
// skips with that message).
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const LOCK = '/tmp/netsnap-test-apt.lock';

export function ensureDebianPackage(program: string, pkg: string): string | null {
  if (existsSync(program)) return null;
  if (process.getuid?.() !== 0) return `${program} is missing and installing ${pkg} needs root`;
  const install = (args: string[]) =>
    spawnSync('flock', ['-w', '600', LOCK, 'env', 'DEBIAN_FRONTEND=noninteractive', 'apt-get', ...args], {
      encoding: 'utf8', timeout: 600_000,
    });
  // A second worker waiting on the lock finds the program installed by the first.
  let r = install(['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', pkg]);
  if (existsSync(program)) return null;
  // A fresh machine may have no package lists yet.
  install(['-o', 'DPkg::Lock::Timeout=300', 'update']);
  r = install(['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', pkg]);
  if (existsSync(program)) return null;
  const why = (r.error?.message ?? `${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' / ')) || `exit status ${r.status}`;
  return `could not install Debian package ${pkg} for ${program}: ${why}`;
}
