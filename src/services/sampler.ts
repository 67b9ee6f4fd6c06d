// createSampler(): polling for services and tools. Each tick is one async sample (off the event
// loop with the native backend) plus owner resolution that is incremental between periodic full
// scans (see owners/incremental.ts for the accuracy trade-off), and the diff from the last tick.
import type { BackendName } from '../backends/select';
import { applyOwnerFilter, cgroupResolver, checkDumps, netlinkAsked, prepareSample, processCgroupsOf, reportFilterPlaces } from '../backends/snapshot';
import { diffSnapshotsAsync, type SnapshotDiff } from '../analysis/diff';
import { IncrementalOwners, type IncrementalStats } from '../owners/incremental';
import type { Family, Proto, RawSample } from '../model/contract';
import { Snapshot, type SnapshotOptions, type SourceOption } from '../model/snapshot';
import { createFlowTracker, type FlowTracker, type ThroughputTick } from './throughput';
import { delayUntilCycle, nextCycle, skippedSlots } from './schedule';

export interface SamplerOptions {
  /** Seconds between ticks (sub-second allowed); 0 = as fast as the caller iterates. Default 1. */
  interval?: number;
  protocols?: readonly Proto[];
  families?: readonly Family[];
  /** Map owners (incrementally between full scans: see README "Owners are resolved incrementally"). Default false. */
  owners?: boolean;
  /**
   * A full owner scan at least every N ticks (1 = with every tick's sample: exact, at the cost of a
   * full scan per tick). Default: by time only (fullScanSeconds).
   */
  fullScanEvery?: number;
  /**
   * A full owner scan at least every this many seconds (the native backend's runs on its threads,
   * in the background, while ticks go on; the TypeScript backend's with a tick's sample). Default
   * 10 without fullScanEvery; with it, only when given.
   */
  fullScanSeconds?: number;
  /**
   * Known owners each incremental tick re-verifies with one readlink of their /proc/PID/fd/FD (is
   * it still that socket?), in rotation; while no more are known, all of them every tick. Bounds
   * the event loop's share of the owner work at any number of sockets (a readlink is a few µs).
   * Default 500; 0 leaves the re-verification to the fd-count signals and the full scans.
   */
  ownerChecksPerTick?: number;
  /**
   * Past this many sockets (at the previous tick), the native sampler takes a full owner scan with
   * every tick's sample instead (on its threads, off the event loop: exact, but the cost of a full
   * scan per tick); 0 = always (exact owners with every tick, as the exporter wants). The
   * TypeScript backend stays incremental. Default Infinity: incremental at any size (it was 5,000,
   * which made a watch of 100,000 sockets scan /proc/*\/fd fully with every tick).
   */
  incrementalOwnersUpTo?: number;
  procRoot?: string;
  netDir?: string;
  backend?: BackendName;
  /** As SnapshotOptions.source: 'auto' (default), 'proc' or 'netlink'. */
  source?: SourceOption;
  /** As SnapshotOptions.info, memory and cgroup: netlink's tcp_info, skmem and cgroups (native only). */
  info?: boolean;
  /** As SnapshotOptions.tcpStates: the TCP states sampled (bit 1 << state). Default: all. */
  tcpStates?: number;
  /** As SnapshotOptions.infoFields: with `info`, decode only these tcp_info fields. */
  infoFields?: readonly string[];
  memory?: boolean;
  cgroup?: boolean;
  /**
   * With `info` (native backend): each tick's `flows` — the TCP bytes moved since the previous tick
   * per connection, process, container, service port, peer and peer network, closed connections
   * included (tcp_info by socket cookie plus the kernel's destroy events; see throughput.ts). The first
   * tick is the baseline. Default: true with `info`.
   */
  flows?: boolean;
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
  /**
   * The slot of the grid this tick started in (slot k starts at k * interval seconds after the
   * first tick); null for a tick taken with next().
   */
  slot: number | null;
  /**
   * Slots of the grid skipped since the previous tick, because that tick's sample ran past the
   * start of the next slot (or its consumer's work did, past the slot after: the iterator takes a
   * tick's sample while the tick before is finished and consumed): 0 when the sampler keeps its rate.
   */
  skippedSlots: number;
  /** Valid until two ticks later were taken: its tables' memory is then filled again. */
  snapshot: Snapshot;
  /** Changes since the previous tick (everything counts as opened on the first); null with `diff: false`. */
  diff: D;
  /** With `info` (and `flows` not false): the bytes moved since the previous tick, by cookie. */
  flows?: ThroughputTick;
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
  const fullScanEvery = options.fullScanEvery ?? Infinity;
  if (options.fullScanEvery !== undefined && (!Number.isInteger(fullScanEvery) || fullScanEvery < 1)) throw new TypeError('fullScanEvery must be an integer >= 1');
  const fullScanSeconds = options.fullScanSeconds ?? (options.fullScanEvery === undefined ? 10 : Infinity);
  if (typeof fullScanSeconds !== 'number' || !(fullScanSeconds > 0)) throw new TypeError('fullScanSeconds must be a number of seconds > 0');
  const checksPerTick = options.ownerChecksPerTick ?? 500;
  if (!Number.isInteger(checksPerTick) || checksPerTick < 0) throw new TypeError('ownerChecksPerTick must be an integer >= 0');
  const incrementalUpTo = options.incrementalOwnersUpTo ?? Infinity;
  if (typeof incrementalUpTo !== 'number' || !(incrementalUpTo >= 0)) throw new TypeError('incrementalOwnersUpTo must be a number >= 0');
  // The same checks and request as snapshot(): the sampler adds owners per tick itself.
  const sampled: SnapshotOptions = {
    protocols: options.protocols, families: options.families, procRoot: options.procRoot, netDir: options.netDir,
    backend: options.backend, source: options.source, info: options.info, memory: options.memory, cgroup: options.cgroup,
    filter: options.filter, ...(options.infoFields === undefined ? {} : { infoFields: options.infoFields }),
    ...(options.tcpStates === undefined ? {} : { tcpStates: options.tcpStates }),
  };
  const { backend, request, filter } = prepareSample(sampled);
  if (options.flows !== undefined && typeof options.flows !== 'boolean') throw new TypeError('flows must be a boolean');
  // Bytes by cookie need tcp_info (info) and the destroy events: the native backend, as info does.
  const tracker: FlowTracker | null = options.info === true && options.flows !== false
    ? createFlowTracker({ interval: interval > 0 ? interval : 1, backend: options.backend, ...(options.filter === undefined ? {} : { filter: options.filter }) })
    : null;
  const asked = netlinkAsked(sampled, filter);
  const cgroups = cgroupResolver(sampled, request.procRoot);
  const procRoot = request.procRoot;
  const owners = options.owners || filter?.needs.owners ? new IncrementalOwners(procRoot, checksPerTick) : null;
  // A full scan with every tick's sample (native): exact owners, nothing incremental.
  const exactEveryTick = backend.name === 'native' && fullScanEvery === 1;
  let lastRows = 0;
  let previous: Snapshot | null = null;
  // The tables of the last ticks, newest last. A tick's sample fills the tables of the tick `depth`
  // before it: 2 while ticks run one after the other (tick n fills tick n-2's, so that the previous
  // tick's stay intact for the diff), 3 once the iterator overlaps a tick's sample with the work on
  // the tick before it (which reads that tick's tables and its previous one's). Either way a
  // tick's snapshot stays valid until two ticks later were taken: copy what you keep longer.
  const buffers: RawSample[] = [];
  let depth = 2;
  // Samples taken (they number the full-scan cadence) and ticks finished (Tick.tick).
  let dumps = 0;
  let count = 0;
  let closed = false;
  // When the last full scan started: sample number and time.
  let lastFullDump = 0;
  let lastFullAt = 0;
  /** A sample was taken with a full owner scan for its tick, and that tick is not finished yet. */
  let fullPending = false;
  let background: Promise<void> | null = null;

