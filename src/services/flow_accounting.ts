// The accounting behind `netsnap top`, `events`' neighbours and the exporter's byte counters: bytes
// moved per connection between two netlink samples (tcp_info's bytes_acked, bytes_received,
// bytes_retrans, matched by socket cookie) plus the final counters of the connections the kernel
// destroyed meanwhile, summed per process, container, service port, peer and peer network.
//
// It runs on the event loop every tick over every connection (100,000 at a time on a busy server), so
// it keeps its state in typed arrays by slot and its per-tick sums in typed arrays by dense group
// row: per connection one Map lookup (its cookie, as a number), no string and no object; strings
// (peer addresses, networks) are made once per connection's life, and the lists a tick reports are
// built when someone reads them. FlowAccounting knows nothing of where samples and events come from
// (throughput.ts feeds it), so tests feed it tables they build.
import { InetTable, type OwnerIndex } from '../model/columns';
import { addressText, parseAddress } from '../model/address';
import { tcpStateName } from '../model/states';
import { TCP_INFO_COLUMN, TCP_INFO_INDEX } from '../model/tcp_info';
import type { RawDestroyBatch } from '../model/contract';
import type { Snapshot } from '../model/snapshot';
import type { CompiledFilter, FilterOwner } from '../filter/compile';
import { RecentSet } from './recent';

export type GroupBy = 'process' | 'container' | 'port' | 'peer' | 'network' | 'connection';
export const GROUP_BYS: readonly GroupBy[] = ['process', 'container', 'port', 'peer', 'network', 'connection'];

/** What every row of every grouping counts over one tick. */
export interface Flow {
  /** TCP connections alive at the tick (not listeners, not TIME_WAIT). */
  connections: number;
  /** Bytes the peers acknowledged (sent), received and retransmitted during the tick, closed connections included. */
  txBytes: number;
  rxBytes: number;
  retransBytes: number;
  /** The same per second of the measured interval; null on the first tick (the baseline). */
  txBps: number | null;
  rxBps: number | null;
  retransBps: number | null;
  /** Connections in CLOSE_WAIT (the peer closed, the owner has not). */
  closeWait: number;
  /** Connections waiting in the accept queues of the group's listeners. */
  acceptQueue: number;
  /** Median smoothed RTT of the group's connections, microseconds; null without one. */
  rttP50Us: number | null;
  /** Connections of the group that closed during the tick. */
  closed: number;
}

export interface ProcessFlow extends Flow {
  pid: number;
  program: string;
  container: string | null;
}
export interface PortFlow extends Flow {
  proto: 'tcp';
  port: number;
}
export interface PeerFlow extends Flow {
  address: string;
}
export interface NetworkFlow extends Flow {
  /** The peer's network: its IPv4 /24 or IPv6 /64, as ADDRESS/PREFIX. */
  network: string;
}
export interface ContainerFlow extends Flow {
  id: string;
  cgroup: string | null;
}
export interface ConnectionFlow extends Flow {
  cookie: string;
  family: 4 | 6;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  state: string;
  pid: number | null;
  program: string | null;
}

export interface ThroughputTick {
  tick: number;
  /** When the sample was taken (ms since the epoch). */
  time: number;
  /** Measured since the previous tick (the first: 0). */
  intervalMs: number;
  /** Slots of the interval grid that passed without a tick since the previous one (the tick overran). */
  skippedSlots: number;
  totals: Flow & {
    /** TCP connections by state name. */
    states: Record<string, number>;
    /** Connections first seen (after the first tick), and closed, during the tick. */
    opened: number;
    openedPerSec: number | null;
    closedPerSec: number | null;
  };
  processes: ProcessFlow[];
  ports: PortFlow[];
  /** Built when read (a busy server has tens of thousands of peers); so are networks and connections. */
  peers: PeerFlow[];
  networks: NetworkFlow[];
  containers: ContainerFlow[];
  connections: ConnectionFlow[];
  /**
   * Bytes of closed connections without a known owner (not seen held by a process, and no listener's
   * owner to take them); their ports and peers count them too.
   */
  unattributed: Flow;
  /** UDP: the kernel keeps no byte counters for it. */
  udp: { sockets: number; rxQueue: number; txQueue: number; drops: number };
  /** The destroy-event stream since the start: received, and lost (overflows, kernel drops, over the cap). */
  events: { received: number; overflows: number; lost: number; dropped: number };
}

/** What the accounting reads of a sample. */
export type FlowInput = Pick<Snapshot, 'takenAt' | 'inet' | 'owners' | 'processCgroups'>;

/** The tcp_info fields a live sample must hold for the accounting (SnapshotOptions.infoFields). */
export const FLOW_INFO_FIELDS: readonly string[] = ['rttUs', 'bytesAcked', 'bytesReceived', 'bytesRetrans'];
/** The TCP states a live sample needs (SnapshotOptions.tcpStates): all but TIME_WAIT, which has no bytes to count. */
export const FLOW_TCP_STATES = (0xffffffff & ~(1 << 6)) >>> 0;
const IDX = {
  acked: TCP_INFO_INDEX.get('bytesAcked')!,
  received: TCP_INFO_INDEX.get('bytesReceived')!,
  retrans: TCP_INFO_INDEX.get('bytesRetrans')!,
  rtt: TCP_INFO_INDEX.get('rttUs')!,
};
/** The tcp_info length that holds each of them. */
const END = {
  acked: TCP_INFO_COLUMN.get('bytesAcked')!.end,
  received: TCP_INFO_COLUMN.get('bytesReceived')!.end,
  retrans: TCP_INFO_COLUMN.get('bytesRetrans')!.end,
  rtt: TCP_INFO_COLUMN.get('rttUs')!.end,
};

