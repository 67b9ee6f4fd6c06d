// snapshot() and sample(): the library's one-shot reads, on the backend that select.ts picks.
import { getBackend } from './select';
import { requestSource, sampleRequest, Snapshot, type SnapshotOptions } from '../model/snapshot';

/** Reads, parses and (optionally) maps owners, synchronously. */
export function snapshot(options: SnapshotOptions = {}): Snapshot {
  const request = sampleRequest(options);
  const backend = getBackend(options.backend);
  request.source = requestSource(options.source, backend.name, request.netDir);
  const takenAt = Date.now();
  return new Snapshot(backend.name, request, backend.sample(request), takenAt);
}

/** Like snapshot(), but with the native backend the work runs on the libuv thread pool. */
export async function sample(options: SnapshotOptions = {}): Promise<Snapshot> {
  const request = sampleRequest(options);
  const backend = getBackend(options.backend);
  request.source = requestSource(options.source, backend.name, request.netDir);
  const takenAt = Date.now();
  return new Snapshot(backend.name, request, await backend.sampleAsync(request), takenAt);
}
