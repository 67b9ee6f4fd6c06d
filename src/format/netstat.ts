// netstat's socket tables, byte for byte (net-tools 2.10, LANG=C). Strings here are "binary"
// (latin1) strings: one char per byte, as printf counts them, so widths and cuts match netstat
// and paths or program names that are not UTF-8 come out unchanged.
import type { OwnerIndex, InetTable, UnixTable } from '../tables';
import { ipv4Text, ipv6Text, isUnspecified, isV4Mapped } from './address';
import { UNIX_ACC, UNIX_NOSPACE, UNIX_WAITDATA } from '../states';
import { TCP_STATES } from '../states';
import { userName } from '../names/users';
import type { Names } from '../names/names';
import { inetSprint } from '../tables/routes';
import * as os from 'node:os';
import type { InetProto } from '../model';

export interface NetstatListingOptions {
  all: boolean;
  listening: boolean;
  extend: boolean;
  programs: boolean;
  timers: boolean;
  wide: boolean;
  numericHosts: boolean;
  numericPorts: boolean;
  numericUsers: boolean;
  /** USER_HZ; netstat divides TCP timer jiffies by it. */
  clockTicks?: number;
  passwdFile?: string;
  /** Lookups for non-numeric output; without it names fall back to numbers. */
  names?: Names;
}

const latin1 = new TextDecoder('latin1');

function suffix(o: NetstatListingOptions): string {
  return o.all ? '(servers and established)' : o.listening ? '(only servers)' : '(w/o servers)';
}

export function inetHeader(o: NetstatListingOptions): string {
  let s = `Active Internet connections ${suffix(o)}\nProto Recv-Q Send-Q Local Address           Foreign Address         State      `;
  if (o.extend) s += ' User       Inode     ';
  if (o.programs) s += ' PID/Program name    ';
  if (o.timers) s += ' Timer';
  return s + '\n';
}

export function unixHeader(o: NetstatListingOptions): string {
  let s = `Active UNIX domain sockets ${suffix(o)}\nProto RefCnt Flags       Type       State         I-Node  `;
  if (o.programs) s += ' PID/Program name    ';
  return s + ' Path\n';
}

/** netstat's label for a table's rows. */
export function protoLabel(t: InetTable): string {
  const base = t.proto === 'udplite' ? 'udpl' : t.proto;
  return t.ipv6File ? `${base}6` : base;
}

/** Does the row pass -l / -a / default (non-servers)? */
export function inetRowShown(t: InetTable, i: number, o: NetstatListingOptions): boolean {
  if (o.all) return true;
  // TCP servers are told by the remote port, UDP/RAW servers by an all-zero remote address.
  const server = t.proto === 'tcp' ? t.remotePort[i] === 0 : isUnspecified(t.remoteAddr, i * 16);
  return o.listening ? server : !server;
}

export function unixRowShown(t: UnixTable, i: number, o: NetstatListingOptions): boolean {
  if (o.all) return true;
  const server = t.state[i] === 1 && (t.flags[i]! & UNIX_ACC) !== 0;
  return o.listening ? server : !server;
}

const HOST_ORDER_LE = os.endianness() === 'LE';

function hostText(addr: Uint8Array, off: number, family: number, o: NetstatListingOptions): string {
  if (family === 4) {
    if (o.numericHosts || !o.names) return ipv4Text(addr, off);
    return inetSprint(addr.subarray(off, off + 4), o.names, HOST_ORDER_LE);
  }
  // netstat drops the ::ffff: prefix of IPv4-mapped addresses; only DNS can name them.
  if (isV4Mapped(addr, off)) return (!o.numericHosts && o.names?.mappedHost(addr, off)) || ipv4Text(addr, off + 12);
  if (o.numericHosts) return ipv6Text(addr, off);
  if (isUnspecified(addr, off)) return '[::]';
  return o.names?.host(addr, off, 6) ?? ipv6Text(addr, off);
}

function portText(port: number, proto: InetProto, o: NetstatListingOptions): string {
  if (port === 0) return '*';
  if (o.numericPorts || !o.names) return String(port);
  // RAW sockets' "port" is the IP protocol; UDP-Lite uses the udp service names.
  if (proto === 'raw') return o.names.protocol(port) ?? String(port);
  return o.names.service(port, proto === 'tcp' ? 'tcp' : 'udp') ?? String(port);
}

/** netstat's addr_do_one: "host:port", cut to 23 characters unless -W. */
export function endpointText(addr: Uint8Array, off: number, family: number, port: number, o: NetstatListingOptions, proto: InetProto = 'tcp'): string {
  const host = hostText(addr, off, family, o);
  const serv = portText(port, proto, o);
  if (!o.wide && host.length + serv.length > 22) {
    const portLen = Math.min(serv.length, 18);
    return `${host.slice(0, 22 - portLen)}:${serv.slice(0, portLen)}`;
  }
  return `${host}:${serv}`;
}

function programText(owners: OwnerIndex | null, inode: number): string {
  if (!owners || inode === 0) return '-';
  const k = owners.first(inode);
  if (k < 0) return '-';
  const pid = owners.pids[k]!; // entries of one inode are sorted by pid: the lowest first, as netstat's scan finds it
  const p = owners.processIndex(pid);
  const name = p < 0 ? '' : latin1.decode(owners.nameBytes(p));
  return `${pid}/${name}`.slice(0, 19);
}

