// The columnar model shared by both backends. A parser fills one ArrayBuffer per table,
// laid out column after column (widest element first, so every column is aligned); the
// views below read it without copying. Both backends must produce the same bytes.

import type { RawTcpExtensions } from './tcp_info';

export type InetProto = 'tcp' | 'udp' | 'udplite' | 'raw';
export type Proto = InetProto | 'unix';
export type Family = 4 | 6;

/** The inet protocols: what a filter chooses among (UNIX sockets have no addresses or ports). */
export const INET_PROTOCOLS: readonly InetProto[] = ['tcp', 'udp', 'udplite', 'raw'];

/** /proc/net files, in netstat's order: IPv4 file, then IPv6 file, per protocol. */
export const INET_FILES: ReadonlyArray<{ file: string; proto: InetProto; ipv6: boolean }> = [
  { file: 'tcp', proto: 'tcp', ipv6: false },
  { file: 'tcp6', proto: 'tcp', ipv6: true },
  { file: 'udp', proto: 'udp', ipv6: false },
  { file: 'udp6', proto: 'udp', ipv6: true },
  { file: 'udplite', proto: 'udplite', ipv6: false },
  { file: 'udplite6', proto: 'udplite', ipv6: true },
  { file: 'raw', proto: 'raw', ipv6: false },
  { file: 'raw6', proto: 'raw', ipv6: true },
];

/**
 * Lays columns out one after the other, each `bytes` wide per row; callers list the widest
 * element first so every column stays aligned. Returns each column's byte offset.
 */
function layout<K extends string>(capacity: number, columns: ReadonlyArray<readonly [K, number]>): Record<K, number> & { byteLength: number } {
  const offsets = {} as Record<K, number>;
  let o = 0;
  for (const [name, bytes] of columns) {
    offsets[name] = o;
    o += bytes * capacity;
  }
  return Object.assign(offsets, { byteLength: o });
}

const INET_COLUMNS = [
  ['inode', 8], ['txQueue', 4], ['rxQueue', 4], ['timerJiffies', 4], ['retransmits', 4], ['uid', 4], ['timeout', 4],
  ['drops', 4], ['localPort', 2], ['remotePort', 2], ['localAddr', 16], ['remoteAddr', 16], ['family', 1], ['state', 1],
  ['timerKind', 1],
] as const;

const UNIX_COLUMNS = [
  ['inode', 8], ['refCount', 4], ['protocol', 4], ['flags', 4], ['pathStart', 4], ['pathLen', 4], ['type', 2], ['state', 1],
] as const;

/** Byte offsets of each column of an inet table of `capacity` rows (native/layout.h mirrors it). */
export function inetLayout(capacity: number) {
  return layout(capacity, INET_COLUMNS);
}

export function unixLayout(capacity: number) {
  return layout(capacity, UNIX_COLUMNS);
}

/** A buffer laid out for `to` rows holding the first `count` rows of every column of `buffer` (laid out for `from`). */
function moveColumns<K extends string>(buffer: ArrayBuffer, count: number, columns: ReadonlyArray<readonly [K, number]>, from: number, to: number): ArrayBuffer {
  const a = layout(from, columns);
  const b = layout(to, columns);
  const out = new ArrayBuffer(b.byteLength);
  const src = new Uint8Array(buffer);
  const dst = new Uint8Array(out);
  for (const [name, bytes] of columns) dst.set(src.subarray(a[name], a[name] + count * bytes), b[name]);
  return out;
}

/** An inet table's columns moved into a bigger layout (a growing table; native/table.cc does the same). */
export function growInetColumns(buffer: ArrayBuffer, count: number, from: number, to: number): ArrayBuffer {
  return moveColumns(buffer, count, INET_COLUMNS, from, to);
}

/**
 * The rows of `raw` whose `keep` byte is not 0, in order, as a new table of exactly that many rows,
 * with the netlink columns (backlog, cookie, cgroupId, ifindex, ext) cut the same way.
 */
