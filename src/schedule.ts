// Fixed-grid scheduling for anything that repeats (-c, --watch, the sampler): cycle k starts at
// start + k * interval, so the cost of a cycle does not push later ones back; a cycle that overruns
// is followed at once by the next, and missed slots are skipped rather than run in a burst.

/** Milliseconds to wait before cycle k (0-based) may start, given when cycle 0 started. */
export function delayUntilCycle(startMs: number, k: number, intervalMs: number, nowMs: number): number {
  return Math.max(0, startMs + k * intervalMs - nowMs);
}

/** The index of the next cycle to run after cycle `done` ended at `nowMs`: missed slots are skipped. */
export function nextCycle(startMs: number, done: number, intervalMs: number, nowMs: number): number {
  const due = Math.floor((nowMs - startMs) / intervalMs) + 1;
  return Math.max(done + 1, due);
}
