// -c: run one mode again and again. Cycles start on a fixed grid (start + k * interval), so the
// cost of a sample does not push later cycles back; a cycle that overruns the grid is followed
// at once by the next, and the missed slots are skipped rather than run in a burst.
import type { CliOptions } from './args';

/** Milliseconds to wait before cycle k (0-based) may start, given when cycle 0 started. */
export function delayUntilCycle(startMs: number, k: number, intervalMs: number, nowMs: number): number {
  return Math.max(0, startMs + k * intervalMs - nowMs);
}

/** The index of the next cycle to run after cycle `done` ended at `nowMs`: missed slots are skipped. */
export function nextCycle(startMs: number, done: number, intervalMs: number, nowMs: number): number {
  const due = Math.floor((nowMs - startMs) / intervalMs) + 1;
  return Math.max(done + 1, due);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runContinuous(o: CliOptions, cycle: (first: boolean) => number | Promise<number>): Promise<number> {
  const intervalMs = o.interval * 1000;
  const start = performance.now();
  let k = 0;
  for (let ran = 0; ; ran++) {
    const status = await cycle(ran === 0);
    if (status !== 0) return status;
    if (o.count > 0 && ran + 1 >= o.count) return 0;
    k = nextCycle(start, k, intervalMs, performance.now());
    await sleep(delayUntilCycle(start, k, intervalMs, performance.now()));
  }
}