/** A peer address's network: IPv4 /24 (an IPv4-mapped address as IPv4), IPv6 /64. */
export function networkOf(address: string): string {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.\d+$/i.exec(address);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  const a = parseAddress(address);
  if (!a || a.family !== 6) return address;
  const b = a.addr;
  const groups: string[] = [];
  for (let k = 0; k < 8; k += 2) groups.push(((b[k]! << 8) | b[k + 1]!).toString(16));
  return `${groups.join(':')}::/64`;
}

/** An owning process as one tick knows it, with its rows in that tick's process and container sums. */
interface Owner {
  pid: number;
  program: string;
  container: string | null;
  cgroup: string | null;
  /** The tick `row`, `crow` and `ix` belong to. */
  tick: number;
  row: number;
  crow: number;
  /** Its place in the tick's list of owners (what the tick's connections refer to it by). */
  ix: number;
}

/** Cookies are u64; every one a kernel has handed out so far is far below 2^53, so a number keys it. */
type CookieKey = number | bigint;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const TWO_32 = 4294967296;

/** Whether entry k of a sorted inode column is the first one of `inode`. */
function firstEntryAt(inodes: Float64Array, k: number, inode: number): boolean {
  return k >= 0 && k < inodes.length && inodes[k] === inode && (k === 0 || inodes[k - 1] !== inode);
}

/** The cookie of row i as a number when exact (below 2^53), else the BigInt. */
function cookieKey(words: Uint32Array | null, cookies: BigUint64Array, i: number): CookieKey {
  if (words !== null) {
    const hi = words[2 * i + 1]!;
    if (hi < 0x200000) return hi * TWO_32 + words[2 * i]!;
  }
  return cookies[i]!;
}

function cookieWords(cookies: BigUint64Array): Uint32Array | null {
  return LITTLE_ENDIAN ? new Uint32Array(cookies.buffer, cookies.byteOffset, cookies.length * 2) : null;
}

/** One tick's sums of one grouping: dense rows, typed columns, grown by doubling. */
class Sums {
  n = 0;
  conns = new Float64Array(16);
  tx = new Float64Array(16);
  rx = new Float64Array(16);
  re = new Float64Array(16);
  closeWait = new Float64Array(16);
  acceptQueue = new Float64Array(16);
  closed = new Float64Array(16);
  /** Per row: its key in the grouping (a port, a peer's id, …). */
  key = new Float64Array(16);

  /** A new zeroed row for `key`. */
  add(key: number): number {
    if (this.n === this.key.length) this.grow();
    const r = this.n++;
    this.conns[r] = 0;
    this.tx[r] = 0;
    this.rx[r] = 0;
    this.re[r] = 0;
    this.closeWait[r] = 0;
    this.acceptQueue[r] = 0;
    this.closed[r] = 0;
    this.key[r] = key;
    return r;
  }

  private grow(): void {
    const g = (a: Float64Array) => {
      const b = new Float64Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.conns = g(this.conns);
    this.tx = g(this.tx);
    this.rx = g(this.rx);
    this.re = g(this.re);
    this.closeWait = g(this.closeWait);
    this.acceptQueue = g(this.acceptQueue);
    this.closed = g(this.closed);
    this.key = g(this.key);
  }

  credit(r: number, tx: number, rx: number, re: number, closing: boolean): void {
    this.tx[r] = this.tx[r]! + tx;
    this.rx[r] = this.rx[r]! + rx;
    this.re[r] = this.re[r]! + re;
    if (closing) this.closed[r] = this.closed[r]! + 1;
  }

  /** A copy of the rows as they are now (the sums are reused by the next tick). */
  freeze(): SumColumns {
    const n = this.n;
    return {
      conns: this.conns.slice(0, n), tx: this.tx.slice(0, n), rx: this.rx.slice(0, n), re: this.re.slice(0, n),
      closeWait: this.closeWait.slice(0, n), acceptQueue: this.acceptQueue.slice(0, n), closed: this.closed.slice(0, n),
    };
  }
}

type SumColumns = Pick<Sums, 'conns' | 'tx' | 'rx' | 're' | 'closeWait' | 'acceptQueue' | 'closed'>;

/** Row r of some sums as a Flow (rates over `seconds`, null on the baseline tick; `rtt` NaN: none). */
function flowAt(s: SumColumns, r: number, seconds: number | null, rtt: number): Flow {
  const perSec = seconds !== null && seconds > 0;
  return {
    connections: s.conns[r]!,
    txBytes: s.tx[r]!, rxBytes: s.rx[r]!, retransBytes: s.re[r]!,
    txBps: perSec ? s.tx[r]! / seconds : null,
    rxBps: perSec ? s.rx[r]! / seconds : null,
    retransBps: perSec ? s.re[r]! / seconds : null,
    closeWait: s.closeWait[r]!, acceptQueue: s.acceptQueue[r]!,
    rttP50Us: Number.isNaN(rtt) ? null : rtt,
    closed: s.closed[r]!,
  };
}

/**
 * The k-th smallest of a[lo..hi) (k absolute), moving elements within the range: Hoare's selection,
 * expected linear. Equal to sorting the range and reading a[k].
 */
export function selectKth(a: Float64Array, lo: number, hi: number, k: number): number {
  let l = lo;
  let r = hi - 1;
  while (r > l) {
    // Median of three as the pivot, to stay linear on sorted and equal runs.
    const m = (l + r) >>> 1;
    let x = a[l]!;
    let y = a[m]!;
    let z = a[r]!;
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = l;
    let j = r;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) r = j;
    else if (k >= i) l = i;
    else return a[k]!;
  }
  return a[k]!;
}

