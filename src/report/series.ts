// The recording's samples turned into the time series the report draws, at full resolution:
// one value per sample (NaN where a series has no value, e.g. a rate before its second sample).
import type { RecordSample, Recording } from '../services/recording';
import { TCP_STATES } from '../model/states';

export type Unit = 'count' | 'bytes' | 'per-second';

export interface Series {
  label: string;
  /** One value per sample; NaN = no value there (drawn as a gap). */
  values: Float64Array;
  /** A limit drawn as a dashed line (a listen backlog), not a measurement: left out of the peaks. */
  limit?: boolean;
  /** Index into the palette; the series a limit belongs to shares its color. */
  color: number;
}

export interface Chart {
  id: string;
  title: string;
  unit: Unit;
  series: Series[];
  /** Said under the chart: how to read it. */
  note?: string;
  /** Said instead of the chart when there is nothing to draw. */
  empty?: string;
}

export interface Timeline {
  /** Seconds since the start of the recording, per sample. */
  seconds: Float64Array;
  /** When each sample was taken (ms since the epoch). */
  t: Float64Array;
}

/** More series than this in a chart is unreadable: the ones with the smallest peaks join "other". */
export const MAX_SERIES = 12;
/** The palette index of "other" (a neutral gray). */
export const OTHER_COLOR = -1;

export const COUNTERS = ['Tcp.RetransSegs', 'TcpExt.ListenOverflows', 'TcpExt.ListenDrops'] as const;

export function timeline(samples: RecordSample[]): Timeline {
  return {
    seconds: Float64Array.from(samples, (s) => s.elapsedMs / 1000),
    t: Float64Array.from(samples, (s) => s.t),
  };
}

// A hand-edited or damaged file must not crash the report: parseRecording() checks a sample's
// shape, not every value in it. A value that is not a number is a gap; a list that is not a list,
// or an entry that is not an object, is nothing.
const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);
const entries = <T>(v: readonly T[] | null | undefined): T[] =>
  Array.isArray(v) ? v.filter((e): e is T => typeof e === 'object' && e !== null) : [];

/** Series keyed by label, in the order labels first appear, filled with `fill` where a sample lacks one. */
class SeriesTable {
  private readonly byLabel = new Map<string, Float64Array>();
  constructor(private readonly n: number, private readonly fill: number) {}

  /** Adds up: one label can occur twice in a sample (a state in both families, two SO_REUSEPORT listeners). */
  add(label: string, i: number, value: number): void {
    let v = this.byLabel.get(label);
    if (!v) {
      v = new Float64Array(this.n).fill(this.fill);
      this.byLabel.set(label, v);
    }
    v[i] = (Number.isNaN(v[i]!) ? 0 : v[i]!) + value;
  }

  get(label: string): Float64Array | undefined {
    return this.byLabel.get(label);
  }

  labels(): string[] {
    return [...this.byLabel.keys()];
  }
}

/** The first largest value, gaps skipped; null when there is no value at all. */
export function peak(values: Float64Array): { value: number; index: number } | null {
  let index = -1;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!) && (index < 0 || values[i]! > values[index]!)) index = i;
  return index < 0 ? null : { value: values[index]!, index };
}

/** The sum of the values, gaps skipped. */
export function sum(values: Float64Array): number {
  let total = 0;
  for (const v of values) if (!Number.isNaN(v)) total += v;
  return total;
}

/** The mean of the values, gaps skipped; NaN when there is no value. */
export function mean(values: Float64Array): number {
  let n = 0;
  for (const v of values) if (!Number.isNaN(v)) n++;
  return n ? sum(values) / n : NaN;
}

const byPeakThenLabel = (a: { label: string; values: Float64Array }, b: { label: string; values: Float64Array }) =>
  (peak(b.values)?.value ?? 0) - (peak(a.values)?.value ?? 0) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0);

/**
 * The top-N series of a chart (ports, processes) plus "other": the recording's own rest sums
 * plus, past MAX_SERIES, the series with the smallest peaks. A port or process missing from a
 * sample's top list counts as 0 there: its sockets are in that sample's rest.
 */
