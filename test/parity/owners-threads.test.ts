// The parallel owner scan and the parallel sample (native only) give exactly the serial result
// and the TypeScript backend's, whatever the number of worker threads.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { parseCounters, planScan, setScanThreads } from '../../src/backends/js/scan_threads';
import { compileFilter } from '../../src/filter/compile';
import { loadNative } from '../../src/backends/native';
import type { RawOwners, RawSample, SampleRequest } from '../../src/model/contract';
import { BASIC, ROOT } from '../helpers/env';
import { Gen, rng } from '../helpers/generate';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);

// The native-only hooks, straight from the addon (they are not part of Backend).
interface Hooks {
  scanOwners(procRoot: string): RawOwners;
  scanOwnersThreads(procRoot: string, threads: number, partFds?: number): RawOwners;
  setThreads(threads: number): void;
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as Hooks;
const js = jsBackend;

const THREADS = [1, 2, 3, 8];
/** The TypeScript backend's thread counts under test. */
const JS_THREADS = [1, 2, 8];
const COLUMNS = ['inodes', 'pids', 'fds', 'procPids', 'procUids', 'nameStart', 'nameLen', 'commStart', 'commLen', 'strings'] as const;
const COUNTERS = ['pidsScanned', 'pidsVanished', 'pidsDenied', 'socketFds'] as const;

const bytes = (b: ArrayBuffer | ArrayBufferView) =>
  b instanceof ArrayBuffer ? Buffer.from(b) : Buffer.from(b.buffer, b.byteOffset, b.byteLength);

function sameOwners(a: RawOwners, b: RawOwners, what: string) {
  for (const k of COLUMNS) {
    expect(a[k].constructor, `${what}: ${k}`).toBe(b[k].constructor);
    expect(bytes(a[k]).equals(bytes(b[k])), `${what}: ${k}`).toBe(true);
  }
  for (const k of COUNTERS) expect(a[k], `${what}: ${k}`).toBe(b[k]);
}

function sameSample(a: RawSample, b: RawSample, what: string) {
  expect(a.files.map((f) => [f.name, f.error]), what).toEqual(b.files.map((f) => [f.name, f.error]));
  a.files.forEach((f, i) => {
    const g = b.files[i]!;
    if (!f.table || !g.table) return expect(f.table, `${what}: ${f.name}`).toBe(g.table);
    expect(f.table.count, `${what}: ${f.name}`).toBe(g.table.count);
    expect(bytes(f.table.buffer).equals(bytes(g.table.buffer)), `${what}: ${f.name} columns`).toBe(true);
    expect(bytes(f.table.problems).equals(bytes(g.table.problems)), `${what}: ${f.name} problems`).toBe(true);
    if ('pool' in f.table) expect(bytes(f.table.pool).equals(bytes((g.table as typeof f.table).pool)), `${what}: ${f.name} pool`).toBe(true);
  });
  if (a.owners && b.owners) sameOwners(a.owners, b.owners, `${what}: owners`);
  else expect(a.owners, what).toBe(b.owners);
}

/**
 * A /proc tree of `pids` processes: a few big ones (hundreds of fds) and many small ones;
 * socket, pipe, device, anon_inode and malformed links, shared sockets, non-link fds, odd
 * names, processes without an fd directory or with a file in its place, and every shape of
 * cmdline, comm and status that owners.ts reads.
 */
function generateProc(root: string, seed: number, pids: number) {
  const g = new Gen(rng(seed));
  fs.mkdirSync(root, { recursive: true });
  const used = new Set<number>();
  let sockets = 0;
  for (let n = 0; n < pids; n++) {
    let pid: number;
    do pid = 1 + g.int(n % 50 === 0 ? 2147483647 : 40000); while (used.has(pid));
    used.add(pid);
    const dir = path.join(root, String(pid));
    fs.mkdirSync(dir);
    const shape = g.int(20);
    if (shape === 0) continue; // vanished: no fd directory, no files
    if (shape === 1) fs.writeFileSync(path.join(dir, 'fd'), 'not a directory'); // ENOTDIR: vanished
    else {
      fs.mkdirSync(path.join(dir, 'fd'));
      const count = g.next() < 0.05 ? 200 + g.int(600) : g.int(25);
      for (let fd = 0; fd < count; fd++) {
        const r = g.next();
        let target: string;
        if (r < 0.45) target = `socket:[${1000 + g.int(sockets + 50)}]`, sockets++; // shared inodes likely
        else if (r < 0.55) target = `pipe:[${g.int(100000)}]`;
        else if (r < 0.65) target = '/dev/null';
        else if (r < 0.7) target = 'anon_inode:[eventfd]';
        else if (r < 0.72) target = `[0000]:${g.int(1e9)}`;
        else if (r < 0.74) target = g.pick(['socket:[]', 'socket:[12', 'socket:[9007199254740992]', 'socket:[00012]', `socket:[${'9'.repeat(17)}]`]);
        else if (r < 0.75) target = `/${'x'.repeat(300)}`; // longer than the link buffer
        else if (r < 0.76) {
          fs.writeFileSync(path.join(dir, 'fd', String(fd)), ''); // not a link: readlink fails
          continue;
        } else target = `/tmp/file-${g.int(1000)}`;
        fs.symlinkSync(target, path.join(dir, 'fd', String(fd)));
      }
      if (g.next() < 0.1) fs.symlinkSync('socket:[77]', path.join(dir, 'fd', g.pick(['01', 'x', '99999999999', '-1', '4294967296'])));
    }
    const c = g.int(8);
    if (c === 0) fs.writeFileSync(path.join(dir, 'cmdline'), '');
    else if (c === 1) fs.writeFileSync(path.join(dir, 'cmdline'), `/usr/bin/prog${pid}\0--flag\0`);
    else if (c === 2) fs.writeFileSync(path.join(dir, 'cmdline'), `worker: process ${pid} ${'y'.repeat(g.int(5000))}`);
    else if (c === 3) fs.writeFileSync(path.join(dir, 'cmdline'), `/\0`);
    else if (c === 4) fs.writeFileSync(path.join(dir, 'cmdline'), Buffer.from([0xff, 0xfe, 0x2f, 0x61, 0x00, 0x62]));
    else if (c !== 5) fs.writeFileSync(path.join(dir, 'cmdline'), `./p${pid}\0a\0b`); // 5: missing
    const m = g.int(4);
    if (m === 0) fs.writeFileSync(path.join(dir, 'comm'), `comm${pid}\n`);
    else if (m === 1) fs.writeFileSync(path.join(dir, 'comm'), `c${'z'.repeat(g.int(100))}`);
    else if (m === 2) fs.writeFileSync(path.join(dir, 'comm'), '\n');
    const s = g.int(5);
    if (s === 0) fs.writeFileSync(path.join(dir, 'status'), `Name:\tx\nUid:\t${g.int(70000)}\t${g.int(70000)}\t0\t0\nGid:\t0\t0\t0\t0\n`);
    else if (s === 1) fs.writeFileSync(path.join(dir, 'status'), 'Name:\tx\nUid:\t1\t99999999999\t0\t0\n');
    else if (s === 2) fs.writeFileSync(path.join(dir, 'status'), `Name:\tx\n${'Pad:\t0\n'.repeat(2000)}Uid:\t5\t6\t7\t8\n`);
    else if (s === 3) fs.writeFileSync(path.join(dir, 'status'), 'Uid: 1 2\nUid:\t3\t4\n');
  }
  // Names that are not pids, and a leading-zero twin.
  for (const odd of ['self', '0100', 'abc', '12345678901', '2147483648', 'net']) fs.mkdirSync(path.join(root, odd), { recursive: true });
  fs.writeFileSync(path.join(root, '77777'), 'a file where a process directory should be');
}

let tmp: string;
let tree: string;

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-threads-'));
  tree = path.join(tmp, 'proc');
  generateProc(tree, Number(process.env.NETSNAP_PARITY_SEED ?? 20261122), 300);
  // /proc/net copies from the basic fixture for the sample tests.
  for (const f of ['tcp', 'tcp6', 'udp', 'unix']) fs.copyFileSync(path.join(BASIC, 'net', f), path.join(tree, 'net', f));
});

