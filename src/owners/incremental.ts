// Incremental owner resolution for the sampler: owners at any number of sockets without a full
// /proc/*/fd scan per tick. A full scan reads every fd of every process; from one tick to the next
// almost nothing changes, so between full scans (which the sampler takes on a slower cadence, the
// native backend's on its threads, off the event loop) a tick:
//   1. keeps the owners of every socket still in the table (what we know: inode -> (pid, fd));
//      a socket gone from the table takes its owners with it;
//   2. polls every process with one stat of /proc/PID/fd, whose size is its number of open fds
//      (Linux 6.2+), and reads again the fd directory of each process whose count changed, that
//      lost a socket, or that is new, readlink-ing only the fds it does not know: what a process
//      gained (a new socket, or an old one by fork, dup or fd passing) is found at the next tick.
//      A process whose count fell has the links of its shared sockets (more than one holder)
//      checked at once (all of its links when it has few); a process that is gone (or whose pid
//      was reused: the directory's inode changed and so did the start time in /proc/PID/stat)
//      loses everything we knew of it;
//   3. re-verifies a rolling share of the known links, `checksPerTick` readlinks of
//      /proc/PID/fd/FD a tick (is it still that inode?) in rotation, every link every tick while
//      there are no more than that; a link that now points at another socket of the table moves to it;
//   4. looks for the inodes still unowned in the likeliest processes first (the owners of the
//      listener on the same local port, then those that gained sockets recently), then in a sweep
//      over all processes that goes on from tick to tick within a budget, stopping as soon as all
//      are found; an inode missing after a whole sweep and at two ticks is "unowned" (kernel
//      sockets, processes we may not read) and not looked for again, but by step 2, until the next
//      full scan.
// The accuracy trade-off, for a socket that was in the table at the previous tick (the README has
// it too): its owners are what a full scan shows, except
//   - a holder gained without a new inode (fork, dup, fd passing) by a process whose fd count did
//     not change and that lost no socket since the previous tick (it closed as many fds as it
//     gained): shown from the next full scan (or when another change of its count has it read);
//   - a holder that closed its fd while the socket lives on elsewhere, when its fd count did not
//     fall (it opened as many as it closed) or it holds many sockets and this one was not shared
//     yet as far as we knew: dropped when the link's turn in the rotation comes (at most
//     ceil(known links / checksPerTick) ticks) or at the next full scan;
//   - on kernels before 6.2 (no fd count) both of these wait for the rotation or the full scan.
// A new socket (first seen at this tick) is owned by this tick when its holder's count changed
// or the search found it within the budget; else at a later tick.
import * as fs from 'node:fs';
import type { RawOwners } from '../model/contract';
import { isFdName, isPidName, packProcesses, processRecord, type ProcessRecord } from './proc_pid';
import { parseSocketLinkText } from './fd_link';

/** /proc/PID/stat is one line; 8 KiB holds it whatever the comm. */
const STAT_MAX = 8192;
/** Readlinks (a directory read counts 1 plus 1 per 8 entries) a tick may spend looking for owners. */
const SEARCH_BUDGET = 8192;
/** A process whose fd count fell has all its links checked when it holds at most this many. */
const FEW_LINKS = 64;
/** How many processes are remembered as recent openers (likeliest holders of new sockets). */
const RECENT = 64;
const PENDING_MAX = 65536;
const PENDING_TICKS = 64;
const EMPTY = new Uint8Array(0);
/** The long loops (over every socket) let the event loop run every this many sockets. */
const STEP = 8192;
/**
 * The loops of system calls (a stat or a readlink each, a few microseconds) let the event loop run
 * once they have held it this long: at 100,000 sockets a tick's polls, checks and searches are
 * tens of milliseconds, and one block of them would delay every timer of the process by as much.
 */
const SLICE_MS = 3;
const breather = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface IncrementalStats {
  /** Full scans taken or merged (in the tick's sample, or in the background on the native backend). */
  fullScans: number;
  /** Ticks resolved incrementally. */
  incrementalScans: number;
  /** Processes whose fd directory was read by incremental lookups, in total. */
  pidsScanned: number;
  /** Known links checked with readlink, in total. */
  linksChecked: number;
  /** Processes polled for their fd count (one stat of /proc/PID/fd each), in total. */
  pidsPolled: number;
  /**
   * New sockets bound from a link an earlier scan met before the table listed the socket (made, not
   * yet bound or connected), in total: found without a search.
   */
  pendingBound: number;
}

/** A column of socket inodes (a table's), its first `count` values used. */
export interface InodeColumn {
  readonly inode: Float64Array;
  readonly count: number;
}