/**
 * Median RTT per row of a grouping: `group[j]` is connection j's row (-1: none), `rtt[j]` its RTT
 * (0: none). NaN for a row without one. The lower median, as sorting and taking [(n - 1) >> 1].
 */
function medians(rows: number, group: Int32Array | null, rtt: Float64Array, n: number, scratch: { buf: Float64Array; off: Int32Array }): Float64Array {
  const out = new Float64Array(rows).fill(NaN);
  if (rows === 0) return out;
  if (scratch.off.length < rows + 1) scratch.off = new Int32Array(Math.max(rows + 1, scratch.off.length * 2));
  const off = scratch.off;
  off.fill(0, 0, rows + 1);
  let total = 0;
  for (let j = 0; j < n; j++) {
    const g = group === null ? 0 : group[j]!;
    if (g < 0 || !(rtt[j]! > 0)) continue;
    off[g + 1] = off[g + 1]! + 1;
    total++;
  }
  if (total === 0) return out;
  for (let g = 0; g < rows; g++) off[g + 1] = off[g + 1]! + off[g]!;
  if (scratch.buf.length < total) scratch.buf = new Float64Array(Math.max(total, scratch.buf.length * 2));
  const buf = scratch.buf;
  const pos = off.slice(0, rows);
  for (let j = 0; j < n; j++) {
    const g = group === null ? 0 : group[j]!;
    if (g < 0 || !(rtt[j]! > 0)) continue;
    buf[pos[g]!] = rtt[j]!;
    pos[g] = pos[g]! + 1;
  }
  for (let g = 0; g < rows; g++) {
    const lo = off[g]!;
    const hi = off[g + 1]!;
    if (hi > lo) out[g] = selectKth(buf, lo, hi, lo + ((hi - lo - 1) >> 1));
  }
  return out;
}

/** A property built when first read, then kept (and replaceable). */
function lazy<T extends object, K extends keyof T>(obj: T, name: K, make: () => T[K]): void {
  let value: T[K] | undefined;
  let made = false;
  Object.defineProperty(obj, name, {
    enumerable: true,
    configurable: true,
    get() {
      if (!made) {
        value = make();
        made = true;
      }
      return value;
    },
    set(v: T[K]) {
      value = v;
      made = true;
    },
  });
}

/** Strings interned by id with reference counts: an id is freed (and may be reused) when its count drops to 0. */
class Interned {
  readonly ids = new Map<string, number>();
  names: string[] = [];
  refs = new Int32Array(64);
  private readonly free: number[] = [];

  acquire(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.free.pop() ?? this.names.length;
      if (id >= this.refs.length) {
        const r = new Int32Array(this.refs.length * 2);
        r.set(this.refs);
        this.refs = r;
      }
      this.names[id] = name;
      this.refs[id] = 0;
      this.ids.set(name, id);
    }
    this.refs[id] = this.refs[id]! + 1;
    return id;
  }

  /** True when the id was freed. */
  release(id: number): boolean {
    this.refs[id] = this.refs[id]! - 1;
    if (this.refs[id]! > 0) return false;
    this.ids.delete(this.names[id]!);
    this.names[id] = '';
    this.free.push(id);
    return true;
  }

  get capacity(): number {
    return this.refs.length;
  }
}

export interface FlowAccountingOptions {
  /** The sampling interval in seconds, for skippedSlots. */
  interval: number;
  /** Applied to closed connections (live ones come filtered in the sample). */
  filter?: CompiledFilter | null;
}

/** updateAsync() lets the event loop run after every 4,096 connections (a millisecond or two). */
const STEP_MASK = 4095;

/** Cookies of closed connections remembered, so that one announced twice counts once. */
const COUNTED_MAX = 1 << 18;

export class FlowAccounting {
  private readonly interval: number;
  private readonly filter: CompiledFilter | null;
  private count = 0;
  private last = 0;
  private readonly events = { received: 0, overflows: 0, lost: 0, dropped: 0 };
  private readonly counted = new RecentSet<CookieKey>(COUNTED_MAX);

  // Connections by slot, as the previous tick left them.
  private readonly slots = new Map<CookieKey, number>();
  private slotKey: CookieKey[] = [];
  /** The slot's cookie as a number (NaN for one past 2^53): compared without a Map lookup. */
  private slotKeyNumber = new Float64Array(1024);
  /** The slot's position in the previous tick's list of live slots. */
  private livePosition = new Int32Array(1024);
  /** Where the slot's inode was in the previous tick's owner index (-1: not there). */
  private ownerEntry = new Int32Array(1024);
  private acked = new Float64Array(1024);
  private received = new Float64Array(1024);
  private retrans = new Float64Array(1024);
  private servicePort = new Int32Array(1024);
  private peer = new Int32Array(1024);
  /** The tick that last saw the slot alive; -1 for a free slot. */
  private seenTick = new Int32Array(1024).fill(-1);
  private owner: Array<Owner | null> = [];
  private readonly freeSlots: number[] = [];
  /** The slots alive at the previous tick. */
  private live = new Int32Array(0);
  private liveCount = 0;

