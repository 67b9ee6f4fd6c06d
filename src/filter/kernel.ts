// The kernel's share of a filter: INET_DIAG_REQ_BYTECODE, the program inet_diag runs on every socket
// during a dump (net/ipv4/inet_diag.c: inet_diag_bc_run, checked by inet_diag_bc_audit), compiled as
// iproute2's ss compiles it (misc/ss.c: ssfilter_bytecompile, ssfilter_patch).
//
// An op is { u8 code; u8 yes; u16 no }: when its condition holds the program goes `yes` bytes on,
// else `no`; it accepts a socket when it lands exactly on its end, and rejects it by jumping 4 past
// it. What the kernel cannot see (uid, queues, tcp_info, owners) is relaxed away — replaced by
// "true" where an even number of `not`s stands above it, by "false" under an odd number — so the
// kernel keeps a superset of the rows, and the column program (program.ts) decides the rest.
import { HOST_LITTLE_ENDIAN } from '../model/address';
import type { FilterExpr, PortOp } from './parse';

const BC = { JMP: 1, S_GE: 2, S_LE: 3, D_GE: 4, D_LE: 5, AUTO: 6, S_COND: 7, D_COND: 8, DEV_COND: 9, S_EQ: 11, D_EQ: 12, CGROUP_COND: 13 } as const;
const AF_INET = 2;
const AF_INET6 = 10;

type Relaxed = FilterExpr | true | false;

const KERNEL_KINDS = new Set(['src', 'dst', 'sport', 'dport', 'dev', 'cgroup', 'autobound']);

/** The expression with what the kernel cannot run replaced by constants, folded (see the header). */
export function relax(e: FilterExpr, positive = true): Relaxed {
  switch (e.kind) {
    case 'and':
    case 'or': {
      const a = relax(e.left, positive);
      const b = relax(e.right, positive);
      if (e.kind === 'and') {
        if (a === false || b === false) return false;
        if (a === true) return b;
        if (b === true) return a;
      } else {
        if (a === true || b === true) return true;
        if (a === false) return b;
        if (b === false) return a;
      }
      return { kind: e.kind, left: a, right: b };
    }
    case 'not': {
      const a = relax(e.expr, !positive);
      return a === true ? false : a === false ? true : { kind: 'not', expr: a };
    }
    default:
      return KERNEL_KINDS.has(e.kind) ? e : positive;
  }
}

class Code {
  readonly bytes: number[] = [];

  op(code: number, yes: number, no: number): this {
    this.bytes.push(code, yes, ...u16(no));
    return this;
  }

  raw(b: ArrayLike<number>): this {
    // One push per byte: a spread of a long program would exceed the engine's argument limit.
    for (let i = 0; i < b.length; i++) this.bytes.push(b[i]!);
    return this;
  }

  get length(): number {
    return this.bytes.length;
  }
}

function u16(v: number): number[] {
  return HOST_LITTLE_ENDIAN ? [v & 0xff, v >> 8] : [v >> 8, v & 0xff];
}

function i32(v: number): number[] {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setInt32(0, v, HOST_LITTLE_ENDIAN);
  return [...b];
}

function u64(v: bigint): number[] {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, v, HOST_LITTLE_ENDIAN);
  return [...b];
}

function readNo(b: number[], at: number): number {
  return HOST_LITTLE_ENDIAN ? b[at + 2]! | (b[at + 3]! << 8) : (b[at + 2]! << 8) | b[at + 3]!;
}

function writeNo(b: number[], at: number, v: number): void {
  const [x, y] = u16(v);
  b[at + 2] = x!;
  b[at + 3] = y!;
}

/** ssfilter_patch: the rejects of the first part of an `and` (jumps 4 past its end) now go 4 past the whole. */
function patch(b: number[], len: number, reloc: number): void {
  let at = 0;
  let left = len;
  while (left > 0) {
    if (readNo(b, at) === left + 4) writeNo(b, at, left + 4 + reloc);
    const yes = b[at + 1]!;
    if (yes <= 0) throw new Error('bytecode: an op without length');
    left -= yes;
    at += yes;
  }
}

/** `not a`: a, then a jump over the reject (a is extended in place, as every part below). */
function not(a: Code): Code {
  return a.op(BC.JMP, 4, 8);
}

function port(side: 'sport' | 'dport', op: PortOp, p: number): Code {
  const s = side === 'sport';
  const one = (code: number): Code => new Code().op(code, 8, 12).op(0, 0, p);
  switch (op) {
    case 'eq': return one(s ? BC.S_EQ : BC.D_EQ);
    case 'ne': return not(one(s ? BC.S_EQ : BC.D_EQ));
    case 'ge': return one(s ? BC.S_GE : BC.D_GE);
    case 'le': return one(s ? BC.S_LE : BC.D_LE);
    case 'lt': return not(one(s ? BC.S_GE : BC.D_GE));
    case 'gt': return not(one(s ? BC.S_LE : BC.D_LE));
  }
}

function compile(e: FilterExpr): Code {
  switch (e.kind) {
    case 'and': {
      const a = compile(e.left);
      const b = compile(e.right);
      patch(a.bytes, a.length, b.length);
      return a.raw(b.bytes);
    }
    case 'or': {
      const a = compile(e.left);
      const b = compile(e.right);
      return a.op(BC.JMP, 4, b.length + 4).raw(b.bytes);
    }
    case 'not':
      return not(compile(e.expr));
    case 'src':
    case 'dst': {
      const c = e.cond;
      const family = c.family === 4 ? AF_INET : c.family === 6 ? AF_INET6 : 0;
      const alen = c.family === 4 ? 4 : c.family === 6 ? 16 : 0;
      const len = 4 + 8 + alen;
      return new Code()
        .op(e.kind === 'src' ? BC.S_COND : BC.D_COND, len, len + 4)
        .raw([family, c.prefix, 0, 0, ...i32(c.port), ...c.addr.subarray(0, alen)]);
    }
    case 'sport':
    case 'dport':
      return port(e.kind, e.op, e.port);
    case 'dev':
      return new Code().op(BC.DEV_COND, 8, 12).raw(i32(e.ifindex | 0));
    case 'cgroup':
      return new Code().op(BC.CGROUP_COND, 12, 16).raw(u64(e.id));
    case 'autobound':
      return new Code().op(BC.AUTO, 4, 8);
    default:
      throw new Error(`bytecode: '${e.kind}' is not for the kernel`);
  }
}

/** The largest program: `no` is a u16, and ss keeps well below it. */
const MAX_BYTECODE = 60000;

/**
 * INET_DIAG_REQ_BYTECODE for an expression, or null when the kernel can take nothing of it (all of
 * it relaxed away) or it would be too long for the op format.
 */
export function kernelBytecode(e: FilterExpr): Uint8Array | null {
  const r = relax(e);
  if (r === true || r === false) return null;
  const code = compile(r);
  if (code.length > MAX_BYTECODE) return null;
  return Uint8Array.from(code.bytes);
}
