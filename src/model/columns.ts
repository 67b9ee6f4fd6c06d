// Typed views over the buffers a backend filled. Nothing is converted row by row; a row object
// is built only when someone asks for it.
import { inetLayout, unixLayout, type Family, type InetProto, type RawInetTable, type RawOwners, type RawUnixTable } from './contract';
import { TcpInfoColumns } from './tcp_info';

const utf8 = new TextDecoder('utf-8');

export class InetTable {
  readonly proto: InetProto;
  /** The /proc/net file the rows came from (`tcp`, `tcp6`, …). */
  readonly file: string;
  /** True for the IPv6 file: netstat labels its rows `tcp6`, `udp6`, … even for IPv4-mapped addresses. */
  readonly ipv6File: boolean;
  readonly count: number;
  readonly family: Uint8Array;
  readonly state: Uint8Array;
  readonly localAddr: Uint8Array;
  readonly remoteAddr: Uint8Array;
  readonly localPort: Uint16Array;
  readonly remotePort: Uint16Array;
  readonly txQueue: Uint32Array;
  readonly rxQueue: Uint32Array;
  readonly timerKind: Uint8Array;
  readonly timerJiffies: Uint32Array;
  readonly retransmits: Uint32Array;
  readonly uid: Uint32Array;
  readonly timeout: Uint32Array;
  readonly inode: Float64Array;
  readonly drops: Uint32Array;
  readonly raw: RawInetTable;
  /** Where the rows came from: the /proc file or a netlink dump (native backend). */
  readonly source: 'proc' | 'netlink';
  /** Netlink tables: the socket cookie of each row (the kernel's stable id of a socket); null from /proc. */
  readonly cookie: BigUint64Array | null;
  /** Netlink tables: the cgroup v2 id of each row's socket, 0 where the kernel sent none; null from /proc. */
  readonly cgroupId: BigUint64Array | null;
  /**
   * Netlink tables: the interface each row's socket is bound to (idiag_if), 0 for none; null from /proc.
   * The filter's `dev` reads it (the snapshot's owner pass runs the whole program on this table).
   */
  readonly ifindex: Uint32Array | null;
  /** tcp_info, congestion control and socket memory, when the sample asked for them (netlink only). */
  readonly ext: TcpInfoColumns | null;
  private readonly backlogColumn: Uint32Array | undefined;

  constructor(proto: InetProto, file: string, raw: RawInetTable, source: 'proc' | 'netlink' = 'proc') {
    this.proto = proto;
    this.file = file;
    this.source = source;
    this.backlogColumn = raw.backlog;
    this.cookie = raw.cookie ?? null;
    this.cgroupId = raw.cgroupId ?? null;
    this.ifindex = raw.ifindex ?? null;
    this.ext = raw.ext ? new TcpInfoColumns(raw.ext, raw.count) : null;
    this.ipv6File = file.endsWith('6');
    this.raw = raw;
    const { buffer, capacity: c, count: n } = raw;
    const L = inetLayout(c);
    this.count = n;
    this.inode = new Float64Array(buffer, L.inode, n);
    this.txQueue = new Uint32Array(buffer, L.txQueue, n);
    this.rxQueue = new Uint32Array(buffer, L.rxQueue, n);
    this.timerJiffies = new Uint32Array(buffer, L.timerJiffies, n);
    this.retransmits = new Uint32Array(buffer, L.retransmits, n);
    this.uid = new Uint32Array(buffer, L.uid, n);
    this.timeout = new Uint32Array(buffer, L.timeout, n);
    this.drops = new Uint32Array(buffer, L.drops, n);
    this.localPort = new Uint16Array(buffer, L.localPort, n);
    this.remotePort = new Uint16Array(buffer, L.remotePort, n);
    this.localAddr = new Uint8Array(buffer, L.localAddr, n * 16);
    this.remoteAddr = new Uint8Array(buffer, L.remoteAddr, n * 16);
    this.family = new Uint8Array(buffer, L.family, n);
    this.state = new Uint8Array(buffer, L.state, n);
    this.timerKind = new Uint8Array(buffer, L.timerKind, n);
  }

  /**
   * Accept backlog maximum of a LISTEN row (0 for other rows) when the table came from netlink;
   * undefined when it came from /proc, which does not show it.
   */
  backlog(i: number): number | undefined {
    return this.backlogColumn?.[i];
  }

  familyOf(i: number): Family {
    return this.family[i] === 6 ? 6 : 4;
  }
}

export class UnixTable {
  readonly file = 'unix';
  readonly count: number;
  readonly inode: Float64Array;
  readonly refCount: Uint32Array;
  readonly protocol: Uint32Array;
  readonly flags: Uint32Array;
  readonly type: Uint16Array;
  readonly state: Uint8Array;
  readonly pathStart: Uint32Array;
  readonly pathLen: Uint32Array;
  /** Path bytes of all rows, exactly as the kernel printed them. */
  readonly pool: Uint8Array;
  readonly raw: RawUnixTable;

