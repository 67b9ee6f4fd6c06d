// Baselines: what a host normally listens on (and which programs do), and which remote networks
// its established connections usually go to; and what differs from one now. Pure: no I/O.
import type { Family } from '../model/contract';
import type { Snapshot } from '../model/snapshot';
import { ipv4Text, ipv6Text, isUnspecified, isV4Mapped } from '../model/address';
import { parseAddress } from '../model/address';
import { NetsnapError } from '../model/errors';

export const BASELINE_SCHEMA = 'netsnap/baseline/v1';

export interface BaselineListener {
  proto: 'tcp' | 'udp' | 'udplite';
  /** 6 for sockets of the IPv6 tables (tcp6, udp6, …), even when bound to an IPv4-mapped address. */
  family: Family;
  address: string;
  port: number;
  /** Sorted command names (/proc/PID/comm) of the owners; empty when they could not be seen. */
  programs: string[];
}

export interface BaselineNetwork {
  /** CIDR: /24 for IPv4 (IPv4-mapped peers count as IPv4), /64 for IPv6. */
  network: string;
  family: Family;
  /** Established TCP connections to the network when the baseline was taken. */
  connections: number;
}

export interface Baseline {
  schema: typeof BASELINE_SCHEMA;
  createdAt: string;
  procRoot: string;
  listeners: BaselineListener[];
  networks: BaselineNetwork[];
}

const LISTEN = 10;
const ESTABLISHED = 1;
const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function listenerKey(l: { proto: string; family: number; address: string; port: number }): string {
  return `${l.proto}${l.family === 6 ? '6' : ''} ${l.family === 6 ? `[${l.address}]` : l.address}:${l.port}`;
}

/** The /24 or /64 of a remote address (bytes as in /proc/net rows). */
export function networkOf(addr: Uint8Array, off: number, family: Family): { network: string; family: Family } {
  if (family === 4 || isV4Mapped(addr, off)) {
    const o = family === 4 ? off : off + 12;
    const b = new Uint8Array([addr[o]!, addr[o + 1]!, addr[o + 2]!, 0]);
    return { network: `${ipv4Text(b, 0)}/24`, family: 4 };
  }
  const b = new Uint8Array(16);
  b.set(addr.subarray(off, off + 8));
  return { network: `${ipv6Text(b, 0)}/64`, family: 6 };
}

/** The baseline of one snapshot (its inet tables; take it with owners: true to record programs). */
export function buildBaseline(snap: Snapshot): Baseline {
  const listeners = new Map<string, { l: BaselineListener; programs: Set<string> }>();
  const networks = new Map<string, BaselineNetwork>();
  for (const t of snap.inet) {
    if (t.proto === 'raw') continue;
    const family: Family = t.ipv6File ? 6 : 4;
    for (let i = 0; i < t.count; i++) {
      const listening = t.proto === 'tcp'
        ? t.state[i] === LISTEN
        : t.state[i] === 7 && t.localPort[i] !== 0 && isUnspecified(t.remoteAddr, i * 16);
      if (listening) {
        const s = snap.inetSocket(t, i);
        const l: BaselineListener = { proto: t.proto as BaselineListener['proto'], family, address: s.localAddress, port: s.localPort, programs: [] };
        const key = listenerKey(l);
        let e = listeners.get(key);
        if (!e) listeners.set(key, (e = { l, programs: new Set() }));
        for (const o of s.owners) if (o.comm !== '') e.programs.add(o.comm);
      } else if (t.proto === 'tcp' && t.state[i] === ESTABLISHED && !isUnspecified(t.remoteAddr, i * 16)) {
        const n = networkOf(t.remoteAddr, i * 16, t.familyOf(i));
        const e = networks.get(n.network);
        if (e) e.connections++;
        else networks.set(n.network, { ...n, connections: 1 });
      }
    }
  }
  const ls = [...listeners.values()].map(({ l, programs }) => ({ ...l, programs: [...programs].sort(byName) }));
  ls.sort(compareListeners);
  const ns = [...networks.values()].sort(compareNetworks);
  return { schema: BASELINE_SCHEMA, createdAt: new Date(snap.takenAt).toISOString(), procRoot: snap.procRoot, listeners: ls, networks: ns };
}