  /** A full owner scan on the native backend's threads, merged into the owners at a later tick. */
  function scanInBackground(): void {
    const startTick = owners!.nextTick;
    const scan = backend.sampleAsync({ netDir: request.netDir, files: [], owners: true, procRoot, littleEndian: request.littleEndian });
    background = scan.then(
      (r) => {
        if (r.owners) owners!.offer(r.owners, startTick);
      },
      () => {
        // A failed scan is retried at the next due time; the incremental owners go on meanwhile.
      },
    ).finally(() => {
      background = null;
    });
  }

  /** A tick's first half: the sample, off the event loop with the native backend. */
  async function dump(slot: number | null, skippedSlots: number): Promise<Dumped> {
    const takenAt = Date.now();
    const now = performance.now();
    const seq = dumps++;
    // Past incrementalOwnersUpTo sockets (or with fullScanEvery 1), the native backend scans owners
    // with every tick's sample (on its threads) and the tick uses them as they are. The first tick
    // does not know the size yet: it does so too unless incrementalOwnersUpTo is Infinity.
    const direct = owners !== null && backend.name === 'native' &&
      (exactEveryTick || lastRows > incrementalUpTo || (seq === 0 && incrementalUpTo !== Infinity));
    // Otherwise a full scan is due every fullScanEvery ticks or fullScanSeconds: the first tick's
    // (and the TypeScript backend's) with the tick's sample, the native backend's in the background.
    // Not while the tick of a sample taken with one is still to be finished: it brings them.
    let inTick = false;
    if (owners !== null && !direct && !fullPending) {
      const due = owners.needsFullScan || seq - lastFullDump >= fullScanEvery || now - lastFullAt >= fullScanSeconds * 1000;
      let started = false;
      if (due && (owners.needsFullScan || backend.name !== 'native')) started = inTick = true;
      else if (due && background === null) {
        scanInBackground();
        started = true;
      }
      if (started) {
        lastFullDump = seq;
        lastFullAt = now;
      }
    }
    const older = buffers.length >= depth ? buffers[buffers.length - depth]! : null;
    const reuse = older ? request.files.map((name) => older.files.find((f) => f.name === name)?.table ?? null) : undefined;
    if (inTick) fullPending = true;
    try {
      // Ticks use one dump for tcp and tcp6 (native): a poller's cost is CPU, tick after tick.
      const raw = await backend.sampleAsync({ ...request, owners: direct || inTick, reuse, ...(backend.name === 'native' ? { oneTcpDump: true } : {}) });
      buffers.push(raw);
      if (buffers.length > 3) buffers.shift();
      return { raw, takenAt, slot, skippedSlots, direct, inTick };
    } catch (err) {
      if (inTick) fullPending = false;
      throw err;
    }
  }