  // Peer addresses (by slot) and their networks (by peer), interned.
  private readonly peers = new Interned();
  private readonly networks = new Interned();
  private peerNetwork = new Int32Array(64);
  /** Peers to release at the end of the tick (ids stay valid as group rows until then). */
  private readonly releasing: number[] = [];

  // Dense rows of the tick's sums per grouping.
  private readonly portRow = new Int32Array(65536).fill(-1);
  private peerRow = new Int32Array(64).fill(-1);
  private networkRow = new Int32Array(64).fill(-1);
  private readonly scratch = { buf: new Float64Array(1024), off: new Int32Array(64) };
  private groupRows = new Int32Array(0);

  constructor(options: FlowAccountingOptions) {
    this.interval = options.interval;
    this.filter = options.filter ?? null;
  }

  /** Connections remembered from the previous tick (what memory the accounting holds grows with). */
  get tracked(): number {
    return this.slots.size;
  }

  /** Peer addresses and networks remembered (for those connections). */
  get interned(): { peers: number; networks: number } {
    return { peers: this.peers.ids.size, networks: this.networks.ids.size };
  }

  private grow(min: number): void {
    let n = this.acked.length;
    while (n < min) n *= 2;
    const f = (a: Float64Array) => {
      const b = new Float64Array(n);
      b.set(a);
      return b;
    };
    const i = (a: Int32Array, fill: number) => {
      const b = new Int32Array(n).fill(fill);
      b.set(a);
      return b;
    };
    this.acked = f(this.acked);
    this.received = f(this.received);
    this.retrans = f(this.retrans);
    this.servicePort = i(this.servicePort, 0);
    this.peer = i(this.peer, 0);
    this.seenTick = i(this.seenTick, -1);
    this.slotKeyNumber = f(this.slotKeyNumber);
    this.livePosition = i(this.livePosition, 0);
    this.ownerEntry = i(this.ownerEntry, -1);
  }

  private allocSlot(key: CookieKey, peerAddress: string): number {
    let s = this.freeSlots.pop();
    if (s === undefined) {
      s = this.slotKey.length;
      if (s >= this.acked.length) this.grow(s + 1);
      this.slotKey.push(key);
      this.owner.push(null);
    } else {
      this.slotKey[s] = key;
    }
    this.slots.set(key, s);
    this.slotKeyNumber[s] = typeof key === 'number' ? key : NaN;
    this.peer[s] = this.acquirePeer(peerAddress);
    return s;
  }

  private freeSlot(s: number): void {
    this.slots.delete(this.slotKey[s]!);
    this.slotKey[s] = 0;
    this.slotKeyNumber[s] = NaN;
    this.owner[s] = null;
    this.seenTick[s] = -1;
    this.releasing.push(this.peer[s]!);
    this.freeSlots.push(s);
  }

  private acquirePeer(address: string): number {
    const id = this.peers.acquire(address);
    if (this.peers.refs[id] === 1) {
      if (id >= this.peerNetwork.length) {
        const b = new Int32Array(this.peers.capacity);
        b.set(this.peerNetwork);
        this.peerNetwork = b;
        const r = new Int32Array(this.peers.capacity).fill(-1);
        r.set(this.peerRow);
        this.peerRow = r;
      }
      this.peerNetwork[id] = this.networks.acquire(networkOf(address));
      if (this.networks.capacity > this.networkRow.length) {
        const r = new Int32Array(this.networks.capacity).fill(-1);
        r.set(this.networkRow);
        this.networkRow = r;
      }
    }
    return id;
  }

