// One sample reduced to what the exporter (`netsnap serve`) and the recorder (`netsnap record`)
// keep: counts by protocol, family and state, queue bytes, LISTEN sockets' accept queues, the
// busiest service ports and processes (top-N, the rest aggregated), and the protocol counters of
// `-s` that fleet users watch (read by counters.ts). Works on the columns: no object per socket.
// Pure: no I/O.
import type { Snapshot } from '../model/snapshot';
import type { InetTable } from '../model/columns';
import { TCP_STATES, tcpStateName, unixStateName } from '../model/states';
import { addressText } from '../model/address';
import { isListener } from './listener';
import { tcpHealth } from './health';
import { socketsByContainer } from './containers';
import { EXT_INFO } from '../model/snapshot';

export type FamilyLabel = 'ipv4' | 'ipv6' | 'unix';

export interface StateCount {
  proto: string;
  family: FamilyLabel;
  state: string;
  count: number;
}

export interface QueueBytes {
  proto: string;
  family: FamilyLabel;
  /** Bytes waiting to be read by the application (Recv-Q), LISTEN sockets excluded. */
  receive: number;
  /** Bytes not yet acknowledged by the peer (Send-Q), LISTEN sockets excluded. */
  send: number;
}

export interface ListenerEntry {
  proto: 'tcp';
  family: 'ipv4' | 'ipv6';
  address: string;
  port: number;
  /** Connections waiting to be accepted now (the LISTEN row's Recv-Q). */
  acceptQueue: number;
  /** The listen() backlog the kernel enforces; null when the rows came from /proc, which lacks it. */
  backlog: number | null;
}

export interface PortCount {
  proto: string;
  port: number;
  sockets: number;
}

/** TCP sockets in one state on one TCP service port of the top-N (`Measurement.portStates`). */
export interface PortStateCount {
  port: number;
  state: string;
  count: number;
}

export interface ProcessCount {
  pid: number;
  program: string;
  sockets: number;
}

/** What the top-N lists left out, summed. */
export interface Rest {
  /** Entries (listeners, ports or processes) aggregated. */
  entries: number;
  sockets: number;
  acceptQueue?: number;
}

export interface Measurement {
  /** When the sample was taken (ms since the epoch). */
  t: number;
  /** How long the sample took (read, parse, owners), in milliseconds. */
  durationMs: number;
  sockets: number;
  states: StateCount[];
  queues: QueueBytes[];
  listeners: ListenerEntry[];
  listenersRest: Rest;
  /**
   * Service ports (a TCP LISTEN or a bound, unconnected UDP socket has them as local port), the
   * `top` with the most sockets on them, listener included. RAW sockets have no ports.
   */
  ports: PortCount[];
  /** The service ports beyond the top, plus every socket on a port nothing listens on (clients' ephemeral ports). */
  portsRest: Rest;
  /**
   * With `portStates: true`: the TCP sockets of each TCP port in `ports` by state, only the states
   * that occur (by port, then in the kernel's state order). The per-port sums equal `ports`' counts.
   */
  portStates?: PortStateCount[];
  /** null when owners were not mapped. */
  processes: ProcessCount[] | null;
  processesRest: Rest | null;
  /** Processes whose fds could not be read (permission). */
  processesDenied: number;
  /** Counters of `-s` by `Table.Name` (Tcp.RetransSegs, TcpExt.ListenOverflows, Udp6.NoPorts, …). */
  counters: Record<string, number>;
  /** Lines skipped as malformed in this sample. */
  skipped: number;
  /** With a sample taken with `info: true`: TCP health from tcp_info, host-wide and per top-N service port. */
  tcp?: TcpMeasure;
  /** With a sample taken with `cgroup: true` and owners: sockets of the top-N containers, the rest summed. */
  containers?: Array<{ runtime: string; id: string; sockets: number }>;
  containersRest?: Rest;
}

export interface TcpMeasure {
  connections: number;
  rttP50Us: number | null;
  rttP99Us: number | null;
  retransmitting: number;
  notsentBytes: number;
  ports: Array<{ port: number; connections: number; rttP50Us: number | null; rttP99Us: number | null; retransmitting: number; notsentBytes: number }>;
}

/** The tcp_info part of a measurement (null without tcp_info). */
export function tcpMeasure(snap: Snapshot, top: number): TcpMeasure | null {
  if (!(snap.extensions & EXT_INFO)) return null;
  const h = tcpHealth(snap, { top });
  if (h === null) return null;
  const { connections, rttP50Us, rttP99Us, retransmitting, notsentBytes } = h.health;
  return {
    connections, rttP50Us, rttP99Us, retransmitting, notsentBytes,
    ports: h.health.ports.map((p) => ({ port: p.port, connections: p.connections, rttP50Us: p.rttP50Us, rttP99Us: p.rttP99Us, retransmitting: p.retransmitting, notsentBytes: p.notsentBytes })),
  };
}

