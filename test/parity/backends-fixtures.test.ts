// The native and TypeScript backends must fill identical bytes for identical input.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { parseSocketLinkText } from '../../src/owners/fd_link';
import { loadNative } from '../../src/backends/native';
import type { Backend, RawInetTable, RawOwners, RawSample, RawUnixTable } from '../../src/model/contract';
import { InetTable, UnixTable } from '../../src/model/columns';
import { inetLayout, rowCapacity, unixLayout } from '../../src/model/contract';
import { sample, snapshot } from '../../src/backends/snapshot';
import { FIXTURES, BASIC } from '../helpers/env';
import { bytes, sameTable } from '../helpers/parity';
import { file, Gen, rng } from '../helpers/generate';
import { addProcess, HEADER, HOSTILE_FILES, hostileInputs, line, procTree } from '../helpers/hostile';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
const native: Backend = loaded.backend;
const js: Backend = jsBackend;

function sameOwners(a: RawOwners, b: RawOwners) {
  for (const k of ['inodes', 'pids', 'fds', 'procPids', 'procUids', 'nameStart', 'nameLen', 'commStart', 'commLen', 'strings'] as const) {
    expect(a[k].constructor, k).toBe(b[k].constructor);
    expect(bytes(a[k]).equals(bytes(b[k])), k).toBe(true);
  }
  for (const k of ['pidsScanned', 'pidsVanished', 'pidsDenied', 'socketFds'] as const) expect(a[k], k).toBe(b[k]);
}

function sameSample(a: RawSample, b: RawSample) {
  expect(a.files.map((f) => [f.name, f.source, f.error])).toEqual(b.files.map((f) => [f.name, f.source, f.error]));
  a.files.forEach((f, i) => {
    const g = b.files[i]!;
    if (f.table && g.table) sameTable(f.table, g.table, f.name);
    else expect(f.table).toBe(g.table);
  });
  if (a.owners && b.owners) sameOwners(a.owners, b.owners);
  else expect(a.owners).toBe(b.owners);
}

const PROTO: Record<string, 'tcp' | 'udp' | 'udplite' | 'raw' | 'unix'> = {
  tcp: 'tcp', tcp6: 'tcp', udp: 'udp', udp6: 'udp', udplite: 'udplite', udplite6: 'udplite', raw: 'raw', raw6: 'raw', unix: 'unix',
};

function fixtureFiles(): string[] {
  const out: string[] = [];
  for (const set of fs.readdirSync(FIXTURES)) {
    const dir = path.join(FIXTURES, set, 'proc', 'net');
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir)) if (PROTO[f]) out.push(path.join(dir, f));
  }
  return out;
}

function parseBoth(data: Uint8Array, name: string, littleEndian: boolean, what: string) {
  const proto = PROTO[name]!;
  if (proto === 'unix') sameTable(native.parseUnix(data), js.parseUnix(data), what);
  else sameTable(native.parseInet(data, proto, littleEndian), js.parseInet(data, proto, littleEndian), what);
}

