// The addon's numeric netstat rows (Backend.formatInetRows, native/format.cc, which the command line
// uses for -tan, -tuna, -tanp and the like) are byte for byte what writeInetRow writes: on generated
// tables of every kind (IPv4, IPv6 with each shape of zero run, IPv4-mapped and -compatible, ports 0,
// any state byte, the largest queues, owners with names of any bytes, cut and uncut), for -a, -l and
// neither, with and without -W and -p, across the formatter's chunks, with owner indexes big enough
// for its lookup table and calls big enough to be cut among workers; and on every fixture tree's
// tables. Bad columns, or too small an output buffer, are a TypeError, never a read or write past them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { collectText } from '../../src/bytes/writer';
import { inetRowShown, writeInetRow, writeInetRowsFast, type NetstatListingOptions } from '../../src/format/netstat';
import { InetTable, OwnerIndex } from '../../src/model/columns';
import { FORMAT_ROW_MAX, inetLayout, type InetProto, type InetRowFormat, type RawOwners } from '../../src/model/contract';
import { snapshot } from '../../src/backends/snapshot';
import { Gen, rng } from '../helpers/generate';

const loaded = loadNative();
const format = loaded.ok ? loaded.backend.formatInetRows : undefined;
// setThreads, the addon's test hook (not part of Backend): the workers formatInetRows cuts its rows among.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = (loaded.ok ? require(loaded.path) : { setThreads: () => undefined }) as { setThreads(n: number): void };

function emptyTable(proto: InetProto, file: string, n: number): InetTable {
  const raw = { buffer: new ArrayBuffer(inetLayout(n).byteLength), capacity: n, count: n, problems: new Uint32Array(0) };
  return new InetTable(proto, file, raw);
}

/** An IPv6 address of one of the shapes inet_ntop prints differently. */
function v6(g: Gen, out: Uint8Array, at: number): void {
  const words = new Array<number>(8).fill(0);
  switch (g.int(7)) {
    case 0: break; // ::
    case 1: words[7] = 1; break; // ::1
    case 2: words[5] = 0xffff; words[6] = g.int(65536); words[7] = g.int(65536); break; // ::ffff:a.b.c.d
    case 3: words[6] = 1 + g.int(65535); words[7] = g.int(65536); break; // ::a.b.c.d
    case 4: { // one zero run of any length anywhere
      for (let i = 0; i < 8; i++) words[i] = 1 + g.int(65535);
      const start = g.int(8);
      const len = 1 + g.int(8 - start);
      for (let i = start; i < start + len; i++) words[i] = 0;
      break;
    }
    case 5: for (let i = 0; i < 8; i++) words[i] = g.next() < 0.4 ? 0 : g.pick([1, 0xf, 0xff, 0xfff, 0xffff, g.int(65536)]); break;
    default: for (let i = 0; i < 8; i++) words[i] = g.int(65536);
  }
  for (let i = 0; i < 8; i++) {
    out[at + 2 * i] = words[i]! >> 8;
    out[at + 2 * i + 1] = words[i]! & 0xff;
  }
}