export interface MeasureOptions {
  /** Entries in each of the listener, port and process lists; the rest is aggregated. Default 20. */
  top?: number;
  durationMs?: number;
  counters?: Record<string, number>;
  /** Also count each top-N TCP service port's sockets by state (`portStates`). Default false. */
  portStates?: boolean;
}

const LISTEN = 10;

function familyOfFile(t: InetTable): 'ipv4' | 'ipv6' {
  return t.ipv6File ? 'ipv6' : 'ipv4';
}

function stateName(t: InetTable, state: number): string {
  if (t.proto === 'tcp') return (state >= 1 && TCP_STATES[state]) || 'UNKNOWN';
  return state === 1 ? 'ESTABLISHED' : state === 7 ? 'CLOSE' : 'UNKNOWN';
}

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The `top` biggest by `size` (ties by `key` order), and the rest summed. */
function topN<T>(all: T[], top: number, size: (e: T) => number, tie: (a: T, b: T) => number): { kept: T[]; rest: T[] } {
  const sorted = all.sort((a, b) => size(b) - size(a) || tie(a, b));
  return { kept: sorted.slice(0, top), rest: sorted.slice(top) };
}

/** Rows between the points where measureAsync() lets the event loop run. */
const STEP_ROWS = 8192;

/** The whole reduction in one go (fixture tests, small snapshots). */
export function measure(snap: Snapshot, options: MeasureOptions = {}): Measurement {
  const steps = reduce(snap, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * The same reduction, letting the event loop run every 8,192 rows: it is linear in the sockets,
 * and at a busy server's 100,000 one stretch of it would hold up an exporter's requests.
 */
export async function measureAsync(snap: Snapshot, options: MeasureOptions = {}): Promise<Measurement> {
  const steps = reduce(snap, options);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function* reduce(snap: Snapshot, options: MeasureOptions): Generator<void, Measurement> {
  const top = options.top ?? 20;
  if (!Number.isInteger(top) || top < 0) throw new TypeError('top must be an integer >= 0');
  const states = new Map<string, StateCount>();
  const queues = new Map<string, QueueBytes>();
  const listeners: ListenerEntry[] = [];
  // Service ports: those something listens on (TCP LISTEN; UDP bound and unconnected). Keyed
  // protoIndex * 65536 + port. Sockets on other local ports (the ephemeral ports of clients) are
  // all "other": a list of them would name different ports at every sample, and a Prometheus
  // label that takes a new value per connection makes a new series per connection.
  const ports = new Map<number, PortCount>();
  // With portStates: TCP sockets by state number, per TCP service port (keyed by port).
  const tcpPortStates = options.portStates ? new Map<number, Uint32Array>() : null;
  const protoIndex = ['tcp', 'udp', 'udplite'];
  let elsewhere = 0;
  for (const t of snap.inet) {
    const pi = protoIndex.indexOf(t.proto);
    if (pi < 0) continue;
    for (let i = 0; i < t.count; i++) {
      if (i % STEP_ROWS === STEP_ROWS - 1) yield;
      if (!isListener(t, i)) continue;
      const key = pi * 65536 + t.localPort[i]!;
      if (!ports.has(key)) ports.set(key, { proto: t.proto, port: t.localPort[i]!, sockets: 0 });
    }
  }
  let sockets = 0;

  for (const t of snap.inet) {
    const family = familyOfFile(t);
    const counts = new Uint32Array(256);
    let rx = 0;
    let tx = 0;
    const pi = protoIndex.indexOf(t.proto);
    for (let i = 0; i < t.count; i++) {
      if (i % STEP_ROWS === STEP_ROWS - 1) yield;
      const st = t.state[i]!;
      counts[st]!++;
      if (t.proto === 'tcp' && st === LISTEN) {
        const b = t.backlog(i);
        listeners.push({
          proto: 'tcp', family, address: addressText(t.localAddr, i * 16, t.familyOf(i)), port: t.localPort[i]!,
          acceptQueue: t.rxQueue[i]!, backlog: b === undefined ? null : b,
        });
      } else {
        rx += t.rxQueue[i]!;
        tx += t.txQueue[i]!;
      }
      if (pi >= 0) {
        const p = ports.get(pi * 65536 + t.localPort[i]!);
        if (p) {
          p.sockets++;
          if (tcpPortStates && pi === 0) {
            let byState = tcpPortStates.get(p.port);
            if (!byState) tcpPortStates.set(p.port, (byState = new Uint32Array(256)));
            byState[st]!++;
          }
        } else elsewhere++;
      }
    }
    sockets += t.count;
    for (let st = 0; st < 256; st++) {
      if (counts[st] === 0) continue;
      const state = stateName(t, st);
      const k = `${t.proto}/${family}/${state}`;
      const e = states.get(k);
      if (e) e.count += counts[st]!;
      else states.set(k, { proto: t.proto, family, state, count: counts[st]! });
    }
    const qk = `${t.proto}/${family}`;
    const q = queues.get(qk);
    if (q) {
      q.receive += rx;
      q.send += tx;
    } else queues.set(qk, { proto: t.proto, family, receive: rx, send: tx });
  }
  if (snap.unix) {
    const u = snap.unix;
    const counts = new Map<string, number>();
    for (let i = 0; i < u.count; i++) {
      if (i % STEP_ROWS === STEP_ROWS - 1) yield;
      const s = unixStateName(u.state[i]!, u.flags[i]!);
      counts.set(s, (counts.get(s) ?? 0) + 1);
    }
    sockets += u.count;
    for (const [state, count] of counts) states.set(`unix/unix/${state}`, { proto: 'unix', family: 'unix', state, count });
  }

  const order = (a: { proto: string; port: number }, b: { proto: string; port: number }) => byName(a.proto, b.proto) || a.port - b.port;
  const l = topN(listeners, top, (e) => e.acceptQueue, (a, b) => order(a, b) || byName(a.family, b.family) || byName(a.address, b.address));
  const p = topN([...ports.values()], top, (e) => e.sockets, order);

  let processes: ProcessCount[] | null = null;
  let processesRest: Rest | null = null;
  if (snap.owners) {
    const idx = snap.owners;
    const perPid = new Map<number, number>();
    const count = (inode: number) => {
      if (inode === 0) return;
      // Adjacent entries of one inode, by pid: a binary search finds the first.
      let last = -1;
      for (let j = idx.first(inode); j >= 0 && j < idx.count && idx.inodes[j] === inode; j++) {
        const pid = idx.pids[j]!;
        if (pid === last) continue; // one socket held through several fds of one process counts once
        last = pid;
        perPid.set(pid, (perPid.get(pid) ?? 0) + 1);
      }
    };
    for (const t of snap.inet) {
      for (let i = 0; i < t.count; i++) {
        if (i % STEP_ROWS === STEP_ROWS - 1) yield;
        count(t.inode[i]!);
      }
    }
    if (snap.unix) {
      for (let i = 0; i < snap.unix.count; i++) {
        if (i % STEP_ROWS === STEP_ROWS - 1) yield;
        count(snap.unix.inode[i]!);
      }
    }
    const all: Array<{ pid: number; sockets: number }> = [];
    for (const [pid, n] of perPid) all.push({ pid, sockets: n });
    const pr = topN(all, top, (e) => e.sockets, (a, b) => a.pid - b.pid);
    processes = pr.kept.map((e) => ({ pid: e.pid, program: idx.process(e.pid)?.name ?? '', sockets: e.sockets }));
    processesRest = { entries: pr.rest.length, sockets: pr.rest.reduce((n, e) => n + e.sockets, 0) };
  }

  return {
    t: snap.takenAt,
    durationMs: options.durationMs ?? 0,
    sockets,
    states: [...states.values()].sort((a, b) => byName(a.proto, b.proto) || byName(a.family, b.family) || byName(a.state, b.state)),
    queues: [...queues.values()].sort((a, b) => byName(a.proto, b.proto) || byName(a.family, b.family)),
    listeners: l.kept,
    listenersRest: {
      entries: l.rest.length, sockets: l.rest.length, acceptQueue: l.rest.reduce((n, e) => n + e.acceptQueue, 0),
    },
    ports: p.kept,
    portsRest: { entries: p.rest.length, sockets: p.rest.reduce((n, e) => n + e.sockets, elsewhere) },
    ...(tcpPortStates ? { portStates: portStateCounts(p.kept, tcpPortStates) } : {}),
    processes,
    processesRest,
    processesDenied: snap.owners?.pidsDenied ?? 0,
    counters: options.counters ?? {},
    skipped: snap.problems.length,
    ...tcpPart(snap, top),
  };
}

/** The kept TCP ports' sockets by state, states that occur only, in port order. */
function portStateCounts(kept: readonly PortCount[], byPort: ReadonlyMap<number, Uint32Array>): PortStateCount[] {
  const out: PortStateCount[] = [];
  const tcpPorts = kept.filter((e) => e.proto === 'tcp').map((e) => e.port).sort((a, b) => a - b);
  for (const port of tcpPorts) {
    const counts = byPort.get(port);
    if (!counts) continue;
    for (let st = 0; st < 256; st++) if (counts[st]! > 0) out.push({ port, state: tcpStateName(st), count: counts[st]! });
  }
  return out;
}

function tcpPart(snap: Snapshot, top: number): { tcp?: TcpMeasure; containers?: Measurement['containers']; containersRest?: Rest } {
  const t = tcpMeasure(snap, top);
  const out: { tcp?: TcpMeasure; containers?: Measurement['containers']; containersRest?: Rest } = t === null ? {} : { tcp: t };
  const c = socketsByContainer(snap);
  if (c !== null) {
    out.containers = c.slice(0, top).map((e) => ({ runtime: e.runtime, id: e.id, sockets: e.sockets }));
    const rest = c.slice(top);
    out.containersRest = { entries: rest.length, sockets: rest.reduce((n, e) => n + e.sockets, 0) };
  }
  return out;
}
