// --summary: counts and top-N lists over one Snapshot, plus the warnings the netstat literature
// gives (CLOSE_WAIT pile-ups, filling accept queues, globally routable peers). Pure: no I/O.
import type { Family } from '../model/contract';
import type { InetTable } from '../model/columns';
import type { Snapshot } from '../model/snapshot';
import { ipv4Text, isUnspecified, isV4Mapped, parseAddress } from '../model/address';
import { isListener } from './listener';
import { healthText, tcpHealth, type Health, type HealthWarning } from './health';
import { socketsByContainer, type ContainerEntry } from './containers';

export type { ContainerEntry };
import { EXT_INFO } from '../model/snapshot';

export { isListener };

/** A local port with at least this many CLOSE_WAIT sockets is flagged (its application is not closing them). */
export const CLOSE_WAIT_THRESHOLD = 10;

export type AddressClass =
  | 'unspecified' | 'loopback' | 'private' | 'link-local' | 'cgnat' | 'documentation' | 'multicast' | 'reserved' | 'public';

/** Classifies an IPv4 address given as its 4 bytes in network order. */
export function classifyIPv4(a: number, b: number, c: number, d: number): AddressClass {
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private';
  if (a === 169 && b === 254) return 'link-local';
  if (a === 100 && b >= 64 && b <= 127) return 'cgnat';
  if ((a === 192 && b === 0 && c === 2) || (a === 198 && b === 51 && c === 100) || (a === 203 && b === 0 && c === 113)) return 'documentation';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240 || (a === 198 && (b === 18 || b === 19)) || (a === 192 && b === 0 && c === 0)) return 'reserved';
  void d;
  return 'public';
}

/**
 * Classifies an address stored as /proc/net rows are (16 bytes at `off`, network order; IPv4 in
 * the first 4). IPv4-mapped IPv6 addresses are classified as their IPv4 address.
 */
export function classifyAddress(addr: Uint8Array, off: number, family: Family): AddressClass {
  if (family === 4) return classifyIPv4(addr[off]!, addr[off + 1]!, addr[off + 2]!, addr[off + 3]!);
  if (isUnspecified(addr, off)) return 'unspecified';
  if (isV4Mapped(addr, off)) return classifyIPv4(addr[off + 12]!, addr[off + 13]!, addr[off + 14]!, addr[off + 15]!);
  let loop = addr[off + 15] === 1;
  for (let i = 0; i < 15 && loop; i++) if (addr[off + i] !== 0) loop = false;
  if (loop) return 'loopback';
  const b0 = addr[off]!, b1 = addr[off + 1]!;
  if ((b0 & 0xfe) === 0xfc) return 'private'; // fc00::/7 ULA
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link-local'; // fe80::/10
  if (b0 === 0xff) return 'multicast';
  if (b0 === 0x20 && b1 === 0x01 && addr[off + 2] === 0x0d && addr[off + 3] === 0xb8) return 'documentation'; // 2001:db8::/32
  if (b0 === 0x3f && b1 === 0xff && (addr[off + 2]! & 0xf0) === 0) return 'documentation'; // 3fff::/20
  if ((b0 & 0xe0) !== 0x20) return 'reserved'; // outside 2000::/3, the global unicast space
  return 'public';
}

/** Classifies an address written as text (dotted quad or IPv6). */
export function classifyAddressText(text: string): AddressClass {
  const bytes = parseAddress(text);
  if (!bytes) throw new TypeError(`not an IP address: ${JSON.stringify(text)}`);
  return classifyAddress(bytes.addr, 0, bytes.family);
}

export interface ProtocolCount {
  /** The /proc/net file netstat labels the rows with: tcp, tcp6, udp, udp6, …, unix. */
  protocol: string;
  total: number;
  /** State name -> sockets, in ascending state-name order. */
  states: Record<string, number>;
}

export interface PortEntry {
  proto: string;
  port: number;
  /** Local addresses listening on the port (tcp LISTEN, udp bound and unconnected). */
  listenAddresses: string[];
  /** Sockets on the port other than the listeners (connections, CLOSE_WAIT, …). */
  connections: number;
  /**
   * Accept queue now: sum of Recv-Q of the LISTEN sockets (tcp only; 0 otherwise). The listen()
   * backlog (ss's Send-Q of a listener) is not in /proc/net/tcp, so whether the queue is full is unknown.
   */
  acceptQueue: number;
  /** Program names (netstat's -p) of the owners of every socket on the port, sorted. */
  programs: string[];
}

