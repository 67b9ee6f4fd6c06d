// TCP health from tcp_info (--summary --info): per service port, per process and per peer network,
// the connections the kernel has tcp_info for, their RTT p50/p99, how many retransmit now, how many
// wait on a zero window (persist timer), and the time they spent limited by the receiver's window or
// their own send buffer. Works on the columns of a sample taken with `info: true`.
import type { Snapshot } from '../model/snapshot';
import type { InetTable } from '../model/columns';
import { addressText } from '../model/address';
import { TCP_INFO_INDEX } from '../model/tcp_info';
import { isListener } from './listener';

/** A port's connections retransmit when at least this many of them and this share do. */
export const RETRANSMIT_MIN_CONNECTIONS = 3;
export const RETRANSMIT_MIN_SHARE = 0.1;
/** A peer network is slow when its median RTT is this many times the host's and at least SLOW_PEER_MIN_US. */
export const SLOW_PEER_FACTOR = 4;
export const SLOW_PEER_MIN_US = 20_000;

export interface HealthCounts {
  /** Connections (TCP, not LISTEN) the kernel sent tcp_info for. */
  connections: number;
  /** Smoothed RTT percentiles over those connections, µs (null without connections). */
  rttP50Us: number | null;
  rttP99Us: number | null;
  /** Connections with retransmitted segments outstanding now (tcpi_retrans > 0). */
  retransmitting: number;
  /** Connections probing a zero window (the persist timer). */
  zeroWindow: number;
  /** Time spent limited by the peer's receive window / by the own send buffer, summed, µs. */
  rwndLimitedUs: number;
  sndbufLimitedUs: number;
  /** Time with data in flight, summed, µs (the base of the two above). */
  busyUs: number;
  /** Bytes written by the applications and not yet sent (tcpi_notsent_bytes), summed. */
  notsentBytes: number;
}

export interface PortHealth extends HealthCounts {
  proto: 'tcp';
  port: number;
}

export interface ProcessHealth extends HealthCounts {
  pid: number;
  program: string;
}

export interface PeerNetworkHealth {
  /** A /24 of IPv4 peers or a /64 of IPv6 peers. */
  network: string;
  connections: number;
  rttP50Us: number;
}

export interface Health extends HealthCounts {
  ports: PortHealth[];
  /** null without owners. */
  processes: ProcessHealth[] | null;
  /** By median RTT, slowest first. */
  peerNetworks: PeerNetworkHealth[];
}

export type HealthWarning =
  | { kind: 'retransmits'; proto: 'tcp'; port: number; retransmitting: number; connections: number; message: string }
  | { kind: 'slow-peers'; network: string; rttP50Us: number; hostRttP50Us: number; connections: number; message: string };

const TIMER_PROBE = 4;
const LISTEN = 10;

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** The tcp_info fields health reads, by index (one lookup per field here, none per row). */
const F = (() => {
  const idx = (name: string): number => TCP_INFO_INDEX.get(name)!;
  return { retrans: idx('retrans'), rwndLimited: idx('rwndLimitedUs'), sndbufLimited: idx('sndbufLimitedUs'), busy: idx('busyUs'), notsent: idx('notsentBytes') };
})();

class Acc {
  rtts: number[] = [];
  retransmitting = 0;
  zeroWindow = 0;
  rwndLimitedUs = 0;
  sndbufLimitedUs = 0;
  busyUs = 0;
  notsentBytes = 0;

  add(t: InetTable, i: number, rtt: number): void {
    const ext = t.ext!;
    this.rtts.push(rtt);
    if (ext.at(F.retrans, i) > 0) this.retransmitting++;
    if (t.timerKind[i] === TIMER_PROBE) this.zeroWindow++;
    this.rwndLimitedUs += ext.at(F.rwndLimited, i);
    this.sndbufLimitedUs += ext.at(F.sndbufLimited, i);
    this.busyUs += ext.at(F.busy, i);
    this.notsentBytes += ext.at(F.notsent, i);
  }

  counts(): HealthCounts {
    const sorted = [...this.rtts].sort((a, b) => a - b);
    return {
      connections: sorted.length,
      rttP50Us: percentile(sorted, 50),
      rttP99Us: percentile(sorted, 99),
      retransmitting: this.retransmitting,
      zeroWindow: this.zeroWindow,
      rwndLimitedUs: this.rwndLimitedUs,
      sndbufLimitedUs: this.sndbufLimitedUs,
      busyUs: this.busyUs,
      notsentBytes: this.notsentBytes,
    };
  }
}

function peerNetwork(t: InetTable, i: number): string {
  const family = t.familyOf(i);
  const a = t.remoteAddr.slice(i * 16, i * 16 + 16);
  if (family === 4) {
    a[3] = 0;
    return `${addressText(a, 0, 4)}/24`;
  }
  a.fill(0, 8);
  return `${addressText(a, 0, 6)}/64`;
}