export function selectInetRows(raw: RawInetTable, keep: Uint8Array): RawInetTable {
  const rows: number[] = [];
  for (let i = 0; i < raw.count; i++) if (keep[i] !== 0) rows.push(i);
  const n = rows.length;
  const a = layout(raw.capacity, INET_COLUMNS);
  const b = layout(n, INET_COLUMNS);
  const buffer = new ArrayBuffer(b.byteLength);
  const src = new Uint8Array(raw.buffer);
  const dst = new Uint8Array(buffer);
  for (const [name, bytes] of INET_COLUMNS) {
    for (let k = 0; k < n; k++) {
      const from = a[name] + rows[k]! * bytes;
      dst.set(src.subarray(from, from + bytes), b[name] + k * bytes);
    }
  }
  const pick = <T extends { length: number; [i: number]: number | bigint }>(col: T | undefined, make: (n: number) => T): T | undefined => {
    if (col === undefined) return undefined;
    const out = make(n);
    for (let k = 0; k < n; k++) out[k] = col[rows[k]!]!;
    return out;
  };
  const out: RawInetTable = { buffer, capacity: n, count: n, problems: raw.problems };
  const backlog = pick(raw.backlog, (m) => new Uint32Array(m));
  if (backlog) out.backlog = backlog;
  const cookie = pick(raw.cookie, (m) => new BigUint64Array(m));
  if (cookie) out.cookie = cookie;
  const cgroupId = pick(raw.cgroupId, (m) => new BigUint64Array(m));
  if (cgroupId) out.cgroupId = cgroupId;
  const ifindex = pick(raw.ifindex, (m) => new Uint32Array(m));
  if (ifindex) out.ifindex = ifindex;
  const e = raw.ext;
  if (e) {
    const c = raw.count;
    const columns = <T extends Uint32Array | Float64Array>(col: T, make: (m: number) => T): T => {
      const cols = c === 0 ? 0 : col.length / c;
      const o = make(cols * n);
      for (let j = 0; j < cols; j++) for (let k = 0; k < n; k++) o[j * n + k] = col[j * c + rows[k]!]!;
      return o;
    };
    out.ext = {
      infoLen: pick(e.infoLen, (m) => new Uint16Array(m))!,
      infoU32: columns(e.infoU32, (m) => new Uint32Array(m)),
      infoF64: columns(e.infoF64, (m) => new Float64Array(m)),
      cong: pick(e.cong, (m) => new Uint8Array(m))!,
      congNames: e.congNames,
      memCount: pick(e.memCount, (m) => new Uint8Array(m))!,
      mem: columns(e.mem, (m) => new Uint32Array(m)),
    };
    if (e.fields !== undefined) out.ext.fields = e.fields;
  }
  return out;
}

export function growUnixColumns(buffer: ArrayBuffer, count: number, from: number, to: number): ArrayBuffer {
  return moveColumns(buffer, count, UNIX_COLUMNS, from, to);
}

/**
 * Upper bound on the rows of a /proc/net file: every line but the header. Both backends size
 * their tables with this, so equal input gives equal buffers.
 */
export function rowCapacity(bytes: Uint8Array): number {
  let lines = 0;
  let i = bytes.indexOf(10);
  while (i !== -1) {
    lines++;
    i = bytes.indexOf(10, i + 1);
  }
  if (bytes.length > 0 && bytes[bytes.length - 1] !== 10) lines++;
  return lines > 1 ? lines - 1 : 0;
}

/**
 * Streaming (both backends): a /proc/net file is read in chunks of STREAM_CHUNK bytes and parsed
 * line by line; a line longer than the maximum below is skipped as "line too long" without holding
 * more than that of it. Tables start at rowCapacity() of the first chunk and double (to at least
 * 1,024 rows) when full. Keep in sync with native/lines.h.
 */
export const STREAM_CHUNK = 1 << 20;
export const INET_LINE_MAX = 64 * 1024;
export const UNIX_LINE_MAX = 1 << 20;