  /** A tick's second half, on the event loop: owners, the snapshot, the diff and the flows. */
  async function finish(d: Dumped): Promise<Tick<SnapshotDiff | null>> {
    const { raw, takenAt } = d;
    if (d.inTick) fullPending = false;
    checkDumps(request, raw, asked);
    reportFilterPlaces(filter, raw);
    let snap = new Snapshot(backend.name, request, raw, takenAt, cgroups, processCgroupsOf(sampled, request.procRoot, raw));
    lastRows = snap.inet.reduce((n, t) => n + t.count, snap.unix?.count ?? 0);
    if (owners && d.direct) {
      owners.stats.fullScans++;
      owners.restart(); // back under the limit, the incremental owners start from a full scan
    } else if (owners) {
      const columns = snap.unix ? [...snap.inet, snap.unix] : snap.inet;
      if (d.inTick) raw.owners = await owners.fullScan(columns, raw.owners!);
      else if (owners.needsFullScan) {
        // The tick before ended the direct scans after this sample was taken: the full scan the
        // incremental owners start from, now (the sample's sockets are looked for in it as usual).
        const r = await backend.sampleAsync({ netDir: request.netDir, files: [], owners: true, procRoot, littleEndian: request.littleEndian });
        raw.owners = await owners.fullScan(columns, r.owners!);
      } else raw.owners = await owners.resolve(columns, (missing, ownersOf) => hintsFor(snap, missing, ownersOf));
      snap = new Snapshot(backend.name, request, raw, takenAt, cgroups, processCgroupsOf(sampled, request.procRoot, raw));
    }
    if (filter?.needs.owners) {
      applyOwnerFilter(filter, request, raw);
      snap = new Snapshot(backend.name, request, raw, takenAt, cgroups, processCgroupsOf(sampled, request.procRoot, raw));
    }
    const empty = new Snapshot(backend.name, request, { files: [], owners: null }, takenAt);
    const diff = withDiff ? await diffSnapshotsAsync(previous ?? empty, snap) : null;
    const tick: Tick<SnapshotDiff | null> = { tick: count++, slot: d.slot, skippedSlots: d.skippedSlots, snapshot: snap, diff };
    if (tracker !== null) tick.flows = tracker.update(snap);
    previous = snap;
    return tick;
  }

