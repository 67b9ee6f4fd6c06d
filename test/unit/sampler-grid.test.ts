// The sampler's grid: ticks start on slots `interval` apart; a tick that overruns its slot (here
// because its consumer takes 4 intervals) is followed by the next slot not begun yet, and the next
// tick counts the slots skipped instead of the rate quietly dropping.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES } from '../helpers/env';
import { createSampler, type Tick } from '../../src/services/sampler';
import { skippedSlots } from '../../src/services/schedule';

const SUMMARY = path.join(FIXTURES, 'summary', 'proc');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('sampler grid', () => {
  it('counts the slots skipped while a consumer takes 0.2 s over each tick of a 0.05 s sampler, and keeps to the grid', async () => {
    const sampler = createSampler({ interval: 0.05, procRoot: SUMMARY, source: 'proc', owners: true });
    const ticks: Array<Pick<Tick, 'tick' | 'slot' | 'skippedSlots'> & { at: number }> = [];
    for await (const t of sampler) {
      ticks.push({ tick: t.tick, slot: t.slot, skippedSlots: t.skippedSlots, at: t.snapshot.takenAt });
      if (ticks.length === 5) sampler.close();
      else await sleep(200);
    }
    expect(ticks.map((t) => t.tick)).toEqual([0, 1, 2, 3, 4]);
    expect(ticks[0]).toMatchObject({ slot: 0, skippedSlots: 0 });
    for (let k = 1; k < ticks.length; k++) {
      const [a, b] = [ticks[k - 1]!, ticks[k]!];
      // 0.2 s of the consumer is 4 slots of 0.05 s: 3 of them at least were skipped.
      expect(b.skippedSlots, `tick ${k}`).toBeGreaterThan(0);
      // On the grid: the slots taken and skipped add up, and no tick starts before its slot.
      expect(b.slot, `tick ${k}`).toBe(a.slot! + 1 + b.skippedSlots);
      expect(b.at - ticks[0]!.at, `tick ${k}`).toBeGreaterThanOrEqual(b.slot! * 50 - 2);
    }
    // A tick taken with next() is off the grid: no slot, nothing skipped.
    const now = await sampler.next();
    expect([now.slot, now.skippedSlots]).toEqual([null, 0]);
  });

  it('skippedSlots() counts the slots between a cycle and the next one run', () => {
    expect(skippedSlots(3, 4)).toBe(0);
    expect(skippedSlots(3, 7)).toBe(3);
    expect(skippedSlots(0, 0)).toBe(0);
  });
});
