import * as fs from 'node:fs';
import type { ByteSink } from '../bytes/writer';
import { terminalSafeBinary, terminalSafeBytes, terminalSafeText } from '../bytes/escape';

/** Where a CLI mode writes. Text is a binary (latin1) string: one char per byte. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Raw bytes to stdout, consumed before returning; without it bytes go through out(). */
  outBytes?(chunk: Uint8Array): void;
  /**
   * stdout is a terminal and --literal was not given: the strings others control (paths, program,
   * user, host and cgroup names) are to be printed escaped (src/bytes/escape.ts). Piped: false.
   */
  readonly escapeOut?: boolean;
  /** This output with escaping off, stderr included (--literal). */
  literal?(): Output;
}

/** Discards everything: for a dry run of a mode. */
export const SILENT: Output = { out: () => {}, err: () => {}, outBytes: () => {} };

/** The byte sink of an Output (for ByteWriter). */
export function byteSink(io: Output): ByteSink {
  if (io.outBytes) return (chunk) => io.outBytes!(chunk);
  return (chunk) => io.out(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1'));
}

/**
 * `io` whose stdout is escaped as a whole on a terminal (its newlines and tabs kept), for printers
 * whose every name field may be someone else's: interface names (-i, -r, -g; anyone may name the
 * interfaces of a network namespace of their own), and the host and network names of -r and -g
 * (DNS, /etc/networks). `io` itself elsewhere.
 */
export function escapedOutput(io: Output): Output {
  if (io.escapeOut !== true) return io;
  const out: Output = {
    out: (text) => io.out(terminalSafeBinary(text, { keepLines: true })),
    err: (text) => io.err(text),
    escapeOut: true,
  };
  if (io.outBytes) out.outBytes = (chunk) => io.outBytes!(terminalSafeBytes(chunk, { keepLines: true }));
  if (io.literal) out.literal = () => io.literal!();
  return out;
}

/** The escaping of the strings others control, on a terminal; the identity elsewhere. */
export function shownText(io: Output): (text: string) => string {
  return io.escapeOut === true ? terminalSafeText : (text) => text;
}

/** Output wants binary strings (one char per byte): a Unicode text as its UTF-8 bytes. */
export function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/**
 * isatty(3) for fd, without loading node:tty (which loads net and stream: milliseconds of a short
 * listing's start) when fstat already answers: a pipe, a file or a socket is no terminal, and neither
 * is a memory device (major 1: /dev/null, where cron jobs and benchmarks send output). A closed fd
 * is none either, as node:tty says.
 */
export function isTerminal(fd: number): boolean {
  let st: fs.Stats;
  try {
    st = fs.fstatSync(fd);
  } catch {
    return false;
  }
  if (!st.isCharacterDevice() || Math.floor(st.rdev / 256) % 4096 === 1) return false;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:tty') as typeof import('node:tty')).isatty(fd);
}
