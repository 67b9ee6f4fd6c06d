// Closed TCP connections as they happen — tcplife without eBPF. The kernel announces every TCP
// socket it destroys, with its final tcp_info, on the sock_diag destroy groups (the addon's
// openDestroyEvents: native only). An event has no uid, inode or cgroup, so its owner is what
// netsnap saw of it alive: periodic netlink samples map each connection's cookie to the process
// holding it ('seen'); a connection born and gone between two samples goes to the owner of a
// listener on its local address and port ('listener': an accepted connection), else to nobody
// ('unattributed'). A cookie is reported once.
import { getBackend, type BackendName } from '../backends/select';
import { NetsnapError } from '../model/errors';
import { InetTable } from '../model/columns';
import { addressText } from '../model/address';
import type { DestroySubscription } from '../model/contract';
import { compileFilter, type CompiledFilter, type FilterOwner } from '../filter/compile';
import { createSampler, type Sampler } from './sampler';
import { RecentSet } from './recent';
import type { Snapshot } from '../model/snapshot';

export interface CloseEvent {
  /** When netsnap read the event (ms since the epoch). */
  time: number;
  family: 4 | 6;
  local: { address: string; port: number };
  remote: { address: string; port: number };
  /** The kernel's socket cookie (decimal), as the socket JSON and `ss -e` give it. */
  cookie: string;
  /** A listening socket's close (remote port 0). */
  listener: boolean;
  owner: { pid: number; program: string } | null;
  /** How the owner is known: held the connection when sampled, holds the listener it came to, or neither. */
  ownerFrom: 'seen' | 'listener' | 'unattributed';
  /** Since netsnap first saw the connection alive (a lower bound); null when it never did. */
  lifetimeMs: number | null;
  /** Final tcp_info (null where the kernel sent none). */
  bytesSent: number | null;
  bytesReceived: number | null;
  bytesAcked: number | null;
  bytesRetrans: number | null;
  totalRetrans: number | null;
  rttUs: number | null;
}

export interface ClosesOptions {
  /** Seconds between samples of the live connections (the owners of what closes later). Default 1. */
  interval?: number;
  /** How often the events are read, in seconds. Default 0.1. */
  poll?: number;
  /** ss's filter language (and netsnap's predicates beyond it) on the closed connections. */
  filter?: string;
  /** Report listeners' closes too. Default false. */
  listeners?: boolean;
  /** Map owners (the alive samples' owner scan). Default true. */
  owners?: boolean;
  procRoot?: string;
  backend?: BackendName;
}

export interface ClosesStats {
  /** Events read from the kernel. */
  received: number;
  /** Times the socket buffer overflowed (ENOBUFS): closes lost in the kernel. */
  overflows: number;
  /** Events the kernel could not queue for us (the socket's drop count). */
  lost: number;
  /** Events dropped by the addon's cap on unread events. */
  dropped: number;
  /** Events reported more than once by the kernel for one cookie, left out. */
  duplicates: number;
  /** The errno name that stopped the addon's reader (nothing more arrives), else null. */
  error: string | null;
  /** Processes whose fds the last sample could not read (permission): their connections' owners are unknown. */
  processesDenied: number;
}

export interface Closes extends AsyncIterable<CloseEvent[]> {
  readonly stats: ClosesStats;
  /** Stops after the batch under way. */
  close(): void;
}

interface Known {
  firstSeen: number;
  lastSample: number;
  owner: FilterOwner | null;
}

const REPORTED_MAX = 1 << 16;

function ownerOf(snap: Snapshot, inode: number): FilterOwner | null {
  if (inode === 0) return null;
  const o = snap.ownersOf(inode)[0];
  return o ? { pid: o.pid, comm: o.comm, program: o.name, container: null } : null;
}

/**
 * Watches closes: each iteration yields the events read since the previous one (possibly none).
 * Native backend only (NetsnapError ERR_NEEDS_NATIVE elsewhere); a bad filter is ERR_USAGE.
 */