export interface PeerEntry {
  address: string;
  class: AddressClass;
  sockets: number;
}

export interface ProcessEntry {
  pid: number;
  program: string;
  sockets: number;
  inet: number;
  unix: number;
}

export type Warning =
  | { kind: 'close-wait'; proto: string; port: number; count: number; threshold: number; programs: string[]; message: string }
  | { kind: 'accept-queue'; proto: string; address: string; port: number; queued: number; programs: string[]; message: string }
  | { kind: 'public-peers'; count: number; addresses: string[]; message: string }
  | HealthWarning;

export interface Summary {
  schema: 'netsnap/v1';
  kind: 'summary';
  takenAt: string;
  backend: string;
  procRoot: string;
  sockets: number;
  protocols: ProtocolCount[];
  /** Remote peers (of sockets with a remote address) by class. */
  peerClasses: Record<AddressClass, number>;
  top: number;
  ports: PortEntry[];
  peers: PeerEntry[];
  /** null when owners were not mapped. */
  processes: ProcessEntry[] | null;
  /** Processes whose fds could not be read (permission). */
  processesDenied: number;
  warnings: Warning[];
  /** With a sample taken with `info: true`: TCP health from tcp_info (see health.ts). */
  health?: Health;
  /** With a sample taken with `cgroup: true` and owners: sockets by the container their processes run in. */
  containers?: ContainerEntry[];
}


export interface SummaryOptions {
  /** Entries in each top-N list (default 10). */
  top?: number;
  /** CLOSE_WAIT sockets on one local port that raise a warning (default CLOSE_WAIT_THRESHOLD). */
  closeWaitThreshold?: number;
  /** Only the inet rows this keeps are counted (a filter); UNIX rows are all counted. */
  inetRow?: (t: InetTable, i: number) => boolean;
}

const CLOSE_WAIT = 8;


const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function sortedRecord(m: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of [...m.keys()].sort(byName)) out[k] = m.get(k)!;
  return out;
}

function programsOf(snap: Snapshot, inode: number, into: Set<string>): void {
  if (!snap.owners) return;
  for (const o of snap.owners.ownersOf(inode)) if (o.name !== '') into.add(o.name);
}