/** Pids likely to hold `missing` (in order), given what is known of other inodes' owners. */
export type OwnerHints = (missing: ReadonlySet<number>, ownersOf: (inode: number) => ReadonlyArray<{ pid: number }> | undefined) => number[];

interface Link {
  pid: number;
  fd: number;
  /** The tick at which it was last seen to hold the inode. */
  checked: number;
}

interface Entry {
  /** The tick at which the inode was first in the table. */
  first: number;
  /** The last tick at which it was in the table. */
  seen: number;
  /** Sorted by (pid, fd). */
  links: Link[];
  /** Looked for everywhere and not found: not looked for again until a full scan. */
  unowned: boolean;
  /** While missing: the tick since which, and the sweep count after which it was looked for in every process. */
  since: number;
  needSweeps: number;
  /** Its position in the order the last mark() met the inodes. */
  pos: number;
}

interface Proc {
  /** st_size of /proc/PID/fd at the last poll (its number of fds), -1 before the first. */
  size: number;
  /** st_ino of /proc/PID/fd: changes when the pid is reused (or the inode was evicted). */
  ino: number;
  start: string | null;
  /** fd -> inode of the known links. */
  fds: Map<number, number>;
  /** Lost a socket since the last poll (its count may not show it: it may have opened another). */
  lost: boolean;
  polled: number;
  record: ProcessRecord | null;
}

