// The throughput accounting (src/services/flow_accounting.ts, what `netsnap top`, the sampler's flows
// and the exporter's byte counters run on every tick) against the plain first version of it
// (test/helpers/flow_reference.ts), on the same ticks: tables built here the way the netlink source
// lays them out, with a simulated host whose connections move bytes, open, close (with and without a
// destroy event, some born and gone between two ticks), change owners, lose owners for a tick, sit in
// CLOSE_WAIT, listen with accept queues; destroy batches with listeners' closes and cookies announced
// twice; cookies past 2^53. Every tick's every list must be equal, value for value. Then hand-checked
// cases for what the comparison cannot see (rates, medians, the baseline).
import { describe, expect, it } from 'vitest';
import { InetTable, OwnerIndex } from '../../src/model/columns';
import { inetLayout, type RawDestroyBatch, type RawInetTable, type RawOwners } from '../../src/model/contract';
import { parseAddress } from '../../src/model/address';
import { TCP_INFO_COLUMN, TCP_INFO_F64_COLUMNS, TCP_INFO_U32_COLUMNS, type RawTcpExtensions } from '../../src/model/tcp_info';
import type { ProcessCgroup } from '../../src/model/columns';
import { compileFilter } from '../../src/filter/compile';
import { FlowAccounting, selectKth, type FlowInput, type ThroughputTick } from '../../src/services/flow_accounting';
import { RecentSet } from '../../src/services/recent';
import { referenceAccounting } from '../helpers/flow_reference';
import { rng } from '../helpers/generate';

interface Conn {
  cookie: bigint;
  family: 4 | 6;
  local: string;
  localPort: number;
  remote: string;
  remotePort: number;
  state: number;
  inode: number;
  acked: number;
  received: number;
  retrans: number;
  rtt: number;
  /** 0: no tcp_info (a request socket), else the attribute's length. */
  infoLen: number;
  rxQueue?: number;
}

function table(rows: Conn[]): InetTable {
  const n = rows.length;
  const capacity = Math.max(1, n);
  const L = inetLayout(capacity);
  const buffer = new ArrayBuffer(L.byteLength);
  const inode = new Float64Array(buffer, L.inode, capacity);
  const rxQueue = new Uint32Array(buffer, L.rxQueue, capacity);
  const localPort = new Uint16Array(buffer, L.localPort, capacity);
  const remotePort = new Uint16Array(buffer, L.remotePort, capacity);
  const localAddr = new Uint8Array(buffer, L.localAddr, capacity * 16);
  const remoteAddr = new Uint8Array(buffer, L.remoteAddr, capacity * 16);
  const family = new Uint8Array(buffer, L.family, capacity);
  const state = new Uint8Array(buffer, L.state, capacity);
  const cookie = new BigUint64Array(n);
  const ext: RawTcpExtensions = {
    infoLen: new Uint16Array(n), infoU32: new Uint32Array(TCP_INFO_U32_COLUMNS * n), infoF64: new Float64Array(TCP_INFO_F64_COLUMNS * n),
    cong: new Uint8Array(n), congNames: [], memCount: new Uint8Array(n), mem: new Uint32Array(9 * n),
  };
  const put = (name: string, i: number, v: number) => {
    const c = TCP_INFO_COLUMN.get(name)!;
    (c.wide ? ext.infoF64 : ext.infoU32)[c.column * n + i] = v;
  };
  rows.forEach((r, i) => {
    inode[i] = r.inode;
    rxQueue[i] = r.rxQueue ?? 0;
    localPort[i] = r.localPort;
    remotePort[i] = r.remotePort;
    localAddr.set(parseAddress(r.local)!.addr, i * 16);
    remoteAddr.set(parseAddress(r.remote)!.addr, i * 16);
    family[i] = r.family;
    state[i] = r.state;
    cookie[i] = r.cookie;
    ext.infoLen[i] = r.infoLen;
    put('bytesAcked', i, r.acked);
    put('bytesReceived', i, r.received);
    put('bytesRetrans', i, r.retrans);
    put('rttUs', i, r.rtt);
  });
  const raw: RawInetTable = { buffer, capacity, count: n, problems: new Uint32Array(0), cookie, ext, backlog: new Uint32Array(n), cgroupId: new BigUint64Array(n), ifindex: new Uint32Array(n) };
  return new InetTable('tcp', 'tcp', raw, 'netlink');
}

