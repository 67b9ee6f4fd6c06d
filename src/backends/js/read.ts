// One /proc file into a reusable buffer. /proc files report no useful size and change while
// they are read, so we read until EOF and grow the buffer when it fills.
import * as fs from 'node:fs';
import type { ReadResult } from '../../model/contract';

let scratch = Buffer.allocUnsafe(64 * 1024);

function errnoCode(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/** Reads into the shared scratch buffer; the returned view is valid until the next call. */
export function readIntoScratch(path: string): ReadResult {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    return { ok: false, code: errnoCode(err) };
  }
  try {
    let used = 0;
    for (;;) {
      if (used === scratch.length) {
        const bigger = Buffer.allocUnsafe(scratch.length * 2);
        scratch.copy(bigger, 0, 0, used);
        scratch = bigger;
      }
      const n = fs.readSync(fd, scratch, used, scratch.length - used, null);
      if (n === 0) break;
      used += n;
    }
    return { ok: true, bytes: new Uint8Array(scratch.buffer, scratch.byteOffset, used) };
  } catch (err) {
    return { ok: false, code: errnoCode(err) };
  } finally {
    fs.closeSync(fd);
  }
}

export function readProcFile(path: string): ReadResult {
  const r = readIntoScratch(path);
  return r.ok ? { ok: true, bytes: r.bytes.slice() } : r;
}
