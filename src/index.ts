export { Snapshot } from './model/snapshot';
export { snapshot, sample } from './backends/snapshot';
export type { SnapshotOptions, SourceOption, Problem, InetSocket, UnixSocket } from './model/snapshot';
export { InetTable, UnixTable, OwnerIndex } from './model/columns';
export type { Owner, ProcessInfo } from './model/columns';
export { backendName, getBackend } from './backends/select';
export type { BackendName } from './backends/select';
export { NetsnapError } from './model/errors';
export type { NetsnapErrorCode } from './model/errors';
export { tcpStateName, udpStateName, unixStateName, unixTypeName } from './model/states';
export { addressText, ipv4Text, ipv6Text } from './model/address';
export type { Backend, Family, InetProto, Proto, RawInetTable, RawUnixTable, RawOwners, RawSample, SampleRequest } from './model/contract';
export { parseFilter } from './filter/parse';
export type { FilterTree, FilterExpr, HostCond } from './filter/parse';
export { compileFilter } from './filter/compile';
export type { CompiledFilter, FilterOwner } from './filter/compile';
export { createSampler } from './services/sampler';
export { watchCloses } from './services/closes';
export type { CloseEvent, Closes, ClosesOptions, ClosesStats } from './services/closes';
export { createThroughput, createFlowTracker, GROUP_BYS } from './services/throughput';
export type { Throughput, ThroughputOptions, ThroughputTick, Flow, ProcessFlow, PortFlow, PeerFlow, ContainerFlow, ConnectionFlow, GroupBy, FlowTracker } from './services/throughput';
export type { Sampler, SamplerOptions, Tick } from './services/sampler';
export { diffSnapshots } from './analysis/diff';
export type { SnapshotDiff, SocketChange, AnySocket } from './analysis/diff';
export type { IncrementalStats } from './owners/incremental';
export { CgroupPaths, findCgroup2Mount } from './owners/cgroup_path';
export type { CgroupPathsOptions, CgroupWalkStats } from './owners/cgroup_path';
export { containerOf, parseProcCgroup, processCgroupPaths, readCgroupsOf } from './owners/container';
export type { Container, ContainerRuntime, ProcCgroup } from './owners/container';
export { summarize, summaryText, classifyAddress, classifyAddressText, classifyIPv4, CLOSE_WAIT_THRESHOLD } from './analysis/summary';
export { parseAddress } from './model/address';
export type { Summary, SummaryOptions, ProtocolCount, PortEntry, PeerEntry, ProcessEntry, Warning, AddressClass } from './analysis/summary';
export { buildBaseline, compareBaseline, parseBaseline, comparisonText, differenceText, listenerKey, networkOf, BaselineError, BASELINE_SCHEMA } from './analysis/baseline';
export type { Baseline, BaselineListener, BaselineNetwork, Comparison, Difference } from './analysis/baseline';
export { measure, measureAsync } from './analysis/measure';
export { readCounters, watchedCounters, WATCHED_COUNTERS } from './analysis/counters';
export type { Measurement, MeasureOptions, StateCount, QueueBytes, ListenerEntry, PortCount, ProcessCount, Rest, FamilyLabel } from './analysis/measure';
export type { Exporter, ExporterOptions } from './services/exporter';
export { startRecorder } from './services/recorder';
export type { Recorder, RecorderOptions, RecordEndInfo } from './services/recorder';
import type { Exporter, ExporterOptions } from './services/exporter';

/** Starts the Prometheus exporter of `netsnap serve` (prom-client is loaded only by those who call it). */
export async function startExporter(options?: ExporterOptions): Promise<Exporter> {
  return (await import('./services/exporter')).startExporter(options);
}
export { parseRecording, parseRecordingStream, RECORD_SCHEMA } from './services/recording';
// renderReport() is at 'netsnap/report', so that users of the entry point do not load it.
export type { Recording, RecordLine, RecordStart, RecordSample, RecordEnd } from './services/recording';