const utf8 = new TextEncoder();

/** An owner index: which pid holds which inode, and the processes' names. */
function owners(holders: Map<number, number>, names: Map<number, string>): OwnerIndex {
  const entries = [...holders].filter(([inode]) => inode !== 0).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const pids = [...new Set(entries.map((e) => e[1]))].sort((a, b) => a - b);
  let strings = new Uint8Array(0);
  const nameStart: number[] = [];
  const nameLen: number[] = [];
  for (const pid of pids) {
    const b = utf8.encode(names.get(pid) ?? '');
    nameStart.push(strings.length);
    nameLen.push(b.length);
    const s = new Uint8Array(strings.length + b.length);
    s.set(strings);
    s.set(b, strings.length);
    strings = s;
  }
  const raw: RawOwners = {
    inodes: new Float64Array(entries.map((e) => e[0])), pids: new Int32Array(entries.map((e) => e[1])), fds: new Int32Array(entries.map((_, k) => 3 + k)),
    procPids: new Int32Array(pids), procUids: new Uint32Array(pids.length), nameStart: new Uint32Array(nameStart), nameLen: new Uint32Array(nameLen),
    commStart: new Uint32Array(nameStart), commLen: new Uint32Array(nameLen), strings,
    pidsScanned: pids.length, pidsVanished: 0, pidsDenied: 0, socketFds: entries.length,
  };
  return new OwnerIndex(raw);
}

function batch(rows: Conn[], extra: Partial<RawDestroyBatch> = {}): RawDestroyBatch {
  return { table: table(rows).raw, received: rows.length, dropped: 0, overflows: 0, lost: 0, error: null, ...extra };
}

/** A tick with its lazy lists read, lists sorted by their keys (the two implementations may order groups differently). */
function plain(t: ThroughputTick): unknown {
  const by = <T>(list: T[], key: (x: T) => string) => [...list].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return {
    ...t,
    processes: by(t.processes, (p) => String(p.pid).padStart(8)),
    ports: by(t.ports, (p) => String(p.port).padStart(6)),
    peers: by(t.peers, (p) => p.address),
    networks: by(t.networks, (p) => p.network),
    containers: by(t.containers, (c) => c.id),
    connections: by(t.connections, (c) => c.cookie.padStart(20)),
  };
}

interface Host {
  ticks: Array<{ input: FlowInput; batch: RawDestroyBatch | null }>;
}

