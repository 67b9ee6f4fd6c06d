// Structured output (--json, --ndjson): pure functions from a Snapshot or from the parsed -r / -i
// / -s tables to plain JSON objects, plus the serializer. The shape is versioned and described by
// schema/netsnap-v1.schema.json; bump SCHEMA_ID on any incompatible change.
import type { Snapshot, InetSocket, UnixSocket } from '../model/snapshot';
import type { InetTable, UnixTable, Owner } from '../model/columns';
import type { InetProto } from '../model/contract';
import type { Names } from '../names/names';
import { HOST_LITTLE_ENDIAN, ipv4Text, ipv6Text, isUnspecified, isV4Mapped } from '../model/address';
import { userName } from '../names/users';
import { UNIX_ACC, UNIX_NOSPACE, UNIX_WAITDATA } from '../model/states';
import { inetSprint } from './hosts';
import { ipv4RouteFlags, ipv6RouteFlags, ipv4CacheFlags } from './routes';
import type { Ipv4Route } from '../procnet/route';
import type { Ipv6Route } from '../procnet/ipv6_route';
import type { RouteCacheEntry } from '../procnet/rt_cache';
import type { LineProblem } from '../procnet/lines';
import type { DevStats } from '../procnet/dev';
import type { Inet6Entry } from '../procnet/if_inet6';
import { IFF, type InterfaceInfo } from '../procnet/interface_list';
import type { Counter, CounterTable } from '../procnet/snmp';

import type { TcpInfo } from '../model/tcp_info';

export const SCHEMA_ID = 'netsnap/v1';

export type Json = null | boolean | number | bigint | string | Json[] | { [key: string]: Json | undefined };
export type JsonObject = { [key: string]: Json | undefined };

// ---------------------------------------------------------------------------------------------
// Serialization

const BIG = '\u0000netsnap-bigint:';
const BIG_RE = /"\\u0000netsnap-bigint:(\d+)"/g;

/**
 * One line of JSON, ASCII only: every non-ASCII character is escaped as \uXXXX, so the text
 * survives the CLI's latin1 (one char per byte) output path unchanged. Bigints (u64 counters)
 * are written as plain JSON integers, exactly, however large.
 */