describe('native and TypeScript backends agree byte for byte', () => {
  it('on every fixture file, both endiannesses', () => {
    const files = fixtureFiles();
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const r = js.readProcFile(f);
      const n = native.readProcFile(f);
      if (!r.ok || !n.ok) throw new Error(`cannot read ${f}`);
      expect(bytes(n.bytes).equals(bytes(r.bytes))).toBe(true);
      for (const le of [true, false]) parseBoth(r.bytes, path.basename(f), le, `${f} le=${le}`);
    }
  });

  it('on the hostile inputs of issue #6 (test/helpers/hostile.ts), parsed and sampled, both endiannesses', () => {
    for (const file of HOSTILE_FILES) {
      const inputs = hostileInputs(file);
      for (const [what, data] of inputs) for (const le of [true, false]) parseBoth(data, file, le, `${file} ${what} le=${le}`);
      // The whole sample path (read + parse) on the same bytes written to files.
      const root = procTree(Object.fromEntries(inputs.map(([what, data], i) => [`${file}-${i}`, data])));
      try {
        for (const [i] of inputs.entries()) {
          fs.renameSync(path.join(root, 'net', `${file}-${i}`), path.join(root, 'net', file));
          const request = { netDir: path.join(root, 'net'), files: [file], owners: false, procRoot: root, littleEndian: true, source: 'proc' as const };
          sameSample(native.sample(request), js.sample(request));
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
  });

  it('on hostile owner trees: links that are not sockets, duplicate and zero inodes, pids without fd', () => {
    const root = procTree({});
    try {
      addProcess(root, 100, { 3: 'socket:[5000]', 4: 'socket:[0]', 5: 'socket:[5000]' }, 'dup');
      addProcess(root, 200, {
        0: 'pipe:[5000]', 1: 'anon_inode:[eventfd]', 2: '/dev/null', 3: '/tmp/socket:[5000]', 4: 'socket:[5000] (deleted)',
        5: '/nonexistent/dangling', 6: 'socket:[]', 7: 'socket:[-1]', 8: 'socket:[99999999999999999999]', 9: '[0000]:5000x',
      }, 'decoy');
      fs.writeFileSync(path.join(root, '200', 'fd', '10'), 'socket:[5000]');
      fs.mkdirSync(path.join(root, '300'));
      sameOwners(native.scanOwners(root), js.scanOwners(root));
      sameOwners(native.scanOwners(path.join(root, 'nonexistent')), js.scanOwners(path.join(root, 'nonexistent')));
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('streamed (sample, 1 MiB chunks) and in memory (parseInet/parseUnix) give identical tables on multi-chunk files', () => {
    const g = new Gen(rng(66));
    const root = procTree({});
    try {
      for (const f of HOSTILE_FILES) {
        // ~3.5 MiB: valid lines, broken ones, CRLF, an overlong line across a chunk boundary, and
        // for unix long paths; no final newline on half of the rounds.
        for (const round of [0, 1]) {
          const parts: string[] = [HEADER[f]];
          let size = HEADER[f].length;
          let n = 0;
          while (size < 3.5 * 2 ** 20) {
            const r = g.next();
            let l = line(f, 10_000 + n, 1 + (n % 60_000));
            if (r < 0.02) l = l.replace(' ', ' Z');
            else if (r < 0.03) l = l.slice(0, -1) + ' ' + 'p'.repeat(g.int(200_000)) + '\n';
            else if (r < 0.04) l = l.replace('\n', '\r\n');
            else if (f === 'unix' && r < 0.1) l = l.slice(0, -1) + '/' + 'q'.repeat(g.int(5000)) + '\n';
            parts.push(l);
            size += l.length;
            n++;
            if (n === 5000) {
              const big = ' ' + 'z'.repeat(f === 'unix' ? 1_500_000 : 150_000);
              parts.push(line(f, 1, 1).slice(0, -1) + big + '\n');
              size += big.length;
            }
          }
          let text = parts.join('');
          if (round === 1) text = text.slice(0, -1);
          const data = Buffer.from(text, 'latin1');
          fs.writeFileSync(path.join(root, 'net', f), data);
          const request = { netDir: path.join(root, 'net'), files: [f], owners: false, procRoot: root, littleEndian: true, source: 'proc' as const };
          const a = native.sample(request);
          const b = js.sample(request);
          sameSample(a, b);
          const mem = f === 'unix' ? js.parseUnix(data) : js.parseInet(data, PROTO[f] as 'tcp', true);
          sameTable(a.files[0]!.table!, mem, `${f} streamed vs in memory`);
          parseBoth(data, f, true, `${f} in memory`);
          expect(mem.count).toBeGreaterThan(2_000);
          expect(mem.capacity).toBeGreaterThan(rowCapacity(data.subarray(0, 1 << 20))); // it grew
          expect(mem.capacity).toBeGreaterThanOrEqual(mem.count);
          // Reuse: a small earlier table is filled first and left behind on growth; a big one is filled in place.
          for (const backend of [native, js]) {
            const small = backend.sample({ ...request, files: [f], netDir: path.join(FIXTURES, 'basic', 'proc', 'net') }).files[0]!.table!;
            const grown = backend.sample({ ...request, reuse: [small] }).files[0]!.table!;
            sameTable(grown, mem, `${backend.name} ${f} grown past reuse`);
            const big = { ...mem, buffer: mem.buffer.slice(0), capacity: mem.capacity };
            const filled = backend.sample({ ...request, reuse: [big] }).files[0]!.table!;
            expect(filled.buffer).toBe(big.buffer);
            expect(filled.count).toBe(mem.count);
          }
        }
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('on the live /proc/net files of this machine (read once, parsed by both)', () => {
    for (const name of Object.keys(PROTO)) {
      const r = js.readProcFile(`/proc/net/${name}`);
      if (!r.ok) continue;
      for (const le of [true, false]) parseBoth(r.bytes, name, le, `/proc/net/${name} le=${le}`);
    }
  });

  it('on 3,000 generated files of valid and broken lines, both endiannesses', () => {
    const seed = Number(process.env.NETSNAP_PARITY_SEED ?? 20261121);
    const g = new Gen(rng(seed));
    let rows = 0;
    let problems = 0;
    for (let i = 0; i < 3000; i++) {
      const kind = g.pick(['tcp', 'udp', 'unix'] as const);
      const data = file(g, kind, 1 + g.int(12));
      const le = g.next() < 0.5;
      const what = `seed ${seed}, file ${i} (${kind}, le=${le}): ${JSON.stringify(Buffer.from(data).toString('latin1'))}`;
      if (kind === 'unix') {
        const a = native.parseUnix(data);
        sameTable(a, js.parseUnix(data), what);
        rows += a.count;
        problems += a.problems.length / 2;
      } else {
        const a = native.parseInet(data, kind, le);
        sameTable(a, js.parseInet(data, kind, le), what);
        rows += a.count;
        problems += a.problems.length / 2;
      }
    }
    // The generator must exercise both paths, or the loop proves little.
    expect(rows).toBeGreaterThan(5000);
    expect(problems).toBeGreaterThan(3000);
  });

  it('on random bytes', () => {
    const g = new Gen(rng(7));
    for (let i = 0; i < 1000; i++) {
      const data = new Uint8Array(g.int(400));
      for (let j = 0; j < data.length; j++) data[j] = g.next() < 0.2 ? 10 : g.int(256);
      parseBoth(data, g.pick(['tcp', 'udp6', 'unix']), g.next() < 0.5, `random ${i}`);
    }
  });

  it('on fd link targets', () => {
    const links = ['socket:[1]', 'socket:[0]', 'socket:[]', 'socket:[12', 'socket:[9007199254740991]', 'socket:[9007199254740992]',
      '[0000]:77', '[0000]:', 'pipe:[5]', 'socket:[1 ]', '/dev/null', '', 'socket:[00012]', 'anon_inode:[eventfd]'];
    for (const l of links) {
      const b = Buffer.from(l);
      expect(native.parseSocketLink(b), l).toBe(js.parseSocketLink(b));
      expect(parseSocketLinkText(l), l).toBe(js.parseSocketLink(b));
    }
    // The owner scan's text form agrees with the byte form on random links too.
    const g = new Gen(rng(11));
    for (let i = 0; i < 5000; i++) {
      const prefix = g.pick(['socket:[', '[0000]:', 'sock', '']);
      const tail = Array.from({ length: g.int(20) }, () => (g.next() < 0.8 ? String(g.int(10)) : String.fromCharCode(g.int(256)))).join('');
      const l = prefix + tail + (g.next() < 0.7 ? ']' : '');
      const b = Buffer.from(l, 'latin1');
      expect(parseSocketLinkText(l), JSON.stringify(l)).toBe(native.parseSocketLink(b));
    }
    expect(js.parseSocketLink(Buffer.from('socket:[4242]'))).toBe(4242);
    expect(js.parseSocketLink(Buffer.from('[0000]:77'))).toBe(77);
    expect(js.parseSocketLink(Buffer.from('pipe:[5]'))).toBe(-1);
  });

  it('on the owner scan of the fixture tree', () => {
    sameOwners(native.scanOwners(BASIC), js.scanOwners(BASIC));
  });

  it('on whole samples, sync and async, with missing files', async () => {
    const request = {
      netDir: `${BASIC}/net`, procRoot: BASIC, owners: true, littleEndian: true,
      files: ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6', 'unix'],
    };
    const n = native.sample(request);
    sameSample(n, js.sample(request));
    sameSample(await native.sampleAsync(request), n);
    sameSample(await js.sampleAsync(request), n);
    expect(n.files.filter((f) => f.error).map((f) => `${f.name}:${f.error}`)).toEqual(['udplite:ENOENT', 'udplite6:ENOENT', 'raw6:ENOENT']);
  });

  it('on TCP state masks (request.tcpStates), fixtures and generated files, tcp only, without problems for filtered rows', () => {
    const masks = [undefined, 0, 1 << 10, (0xffffffff & ~(1 << 10)) >>> 0, 0xffffffff, 1 << 1 | 1 << 6, 1 << 12, 0x80000000];
    const all = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6', 'unix'];
    for (const tcpStates of masks) {
      const request = { netDir: `${BASIC}/net`, procRoot: BASIC, owners: false, littleEndian: true, files: all, tcpStates };
      const n = native.sample(request);
      sameSample(n, js.sample(request));
      // UDP, RAW and UNIX are never state-filtered.
      const unfiltered = native.sample({ ...request, tcpStates: undefined });
      n.files.forEach((f, i) => {
        if (!f.name.startsWith('tcp')) expect(f.table?.count, f.name).toBe(unfiltered.files[i]!.table?.count);
      });
    }
    // Generated tcp files with valid and broken lines: the same rows and problems in both backends,
    // and the problems do not depend on the mask.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-mask-'));
    try {
      const g = new Gen(rng(5150));
      let kept = 0;
      let dropped = 0;
      for (let i = 0; i < 300; i++) {
        fs.writeFileSync(path.join(dir, 'tcp'), file(g, 'tcp', 1 + g.int(12)));
        const tcpStates = g.next() < 0.2 ? g.int(0x100000000) : g.pick(masks);
        const request = { netDir: dir, procRoot: '/proc', owners: false, littleEndian: g.next() < 0.5, files: ['tcp'], tcpStates };
        const n = native.sample(request);
        sameSample(n, js.sample(request));
        const full = native.sample({ ...request, tcpStates: undefined }).files[0]!.table!;
        const t = n.files[0]!.table!;
        expect(bytes(t.problems).equals(bytes(full.problems))).toBe(true);
        kept += t.count;
        dropped += full.count - t.count;
      }
      expect(kept).toBeGreaterThan(100);
      expect(dropped).toBeGreaterThan(100);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reject bad arguments with TypeErrors', () => {
    expect(() => native.parseInet('x' as never, 'tcp', true)).toThrow(TypeError);
    expect(() => native.parseInet(Buffer.from(''), 'sctp' as never, true)).toThrow(TypeError);
    expect(() => native.scanOwners(5 as never)).toThrow(TypeError);
    expect(() => native.sample({ netDir: '/proc/net', files: ['nope'], owners: false, procRoot: '/proc', littleEndian: true })).toThrow(TypeError);
    expect(() => js.sample({ netDir: '/proc/net', files: ['nope'], owners: false, procRoot: '/proc', littleEndian: true })).toThrow(TypeError);
  });
});

// A table's columns as the views read them (count rows each): equal for equal rows, whatever the
// capacity the columns were laid out for.
const views = (t: RawInetTable | RawUnixTable, unix: boolean) =>
  unix ? new UnixTable(t as RawUnixTable) : new InetTable('tcp', 'tcp', t);
const columns = (t: InetTable | UnixTable) =>
  t instanceof UnixTable
    ? [t.inode, t.refCount, t.protocol, t.flags, t.type, t.state, t.pathLen].map((c) => bytes(c)).concat([...Array(t.count).keys()].map((i) => Buffer.from(t.pathBytes(i))))
    : [t.inode, t.txQueue, t.rxQueue, t.timerJiffies, t.retransmits, t.uid, t.timeout, t.drops, t.localPort, t.remotePort, t.localAddr, t.remoteAddr, t.family, t.state, t.timerKind].map((c) => bytes(c));

describe('reused table memory (the sampler\'s double buffering)', () => {

  it('both backends fill an earlier, larger table in place and show exactly the fresh rows', () => {
    const dir = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'netsnap-reuse-'));
    try {
      const g = new Gen(rng(4242));
      for (let round = 0; round < 40; round++) {
        const kind = g.pick(['tcp', 'unix'] as const);
        const big = file(g, kind, 30 + g.int(20));
        const small = file(g, kind, 1 + g.int(20));
        fs.writeFileSync(path.join(dir, kind), big);
        const request = { netDir: dir, files: [kind], owners: false, procRoot: dir, littleEndian: true };
        for (const b of [native, js]) {
          const first = b.sample(request).files[0]!.table!;
          fs.writeFileSync(path.join(dir, kind), small);
          const again = b.sample({ ...request, reuse: [first] }).files[0]!.table!;
          const fresh = b.sample(request).files[0]!.table!;
          fs.writeFileSync(path.join(dir, kind), big);
          expect(again.buffer, `${b.name} round ${round}`).toBe(first.buffer); // the same memory
          expect(again.count).toBe(fresh.count);
          expect(bytes(again.problems).equals(bytes(fresh.problems))).toBe(true);
          const a = columns(views(again, kind === 'unix'));
          const f = columns(views(fresh, kind === 'unix'));
          a.forEach((col, k) => expect(col.equals(f[k]!), `${b.name} round ${round} column ${k}`).toBe(true));
        }
      }
      // A table too small for the new rows is not reused.
      fs.writeFileSync(path.join(dir, 'tcp'), file(new Gen(rng(1)), 'tcp', 2));
      const request = { netDir: dir, files: ['tcp'], owners: false, procRoot: dir, littleEndian: true };
      for (const b of [native, js]) {
        const tiny = b.sample(request).files[0]!.table!;
        fs.writeFileSync(path.join(dir, 'tcp'), file(new Gen(rng(2)), 'tcp', 40));
        expect(b.sample({ ...request, reuse: [tiny] }).files[0]!.table!.buffer).not.toBe(tiny.buffer);
        fs.writeFileSync(path.join(dir, 'tcp'), file(new Gen(rng(1)), 'tcp', 2));
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('native rejects a malformed reuse list with a TypeError', () => {
    const request = { netDir: '/proc/net', files: ['tcp'], owners: false, procRoot: '/proc', littleEndian: true };
    expect(() => native.sample({ ...request, reuse: [{ buffer: 5, capacity: 1 } as never] })).toThrow(TypeError);
    expect(() => native.sample({ ...request, reuse: [{ buffer: new ArrayBuffer(8), capacity: -1 } as never] })).toThrow(TypeError);
  });
});

describe('trimmed tables (request.trim, as sample() asks)', () => {
  const layoutBytes = (unix: boolean, rows: number) => (unix ? unixLayout(rows) : inetLayout(rows)).byteLength;

  it('native: capacity = count, the buffer exactly that layout, the same rows, problems and paths as untrimmed', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-trim-'));
    try {
      const g = new Gen(rng(777));
      // 0 rows, a few, some hundreds, and one past the first 1 MiB chunk (where the stream grows the table).
      const sizes = [0, 1, 2, 3, 17, 64, 300, 20000];
      for (let round = 0; round < sizes.length * 3; round++) {
        const kind = (['tcp', 'udp', 'unix'] as const)[round % 3]!;
        const lines = sizes[Math.floor(round / 3)]!;
        fs.writeFileSync(path.join(dir, kind), file(g, kind, lines));
        const request = { netDir: dir, files: [kind], owners: false, procRoot: dir, littleEndian: true };
        const unix = kind === 'unix';
        const whole = native.sample(request).files[0]!.table!;
        for (const [how, trimmed] of [
          ['sample', native.sample({ ...request, trim: true }).files[0]!.table!],
          ['sampleAsync', (await native.sampleAsync({ ...request, trim: true })).files[0]!.table!],
        ] as const) {
          const what = `${how} ${kind} ${lines} lines`;
          expect(trimmed.count, what).toBe(whole.count);
          expect(trimmed.capacity, what).toBe(whole.count);
          expect(trimmed.buffer.byteLength, what).toBe(layoutBytes(unix, whole.count));
          expect(bytes(trimmed.problems).equals(bytes(whole.problems)), `${what}: problems`).toBe(true);
          const a = columns(views(trimmed, unix));
          const w = columns(views(whole, unix));
          expect(a.length).toBe(w.length);
          a.forEach((col, k) => expect(col.equals(w[k]!), `${what}: column ${k}`).toBe(true));
        }
        // The untrimmed table has headroom whenever a table is made for more rows than it got.
        if (lines === 20000) expect(whole.capacity).toBeGreaterThan(whole.count);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a table filled in place keeps its buffer and capacity; a bad trim is a TypeError', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-trim-'));
    try {
      const g = new Gen(rng(99));
      fs.writeFileSync(path.join(dir, 'tcp'), file(g, 'tcp', 40));
      const request = { netDir: dir, files: ['tcp'], owners: false, procRoot: dir, littleEndian: true };
      const big = native.sample(request).files[0]!.table!;
      fs.writeFileSync(path.join(dir, 'tcp'), file(g, 'tcp', 5));
      const again = native.sample({ ...request, reuse: [big], trim: true }).files[0]!.table!;
      expect(again.buffer).toBe(big.buffer);
      expect(again.capacity).toBe(big.capacity);
      expect(again.count).toBeLessThan(again.capacity);
      expect(() => native.sample({ ...request, trim: 1 as unknown as boolean })).toThrow(/request\.trim must be a boolean/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sample() asks for trimmed tables; snapshot() keeps the headroom; both read the same rows', async () => {
    const options = { procRoot: BASIC, netDir: path.join(BASIC, 'net'), backend: 'native' as const };
    const [a, b] = [await sample(options), snapshot(options)];
    expect(a.inet.length).toBeGreaterThan(0);
    expect(a.inet.map((t) => t.file)).toEqual(b.inet.map((t) => t.file));
    let headroom = 0;
    a.inet.forEach((t, i) => {
      expect(t.raw.capacity, t.file).toBe(t.raw.count);
      expect(t.raw.buffer.byteLength, t.file).toBe(inetLayout(t.raw.count).byteLength);
      headroom += b.inet[i]!.raw.capacity - b.inet[i]!.raw.count;
      const x = columns(new InetTable('tcp', 'tcp', t.raw));
      const y = columns(new InetTable('tcp', 'tcp', b.inet[i]!.raw));
      x.forEach((col, k) => expect(col.equals(y[k]!), `${t.file} column ${k}`).toBe(true));
    });
    expect(a.unix!.raw.capacity).toBe(a.unix!.raw.count);
    expect(headroom).toBeGreaterThan(0);
  });
});
