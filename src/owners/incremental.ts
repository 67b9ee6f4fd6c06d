// Incremental owner resolution for the sampler. A full scan reads every fd of every process; on
// a busy host that is most of a sample's cost, and from one tick to the next almost nothing
// changes. So between full scans we:
//   1. keep what we knew (inode -> (pid, fd)) and check each kept link with one readlink, dropping
//      it when the fd was closed or reused, or when its process died or its pid was reused (told
//      by the start time in /proc/PID/stat);
//   2. look up only inodes we have not seen, scanning processes in the order most likely to hold
//      them (the owners of a listener on the same local port first, then processes that gained
//      sockets recently, then the rest) and stopping as soon as all are found.
// Accuracy trade-off (documented in the README): a socket that gains an extra owner without a new
// inode (fork(), SCM_RIGHTS) shows only the owners seen so far, and an inode the last full scan
// found no holder for is not looked for again, until the next full scan (every `fullScanEvery`
// ticks). An inode first seen between full scans with no holder yet is looked for every tick.
import * as fs from 'node:fs';
import type { Backend, RawOwners } from '../model/contract';
import { isFdName, isPidName, packProcesses, processRecord, type ProcessRecord } from './proc_pid';
import { parseSocketLink } from './fd_link';

interface Link {
  pid: number;
  fd: number;
}

interface KnownProcess extends ProcessRecord {
  startTime: string;
}

const EMPTY = new Uint8Array(0);
/** /proc/PID/stat is one line; 8 KiB holds it whatever the comm. */
const STAT_MAX = 8192;

export interface IncrementalStats {
  fullScans: number;
  incrementalScans: number;
  /** Processes whose fd directory was read by incremental lookups, in total. */
  pidsScanned: number;
  /** Kept links checked with readlink, in total. */
  linksChecked: number;
}

