// measure(): the column reduction behind serve and record, checked against the same numbers
// computed row by row through the Snapshot's row API, on fixtures and on a generated big table.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/env';
import { type Snapshot } from '../../src/model/snapshot';
import { snapshot } from '../../src/backends/snapshot';
import { measure, measureAsync, type Measurement } from '../../src/analysis/measure';
import { readCounters, watchedCounters, WATCHED_COUNTERS } from '../../src/analysis/counters';

const SUMMARY = path.join(FIXTURES, 'summary', 'proc');
const STATS_NET = path.join(FIXTURES, 'stats', 'proc', 'net');

/** The numbers measure() gives, computed through row objects (inetSocket, ownersOf). */
function byRows(snap: Snapshot) {
  const states = new Map<string, number>();
  // Service ports: something listens on them.
  const ports = new Map<string, number>();
  let elsewhere = 0;
  for (const t of snap.inet) {
    for (let i = 0; i < t.count; i++) {
      const s = snap.inetSocket(t, i);
      const bound = (t.proto === 'udp' || t.proto === 'udplite') && s.stateName === 'CLOSE' && s.localPort !== 0 && /^(0\.0\.0\.0|::)$/.test(s.remoteAddress);
      if ((t.proto === 'tcp' && s.stateName === 'LISTEN') || bound) ports.set(`${t.proto}/${s.localPort}`, 0);
    }
  }
  const perPid = new Map<number, number>();
  const listeners: Array<[string, number, number]> = [];
  let rx = 0;
  const own = (inode: number) => {
    for (const pid of new Set((snap.owners?.ownersOf(inode) ?? []).map((o) => o.pid))) perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
  };
  for (const t of snap.inet) {
    for (let i = 0; i < t.count; i++) {
      const s = snap.inetSocket(t, i);
      const key = `${t.proto}/${t.ipv6File ? 'ipv6' : 'ipv4'}/${s.stateName}`;
      states.set(key, (states.get(key) ?? 0) + 1);
      const port = `${t.proto}/${s.localPort}`;
      if (ports.has(port)) ports.set(port, ports.get(port)! + 1);
      else if (t.proto !== 'raw') elsewhere++;
      if (t.proto === 'tcp' && s.stateName === 'LISTEN') listeners.push([s.localAddress, s.localPort, s.rxQueue]);
      else rx += s.rxQueue;
      own(s.inode);
    }
  }
  if (snap.unix) {
    for (let i = 0; i < snap.unix.count; i++) {
      const s = snap.unixSocket(snap.unix, i);
      states.set(`unix/unix/${s.stateName}`, (states.get(`unix/unix/${s.stateName}`) ?? 0) + 1);
      own(s.inode);
    }
  }
  return { states, ports, elsewhere, perPid, listeners, rx };
}

function check(m: Measurement, snap: Snapshot, top: number) {
  const rows = byRows(snap);
  expect(new Map(m.states.map((e) => [`${e.proto}/${e.family}/${e.state}`, e.count]))).toEqual(rows.states);
  expect(m.sockets).toBe([...rows.states.values()].reduce((a, b) => a + b, 0));
  // Top-N lists: the biggest N, and the rest summed; nothing lost.
  const portSizes = [...rows.ports.values()].sort((a, b) => b - a);
  expect(m.ports.map((p) => p.sockets)).toEqual(portSizes.slice(0, top));
  for (const p of m.ports) expect(rows.ports.get(`${p.proto}/${p.port}`)).toBe(p.sockets);
  expect(m.portsRest).toEqual({ entries: Math.max(0, portSizes.length - top), sockets: portSizes.slice(top).reduce((a, b) => a + b, rows.elsewhere) });
  if (snap.owners) {
    const pidSizes = [...rows.perPid.values()].sort((a, b) => b - a);
    expect(m.processes!.map((p) => p.sockets)).toEqual(pidSizes.slice(0, top));
    for (const p of m.processes!) {
      expect(rows.perPid.get(p.pid)).toBe(p.sockets);
      expect(p.program).toBe(snap.owners.process(p.pid)!.name);
    }
    expect(m.processesRest).toEqual({ entries: Math.max(0, pidSizes.length - top), sockets: pidSizes.slice(top).reduce((a, b) => a + b, 0) });
  } else {
    expect(m.processes).toBeNull();
  }
  const queues = rows.listeners.map((l) => l[2]).sort((a, b) => b - a);
  expect(m.listeners.map((l) => l.acceptQueue)).toEqual(queues.slice(0, top));
  expect(m.listenersRest.entries).toBe(Math.max(0, queues.length - top));
  expect(m.listenersRest.acceptQueue).toBe(queues.slice(top).reduce((a, b) => a + b, 0));
  expect(m.queues.reduce((n, q) => n + q.receive, 0)).toBe(rows.rx);
}