afterAll(() => {
  addon.setThreads(0);
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('parallel owner scan', () => {
  it('gives the serial scan, byte for byte, with 1, 2, 3 and 8 threads, and the TypeScript scan', () => {
    const serial = addon.scanOwnersThreads(tree, 1);
    // The generated tree must exercise the interesting paths.
    expect(serial.pidsScanned).toBeGreaterThan(250);
    expect(serial.pidsVanished).toBeGreaterThan(10);
    expect(serial.socketFds).toBeGreaterThan(2000);
    expect(serial.procPids.length).toBeGreaterThan(150);
    sameOwners(serial, js.scanOwners(tree), 'TypeScript');
    for (const t of THREADS) {
      for (let round = 0; round < 3; round++) sameOwners(addon.scanOwnersThreads(tree, t), serial, `${t} threads, round ${round}`);
    }
    // The Backend export chooses its own thread count; forced counts give the same again.
    sameOwners(addon.scanOwners(tree), serial, 'automatic');
    for (const t of THREADS) {
      addon.setThreads(t);
      sameOwners(addon.scanOwners(tree), serial, `setThreads(${t})`);
    }
    addon.setThreads(0);
  });

  it('gives the serial scan on the basic fixture and on roots it cannot list', () => {
    for (const root of [BASIC, path.join(tmp, 'missing'), `${tree}\0x`, path.join(tree, 'net', 'tcp')]) {
      const serial = addon.scanOwnersThreads(root, 1);
      sameOwners(serial, js.scanOwners(root), `${root}: TypeScript`);
      for (const t of THREADS) sameOwners(addon.scanOwnersThreads(root, t), serial, `${root}: ${t} threads`);
    }
  });

  it('rejects a bad thread count', () => {
    for (const bad of [0, 9, 1.5, -1, NaN, '2']) expect(() => addon.scanOwnersThreads(tree, bad as never)).toThrow(TypeError);
    for (const bad of [-1, 0.5, 2 ** 32, 'x']) expect(() => addon.scanOwnersThreads(tree, 2, bad as never)).toThrow(TypeError);
    for (const bad of [-1, 9, 0.5, 'x']) expect(() => addon.setThreads(bad as never)).toThrow(TypeError);
  });
});

describe('parallel sample', () => {
  const request = (extra: Partial<SampleRequest> = {}): SampleRequest => ({
    netDir: path.join(tree, 'net'), procRoot: tree, owners: true, littleEndian: true,
    files: ['unix', 'udp', 'tcp', 'tcp6', 'raw', 'udp6', 'tcp'], ...extra,
  });

  it('sample() and sampleAsync() with owners give the serial and the TypeScript result', async () => {
    const want = js.sample(request());
    expect(want.files.filter((f) => f.error).map((f) => f.name)).toEqual(['raw', 'udp6']);
    addon.setThreads(1);
    const serial = addon.sample(request());
    sameSample(serial, want, 'serial');
    for (const t of [0, ...THREADS]) {
      addon.setThreads(t);
      sameSample(addon.sample(request()), serial, `sample, setThreads(${t})`);
      sameSample(await addon.sampleAsync(request()), serial, `sampleAsync, setThreads(${t})`);
      // Several at once on the libuv pool, each with its own workers.
      const all = await Promise.all([1, 2, 3, 4].map(() => addon.sampleAsync(request())));
      all.forEach((s, i) => sameSample(s, serial, `concurrent sampleAsync ${i}, setThreads(${t})`));
      const plain = request({ owners: false });
      sameSample(addon.sample(plain), js.sample(plain), `no owners, setThreads(${t})`);
    }
    addon.setThreads(0);
  });

  it('fills reused tables in place from worker threads', () => {
    for (const t of [1, 2, 8]) {
      addon.setThreads(t);
      const first = addon.sample(request());
      const again = addon.sample({ ...request(), reuse: first.files.map((f) => f.table) });
      sameSample(again, first, `reuse, setThreads(${t})`);
      again.files.forEach((f, i) => {
        if (f.table) expect(f.table.buffer, `${t} threads: ${f.name}`).toBe(first.files[i]!.table!.buffer);
      });
    }
    addon.setThreads(0);
  });
});

describe('parallel owner scan of the live /proc', () => {
  let server: net.Server;
  const clients: net.Socket[] = [];
  const accepted: net.Socket[] = [];

  beforeAll(async () => {
    server = net.createServer((s) => accepted.push(s));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    for (let i = 0; i < 8; i++) {
      const c = net.connect(port, '127.0.0.1');
      clients.push(c);
      await new Promise<void>((resolve) => c.once('connect', () => resolve()));
    }
    while (accepted.length < clients.length) await new Promise((r) => setTimeout(r, 5));
  });

  afterAll(async () => {
    for (const s of [...clients, ...accepted]) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  it('finds the sockets this process holds, under its own pid, with every thread count', () => {
    // Our socket fds and their inodes, from our own fd directory.
    const mine = new Map<number, number>();
    for (const name of fs.readdirSync('/proc/self/fd')) {
      let link: string;
      try {
        link = fs.readlinkSync(`/proc/self/fd/${name}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(link);
      if (m) mine.set(Number(name), Number(m[1]));
    }
    expect(mine.size).toBeGreaterThanOrEqual(17); // listener + 8 clients + 8 accepted
    for (const t of THREADS) {
      const o = addon.scanOwnersThreads('/proc', t);
      expect(o.procPids.includes(process.pid), `${t} threads`).toBe(true);
      const held = new Map<number, number>();
      for (let i = 0; i < o.inodes.length; i++) if (o.pids[i] === process.pid) held.set(o.fds[i]!, o.inodes[i]!);
      for (const [fd, inode] of mine) expect(held.get(fd), `${t} threads: fd ${fd}`).toBe(inode);
      // Sorted by (inode, pid, fd), as the serial scan.
      for (let i = 1; i < o.inodes.length; i++) {
        const order = o.inodes[i - 1]! - o.inodes[i]! || o.pids[i - 1]! - o.pids[i]! || o.fds[i - 1]! - o.fds[i]!;
        expect(order < 0, `${t} threads: entry ${i}`).toBe(true);
      }
      for (let i = 1; i < o.procPids.length; i++) expect(o.procPids[i - 1]! < o.procPids[i]!).toBe(true);
    }
  });

  it('cuts a process with thousands of fds into fd ranges and still finds each entry once', async () => {
    // A child holding ~4,000 socket fds with /dev/null fds between them, scanned in parts of
    // 512, 700 and 2,048 fds (and the automatic size, which depends on the whole machine).
    const holder = spawn('python3', ['-c', [
      'import os, socket, sys, select, resource',
      's, h = resource.getrlimit(resource.RLIMIT_NOFILE)',
      'resource.setrlimit(resource.RLIMIT_NOFILE, (min(h, 20000), h))',
      'keep = []',
      'for i in range(3000):',
      '    keep.extend([open("/dev/null")] if i % 3 == 0 else socket.socketpair())',
      'print(os.getpid(), flush=True)',
      'select.select([sys.stdin], [], [], 60)',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const pid = await new Promise<number>((resolve, reject) => {
        holder.once('error', reject);
        holder.stdout!.once('data', (d) => resolve(Number(String(d).trim())));
      });
      const of = (o: RawOwners) => {
        const r: string[] = [];
        for (let i = 0; i < o.inodes.length; i++) if (o.pids[i] === pid) r.push(`${o.inodes[i]}:${o.fds[i]}`);
        return r;
      };
      const want = of(js.scanOwners('/proc'));
      expect(want.length).toBeGreaterThanOrEqual(4000); // and the stdio socketpairs Node gave it
      for (const t of THREADS) {
        for (const part of t === 2 ? [512, 700, 2048, 0] : [512]) { // each is a scan of the whole /proc
          const o = addon.scanOwnersThreads('/proc', t, part);
          expect(of(o), `${t} threads, parts of ${part}`).toEqual(want);
          expect(o.procPids.filter((p) => p === pid).length, `${t} threads, parts of ${part}`).toBe(1);
        }
      }
      addon.setThreads(0);
      expect(of(addon.scanOwners('/proc'))).toEqual(want);
      expect(of(addon.sample({ netDir: '/proc/net', procRoot: '/proc', owners: true, littleEndian: true, files: ['tcp'] }).owners!)).toEqual(want);
    } finally {
      holder.stdin!.end();
      holder.kill();
    }
  });
});

describe('the TypeScript backend on threads', () => {
  afterAll(() => setScanThreads(0));

  it("gives the serial scan, byte for byte, with 1, 2 and 8 threads (and the addon's)", () => {
    setScanThreads(1);
    const serial = js.scanOwners(tree);
    sameOwners(serial, addon.scanOwnersThreads(tree, 1), 'addon, serial');
    for (const t of JS_THREADS) {
      setScanThreads(t);
      for (let round = 0; round < 3; round++) sameOwners(js.scanOwners(tree), serial, `${t} threads, round ${round}`);
    }
    // Asked for, a tree that is not /proc is scanned on that many threads, whole processes each;
    // left to itself (0), on one.
    const asked = planScan(tree, 8);
    expect(asked.threads).toBe(8);
    expect(new Set(asked.tasks.pid).size).toBe(asked.tasks.pid.length);
    expect(planScan(tree, 0).threads).toBe(1);
    for (const root of [BASIC, path.join(tmp, 'missing'), path.join(tree, 'net', 'tcp')]) {
      setScanThreads(1);
      const one = js.scanOwners(root);
      setScanThreads(8);
      sameOwners(js.scanOwners(root), one, `${root}: 8 threads`);
    }
  });

  it('sample() and sampleAsync() with owners give the serial result on 1, 2 and 8 threads', async () => {
    const request = (extra: Partial<SampleRequest> = {}): SampleRequest => ({
      netDir: path.join(tree, 'net'), procRoot: tree, owners: true, littleEndian: true, files: ['unix', 'udp', 'tcp', 'tcp6'], ...extra,
    });
    setScanThreads(1);
    const serial = js.sample(request());
    expect(serial.owners!.socketFds).toBeGreaterThan(2000);
    for (const t of JS_THREADS) {
      setScanThreads(t);
      sameSample(js.sample(request()), serial, `sample, ${t} threads`);
      sameSample(await js.sampleAsync(request()), serial, `sampleAsync, ${t} threads`);
      const all = await Promise.all([1, 2, 3].map(() => js.sampleAsync(request())));
      all.forEach((s, i) => sameSample(s, serial, `concurrent sampleAsync ${i}, ${t} threads`));
    }
  });

  it('parses the /proc/net files on the helpers, each by one thread, in the request\'s order, filtered alike', async () => {
    // Files that are there, one that is not (an error in its place), a filter and a state mask.
    const f = compileFilter('sport >= :1024 or dst 127.0.0.0/8');
    const request = (owners: boolean, extra: Partial<SampleRequest> = {}): SampleRequest => ({
      netDir: path.join(tree, 'net'), procRoot: tree, owners, littleEndian: true, files: ['tcp6', 'raw', 'unix', 'tcp', 'udp'], ...extra,
    });
    const variants: Array<[string, Partial<SampleRequest>]> = [
      ['plain', {}], ['filtered', { filter: { program: f.request.program, bytecode: null } }], ['states', { tcpStates: (1 << 1) | (1 << 10) }],
    ];
    for (const owners of [false, true]) {
      for (const [name, extra] of variants) {
        setScanThreads(1);
        const before = parseCounters.helperFiles;
        const serial = js.sample(request(owners, extra));
        sameSample(await js.sampleAsync(request(owners, extra)), serial, `${name}: async, 1 thread`);
        // One thread: nothing went to a helper.
        expect(parseCounters.helperFiles, name).toBe(before);
        expect(serial.files.map((x) => [x.name, x.error]), name).toEqual([['tcp6', null], ['raw', 'ENOENT'], ['unix', null], ['tcp', null], ['udp', null]]);
        expect(serial.files.find((x) => x.name === 'tcp')!.table!.count, name).toBeGreaterThan(0);
        for (const t of [2, 8]) {
          setScanThreads(t);
          const n0 = parseCounters.helperFiles;
          sameSample(await js.sampleAsync(request(owners, extra)), serial, `${name}, owners ${owners}: sampleAsync, ${t} threads`);
          // Asynchronous: the helpers parse every file, the event loop none.
          expect(parseCounters.helperFiles - n0, `${name}, ${t} threads`).toBe(5);
          if (owners) {
            const n1 = parseCounters.helperFiles;
            sameSample(js.sample(request(owners, extra)), serial, `${name}: sample, ${t} threads`);
            // Synchronous: this thread takes files too; the helpers' share is whatever they took.
            expect(parseCounters.helperFiles - n1).toBeLessThanOrEqual(5);
          }
        }
      }
    }
  });

  it('left to the automatic count, parses on a helper for an asynchronous sample of /proc, and on this thread for a fixture tree', async () => {
    setScanThreads(0);
    const live = (owners: boolean): SampleRequest => ({ netDir: '/proc/net', procRoot: '/proc', owners, littleEndian: true, files: ['tcp', 'udp'] });
    for (const owners of [true, false]) {
      const n0 = parseCounters.helperFiles;
      const s = await js.sampleAsync(live(owners));
      expect(s.files.map((f) => [f.name, f.error])).toEqual([['tcp', null], ['udp', null]]);
      expect(s.owners === null, `owners ${owners}`).toBe(!owners);
      // However few the fds (a serial scan), the event loop is left free when there are CPUs for it.
      expect(parseCounters.helperFiles - n0, `owners ${owners}`).toBe(os.availableParallelism() > 1 ? 2 : 0);
    }
    const n1 = parseCounters.helperFiles;
    const fixture: SampleRequest = { netDir: path.join(BASIC, 'net'), procRoot: BASIC, owners: true, littleEndian: true, files: ['tcp', 'tcp6', 'unix'] };
    sameSample(await js.sampleAsync(fixture), js.sample(fixture), 'fixture tree');
    expect(parseCounters.helperFiles).toBe(n1);
  });

  it('cuts a process far past a fair share of /proc into fd ranges, and finds each of its sockets once', async () => {
    // A child holding 600 UDP sockets among 1,800 other fds: on 8 threads its share is cut.
    const child = spawn(process.execPath, ['-e', `
      const dgram = require('node:dgram'); const fs = require('node:fs');
      let left = 600; const keep = [];
      for (let i = 0; i < 1800; i++) keep.push(fs.openSync('/dev/null', 'r'));
      for (let i = 0; i < 600; i++) {
        const s = dgram.createSocket('udp4'); keep.push(s);
        s.bind(0, '127.0.0.1', () => { if (--left === 0) console.log('ready'); });
        if (i % 3 === 0) keep.push(fs.openSync('/dev/null', 'r'));
      }
      process.stdin.on('data', () => process.exit(0)); setTimeout(() => process.exit(0), 60000);`]);
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.once('data', () => resolve());
        child.once('exit', (code) => reject(new Error(`the fd holder exited (${code})`)));
      });
      const truth = new Map<number, number>();
      for (const name of fs.readdirSync(`/proc/${child.pid}/fd`)) {
        const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${child.pid}/fd/${name}`));
        if (m) truth.set(Number(name), Number(m[1]));
      }
      expect(truth.size).toBeGreaterThanOrEqual(600);
      const plan = planScan('/proc', 8);
      const parts: Array<[number, number]> = [];
      plan.tasks.pid.forEach((pid, i) => {
        if (pid === child.pid) parts.push([plan.tasks.lo[i]!, plan.tasks.hi[i]!]);
      });
      parts.sort((a, b) => a[0] - b[0]);
      expect(parts.length).toBeGreaterThanOrEqual(2);
      // The ranges cover every fd number once.
      expect(parts[0]![0]).toBe(0);
      expect(parts.at(-1)![1]).toBe(Infinity);
      for (let k = 1; k < parts.length; k++) expect(parts[k]![0]).toBe(parts[k - 1]![1]);
      for (const t of [1, 8]) {
        setScanThreads(t);
        const o = js.scanOwners('/proc');
        const held = new Map<number, number>();
        for (let i = 0; i < o.inodes.length; i++) {
          if (o.pids[i] !== child.pid) continue;
          expect(held.has(o.fds[i]!), `${t} threads: fd ${o.fds[i]} once`).toBe(false);
          held.set(o.fds[i]!, o.inodes[i]!);
        }
        expect([...held].sort((a, b) => a[0] - b[0]), `${t} threads`).toEqual([...truth].sort((a, b) => a[0] - b[0]));
      }
    } finally {
      child.kill();
    }
  });

  it('never keeps a process alive: scripts that scan on threads exit by themselves', () => {
    const dist = path.join(ROOT, 'dist', 'backends', 'js');
    const run = (body: string) => spawnSync(process.execPath, ['-e', `
      const { setScanThreads } = require(${JSON.stringify(path.join(dist, 'scan_threads.js'))});
      const { jsBackend } = require(${JSON.stringify(path.join(dist, 'index.js'))});
      setScanThreads(2);
      const request = { netDir: '/proc/net', procRoot: '/proc', owners: true, littleEndian: true, files: ['tcp'] };
      ${body}`], { encoding: 'utf8', timeout: 60_000 });
    // Synchronous scans only (the helpers answer on their own channel).
    const sync = run(`const o = jsBackend.scanOwners('/proc'); const s = jsBackend.sample(request);
      console.log(o.pidsScanned > 0, s.owners.pidsScanned > 0, s.files[0].error);`);
    // An asynchronous sample (the helpers hold the process while it waits), then a synchronous one.
    const both = run(`jsBackend.sampleAsync(request).then((s) => console.log(s.owners.pidsScanned > 0, jsBackend.scanOwners('/proc').pidsScanned > 0, s.files[0].error));`);
    // An asynchronous sample without owners: the helpers parse the files only.
    const parseOnly = run(`jsBackend.sampleAsync({ ...request, owners: false }).then((s) => console.log(s.owners === null, s.files[0].table.count > 0, s.files[0].error));`);
    for (const r of [sync, both, parseOnly]) {
      expect(r.signal).toBe(null);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('true true null\n');
      expect(r.status).toBe(0);
    }
  });
});
