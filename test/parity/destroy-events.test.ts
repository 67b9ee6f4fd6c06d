// TCP destroy events (native only: Backend.openDestroyEvents, native/destroy_events.h): the closes
// of sockets the test opens itself, with a known transfer, against what a netlink dump showed while
// they lived. Other processes on this machine close sockets too and every one of them is announced:
// rows are picked by their port pairs (and cookies). Every wait is a bounded loop of reads.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { inetLayout, type DestroySubscription, type RawDestroyBatch, type RawInetTable } from '../../src/model/contract';
import { TCP_INFO_COLUMN } from '../../src/model/tcp_info';
import { once } from '../helpers/sockets';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the destroy events suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
const backend = loaded.backend;
const open = backend.openDestroyEvents!;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isRoot = process.getuid?.() === 0;
const rmemMax = Number(fs.readFileSync('/proc/sys/net/core/rmem_max', 'utf8'));

interface Row {
  family: number;
  localAddr: string;
  remoteAddr: string;
  localPort: number;
  remotePort: number;
  state: number;
  uid: number;
  inode: number;
  cookie: bigint;
  cgroupId: bigint;
  infoLen: number;
  cong: number;
  memCount: number;
  bytesSent: number;
  bytesAcked: number;
  bytesReceived: number;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const V4 = (a: string) => Buffer.concat([Buffer.from(a.split('.').map(Number)), Buffer.alloc(12)]).toString('hex');
const LOOP4 = V4('127.0.0.1');
const ANY4 = V4('0.0.0.0');
const LOOP6 = '00000000000000000000000000000001';

function rowsOf(t: RawInetTable): Row[] {
  const n = t.count;
  const L = inetLayout(t.capacity);
  const b = t.buffer;
  const e = t.ext!;
  const col = (name: string) => {
    const c = TCP_INFO_COLUMN.get(name)!;
    return (i: number) => (c.wide ? e.infoF64[c.column * n + i]! : e.infoU32[c.column * n + i]!);
  };
  const sent = col('bytesSent');
  const acked = col('bytesAcked');
  const received = col('bytesReceived');
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    out.push({
      family: new Uint8Array(b, L.family, n)[i]!,
      localAddr: hex(new Uint8Array(b, L.localAddr + 16 * i, 16)),
      remoteAddr: hex(new Uint8Array(b, L.remoteAddr + 16 * i, 16)),
      localPort: new Uint16Array(b, L.localPort, n)[i]!,
      remotePort: new Uint16Array(b, L.remotePort, n)[i]!,
      state: new Uint8Array(b, L.state, n)[i]!,
      uid: new Uint32Array(b, L.uid, n)[i]!,
      inode: new Float64Array(b, L.inode, n)[i]!,
      cookie: t.cookie![i]!,
      cgroupId: t.cgroupId![i]!,
      infoLen: e.infoLen[i]!,
      cong: e.cong[i]!,
      memCount: e.memCount[i]!,
      bytesSent: sent(i),
      bytesAcked: acked(i),
      bytesReceived: received(i),
    });
  }
  return out;
}

/** A batch's shape: a netlink table with cookie and ext, and counters that add up. */
function checkBatch(b: RawDestroyBatch): void {
  const t = b.table;
  expect(t.cookie).toBeInstanceOf(BigUint64Array);
  expect(t.cookie!.length).toBe(t.count);
  expect(t.cgroupId!.length).toBe(t.count);
  expect(t.ifindex!.length).toBe(t.count);
  expect(t.backlog!.length).toBe(t.count);
  expect(t.ext!.infoLen.length).toBe(t.count);
  // Trimmed to its rows: the room the reader thread keeps for the next read is not handed over.
  expect(t.capacity).toBe(t.count);
  expect(t.buffer.byteLength).toBe(inetLayout(t.count).byteLength);
  expect(b.received).toBe(t.count + b.dropped);
  expect(b.error).toBeNull();
}

const pairKey = (local: number, remote: number) => `${local}>${remote}`;

/**
 * Reads until `done(rows so far, events lost so far)` or 250 reads (20 ms apart): the rows of every
 * read, and the sums of the counters.
 */
