// netstat's socket tables, byte for byte (net-tools 2.10, LANG=C). Strings here are "binary"
// (latin1) strings: one char per byte, as printf counts them, so widths and cuts match netstat
// and paths or program names that are not UTF-8 come out unchanged.
import type { OwnerIndex, InetTable, UnixTable } from '../model/columns';
import { decimalBytes, HOST_LITTLE_ENDIAN, ipv4Bytes, ipv6Bytes, isUnspecified, isV4Mapped } from '../model/address';
import { ByteWriter, collectText, decimalLength, latin1Bytes, putBytes, putDecimalLeft, putDecimalRight, putSpaces } from '../bytes/writer';
import { UNIX_ACC, UNIX_NOSPACE, UNIX_WAITDATA } from '../model/states';
import { TCP_STATES } from '../model/states';
import { userName } from '../names/users';
import type { Names } from '../names/names';
import { inetSprint } from './hosts';
import { terminalSafeBinary, terminalSafeBytes } from '../bytes/escape';
import { detailRoom, FORMAT_ROW_MAX, type Backend, type DetailSpec, type InetProto, type InetRowFormat, type RawOwners, type RowTextRequest } from '../model/contract';

export interface NetstatListingOptions {
  all: boolean;
  listening: boolean;
  extend: boolean;
  programs: boolean;
  timers: boolean;
  wide: boolean;
  numericHosts: boolean;
  numericPorts: boolean;
  numericUsers: boolean;
  /** USER_HZ; netstat divides TCP timer jiffies by it. */
  clockTicks?: number;
  passwdFile?: string;
  /** Lookups for non-numeric output; without it names fall back to numbers. */
  names?: Names;
  /**
   * On a terminal: the fields others control (paths, program, user, host and service names) with
   * their control characters escaped (src/bytes/escape.ts), before the cuts and the padding, so
   * the columns line up on what is shown.
   */
  escape?: boolean;
}

function suffix(o: NetstatListingOptions): string {
  return o.all ? '(servers and established)' : o.listening ? '(only servers)' : '(w/o servers)';
}

export function inetHeader(o: NetstatListingOptions): string {
  let s = `Active Internet connections ${suffix(o)}\nProto Recv-Q Send-Q Local Address           Foreign Address         State      `;
  if (o.extend) s += ' User       Inode     ';
  if (o.programs) s += ' PID/Program name    ';
  if (o.timers) s += ' Timer';
  return s + '\n';
}

export function unixHeader(o: NetstatListingOptions): string {
  let s = `Active UNIX domain sockets ${suffix(o)}\nProto RefCnt Flags       Type       State         I-Node  `;
  if (o.programs) s += ' PID/Program name    ';
  return s + ' Path\n';
}

/** netstat's label for a table's rows. */
export function protoLabel(t: InetTable): string {
  const base = t.proto === 'udplite' ? 'udpl' : t.proto;
  return t.ipv6File ? `${base}6` : base;
}

/** Does the row pass -l / -a / default (non-servers)? */
export function inetRowShown(t: InetTable, i: number, o: NetstatListingOptions): boolean {
  if (o.all) return true;
  // TCP servers are told by the remote port, UDP/RAW servers by an all-zero remote address.
  const server = t.proto === 'tcp' ? t.remotePort[i] === 0 : isUnspecified(t.remoteAddr, i * 16);
  return o.listening ? server : !server;
}

export function unixRowShown(t: UnixTable, i: number, o: NetstatListingOptions): boolean {
  if (o.all) return true;
  const server = t.state[i] === 1 && (t.flags[i]! & UNIX_ACC) !== 0;
  return o.listening ? server : !server;
}

/** Scratch for one endpoint: host, ':' and port, before netstat's cut and padding. */
let ep = Buffer.allocUnsafe(1024);

/** Makes ep hold at least `n` bytes, keeping what it holds. */
function room(n: number): void {
  if (n <= ep.length) return;
  const grown = Buffer.allocUnsafe(Math.max(ep.length * 2, n));
  ep.copy(grown);
  ep = grown;
}

function putText(s: string, at: number): number {
  room(at + s.length);
  return ep.write(s, at, s.length, 'latin1');
}