  // Ticks are finished one at a time, in order, whoever asks (next() while the iterator waits, or
  // two next() at once): a tick's owners and buffers build on the previous tick's. The samples are
  // taken in order too; `overlap` lets one start before the previous tick is finished (the
  // iterator's, on its slot), else it waits for it.
  let lastTaken: Promise<unknown> = Promise.resolve();
  let lastFinished: Promise<unknown> = Promise.resolve();
  function begin(slot: number | null, skipped: number, overlap: boolean): Begun {
    const taken = (overlap ? lastTaken : lastFinished).then(() => dump(slot, skipped));
    lastTaken = taken.catch(() => undefined);
    const tick = lastFinished.then(() => taken).then(finish);
    lastFinished = tick.catch(() => undefined);
    return { taken, tick };
  }

  // The iterator's wait for a slot, which close() ends at once.
  let wake: (() => void) | null = null;
  function sleep(ms: number): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        wake = null;
        resolve(!closed);
      }, ms);
      wake = () => {
        clearTimeout(timer);
        wake = null;
        resolve(false);
      };
    });
  }

  return {
    next: () => begin(null, 0, false).tick,
    get ownerStats() {
      return owners?.stats ?? null;
    },
    close() {
      closed = true;
      wake?.();
      tracker?.close();
    },
    async *[Symbol.asyncIterator]() {
      const ms = interval * 1000;
      if (ms <= 0) {
        for (let slot = 0; !closed; slot++) yield await begin(slot, 0, false).tick;
        return;
      }
      // Pipelined on the grid: once a tick's sample is in, the next one is set for its slot, and
      // runs (off the event loop) while this tick is finished and consumed. A slot is skipped only
      // when a sample ran past the next slot's start, or the consumer of a tick did.
      depth = 3;
      const start = performance.now();
      let slot = 0;
      let current: Begun | null = begin(0, 0, true);
      let upcoming: Promise<Begun | null> | null = null;
      try {
        while (current !== null && !closed) {
          try {
            await current.taken;
          } catch {
            // The tick says so below.
          }
          if (!closed) {
            const next = nextCycle(start, slot, ms, performance.now());
            const skipped = skippedSlots(slot, next);
            slot = next;
            upcoming = sleep(delayUntilCycle(start, next, ms, performance.now())).then((go) => (go ? begin(next, skipped, true) : null));
          }
          const t = await current.tick;
          yield t;
          current = upcoming === null ? null : await upcoming;
          upcoming = null;
        }
      } finally {
        // Stopped early: a slot waited for is not taken (a sample under way finishes on its own).
        wake?.();
      }
    },
  };
}

interface Dumped {
  raw: RawSample;
  takenAt: number;
  slot: number | null;
  skippedSlots: number;
  direct: boolean;
  inTick: boolean;
}

interface Begun {
  /** The sample is in. */
  taken: Promise<Dumped>;
  /** The tick is finished. */
  tick: Promise<Tick<SnapshotDiff | null>>;
}

/**
 * Pids likely to hold the missing inodes: the owners of the TCP listeners on their local ports
 * (an accepted connection is in its listener's process, as a rule). One pass over the TCP rows.
 */
function hintsFor(s: Snapshot, missing: ReadonlySet<number>, ownersOf: (inode: number) => ReadonlyArray<{ pid: number }> | undefined): number[] {
  const ports = new Set<number>();
  const listeners = new Map<number, number[]>();
  for (const t of s.inet) {
    if (t.proto !== 'tcp') continue;
    for (let i = 0; i < t.count; i++) {
      if (t.state[i] === 10) {
        const list = listeners.get(t.localPort[i]!);
        if (list) list.push(t.inode[i]!);
        else listeners.set(t.localPort[i]!, [t.inode[i]!]);
      } else if (missing.has(t.inode[i]!)) ports.add(t.localPort[i]!);
    }
  }
  const pids: number[] = [];
  for (const port of ports) for (const l of listeners.get(port) ?? []) for (const o of ownersOf(l) ?? []) pids.push(o.pid);
  return pids;
}