function readText(path: string, max: number): Uint8Array | null {
  try {
    const b = fs.readFileSync(path);
    return b.subarray(0, Math.min(max, b.length));
  } catch {
    return null;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks), or null when the process is gone. */
export function startTime(procRoot: string, pid: number): string | null {
  const stat = readText(`${procRoot}/${pid}/stat`, STAT_MAX);
  if (!stat) return null;
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
  return names.filter(isPidName).map(Number).sort((a, b) => a - b);
}

/** The socket fds of one process; null when it vanished or denied access. */
function scanPid(procRoot: string, pid: number): Array<{ inode: number; fd: number }> | null {
  let fds: string[];
  try {
    fds = fs.readdirSync(`${procRoot}/${pid}/fd`);
  } catch {
    return null;
  }
  const out: Array<{ inode: number; fd: number }> = [];
  for (const name of fds) {
    if (!isFdName(name)) continue;
    let link: Buffer;
    try {
      link = fs.readlinkSync(`${procRoot}/${pid}/fd/${name}`, { encoding: 'buffer' });
    } catch {
      continue;
    }
    const inode = parseSocketLink(link);
    if (inode >= 0) out.push({ inode, fd: Number(name) });
  }
  return out;
}

export class IncrementalOwners {
  private links = new Map<number, Link[]>();
  private processes = new Map<number, KnownProcess>();
  /** Inodes the last full scan found no owner for (kernel sockets): not looked for until the next one. */
  private unowned = new Set<number>();
  /** Pids in the order they last gained a socket, most recent last. */
  private recent: number[] = [];
  private tick = 0;
  /** Counters of the last full scan, which the owners reported between full scans rest on. */
  private lastScan = { pidsScanned: 0, pidsVanished: 0, pidsDenied: 0 };
  readonly stats: IncrementalStats = { fullScans: 0, incrementalScans: 0, pidsScanned: 0, linksChecked: 0 };

  constructor(
    private readonly backend: Backend,
    private readonly procRoot: string,
    private readonly fullScanEvery: number,
  ) {}

  /**
   * Owners of `inodes` (the sockets of this tick). `hints` maps an inode to pids likely to hold it
   * (e.g. the owners of the listener on its local port).
   */
  resolve(
    inodes: Iterable<number>,
    hints: (inode: number, known: (inode: number) => Link[] | undefined) => number[],
    fullScan?: RawOwners,
  ): RawOwners {
    const wanted = new Set<number>();
    for (const i of inodes) if (i !== 0) wanted.add(i);
    if (this.tick++ % this.fullScanEvery === 0) this.fullScan(wanted, fullScan ?? this.backend.scanOwners(this.procRoot));
    else this.incremental(wanted, hints);
    return this.toRaw(wanted);
  }

  /** Makes the next resolve() a full scan (what was kept may be stale). */
  restart(): void {
    this.tick = 0;
  }

  /** Will the next resolve() be a full scan? (The sampler then has the backend do it off the event loop.) */
  get fullScanDue(): boolean {
    return this.tick % this.fullScanEvery === 0;
  }

  private fullScan(wanted: Set<number>, raw: RawOwners): void {
    this.stats.fullScans++;
    this.lastScan = { pidsScanned: raw.pidsScanned, pidsVanished: raw.pidsVanished, pidsDenied: raw.pidsDenied };
    this.links.clear();
    const alive = new Map<number, KnownProcess>();
    for (let k = 0; k < raw.inodes.length; k++) {
      const inode = raw.inodes[k]!;
      const list = this.links.get(inode) ?? [];
      list.push({ pid: raw.pids[k]!, fd: raw.fds[k]! });
      this.links.set(inode, list);
    }
    for (let p = 0; p < raw.procPids.length; p++) {
      const pid = raw.procPids[p]!;
      const known = this.processes.get(pid);
      const start = startTime(this.procRoot, pid) ?? '';
      alive.set(pid, known && known.startTime === start ? known : {
        startTime: start,
        name: raw.strings.slice(raw.nameStart[p]!, raw.nameStart[p]! + raw.nameLen[p]!),
        comm: raw.strings.slice(raw.commStart[p]!, raw.commStart[p]! + raw.commLen[p]!),
        uid: raw.procUids[p]!,
      });
    }
    this.processes = alive;
    this.unowned = new Set([...wanted].filter((i) => !this.links.has(i)));
  }

  private incremental(wanted: Set<number>, hints: (inode: number, known: (inode: number) => Link[] | undefined) => number[]): void {
    this.stats.incrementalScans++;
    // 1. Processes that died or whose pid was reused lose everything we knew of them.
    //    A start time that cannot be read (no stat file, or the process just went) proves nothing:
    //    the links of a process that went fail their readlink below.
    for (const [pid, rec] of this.processes) {
      const now = startTime(this.procRoot, pid);
      if (now !== null && now !== rec.startTime) this.processes.delete(pid);
    }
    // 2. Every kept link of a wanted inode is checked; links of sockets that are gone are dropped.
    for (const [inode, list] of this.links) {
      if (!wanted.has(inode)) {
        this.links.delete(inode);
        continue;
      }
      const kept = list.filter((l) => {
        if (!this.processes.has(l.pid)) return false;
        this.stats.linksChecked++;
        try {
          return parseSocketLink(fs.readlinkSync(`${this.procRoot}/${l.pid}/fd/${l.fd}`, { encoding: 'buffer' })) === inode;
        } catch {
          return false;
        }
      });
      if (kept.length) this.links.set(inode, kept);
      else this.links.delete(inode);
    }
    // 3. New inodes: scan likely holders first, stop when all are found.
    const missing = new Set([...wanted].filter((i) => !this.links.has(i) && !this.unowned.has(i)));
    if (missing.size === 0) return;
    const order: number[] = [];
    const seen = new Set<number>();
    const push = (pid: number) => {
      if (!seen.has(pid)) {
        seen.add(pid);
        order.push(pid);
      }
    };
    for (const inode of missing) for (const pid of hints(inode, (i) => this.links.get(i))) push(pid);
    for (let k = this.recent.length - 1; k >= 0; k--) push(this.recent[k]!);
    for (const pid of listPids(this.procRoot)) push(pid);
    for (const pid of order) {
      if (missing.size === 0) break;
      const found = scanPid(this.procRoot, pid);
      this.stats.pidsScanned++;
      if (!found) continue;
      let gained = false;
      for (const { inode, fd } of found) {
        if (!wanted.has(inode)) continue;
        const list = this.links.get(inode) ?? [];
        if (list.some((l) => l.pid === pid && l.fd === fd)) continue;
        list.push({ pid, fd });
        list.sort((x, y) => x.pid - y.pid || x.fd - y.fd);
        this.links.set(inode, list);
        missing.delete(inode);
        gained = true;
      }
      if (gained) {
        this.noteProcess(pid);
        this.recent = this.recent.filter((p) => p !== pid);
        this.recent.push(pid);
        if (this.recent.length > 64) this.recent.shift();
      }
    }
    // Inodes still missing are looked for again next tick: a socket can be in the table before its
    // fd is installed (accept() in progress), so one miss does not make it unowned.
  }

  private noteProcess(pid: number): void {
    const start = startTime(this.procRoot, pid) ?? '';
    const known = this.processes.get(pid);
    if (known && known.startTime === start) return;
    const rec = processRecord(`${this.procRoot}/${pid}`, (path, max) => readText(path, max) ?? EMPTY);
    this.processes.set(pid, { startTime: start, ...rec });
  }

  /** The OwnerIndex columns of what we know about `wanted`. */
  private toRaw(wanted: Set<number>): RawOwners {
    const entries: Array<[number, number, number]> = [];
    for (const [inode, list] of this.links) if (wanted.has(inode)) for (const l of list) entries.push([inode, l.pid, l.fd]);
    entries.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    const pids = [...new Set(entries.map((e) => e[1]))].sort((a, b) => a - b);
    const empty = new Uint8Array(0);
    const { procUids, nameStart, nameLen, commStart, commLen, strings } = packProcesses(
      pids.map((pid) => {
        const rec = this.processes.get(pid);
        return { name: rec?.name ?? empty, comm: rec?.comm ?? empty, uid: rec?.uid ?? 0xffffffff };
      }),
    );
    return {
      inodes: Float64Array.from(entries, (e) => e[0]),
      pids: Int32Array.from(entries, (e) => e[1]),
      fds: Int32Array.from(entries, (e) => e[2]),
      procPids: Int32Array.from(pids),
      procUids, nameStart, nameLen, commStart, commLen, strings,
      // The last full scan's counters: a process it could not read stays unread until the next one.
      ...this.lastScan,
      socketFds: entries.length,
    };
  }
}