export function summarize(snap: Snapshot, options: SummaryOptions = {}): Summary {
  const top = options.top ?? 10;
  const threshold = options.closeWaitThreshold ?? CLOSE_WAIT_THRESHOLD;
  const protocols: ProtocolCount[] = [];
  const peerClasses: Record<AddressClass, number> = {
    unspecified: 0, loopback: 0, private: 0, 'link-local': 0, cgnat: 0, documentation: 0, multicast: 0, reserved: 0, public: 0,
  };
  interface PortAcc { entry: PortEntry; programs: Set<string>; addrs: Set<string> }
  const ports = new Map<string, PortAcc>();
  const peers = new Map<string, PeerEntry>();
  const closeWait = new Map<string, { proto: string; port: number; count: number; programs: Set<string> }>();
  const warnings: Warning[] = [];
  let sockets = 0;
  const keep = options.inetRow ?? (() => true);

  // Pass 1: listeners define the ports.
  for (const t of snap.inet) {
    for (let i = 0; i < t.count; i++) {
      if (!isListener(t, i) || !keep(t, i)) continue;
      const key = `${t.proto}/${t.localPort[i]}`;
      let acc = ports.get(key);
      if (!acc) {
        acc = { entry: { proto: t.proto, port: t.localPort[i]!, listenAddresses: [], connections: 0, acceptQueue: 0, programs: [] }, programs: new Set(), addrs: new Set() };
        ports.set(key, acc);
      }
      const s = snap.inetSocket(t, i);
      acc.addrs.add(s.localAddress);
      programsOf(snap, s.inode, acc.programs);
      if (t.proto === 'tcp') {
        acc.entry.acceptQueue += s.rxQueue;
        if (s.rxQueue > 0) {
          const programs = [...new Set(s.owners.map((o) => o.name).filter((n) => n !== ''))].sort(byName);
          warnings.push({
            kind: 'accept-queue', proto: t.file, address: s.localAddress, port: s.localPort, queued: s.rxQueue, programs,
            message: `${s.localAddress}:${s.localPort} (${t.file}) has ${s.rxQueue} connection(s) waiting to be accepted; is ${programs.length ? programs.join(', ') : 'the application'} keeping up?`,
          });
        }
      }
    }
  }

  // Pass 2: everything else.
  for (const t of snap.inet) {
    const counts = new Map<string, number>();
    let total = 0;
    for (let i = 0; i < t.count; i++) {
      if (!keep(t, i)) continue;
      total++;
      sockets++;
      const s = snap.inetSocket(t, i);
      counts.set(s.stateName, (counts.get(s.stateName) ?? 0) + 1);
      const listener = isListener(t, i);
      if (!listener) {
        const acc = ports.get(`${t.proto}/${s.localPort}`);
        if (acc) {
          acc.entry.connections++;
          programsOf(snap, s.inode, acc.programs);
        }
        const cls = classifyAddress(t.remoteAddr, i * 16, s.family);
        if (cls !== 'unspecified') {
          peerClasses[cls]++;
          const address = isV4Mapped(t.remoteAddr, i * 16) ? ipv4Text(t.remoteAddr, i * 16 + 12) : s.remoteAddress;
          const p = peers.get(address);
          if (p) p.sockets++;
          else peers.set(address, { address, class: cls, sockets: 1 });
        }
      }
      if (t.proto === 'tcp' && s.state === CLOSE_WAIT) {
        const key = `${t.file}/${s.localPort}`;
        let cw = closeWait.get(key);
        if (!cw) closeWait.set(key, (cw = { proto: t.file, port: s.localPort, count: 0, programs: new Set() }));
        cw.count++;
        programsOf(snap, s.inode, cw.programs);
      }
    }
    protocols.push({ protocol: t.file, total, states: sortedRecord(counts) });
  }
  if (snap.unix) {
    const counts = new Map<string, number>();
    for (let i = 0; i < snap.unix.count; i++) {
      sockets++;
      const s = snap.unixSocket(snap.unix, i);
      counts.set(s.stateName, (counts.get(s.stateName) ?? 0) + 1);
    }
    protocols.push({ protocol: 'unix', total: snap.unix.count, states: sortedRecord(counts) });
  }

  const cwWarnings: Warning[] = [];
  for (const cw of closeWait.values()) {
    if (cw.count < threshold) continue;
    const programs = [...cw.programs].sort(byName);
    cwWarnings.push({
      kind: 'close-wait', proto: cw.proto, port: cw.port, count: cw.count, threshold, programs,
      message: `${cw.count} CLOSE_WAIT sockets on local port ${cw.port} (${cw.proto}; threshold ${threshold}): the peers closed but ${programs.length ? programs.join(', ') : 'the application'} has not closed its side (unresponsive or leaking sockets?)`,
    });
  }
  cwWarnings.sort((a, b) => (b as { count: number }).count - (a as { count: number }).count || (a as { port: number }).port - (b as { port: number }).port);

  const peerList = [...peers.values()].sort((a, b) => b.sockets - a.sockets || byName(a.address, b.address));
  const publicPeers = peerList.filter((p) => p.class === 'public');
  const allWarnings: Warning[] = [...cwWarnings, ...warnings];
  if (publicPeers.length > 0) {
    const addresses = publicPeers.slice(0, top).map((p) => p.address);
    allWarnings.push({
      kind: 'public-peers', count: publicPeers.length, addresses,
      message: `${publicPeers.length} globally routable (public) peer address(es): ${addresses.join(', ')}${publicPeers.length > addresses.length ? ', ...' : ''}`,
    });
  }

  const portList = [...ports.values()].map((acc) => {
    acc.entry.listenAddresses = [...acc.addrs].sort(byName);
    acc.entry.programs = [...acc.programs].sort(byName);
    return acc.entry;
  });
  portList.sort((a, b) => b.connections - a.connections || b.acceptQueue - a.acceptQueue || a.port - b.port || byName(a.proto, b.proto));

  let processes: ProcessEntry[] | null = null;
  if (snap.owners) {
    const inetInodes = new Set<number>();
    for (const t of snap.inet) for (let i = 0; i < t.count; i++) if (keep(t, i)) inetInodes.add(t.inode[i]!);
    const unixInodes = new Set<number>();
    if (snap.unix) for (let i = 0; i < snap.unix.count; i++) unixInodes.add(snap.unix.inode[i]!);
    const per = new Map<number, { inet: Set<number>; unix: Set<number> }>();
    const o = snap.owners;
    for (let k = 0; k < o.count; k++) {
      const inode = o.inodes[k]!;
      const isInet = inetInodes.has(inode);
      if (!isInet && !unixInodes.has(inode)) continue;
      const pid = o.pids[k]!;
      let e = per.get(pid);
      if (!e) per.set(pid, (e = { inet: new Set(), unix: new Set() }));
      (isInet ? e.inet : e.unix).add(inode);
    }
    processes = [...per.entries()].map(([pid, e]) => ({
      pid, program: o.process(pid)?.name ?? '', sockets: e.inet.size + e.unix.size, inet: e.inet.size, unix: e.unix.size,
    }));
    processes.sort((a, b) => b.sockets - a.sockets || a.pid - b.pid);
    processes = processes.slice(0, top);
  }

  return {
    schema: 'netsnap/v1',
    kind: 'summary',
    takenAt: new Date(snap.takenAt).toISOString(),
    backend: snap.backend,
    procRoot: snap.procRoot,
    sockets,
    protocols,
    peerClasses,
    top,
    ports: portList.slice(0, top),
    peers: peerList.slice(0, top),
    processes,
    processesDenied: snap.owners ? snap.owners.pidsDenied : 0,
    warnings: allWarnings,
    ...healthOf(snap, top, allWarnings),
    ...containersOf(snap, top),
  };
}

