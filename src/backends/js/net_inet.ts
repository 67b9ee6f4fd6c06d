// /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6}: bytes in, columns out.
import { growInetColumns, INET_LINE_MAX, inetLayout, type InetProto, type RawInetTable } from '../../model/contract';
import { grownCapacity, initialCapacity, memoryLines, streamLines, type LineSink } from './lines';
import { hexDigit, INODE_MAX, parseDec, parseHex, tokenize, U32_MAX } from '../../bytes/scan';
import { MAX_STACK, runProgram, type FilterRows } from '../../filter/program';

/** One parsed line as a one-row table, for the filter program (native: the InetRow it evaluates). */
const filterRow: FilterRows = {
  family: new Uint8Array(1), state: new Uint8Array(1), localAddr: new Uint8Array(16), remoteAddr: new Uint8Array(16),
  localPort: new Uint16Array(1), remotePort: new Uint16Array(1), uid: new Uint32Array(1), rxQueue: new Uint32Array(1),
  txQueue: new Uint32Array(1),
};
const filterStack = new Uint8Array(MAX_STACK);

const starts = new Int32Array(13);
const ends = new Int32Array(13);
const addrScratch = new Uint8Array(32);

// Problem codes: see PROBLEM_REASONS in model.ts.
const TOO_FEW = 1, BAD_SL = 2, BAD_LOCAL = 3, BAD_REMOTE = 4, FAMILY_MISMATCH = 5, BAD_STATE = 6,
  BAD_QUEUES = 7, BAD_TIMER = 8, BAD_RETRANSMITS = 9, BAD_UID = 10, BAD_TIMEOUT = 11, BAD_INODE = 12,
  BAD_DROPS = 13, CUT_OFF = 14, TOO_LONG = 15;

/**
 * Parses "ADDR:PORT" (ADDR of 8 or 32 hex digits) into addrScratch[dst..dst+16).
 * Returns family (4 or 6) and the port as family * 65536 + port, or -1.
 */
function parseEndpoint(bytes: Uint8Array, start: number, end: number, dst: number, littleEndian: boolean): number {
  let colon = -1;
  for (let i = start; i < end; i++) {
    if (bytes[i] === 58) {
      colon = i;
      break;
    }
  }
  if (colon < 0) return -1;
  const hexLen = colon - start;
  if (hexLen !== 8 && hexLen !== 32) return -1;
  const port = parseHex(bytes, colon + 1, end, 4);
  if (port < 0) return -1;
  // Each 8-digit group is one 32-bit word printed from memory in host order: its bytes are
  // reversed on a little-endian host and taken as they are on a big-endian one.
  for (let g = 0; g < hexLen; g += 8) {
    for (let b = 0; b < 4; b++) {
      const hi = hexDigit(bytes[start + g + 2 * b]!);
      const lo = hexDigit(bytes[start + g + 2 * b + 1]!);
      if (hi < 0 || lo < 0) return -1;
      addrScratch[dst + (g >> 1) + (littleEndian ? 3 - b : b)] = hi * 16 + lo;
    }
  }
  for (let i = dst + (hexLen >> 1); i < dst + 16; i++) addrScratch[i] = 0;
  return (hexLen === 8 ? 4 : 6) * 65536 + port;
}

/**
 * Builds one inet table from lines (lines.ts). stateMask: when given, valid lines whose state st
 * is >= 32 or lacks bit (1 << st) are skipped without a problem (native/net_inet.cc does the same).
 */
class InetBuilder implements LineSink {
  buffer = new ArrayBuffer(0);
  capacity = 0;
  count = 0;
  problems: number[] = [];
  private inode!: Float64Array;
  private txQueue!: Uint32Array;
  private rxQueue!: Uint32Array;
  private timerJiffies!: Uint32Array;
  private retransmits!: Uint32Array;
  private uid!: Uint32Array;
  private timeout!: Uint32Array;
  private drops!: Uint32Array;
  private localPort!: Uint16Array;
  private remotePort!: Uint16Array;
  private localAddr!: Uint8Array;
  private remoteAddr!: Uint8Array;
  private family!: Uint8Array;
  private state!: Uint8Array;
  private timerKind!: Uint8Array;
  private readonly wantDrops: boolean;
  private readonly needed: number;

  constructor(proto: InetProto, private readonly littleEndian: boolean, private reuse: RawInetTable | null | undefined,
    private readonly stateMask: number | undefined, private program?: Float64Array) {
    this.wantDrops = proto !== 'tcp';
    this.needed = this.wantDrops ? 13 : 10;
  }