  /** One tick: the sample `snap` and the destroy events since the previous one (`batch`). */
  update(snap: FlowInput, batch: RawDestroyBatch | null): ThroughputTick {
    this.enter();
    try {
      const steps = this.steps(snap, batch);
      for (;;) {
        const r = steps.next();
        if (r.done === true) return r.value;
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * The same in steps of 4,096 connections (STEP_MASK), letting the event loop run between them: at
   * 100,000 connections a tick is tens of milliseconds of work, and one block of it would delay every
   * timer and I/O callback of the process by as much.
   */
  async updateAsync(snap: FlowInput, batch: RawDestroyBatch | null): Promise<ThroughputTick> {
    this.enter();
    try {
      const steps = this.steps(snap, batch);
      for (;;) {
        const r = steps.next();
        if (r.done === true) return r.value;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    } finally {
      this.busy = false;
    }
  }

  private busy = false;

  private enter(): void {
    if (this.busy) throw new Error('FlowAccounting: a tick is still being accounted (updateAsync() not awaited)');
    this.busy = true;
  }

  private *steps(snap: FlowInput, batch: RawDestroyBatch | null): Generator<undefined, ThroughputTick, undefined> {
    const now = snap.takenAt;
    const tick = this.count;
    const first = tick === 0;
    const intervalMs = first ? 0 : now - this.last;
    const seconds = first ? null : intervalMs / 1000;
    const skippedSlots = first ? 0 : Math.max(0, Math.round(intervalMs / (this.interval * 1000)) - 1);
    this.last = now;

    const totals = new Sums();
    totals.add(0);
    const unattributed = new Sums();
    unattributed.add(0);
    const processes = new Sums();
    const containers = new Sums();
    const ports = new Sums();
    const peers = new Sums();
    const networks = new Sums();
    const procOwner: Owner[] = [];
    const procRows = new Map<number, number>();
    const containerRows = new Map<string, number>();
    const containerNames: Array<{ id: string; cgroup: string | null }> = [];
    const stateCounts = new Float64Array(16);
    const udp = { sockets: 0, rxQueue: 0, txQueue: 0, drops: 0 };
    let opened = 0;
    let closedCount = 0;

    // One Owner per process and tick: names are decoded once per process, not once per socket.
    const ownerCache = new Map<number, Owner | null>();
    /** Every Owner made for this tick, by its `ix`. */
    const tickOwners: Owner[] = [];
    const index: OwnerIndex | null = snap.owners;
    const processCgroups = snap.processCgroups;
    const procRowOf = (pid: number, o: Owner): number => {
      let r = procRows.get(pid);
      if (r === undefined) {
        r = processes.add(pid);
        procRows.set(pid, r);
        procOwner[r] = o;
      }
      return r;
    };
    const containerRowOf = (o: Owner): number => {
      if (o.container === null) return -1;
      let r = containerRows.get(o.container);
      if (r === undefined) {
        r = containers.add(containerNames.length);
        containerRows.set(o.container, r);
        containerNames.push({ id: o.container, cgroup: o.cgroup });
      }
      return r;
    };
    const ownerOf = (inode: number): Owner | null => {
      if (inode === 0 || index === null) return null;
      return ownerAt(index.first(inode));
    };
    /** The owner of entry k of the index (-1: none). */
    const ownerAt = (k: number): Owner | null => {
      if (k < 0 || index === null) return null;
      const pid = index.pids[k]!;
      let o = ownerCache.get(pid);
      if (o === undefined) {
        const info = index.process(pid);
        const cg = processCgroups?.get(pid);
        o = { pid, program: info?.name ?? '', container: cg?.container ? cg.container.id : null, cgroup: cg?.cgroup ?? null, tick, row: -1, crow: -1, ix: tickOwners.length };
        tickOwners.push(o);
        o.row = procRowOf(pid, o);
        o.crow = containerRowOf(o);
        ownerCache.set(pid, o);
      }
      return o;
    };
    /** An owner an earlier tick saw, with rows in this tick's sums (one copy per owner and tick). */
    const carried = new Map<Owner, Owner>();
    const current = (o: Owner): Owner => {
      if (o.tick === tick) return o;
      let c = carried.get(o);
      if (c === undefined) {
        c = { ...o, tick, row: -1, crow: -1, ix: tickOwners.length };
        tickOwners.push(c);
        c.row = procRowOf(o.pid, c);
        c.crow = containerRowOf(c);
        carried.set(o, c);
      }
      return c;
    };
    /** The tick's row of `key` in `sums`, made on first use; `rows` maps keys to rows (-1: none yet). */
    const rowOf = (sums: Sums, rows: Int32Array, key: number): number => {
      let r = rows[key]!;
      if (r < 0) {
        r = sums.add(key);
        rows[key] = r;
      }
      return r;
    };
    const portRowOf = (port: number): number => rowOf(ports, this.portRow, port);
    const peerRowOf = (id: number): number => rowOf(peers, this.peerRow, id);
    const networkRowOf = (id: number): number => rowOf(networks, this.networkRow, id);

    // Listening ports of this host (service ports) and their owners, accept queues.
    const listening = new Map<string, Owner | null>();
    const listenPort = new Uint8Array(65536);
    for (const t of snap.inet) {
      if (t.proto !== 'tcp') continue;
      for (let i = 0; i < t.count; i++) {
        if (t.state[i] !== 10) continue;
        const fam = t.familyOf(i);
        const owner = ownerOf(t.inode[i]!);
        const port = t.localPort[i]!;
        listening.set(`${fam}|${addressText(t.localAddr, i * 16, fam)}|${port}`, owner);
        listenPort[port] = 1;
        const q = t.rxQueue[i]!;
        const pr = portRowOf(port);
        ports.acceptQueue[pr] = ports.acceptQueue[pr]! + q;
        totals.acceptQueue[0] = totals.acceptQueue[0]! + q;
        if (owner) {
          processes.acceptQueue[owner.row] = processes.acceptQueue[owner.row]! + q;
          if (owner.crow >= 0) containers.acceptQueue[owner.crow] = containers.acceptQueue[owner.crow]! + q;
        }
      }
    }
    const listenerOwner = (fam: 4 | 6, address: string, port: number): Owner | null | undefined => {
      const any = fam === 4 ? '0.0.0.0' : '::';
      const v4 = fam === 6 && address.startsWith('::ffff:') ? address.slice(7) : null;
      return listening.get(`${fam}|${address}|${port}`) ?? listening.get(`${fam}|${any}|${port}`)
        ?? (v4 !== null ? listening.get(`4|${v4}|${port}`) ?? listening.get(`4|0.0.0.0|${port}`) ?? listening.get(`6|::|${port}`) : undefined);
    };

    // Live connections: their bytes since the previous tick. Per connection j of this tick: where it
    // is (table, row), what it moved, its owner and its rows in each grouping (for the RTT medians).
    let capacity = 0;
    for (const t of snap.inet) if (t.proto === 'tcp') capacity += t.count;
    const connTable = new Int32Array(capacity);
    const connRow = new Int32Array(capacity);
    const connTx = new Float64Array(capacity);
    const connRx = new Float64Array(capacity);
    const connRe = new Float64Array(capacity);
    const connRtt = new Float64Array(capacity);
    // Each connection's owner as its place in tickOwners (-1: none): a typed array, not an array of
    // objects, which at 100,000 connections would be a large object a tick for the collector's
    // old generation.
    const connOwner = new Int32Array(capacity);
    // Rows by grouping, for the medians: the eager ones in memory kept across ticks; peers' and
    // networks' in the tick's own (their medians are computed when the tick's lists are read).
    if (this.groupRows.length < 3 * capacity) this.groupRows = new Int32Array(Math.max(3 * capacity, 2 * this.groupRows.length));
    const gPort = this.groupRows.subarray(0, capacity);
    const gProcess = this.groupRows.subarray(capacity, 2 * capacity);
    const gContainer = this.groupRows.subarray(2 * capacity, 3 * capacity);
    const gPeer = new Int32Array(capacity);
    const gNetwork = new Int32Array(capacity);
    const live = this.live.length >= capacity ? this.live : new Int32Array(Math.max(capacity, this.live.length * 2));
    const previousLive = live === this.live ? this.live.slice(0, this.liveCount) : this.live.subarray(0, this.liveCount);
    let n = 0;
    // The kernel dumps sockets in hash-bucket order, which a connection keeps from tick to tick: the
    // next row is most often the connection after the previous row's in the previous tick's list,
    // found by comparing two numbers; the Map is asked only when that guess fails.
    let guess = 0;
    let shift = 0;
    const previousCount = previousLive.length;
    const tables = snap.inet;
    for (let ti = 0; ti < tables.length; ti++) {
      const t = tables[ti]!;
      if (t.proto === 'udp') {
        for (let i = 0; i < t.count; i++) {
          udp.sockets++;
          udp.rxQueue += t.rxQueue[i]!;
          udp.txQueue += t.txQueue[i]!;
          udp.drops += t.drops[i]!;
        }
        continue;
      }
      const ext = t.ext;
      const cookies = t.cookie;
      if (t.proto !== 'tcp' || !ext || !cookies) continue;
      const words = cookieWords(cookies);
      const infoLen = ext.infoLen;
      const ackedColumn = ext.columnAt(IDX.acked);
      const receivedColumn = ext.columnAt(IDX.received);
      const retransColumn = ext.columnAt(IDX.retrans);
      const rttColumn = ext.columnAt(IDX.rtt);
      for (let i = 0; i < t.count; i++) {
        const st = t.state[i]!;
        if (st === 10 || st === 6) continue; // listeners, TIME_WAIT: no connection's bytes
        if (st < stateCounts.length) stateCounts[st] = stateCounts[st]! + 1;
        const len = infoLen[i]!;
        if (len === 0) continue;
        const key = cookieKey(words, cookies, i);
        // A field past what the kernel sent reads 0 (as TcpInfoColumns.at()).
        const acked = len >= END.acked ? ackedColumn[i]! : 0;
        const received = len >= END.received ? receivedColumn[i]! : 0;
        const retrans = len >= END.retrans ? retransColumn[i]! : 0;
        const rtt = len >= END.rtt ? rttColumn[i]! : 0;
        const localPort = t.localPort[i]!;
        const servicePort = listenPort[localPort] === 1 ? localPort : t.remotePort[i]!;
        let s: number | undefined;
        const hinted = guess < previousCount ? previousLive[guess]! : -1;
        if (hinted >= 0 && this.slotKeyNumber[hinted] === key && this.seenTick[hinted] === tick - 1) {
          s = hinted;
          guess++;
        } else {
          s = this.slots.get(key);
          if (s !== undefined && this.seenTick[s] === tick - 1) guess = this.livePosition[s]! + 1;
        }
        const found = s !== undefined;
        let tx = 0;
        let rx = 0;
        let re = 0;
        if (s === undefined) {
          s = this.allocSlot(key, addressText(t.remoteAddr, i * 16, t.familyOf(i)));
          if (!first) {
            opened++;
            tx = acked;
            rx = received;
            re = retrans;
          }
        } else {
          tx = Math.max(0, acked - this.acked[s]!);
          rx = Math.max(0, received - this.received[s]!);
          re = Math.max(0, retrans - this.retrans[s]!);
        }
        // The index entry of the inode: where it was last tick (the index is sorted by inode and
        // changes little from tick to tick), or as far from it as the last one moved, else a binary
        // search.
        const inode = t.inode[i]!;
        let entry = -1;
        if (inode !== 0 && index !== null) {
          const g = found ? this.ownerEntry[s]! : -1;
          const inodes = index.inodes;
          if (firstEntryAt(inodes, g, inode)) entry = g;
          else if (g >= 0 && firstEntryAt(inodes, g + shift, inode)) entry = g + shift;
          else {
            entry = index.first(inode);
            // Entries added or gone before it move the ones after it alike: the next guess moves too.
            if (g >= 0 && entry >= 0) shift = entry - g;
          }
        }
        this.ownerEntry[s] = entry;
        const seenOwner = ownerAt(entry);
        const owner = seenOwner ?? (found && this.owner[s] !== null ? current(this.owner[s]!) : null);
        this.acked[s] = acked;
        this.received[s] = received;
        this.retrans[s] = retrans;
        this.servicePort[s] = servicePort;
        this.seenTick[s] = tick;
        this.owner[s] = owner;
        live[n] = s;
        this.livePosition[s] = n;

        const closeWait = st === 8 ? 1 : 0;
        const pr = portRowOf(servicePort);
        const peerId = this.peer[s]!;
        const er = peerRowOf(peerId);
        const wr = networkRowOf(this.peerNetwork[peerId]!);
        totals.conns[0] = totals.conns[0]! + 1;
        totals.closeWait[0] = totals.closeWait[0]! + closeWait;
        totals.credit(0, tx, rx, re, false);
        ports.conns[pr] = ports.conns[pr]! + 1;
        ports.closeWait[pr] = ports.closeWait[pr]! + closeWait;
        ports.credit(pr, tx, rx, re, false);
        peers.conns[er] = peers.conns[er]! + 1;
        peers.closeWait[er] = peers.closeWait[er]! + closeWait;
        peers.credit(er, tx, rx, re, false);
        networks.conns[wr] = networks.conns[wr]! + 1;
        networks.closeWait[wr] = networks.closeWait[wr]! + closeWait;
        networks.credit(wr, tx, rx, re, false);
        let or = -1;
        let cr = -1;
        if (owner !== null) {
          or = owner.row;
          processes.conns[or] = processes.conns[or]! + 1;
          processes.closeWait[or] = processes.closeWait[or]! + closeWait;
          processes.credit(or, tx, rx, re, false);
          cr = owner.crow;
          if (cr >= 0) {
            containers.conns[cr] = containers.conns[cr]! + 1;
            containers.closeWait[cr] = containers.closeWait[cr]! + closeWait;
            containers.credit(cr, tx, rx, re, false);
          }
        }
        connTable[n] = ti;
        connRow[n] = i;
        connTx[n] = tx;
        connRx[n] = rx;
        connRe[n] = re;
        connRtt[n] = rtt;
        connOwner[n] = owner === null ? -1 : owner.ix;
        gPort[n] = pr;
        gPeer[n] = er;
        gNetwork[n] = wr;
        gProcess[n] = or;
        gContainer[n] = cr;
        n++;
        if ((n & STEP_MASK) === 0) yield;
      }
    }

    // Closed connections: their final counters less what earlier ticks counted.
    if (batch !== null) {
      this.events.received += batch.received;
      this.events.overflows += batch.overflows;
      this.events.lost += batch.lost;
      this.events.dropped += batch.dropped;
      const t = new InetTable('tcp', 'tcp', batch.table, 'netlink');
      const info = t.ext;
      const cookies = t.cookie;
      if (info !== null && cookies !== null) {
        const words = cookieWords(cookies);
        for (let i = 0; i < t.count; i++) {
          if (t.remotePort[i] === 0) continue; // a listener's close
          const key = cookieKey(words, cookies, i);
          if (this.counted.has(key)) continue;
          this.counted.add(key);
          if (!info.hasInfo(i)) continue;
          const filter = this.filter;
          if (filter !== null && !filter.needs.owners && !filter.matches(t, i, () => [])) continue;
          if ((i & STEP_MASK) === STEP_MASK) yield;
          const fam = t.familyOf(i);
          const s = this.slots.get(key) ?? -1;
          let owner: Owner | null;
          let servicePort: number;
          if (s >= 0) {
            owner = this.owner[s] === null ? null : current(this.owner[s]!);
            servicePort = this.servicePort[s]!;
          } else {
            const localPort = t.localPort[i]!;
            servicePort = listenPort[localPort] === 1 ? localPort : t.remotePort[i]!;
            const l = listenerOwner(fam, addressText(t.localAddr, i * 16, fam), localPort) ?? null;
            owner = l === null ? null : current(l);
          }
          if (filter !== null && filter.needs.owners) {
            const o: FilterOwner[] = owner ? [{ pid: owner.pid, comm: owner.program, program: owner.program, container: owner.container ? { id: owner.container } : null } as FilterOwner] : [];
            if (!filter.matches(t, i, () => o)) continue;
          }
          // Before the first tick everything is baseline: a connection that closes then is not counted.
          if (first && s < 0) continue;
          const tx = Math.max(0, info.at(IDX.acked, i) - (s >= 0 ? this.acked[s]! : 0));
          const rx = Math.max(0, info.at(IDX.received, i) - (s >= 0 ? this.received[s]! : 0));
          const re = Math.max(0, info.at(IDX.retrans, i) - (s >= 0 ? this.retrans[s]! : 0));
          let peerId: number;
          if (s >= 0) {
            peerId = this.peer[s]!;
          } else {
            // Born and gone between two ticks: it opened in this one too. Its peer is held until the tick ends.
            opened++;
            peerId = this.acquirePeer(addressText(t.remoteAddr, i * 16, fam));
            this.releasing.push(peerId);
          }
          closedCount++;
          // Its port and peer are known whoever owned it; the owner-less ones also make the unattributed row.
          totals.credit(0, tx, rx, re, true);
          ports.credit(portRowOf(servicePort), tx, rx, re, true);
          peers.credit(peerRowOf(peerId), tx, rx, re, true);
          networks.credit(networkRowOf(this.peerNetwork[peerId]!), tx, rx, re, true);
          if (owner !== null) {
            processes.credit(owner.row, tx, rx, re, true);
            if (owner.crow >= 0) containers.credit(owner.crow, tx, rx, re, true);
          } else {
            unattributed.credit(0, tx, rx, re, true);
          }
          if (s >= 0) this.freeSlot(s);
        }
      }
    }
    // Connections gone without a close event (lost, or left the filter): forget them.
    for (let k = 0; k < previousLive.length; k++) {
      const s = previousLive[k]!;
      if (this.seenTick[s] === tick - 1) this.freeSlot(s);
    }
    this.live = live;
    this.liveCount = n;
    this.count++;

    // RTT medians per row of each grouping, then the group rows' reset for the next tick.
    const scratch = this.scratch;
    yield;
    const totalsRtt = medians(1, null, connRtt, n, scratch);
    yield;
    const portRtt = medians(ports.n, gPort, connRtt, n, scratch);
    yield;
    const processRtt = medians(processes.n, gProcess, connRtt, n, scratch);
    const containerRtt = medians(containers.n, gContainer, connRtt, n, scratch);
    for (let r = 0; r < ports.n; r++) this.portRow[ports.key[r]!] = -1;
    for (let r = 0; r < peers.n; r++) this.peerRow[peers.key[r]!] = -1;
    for (let r = 0; r < networks.n; r++) this.networkRow[networks.key[r]!] = -1;
    // Names of the peers and networks in this tick's rows, before ids are released.
    const peerNames: string[] = new Array<string>(peers.n);
    for (let r = 0; r < peers.n; r++) peerNames[r] = this.peers.names[peers.key[r]!]!;
    const networkNames: string[] = new Array<string>(networks.n);
    for (let r = 0; r < networks.n; r++) networkNames[r] = this.networks.names[networks.key[r]!]!;
    for (const id of this.releasing) {
      const network = this.peerNetwork[id]!;
      if (this.peers.release(id)) this.networks.release(network);
    }
    this.releasing.length = 0;

    const states: Record<string, number> = {};
    for (let st = 0; st < stateCounts.length; st++) if (stateCounts[st]! > 0) states[tcpStateName(st)] = stateCounts[st]!;

    const out = {
      tick,
      time: now,
      intervalMs,
      skippedSlots,
      totals: {
        ...flowAt(totals, 0, seconds, totalsRtt[0]!), states, opened,
        openedPerSec: seconds ? opened / seconds : null, closedPerSec: seconds ? closedCount / seconds : null,
      },
      processes: procOwner.map((o, r): ProcessFlow => ({ pid: o.pid, program: o.program, container: o.container, ...flowAt(processes, r, seconds, processRtt[r]!) })),
      ports: Array.from({ length: ports.n }, (_, r): PortFlow => ({ proto: 'tcp', port: ports.key[r]!, ...flowAt(ports, r, seconds, portRtt[r]!) })),
      containers: containerNames.map((c, r): ContainerFlow => ({ id: c.id, cgroup: c.cgroup, ...flowAt(containers, r, seconds, containerRtt[r]!) })),
      unattributed: flowAt(unattributed, 0, seconds, NaN),
      udp,
      events: { ...this.events },
    } as ThroughputTick;
    const frozenPeers = peers.freeze();
    // Their medians too are computed when read (a scratch of their own: the accounting's may be in use by then).
    const own = () => ({ buf: new Float64Array(0), off: new Int32Array(0) });
    lazy(out, 'peers', () => {
      const peerRtt = medians(peerNames.length, gPeer, connRtt, n, own());
      return peerNames.map((address, r): PeerFlow => ({ address, ...flowAt(frozenPeers, r, seconds, peerRtt[r]!) }));
    });
    const frozenNetworks = networks.freeze();
    lazy(out, 'networks', () => {
      const networkRtt = medians(networkNames.length, gNetwork, connRtt, n, own());
      return networkNames.map((network, r): NetworkFlow => ({ network, ...flowAt(frozenNetworks, r, seconds, networkRtt[r]!) }));
    });
    lazy(out, 'connections', () => {
      const rows: ConnectionFlow[] = new Array<ConnectionFlow>(n);
      const perSec = seconds !== null && seconds > 0;
      for (let j = 0; j < n; j++) {
        const t = tables[connTable[j]!]!;
        const i = connRow[j]!;
        const fam = t.familyOf(i);
        const st = t.state[i]!;
        const k = connOwner[j]!;
        const owner = k < 0 ? null : tickOwners[k]!;
        const tx = connTx[j]!;
        const rx = connRx[j]!;
        const re = connRe[j]!;
        rows[j] = {
          connections: 1, txBytes: tx, rxBytes: rx, retransBytes: re,
          txBps: perSec ? tx / seconds : null, rxBps: perSec ? rx / seconds : null, retransBps: perSec ? re / seconds : null,
          closeWait: st === 8 ? 1 : 0, acceptQueue: 0, closed: 0,
          rttP50Us: connRtt[j]! > 0 ? connRtt[j]! : null, cookie: t.cookie![i]!.toString(), family: fam,
          local: { address: addressText(t.localAddr, i * 16, fam), port: t.localPort[i]! },
          remote: { address: addressText(t.remoteAddr, i * 16, fam), port: t.remotePort[i]! },
          state: tcpStateName(st), pid: owner?.pid ?? null, program: owner?.program ?? null,
        };
      }
      return rows;
    });
    return out;
  }
}
