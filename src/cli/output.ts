import type { ByteSink } from '../bytes/writer';

/** Where a CLI mode writes. Text is a binary (latin1) string: one char per byte. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
  /** Raw bytes to stdout, consumed before returning; without it bytes go through out(). */
  outBytes?(chunk: Uint8Array): void;
}

/** Discards everything: for a dry run of a mode. */
export const SILENT: Output = { out: () => {}, err: () => {}, outBytes: () => {} };

/** The byte sink of an Output (for ByteWriter). */
export function byteSink(io: Output): ByteSink {
  if (io.outBytes) return (chunk) => io.outBytes!(chunk);
  return (chunk) => io.out(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('latin1'));
}

/** Output wants binary strings (one char per byte): a Unicode text as its UTF-8 bytes. */
export function utf8(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}
