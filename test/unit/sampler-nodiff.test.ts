// createSampler({ diff: false }): the ticks the exporter and the recorder use.
import { describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/env';
import { createSampler } from '../../src/services/sampler';
import { snapshot } from '../../src/backends/snapshot';
import { measure } from '../../src/analysis/measure';

const SUMMARY = path.join(FIXTURES, 'summary', 'proc');

describe('sampler without diffs', () => {
  it('gives the same samples as snapshot(), with diff null, across the double buffers', async () => {
    const s = createSampler({ diff: false, interval: 0, owners: true, procRoot: SUMMARY, source: 'proc' });
    const expected = measure(snapshot({ procRoot: SUMMARY, owners: true, source: 'proc' }));
    for (let i = 0; i < 5; i++) {
      const t = await s.next();
      expect(t.tick).toBe(i);
      expect(t.diff).toBeNull();
      expect({ ...measure(t.snapshot), t: 0 }).toEqual({ ...expected, t: 0 });
    }
    s.close();
  });

  it('still diffs by default', async () => {
    const s = createSampler({ interval: 0, procRoot: SUMMARY, source: 'proc' });
    const first = await s.next();
    expect(first.diff.opened.length).toBe(34);
    expect((await s.next()).diff).toEqual({ opened: [], closed: [], changed: [] });
    s.close();
  });

  it('rejects a diff option that is not a boolean', () => {
    expect(() => createSampler({ diff: 'no' as unknown as boolean })).toThrow(/diff must be a boolean/);
  });
});
