// Live throughput and health per process, container, port, peer and connection — without packet
// capture. Every tick is a netlink sample with tcp_info (bytes_acked, bytes_received, bytes_retrans
// per connection, keyed by the socket cookie) plus the kernel's destroy events since the previous
// tick (the final counters of what closed). Bytes moved in a tick are the differences by cookie:
// a connection alive at the first tick is that tick's baseline (rates start with the second tick),
// one born since then counts from zero, and one that closed counts its final counters less what
// earlier ticks counted — credited to the owner it had when seen alive, else (born and gone between
// two ticks) to the owner of the listener on its local address and port, else to `unattributed`.
// A cookie is counted once. UDP has no byte counters in the kernel: its sockets, queues and drops.
import { getBackend, type BackendName } from '../backends/select';
import { NetsnapError } from '../model/errors';
import type { DestroySubscription } from '../model/contract';
import { createSampler, type Sampler } from './sampler';
import type { Snapshot } from '../model/snapshot';
import { compileFilter } from '../filter/compile';
import { FLOW_INFO_FIELDS, FLOW_TCP_STATES, FlowAccounting, type ThroughputTick } from './flow_accounting';

export { GROUP_BYS, networkOf } from './flow_accounting';
export type {
  ConnectionFlow, ContainerFlow, Flow, GroupBy, NetworkFlow, PeerFlow, PortFlow, ProcessFlow, ThroughputTick,
} from './flow_accounting';

export interface ThroughputOptions {
  /** Seconds between ticks (sub-second allowed). Default 1. */
  interval?: number;
  /** ss's filter (and netsnap's predicates beyond it) on the connections counted. */
  filter?: string;
  /** Map connections to processes. Default true. */
  owners?: boolean;
  /** The owners' containers (cgroups). Default false. */
  containers?: boolean;
  procRoot?: string;
  backend?: BackendName;
}

export interface Throughput extends AsyncIterable<ThroughputTick> {
  /** Takes the next tick now (the first one is the baseline). */
  next(): Promise<ThroughputTick>;
  close(): void;
}

export interface FlowTrackerOptions {
  /** The sampling interval in seconds, for skippedSlots. */
  interval: number;
  filter?: string;
  backend?: BackendName;
}

/**
 * The accounting of createThroughput() on samples someone else takes (the exporter's): feed it each
 * netlink sample taken with `info` (and owners, for the per-process rows); it reads the destroy
 * events itself. Native backend only.
 */
export interface FlowTracker {
  update(snap: Snapshot): ThroughputTick;
  /** The same, letting the event loop run every few thousand connections; one at a time. */
  updateAsync(snap: Snapshot): Promise<ThroughputTick>;
  close(): void;
}

function checkThroughput(backend: ReturnType<typeof getBackend>, filterText: string | undefined): void {
  if (backend.openDestroyEvents === undefined) {
    throw new NetsnapError('ERR_NEEDS_NATIVE', "throughput comes from tcp_info and the kernel's sock_diag destroy events, which only the native backend reads; the TypeScript backend is in use (NETSNAP_BACKEND=js, or the addon did not load: see netsnap --version)");
  }
  if (filterText !== undefined) {
    const f = compileFilter(filterText);
    if (f.needs.netlink.includes('dev') || f.needs.netlink.includes('cgroup') || f.needs.netlink.includes('autobound')) {
      // Closed connections arrive without those: they could not be filtered alike.
      throw new NetsnapError('ERR_USAGE', `'${filterText}': dev, cgroup and autobound cannot be decided on closed connections`);
    }
  }
}

export function createFlowTracker(options: FlowTrackerOptions): FlowTracker {
  const backend = getBackend(options.backend);
  checkThroughput(backend, options.filter);
  const accounting = new FlowAccounting({
    interval: options.interval,
    filter: options.filter === undefined ? null : compileFilter(options.filter),
  });
  const sub: DestroySubscription = backend.openDestroyEvents!();
  return {
    update: (snap) => accounting.update(snap, sub.read()),
    updateAsync: (snap) => accounting.updateAsync(snap, sub.read()),
    close() {
      sub.close();
    },
  };
}

/** Live throughput, tick by tick. Native backend only (tcp_info and destroy events come from netlink). */
export function createThroughput(options: ThroughputOptions = {}): Throughput {
  const backend = getBackend(options.backend);
  checkThroughput(backend, options.filter);
  const interval = options.interval ?? 1;
  if (typeof interval !== 'number' || !(interval > 0)) throw new TypeError('interval must be > 0 seconds');
  const owners = options.owners ?? true;
  const sampler: Sampler<null> = createSampler({
    interval, protocols: ['tcp', 'udp'], owners, info: true, infoFields: FLOW_INFO_FIELDS, tcpStates: FLOW_TCP_STATES, flows: false, cgroup: options.containers ?? false, procRoot: options.procRoot,
    backend: options.backend, source: 'netlink', diff: false, ...(options.filter === undefined ? {} : { filter: options.filter }),
  });
  const tracker = createFlowTracker({ interval, backend: options.backend, ...(options.filter === undefined ? {} : { filter: options.filter }) });
  let closed = false;
  return {
    async next() {
      const tick = await sampler.next();
      return tracker.updateAsync(tick.snapshot);
    },
    close() {
      closed = true;
      sampler.close();
      tracker.close();
    },
    async *[Symbol.asyncIterator]() {
      try {
        for await (const tick of sampler) {
          if (closed) break;
          yield await tracker.updateAsync(tick.snapshot);
        }
      } finally {
        tracker.close();
      }
    },
  };
}