function withOther(table: SeriesTable, rest: Float64Array, n: number): { series: Series[]; folded: number } {
  const all = table.labels().map((label) => ({ label, values: table.get(label)! })).sort(byPeakThenLabel);
  const kept = all.slice(0, MAX_SERIES);
  const other = Float64Array.from(rest);
  for (const s of all.slice(MAX_SERIES)) for (let i = 0; i < n; i++) other[i] = other[i]! + s.values[i]!;
  const series: Series[] = kept.map((s, k) => ({ label: s.label, values: s.values, color: k }));
  if (n > 0 && (peak(other)?.value ?? 0) > 0) series.push({ label: 'other', values: other, color: OTHER_COLOR });
  return { series, folded: all.length - kept.length };
}

const tcpStateOrder = (s: string) => {
  const i = TCP_STATES.indexOf(s);
  return i < 0 ? TCP_STATES.length : i;
};

/** TCP sockets by state (both families summed), in the kernel's state order. */
export function statesChart(samples: RecordSample[]): Chart {
  const table = new SeriesTable(samples.length, 0);
  samples.forEach((s, i) => {
    for (const e of entries(s.states)) if (e.proto === 'tcp') table.add(e.state, i, num(e.count));
  });
  const labels = table.labels().sort((a, b) => tcpStateOrder(a) - tcpStateOrder(b) || (a < b ? -1 : 1));
  return {
    id: 'states', title: 'TCP connection states over time', unit: 'count',
    series: labels.map((label, k) => ({ label, values: table.get(label)!, color: k })),
    empty: 'No TCP sockets in any sample.',
  };
}

/** Sockets by protocol (all families and states), and all sockets. */
export function protocolsChart(samples: RecordSample[]): Chart {
  const table = new SeriesTable(samples.length, 0);
  samples.forEach((s, i) => {
    for (const e of entries(s.states)) table.add(e.proto, i, num(e.count));
  });
  const series: Series[] = table.labels().map((label, k) => ({ label, values: table.get(label)!, color: k }));
  series.push({ label: 'total sockets', values: Float64Array.from(samples, (s) => s.sockets), color: series.length });
  return { id: 'protocols', title: 'Sockets per protocol', unit: 'count', series };
}

export function portsChart(samples: RecordSample[], top: string): Chart {
  const table = new SeriesTable(samples.length, 0);
  samples.forEach((s, i) => {
    for (const p of entries(s.ports)) table.add(`${p.proto}/${p.port}`, i, num(p.sockets));
  });
  const { series, folded } = withOther(table, Float64Array.from(samples, (s) => num(s.portsRest?.sockets)), samples.length);
  return {
    id: 'ports', title: 'Sockets per local port', unit: 'count', series,
    note: `Each sample lists its ${top} busiest ports; a port outside that list counts as 0 there and its sockets are in "other".`
      + (folded ? ` ${folded} more port(s) with smaller peaks are counted in "other".` : ''),
    empty: 'No inet sockets in any sample.',
  };
}

export function processesChart(samples: RecordSample[], top: string): Chart {
  const chart: Chart = { id: 'processes', title: 'Sockets per process', unit: 'count', series: [] };
  if (samples.length > 0 && samples.every((s) => !Array.isArray(s.processes))) {
    return { ...chart, empty: 'Owners were not mapped while recording (no process names): no per-process chart.' };
  }
  const table = new SeriesTable(samples.length, 0);
  samples.forEach((s, i) => {
    for (const p of entries(s.processes)) table.add(`${p.program}[${p.pid}]`, i, num(p.sockets));
  });
  const { series, folded } = withOther(table, Float64Array.from(samples, (s) => (s.processesRest ? num(s.processesRest.sockets) : 0)), samples.length);
  const denied = samples.reduce((m, s) => (num(s.processesDenied) > m ? num(s.processesDenied) : m), 0);
  return {
    ...chart, series,
    note: `Each sample lists its ${top} processes with the most sockets; a process outside that list counts as 0 there and its sockets are in "other".`
      + (folded ? ` ${folded} more process(es) with smaller peaks are counted in "other".` : '')
      + (denied ? ` Up to ${denied} process(es) could not be read (permission): their sockets are not counted.` : ''),
    empty: 'No socket owned by a process in any sample.',
  };
}

