// /proc/net/unix: bytes in, columns out. The path is the rest of the line after the inode,
// spaces included: the kernel prints it verbatim (abstract names as `@name`).
import { growUnixColumns, UNIX_LINE_MAX, unixLayout, type RawUnixTable } from '../../model/contract';
import { grownCapacity, initialCapacity, memoryLines, streamLines, type LineSink } from './lines';
import { INODE_MAX, parseDec, parseHex, tokenize } from '../../bytes/scan';

const starts = new Int32Array(7);
const ends = new Int32Array(7);

const TOO_FEW = 20, BAD_NUM = 21, BAD_REFCOUNT = 22, BAD_PROTOCOL = 23, BAD_FLAGS = 24, BAD_TYPE = 25,
  BAD_STATE = 26, BAD_INODE = 27, CUT_OFF = 28, TOO_LONG = 29;

class UnixBuilder implements LineSink {
  buffer = new ArrayBuffer(0);
  capacity = 0;
  count = 0;
  problems: number[] = [];
  // Path bytes; grown by doubling, sliced to what was used at the end (never reused).
  pool = new Uint8Array(0);
  poolUsed = 0;
  private inode!: Float64Array;
  private refCount!: Uint32Array;
  private protocol!: Uint32Array;
  private flags!: Uint32Array;
  private pathStart!: Uint32Array;
  private pathLen!: Uint32Array;
  private type!: Uint16Array;
  private state!: Uint8Array;

  constructor(private reuse: RawUnixTable | null | undefined) {}

  begin(first: Uint8Array): void {
    let capacity = initialCapacity(first);
    const reuse = this.reuse;
    const reused = !!reuse && capacity <= reuse.capacity && unixLayout(reuse.capacity).byteLength <= reuse.buffer.byteLength;
    if (reused) capacity = reuse.capacity;
    this.attach(reused ? reuse.buffer : new ArrayBuffer(unixLayout(capacity).byteLength), capacity);
    this.pool = new Uint8Array(first.length);
  }

  private attach(buffer: ArrayBuffer, capacity: number): void {
    const L = unixLayout(capacity);
    this.buffer = buffer;
    this.capacity = capacity;
    this.inode = new Float64Array(buffer, L.inode, capacity);
    this.refCount = new Uint32Array(buffer, L.refCount, capacity);
    this.protocol = new Uint32Array(buffer, L.protocol, capacity);
    this.flags = new Uint32Array(buffer, L.flags, capacity);
    this.pathStart = new Uint32Array(buffer, L.pathStart, capacity);
    this.pathLen = new Uint32Array(buffer, L.pathLen, capacity);
    this.type = new Uint16Array(buffer, L.type, capacity);
    this.state = new Uint8Array(buffer, L.state, capacity);
  }

  private grow(): void {
    const capacity = grownCapacity(this.capacity);
    this.attach(growUnixColumns(this.buffer, this.count, this.capacity, capacity), capacity);
  }

  tooLong(lineNo: number): void {
    if (lineNo > 1) this.problems.push(lineNo, TOO_LONG);
  }

  line(bytes: Uint8Array, start: number, eol: number, lineNo: number, terminated: boolean): void {
    if (lineNo === 1) return;
    const n = tokenize(bytes, start, eol, starts, ends, 7);
    if (n === 0) return;
    const fail = (code: number) => {
      this.problems.push(lineNo, code);
    };
    // A last line without its newline was cut: its inode or path may be cut mid-value.
    if (!terminated) return fail(CUT_OFF);
    if (n < 7) return fail(TOO_FEW);
    const numEnd = ends[0]! - 1;
    if (bytes[numEnd] !== 58 || parseHex(bytes, starts[0]!, numEnd, 16) < 0) return fail(BAD_NUM);
    const ref = parseHex(bytes, starts[1]!, ends[1]!, 8);
    if (ref < 0) return fail(BAD_REFCOUNT);
    const prot = parseHex(bytes, starts[2]!, ends[2]!, 8);
    if (prot < 0) return fail(BAD_PROTOCOL);
    const fl = parseHex(bytes, starts[3]!, ends[3]!, 8);
    if (fl < 0) return fail(BAD_FLAGS);
    const ty = parseHex(bytes, starts[4]!, ends[4]!, 4);
    if (ty < 0) return fail(BAD_TYPE);
    const st = parseHex(bytes, starts[5]!, ends[5]!, 2);
    if (st < 0) return fail(BAD_STATE);
    const ino = parseDec(bytes, starts[6]!, ends[6]!, 16, INODE_MAX);
    if (ino < 0) return fail(BAD_INODE);
    if (this.count === this.capacity) this.grow();
    const r = this.count++;
    this.inode[r] = ino;
    this.refCount[r] = ref;
    this.protocol[r] = prot;
    this.flags[r] = fl;
    this.type[r] = ty;
    this.state[r] = st;
    // One separator byte follows the inode; everything after it is the path. A row without a
    // path reads 0/0 even when the memory held an older table's row.
    const p = ends[6]! + 1;
    this.pathStart[r] = 0;
    this.pathLen[r] = 0;
    if (p < eol) {
      const len = eol - p;
      if (this.poolUsed + len > this.pool.length) {
        const bigger = new Uint8Array(Math.max(this.pool.length * 2, this.poolUsed + len));
        bigger.set(this.pool.subarray(0, this.poolUsed));
        this.pool = bigger;
      }
      this.pool.set(bytes.subarray(p, eol), this.poolUsed);
      this.pathStart[r] = this.poolUsed;
      this.pathLen[r] = len;
      this.poolUsed += len;
    }
  }

  /** The table, handed over: the builder lets go of it and of the request (see keptBuilder). */
  finish(): RawUnixTable {
    const table: RawUnixTable = { buffer: this.buffer, capacity: this.capacity, count: this.count, problems: Uint32Array.from(this.problems), pool: this.pool.slice(0, this.poolUsed) };
    this.attach(NO_ROWS, 0);
    this.count = 0;
    this.problems = [];
    this.pool = new Uint8Array(0);
    this.poolUsed = 0;
    this.reuse = null;
    keptBuilder = this;
    return table;
  }
}

const NO_ROWS = new ArrayBuffer(0);

/** The last builder, kept as net_inet.ts keeps its own: so that a full GC keeps line()'s optimized code. */
let keptBuilder: UnixBuilder | null = null;

export function parseUnix(bytes: Uint8Array, reuse?: RawUnixTable | null): RawUnixTable {
  const b = new UnixBuilder(reuse);
  memoryLines(bytes, UNIX_LINE_MAX, b);
  return b.finish();
}

/** Streams /proc/net/unix at `path` into a table; an errno name when unreadable. */
export function streamUnix(path: string, reuse?: RawUnixTable | null): RawUnixTable | string {
  const b = new UnixBuilder(reuse);
  const err = streamLines(path, UNIX_LINE_MAX, b);
  return err ?? b.finish();
}