function compareListeners(a: BaselineListener, b: BaselineListener): number {
  return byName(a.proto, b.proto) || a.family - b.family || a.port - b.port || byName(a.address, b.address);
}

/** By family, then numerically by address. */
function compareNetworks(a: BaselineNetwork, b: BaselineNetwork): number {
  if (a.family !== b.family) return a.family - b.family;
  const x = parseAddress(a.network.slice(0, a.network.indexOf('/')))?.addr;
  const y = parseAddress(b.network.slice(0, b.network.indexOf('/')))?.addr;
  if (x && y) for (let i = 0; i < 16; i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return byName(a.network, b.network);
}

/** A file that is not a v1 baseline: a NetsnapError ERR_BAD_FILE, kept as its own class for callers that catch it. */
export class BaselineError extends NetsnapError {
  constructor(message: string) {
    super('ERR_BAD_FILE', message);
    this.name = 'BaselineError';
  }
}

/** Checks a parsed JSON value is a v1 baseline; throws BaselineError saying what is wrong. */
export function parseBaseline(value: unknown): Baseline {
  const fail = (what: string): never => {
    throw new BaselineError(what);
  };
  if (value === null || typeof value !== 'object' || Array.isArray(value)) fail('not a JSON object');
  const v = value as Record<string, unknown>;
  if (v.schema !== BASELINE_SCHEMA) fail(`schema is ${JSON.stringify(v.schema)}, expected "${BASELINE_SCHEMA}"`);
  if (typeof v.createdAt !== 'string') fail('createdAt must be a string');
  if (typeof v.procRoot !== 'string') fail('procRoot must be a string');
  if (!Array.isArray(v.listeners)) fail('listeners must be an array');
  if (!Array.isArray(v.networks)) fail('networks must be an array');
  const listeners = (v.listeners as unknown[]).map((x, i): BaselineListener => {
    const l = x as Record<string, unknown>;
    const where = `listeners[${i}]`;
    if (l === null || typeof l !== 'object') fail(`${where} must be an object`);
    if (l.proto !== 'tcp' && l.proto !== 'udp' && l.proto !== 'udplite') fail(`${where}.proto must be tcp, udp or udplite`);
    if (l.family !== 4 && l.family !== 6) fail(`${where}.family must be 4 or 6`);
    if (typeof l.address !== 'string' || parseAddress(l.address) === null) fail(`${where}.address must be an IP address`);
    if (!Number.isInteger(l.port) || (l.port as number) < 0 || (l.port as number) > 65535) fail(`${where}.port must be a port number`);
    if (!Array.isArray(l.programs) || !(l.programs as unknown[]).every((p) => typeof p === 'string')) fail(`${where}.programs must be an array of strings`);
    return { proto: l.proto as BaselineListener['proto'], family: l.family as Family, address: l.address as string, port: l.port as number, programs: [...(l.programs as string[])] };
  });
  const networks = (v.networks as unknown[]).map((x, i): BaselineNetwork => {
    const n = x as Record<string, unknown>;
    const where = `networks[${i}]`;
    if (n === null || typeof n !== 'object') fail(`${where} must be an object`);
    if (n.family !== 4 && n.family !== 6) fail(`${where}.family must be 4 or 6`);
    const m = typeof n.network === 'string' ? /^(.+)\/(\d+)$/.exec(n.network) : null;
    const addr = m ? parseAddress(m[1]!) : null;
    if (!m || !addr || addr.family !== n.family || Number(m[2]) !== (n.family === 4 ? 24 : 64)) fail(`${where}.network must be an IPv4 /24 or an IPv6 /64`);
    if (!Number.isInteger(n.connections) || (n.connections as number) < 0) fail(`${where}.connections must be a count`);
    return { network: n.network as string, family: n.family as Family, connections: n.connections as number };
  });
  return { schema: BASELINE_SCHEMA, createdAt: v.createdAt as string, procRoot: v.procRoot as string, listeners, networks };
}

/** Every kind of Difference, in the order the exporter lists them. */
export const DIFFERENCE_KINDS = ['new-listener', 'listener-gone', 'unknown-program', 'new-network'] as const;

export type Difference =
  | { kind: 'new-listener'; listener: BaselineListener }
  | { kind: 'listener-gone'; listener: BaselineListener }
  | { kind: 'unknown-program'; listener: BaselineListener; program: string; expected: string[] }
  | { kind: 'new-network'; network: BaselineNetwork };

export interface Comparison {
  schema: 'netsnap/v1';
  kind: 'baseline-comparison';
  baselineCreatedAt: string;
  takenAt: string;
  differences: Difference[];
}

/**
 * What differs between a baseline and now: listeners that are new or gone, programs on a known
 * listener the baseline did not record (only where the baseline recorded any program, since
 * owners invisible to an unprivileged user would otherwise all look new), and remote networks of
 * established connections the baseline did not see.
 */
export function compareBaseline(base: Baseline, now: Baseline): Comparison {
  const differences: Difference[] = [];
  const before = new Map(base.listeners.map((l) => [listenerKey(l), l]));
  const after = new Map(now.listeners.map((l) => [listenerKey(l), l]));
  for (const [key, l] of after) {
    const b = before.get(key);
    if (!b) differences.push({ kind: 'new-listener', listener: l });
    else if (b.programs.length > 0) {
      for (const p of l.programs) if (!b.programs.includes(p)) differences.push({ kind: 'unknown-program', listener: l, program: p, expected: b.programs });
    }
  }
  for (const [key, l] of before) if (!after.has(key)) differences.push({ kind: 'listener-gone', listener: l });
  const known = new Set(base.networks.map((n) => n.network));
  for (const n of now.networks) if (!known.has(n.network)) differences.push({ kind: 'new-network', network: n });
  return { schema: 'netsnap/v1', kind: 'baseline-comparison', baselineCreatedAt: base.createdAt, takenAt: now.createdAt, differences };
}

/** How many differences of each kind (every kind, 0 included). */
export function countDifferences(c: Comparison): Record<Difference['kind'], number> {
  const counts = Object.fromEntries(DIFFERENCE_KINDS.map((k) => [k, 0])) as Record<Difference['kind'], number>;
  for (const d of c.differences) counts[d.kind]++;
  return counts;
}

function listenerText(l: BaselineListener): string {
  return `${listenerKey(l)}${l.programs.length ? ` (${l.programs.join(', ')})` : ''}`;
}

export function differenceText(d: Difference): string {
  switch (d.kind) {
    case 'new-listener': return `+ new listener: ${listenerText(d.listener)}`;
    case 'listener-gone': return `- listener gone: ${listenerText(d.listener)}`;
    case 'unknown-program': return `! unknown program on ${listenerKey(d.listener)}: ${d.program} (baseline: ${d.expected.join(', ')})`;
    case 'new-network': return `+ new remote network: ${d.network.network} (${d.network.connections} connection${d.network.connections === 1 ? '' : 's'})`;
  }
}

/** The report as text; `show` is applied to each line's text (the CLI escapes it on a terminal). */
export function comparisonText(c: Comparison, show: (text: string) => string = (text) => text): string {
  const created = show(c.baselineCreatedAt);
  if (c.differences.length === 0) return `No differences from the baseline of ${created}.\n`;
  return `${c.differences.length} difference${c.differences.length === 1 ? '' : 's'} from the baseline of ${created}:\n${c.differences.map((d) => `${show(differenceText(d))}\n`).join('')}`;
}
