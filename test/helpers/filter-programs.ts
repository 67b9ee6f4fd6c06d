// Column programs (src/filter/program.ts) for the filter tests: written by hand with the op codes,
// and generated at random (seeded) from an op table with operands taken from real rows, so that
// conditions match some rows and not others. Also the FilterRows view of a raw table and the table
// a filter must leave (the kept rows, in order, in a fresh buffer of the same capacity).
import { CMP, OP, OP_WORDS, runProgram, type FilterRows } from '../../src/filter/program';
import { inetLayout, type RawInetTable } from '../../src/model/contract';
import { TCP_INFO_FIELDS, TcpInfoColumns } from '../../src/model/tcp_info';
import type { Gen } from './generate';

export { CMP, OP };

/** The evaluator's view of a raw inet table: its columns, and netlink's when the table has them. */
export function filterRows(t: RawInetTable): FilterRows {
  const L = inetLayout(t.capacity);
  const b = t.buffer;
  const n = t.count;
  return {
    family: new Uint8Array(b, L.family, n),
    state: new Uint8Array(b, L.state, n),
    localAddr: new Uint8Array(b, L.localAddr, n * 16),
    remoteAddr: new Uint8Array(b, L.remoteAddr, n * 16),
    localPort: new Uint16Array(b, L.localPort, n),
    remotePort: new Uint16Array(b, L.remotePort, n),
    uid: new Uint32Array(b, L.uid, n),
    rxQueue: new Uint32Array(b, L.rxQueue, n),
    txQueue: new Uint32Array(b, L.txQueue, n),
    ifindex: t.ifindex ?? null,
    cgroupId: t.cgroupId ?? null,
    ext: t.ext ? new TcpInfoColumns(t.ext, n) : null,
  };
}

/** runProgram() on every row of a table: the results, 0/1/2 per row. */
export function runOnTable(p: Float64Array, t: RawInetTable): number[] {
  const rows = filterRows(t);
  const stack = new Uint8Array(64);
  const out: number[] = [];
  for (let i = 0; i < t.count; i++) out.push(runProgram(p, rows, i, stack));
  return out;
}

const INET_WIDTHS: ReadonlyArray<readonly [keyof ReturnType<typeof inetLayout>, number]> = [
  ['inode', 8], ['txQueue', 4], ['rxQueue', 4], ['timerJiffies', 4], ['retransmits', 4], ['uid', 4], ['timeout', 4],
  ['drops', 4], ['localPort', 2], ['remotePort', 2], ['localAddr', 16], ['remoteAddr', 16], ['family', 1], ['state', 1],
  ['timerKind', 1],
];

/**
 * The column buffer a filtered /proc read must produce from the unfiltered table `t`: the rows kept
 * (`keep[i]`) in order, in a fresh (zeroed) buffer of the same capacity.
 */
export function keptBuffer(t: RawInetTable, keep: readonly boolean[]): Uint8Array {
  const L = inetLayout(t.capacity);
  const src = new Uint8Array(t.buffer);
  const out = new Uint8Array(L.byteLength);
  for (const [col, w] of INET_WIDTHS) {
    let r = 0;
    for (let i = 0; i < t.count; i++) {
      if (!keep[i]) continue;
      out.set(src.subarray(L[col] + i * w, L[col] + (i + 1) * w), L[col] + r * w);
      r++;
    }
  }
  return out;
}

/** Values seen in real rows: the generator takes most operands from here. */
export interface Operands {
  states: number[];
  ports: number[];
  /** [family, 16 address bytes] */
  addrs: Array<[4 | 6, Uint8Array]>;
  uids: number[];
  queues: number[];
  ifindexes: number[];
  cgroups: bigint[];
}