function userText(uid: number, o: NetstatListingOptions): string {
  if (!o.numericUsers) {
    const name = userName(uid, o.passwdFile);
    if (name !== null) return name;
  }
  return String(uid);
}

function fixed2(x: number): string {
  return x.toFixed(2);
}

function timerText(t: InetTable, i: number, o: NetstatListingOptions): string {
  const kind = t.timerKind[i]!;
  const when = t.timerJiffies[i]!;
  const to = t.timeout[i]! | 0;
  if (t.proto === 'tcp') {
    const retr = t.retransmits[i]!;
    const secs = fixed2(when / (o.clockTicks ?? 100));
    switch (kind) {
      case 0: return `off (0.00/${retr}/${to})`;
      case 1: return `on (${secs}/${retr}/${to})`;
      case 2: return `keepalive (${secs}/${retr}/${to})`;
      case 3: return `timewait (${secs}/${retr}/${to})`;
      case 4: return `probe (${secs}/${retr}/${to})`;
      default: return `unkn-${kind} (${secs}/${retr}/${to})`;
    }
  }
  // UDP and RAW: netstat forces retransmits to 0 and divides by 100.
  const secs = fixed2(when / 100);
  switch (kind) {
    case 0: return `off (0.00/0/${to})`;
    case 1: case 2: return `on${kind} (${secs}/0/${to})`;
    default: return `unkn-${kind} (${secs}/0/${to})`;
  }
}

function tail(t: InetTable, i: number, o: NetstatListingOptions, owners: OwnerIndex | null): string {
  let s = '';
  if (o.extend) s += ` ${userText(t.uid[i]!, o).padEnd(10)} ${String(t.inode[i]!).padEnd(10)}`;
  if (o.programs) s += ` ${programText(owners, t.inode[i]!).padEnd(20)}`;
  if (o.timers) s += ` ${timerText(t, i, o)}`;
  return s + '\n';
}

export function inetRow(t: InetTable, i: number, o: NetstatListingOptions, owners: OwnerIndex | null): string {
  const family = t.family[i]!;
  const local = endpointText(t.localAddr, i * 16, family, t.localPort[i]!, o, t.proto);
  const remote = endpointText(t.remoteAddr, i * 16, family, t.remotePort[i]!, o, t.proto);
  const rx = String(t.rxQueue[i]!).padStart(6);
  const tx = String(t.txQueue[i]!).padStart(6);
  const label = protoLabel(t);
  const st = t.state[i]!;
  let head: string;
  if (t.proto === 'tcp') {
    const name = (st >= 1 && TCP_STATES[st]) || 'UNKNOWN';
    head = `${label.padEnd(4)}  ${rx} ${tx} ${local.padEnd(23)} ${remote.padEnd(23)} ${name.padEnd(11)}`;
  } else if (t.proto === 'raw') {
    head = `${label.padEnd(4)}  ${rx} ${tx} ${local.padEnd(23)} ${remote.padEnd(23)} ${String(st).padEnd(11)}`;
  } else {
    const name = st === 1 ? 'ESTABLISHED' : st === 7 ? '' : 'UNKNOWN';
    head = `${label.padEnd(5)} ${rx} ${tx} ${local.padEnd(23)} ${remote.padEnd(23)} ${name.padEnd(11)}`;
  }
  return head + tail(t, i, o, owners);
}

function unixFlagsText(flags: number): string {
  let s = '[ ';
  if (flags & UNIX_ACC) s += 'ACC ';
  if (flags & UNIX_WAITDATA) s += 'W ';
  if (flags & UNIX_NOSPACE) s += 'N ';
  return s + ']';
}

function unixStateText(state: number, flags: number): string {
  switch (state) {
    case 0: return 'FREE';
    case 1: return flags & UNIX_ACC ? 'LISTENING' : '';
    case 2: return 'CONNECTING';
    case 3: return 'CONNECTED';
    case 4: return 'DISCONNECTING';
    default: return 'UNKNOWN';
  }
}

const UNIX_TYPE_TEXT: Readonly<Record<number, string>> = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET' };

/**
 * One UNIX row. Deliberate deviation: netstat cuts the path at its first space; we print it whole.
 */
export function unixRow(t: UnixTable, i: number, o: NetstatListingOptions, owners: OwnerIndex | null): string {
  const flags = t.flags[i]!;
  let s = `${(t.protocol[i] === 0 ? 'unix' : '??').padEnd(5)} ${String(t.refCount[i]!).padEnd(6)} ${unixFlagsText(flags).padEnd(11)} ` +
    `${(UNIX_TYPE_TEXT[t.type[i]!] ?? 'UNKNOWN').padEnd(10)} ${unixStateText(t.state[i]!, flags).padEnd(13)} ` +
    String(t.inode[i]!).padEnd(8);
  if (o.programs) s += ` ${programText(owners, t.inode[i]!).padEnd(20)}`;
  return `${s} ${latin1.decode(t.pathBytes(i))}\n`;
}
