// The sampler's heap stays flat over 1,000 ticks (a generous bound; bench/ measures it exactly).
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createSampler } from '../../src/services/sampler';
import { BASIC, backend } from '../helpers/env';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

describe(`sampler memory (${backend.name})`, () => {
  it('does not grow the heap over 1,000 ticks on a stable set of sockets', async () => {
    const sampler = createSampler({ procRoot: BASIC, owners: true, interval: 0, fullScanEvery: 50 });
    for (let i = 0; i < 50; i++) await sampler.next(); // warm up
    gc();
    const before = process.memoryUsage().heapUsed;
    let sockets = 0;
    for (let i = 0; i < 1000; i++) {
      const t = await sampler.next();
      sockets = t.snapshot.inet.reduce((n, tb) => n + tb.count, 0);
      if (i > 0) expect(t.diff.opened.length + t.diff.closed.length + t.diff.changed.length).toBe(0);
    }
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    expect(sockets).toBe(13);
    expect(growth).toBeLessThan(4 * 1024 * 1024);
  });
});

describe(`sampler buffers (${backend.name})`, () => {
  it('reuses the tables of two ticks back, and keeps the previous tick intact for the diff', async () => {
    const sampler = createSampler({ procRoot: BASIC, interval: 0 });
    const t0 = await sampler.next();
    const t1 = await sampler.next();
    const rows1 = [...t1.snapshot.inetSockets()];
    const t2 = await sampler.next();
    const t3 = await sampler.next();
    for (const [a, b] of [[t0, t2], [t1, t3]] as const) {
      a.snapshot.inet.forEach((t, k) => expect(b.snapshot.inet[k]!.raw.buffer).toBe(t.raw.buffer));
      expect(b.snapshot.unix!.raw.buffer).toBe(a.snapshot.unix!.raw.buffer);
    }
    t1.snapshot.inet.forEach((t, k) => expect(t2.snapshot.inet[k]!.raw.buffer).not.toBe(t.raw.buffer));
    // Tick 1's rows read the same after tick 2 was taken (and tick 3 rewrote tick 1's memory with
    // the same content, the fixture being stable).
    expect([...t3.snapshot.inetSockets()]).toEqual(rows1);
    expect(t3.diff).toEqual({ opened: [], closed: [], changed: [] });
  });
});
