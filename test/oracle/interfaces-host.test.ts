import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, backend } from '../helpers/env';

// netsnap -i against the real netstat, in network namespaces this file creates and deletes, so
// the interfaces are ours and nothing outside changes. `ip netns exec` also remounts /sys for
// the namespace, which netsnap reads for flags and MTU.

const isRoot = process.getuid?.() === 0;
const ENV = { ...process.env, LANG: 'C', LC_ALL: 'C' };

function spawn(cmd: string, args: string[]): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { encoding: 'latin1', env: ENV, timeout: 30_000, maxBuffer: 64 << 20 });
}

const canRun = isRoot && spawn('ip', ['netns', 'list']).status === 0 && spawn('netstat', ['-V']).status === 0;

/** Both backends' runs of this file may go at once: the names carry the pid and the backend. */
const NS = `netsnap-if-${process.pid}-${backend.name}`;
const NS15 = `netsnap-if15-${process.pid}-${backend.name}`;

function inNs(ns: string, cmd: string, args: string[]): SpawnSyncReturns<string> {
  const r = spawn('ip', ['netns', 'exec', ns, cmd, ...args]);
  if (r.error) throw r.error;
  return r;
}

function sh(ns: string, script: string): void {
  const r = inNs(ns, 'sh', ['-c', script]);
  if (r.status !== 0) throw new Error(`setup in ${ns} failed (${r.status}): ${r.stderr}`);
}

