// createSampler(): polling for services and tools. Each tick is one async sample (off the event
// loop with the native backend) plus owner resolution that is incremental between periodic full
// scans (see owners/incremental.ts for the accuracy trade-off), and the diff from the last tick.
import type { BackendName } from '../backends/select';
import { applyOwnerFilter, cgroupResolver, checkDumps, netlinkAsked, prepareSample, processCgroupsOf, reportFilterPlaces } from '../backends/snapshot';
import { diffSnapshotsAsync, type SnapshotDiff } from '../analysis/diff';
import { IncrementalOwners, type IncrementalStats } from '../owners/incremental';
import type { Family, Proto, RawSample } from '../model/contract';
import { Snapshot, type SnapshotOptions, type SourceOption } from '../model/snapshot';
import { delayUntilCycle, nextCycle } from './schedule';

export interface SamplerOptions {
  /** Seconds between ticks (sub-second allowed); 0 = as fast as the caller iterates. Default 1. */
  interval?: number;
  protocols?: readonly Proto[];
  families?: readonly Family[];
  /** Map owners (incrementally between full scans). Default false. */
  owners?: boolean;
  /** A full owner scan every N ticks (1 = every tick, exact but slow). Default 10. */
  fullScanEvery?: number;
  /**
   * Past this many sockets, every tick takes a full owner scan with the sample instead of the
   * incremental checks (native backend only: the scan then runs on its threads, off the event
   * loop, while the incremental checks would cost the event loop one readlink per socket).
   * Default 5,000; Infinity keeps the incremental checks at any size.
   */
  incrementalOwnersUpTo?: number;
  procRoot?: string;
  netDir?: string;
  backend?: BackendName;
  /** As SnapshotOptions.source: 'auto' (default), 'proc' or 'netlink'. */
  source?: SourceOption;
  /** As SnapshotOptions.info, memory and cgroup: netlink's tcp_info, skmem and cgroups (native only). */
  info?: boolean;
  memory?: boolean;
  cgroup?: boolean;
  /**
   * As SnapshotOptions.filter: ss's filter expression (and netsnap's predicates beyond it), parsed
   * once; every tick holds only the inet sockets that pass. Predicates on processes (pid, comm,
   * program, container) turn the owner mapping on.
   */
  filter?: string;
  /**
   * Compute each tick's diff from the previous one (default true). Consumers that only reduce
   * each sample (the exporter, the recorder) turn it off: the diff indexes every row of both
   * samples on the event-loop thread, work they would never read.
   */
  diff?: boolean;
}

export interface Tick<D extends SnapshotDiff | null = SnapshotDiff> {
  tick: number;
  /** Valid until two ticks later: its tables' memory is then filled again (double buffering). */
  snapshot: Snapshot;
  /** Changes since the previous tick (everything counts as opened on the first); null with `diff: false`. */
  diff: D;
}

export interface Sampler<D extends SnapshotDiff | null = SnapshotDiff> extends AsyncIterable<Tick<D>> {
  /** Takes the next sample now, whatever the interval. */
  next(): Promise<Tick<D>>;
  readonly ownerStats: IncrementalStats | null;
  close(): void;
}