export function operandsOf(tables: readonly RawInetTable[]): Operands {
  const o: Operands = { states: [], ports: [], addrs: [], uids: [], queues: [], ifindexes: [], cgroups: [] };
  for (const t of tables) {
    const r = filterRows(t);
    for (let i = 0; i < t.count; i++) {
      o.states.push(r.state[i]!);
      o.ports.push(r.localPort[i]!, r.remotePort[i]!);
      const fam = r.family[i] as 4 | 6;
      o.addrs.push([fam, r.localAddr.slice(i * 16, i * 16 + 16)], [fam, r.remoteAddr.slice(i * 16, i * 16 + 16)]);
      o.uids.push(r.uid[i]!);
      o.queues.push(r.rxQueue[i]!, r.txQueue[i]!);
      if (r.ifindex) o.ifindexes.push(r.ifindex[i]!);
      if (r.cgroupId) o.cgroups.push(r.cgroupId[i]!);
    }
  }
  return o;
}

/** One op's words. */
export type Leaf = number[];

export const host = (side: 0 | 1, family: 0 | 4 | 6, prefix: number, port: number, addr: ArrayLike<number> = []): Leaf => {
  const bytes = new Array<number>(16).fill(0);
  for (let i = 0; i < Math.min(16, addr.length); i++) bytes[i] = addr[i]!;
  return [OP.HOST, side, family, prefix, port, ...bytes];
};
export const ipv4 = (s: string): number[] => s.split('.').map(Number);
export const ipv6Loopback = (): number[] => [...new Array<number>(15).fill(0), 1];

/** Postfix of and/or/not over leaves: and(a, b, …) folds left. */
export const and = (...xs: Leaf[]): Leaf => xs.reduce((a, b) => [...a, ...b, OP.AND]);
export const or = (...xs: Leaf[]): Leaf => xs.reduce((a, b) => [...a, ...b, OP.OR]);
export const not = (x: Leaf): Leaf => [...x, OP.NOT];
export const program = (x: Leaf): Float64Array => new Float64Array(x);

const CMPS = [0, 1, 2, 3, 4, 5];

function pickOr<T>(g: Gen, pool: readonly T[], fallback: () => T): T {
  return pool.length > 0 && g.next() < 0.8 ? g.pick(pool) : fallback();
}

/** One random leaf of kind `op`. */
export function randomLeaf(g: Gen, op: number, pool: Operands): Leaf {
  switch (op) {
    case OP.STATE: {
      const r = g.next();
      if (r < 0.5) {
        const st = pickOr(g, pool.states, () => g.int(13));
        return [OP.STATE, st < 32 ? 2 ** st : g.int(2 ** 13)];
      }
      if (r < 0.8) return [OP.STATE, g.int(2 ** 13)];
      return [OP.STATE, g.int(2 ** 32)];
    }
    case OP.HOST: {
      const side = g.int(2) as 0 | 1;
      const port = g.next() < 0.6 ? -1 : pickOr(g, pool.ports, () => g.int(65536));
      const r = g.next();
      if (r < 0.15) return host(side, 0, 0, port);
      const [fam, bytes] = pickOr<[4 | 6, Uint8Array]>(g, pool.addrs, () => [g.next() < 0.5 ? 4 : 6, Uint8Array.from({ length: 16 }, () => g.int(256))]);
      // An IPv4 condition on an IPv4-mapped address: its last four bytes.
      const mapped = fam === 6 && bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff;
      const family: 4 | 6 = mapped && g.next() < 0.7 ? 4 : fam;
      const addr = family === 4 && fam === 6 ? bytes.subarray(12, 16) : bytes;
      const max = family === 4 ? 32 : 128;
      const prefix = g.next() < 0.5 ? max : g.int(max + 1);
      const out = host(side, family, prefix, port, addr);
      // Bytes past the address itself (IPv4: 4..15) may hold anything the checker allows.
      if (family === 4 && g.next() < 0.2) for (let b = 9; b < 21; b++) out[b] = g.int(256);
      return out;
    }
    case OP.PORT: return [OP.PORT, g.int(2), g.pick(CMPS), pickOr(g, pool.ports, () => g.int(65536))];
    case OP.UID: return [OP.UID, g.pick(CMPS), pickOr(g, pool.uids, () => (g.next() < 0.5 ? g.int(2000) : g.int(2 ** 32)))];
    case OP.QUEUE: return [OP.QUEUE, g.int(2), g.pick(CMPS), pickOr(g, pool.queues, () => g.int(g.next() < 0.5 ? 100 : 2 ** 32))];
    case OP.DEV: return [OP.DEV, pickOr(g, pool.ifindexes, () => g.int(4))];
    case OP.CGROUP: {
      const id = pickOr(g, pool.cgroups, () => BigInt(g.int(2 ** 32)) * BigInt(g.int(3)) + BigInt(g.int(2 ** 32)));
      return [OP.CGROUP, Number(id & 0xffffffffn), Number(id >> 32n)];
    }
    case OP.AUTOBOUND: return [OP.AUTOBOUND];
    case OP.INFO: return [OP.INFO, g.int(TCP_INFO_FIELDS.length), g.pick(CMPS), g.next() < 0.5 ? g.int(10) : g.int(2 ** 31)];
    case OP.RATIO: return [OP.RATIO, g.int(TCP_INFO_FIELDS.length), g.int(TCP_INFO_FIELDS.length), g.pick(CMPS), g.int(2_000_000)];
    case OP.OWNER: return [OP.OWNER, g.int(8)];
    default: throw new Error(`not a leaf op: ${op}`);
  }
}