async function readUntil(sub: DestroySubscription, done: (rows: Row[], lost: number) => boolean) {
  const rows: Row[] = [];
  let received = 0, dropped = 0, overflows = 0, lost = 0, reads = 0;
  for (let i = 0; i < 250; i++) {
    const b = sub.read()!;
    reads++;
    checkBatch(b);
    rows.push(...rowsOf(b.table));
    received += b.received;
    dropped += b.dropped;
    overflows += b.overflows;
    lost += b.lost;
    if (done(rows, lost)) break;
    await sleep(20);
  }
  return { rows, received, dropped, overflows, lost, reads };
}

const byPair = (rows: Row[], local: number, remote: number) => rows.filter((r) => r.localPort === local && r.remotePort === remote);

/** A netlink dump of tcp or tcp6 with tcp_info (extensions 1). */
function dump(file: 'tcp' | 'tcp6'): Row[] {
  const s = backend.sample({ netDir: '/proc/net', files: [file], owners: false, procRoot: '/proc', littleEndian: true, source: 'netlink', extensions: 1 });
  expect(s.files[0]!.error).toBeNull();
  expect(s.files[0]!.source).toBe('netlink');
  return rowsOf(s.files[0]!.table as RawInetTable);
}

interface Pair {
  listener: net.Server;
  port: number;
  client: net.Socket;
  serverSide: net.Socket;
  clientPort: number;
}

/** A listener and one connection to it; the server side keeps a half-closed connection open. */
async function connect(host: string): Promise<Pair> {
  const listener = net.createServer({ allowHalfOpen: true });
  listener.listen(0, host);
  await once(listener, 'listening');
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = once<net.Socket>(listener, 'connection');
  const client = net.connect(port, host);
  await once(client, 'connect');
  const serverSide = await accepted;
  return { listener, port, client, serverSide, clientPort: client.localPort! };
}

/** The client writes exactly `bytes`; resolves when the server side has read them all. */
async function transfer(p: Pair, bytes: number): Promise<void> {
  let got = 0;
  const read = new Promise<void>((resolve) => p.serverSide.on('data', (d: Buffer) => {
    got += d.length;
    if (got >= bytes) resolve();
  }));
  p.client.write(Buffer.alloc(bytes, 0x61));
  await read;
  expect(got).toBe(bytes);
}

/**
 * Threads of this process named as the reader threads are, and still running the reader: a joined
 * thread can stay listed in /proc/self/task for a moment after pthread_join returned (the kernel
 * wakes the joiner from do_exit, before it unlists the task), but by then it carries PF_EXITING
 * (0x4) in the flags of its stat line, so those are not counted.
 */
function readerThreads(): number {
  const PF_EXITING = 0x4;
  let n = 0;
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      if (fs.readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== 'netsnap-events') continue;
      const stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z' || fields[0] === 'X') continue;
      if ((Number(fields[6]) & PF_EXITING) !== 0) continue;
      n++;
    } catch {
      // a thread that ended while we looked
    }
  }
  return n;
}