export function stringifyJson(value: Json): string {
  // JSON.stringify asks a BigInt for toJSON() (ECMA-262 SerializeJSONProperty): lent for this one
  // call, it marks each bigint without a replacer function, which would be called for every key.
  const proto = BigInt.prototype as unknown as { toJSON?: () => string };
  const had = Object.prototype.hasOwnProperty.call(proto, 'toJSON');
  const saved = proto.toJSON;
  proto.toJSON = function toJSON(this: bigint) {
    return BIG + this.toString();
  };
  let text: string;
  try {
    text = JSON.stringify(value);
  } finally {
    if (had) proto.toJSON = saved;
    else delete proto.toJSON;
  }
  return text
    .replace(BIG_RE, '$1')
    .replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Writes a document (--json) or its lines (--ndjson) to `io`, one JSON text per line. */
export function writeJson(o: { format: string }, io: { out(text: string): void }, doc: Json, lines: () => Json[]): void {
  if (o.format === 'ndjson') {
    const out = lines().map((l) => `${stringifyJson(l)}\n`);
    if (out.length) io.out(out.join(''));
  } else io.out(`${stringifyJson(doc)}\n`);
}

// ---------------------------------------------------------------------------------------------
// Sockets

export interface SocketJsonOptions {
  /** Lookups for names; null/undefined: numeric (no `name`/`service` keys). */
  names?: Names | null;
  numericHosts?: boolean;
  numericPorts?: boolean;
  numericUsers?: boolean;
  passwdFile?: string;
  /** USER_HZ for TCP timers (netstat: 100). */
  clockTicks?: number;
}

const utf8Fatal = new TextDecoder('utf-8', { fatal: true });
const utf8Lossy = new TextDecoder('utf-8');

function hostName(addr: Uint8Array, off: number, family: 4 | 6, names: Names): string | null {
  let name: string | null;
  if (family === 4) {
    const text = inetSprint(addr.subarray(off, off + 4), names, HOST_LITTLE_ENDIAN);
    name = text === ipv4Text(addr, off) ? null : text;
  } else if (isV4Mapped(addr, off)) name = names.mappedHost(addr, off);
  else if (isUnspecified(addr, off)) name = null;
  else name = names.host(addr, off, 6);
  return name;
}

function serviceName(port: number, proto: InetProto, names: Names): string | null {
  if (port === 0) return null;
  if (proto === 'raw') return names.protocol(port);
  return names.service(port, proto === 'tcp' ? 'tcp' : 'udp');
}

function endpoint(address: string, port: number, addr: Uint8Array, off: number, family: 4 | 6, proto: InetProto, o: SocketJsonOptions): JsonObject {
  const e: JsonObject = { address, port };
  if (o.names) {
    if (!o.numericHosts) {
      const n = hostName(addr, off, family, o.names);
      if (n !== null) e.name = n;
    }
    if (!o.numericPorts) {
      const s = serviceName(port, proto, o.names);
      if (s !== null) e.service = s;
    }
  }
  return e;
}

const TCP_TIMERS: Readonly<Record<number, string>> = { 0: 'off', 1: 'on', 2: 'keepalive', 3: 'timewait', 4: 'probe' };
const UDP_TIMERS: Readonly<Record<number, string>> = { 0: 'off', 1: 'on1', 2: 'on2' };

export function timerKindName(proto: InetProto, kind: number): string {
  return (proto === 'tcp' ? TCP_TIMERS[kind] : UDP_TIMERS[kind]) ?? `unkn-${kind}`;
}

function ownersJson(owners: readonly Owner[]): JsonObject[] {
  return owners.map((w) => ({
    pid: w.pid, fd: w.fd, program: w.name, comm: w.comm, uid: w.uid,
    ...(w.cgroup !== undefined ? { cgroup: w.cgroup } : {}),
    ...(w.container !== undefined ? { container: w.container === null ? null : { ...w.container } } : {}),
  }));
}

export function inetSocketJson(s: InetSocket, t: InetTable, i: number, o: SocketJsonOptions = {}): JsonObject {
  const ticks = s.proto === 'tcp' ? (o.clockTicks ?? 100) : 100;
  return {
    proto: s.proto,
    file: s.file,
    family: s.family,
    state: s.state,
    stateName: s.stateName,
    local: endpoint(s.localAddress, s.localPort, t.localAddr, i * 16, s.family, s.proto, o),
    remote: endpoint(s.remoteAddress, s.remotePort, t.remoteAddr, i * 16, s.family, s.proto, o),
    recvQ: s.rxQueue,
    sendQ: s.txQueue,
    timer: {
      kind: s.timer.kind,
      kindName: timerKindName(s.proto, s.timer.kind),
      jiffies: s.timer.jiffies,
      seconds: s.timer.jiffies / ticks,
      retransmits: s.timer.retransmits,
      timeout: s.timer.timeout,
    },
    uid: s.uid,
    user: o.numericUsers ? null : userName(s.uid, o.passwdFile),
    inode: s.inode,
    drops: s.drops,
    ...(s.backlog !== undefined ? { backlog: s.backlog } : {}),
    owners: ownersJson(s.owners),
    ...internalsJson(s),
  };
}

/** The 8-byte fields that hold ~0 for "unlimited" (a listener's pacing rates, say). */
const UNLIMITED_FIELDS = ['pacingRateBytesPerSec', 'maxPacingRateBytesPerSec'] as const;

/** tcp_info as JSON: u64 values as the kernel keeps them, the ~0 of an unlimited rate exactly (not rounded). */
function infoJson(info: TcpInfo): JsonObject {
  if (!UNLIMITED_FIELDS.some((k) => (info[k] ?? 0) >= 2 ** 64)) return info;
  const out: JsonObject = { ...info };
  for (const k of UNLIMITED_FIELDS) if ((info[k] ?? 0) >= 2 ** 64) out[k] = 0xffffffffffffffffn;
  return out;
}

/** What --info, --memory and --cgroup add to a row (present only when asked for). */
function internalsJson(s: InetSocket): JsonObject {
  const out: JsonObject = {};
  if (s.cookie !== undefined) out.cookie = s.cookie;
  if (s.cgroup !== undefined) {
    out.cgroupId = s.cgroupId ?? null;
    out.cgroup = s.cgroup;
  }
  if (s.congestion !== undefined) out.congestion = s.congestion;
  if (s.info !== undefined) out.info = s.info === null ? null : infoJson(s.info);
  if (s.memory !== undefined) out.memory = s.memory;
  return out;
}

export function unixFlagNames(flags: number): string[] {
  const out: string[] = [];
  if (flags & UNIX_ACC) out.push('ACC');
  if (flags & UNIX_WAITDATA) out.push('WAITDATA');
  if (flags & UNIX_NOSPACE) out.push('NOSPACE');
  return out;
}

export function unixSocketJson(s: UnixSocket, t: UnixTable, i: number): JsonObject {
  const out: JsonObject = {
    proto: 'unix',
    file: 'unix',
    state: s.state,
    stateName: s.stateName,
    type: s.type,
    typeName: s.typeName,
    flags: s.flags,
    flagNames: unixFlagNames(s.flags),
    refCount: s.refCount,
    protocol: s.protocol,
    inode: s.inode,
    path: null,
    owners: ownersJson(s.owners),
  };
  const bytes = t.pathBytes(i);
  if (bytes.length > 0) {
    try {
      out.path = utf8Fatal.decode(bytes);
    } catch {
      out.path = utf8Lossy.decode(bytes);
      out.pathBase64 = Buffer.from(bytes).toString('base64');
    }
  }
  return out;
}

export interface SocketRowFilter {
  inet(t: InetTable, i: number): boolean;
  unix(t: UnixTable, i: number): boolean;
}

/** Socket objects of a snapshot, in the text listing's order (file order), filtered. */
export function socketsJson(snap: Snapshot, filter: SocketRowFilter, o: SocketJsonOptions = {}, inetFiles?: readonly string[]): JsonObject[] {
  const out: JsonObject[] = [];
  const tables = inetFiles ? inetFiles.map((f) => snap.table(f)).filter((t): t is InetTable => t !== undefined) : snap.inet;
  for (const t of tables) {
    for (let i = 0; i < t.count; i++) if (filter.inet(t, i)) out.push(inetSocketJson(snap.inetSocket(t, i), t, i, o));
  }
  const u = snap.unix;
  if (u) for (let i = 0; i < u.count; i++) if (filter.unix(u, i)) out.push(unixSocketJson(snap.unixSocket(u, i), u, i));
  return out;
}

export function socketsDocument(snap: Snapshot, sockets: JsonObject[]): JsonObject {
  return {
    schema: SCHEMA_ID,
    kind: 'sockets',
    backend: snap.backend,
    takenAt: new Date(snap.takenAt).toISOString(),
    procRoot: snap.procRoot,
    netDir: snap.netDir,
    sockets,
    problems: snap.problems.map((p) => ({ file: p.file, line: p.line, code: p.code, reason: p.reason })),
    unreadable: snap.unreadable.map((u) => ({ file: u.file, code: u.code })),
    owners: snap.owners
      ? { pidsScanned: snap.owners.pidsScanned, pidsVanished: snap.owners.pidsVanished, pidsDenied: snap.owners.pidsDenied }
      : null,
  };
}

/** NDJSON lines of a sockets document: one per socket, then one per problem and unreadable file. */
export function socketsNdjsonLines(doc: JsonObject): JsonObject[] {
  const lines: JsonObject[] = [];
  for (const s of doc.sockets as JsonObject[]) lines.push({ schema: SCHEMA_ID, kind: 'socket', ...s });
  for (const p of doc.problems as JsonObject[]) lines.push({ schema: SCHEMA_ID, kind: 'problem', ...p });
  for (const u of doc.unreadable as JsonObject[]) lines.push({ schema: SCHEMA_ID, kind: 'unreadable', ...u });
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Routes (-r)

function v4(b: Uint8Array): string {
  return ipv4Text(b, 0);
}

export function ipv4RouteJson(r: Ipv4Route): JsonObject {
  return {
    iface: r.iface, destination: v4(r.destination), gateway: v4(r.gateway), mask: v4(r.mask),
    flags: r.flags, flagsText: ipv4RouteFlags(r.flags), refCnt: r.refCnt, use: r.use, metric: r.metric,
    mtu: r.mtu, window: r.window, irtt: r.irtt,
  };
}

export function ipv6RouteJson(r: Ipv6Route): JsonObject {
  return {
    iface: r.iface, destination: ipv6Text(r.destination, 0), prefixLength: r.prefixLength,
    source: ipv6Text(r.source, 0), sourcePrefixLength: r.sourcePrefixLength, nextHop: ipv6Text(r.nextHop, 0),
    flags: r.flags, flagsText: ipv6RouteFlags(r.flags), metric: r.metric, refCnt: r.refCnt, use: r.use,
  };
}

export function routeCacheJson(e: RouteCacheEntry, layout: 1 | 2): JsonObject {
  return {
    iface: e.iface, destination: v4(e.destination), gateway: v4(e.gateway), source: v4(e.source), specDst: v4(e.specDst),
    flags: e.flags, flagsText: ipv4CacheFlags(e.flags, layout), refCnt: e.refCnt, use: e.use, metric: e.metric,
    mtu: e.mtu, window: e.window, irtt: e.irtt, tos: e.tos, hhRef: e.hhRef, hhUptodate: e.hhUptodate, hh: e.hh, arp: e.arp,
  };
}

export interface RouteTableJson extends JsonObject {
  family: 'inet' | 'inet6';
  table: 'fib' | 'cache';
  file: string;
  /** errno name when the file could not be read. */
  error: string | null;
  routes: JsonObject[];
  problems: JsonObject[];
}

export function lineProblemsJson(file: string, problems: readonly LineProblem[]): JsonObject[] {
  return problems.map((p) => ({ file, line: p.line, reason: p.reason }));
}

export function routesDocument(procRoot: string, tables: RouteTableJson[]): JsonObject {
  return { schema: SCHEMA_ID, kind: 'routes', takenAt: new Date().toISOString(), procRoot, tables };
}

// ---------------------------------------------------------------------------------------------
// Interfaces (-i)

export function iffNames(flags: number): string[] {
  return Object.entries(IFF).filter(([, bit]) => (flags & bit) !== 0).map(([name]) => name);
}

function statsJson(s: DevStats): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(s)) out[k] = v as bigint;
  return out;
}