describe('measure on the summary fixture', () => {
  const snap = snapshot({ procRoot: SUMMARY, owners: true, source: 'proc' });
  for (const top of [0, 1, 3, 100]) {
    it(`top ${top}: matches the row-by-row numbers`, () => check(measure(snap, { top }), snap, top));
  }

  it('gives what the fixture was made with', () => {
    const m = measure(snap, { top: 3 });
    expect(m.ports).toEqual([{ proto: 'tcp', port: 8080, sockets: 14 }, { proto: 'tcp', port: 80, sockets: 5 }, { proto: 'tcp', port: 22, sockets: 3 }]);
    // 5432 (2) and udp 53 (1), and the 6 sockets on clients' ports.
    expect(m.portsRest).toEqual({ entries: 2, sockets: 9 });
    expect(measure(snap, { top: 100 }).ports.map((p) => `${p.proto}/${p.port}`).sort()).toEqual(['tcp/22', 'tcp/5432', 'tcp/80', 'tcp/8080', 'udp/53']);
    expect(m.processes).toEqual([{ pid: 20, program: 'java', sockets: 15 }, { pid: 50, program: 'nginx', sockets: 7 }, { pid: 30, program: 'curl', sockets: 3 }]);
    expect(m.listeners[0]).toEqual({ proto: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 8080, acceptQueue: 5, backlog: null });
    expect(m.skipped).toBe(0);
    expect(m.t).toBe(snap.takenAt);
  });

  it('portStates: each top TCP service port\'s sockets by state, row by row, summing to its count', () => {
    expect(measure(snap, { top: 3 }).portStates).toBeUndefined();
    for (const top of [0, 2, 100]) {
      const m = measure(snap, { top, portStates: true });
      const tcpPorts = new Set(m.ports.filter((p) => p.proto === 'tcp').map((p) => p.port));
      const want = new Map<string, number>();
      for (const t of snap.inet) {
        if (t.proto !== 'tcp') continue;
        for (let i = 0; i < t.count; i++) {
          const s = snap.inetSocket(t, i);
          if (!tcpPorts.has(s.localPort)) continue;
          const key = `${s.localPort}/${s.stateName}`;
          want.set(key, (want.get(key) ?? 0) + 1);
        }
      }
      expect(new Map(m.portStates!.map((e) => [`${e.port}/${e.state}`, e.count]))).toEqual(want);
      expect(m.portStates!.map((e) => e.port)).toEqual([...m.portStates!.map((e) => e.port)].sort((a, b) => a - b));
      for (const p of m.ports.filter((e) => e.proto === 'tcp')) {
        expect(m.portStates!.filter((e) => e.port === p.port).reduce((n, e) => n + e.count, 0)).toBe(p.sockets);
      }
    }
    // 8080 of the fixture: its listener and connections in several states.
    const top1 = measure(snap, { top: 1, portStates: true }).portStates!;
    expect(top1.every((e) => e.port === 8080)).toBe(true);
    expect(top1.find((e) => e.state === 'LISTEN')?.count).toBe(1);
  });

  it('without owners has no process list', () => {
    const bare = snapshot({ procRoot: SUMMARY, source: 'proc' });
    check(measure(bare, { top: 3 }), bare, 3);
  });

  it('rejects a bad top', () => {
    expect(() => measure(snap, { top: -1 })).toThrow(/top must be an integer >= 0/);
    expect(() => measure(snap, { top: 1.5 })).toThrow(/top must be an integer >= 0/);
  });
});

