// The sampler's heap stays flat over 1,000 ticks (a generous bound; bench/ measures it exactly).
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { createSampler } from '../src/sampler';
import { BASIC, backend } from './helpers/env';

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