/**
 * Why a line was skipped. Codes cross the native boundary; the text is defined once, here.
 * Keep in sync with native/problems.h.
 */
export const PROBLEM_REASONS: Readonly<Record<number, string>> = {
  1: 'too few fields',
  2: 'bad slot number',
  3: 'bad local address',
  4: 'bad remote address',
  5: 'local and remote address families differ',
  6: 'bad state',
  7: 'bad tx_queue:rx_queue',
  8: 'bad timer (tr:tm->when)',
  9: 'bad retransmit count',
  10: 'bad uid',
  11: 'bad timeout',
  12: 'bad inode (not a decimal below 2^53)',
  13: 'bad drops',
  14: 'line cut off (no newline at the end of the file)',
  15: 'line too long (over 64 KiB)',
  16: 'socket listed twice by the netlink dump (sockets moved during it); the second listing was dropped',
  20: 'too few fields',
  21: 'bad socket address (Num)',
  22: 'bad reference count',
  23: 'bad protocol',
  24: 'bad flags',
  25: 'bad type',
  26: 'bad state',
  27: 'bad inode (not a decimal below 2^53)',
  28: 'line cut off (no newline at the end of the file)',
  29: 'line too long (over 1 MiB)',
};

export function problemReason(code: number): string {
  return PROBLEM_REASONS[code] ?? `unknown problem ${code}`;
}

/** What a backend's parser returns: one buffer in the layout above, plus skipped lines. */
export interface RawInetTable {
  buffer: ArrayBuffer;
  capacity: number;
  count: number;
  /** Pairs of (1-based line number, problem code). */
  problems: Uint32Array;
  /**
   * Netlink tables only (RawFileResult.source 'netlink'): per row, the accept backlog maximum of a
   * LISTEN socket (netlink's idiag_wqueue), 0 for other rows. /proc does not have it.
   */
  backlog?: Uint32Array;
  /**
   * Netlink tables only: per row, the kernel's socket cookie (idiag_cookie, as `ss -e` prints it
   * after `sk:`); TIME_WAIT and request sockets have their own.
   */
  cookie?: BigUint64Array;
  /**
   * Netlink tables only: per row, the cgroup v2 id of the socket (INET_DIAG_CGROUP_ID, the inode
   * of the cgroup's directory), 0 when the kernel sent none (TIME_WAIT and request sockets).
   */
  cgroupId?: BigUint64Array;
  /** Netlink tables of a request with `extensions` only: the columns asked for (model/tcp_info). */
  ext?: RawTcpExtensions;
  /**
   * Netlink tables only: per row, the interface index the socket is bound to (idiag_if, what ss's
   * `dev` matches), 0 when unbound.
   */
  ifindex?: Uint32Array;
}

export interface RawUnixTable extends RawInetTable {
  /** Path bytes of all rows, as printed by the kernel (abstract names start with `@`). */
  pool: Uint8Array;
}

export interface RawOwners {
  /** Sorted by (inode, pid, fd). */
  inodes: Float64Array;
  pids: Int32Array;
  fds: Int32Array;
  /** One record per owning process, sorted by pid. */
  procPids: Int32Array;
  /** Effective uid from /proc/PID/status; 0xffffffff when unreadable. */
  procUids: Uint32Array;
  /** Byte offsets into `strings` of the netstat program name and of comm. */
  nameStart: Uint32Array;
  nameLen: Uint32Array;
  commStart: Uint32Array;
  commLen: Uint32Array;
  strings: Uint8Array;
  /** Processes whose fd directory was read. */
  pidsScanned: number;
  /** Processes that vanished during the scan (ENOENT, ESRCH) or had no fd directory. */
  pidsVanished: number;
  /** Processes whose fds we may not read (EACCES, EPERM). */
  pidsDenied: number;
  /** Socket links found. */
  socketFds: number;
}

