// The column program: a parsed filter (parse.ts) flattened into numbers that both backends run on
// every row they parse — the C++ twin is native/filter.{h,cc} — and that the snapshot runs once
// more with the owners (the predicates on processes). Identical results are the parity contract.
//
// ## Format (a Float64Array of whole numbers, postfix)
//
// Every op pushes one value or combines the top ones; a value is three-valued: 0 false, 1 true,
// 2 unknown (a predicate this place cannot decide: an owner predicate before the owners are known,
// `autobound` outside the kernel). A row is dropped only when the program's result is 0 (false).
//
//   op  words                                         pushes
//   1   STATE mask                                    bit (1 << row.state) of mask (mask < 2^32)
//   2   HOST side family prefix port b0 … b15        the row's address of `side` (0 local/src, 1 remote/dst)
//                                                      and its port match ss's host condition: port -1 is
//                                                      any; family 0 is any address (prefix 0); family 4
//                                                      also matches an IPv4-mapped IPv6 address; the
//                                                      first `prefix` bits of b0… (network order) match
//   3   PORT side cmp port                            row's port of `side` CMP port
//   4   UID cmp uid                                   row.uid CMP uid (the socket's owner uid, as netstat -e)
//   5   QUEUE which cmp bytes                         which 0: rxQueue (Recv-Q), 1: txQueue (Send-Q) CMP bytes
//   6   DEV ifindex                                   the bound device (netlink's idiag_if) == ifindex;
//                                                      unknown on a row without it (/proc)
//   7   CGROUP lo hi                                  the cgroup id == hi * 2^32 + lo; unknown without it
//   8   AUTOBOUND                                     unknown (only the kernel sees the bind flags)
//   9   INFO field cmp value                          tcp_info field `field` (TCP_INFO_FIELDS index) CMP
//                                                      value; false when the row's tcp_info does not hold it
//   10  RATIO num den cmp ppm                         tcp_info num / den in parts per million CMP ppm,
//                                                      computed as (num * 1e6) CMP (ppm * den) in doubles;
//                                                      den 0 gives 0 ppm; false without tcp_info holding both
//   11  OWNER k                                       unknown to the backends; the snapshot asks the
//                                                      owner predicate k (pid, comm, program, container)
//   20  AND   21 OR   22 NOT                          Kleene logic over the top value(s)
//
//   cmp: 0 eq, 1 ne, 2 lt, 3 le, 4 gt, 5 ge.   family: 0, 4 or 6.   prefix: 0…32 (4), 0…128 (6), 0 (0).
//
// A program is valid when every word is a whole number in its range, every op has its words, the
// stack never underflows nor holds more than MAX_STACK values, and exactly one value is left.
// Backends check this before the first row (TypeError otherwise) and never read past the array.
import type { InetRowColumns } from '../model/contract';
import { TCP_INFO_COLUMN, TCP_INFO_FIELDS, type TcpInfoColumns } from '../model/tcp_info';

export const OP = {
  STATE: 1, HOST: 2, PORT: 3, UID: 4, QUEUE: 5, DEV: 6, CGROUP: 7, AUTOBOUND: 8, INFO: 9, RATIO: 10, OWNER: 11,
  AND: 20, OR: 21, NOT: 22,
} as const;

export const CMP = { eq: 0, ne: 1, lt: 2, le: 3, gt: 4, ge: 5 } as const;
export type Cmp = keyof typeof CMP;

export const MAX_STACK = 64;
/** Words per op, the op itself included. */
export const OP_WORDS: Readonly<Record<number, number>> = {
  1: 2, 2: 21, 3: 4, 4: 3, 5: 4, 6: 2, 7: 3, 8: 1, 9: 4, 10: 5, 11: 2, 20: 1, 21: 1, 22: 1,
};

export const FALSE = 0;
export const TRUE = 1;
export const UNKNOWN = 2;
export type Tri = 0 | 1 | 2;

const isWhole = (x: number, lo: number, hi: number): boolean => Number.isInteger(x) && x >= lo && x <= hi;