function generated(seed: number, proto: InetProto, n: number): { t: InetTable; owners: OwnerIndex } {
  const g = new Gen(rng(seed));
  const file = g.next() < 0.5 ? proto : `${proto}6`;
  const t = emptyTable(proto, file, n);
  for (let i = 0; i < n; i++) {
    const fam = g.next() < 0.02 ? g.pick([0, 2, 10]) : g.next() < 0.5 ? 4 : 6;
    t.family[i] = fam;
    for (const a of [t.localAddr, t.remoteAddr]) {
      if (fam === 4) for (let k = 0; k < 4; k++) a[16 * i + k] = g.next() < 0.3 ? g.pick([0, 127, 255]) : g.int(256);
      else if (g.next() < 0.2) a.fill(0, 16 * i, 16 * i + 16);
      else v6(g, a, 16 * i);
    }
    t.localPort[i] = g.next() < 0.2 ? 0 : g.int(65536);
    t.remotePort[i] = g.next() < 0.3 ? 0 : g.int(65536);
    t.state[i] = g.next() < 0.7 ? g.pick([1, 7, 10, 6]) : g.int(256);
    t.rxQueue[i] = g.next() < 0.5 ? 0 : g.pick([1, 999999, 1000000, 4294967295, g.int(4294967296)]);
    t.txQueue[i] = g.next() < 0.5 ? 0 : g.pick([1, 999999, 1000000, 4294967295, g.int(4294967296)]);
    t.inode[i] = g.next() < 0.1 ? 0 : 1000 + g.int(50_000);
  }
  // Owners: some inodes held by one or more processes (sorted by inode, pid, fd); some pids without a
  // process record; names of any length and any bytes.
  const entries: Array<[number, number, number]> = [];
  for (let i = 0; i < n; i++) {
    if (t.inode[i] === 0 || g.next() < 0.3) continue;
    for (let k = 1 + g.int(g.next() < 0.1 ? 3 : 1); k > 0; k--) entries.push([t.inode[i]!, 1 + g.int(g.next() < 0.1 ? 4194304 : 2000), g.int(1000)]);
  }
  entries.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const pids = [...new Set(entries.map((e) => e[1]))].filter(() => g.next() < 0.9).sort((a, b) => a - b);
  const names: number[][] = pids.map(() => Array.from({ length: g.int(g.next() < 0.2 ? 60 : 16) }, () => (g.next() < 0.1 ? g.int(256) : 97 + g.int(26))));
  const strings = new Uint8Array(names.reduce((s, x) => s + x.length, 0));
  const nameStart = new Uint32Array(pids.length);
  const nameLen = new Uint32Array(pids.length);
  let at = 0;
  names.forEach((x, p) => {
    nameStart[p] = at;
    nameLen[p] = x.length;
    strings.set(x, at);
    at += x.length;
  });
  const raw: RawOwners = {
    inodes: Float64Array.from(entries.map((e) => e[0])), pids: Int32Array.from(entries.map((e) => e[1])), fds: Int32Array.from(entries.map((e) => e[2])),
    procPids: Int32Array.from(pids), procUids: new Uint32Array(pids.length), nameStart, nameLen, commStart: nameStart, commLen: nameLen, strings,
    pidsScanned: pids.length, pidsVanished: 0, pidsDenied: 0, socketFds: entries.length,
  };
  return { t, owners: new OwnerIndex(raw) };
}

const SHOWS: Array<[InetRowFormat['show'], Partial<NetstatListingOptions>]> = [['all', { all: true }], ['servers', { listening: true }], ['others', {}]];

/** writeInetRow's bytes and the addon's, for one table and one set of options. */
function both(t: InetTable, owners: OwnerIndex | null, show: InetRowFormat['show'], o: NetstatListingOptions): [string, string] {
  const js = collectText((w) => {
    for (let i = 0; i < t.count; i++) if (inetRowShown(t, i, o)) writeInetRow(w, t, i, o, owners);
  });
  let used = false;
  const fast = collectText((w) => {
    used = writeInetRowsFast(w, t, o, show, owners, format);
  });
  expect(used).toBe(true);
  return [js, fast];
}

const listing = (extra: Partial<NetstatListingOptions>): NetstatListingOptions => ({
  all: false, listening: false, extend: false, programs: false, timers: false, wide: false,
  numericHosts: true, numericPorts: true, numericUsers: true, ...extra,
});