export interface SampleRequest {
  /** Directory holding tcp, tcp6, …, unix: `${procRoot}/net` or `/proc/PID/net`. */
  netDir: string;
  /** File names under netDir, e.g. ['tcp', 'tcp6', 'unix']. */
  files: string[];
  /** Scan PROCROOT/[0-9]*\/fd for owners. */
  owners: boolean;
  procRoot: string;
  littleEndian: boolean;
  /**
   * Earlier tables (parallel to `files`) whose memory may be filled again instead of allocating:
   * the sampler's double buffering. A table passed here must not be read until this sample is done,
   * and shows the new rows afterwards. A hint: the TypeScript backend's helper threads parse into
   * memory of their own (when they parse a sample's files, the result's tables are new ones).
   * The native backend also takes back a netlink table's other columns (backlog, cookie, cgroupId,
   * ifindex, and ext's infoLen, infoU32, infoF64, cong, memCount, mem): each new column that fits in
   * the lent one's memory (all of its ArrayBuffer from the view's start) is a view of its first
   * elements, so a poller's tick hands V8 no new memory to count towards its major GCs; a new column of
   * a table filled into a lent one has the table's capacity of room in its ArrayBuffer (zero past its
   * rows). Each must be a typed array of its own type (a TypeError otherwise); one absent, or whose
   * memory overlaps another lent in the request, gives a new column.
   */
  reuse?: Array<RawInetTable | RawUnixTable | null>;
  /**
   * Where inet tables come from (default 'proc'). 'netlink': a NETLINK_SOCK_DIAG dump, native backend
   * only and only for the caller's own namespace (netDir '/proc/net' or '/proc/self/net') or the one
   * `netns` names; the TypeScript backend, other netDirs, unix, and a failed dump read /proc, except
   * with `extensions` or `netns` (see there). See RawFileResult.source.
   */
  source?: 'proc' | 'netlink';
  /**
   * TCP states to keep in tcp/tcp6, as a bit mask of /proc state numbers (bit 1 << st, st 1..11);
   * absent: all. Other rows are skipped (not problems); netlink asks the kernel for these only.
   */
  tcpStates?: number;
  /**
   * What the netlink source adds per socket beyond /proc, as a bit mask (default 0): 1 tcp_info and
   * the congestion control (tcp/tcp6), 2 socket memory (every inet file). Not 0: every netlink
   * table carries `ext` (RawTcpExtensions), and nothing falls back to /proc: a dump that fails is
   * the file's `error` (its errno name, e.g. 'EPERM') with source 'netlink', and so is a netDir of
   * another namespace without `netns` ('ENOTSUP'). Ignored with source 'proc'. Native backend only.
   */
  extensions?: number;
  /**
   * With extensions bit 1: the tcp_info fields to decode, as increasing TCP_INFO_FIELDS indexes
   * (RawTcpExtensions.fields then lists them); INET_DIAG_CONG is then not asked. Absent or empty:
   * every field, and the congestion control. Native backend only.
   */
  infoFields?: number[];
  /**
   * With source 'netlink', tcp and tcp6 both asked: one dump of both families (the kernel's older
   * TCPDIAG_GETSOCK request, for AF_UNSPEC), so the kernel walks its hash tables once instead of
   * twice: less CPU, but on one thread (two dumps run on two). The same rows, in the same order, as
   * two dumps. Samplers use it; without it, the addon takes one dump anyway when the namespace's
   * sockstat files count fewer than 4,096 TCP sockets. Native backend only.
   */
  oneTcpDump?: boolean;
  /**
   * Tables sized to their rows (capacity = count) for a sample that nothing fills again: a table
   * grows by doubling, so up to half of its buffer is headroom, and V8 counts every byte of an
   * ArrayBuffer towards the external memory that starts its major GCs. sample() asks for it; the
   * sampler does not (its tables are filled again, headroom and all). Not with `reuse`: a table
   * filled in place keeps its buffer. A hint, for the native backend only: the TypeScript backend's
   * tables keep their headroom.
   */
  trim?: boolean;
  /**
   * With source 'netlink': the network namespace the inet files describe, as a path to its nsfs
   * file (`/proc/PID/ns/net`, `/run/netns/NAME`); netDir still names where unix comes from. The
   * dump's socket is made inside that namespace (setns on a helper thread; needs CAP_SYS_ADMIN).
   * Set, nothing falls back to /proc: a failure is each inet file's `error` with source 'netlink'
   * ('EPERM' without the privilege, 'ENOENT' or 'EACCES' from opening the path, 'EINVAL' when it is
   * not a network namespace). Ignored with source 'proc'. Native backend only.
   */
  netns?: string;
  /**
   * A filter every inet row must pass (src/filter/program.ts): rows whose program result is false are
   * never stored, in both backends, whatever the source. `bytecode` (INET_DIAG_REQ_BYTECODE, built
   * by src/filter/kernel.ts) goes with every netlink dump so that the kernel drops most of them
   * first; a program the kernel rejects is run on the columns alone (RawFileResult.kernelRejected).
   * A program with netlink-only ops (DEV, CGROUP, AUTOBOUND, INFO, RATIO) never falls back to /proc,
   * as with `extensions`; INFO and RATIO need extensions bit 1.
   */
  filter?: FilterRequest;
  /**
   * tcp's and tcp6's rows as netstat text with the PID/Program name column (formatInetRows' bytes,
   * owners from this sample), made while the dump still runs where the native backend can: with
   * `owners` on two workers, tcp and tcp6 from one netlink dump and the owners from the BPF
   * iterator, the worker done with the owners formats the rows the dump has stored so far. Then
   * RawFileResult.rowText holds the text of the table's first `rows` rows; the rest are the
   * caller's to format. A hint (the CLI's listing asks it): nothing else changes.
   */
  rowText?: RowTextRequest;
}

