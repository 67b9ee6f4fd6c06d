// The one escaping of the strings others control, for a terminal (src/bytes/escape.ts): control
// characters (C0, DEL, C1 as a byte and as a UTF-8 code point) and bytes that are not UTF-8 as \xNN,
// a backslash as \\, valid printable UTF-8 kept; a column's room never cuts an escape or a character.
import { describe, expect, it } from 'vitest';
import { terminalSafeBinary, terminalSafeBytes, terminalSafeText } from '../../src/bytes/escape';

const bin = (s: string) => Buffer.from(s, 'latin1');
const shown = (s: string, o = {}) => Buffer.from(terminalSafeBytes(bin(s), o)).toString('latin1');

describe('terminalSafeBytes', () => {
  it('shows C0, DEL and a backslash escaped, printable ASCII as it is', () => {
    expect(shown('/tmp/hide\r\x1b[2Kme.sock')).toBe('/tmp/hide\\x0d\\x1b[2Kme.sock');
    expect(shown('a\x00b\x7fc\td\ne')).toBe('a\\x00b\\x7fc\\x09d\\x0ae');
    expect(shown('C:\\dir')).toBe('C:\\\\dir');
    expect(shown('plain-name_1.sock')).toBe('plain-name_1.sock');
  });

  it('keeps valid UTF-8 and escapes a C1 control whether a lone byte or a UTF-8 code point', () => {
    expect(shown('/tmp/caf\xc3\xa9.sock')).toBe('/tmp/caf\xc3\xa9.sock'); // é
    expect(shown('\xe4\xb8\xad\xf0\x9f\x98\x80')).toBe('\xe4\xb8\xad\xf0\x9f\x98\x80'); // 中, an emoji
    expect(shown('a\x9bb')).toBe('a\\x9bb'); // the 8-bit CSI
    expect(shown('a\xc2\x9bb')).toBe('a\\xc2\\x9bb'); // U+009B
    expect(shown('a\xc2\x80\xc2\x9f\xc2\xa0')).toBe('a\\xc2\\x80\\xc2\\x9f\xc2\xa0'); // U+0080, U+009F escaped; U+00A0 kept
  });

  it('shows every byte of an invalid sequence as \\xNN', () => {
    expect(shown('\xff\xfe')).toBe('\\xff\\xfe');
    expect(shown('\xc0\x80')).toBe('\\xc0\\x80'); // overlong NUL
    expect(shown('\xed\xa0\x80')).toBe('\\xed\\xa0\\x80'); // a surrogate
    expect(shown('\xf4\x90\x80\x80')).toBe('\\xf4\\x90\\x80\\x80'); // past U+10FFFF
    expect(shown('\xe4\xb8')).toBe('\\xe4\\xb8'); // cut short
    expect(shown('\xe4\xb8x')).toBe('\\xe4\\xb8x');
  });

  it('returns the same array when nothing needs escaping', () => {
    const b = bin('/run/dbus/system_bus_socket');
    expect(terminalSafeBytes(b)).toBe(b);
  });

  it('keeps newlines and tabs with keepLines (a whole message), and nothing else', () => {
    expect(shown('line 1\n\tline 2\r\x1b[2K\n', { keepLines: true })).toBe('line 1\n\tline 2\\x0d\\x1b[2K\n');
  });

  it('fits a room without cutting an escape or a character in two', () => {
    expect(shown('evil\r\x1b[2K', { limit: 7 })).toBe('evil');
    expect(shown('evil\r\x1b[2K', { limit: 8 })).toBe('evil\\x0d');
    expect(shown('ab\xc2\x9b', { limit: 9 })).toBe('ab'); // U+009B is two escapes, shown together
    expect(shown('ab\xc2\x9b', { limit: 10 })).toBe('ab\\xc2\\x9b');
    expect(shown('a\xc3\xa9', { limit: 2 })).toBe('a');
    expect(shown('a\\b', { limit: 2 })).toBe('a');
    expect(shown('abcdef', { limit: 3 })).toBe('abc');
  });
});

describe('terminalSafeBinary and terminalSafeText', () => {
  it('a binary (latin1) string is escaped as its bytes', () => {
    expect(terminalSafeBinary('x\x1b\xff\xc3\xa9')).toBe('x\\x1b\\xff\xc3\xa9');
    expect(terminalSafeBinary('ok')).toBe('ok');
  });

  it('a Unicode string: control characters as the \\xNN of their UTF-8 bytes, the rest as it is', () => {
    expect(terminalSafeText('evil\r\x1b[2Kname\u009b\ufffd')).toBe('evil\\x0d\\x1b[2Kname\\xc2\\x9b\ufffd');
    expect(terminalSafeText('café 中 a\\b')).toBe('café 中 a\\\\b');
    expect(terminalSafeText('\x7f\u0080\u00a0')).toBe('\\x7f\\xc2\\x80\u00a0');
  });
});
