// The owner scan through the kernel's BPF task_file iterator (native/bpf_fds.h) finds exactly what the
// /proc/PID/fd scan finds: the same entries, the same process records, for sockets and processes the
// test makes, in this pid namespace and in a new one; and the BTF reader that places the program's
// loads finds the right offsets, or says why not.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { compileFilter } from '../../src/filter/compile';
import { loadNative } from '../../src/backends/native';
import type { RawOwners, RawSample, SampleRequest } from '../../src/model/contract';
import { netsnap } from '../helpers/cli';
import { ROOT } from '../helpers/env';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);

interface SourceState {
  source: 'auto' | 'bpf' | 'proc';
  bpfTried: boolean;
  bpfError: string | null;
  bpfScans: number;
}
type Layout = Record<string, number> & { error?: never };
interface Hooks {
  scanOwners(procRoot: string): RawOwners;
  scanOwnersThreads(procRoot: string, threads: number): RawOwners;
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  setOwnerSource(source: string): void;
  ownerSource(): SourceState;
  btfLayout(btf: Uint8Array): Layout | { error: string };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as Hooks;

const SEEDS = path.join(ROOT, 'native', 'fuzz', 'corpus', 'btf');
const VMLINUX = '/sys/kernel/btf/vmlinux';
/** Root with a kernel that has BTF: what loading the program needs (the machine this project runs on has both). */
const CAN_BPF = process.getuid?.() === 0 && fs.existsSync(VMLINUX);
if (!CAN_BPF) console.warn('owners-bpf: the BPF owner scan is not tested here (needs root and /sys/kernel/btf/vmlinux)');
/** Kernels from 6.2 count a process's fds in stat(/proc/PID/fd).st_size, which the automatic choice reads. */
const [major, minor] = os.release().split('.').map(Number) as [number, number];
const COUNTS_FDS = major > 6 || (major === 6 && minor >= 2);
const HAS_UNSHARE = spawnSync('unshare', ['--version']).status === 0;

describe('the BTF reader', () => {
  const seed = (name: string) => addon.btfLayout(fs.readFileSync(path.join(SEEDS, name)));

  it('finds every offset in the seed written like the kernel (anonymous union, typedefs, flexible array)', () => {
    // native/fuzz/make_btf_seeds.py: bit offsets there are these bytes times 8.
    expect(seed('kernel')).toEqual({
      iterFuncId: 28, taskTgid: 1204, taskPid: 1200, taskThreadPid: 1400, fileInode: 64 + 8, inodeMode: 0, inodeIno: 64,
      pidLevel: 4, pidNumbers: 96, upidSize: 16, upidNr: 0,
    });
    // struct pid's numbers[1] of older kernels reads as well.
    expect(seed('kernel-fixed-array')).toMatchObject({ pidNumbers: 96, upidSize: 16 });
  });

  it('refuses a blob it does not understand, and says why', () => {
    const why = (name: string) => (seed(name) as { error?: string }).error;
    expect(why('empty')).toBe('kernel BTF: shorter than its header');
    expect(why('header-only')).toBe('kernel BTF: a section past the end');
    expect(why('big-endian')).toBe('kernel BTF: bad magic (not BTF, or another byte order)');
    expect(why('truncated-type')).toBe('kernel BTF: a truncated type');
    expect(why('bitfield')).toBe('kernel BTF: no usable task_struct.tgid');
    expect(why('twice')).toBe('kernel BTF: task_struct, file, inode, pid or upid defined twice');
    expect(why('no-func')).toMatch(/^kernel BTF: no bpf_iter_task_file/);
    // Every prefix of a good blob is refused with a reason, never read past.
    const good = fs.readFileSync(path.join(SEEDS, 'kernel'));
    for (let n = 0; n < good.length; n += 7) expect((addon.btfLayout(good.subarray(0, n)) as { error?: string }).error, `${n} bytes`).toMatch(/^kernel BTF: /);
    expect(() => addon.btfLayout('kernel' as unknown as Uint8Array)).toThrow(TypeError);
  });

  it.skipIf(!fs.existsSync(VMLINUX))("reads this kernel's BTF", () => {
    const l = addon.btfLayout(fs.readFileSync(VMLINUX)) as Layout;
    expect(l.error).toBeUndefined();
    expect(l.iterFuncId).toBeGreaterThan(0);
    // pid_t pid; pid_t tgid; side by side in task_struct on every kernel; i_mode leads struct inode.
    expect(l.taskTgid).toBe(l.taskPid! + 4);
    expect(l.inodeMode).toBe(0);
    expect(l.upidNr).toBe(0);
    expect(l.upidSize).toBe(16); // int nr; struct pid_namespace *ns; on a 64-bit kernel
  });
});

/** Socket fds of `pid`, from its fd directory (the oracle for how many entries a scan gives it). */
function socketFdsOf(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:[')) n++;
    } catch { /* closed meanwhile */ }
  }
  return n;
}

