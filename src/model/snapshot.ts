// The Snapshot: one read of the requested /proc/net files (+ the owner scan), wrapped in typed
// views, and the SampleRequest that asks a backend for it. Options are validated here, before
// anything reaches a backend (src/backends/snapshot.ts takes the sample).
import { addressText, HOST_LITTLE_ENDIAN } from './address';
import { INET_FILES, problemReason, type BackendName, type Family, type InetProto, type Proto, type RawSample, type RawUnixTable, type SampleRequest } from './contract';
import { tcpStateName, udpStateName, unixStateName, unixTypeName } from './states';
import { InetTable, OwnerIndex, UnixTable, type Owner, type ProcessCgroup } from './columns';
import { TCP_INFO_INDEX, type SkMemInfo, type TcpInfo } from './tcp_info';

export interface SnapshotOptions {
  /** Default: all of tcp, udp, udplite, raw, unix. */
  protocols?: readonly Proto[];
  /** Which inet files to read: 4 = tcp/udp/…, 6 = tcp6/udp6/…. Default both. */
  families?: readonly Family[];
  /** Map sockets to the processes that hold them (scan PROCROOT/[0-9]*\/fd). Default false. */
  owners?: boolean;
  /** Default '/proc'. Tests point it at a fixture tree. */
  procRoot?: string;
  /** Directory of the socket tables; default `${procRoot}/net`. */
  netDir?: string;
  /** Byte order of the words in /proc/net addresses; default the host's. */
  littleEndian?: boolean;
  /** Override NETSNAP_BACKEND for this call. */
  backend?: BackendName;
  /**
   * Where the inet tables come from: 'proc' (/proc/net/*), 'netlink' (a NETLINK_SOCK_DIAG dump; native
   * backend and own network namespace only, /proc otherwise or when a dump fails), or 'auto' (the
   * default: netlink with the native backend on the own namespace's netDir). InetTable.source tells
   * what was used.
   */
  source?: SourceOption;
  /** TCP states to keep (bit 1 << st of the /proc state numbers); default all. */
  tcpStates?: number;
  /**
   * tcp_info of every TCP socket (RTT, congestion window, retransmits, bytes, limits) and its
   * congestion control, from the netlink source. Native backend only: the TypeScript backend
   * refuses with NetsnapError ERR_NEEDS_NATIVE. Default false.
   */
  info?: boolean;
  /**
   * With `info`: decode only these tcp_info fields (TCP_INFO_FIELDS names, e.g. 'rttUs',
   * 'bytesAcked'); the others are not read, and asking a table's TcpInfoColumns for one throws.
   * Sockets then carry `info` with those fields alone and no `congestion` (the kernel is not asked
   * for it). For samplers at scale that read a few fields: at 100,000 sockets the full decode is
   * ~29 MB of columns per sample. A filter on tcp_info fields decodes them all. Default: all.
   */
  infoFields?: readonly string[];
  /** Socket memory (ss's skmem: rcvbuf, sndbuf, queued bytes, drops), netlink only as `info`. Default false. */
  memory?: boolean;
  /** Each socket's cgroup v2 id resolved to its path, netlink only as `info`. Default false. */
  cgroup?: boolean;
  /**
   * ss's filter expression (and netsnap's predicates beyond it: pid, comm, program, user, container,
   * recv-q, send-q, rtt, retrans, rwnd-limited, …): only inet sockets that pass are in the snapshot.
   * The kernel runs what it can (netlink source), both backends run the rest on the columns before
   * any owner is looked up. A bad expression is a NetsnapError ERR_USAGE; predicates that need the
   * netlink source (dev, cgroup, autobound, tcp_info values) are ERR_NEEDS_NATIVE elsewhere.
   * Compiled once per distinct text and kept (a few at most).
   */
  filter?: string;
}

/** Resolves a cgroup v2 id to its path under the cgroup2 mount; null when no group has that id now. */
export type CgroupResolver = (id: bigint) => string | null;

/** SampleRequest.extensions bits. */
export const EXT_INFO = 1;
export const EXT_MEMORY = 2;

export type SourceOption = 'auto' | 'proc' | 'netlink';

/** The netDirs that describe the caller's own network namespace (the only ones netlink can dump). */
export function isOwnNetDir(netDir: string): boolean {
  return netDir === '/proc/net' || netDir === '/proc/self/net';
}

/** The SampleRequest.source for an option value, a backend and a netDir. */
export function requestSource(source: SourceOption | undefined, backend: BackendName, netDir: string): 'proc' | 'netlink' {
  const s = source ?? 'auto';
  if (s !== 'auto' && s !== 'proc' && s !== 'netlink') throw new TypeError(`options.source must be 'auto', 'proc' or 'netlink', got ${JSON.stringify(s)}`);
  if (s === 'auto') return backend === 'native' && isOwnNetDir(netDir) ? 'netlink' : 'proc';
  return s;
}

