// What the netlink source adds beyond /proc (native only): the socket cookie and cgroup id of every
// row, the extension columns a request asks for (tcp_info, congestion control, socket memory), dumps
// of another network namespace, and no silent /proc rows when those were asked. Checked on sockets
// the test opens itself, with a known transfer, against ss where ss prints the same thing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { inetLayout, type RawInetTable, type RawSample, type SampleRequest } from '../../src/model/contract';
import { snapshot } from '../../src/index';
import { SKMEM_FIELDS, TCP_INFO_COLUMN, TCP_INFO_FIELDS, TCP_INFO_INDEX, TCP_INFO_SIZE, TcpInfoColumns, type RawTcpExtensions } from '../../src/model/tcp_info';
import { ensureDebianPackage } from '../helpers/debian';
import { BASIC } from '../helpers/env';
import { once, timeWaitOnLoopback } from '../helpers/sockets';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the netlink extension suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);

// Straight from the addon: tcpInfoFields() is a native-only hook.
interface Hooks {
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  tcpInfoFields(): Array<[number, number]>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as Hooks;

const BACKLOG = 29;
const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
const defaultCong = fs.readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const request = (files: string[], extra: Partial<SampleRequest> = {}): SampleRequest => ({
  netDir: '/proc/net', files, owners: false, procRoot: '/proc', littleEndian: true, source: 'netlink', ...extra,
});

/** One row of a netlink table with its extension values by name. */
interface Row {
  state: number;
  localPort: number;
  remotePort: number;
  inode: number;
  drops: number;
  cookie: bigint;
  cgroupId: bigint;
  info: Map<string, number> | null; // null: the table has no ext
  infoLen: number;
  cong: string | null;
  memCount: number;
  mem: Map<string, number>;
}

function rowsOf(table: RawInetTable): Row[] {
  const n = table.count;
  const L = inetLayout(table.capacity);
  const b = table.buffer;
  const state = new Uint8Array(b, L.state, n);
  const lp = new Uint16Array(b, L.localPort, n);
  const rp = new Uint16Array(b, L.remotePort, n);
  const inode = new Float64Array(b, L.inode, n);
  const drops = new Uint32Array(b, L.drops, n);
  const e: RawTcpExtensions | undefined = table.ext;
  const out: Row[] = [];
  for (let i = 0; i < n; i++) {
    let info: Map<string, number> | null = null;
    const mem = new Map<string, number>();
    if (e) {
      info = new Map();
      if (e.fields === undefined) {
        for (const f of TCP_INFO_FIELDS) {
          const c = TCP_INFO_COLUMN.get(f.name)!;
          info.set(f.name, c.wide ? e.infoF64[c.column * n + i]! : e.infoU32[c.column * n + i]!);
        }
      } else {
        // Only some fields decoded (infoFields): read through the model's columns.
        const cols = new TcpInfoColumns(e, n);
        for (const k of e.fields) info.set(TCP_INFO_FIELDS[k]!.name, cols.columnAt(k)[i]!);
      }
      if (e.mem.length > 0) SKMEM_FIELDS.forEach((name, k) => mem.set(name, e.mem[k * n + i]!));
    }
    out.push({
      state: state[i]!, localPort: lp[i]!, remotePort: rp[i]!, inode: inode[i]!, drops: drops[i]!,
      cookie: table.cookie![i]!, cgroupId: table.cgroupId![i]!,
      info, infoLen: e ? e.infoLen[i]! : 0, cong: e && e.cong[i] ? e.congNames[e.cong[i]! - 1]! : null,
      memCount: e ? e.memCount[i]! : 0, mem,
    });
  }
  return out;
}

function tableOf(s: RawSample, name: string): RawInetTable {
  const f = s.files.find((x) => x.name === name)!;
  expect(f.error, name).toBeNull();
  expect(f.source, name).toBe('netlink');
  return f.table as RawInetTable;
}

/** The cgroup v2 id of this process's cgroup: the inode of its directory under the cgroup2 mount. */
function ownCgroupId(): bigint | null {
  const mount = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2');
  const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  if (!mount || !line) return null;
  try {
    return fs.statSync(path.join(mount[1]!, line.slice(3)), { bigint: true }).ino;
  } catch {
    return null;
  }
}

const hasSs = spawnSync('ss', ['-V'], { timeout: 10_000 }).status === 0;

describe('the tcp_info offset table', () => {
  it('is the same in the addon and in model/tcp_info.ts', () => {
    expect(addon.tcpInfoFields()).toEqual(TCP_INFO_FIELDS.map((f) => [f.offset, TCP_INFO_SIZE[f.kind]]));
  });
});

describe('netlink cookie, cgroup id and extensions on live sockets (native)', () => {
  let listener: net.Server;
  let client: net.Socket;
  let server: net.Socket;
  let port = 0;
  let clientPort = 0;
  let timeWaitPort = 0;
  let udp: dgram.Socket;

  beforeAll(async () => {
    listener = net.createServer();
    listener.listen({ port: 0, host: '127.0.0.1', backlog: BACKLOG });
    await once(listener, 'listening');
    port = (listener.address() as net.AddressInfo).port;
    const accepted = once<net.Socket>(listener, 'connection');
    client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    clientPort = client.localPort!;
    server = await accepted;
    // The known transfer: 1000 bytes client -> server, then 500 back, each read in full.
    let got = 0;
    const serverRead = new Promise<void>((r) => server.on('data', (d: Buffer) => { got += d.length; if (got >= 1000) r(); }));
    client.write(Buffer.alloc(1000, 0x61));
    await serverRead;
    let back = 0;
    const clientRead = new Promise<void>((r) => client.on('data', (d: Buffer) => { back += d.length; if (back >= 500) r(); }));
    server.write(Buffer.alloc(500, 0x62));
    await clientRead;
    // A TIME_WAIT socket: the client closes first.
    timeWaitPort = await timeWaitOnLoopback();
    udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');
  });

  afterAll(() => {
    client?.destroy();
    server?.destroy();
    listener?.close();
    udp?.close();
  });

  const mine = (rows: Row[]) => ({
    client: rows.find((r) => r.localPort === clientPort && r.remotePort === port)!,
    server: rows.find((r) => r.localPort === port && r.remotePort === clientPort)!,
    listener: rows.find((r) => r.localPort === port && r.state === 10)!,
  });

  it('decodes tcp_info, the congestion control and socket memory of both ends of a known transfer', async () => {
    // The last ACKs may still be in flight for a moment: wait until the byte counts settle.
    let m = mine(rowsOf(tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp')));
    for (let i = 0; i < 20 && (m.client.info!.get('bytesAcked') !== 1001 || m.server.info!.get('bytesAcked') !== 500); i++) {
      await sleep(50);
      m = mine(rowsOf(tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp')));
    }
    const need = TCP_INFO_COLUMN.get('bytesRetrans')!.end; // bytes_sent and bytes_retrans: kernel 4.19
    for (const [who, r] of Object.entries(m)) {
      expect(r, who).toBeDefined();
      expect(r.infoLen, who).toBeGreaterThanOrEqual(need);
      expect(r.cong, who).toBe(defaultCong);
      expect(r.memCount, who).toBe(9);
      expect(r.mem.get('rcvbuf'), who).toBeGreaterThan(0);
      expect(r.mem.get('sndbuf'), who).toBeGreaterThan(0);
      expect(r.info!.get('cwnd'), who).toBeGreaterThan(0);
    }
    const c = m.client.info!;
    const s = m.server.info!;
    expect([c.get('bytesSent'), c.get('bytesReceived'), c.get('bytesAcked')]).toEqual([1000, 500, 1001]); // + the SYN
    expect([s.get('bytesSent'), s.get('bytesReceived'), s.get('bytesAcked')]).toEqual([500, 1000, 500]);
    for (const i of [c, s]) {
      expect(i.get('rttUs')).toBeGreaterThan(0);
      expect(i.get('mss')).toBeGreaterThan(0);
      expect(i.get('dataSegsOut')).toBe(1);
      expect(i.get('dataSegsIn')).toBe(1);
      expect(i.get('rtoUs')).toBeGreaterThanOrEqual(200_000);
    }
    // A listener's tcp_info: the accept queue in unacked, its maximum in sacked.
    const l = m.listener.info!;
    expect(l.get('unacked')).toBe(0);
    expect(l.get('sacked')).toBe(Math.min(BACKLOG, somaxconn));
    // Fields the kernel did not send read 0: nothing past infoLen.
    for (const r of Object.values(m)) {
      for (const f of TCP_INFO_FIELDS) {
        if (TCP_INFO_COLUMN.get(f.name)!.end > r.infoLen) expect(r.info!.get(f.name), f.name).toBe(0);
      }
    }
  });

  it('gives every row its cookie and cgroup id, with and without extensions; ss prints the same cookies', () => {
    for (const extensions of [undefined, 0, 3]) {
      const t = tableOf(addon.sample(request(['tcp'], extensions === undefined ? {} : { extensions })), 'tcp');
      expect(t.cookie).toBeInstanceOf(BigUint64Array);
      expect(t.cgroupId).toBeInstanceOf(BigUint64Array);
      expect(t.cookie!.length).toBe(t.count);
      expect(t.cgroupId!.length).toBe(t.count);
      expect('ext' in t).toBe(Boolean(extensions));
      const m = mine(rowsOf(t));
      const cookies = [m.client.cookie, m.server.cookie, m.listener.cookie];
      expect(new Set(cookies).size).toBe(3);
      for (const k of cookies) expect(k).toBeGreaterThan(0n);
      const cg = ownCgroupId();
      for (const r of Object.values(m)) {
        if (cg !== null) expect(r.cgroupId).toBe(cg);
        else expect(r.cgroupId).toBeGreaterThan(0n);
      }
      if (hasSs) {
        const out = spawnSync('ss', ['-tanHe', 'sport', '=', `:${clientPort}`], { encoding: 'utf8', timeout: 10_000 }).stdout;
        expect(out).toContain(` sk:${m.client.cookie.toString(16)} `);
      }
    }
  });

  it('TIME_WAIT rows: a cookie, but no cgroup id, no tcp_info, no socket memory', () => {
    const rows = rowsOf(tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp'));
    const tw = rows.filter((r) => r.state === 6 && r.remotePort === timeWaitPort);
    expect(tw.length).toBeGreaterThanOrEqual(1);
    for (const r of tw) {
      expect(r.cookie).toBeGreaterThan(0n);
      expect(r.cgroupId).toBe(0n);
      expect(r.infoLen).toBe(0);
      expect(r.cong).toBeNull();
      expect(r.memCount).toBe(0);
      expect([...r.info!.values()].every((v) => v === 0)).toBe(true);
    }
  });

  it('asks for exactly the parts in the mask: 1 tcp_info without memory, 2 memory without tcp_info', () => {
    const infoOnly = mine(rowsOf(tableOf(addon.sample(request(['tcp'], { extensions: 1 })), 'tcp')));
    const memOnly = mine(rowsOf(tableOf(addon.sample(request(['tcp'], { extensions: 2 })), 'tcp')));
    for (const r of Object.values(infoOnly)) {
      expect(r.infoLen).toBeGreaterThan(0);
      expect(r.cong).toBe(defaultCong);
      expect(r.memCount).toBe(0);
      expect(r.drops).toBe(0); // tcp has no drops column in /proc, with or without socket memory
    }
    for (const r of Object.values(memOnly)) {
      expect(r.infoLen).toBe(0);
      expect(r.cong).toBeNull();
      expect(r.memCount).toBe(9);
      expect(r.drops).toBe(0);
    }
  });

  it('udp tables carry the socket memory with extensions, and the drops column as before', () => {
    const t = tableOf(addon.sample(request(['udp'], { extensions: 3 })), 'udp');
    const r = rowsOf(t).find((x) => x.localPort === udp.address().port)!;
    expect(r).toBeDefined();
    expect(r.memCount).toBe(9);
    expect(r.mem.get('rcvbuf')).toBeGreaterThan(0);
    expect(r.drops).toBe(r.mem.get('drops'));
    expect(r.infoLen).toBe(0);
    expect(r.cookie).toBeGreaterThan(0n);
  });

  it('keeps the main columns as they are without extensions', () => {
    const key = (r: Row) => `${r.localPort}-${r.remotePort}-${r.state}-${r.inode}`;
    // This test's three sockets by their port pairs: other tests' sockets may reuse one port number.
    const own = (rows: Row[]) => rows
      .filter((r) => (r.localPort === port && (r.remotePort === 0 || r.remotePort === clientPort)) || (r.localPort === clientPort && r.remotePort === port))
      .map(key).sort();
    const plain = own(rowsOf(tableOf(addon.sample(request(['tcp'])), 'tcp')));
    const ext = own(rowsOf(tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp')));
    expect(ext).toEqual(plain);
    expect(plain.length).toBe(3);
  });

  it('sampleAsync, the LISTEN-only state mask and a reused table give the same extension columns', async () => {
    const a = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3 })), 'tcp');
    expect(mine(rowsOf(a)).client.info!.get('bytesSent')).toBe(1000);
    const listen = tableOf(addon.sample(request(['tcp'], { extensions: 3, tcpStates: 1 << 10 })), 'tcp');
    expect(listen.ext!.infoLen.length).toBe(listen.count);
    expect(rowsOf(listen).every((r) => r.state === 10 && r.infoLen > 0)).toBe(true);
    // Filled again in place: the main buffer is reused, and the ext columns are sized to the rows
    // (views of the lent ones' memory when they fit: the next test).
    const again = tableOf(addon.sample(request(['tcp'], { extensions: 3, reuse: [a] })), 'tcp');
    if (again.count <= a.capacity) expect(again.buffer).toBe(a.buffer);
    const n = again.count;
    const e = again.ext!;
    expect([e.infoLen.length, e.cong.length, e.memCount.length]).toEqual([n, n, n]);
    expect(e.infoU32.length).toBe(n * TCP_INFO_FIELDS.filter((f) => f.kind !== 'u64').length);
    expect(e.infoF64.length).toBe(n * TCP_INFO_FIELDS.filter((f) => f.kind === 'u64').length);
    expect(e.mem.length).toBe(n * SKMEM_FIELDS.length);
    expect(mine(rowsOf(again)).server.info!.get('bytesReceived')).toBe(1000);
  });

  // Every netlink column of a lent table, as [where, name, element size]: the table's own and its ext's.
  const LENT: Array<[('table' | 'ext'), string, number]> = [
    ['table', 'backlog', 4], ['table', 'cookie', 8], ['table', 'cgroupId', 8], ['table', 'ifindex', 4],
    ['ext', 'infoLen', 2], ['ext', 'infoU32', 4], ['ext', 'infoF64', 8], ['ext', 'cong', 1], ['ext', 'memCount', 1], ['ext', 'mem', 4],
  ];
  type Column = Uint8Array | Uint16Array | Uint32Array | Float64Array | BigUint64Array;
  const columnOf = (t: RawInetTable, [where, name]: [string, string, number]) =>
    (where === 'ext' ? (t.ext as unknown as Record<string, Column>)[name] : (t as unknown as Record<string, Column>)[name])!;
  /** The test's own sockets' netlink values, by role: what a table filled again must still say. */
  const ownValues = (t: RawInetTable) => Object.fromEntries(Object.entries(mine(rowsOf(t))).map(([role, r]) =>
    [role, { cookie: r.cookie, cgroupId: r.cgroupId, cong: r.cong, infoLen: r.infoLen, memCount: r.memCount, received: r.info!.get('bytesReceived'), rcvbuf: r.mem.get('rcvbuf') }]));

  it('a lent table takes back its netlink columns: each new one a view of the lent memory, nothing new for V8', async () => {
    const a = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3 })), 'tcp');
    const again = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [a] })), 'tcp');
    const fresh = tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp');
    const n = again.count;
    for (const c of LENT) {
      const got = columnOf(again, c);
      const perRow = c[1] === 'infoU32' ? TCP_INFO_FIELDS.filter((f) => f.kind !== 'u64').length
        : c[1] === 'infoF64' ? TCP_INFO_FIELDS.filter((f) => f.kind === 'u64').length : c[1] === 'mem' ? SKMEM_FIELDS.length : 1;
      expect(got.length, c[1]).toBe(n * perRow);
      // Other tests' sockets come and go: the lent memory holds the new column when there are no more rows than in a.
      if (n <= a.count) {
        expect(got.buffer, c[1]).toBe(columnOf(a, c).buffer);
        expect(got.byteOffset, c[1]).toBe(columnOf(a, c).byteOffset);
      } else {
        expect(got.buffer, c[1]).not.toBe(columnOf(a, c).buffer);
      }
    }
    // The values are the sockets' own, as a sample of new tables says them.
    expect(ownValues(again)).toEqual(ownValues(fresh));
    expect(mine(rowsOf(again)).server.info!.get('bytesReceived')).toBe(1000);
    expect(mine(rowsOf(again)).listener.cookie).toBeGreaterThan(0n);
  });

  it('a new column of a table filled into a lent one keeps the table\'s room, and a lent column offers all of it', async () => {
    const a = tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp');
    // A lent table with room for 4,096 more rows than now, and none of its netlink columns.
    const capacity = a.count + 4096;
    const roomy = { buffer: new ArrayBuffer(inetLayout(capacity).byteLength), capacity, count: 0, problems: new Uint32Array(0) } as unknown as RawInetTable;
    const b = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [roomy] })), 'tcp');
    expect(b.buffer).toBe(roomy.buffer);
    for (const c of LENT) {
      const col = columnOf(b, c);
      const perRow = col.length / b.count;
      // New (nothing was lent), with the table's room: as long as `capacity` rows, zero past its own.
      expect(col.buffer.byteLength, c[1]).toBe(capacity * perRow * c[2]);
      const Whole = col.constructor as new (buffer: ArrayBufferLike) => Column;
      const past = new Whole(col.buffer).subarray(col.length);
      expect([...past].every((v) => v === 0 || v === 0n), c[1]).toBe(true);
    }
    // Lent again as views of no elements (other tests' sockets come and go, so the rows of the next
    // sample are not known; a view shorter than those rows stands for a tick with more rows than the last):
    // the room past the view is the lent column's too, and every column goes into b's memory.
    const none = (col: Column) => col.subarray(0, 0);
    const shrunk = {
      ...b, backlog: none(b.backlog!), cookie: none(b.cookie!), cgroupId: none(b.cgroupId!), ifindex: none(b.ifindex!),
      ext: { ...b.ext!, infoLen: none(b.ext!.infoLen), infoU32: none(b.ext!.infoU32), infoF64: none(b.ext!.infoF64), cong: none(b.ext!.cong), memCount: none(b.ext!.memCount), mem: none(b.ext!.mem) },
    } as unknown as RawInetTable;
    const c2 = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [shrunk] })), 'tcp');
    expect(c2.count).toBeLessThanOrEqual(capacity);
    expect(c2.buffer).toBe(b.buffer);
    for (const c of LENT) {
      expect(columnOf(c2, c).buffer, c[1]).toBe(columnOf(b, c).buffer);
      expect(columnOf(c2, c).length, c[1]).toBe((columnOf(b, c).length / b.count) * c2.count);
    }
    expect(ownValues(c2)).toEqual(ownValues(tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp')));
  });

  it('gives a new column where the lent one is too small, absent or lent twice, and refuses one of the wrong type', async () => {
    const own = () => ownValues(tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp'));
    // cookie lent too small, ifindex not lent, cgroupId lent as it is.
    const a = tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp');
    const empty = new BigUint64Array(0);
    const partly = { ...a, cookie: empty, ifindex: undefined } as unknown as RawInetTable;
    const again = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [partly] })), 'tcp');
    expect(again.cookie!.buffer).not.toBe(empty.buffer);
    expect(again.cookie!.length).toBe(again.count);
    expect(again.ifindex!.buffer).not.toBe(a.ifindex!.buffer);
    if (again.count <= a.count) expect(again.cgroupId!.buffer).toBe(a.cgroupId!.buffer);
    expect(ownValues(again)).toEqual(own());

    // One memory lent as two columns (b's cookie as cookie and as cgroupId): neither is written.
    const b = tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp');
    const before = b.cookie!.slice();
    const twice = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [{ ...b, cgroupId: b.cookie } as RawInetTable] })), 'tcp');
    expect(twice.cookie!.buffer).not.toBe(b.cookie!.buffer);
    expect(twice.cgroupId!.buffer).not.toBe(b.cookie!.buffer);
    expect(b.cookie!).toEqual(before);
    expect(ownValues(twice)).toEqual(own());
    // A column lent inside the lent table's own column buffer is not written either: the rows go there.
    const c = tableOf(addon.sample(request(['tcp'], { extensions: 3 })), 'tcp');
    const inside = new BigUint64Array(c.buffer, 0, Math.floor(c.buffer.byteLength / 8));
    const overlapping = tableOf(await addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [{ ...c, cookie: inside } as RawInetTable] })), 'tcp');
    expect(overlapping.cookie!.buffer).not.toBe(c.buffer);
    if (overlapping.count <= c.capacity) expect(overlapping.buffer).toBe(c.buffer);
    expect(ownValues(overlapping)).toEqual(own());
    expect(mine(rowsOf(overlapping)).server.localPort).toBe(port);

    // A column of the wrong type: the request is refused, as any bad request is.
    const wrong = { ...b, cookie: new Uint32Array(b.count) } as unknown as RawInetTable;
    expect(() => addon.sample(request(['tcp'], { extensions: 3, reuse: [wrong] }))).toThrow(new TypeError('sample: request.reuse[0].cookie must be a BigUint64Array'));
    await expect(addon.sampleAsync(request(['tcp'], { extensions: 3, reuse: [{ ...b, ext: { ...b.ext!, infoF64: new Float32Array(1) } } as unknown as RawInetTable] })))
      .rejects.toThrow(new TypeError('sampleAsync: request.reuse[0].ext.infoF64 must be a Float64Array'));
  });
});