/** A few UDP datagrams from `from`: to the subnet broadcast (out over a veth) and to 127.0.0.1. */
function traffic(ns: string, from: string, broadcast: string): void {
  const js = `
    const s = require('dgram').createSocket('udp4');
    s.bind(0, ${JSON.stringify(from)}, async () => {
      s.setBroadcast(true);
      const send = (host) => new Promise((ok) => s.send('netsnap', 9, host, ok));
      for (let i = 0; i < 3; i++) { await send(${JSON.stringify(broadcast)}); await send('127.0.0.1'); }
      s.close();
    });`;
  const r = inNs(ns, process.execPath, ['-e', js]);
  if (r.status !== 0) throw new Error(`traffic in ${ns} failed: ${r.stderr}`);
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

interface Compared {
  netstat: SpawnSyncReturns<string>;
  netsnap: SpawnSyncReturns<string>;
  procNetDev: string;
}

/**
 * netstat, netsnap, /proc/net/dev, netstat again, until both netstat runs agree. Counters only
 * grow, so equal runs before and after mean nothing moved in between (IPv6 neighbour discovery
 * or MLD may still send a packet now and then). Bounded; not a timing assertion.
 */
function compare(ns: string, args: string[]): Compared {
  for (let attempt = 0; attempt < 40; attempt++) {
    const netstat = inNs(ns, 'netstat', args);
    const netsnap = inNs(ns, process.execPath, [CLI, ...args]);
    const procNetDev = inNs(ns, 'cat', ['/proc/net/dev']).stdout;
    const again = inNs(ns, 'netstat', args);
    if (netstat.stdout === again.stdout) return { netstat, netsnap, procNetDev };
    sleep(250);
  }
  throw new Error(`the counters in ${ns} never held still`);
}

// Quiet IPv6 (no DAD, no router solicitations, MLD reports sent at once) so the counters settle.
// Missing files (IPv6 disabled) are fine.
const QUIET = `
  for f in dad_transmits router_solicitations; do echo 0 > /proc/sys/net/ipv6/conf/default/$f 2>/dev/null || true; done
  for f in mldv1_unsolicited_report_interval mldv2_unsolicited_report_interval; do
    echo 1 > /proc/sys/net/ipv6/conf/default/$f 2>/dev/null || true
  done`;

const SETUP = `
  set -e
  ${QUIET}
  ip link set lo up
  # Natural sort (veth2 < veth10, eth2 < eth10); veth2 is up without a carrier, veth10 down with IFF_DYNAMIC.
  ip link add veth2 type veth peer name veth10
  ip link set veth2 up
  ip link set veth10 dynamic on
  # A custom MTU and NOARP (the dummy driver is not available on every kernel; veth is).
  ip link add eth2 type veth peer name eth10
  ip link set eth2 mtu 9000
  ip link set eth10 mtu 9000 arp off
  ip link set eth2 up
  ip link set eth10 up
  # PROMISC and ALLMULTI asked for by hand, IPv4 with an alias label on a running device, IPv6.
  ip link add va0 type veth peer name vb0
  ip link set va0 mtu 1280 allmulticast on up
  ip link set vb0 mtu 1280 promisc on up
  ip addr add 10.77.0.1/24 brd + dev va0
  ip addr add 10.77.1.1/24 brd + dev va0 label va0:1
  ip -6 addr add fd00:77::1/64 dev va0 nodad
  # A bridge port: the bridge sets PROMISC and ALLMULTI on it, which netstat does not show.
  if ip link add br0 type bridge 2>/dev/null; then
    ip link add bp0 type veth peer name bp1
    ip link set bp0 master br0
    ip link set br0 up
    ip link set bp0 up
    ip link set bp1 up
  fi
  # A tun device (ARPHRD_NONE: the unspec hardware line), up but without a reader: no RUNNING.
  if ip tuntap add tun0 mode tun 2>/dev/null; then ip link set tun0 up; fi`;

describe.skipIf(!canRun)(`netsnap -i against netstat in a network namespace (${backend.name})`, () => {
  beforeAll(() => {
    for (const ns of [NS, NS15]) {
      spawn('ip', ['netns', 'del', ns]);
      const r = spawn('ip', ['netns', 'add', ns]);
      if (r.status !== 0) throw new Error(`ip netns add ${ns}: ${r.stderr}`);
    }
    sh(NS, SETUP);
    traffic(NS, '10.77.0.1', '10.77.0.255');
    sh(
      NS15,
      `set -e
      ${QUIET}
      ip link set lo up
      ip link add abcdefghijklmno type veth peer name p15
      ip addr add 10.78.0.1/24 brd + dev abcdefghijklmno
      ip link set abcdefghijklmno up
      ip link set p15 up`,
    );
    traffic(NS15, '10.78.0.1', '10.78.0.255');
  });

  afterAll(() => {
    for (const ns of [NS, NS15]) spawn('ip', ['netns', 'del', ns]);
  });

  for (const args of [['-i'], ['-ia'], ['-ie'], ['-iae'], ['-in']]) {
    it(`netsnap ${args.join(' ')} prints what netstat ${args.join(' ')} prints, byte for byte`, () => {
      const c = compare(NS, args);
      expect(c.netstat.status).toBe(0);
      expect(c.netsnap.stderr).toBe('');
      expect(c.netsnap.status).toBe(0);
      expect(c.netsnap.stdout).toBe(c.netstat.stdout);
    });
  }

  it('the namespace exercises what it should (so the comparisons above are not vacuous)', () => {
    const { netsnap } = compare(NS, ['-ia']);
    const rows = netsnap.stdout.split('\n').slice(2).filter((l) => l !== '');
    const byName = new Map(rows.map((l) => [l.split(' ')[0]!, l]));
    const order = [...byName.keys()];
    expect(order.indexOf('veth2')).toBeLessThan(order.indexOf('veth10'));
    expect(order.indexOf('eth2')).toBeLessThan(order.indexOf('eth10'));
    expect(order.indexOf('va0')).toBeLessThan(order.indexOf('va0:1'));
    expect(byName.get('va0:1')).toMatch(/^va0:1 +1280 +- no statistics available - +ABMRU$/);
    expect(byName.get('vb0')).toMatch(/ BMPRU$/);
    expect(byName.get('eth10')).toMatch(/^eth10 +9000 .* BMORU$/);
    expect(byName.get('veth2')).toMatch(/ BMU$/);
    expect(byName.get('veth10')).toMatch(/ BMd$/);
    expect(byName.get('lo')).toMatch(/^lo +65536 +[1-9]/);
    if (byName.has('bp0')) expect(byName.get('bp0')).toMatch(/ BMRU$/);
    const ie = compare(NS, ['-ie']).netsnap.stdout;
    expect(ie).toContain('        inet 10.77.1.1  netmask 255.255.255.0  broadcast 10.77.1.255\n');
    expect(ie).toContain('        inet6 fd00:77::1  prefixlen 64  scopeid 0x0<global>\n');
  });

  it('prints the real counters of a 15-character name, where Debian netstat prints zeros (the documented deviation)', () => {
    const c = compare(NS15, ['-i']);
    const theirs = c.netstat.stdout.split('\n');
    const ours = c.netsnap.stdout.split('\n');
    const at = theirs.findIndex((l) => l.startsWith('abcdefghijklmno '));
    expect(theirs[at]).toBe('abcdefghijklmno  1500        0      0      0 0             0      0      0      0 BMRU');
    // The counters netstat should have shown, from the /proc/net/dev read between its two runs.
    const dev = c.procNetDev.split('\n').find((l) => l.startsWith('abcdefghijklmno:'))!;
    const n = dev.slice('abcdefghijklmno:'.length).trim().split(/\s+/);
    const [rxOk, rxErr, rxDrp, rxOvr, txOk, txErr, txDrp, txOvr] = [n[1], n[2], n[3], n[4], n[9], n[10], n[11], n[12]] as string[];
    expect(Number(txOk)).toBeGreaterThan(0);
    expect(ours[at]).toBe(
      `abcdefghijklmno  1500 ${rxOk!.padStart(8)} ${rxErr!.padStart(6)} ${rxDrp!.padStart(6)} ${rxOvr!.padEnd(6)} ` +
        `${txOk!.padStart(8)} ${txErr!.padStart(6)} ${txDrp!.padStart(6)} ${txOvr!.padStart(6)} BMRU`,
    );
    // Every other line is netstat's.
    expect(ours.filter((_, i) => i !== at)).toEqual(theirs.filter((_, i) => i !== at));
  });
});