export interface Problem {
  /** Full path of the file. */
  file: string;
  /** 1-based line number in the file. */
  line: number;
  code: number;
  reason: string;
}

/** Problem code of a socket a netlink dump listed twice (native/problems.h kNetlinkDuplicate). */
export const NETLINK_DUPLICATE = 16;

/**
 * The netlink dumps of a snapshot that failed (its netlinkFallbacks) but for ENOENT, the kernel's
 * answer for a protocol it has no sock_diag module for (raw_diag not loaded): /proc is then simply
 * where those rows come from, every time, and nothing to warn of or count.
 */
export function netlinkFaults(snap: Snapshot): Array<{ file: string; code: string }> {
  return snap.netlinkFallbacks.filter((f) => f.code !== 'ENOENT');
}

/** Everything about a snapshot the CLI warns of on stderr, one line each (after `netsnap: `). */
export function snapshotWarnings(snap: Snapshot): string[] {
  const out: string[] = [];
  for (const f of netlinkFaults(snap)) out.push(`${f.file}: the netlink dump failed (${f.code}); read ${snap.netDir}/${f.file} instead`);
  for (const p of snap.problems) out.push(problemText(p));
  return out;
}

/** A problem as the CLI prints it (after `netsnap: `): a /proc line, or a netlink dump's record. */
export function problemText(p: Problem): string {
  return p.code === NETLINK_DUPLICATE ? `${p.file} (netlink dump): record ${p.line} skipped: ${p.reason}` : `${p.file}:${p.line}: line skipped: ${p.reason}`;
}

export interface InetSocket {
  proto: InetProto;
  file: string;
  family: Family;
  state: number;
  stateName: string;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  txQueue: number;
  rxQueue: number;
  timer: { kind: number; jiffies: number; retransmits: number; timeout: number };
  uid: number;
  inode: number;
  drops: number;
  /** Accept backlog maximum of a LISTEN socket (0 otherwise); only when the table came from netlink. */
  backlog?: number;
  /** Netlink: the kernel's socket cookie, as a decimal string (it is 64-bit). */
  cookie?: string;
  /** With `cgroup`: the socket's cgroup v2 id (decimal string; absent when the kernel sent none). */
  cgroupId?: string;
  /** With `cgroup`: the path of that cgroup under the cgroup2 mount, null when it no longer exists. */
  cgroup?: string | null;
  /** With `info`: the congestion control algorithm (TCP), null when the kernel sent none. */
  congestion?: string | null;
  /** With `info`: tcp_info by field (units in the names), null for sockets the kernel has none for. */
  info?: TcpInfo | null;
  /** With `memory`: skmem by field, null for sockets the kernel has none for. */
  memory?: SkMemInfo | null;
  /** Every process holding the socket, ascending pid; empty without owner mapping. */
  owners: Owner[];
}

export interface UnixSocket {
  proto: 'unix';
  refCount: number;
  protocol: number;
  flags: number;
  type: number;
  typeName: string;
  state: number;
  stateName: string;
  inode: number;
  path: string | null;
  owners: Owner[];
}

const ALL_PROTOCOLS: readonly Proto[] = ['tcp', 'udp', 'udplite', 'raw', 'unix'];

export class Snapshot {
  readonly backend: BackendName;
  readonly procRoot: string;
  readonly netDir: string;
  readonly takenAt: number;
  /** One table per inet file read, in netstat's order (tcp, tcp6, udp, udp6, …). */
  readonly inet: InetTable[];
  readonly unix: UnixTable | null;
  readonly owners: OwnerIndex | null;
  /** Lines that were skipped, with why. */
  readonly problems: Problem[];
  /** Files that could not be read, with the errno name (ENOENT: not there, e.g. IPv6 disabled). */
  readonly unreadable: Array<{ file: string; code: string }>;
  /**
   * Inet files whose netlink dump failed and whose rows were read from /proc instead, with the
   * dump's errno name (RawFileResult.netlinkError): the rows are complete, the netlink-only columns
   * (cookie, cgroup id, bound device, backlog) are not there.
   */
  readonly netlinkFallbacks: Array<{ file: string; code: string }>;
  /** SampleRequest.extensions: which of tcp_info (EXT_INFO) and skmem (EXT_MEMORY) were asked for. */
  readonly extensions: number;
  /** With `cgroup`: resolves a cgroup id to its path (null: no longer there); null otherwise. */
  readonly cgroupPath: CgroupResolver | null;
  /** With `cgroup` and owners: each owning process's cgroup and container, by pid. */
  readonly processCgroups: ReadonlyMap<number, ProcessCgroup> | null;
  /** SampleRequest.rowText's texts (RawFileResult.rowText), by file. */
  private readonly rowTexts = new Map<string, { bytes: Uint8Array; rows: number }>();