/** A random valid program over the leaf ops `ops`: a tree of at most `leaves` leaves. */
export function randomProgram(g: Gen, ops: readonly number[], pool: Operands, leaves = 6): Float64Array {
  let budget = 1 + g.int(leaves);
  const tree = (): Leaf => {
    if (budget <= 1 || g.next() < 0.3) {
      budget--;
      const leaf = randomLeaf(g, g.pick(ops), pool);
      return g.next() < 0.2 ? not(leaf) : leaf;
    }
    budget--;
    const a = tree();
    const b = tree();
    const r = g.next();
    return r < 0.45 ? and(a, b) : r < 0.9 ? or(a, b) : not(and(a, b));
  };
  return program(tree());
}

const WEIRD = [Number.NaN, Infinity, -Infinity, -0, -1, 0.5, 1.5, 2 ** 32, 2 ** 53 + 2, 1e21, 1e-7, 23, 12, 99, 65536, 256, 129, 33];

/**
 * A program near `p` that is most often invalid: one word replaced by an odd number, the array cut
 * short, an op or a value added or removed, or a deep stack.
 */
export function mutateProgram(g: Gen, p: Float64Array): Float64Array {
  const words = [...p];
  switch (g.int(6)) {
    case 0: if (words.length > 0) words[g.int(words.length)] = g.pick(WEIRD); break;
    case 1: words.length = g.int(words.length + 1); break;
    case 2: words.splice(g.int(words.length + 1), 0, g.pick([OP.AND, OP.OR, OP.NOT, OP.AUTOBOUND, ...WEIRD])); break;
    case 3: if (words.length > 0) words.splice(g.int(words.length), 1); break;
    case 4: {
      // Many leaves, then enough ANDs: stack depth around MAX_STACK.
      const n = 60 + g.int(10);
      for (let i = 0; i < n; i++) words.push(OP.AUTOBOUND);
      for (let i = 0; i < n - g.int(2); i++) words.push(OP.AND);
      break;
    }
    default: {
      // An op word where a value should be, or a value where an op should be.
      let pc = 0;
      const starts: number[] = [];
      while (pc < words.length) {
        starts.push(pc);
        pc += OP_WORDS[words[pc]!] ?? 1;
      }
      const at = g.pick(starts.length > 0 ? starts : [0]);
      if (at < words.length) words[at] = g.int(30);
    }
  }
  return new Float64Array(words);
}
