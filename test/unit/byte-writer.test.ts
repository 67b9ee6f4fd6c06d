// ByteWriter (src/bytes/writer.ts): what reaches the sink is every byte written, in order, in chunks
// no bigger than its buffer, except a run of bytes as big as the buffer (the addon's formatted rows),
// which goes to the sink as it is (after what was pending) instead of being copied.
import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../../src/bytes/writer';

function recorder(): { chunks: Uint8Array[]; sink: (c: Uint8Array) => void; text: () => string } {
  const chunks: Uint8Array[] = [];
  return {
    chunks,
    // The sink must consume a chunk before returning: a copy is kept.
    sink: (c) => { chunks.push(Uint8Array.from(c)); },
    text: () => chunks.map((c) => Buffer.from(c).toString('latin1')).join(''),
  };
}

describe('ByteWriter', () => {
  it('hands over small writes in order, a buffer at a time', () => {
    const r = recorder();
    const w = new ByteWriter(r.sink, 64);
    let want = '';
    for (let i = 0; i < 100; i++) {
      const s = `row ${i};`;
      w.text(s);
      want += s;
      const b = Buffer.from(`<${i}>`, 'latin1');
      w.bytes(b);
      want += `<${i}>`;
    }
    w.flush();
    expect(r.text()).toBe(want);
    expect(r.chunks.every((c) => c.length <= 64)).toBe(true);
  });

  it('sends a run as big as its buffer as it is, after the bytes before it', () => {
    const r = recorder();
    const w = new ByteWriter(r.sink, 64);
    w.text('head:');
    const big = Buffer.from('x'.repeat(100) + 'y'.repeat(100), 'latin1');
    w.bytes(big, 50, 150); // 100 bytes: 50 x, then 50 y
    w.text(':tail');
    w.flush();
    expect(r.text()).toBe(`head:${'x'.repeat(50)}${'y'.repeat(50)}:tail`);
    expect(r.chunks.map((c) => c.length)).toEqual([5, 100, 5]);
    // Exactly the buffer's size goes straight through too; one byte less is copied.
    const r2 = recorder();
    const w2 = new ByteWriter(r2.sink, 64);
    w2.bytes(new Uint8Array(64).fill(0x61));
    w2.bytes(new Uint8Array(63).fill(0x62));
    w2.flush();
    expect(r2.chunks.map((c) => c.length)).toEqual([64, 63]);
    expect(r2.text()).toBe('a'.repeat(64) + 'b'.repeat(63));
  });
});
