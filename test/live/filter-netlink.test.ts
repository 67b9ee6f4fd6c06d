// The filter on live sockets (issue #14, native): listeners on 127.0.14.2, 127.0.14.3, ::ffff:127.0.14.2
// and ::1, established pairs, and a helper process in a cgroup of its own with a listener bound to
// `lo` (SO_BINDTODEVICE). Each program, written with the op codes of src/filter/program.ts, must
// keep exactly the expected sockets (by inode) from a netlink dump with and without the kernel's
// bytecode (written here as iproute2's ss compiles it) and from /proc; a bytecode the kernel refuses
// is reported (kernelRejected) and the program alone still decides; DEV, CGROUP, AUTOBOUND, INFO and
// RATIO are decided by the dump only.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { loadNative } from '../../src/backends/native';
import { compileFilter } from '../../src/filter/compile';
import type { Backend, RawFileResult, RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';
import { inetLayout } from '../../src/model/contract';
import { TCP_INFO_INDEX } from '../../src/model/tcp_info';
import { and, CMP, host, ipv4, ipv6Loopback, not, OP, or, program, type Leaf } from '../helpers/filter-programs';
import { inodeOf, once } from '../helpers/sockets';

const isNative = process.env.NETSNAP_BACKEND === 'native';
const isRoot = process.geteuid?.() === 0;
const loIndex = Number(fs.readFileSync('/sys/class/net/lo/ifindex', 'utf8'));

// --- INET_DIAG_REQ_BYTECODE, as iproute2's ss compiles its filter (misc/ss.c, ssfilter_bytecompile) --
const BC = { NOP: 0, JMP: 1, AUTO: 6, S_COND: 7, D_COND: 8, DEV_COND: 9, CGROUP_COND: 13 } as const;
type Bytes = number[];
const bcOp = (code: number, yes: number, no: number): Bytes => [code, yes, no & 0xff, no >> 8];
const le = (v: bigint, n: number): Bytes => Array.from({ length: n }, (_, i) => Number((v >> BigInt(8 * i)) & 0xffn));
/** inet_diag_hostcond: family, prefix_len, 2 bytes of padding, int port, the address. */
function bcHost(src: boolean, family: 0 | 4 | 6, prefix: number, port: number, addr: number[] = []): Bytes {
  const af = family === 4 ? 2 : family === 6 ? 10 : 0;
  const alen = family === 4 ? 4 : family === 6 ? 16 : 0;
  const len = 4 + 8 + alen;
  return [...bcOp(src ? BC.S_COND : BC.D_COND, len, len + 4), af, prefix, 0, 0, ...le(BigInt.asUintN(32, BigInt(port)), 4), ...addr.slice(0, alen)];
}
/** ss's ssfilter_patch: the failure jumps of `a` (to its end + 4) move past what follows. */
function patch(a: Bytes, reloc: number): Bytes {
  const out = [...a];
  for (let off = 0, len = a.length; len > 0;) {
    const yes = out[off + 1]!;
    const no = out[off + 2]! | (out[off + 3]! << 8);
    if (no === len + 4) [out[off + 2], out[off + 3]] = [(no + reloc) & 0xff, (no + reloc) >> 8];
    len -= yes;
    off += yes;
  }
  return out;
}
const bcAnd = (a: Bytes, b: Bytes): Bytes => [...patch(a, b.length), ...b];
const bcOr = (a: Bytes, b: Bytes): Bytes => [...a, ...bcOp(BC.JMP, 4, b.length + 4), ...b];
const bcNot = (a: Bytes): Bytes => [...a, ...bcOp(BC.JMP, 4, 8)];
const bcDev = (ifindex: number): Bytes => [...bcOp(BC.DEV_COND, 8, 12), ...le(BigInt(ifindex), 4)];
const bcCgroup = (id: bigint): Bytes => [...bcOp(BC.CGROUP_COND, 12, 16), ...le(id, 8)];
const bcAuto = (): Bytes => bcOp(BC.AUTO, 4, 8);
/** A jump past the end: inet_diag_bc_audit refuses it (EINVAL). */
const BAD_BYTECODE = new Uint8Array(bcOp(BC.JMP, 4, 200));

const cgroupLeaf = (id: bigint): Leaf => [OP.CGROUP, Number(id & 0xffffffffn), Number(id >> 32n)];

/** The cgroup2 mount and this process's cgroup id (the inode of its directory there). */
function cgroup2(): { mount: string; own: bigint } | null {
  const mount = fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2');
  const line = fs.readFileSync('/proc/self/cgroup', 'utf8').split('\n').find((l) => l.startsWith('0::'));
  if (!mount || !line) return null;
  return { mount: mount[1]!, own: fs.statSync(path.join(mount[1]!, line.slice(3)), { bigint: true }).ino };
}

interface Row { inode: number; file: string; ifindex: number | null; cgroupId: bigint | null }

function rowsOf(s: RawSample): Row[] {
  const out: Row[] = [];
  for (const f of s.files) {
    expect(f.error, `${f.name}: ${f.error}`).toBeNull();
    const t = f.table as RawInetTable;
    const inode = new Float64Array(t.buffer, inetLayout(t.capacity).inode, t.count);
    if (f.source === 'netlink') {
      expect(t.ifindex, f.name).toBeInstanceOf(Uint32Array);
      expect(t.ifindex!.length, f.name).toBe(t.count);
      expect(t.cgroupId!.length, f.name).toBe(t.count);
    } else {
      expect(t, f.name).not.toHaveProperty('ifindex');
    }
    for (let i = 0; i < t.count; i++) {
      out.push({ inode: inode[i]!, file: f.name, ifindex: t.ifindex ? t.ifindex[i]! : null, cgroupId: t.cgroupId ? t.cgroupId[i]! : null });
    }
  }
  return out;
}

const inodes = (s: RawSample) => rowsOf(s).map((r) => r.inode).sort((a, b) => a - b);

describe.skipIf(!isNative)('the filter on live loopback sockets, netlink and /proc (native)', () => {
  // The body is collected in the TypeScript project too (its tests then skipped), addon or not.
  const loaded = loadNative();
  if (isNative && !loaded.ok) throw new Error(`needs the native addon; tried:\n${loaded.tried.join('\n')}`);
  const addon = (loaded.ok ? loaded.backend : null) as Backend;
  const request = (extra: Partial<SampleRequest> = {}): SampleRequest => ({
    netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: false, procRoot: '/proc', littleEndian: true, ...extra,
  });

  const closers: Array<() => void> = [];
  const ino: Record<string, number> = {};
  let p2 = 0;
  let p3 = 0;
  let p6 = 0;
  const queued = 4321;

  async function listen(server: net.Server, port: number, hostName: string): Promise<number> {
    server.listen(port, hostName);
    await once(server, 'listening');
    closers.push(() => server.close());
    return (server.address() as net.AddressInfo).port;
  }

  beforeAll(async () => {
    // 127.0.14.2: a listener whose accepted socket is paused, so a client's bytes wait in its queue.
    const l2 = net.createServer({ pauseOnConnect: true });
    p2 = await listen(l2, 0, '127.0.14.2');
    // 127.0.14.3: a listener on a port asked for by number (bound with the port locked: not autobound).
    for (let attempt = 0; p3 === 0 && attempt < 20; attempt++) {
      const probe = net.createServer();
      const free = await listen(probe, 0, '127.0.14.3');
      await new Promise<void>((r) => probe.close(() => r()));
      const l3 = net.createServer();
      l3.listen(free, '127.0.14.3');
      try {
        await once(l3, 'listening');
        closers.push(() => l3.close());
        p3 = free;
        ino.L3 = inodeOf(l3);
      } catch { /* taken meanwhile: another port */ }
    }
    expect(p3).toBeGreaterThan(0);
    // An IPv6 socket on the IPv4-mapped 127.0.14.2: an IPv4 condition matches it too.
    const l2m = net.createServer();
    await listen(l2m, 0, '::ffff:127.0.14.2');
    const l6 = net.createServer();
    p6 = await listen(l6, 0, '::1');
    ino.L2 = inodeOf(l2);
    ino.L2m = inodeOf(l2m);
    ino.L6 = inodeOf(l6);

    const accepted2 = once<net.Socket>(l2, 'connection');
    const c2 = net.connect({ port: p2, host: '127.0.14.2', localAddress: '127.0.14.3' });
    await once(c2, 'connect');
    const s2 = await accepted2;
    await new Promise<void>((r) => c2.write(Buffer.alloc(queued, 0x61), () => r()));
    const accepted6 = once<net.Socket>(l6, 'connection');
    const c6 = net.connect(p6, '::1');
    await once(c6, 'connect');
    const s6 = await accepted6;
    closers.push(() => { c2.destroy(); s2.destroy(); c6.destroy(); s6.destroy(); });
    Object.assign(ino, { c2: inodeOf(c2), s2: inodeOf(s2), c6: inodeOf(c6), s6: inodeOf(s6) });
    // The queued bytes have arrived when the kernel shows them in s2's receive queue.
    const q = program(and(host(0, 4, 32, p2, ipv4('127.0.14.2')), [OP.QUEUE, 0, CMP.eq, queued]));
    for (let i = 0; i < 100 && inodes(addon.sample(request({ source: 'proc', filter: { program: q } }))).length === 0; i++) {
      await new Promise((r) => setTimeout(r, 20));
    }
  });

  afterAll(() => {
    for (const c of closers.reverse()) c();
  });

  // Sockets of earlier runs may wait in TIME_WAIT on these addresses (inode 0): never the test's own.
  const live: Leaf = [OP.STATE, 0x1fff & ~(1 << 6)];
  const within = (): Leaf => and(live, host(0, 4, 31, -1, ipv4('127.0.14.2')));
  const withinBc = (): Bytes => bcHost(true, 4, 31, -1, ipv4('127.0.14.2'));

  /**
   * The program on every source: /proc, a netlink dump without bytecode, with it (when given), and
   * sampleAsync of the dump with it. Each keeps exactly `want` (names of ino).
   */
  async function expectRows(what: string, leaf: Leaf, bytecode: Bytes | null, want: string[], extra: Partial<SampleRequest> = {}) {
    const expected = want.map((k) => ino[k]!).sort((a, b) => a - b);
    expect(expected.every((x) => x > 0), what).toBe(true);
    const p = program(and(live, leaf));
    const runs: Array<[string, RawSample]> = [
      ['proc', addon.sample(request({ ...extra, source: 'proc', filter: { program: p } }))],
      ['netlink', addon.sample(request({ ...extra, source: 'netlink', filter: { program: p } }))],
    ];
    if (bytecode) {
      const filter = { program: p, bytecode: new Uint8Array(bytecode) };
      runs.push(['netlink + bytecode', addon.sample(request({ ...extra, source: 'netlink', filter }))]);
      runs.push(['netlink + bytecode, async', await addon.sampleAsync(request({ ...extra, source: 'netlink', filter }))]);
    }
    for (const [how, s] of runs) {
      expect(inodes(s), `${what} (${how})`).toEqual(expected);
      for (const f of s.files) {
        expect(f.source, `${what} (${how})`).toBe(how === 'proc' ? 'proc' : 'netlink');
        if (how.includes('bytecode')) expect([f.filterInKernel, f.kernelRejected], `${what} (${how})`).toEqual([true, undefined]);
        else expect(f, `${what} (${how})`).not.toHaveProperty('filterInKernel');
      }
    }
  }

  it('host conditions: IPv4 (also on an IPv4-mapped IPv6 socket), prefixes, IPv6, with ports', async () => {
    await expectRows('src 127.0.14.2', host(0, 4, 32, -1, ipv4('127.0.14.2')), bcHost(true, 4, 32, -1, ipv4('127.0.14.2')), ['L2', 's2', 'L2m']);
    await expectRows('dst 127.0.14.2', host(1, 4, 32, -1, ipv4('127.0.14.2')), bcHost(false, 4, 32, -1, ipv4('127.0.14.2')), ['c2']);
    await expectRows('src 127.0.14.2/31', within(), withinBc(), ['L2', 's2', 'L2m', 'L3', 'c2']);
    await expectRows('src [::1]:P6', host(0, 6, 128, p6, ipv6Loopback()), bcHost(true, 6, 128, p6, ipv6Loopback()), ['L6', 's6']);
    await expectRows('dst [::1]:P6', host(1, 6, 128, p6, ipv6Loopback()), bcHost(false, 6, 128, p6, ipv6Loopback()), ['c6']);
    // sport/dport as ss compiles `sport = :P` (a host condition of any address with that port).
    await expectRows('(sport = P3 or dport = P2) and src 127.0.14.2/31',
      and(or([OP.PORT, 0, CMP.eq, p3], [OP.PORT, 1, CMP.eq, p2]), within()),
      bcAnd(bcOr(bcHost(true, 0, 0, p3), bcHost(false, 0, 0, p2)), withinBc()), ['L3', 'c2']);
  });

  it('state, not, queues, uid and owner conditions (the last three on the columns only)', async () => {
    const listening: Leaf = [OP.STATE, 2 ** 10];
    await expectRows('listening and src 127.0.14.2/31', and(listening, within()), withinBc(), ['L2', 'L2m', 'L3']);
    await expectRows('not listening and src 127.0.14.2/31', and(not(listening), within()), withinBc(), ['s2', 'c2']);
    await expectRows('not (src 127.0.14.2/31) and src [::1]:P6', and(not(within()), host(0, 6, 128, p6, ipv6Loopback())),
      bcAnd(bcNot(withinBc()), bcHost(true, 6, 128, p6, ipv6Loopback())), ['L6', 's6']);
    await expectRows('recv-q > 1000 and src 127.0.14.2/31', and([OP.QUEUE, 0, CMP.gt, 1000], within()), withinBc(), ['s2']);
    await expectRows('send-q = 0 and recv-q = 0 and src 127.0.14.2/31', and([OP.QUEUE, 1, CMP.eq, 0], [OP.QUEUE, 0, CMP.eq, 0], within()),
      withinBc(), ['L2', 'L2m', 'L3', 'c2']);
    const uid = process.getuid!();
    await expectRows('uid = mine and src 127.0.14.2/31', and([OP.UID, CMP.eq, uid], within()), withinBc(), ['L2', 's2', 'L2m', 'L3', 'c2']);
    await expectRows('uid != mine and src 127.0.14.2/31', and([OP.UID, CMP.ne, uid], within()), withinBc(), []);
    // OWNER is unknown to the backends: kept wherever the rest is not false.
    await expectRows('owner and src 127.0.14.2/31', and([OP.OWNER, 0], within()), withinBc(), ['L2', 's2', 'L2m', 'L3', 'c2']);
    await expectRows('owner and not src 127.0.14.2/31, and src 127.0.14.2', and([OP.OWNER, 0], not(within()), host(0, 4, 32, -1, ipv4('127.0.14.2'))),
      null, []);
  });

  it('the kernel runs the bytecode: one narrower than the program drops rows the program alone keeps', () => {
    const p = program(and([OP.STATE, 2 ** 10], within()));
    const s = addon.sample(request({ source: 'netlink', filter: { program: p, bytecode: new Uint8Array(bcHost(true, 4, 32, -1, ipv4('127.0.14.2'))) } }));
    expect(inodes(s)).toEqual([ino.L2!, ino.L2m!].sort((a, b) => a - b));
    expect(s.files.map((f) => f.filterInKernel)).toEqual([true, true]);
  });

  it('a bytecode the kernel refuses: kernelRejected EINVAL, and the program alone decides (sample and sampleAsync)', async () => {
    const p = program(and([OP.STATE, 2 ** 10], within()));
    for (const s of [
      addon.sample(request({ source: 'netlink', filter: { program: p, bytecode: BAD_BYTECODE } })),
      await addon.sampleAsync(request({ source: 'netlink', filter: { program: p, bytecode: BAD_BYTECODE } })),
      addon.sample(request({ source: 'netlink', files: ['tcp', 'tcp6', 'udp', 'udplite6'], filter: { program: p, bytecode: BAD_BYTECODE } })),
    ]) {
      expect(inodes(s)).toEqual([ino.L2!, ino.L2m!, ino.L3!].sort((a, b) => a - b));
      for (const f of s.files) expect([f.name, f.source, f.error, f.filterInKernel, f.kernelRejected]).toEqual([f.name, 'netlink', null, false, 'EINVAL']);
    }
    // A dump that fails without the bytecode too (raw_diag is a module a kernel may lack: ENOENT) is
    // no refusal of the bytecode: it falls back to /proc as it does unfiltered, or the kernel ran it.
    const plainRaw = addon.sample(request({ source: 'netlink', files: ['raw'] })).files[0]!;
    const raw = addon.sample(request({ source: 'netlink', files: ['raw'], filter: { program: p, bytecode: BAD_BYTECODE } })).files[0]!;
    expect([raw.source, raw.error, raw.filterInKernel, raw.kernelRejected]).toEqual(
      plainRaw.source === 'proc' ? ['proc', null, undefined, undefined] : ['netlink', null, false, 'EINVAL']);
    // An empty bytecode is none: nothing is sent, nothing reported.
    const none = addon.sample(request({ source: 'netlink', filter: { program: p, bytecode: new Uint8Array(0) } }));
    expect(inodes(none)).toEqual([ino.L2!, ino.L2m!, ino.L3!].sort((a, b) => a - b));
    expect(none.files[0]).not.toHaveProperty('filterInKernel');
  });

  it('autobound: only the kernel decides it; unknown on the columns; a refused bytecode is the error', async () => {
    const p = and([OP.AUTOBOUND], within());
    const s = addon.sample(request({ source: 'netlink', filter: { program: program(p), bytecode: new Uint8Array(bcAnd(bcAuto(), withinBc())) } }));
    // Bound to port 0 (the listeners on 127.0.14.2, the client bound to 127.0.14.3:0) or accepted from
    // such a listener: autobound; the listener on a port asked for by number is not.
    expect(inodes(s)).toEqual(['L2', 'L2m', 's2', 'c2'].map((k) => ino[k]!).sort((a, b) => a - b));
    // Without bytecode, or from /proc, AUTOBOUND is unknown: every row of the rest is kept.
    const all = ['L2', 'L2m', 's2', 'c2', 'L3'].map((k) => ino[k]!).sort((a, b) => a - b);
    expect(inodes(addon.sample(request({ source: 'netlink', filter: { program: program(p) } })))).toEqual(all);
    expect(inodes(addon.sample(request({ source: 'proc', filter: { program: program(p) } })))).toEqual(all);
    for (const r of [
      addon.sample(request({ source: 'netlink', filter: { program: program(p), bytecode: BAD_BYTECODE } })),
      await addon.sampleAsync(request({ source: 'netlink', filter: { program: program(p), bytecode: BAD_BYTECODE } })),
    ]) {
      expect(r.files.map((f: RawFileResult) => [f.name, f.source, f.error, f.table])).toEqual([['tcp', 'netlink', 'EINVAL', null], ['tcp6', 'netlink', 'EINVAL', null]]);
    }
  });

  it('tcp_info conditions (INFO, RATIO) with extensions 1: decided by the dump, false on /proc rows', async () => {
    const rtt = [OP.INFO, TCP_INFO_INDEX.get('rttUs')!, CMP.gt, 0];
    // Established sockets have measured a round trip; listeners have not.
    const p = program(and(rtt, within()));
    const established = [ino.s2!, ino.c2!].sort((a, b) => a - b);
    expect(inodes(addon.sample(request({ source: 'netlink', extensions: 1, filter: { program: p } })))).toEqual(established);
    const withBc = await addon.sampleAsync(request({ source: 'netlink', extensions: 1, filter: { program: p, bytecode: new Uint8Array(withinBc()) } }));
    expect(inodes(withBc)).toEqual(established);
    expect(withBc.files.map((f) => f.filterInKernel)).toEqual([true, true]);
    const received = TCP_INFO_INDEX.get('bytesReceived')!;
    // bytes_received / bytes_received >= 100%: any received byte; 0 / 0 is 0 ppm.
    const s = addon.sample(request({ source: 'netlink', extensions: 3, filter: { program: program(and([OP.RATIO, received, received, CMP.ge, 1_000_000], within())) } }));
    expect(inodes(s)).toEqual([ino.s2!]);
    const q = addon.sample(request({ source: 'netlink', extensions: 1, filter: { program: program(and([OP.INFO, received, CMP.eq, queued], within())) } }));
    expect(inodes(q)).toEqual([ino.s2!]);
    const none = addon.sample(request({ source: 'proc', extensions: 1, filter: { program: program(and(rtt, within())) } }));
    expect(inodes(none)).toEqual([]);
  });

  /**
   * ss's words compiled by src/filter/compile.ts (the column program, the kernel's bytecode, the
   * states): the netlink dump with both, and (for filters of the columns alone) /proc through both
   * backends, keep exactly `want`.
   */
  async function expectCompiled(text: string, want: string[]) {
    const c = compileFilter(text);
    const expected = want.map((k) => ino[k]!).sort((a, b) => a - b);
    const base = request({ tcpStates: c.tcpStates, extensions: c.needs.info ? 1 : 0, filter: c.request });
    const runs: Array<[string, RawSample]> = [
      ['netlink', addon.sample({ ...base, source: 'netlink' })],
      ['netlink, async', await addon.sampleAsync({ ...base, source: 'netlink' })],
    ];
    if (c.needs.netlink === '') {
      runs.push(['proc', addon.sample({ ...base, source: 'proc' })], ['proc, TypeScript', jsBackend.sample({ ...base, extensions: undefined })]);
    }
    for (const [how, s] of runs) {
      expect(inodes(s), `${text} (${how})`).toEqual(expected);
      for (const f of s.files) {
        if (how.startsWith('netlink') && c.request.bytecode) expect([f.filterInKernel, f.kernelRejected], `${text} (${how})`).toEqual([true, undefined]);
        else expect(f, `${text} (${how})`).not.toHaveProperty('filterInKernel');
      }
    }
  }

  it('filters compiled from ss\'s words by src/filter/compile.ts: the kernel accepts the bytecode, the rows are exact', async () => {
    const x = 'exclude time-wait';
    expect(compileFilter(`${x} src 127.0.14.2`).request.bytecode).toBeInstanceOf(Uint8Array);
    await expectCompiled(`${x} src 127.0.14.2`, ['L2', 's2', 'L2m']);
    await expectCompiled(`${x} dst 127.0.14.2`, ['c2']);
    await expectCompiled(`${x} src 127.0.14.2/31 and ( sport = :${p3} or dport = :${p2} )`, ['L3', 'c2']);
    await expectCompiled(`${x} src [::1]:${p6}`, ['L6', 's6']);
    await expectCompiled(`${x} dst [::1]:${p6}`, ['c6']);
    await expectCompiled(`state listening src 127.0.14.2/31`, ['L2', 'L2m', 'L3']);
    await expectCompiled(`${x} exclude listening src 127.0.14.2/31`, ['s2', 'c2']);
    await expectCompiled(`${x} src 127.0.14.2/31 and recv-q > 1000`, ['s2']);
    await expectCompiled(`${x} autobound and src 127.0.14.2/31`, ['L2', 'L2m', 's2', 'c2']);
    await expectCompiled(`${x} not autobound and src 127.0.14.2/31`, ['L3']);
    await expectCompiled(`${x} rtt > 0 and src 127.0.14.2/31`, ['s2', 'c2']);
  });

  const cg = cgroup2();
  describe.skipIf(!isRoot || cg === null)('dev and cgroup (root: SO_BINDTODEVICE, a cgroup of its own for a helper)', () => {
    let child: ChildProcess | null = null;
    let dir = '';
    let helperCgroup = 0n;
    const HELPER = `
import json, os, socket, sys
sys.stdin.readline()  # the test has moved this process into its cgroup
l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, b"lo"); l.bind(("127.0.14.4", 0)); l.listen(4)
c = socket.create_connection(l.getsockname()); a, _ = l.accept()
c.sendall(b"y" * 100)
got = 0
while got < 100: got += len(a.recv(100 - got))
ino = lambda s: os.fstat(s.fileno()).st_ino
print(json.dumps({"HL": ino(l), "HC": ino(c), "HS": ino(a)}), flush=True)
sys.stdin.read()
`;

    beforeAll(async () => {
      dir = path.join(cg!.mount, `netsnap-filter-${process.pid}`);
      fs.mkdirSync(dir);
      helperCgroup = fs.statSync(dir, { bigint: true }).ino;
      const c = spawn('python3', ['-c', HELPER], { stdio: ['pipe', 'pipe', 'inherit'] });
      child = c;
      fs.writeFileSync(path.join(dir, 'cgroup.procs'), String(c.pid));
      c.stdin!.write('go\n');
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        c.stdout!.setEncoding('utf8');
        c.stdout!.on('data', (d: string) => {
          buf += d;
          if (buf.includes('\n')) resolve(buf);
        });
        c.on('exit', (code) => reject(new Error(`helper exited (${code})`)));
      });
      Object.assign(ino, JSON.parse(line) as Record<string, number>);
    });

    afterAll(async () => {
      if (child) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.stdin!.end();
        child.kill();
        await exited;
      }
      if (dir) fs.rmdirSync(dir);
    });

    const helperHost = (): Leaf => and(live, or(host(0, 4, 32, -1, ipv4('127.0.14.4')), host(1, 4, 32, -1, ipv4('127.0.14.4'))));
    const helperHostBc = (): Bytes => bcOr(bcHost(true, 4, 32, -1, ipv4('127.0.14.4')), bcHost(false, 4, 32, -1, ipv4('127.0.14.4')));

    it('the ifindex and cgroupId columns: lo for the bound listener and its accepted socket, the helper\'s cgroup for all three', () => {
      const rows = rowsOf(addon.sample(request({ source: 'netlink' })));
      const by = new Map(rows.map((r) => [r.inode, r]));
      expect([ino.HL, ino.HS, ino.HC].map((k) => by.get(k!)?.ifindex)).toEqual([loIndex, loIndex, 0]);
      expect([ino.HL, ino.HS, ino.HC].map((k) => by.get(k!)?.cgroupId)).toEqual([helperCgroup, helperCgroup, helperCgroup]);
      expect(['L2', 's2', 'c2', 'L6'].map((k) => by.get(ino[k]!)?.ifindex)).toEqual([0, 0, 0, 0]);
      expect(['L2', 's2', 'c2', 'L6'].map((k) => by.get(ino[k]!)?.cgroupId)).toEqual([cg!.own, cg!.own, cg!.own, cg!.own]);
    });

    it('dev = lo: the bound sockets (netlink with and without bytecode); unknown on /proc', async () => {
      const dev: Leaf = [OP.DEV, loIndex];
      for (const [leaf, bc, want] of [
        [and(dev, helperHost()), bcAnd(bcDev(loIndex), helperHostBc()), ['HL', 'HS']],
        [and(not(dev), helperHost()), bcAnd(bcNot(bcDev(loIndex)), helperHostBc()), ['HC']],
      ] as Array<[Leaf, Bytes, string[]]>) {
        const p = program(leaf);
        const expected = want.map((k) => ino[k]!).sort((a, b) => a - b);
        expect(inodes(addon.sample(request({ source: 'netlink', filter: { program: p } })))).toEqual(expected);
        const withBc = addon.sample(request({ source: 'netlink', filter: { program: p, bytecode: new Uint8Array(bc) } }));
        expect(inodes(withBc)).toEqual(expected);
        expect(withBc.files.map((f) => f.filterInKernel)).toEqual([true, true]);
        expect(inodes(await addon.sampleAsync(request({ source: 'netlink', filter: { program: p, bytecode: BAD_BYTECODE } })))).toEqual(expected);
        // /proc knows no bound device: unknown, and the helper's three sockets stay.
        expect(inodes(addon.sample(request({ source: 'proc', filter: { program: p } }))))
          .toEqual(['HL', 'HS', 'HC'].map((k) => ino[k]!).sort((a, b) => a - b));
      }
    });

    it('cgroup: the helper\'s cgroup keeps exactly its sockets, this process\'s cgroup its own; unknown on /proc', async () => {
      const helper = program(cgroupLeaf(helperCgroup));
      const expected = ['HL', 'HS', 'HC'].map((k) => ino[k]!).sort((a, b) => a - b);
      expect(inodes(addon.sample(request({ source: 'netlink', filter: { program: helper } })))).toEqual(expected);
      const withBc = await addon.sampleAsync(request({ source: 'netlink', filter: { program: helper, bytecode: new Uint8Array(bcCgroup(helperCgroup)) } }));
      expect(inodes(withBc)).toEqual(expected);
      expect(withBc.files.map((f) => [f.filterInKernel, f.kernelRejected])).toEqual([[true, undefined], [true, undefined]]);
      const own = program(and(cgroupLeaf(cg!.own), within()));
      expect(inodes(addon.sample(request({ source: 'netlink', filter: { program: own, bytecode: new Uint8Array(bcAnd(bcCgroup(cg!.own), withinBc())) } }))))
        .toEqual(['L2', 's2', 'L2m', 'L3', 'c2'].map((k) => ino[k]!).sort((a, b) => a - b));
      expect(inodes(addon.sample(request({ source: 'netlink', filter: { program: program(and(cgroupLeaf(helperCgroup), within())) } })))).toEqual([]);
      expect(inodes(addon.sample(request({ source: 'proc', filter: { program: program(and(cgroupLeaf(helperCgroup), helperHost())) } })))).toEqual(expected);
    });

    it('dev and cgroup compiled from ss\'s words', async () => {
      const x = 'exclude time-wait';
      await expectCompiled(`${x} dev = lo and ( src 127.0.14.4 or dst 127.0.14.4 )`, ['HL', 'HS']);
      await expectCompiled(`${x} dev != lo and ( src 127.0.14.4 or dst 127.0.14.4 )`, ['HC']);
      await expectCompiled(`${x} cgroup = /${path.basename(dir)}`, ['HL', 'HS', 'HC']);
    });

    it('tcp_info of the helper\'s sockets: the received bytes', () => {
      const received = TCP_INFO_INDEX.get('bytesReceived')!;
      const p = program(and([OP.INFO, received, CMP.eq, 100], helperHost()));
      const s = addon.sample(request({ source: 'netlink', extensions: 1, filter: { program: p, bytecode: new Uint8Array(helperHostBc()) } }));
      expect(inodes(s)).toEqual([ino.HS!]);
    });
  });
});
