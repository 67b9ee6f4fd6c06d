// Re-runs the calling bench inside fresh network and PID namespaces (lo up, an own /proc, an own TCP
// established hash of the host's size, no TIME_WAIT buckets), so that what it measures is its own
// load only, whatever else the machine runs. Needs root and unshare(1); returns false (the caller
// then measures the machine as it is) when that is not possible, and never returns when it re-ran:
// it exits with the child's status. NETSNAP_BENCH_ISOLATED=1 marks the inner run.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

export const isolated = process.env.NETSNAP_BENCH_ISOLATED === '1';

/** `nodeArgs`: node's own options for the inner run (default: this process's, e.g. --expose-gc, --cpu-prof). */
export function reRunIsolated(script, argv, nodeArgs = process.execArgv) {
  if (isolated) return false;
  const probe = process.getuid?.() === 0
    ? spawnSync('unshare', ['--net', '--pid', '--fork', '--mount-proc', 'sh', '-c', 'ip link set lo up'], { stdio: 'ignore', timeout: 10000 })
    : { status: 1 };
  if (probe.status !== 0) return false;
  let buckets = 262144;
  try {
    const v = Math.abs(Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_ehash_entries', 'utf8').trim()));
    if (v > 0) buckets = v;
  } catch { /* keep the default */ }
  const inner = 'ip link set lo up && echo 0 > /proc/sys/net/ipv4/tcp_max_tw_buckets && "$@"; exit $?';
  const outer = `echo ${buckets} > /proc/sys/net/ipv4/tcp_child_ehash_entries || exit 1; unshare --net sh -c '${inner}' sh "$@"; exit $?`;
  const r = spawnSync('unshare', ['--net', '--pid', '--fork', '--mount-proc', '--kill-child',
    'sh', '-c', outer, 'sh', process.execPath, ...nodeArgs, script, ...argv], {
    stdio: 'inherit', env: { ...process.env, NETSNAP_BENCH_ISOLATED: '1' },
  });
  process.exit(r.status ?? 1);
}
