// /proc/net/{tcp,tcp6,udp,udp6,udplite,udplite6,raw,raw6}: bytes in, columns out.
import { inetLayout, rowCapacity, type InetProto, type RawInetTable } from '../../model';
import { hexDigit, INODE_MAX, parseDec, parseHex, tokenize, U32_MAX } from './scan';

const starts = new Int32Array(13);
const ends = new Int32Array(13);
const addrScratch = new Uint8Array(32);

// Problem codes: see PROBLEM_REASONS in model.ts.
const TOO_FEW = 1, BAD_SL = 2, BAD_LOCAL = 3, BAD_REMOTE = 4, FAMILY_MISMATCH = 5, BAD_STATE = 6,
  BAD_QUEUES = 7, BAD_TIMER = 8, BAD_RETRANSMITS = 9, BAD_UID = 10, BAD_TIMEOUT = 11, BAD_INODE = 12,
  BAD_DROPS = 13, CUT_OFF = 14;

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
 * stateMask: when given, valid lines whose state st is >= 32 or lacks bit (1 << st) are skipped
 * without a problem (native/inet_parser.cc does the same).
 */
export function parseInet(bytes: Uint8Array, proto: InetProto, littleEndian: boolean, reuse?: RawInetTable | null, stateMask?: number): RawInetTable {
  let capacity = rowCapacity(bytes);
  // Fill an earlier table's memory when its capacity holds these rows (native/table.cc does the same).
  const reused = !!reuse && capacity <= reuse.capacity && inetLayout(reuse.capacity).byteLength <= reuse.buffer.byteLength;
  if (reused) capacity = reuse.capacity;
  const L = inetLayout(capacity);
  const buffer = reused ? reuse.buffer : new ArrayBuffer(L.byteLength);
  const inode = new Float64Array(buffer, L.inode, capacity);
  const txQueue = new Uint32Array(buffer, L.txQueue, capacity);
  const rxQueue = new Uint32Array(buffer, L.rxQueue, capacity);
  const timerJiffies = new Uint32Array(buffer, L.timerJiffies, capacity);
  const retransmits = new Uint32Array(buffer, L.retransmits, capacity);
  const uid = new Uint32Array(buffer, L.uid, capacity);
  const timeout = new Uint32Array(buffer, L.timeout, capacity);
  const drops = new Uint32Array(buffer, L.drops, capacity);
  const localPort = new Uint16Array(buffer, L.localPort, capacity);
  const remotePort = new Uint16Array(buffer, L.remotePort, capacity);
  const localAddr = new Uint8Array(buffer, L.localAddr, capacity * 16);
  const remoteAddr = new Uint8Array(buffer, L.remoteAddr, capacity * 16);
  const family = new Uint8Array(buffer, L.family, capacity);
  const state = new Uint8Array(buffer, L.state, capacity);
  const timerKind = new Uint8Array(buffer, L.timerKind, capacity);

  const wantDrops = proto !== 'tcp';
  const needed = wantDrops ? 13 : 10;
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
    if (lineNo === 1) continue; // header
    const n = tokenize(bytes, start, eol, starts, ends, needed);
    if (n === 0) continue; // blank line
    const fail = (code: number) => problems.push(lineNo, code);
    // The kernel ends every line with a newline: a last line without one was cut, and its
    // inode, drops or any other field may be cut mid-value (native/inet_parser.cc does the same).
    if (eol === len) {
      fail(CUT_OFF);
      continue;
    }
    if (n < needed) {
      fail(TOO_FEW);
      continue;
    }
    // sl: decimal slot number followed by ':'
    const slEnd = ends[0]! - 1;
    if (bytes[slEnd] !== 58 || parseDec(bytes, starts[0]!, slEnd, 10, U32_MAX) < 0) {
      fail(BAD_SL);
      continue;
    }
    const local = parseEndpoint(bytes, starts[1]!, ends[1]!, 0, littleEndian);
    if (local < 0) {
      fail(BAD_LOCAL);
      continue;
    }
    const remote = parseEndpoint(bytes, starts[2]!, ends[2]!, 16, littleEndian);
    if (remote < 0) {
      fail(BAD_REMOTE);
      continue;
    }
    if (local >>> 16 !== remote >>> 16) {
      fail(FAMILY_MISMATCH);
      continue;
    }
    const st = parseHex(bytes, starts[3]!, ends[3]!, 2);
    if (st < 0) {
      fail(BAD_STATE);
      continue;
    }
    const qColon = bytes.indexOf(58, starts[4]!);
    const tx = qColon < 0 || qColon >= ends[4]! ? -1 : parseHex(bytes, starts[4]!, qColon, 8);
    const rx = tx < 0 ? -1 : parseHex(bytes, qColon + 1, ends[4]!, 8);
    if (rx < 0) {
      fail(BAD_QUEUES);
      continue;
    }
    const tColon = bytes.indexOf(58, starts[5]!);
    const tr = tColon < 0 || tColon >= ends[5]! ? -1 : parseHex(bytes, starts[5]!, tColon, 2);
    const when = tr < 0 ? -1 : parseHex(bytes, tColon + 1, ends[5]!, 8);
    if (when < 0) {
      fail(BAD_TIMER);
      continue;
    }
    const retr = parseHex(bytes, starts[6]!, ends[6]!, 8);
    if (retr < 0) {
      fail(BAD_RETRANSMITS);
      continue;
    }
    const u = parseDec(bytes, starts[7]!, ends[7]!, 10, U32_MAX);
    if (u < 0) {
      fail(BAD_UID);
      continue;
    }
    const to = parseDec(bytes, starts[8]!, ends[8]!, 10, U32_MAX);
    if (to < 0) {
      fail(BAD_TIMEOUT);
      continue;
    }
    const ino = parseDec(bytes, starts[9]!, ends[9]!, 16, INODE_MAX);
    if (ino < 0) {
      fail(BAD_INODE);
      continue;
    }
    let dr = 0;
    if (wantDrops) {
      dr = parseDec(bytes, starts[12]!, ends[12]!, 10, U32_MAX);
      if (dr < 0) {
        fail(BAD_DROPS);
        continue;
      }
    }
    // Filtered out by state (TCP with -l): a valid line, not a problem. (>>> would wrap at 32.)
    if (stateMask !== undefined && (st >= 32 || ((stateMask >>> st) & 1) === 0)) continue;
    const r = count++;
    family[r] = local >>> 16;
    state[r] = st;
    localAddr.set(addrScratch.subarray(0, 16), r * 16);
    remoteAddr.set(addrScratch.subarray(16, 32), r * 16);
    localPort[r] = local & 0xffff;
    remotePort[r] = remote & 0xffff;
    txQueue[r] = tx;
    rxQueue[r] = rx;
    timerKind[r] = tr;
    timerJiffies[r] = when;
    retransmits[r] = retr;
    uid[r] = u;
    timeout[r] = to;
    inode[r] = ino;
    drops[r] = dr;
  }
  return { buffer, capacity, count, problems: Uint32Array.from(problems) };
}