function readHead(path: string, max: number): Uint8Array {
  try {
    const b = fs.readFileSync(path);
    return b.subarray(0, Math.min(max, b.length));
  } catch {
    return EMPTY;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or null when the process is gone. */
export function startTime(procRoot: string, pid: number): string | null {
  const stat = readHead(`${procRoot}/${pid}/stat`, STAT_MAX);
  if (stat.length === 0) return null;
  const text = Buffer.from(stat).toString('latin1');
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(' ');
  return fields[19] ?? null; // field 3 is fields[0], so field 22 is fields[19]
}

function listPids(procRoot: string): number[] {
  let names: string[];
  try {
    names = fs.readdirSync(procRoot);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const n of names) if (isPidName(n)) out.push(Number(n));
  return out;
}

function statFdDir(path: string): fs.Stats | undefined {
  try {
    return fs.statSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined; // EACCES, ENOTDIR (not a process directory): as gone
  }
}

const byPidFd = (a: Link, b: Link) => a.pid - b.pid || a.fd - b.fd;

export class IncrementalOwners {
  private entries = new Map<number, Entry>();
  /**
   * The inodes in the order the last mark() met them, with their entries: the next tick's tables list
   * them in the same order but for what came and went (the kernel's hash order, the files' order), so
   * most are found by comparing one number instead of a Map lookup. Two buffers, swapped each tick.
   */
  private order = { inodes: new Float64Array(0), entries: [] as Array<Entry | null>, count: 0 };
  private spare = { inodes: new Float64Array(0), entries: [] as Array<Entry | null>, count: 0 };
  private procs = new Map<number, Proc>();
  private missing = new Set<number>();
  /** Pids in the order they last gained a socket, most recent last. */
  private recent: number[] = [];
  /**
   * Socket links a scan met whose inode the table did not list yet: a socket made but not yet bound,
   * listening or connecting (socket() before connect()). When the inode shows up in a later tick it is
   * bound from here (after one readlink to check the fd still holds it) instead of being searched
   * for: the process's fd count may not change again. At most PENDING_MAX, none older than
   * PENDING_TICKS ticks.
   */
  private pending = new Map<number, { links: Array<{ pid: number; fd: number }>; tick: number }>();
  private tick = 0;
  /** The last tick that took a full scan with its sample. */
  private lastFullTick = -1;
  private full = true;
  /** Counters of the last full scan, which the owners reported between full scans rest on. */
  private lastScan = { pidsScanned: 0, pidsVanished: 0, pidsDenied: 0 };
  /** A background full scan waiting to be merged, and the tick before which it started. */
  private offered: { raw: RawOwners; startTick: number } | null = null;
  // Rotation of step 3.
  private ring: number[] = [];
  private ringPos = 0;
  // Sweep of step 4.
  private sweepList: number[] = [];
  private sweepPos = 0;
  private sweeps = 0;
  private pidList: number[] = [];
  /** The inodes the current search is after (found ones leave it), and how many are left. */
  private targets: Set<number> | null = null;
  private targetsLeft = 0;
  /** Does /proc/PID/fd report its number of fds as its size (Linux 6.2+)? */
  private readonly fdCounts: boolean;
  // The last index handed out, and the inodes whose links changed since.
  private index: RawOwners | null = null;
  private dirty = new Set<number>();
  /** So many links changed (a full scan, the first tick) that the index is sorted again from scratch. */
  private all = true;
  /** The processes' records or the scan's counters changed: a new index even if no link did. */
  private refresh = true;
  readonly stats: IncrementalStats = { fullScans: 0, incrementalScans: 0, pidsScanned: 0, linksChecked: 0, pidsPolled: 0, pendingBound: 0 };
  /** When the event loop last ran (performance.now()), for SLICE_MS. */
  private sliceAt = 0;

  constructor(
    private readonly procRoot: string,
    /** Known links re-verified per tick (step 3). */
    private readonly checksPerTick: number,
  ) {
    // Our own process has fds 0-2 at least: a size of 0 means the kernel does not count them.
    this.fdCounts = (statFdDir(`${procRoot}/self/fd`)?.size ?? 0) > 0;
  }

  /** True when the next tick must take a full scan with its sample (the first, or after restart()). */
  get needsFullScan(): boolean {
    return this.full;
  }

  /** The number of the next tick (what a background scan started now passes to offer()). */
  get nextTick(): number {
    return this.tick;
  }

  /** The next tick takes a full scan with its sample (what is known may be stale: it is replaced then). */
  restart(): void {
    this.full = true;
    this.offered = null;
  }

  /**
   * This tick's owners from a full scan taken with its sample (`raw`, over the same moment as
   * the tables `columns`): exactly the scan's, and what the ticks after it start from.
   */
  async fullScan(columns: readonly InodeColumn[], raw: RawOwners): Promise<RawOwners> {
    const t = this.tick++;
    this.offered = null;
    this.lastFullTick = t;
    const first = this.full;
    this.full = false;
    await this.mark(columns, t, true);
    await this.merge(raw, t + 1, t);
    // Baseline of the fd counts: what changes after this is looked at.
    this.sliceAt = performance.now();
    await this.poll(t, first);
    return this.build();
  }

  /**
   * A full scan that started before tick `startTick`'s sample (the native backend's, in the
   * background): merged at the next resolve(). For every socket already in the table before that
   * tick it is the truth, but for links seen after it started; newer sockets keep what we know.
   */
  offer(raw: RawOwners, startTick: number): void {
    // Not when a full scan was taken with a tick's sample since (or is about to be): that one is newer.
    if (!this.full && startTick > this.lastFullTick) this.offered = { raw, startTick };
  }

  /** This tick's owners, incrementally. `hints` names likely holders of inodes not found yet. */
  async resolve(columns: readonly InodeColumn[], hints: OwnerHints): Promise<RawOwners> {
    const t = this.tick++;
    this.stats.incrementalScans++;
    await this.mark(columns, t, false);
    if (this.offered) {
      const { raw, startTick } = this.offered;
      this.offered = null;
      await this.merge(raw, startTick, startTick);
    }
    this.sliceAt = performance.now();
    const { changed, shrunk } = await this.poll(t, false);
    // Processes that changed: what they gained (new sockets, or old ones by fork, dup, passing).
    let budget = SEARCH_BUDGET;
    const scanned = new Set<number>();
    for (const pid of changed) {
      if (budget <= 0) {
        // Left for the next tick: still changed then.
        const p = this.procs.get(pid);
        if (p) p.size = -1;
        continue;
      }
      budget -= await this.scanPid(pid);
      scanned.add(pid);
    }
    // Processes that closed fds: their shared links (all of them, when they have few) at once.
    // After the gains, so that a socket passed on (and closed by its sender) counts as shared.
    for (const pid of shrunk) {
      const p = this.procs.get(pid);
      if (!p) continue;
      const all = p.fds.size <= FEW_LINKS;
      for (const [fd, inode] of [...p.fds]) {
        const e = this.entries.get(inode);
        if (!e || !(all || e.links.length > 1)) continue;
        const l = e.links.find((x) => x.pid === pid && x.fd === fd);
        if (l && l.checked !== t) this.verify(inode, e, l, t);
        if (this.due()) await this.pass();
      }
    }
    await this.rotate(t);
    if (this.missing.size > 0) await this.search(t, hints, budget, scanned);
    return this.build();
  }

  /** The synchronous work since the event loop last ran is over SLICE_MS: the caller awaits pass(). */
  private due(): boolean {
    return performance.now() - this.sliceAt >= SLICE_MS;
  }

  /** Lets the event loop run (the state may be read meanwhile, and offer() called: nothing else). */
  private async pass(): Promise<void> {
    await breather();
    this.sliceAt = performance.now();
  }

  // -------------------------------------------------------------------------------------------

  /** Step 1: the table's inodes are seen at tick t; new ones are missing; gone ones are dropped. */
  private async mark(columns: readonly InodeColumn[], t: number, full: boolean): Promise<void> {
    let seen = 0;
    // Every entry in the map was met by the previous mark() (one not met is deleted below), so an
    // entry of the previous order with the same inode is the map's.
    const prev = this.order;
    const next = this.spare;
    let total = 0;
    for (const c of columns) total += c.count;
    if (next.inodes.length < total) next.inodes = new Float64Array(Math.max(total, next.inodes.length * 2));
    // Filled in place, never emptied: an array that grew to 100,000 entries is not grown again
    // from nothing every tick (megabytes of garbage a tick for the collector). Slots past this
    // tick's count are cleared below, so that they keep no gone entry alive.
    const before = next.count;
    if (next.entries.length < total) next.entries = new Array<Entry | null>(Math.max(total, next.entries.length * 2)).fill(null);
    let m = 0;
    let guess = 0;
    for (const c of columns) {
      const col = c.inode;
      for (let i = 0; i < c.count; i++) {
        if ((i + 1) % STEP === 0) await breather();
        const inode = col[i]!;
        if (inode === 0) continue;
        let e: Entry | undefined;
        if (guess < prev.count && prev.inodes[guess] === inode) {
          e = prev.entries[guess]!;
          guess++;
        } else {
          e = this.entries.get(inode);
          if (e !== undefined) guess = e.pos + 1;
        }
        if (e === undefined) {
          e = { first: t, seen: t, links: [], unowned: false, since: t, needSweeps: this.needSweeps(), pos: m };
          this.entries.set(inode, e);
          if (!full && !this.bindPending(inode, e, t)) this.missing.add(inode); // (a full scan's tick: the scan says)
          seen++;
        } else if (e.seen !== t) {
          e.seen = t;
          seen++;
        }
        e.pos = m;
        next.inodes[m] = inode;
        next.entries[m] = e;
        m++;
      }
    }
    for (let k = m; k < before; k++) next.entries[k] = null;
    next.count = m;
    this.order = next;
    this.spare = prev;
    this.expirePending(t);
    if (this.entries.size === seen) return;
    let k = 0;
    for (const [inode, e] of this.entries) {
      if (++k % STEP === 0) await breather();
      if (e.seen === t) continue;
      for (const l of e.links) {
        const p = this.procs.get(l.pid);
        if (p && p.fds.get(l.fd) === inode) {
          p.fds.delete(l.fd);
          p.lost = true;
        }
      }
      if (e.links.length > 0) this.touch(inode);
      this.entries.delete(inode);
      this.missing.delete(inode);
    }
  }

  /**
   * A new inode that a scan met before the table listed it: bound to that fd if the fd still holds
   * it (one readlink), else left to the search. True when bound.
   */
  private bindPending(inode: number, e: Entry, t: number): boolean {
    const pend = this.pending.get(inode);
    if (pend === undefined) return false;
    this.pending.delete(inode);
    let bound = false;
    for (const { pid, fd } of pend.links) {
      if (!this.procs.has(pid)) continue;
      let link: string;
      try {
        link = fs.readlinkSync(`${this.procRoot}/${pid}/fd/${fd}`, 'latin1');
      } catch {
        continue;
      }
      if (parseSocketLinkText(link) !== inode) continue;
      this.addLink(inode, e, pid, fd, t);
      bound = true;
    }
    if (bound) this.stats.pendingBound++;
    return bound;
  }

  /** A socket link whose inode no table lists yet, kept for when one does. */
  private remember(inode: number, pid: number, fd: number): void {
    const pend = this.pending.get(inode);
    if (pend !== undefined) {
      if (!pend.links.some((l) => l.pid === pid && l.fd === fd)) pend.links.push({ pid, fd });
      pend.tick = this.tick;
    } else if (this.pending.size < PENDING_MAX) {
      this.pending.set(inode, { links: [{ pid, fd }], tick: this.tick });
    }
  }

  /** Pending links older than PENDING_TICKS ticks go (the socket was closed before it was ever listed). */
  private expirePending(t: number): void {
    if (this.pending.size === 0 || t % 16 !== 0) return;
    for (const [inode, pend] of this.pending) if (pend.tick < t - PENDING_TICKS) this.pending.delete(inode);
  }

  /** A round of the sweep that starts after now: the next one, or the one after the round under way. */
  private needSweeps(): number {
    return this.sweeps + (this.sweepPos === 0 || this.sweepPos >= this.sweepList.length ? 1 : 2);
  }

  /** Step 2: one stat per process. Returns the processes to read again and those whose count fell. */
  private async poll(t: number, baseline: boolean): Promise<{ changed: number[]; shrunk: number[] }> {
    const changed: number[] = [];
    const shrunk: number[] = [];
    const pids = listPids(this.procRoot);
    this.pidList = pids;
    for (const pid of pids) {
      if (this.due()) await this.pass();
      const st = statFdDir(`${this.procRoot}/${pid}/fd`);
      this.stats.pidsPolled++;
      let p = this.procs.get(pid);
      if (st === undefined) {
        if (p) this.dropProcess(pid);
        continue;
      }
      if (p && st.ino !== p.ino && p.size !== -1) {
        // A new inode for the directory: evicted and made again, or another process with this pid.
        const start = startTime(this.procRoot, pid);
        if (start !== null && start !== p.start) {
          this.dropProcess(pid);
          p = undefined;
        }
      }
      if (!p) {
        p = this.newProc(pid, st);
        p.polled = t;
        if (!baseline) changed.push(pid);
        continue;
      }
      p.polled = t;
      p.ino = st.ino;
      if (st.size !== p.size) {
        if (!baseline) {
          changed.push(pid);
          if (st.size < p.size) shrunk.push(pid);
        }
        p.size = st.size;
        p.lost = false;
      } else if (p.lost) {
        p.lost = false;
        if (!baseline) changed.push(pid);
      }
    }
    for (const [pid, p] of this.procs) if (p.polled !== t) this.dropProcess(pid);
    return { changed, shrunk };
  }

  private newProc(pid: number, st: fs.Stats | undefined): Proc {
    const p: Proc = {
      size: st?.size ?? -1, ino: st?.ino ?? -1, start: startTime(this.procRoot, pid), fds: new Map(), lost: false,
      polled: this.tick - 1, record: null,
    };
    this.procs.set(pid, p);
    return p;
  }

  /** A process that is gone (or a pid reused): its links go; sockets left without any are missing. */
  private dropProcess(pid: number): void {
    const p = this.procs.get(pid);
    if (!p) return;
    this.procs.delete(pid);
    for (const inode of new Set(p.fds.values())) {
      const e = this.entries.get(inode);
      if (!e) continue;
      e.links = e.links.filter((l) => l.pid !== pid);
      this.touch(inode);
      if (e.links.length === 0 && !e.unowned) this.setMissing(inode, e);
    }
  }

  /** An inode that lost its last known holder: looked for from the next tick (it is likely closing). */
  private setMissing(inode: number, e: Entry): void {
    if (this.missing.has(inode)) return;
    e.since = this.tick - 1;
    e.needSweeps = this.needSweeps();
    this.missing.add(inode);
  }

  /** Step 3: `checksPerTick` known links, in rotation over the inodes. */
  private async rotate(t: number): Promise<void> {
    let budget = this.checksPerTick;
    let rebuilt = false;
    while (budget > 0) {
      if (this.due()) await this.pass();
      if (this.ringPos >= this.ring.length) {
        if (rebuilt) break;
        rebuilt = true;
        this.ring = [...this.entries.keys()];
        this.ringPos = 0;
        if (this.ring.length === 0) break;
      }
      const inode = this.ring[this.ringPos++]!;
      const e = this.entries.get(inode);
      if (!e || e.links.length === 0) continue;
      for (const l of [...e.links]) {
        if (l.checked === t) continue;
        this.verify(inode, e, l, t);
        budget--;
      }
    }
  }

  /** One readlink: is (pid, fd) still `inode`? If it is another socket of the table, it moves there. */
  private verify(inode: number, e: Entry, l: Link, t: number): void {
    this.stats.linksChecked++;
    let now = -1;
    try {
      now = parseSocketLinkText(fs.readlinkSync(`${this.procRoot}/${l.pid}/fd/${l.fd}`, 'latin1'));
    } catch {
      // closed, or the process went
    }
    if (now === inode) {
      l.checked = t;
      return;
    }
    e.links = e.links.filter((x) => x !== l);
    this.touch(inode);
    const p = this.procs.get(l.pid);
    if (p && p.fds.get(l.fd) === inode) p.fds.delete(l.fd);
    if (e.links.length === 0 && !e.unowned) this.setMissing(inode, e);
    if (now > 0) {
      const other = this.entries.get(now);
      if (other) this.addLink(now, other, l.pid, l.fd, t);
    }
  }

  private addLink(inode: number, e: Entry, pid: number, fd: number, t: number): void {
    if (e.links.some((l) => l.pid === pid && l.fd === fd)) return;
    e.links.push({ pid, fd, checked: t });
    if (e.links.length > 1) e.links.sort(byPidFd);
    e.unowned = false;
    if (this.missing.delete(inode) && this.targets?.delete(inode)) this.targetsLeft--;
    this.touch(inode);
    this.bind(pid, fd, inode);
    const p = this.procs.get(pid)!;
    if (p.record === null) p.record = processRecord(`${this.procRoot}/${pid}`, readHead);
  }

  /** Reads the fds of `pid` we do not know yet; returns the cost (readlinks, plus the directory read). */
  private async scanPid(pid: number): Promise<number> {
    if (this.due()) await this.pass();
    const p = this.procs.get(pid);
    if (!p) return 0;
    let names: string[];
    try {
      names = fs.readdirSync(`${this.procRoot}/${pid}/fd`);
    } catch {
      return 1;
    }
    this.stats.pidsScanned++;
    let cost = 1 + (names.length >> 3);
    let gained = false;
    for (const name of names) {
      if (!isFdName(name)) continue;
      const fd = Number(name);
      if (p.fds.has(fd)) continue;
      cost++;
      if (this.due()) await this.pass();
      let link: string;
      try {
        link = fs.readlinkSync(`${this.procRoot}/${pid}/fd/${name}`, 'latin1');
      } catch {
        continue;
      }
      const inode = parseSocketLinkText(link);
      if (inode <= 0) continue;
      const e = this.entries.get(inode);
      if (!e) {
        this.remember(inode, pid, fd);
        continue;
      }
      this.addLink(inode, e, pid, fd, this.tick - 1);
      gained = true;
    }
    if (gained) {
      const k = this.recent.indexOf(pid);
      if (k >= 0) this.recent.splice(k, 1);
      this.recent.push(pid);
      if (this.recent.length > RECENT) this.recent.shift();
    }
    return cost;
  }

  /**
   * Step 4: the missing inodes, in likely processes first, then a budgeted sweep over all. Looked
   * for: those missing since an earlier tick (a socket whose holder closed its fd after the sample
   * read the table is gone by the next one: not worth a sweep), and new ones (in likely processes;
   * in the sweep too when the kernel gives no fd counts, which would have found them in step 2).
   */
  private async search(t: number, hints: OwnerHints, budget: number, scanned: Set<number>): Promise<void> {
    const likelyFor = new Set<number>();
    const sweepFor = new Set<number>();
    for (const inode of this.missing) {
      const e = this.entries.get(inode)!;
      if (e.since < t || (e.first === t && !this.fdCounts)) sweepFor.add(inode);
      if (e.since < t || e.first === t) likelyFor.add(inode);
    }
    if (likelyFor.size === 0) return;
    this.targets = likelyFor;
    this.targetsLeft = likelyFor.size;
    const likely = hints(likelyFor, (i) => this.entries.get(i)?.links);
    for (let k = this.recent.length - 1; k >= 0; k--) likely.push(this.recent[k]!);
    for (const pid of likely) {
      if (this.targetsLeft === 0 || budget <= 0) break;
      if (scanned.has(pid) || !this.procs.has(pid)) continue;
      scanned.add(pid);
      budget -= await this.scanPid(pid);
    }
    // The sweep: one round over every process at most per tick, going on where it stopped.
    this.targets = sweepFor;
    this.targetsLeft = 0;
    for (const inode of sweepFor) if (this.missing.has(inode)) this.targetsLeft++;
    let started = false;
    while (this.targetsLeft > 0 && budget > 0) {
      if (this.sweepPos >= this.sweepList.length) {
        if (started) break;
        started = true;
        this.sweepList = this.pidList;
        this.sweepPos = 0;
        if (this.sweepList.length === 0) break;
      }
      const pid = this.sweepList[this.sweepPos++]!;
      // Read at this tick already (after every inode now missing was first missed): as good.
      if (!scanned.has(pid)) {
        scanned.add(pid);
        budget -= await this.scanPid(pid);
      }
      if (this.sweepPos >= this.sweepList.length) {
        this.sweeps++;
        this.retire(t);
      }
    }
    this.targets = null;
  }

  /** Missing inodes looked for in every process, and missing at two ticks at least, become unowned. */
  private retire(t: number): void {
    for (const inode of this.missing) {
      const e = this.entries.get(inode)!;
      if (this.sweeps >= e.needSweeps && e.since < t) {
        e.unowned = true;
        this.missing.delete(inode);
        if (this.targets?.delete(inode)) this.targetsLeft--;
      }
    }
  }

  /**
   * A full scan into what we know. Inodes first seen before `startTick` take the scan's links
   * (none: unowned) plus links seen to hold them from that tick on; later ones add its links to
   * theirs. The scan's links count as checked at `checkedAt`.
   */
  private async merge(raw: RawOwners, startTick: number, checkedAt: number): Promise<void> {
    this.stats.fullScans++;
    this.lastScan = { pidsScanned: raw.pidsScanned, pidsVanished: raw.pidsVanished, pidsDenied: raw.pidsDenied };
    this.refresh = true;
    const inodes = raw.inodes;
    const n = inodes.length;
    // Sockets the scan met that no table lists yet: kept for the tick that lists them.
    for (let k = 0; k < n; k++) {
      if ((k + 1) % STEP === 0) await breather();
      const inode = inodes[k]!;
      if (!this.entries.has(inode)) this.remember(inode, raw.pids[k]!, raw.fds[k]!);
    }
    let step = 0;
    for (const [inode, e] of this.entries) {
      if (++step % STEP === 0) await breather();
      // The scan's entries of this inode: [lo, hi).
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (inodes[mid]! < inode) lo = mid + 1;
        else hi = mid;
      }
      hi = lo;
      while (hi < n && inodes[hi] === inode) hi++;
      const older = e.first < startTick;
      // As a rule the scan says what we knew: nothing to change but when the links were seen.
      let same = hi - lo === e.links.length;
      for (let j = 0; same && j < e.links.length; j++) same = e.links[j]!.pid === raw.pids[lo + j] && e.links[j]!.fd === raw.fds[lo + j];
      if (same) {
        for (const l of e.links) if (l.checked < checkedAt) l.checked = checkedAt;
      } else {
        const next: Link[] = [];
        for (let k = lo; k < hi; k++) {
          const pid = raw.pids[k]!;
          const fd = raw.fds[k]!;
          const known = e.links.length === 0 ? undefined : e.links.find((l) => l.pid === pid && l.fd === fd);
          if (known) {
            if (known.checked < checkedAt) known.checked = checkedAt;
            next.push(known);
          } else next.push({ pid, fd, checked: checkedAt });
        }
        // Links seen since the scan started stay (it may have read their process before).
        for (const l of e.links) if (!next.includes(l) && (!older || l.checked >= startTick)) next.push(l);
        if (next.length > 1) next.sort(byPidFd);
        for (const l of e.links) {
          if (next.includes(l)) continue;
          const p = this.procs.get(l.pid);
          if (p && p.fds.get(l.fd) === inode) p.fds.delete(l.fd);
        }
        e.links = next;
        for (const l of next) this.bind(l.pid, l.fd, inode);
        this.touch(inode);
      }
      if (e.links.length > 0) {
        e.unowned = false;
        this.missing.delete(inode);
      } else if (older) {
        e.unowned = true;
        this.missing.delete(inode);
      }
    }
    // Names and uids from the scan (an exec() changes the name).
    for (let k = 0; k < raw.procPids.length; k++) {
      const p = this.procs.get(raw.procPids[k]!);
      if (!p) continue;
      p.record = {
        name: raw.strings.slice(raw.nameStart[k]!, raw.nameStart[k]! + raw.nameLen[k]!),
        comm: raw.strings.slice(raw.commStart[k]!, raw.commStart[k]! + raw.commLen[k]!),
        uid: raw.procUids[k]!,
      };
    }
  }

  /** The links of `inode` changed: the next index is the last one with its links replaced. */
  private touch(inode: number): void {
    if (this.all) return;
    this.dirty.add(inode);
    if (this.dirty.size > 64 && this.dirty.size > this.entries.size / 8) {
      this.all = true;
      this.dirty.clear();
    }
  }

  /** (pid, fd) holds `inode`: the fd map says so, and the inode it held before (if another) loses the link. */
  private bind(pid: number, fd: number, inode: number): void {
    const p = this.procs.get(pid) ?? this.newProc(pid, undefined);
    const before = p.fds.get(fd);
    if (before !== undefined && before !== inode) {
      const b = this.entries.get(before);
      const k = b ? b.links.findIndex((l) => l.pid === pid && l.fd === fd) : -1;
      if (b && k >= 0) {
        b.links.splice(k, 1);
        this.touch(before);
        if (b.links.length === 0 && !b.unowned) this.setMissing(before, b);
      }
    }
    p.fds.set(fd, inode);
  }

  /** The OwnerIndex columns of what we know: the last ones again when nothing changed. */
  private build(): RawOwners {
    const old = this.index;
    if (old && !this.refresh && !this.all && this.dirty.size === 0) return old;
    let inodes: Float64Array;
    let pids: Int32Array;
    let fds: Int32Array;
    if (old === null || this.all) ({ inodes, pids, fds } = this.sortedLinks());
    else if (this.dirty.size > 0) ({ inodes, pids, fds } = this.mergedLinks(old));
    else ({ inodes, pids, fds } = old);
    this.dirty.clear();
    this.all = false;
    this.refresh = false;
    // The owning processes, sorted by pid.
    const owning: number[] = [];
    for (const [pid, p] of this.procs) if (p.fds.size > 0) owning.push(pid);
    owning.sort((a, b) => a - b);
    const { procUids, nameStart, nameLen, commStart, commLen, strings } = packProcesses(owning.map((pid) => {
      const rec = this.procs.get(pid)!.record;
      return { name: rec?.name ?? EMPTY, comm: rec?.comm ?? EMPTY, uid: rec?.uid ?? 0xffffffff };
    }));
    this.index = {
      inodes, pids, fds, procPids: Int32Array.from(owning), procUids, nameStart, nameLen, commStart, commLen, strings,
      // The last full scan's counters: a process it could not read stays unread until the next one.
      ...this.lastScan,
      socketFds: inodes.length,
    };
    return this.index;
  }

  /** Every link, sorted by (inode, pid, fd). */
  private sortedLinks(): { inodes: Float64Array; pids: Int32Array; fds: Int32Array } {
    let n = 0;
    let small = true;
    for (const [inode, e] of this.entries) {
      n += e.links.length;
      if (inode >= 2 ** 32) small = false;
    }
    const inodes = new Float64Array(n);
    const pids = new Int32Array(n);
    const fds = new Int32Array(n);
    const srcInode = new Float64Array(n);
    const srcPid = new Int32Array(n);
    const srcFd = new Int32Array(n);
    let k = 0;
    for (const [inode, e] of this.entries) {
      for (const l of e.links) {
        srcInode[k] = inode;
        srcPid[k] = l.pid;
        srcFd[k] = l.fd;
        k++;
      }
    }
    // Links of one inode are already in (pid, fd) order: a stable sort by inode is enough. Packed
    // as inode * 2^20 + position, the typed array's own numeric sort does it (exact below 2^53).
    let order: ArrayLike<number>;
    if (small && n < 2 ** 20) {
      const keys = new Float64Array(n);
      for (let i = 0; i < n; i++) keys[i] = srcInode[i]! * 2 ** 20 + i;
      keys.sort();
      const o = new Uint32Array(n);
      for (let i = 0; i < n; i++) o[i] = keys[i]! % 2 ** 20;
      order = o;
    } else {
      order = Array.from({ length: n }, (_, i) => i).sort((a, b) => srcInode[a]! - srcInode[b]! || a - b);
    }
    for (let i = 0; i < n; i++) {
      const j = order[i]!;
      inodes[i] = srcInode[j]!;
      pids[i] = srcPid[j]!;
      fds[i] = srcFd[j]!;
    }
    return { inodes, pids, fds };
  }

  /** The last index with the links of the dirty inodes replaced by their links now. */
  private mergedLinks(old: RawOwners): { inodes: Float64Array; pids: Int32Array; fds: Int32Array } {
    const dirty = Float64Array.from(this.dirty).sort();
    // The dirty inodes' links now, in order.
    const fresh: Array<[number, Link]> = [];
    for (const inode of dirty) for (const l of this.entries.get(inode)?.links ?? []) fresh.push([inode, l]);
    // The old entries that stay: those of clean inodes.
    const oi = old.inodes;
    let kept = 0;
    for (let i = 0, d = 0; i < oi.length; i++) {
      while (d < dirty.length && dirty[d]! < oi[i]!) d++;
      if (!(d < dirty.length && dirty[d] === oi[i])) kept++;
    }
    const n = kept + fresh.length;
    const inodes = new Float64Array(n);
    const pids = new Int32Array(n);
    const fds = new Int32Array(n);
    let w = 0;
    let f = 0;
    for (let i = 0, d = 0; i < oi.length; i++) {
      const inode = oi[i]!;
      while (d < dirty.length && dirty[d]! < inode) d++;
      if (d < dirty.length && dirty[d] === inode) continue;
      while (f < fresh.length && fresh[f]![0] < inode) {
        inodes[w] = fresh[f]![0];
        pids[w] = fresh[f]![1].pid;
        fds[w] = fresh[f]![1].fd;
        w++;
        f++;
      }
      inodes[w] = inode;
      pids[w] = old.pids[i]!;
      fds[w] = old.fds[i]!;
      w++;
    }
    for (; f < fresh.length; f++, w++) {
      inodes[w] = fresh[f]![0];
      pids[w] = fresh[f]![1].pid;
      fds[w] = fresh[f]![1].fd;
    }
    return { inodes, pids, fds };
  }
}
