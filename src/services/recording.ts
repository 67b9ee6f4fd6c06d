// The file `netsnap record` writes and `netsnap report` reads: NDJSON, one object per line.
//
//   {"schema":"netsnap/record-v1","kind":"start",…}      once, first
//   {"kind":"sample","seq":0,"elapsedMs":0,…Measurement} one per sample, written as it is taken
//   {"kind":"end","reason":"duration",…}                 last, unless the recorder was killed
//
// Each line goes to the file with one write() as soon as it exists, so the file is valid NDJSON up
// to its last complete line whatever stops the recorder; a reader skips (and counts) a cut-off
// last line and treats a missing end line as "stopped without one".
import type { Measurement } from '../analysis/measure';
import { NetsnapError } from '../model/errors';

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
  /** The filter expression the recording is scoped with; absent when none. */
  filter?: string;
}

export interface RecordSample extends Measurement {
  kind: 'sample';
  seq: number;
  /** Milliseconds since the recording started. */
  elapsedMs: number;
  /** With `info`: TCP bytes moved since the previous sample, closed connections included. */
  flows?: RecordFlows;
}

/** TCP bytes moved since the previous sample (the first is the baseline: all 0). */
export interface RecordFlows {
  /** Acknowledged by the peers. */
  txBytes: number;
  rxBytes: number;
  retransBytes: number;
  /** Connections that closed. */
  closed: number;
  /** Destroy events lost so far (their connections' last bytes are missing). */
  eventsLost: number;
  /** The top-N service ports and processes by bytes in this sample. */
  ports: Array<{ port: number; txBytes: number; rxBytes: number }>;
  processes: Array<{ pid: number; program: string; txBytes: number; rxBytes: number }>;
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
  const reader = new RecordingReader();
  for (let i = 0; i < lines.length; i++) reader.line(lines[i]!, i + 1, i === lines.length - 1);
  return reader.finish();
}

/**
 * Parses a record file as it is read, chunk by chunk (a stream of Buffers or strings), so an
 * hour at 10 Hz never exists as one string. Same result as parseRecording() on the whole text.
 */
export async function parseRecordingStream(chunks: AsyncIterable<string | Buffer>): Promise<Recording> {
  const reader = new RecordingReader();
  const decoder = new TextDecoder('utf-8');
  let pending = '';
  let lineNo = 0;
  for await (const chunk of chunks) {
    pending += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let from = 0;
    for (let nl = pending.indexOf('\n'); nl >= 0; nl = pending.indexOf('\n', from)) {
      reader.line(pending.slice(from, nl), ++lineNo, false);
      from = nl + 1;
    }
    pending = pending.slice(from);
    // A sample line is a few KB: this is not a recording (a binary file, /dev/zero), don't eat the memory.
    if (pending.length > MAX_LINE) throw new NetsnapError('ERR_BAD_FILE', `not a netsnap recording: line ${lineNo + 1} is longer than ${MAX_LINE} characters`, { line: lineNo + 1 });
  }
  pending += decoder.decode();
  // What follows the last newline is the last line, as in parseRecording(): usually empty.
  reader.line(pending, ++lineNo, true);
  return reader.finish();
}

const MAX_LINE = 64 << 20;

/** One line at a time; `last` says the line had no newline after it (the file ends there). */
class RecordingReader {
  private start: RecordStart | null = null;
  private readonly samples: RecordSample[] = [];
  private end: RecordEnd | null = null;
  private readonly skipped: Recording['skipped'] = [];

  line(line: string, lineNo: number, last: boolean): void {
    if (line.trim() === '') return;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      this.skipped.push({ line: lineNo, reason: last ? 'cut off (no newline, not JSON)' : 'not JSON' });
      return;
    }
    const o = v as { kind?: unknown; schema?: unknown };
    if (o === null || typeof o !== 'object') this.skipped.push({ line: lineNo, reason: 'not an object' });
    else if (o.kind === 'start' && o.schema === RECORD_SCHEMA && this.start === null) this.start = o as RecordStart;
    else if (o.kind === 'sample' && this.start !== null && isSample(o)) this.samples.push(o as RecordSample);
    else if (o.kind === 'end' && this.start !== null && this.end === null) this.end = o as RecordEnd;
    else this.skipped.push({ line: lineNo, reason: `unexpected ${JSON.stringify(o.kind ?? null)} line` });
  }

  finish(): Recording {
    if (this.start === null) throw new NetsnapError('ERR_BAD_FILE', `not a netsnap recording: no ${RECORD_SCHEMA} start line`);
    return { start: this.start, samples: this.samples, end: this.end, skipped: this.skipped };
  }
}

function isSample(o: object): boolean {
  const s = o as Partial<RecordSample>;
  return typeof s.t === 'number' && typeof s.elapsedMs === 'number' && typeof s.sockets === 'number'
    && Array.isArray(s.states) && Array.isArray(s.queues) && Array.isArray(s.listeners) && Array.isArray(s.ports)
    && typeof s.counters === 'object' && s.counters !== null;
}
