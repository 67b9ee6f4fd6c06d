// Terminal safety: the strings other users control (UNIX socket paths, argv[0], comm, user, host
// and cgroup names) as text a terminal only displays. A control character (C0 0x00-0x1f, DEL 0x7f,
// C1 U+0080-U+009F as its UTF-8 bytes C2 80..C2 9F) and every byte that is not part of valid UTF-8
// is shown as \xNN, one escape per byte; a backslash as \\, so an escape in the text and a real one
// can be told apart. Valid printable UTF-8 (é, CJK) is kept as it is.
//
// Used only where netsnap writes to a terminal (and not --literal): piped output keeps the bytes.

const BACKSLASH = 0x5c;
const HEX = '0123456789abcdef';

/** Bytes that need no escape: printable ASCII but the backslash. */
function plainAscii(b: number): boolean {
  return b >= 0x20 && b < 0x7f && b !== BACKSLASH;
}

/**
 * The length of the valid UTF-8 sequence of 2 to 4 bytes at `i` (no overlong forms, no
 * surrogates, nothing past U+10FFFF), or 0 when the bytes there are not one.
 */
function utf8Sequence(s: Uint8Array, i: number, end: number): number {
  const b = s[i]!;
  const cont = (k: number, lo = 0x80, hi = 0xbf) => i + k < end && s[i + k]! >= lo && s[i + k]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(1) ? 2 : 0;
  if (b === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if (b === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (b >= 0xe1 && b <= 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (b === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (b >= 0xf1 && b <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (b === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

export interface EscapeOptions {
  /** Keep newlines and tabs as they are: for a whole message whose lines are the printer's own (stderr). */
  keepLines?: boolean;
  /** At most this many bytes out (a column's room); an escape or a character is never cut in two. */
  limit?: number;
}

/**
 * `bytes` for a terminal: the same array when nothing needs escaping (and it fits `limit`),
 * else the escaped bytes.
 */
export function terminalSafeBytes(bytes: Uint8Array, options: EscapeOptions = {}): Uint8Array {
  const keepLines = options.keepLines === true;
  const limit = options.limit ?? Infinity;
  let i = 0;
  while (i < bytes.length && i < limit && plainAscii(bytes[i]!)) i++;
  // Plain ASCII up to the end or the room (the common case): no copy.
  if (i === bytes.length) return bytes;
  if (i === limit) return bytes.subarray(0, i);
  const out: number[] = [];
  for (let k = 0; k < i; k++) out.push(bytes[k]!);
  const escape = (...bs: number[]): boolean => {
    if (out.length + 4 * bs.length > limit) return false;
    for (const b of bs) out.push(BACKSLASH, 0x78, HEX.charCodeAt(b >> 4), HEX.charCodeAt(b & 15));
    return true;
  };
  while (i < bytes.length) {
    const b = bytes[i]!;
    let n = 1;
    if (plainAscii(b) || (keepLines && (b === 0x0a || b === 0x09))) {
      if (out.length + 1 > limit) break;
      out.push(b);
    } else if (b === BACKSLASH) {
      if (out.length + 2 > limit) break;
      out.push(BACKSLASH, BACKSLASH);
    } else if (b < 0x80) {
      if (!escape(b)) break;
    } else {
      n = utf8Sequence(bytes, i, bytes.length);
      if (n === 0) {
        n = 1;
        if (!escape(b)) break;
      } else if (n === 2 && b === 0xc2 && bytes[i + 1]! <= 0x9f) {
        // A C1 control as a code point: a terminal in UTF-8 mode may act on it as on the byte.
        if (!escape(b, bytes[i + 1]!)) break;
      } else {
        if (out.length + n > limit) break;
        for (let k = 0; k < n; k++) out.push(bytes[i + k]!);
      }
    }
    i += n;
  }
  return Uint8Array.from(out);
}

/** Anything but printable ASCII (the backslash included): such a binary string may need escaping. */
const NOT_PLAIN = /[^\x20-\x5b\x5d-\x7e]/;

/** A binary (latin1: one char per byte) string for a terminal, as terminalSafeBytes. */
export function terminalSafeBinary(text: string, options: EscapeOptions = {}): string {
  if (!NOT_PLAIN.test(text) && text.length <= (options.limit ?? Infinity)) return text;
  return Buffer.from(terminalSafeBytes(Buffer.from(text, 'latin1'), options)).toString('latin1');
}

/** Control characters and the backslash in a Unicode string. */
const UNSAFE_TEXT = /[\x00-\x1f\x5c\x7f-\x9f]/g;

/**
 * A Unicode string for a terminal (the modes that print decoded text: --summary, --watch, the
 * baseline report, events, top): its control characters as the \xNN of their UTF-8 bytes, a
 * backslash as \\. A byte that was not UTF-8 was decoded to U+FFFD before it got here, and stays so.
 */
export function terminalSafeText(text: string): string {
  return text.replace(UNSAFE_TEXT, (c) => {
    const code = c.charCodeAt(0);
    if (code === BACKSLASH) return '\\\\';
    const hex = (b: number) => `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
    return code < 0x80 ? hex(code) : `${hex(0xc2)}${hex(code)}`;
  });
}
