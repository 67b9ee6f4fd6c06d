export { snapshot, sample, Snapshot } from './snapshot';
export type { SnapshotOptions, SourceOption, Problem, InetSocket, UnixSocket } from './snapshot';
export { InetTable, UnixTable, OwnerIndex } from './tables';
export type { Owner, ProcessInfo } from './tables';
export { backendName, getBackend } from './backend';
export type { BackendName } from './backend';
export { NetsnapError } from './errors';
export { tcpStateName, udpStateName, unixStateName, unixTypeName } from './states';
export { addressText, ipv4Text, ipv6Text } from './format/address';
export type { Backend, Family, InetProto, Proto, RawInetTable, RawUnixTable, RawOwners, RawSample, SampleRequest } from './model';
export { createSampler } from './sampler';
export type { Sampler, SamplerOptions, Tick } from './sampler';
export { diffSnapshots } from './diff';
export type { SnapshotDiff, SocketChange, AnySocket } from './diff';
export type { IncrementalStats } from './incremental_owners';
export { summarize, summaryText, classifyAddress, classifyAddressText, classifyIPv4, parseAddress, CLOSE_WAIT_THRESHOLD } from './aggregate';
export type { Summary, SummaryOptions, ProtocolCount, PortEntry, PeerEntry, ProcessEntry, Warning, AddressClass } from './aggregate';
export { buildBaseline, compareBaseline, parseBaseline, comparisonText, differenceText, listenerKey, networkOf, BaselineError, BASELINE_SCHEMA } from './baseline';
export type { Baseline, BaselineListener, BaselineNetwork, Comparison, Difference } from './baseline';
export { measure, measureAsync, readCounters, watchedCounters, WATCHED_COUNTERS } from './measure';
export type { Measurement, MeasureOptions, StateCount, QueueBytes, ListenerEntry, PortCount, ProcessCount, Rest, FamilyLabel } from './measure';
export type { Exporter, ExporterOptions } from './exporter';
import type { Exporter, ExporterOptions } from './exporter';

/** Starts the Prometheus exporter of `netsnap serve` (prom-client is loaded only by those who call it). */
export async function startExporter(options?: ExporterOptions): Promise<Exporter> {
  return (await import('./exporter')).startExporter(options);
}
export { parseRecording, RECORD_SCHEMA } from './recording';
export type { Recording, RecordLine, RecordStart, RecordSample, RecordEnd } from './recording';
