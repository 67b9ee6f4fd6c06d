// Line splitting for the /proc/net parsers, over bytes in memory or streamed from a file in
// chunks. Both drivers hand a sink the same lines with the same numbers, so a table parsed from
// memory and one streamed from a file of the same bytes are identical (native/lines.h mirrors it).
import * as fs from 'node:fs';
import { STREAM_CHUNK, rowCapacity } from '../../model/contract';

export interface LineSink {
  /** Called once, before any line, with the first chunk (in memory too: its first STREAM_CHUNK bytes). */
  begin(first: Uint8Array): void;
  /** Line `lineNo` (1-based) is [start, eol) of `bytes`; `terminated`: a '\n' followed it. */
  line(bytes: Uint8Array, start: number, eol: number, lineNo: number, terminated: boolean): void;
  /** Line `lineNo` is longer than the sink's maximum: its bytes were not kept. */
  tooLong(lineNo: number): void;
}

/** The lines of `bytes`: a line longer than `max` bytes (without its '\n') goes to tooLong(). */
export function memoryLines(bytes: Uint8Array, max: number, sink: LineSink): void {
  // The first chunk the streamed path would see: tables come out identical either way.
  sink.begin(bytes.subarray(0, Math.min(bytes.length, STREAM_CHUNK)));
  let lineNo = 0;
  let pos = 0;
  const len = bytes.length;
  while (pos < len) {
    let eol = bytes.indexOf(10, pos);
    const terminated = eol !== -1;
    if (!terminated) eol = len;
    lineNo++;
    if (eol - pos > max) sink.tooLong(lineNo);
    else sink.line(bytes, pos, eol, lineNo, terminated);
    pos = eol + 1;
  }
}

let scratch = Buffer.allocUnsafe(0);

function errnoCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/**
 * Streams the file at `path` through `sink` in chunks of STREAM_CHUNK bytes: holds at most one
 * chunk plus one partial line of up to `max` bytes. Each chunk is read full (or to EOF), so the
 * chunk boundaries, and with them everything the sink sees, depend on the bytes only.
 * Returns null, or the errno name when the file cannot be opened or read.
 */
export function streamLines(path: string, max: number, sink: LineSink): string | null {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    return errnoCode(err);
  }
  try {
    if (scratch.length < max + STREAM_CHUNK) scratch = Buffer.allocUnsafe(max + STREAM_CHUNK);
    const buf = scratch;
    let carry = 0; // bytes of a partial line at the front of buf
    let lineNo = 0;
    let skipping = false; // inside a too-long line (numbered lineNo), until its '\n'
    let first = true;
    for (;;) {
      let filled = carry;
      const end = carry + STREAM_CHUNK;
      let eof = false;
      while (filled < end) {
        const n = fs.readSync(fd, buf, filled, end - filled, null);
        if (n === 0) {
          eof = true;
          break;
        }
        filled += n;
      }
      if (first) {
        sink.begin(buf.subarray(0, filled));
        first = false;
      }
      let pos = 0;
      if (skipping) {
        const nl = buf.indexOf(10, 0);
        if (nl === -1 || nl >= filled) {
          carry = 0;
          if (eof) {
            sink.tooLong(lineNo);
            return null;
          }
          continue;
        }
        sink.tooLong(lineNo);
        skipping = false;
        pos = nl + 1;
      }
      for (;;) {
        const nl = buf.indexOf(10, pos);
        if (nl === -1 || nl >= filled) break;
        lineNo++;
        if (nl - pos > max) sink.tooLong(lineNo);
        else sink.line(buf, pos, nl, lineNo, true);
        pos = nl + 1;
      }
      const rest = filled - pos;
      if (eof) {
        if (rest > 0) {
          lineNo++;
          if (rest > max) sink.tooLong(lineNo);
          else sink.line(buf, pos, filled, lineNo, false);
        }
        return null;
      }
      if (rest > max) {
        lineNo++;
        skipping = true;
        carry = 0;
      } else {
        buf.copyWithin(0, pos, filled);
        carry = rest;
      }
    }
  } catch (err) {
    return errnoCode(err);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The growth policy both backends share: a table starts with rowCapacity() of the first chunk
 * (so an input below STREAM_CHUNK bytes is sized exactly, and never grows) and
 * doubles, to at least GROW_MIN rows, when a row does not fit.
 */
export const GROW_MIN = 1024;
export function initialCapacity(first: Uint8Array): number {
  return rowCapacity(first);
}
export function grownCapacity(capacity: number): number {
  return Math.max(capacity * 2, GROW_MIN);
}