export function interfaceJson(info: InterfaceInfo, inet6: readonly Inet6Entry[]): JsonObject {
  const dev = info.name.includes(':') ? info.name.slice(0, info.name.indexOf(':')) : info.name;
  return {
    name: info.name,
    flags: info.flags,
    flagNames: iffNames(info.flags),
    mtu: info.mtu,
    hwType: info.hwType,
    hwAddress: Array.from(info.hwAddress.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(':'),
    txQueueLen: info.txQueueLen,
    stats: info.stats ? statsJson(info.stats) : null,
    ipv4: info.ipv4 ? { ...info.ipv4 } : null,
    ipv6: info.name === dev
      ? inet6.filter((e) => e.device === dev).map((e) => ({ address: ipv6Text(e.address, 0), prefixLength: e.prefixLen, scope: e.scope }))
      : [],
  };
}

export function interfacesDocument(procRoot: string, interfaces: JsonObject[], errors: JsonObject[]): JsonObject {
  return { schema: SCHEMA_ID, kind: 'interfaces', takenAt: new Date().toISOString(), procRoot, interfaces, errors };
}

// ---------------------------------------------------------------------------------------------
// Statistics (-s)

export function countersJson(counters: readonly Counter[]): JsonObject[] {
  return counters.map((c) => ({ name: c.name, value: c.value }));
}

export function counterTablesJson(tables: readonly CounterTable[]): JsonObject[] {
  return tables.map((t) => ({ title: t.title, counters: countersJson(t.counters) }));
}

export interface StatisticsSourceJson extends JsonObject {
  file: string;
  /** errno name when the file could not be opened or read. */
  error: string | null;
  /** A malformed pair of lines stopped the parse (tables holds what came before). */
  malformed: boolean;
  tables: JsonObject[];
}

export function statisticsDocument(procRoot: string, family: string, sources: StatisticsSourceJson[]): JsonObject {
  return { schema: SCHEMA_ID, kind: 'statistics', takenAt: new Date().toISOString(), procRoot, family, sources };
}