/** Entries and process records of `pids` only (other processes of the machine come and go). */
function ownedBy(o: RawOwners, pids: number[]) {
  const text = (start: number, len: number) => Buffer.from(o.strings.buffer, o.strings.byteOffset + start, len).toString('latin1');
  const entries: string[] = [];
  for (let i = 0; i < o.inodes.length; i++) if (pids.includes(o.pids[i]!)) entries.push(`${o.inodes[i]} ${o.pids[i]} ${o.fds[i]}`);
  const procs: string[] = [];
  for (let i = 0; i < o.procPids.length; i++) {
    if (pids.includes(o.procPids[i]!)) procs.push(`${o.procPids[i]} ${o.procUids[i]} ${text(o.nameStart[i]!, o.nameLen[i]!)} ${text(o.commStart[i]!, o.commLen[i]!)}`);
  }
  return { entries, procs };
}

/**
 * A python process holding `pairs` socket pairs and a TCP listener, and a thread of it that unshared its
 * fd table (CLONE_FILES) to hold a socket of its own: /proc/PID/fd shows the leader's table only.
 * Prints {pid, port, leader: [inodes], hidden: inode}.
 */
function holder(pairs: number, wrap: string[] = []): Promise<{ child: ChildProcess; pid: number; port: number; leader: number[]; hidden: number }> {
  const script = [
    'import ctypes, json, os, resource, select, socket, sys, threading',
    's, h = resource.getrlimit(resource.RLIMIT_NOFILE)',
    'resource.setrlimit(resource.RLIMIT_NOFILE, (min(h, 20000), h))',
    `keep = [x for i in range(${pairs}) for x in socket.socketpair()]`,
    'lst = socket.socket(); lst.bind(("127.0.0.1", 0)); lst.listen(); keep.append(lst)',
    // One socket under three more fds: one inode, four entries, in fd order.
    'dups = [os.dup(keep[0].fileno()) for _ in range(3)]',
    'hidden = {}',
    'ready = threading.Event()',
    'def own_table():',
    '    if ctypes.CDLL(None, use_errno=True).unshare(0x400) != 0: raise OSError(ctypes.get_errno(), "unshare")',
    '    s = socket.socket(); hidden["inode"] = os.fstat(s.fileno()).st_ino; hidden["s"] = s',
    '    ready.set(); select.select([sys.stdin], [], [], 120)',
    'threading.Thread(target=own_table, daemon=True).start(); ready.wait(10)',
    'print(json.dumps({"pid": os.getpid(), "port": lst.getsockname()[1], "leader": [os.fstat(x.fileno()).st_ino for x in keep], "hidden": hidden["inode"]}), flush=True)',
    'select.select([sys.stdin], [], [], 120)',
  ].join('\n');
  const [cmd, ...args] = [...wrap, 'python3', '-c', script];
  const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`holder exited ${code}`)));
    let text = '';
    child.stdout!.on('data', (d) => {
      text += String(d);
      if (text.includes('\n')) resolve({ child, ...JSON.parse(text) });
    });
  });
}