describe('measure on a generated 50,000-row table', () => {
  let root: string;
  let snap: Snapshot;
  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-measure-'));
    fs.mkdirSync(path.join(root, 'net'));
    const hex = (n: number, w: number) => n.toString(16).toUpperCase().padStart(w, '0');
    const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
    const lines = [header];
    // Ports 1024.. with skewed counts, every 11th row LISTEN with a queue of i % 7.
    for (let i = 0; i < 50_000; i++) {
      const port = 1024 + Math.floor(Math.sqrt(i * 7) % 3000);
      const st = i % 11 === 0 ? 10 : 1 + (i % 9);
      lines.push(`${i}: 0100007F:${hex(port, 4)} 0200007F:${hex(30000 + (i % 20000), 4)} ${hex(st, 2)} ${hex(i % 5, 8)}:${hex(i % 7, 8)} 00:00000000 00000000     0        0 ${1000 + i} 1 0000000000000000 20 4 30 10 -1`);
    }
    fs.writeFileSync(path.join(root, 'net', 'tcp'), `${lines.join('\n')}\n`);
    fs.writeFileSync(path.join(root, 'net', 'udp'), `${header}\n`);
    snap = snapshot({ procRoot: root, source: 'proc', protocols: ['tcp', 'udp'], families: [4] });
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  it('matches the row-by-row numbers, and measureAsync gives the same as measure', async () => {
    const m = measure(snap, { top: 25 });
    check(m, snap, 25);
    expect(await measureAsync(snap, { top: 25 })).toEqual(m);
  });

  it('measureAsync lets other work run while it reduces', async () => {
    let immediates = 0;
    const spin = () => {
      immediates++;
      if (immediates < 1e6) pending = setImmediate(spin);
    };
    let pending = setImmediate(spin);
    await measureAsync(snap, { top: 25 });
    clearImmediate(pending);
    // 50,000 rows = 7 steps (+ the owner-less pass): other callbacks ran in between.
    expect(immediates).toBeGreaterThanOrEqual(6);
  });
});

describe('watched counters', () => {
  it('reads Tcp, TcpExt, Udp and Udp6 counters from the stats fixture', async () => {
    const c = await readCounters(STATS_NET);
    expect(Object.keys(c)).toEqual(WATCHED_COUNTERS.filter((k) => k in c));
    expect(c['Tcp.ActiveOpens']).toBe(329);
    expect(c['Tcp.RetransSegs']).toBe(11);
    expect(c['Tcp.CurrEstab']).toBe(4);
    expect(c['Udp.NoPorts']).toBe(2);
    expect(c['Udp6.NoPorts']).toBe(0);
    expect(c['TcpExt.ListenOverflows']).toBeTypeOf('number');
    // The fixture's kernel predates these two: absent, not zero.
    expect(WATCHED_COUNTERS.filter((k) => !(k in c))).toEqual(['TcpExt.TCPBacklogDrop', 'TcpExt.TCPReqQFullDrop']);
    const ext = fs.readFileSync(path.join(STATS_NET, 'netstat'), 'latin1');
    expect(ext).not.toMatch(/\bTCPBacklogDrop\b|\bTCPReqQFullDrop\b/);
  });

  it('leaves out what is missing rather than inventing zeros', async () => {
    expect(await readCounters(path.join(SUMMARY, 'net'))).toEqual({});
    expect(watchedCounters('Tcp: ActiveOpens RetransSegs\nTcp: 5 7\n', null, null)).toEqual({ 'Tcp.ActiveOpens': 5, 'Tcp.RetransSegs': 7 });
    expect(watchedCounters(null, null, 'Udp6NoPorts 3\nIp6InReceives 9\n')).toEqual({ 'Udp6.NoPorts': 3 });
  });
});
