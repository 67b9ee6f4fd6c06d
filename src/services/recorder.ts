// The recorder: samples at a fixed interval and hands each record-v1 line (recording.ts) to the
// caller as soon as it exists, for a duration or until stopped. Nothing is kept between samples, so
// memory stays flat however long it runs. `netsnap record` puts it in a file beside a command.
import * as os from 'node:os';
import type { BackendName } from '../model/contract';
import { requestSource, type SourceOption } from '../model/snapshot';
import { getBackend } from '../backends/select';
import { INET_PROTOCOLS } from '../model/contract';
import { createSampler } from './sampler';
import { createFlowTracker, type FlowTracker, type ThroughputTick } from './throughput';
import type { RecordFlows } from './recording';
import { measuredSample } from './measured';
import { Grid } from './schedule';
import { RECORD_SCHEMA, type RecordEnd, type RecordSample, type RecordStart } from './recording';

/** Why and how a recording ended: the end line without its kind, time and sample count. */
export type RecordEndInfo = Omit<RecordEnd, 'kind' | 'endedAt' | 'samples'>;

/** The end of a recording that stopped without a reason given (the loop ended on its own). */
const STOPPED: RecordEndInfo = { reason: 'error', exitCode: null, signal: null, message: 'stopped' };

export interface RecorderOptions {
  /** Seconds between samples. Default 0.25. */
  interval?: number;
  /** Stop after this many seconds (reason 'duration'); null (default): until stop(). */
  duration?: number | null;
  /** Entries in each per-listener, per-port and per-process list. Default 10. */
  top?: number;
  /** Map sockets to processes. Default true. */
  owners?: boolean;
  procRoot?: string;
  backend?: BackendName;
  source?: SourceOption;
  /** tcp_info per sample (RTT percentiles, retransmitting connections); native backend. Default false. */
  info?: boolean;
  /** ss's filter expression: only the inet sockets it keeps are recorded (SnapshotOptions.filter), and no UNIX ones. */
  filter?: string;
  /** The command the recording goes with, for the start line. Default null. */
  command?: string[] | null;
  /** Receives the start line (before startRecorder returns) and every sample line. */
  write(line: RecordStart | RecordSample): void;
}

export interface Recorder {
  readonly start: RecordStart;
  /** Sample lines written so far. */
  readonly samples: number;
  /**
   * Ends the recording after the sample under way; the first reason given wins. With
   * `sampleAfter` (a Date.now() time), one more sample is taken when the last one started before
   * it: what a command left behind when it exited belongs in the recording.
   */
  stop(info: RecordEndInfo, options?: { sampleAfter?: number }): void;
  /** Resolves with the end reason once the last sample is written (a failed sample ends it too). */
  readonly done: Promise<RecordEndInfo>;
  /** The end line as of now (the caller writes it). */
  endLine(): RecordEnd;
}

/**
 * Starts recording. Bad options throw before anything is written; an exception from `write` for
 * the start line closes the recorder and propagates (the sink could not be opened, say).
 */
export function startRecorder(options: RecorderOptions): Recorder {
  const interval = options.interval ?? 0.25;
  if (typeof interval !== 'number' || !(interval > 0)) throw new TypeError('interval must be > 0 seconds');
  const duration = options.duration ?? null;
  if (duration !== null && !(typeof duration === 'number' && duration > 0)) throw new TypeError('duration must be > 0 seconds or null');
  const top = options.top ?? 10;
  const owners = options.owners ?? true;
  const procRoot = options.procRoot ?? '/proc';
  const netDir = `${procRoot}/net`;
  const sampler = createSampler({
    diff: false, flows: false, owners, procRoot, backend: options.backend, source: options.source, info: options.info ?? false,
    ...(options.filter === undefined ? {} : { filter: options.filter, protocols: INET_PROTOCOLS }),
  });
  const backend = getBackend(options.backend);
  // With info: bytes per port and process, closed connections included (throughput.ts).
  const tracker: FlowTracker | null = options.info
    ? createFlowTracker({ interval, backend: options.backend, ...(options.filter === undefined ? {} : { filter: options.filter }) })
    : null;
  const start: RecordStart = {
    schema: RECORD_SCHEMA, kind: 'start', startedAt: new Date().toISOString(), host: os.hostname(),
    interval, top, owners, backend: backend.name,
    source: requestSource(options.source, backend.name, netDir), command: options.command ?? null, duration,
    ...(options.filter === undefined ? {} : { filter: options.filter }),
  };
  try {
    options.write(start);
  } catch (err) {
    sampler.close();
    throw err;
  }

  let end: RecordEndInfo | null = null;
  let sampleAfter = -Infinity;
  let samples = 0;
  const grid = new Grid(interval * 1000);
  const stop = (info: RecordEndInfo, o: { sampleAfter?: number } = {}) => {
    if (end === null) {
      end = info;
      if (o.sampleAfter !== undefined) sampleAfter = o.sampleAfter;
    }
    grid.stop();
  };
  const startedAt = Date.now();
  const timer = duration !== null ? setTimeout(() => stop({ reason: 'duration', exitCode: null, signal: null }), duration * 1000) : null;

  const takeSample = async (): Promise<number> => {
    const { snapshot, measurement } = await measuredSample(sampler, netDir, top);
    const flows = tracker ? recordFlows(tracker.update(snapshot), top) : null;
    options.write({ kind: 'sample', seq: samples, elapsedMs: snapshot.takenAt - startedAt, ...measurement, ...(flows ? { flows } : {}) });
    samples++;
    return snapshot.takenAt;
  };

  const done = (async (): Promise<RecordEndInfo> => {
    try {
      let lastTakenAt = 0;
      while (end === null) {
        lastTakenAt = await takeSample();
        if (end !== null || !(await grid.next())) break;
      }
      if (lastTakenAt < sampleAfter) await takeSample();
    } catch (err) {
      stop({ reason: 'error', exitCode: null, signal: null, message: (err as Error).message });
    } finally {
      if (timer) clearTimeout(timer);
      sampler.close();
      tracker?.close();
    }
    end ??= STOPPED;
    return end;
  })();

  return {
    start,
    get samples() {
      return samples;
    },
    stop,
    done,
    endLine: () => ({ kind: 'end', endedAt: new Date().toISOString(), samples, ...(end ?? STOPPED) }),
  };
}

/** A tick's bytes as a sample's `flows`: totals and the top-N ports and processes by bytes. */
function recordFlows(t: ThroughputTick, top: number): RecordFlows {
  const byBytes = <T extends { txBytes: number; rxBytes: number }>(list: T[]) =>
    list.filter((x) => x.txBytes + x.rxBytes > 0).sort((a, b) => b.txBytes + b.rxBytes - (a.txBytes + a.rxBytes)).slice(0, top);
  return {
    txBytes: t.totals.txBytes, rxBytes: t.totals.rxBytes, retransBytes: t.totals.retransBytes, closed: t.totals.closed,
    eventsLost: t.events.overflows + t.events.lost + t.events.dropped,
    ports: byBytes(t.ports).map((p) => ({ port: p.port, txBytes: p.txBytes, rxBytes: p.rxBytes })),
    processes: byBytes(t.processes).map((p) => ({ pid: p.pid, program: p.program, txBytes: p.txBytes, rxBytes: p.rxBytes })),
  };
}