/** Why `p` is not a valid program, or null. */
export function programProblem(p: Float64Array): string | null {
  let depth = 0;
  let pc = 0;
  while (pc < p.length) {
    const op = p[pc]!;
    const words = OP_WORDS[op];
    if (words === undefined || !Number.isInteger(op)) return `unknown op ${op} at ${pc}`;
    if (pc + words > p.length) return `op ${op} at ${pc} is cut off`;
    const a = (k: number): number => p[pc + k]!;
    const bad = (what: string): string => `op ${op} at ${pc}: bad ${what}`;
    switch (op) {
      case OP.STATE: if (!isWhole(a(1), 0, 0xffffffff)) return bad('state mask'); break;
      case OP.HOST: {
        if (!isWhole(a(1), 0, 1)) return bad('side');
        const f = a(2);
        if (f !== 0 && f !== 4 && f !== 6) return bad('family');
        if (!isWhole(a(3), 0, f === 4 ? 32 : f === 6 ? 128 : 0)) return bad('prefix');
        if (!isWhole(a(4), -1, 65535)) return bad('port');
        for (let b = 5; b < 21; b++) if (!isWhole(a(b), 0, 255)) return bad('address byte');
        break;
      }
      case OP.PORT: if (!isWhole(a(1), 0, 1) || !isWhole(a(2), 0, 5) || !isWhole(a(3), 0, 65535)) return bad('port condition'); break;
      case OP.UID: if (!isWhole(a(1), 0, 5) || !isWhole(a(2), 0, 0xffffffff)) return bad('uid condition'); break;
      case OP.QUEUE: if (!isWhole(a(1), 0, 1) || !isWhole(a(2), 0, 5) || !isWhole(a(3), 0, 0xffffffff)) return bad('queue condition'); break;
      case OP.DEV: if (!isWhole(a(1), 0, 0xffffffff)) return bad('ifindex'); break;
      case OP.CGROUP: if (!isWhole(a(1), 0, 0xffffffff) || !isWhole(a(2), 0, 0xffffffff)) return bad('cgroup id'); break;
      case OP.INFO: if (!isWhole(a(1), 0, TCP_INFO_FIELDS.length - 1) || !isWhole(a(2), 0, 5) || !isWhole(a(3), 0, 2 ** 53)) return bad('tcp_info condition'); break;
      case OP.RATIO:
        if (!isWhole(a(1), 0, TCP_INFO_FIELDS.length - 1) || !isWhole(a(2), 0, TCP_INFO_FIELDS.length - 1)) return bad('tcp_info field');
        if (!isWhole(a(3), 0, 5) || !isWhole(a(4), 0, 2 ** 53)) return bad('ratio condition');
        break;
      case OP.OWNER: if (!isWhole(a(1), 0, 0xffff)) return bad('owner predicate'); break;
      default: break;
    }
    if (op === OP.AND || op === OP.OR) {
      if (depth < 2) return `op ${op} at ${pc} needs two values`;
      depth--;
    } else if (op === OP.NOT) {
      if (depth < 1) return `op ${op} at ${pc} needs a value`;
    } else if (++depth > MAX_STACK) {
      return `the program needs more than ${MAX_STACK} stack slots`;
    }
    pc += words;
  }
  if (depth !== 1) return `the program leaves ${depth} values (want 1)`;
  return null;
}

/** Whether the program holds an op (e.g. OP.INFO: it needs tcp_info). */
export function programUses(p: Float64Array, op: number): boolean {
  for (let pc = 0; pc < p.length; pc += OP_WORDS[p[pc]!] ?? 1) if (p[pc] === op) return true;
  return false;
}

export function compare(v: number, cmp: number, x: number): boolean {
  switch (cmp) {
    case 0: return v === x;
    case 1: return v !== x;
    case 2: return v < x;
    case 3: return v <= x;
    case 4: return v > x;
    default: return v >= x;
  }
}

/** What the evaluator reads of a row: the inet columns and, where the source has them, netlink's. */
export interface FilterRows extends Omit<InetRowColumns, 'inode'> {
  uid: Uint32Array;
  /** Netlink: the bound device of each row. */
  ifindex?: Uint32Array | null;
  cgroupId?: BigUint64Array | null;
  ext?: TcpInfoColumns | null;
}

function hostMatch(p: Float64Array, pc: number, t: FilterRows, i: number): boolean {
  const remote = p[pc + 1] === 1;
  const family = p[pc + 2]!;
  const prefix = p[pc + 3]!;
  const port = p[pc + 4]!;
  if (port !== -1 && (remote ? t.remotePort[i] : t.localPort[i]) !== port) return false;
  if (family === 0) return true;
  const addr = remote ? t.remoteAddr : t.localAddr;
  let from = i * 16;
  if (t.family[i] !== family) {
    if (family !== 4 || t.family[i] !== 6) return false;
    for (let b = 0; b < 10; b++) if (addr[from + b] !== 0) return false;
    if (addr[from + 10] !== 0xff || addr[from + 11] !== 0xff) return false;
    from += 12;
  }
  let bits = prefix;
  for (let b = 0; bits > 0; b++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[from + b]! & mask) !== (p[pc + 5 + b]! & mask)) return false;
  }
  return true;
}

