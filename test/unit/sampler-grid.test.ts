// The sampler's grid: ticks start on slots `interval` apart; a tick that overruns its slot (here
// because its consumer takes 4 intervals) is followed by the next slot not begun yet, and the next
// tick counts the slots skipped instead of the rate quietly dropping. The iterator is pipelined:
// a tick's sample is taken on its slot while the tick before is consumed.
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
    // Tick 1's sample was taken on the slot after tick 0's, while tick 0 was consumed.
    expect(ticks[1]).toMatchObject({ slot: 1, skippedSlots: 0 });
    expect(ticks[1]!.at - ticks[0]!.at).toBeLessThan(200);
    for (let k = 1; k < ticks.length; k++) {
      const [a, b] = [ticks[k - 1]!, ticks[k]!];
      // From tick 2 on, each sample waits for the consumer of the tick before the last: 0.2 s of
      // it is 4 slots of 0.05 s, 3 of them at least were skipped.
      if (k >= 2) expect(b.skippedSlots, `tick ${k}`).toBeGreaterThanOrEqual(3);
      // On the grid: the slots taken and skipped add up, and no tick starts before its slot.
      expect(b.slot, `tick ${k}`).toBe(a.slot! + 1 + b.skippedSlots);
      expect(b.at - ticks[0]!.at, `tick ${k}`).toBeGreaterThanOrEqual(b.slot! * 50 - 2);
    }
    // A tick taken with next() is off the grid: no slot, nothing skipped.
    const now = await sampler.next();
    expect([now.slot, now.skippedSlots]).toEqual([null, 0]);
  });

  it('close() ends the wait for the next slot at once: no timer is left behind', async () => {
    const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    const sampler = createSampler({ interval: 3600, procRoot: SUMMARY, source: 'proc' });
    const ticks = sampler[Symbol.asyncIterator]();
    expect((await ticks.next()).value?.tick).toBe(0);
    // Tick 1 is set for its slot, an hour on.
    expect(timers()).toBe(before + 1);
    const ending = ticks.next();
    sampler.close();
    expect(await ending).toEqual({ done: true, value: undefined });
    expect(timers()).toBe(before);
  });

  it('skippedSlots() counts the slots between a cycle and the next one run', () => {
    expect(skippedSlots(3, 4)).toBe(0);
    expect(skippedSlots(3, 7)).toBe(3);
    expect(skippedSlots(0, 0)).toBe(0);
  });
});
