// Byte-level field scanning shared by the TypeScript parsers. Everything works on
// (bytes, start, end) ranges: no per-line strings are created in the hot loop.

/** Splits [start, end) on spaces and tabs into at most `max` tokens; returns how many. */
export function tokenize(bytes: Uint8Array, start: number, end: number, starts: Int32Array, ends: Int32Array, max: number): number {
  let n = 0;
  let i = start;
  while (i < end && n < max) {
    let c = bytes[i]!;
    while (c === 32 || c === 9) {
      if (++i >= end) return n;
      c = bytes[i]!;
    }
    starts[n] = i;
    while (i < end && bytes[i] !== 32 && bytes[i] !== 9) i++;
    ends[n] = i;
    n++;
  }
  return n;
}

export function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 65 && c <= 70) return c - 55;
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/** Hex number of 1..maxDigits digits filling exactly [start, end); -1 when invalid. */
export function parseHex(bytes: Uint8Array, start: number, end: number, maxDigits: number): number {
  const len = end - start;
  if (len < 1 || len > maxDigits) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const d = hexDigit(bytes[i]!);
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Decimal number of 1..maxDigits digits filling exactly [start, end), at most `limit`; -1 when invalid. */
export function parseDec(bytes: Uint8Array, start: number, end: number, maxDigits: number, limit: number): number {
  const len = end - start;
  if (len < 1 || len > maxDigits) return -1;
  let v = 0;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= limit ? v : -1;
}

export const U32_MAX = 0xffffffff;
export const INODE_MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1: inodes stay exact in a Float64

/** Index of the first byte at or after `from` equal to `c`, or `end`. */
export function indexOf(bytes: Uint8Array, c: number, from: number, end: number): number {
  const i = bytes.indexOf(c, from);
  return i === -1 || i > end ? end : i;
}