  constructor(
    backend: BackendName, request: SampleRequest, raw: RawSample, takenAt: number,
    cgroupPath: CgroupResolver | null = null, processCgroups: ReadonlyMap<number, ProcessCgroup> | null = null,
  ) {
    this.backend = backend;
    this.extensions = request.extensions ?? 0;
    this.cgroupPath = cgroupPath;
    this.processCgroups = processCgroups;
    this.procRoot = request.procRoot;
    this.netDir = request.netDir;
    this.takenAt = takenAt;
    this.inet = [];
    this.unix = null;
    this.problems = [];
    this.unreadable = [];
    this.netlinkFallbacks = [];
    for (const f of raw.files) {
      const path = `${request.netDir}/${f.name}`;
      if (f.netlinkError !== undefined) this.netlinkFallbacks.push({ file: f.name, code: f.netlinkError });
      if (f.error !== null || f.table === null) {
        this.unreadable.push({ file: f.name, code: f.error ?? 'EIO' });
        continue;
      }
      const p = f.table.problems;
      for (let i = 0; i + 1 < p.length; i += 2) {
        this.problems.push({ file: path, line: p[i]!, code: p[i + 1]!, reason: problemReason(p[i + 1]!) });
      }
      if (f.name === 'unix') this.unix = new UnixTable(f.table as RawUnixTable);
      else {
        if (f.rowText !== undefined && f.rowText.rows <= f.table.count) this.rowTexts.set(f.name, f.rowText);
        const spec = INET_FILES.find((s) => s.file === f.name);
        if (spec) this.inet.push(new InetTable(spec.proto, f.name, f.table, f.source ?? 'proc'));
      }
    }
    this.owners = raw.owners ? new OwnerIndex(raw.owners) : null;
  }

  /** Every process holding `inode` (with their cgroups when the sample asked for them). */
  ownersOf(inode: number): Owner[] {
    if (!this.owners) return [];
    const list = this.owners.ownersOf(inode);
    const cg = this.processCgroups;
    if (cg === null) return list;
    for (const o of list) {
      const c = cg.get(o.pid);
      o.cgroup = c?.cgroup ?? null;
      o.container = c?.container ?? null;
    }
    return list;
  }

  /**
   * The text of the first rows of a file's table, as the sample's request.rowText asked them to be
   * formatted (its `rows` rows; src/cli/listing.ts writes them and formats the rest), or null when
   * none was made (the request did not ask, or the sample could not).
   */
  rowText(file: string): { bytes: Uint8Array; rows: number } | null {
    return this.rowTexts.get(file) ?? null;
  }

  /** The table of one /proc/net file, if it was read. */
  table(file: string): InetTable | undefined {
    return this.inet.find((t) => t.file === file);
  }

  inetSocket(t: InetTable, i: number): InetSocket {
    const family = t.familyOf(i);
    const inode = t.inode[i]!;
    const backlog = t.backlog(i);
    const s: InetSocket = {
      proto: t.proto,
      file: t.file,
      family,
      state: t.state[i]!,
      stateName: t.proto === 'tcp' ? tcpStateName(t.state[i]!) : udpStateName(t.state[i]!),
      localAddress: addressText(t.localAddr, i * 16, family),
      localPort: t.localPort[i]!,
      remoteAddress: addressText(t.remoteAddr, i * 16, family),
      remotePort: t.remotePort[i]!,
      txQueue: t.txQueue[i]!,
      rxQueue: t.rxQueue[i]!,
      timer: { kind: t.timerKind[i]!, jiffies: t.timerJiffies[i]!, retransmits: t.retransmits[i]!, timeout: t.timeout[i]! },
      uid: t.uid[i]!,
      inode,
      drops: t.drops[i]!,
      owners: this.ownersOf(inode),
    };
    if (backlog !== undefined) s.backlog = backlog;
    if (this.extensions !== 0 || this.cgroupPath !== null) this.addInternals(s, t, i);
    return s;
  }

  /** What netlink told of row i beyond /proc: only when the sample asked for it. */
  private addInternals(s: InetSocket, t: InetTable, i: number): void {
    if (t.cookie) s.cookie = String(t.cookie[i]!);
    if (this.cgroupPath !== null && t.cgroupId) {
      const id = t.cgroupId[i]!;
      if (id !== 0n) s.cgroupId = String(id);
      s.cgroup = id === 0n ? null : this.cgroupPath(id);
    }
    const ext = t.ext;
    if (ext === null) return;
    if (this.extensions & EXT_INFO) {
      if (!ext.selected) s.congestion = ext.congestion(i);
      s.info = ext.info(i);
    }
    if (this.extensions & EXT_MEMORY) s.memory = ext.memory(i);
  }