describe.skipIf(!CAN_BPF)('the owner scan through the BPF iterator (root)', () => {
  let held: Awaited<ReturnType<typeof holder>>;
  beforeAll(async () => {
    // Over a thousand entries: the scan's radix sort (sort_entries in native/owners.cc), not std::sort.
    held = await holder(600);
  });
  afterAll(() => {
    held?.child.stdin!.end();
    held?.child.kill();
  });
  afterEach(() => addon.setOwnerSource('auto'));

  /** One scan with `source`, and whether it read the iterator. */
  const scan = (source: 'bpf' | 'proc') => {
    addon.setOwnerSource(source);
    const before = addon.ownerSource().bpfScans;
    const o = addon.scanOwners('/proc');
    return { o, viaBpf: addon.ownerSource().bpfScans - before };
  };

  it('finds what the /proc scan finds, entry for entry and process for process', () => {
    const bpf = scan('bpf');
    expect(addon.ownerSource()).toMatchObject({ source: 'bpf', bpfTried: true, bpfError: null });
    expect(bpf.viaBpf).toBe(1);
    const proc = scan('proc');
    expect(proc.viaBpf).toBe(0);
    // The holder's only: this worker's own sockets (vitest's channel) may change between the two scans.
    const a = ownedBy(bpf.o, [held.pid]);
    const b = ownedBy(proc.o, [held.pid]);
    // 600 pairs, the listener, three more fds of one socket, and the stdio socket pairs Node gave the holder.
    expect(a.entries.filter((e) => e.split(' ')[1] === String(held.pid))).toHaveLength(socketFdsOf(held.pid));
    expect(socketFdsOf(held.pid)).toBeGreaterThanOrEqual(1204);
    expect(a.entries.filter((e) => e.startsWith(`${held.leader[0]} `))).toHaveLength(4);
    expect(a).toEqual(b);
    // The leader's sockets, each once, under the holder's pid; not the thread's own table.
    const mine = new Set<number>();
    for (let i = 0; i < bpf.o.inodes.length; i++) if (bpf.o.pids[i] === held.pid) mine.add(bpf.o.inodes[i]!);
    for (const inode of held.leader) expect(mine.has(inode), `inode ${inode}`).toBe(true);
    expect(mine.has(held.hidden)).toBe(false);
    expect([...proc.o.inodes].includes(held.hidden)).toBe(false);
    // Sorted by (inode, pid, fd), processes by pid, as every scan.
    const o = bpf.o;
    for (let i = 1; i < o.inodes.length; i++) expect(o.inodes[i - 1]! - o.inodes[i]! || o.pids[i - 1]! - o.pids[i]! || o.fds[i - 1]! - o.fds[i]!).toBeLessThan(0);
    for (let i = 1; i < o.procPids.length; i++) expect(o.procPids[i - 1]!).toBeLessThan(o.procPids[i]!);
    // Every listed process counts as scanned; none is denied to a root scan either way.
    expect(o.pidsScanned).toBeGreaterThan(2);
    expect([o.pidsDenied, proc.o.pidsDenied]).toEqual([0, 0]);
    expect(o.socketFds).toBe(o.inodes.length);
  });

  it('gives sample() and sampleAsync() the same owners, plain and for a filter', async () => {
    const f = compileFilter(`sport = :${held.port}`);
    const request = (extra: Partial<SampleRequest> = {}): SampleRequest => ({
      netDir: '/proc/net', procRoot: '/proc', owners: true, littleEndian: true, files: ['tcp'], ...extra,
    });
    for (const extra of [{}, { filter: { program: f.request.program, bytecode: null } }]) {
      const got: Record<string, ReturnType<typeof ownedBy>> = {};
      for (const source of ['bpf', 'proc'] as const) {
        addon.setOwnerSource(source);
        const before = addon.ownerSource().bpfScans;
        got[`${source} sync`] = ownedBy(addon.sample(request(extra)).owners!, [held.pid]);
        got[`${source} async`] = ownedBy((await addon.sampleAsync(request(extra))).owners!, [held.pid]);
        expect(addon.ownerSource().bpfScans - before, source).toBe(source === 'bpf' ? 2 : 0);
      }
      const want = got['proc sync']!;
      // Filtered: the listener alone (its row passed); plain: every socket the holder has.
      expect(want.entries.length, JSON.stringify(extra)).toBe('filter' in extra ? 1 : socketFdsOf(held.pid));
      for (const [k, v] of Object.entries(got)) expect(v, k).toEqual(want);
    }
  });

  it('leaves the /proc scan of scanOwnersThreads() to /proc', () => {
    addon.setOwnerSource('bpf');
    const before = addon.ownerSource().bpfScans;
    const o = addon.scanOwnersThreads('/proc', 2);
    expect(addon.ownerSource().bpfScans).toBe(before);
    expect(ownedBy(o, [held.pid]).entries.length).toBe(socketFdsOf(held.pid));
  });

  it('rejects a bad source', () => {
    expect(() => addon.setOwnerSource('ebpf')).toThrow(TypeError);
    expect(() => addon.setOwnerSource(1 as unknown as string)).toThrow(TypeError);
    expect(addon.ownerSource().source).toBe('auto');
  });

  it('gives `netsnap -tanp` the same lines from either source, and refuses a bad NETSNAP_OWNER_SOURCE', () => {
    const lines = (source: string) => {
      const r = netsnap(['-tanp'], { NETSNAP_OWNER_SOURCE: source });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter((l) => new RegExp(`^tcp +0 +0 127\\.0\\.0\\.1:${held.port} +0\\.0\\.0\\.0:\\* +LISTEN `).test(l));
    };
    const viaBpf = lines('bpf');
    expect(viaBpf).toHaveLength(1);
    expect(viaBpf[0]).toMatch(new RegExp(`LISTEN +${held.pid}/python3 *$`));
    expect(lines('proc')).toEqual(viaBpf);
    const bad = netsnap(['-tanp'], { NETSNAP_OWNER_SOURCE: 'kernel' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('NETSNAP_OWNER_SOURCE must be "auto", "bpf" or "proc", not "kernel"');
  });
});

describe.skipIf(!CAN_BPF || !HAS_UNSHARE)('a BPF owner scan that cannot load (root)', () => {
  // In a mount namespace of its own, /sys/kernel/btf/vmlinux is a BTF blob without the iterator's
  // function (the no-func seed): the program cannot be built, so the scan reads /proc, says why in
  // ownerSource(), and does not try again.
  it('falls back to /proc with the same owners, and keeps the reason', () => {
    const script = `
      const net = require('node:net');
      const addon = require(${JSON.stringify(loaded.path)});
      const server = net.createServer().listen(0, '127.0.0.1', () => {
        const mine = (o) => { const r = []; for (let i = 0; i < o.inodes.length; i++) if (o.pids[i] === process.pid) r.push(o.inodes[i] + ' ' + o.fds[i]); return r; };
        addon.setOwnerSource('bpf');
        const first = mine(addon.scanOwners('/proc'));
        const afterFirst = addon.ownerSource();
        const second = mine(addon.scanOwners('/proc'));
        const afterSecond = addon.ownerSource();
        addon.setOwnerSource('proc');
        const proc = mine(addon.scanOwners('/proc'));
        console.log(JSON.stringify({ first, second, proc, afterFirst, afterSecond }));
        server.close();
      });`;
    const seed = path.join(SEEDS, 'no-func');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind "$1" /sys/kernel/btf/vmlinux && exec "$2" -e "$3"', 'sh', seed, process.execPath, script],
      { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const reason = 'kernel BTF: no bpf_iter_task_file (a kernel before 5.8, or without BPF iterators)';
    expect(out.afterFirst).toEqual({ source: 'bpf', bpfTried: true, bpfError: reason, bpfScans: 0 });
    expect(out.afterSecond).toEqual(out.afterFirst);
    expect(out.first.length).toBeGreaterThanOrEqual(1); // the listener, at least
    expect(out.first).toEqual(out.proc);
    expect(out.second).toEqual(out.proc);
  });
});

describe.skipIf(!CAN_BPF || !HAS_UNSHARE)('the BPF owner scan in a new pid namespace (root)', () => {
  // A node process in a new pid namespace with its own /proc: the holders it starts are numbered as
  // that namespace numbers them. `auto` loads the program only for a big scan (kBpfMinFds, 32,768 fds
  // in all processes): one holder of 100 pairs leaves it unloaded, four of 4,100 pairs load it (a
  // process may hold 20,000 fds here).
  const script = (holders: number, pairs: number) => `
    const { spawn } = require('node:child_process');
    const fs = require('node:fs');
    const addon = require(${JSON.stringify(loaded.path)});
    const py = 'import socket, sys, select, resource\\ns, h = resource.getrlimit(resource.RLIMIT_NOFILE)\\nresource.setrlimit(resource.RLIMIT_NOFILE, (h, h))\\nk = [x for i in range(${pairs}) for x in socket.socketpair()]\\nprint(flush=True)\\nselect.select([sys.stdin], [], [], 60)';
    const children = Array.from({ length: ${holders} }, () => spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] }));
    for (const c of children) c.once('exit', (code) => { console.error('holder exited ' + code); process.exit(1); });
    Promise.all(children.map((c) => new Promise((r) => c.stdout.once('data', r)))).then(() => {
      const of = (o) => { const r = []; for (let i = 0; i < o.inodes.length; i++) r.push(o.inodes[i] + ' ' + o.pids[i] + ' ' + o.fds[i]); return r; };
      const auto = addon.scanOwners('/proc');
      const autoState = addon.ownerSource();
      addon.setOwnerSource('bpf');
      const bpf = addon.scanOwners('/proc');
      const bpfState = addon.ownerSource();
      addon.setOwnerSource('proc');
      const proc = addon.scanOwners('/proc');
      const pids = children.map((c) => c.pid);
      const held = Array.from(proc.pids).filter((p) => pids.includes(p)).length;
      const sockets = (pid) => fs.readdirSync('/proc/' + pid + '/fd').filter((fd) => fs.readlinkSync('/proc/' + pid + '/fd/' + fd).startsWith('socket:[')).length;
      const oracle = pids.reduce((n, pid) => n + sockets(pid), 0);
      console.log(JSON.stringify({ self: process.pid, pids, held, oracle, autoState, bpfState, auto: of(auto), bpf: of(bpf), proc: of(proc), procPids: Array.from(proc.procPids) }));
      for (const c of children) { c.removeAllListeners('exit'); c.stdin.end(); c.kill(); }
    });`;
  const run = (holders: number, pairs: number) => {
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', process.execPath, '-e', script(holders, pairs)], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('numbers processes as the namespace does, and finds what its /proc scan finds', () => {
    const small = run(1, 100);
    expect(small.self).toBe(1); // unshare --fork's child, which became node
    expect(small.procPids).toEqual([1, ...small.pids]);
    // The pairs, and the stdio sockets Node gave it (stdin, stdout, and the inherited stderr).
    expect(small.held).toBe(small.oracle);
    expect(small.held).toBeGreaterThanOrEqual(200);
    expect(small.bpf).toEqual(small.proc);
    expect(small.auto).toEqual(small.proc);
    expect(small.bpfState).toMatchObject({ bpfTried: true, bpfError: null, bpfScans: 1 });
    if (COUNTS_FDS) expect(small.autoState).toMatchObject({ bpfTried: false, bpfScans: 0 });
  });

  it.skipIf(!COUNTS_FDS)('lets auto load the program for a scan of thousands of fds', () => {
    const big = run(4, 4100);
    expect(big.autoState).toMatchObject({ bpfTried: true, bpfError: null, bpfScans: 1 });
    expect(big.held).toBe(big.oracle);
    expect(big.held).toBeGreaterThanOrEqual(32800);
    expect(big.auto).toEqual(big.proc);
    expect(big.bpf).toEqual(big.proc);
  });
});