describe('only the tcp_info fields asked (infoFields), and tcp with tcp6 in one dump (native)', () => {
  let listener: net.Server;
  let listener6: net.Server;
  const clients: net.Socket[] = [];
  const accepted: net.Socket[] = [];
  let port = 0;
  let port6 = 0;
  const CHOSEN = ['rttUs', 'bytesAcked', 'bytesReceived', 'bytesRetrans', 'cwnd'];
  const chosen = CHOSEN.map((n) => TCP_INFO_INDEX.get(n)!).sort((a, b) => a - b);

  beforeAll(async () => {
    listener = net.createServer((c) => accepted.push(c));
    listener.listen({ port: 0, host: '127.0.0.1' });
    await once(listener, 'listening');
    port = (listener.address() as net.AddressInfo).port;
    listener6 = net.createServer((c) => accepted.push(c));
    listener6.listen({ port: 0, host: '::1' });
    await once(listener6, 'listening');
    port6 = (listener6.address() as net.AddressInfo).port;
    for (const [p, host] of [[port, '127.0.0.1'], [port, '127.0.0.1'], [port6, '::1'], [port6, '::1']] as const) {
      const c = net.connect(p, host);
      await once(c, 'connect');
      // 700 bytes each way, read in full: known counters that stay put.
      const got = new Promise<void>((r) => { let n = 0; c.on('data', (d: Buffer) => { n += d.length; if (n >= 700) r(); }); });
      c.write(Buffer.alloc(700, 0x61));
      clients.push(c);
      await sleep(20);
      const a = accepted[accepted.length - 1]!;
      a.write(Buffer.alloc(700, 0x62));
      await got;
    }
    await sleep(100); // the last ACKs
  });

  afterAll(() => {
    for (const c of [...clients, ...accepted]) c.destroy();
    listener?.close();
    listener6?.close();
  });

  /** This test's rows of listener port p: the listener and both ends of its two connections. */
  const ours = (t: RawInetTable, p: number) => {
    const L = inetLayout(t.capacity);
    const lp = new Uint16Array(t.buffer, L.localPort, t.count);
    const rp = new Uint16Array(t.buffer, L.remotePort, t.count);
    const st = new Uint8Array(t.buffer, L.state, t.count);
    const mine = new Set(clients.map((c) => c.localPort!));
    const rows: number[] = [];
    for (let i = 0; i < t.count; i++) {
      if ((lp[i] === p && st[i] === 10) || (lp[i] === p && mine.has(rp[i]!)) || (rp[i] === p && mine.has(lp[i]!))) rows.push(i);
    }
    return rows;
  };
  const sports = () => clients.filter((c) => c.remotePort === port).map((c) => `sport = ${c.localPort}`).join(' or ');

  it('decodes those fields alone, in struct order, with no congestion control or socket memory', () => {
    const full = tableOf(addon.sample(request(['tcp'], { extensions: 1 })), 'tcp');
    const sub = tableOf(addon.sample(request(['tcp'], { extensions: 1, infoFields: chosen })), 'tcp');
    const e = sub.ext!;
    const n = sub.count;
    expect([...e.fields!]).toEqual(chosen);
    const wide = chosen.filter((k) => TCP_INFO_FIELDS[k]!.kind === 'u64').length;
    expect(e.infoF64.length).toBe(n * wide);
    expect(e.infoU32.length).toBe(n * (chosen.length - wide));
    expect(e.congNames).toEqual([]);
    expect(e.cong.every((c) => c === 0)).toBe(true);
    expect(e.mem.length).toBe(0);
    expect(e.memCount.every((c) => c === 0)).toBe(true);
    const a = new TcpInfoColumns(full.ext!, full.count);
    const b = new TcpInfoColumns(sub.ext!, sub.count);
    expect(b.selected).toBe(true);
    expect(a.selected).toBe(false);
    const rowsA = ours(full, port);
    const rowsB = ours(sub, port);
    expect(rowsB.length).toBe(5); // the listener and both ends of two connections
    const byCookie = (t: RawInetTable, rows: number[]) => new Map(rows.map((i) => [t.cookie![i]!, i]));
    const mapA = byCookie(full, rowsA);
    let connections = 0;
    for (const i of rowsB) {
      const j = mapA.get(sub.cookie![i]!)!;
      expect(j, 'the same socket in both dumps').toBeDefined();
      for (const name of ['bytesAcked', 'bytesReceived', 'bytesRetrans']) expect(b.value(name, i), name).toBe(a.value(name, j));
      const info = b.info(i)!;
      expect(Object.keys(info).sort()).toEqual([...CHOSEN].sort());
      if (info.bytesReceived === 700) {
        connections++;
        expect(info.rttUs).toBeGreaterThan(0);
        expect(info.cwnd).toBeGreaterThan(0);
      }
    }
    expect(connections).toBe(4);
    expect(() => b.column('mss')).toThrow(/"mss" was not decoded in this sample/);
    expect(() => b.at(TCP_INFO_INDEX.get('mss')!, 0)).toThrow(/not decoded/);
    expect(() => b.value('lost', 0)).toThrow(/not decoded/);
  });

  it('through the library: sockets carry those fields alone and no congestion; a filter on tcp_info decodes all', () => {
    const snap = snapshot({ protocols: ['tcp'], families: [4], info: true, infoFields: ['bytesAcked', 'rttUs'], source: 'netlink' });
    const t = snap.inet[0]!;
    const i = ours(t.raw, port).find((r) => t.remotePort[r] === port)!;
    const s = snap.inetSocket(t, i);
    expect(Object.keys(s.info!).sort()).toEqual(['bytesAcked', 'rttUs']);
    expect(s.info!.bytesAcked).toBe(701);
    expect('congestion' in s).toBe(false);
    const filtered = snapshot({ protocols: ['tcp'], families: [4], info: true, infoFields: ['bytesAcked'], source: 'netlink', filter: `rtt > 0 and dport = ${port} and (${sports()})` });
    const f = filtered.inet[0]!;
    expect(f.count).toBe(2);
    expect(f.ext!.selected).toBe(false);
    expect(f.ext!.value('mss', 0)).toBeGreaterThan(0);
    expect(() => snapshot({ info: true, infoFields: ['nope'] })).toThrow(/no tcp_info field "nope"/);
    expect(() => snapshot({ infoFields: ['rttUs'] })).toThrow(/needs info: true/);
  });

  it('rejects bad infoFields with a TypeError', async () => {
    for (const infoFields of [[5, 3], [3, 3], [TCP_INFO_FIELDS.length], [-1], [1.5], ['1'], 7, {}]) {
      const r = request(['tcp'], { extensions: 1, infoFields: infoFields as number[] });
      expect(() => addon.sample(r), JSON.stringify(infoFields)).toThrow(TypeError);
      await expect(addon.sampleAsync(r)).rejects.toThrow(TypeError);
    }
    expect(() => addon.sample(request(['tcp'], { extensions: 2, infoFields: [1] }))).toThrow(/needs extensions bit 1/);
  });

  it('tcp and tcp6 in one dump (oneTcpDump): the rows, order and columns of two dumps', async () => {
    for (const extra of [{}, { extensions: 3 }, { extensions: 1, infoFields: chosen }] as Partial<SampleRequest>[]) {
      const both = await addon.sampleAsync(request(['tcp', 'tcp6'], { ...extra, oneTcpDump: true }));
      const alone4 = tableOf(addon.sample(request(['tcp'], extra)), 'tcp');
      const alone6 = tableOf(addon.sample(request(['tcp6'], extra)), 'tcp6');
      for (const [name, alone, p] of [['tcp', alone4, port], ['tcp6', alone6, port6]] as const) {
        const t = tableOf(both, name);
        const pick = (x: RawInetTable) => { const all = rowsOf(x); return ours(x, p).map((i) => all[i]!); };
        const a = pick(t);
        const b = pick(alone);
        expect(a.length, name).toBe(5);
        // The same sockets in the same order, with the same values (the byte counters stay put).
        expect(a.map((r) => r.cookie), name).toEqual(b.map((r) => r.cookie));
        const strip = (r: Row) => ({ ...r, mem: [...r.mem.entries()].filter(([k]) => !['rmemAlloc', 'wmemAlloc', 'fwdAlloc', 'wmemQueued'].includes(k)), info: r.info === null ? null : ['bytesAcked', 'bytesReceived', 'bytesRetrans'].map((k) => r.info!.get(k)) });
        expect(a.map(strip), name).toEqual(b.map(strip));
        // Every row of a family's table is of that family.
        const fam = new Uint8Array(t.buffer, inetLayout(t.capacity).family, t.count);
        expect(fam.every((f) => f === (name === 'tcp' ? 4 : 6)), name).toBe(true);
      }
    }
  });

  it('oneTcpDump, fewer than 4,096 TCP sockets (sockstat), or too few workers for two dumps and the owners, sends one request of the older kind (TCPDIAG_GETSOCK) for both; else one per file', () => {
    const missing = ensureDebianPackage('/usr/bin/strace', 'strace');
    if (missing) throw new Error(missing);
    // In a network namespace of its own (unshare -n): the script first opens `listeners` listening
    // sockets there (on 0.0.0.0: its loopback is down), which sockstat counts, then samples.
    // `threads`: the addon's setThreads() in that process (0: its CPUs).
    const types = (files: string[], oneTcpDump?: boolean, listeners = 0, extra: Partial<SampleRequest> = {}, threads = 0) => {
      const asked = request(files, { extensions: 1, ...(oneTcpDump === undefined ? {} : { oneTcpDump }), ...extra });
      const script = `const net = require('node:net');
        let up = 0;
        const addon = require(${JSON.stringify(loaded.ok ? loaded.path : '')});
        const go = () => { addon.setThreads(${threads}); addon.sample(${JSON.stringify(asked)}); process.exit(0); };
        if (${listeners} === 0) go();
        for (let i = 0; i < ${listeners}; i++) net.createServer().listen({ port: 0, host: '0.0.0.0' }, () => { if (++up === ${listeners}) go(); }).on('error', (e) => { console.error(e.message); process.exit(3); });`;
      const out = path.join(fs.mkdtempSync('/tmp/netsnap-strace-'), 'trace');
      const r = spawnSync('strace', ['-f', '-qq', '-e', 'trace=sendmsg', '-o', out, 'unshare', '-n', process.execPath, '-e', script], { encoding: 'utf8', timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const trace = fs.readFileSync(out, 'utf8');
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      return (trace.match(/nlmsg_type=[A-Z_0-9x]+/g) ?? []).sort();
    };
    expect(types(['tcp', 'tcp6', 'udp'], true)).toEqual(['nlmsg_type=0x12', 'nlmsg_type=0x14']);
    expect(types(['tcp', 'tcp6', 'udp'])).toEqual(['nlmsg_type=0x12', 'nlmsg_type=0x14']);
    expect(types(['tcp', 'tcp6', 'udp'], false, 4095)).toEqual(['nlmsg_type=0x12', 'nlmsg_type=0x14']);
    const one = ['nlmsg_type=0x12', 'nlmsg_type=0x14'];
    const three = ['nlmsg_type=0x14', 'nlmsg_type=0x14', 'nlmsg_type=0x14'];
    // A table of 4,096: two dumps when two workers can run them side by side (one CPU: one dump).
    expect(types(['tcp', 'tcp6', 'udp'], false, 4096)).toEqual(os.availableParallelism() >= 2 ? three : one);
    expect(types(['tcp', 'tcp6', 'udp'], false, 4096, {}, 2)).toEqual(three);
    expect(types(['tcp', 'tcp6', 'udp'], false, 4096, {}, 1)).toEqual(one);
    // With the owners: two dumps only when the scan has a third worker.
    expect(types(['tcp', 'tcp6', 'udp'], false, 4096, { owners: true }, 2)).toEqual(one);
    expect(types(['tcp', 'tcp6', 'udp'], false, 4096, { owners: true }, 3)).toEqual(three);
    expect(types(['tcp', 'udp'], true)).toEqual(['nlmsg_type=0x14', 'nlmsg_type=0x14']);
    expect(() => addon.sample(request(['tcp'], { oneTcpDump: 1 as unknown as boolean }))).toThrow(/oneTcpDump must be a boolean/);
  });
});

describe('no silent /proc rows when extensions or a namespace are asked (native)', () => {
  it('extensions for a netDir of another namespace without netns: ENOTSUP from netlink; unix still read', () => {
    const s = addon.sample({ ...request(['tcp', 'udp', 'unix'], { extensions: 3 }), netDir: `${BASIC}/net`, procRoot: BASIC });
    for (const f of s.files.slice(0, 2)) expect([f.name, f.source, f.error, f.table]).toEqual([f.name, 'netlink', 'ENOTSUP', null]);
    expect(s.files[2]!.source).toBe('proc');
    expect(s.files[2]!.error).toBeNull();
    // Without extensions that stays the silent /proc read it always was.
    const plain = addon.sample({ ...request(['tcp']), netDir: `${BASIC}/net`, procRoot: BASIC });
    expect(plain.files[0]!.source).toBe('proc');
    // And extensions with source 'proc' are not asked of anyone.
    const proc = addon.sample(request(['tcp'], { source: 'proc', extensions: 3 }));
    expect(proc.files[0]!.source).toBe('proc');
    expect(proc.files[0]!.table).not.toHaveProperty('ext');
  });

  it('a netns that cannot be used is each inet file\'s error, with source netlink', async () => {
    const cases: Array<[string, string]> = [['/nonexistent/ns/net', 'ENOENT'], ['/proc/self/ns/mnt', 'EINVAL'], ['', 'ENOENT']];
    for (const [netns, code] of cases) {
      for (const s of [addon.sample(request(['tcp', 'udp6', 'unix'], { netns })), await addon.sampleAsync(request(['tcp', 'udp6', 'unix'], { netns }))]) {
        expect(s.files.map((f) => [f.source, f.error]), netns).toEqual([['netlink', code], ['netlink', code], ['proc', null]]);
      }
    }
  });

  it('the own namespace through netns: the same sockets (root), or EPERM without CAP_SYS_ADMIN', () => {
    const s = addon.sample(request(['tcp'], { netns: '/proc/self/ns/net', extensions: 3 }));
    if (process.geteuid?.() !== 0) {
      expect(s.files[0]!.error).toBe('EPERM');
      return;
    }
    const t = tableOf(s, 'tcp');
    const own = tableOf(addon.sample(request(['tcp'])), 'tcp');
    // Other processes open and close sockets meanwhile: listeners are stable enough to compare.
    const listeners = (x: RawInetTable) => rowsOf(x).filter((r) => r.state === 10).map((r) => r.inode).sort();
    expect(listeners(t)).toEqual(listeners(own));
  });

  it('rejects bad extensions and netns with a TypeError', async () => {
    for (const extensions of [-1, 4, 1.5, Number.NaN, '1', null]) {
      expect(() => addon.sample(request(['tcp'], { extensions: extensions as number })), String(extensions)).toThrow(TypeError);
      await expect(addon.sampleAsync(request(['tcp'], { extensions: extensions as number }))).rejects.toThrow(TypeError);
    }
    for (const netns of [1, null, {}, '/proc/self/ns/net\0x']) {
      expect(() => addon.sample(request(['tcp'], { netns: netns as string })), String(netns)).toThrow(TypeError);
    }
  });
});

// Another network namespace, made for this run (root and `ip netns` needed).
const NS = `netsnap-ns-${process.pid}-ext`;
function ip(args: string[]) {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stderr: r.stderr ?? '' };
}
const canUseNetns = process.geteuid?.() === 0 && spawnSync('ip', ['netns', 'list'], { timeout: 10_000 }).status === 0;

const HOLDER = `
import os, socket, sys
l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(3)
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
c.sendall(b"x" * 300); a.recv(300)
print(os.getpid(), l.getsockname()[1], c.getsockname()[1], flush=True)
sys.stdin.read()
`;

describe.skipIf(!canUseNetns)('netlink dumps of another network namespace (root, ip netns)', () => {
  let child: ChildProcess | null = null;
  let pid = 0;
  let port = 0;
  let clientPort = 0;

  beforeAll(async () => {
    ip(['netns', 'del', NS]);
    const r = ip(['netns', 'add', NS]);
    if (r.status !== 0) throw new Error(`ip netns add ${NS}: ${r.stderr}`);
    ip(['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']);
    const c = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', HOLDER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child = c;
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      c.stdout!.setEncoding('utf8');
      c.stdout!.on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n')) resolve(buf);
      });
      c.on('exit', (code) => reject(new Error(`holder exited (${code})`)));
    });
    [pid, port, clientPort] = line.trim().split(/\s+/).map(Number) as [number, number, number];
  });

  afterAll(() => {
    child?.stdin!.end();
    child?.kill();
    ip(['netns', 'del', NS]);
  });

  it('sees exactly that namespace\'s sockets, by /run/netns/NAME and by /proc/PID/ns/net, with extensions', async () => {
    for (const netns of [`/run/netns/${NS}`, `/proc/${pid}/ns/net`]) {
      for (const s of [addon.sample(request(['tcp', 'tcp6'], { netns, extensions: 3 })), await addon.sampleAsync(request(['tcp', 'tcp6'], { netns }))]) {
        const rows = rowsOf(tableOf(s, 'tcp'));
        expect(rows.map((r) => `${r.state}:${r.localPort}:${r.remotePort}`).sort(), netns).toEqual(
          [`10:${port}:0`, `1:${clientPort}:${port}`, `1:${port}:${clientPort}`].sort());
        expect(tableOf(s, 'tcp6').count).toBe(0);
        const client = rows.find((r) => r.localPort === clientPort)!;
        if (client.info) expect(client.info.get('bytesSent')).toBe(300);
      }
    }
    // No thread of this process moved: Node's and the libuv pool's are all where the process is.
    const mineNs = fs.readlinkSync('/proc/self/ns/net');
    expect(mineNs).not.toBe(fs.readlinkSync(`/proc/${pid}/ns/net`));
    for (const task of fs.readdirSync('/proc/self/task')) {
      expect(fs.readlinkSync(`/proc/self/task/${task}/ns/net`), `thread ${task}`).toBe(mineNs);
    }
    const own = rowsOf(tableOf(addon.sample(request(['tcp'])), 'tcp'));
    expect(own.some((r) => r.localPort === port && r.remotePort === clientPort)).toBe(false);
  });

  it('an unprivileged caller gets EPERM for it, with source netlink, and no /proc rows', () => {
    const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
    const code = `const a = require(${JSON.stringify(loaded.path)});
      const s = a.sample({ netDir: '/proc/net', files: ['tcp', 'unix'], owners: false, procRoot: '/proc', littleEndian: true, source: 'netlink', netns: ${JSON.stringify(`/run/netns/${NS}`)}, extensions: 3 });
      console.log(JSON.stringify(s.files.map((f) => [f.name, f.source, f.error, f.table === null])));`;
    const r = spawnSync('setpriv', [...NOBODY, process.execPath, '-e', code], { encoding: 'utf8', timeout: 30_000 });
    if (r.status !== 0 && /Cannot find module|EACCES|permission denied/i.test(r.stderr)) return; // the addon is not readable by nobody here
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual([['tcp', 'netlink', 'EPERM', true], ['unix', 'proc', null, false]]);
  });
});