  constructor(raw: RawUnixTable) {
    this.raw = raw;
    const { buffer, capacity: c, count: n } = raw;
    const L = unixLayout(c);
    this.count = n;
    this.inode = new Float64Array(buffer, L.inode, n);
    this.refCount = new Uint32Array(buffer, L.refCount, n);
    this.protocol = new Uint32Array(buffer, L.protocol, n);
    this.flags = new Uint32Array(buffer, L.flags, n);
    this.pathStart = new Uint32Array(buffer, L.pathStart, n);
    this.pathLen = new Uint32Array(buffer, L.pathLen, n);
    this.type = new Uint16Array(buffer, L.type, n);
    this.state = new Uint8Array(buffer, L.state, n);
    this.pool = raw.pool;
  }

  pathBytes(i: number): Uint8Array {
    const s = this.pathStart[i]!;
    return this.pool.subarray(s, s + this.pathLen[i]!);
  }

  /** The path decoded as UTF-8, or null for an unbound socket. */
  path(i: number): string | null {
    return this.pathLen[i]! === 0 ? null : utf8.decode(this.pathBytes(i));
  }
}

export interface ProcessInfo {
  pid: number;
  /** netstat's program name: argv[0], basename when it starts with '/'. */
  name: string;
  /** /proc/PID/comm (what ss shows). */
  comm: string;
  /** Effective uid, or null when /proc/PID/status could not be read. */
  uid: number | null;
}

export interface Owner extends ProcessInfo {
  fd: number;
  /** With `cgroup`: the process's cgroup v2 path (/proc/PID/cgroup), null when it has none or is gone. */
  cgroup?: string | null;
  /** With `cgroup`: the container its cgroups name (docker, containerd, cri-o, podman, kubernetes), or null. */
  container?: ContainerRef | null;
}

/** A container named by a process's cgroup paths. */
export interface ContainerRef {
  runtime: string;
  /** The runtime's container id (64 hex). */
  id: string;
  /** The Kubernetes pod uid, where the path names one. */
  podUid?: string;
}

/** What a sample with `cgroup` knows of an owning process's cgroups. */
export interface ProcessCgroup {
  cgroup: string | null;
  container: ContainerRef | null;
}

export class OwnerIndex {
  readonly count: number;
  readonly inodes: Float64Array;
  readonly pids: Int32Array;
  readonly fds: Int32Array;
  readonly pidsScanned: number;
  readonly pidsVanished: number;
  readonly pidsDenied: number;
  readonly raw: RawOwners;

  constructor(raw: RawOwners) {
    this.raw = raw;
    this.count = raw.inodes.length;
    this.inodes = raw.inodes;
    this.pids = raw.pids;
    this.fds = raw.fds;
    this.pidsScanned = raw.pidsScanned;
    this.pidsVanished = raw.pidsVanished;
    this.pidsDenied = raw.pidsDenied;
  }

  /** Index of the first entry for `inode`, or -1. Entries of one inode are adjacent, by pid then fd. */
  first(inode: number): number {
    const a = this.inodes;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < inode) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && a[lo] === inode ? lo : -1;
  }

  /** Index of `pid` in the per-process records, or -1. */
  processIndex(pid: number): number {
    const a = this.raw.procPids;
    let lo = 0;
    let hi = a.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid]! < pid) lo = mid + 1;
      else hi = mid;
    }
    return lo < a.length && a[lo] === pid ? lo : -1;
  }

  nameBytes(p: number): Uint8Array {
    const s = this.raw.nameStart[p]!;
    return this.raw.strings.subarray(s, s + this.raw.nameLen[p]!);
  }

  commBytes(p: number): Uint8Array {
    const s = this.raw.commStart[p]!;
    return this.raw.strings.subarray(s, s + this.raw.commLen[p]!);
  }

  process(pid: number): ProcessInfo | null {
    const p = this.processIndex(pid);
    if (p < 0) return null;
    const uid = this.raw.procUids[p]!;
    return {
      pid,
      name: utf8.decode(this.nameBytes(p)),
      comm: utf8.decode(this.commBytes(p)),
      uid: uid === 0xffffffff ? null : uid,
    };
  }

  /** Every (pid, fd) holding `inode`, in ascending pid order. */
  ownersOf(inode: number): Owner[] {
    const out: Owner[] = [];
    if (inode === 0) return out;
    for (let i = this.first(inode); i >= 0 && i < this.count && this.inodes[i] === inode; i++) {
      const info = this.process(this.pids[i]!);
      out.push({ pid: this.pids[i]!, fd: this.fds[i]!, name: info?.name ?? '', comm: info?.comm ?? '', uid: info?.uid ?? null });
    }
    return out;
  }
}
