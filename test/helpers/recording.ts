// What the report tests check a report against, computed straight from a record-v1 file's lines
// (not through src/report), and what they read back out of the report's HTML.
import * as fs from 'node:fs';
import type { RecordSample, RecordStart } from '../../src/services/recording';

export function readSamples(file: string): RecordSample[] {
  return fs.readFileSync(file, 'utf8').split('\n').flatMap((line) => {
    try {
      const v = JSON.parse(line) as { kind?: string };
      return v.kind === 'sample' ? [v as RecordSample] : [];
    } catch {
      return [];
    }
  });
}

/** Sum of the TCP sockets in `state`, both families, per sample. */
export const tcpState = (samples: RecordSample[], state: string): number[] =>
  samples.map((s) => s.states.filter((e) => e.proto === 'tcp' && e.state === state).reduce((n, e) => n + e.count, 0));

/** Per-second rate of a counter between consecutive samples (a counter going back: 0); one fewer than samples. */
export const counterRate = (samples: RecordSample[], name: string): number[] =>
  samples.slice(1).map((b, i) => {
    const a = samples[i]!;
    const d = b.counters[name]! - a.counters[name]!;
    return d < 0 ? 0 : d / ((b.t - a.t) / 1000);
  });

export const max = (values: number[]): number => values.reduce((m, v) => Math.max(m, v), -Infinity);

export interface DrawnPath {
  series: string;
  points: number;
  max: number;
}

/** The series drawn in the chart `id`: the `<path data-series>` elements of its svg. */
export function drawnSeries(html: string, id: string): DrawnPath[] | null {
  const svg = new RegExp(`<svg data-chart="${id}"[^>]*>([\\s\\S]*?)</svg>`).exec(html);
  if (!svg) return null;
  return [...svg[1]!.matchAll(/<path data-series="([^"]*)" data-points="(\d+)" data-max="([^"]*)"/g)]
    .map((m) => ({ series: unescapeHtml(m[1]!), points: Number(m[2]), max: Number(m[3]) }));
}

export function unescapeHtml(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

export const START: RecordStart = {
  schema: 'netsnap/record-v1', kind: 'start', startedAt: '2026-11-20T08:00:00.000Z', host: 'db-2', interval: 1, top: 3,
  owners: true, backend: 'js', source: 'proc', command: null, duration: null,
};

/** A small valid sample at `seq` seconds; `over` replaces fields. */
export function sample(seq: number, over: Partial<RecordSample> = {}): RecordSample {
  return {
    kind: 'sample', seq, elapsedMs: seq * 1000, t: Date.parse(START.startedAt) + seq * 1000, durationMs: 1,
    sockets: 3,
    states: [
      { proto: 'tcp', family: 'ipv4', state: 'ESTABLISHED', count: 2 },
      { proto: 'tcp', family: 'ipv4', state: 'LISTEN', count: 1 },
    ],
    queues: [{ proto: 'tcp', family: 'ipv4', receive: 0, send: 0 }],
    listeners: [{ proto: 'tcp', family: 'ipv4', address: '0.0.0.0', port: 80, acceptQueue: 0, backlog: null }],
    listenersRest: { entries: 0, sockets: 0, acceptQueue: 0 },
    ports: [{ proto: 'tcp', port: 80, sockets: 3 }],
    portsRest: { entries: 0, sockets: 0 },
    processes: [{ pid: 7, program: 'nginx', sockets: 3 }],
    processesRest: { entries: 0, sockets: 0 },
    processesDenied: 0,
    counters: { 'Tcp.RetransSegs': 0 },
    skipped: 0,
    ...over,
  };
}

/** A record-v1 file's text. */
export function ndjson(start: RecordStart, samples: RecordSample[], end: object | null): string {
  return [start, ...samples, ...(end ? [end] : [])].map((l) => `${JSON.stringify(l)}\n`).join('');
}

export interface Expected {
  points: number;
  max: number;
  /** The first sample at the peak (rates: the sample ending the step). */
  at: number;
}

/**
 * Every series the report should draw for these samples, by chart id and label, computed from
 * the samples the plain way. Assumes at most 12 ports and processes (nothing folded into "other").
 */
export function expectedSeries(samples: RecordSample[]): Map<string, Map<string, Expected>> {
  const charts = new Map<string, Map<string, Expected>>();
  const put = (chart: string, label: string, values: Array<number | null>, offset = 0) => {
    const drawn = values.filter((v): v is number => v !== null);
    const m = max(drawn);
    if (!charts.has(chart)) charts.set(chart, new Map());
    charts.get(chart)!.set(label, { points: drawn.length, max: m, at: values.indexOf(m) + offset });
  };
  const union = <T>(f: (s: RecordSample) => T[]) => [...new Set(samples.flatMap(f))];
  for (const state of union((s) => s.states.filter((e) => e.proto === 'tcp').map((e) => e.state))) {
    put('states', state, tcpState(samples, state));
  }
  for (const proto of union((s) => s.states.map((e) => e.proto))) {
    put('protocols', proto, samples.map((s) => s.states.filter((e) => e.proto === proto).reduce((a, e) => a + e.count, 0)));
  }
  put('protocols', 'total sockets', samples.map((s) => s.sockets));
  for (const label of union((s) => s.ports.map((p) => `${p.proto}/${p.port}`))) {
    put('ports', label, samples.map((s) => s.ports.find((p) => `${p.proto}/${p.port}` === label)?.sockets ?? 0));
  }
  if (samples.some((s) => s.portsRest.sockets > 0)) put('ports', 'other', samples.map((s) => s.portsRest.sockets));
  for (const label of union((s) => (s.processes ?? []).map((p) => `${p.program}[${p.pid}]`))) {
    put('processes', label, samples.map((s) => s.processes?.find((p) => `${p.program}[${p.pid}]` === label)?.sockets ?? 0));
  }
  if (samples.some((s) => (s.processesRest?.sockets ?? 0) > 0)) put('processes', 'other', samples.map((s) => s.processesRest?.sockets ?? 0));
  const listener = (l: RecordSample['listeners'][number]) => (l.family === 'ipv6' ? `[${l.address}]:${l.port}` : `${l.address}:${l.port}`);
  for (const label of union((s) => s.listeners.map(listener))) {
    const queue = samples.map((s) => s.listeners.find((l) => listener(l) === label)?.acceptQueue ?? 0);
    if (max(queue) === 0) continue;
    put('accept-queue', label, queue);
    put('accept-queue', `${label} backlog`, samples.map((s) => s.listeners.find((l) => listener(l) === label)?.backlog ?? null));
  }
  for (const name of ['Tcp.RetransSegs', 'TcpExt.ListenOverflows', 'TcpExt.ListenDrops']) {
    if (samples.some((s) => name in s.counters)) put('rates', `${name}/s`, counterRate(samples, name), 1);
  }
  put('queues', 'receive', samples.map((s) => s.queues.reduce((a, q) => a + q.receive, 0)));
  put('queues', 'send', samples.map((s) => s.queues.reduce((a, q) => a + q.send, 0)));
  return charts;
}

/** The sample lines a recorder has written to `file` so far (none when it is not there yet). */
export function samplesIn(file: string): RecordSample[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.startsWith('{"kind":"sample"')).map((l) => JSON.parse(l) as RecordSample);
}

/** Polls `ok` every 50 ms until it holds; throws after `ms` (a bound, not a timing assertion). */
export async function until(ok: () => boolean, what: string, ms = 60_000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
