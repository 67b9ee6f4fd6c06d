// -c: run one mode again and again, on the fixed grid of src/services/schedule.ts.
import type { CliOptions } from './args';
import { delayUntilCycle, nextCycle } from '../services/schedule';

export { delayUntilCycle, nextCycle };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runContinuous(o: CliOptions, cycle: (first: boolean) => number | Promise<number>): Promise<number> {
  const intervalMs = o.interval * 1000;
  const start = performance.now();
  let k = 0;
  for (let ran = 0; ; ran++) {
    // Another namespace read through one of its processes: still there (or another one), else
    // ERR_NAMESPACE_GONE ends the run.
    if (ran > 0) o.namespaceCheck?.();
    const status = await cycle(ran === 0);
    if (status !== 0) return status;
    if (o.count > 0 && ran + 1 >= o.count) return 0;
    k = nextCycle(start, k, intervalMs, performance.now());
    await sleep(delayUntilCycle(start, k, intervalMs, performance.now()));
  }
}
