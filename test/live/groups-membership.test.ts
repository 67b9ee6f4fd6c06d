import { spawn as spawnAsync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, backend } from '../helpers/env';
import { canUseNetns, compareInNamespace, inNamespace, NS_ENV, removeLeftovers as removeStale, run } from '../helpers/netns';

// netsnap -g against the real netstat in a network namespace this file creates and deletes. A
// small node program in the namespace joins IPv4 and IPv6 groups on its veth devices (one group
// twice, for a RefCnt of 2) and holds them while we compare. Multicast reports go between the
// namespace's own veth ends; nothing leaves it. Names come from /etc/netns/<ns>/hosts.

const canRun = canUseNetns;
const spawn = run;
/** Both backends' runs may go at once: the name carries the pid and the backend. */
const NS = `netsnap-rt-g-${process.pid}-${backend.name}`;
const ETC_NS = `/etc/netns/${NS}`;

function removeLeftovers(): void {
  removeStale(/^netsnap-rt-(?:g-)?(\d+)-/);
}

function inNs(cmd: string, args: string[]): SpawnSyncReturns<string> {
  return inNamespace(NS, cmd, args);
}

const SETUP = `
  set -e
  echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad
  echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad
  ip link set lo up
  ip link add va0 type veth peer name vb0
  ip link add vlong-name-0123 type veth peer name vc0
  for d in va0 vb0 vlong-name-0123 vc0; do ip link set "$d" up; done
  ip addr add 192.0.2.10/24 dev va0
  ip addr add 198.51.100.1/25 dev vb0
  ip addr add 198.51.100.129/25 dev vlong-name-0123
  ip -6 addr add 2001:db8:1::10/64 dev va0
`;

// Joins, prints "ready", and holds the groups until its stdin closes (or two minutes pass).
const HOLDER = `
  const dgram = require('dgram');
  const open = (type) => new Promise((ok) => { const s = dgram.createSocket({ type, reuseAddr: true }); s.bind(0, () => ok(s)); });
  (async () => {
    const [a, b, c] = await Promise.all([open('udp4'), open('udp4'), open('udp6')]);
    a.addMembership('239.1.2.3', '192.0.2.10');
    b.addMembership('239.1.2.3', '192.0.2.10');
    a.addMembership('224.0.0.251', '198.51.100.1');
    a.addMembership('239.255.0.9', '198.51.100.129');
    c.addMembership('ff05::1:3', '::%va0');
    c.addMembership('ff02::fb', '::%vlong-name-0123');
    process.stdout.write('ready\\n');
    process.stdin.resume();
    process.stdin.on('end', () => process.exit(0));
    setTimeout(() => process.exit(0), 120000).unref();
  })().catch((err) => { console.error(String(err)); process.exit(1); });
`;

let holder: ChildProcess | undefined;

function startHolder(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawnAsync('ip', ['netns', 'exec', NS, process.execPath, '-e', HOLDER], { env: NS_ENV, stdio: ['pipe', 'pipe', 'pipe'] });
    holder = child;
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`group holder not ready: ${err}`)), 30_000);
    child.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`group holder exited (${code}): ${err}`));
    });
  });
}

function compare(args: string[]): { netstat: SpawnSyncReturns<string>; netsnap: SpawnSyncReturns<string> } {
  return compareInNamespace(NS, CLI, args);
}

beforeAll(async () => {
  if (!canRun) return;
  removeLeftovers();
  fs.mkdirSync(ETC_NS, { recursive: true });
  fs.writeFileSync(`${ETC_NS}/hosts`, '127.0.0.1 localhost\n239.1.2.3 my-group.example\nff05::1:3 site-group.example\n');
  fs.writeFileSync(`${ETC_NS}/resolv.conf`, 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n');
  const add = spawn('ip', ['netns', 'add', NS]);
  if (add.status !== 0) throw new Error(`ip netns add ${NS}: ${add.stderr}`);
  const r = inNs('sh', ['-c', SETUP]);
  if (r.status !== 0) throw new Error(`setup in ${NS} failed (${r.status}): ${r.stderr}`);
  await startHolder();
});

afterAll(() => {
  if (!canRun) return;
  if (holder && holder.exitCode === null) {
    holder.removeAllListeners('exit');
    holder.stdin?.end();
    holder.kill();
  }
  spawn('ip', ['netns', 'del', NS]);
  fs.rmSync(ETC_NS, { recursive: true, force: true });
});

describe.skipIf(!canRun)(`netsnap -g against netstat in a network namespace (${backend.name})`, () => {
  it('the namespace has the groups we joined, one of them twice', () => {
    const { netstat } = compare(['-gn']);
    expect(netstat.stdout).toContain('va0             2      239.1.2.3\n');
    expect(netstat.stdout).toContain('vb0             1      224.0.0.251\n');
    expect(netstat.stdout).toContain('vlong-name-0123 1      239.255.0.9\n');
    expect(netstat.stdout).toContain('va0             1      ff05::1:3\n');
    expect(netstat.stdout).toContain('vlong-name-0123 1      ff02::fb\n');
  });

  for (const args of [['-gn'], ['-g'], ['-gN'], ['-g', '--numeric-hosts']]) {
    it(`netsnap ${args.join(' ')} is byte-for-byte netstat's`, () => {
      const { netstat, netsnap } = compare(args);
      expect(netsnap.stderr).toBe(netstat.stderr);
      expect(netsnap.stdout).toBe(netstat.stdout);
      expect(netsnap.status).toBe(netstat.status);
    });
  }
});