const listenerLabel = (l: { family: string; address: string; port: number }) =>
  l.family === 'ipv6' ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`;

/**
 * Accept queues of the listeners that ever had a connection waiting, each with its backlog (the
 * queue's limit) as a dashed line where known. Listeners whose queue stayed empty are only counted:
 * a flat line at 0 per idle listener would hide the ones that matter.
 */
export function acceptQueueChart(samples: RecordSample[]): Chart {
  const queue = new SeriesTable(samples.length, 0);
  const backlog = new SeriesTable(samples.length, NaN);
  samples.forEach((s, i) => {
    for (const l of entries(s.listeners)) {
      const label = listenerLabel(l);
      queue.add(label, i, num(l.acceptQueue));
      if (typeof l.backlog === 'number') backlog.add(label, i, num(l.backlog));
    }
  });
  const all = queue.labels().map((label) => ({ label, values: queue.get(label)! }));
  const busy = all.filter((s) => (peak(s.values)?.value ?? 0) > 0).sort(byPeakThenLabel).slice(0, MAX_SERIES / 2);
  const series: Series[] = [];
  busy.forEach((s, k) => {
    series.push({ label: s.label, values: s.values, color: k });
    const b = backlog.get(s.label);
    if (b) series.push({ label: `${s.label} backlog`, values: b, color: k, limit: true });
  });
  const idle = all.length - all.filter((s) => (peak(s.values)?.value ?? 0) > 0).length;
  return {
    id: 'accept-queue', title: 'Accept queue (connections waiting to be accepted)', unit: 'count', series,
    note: 'Dashed: the listen() backlog, the most connections the queue holds before the kernel drops new ones.'
      + (idle && busy.length ? ` ${idle} other listener(s) never had a connection waiting.` : ''),
    empty: all.length
      ? `No connection ever waited in an accept queue (${all.length} listener(s) seen).`
      : 'No TCP listener in any sample.',
  };
}

/**
 * How much a counter grew from each sample to the next, at the later sample (NaN at the first, or
 * where either sample lacks it). A counter that went backwards was reset (a reboot, a new
 * namespace): that step is 0, not a negative change.
 */
export function counterSteps(samples: RecordSample[], name: string): Float64Array {
  const steps = new Float64Array(samples.length).fill(NaN);
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!.counters[name];
    const b = samples[i]!.counters[name];
    if (typeof a === 'number' && typeof b === 'number') steps[i] = b < a ? 0 : b - a;
  }
  return steps;
}

/**
 * Per-second rates of the counters: step / ((t[i] - t[i-1]) / 1000), placed at sample i. A
 * counter absent from every sample has no series.
 */
export function ratesChart(samples: RecordSample[]): Chart {
  const series: Series[] = [];
  for (const name of COUNTERS) {
    if (!samples.some((s) => typeof s.counters[name] === 'number')) continue;
    const values = counterSteps(samples, name);
    for (let i = 1; i < samples.length; i++) {
      const dt = (samples[i]!.t - samples[i - 1]!.t) / 1000;
      values[i] = dt > 0 ? values[i]! / dt : NaN;
    }
    series.push({ label: `${name}/s`, values, color: series.length });
  }
  return {
    id: 'rates', title: 'Retransmits and listen drops', unit: 'per-second', series,
    note: 'Per second, from the change of each counter between consecutive samples (a counter reset counts as 0).',
    empty: samples.length < 2
      ? 'Rates need at least two samples.'
      : 'None of Tcp.RetransSegs, TcpExt.ListenOverflows, TcpExt.ListenDrops was recorded.',
  };
}

/** Bytes waiting in receive and send queues, all protocols summed (LISTEN rows excluded). */
export function queuesChart(samples: RecordSample[]): Chart {
  const sum = (s: RecordSample, k: 'receive' | 'send') => entries(s.queues).reduce((n, q) => n + num(q[k]), 0);
  return {
    id: 'queues', title: 'Queue bytes', unit: 'bytes',
    series: [
      { label: 'receive', values: Float64Array.from(samples, (s) => sum(s, 'receive')), color: 0 },
      { label: 'send', values: Float64Array.from(samples, (s) => sum(s, 'send')), color: 1 },
    ],
    note: 'Receive: bytes the applications have not read yet. Send: bytes the peers have not acknowledged yet.',
  };
}

/** RTT percentiles of the recording's TCP connections (record --info), in µs. */
export function rttChart(samples: RecordSample[]): Chart {
  const v = (s: RecordSample, k: 'rttP50Us' | 'rttP99Us') => num(s.tcp?.[k] ?? 0);
  return {
    id: 'rtt', title: 'TCP round-trip time (µs, smoothed, from tcp_info)', unit: 'count',
    series: [
      { label: 'p50', values: Float64Array.from(samples, (s) => v(s, 'rttP50Us')), color: 0 },
      { label: 'p99', values: Float64Array.from(samples, (s) => v(s, 'rttP99Us')), color: 1 },
    ],
    note: 'Over the connections the kernel keeps tcp_info for (LISTEN sockets and TIME_WAIT left out).',
  };
}

/** Connections retransmitting at each sample (record --info). */
export function retransmittingChart(samples: RecordSample[]): Chart {
  return {
    id: 'retransmitting', title: 'TCP connections retransmitting', unit: 'count',
    series: [{ label: 'retransmitting', values: Float64Array.from(samples, (s) => num(s.tcp?.retransmitting ?? 0)), color: 3 }],
    note: 'Connections with retransmitted segments not yet acknowledged (tcpi_retrans > 0) when the sample was taken.',
  };
}

/** Seconds between sample i and the one before it (NaN for the first). */
function gap(samples: RecordSample[], i: number): number {
  return i === 0 ? NaN : (samples[i]!.t - samples[i - 1]!.t) / 1000;
}

/** Host-wide TCP bytes per second, closed connections included (record --info). */
export function throughputChart(samples: RecordSample[]): Chart {
  const rate = (k: 'txBytes' | 'rxBytes' | 'retransBytes') =>
    Float64Array.from(samples, (s, i) => {
      const dt = gap(samples, i);
      return s.flows && dt > 0 ? num(s.flows[k]) / dt : NaN;
    });
  return {
    id: 'throughput', title: 'TCP throughput (bytes/s, from tcp_info and the destroy events)', unit: 'per-second',
    series: [
      { label: 'sent (acknowledged)', values: rate('txBytes'), color: 0 },
      { label: 'received', values: rate('rxBytes'), color: 1 },
      { label: 'retransmitted', values: rate('retransBytes'), color: 3 },
    ],
    note: 'Bytes moved between consecutive samples over the time between them, connections that opened and closed in between included; the first sample is the baseline.',
  };
}

/** Bytes per second of the busiest service ports (record --info). */
export function portThroughputChart(samples: RecordSample[], top: string): Chart {
  const table = new SeriesTable(samples.length, 0);
  const rest = new Float64Array(samples.length);
  samples.forEach((s, i) => {
    const dt = gap(samples, i);
    if (!s.flows || !(dt > 0)) return;
    let listed = 0;
    for (const p of entries(s.flows.ports)) {
      const b = num(p.txBytes) + num(p.rxBytes);
      listed += b;
      table.add(`tcp/${p.port}`, i, b / dt);
    }
    rest[i] = Math.max(0, num(s.flows.txBytes) + num(s.flows.rxBytes) - listed) / dt;
  });
  const { series, folded } = withOther(table, rest, samples.length);
  return {
    id: 'port-throughput', title: 'TCP bytes/s per service port (sent + received)', unit: 'per-second', series,
    note: `Each sample lists its ${top} busiest ports by bytes; the rest of the host's bytes are in "other".`
      + (folded ? ` ${folded} more port(s) with smaller peaks are counted in "other".` : ''),
    empty: 'No TCP bytes moved in any sample.',
  };
}

/** Every chart of the report, in page order. */
export function charts(rec: Recording): Chart[] {
  const { samples } = rec;
  const top = Number.isInteger(rec.start.top) ? String(rec.start.top) : 'N';
  return [
    statesChart(samples),
    protocolsChart(samples),
    portsChart(samples, top),
    processesChart(samples, top),
    acceptQueueChart(samples),
    ratesChart(samples),
    queuesChart(samples),
    ...(samples.some((s) => s.tcp !== undefined) ? [rttChart(samples), retransmittingChart(samples)] : []),
    ...(samples.some((s) => s.flows !== undefined) ? [throughputChart(samples), portThroughputChart(samples, top)] : []),
  ];
}