function containersOf(snap: Snapshot, top: number): { containers?: ContainerEntry[] } {
  const list = socketsByContainer(snap);
  return list === null ? {} : { containers: list.slice(0, top) };
}

function healthOf(snap: Snapshot, top: number, warnings: Warning[]): { health?: Health } {
  if (!(snap.extensions & EXT_INFO)) return {};
  const h = tcpHealth(snap, { top });
  if (h === null) return {};
  warnings.push(...h.warnings);
  return { health: h.health };
}

/** The summary as text, in sections. */
/**
 * The summary as text. `show` is applied to the strings others control (program names, container
 * ids, warnings that quote them) before the padding: the CLI escapes them on a terminal.
 */
export function summaryText(s: Summary, show: (text: string) => string = (text) => text): string {
  const out: string[] = [];
  out.push(`Sockets: ${s.sockets}\n`);
  out.push('\nBy protocol and state:\n');
  for (const p of s.protocols) {
    const states = Object.entries(p.states).map(([k, v]) => `${k} ${v}`).join(', ');
    out.push(`  ${p.protocol.padEnd(8)}${String(p.total).padStart(6)}${states ? `  (${states})` : ''}\n`);
  }
  out.push(`\nTop local ports (listeners; by connections):\n`);
  if (s.ports.length === 0) out.push('  (none)\n');
  else {
    out.push(`  ${'Proto'.padEnd(8)}${'Port'.padStart(6)} ${'Conns'.padStart(6)} ${'Recv-Q'.padStart(7)}  Listening on / Programs\n`);
    for (const p of s.ports) {
      out.push(`  ${p.proto.padEnd(8)}${String(p.port).padStart(6)} ${String(p.connections).padStart(6)} ${String(p.acceptQueue).padStart(7)}  ${p.listenAddresses.join(', ')}${p.programs.length ? ` [${p.programs.map(show).join(', ')}]` : ''}\n`);
    }
  }
  out.push('\nTop remote peers:\n');
  if (s.peers.length === 0) out.push('  (none)\n');
  else for (const p of s.peers) out.push(`  ${p.address.padEnd(40)}${String(p.sockets).padStart(6)}  ${p.class}\n`);
  const classes = Object.entries(s.peerClasses).filter(([, n]) => n > 0).map(([k, n]) => `${k} ${n}`);
  out.push(`  peers by class: ${classes.length ? classes.join(', ') : 'none'}\n`);
  out.push('\nTop processes:\n');
  if (s.processes === null) out.push('  (owners not mapped)\n');
  else if (s.processes.length === 0) out.push('  (none visible)\n');
  else for (const p of s.processes) out.push(`  ${`${p.pid}/${show(p.program)}`.padEnd(40)}${String(p.sockets).padStart(6)}  (inet ${p.inet}, unix ${p.unix})\n`);
  if (s.processesDenied > 0) out.push(`  (${s.processesDenied} process(es) could not be inspected; run as root to see all)\n`);
  if (s.containers) {
    out.push('\nTop containers:\n');
    if (s.containers.length === 0) out.push('  (none)\n');
    else for (const c of s.containers) out.push(`  ${`${c.runtime} ${show(c.id.slice(0, 12))}`.padEnd(40)}${String(c.sockets).padStart(6)}  (${c.processes} process(es)${c.podUid ? `, pod ${c.podUid}` : ''})\n`);
  }
  if (s.health) out.push(healthText(s.health));
  out.push('\nWarnings:\n');
  if (s.warnings.length === 0) out.push('  none\n');
  else for (const w of s.warnings) out.push(`  ! ${show(w.message)}\n`);
  return out.join('');
}