const INFO_END: readonly number[] = TCP_INFO_FIELDS.map((f) => TCP_INFO_COLUMN.get(f.name)!.end);

/** Field k of row i's tcp_info, or -1 when the row's tcp_info does not hold it. */
function infoValue(t: FilterRows, k: number, i: number): number {
  const ext = t.ext;
  if (!ext || ext.infoLen[i]! < INFO_END[k]!) return -1;
  return ext.columnAt(k)[i]!;
}

/**
 * Runs a valid program on row i. `owner(k, i)` answers OWNER k (absent: unknown). The stack is the
 * caller's (at least MAX_STACK slots), so a scan allocates nothing per row.
 */
export function runProgram(p: Float64Array, t: FilterRows, i: number, stack: Uint8Array, owner?: (k: number, i: number) => boolean): Tri {
  let sp = 0;
  let pc = 0;
  while (pc < p.length) {
    const op = p[pc]!;
    let v: Tri = FALSE;
    switch (op) {
      case OP.STATE: v = Math.floor(p[pc + 1]! / 2 ** t.state[i]!) % 2 === 1 ? TRUE : FALSE; break;
      case OP.HOST: v = hostMatch(p, pc, t, i) ? TRUE : FALSE; break;
      case OP.PORT: v = compare(p[pc + 1] === 1 ? t.remotePort[i]! : t.localPort[i]!, p[pc + 2]!, p[pc + 3]!) ? TRUE : FALSE; break;
      case OP.UID: v = compare(t.uid[i]!, p[pc + 1]!, p[pc + 2]!) ? TRUE : FALSE; break;
      case OP.QUEUE: v = compare(p[pc + 1] === 1 ? t.txQueue[i]! : t.rxQueue[i]!, p[pc + 2]!, p[pc + 3]!) ? TRUE : FALSE; break;
      case OP.DEV: v = t.ifindex ? (t.ifindex[i] === p[pc + 1] ? TRUE : FALSE) : UNKNOWN; break;
      case OP.CGROUP:
        v = t.cgroupId ? (t.cgroupId[i] === (BigInt(p[pc + 2]!) << 32n) + BigInt(p[pc + 1]!) ? TRUE : FALSE) : UNKNOWN;
        break;
      case OP.AUTOBOUND: v = UNKNOWN; break;
      case OP.INFO: {
        const x = infoValue(t, p[pc + 1]!, i);
        v = x >= 0 && compare(x, p[pc + 2]!, p[pc + 3]!) ? TRUE : FALSE;
        break;
      }
      case OP.RATIO: {
        const num = infoValue(t, p[pc + 1]!, i);
        const den = infoValue(t, p[pc + 2]!, i);
        if (num < 0 || den < 0) v = FALSE;
        else v = (den === 0 ? compare(0, p[pc + 3]!, p[pc + 4]!) : compare(num * 1e6, p[pc + 3]!, p[pc + 4]! * den)) ? TRUE : FALSE;
        break;
      }
      case OP.OWNER: v = owner ? (owner(p[pc + 1]!, i) ? TRUE : FALSE) : UNKNOWN; break;
      case OP.AND: {
        const b = stack[--sp]!;
        const a = stack[sp - 1]!;
        stack[sp - 1] = a === FALSE || b === FALSE ? FALSE : a === TRUE && b === TRUE ? TRUE : UNKNOWN;
        pc += 1;
        continue;
      }
      case OP.OR: {
        const b = stack[--sp]!;
        const a = stack[sp - 1]!;
        stack[sp - 1] = a === TRUE || b === TRUE ? TRUE : a === FALSE && b === FALSE ? FALSE : UNKNOWN;
        pc += 1;
        continue;
      }
      case OP.NOT: {
        const a = stack[sp - 1]!;
        stack[sp - 1] = a === UNKNOWN ? UNKNOWN : a === TRUE ? FALSE : TRUE;
        pc += 1;
        continue;
      }
      default: break;
    }
    stack[sp++] = v;
    pc += OP_WORDS[op]!;
  }
  return stack[0] as Tri;
}