export function watchCloses(options: ClosesOptions = {}): Closes {
  const backend = getBackend(options.backend);
  if (backend.openDestroyEvents === undefined) {
    throw new NetsnapError('ERR_NEEDS_NATIVE', "closed connections come from the kernel's sock_diag destroy events, which only the native backend reads; the TypeScript backend is in use (NETSNAP_BACKEND=js, or the addon did not load: see netsnap --version)");
  }
  const interval = options.interval ?? 1;
  if (typeof interval !== 'number' || !(interval > 0)) throw new TypeError('interval must be > 0 seconds');
  const poll = options.poll ?? 0.1;
  if (typeof poll !== 'number' || !(poll > 0)) throw new TypeError('poll must be > 0 seconds');
  const filter: CompiledFilter | null = options.filter === undefined ? null : compileFilter(options.filter);
  if (filter?.needs.netlink.includes('dev') || filter?.needs.netlink.includes('cgroup') || filter?.needs.netlink.includes('autobound')) {
    throw new NetsnapError('ERR_USAGE', `a close event carries no bound device, cgroup or bind flags: '${options.filter}' cannot be decided on it`);
  }
  const owners = options.owners ?? true;
  const sub: DestroySubscription = backend.openDestroyEvents();
  const sampler: Sampler<null> = createSampler({
    interval: 0, protocols: ['tcp'], owners, procRoot: options.procRoot, backend: options.backend, source: 'netlink', diff: false,
    incrementalOwnersUpTo: 0,
  });
  const stats: ClosesStats = { received: 0, overflows: 0, lost: 0, dropped: 0, duplicates: 0, error: null, processesDenied: 0 };
  const known = new Map<bigint, Known>();
  const listeners = new Map<string, FilterOwner | null>();
  const reported = new RecentSet<bigint>(REPORTED_MAX);
  let samples = 0;
  let closed = false;
  let wake: (() => void) | null = null;

  /** What the live connections are now, and who holds them. */
  function learn(snap: Snapshot, now: number): void {
    samples++;
    stats.processesDenied = snap.owners?.pidsDenied ?? 0;
    listeners.clear();
    for (const t of snap.inet) {
      if (t.cookie === null) continue;
      for (let i = 0; i < t.count; i++) {
        const family = t.familyOf(i);
        if (t.state[i] === 10) {
          listeners.set(`${family}|${addressText(t.localAddr, i * 16, family)}|${t.localPort[i]}`, ownerOf(snap, t.inode[i]!));
          continue;
        }
        const cookie = t.cookie[i]!;
        const k = known.get(cookie);
        const owner = t.inode[i] === 0 ? (k?.owner ?? null) : ownerOf(snap, t.inode[i]!);
        if (k) {
          k.lastSample = samples;
          if (owner !== null) k.owner = owner;
        } else known.set(cookie, { firstSeen: now, lastSample: samples, owner });
      }
    }
    // A connection not seen for two samples is gone; its close, if it comes now, goes to its listener.
    for (const [cookie, k] of known) if (k.lastSample < samples - 2) known.delete(cookie);
  }

  function listenerOwner(family: 4 | 6, address: string, port: number): FilterOwner | null | undefined {
    const any = family === 4 ? '0.0.0.0' : '::';
    return listeners.get(`${family}|${address}|${port}`) ?? listeners.get(`${family}|${any}|${port}`)
      ?? (family === 6 && address.startsWith('::ffff:') ? listeners.get(`4|${address.slice(7)}|${port}`) ?? listeners.get(`4|0.0.0.0|${port}`) : undefined);
  }

  function events(now: number): CloseEvent[] {
    const batch = sub.read();
    if (batch === null) return [];
    stats.received += batch.received;
    stats.overflows += batch.overflows;
    stats.lost += batch.lost;
    stats.dropped += batch.dropped;
    if (batch.error !== null) stats.error = batch.error;
    const t = new InetTable('tcp', 'tcp', batch.table, 'netlink');
    const out: CloseEvent[] = [];
    for (let i = 0; i < t.count; i++) {
      const family = t.familyOf(i);
      const cookie = t.cookie![i]!;
      if (reported.has(cookie)) {
        stats.duplicates++;
        continue;
      }
      reported.add(cookie);
      const listener = t.remotePort[i] === 0;
      if (listener && !options.listeners) continue;
      const local = { address: addressText(t.localAddr, i * 16, family), port: t.localPort[i]! };
      const remote = { address: addressText(t.remoteAddr, i * 16, family), port: t.remotePort[i]! };
      const k = known.get(cookie);
      known.delete(cookie);
      let owner: FilterOwner | null = null;
      let ownerFrom: CloseEvent['ownerFrom'] = 'unattributed';
      if (k?.owner) {
        owner = k.owner;
        ownerFrom = 'seen';
      } else if (!listener) {
        const l = listenerOwner(family, local.address, local.port);
        if (l) {
          owner = l;
          ownerFrom = 'listener';
        }
      }
      if (filter !== null && !filter.matches(t, i, () => (owner ? [owner] : []))) continue;
      const info = (name: string): number | null => t.ext?.value(name, i) ?? null;
      out.push({
        time: now, family, local, remote, cookie: cookie.toString(), listener,
        owner: owner ? { pid: owner.pid, program: owner.program } : null, ownerFrom,
        lifetimeMs: k ? now - k.firstSeen : null,
        bytesSent: info('bytesSent'), bytesReceived: info('bytesReceived'), bytesAcked: info('bytesAcked'),
        bytesRetrans: info('bytesRetrans'), totalRetrans: info('totalRetrans'), rttUs: info('rttUs'),
      });
    }
    return out;
  }

  const sleep = (ms: number) => new Promise<void>((resolve) => {
    const timer = setTimeout(() => {
      wake = null;
      resolve();
    }, ms);
    wake = () => {
      clearTimeout(timer);
      wake = null;
      resolve();
    };
  });

  return {
    stats,
    close() {
      closed = true;
      wake?.();
    },
    async *[Symbol.asyncIterator]() {
      let nextSample = 0;
      try {
        while (!closed) {
          const now = Date.now();
          if (now >= nextSample) {
            // The live connections first, so that a close read in this round finds its owner.
            learn((await sampler.next()).snapshot, Date.now());
            nextSample = now + interval * 1000;
          }
          yield events(Date.now());
          if (!closed) await sleep(poll * 1000);
        }
      } finally {
        sampler.close();
        sub.close();
      }
    },
  };
}