export function createSampler(options: SamplerOptions & { diff: false }): Sampler<null>;
export function createSampler(options?: SamplerOptions): Sampler;
export function createSampler(options: SamplerOptions = {}): Sampler<SnapshotDiff | null> {
  const withDiff = options.diff ?? true;
  if (typeof withDiff !== 'boolean') throw new TypeError('diff must be a boolean');
  const interval = options.interval ?? 1;
  if (typeof interval !== 'number' || !(interval >= 0)) throw new TypeError('interval must be a number of seconds >= 0');
  const fullScanEvery = options.fullScanEvery ?? 10;
  if (!Number.isInteger(fullScanEvery) || fullScanEvery < 1) throw new TypeError('fullScanEvery must be an integer >= 1');
  // The same checks and request as snapshot(): the sampler adds owners per tick itself.
  const sampled: SnapshotOptions = {
    protocols: options.protocols, families: options.families, procRoot: options.procRoot, netDir: options.netDir,
    backend: options.backend, source: options.source, info: options.info, memory: options.memory, cgroup: options.cgroup,
    filter: options.filter,
  };
  const { backend, request, filter } = prepareSample(sampled);
  const asked = netlinkAsked(sampled, filter);
  const cgroups = cgroupResolver(sampled, request.procRoot);
  const procRoot = request.procRoot;
  const owners = options.owners || filter?.needs.owners ? new IncrementalOwners(backend, procRoot, fullScanEvery) : null;
  const incrementalUpTo = options.incrementalOwnersUpTo ?? 5000;
  if (typeof incrementalUpTo !== 'number' || !(incrementalUpTo >= 0)) throw new TypeError('incrementalOwnersUpTo must be a number >= 0');
  let lastRows = 0;
  let previous: Snapshot | null = null;
  // Double buffering: tick n fills the tables of tick n-2, so the previous tick's stay intact for
  // the diff. A tick's snapshot is therefore valid until two ticks later: copy what you keep longer.
  let older: RawSample | null = null;
  let newer: RawSample | null = null;
  let count = 0;
  let closed = false;
  let start = 0;
  let slot = 0;

  async function take(): Promise<Tick<SnapshotDiff | null>> {
    const takenAt = Date.now();
    // On full-scan ticks the backend scans owners with the sample (native: on the libuv pool).
    // A big native sample takes its full scan every tick and uses it as it is.
    // The first tick does not know the size yet: it takes its full scan as it is too (unless the
    // caller asked for incremental checks at any size).
    const direct = owners !== null && backend.name === 'native' && (lastRows > incrementalUpTo || (count === 0 && incrementalUpTo !== Infinity));
    const full = direct || (owners?.fullScanDue ?? false);
    const reuse = older ? request.files.map((name) => older!.files.find((f) => f.name === name)?.table ?? null) : undefined;
    const raw = await backend.sampleAsync({ ...request, owners: full, reuse });
    checkDumps(request, raw, asked);
    reportFilterPlaces(filter, raw);
    older = newer;
    newer = raw;
    const scanned = raw.owners ?? undefined;
    if (!direct) raw.owners = null;
    let snap = new Snapshot(backend.name, request, raw, takenAt, cgroups, processCgroupsOf(sampled, request.procRoot, raw));
    lastRows = snap.inet.reduce((n, t) => n + t.count, snap.unix?.count ?? 0);
    if (owners && direct) {
      owners.stats.fullScans++;
      owners.restart(); // back under the limit, the incremental checks start from a full scan
    }
    if (owners && !direct) {
      const inodes: number[] = [];
      for (const t of snap.inet) for (let i = 0; i < t.count; i++) inodes.push(t.inode[i]!);
      if (snap.unix) for (let i = 0; i < snap.unix.count; i++) inodes.push(snap.unix.inode[i]!);
      const listeners = listenerOwnersByPort(snap);
      raw.owners = owners.resolve(inodes, (inode, known) => hintsFor(snap, inode, listeners, known), scanned);
      snap = new Snapshot(backend.name, request, raw, takenAt, cgroups, processCgroupsOf(sampled, request.procRoot, raw));
    }
    if (filter?.needs.owners) {
      applyOwnerFilter(filter, request, raw);
      snap = new Snapshot(backend.name, request, raw, takenAt, cgroups, processCgroupsOf(sampled, request.procRoot, raw));
    }
    const empty = new Snapshot(backend.name, request, { files: [], owners: null }, takenAt);
    const diff = withDiff ? await diffSnapshotsAsync(previous ?? empty, snap) : null;
    const tick: Tick<SnapshotDiff | null> = { tick: count++, snapshot: snap, diff };
    previous = snap;
    return tick;
  }

  return {
    next: take,
    get ownerStats() {
      return owners?.stats ?? null;
    },
    close() {
      closed = true;
    },
    async *[Symbol.asyncIterator]() {
      start = performance.now();
      slot = 0;
      while (!closed) {
        yield await take();
        if (closed) return;
        const ms = interval * 1000;
        if (ms > 0) {
          slot = nextCycle(start, slot, ms, performance.now());
          await new Promise((r) => setTimeout(r, delayUntilCycle(start, slot, ms, performance.now())));
        }
      }
    },
  };
}

/** Local port -> inodes of LISTEN sockets on it (an accepted connection's likeliest holders). */
function listenerOwnersByPort(s: Snapshot): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const t of s.inet) {
    if (t.proto !== 'tcp') continue;
    for (let i = 0; i < t.count; i++) {
      if (t.state[i] !== 10) continue;
      const list = out.get(t.localPort[i]!) ?? [];
      list.push(t.inode[i]!);
      out.set(t.localPort[i]!, list);
    }
  }
  return out;
}

const inodeRows = new WeakMap<Snapshot, Map<number, number>>();

function hintsFor(s: Snapshot, inode: number, listeners: Map<number, number[]>, known: (inode: number) => Array<{ pid: number }> | undefined): number[] {
  let ports = inodeRows.get(s);
  if (!ports) {
    ports = new Map();
    for (const t of s.inet) for (let i = 0; i < t.count; i++) ports.set(t.inode[i]!, t.localPort[i]!);
    inodeRows.set(s, ports);
  }
  const port = ports.get(inode);
  if (port === undefined) return [];
  const pids: number[] = [];
  for (const l of listeners.get(port) ?? []) for (const o of known(l) ?? []) pids.push(o.pid);
  return pids;
}
