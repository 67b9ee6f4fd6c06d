// /proc/net/unix: bytes in, columns out. The path is the rest of the line after the inode,
// spaces included: the kernel prints it verbatim (abstract names as `@name`).
import { rowCapacity, unixLayout, type RawUnixTable } from '../../model';
import { INODE_MAX, parseDec, parseHex, tokenize } from './scan';

const starts = new Int32Array(7);
const ends = new Int32Array(7);

const TOO_FEW = 20, BAD_NUM = 21, BAD_REFCOUNT = 22, BAD_PROTOCOL = 23, BAD_FLAGS = 24, BAD_TYPE = 25,
  BAD_STATE = 26, BAD_INODE = 27, CUT_OFF = 28;

export function parseUnix(bytes: Uint8Array, reuse?: RawUnixTable | null): RawUnixTable {
  let capacity = rowCapacity(bytes);
  const reused = !!reuse && capacity <= reuse.capacity && unixLayout(reuse.capacity).byteLength <= reuse.buffer.byteLength;
  if (reused) capacity = reuse.capacity;
  const L = unixLayout(capacity);
  const buffer = reused ? reuse.buffer : new ArrayBuffer(L.byteLength);
  const inode = new Float64Array(buffer, L.inode, capacity);
  const refCount = new Uint32Array(buffer, L.refCount, capacity);
  const protocol = new Uint32Array(buffer, L.protocol, capacity);
  const flags = new Uint32Array(buffer, L.flags, capacity);
  const pathStart = new Uint32Array(buffer, L.pathStart, capacity);
  const pathLen = new Uint32Array(buffer, L.pathLen, capacity);
  const type = new Uint16Array(buffer, L.type, capacity);
  const state = new Uint8Array(buffer, L.state, capacity);
  // The pool is small (path bytes only) and sized to what was used: it is not reused.
  const pool = new Uint8Array(bytes.length);
  let poolUsed = 0;

  const problems: number[] = [];
  let count = 0;
  let lineNo = 0;
  let pos = 0;
  const len = bytes.length;
  while (pos < len) {
    let eol = bytes.indexOf(10, pos);
    if (eol === -1) eol = len;
    const start = pos;
    pos = eol + 1;
    lineNo++;
    if (lineNo === 1) continue;
    const n = tokenize(bytes, start, eol, starts, ends, 7);
    if (n === 0) continue;
    const fail = (code: number) => problems.push(lineNo, code);
    // A last line without its newline was cut: its inode or path may be cut mid-value.
    if (eol === len) {
      fail(CUT_OFF);
      continue;
    }
    if (n < 7) {
      fail(TOO_FEW);
      continue;
    }
    const numEnd = ends[0]! - 1;
    if (bytes[numEnd] !== 58 || parseHex(bytes, starts[0]!, numEnd, 16) < 0) {
      fail(BAD_NUM);
      continue;
    }
    const ref = parseHex(bytes, starts[1]!, ends[1]!, 8);
    if (ref < 0) {
      fail(BAD_REFCOUNT);
      continue;
    }
    const prot = parseHex(bytes, starts[2]!, ends[2]!, 8);
    if (prot < 0) {
      fail(BAD_PROTOCOL);
      continue;
    }
    const fl = parseHex(bytes, starts[3]!, ends[3]!, 8);
    if (fl < 0) {
      fail(BAD_FLAGS);
      continue;
    }
    const ty = parseHex(bytes, starts[4]!, ends[4]!, 4);
    if (ty < 0) {
      fail(BAD_TYPE);
      continue;
    }
    const st = parseHex(bytes, starts[5]!, ends[5]!, 2);
    if (st < 0) {
      fail(BAD_STATE);
      continue;
    }
    const ino = parseDec(bytes, starts[6]!, ends[6]!, 16, INODE_MAX);
    if (ino < 0) {
      fail(BAD_INODE);
      continue;
    }
    const r = count++;
    inode[r] = ino;
    refCount[r] = ref;
    protocol[r] = prot;
    flags[r] = fl;
    type[r] = ty;
    state[r] = st;
    // One separator byte follows the inode; everything after it is the path. A row without a
    // path reads 0/0 even when the memory held an older table's row.
    const p = ends[6]! + 1;
    pathStart[r] = 0;
    pathLen[r] = 0;
    if (p < eol) {
      pool.set(bytes.subarray(p, eol), poolUsed);
      pathStart[r] = poolUsed;
      pathLen[r] = eol - p;
      poolUsed += eol - p;
    }
  }
  return { buffer, capacity, count, problems: Uint32Array.from(problems), pool: pool.slice(0, poolUsed) };
}
