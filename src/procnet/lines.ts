// The scanning the /proc/net parsers share: a file's lines as netstat's fgets()/getline() loops
// see them, and C-like field scanners (sscanf's %d and %X, strtoull, netstat's proc_gen_fmt). The
// field scanners are strict: a field is either a whole valid number or a problem. Text is a
// binary (latin1) string, one char per byte, so string comparison is C's strcmp.

/** A line a parser could not use: 1-based line number and what was wrong with it. */
export interface LineProblem {
  line: number;
  reason: string;
}

/**
 * Lines of a file as fgets() and getline() see them, without their '\n': the piece after the
 * last newline only if non-empty.
 */
export function fileLines(text: string): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** The blank-separated fields of a line. */
export function tokens(line: string): string[] {
  return line.split(/[ \t\r\f\v]+/).filter(Boolean);
}

/** sscanf %d: a decimal int; out-of-range values wrap to 32 bits as the int they land in. */
export function scanInt(tok: string | undefined): number | null {
  if (tok === undefined || !/^[+-]?\d{1,19}$/.test(tok)) return null;
  return Number(tok) | 0;
}

/** sscanf %d on a token that may go on with other characters: the leading decimal digits. */
export function scanDecimalPrefix(tok: string | undefined): number | null {
  const m = tok === undefined ? null : /^[+-]?\d{1,19}/.exec(tok);
  return m ? Number(m[0]) | 0 : null;
}

/** sscanf %d into an int, of text a pattern already matched as `[+-]?\d+`. */
export function toInt(text: string): number {
  return Number(text) | 0;
}

/** sscanf %X into an int: the low 32 bits of a hex number, as unsigned. */
export function scanHex(tok: string | undefined, maxDigits = 16): number | null {
  if (tok === undefined) return null;
  const digits = /^0[xX]/.test(tok) ? tok.slice(2) : tok;
  if (!/^[0-9a-fA-F]+$/.test(digits) || digits.length > maxDigits) return null;
  return parseInt(digits.slice(-8), 16) >>> 0;
}

/**
 * An IPv4 address the kernel printed as one %08X word: the u32 is in network byte order in
 * memory, so its bytes come out reversed on a little-endian machine (`010200C0` is 192.0.2.1)
 * and as they are on a big-endian one. netstat's INET_getsock() reads exactly 8 hex digits.
 */
export function hexWordAddress(tok: string | undefined, littleEndian: boolean): Uint8Array | null {
  if (tok === undefined || !/^[0-9a-fA-F]{8}$/.test(tok)) return null;
  return wordAddress(parseInt(tok, 16) >>> 0, littleEndian);
}

/** The 4 address bytes of a u32 word as it sits in memory. */
export function wordAddress(word: number, littleEndian: boolean): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, word >>> 0, littleEndian);
  return b;
}

/** An IPv6 address written as 32 hex digits in network order (the kernel's %pi6). */
export function hexAddress6(tok: string | undefined): Uint8Array | null {
  if (tok === undefined || !/^[0-9a-fA-F]{32}$/.test(tok)) return null;
  const b = new Uint8Array(16);
  for (let i = 0; i < 16; i++) b[i] = parseInt(tok.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/**
 * netstat's proc_gen_fmt(): walks the header's names (split on blanks and `|`) looking for the
 * wanted fields one after the other, in the order given; other columns are skipped. Returns the
 * column of each wanted field, or the first one it never found.
 */
export function headerColumns(header: string, wanted: readonly string[]): { columns: number[] } | { missing: string } {
  const names = header.split(/[ \t\n|]+/).filter(Boolean);
  const columns: number[] = [];
  for (let i = 0; i < names.length && columns.length < wanted.length; i++) {
    if (names[i] === wanted[columns.length]) columns.push(i);
  }
  return columns.length === wanted.length ? { columns } : { missing: wanted[columns.length]! };
}

/** C's isspace() in the C locale. */
export function isCSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';
}

export function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Skips what strspn(s, " \t\n") skips. */
export function skipSeparators(s: string, i: number): number {
  while (s[i] === ' ' || s[i] === '\t' || s[i] === '\n') i++;
  return i;
}

/** What C string functions see of a line: everything before a NUL byte. */
export function cString(line: string): string {
  const nul = line.indexOf('\0');
  return nul < 0 ? line : line.slice(0, nul);
}

const U64_MAX = (1n << 64n) - 1n;

/**
 * glibc strtoull(s + from, &end, 10): leading white space, an optional sign, decimal digits.
 * Without digits the value is 0 and `end` stays at `from`; a negative number wraps modulo 2^64;
 * anything above 2^64-1 saturates. netstat reads every counter this way, so a kernel's `-1`
 * (Tcp MaxConn) is 18446744073709551615.
 */
export function strtoull(s: string, from: number): { value: bigint; end: number } {
  let i = from;
  while (isCSpace(s[i])) i++;
  const negative = s[i] === '-';
  if (negative || s[i] === '+') i++;
  const digits = i;
  while (isDigit(s[i])) i++;
  if (i === digits) return { value: 0n, end: from };
  const magnitude = BigInt(s.slice(digits, i));
  if (magnitude > U64_MAX) return { value: U64_MAX, end: i };
  return { value: negative ? BigInt.asUintN(64, -magnitude) : magnitude, end: i };
}
