// Output written straight into one reused byte buffer: a listing of 100,000 rows builds no
// per-row strings or objects, so it costs no garbage collection. Text in and out is "binary"
// (latin1): one byte per char, as everywhere in the formatters.

/** Receives a filled chunk; must consume it before returning (the memory is reused). */
export type ByteSink = (chunk: Uint8Array) => void;

const SPACE = 0x20;

export class ByteWriter {
  /** The buffer being filled; after reserve(n), buf[pos, pos + n) may be written directly (then move pos). */
  buf: Buffer;
  /** Bytes written into `buf` and not yet flushed. */
  pos = 0;

  constructor(private readonly sink: ByteSink, size = 256 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(size, 64));
  }

  /** Makes room for `n` more bytes: flushes, or grows for one record longer than the buffer. */
  reserve(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = Buffer.allocUnsafe(Math.max(n, this.buf.length * 2));
  }

  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** A binary string, one byte per char. */
  text(s: string): void {
    this.reserve(s.length);
    this.pos += this.buf.write(s, this.pos, s.length, 'latin1');
  }

  bytes(src: Uint8Array, start = 0, end = src.length): void {
    const n = end - start;
    if (n >= this.buf.length) {
      // A run as big as the buffer (the addon's formatted rows) goes to the sink as it is: no copy.
      this.flush();
      this.sink(src.subarray(start, end));
      return;
    }
    this.reserve(n);
    const b = this.buf;
    let p = this.pos;
    if (n < 32) for (let i = start; i < end; i++) b[p++] = src[i]!;
    else {
      b.set(src.subarray(start, end), p);
      p += n;
    }
    this.pos = p;
  }

  byte(c: number): void {
    this.reserve(1);
    this.buf[this.pos++] = c;
  }

  spaces(n: number): void {
    if (n <= 0) return;
    this.reserve(n);
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < n; i++) b[p++] = SPACE;
    this.pos = p;
  }

  /** Decimal text of a whole number 0 <= n <= 2^53, right-aligned in `width` (padStart). */
  decimal(n: number, width = 0): void {
    const len = decimalLength(n);
    this.spaces(width - len);
    this.reserve(len);
    writeDecimal(this.buf, this.pos, n, len);
    this.pos += len;
  }

  /** Decimal text left-aligned in `width` (padEnd). */
  decimalLeft(n: number, width: number): void {
    const len = decimalLength(n);
    this.reserve(len);
    writeDecimal(this.buf, this.pos, n, len);
    this.pos += len;
    this.spaces(width - len);
  }
}

/** Digits of a whole number 0 <= n <= 2^53. */
export function decimalLength(n: number): number {
  let len = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    len++;
  }
  return len;
}

/** Writes the `len` digits of n ending at out[at + len - 1]. */
export function writeDecimal(out: Uint8Array, at: number, n: number, len: number): void {
  let p = at + len - 1;
  if (n <= 0x7fffffff) {
    let v = n | 0;
    do {
      const q = (v / 10) | 0;
      out[p--] = 0x30 + v - q * 10;
      v = q;
    } while (v > 0);
    return;
  }
  do {
    const q = Math.floor(n / 10);
    out[p--] = 0x30 + (n - q * 10);
    n = q;
  } while (n > 0);
}

/** latin1 bytes of a binary string (for constant labels). */
export function latin1Bytes(s: string): Uint8Array {
  return Buffer.from(s, 'latin1');
}

/** A ByteWriter that collects everything into one string (tests, small outputs). */
export function collectText(write: (w: ByteWriter) => void): string {
  const parts: string[] = [];
  const w = new ByteWriter((chunk) => parts.push(Buffer.from(chunk).toString('latin1')), 4096);
  write(w);
  w.flush();
  return parts.join('');
}

// Unchecked writers for a row's hot path: the caller reserved room; each returns the new position.

export function putBytes(out: Uint8Array, p: number, src: Uint8Array): number {
  for (let i = 0; i < src.length; i++) out[p++] = src[i]!;
  return p;
}

export function putSpaces(out: Uint8Array, p: number, n: number): number {
  for (let i = 0; i < n; i++) out[p++] = SPACE;
  return p;
}

/** Decimal n (0 <= n <= 2^53), right-aligned in `width`. */
export function putDecimalRight(out: Uint8Array, p: number, n: number, width: number): number {
  const len = decimalLength(n);
  p = putSpaces(out, p, width - len);
  writeDecimal(out, p, n, len);
  return p + len;
}

/** Decimal n, left-aligned in `width`. */
export function putDecimalLeft(out: Uint8Array, p: number, n: number, width: number): number {
  const len = decimalLength(n);
  writeDecimal(out, p, n, len);
  return putSpaces(out, p + len, width - len);
}