/** A simulated host over `count` ticks: every tick's sample and the destroy events since the previous one. */
function simulate(seed: number, count: number): Host {
  const r = rng(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const pids = [100, 200, 300, 400, 500];
  const names = new Map(pids.map((p) => [p, `prog${p}`]));
  const cgroups = new Map<number, ProcessCgroup>([
    [100, { cgroup: '/system.slice/docker-aaa.scope', container: { runtime: 'docker', id: 'a'.repeat(64) } }],
    [200, { cgroup: '/system.slice/docker-bbb.scope', container: { runtime: 'docker', id: 'b'.repeat(64) } }],
    [300, { cgroup: '/user.slice', container: null }],
  ]);
  const peers = ['10.0.0.1', '10.0.0.2', '10.0.1.7', '192.168.5.5', '2001:db8::1', '2001:db8:0:1::9', '::ffff:10.0.0.3', '127.0.0.1'];
  const listeners: Conn[] = [
    { cookie: 9001n, family: 4, local: '0.0.0.0', localPort: 8080, remote: '0.0.0.0', remotePort: 0, state: 10, inode: 50, acked: 0, received: 0, retrans: 0, rtt: 0, infoLen: 232, rxQueue: 3 },
    { cookie: 9002n, family: 6, local: '::', localPort: 443, remote: '::', remotePort: 0, state: 10, inode: 51, acked: 0, received: 0, retrans: 0, rtt: 0, infoLen: 232, rxQueue: 1 },
    { cookie: 9003n, family: 4, local: '127.0.0.1', localPort: 5432, remote: '0.0.0.0', remotePort: 0, state: 10, inode: 52, acked: 0, received: 0, retrans: 0, rtt: 0, infoLen: 232 },
  ];
  const holders = new Map<number, number>([[50, 100], [51, 200], [52, 300]]);
  let nextCookie = 1n;
  let nextInode = 1000;
  const alive: Conn[] = [];
  const newConn = (): Conn => {
    const family: 4 | 6 = r() < 0.3 ? 6 : 4;
    const service = pick([8080, 443, 5432, 0]);
    // Some cookies past 2^53 (kept exactly as BigInts).
    const cookie = r() < 0.1 ? (1n << 60n) + nextCookie++ : nextCookie++;
    const inode = nextInode++;
    holders.set(inode, pick(pids));
    const peer = family === 6 ? pick(peers.filter((p) => p.includes(':'))) : pick(peers.filter((p) => !p.includes(':')));
    const c: Conn = {
      cookie, family, local: family === 6 ? '2001:db8::100' : '10.9.9.9', localPort: service === 0 ? 30000 + Math.floor(r() * 1000) : service,
      remote: peer, remotePort: service === 0 ? pick([80, 443, 8080]) : 40000 + Math.floor(r() * 20000),
      state: 1, inode, acked: Math.floor(r() * 1000), received: Math.floor(r() * 1000), retrans: 0, rtt: Math.floor(r() * 5) * 100, infoLen: r() < 0.05 ? 0 : 232,
    };
    if (service === 443 && family === 4) c.local = '::ffff:10.9.9.9';
    if (c.local.startsWith('::ffff:')) c.family = 6;
    if (c.family === 6 && !c.remote.includes(':')) c.remote = `::ffff:${c.remote}`;
    return c;
  };
  for (let k = 0; k < 40; k++) alive.push(newConn());
  const out: Host = { ticks: [] };
  let pending: Conn[] = [];
  for (let tick = 0; tick < count; tick++) {
    // Bytes move; some connections change state, some lose their owner for a tick, some change owners.
    for (const c of alive) {
      if (r() < 0.8) c.acked += Math.floor(r() * 100_000);
      if (r() < 0.8) c.received += Math.floor(r() * 100_000);
      if (r() < 0.1) c.retrans += Math.floor(r() * 5_000);
      if (r() < 0.05) c.state = pick([1, 8, 4, 5]);
      if (r() < 0.2) c.rtt = Math.floor(r() * 10) * 100;
      if (r() < 0.03) holders.set(c.inode, pick(pids));
    }
    const hidden = new Set(alive.filter(() => r() < 0.05).map((c) => c.inode));
    // Births, closes (most with an event, some without), connections born and gone between two ticks.
    for (let k = Math.floor(r() * 6); k > 0; k--) alive.push(newConn());
    for (let k = alive.length - 1; k >= 0; k--) {
      if (r() < 0.08) {
        const [c] = alive.splice(k, 1);
        c!.acked += Math.floor(r() * 10_000);
        c!.received += Math.floor(r() * 10_000);
        c!.state = 7;
        if (r() < 0.9) pending.push({ ...c! });
        // A close announced twice.
        if (r() < 0.05) pending.push({ ...c! });
      }
    }
    for (let k = Math.floor(r() * 4); k > 0; k--) {
      const c = newConn();
      c.state = 7;
      c.infoLen = 232;
      pending.push(c);
    }
    if (r() < 0.2) pending.push({ ...listeners[0]!, cookie: 8000n + BigInt(tick), state: 7 });
    // A dump under churn can miss a connection that lives on: it is new again when seen next.
    const rows = [...listeners, ...alive.filter(() => r() >= 0.03).map((c) => ({ ...c }))];
    // TIME_WAIT remnants of closed ones.
    if (pending.length > 0 && r() < 0.5) rows.push({ ...pending[0]!, state: 6, infoLen: 0, inode: 0 });
    const v4 = rows.filter((c) => c.family === 4);
    const v6 = rows.filter((c) => c.family === 6);
    const h = new Map([...holders].filter(([inode]) => !hidden.has(inode)));
    const input: FlowInput = {
      takenAt: 1_000_000 + tick * 250 + (tick > 3 ? 7 : 0) + (tick === 6 ? 600 : 0),
      inet: [table(v4), table(v6)],
      owners: owners(h, names),
      processCgroups: cgroups,
    };
    // The events read after the sample: some of them belong to connections that closed right after it.
    out.ticks.push({ input, batch: tick === 0 && r() < 0.5 ? null : batch(pending, { overflows: tick === 2 ? 1 : 0, lost: tick === 2 ? 3 : 0 }) });
    pending = [];
  }
  return out;
}

describe('flow accounting (typed arrays by slot) equals the plain reference', () => {
  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`on a simulated host, seed ${seed}: every tick, every list, value for value`, () => {
      const host = simulate(seed, 40);
      const fast = new FlowAccounting({ interval: 0.25 });
      const ref = referenceAccounting(0.25);
      let counted = 0;
      for (const { input, batch: b } of host.ticks) {
        const a = fast.update(input, b);
        const e = ref.update(input, b);
        expect(plain(a)).toEqual(plain(e));
        counted += a.totals.closed;
      }
      // The simulation did exercise closes; what the accounting remembers is what the last sample held.
      expect(counted).toBeGreaterThan(20);
      const last = host.ticks.at(-1)!.input.inet.reduce((n, t) => n + [...t.state].filter((st, i) => st !== 10 && st !== 6 && t.ext!.infoLen[i]! > 0).length, 0);
      expect(fast.tracked).toBeLessThanOrEqual(last);
      expect(fast.tracked).toBeGreaterThan(last - 8);
    });
  }

  it('updateAsync() gives what update() gives, tick for tick', async () => {
    const host = simulate(21, 30);
    const a = new FlowAccounting({ interval: 0.25 });
    const ref = referenceAccounting(0.25);
    for (const { input, batch: b } of host.ticks) expect(plain(await a.updateAsync(input, b))).toEqual(plain(ref.update(input, b)));
  });

  it('with a filter on the closed connections, including an owner predicate', () => {
    for (const text of ['dport = :443 or sport = :8080', 'program = prog100 or program = prog300', 'not src 10.9.9.9']) {
      const host = simulate(11, 30);
      const f = compileFilter(text);
      const fast = new FlowAccounting({ interval: 0.25, filter: f });
      const ref = referenceAccounting(0.25, f);
      for (const { input, batch: b } of host.ticks) expect(plain(fast.update(input, b))).toEqual(plain(ref.update(input, b)));
    }
  });
});