describe('TCP destroy events (native)', () => {
  it('the TypeScript backend has none; the native one has openDestroyEvents', () => {
    expect(typeof backend.openDestroyEvents).toBe('function');
  });

  it('a known transfer: both endpoints and the listener, with the cookies a dump showed, state 7 and the final tcp_info', async () => {
    const sub = open();
    try {
      expect(sub.rcvbuf).toBe(isRoot ? 16 << 20 : 2 * Math.min(8 << 20, rmemMax));
      const p = await connect('127.0.0.1');
      await transfer(p, 100_000);
      // Alive: the dump's cookies, and the connecting side's bytes_acked = sent + 1 (its SYN).
      let alive = dump('tcp');
      for (let i = 0; i < 20 && byPair(alive, p.clientPort, p.port)[0]?.bytesAcked !== 100_001; i++) {
        await sleep(50);
        alive = dump('tcp');
      }
      const [aliveClient] = byPair(alive, p.clientPort, p.port);
      const [aliveServer] = byPair(alive, p.port, p.clientPort);
      const [aliveListener] = alive.filter((r) => r.localPort === p.port && r.state === 10);
      expect(aliveClient!.bytesAcked).toBe(100_001);
      expect(aliveClient!.bytesSent).toBe(100_000);
      expect(aliveServer!.bytesReceived).toBe(100_000);

      // The client closes first; the server only once the client's close has come, so that the
      // client's full socket dies in FIN_WAIT2 before the server's FIN exists.
      p.client.destroy();
      const first = await readUntil(sub, (rows) => byPair(rows, p.clientPort, p.port).length > 0);
      p.serverSide.destroy();
      const second = await readUntil(sub, (rows) => byPair(rows, p.port, p.clientPort).length > 0);
      p.listener.close();
      const third = await readUntil(sub, (rows) => byPair(rows, p.port, 0).length > 0);

      const [client] = byPair(first.rows, p.clientPort, p.port);
      const [server] = byPair([...first.rows, ...second.rows], p.port, p.clientPort);
      const [listener] = byPair([...first.rows, ...second.rows, ...third.rows], p.port, 0);
      for (const [who, r, was] of [['client', client, aliveClient], ['server', server, aliveServer], ['listener', listener, aliveListener]] as const) {
        expect(r, who).toBeDefined();
        expect(r!.family, who).toBe(4);
        expect(r!.state, who).toBe(7);
        expect(r!.cookie, who).toBe(was!.cookie);
        expect(r!.cookie, who).toBeGreaterThan(0n);
        expect(r!.localAddr, who).toBe(LOOP4);
        expect(r!.remoteAddr, who).toBe(who === 'listener' ? ANY4 : LOOP4);
        // The whole struct tcp_info, as long as a dump's; nothing else the dump has.
        expect(r!.infoLen, who).toBe(was!.infoLen);
        expect(r!.uid, who).toBe(0);
        expect(r!.inode, who).toBe(0);
        expect(r!.cgroupId, who).toBe(0n);
        expect(r!.cong, who).toBe(0);
        expect(r!.memCount, who).toBe(0);
      }
      // At its close the connecting side's FIN is acknowledged too: sent + 2.
      expect([client!.bytesSent, client!.bytesAcked, client!.bytesReceived]).toEqual([100_000, 100_002, 0]);
      // The accepting side received the data and the peer's FIN; its own FIN is its one acked byte.
      expect([server!.bytesSent, server!.bytesAcked, server!.bytesReceived]).toEqual([0, 1, 100_001]);
      expect([listener!.bytesSent, listener!.bytesAcked, listener!.bytesReceived]).toEqual([0, 0, 0]);
      expect(first.lost + second.lost + third.lost).toBe(0);
    } finally {
      sub.close();
    }
  });

  it('IPv6: family 6 with both addresses ::1', async () => {
    const sub = open();
    try {
      const p = await connect('::1');
      await transfer(p, 1000);
      const alive = dump('tcp6');
      const [aliveClient] = byPair(alive, p.clientPort, p.port);
      p.client.destroy();
      p.serverSide.destroy();
      p.listener.close();
      const got = await readUntil(sub, (rows) => byPair(rows, p.clientPort, p.port).length > 0 && byPair(rows, p.port, p.clientPort).length > 0);
      const [client] = byPair(got.rows, p.clientPort, p.port);
      const [server] = byPair(got.rows, p.port, p.clientPort);
      for (const r of [client, server]) {
        expect(r).toBeDefined();
        expect(r!.family).toBe(6);
        expect(r!.state).toBe(7);
        expect(r!.localAddr).toBe(LOOP6);
        expect(r!.remoteAddr).toBe(LOOP6);
      }
      expect(client!.cookie).toBe(aliveClient!.cookie);
      expect(client!.bytesSent).toBe(1000);
      expect(server!.bytesReceived).toBeGreaterThanOrEqual(1000);
    } finally {
      sub.close();
    }
  });

  it('200 short connections: all 400 closes arrive, once each', async () => {
    const sub = open();
    const listener = net.createServer();
    listener.listen(0, '127.0.0.1');
    await once(listener, 'listening');
    const port = (listener.address() as net.AddressInfo).port;
    const accepted: net.Socket[] = [];
    listener.on('connection', (s: net.Socket) => accepted.push(s));
    try {
      const want = new Set<string>();
      for (let batch = 0; batch < 10; batch++) {
        const clients = await Promise.all(Array.from({ length: 20 }, async () => {
          const c = net.connect(port, '127.0.0.1');
          await once(c, 'connect');
          return c;
        }));
        for (const c of clients) {
          want.add(pairKey(c.localPort!, port));
          want.add(pairKey(port, c.localPort!));
          c.destroy();
        }
      }
      for (let i = 0; i < 250 && accepted.length < 200; i++) await sleep(20);
      expect(accepted.length).toBe(200);
      for (const s of accepted) s.destroy();
      const seen = new Map<string, number>();
      const got = await readUntil(sub, (rows) => {
        for (const r of rows.splice(0)) {
          const k = pairKey(r.localPort, r.remotePort);
          if (want.has(k)) {
            expect(r.state).toBe(7);
            expect(r.family).toBe(4);
            seen.set(k, (seen.get(k) ?? 0) + 1);
          }
        }
        return seen.size === want.size;
      });
      expect(want.size).toBe(400);
      expect(seen.size).toBe(400);
      expect([...seen.values()].every((n) => n === 1)).toBe(true);
      expect(got.lost).toBe(0);
      expect(got.overflows).toBe(0);
      expect(got.dropped).toBe(0);
    } finally {
      sub.close();
      listener.close();
    }
  });

  it('close() joins the reader thread before it returns, is idempotent, and read() is then null', () => {
    const before = readerThreads();
    const a = open();
    const b = open();
    expect(readerThreads()).toBe(before + 2);
    a.close();
    expect(readerThreads()).toBe(before + 1);
    a.close();
    expect(readerThreads()).toBe(before + 1);
    expect(a.read()).toBeNull();
    expect(a.rcvbuf).toBeGreaterThan(0);
    const r = b.read()!;
    checkBatch(r);
    b.close();
    expect(readerThreads()).toBe(before);
    expect(b.read()).toBeNull();
  });

  it('a subscription collected without close() stops its thread, and an open one does not keep the process alive', () => {
    const script = `
      const fs = require('fs');
      const addon = require(${JSON.stringify(loaded.path)});
      const threads = () => fs.readdirSync('/proc/self/task').filter((t) => { try { return fs.readFileSync('/proc/self/task/' + t + '/comm', 'utf8').trim() === 'netsnap-events'; } catch { return false; } }).length;
      (async () => {
        const out = { before: threads() };
        (() => { addon.openDestroyEvents(); addon.openDestroyEvents(); })();
        out.open = threads();
        for (let i = 0; i < 100 && threads() > out.before; i++) {
          globalThis.gc();
          await new Promise((r) => setTimeout(r, 10));
        }
        out.collected = threads();
        globalThis.kept = addon.openDestroyEvents();
        out.kept = threads();
        process.stdout.write(JSON.stringify(out));
      })();`;
    const r = spawnSync(process.execPath, ['--expose-gc', '-e', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stderr).toBe('');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ before: 0, open: 2, collected: 0, kept: 1 });
  });

  it('a tiny receive buffer and a burst of closes: overflows and lost events, and the subscription goes on', async () => {
    const sub = open({ rcvbuf: 1 });
    try {
      // The kernel's minimum (SOCK_MIN_RCVBUF): a few events.
      expect(sub.rcvbuf).toBeGreaterThan(0);
      expect(sub.rcvbuf).toBeLessThan(16384);
      const listener = net.createServer({ pauseOnConnect: true });
      listener.listen(0, '127.0.0.1');
      await once(listener, 'listening');
      const port = (listener.address() as net.AddressInfo).port;
      const accepted: net.Socket[] = [];
      listener.on('connection', (s: net.Socket) => accepted.push(s));
      let overflows = 0, lost = 0, received = 0, bursts = 0;
      for (; bursts < 5 && overflows === 0; bursts++) {
        const clients = await Promise.all(Array.from({ length: 200 }, async () => {
          const c = net.connect(port, '127.0.0.1');
          await once(c, 'connect');
          return c;
        }));
        for (let i = 0; i < 250 && accepted.length < 200; i++) await sleep(20);
        expect(accepted.length).toBe(200);
        sub.read();
        // 400 closes at once: the reader thread cannot keep a 2-event buffer from filling.
        for (const s of [...clients, ...accepted.splice(0)]) s.resetAndDestroy();
        await sleep(200);
        const b = sub.read()!;
        checkBatch(b);
        overflows += b.overflows;
        lost += b.lost;
        received += b.received;
        expect(b.received + b.lost).toBeGreaterThanOrEqual(400);
      }
      listener.close();
      expect(overflows).toBeGreaterThan(0);
      expect(lost).toBeGreaterThan(0);
      expect(received).toBeGreaterThan(0);
      // Afterwards: a connection's two closes still arrive. Other processes' closes may fill the
      // tiny buffer at the same moment and take ours with them: then (lost > 0) the next of up to
      // ten connections is tried.
      let arrived = false;
      for (let attempt = 0; attempt < 10 && !arrived; attempt++) {
        const p = await connect('127.0.0.1');
        p.client.destroy();
        await once(p.client, 'close');
        p.serverSide.destroy();
        p.listener.close();
        const both = (rows: Row[]) => byPair(rows, p.clientPort, p.port).length > 0 && byPair(rows, p.port, p.clientPort).length > 0;
        const got = await readUntil(sub, (rows, lostNow) => both(rows) || lostNow > 0);
        arrived = byPair(got.rows, p.clientPort, p.port).length === 1 && byPair(got.rows, p.port, p.clientPort).length === 1;
      }
      expect(arrived).toBe(true);
    } finally {
      sub.close();
    }
  });

  it('maxRows: rows past it wait nowhere and are counted as dropped', async () => {
    const sub = open({ maxRows: 3 });
    try {
      const listener = net.createServer();
      listener.listen(0, '127.0.0.1');
      await once(listener, 'listening');
      const port = (listener.address() as net.AddressInfo).port;
      const accepted: net.Socket[] = [];
      listener.on('connection', (s: net.Socket) => accepted.push(s));
      const clients = await Promise.all(Array.from({ length: 20 }, async () => {
        const c = net.connect(port, '127.0.0.1');
        await once(c, 'connect');
        return c;
      }));
      for (let i = 0; i < 250 && accepted.length < 20; i++) await sleep(20);
      sub.read();
      for (const s of [...clients, ...accepted]) s.resetAndDestroy();
      listener.close();
      let received = 0, dropped = 0, kept = 0;
      for (let i = 0; i < 100 && received < 40; i++) {
        await sleep(50);
        const b = sub.read()!;
        checkBatch(b);
        expect(b.table.count).toBeLessThanOrEqual(3);
        received += b.received;
        dropped += b.dropped;
        kept += b.table.count;
      }
      expect(received).toBeGreaterThanOrEqual(40);
      expect(dropped).toBeGreaterThan(0);
      expect(received).toBe(kept + dropped);
    } finally {
      sub.close();
    }
  });

  it('rejects bad options with a TypeError, and a netns that cannot be used with its errno', () => {
    for (const options of [1, null, 'x', [], { netns: 1 }, { netns: '/proc/self/ns/net\0x' }, { rcvbuf: 0 }, { rcvbuf: 1.5 }, { rcvbuf: 2 ** 31 },
      { maxRows: 0 }, { maxRows: 1_000_001 }, { maxRows: '3' }]) {
      expect(() => open(options as never), JSON.stringify(options)).toThrow(TypeError);
    }
    for (const [netns, code] of [['/nonexistent/netns', 'ENOENT'], ['/etc/hostname', 'EINVAL']] as const) {
      let err: (Error & { code?: string; step?: string }) | null = null;
      try {
        open({ netns }).close();
      } catch (e) {
        err = e as Error & { code?: string; step?: string };
      }
      expect(err, netns).toBeInstanceOf(Error);
      expect(err!.code, netns).toBe(code);
      expect(err!.step, netns).toBe('netns');
      expect(err!.message, netns).toBe(`openDestroyEvents: netns: ${code}`);
    }
  });
});

