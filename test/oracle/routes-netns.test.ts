import type { SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, backend } from '../helpers/env';
import { canUseNetns, compareInNamespace, inNamespace, removeLeftovers as removeStale, run } from '../helpers/netns';

// netsnap -r against the real netstat in a network namespace this file creates and deletes: the
// routes are ours (documentation addresses only), and nothing leaves the namespace. Names come
// from /etc/netns/<ns>/{hosts,networks}, which `ip netns exec` puts over /etc; its resolv.conf
// points at a local port nobody listens on, so DNS fails at once instead of timing out.

const canRun = canUseNetns;
const spawn = run;
/** Both backends' runs of this file may go at once: the name carries the pid and the backend. */
const NS = `netsnap-rt-${process.pid}-${backend.name}`;
const ETC_NS = `/etc/netns/${NS}`;

function removeLeftovers(): void {
  removeStale(/^netsnap-rt-(?:g-)?(\d+)-/);
}

function inNs(cmd: string, args: string[]): SpawnSyncReturns<string> {
  return inNamespace(NS, cmd, args);
}

const SETUP = `
  set -e
  # No duplicate address detection: addresses and their routes are final at once.
  echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
  echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
  ip link set lo up
  # veth, not dummy: the dummy driver is not available on every kernel.
  ip link add va0 type veth peer name vb0
  ip link add vlong-name-0123 type veth peer name vc0
  for d in va0 vb0 vlong-name-0123 vc0; do ip link set "$d" up; done
  ip addr add 192.0.2.10/24 dev va0
  ip addr add 198.51.100.1/25 dev vb0
  ip addr add 198.51.100.129/25 dev vlong-name-0123
  ip -6 addr add 2001:db8:1::10/64 dev va0
  ip route add default via 192.0.2.1
  ip route add 198.51.100.77/32 via 192.0.2.1 dev va0
  ip route add 10.9.0.0/16 via 192.0.2.1 metric 7 mtu 1400 advmss 1360 window 4096 rtt 300
  ip route add unreachable 203.0.113.0/25
  ip route add prohibit 192.0.2.128/25
  ip route add blackhole 203.0.113.128/25
  ip -6 route add default via 2001:db8:1::1
  ip -6 route add 2001:db8:2::/48 via 2001:db8:1::1 metric 5
  ip -6 route add unreachable 2001:db8:dead::/48
  ip -6 route add blackhole 2001:db8:beef::/48
`;

function compare(args: string[]): { netstat: SpawnSyncReturns<string>; netsnap: SpawnSyncReturns<string> } {
  return compareInNamespace(NS, CLI, args);
}

beforeAll(() => {
  if (!canRun) return;
  removeLeftovers();
  fs.mkdirSync(ETC_NS, { recursive: true });
  fs.writeFileSync(`${ETC_NS}/hosts`, '127.0.0.1 localhost\n192.0.2.1 gw.example\n198.51.100.77 far-away-host.example.net\n2001:db8:1::1 v6gw.example\n');
  fs.writeFileSync(`${ETC_NS}/networks`, 'tennine 10.9\ntestnet-one 192.0.2.0\n');
  fs.writeFileSync(`${ETC_NS}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const add = spawn('ip', ['netns', 'add', NS]);
  if (add.status !== 0) throw new Error(`ip netns add ${NS}: ${add.stderr}`);
  const r = inNs('sh', ['-c', SETUP]);
  if (r.status !== 0) throw new Error(`setup in ${NS} failed (${r.status}): ${r.stderr}`);
});

afterAll(() => {
  if (!canRun) return;
  spawn('ip', ['netns', 'del', NS]);
  fs.rmSync(ETC_NS, { recursive: true, force: true });
});

describe.skipIf(!canRun)(`netsnap -r against netstat in a network namespace (${backend.name})`, () => {
  it('the namespace has the routes we made: default, host, metrics, reject and blackhole', () => {
    const { netstat } = compare(['-rn']);
    expect(netstat.stdout).toContain('198.51.100.77   192.0.2.1       255.255.255.255 UGH       0 0          0 va0\n');
    expect(netstat.stdout).toContain('10.9.0.0        192.0.2.1       255.255.0.0     UG     1400 4096      37 va0\n');
    expect(netstat.stdout).toContain('203.0.113.0     -               255.255.255.128 !         - -          - -\n');
    expect(netstat.stdout).toContain('203.0.113.128   0.0.0.0         255.255.255.128 U         0 0          0 *\n');
  });

  for (const args of [['-rn'], ['-rne'], ['-rnee'], ['-r'], ['-re'], ['-ree'], ['-rN'], ['-rnC'], ['-rCee']]) {
    it(`netsnap ${args.join(' ')} is byte-for-byte netstat's`, () => {
      const { netstat, netsnap } = compare(args);
      expect(netsnap.stderr).toBe(netstat.stderr);
      expect(netsnap.stdout).toBe(netstat.stdout);
      expect(netsnap.status).toBe(netstat.status);
    });
  }

  for (const args of [['-6rn'], ['-6r'], ['-6rnC'], ['-46rn'], ['-64r'], ['-rn', '-A', 'inet6,inet']]) {
    it(`netsnap ${args.join(' ')} is byte-for-byte netstat's`, () => {
      const { netstat, netsnap } = compare(args);
      expect(netstat.stdout).toContain('Kernel IPv6 routing');
      expect(netsnap.stderr).toBe(netstat.stderr);
      expect(netsnap.stdout).toBe(netstat.stdout);
      expect(netsnap.status).toBe(netstat.status);
    });
  }
});