/** TCP health of a sample taken with `info: true`; null when it has no tcp_info. */
export function tcpHealth(snap: Snapshot, options: { top?: number } = {}): { health: Health; warnings: HealthWarning[] } | null {
  const top = options.top ?? 10;
  const tables = snap.inet.filter((t) => t.proto === 'tcp' && t.ext !== null);
  if (tables.length === 0) return null;
  const servicePorts = new Set<number>();
  for (const t of snap.inet) if (t.proto === 'tcp') for (let i = 0; i < t.count; i++) if (isListener(t, i)) servicePorts.add(t.localPort[i]!);

  const all = new Acc();
  const ports = new Map<number, Acc>();
  const processes = new Map<number, Acc>();
  const peers = new Map<string, number[]>();
  for (const t of tables) {
    const ext = t.ext!;
    const rttColumn = ext.column('rttUs');
    for (let i = 0; i < t.count; i++) {
      if (t.state[i] === LISTEN || ext.value('rttUs', i) === undefined) continue;
      const rtt = rttColumn[i]!;
      all.add(t, i, rtt);
      const port = t.localPort[i]!;
      if (servicePorts.has(port)) {
        let p = ports.get(port);
        if (!p) ports.set(port, (p = new Acc()));
        p.add(t, i, rtt);
      }
      if (snap.owners) {
        for (const o of snap.owners.ownersOf(t.inode[i]!)) {
          let p = processes.get(o.pid);
          if (!p) processes.set(o.pid, (p = new Acc()));
          p.add(t, i, rtt);
        }
      }
      const net = peerNetwork(t, i);
      let list = peers.get(net);
      if (!list) peers.set(net, (list = []));
      list.push(rtt);
    }
  }

  const portList: PortHealth[] = [...ports.entries()].map(([port, acc]) => ({ proto: 'tcp' as const, port, ...acc.counts() }));
  portList.sort((a, b) => b.connections - a.connections || a.port - b.port);
  let processList: ProcessHealth[] | null = null;
  if (snap.owners) {
    const owners = snap.owners;
    processList = [...processes.entries()].map(([pid, acc]) => ({ pid, program: owners.process(pid)?.name ?? '', ...acc.counts() }));
    processList.sort((a, b) => b.connections - a.connections || a.pid - b.pid);
  }
  const peerList: PeerNetworkHealth[] = [...peers.entries()].map(([network, rtts]) => ({
    network, connections: rtts.length, rttP50Us: percentile([...rtts].sort((a, b) => a - b), 50)!,
  }));
  peerList.sort((a, b) => b.rttP50Us - a.rttP50Us || (a.network < b.network ? -1 : 1));

  const host = all.counts();
  const warnings: HealthWarning[] = [];
  for (const p of portList) {
    if (p.retransmitting >= RETRANSMIT_MIN_CONNECTIONS && p.retransmitting >= RETRANSMIT_MIN_SHARE * p.connections) {
      warnings.push({
        kind: 'retransmits', proto: 'tcp', port: p.port, retransmitting: p.retransmitting, connections: p.connections,
        message: `${p.retransmitting} of ${p.connections} connection(s) on tcp port ${p.port} are retransmitting: loss or congestion on their path`,
      });
    }
  }
  const hostP50 = host.rttP50Us;
  if (hostP50 !== null && peerList.length > 1) {
    for (const n of peerList) {
      if (n.rttP50Us >= SLOW_PEER_MIN_US && n.rttP50Us >= SLOW_PEER_FACTOR * hostP50) {
        warnings.push({
          kind: 'slow-peers', network: n.network, rttP50Us: n.rttP50Us, hostRttP50Us: hostP50, connections: n.connections,
          message: `peers in ${n.network} have a median RTT of ${(n.rttP50Us / 1000).toFixed(1)} ms, ${(n.rttP50Us / Math.max(1, hostP50)).toFixed(0)}x this host's (${(hostP50 / 1000).toFixed(3)} ms)`,
        });
      }
    }
  }
  return {
    health: { ...host, ports: portList.slice(0, top), processes: processList?.slice(0, top) ?? null, peerNetworks: peerList.slice(0, top) },
    warnings,
  };
}

const ms = (us: number | null) => (us === null ? '-' : (us / 1000).toFixed(3));
const pct = (part: number, busy: number) => (busy > 0 ? `${((100 * part) / busy).toFixed(1)}%` : '-');

/** The health section of the summary text. */
export function healthText(h: Health): string {
  const out: string[] = [];
  out.push(`\nTCP health (tcp_info of ${h.connections} connection(s); RTT p50 ${ms(h.rttP50Us)} ms, p99 ${ms(h.rttP99Us)} ms; ${h.retransmitting} retransmitting, ${h.zeroWindow} on a zero window):\n`);
  const head = `${'Conns'.padStart(6)} ${'RTT p50'.padStart(9)} ${'RTT p99'.padStart(9)} ${'Retrans'.padStart(7)} ${'ZeroWin'.padStart(7)} ${'rwnd-lim'.padStart(8)} ${'sndbuf-lim'.padStart(10)}`;
  const row = (c: HealthCounts) => `${String(c.connections).padStart(6)} ${ms(c.rttP50Us).padStart(9)} ${ms(c.rttP99Us).padStart(9)} ${String(c.retransmitting).padStart(7)} ${String(c.zeroWindow).padStart(7)} ${pct(c.rwndLimitedUs, c.busyUs).padStart(8)} ${pct(c.sndbufLimitedUs, c.busyUs).padStart(10)}`;
  out.push(`  By service port (RTT in ms):\n  ${'Port'.padEnd(8)}${head}\n`);
  if (h.ports.length === 0) out.push('  (none)\n');
  else for (const p of h.ports) out.push(`  ${String(p.port).padEnd(8)}${row(p)}\n`);
  out.push(`  By process:\n  ${'PID/Program'.padEnd(24)}${head}\n`);
  if (h.processes === null) out.push('  (owners not mapped)\n');
  else if (h.processes.length === 0) out.push('  (none)\n');
  else for (const p of h.processes) out.push(`  ${`${p.pid}/${p.program}`.slice(0, 23).padEnd(24)}${row(p)}\n`);
  out.push('  Slowest peer networks (RTT p50, ms):\n');
  if (h.peerNetworks.length === 0) out.push('  (none)\n');
  else for (const n of h.peerNetworks) out.push(`  ${n.network.padEnd(44)}${ms(n.rttP50Us).padStart(9)}  ${n.connections} conn(s)\n`);
  return out.join('');
}