describe.runIf(format !== undefined)('the addon\'s numeric netstat rows (native)', () => {
  it('are writeInetRow\'s bytes on generated tables of every protocol, -a/-l/neither, -W and -p', () => {
    let rows = 0;
    for (let seed = 1; seed <= 24; seed++) {
      const proto = (['tcp', 'udp', 'udplite', 'raw'] as const)[seed % 4]!;
      const { t, owners } = generated(seed, proto, 400 + seed * 37);
      for (const [show, flags] of SHOWS) {
        for (const wide of [false, true]) {
          for (const programs of [false, true]) {
            const [js, fast] = both(t, programs ? owners : null, show, listing({ ...flags, wide, programs }));
            expect(fast).toBe(js);
            rows += fast.split('\n').length - 1;
          }
        }
      }
    }
    expect(rows).toBeGreaterThan(10_000);
  });

  it('gives the same bytes across its chunks (more rows than one call takes) and with -p but no owner index', () => {
    const { t } = generated(99, 'tcp', 40_000);
    const [js, fast] = both(t, null, 'all', listing({ all: true, programs: true }));
    expect(fast.length).toBeGreaterThan(40_000 * 80);
    expect(fast).toBe(js);
  });

  it('gives the same bytes with a hundred thousand owners, whatever the workers: the lookup table and the parts', () => {
    // The shape of a busy server's listing: as many owner entries as rows, inodes from one counter with
    // gaps, some rows with no owner, some inodes held twice, and a few inodes far outside the rest
    // (so that the table's ranges are uneven). The call is cut into parts, one per worker, above
    // 8,192 rows each.
    const { t } = generated(7, 'tcp', 100_000);
    const g = new Gen(rng(77));
    let next = 5_000_000;
    const entries: Array<[number, number]> = [];
    for (let i = 0; i < t.count; i++) {
      next += 1 + (g.next() < 0.05 ? g.int(5000) : 0);
      t.inode[i] = g.next() < 0.002 ? 2 ** 40 + g.int(1000) : g.next() < 0.001 ? 1 + g.int(1000) : next;
      if (g.next() < 0.1) continue; // a socket no process holds (or none readable)
      entries.push([t.inode[i]!, 100 + g.int(3000)]);
      if (g.next() < 0.02) entries.push([t.inode[i]!, 100 + g.int(3000)]); // held by two processes
    }
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const procPids = Int32Array.from([...new Set(entries.map((e) => e[1]))].sort((a, b) => a - b));
    const strings = new Uint8Array(Buffer.from('nginx'));
    const raw: RawOwners = {
      inodes: Float64Array.from(entries.map((e) => e[0])), pids: Int32Array.from(entries.map((e) => e[1])), fds: new Int32Array(entries.length),
      procPids, procUids: new Uint32Array(procPids.length), nameStart: new Uint32Array(procPids.length), nameLen: new Uint32Array(procPids.length).fill(5),
      commStart: new Uint32Array(procPids.length), commLen: new Uint32Array(procPids.length).fill(5), strings,
      pidsScanned: procPids.length, pidsVanished: 0, pidsDenied: 0, socketFds: entries.length,
    };
    const owners = new OwnerIndex(raw);
    const o = listing({ all: true, programs: true });
    const [js, serial] = ((): [string, string] => {
      addon.setThreads(1);
      try {
        return both(t, owners, 'all', o);
      } finally {
        addon.setThreads(0);
      }
    })();
    expect(serial).toBe(js);
    expect(js.split('\n').length - 1).toBe(100_000);
    expect(js).toContain('/nginx');
    expect(js.match(/ - {19}\n/g)?.length).toBeGreaterThan(5_000);
    for (const threads of [2, 3, 4, 0]) {
      addon.setThreads(threads);
      try {
        expect(both(t, owners, 'all', o)[1], `setThreads(${threads})`).toBe(js);
        expect(both(t, owners, 'others', listing({ programs: true }))[1]).toBe(both(t, owners, 'others', listing({ programs: true }))[0]);
      } finally {
        addon.setThreads(0);
      }
    }
  });

  it('takes the owner lookup table made once (ownerLookup) when it fits the inodes, and makes its own when not', () => {
    const { t, owners } = generated(11, 'tcp', 3000);
    const raw = owners.raw;
    expect(raw.inodes.length).toBeGreaterThan(1000);
    const hooks = addon as unknown as { ownerLookup(inodes: Float64Array): { starts: Uint32Array; lo: number; shift: number } | null; formatInetRows: (...a: unknown[]) => number };
    const table = hooks.ownerLookup(raw.inodes)!;
    expect(table.lo).toBe(raw.inodes[0]);
    expect(table.starts[0]).toBe(0);
    expect(table.starts[table.starts.length - 1]).toBe(raw.inodes.length);
    // Not sorted whole numbers: no table.
    expect(hooks.ownerLookup(Float64Array.from([3, 2, 1]))).toBeNull();
    expect(hooks.ownerLookup(Float64Array.from([1.5, 2]))).toBeNull();
    expect(hooks.ownerLookup(new Float64Array(0))).toBeNull();
    expect(() => hooks.ownerLookup(new Float32Array(4) as never)).toThrow(/Float64Array/);
    const cols = {
      family: t.family, state: t.state, localAddr: t.localAddr, remoteAddr: t.remoteAddr, localPort: t.localPort,
      remotePort: t.remotePort, txQueue: t.txQueue, rxQueue: t.rxQueue, inode: t.inode,
    };
    const f: InetRowFormat = { label: Buffer.from('tcp   '), stateCells: new Uint8Array(256 * 16).fill(11), proto: 'tcp', show: 'all', wide: false };
    const out = new Uint8Array(t.count * (6 + FORMAT_ROW_MAX));
    const text = (lookup?: unknown) => Buffer.from(out.subarray(0, hooks.formatInetRows(cols, t.count, f, raw, out, lookup))).toString('latin1');
    const plain = text();
    // (Names here hold any bytes, newlines too: lengths, not lines.)
    expect(plain.length).toBeGreaterThan(t.count * 80);
    // The same bytes as the rows formatted one call per row (each a binary search: too few rows for a table).
    const rowByRow: string[] = [];
    for (let i = 0; i < t.count; i++) {
      const one = { ...cols };
      for (const k of Object.keys(one) as Array<keyof typeof one>) one[k] = (cols[k].subarray((k === 'localAddr' || k === 'remoteAddr' ? 16 : 1) * i) as never);
      rowByRow.push(Buffer.from(out.subarray(0, hooks.formatInetRows(one, 1, f, raw, out))).toString('latin1'));
    }
    expect(plain).toBe(rowByRow.join(''));
    expect(text(table)).toBe(plain);
    // A table of other inodes (another bound, another length) is not taken; junk in its place neither.
    const other = hooks.ownerLookup(Float64Array.from(raw.inodes, (x) => x + 7))!;
    expect(text(other)).toBe(plain);
    expect(text({ starts: table.starts.subarray(1), lo: table.lo, shift: table.shift })).toBe(plain);
    expect(text({ starts: table.starts, lo: table.lo, shift: 99 })).toBe(plain);
    expect(text({ starts: [1, 2], lo: table.lo, shift: table.shift })).toBe(plain);
    expect(text({ lo: -1 })).toBe(plain);
    expect(text(7)).toBe(plain);
    // Starts that point past the entries (a table tampered with) are cut to them: wrong owners at
    // worst, never a read outside the arrays (the sanitized suite runs this too).
    const wild = { starts: table.starts.map(() => 0xffffffff), lo: table.lo, shift: table.shift };
    expect(text(wild).length).toBeGreaterThan(t.count * 80);
  });

  it('are writeInetRow\'s bytes on every fixture tree\'s tables', () => {
    const root = path.resolve(__dirname, '../../fixtures');
    let tables = 0;
    for (const dir of fs.readdirSync(root)) {
      const procRoot = path.join(root, dir, 'proc');
      if (!fs.existsSync(path.join(procRoot, 'net', 'tcp'))) continue;
      const snap = snapshot({ protocols: ['tcp', 'udp', 'udplite', 'raw'], owners: true, procRoot, backend: 'native' });
      for (const t of snap.inet) {
        for (const [show, flags] of SHOWS) {
          const [js, fast] = both(t, snap.owners, show, listing({ ...flags, programs: true }));
          expect(fast).toBe(js);
        }
        tables++;
      }
    }
    expect(tables).toBeGreaterThan(10);
  });

  it('is not used where it does not apply: names, -e, -o, escaping, or no addon', () => {
    const { t, owners } = generated(5, 'tcp', 10);
    for (const extra of [{ numericHosts: false, names: {} as never }, { numericHosts: false }, { numericPorts: false, names: {} as never }, { extend: true }, { timers: true }, { escape: true }]) {
      const w = { bytes: () => { throw new Error('written'); } } as never;
      expect(writeInetRowsFast(w, t, listing(extra), 'all', owners, format)).toBe(false);
    }
    expect(writeInetRowsFast({} as never, t, listing({}), 'all', owners, undefined)).toBe(false);
  });

  it('throws a TypeError for columns shorter than the rows asked, bad owners or a bad format, and reads nothing past them', () => {
    const { t, owners } = generated(7, 'tcp', 50);
    const cols = {
      family: t.family, state: t.state, localAddr: t.localAddr, remoteAddr: t.remoteAddr, localPort: t.localPort,
      remotePort: t.remotePort, txQueue: t.txQueue, rxQueue: t.rxQueue, inode: t.inode,
    };
    const f: InetRowFormat = { label: Buffer.from('tcp   '), stateCells: new Uint8Array(256 * 16).fill(11), proto: 'tcp', show: 'all', wide: false };
    const out = new Uint8Array(50 * (6 + FORMAT_ROW_MAX));
    expect(format!(cols, 50, f, null, out)).toBeGreaterThan(50 * 60);
    expect(format!(cols, 0, f, null, new Uint8Array(0))).toBe(0);
    const bad = (c: object, n: number, fo: object, o: unknown, into: unknown = out) => () => format!(c as never, n, fo as never, o as never, into as never);
    expect(bad(cols, 50, f, null, out.subarray(1))).toThrow(/out/);
    expect(bad(cols, 50, f, null, new Uint16Array(out.length))).toThrow(/out/);
    expect(bad(cols, 50, f, null, null)).toThrow(/out/);
    expect(bad(cols, 51, f, null)).toThrow(TypeError);
    expect(bad({ ...cols, localAddr: t.localAddr.subarray(0, 16 * 49) }, 50, f, null)).toThrow(/localAddr/);
    expect(bad({ ...cols, inode: new Float32Array(50) }, 50, f, null)).toThrow(/inode/);
    expect(bad({ ...cols, state: undefined }, 50, f, null)).toThrow(/state/);
    expect(bad(cols, 1.5, f, null)).toThrow(TypeError);
    expect(bad(cols, -1, f, null)).toThrow(TypeError);
    expect(bad(cols, 50, { ...f, stateCells: new Uint8Array(10) }, null)).toThrow(/stateCells/);
    expect(bad(cols, 50, { ...f, proto: 'sctp' }, null)).toThrow(/proto/);
    expect(bad(cols, 50, { ...f, show: 'some' }, null)).toThrow(/show/);
    expect(bad(cols, 50, { ...f, label: new Uint8Array(65) }, null)).toThrow(/label/);
    const raw = owners.raw;
    expect(bad(cols, 50, f, { ...raw, nameLen: Uint32Array.from(raw.nameLen, (x) => x + raw.strings.length + 1) })).toThrow(/outside/);
    expect(bad(cols, 50, f, { ...raw, pids: raw.pids.subarray(0, Math.max(0, raw.pids.length - 1)) })).toThrow(/pids/);
    expect(bad(cols, 50, f, { ...raw, nameStart: new Uint32Array(0) })).toThrow(/nameStart/);
    expect(bad(cols, 50, f, 7)).toThrow(/owners/);
    // A getter that detaches a column's buffer on the way is met before any data pointer is taken.
    const family = new Uint8Array(t.family);
    const sly = { ...cols, family };
    Object.defineProperty(sly, 'inode', { enumerable: true, get: () => { structuredClone(family.buffer, { transfer: [family.buffer] }); return t.inode; } });
    expect(bad(sly, 50, f, null)).toThrow(/family is shorter/);
    expect(family.length).toBe(0);
    // Raw tables need no state cells.
    expect(format!(cols, 50, { ...f, proto: 'raw', stateCells: new Uint8Array(0) }, owners.raw, out)).toBeGreaterThan(50 * 80);
  });
});