describe('flow accounting by hand', () => {
  const conn = (cookie: bigint, acked: number, received: number, extra: Partial<Conn> = {}): Conn => ({
    cookie, family: 4, local: '127.0.0.1', localPort: 40000 + Number(cookie % 1000n), remote: '127.0.0.2', remotePort: 8080, state: 1, inode: 0,
    acked, received, retrans: 0, rtt: 100, infoLen: 232, ...extra,
  });
  const input = (takenAt: number, rows: Conn[]): FlowInput => ({ takenAt, inet: [table(rows)], owners: null, processCgroups: null });

  it('the first tick is the baseline; then bytes per tick and per second of the measured interval; the closed ones with their final counters', () => {
    const a = new FlowAccounting({ interval: 0.5 });
    const t0 = a.update(input(1000, [conn(1n, 5000, 7000), conn(2n, 100, 0)]), null);
    expect(t0.totals.txBytes).toBe(0);
    expect(t0.totals.txBps).toBeNull();
    expect(t0.totals.connections).toBe(2);
    expect(t0.totals.opened).toBe(0);
    // 500 ms later: 1 moved 1,000 / 3,000; 2 closed after moving 50 more; 3 was born and moved 400.
    const t1 = a.update(input(1500, [conn(1n, 6000, 10_000), conn(3n, 400, 0)]), batch([conn(2n, 150, 0, { state: 7 })]));
    expect(t1.intervalMs).toBe(500);
    expect(t1.totals.txBytes).toBe(1000 + 50 + 400);
    expect(t1.totals.rxBytes).toBe(3000);
    expect(t1.totals.txBps).toBe(1450 / 0.5);
    expect(t1.totals.opened).toBe(1);
    expect(t1.totals.closed).toBe(1);
    expect(t1.totals.closedPerSec).toBe(2);
    expect(t1.unattributed).toMatchObject({ txBytes: 50, closed: 1 });
    expect(t1.connections.map((c) => [c.cookie, c.txBytes, c.txBps])).toEqual([['1', 1000, 2000], ['3', 400, 800]]);
    // The same close announced again, and a listener's close: nothing more.
    const t2 = a.update(input(2000, [conn(1n, 6000, 10_000), conn(3n, 400, 0)]), batch([conn(2n, 150, 0, { state: 7 }), conn(4n, 0, 0, { remotePort: 0, state: 7 })]));
    expect(t2.totals.closed).toBe(0);
    expect(t2.totals.txBytes).toBe(0);
    // One interval of 0.5 s skipped: 1,000 ms since the previous tick.
    const t3 = a.update(input(3000, [conn(1n, 6000, 10_000)]), null);
    expect(t3.skippedSlots).toBe(1);
  });

  it('a cookie past 2^53 is its own connection, not its neighbour rounded', () => {
    const big = (1n << 60n) + 1n;
    const a = new FlowAccounting({ interval: 1 });
    a.update(input(0, [conn(big, 10, 0), conn(big + 1n, 10, 0)]), null);
    const t = a.update(input(1000, [conn(big, 30, 0), conn(big + 1n, 15, 0)]), null);
    expect(t.connections.map((c) => [c.cookie, c.txBytes])).toEqual([[String(big), 20], [String(big + 1n), 5]]);
    expect(t.totals.opened).toBe(0);
  });

  it('updateAsync() lets the event loop run during a big tick, and refuses a second one meanwhile', async () => {
    const a = new FlowAccounting({ interval: 1 });
    const rows = Array.from({ length: 40_000 }, (_, k) => conn(BigInt(k + 1), k, 0));
    const big = input(0, rows);
    let turns = 0;
    let stop = false;
    const spin = () => {
      turns++;
      if (!stop) setImmediate(spin);
    };
    setImmediate(spin);
    const pending = a.updateAsync(big, null);
    expect(() => a.update(big, null)).toThrow(/still being accounted/);
    await expect(a.updateAsync(big, null)).rejects.toThrow(/still being accounted/);
    const t = await pending;
    stop = true;
    expect(t.totals.connections).toBe(40_000);
    // 40,000 connections are five steps of 8,192 and the medians: the loop turned between them.
    expect(turns).toBeGreaterThanOrEqual(5);
    // And the accounting is usable again.
    expect(a.update(input(1000, rows), null).totals.connections).toBe(40_000);
  });

  it('RTT medians: the lower median of each group, as sorting would give', () => {
    const a = new FlowAccounting({ interval: 1 });
    const rows = [100, 400, 300, 200, 0].map((rtt, k) => conn(BigInt(k + 1), 0, 0, { rtt, remote: k < 2 ? '10.0.0.1' : '10.0.0.2' }));
    const t = a.update(input(0, rows), null);
    expect(t.totals.rttP50Us).toBe(200);
    expect(Object.fromEntries(t.peers.map((p) => [p.address, p.rttP50Us]))).toEqual({ '10.0.0.1': 100, '10.0.0.2': 200 });
  });

  it('selectKth equals sorting, on random arrays with many equal values', () => {
    const r = rng(42);
    for (let round = 0; round < 300; round++) {
      const n = 1 + Math.floor(r() * 200);
      const a = new Float64Array(n).map(() => Math.floor(r() * (round % 3 === 0 ? 4 : 1000)));
      const sorted = a.slice().sort();
      const lo = Math.floor(r() * n);
      const hi = lo + 1 + Math.floor(r() * (n - lo));
      const part = a.slice(lo, hi).sort();
      const k = lo + Math.floor(r() * (hi - lo));
      expect(selectKth(a.slice(), lo, hi, k)).toBe(part[k - lo]);
      expect(selectKth(a.slice(), 0, n, (n - 1) >> 1)).toBe(sorted[(n - 1) >> 1]);
    }
  });

  it('peers are forgotten with their connections: ids are reused, names stay right', () => {
    const a = new FlowAccounting({ interval: 1 });
    for (let k = 0; k < 50; k++) {
      const t = a.update(input(k * 1000, [conn(BigInt(k + 1), 0, 0, { remote: `10.0.${k}.1` })]), null);
      expect(t.peers.map((p) => p.address)).toEqual([`10.0.${k}.1`]);
      expect(t.networks.map((p) => p.network)).toEqual([`10.0.${k}.0/24`]);
    }
    expect(a.tracked).toBe(1);
    expect(a.interned).toEqual({ peers: 1, networks: 1 });
  });
});

describe('RecentSet', () => {
  it('keeps the last N distinct keys', () => {
    const s = new RecentSet<number>(3);
    for (const k of [1, 2, 2, 3, 4]) s.add(k);
    expect([1, 2, 3, 4].map((k) => s.has(k))).toEqual([false, true, true, true]);
    expect(s.size).toBe(3);
    s.add(5);
    expect(s.has(2)).toBe(false);
    expect(() => new RecentSet(0)).toThrow(RangeError);
  });
});