/** SampleRequest.rowText: formatInetRows' format of tcp's rows (label4) and of tcp6's (label6). */
export interface RowTextRequest {
  label4: Uint8Array;
  label6: Uint8Array;
  stateCells: Uint8Array;
  show: InetRowFormat['show'];
  wide: boolean;
}

export interface FilterRequest {
  /** The column program (src/filter/program.ts). */
  program: Float64Array;
  /** For netlink dumps: the kernel's share of it, a program accepting a superset of the rows. */
  bytecode?: Uint8Array | null;
}

export interface RawFileResult {
  name: string;
  /** Where the rows came from: the /proc file or a netlink dump. */
  source: 'proc' | 'netlink';
  /** errno name when the file could not be read (ENOENT when missing). */
  error: string | null;
  table: RawInetTable | RawUnixTable | null;
  /** Netlink dumps of a request with filter.bytecode: whether the kernel ran it. */
  filterInKernel?: boolean;
  /** When the kernel refused filter.bytecode: its errno name (the program then ran on the columns alone). */
  kernelRejected?: string;
  /**
   * Native backend: the netlink dump of this file failed (ENOBUFS, the kernel's ENOMEM, ENOENT for a
   * protocol without sock_diag, …) and its rows were read from /proc instead: the dump's errno name.
   */
  netlinkError?: string;
  /** SampleRequest.rowText, where it was made: the text of the table's first `rows` rows. */
  rowText?: { bytes: Uint8Array; rows: number };
}

export interface RawSample {
  files: RawFileResult[];
  owners: RawOwners | null;
}

export type ReadResult = { ok: true; bytes: Uint8Array } | { ok: false; code: string };

/**
 * The TCP sockets the kernel destroyed since the previous read() of a DestroySubscription (native
 * only; what `ss -E` shows): one row per socket, announced by the kernel on the sock_diag groups
 * SKNLGRP_INET_TCP_DESTROY and SKNLGRP_INET6_TCP_DESTROY (native/destroy_events.h has the kernel's
 * side). Any process may subscribe, unprivileged ones included, and receives every TCP close of the
 * namespace, other users' too; TIME_WAIT and request sockets are never announced.
 */