  begin(first: Uint8Array): void {
    let capacity = initialCapacity(first);
    const reuse = this.reuse;
    // Fill an earlier table's memory when its capacity holds the first estimate (native/table.cc does the same).
    const reused = !!reuse && capacity <= reuse.capacity && inetLayout(reuse.capacity).byteLength <= reuse.buffer.byteLength;
    if (reused) capacity = reuse.capacity;
    this.attach(reused ? reuse.buffer : new ArrayBuffer(inetLayout(capacity).byteLength), capacity);
  }

  private attach(buffer: ArrayBuffer, capacity: number): void {
    const L = inetLayout(capacity);
    this.buffer = buffer;
    this.capacity = capacity;
    this.inode = new Float64Array(buffer, L.inode, capacity);
    this.txQueue = new Uint32Array(buffer, L.txQueue, capacity);
    this.rxQueue = new Uint32Array(buffer, L.rxQueue, capacity);
    this.timerJiffies = new Uint32Array(buffer, L.timerJiffies, capacity);
    this.retransmits = new Uint32Array(buffer, L.retransmits, capacity);
    this.uid = new Uint32Array(buffer, L.uid, capacity);
    this.timeout = new Uint32Array(buffer, L.timeout, capacity);
    this.drops = new Uint32Array(buffer, L.drops, capacity);
    this.localPort = new Uint16Array(buffer, L.localPort, capacity);
    this.remotePort = new Uint16Array(buffer, L.remotePort, capacity);
    this.localAddr = new Uint8Array(buffer, L.localAddr, capacity * 16);
    this.remoteAddr = new Uint8Array(buffer, L.remoteAddr, capacity * 16);
    this.family = new Uint8Array(buffer, L.family, capacity);
    this.state = new Uint8Array(buffer, L.state, capacity);
    this.timerKind = new Uint8Array(buffer, L.timerKind, capacity);
  }

  /** Doubles the table into fresh memory, moving each column's rows to its new offset. */
  private grow(): void {
    const capacity = grownCapacity(this.capacity);
    this.attach(growInetColumns(this.buffer, this.count, this.capacity, capacity), capacity);
  }

  tooLong(lineNo: number): void {
    if (lineNo > 1) this.problems.push(lineNo, TOO_LONG);
  }