/** A host or service name at ep[at], escaped on a terminal (a PTR record is anyone's text). */
function putName(s: string, at: number, o: NetstatListingOptions): number {
  return putText(o.escape ? terminalSafeBinary(s) : s, at);
}

/** Host text at ep[0]; returns its length. */
function putHost(addr: Uint8Array, off: number, family: number, o: NetstatListingOptions): number {
  if (family === 4) {
    if (o.numericHosts || !o.names) return ipv4Bytes(addr, off, ep, 0);
    return putName(inetSprint(addr.subarray(off, off + 4), o.names, HOST_LITTLE_ENDIAN), 0, o);
  }
  // netstat drops the ::ffff: prefix of IPv4-mapped addresses; only DNS can name them.
  if (isV4Mapped(addr, off)) {
    const name = !o.numericHosts && o.names?.mappedHost(addr, off);
    return name ? putName(name, 0, o) : ipv4Bytes(addr, off + 12, ep, 0);
  }
  if (o.numericHosts) return ipv6Bytes(addr, off, ep, 0);
  if (isUnspecified(addr, off)) return putText('[::]', 0);
  const name = o.names?.host(addr, off, 6);
  return name != null ? putName(name, 0, o) : ipv6Bytes(addr, off, ep, 0);
}

/** Port (service) text at ep[at]; returns its length. */
function putPort(port: number, proto: InetProto, o: NetstatListingOptions, at: number): number {
  if (port === 0) {
    ep[at] = 0x2a; // '*'
    return 1;
  }
  if (!(o.numericPorts || !o.names)) {
    // RAW sockets' "port" is the IP protocol; UDP-Lite uses the udp service names.
    const name = proto === 'raw' ? o.names.protocol(port) : o.names.service(port, proto === 'tcp' ? 'tcp' : 'udp');
    if (name != null) return putName(name, at, o);
  }
  room(at + 16);
  return decimalBytes(port, ep, at);
}

/** netstat's addr_do_one: "host:port", cut to 23 characters unless -W, padded to `width`. */
function writeEndpoint(w: ByteWriter, addr: Uint8Array, off: number, family: number, port: number, o: NetstatListingOptions,
  proto: InetProto, width: number): void {
  const hostLen = putHost(addr, off, family, o);
  const servLen = putPort(port, proto, o, hostLen);
  let len: number;
  if (!o.wide && hostLen + servLen > 22) {
    const portLen = Math.min(servLen, 18);
    const keep = Math.min(hostLen, 22 - portLen);
    w.bytes(ep, 0, keep);
    w.byte(0x3a);
    w.bytes(ep, hostLen, hostLen + portLen);
    len = keep + 1 + portLen;
  } else {
    w.bytes(ep, 0, hostLen);
    w.byte(0x3a);
    w.bytes(ep, hostLen, hostLen + servLen);
    len = hostLen + 1 + servLen;
  }
  w.spaces(width - len);
}

/** netstat's addr_do_one: "host:port", cut to 23 characters unless -W. */
export function endpointText(addr: Uint8Array, off: number, family: number, port: number, o: NetstatListingOptions, proto: InetProto = 'tcp'): string {
  return collectText((w) => writeEndpoint(w, addr, off, family, port, o, proto, 0));
}

/** netstat's "PID/Program name" (19 bytes at most), padded to 20. */
function writeProgram(w: ByteWriter, owners: OwnerIndex | null, inode: number, o: NetstatListingOptions): void {
  const k = !owners || inode === 0 ? -1 : owners.first(inode);
  if (k < 0) {
    w.byte(0x2d); // '-'
    w.spaces(19);
    return;
  }
  const pid = owners!.pids[k]!; // entries of one inode are sorted by pid: the lowest first, as netstat's scan finds it
  const p = owners!.processIndex(pid);
  w.decimal(pid);
  w.byte(0x2f); // '/'
  let used = decimalLength(pid) + 1;
  if (p >= 0) {
    const name = owners!.nameBytes(p);
    const room = Math.max(0, 19 - used);
    const shown = o.escape ? terminalSafeBytes(name, { limit: room }) : name.subarray(0, Math.min(name.length, room));
    w.bytes(shown);
    used += shown.length;
  }
  w.spaces(20 - used);
}