export interface RawDestroyBatch {
  /**
   * A netlink table (as a dump's with extensions 1): family, addresses, ports, state (always 7,
   * CLOSE), the queues, `cookie` (the one a dump showed while the socket lived), `ifindex`, and `ext`
   * with the final tcp_info. A listener's row has remote address and port 0. The kernel sends no
   * uid, inode, timer, cgroup id, congestion control or socket memory: those columns are 0.
   */
  table: RawInetTable;
  /** Records received in this span: `table.count + dropped`. */
  received: number;
  /** Records not kept: more than `maxRows` waited for a read (or memory could not be had). */
  dropped: number;
  /** recv() failures with ENOBUFS: each means the kernel lost one or more events (see `lost`). */
  overflows: number;
  /** Events the kernel could not queue for this subscription (its socket's drop count, SO_MEMINFO). */
  lost: number;
  /** The errno name that stopped the reader thread (it then receives nothing more), else null. */
  error: string | null;
}

export interface DestroyEventsOptions {
  /**
   * Subscribe to another network namespace, by the path of its nsfs file (`/proc/PID/ns/net`,
   * `/run/netns/NAME`): the socket is made inside it on a helper thread (needs CAP_SYS_ADMIN).
   */
  netns?: string;
  /** SO_RCVBUF to ask for, in bytes (default 8 MiB; the kernel doubles it). For tests of overflow. */
  rcvbuf?: number;
  /** At most this many rows wait between two reads (1..1,000,000, the default); the rest are `dropped`. */
  maxRows?: number;
}

/**
 * A subscription to TCP destroy events: its own socket and reader thread fill memory, and read()
 * takes what came. It keeps no handle: the process may exit with it open, and a subscription that
 * is garbage-collected without close() stops its thread then.
 */
export interface DestroySubscription {
  /** Everything received since the previous read(); null once closed. */
  read(): RawDestroyBatch | null;
  /** Stops the thread and closes the socket; idempotent. */
  close(): void;
  /** The receive buffer the kernel granted, in bytes (getsockopt SO_RCVBUF). */
  readonly rcvbuf: number;
}

/** The two backends: the C++ addon and the TypeScript fallback. */
export type BackendName = 'native' | 'js';

/** The contract both backends implement, function for function. */
export interface Backend {
  readonly name: BackendName;
  parseInet(bytes: Uint8Array, proto: InetProto, littleEndian: boolean): RawInetTable;
  parseUnix(bytes: Uint8Array): RawUnixTable;
  /** Inode of a `socket:[N]` or `[0000]:N` fd link, or -1. */
  parseSocketLink(link: Uint8Array): number;
  /** Reads a whole file; the bytes are a copy the caller owns. */
  readProcFile(path: string): ReadResult;
  scanOwners(procRoot: string): RawOwners;
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  /**
   * TCP destroy events (native only; the TypeScript backend has none). Throws an Error whose
   * `code` is the errno name and `step` the call that failed ('netns', 'socket', 'bind', ...), and a
   * TypeError for bad options.
   */
  openDestroyEvents?(options?: DestroyEventsOptions): DestroySubscription;
  /**
   * netstat's numeric Internet rows (native only; the TypeScript backend formats them itself):
   * what src/format/netstat.ts's writeInetRow writes for each row of `columns` (`count` rows) that
   * `format.show` keeps, with numeric hosts and ports and no -e, -o or escaping; `owners` adds the
   * "PID/Program name" column. The bytes go into `out`, which holds at least
   * count * (format.label.length + FORMAT_ROW_MAX) bytes; returns how many. Throws a TypeError for
   * columns shorter than `count` or too small an `out`.
   */
  formatInetRows?(columns: InetRowColumns, count: number, format: InetRowFormat, owners: RawOwners | null, out: Uint8Array): number;
  /**
   * The detail lines of --info, --memory and --cgroup (native only: only a netlink table has what
   * they show) for rows [first, first + count) of `details`, one after the other into `out`, which
   * holds at least count * detailRoom(details) bytes; ends[i] is where row first + i's line ends
   * (equal to the one before for a row without one). Returns the bytes written. Throws a TypeError
   * for columns shorter than details.rows or too small an `out`.
   */
  formatDetailLines?(details: DetailSpec, first: number, count: number, out: Uint8Array, ends: Uint32Array): number;
}