  line(bytes: Uint8Array, start: number, eol: number, lineNo: number, terminated: boolean): void {
    if (lineNo === 1) return; // header
    const littleEndian = this.littleEndian;
    const n = tokenize(bytes, start, eol, starts, ends, this.needed);
    if (n === 0) return; // blank line
    const fail = (code: number) => {
      this.problems.push(lineNo, code);
    };
    // The kernel ends every line with a newline: a last line without one was cut, and its
    // inode, drops or any other field may be cut mid-value (native/net_inet.cc does the same).
    if (!terminated) return fail(CUT_OFF);
    if (n < this.needed) return fail(TOO_FEW);
    // sl: decimal slot number followed by ':'
    const slEnd = ends[0]! - 1;
    if (bytes[slEnd] !== 58 || parseDec(bytes, starts[0]!, slEnd, 10, U32_MAX) < 0) return fail(BAD_SL);
    const local = parseEndpoint(bytes, starts[1]!, ends[1]!, 0, littleEndian);
    if (local < 0) return fail(BAD_LOCAL);
    const remote = parseEndpoint(bytes, starts[2]!, ends[2]!, 16, littleEndian);
    if (remote < 0) return fail(BAD_REMOTE);
    if (local >>> 16 !== remote >>> 16) return fail(FAMILY_MISMATCH);
    const st = parseHex(bytes, starts[3]!, ends[3]!, 2);
    if (st < 0) return fail(BAD_STATE);
    const qColon = bytes.indexOf(58, starts[4]!);
    const tx = qColon < 0 || qColon >= ends[4]! ? -1 : parseHex(bytes, starts[4]!, qColon, 8);
    const rx = tx < 0 ? -1 : parseHex(bytes, qColon + 1, ends[4]!, 8);
    if (rx < 0) return fail(BAD_QUEUES);
    const tColon = bytes.indexOf(58, starts[5]!);
    const tr = tColon < 0 || tColon >= ends[5]! ? -1 : parseHex(bytes, starts[5]!, tColon, 2);
    const when = tr < 0 ? -1 : parseHex(bytes, tColon + 1, ends[5]!, 8);
    if (when < 0) return fail(BAD_TIMER);
    const retr = parseHex(bytes, starts[6]!, ends[6]!, 8);
    if (retr < 0) return fail(BAD_RETRANSMITS);
    const u = parseDec(bytes, starts[7]!, ends[7]!, 10, U32_MAX);
    if (u < 0) return fail(BAD_UID);
    const to = parseDec(bytes, starts[8]!, ends[8]!, 10, U32_MAX);
    if (to < 0) return fail(BAD_TIMEOUT);
    const ino = parseDec(bytes, starts[9]!, ends[9]!, 16, INODE_MAX);
    if (ino < 0) return fail(BAD_INODE);
    let dr = 0;
    if (this.wantDrops) {
      dr = parseDec(bytes, starts[12]!, ends[12]!, 10, U32_MAX);
      if (dr < 0) return fail(BAD_DROPS);
    }
    // Filtered out by state (TCP with -l): a valid line, not a problem. (>>> would wrap at 32.)
    const m = this.stateMask;
    if (m !== undefined && (st >= 32 || ((m >>> st) & 1) === 0)) return;
    // Filtered out by the filter program: never stored (as native/table.cc does).
    const program = this.program;
    if (program !== undefined) {
      const f = filterRow;
      f.family[0] = local >>> 16;
      f.state[0] = st;
      for (let i = 0; i < 16; i++) {
        f.localAddr[i] = addrScratch[i]!;
        f.remoteAddr[i] = addrScratch[16 + i]!;
      }
      f.localPort[0] = local & 0xffff;
      f.remotePort[0] = remote & 0xffff;
      f.uid[0] = u;
      f.rxQueue[0] = rx;
      f.txQueue[0] = tx;
      if (runProgram(program, f, 0, filterStack) === 0) return;
    }
    if (this.count === this.capacity) this.grow();
    const r = this.count++;
    this.family[r] = local >>> 16;
    this.state[r] = st;
    // Byte by byte: a subarray() for set() would be two objects a row.
    const la = this.localAddr;
    const ra = this.remoteAddr;
    for (let i = 0, at = r * 16; i < 16; i++, at++) {
      la[at] = addrScratch[i]!;
      ra[at] = addrScratch[16 + i]!;
    }
    this.localPort[r] = local & 0xffff;
    this.remotePort[r] = remote & 0xffff;
    this.txQueue[r] = tx;
    this.rxQueue[r] = rx;
    this.timerKind[r] = tr;
    this.timerJiffies[r] = when;
    this.retransmits[r] = retr;
    this.uid[r] = u;
    this.timeout[r] = to;
    this.inode[r] = ino;
    this.drops[r] = dr;
  }

  /** The table, handed over: the builder lets go of it and of the request (see keptBuilder). */
  finish(): RawInetTable {
    const table: RawInetTable = { buffer: this.buffer, capacity: this.capacity, count: this.count, problems: Uint32Array.from(this.problems) };
    this.attach(NO_ROWS, 0);
    this.count = 0;
    this.problems = [];
    this.reuse = null;
    this.program = undefined;
    keptBuilder = this;
    return table;
  }
}

const NO_ROWS = new ArrayBuffer(0);

/**
 * The last builder, kept (holding nothing of its table) until the next one finishes. V8's
 * optimized code for line() is tied to the builders' hidden class, which a full GC drops when no
 * builder is alive; the code goes with it, and the next parse starts unoptimized again.
 */
let keptBuilder: InetBuilder | null = null;

/** Parses a whole inet file in memory. */
export function parseInet(bytes: Uint8Array, proto: InetProto, littleEndian: boolean, reuse?: RawInetTable | null, stateMask?: number): RawInetTable {
  const b = new InetBuilder(proto, littleEndian, reuse, stateMask);
  memoryLines(bytes, INET_LINE_MAX, b);
  return b.finish();
}

/** Streams the inet file at `path` (chunk by chunk) into a table; an errno name when unreadable. */
export function streamInet(path: string, proto: InetProto, littleEndian: boolean, reuse?: RawInetTable | null, stateMask?: number, program?: Float64Array): RawInetTable | string {
  const b = new InetBuilder(proto, littleEndian, reuse, stateMask, program);
  const err = streamLines(path, INET_LINE_MAX, b);
  return err ?? b.finish();
}