const userCache = new Map<string, Map<number, Uint8Array>>();

function writeUser(w: ByteWriter, uid: number, o: NetstatListingOptions): void {
  if (o.numericUsers) {
    w.decimalLeft(uid, 10);
    return;
  }
  const file = o.passwdFile ?? '/etc/passwd';
  const key = o.escape ? `${file}\0escaped` : file;
  let cache = userCache.get(key);
  if (!cache) userCache.set(key, (cache = new Map()));
  let text = cache.get(uid);
  if (!text) {
    const name = latin1Bytes(userName(uid, o.passwdFile) ?? String(uid));
    cache.set(uid, (text = o.escape ? terminalSafeBytes(name) : name));
  }
  w.bytes(text);
  w.spaces(10 - text.length);
}

function fixed2(x: number): string {
  return x.toFixed(2);
}

function timerText(t: InetTable, i: number, o: NetstatListingOptions): string {
  const kind = t.timerKind[i]!;
  const when = t.timerJiffies[i]!;
  const to = t.timeout[i]! | 0;
  if (t.proto === 'tcp') {
    const retr = t.retransmits[i]!;
    const secs = fixed2(when / (o.clockTicks ?? 100));
    switch (kind) {
      case 0: return `off (0.00/${retr}/${to})`;
      case 1: return `on (${secs}/${retr}/${to})`;
      case 2: return `keepalive (${secs}/${retr}/${to})`;
      case 3: return `timewait (${secs}/${retr}/${to})`;
      case 4: return `probe (${secs}/${retr}/${to})`;
      default: return `unkn-${kind} (${secs}/${retr}/${to})`;
    }
  }
  // UDP and RAW: netstat forces retransmits to 0 and divides by 100.
  const secs = fixed2(when / 100);
  switch (kind) {
    case 0: return `off (0.00/0/${to})`;
    case 1: case 2: return `on${kind} (${secs}/0/${to})`;
    default: return `unkn-${kind} (${secs}/0/${to})`;
  }
}

/** Constant texts, padded to their column, as bytes. */
const padded = (s: string, width: number) => latin1Bytes(s.padEnd(width));
const TCP_STATE_CELLS = TCP_STATES.map((name, st) => padded((st >= 1 && name) || 'UNKNOWN', 11));
const TCP_UNKNOWN_CELL = padded('UNKNOWN', 11);
const UDP_STATE_CELLS = [padded('ESTABLISHED', 11), padded('', 11), padded('UNKNOWN', 11)];
/** Proto column and the spaces after it: tcp and raw pad to 4 + 2 spaces, udp to 5 + 1, as netstat. */
const LABEL_CELLS = new Map<string, Uint8Array>();

function labelCell(t: InetTable): Uint8Array {
  return labelCellOf(t.proto, protoLabel(t));
}

function labelCellOf(proto: InetProto, label: string): Uint8Array {
  let cell = LABEL_CELLS.get(label);
  if (!cell) {
    cell = proto === 'tcp' || proto === 'raw' ? latin1Bytes(`${label.padEnd(4)}  `) : latin1Bytes(`${label.padEnd(5)} `);
    LABEL_CELLS.set(label, cell);
  }
  return cell;
}

/** Room for a row's fixed-width cells (everything but names, users, programs and timers). */
const ROW_ROOM = 256;

/** A numeric IPv4 "host:port" (21 characters at most: never cut), padded to 23. */
function putEndpoint4(b: Uint8Array, p: number, addr: Uint8Array, off: number, port: number): number {
  const start = p;
  p += ipv4Bytes(addr, off, b, p);
  b[p++] = 0x3a; // ':'
  if (port === 0) b[p++] = 0x2a; // '*'
  else p += decimalBytes(port, b, p);
  return putSpaces(b, p, 23 - (p - start));
}

/**
 * A numeric IPv6 "host:port" (an IPv4-mapped address as its IPv4 part, as netstat prints it), cut
 * as addr_do_one cuts it unless -W, padded to 23.
 */