// Run as nobody: the checkout and the addon must be readable by that user.
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const CHILD = path.join(__dirname, '..', 'helpers', 'destroy-events-child.js');
const canRunNobody = isRoot &&
  spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(loaded.path)}, 4); require('fs').accessSync(${JSON.stringify(CHILD)}, 4)`], { timeout: 30_000 }).status === 0;

describe.skipIf(!canRunNobody)('TCP destroy events as an unprivileged user (native)', () => {
  it('nobody receives the closes of its own connection and of root\'s', async () => {
    const child = spawn('setpriv', [...NOBODY, process.execPath, CHILD, loaded.path], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => { err += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      for (let i = 0; i < 500 && !out.includes('\n'); i++) await sleep(20);
      const ready = JSON.parse(out.split('\n')[0]!) as { ready: boolean; uid: number; rcvbuf: number };
      expect(ready).toEqual({ ready: true, uid: 65534, rcvbuf: 2 * Math.min(8 << 20, rmemMax) });
      // Root's connection, closed while nobody listens.
      const p = await connect('127.0.0.1');
      const alive = dump('tcp');
      const cookies = [byPair(alive, p.clientPort, p.port)[0]!.cookie, byPair(alive, p.port, p.clientPort)[0]!.cookie];
      p.client.destroy();
      p.serverSide.destroy();
      p.listener.close();
      child.stdin!.write(JSON.stringify({ pairs: [[p.clientPort, p.port], [p.port, p.clientPort]] }) + '\n');
      const code = await exited;
      expect(err).toBe('');
      expect(code).toBe(0);
      const result = JSON.parse(out.split('\n')[1]!) as { uid: number; lost: number; parent: Array<{ state: number; family: number; uid: number; cookie: string } | null>; own: Array<{ state: number } | null> };
      expect(result.uid).toBe(65534);
      expect(result.lost).toBe(0);
      expect(result.parent.map((r) => r && [r.state, r.family, r.uid, BigInt(r.cookie)])).toEqual([[7, 4, 0, cookies[0]], [7, 4, 0, cookies[1]]]);
      expect(result.own.map((r) => r && r.state)).toEqual([7, 7]);
    } finally {
      child.kill();
    }
  });
});

// Another network namespace, made for this run (root and `ip netns` needed).
const NS = `netsnap-destroy-${process.pid}`;
const canUseNetns = isRoot && spawnSync('ip', ['netns', 'list'], { timeout: 10_000 }).status === 0;
const ip = (args: string[]) => spawnSync('ip', args, { encoding: 'utf8', timeout: 30_000 });

describe.skipIf(!canUseNetns)('TCP destroy events of another network namespace (root, ip netns)', () => {
  beforeAll(() => {
    ip(['netns', 'del', NS]);
    const r = ip(['netns', 'add', NS]);
    if (r.status !== 0) throw new Error(`ip netns add ${NS}: ${r.stderr}`);
    ip(['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    ip(['netns', 'del', NS]);
  });

  it('a subscription made with netns gets that namespace\'s closes and not the host\'s, and the other way round', async () => {
    const host = open();
    const inside = open({ netns: `/run/netns/${NS}` });
    try {
      expect(inside.rcvbuf).toBe(16 << 20);
      // The host's connection first, until the host subscription has its closes.
      const p = await connect('127.0.0.1');
      p.client.destroy();
      p.serverSide.destroy();
      p.listener.close();
      const hostGot = await readUntil(host, (rows) => byPair(rows, p.clientPort, p.port).length > 0 && byPair(rows, p.port, p.clientPort).length > 0);
      const hostCookies = [...byPair(hostGot.rows, p.clientPort, p.port), ...byPair(hostGot.rows, p.port, p.clientPort)].map((r) => r.cookie);
      expect(hostCookies.length).toBe(2);
      // Then one inside the namespace (python3 there prints its ports and closes both ends).
      const py = [
        'import socket',
        "l = socket.socket(); l.bind(('127.0.0.1', 0)); l.listen(1)",
        "c = socket.socket(); c.connect(l.getsockname()); s, _ = l.accept()",
        "print(l.getsockname()[1], c.getsockname()[1], flush=True)",
        'c.sendall(b"x" * 1000); n = 0',
        'while n < 1000: n += len(s.recv(4096))',
        'c.close(); s.close(); l.close()',
      ].join('\n');
      const r = ip(['netns', 'exec', NS, 'python3', '-c', py]);
      expect(r.status).toBe(0);
      const [port, clientPort] = r.stdout.trim().split(' ').map(Number) as [number, number];
      const insideGot = await readUntil(inside, (rows) => byPair(rows, clientPort, port).length > 0 && byPair(rows, port, clientPort).length > 0 && byPair(rows, port, 0).length > 0);
      const [client] = byPair(insideGot.rows, clientPort, port);
      expect(client).toBeDefined();
      expect(client!.state).toBe(7);
      expect(client!.bytesSent).toBe(1000);
      expect(byPair(insideGot.rows, port, clientPort).length).toBe(1);
      expect(byPair(insideGot.rows, port, 0).length).toBe(1);
      // Cookies are unique across namespaces: neither subscription saw the other's sockets.
      const insideCookies = new Set(insideGot.rows.map((x) => x.cookie));
      for (const k of hostCookies) expect(insideCookies.has(k)).toBe(false);
      const hostAfter = await readUntil(host, () => true);
      const hostAll = new Set([...hostGot.rows, ...hostAfter.rows].map((x) => x.cookie));
      expect(hostAll.has(client!.cookie)).toBe(false);
    } finally {
      host.close();
      inside.close();
    }
  });
});
