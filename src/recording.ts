// The file `netsnap record` writes and `netsnap report` reads: NDJSON, one object per line.
//
//   {"schema":"netsnap/record-v1","kind":"start",…}      once, first
//   {"kind":"sample","seq":0,"elapsedMs":0,…Measurement} one per sample, written as it is taken
//   {"kind":"end","reason":"duration",…}                 last, unless the recorder was killed
//
// Each line goes to the file with one write() as soon as it exists, so the file is valid NDJSON up
// to its last complete line whatever stops the recorder; a reader skips (and counts) a cut-off
// last line and treats a missing end line as "stopped without one".
import type { Measurement } from './measure';

export const RECORD_SCHEMA = 'netsnap/record-v1';

export interface RecordStart {
  schema: typeof RECORD_SCHEMA;
  kind: 'start';
  startedAt: string;
  host: string;
  /** Seconds between samples. */
  interval: number;
  /** Size of each top-N list (listeners, ports, processes). */
  top: number;
  owners: boolean;
  backend: string;
  /** Where inet sockets were read from in the first sample: 'proc' or 'netlink'. */
  source: string;
  /** The command run while recording (argv), or null. */
  command: string[] | null;
  /** Seconds to record for, or null (until the command exits or a signal). */
  duration: number | null;
}

export interface RecordSample extends Measurement {
  kind: 'sample';
  seq: number;
  /** Milliseconds since the recording started. */
  elapsedMs: number;
}

export interface RecordEnd {
  kind: 'end';
  endedAt: string;
  samples: number;
  /** Why it stopped: the duration ran out, the command exited, a signal (Ctrl-C), or an error. */
  reason: 'duration' | 'command' | 'signal' | 'error';
  /** The command's exit status when it exited normally. */
  exitCode: number | null;
  /** The signal that stopped the command or the recorder. */
  signal: string | null;
  message?: string;
}

export type RecordLine = RecordStart | RecordSample | RecordEnd;

export interface Recording {
  start: RecordStart;
  samples: RecordSample[];
  end: RecordEnd | null;
  /** Lines that were not valid record lines (a cut-off last line, garbage), with why. */
  skipped: Array<{ line: number; reason: string }>;
}

/** Parses a record file's text. Throws only when there is no start line. */
export function parseRecording(text: string): Recording {
  const lines = text.split('\n');
  let start: RecordStart | null = null;
  const samples: RecordSample[] = [];
  let end: RecordEnd | null = null;
  const skipped: Recording['skipped'] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      skipped.push({ line: i + 1, reason: i === lines.length - 1 ? 'cut off (no newline, not JSON)' : 'not JSON' });
      continue;
    }
    const o = v as { kind?: unknown; schema?: unknown };
    if (o === null || typeof o !== 'object') skipped.push({ line: i + 1, reason: 'not an object' });
    else if (o.kind === 'start' && o.schema === RECORD_SCHEMA && start === null) start = o as RecordStart;
    else if (o.kind === 'sample' && start !== null && isSample(o)) samples.push(o as RecordSample);
    else if (o.kind === 'end' && start !== null && end === null) end = o as RecordEnd;
    else skipped.push({ line: i + 1, reason: `unexpected ${JSON.stringify(o.kind ?? null)} line` });
  }
  if (start === null) throw new TypeError(`not a netsnap recording: no ${RECORD_SCHEMA} start line`);
  return { start, samples, end, skipped };
}

function isSample(o: object): boolean {
  const s = o as Partial<RecordSample>;
  return typeof s.t === 'number' && typeof s.elapsedMs === 'number' && typeof s.sockets === 'number'
    && Array.isArray(s.states) && Array.isArray(s.queues) && Array.isArray(s.listeners) && Array.isArray(s.ports)
    && typeof s.counters === 'object' && s.counters !== null;
}