function putEndpoint6(b: Uint8Array, p: number, addr: Uint8Array, off: number, port: number, wide: boolean): number {
  const start = p;
  const hostLen = isV4Mapped(addr, off) ? ipv4Bytes(addr, off + 12, b, p) : ipv6Bytes(addr, off, b, p);
  const portLen = port === 0 ? 1 : decimalLength(port);
  // Too long: keep the host's first 22 - portLen characters (the port, 5 digits at most, is never cut).
  p += !wide && hostLen + portLen > 22 ? Math.min(hostLen, 22 - portLen) : hostLen;
  b[p++] = 0x3a; // ':'
  if (port === 0) b[p++] = 0x2a; // '*'
  else p += decimalBytes(port, b, p);
  return putSpaces(b, p, 23 - (p - start));
}

/** One row of netstat's Internet table, written as bytes. */
export function writeInetRow(w: ByteWriter, t: InetTable, i: number, o: NetstatListingOptions, owners: OwnerIndex | null): void {
  const family = t.family[i]!;
  w.reserve(ROW_ROOM);
  let b = w.buf;
  let p = putBytes(b, w.pos, labelCell(t));
  p = putDecimalRight(b, p, t.rxQueue[i]!, 6);
  b[p++] = SPACE;
  p = putDecimalRight(b, p, t.txQueue[i]!, 6);
  b[p++] = SPACE;
  // The common cases, numeric addresses and ports, go straight into the buffer (without names
  // there is no -n: listingFormat() then always has both numeric).
  const numeric = (o.numericHosts || !o.names) && (o.numericPorts || !o.names);
  if (numeric && family === 4) {
    p = putEndpoint4(b, p, t.localAddr, i * 16, t.localPort[i]!);
    b[p++] = SPACE;
    p = putEndpoint4(b, p, t.remoteAddr, i * 16, t.remotePort[i]!);
    b[p++] = SPACE;
  } else if (numeric && o.numericHosts) {
    p = putEndpoint6(b, p, t.localAddr, i * 16, t.localPort[i]!, o.wide);
    b[p++] = SPACE;
    p = putEndpoint6(b, p, t.remoteAddr, i * 16, t.remotePort[i]!, o.wide);
    b[p++] = SPACE;
  } else {
    w.pos = p;
    writeEndpoint(w, t.localAddr, i * 16, family, t.localPort[i]!, o, t.proto, 23);
    w.byte(SPACE);
    writeEndpoint(w, t.remoteAddr, i * 16, family, t.remotePort[i]!, o, t.proto, 23);
    w.byte(SPACE);
    w.reserve(ROW_ROOM);
    b = w.buf;
    p = w.pos;
  }
  const st = t.state[i]!;
  if (t.proto === 'tcp') p = putBytes(b, p, TCP_STATE_CELLS[st] ?? TCP_UNKNOWN_CELL);
  else if (t.proto === 'raw') p = putDecimalLeft(b, p, st, 11);
  else p = putBytes(b, p, UDP_STATE_CELLS[st === 1 ? 0 : st === 7 ? 1 : 2]!);
  w.pos = p;
  if (o.extend) {
    w.byte(SPACE);
    writeUser(w, t.uid[i]!, o);
    w.byte(SPACE);
    w.decimalLeft(t.inode[i]!, 10);
  }
  if (o.programs) {
    w.byte(SPACE);
    writeProgram(w, owners, t.inode[i]!, o);
  }
  if (o.timers) {
    w.byte(SPACE);
    w.text(timerText(t, i, o));
  }
  w.byte(NEWLINE);
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * Rows per call of Backend.formatInetRows, and the buffer it writes them into (kept: a few MiB, so
 * that a listing of a hundred thousand rows faults in the pages of one small buffer, not of a big
 * one). Each call shares its rows among the CPUs; the owner lookup table is built once per owner
 * index (native.ts).
 */
const FAST_CHUNK = 16384;
/** The output buffer's size for rows with detail lines (their room per row is some 1.7 KB). */
const DETAIL_CHUNK_BYTES = 32 << 20;
let fastOut = new Uint8Array(0);
/** formatInetRows' State cells of each state byte (length, then bytes, 16 a slot), per kind of table (built once). */
const STATE_CELLS = new Map<string, Uint8Array>();
const NO_OWNERS: RawOwners = {
  inodes: new Float64Array(0), pids: new Int32Array(0), fds: new Int32Array(0), procPids: new Int32Array(0),
  procUids: new Uint32Array(0), nameStart: new Uint32Array(0), nameLen: new Uint32Array(0), commStart: new Uint32Array(0),
  commLen: new Uint32Array(0), strings: new Uint8Array(0), pidsScanned: 0, pidsVanished: 0, pidsDenied: 0, socketFds: 0,
};

function stateCells(kind: 'tcp' | 'udp'): Uint8Array {
  let cells = STATE_CELLS.get(kind);
  if (!cells) {
    cells = new Uint8Array(256 * 16);
    for (let st = 0; st < 256; st++) {
      const cell = kind === 'tcp' ? TCP_STATE_CELLS[st] ?? TCP_UNKNOWN_CELL : UDP_STATE_CELLS[st === 1 ? 0 : st === 7 ? 1 : 2]!;
      cells[st * 16] = cell.length; // 11, or 12 for NEW_SYN_RECV (longer than its column)
      cells.set(cell, st * 16 + 1);
    }
    STATE_CELLS.set(kind, cells);
  }
  return cells;
}

/** Whether writeInetRowsFast formats the rows of a listing with options `o` through the addon's formatter. */
function fastFormatFits(o: NetstatListingOptions, format: Backend['formatInetRows']): format is NonNullable<Backend['formatInetRows']> {
  // Numeric hosts: without -n and without names writeEndpoint prints an unspecified IPv6 host as [::].
  const numeric = o.numericHosts && (o.numericPorts || !o.names);
  return !!format && numeric && !o.extend && !o.timers && !o.escape;
}

/**
 * SampleRequest.rowText for a listing of tcp and tcp6 with options `o` and -p: the format that
 * writeInetRowsFast gives their rows, so that the sample may format them as they come (and the
 * listing write that text); null where writeInetRowsFast would not format them.
 */
export function inetRowTextRequest(o: NetstatListingOptions, show: InetRowFormat['show'], format: Backend['formatInetRows']): RowTextRequest | null {
  if (!o.programs || !fastFormatFits(o, format)) return null;
  return { label4: labelCellOf('tcp', 'tcp'), label6: labelCellOf('tcp', 'tcp6'), stateCells: stateCells('tcp'), show, wide: o.wide };
}

/**
 * Writes the rows of t that the listing shows (`show`: netstat's -a, -l or neither, as inetRowShown)
 * through the addon's formatter (Backend.formatInetRows: the same bytes as writeInetRow, without a
 * cold JIT's cost per row) when it has one and the options need nothing it lacks: -n (numeric hosts
 * and ports), no -e, no -o, nothing to escape. Returns false, having written nothing, otherwise.
 * `text`: the sample's text of t's first rows (Snapshot.rowText, asked as inetRowTextRequest(o, show)
 * gives), written as it is; the rows after it are formatted here. `details`: each row followed by its
 * detail line (--info, --memory, --cgroup; src/format/ss_detail.ts), written by the addon too (then
 * no `text`: it has none).
 */
export function writeInetRowsFast(w: ByteWriter, t: InetTable, o: NetstatListingOptions, show: InetRowFormat['show'],
  owners: OwnerIndex | null, format: Backend['formatInetRows'], text: { bytes: Uint8Array; rows: number } | null = null,
  details: DetailSpec | null = null): boolean {
  if (!fastFormatFits(o, format)) return false;
  const kind = t.proto === 'tcp' ? 'tcp' : t.proto === 'raw' ? 'raw' : 'udp';
  const f: InetRowFormat = { label: labelCell(t), stateCells: stateCells(kind === 'raw' ? 'udp' : kind), proto: kind, show, wide: o.wide };
  const raw = o.programs ? owners?.raw ?? NO_OWNERS : null;
  let first = 0;
  if (text !== null && o.programs && text.rows <= t.count && details === null) {
    w.bytes(text.bytes, 0, text.bytes.length);
    first = text.rows;
  }
  // With detail lines a row may take a few kilobytes: fewer rows per call, within DETAIL_CHUNK_BYTES.
  const perRow = f.label.length + FORMAT_ROW_MAX + (details !== null ? detailRoom(details) : 0);
  const chunk = details !== null ? Math.max(1, Math.min(FAST_CHUNK, Math.floor(DETAIL_CHUNK_BYTES / perRow))) : FAST_CHUNK;
  if (details !== null) f.details = details;
  const room = Math.min(t.count - first, chunk) * perRow;
  if (fastOut.length < room) fastOut = new Uint8Array(room);
  for (let s = first; s < t.count; s += chunk) {
    const e = Math.min(t.count, s + chunk);
    if (details !== null) f.detailFirst = s;
    const columns = {
      family: t.family.subarray(s, e), state: t.state.subarray(s, e), localAddr: t.localAddr.subarray(16 * s, 16 * e),
      remoteAddr: t.remoteAddr.subarray(16 * s, 16 * e), localPort: t.localPort.subarray(s, e), remotePort: t.remotePort.subarray(s, e),
      txQueue: t.txQueue.subarray(s, e), rxQueue: t.rxQueue.subarray(s, e), inode: t.inode.subarray(s, e),
    };
    w.bytes(fastOut, 0, format(columns, e - s, f, raw, fastOut));
  }
  return true;
}

function unixFlagsText(flags: number): string {
  let s = '[ ';
  if (flags & UNIX_ACC) s += 'ACC ';
  if (flags & UNIX_WAITDATA) s += 'W ';
  if (flags & UNIX_NOSPACE) s += 'N ';
  return s + ']';
}

function unixStateText(state: number, flags: number): string {
  switch (state) {
    case 0: return 'FREE';
    case 1: return flags & UNIX_ACC ? 'LISTENING' : '';
    case 2: return 'CONNECTING';
    case 3: return 'CONNECTED';
    case 4: return 'DISCONNECTING';
    default: return 'UNKNOWN';
  }
}

const UNIX_TYPE_TEXT: Readonly<Record<number, string>> = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET' };

/** "Flags Type State " cells of a UNIX row, cached by (flags, type, state): few distinct ones. */
const UNIX_MIDDLE = new Map<string, Uint8Array>();

function unixMiddle(flags: number, type: number, state: number): Uint8Array {
  const key = `${flags}/${type}/${state}`;
  let cell = UNIX_MIDDLE.get(key);
  if (!cell) {
    cell = latin1Bytes(`${unixFlagsText(flags).padEnd(11)} ${(UNIX_TYPE_TEXT[type] ?? 'UNKNOWN').padEnd(10)} ${unixStateText(state, flags).padEnd(13)} `);
    if (UNIX_MIDDLE.size < 4096) UNIX_MIDDLE.set(key, cell);
  }
  return cell;
}

const UNIX_CELL = padded('unix', 5);
const UNIX_OTHER_CELL = padded('??', 5);

/**
 * One UNIX row, written as bytes. Deliberate deviation: netstat cuts the path at its first
 * space; we print it whole.
 */
export function writeUnixRow(w: ByteWriter, t: UnixTable, i: number, o: NetstatListingOptions, owners: OwnerIndex | null): void {
  w.bytes(t.protocol[i] === 0 ? UNIX_CELL : UNIX_OTHER_CELL);
  w.byte(SPACE);
  w.decimalLeft(t.refCount[i]!, 6);
  w.byte(SPACE);
  w.bytes(unixMiddle(t.flags[i]!, t.type[i]!, t.state[i]!));
  w.decimalLeft(t.inode[i]!, 8);
  if (o.programs) {
    w.byte(SPACE);
    writeProgram(w, owners, t.inode[i]!, o);
  }
  w.byte(SPACE);
  const start = t.pathStart[i]!;
  if (o.escape) w.bytes(terminalSafeBytes(t.pool.subarray(start, start + t.pathLen[i]!)));
  else w.bytes(t.pool, start, start + t.pathLen[i]!);
  w.byte(NEWLINE);
}
