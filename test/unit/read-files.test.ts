import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-reader-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe(`readProcFile (${backend.name})`, () => {
  it('reads files far larger than its starting buffer, whole', () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) & 0xff;
    const f = path.join(dir, 'big');
    fs.writeFileSync(f, big);
    const r = backend.readProcFile(f);
    expect(r.ok).toBe(true);
    if (r.ok) expect(Buffer.from(r.bytes).equals(big)).toBe(true);
  });

  it('reads /proc files, whose size stat reports as 0, to the end', () => {
    const r = backend.readProcFile('/proc/self/status');
    expect(r.ok).toBe(true);
    if (r.ok) {
      const text = Buffer.from(r.bytes).toString('latin1');
      expect(text.startsWith('Name:')).toBe(true);
      expect(text.endsWith('\n')).toBe(true);
      expect(text).toContain('\nUid:');
    }
    expect(fs.statSync('/proc/self/status').size).toBe(0);
  });

  it('gives each caller its own copy', () => {
    const a = path.join(dir, 'a');
    const b = path.join(dir, 'b');
    fs.writeFileSync(a, 'first');
    fs.writeFileSync(b, 'second');
    const ra = backend.readProcFile(a);
    backend.readProcFile(b);
    expect(ra.ok && Buffer.from(ra.bytes).toString()).toBe('first');
  });

  it('reports errors by errno name', () => {
    expect(backend.readProcFile(path.join(dir, 'missing'))).toEqual({ ok: false, code: 'ENOENT' });
    expect(backend.readProcFile(dir)).toEqual({ ok: false, code: 'EISDIR' });
    expect(backend.readProcFile(path.join(dir, 'missing', 'x'))).toEqual({ ok: false, code: 'ENOENT' });
  });
});
