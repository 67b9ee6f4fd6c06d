// A fuzzer of the filter expression parser (src/filter/parse.ts) and its compilers (compile.ts: the
// column program; kernel.ts: INET_DIAG_REQ_BYTECODE), in two parts, every input made from (seed, index)
// alone so that any one of them can be made again:
//
// - robustness: mutated expressions (tokens inserted, deleted, swapped, repeated; odd whitespace,
//   unicode, huge numbers, deep parentheses, long chains, long words) through compileFilter(), which
//   must return or throw NetsnapError ERR_USAGE with a `bad filter:` message — no other exception, no
//   stack overflow; an input that takes over SLOW_MS is a finding too. What compiles must hold a valid
//   column program, and its bytecode must be accepted by the kernel (a real dump).
// - meaning: expressions generated from the grammar as a tree of their own (state/exclude words and
//   groups, src/dst with IPv4, [IPv6], IPv4-mapped, prefixes, ports and `*`, sport/dport with every
//   operator spelling, dev, cgroup, autobound, uid/user, recv-q/send-q, the tcp_info and ratio words,
//   pid/comm/program/container, and/or/not/!/&&/||, parentheses and the implicit and), printed as text
//   in one of many spellings, compiled, and run on a real netlink dump through the addon, on sockets
//   this fuzzer opens on loopback. The kernel must accept every bytecode (no kernelRejected, the filter
//   in the kernel), and the rows of ours that the kernel, the column program and the owner pass keep
//   must be exactly those the reference below keeps from an unfiltered dump. The reference evaluates
//   the generated tree from the language's meaning (ss(8) and the header of parse.ts): it reads the
//   rows' columns and calls nothing of src/filter/.
//
// Findings are returned with the seed, the index and the text (test/fuzz/filter-expr.main.ts writes
// them to a file); a meaning mismatch is first shrunk to a smaller tree that still disagrees.
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { loadNative } from '../../src/backends/native';
import { applyOwnerFilter } from '../../src/backends/snapshot';
import { compileFilter, type CompiledFilter } from '../../src/filter/compile';
import { programProblem } from '../../src/filter/program';
import { InetTable } from '../../src/model/columns';
import type { RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';
import { NetsnapError } from '../../src/model/errors';
import { rng } from '../helpers/generate';
import { inodeOf, once } from '../helpers/sockets';

// ---------------------------------------------------------------------------------------------
// Seeded randomness: input i of seed s comes from its own generator.

export class Rand {
  readonly next: () => number;
  constructor(seed: number, index: number) {
    this.next = rng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------
// The language's meaning, written out here (not taken from src/filter/).

type Op = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';
const OPS: readonly Op[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge'];
const OP_SPELLINGS: Readonly<Record<Op, readonly string[]>> = {
  eq: ['=', '==', 'eq', 'EQ'],
  ne: ['!=', 'ne', 'neq'],
  lt: ['<', 'lt'],
  le: ['<=', 'le'],
  gt: ['>', 'gt'],
  ge: ['>=', 'ge', 'GE'],
};

function holds(v: number | bigint, op: Op, x: number | bigint): boolean {
  switch (op) {
    case 'eq': return v === x;
    case 'ne': return v !== x;
    case 'lt': return v < x;
    case 'le': return v <= x;
    case 'gt': return v > x;
    case 'ge': return v >= x;
  }
}

/** ss's TCP state numbers and state words (misc/ss.c). */
const ST = { established: 1, synSent: 2, synRecv: 3, finWait1: 4, finWait2: 5, timeWait: 6, close: 7, closeWait: 8, lastAck: 9, listen: 10, closing: 11 };
const ALL_STATES = 0x1fff;
const bit = (s: number): number => 1 << s;
const STATE_WORDS: Readonly<Record<string, number>> = {
  established: bit(ST.established), 'syn-sent': bit(ST.synSent), 'syn-recv': bit(ST.synRecv), 'syn-rcv': bit(ST.synRecv),
  'fin-wait-1': bit(ST.finWait1), 'fin-wait-2': bit(ST.finWait2), 'time-wait': bit(ST.timeWait), closed: bit(ST.close),
  close: bit(ST.close), unconnected: bit(ST.close), 'close-wait': bit(ST.closeWait), 'last-ack': bit(ST.lastAck),
  listening: bit(ST.listen), closing: bit(ST.closing), all: ALL_STATES,
  connected: ALL_STATES & ~(bit(ST.close) | bit(ST.listen)),
  synchronized: ALL_STATES & ~(bit(ST.close) | bit(ST.listen) | bit(ST.synSent)),
  bucket: bit(ST.synRecv) | bit(ST.timeWait),
  big: ALL_STATES & ~(bit(ST.synRecv) | bit(ST.timeWait)),
};

/** The tcp_info words: the field's offset and size in struct tcp_info (include/uapi/linux/tcp.h) and its unit. */
const INFO_WORDS: Readonly<Record<string, { offset: number; size: 4 | 8; unit: 'time' | 'count' | 'size' }>> = {
  rtt: { offset: 68, size: 4, unit: 'time' },
  rttvar: { offset: 72, size: 4, unit: 'time' },
  rto: { offset: 8, size: 4, unit: 'time' },
  'min-rtt': { offset: 148, size: 4, unit: 'time' },
  retrans: { offset: 100, size: 4, unit: 'count' },
  lost: { offset: 32, size: 4, unit: 'count' },
  unacked: { offset: 24, size: 4, unit: 'count' },
  cwnd: { offset: 80, size: 4, unit: 'count' },
  'bytes-acked': { offset: 120, size: 8, unit: 'size' },
  'bytes-received': { offset: 128, size: 8, unit: 'size' },
  'bytes-retrans': { offset: 208, size: 8, unit: 'size' },
  'bytes-sent': { offset: 200, size: 8, unit: 'size' },
};
/** tcpi_busy_time and the two limited times (u64 at 168, 176, 184). */
const BUSY = { offset: 168, size: 8 } as const;
const RATIO_WORDS: Readonly<Record<string, { offset: number; size: 8 }>> = {
  'rwnd-limited': { offset: 176, size: 8 },
  'sndbuf-limited': { offset: 184, size: 8 },
};
/** The column names of those fields in TcpInfoColumns (only to read the dump's values). */
const COLUMN_AT: Readonly<Record<number, string>> = {
  8: 'rtoUs', 24: 'unacked', 32: 'lost', 68: 'rttUs', 72: 'rttVarUs', 80: 'cwnd', 100: 'totalRetrans', 120: 'bytesAcked',
  128: 'bytesReceived', 148: 'minRttUs', 168: 'busyUs', 176: 'rwndLimitedUs', 184: 'sndbufLimitedUs', 200: 'bytesSent',
  208: 'bytesRetrans',
};

export type Expr =
  | { k: 'and' | 'or'; a: Expr; b: Expr }
  | { k: 'not'; a: Expr }
  | { k: 'host'; side: 'src' | 'dst'; family: 0 | 4 | 6; addr: number[]; prefix: number; port: number }
  | { k: 'port'; side: 'sport' | 'dport'; op: Op; port: number; service?: string }
  | { k: 'dev'; ifindex: number; word: string; negate: boolean }
  | { k: 'cgroup'; id: bigint; word: string; negate: boolean }
  | { k: 'autobound' }
  | { k: 'uid'; op: Op; uid: number; user?: string }
  | { k: 'queue'; which: 'recv-q' | 'send-q'; op: Op; bytes: number; text: string }
  | { k: 'info'; word: string; op: Op; value: number; text: string }
  | { k: 'ratio'; word: string; op: Op; ppm: number; text: string }
  | { k: 'pid'; op: Op; pid: number }
  | { k: 'comm' | 'program'; glob: string; negate: boolean; quote: string }
  | { k: 'container'; value: string; negate: boolean };

export interface Generated {
  /** The state bits of the state/exclude words; null without them. */
  states: number | null;
  stateText: string;
  expr: Expr | null;
}

/** One row of ours as the reference sees it. */
export interface RefRow {
  inode: number;
  file: string;
  family: 4 | 6;
  state: number;
  localAddr: number[];
  remoteAddr: number[];
  localPort: number;
  remotePort: number;
  uid: number;
  rxQueue: number;
  txQueue: number;
  ifindex: number;
  cgroupId: bigint;
  /** tcp_info bytes the kernel sent (0 without tcp_info). */
  infoLen: number;
  /** tcp_info values by offset, for the fields the words name. */
  info: Map<number, number>;
  autobound: boolean;
}

export interface Owner {
  pid: number;
  comm: string;
  program: string;
}

function globMatch(glob: string, s: string): boolean {
  // Plain backtracking over code units: `*` any run, `?` any one.
  const g = [...glob];
  const t = [...s];
  const memo = new Map<number, boolean>();
  const at = (i: number, j: number): boolean => {
    const key = i * 100_000 + j;
    const m = memo.get(key);
    if (m !== undefined) return m;
    let r: boolean;
    if (i === g.length) r = j === t.length;
    else if (g[i] === '*') r = at(i + 1, j) || (j < t.length && at(i, j + 1));
    else r = j < t.length && (g[i] === '?' || g[i] === t[j]) && at(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return at(0, 0);
}

function hostMatches(e: Extract<Expr, { k: 'host' }>, r: RefRow): boolean {
  const port = e.side === 'src' ? r.localPort : r.remotePort;
  if (e.port !== -1 && port !== e.port) return false;
  if (e.family === 0) return true;
  let addr = e.side === 'src' ? r.localAddr : r.remoteAddr;
  if (e.family !== r.family) {
    // An IPv4 condition also takes an IPv4-mapped IPv6 address (::ffff:a.b.c.d).
    const mapped = r.family === 6 && addr.slice(0, 10).every((b) => b === 0) && addr[10] === 0xff && addr[11] === 0xff;
    if (e.family !== 4 || !mapped) return false;
    addr = addr.slice(12);
  }
  for (let b = 0; b < e.prefix; b++) {
    const want = (e.addr[b >> 3]! >> (7 - (b & 7))) & 1;
    const have = (addr[b >> 3]! >> (7 - (b & 7))) & 1;
    if (want !== have) return false;
  }
  return true;
}

/** Whether the row passes the expression (owners: the processes holding its socket). */
export function referenceMatches(e: Expr, r: RefRow, owners: readonly Owner[]): boolean {
  switch (e.k) {
    case 'and': return referenceMatches(e.a, r, owners) && referenceMatches(e.b, r, owners);
    case 'or': return referenceMatches(e.a, r, owners) || referenceMatches(e.b, r, owners);
    case 'not': return !referenceMatches(e.a, r, owners);
    case 'host': return hostMatches(e, r);
    case 'port': return holds(e.side === 'sport' ? r.localPort : r.remotePort, e.op, e.port);
    case 'dev': return (r.ifindex === e.ifindex) !== e.negate;
    case 'cgroup': return (r.cgroupId === e.id) !== e.negate;
    case 'autobound': return r.autobound;
    case 'uid': return holds(r.uid, e.op, e.uid);
    case 'queue': return holds(e.which === 'recv-q' ? r.rxQueue : r.txQueue, e.op, e.bytes);
    case 'info': {
      const f = INFO_WORDS[e.word]!;
      if (r.infoLen < f.offset + f.size) return false;
      return holds(r.info.get(f.offset)!, e.op, e.value);
    }
    case 'ratio': {
      const f = RATIO_WORDS[e.word]!;
      if (r.infoLen < f.offset + f.size || r.infoLen < BUSY.offset + BUSY.size) return false;
      const num = BigInt(r.info.get(f.offset)!);
      const den = BigInt(r.info.get(BUSY.offset)!);
      // num / den in parts per million against ppm, exactly; no busy time is 0 ppm.
      if (den === 0n) return holds(0, e.op, e.ppm);
      return holds(num * 1_000_000n, e.op, BigInt(e.ppm) * den);
    }
    case 'pid':
      // `pid != N`: not held by N (a socket nobody holds passes).
      if (e.op === 'ne') return !owners.some((o) => o.pid === e.pid);
      return owners.some((o) => holds(o.pid, e.op, e.pid));
    case 'comm': return owners.some((o) => globMatch(e.glob, o.comm)) !== e.negate;
    case 'program': return owners.some((o) => globMatch(e.glob, o.program)) !== e.negate;
    case 'container': return e.negate; // the fuzzer's sockets are in no container of that id
  }
}

export function referenceKeeps(g: Generated, r: RefRow, owners: readonly Owner[]): boolean {
  if (g.states !== null && (g.states & bit(r.state)) === 0) return false;
  return g.expr === null || referenceMatches(g.expr, r, owners);
}

const KERNEL_KINDS = new Set(['and', 'or', 'not', 'host', 'port', 'dev', 'cgroup', 'autobound']);
function kinds(e: Expr, out: Set<string>): Set<string> {
  out.add(e.k);
  if (e.k === 'and' || e.k === 'or') {
    kinds(e.a, out);
    kinds(e.b, out);
  } else if (e.k === 'not') kinds(e.a, out);
  return out;
}
/** `autobound` with a predicate only user space decides: netsnap refuses it (the kernel must decide all). */
export function refusedMix(e: Expr | null): boolean {
  if (e === null) return false;
  const ks = kinds(e, new Set());
  return ks.has('autobound') && [...ks].some((k) => !KERNEL_KINDS.has(k));
}

// ---------------------------------------------------------------------------------------------
// Printing a tree as filter text, in one of its spellings.

function ipv4Text(a: readonly number[]): string {
  return a.slice(0, 4).join('.');
}

function ipv6Text(r: Rand, a: readonly number[]): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((a[i]! << 8) | a[i + 1]!);
  const mapped = groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff;
  if (mapped && r.chance(0.6)) return `::ffff:${a.slice(12).join('.')}`;
  const hex = (g: number): string => {
    const s = g.toString(16);
    return r.chance(0.2) ? s.toUpperCase() : r.chance(0.1) ? s.padStart(4, '0') : s;
  };
  if (r.chance(0.25)) return groups.map(hex).join(':');
  // The longest run of zero groups (two or more) as ::.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.map(hex).join(':');
  return `${groups.slice(0, best).map(hex).join(':')}::${groups.slice(best + bestLen).map(hex).join(':')}`;
}

function hostText(r: Rand, e: Extract<Expr, { k: 'host' }>): string {
  const port = e.port === -1 ? (r.chance(0.2) ? ':*' : '') : `:${e.port}`;
  if (e.family === 0) return `*${port}`;
  if (e.family === 4) {
    const prefix = e.prefix !== 32 || r.chance(0.2) ? `/${e.prefix}` : '';
    return `${ipv4Text(e.addr)}${prefix}${port}`;
  }
  const a = ipv6Text(r, e.addr);
  if (e.prefix === 128 && r.chance(0.7)) return `[${a}]${port}`;
  return r.chance(0.5) ? `[${a}]/${e.prefix}${port}` : `[${a}/${e.prefix}]${port}`;
}

const sp = (r: Rand): string => r.pick([' ', ' ', ' ', '  ', '\t', '\n']);
const casing = (r: Rand, w: string): string => (r.chance(0.1) ? w.toUpperCase() : w);

function leafText(r: Rand, e: Expr): string {
  const s = sp(r);
  switch (e.k) {
    case 'host': {
      const eq = r.pick(['', '', '= ', '== ', 'eq ']);
      return `${casing(r, e.side)}${s}${eq}${hostText(r, e)}`;
    }
    case 'port': {
      const op = e.op === 'eq' && r.chance(0.3) ? '' : r.pick(OP_SPELLINGS[e.op]);
      const tight = r.chance(0.2) && /^[<>=!]/.test(op);
      const port = e.service !== undefined ? `:${e.service}` : r.chance(0.8) ? `:${e.port}` : String(e.port);
      return tight ? `${casing(r, e.side)}${op}${port}` : `${casing(r, e.side)}${s}${op}${op ? sp(r) : ''}${port}`;
    }
    case 'dev':
      return `dev${s}${e.negate ? r.pick(['!=', 'ne', 'neq']) : r.pick(['=', '==', 'eq'])} ${e.word}`;
    case 'cgroup':
      return `cgroup${s}${e.negate ? '!=' : r.pick(['=', '=='])} ${e.word}`;
    case 'autobound':
      return casing(r, 'autobound');
    case 'uid':
      if (e.user !== undefined) return `user${s}${e.op === 'ne' ? '!=' : '='} ${e.user}`;
      return `uid${s}${e.op === 'eq' && r.chance(0.3) ? '' : `${r.pick(OP_SPELLINGS[e.op])} `}${e.uid}`;
    case 'queue':
      return `${e.which}${s}${r.pick(OP_SPELLINGS[e.op])} ${e.text}`;
    case 'info':
    case 'ratio':
      return `${e.word}${s}${r.pick(OP_SPELLINGS[e.op])} ${e.text}`;
    case 'pid':
      return `pid${s}${r.pick(OP_SPELLINGS[e.op])} ${e.pid}`;
    case 'comm':
    case 'program':
      return `${e.k}${s}${e.negate ? '!=' : '='} ${e.quote}${e.glob}${e.quote}`;
    case 'container':
      return `container ${e.negate ? '!=' : '='} ${e.value}`;
    default:
      throw new Error('not a leaf');
  }
}

/** Precedence: or 1, and 2, not and leaves 3; parentheses where needed, and now and then where not. */
function exprText(r: Rand, e: Expr, need: number): string {
  let text: string;
  let prec: number;
  if (e.k === 'or') {
    text = `${exprText(r, e.a, 1)}${sp(r)}${r.pick(['or', 'or', '||'])}${sp(r)}${exprText(r, e.b, 2)}`;
    prec = 1;
  } else if (e.k === 'and') {
    const joiner = r.pick(['and', 'and', '&&', '']);
    text = `${exprText(r, e.a, 2)}${sp(r)}${joiner}${joiner ? sp(r) : ''}${exprText(r, e.b, 3)}`;
    prec = 2;
  } else if (e.k === 'not') {
    const word = r.pick(['not', 'not', '!']);
    text = `${word}${word === '!' && r.chance(0.5) ? '' : sp(r)}${exprText(r, e.a, 3)}`;
    prec = 3;
  } else {
    text = leafText(r, e);
    prec = 3;
  }
  if (prec < need || r.chance(0.08)) return r.chance(0.5) ? `(${text})` : `( ${text} )`;
  return text;
}

export function generatedText(r: Rand, g: Generated): string {
  const expr = g.expr === null ? '' : exprText(r, g.expr, 0);
  return [g.stateText, expr].filter(Boolean).join(' ');
}

// ---------------------------------------------------------------------------------------------
// Generating trees over what this fuzzer's sockets hold.

export interface Pools {
  ports: number[];
  /** [family, 16 bytes] of our rows' addresses. */
  addrs: Array<[4 | 6, number[]]>;
  uids: number[];
  queues: number[];
  info: Map<number, number[]>;
  ratios: number[];
  loIndex: number;
  rootCgroup: { id: bigint; word: string } | null;
  pid: number;
  comm: string;
  program: string;
  services: Array<[string, number]>;
}

function quantityText(r: Rand, unit: 'time' | 'count' | 'size' | 'percent', v: number): string {
  const exact = (scale: number, suffixes: readonly string[]): string | null => {
    if (v % scale !== 0) return null;
    return `${v / scale}${r.pick(suffixes)}`;
  };
  const options: string[] = [];
  if (unit === 'time') {
    options.push(`${v}us`);
    const ms = exact(1000, ['', 'ms', 'MS']);
    if (ms) options.push(ms);
    const s = exact(1e6, ['s']);
    if (s) options.push(s);
    if (v % 1000 !== 0 && v < 1e9) options.push(`${(v / 1000).toFixed(3)}ms`);
  } else if (unit === 'size') {
    options.push(String(v), `${v}b`);
    const k = exact(1024, ['k', 'kb', 'K']);
    if (k) options.push(k);
    const m = exact(2 ** 20, ['m', 'mb']);
    if (m) options.push(m);
    const g = exact(2 ** 30, ['g', 'gb']);
    if (g) options.push(g);
  } else if (unit === 'percent') {
    const pct = v / 1e4;
    options.push(`${pct}%`);
    if (Number.isInteger(pct)) options.push(String(pct));
  } else {
    options.push(String(v));
  }
  return r.pick(options);
}

function near(r: Rand, v: number, max: number): number {
  const x = v + r.pick([0, 0, 0, -1, 1]);
  return Math.min(max, Math.max(0, x));
}

function leaf(r: Rand, p: Pools, kernelOnly: boolean): Expr {
  const kind = kernelOnly ? r.int(10) : r.int(22);
  if (kind < 4) {
    const side = r.pick(['src', 'dst'] as const);
    const port = r.chance(0.6) ? -1 : near(r, r.pick(p.ports), 65535);
    const t = r.next();
    if (t < 0.1) return { k: 'host', side, family: 0, addr: new Array(16).fill(0), prefix: 0, port };
    let [fam, bytes] = r.pick(p.addrs);
    const mapped = fam === 6 && bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
    let family: 4 | 6 = fam;
    if (mapped && r.chance(0.6)) {
      family = 4;
      bytes = [...bytes.slice(12), ...new Array<number>(12).fill(0)];
    } else if (fam === 4) bytes = [...bytes.slice(0, 4), ...new Array<number>(12).fill(0)];
    fam = family;
    const max = fam === 4 ? 32 : 128;
    const prefix = r.chance(0.5) ? max : r.pick([0, 1, 7, 8, 9, 16, 24, 31, max - 1, r.int(max + 1)]);
    const addr = [...bytes];
    // Bits past the prefix may be anything: the condition does not look at them.
    if (prefix < max && r.chance(0.5)) for (let b = prefix; b < max; b++) if (r.chance(0.3)) addr[b >> 3] = addr[b >> 3]! ^ (1 << (7 - (b & 7)));
    return { k: 'host', side, family: fam, addr, prefix, port };
  }
  if (kind < 7) {
    const side = r.pick(['sport', 'dport'] as const);
    // A service name of /etc/services (read here with a regular expression) for its port.
    if (p.services.length > 0 && r.chance(0.08)) {
      const [service, port] = r.pick(p.services);
      return { k: 'port', side, op: r.pick(OPS), port, service };
    }
    const port = r.chance(0.1) ? r.pick([0, 1, 65535]) : near(r, r.pick(p.ports), 65535);
    return { k: 'port', side, op: r.pick(OPS), port };
  }
  if (kind === 7) {
    const t = r.int(4);
    const [ifindex, word] = t === 0 ? [p.loIndex, 'lo'] : t === 1 ? [0, '0'] : t === 2 ? [p.loIndex, String(p.loIndex)] : [4294967295, '4294967295'];
    return { k: 'dev', ifindex, word, negate: r.chance(0.3) };
  }
  if (kind === 8) {
    if (p.rootCgroup === null) return { k: 'autobound' };
    return { k: 'cgroup', id: p.rootCgroup.id, word: p.rootCgroup.word, negate: r.chance(0.3) };
  }
  if (kind === 9) return { k: 'autobound' };
  if (kind < 12) {
    if (r.chance(0.25)) {
      const user = r.pick(['root', '0', String(r.pick(p.uids))]);
      const uid = user === 'root' ? 0 : Number(user);
      return { k: 'uid', op: r.chance(0.7) ? 'eq' : 'ne', uid, user };
    }
    const uid = r.chance(0.15) ? r.pick([0, 1, 4294967295]) : near(r, r.pick(p.uids), 4294967295);
    return { k: 'uid', op: r.pick(OPS), uid };
  }
  if (kind < 14) {
    const bytes = r.chance(0.15) ? r.pick([0, 1024, 4294967295, 2 ** 20]) : near(r, r.pick(p.queues), 4294967295);
    return { k: 'queue', which: r.pick(['recv-q', 'send-q'] as const), op: r.pick(OPS), bytes, text: quantityText(r, 'size', bytes) };
  }
  if (kind < 17) {
    const word = r.pick(Object.keys(INFO_WORDS));
    const f = INFO_WORDS[word]!;
    const seen = p.info.get(f.offset) ?? [];
    const max = 2 ** 53;
    let value = seen.length > 0 && r.chance(0.8) ? near(r, r.pick(seen), max) : r.pick([0, 1, 1000, 2 ** 32, max]);
    if (f.unit === 'time' && r.chance(0.3)) value = Math.floor(value / 1000) * 1000;
    return { k: 'info', word, op: r.pick(OPS), value, text: quantityText(r, f.unit, value) };
  }
  if (kind === 17) {
    const word = r.pick(Object.keys(RATIO_WORDS));
    const ppm = r.chance(0.5) && p.ratios.length > 0 ? r.pick(p.ratios) : r.pick([0, 1, 10_000, 125_000, 500_000, 999_999, 1_000_000]);
    return { k: 'ratio', word, op: r.pick(OPS), ppm, text: quantityText(r, 'percent', ppm) };
  }
  if (kind === 18) {
    const pid = r.chance(0.8) ? near(r, p.pid, 0x7fffffff) : r.pick([1, 0x7fffffff]);
    return { k: 'pid', op: r.pick(OPS), pid };
  }
  if (kind < 21 && /^[\w.-]{2,15}$/.test(p.comm) && /^[\w.-]{2,}$/.test(p.program)) {
    const k = r.pick(['comm', 'program'] as const);
    const name = k === 'comm' ? p.comm : p.program;
    const glob = r.pick([name, `${name.slice(0, 2)}*`, `*${name.slice(-1)}`, `${name.slice(0, -1)}?`, '*', `x${name}`, `${name}?`]);
    return { k, glob, negate: r.chance(0.25), quote: r.pick(['', '', '"', "'"]) };
  }
  return { k: 'container', value: r.pick(['0123456789ab', 'feedfacecafe1234', 'no-such-pod-uid']), negate: r.chance(0.5) };
}

function tree(r: Rand, p: Pools, depth: number, kernelOnly: boolean): Expr {
  if (depth === 0 || r.chance(0.35)) return leaf(r, p, kernelOnly);
  const t = r.next();
  if (t < 0.15) return { k: 'not', a: tree(r, p, depth - 1, kernelOnly) };
  return { k: t < 0.6 ? 'and' : 'or', a: tree(r, p, depth - 1, kernelOnly), b: tree(r, p, depth - 1, kernelOnly) };
}

export function generate(r: Rand, p: Pools): Generated {
  let states: number | null = null;
  const words: string[] = [];
  if (r.chance(0.35)) {
    for (let n = 1 + r.int(3); n > 0; n--) {
      const name = r.pick(Object.keys(STATE_WORDS));
      const exclude = r.chance(0.35);
      words.push(`${exclude ? r.pick(['exclude', 'excl']) : 'state'} ${r.chance(0.1) ? name.toUpperCase() : name}`);
      states = exclude ? (states ?? ALL_STATES) & ~STATE_WORDS[name]! : (states ?? 0) | STATE_WORDS[name]!;
    }
  }
  // A quarter of the trees only of what the kernel runs (autobound among them), one in twenty
  // autobound beside anything (a mix with a user-space predicate must be refused), the rest of
  // anything but autobound.
  const mode = r.next();
  let expr: Expr | null = null;
  if (states === null || r.chance(0.85)) {
    if (mode < 0.25) expr = tree(r, p, 1 + r.int(4), true);
    else if (mode < 0.3) expr = { k: r.chance(0.5) ? 'or' : 'and', a: { k: 'autobound' }, b: tree(r, p, 2, false) };
    else {
      expr = tree(r, p, 1 + r.int(4), false);
      if (refusedMix(expr)) expr = stripAutobound(expr);
    }
  }
  return { states, stateText: words.join(' '), expr };
}

function stripAutobound(e: Expr): Expr {
  if (e.k === 'autobound') return { k: 'port', side: 'sport', op: 'ge', port: 0 };
  if (e.k === 'and' || e.k === 'or') return { ...e, a: stripAutobound(e.a), b: stripAutobound(e.b) };
  if (e.k === 'not') return { k: 'not', a: stripAutobound(e.a) };
  return e;
}

/** Smaller trees of e: each operand of a connective in its place. */
function shrinks(e: Expr): Expr[] {
  if (e.k === 'and' || e.k === 'or') {
    return [e.a, e.b, ...shrinks(e.a).map((a) => ({ ...e, a })), ...shrinks(e.b).map((b) => ({ ...e, b }))];
  }
  if (e.k === 'not') return [e.a, ...shrinks(e.a).map((a) => ({ k: 'not' as const, a }))];
  return [];
}

// ---------------------------------------------------------------------------------------------
// Mutated text for the robustness part.

const VOCABULARY = [
  'state', 'exclude', 'excl', 'established', 'listening', 'all', 'connected', 'bucket', 'big', 'syn-recv', 'time-wait', 'nosuch',
  'src', 'dst', 'sport', 'dport', 'dev', 'cgroup', 'autobound', 'uid', 'user', 'recv-q', 'send-q', 'rtt', 'rttvar', 'rto',
  'min-rtt', 'retrans', 'lost', 'unacked', 'cwnd', 'bytes-acked', 'bytes-received', 'bytes-retrans', 'bytes-sent',
  'rwnd-limited', 'sndbuf-limited', 'pid', 'comm', 'program', 'container', 'and', 'or', 'not', '&&', '||', '!', '(', ')',
  '=', '==', '!=', '<', '<=', '>', '>=', 'eq', 'ne', 'lt', 'le', 'gt', 'ge', '&', '|', '[', ']', ':', '/', '*', ':*',
  '127.0.0.1', '127.0.0.1/8', '0.0.0.0/0', '[::1]', '[::]/0', '[::ffff:127.0.0.1]', '[::1', '::1', '1.2.3.4.5', '256.0.0.1',
  '10.0.0.1/33', '[::1]/129', ':80', ':0', ':65535', ':65536', ':http', ':nosuchservice', '80', '-1', '0x10', '1e3', '1.5',
  '99999999999999999999', '1e309', 'NaN', 'Infinity', '9007199254740993', '4294967296', '12%', '101%', '1.5ms', '3s', '10k',
  '1m', '5g', '7gb', '0.0001us', 'lo', '0', '/', '/..', '/nosuch', 'root', 'nosuchuser', 'node', '"quoted"', "'x'", '"',
  '\u00a0', '\u2003', '\u2028', '\ufeff', '\u0000', '\u0007', '\x7f', '\ud83d\ude00', '\ud800', 'é', 'ﬁ', '\u202e', '١٢٣',
];

const SEEDS = [
  'state established ( dport = :ssh or sport = :ssh )',
  'src 127.0.0.1/8 and not dst [::1]:80',
  'exclude listening dport >= :1024 || sport < :1024',
  'sport != :22 dev = lo cgroup = /',
  'autobound and src *:443',
  'uid = 0 and recv-q > 10k and rtt < 1.5ms or rwnd-limited > 12.5%',
  'pid = 1 or comm = "ng*" or program != sshd or container = *',
  'state connected state listening exclude big',
  '! ( src [::ffff:127.0.0.0]/104 && ! dst 0.0.0.0/0:* )',
  'user = root send-q le 1m bytes-acked gt 5g cwnd eq 10 lost ne 0',
];

function tokens(text: string): string[] {
  return text.split(/(\s+|[()!=<>&|])/).filter((t) => t !== '' && !/^\s+$/.test(t));
}

/** A mutated or built input: most near a real expression, some deliberately huge. */
export function mutatedInput(r: Rand, p: Pools | null): string {
  const base = p !== null && r.chance(0.5) ? generatedText(r, generate(r, p)) : r.pick(SEEDS);
  const t = r.next();
  if (t < 0.04) {
    const n = r.pick([24, 25, 26, 100, 1000, 100_000]);
    const open = r.pick(['(', '( ', 'not ', '! ', '!', '(not ']);
    return `${open.repeat(n)}sport = :1${')'.repeat(r.chance(0.8) ? (open.includes('(') ? n : 0) : r.int(n + 1))}`;
  }
  if (t < 0.08) {
    const n = r.pick([100, 1024, 2000, 4095, 4096, 4097, 5000, 20_000, 60_000]);
    const joiner = r.pick([' and ', ' or ', ' ', ' || ', ' && ']);
    const one = r.pick(['sport = :1', 'src 127.0.0.1', 'dst [::1]/64:80', 'uid = 0', 'not dport > :9', '( sport = :2 )', 'autobound']);
    return Array.from({ length: n }, () => one).join(joiner);
  }
  if (t < 0.1) {
    const word = r.pick(['a', '9', '[', ':', '1.', 'é', '\u2003']).repeat(r.pick([1000, 100_000, 500_000]));
    return r.pick([`${word}`, `src ${word}`, `sport = :${word}`, `comm = ${word}`, `rtt < ${word}`]);
  }
  const toks = tokens(base);
  for (let n = 1 + r.int(4); n > 0; n--) {
    const at = r.int(toks.length + 1);
    switch (r.int(9)) {
      case 0: toks.splice(at, 1); break;
      case 1: toks.splice(at, 0, r.pick(VOCABULARY)); break;
      case 2: if (at + 1 < toks.length) [toks[at], toks[at + 1]] = [toks[at + 1]!, toks[at]!]; break;
      case 3: if (at < toks.length) toks.splice(at, 0, toks[at]!); break;
      case 4: if (at < toks.length) toks[at] = toks[at]!.toUpperCase(); break;
      case 5: {
        // One character of a token replaced, inserted or removed.
        if (at >= toks.length) break;
        const w = [...toks[at]!];
        const c = r.chance(0.5) ? String.fromCharCode(r.int(128)) : String.fromCodePoint(r.pick([0xa0, 0x2003, 0x1f600, 0xdc00, 0x661, 0xff1a, 0x2215]));
        const i = r.int(w.length + 1);
        if (r.chance(0.4)) w.splice(i, 1);
        else w.splice(i, r.int(2), c);
        toks[at] = w.join('');
        break;
      }
      case 6: if (at < toks.length) toks[at] = toks[at]!.replace(/\d+/, () => r.pick(['99999999999999999999', '0', '-1', '65536', '4294967296', '1e400', '00000000000000000001', '9'.repeat(400)])); break;
      case 7: toks.splice(at, 0, ...r.pick([['('], [')'], ['(', ')'], ['not', 'not'], ['and', 'or'], ['state'], ['&&', '||']])); break;
      default: toks.splice(at, toks.length - at); break;
    }
  }
  const joiners = [' ', ' ', '  ', '\t', '\n', '\r\n', '\u00a0', '\u2003', '\u3000', '', '\v\f'];
  const j = r.chance(0.7) ? ' ' : r.pick(joiners);
  return toks.map((x, i) => (i === 0 ? x : (r.chance(0.1) ? r.pick(joiners) : j) + x)).join('');
}

// ---------------------------------------------------------------------------------------------
// The sockets and the dumps.

const loaded = loadNative();
type Addon = { sample(request: SampleRequest): RawSample };
const addon: Addon | null = loaded.ok ? (require(loaded.path) as Addon) : null;
const FILES = ['tcp', 'tcp6', 'udp', 'udp6'];
const EXT_INFO = 1;

function request(extra: Partial<SampleRequest>): SampleRequest {
  return { netDir: '/proc/net', files: FILES, owners: false, procRoot: '/proc', littleEndian: true, source: 'netlink', ...extra };
}

export interface Sockets {
  /** inode → whether the kernel chose its port (no bind to a port of ours). */
  autobound: Map<number, boolean>;
  close(): Promise<void>;
}

async function freePort(host: string): Promise<number> {
  const s = net.createServer();
  s.listen(0, host);
  await once(s, 'listening');
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

/**
 * Listeners on 127.0.0.1, 127.0.0.2, 127.0.0.3, 127.1.2.3, ::1 and ::ffff:127.0.0.4 (half bound to a
 * port of ours, half to one the kernel chose), connections to each (one in FIN-WAIT-2/CLOSE-WAIT, bytes
 * waiting in some receive queues), UDP sockets bound and connected.
 */
export async function openSockets(): Promise<Sockets> {
  const servers: net.Server[] = [];
  const conns: net.Socket[] = [];
  const udp: dgram.Socket[] = [];
  const autobound = new Map<number, boolean>();
  const hosts: Array<[string, boolean, string]> = [
    ['127.0.0.1', false, '127.0.0.1'], ['127.0.0.2', true, '127.0.0.2'], ['127.0.0.3', false, '127.0.0.3'],
    ['127.1.2.3', true, '127.1.2.3'], ['::1', false, '::1'], ['::ffff:127.0.0.4', true, '127.0.0.4'],
  ];
  const closeAll = async (): Promise<void> => {
    for (const c of conns) c.destroy();
    for (const u of udp) u.close();
    await Promise.all(servers.map((s) => new Promise<void>((res) => (s.listening ? s.close(() => res()) : res()))));
  };
  try {
    await openAll();
  } catch (err) {
    await closeAll();
    throw err;
  }
  return { autobound, close: closeAll };

  async function openAll(): Promise<void> {
  let nth = 0;
  for (const [host, kernelPort, connectTo] of hosts) {
    const server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    const accepted: net.Socket[] = [];
    server.on('connection', (c) => {
      accepted.push(c);
      conns.push(c);
    });
    servers.push(server);
    let port = 0;
    for (let attempt = 0; ; attempt++) {
      port = kernelPort ? 0 : await freePort(host);
      try {
        server.listen(port, host);
        await once(server, 'listening');
        break;
      } catch (err) {
        if (attempt >= 5) throw err;
      }
    }
    port = (server.address() as net.AddressInfo).port;
    autobound.set(inodeOf(server), kernelPort);
    const clients = host === '127.0.0.2' ? 3 : 1 + (nth % 2);
    for (let k = 0; k < clients; k++) {
      const bindPort = k === 1 && host === '127.0.0.2' ? await freePort('127.0.0.1') : 0;
      const c = net.connect({ port, host: connectTo, ...(bindPort ? { localAddress: '127.0.0.1', localPort: bindPort } : {}) });
      conns.push(c);
      await once(c, 'connect');
      autobound.set(inodeOf(c), bindPort === 0);
      const queued = [0, 1000, 3, 70_000][(nth + k) % 4]!;
      if (queued > 0) await new Promise<void>((res) => c.write(Buffer.alloc(queued, 0x61), () => res()));
      if (host === '127.0.0.3' && k === 0) c.end(); // FIN-WAIT-2 here, CLOSE-WAIT on the server's side
    }
    for (let wait = 0; accepted.length < clients && wait < 200; wait++) await new Promise((res) => setTimeout(res, 10));
    if (accepted.length < clients) throw new Error(`only ${accepted.length} of ${clients} connections to ${host} were accepted`);
    // An accepted socket is autobound whatever its listener: the kernel clears SOCK_BINDPORT_LOCK on
    // the clone (net/core/sock.c, sk_clone_lock), and `autobound` is that flag's absence.
    for (const c of accepted) autobound.set(inodeOf(c), true);
    nth++;
  }
  for (const [family, host, explicit, peer] of [['udp4', '127.0.0.1', false, false], ['udp4', '127.0.0.3', true, true], ['udp6', '::1', false, true]] as const) {
    const u = dgram.createSocket(family);
    udp.push(u);
    u.bind(explicit ? await freePort(host) : 0, host);
    await once(u, 'listening');
    if (peer) {
      u.connect((servers[family === 'udp6' ? 4 : 0]!.address() as net.AddressInfo).port, family === 'udp6' ? '::1' : '127.0.0.1');
      await once(u, 'connect');
    }
    autobound.set(inodeOf(u), !explicit);
  }
  await new Promise((res) => setTimeout(res, 200)); // delayed ACKs and the FIN settle
  }
}

/** Our rows of an unfiltered dump (with tcp_info), for the reference. */
function referenceRows(raw: RawSample, sockets: Sockets): RefRow[] {
  const out: RefRow[] = [];
  for (const f of raw.files) {
    if (f.error !== null || f.table === null) throw new Error(`the unfiltered dump of ${f.name} failed: ${f.error}`);
    const t = new InetTable(f.name.startsWith('udp') ? 'udp' : 'tcp', f.name, f.table as RawInetTable, 'netlink');
    const ifindex = (f.table as RawInetTable).ifindex;
    for (let i = 0; i < t.count; i++) {
      const inode = t.inode[i]!;
      const auto = sockets.autobound.get(inode);
      if (auto === undefined) continue;
      const info = new Map<number, number>();
      const infoLen = t.ext ? t.ext.infoLen[i]! : 0;
      if (t.ext) for (const [offset, name] of Object.entries(COLUMN_AT)) info.set(Number(offset), t.ext.column(name)[i]!);
      out.push({
        inode, file: f.name, family: t.family[i] === 6 ? 6 : 4, state: t.state[i]!,
        localAddr: [...t.localAddr.subarray(i * 16, i * 16 + 16)], remoteAddr: [...t.remoteAddr.subarray(i * 16, i * 16 + 16)],
        localPort: t.localPort[i]!, remotePort: t.remotePort[i]!, uid: t.uid[i]!, rxQueue: t.rxQueue[i]!, txQueue: t.txQueue[i]!,
        ifindex: ifindex ? ifindex[i]! : 0, cgroupId: t.cgroupId ? t.cgroupId[i]! : 0n, infoLen, info, autobound: auto,
      });
    }
  }
  return out;
}

function poolsOf(rows: readonly RefRow[]): Pools {
  const ports = new Set<number>();
  const addrs: Array<[4 | 6, number[]]> = [];
  const info = new Map<number, number[]>();
  const ratios: number[] = [];
  for (const r of rows) {
    ports.add(r.localPort).add(r.remotePort);
    addrs.push([r.family, r.localAddr], [r.family, r.remoteAddr]);
    for (const [k, v] of r.info) info.set(k, [...(info.get(k) ?? []), v]);
    const busy = r.info.get(BUSY.offset) ?? 0;
    for (const f of Object.values(RATIO_WORDS)) {
      const v = r.info.get(f.offset) ?? 0;
      if (busy > 0) ratios.push(Math.min(1_000_000, Math.floor((v * 1e6) / busy)));
    }
  }
  const comm = fs.readFileSync('/proc/self/comm', 'utf8').replace(/\n$/, '');
  const argv0 = fs.readFileSync('/proc/self/cmdline', 'latin1').split('\0')[0]!;
  const program = argv0.startsWith('/') ? argv0.slice(argv0.lastIndexOf('/') + 1) : argv0;
  let rootCgroup: Pools['rootCgroup'] = null;
  for (const line of fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const f = line.split(' ');
    const dash = f.indexOf('-');
    if (dash > 0 && f[dash + 1] === 'cgroup2' && f[3] === '/') {
      rootCgroup = { id: fs.statSync(f[4]!, { bigint: true }).ino, word: '/' };
      break;
    }
  }
  const services: Array<[string, number]> = [];
  try {
    for (const line of fs.readFileSync('/etc/services', 'utf8').split('\n')) {
      const m = /^(ssh|http|domain|https)\s+(\d+)\/tcp/.exec(line);
      if (m) services.push([m[1]!, Number(m[2])]);
    }
  } catch {
    // no services file: no service names
  }
  return {
    ports: [...ports], addrs, uids: [...new Set(rows.map((r) => r.uid))], queues: [...new Set(rows.flatMap((r) => [r.rxQueue, r.txQueue]))],
    info, ratios, loIndex: Number(fs.readFileSync('/sys/class/net/lo/ifindex', 'utf8').trim()), rootCgroup,
    pid: process.pid, comm, program, services,
  };
}

// ---------------------------------------------------------------------------------------------
// Regressions: every input the fuzzer ever found (test/fuzz/filter-expr.regressions.json), run first.

export interface Regression {
  note: string;
  text: string;
  /** `usage`: refused with NetsnapError ERR_USAGE; `compiles`: a valid program (and a bytecode the kernel takes). */
  expect: 'usage' | 'compiles';
}

export function regressions(): Regression[] {
  // Beside this file, or (compiled into build/fuzz-ts/js) in the package root the driver runs from.
  const here = path.join(__dirname, 'filter-expr.regressions.json');
  const file = path.resolve('test', 'fuzz', 'filter-expr.regressions.json');
  type Entry = { note: string; text?: string; repeat?: string; joiner?: string; count?: number; expect: 'usage' | 'compiles' };
  const entries = JSON.parse(fs.readFileSync(fs.existsSync(here) ? here : file, 'utf8')) as Entry[];
  return entries.map((e) => ({
    note: e.note,
    text: e.text ?? Array.from({ length: e.count ?? 1 }, () => e.repeat ?? '').join(e.joiner ?? ' '),
    expect: e.expect,
  }));
}

// ---------------------------------------------------------------------------------------------
// The run.

export const MAX_INPUT = 1 << 20;
/** Longer than this for one input is a finding (a hang is one that never ends: see progress). */
export const SLOW_MS = 5000;

export interface Finding {
  kind: 'regression' | 'exception' | 'slow' | 'bad-program' | 'kernel-rejected' | 'not-refused' | 'refused' | 'mismatch';
  seed: number;
  index: number;
  text: string;
  detail: string;
}

export interface FuzzStats {
  seed: number;
  /** Entries of the regression list run (each must end as it says). */
  regressions: number;
  /** Mutated inputs run, how many compiled and how many of those had a bytecode the kernel took. */
  robustness: { inputs: number; compiled: number; refused: number; kernelPrograms: number; kernelAccepted: number; slowestMs: number };
  /** Generated valid expressions run against the kernel and the reference. */
  meaning: { expressions: number; compiled: number; kernelPrograms: number; kernelAccepted: number; withOwners: number; withInfo: number; refusedMixes: number; compared: number; mismatches: number; rowsKeptTotal: number; distinctKeptCounts: number };
  findings: Finding[];
  seconds: number;
}

export interface FuzzOptions {
  seed: number;
  /** Inputs of each part; with `seconds`, the run ends at whichever comes first. */
  robustness: number;
  meaning: number;
  seconds?: number;
  /** Called about every second with the stats so far and the next index (a hang is then reproducible). */
  progress?: (s: FuzzStats, part: string, index: number) => void;
}

function isUsageError(err: unknown): boolean {
  return err instanceof NetsnapError && err.code === 'ERR_USAGE' && err.message.startsWith('bad filter: ') && err.message.length > 12;
}

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.constructor.name}${err instanceof NetsnapError ? ` ${err.code}` : ''}: ${err.message.slice(0, 300)}`;
  return String(err).slice(0, 300);
}

/** The filtered sample's rows of ours (inodes), after the owner predicates, and how the kernel took the bytecode. */
function filteredInodes(f: CompiledFilter, sockets: Sockets): { inodes: Set<number>; rejected: string[] } {
  const req = request({
    filter: f.request,
    ...(f.hasStates ? { tcpStates: f.tcpStates } : {}),
    ...(f.needs.info ? { extensions: EXT_INFO } : {}),
    ...(f.needs.owners ? { owners: true } : {}),
  });
  const raw = addon!.sample(req);
  applyOwnerFilter(f, req, raw);
  const inodes = new Set<number>();
  const rejected: string[] = [];
  for (const file of raw.files) {
    if (file.error !== null || file.table === null) throw new Error(`the filtered dump of ${file.name} failed: ${file.error}`);
    if (f.request.bytecode != null && (file.kernelRejected !== undefined || file.filterInKernel !== true)) {
      rejected.push(`${file.name}: ${file.kernelRejected ?? 'not in the kernel'}`);
    }
    const t = new InetTable('tcp', file.name, file.table as RawInetTable, 'netlink');
    for (let i = 0; i < t.count; i++) if (sockets.autobound.has(t.inode[i]!)) inodes.add(t.inode[i]!);
  }
  return { inodes, rejected };
}

/** Whether the kernel takes a bytecode: a dump with it must run it. */
function kernelTakes(f: CompiledFilter): string[] {
  const raw = addon!.sample(request({
    filter: f.request,
    ...(f.hasStates ? { tcpStates: f.tcpStates } : {}),
    ...(f.needs.info ? { extensions: EXT_INFO } : {}),
  }));
  return raw.files.filter((x) => x.kernelRejected !== undefined || x.filterInKernel !== true).map((x) => `${x.name}: ${x.kernelRejected ?? x.error ?? 'not in the kernel'}`);
}

const sortedNums = (s: Iterable<number>): number[] => [...s].sort((a, b) => a - b);

export async function runFilterFuzz(o: FuzzOptions): Promise<FuzzStats> {
  if (addon === null) throw new Error(`the filter fuzzer needs the native addon; tried:\n${loaded.ok ? '' : loaded.tried.join('\n')}`);
  const started = Date.now();
  const deadline = o.seconds === undefined ? Infinity : started + o.seconds * 1000;
  const stats: FuzzStats = {
    seed: o.seed,
    regressions: 0,
    robustness: { inputs: 0, compiled: 0, refused: 0, kernelPrograms: 0, kernelAccepted: 0, slowestMs: 0 },
    meaning: { expressions: 0, compiled: 0, kernelPrograms: 0, kernelAccepted: 0, withOwners: 0, withInfo: 0, refusedMixes: 0, compared: 0, mismatches: 0, rowsKeptTotal: 0, distinctKeptCounts: 0 },
    findings: [],
    seconds: 0,
  };
  const sockets = await openSockets();
  let lastProgress = Date.now();
  const tick = (part: string, index: number): void => {
    if (o.progress && Date.now() - lastProgress >= 1000) {
      lastProgress = Date.now();
      stats.seconds = (Date.now() - started) / 1000;
      o.progress(stats, part, index);
    }
  };
  try {
    const unfiltered = (): RefRow[] => referenceRows(addon!.sample(request({ extensions: EXT_INFO })), sockets);
    const first = unfiltered();
    const missing = [...sockets.autobound.keys()].filter((inode) => !first.some((r) => r.inode === inode));
    if (missing.length > 0) throw new Error(`the unfiltered dump lacks ${missing.length} of the fuzzer's ${sockets.autobound.size} sockets`);
    const pools = poolsOf(first);
    const ownersOfOurs: Owner[] = [{ pid: pools.pid, comm: pools.comm, program: pools.program }];
    const keptCounts = new Set<number>();

    for (const [index, reg] of regressions().entries()) {
      let outcome: string;
      try {
        const f = compileFilter(reg.text);
        const problem = programProblem(f.request.program);
        const rejected = f.request.bytecode != null ? kernelTakes(f) : [];
        outcome = problem !== null ? `bad program: ${problem}` : rejected.length > 0 ? `kernel rejected: ${rejected.join('; ')}` : 'compiles';
      } catch (err) {
        outcome = isUsageError(err) ? 'usage' : describeError(err);
      }
      stats.regressions++;
      if (outcome !== reg.expect) stats.findings.push({ kind: 'regression', seed: 0, index, text: reg.text, detail: `${reg.note}: ${outcome}, want ${reg.expect}` });
    }

    // Meaning and robustness alternate, so a timed run does some of both from the start.
    let mi = 0;
    let ri = 0;
    const slices = (part: 'meaning' | 'robustness'): boolean => (part === 'meaning' ? mi < o.meaning : ri < o.robustness);
    while ((slices('meaning') || slices('robustness')) && Date.now() < deadline) {
      // Back to the event loop every round: Node-API runs the finalizers of the addon's tables from
      // there, so a loop that never yields keeps every table it sampled (gigabytes in minutes).
      await new Promise((resolve) => setImmediate(resolve));
      // ----- meaning: one generated expression
      if (slices('meaning')) {
        const index = mi++;
        tick('meaning', index);
        const r = new Rand(o.seed, index);
        const g = generate(r, pools);
        const text = generatedText(r, g);
        stats.meaning.expressions++;
        const mustRefuse = refusedMix(g.expr);
        let f: CompiledFilter | null = null;
        try {
          f = compileFilter(text);
        } catch (err) {
          if (mustRefuse && isUsageError(err)) stats.meaning.refusedMixes++;
          else stats.findings.push({ kind: mustRefuse ? 'exception' : 'refused', seed: o.seed, index, text, detail: describeError(err) });
        }
        if (f !== null && mustRefuse) stats.findings.push({ kind: 'not-refused', seed: o.seed, index, text, detail: 'autobound beside a user-space predicate compiled' });
        if (f !== null && !mustRefuse) {
          stats.meaning.compiled++;
          if (f.needs.owners) stats.meaning.withOwners++;
          if (f.needs.info) stats.meaning.withInfo++;
          if (f.request.bytecode != null) stats.meaning.kernelPrograms++;
          const compare = (): { want: number[]; got: number[]; rejected: string[] } => {
            const rows = unfiltered();
            const want = sortedNums(rows.filter((row) => referenceKeeps(g, row, ownersOfOurs)).map((row) => row.inode));
            const { inodes, rejected } = filteredInodes(f!, sockets);
            return { want, got: sortedNums(inodes), rejected };
          };
          let c = compare();
          if (c.rejected.length > 0) stats.findings.push({ kind: 'kernel-rejected', seed: o.seed, index, text, detail: c.rejected.join('; ') });
          else if (f.request.bytecode != null) stats.meaning.kernelAccepted++;
          if (c.want.join() !== c.got.join()) c = compare(); // once more: a row that changed between the dumps
          stats.meaning.compared++;
          stats.meaning.rowsKeptTotal += c.got.length;
          keptCounts.add(c.want.length);
          if (c.want.join() !== c.got.join()) {
            stats.meaning.mismatches++;
            stats.findings.push({ kind: 'mismatch', seed: o.seed, index, text, detail: mismatchDetail(g, c, sockets, ownersOfOurs, unfiltered) });
          }
        }
      }
      // ----- robustness: one mutated input (and a few at once: they are cheap)
      for (let burst = 0; burst < 8 && slices('robustness') && Date.now() < deadline; burst++) {
        const index = ri++;
        tick('robustness', index);
        const r = new Rand(o.seed ^ 0x5bd1e995, index);
        let text = mutatedInput(r, pools);
        if (text.length > MAX_INPUT) text = text.slice(0, MAX_INPUT);
        stats.robustness.inputs++;
        const t0 = performance.now();
        let f: CompiledFilter | null = null;
        try {
          f = compileFilter(text);
        } catch (err) {
          if (isUsageError(err)) stats.robustness.refused++;
          else stats.findings.push({ kind: 'exception', seed: o.seed, index, text, detail: describeError(err) });
        }
        const ms = performance.now() - t0;
        stats.robustness.slowestMs = Math.max(stats.robustness.slowestMs, Math.round(ms));
        if (ms > SLOW_MS) stats.findings.push({ kind: 'slow', seed: o.seed, index, text, detail: `${Math.round(ms)} ms for ${text.length} characters` });
        if (f === null) continue;
        stats.robustness.compiled++;
        const problem = programProblem(f.request.program);
        if (problem !== null) stats.findings.push({ kind: 'bad-program', seed: o.seed, index, text, detail: problem });
        if (f.request.bytecode != null && problem === null) {
          stats.robustness.kernelPrograms++;
          let rejected: string[];
          try {
            rejected = kernelTakes(f);
          } catch (err) {
            rejected = [describeError(err)];
          }
          if (rejected.length > 0) stats.findings.push({ kind: 'kernel-rejected', seed: o.seed, index, text, detail: rejected.join('; ') });
          else stats.robustness.kernelAccepted++;
        }
      }
    }
    stats.meaning.distinctKeptCounts = keptCounts.size;
  } finally {
    await sockets.close();
  }
  stats.seconds = (Date.now() - started) / 1000;
  return stats;
}

/** The mismatch, and the smallest sub-tree (operands in place of connectives) that still disagrees. */
function mismatchDetail(g: Generated, c: { want: number[]; got: number[] }, sockets: Sockets, owners: Owner[], unfiltered: () => RefRow[]): string {
  let smallest: Generated = g;
  for (let round = 0; round < 30 && smallest.expr !== null; round++) {
    let found = false;
    for (const e of shrinks(smallest.expr).slice(0, 40)) {
      const cand: Generated = { ...smallest, expr: e };
      if (refusedMix(e)) continue;
      const text = generatedText(new Rand(0, 0), cand);
      let f: CompiledFilter;
      try {
        f = compileFilter(text);
      } catch {
        continue;
      }
      const rows = unfiltered();
      const want = sortedNums(rows.filter((row) => referenceKeeps(cand, row, owners)).map((row) => row.inode));
      const got = sortedNums(filteredInodes(f, sockets).inodes);
      if (want.join() !== got.join()) {
        smallest = cand;
        found = true;
        break;
      }
    }
    if (!found) break;
  }
  const rows = unfiltered();
  const describe = (inodes: number[]): string =>
    inodes.map((i) => {
      const row = rows.find((x) => x.inode === i);
      return row ? `${row.file}:${row.localPort}->${row.remotePort}/st${row.state}` : String(i);
    }).join(' ');
  const onlyWant = c.want.filter((i) => !c.got.includes(i));
  const onlyGot = c.got.filter((i) => !c.want.includes(i));
  return `reference keeps ${c.want.length}, netsnap ${c.got.length}; only the reference: ${describe(onlyWant)}; only netsnap: ${describe(onlyGot)}; smallest disagreeing: ${generatedText(new Rand(0, 0), smallest)}`;
}

