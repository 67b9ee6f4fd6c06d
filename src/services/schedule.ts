// Fixed-grid scheduling for anything that repeats (-c, --watch, the sampler): cycle k starts at
// start + k * interval, so the cost of a cycle does not push later ones back. A cycle that overruns
// its slot is followed by the next slot that has not begun yet: the slots it ran over are skipped
// (not run in a burst), and skippedSlots() counts them so that a caller can say so (the sampler's
// Tick.skippedSlots) instead of quietly running at a fraction of the rate.

/** Milliseconds to wait before cycle k (0-based) may start, given when cycle 0 started. */
export function delayUntilCycle(startMs: number, k: number, intervalMs: number, nowMs: number): number {
  return Math.max(0, startMs + k * intervalMs - nowMs);
}

/** The index of the next cycle to run after cycle `done` ended at `nowMs`: missed slots are skipped. */
export function nextCycle(startMs: number, done: number, intervalMs: number, nowMs: number): number {
  const due = Math.floor((nowMs - startMs) / intervalMs) + 1;
  return Math.max(done + 1, due);
}

/** The slots skipped between cycle `done` and cycle `next` (nextCycle's answer): 0 when on time. */
export function skippedSlots(done: number, next: number): number {
  return Math.max(0, next - done - 1);
}

/**
 * Waits for the slots of a fixed grid (slot k at start + k * interval, missed slots skipped), for
 * loops that must stop at once when told: stop() ends the current wait instead of leaving a timer
 * that keeps the process alive for up to an interval.
 */
export class Grid {
  private readonly start = performance.now();
  private slot = 0;
  private timer: NodeJS.Timeout | undefined;
  private wake: (() => void) | null = null;
  private stopped = false;

  constructor(private readonly intervalMs: number) {}

  /** Resolves true at the next slot, or false once stop() was called. */
  next(): Promise<boolean> {
    if (this.stopped) return Promise.resolve(false);
    const now = performance.now();
    this.slot = nextCycle(this.start, this.slot, this.intervalMs, now);
    return new Promise<boolean>((resolve) => {
      this.wake = () => {
        clearTimeout(this.timer);
        this.wake = null;
        resolve(!this.stopped);
      };
      this.timer = setTimeout(this.wake, delayUntilCycle(this.start, this.slot, this.intervalMs, now));
    });
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
}
