// One sampler tick reduced by measure(): what each exporter scrape and each recorder sample take.
import { measureAsync, type Measurement } from '../analysis/measure';
import { readCounters } from '../analysis/counters';
import type { Snapshot } from '../model/snapshot';
import type { Sampler } from './sampler';

export interface MeasuredSample {
  snapshot: Snapshot;
  measurement: Measurement;
}

/**
 * The next tick of `sampler`, measured with the watched counters of `netDir`. The counters are read
 * beside the sample, not after it (a first sample with a full owner scan can take a while), and
 * the measurement's duration runs from the start of the read to a parsed, owner-mapped sample.
 */
export async function measuredSample(sampler: Sampler<null>, netDir: string, top: number, portStates = false): Promise<MeasuredSample> {
  // The counters' reads are under way first: the TypeScript backend's sample runs on this thread
  // until it is done, and counters read after it would count connections its tables do not show.
  const countersRead = readCounters(netDir);
  const [tick, counters] = await Promise.all([sampler.next(), countersRead]);
  const snapshot = tick.snapshot;
  const measurement = await measureAsync(snapshot, { top, durationMs: Math.max(0, Date.now() - snapshot.takenAt), counters, portStates });
  return { snapshot, measurement };
}