  unixSocket(t: UnixTable, i: number): UnixSocket {
    const inode = t.inode[i]!;
    return {
      proto: 'unix',
      refCount: t.refCount[i]!,
      protocol: t.protocol[i]!,
      flags: t.flags[i]!,
      type: t.type[i]!,
      typeName: unixTypeName(t.type[i]!),
      state: t.state[i]!,
      stateName: unixStateName(t.state[i]!, t.flags[i]!),
      inode,
      path: t.path(i),
      owners: this.ownersOf(inode),
    };
  }

  /** Row objects of every inet socket, built lazily, in file order. */
  *inetSockets(): Generator<InetSocket> {
    for (const t of this.inet) for (let i = 0; i < t.count; i++) yield this.inetSocket(t, i);
  }

  *unixSockets(): Generator<UnixSocket> {
    const t = this.unix;
    if (t) for (let i = 0; i < t.count; i++) yield this.unixSocket(t, i);
  }
}

/**
 * The backend request for snapshot()/sample()/createSampler() options, every option checked
 * (TypeError for a bad one). The source is chosen with the backend (requestSource).
 */
export function sampleRequest(options: SnapshotOptions): SampleRequest {
  if (options === null || typeof options !== 'object') throw new TypeError('options must be an object');
  const protocols = options.protocols ?? ALL_PROTOCOLS;
  if (!Array.isArray(protocols)) throw new TypeError('options.protocols must be an array');
  for (const p of protocols) {
    if (!ALL_PROTOCOLS.includes(p)) throw new TypeError(`options.protocols: unknown protocol ${JSON.stringify(p)} (expected ${ALL_PROTOCOLS.join(', ')})`);
  }
  const families = options.families ?? [4, 6];
  if (!Array.isArray(families)) throw new TypeError('options.families must be an array');
  for (const f of families) if (f !== 4 && f !== 6) throw new TypeError(`options.families: ${JSON.stringify(f)} is not 4 or 6`);
  const procRoot = options.procRoot ?? '/proc';
  if (typeof procRoot !== 'string' || procRoot === '') throw new TypeError('options.procRoot must be a non-empty string');
  const netDir = options.netDir ?? `${procRoot}/net`;
  if (typeof netDir !== 'string' || netDir === '') throw new TypeError('options.netDir must be a non-empty string');
  if (options.owners !== undefined && typeof options.owners !== 'boolean') throw new TypeError('options.owners must be a boolean');
  if (options.littleEndian !== undefined && typeof options.littleEndian !== 'boolean') throw new TypeError('options.littleEndian must be a boolean');
  const m = options.tcpStates;
  if (m !== undefined && !(typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 0xffffffff)) {
    throw new TypeError('options.tcpStates must be a whole number below 2^32');
  }
  const files: string[] = [];
  for (const spec of INET_FILES) {
    if (protocols.includes(spec.proto) && families.includes(spec.ipv6 ? 6 : 4)) files.push(spec.file);
  }
  if (protocols.includes('unix')) files.push('unix');
  const request: SampleRequest = {
    netDir,
    files,
    owners: options.owners ?? false,
    procRoot,
    littleEndian: options.littleEndian ?? HOST_LITTLE_ENDIAN,
  };
  if (m !== undefined) request.tcpStates = m;
  for (const k of ['info', 'memory', 'cgroup'] as const) {
    if (options[k] !== undefined && typeof options[k] !== 'boolean') throw new TypeError(`options.${k} must be a boolean`);
  }
  const extensions = (options.info ? EXT_INFO : 0) | (options.memory ? EXT_MEMORY : 0);
  if (extensions !== 0) request.extensions = extensions;
  if (options.infoFields !== undefined) {
    if (!Array.isArray(options.infoFields)) throw new TypeError('options.infoFields must be an array of tcp_info field names');
    if (options.info !== true) throw new TypeError('options.infoFields needs info: true');
    const chosen = new Set<number>();
    for (const name of options.infoFields) {
      const k = typeof name === 'string' ? TCP_INFO_INDEX.get(name) : undefined;
      if (k === undefined) throw new TypeError(`options.infoFields: no tcp_info field ${JSON.stringify(name)} (TCP_INFO_FIELDS names)`);
      chosen.add(k);
    }
    if (chosen.size > 0) request.infoFields = [...chosen].sort((a, b) => a - b);
  }
  return request;
}