/**
 * What a detail line shows of a netlink table's rows (native/format.h's DetailColumns): the table's
 * RawTcpExtensions (every tcp_info field decoded: the addon refuses a `fields` property), its states
 * and cgroup ids, and the text of each
 * cgroup id (its path as the listing shows it, or `unreachable:<hex>`).
 */
export interface DetailSpec {
  rows: number;
  state: Uint8Array;
  /** RawTcpExtensions' columns; absent (all five) for a table without them: then only cgroups show. */
  infoLen?: Uint16Array;
  infoU32?: Uint32Array;
  infoF64?: Float64Array;
  cong?: Uint8Array;
  memCount?: Uint8Array;
  /** Empty when socket memory was not asked. */
  mem?: Uint32Array;
  /** The congestion control names, one after the other; name k ends at congEnds[k]. */
  congText: Uint8Array;
  congEnds: Uint32Array;
  /** Absent: the table has no cgroup ids. */
  cgroupId?: BigUint64Array;
  /** Increasing; the text of cgroupIds[k] ends at cgroupEnds[k] in cgroupText. */
  cgroupIds: BigUint64Array;
  cgroupEnds: Uint32Array;
  cgroupText: Uint8Array;
  info: boolean;
  memory: boolean;
  cgroup: boolean;
  /** -n: rates as whole bits/s (ss -n); otherwise 3 significant digits with k/M/G/T. */
  numeric: boolean;
  /** The tcp_info part is shown for TCP tables only. */
  tcp: boolean;
}

/** The most bytes a detail line takes beyond its cgroup text (native/format.h's kDetailMax). */
export const FORMAT_DETAIL_MAX = 1536;

/** The room formatDetailLines (and formatInetRows with details) needs per row for `d`. */
export function detailRoom(d: DetailSpec): number {
  let longest = 0;
  for (let k = 0, prev = 0; k < d.cgroupEnds.length; prev = d.cgroupEnds[k]!, k++) longest = Math.max(longest, d.cgroupEnds[k]! - prev);
  return FORMAT_DETAIL_MAX + longest;
}

/** The most bytes formatInetRows writes for one row beyond its label (native/format.h's kRowMax). */
export const FORMAT_ROW_MAX = 192;

/** The columns of an InetTable that formatInetRows reads (src/model/columns.ts). */
export interface InetRowColumns {
  family: Uint8Array;
  state: Uint8Array;
  localAddr: Uint8Array;
  remoteAddr: Uint8Array;
  localPort: Uint16Array;
  remotePort: Uint16Array;
  txQueue: Uint32Array;
  rxQueue: Uint32Array;
  inode: Float64Array;
}

export interface InetRowFormat {
  /** The Proto cell with its spaces ("tcp   ", "udp6  "). */
  label: Uint8Array;
  /** TCP and UDP: the State cell of each state byte, 256 slots of 16 bytes: its length (at most 15), then its bytes. */
  stateCells: Uint8Array;
  proto: 'tcp' | 'udp' | 'raw';
  /** netstat's -a (all), -l (servers) or neither (others). */
  show: 'all' | 'servers' | 'others';
  wide: boolean;
  /**
   * Each row followed by its detail line (formatDetailLines), the columns' row i being row
   * detailFirst + i of `details`; `out` then needs detailRoom(details) more bytes per row.
   */
  details?: DetailSpec;
  detailFirst?: number;
}
