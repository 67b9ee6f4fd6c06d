// netstat -i: the interface table and the ifconfig-style blocks of -ie, as net-tools 2.10 prints
// them (lib/interface.c: if_readlist_proc, nstrcmp, ife_print_short, ife_print_long). Everything
// here is pure: the CLI reads /proc/net/dev, /proc/net/if_inet6 and /sys/class/net and passes the
// text and values in.
import { ipv6Text } from '../model/address';
import { hexAddress6, isCSpace, isDigit, strtoull } from './lines';

// ---------------------------------------------------------------------------------------------
// /proc/net/dev

/** One interface's counters from /proc/net/dev, all u64 in the kernel. */
export interface DevStats {
  rxBytes: bigint;
  rxPackets: bigint;
  rxErrors: bigint;
  rxDropped: bigint;
  rxFifo: bigint;
  rxFrame: bigint;
  rxCompressed: bigint;
  rxMulticast: bigint;
  txBytes: bigint;
  txPackets: bigint;
  txErrors: bigint;
  txDropped: bigint;
  txFifo: bigint;
  collisions: bigint;
  txCarrier: bigint;
  txCompressed: bigint;
}

export interface NetDevEntry {
  name: string;
  stats: DevStats;
}

type StatKey = keyof DevStats;

/**
 * The column order of each /proc/net/dev layout, as netstat's get_dev_fields() scans them.
 * Version 3 (since Linux 2.2) has `compressed` in the header, version 2 has `bytes`, version 1
 * has neither; netstat picks the layout from the second header line.
 */
const LAYOUTS: Record<1 | 2 | 3, readonly StatKey[]> = {
  3: ['rxBytes', 'rxPackets', 'rxErrors', 'rxDropped', 'rxFifo', 'rxFrame', 'rxCompressed', 'rxMulticast',
    'txBytes', 'txPackets', 'txErrors', 'txDropped', 'txFifo', 'collisions', 'txCarrier', 'txCompressed'],
  2: ['rxBytes', 'rxPackets', 'rxErrors', 'rxDropped', 'rxFifo', 'rxFrame',
    'txBytes', 'txPackets', 'txErrors', 'txDropped', 'txFifo', 'collisions', 'txCarrier'],
  1: ['rxPackets', 'rxErrors', 'rxDropped', 'rxFifo', 'rxFrame',
    'txPackets', 'txErrors', 'txDropped', 'txFifo', 'collisions', 'txCarrier'],
};

export function zeroStats(): DevStats {
  return {
    rxBytes: 0n, rxPackets: 0n, rxErrors: 0n, rxDropped: 0n, rxFifo: 0n, rxFrame: 0n, rxCompressed: 0n,
    rxMulticast: 0n, txBytes: 0n, txPackets: 0n, txErrors: 0n, txDropped: 0n, txFifo: 0n, collisions: 0n,
    txCarrier: 0n, txCompressed: 0n,
  };
}

function netDevVersion(header: string): 1 | 2 | 3 {
  if (header.includes('compressed')) return 3;
  if (header.includes('bytes')) return 2;
  return 1;
}

/**
 * Parses /proc/net/dev. The name is what precedes the `:` (kernel names can hold neither `:` nor
 * blanks); the counters are scanned like netstat's sscanf, so a short or garbled line keeps
 * zeros where it stops rather than being dropped.
 *
 * Deliberate deviation: Debian's netstat 2.10 shows all-zero counters for a 15-character name
 * (its patched name parser stops before the `:`); we print the real counters.
 */
export function parseNetDev(text: string): NetDevEntry[] {
  const lines = text.split('\n');
  const layout = LAYOUTS[netDevVersion(lines[1] ?? '')];
  const out: NetDevEntry[] = [];
  for (let n = 2; n < lines.length; n++) {
    const line = lines[n]!;
    if (line.trim() === '') continue;
    let i = 0;
    while (isCSpace(line[i])) i++;
    const start = i;
    while (i < line.length && line[i] !== ':' && !isCSpace(line[i])) i++;
    const name = line.slice(start, i);
    if (line[i] === ':') i++;
    const stats = zeroStats();
    for (const key of layout) {
      // sscanf's %llu converts as strtoull; where it finds no digits it stops, and the remaining
      // fields keep their zero, as in netstat.
      const r = strtoull(line, i);
      if (r.end === i) break;
      stats[key] = r.value;
      i = r.end;
    }
    out.push({ name, stats });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Order: net-tools' nstrcmp and its sorted interface cache

/** glibc atoi() = (int)strtol(): saturate at LONG_MAX, then keep the low 32 bits. */
function atoi(digits: string): number {
  if (digits === '') return 0;
  let v = BigInt(digits);
  const LONG_MAX = (1n << 63n) - 1n;
  if (v > LONG_MAX) v = LONG_MAX;
  return Number(BigInt.asIntN(32, v));
}

/** nstrcmp's cutalias(): splits a trailing `:<digits>` alias number off. */
function cutAlias(name: string): { base: string; alias: string | null } {
  let digit = false;
  for (let pos = name.length; pos > 0; pos--) {
    const c = name[pos - 1];
    if (c === ':' && digit) return { base: name.slice(0, pos - 1), alias: name.slice(pos) };
    if (!isDigit(c)) break;
    digit = true;
  }
  return { base: name, alias: null };
}

/** Length of `name` without its trailing digits. */
function rindexNondigit(name: string): number {
  for (let pos = name.length; pos > 0; pos--) if (!isDigit(name[pos - 1])) return pos;
  return 0;
}

/**
 * net-tools 2.10's nstrcmp(): names compare by their non-digit prefix, then by the number that
 * ends them (eth2 < eth10), then by the `:N` alias number (va0 < va0:1 < va0:2). Copied with its
 * quirks (eth01 equals eth1, numbers wrap like atoi) because netstat's interface list both sorts
 * and de-duplicates with it.
 */
export function nstrcmp(a: string, b: string): number {
  const A = cutAlias(a);
  const B = cutAlias(b);
  const ai = rindexNondigit(A.base);
  const bi = rindexNondigit(B.base);
  const n = Math.min(ai, bi);
  for (let k = 0; k < n; k++) {
    const d = A.base.charCodeAt(k) - B.base.charCodeAt(k);
    if (d !== 0) return d;
  }
  if (ai !== bi) return ai > bi ? 1 : -1;
  const av = atoi(A.base.slice(ai));
  const bv = atoi(B.base.slice(bi));
  if (av !== bv) return av < bv ? -1 : 1;
  const aa = A.alias === null ? -1 : atoi(A.alias);
  const ba = B.alias === null ? -1 : atoi(B.alias);
  return aa < ba ? -1 : aa > ba ? 1 : 0;
}

/** One entry of netstat's interface list: a /proc/net/dev device or an IPv4 address label. */
export interface ListedInterface {
  name: string;
  /** Counters from /proc/net/dev; null for a label only SIOCGIFCONF knows (an alias). */
  stats: DevStats | null;
}

/**
 * netstat's if_cache_add(): keeps `list` sorted by nstrcmp, searching from the end, and returns
 * the entry nstrcmp calls equal to `name` if there is one instead of adding it. Names are cut
 * to IFNAMSIZ-1 characters.
 */
export function addInterface(list: ListedInterface[], name: string): ListedInterface {
  const cut = name.slice(0, 15);
  let i = list.length - 1;
  for (; i >= 0; i--) {
    const n = nstrcmp(list[i]!.name, cut);
    if (n === 0) return list[i]!;
    if (n < 0) break;
  }
  const entry: ListedInterface = { name: cut, stats: null };
  list.splice(i + 1, 0, entry);
  return entry;
}

/**
 * The list netstat -i walks (if_readlist): the /proc/net/dev devices with their counters (a
 * repeated name keeps the last line's), then every IPv4 address label (SIOCGIFCONF, which brings
 * alias rows such as `eth0:1`), in nstrcmp order.
 */
export function interfaceList(dev: readonly NetDevEntry[], ipv4Labels: readonly string[]): ListedInterface[] {
  const list: ListedInterface[] = [];
  for (const d of dev) addInterface(list, d.name).stats = d.stats;
  for (const label of ipv4Labels) addInterface(list, label);
  return list;
}

/** The device an alias label belongs to: the kernel's ioctls cut the name at its first `:`. */
export function baseDevice(name: string): string {
  const colon = name.indexOf(':');
  return colon < 0 ? name : name.slice(0, colon);
}

// ---------------------------------------------------------------------------------------------
// Flags

export const IFF = {
  UP: 0x1, BROADCAST: 0x2, DEBUG: 0x4, LOOPBACK: 0x8, POINTOPOINT: 0x10, NOTRAILERS: 0x20,
  RUNNING: 0x40, NOARP: 0x80, PROMISC: 0x100, ALLMULTI: 0x200, MASTER: 0x400, SLAVE: 0x800,
  MULTICAST: 0x1000, PORTSEL: 0x2000, AUTOMEDIA: 0x4000, DYNAMIC: 0x8000,
} as const;

/** What /sys/class/net/<dev>/ tells about a device's flags. */
export interface SysfsFlagInputs {
  /** `flags`: dev->flags, without RUNNING and with promiscuity/allmulti the kernel took itself. */
  devFlags: number;
  /** `operstate`, or null when the file could not be read. */
  operstate: string | null;
  /** `carrier` (1/0), or null when unreadable (the kernel refuses it while the device is down). */
  carrier: boolean | null;
  /** A `brport` directory exists: the device is a port of a Linux bridge. */
  bridgePort: boolean;
}

/**
 * The 16-bit flags SIOCGIFFLAGS would give netstat, rebuilt from sysfs. The ioctl returns
 * dev_get_flags(): RUNNING is added when the device is up and its operstate is UP or UNKNOWN
 * (netif_oper_up), and PROMISC/ALLMULTI come from the user-requested gflags rather than from
 * dev->flags. sysfs shows dev->flags, where a bridge sets both on each port; so for a bridge port
 * we clear them (a heuristic: promisc asked for by hand on a bridge port is lost). Other kernel
 * users of promiscuity (tcpdump, macvlan, bonding, OVS) still show through as P/A.
 */
export function ioctlFlags(s: SysfsFlagInputs): number {
  let flags = s.devFlags & 0xffff & ~IFF.RUNNING;
  if (s.bridgePort) flags &= ~(IFF.PROMISC | IFF.ALLMULTI);
  const up = (flags & IFF.UP) !== 0;
  const running = s.operstate !== null ? s.operstate === 'up' || s.operstate === 'unknown' : s.carrier === true;
  if (up && running) flags |= IFF.RUNNING;
  return flags;
}

/** The Flg column letters, in ife_print_short's order; P appears twice (promisc, pointopoint). */
export function flagLetters(flags: number): string {
  let s = flags === 0 ? '[NO FLAGS]' : '';
  const letters: Array<[number, string]> = [
    [IFF.ALLMULTI, 'A'], [IFF.BROADCAST, 'B'], [IFF.DEBUG, 'D'], [IFF.LOOPBACK, 'L'], [IFF.MULTICAST, 'M'],
    [IFF.DYNAMIC, 'd'], [IFF.PROMISC, 'P'], [IFF.NOTRAILERS, 'N'], [IFF.NOARP, 'O'], [IFF.POINTOPOINT, 'P'],
    [IFF.SLAVE, 's'], [IFF.MASTER, 'm'], [IFF.RUNNING, 'R'], [IFF.UP, 'U'],
  ];
  for (const [bit, c] of letters) if (flags & bit) s += c;
  return s;
}

/**
 * `flags=4163<UP,BROADCAST,RUNNING,MULTICAST>` of ife_print_long. The number is the C `short`
 * (IFF_DYNAMIC makes it negative). Its closing bracket replaces the last comma; with no name to
 * list, netstat chops the last character instead, so 0 prints `flags=0<`.
 */
export function flagsText(flags: number): string {
  let s = `flags=${(flags << 16) >> 16}<`;
  if (flags === 0) s += '>';
  const names: Array<[number, string]> = [
    [IFF.UP, 'UP'], [IFF.BROADCAST, 'BROADCAST'], [IFF.DEBUG, 'DEBUG'], [IFF.LOOPBACK, 'LOOPBACK'],
    [IFF.POINTOPOINT, 'POINTOPOINT'], [IFF.NOTRAILERS, 'NOTRAILERS'], [IFF.RUNNING, 'RUNNING'],
    [IFF.NOARP, 'NOARP'], [IFF.PROMISC, 'PROMISC'], [IFF.ALLMULTI, 'ALLMULTI'], [IFF.SLAVE, 'SLAVE'],
    [IFF.MASTER, 'MASTER'], [IFF.MULTICAST, 'MULTICAST'], [IFF.DYNAMIC, 'DYNAMIC'],
  ];
  for (const [bit, name] of names) if (flags & bit) s += `${name},`;
  return s.endsWith(',') ? `${s.slice(0, -1)}>` : s.slice(0, -1);
}

// ---------------------------------------------------------------------------------------------
// Hardware types (lib/hw.c and friends, as compiled into Debian's 2.10)

interface HwType {
  name: string;
  title: string;
  /** Address text, or null when netstat prints only the type name. */
  print: ((hwaddr: Uint8Array) => string) | null;
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

const UNSPEC: HwType = {
  name: 'unspec',
  title: 'UNSPEC',
  // pr_unspec prints sizeof(struct sockaddr) = 16 bytes.
  print: (a) => Array.from(a.subarray(0, 16), (b) => hex2(b).toUpperCase()).join('-'),
};

/**
 * The ARPHRD types netstat names; anything else prints as unspec. Types net-tools knows but
 * modern kernels do not create (slip, ax25, arcnet, fddi, hippi, hdlc, x25, …) are left out and
 * would also print as unspec here.
 */
const HW_TYPES: ReadonlyMap<number, HwType> = new Map([
  [1, { name: 'ether', title: 'Ethernet', print: (a: Uint8Array) => Array.from(a.subarray(0, 6), hex2).join(':') }],
  [512, { name: 'ppp', title: 'Point-to-Point Protocol', print: null }],
  [768, { name: 'tunnel', title: 'IPIP Tunnel', print: () => '' }],
  [772, { name: 'loop', title: 'Local Loopback', print: null }],
  [776, { name: 'sit', title: 'IPv6-in-IPv4', print: null }],
]);

// ---------------------------------------------------------------------------------------------
// Addresses for -ie

/** The IPv4 address of one label, as SIOCGIFADDR/NETMASK/BRDADDR/DSTADDR give them. */
export interface Ipv4Config {
  address: string;
  netmask: string;
  broadcast: string;
  destination: string;
}

function ipv4Number(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return null;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

function ipv4Dotted(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

/**
 * An Ipv4Config from what getifaddrs (os.networkInterfaces) offers: address and netmask only.
 * The broadcast the kernel holds cannot be read without an ioctl or netlink, so we assume
 * address | ~netmask (what ifconfig, DHCP clients and `ip addr add … brd +` set; plain
 * `ip addr add` leaves 0.0.0.0, which netstat would show). The point-to-point peer is
 * likewise unknown; we assume the local address, which is right when no peer was given.
 */
export function guessIpv4Config(address: string, netmask: string): Ipv4Config | null {
  const a = ipv4Number(address);
  const m = ipv4Number(netmask);
  if (a === null || m === null) return null;
  return { address, netmask, broadcast: ipv4Dotted((a | ~m) >>> 0), destination: address };
}

/** One line of /proc/net/if_inet6. */
export interface Inet6Entry {
  address: Uint8Array;
  prefixLen: number;
  scope: number;
  device: string;
}

/**
 * Parses /proc/net/if_inet6 (`addr ifindex plen scope flags name`, hex). Lines that do not have
 * that shape are skipped: netstat's fscanf would stop matching there too.
 */
export function parseIfInet6(text: string): Inet6Entry[] {
  const out: Inet6Entry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const address = f.length < 6 ? null : hexAddress6(f[0]);
    if (!address) continue;
    const plen = parseInt(f[2]!, 16);
    const scope = parseInt(f[3]!, 16);
    if (Number.isNaN(plen) || Number.isNaN(scope)) continue;
    out.push({ address, prefixLen: plen, scope, device: f[5]! });
  }
  return out;
}

const IPV6_ADDR_COMPATV4 = 0x80;

/** `  scopeid 0x20<link>` of ife_print_long, including its way of closing the bracket. */
function scopeText(scope: number): string {
  let s = '<';
  let rest = scope;
  if (rest & IPV6_ADDR_COMPATV4) {
    s += 'compat,';
    rest -= IPV6_ADDR_COMPATV4;
  }
  if (rest === 0) s += 'global,';
  if (rest & 0x20) s += 'link,';
  if (rest & 0x40) s += 'site,';
  if (rest & 0x10) s += 'host,';
  const closed = s.endsWith(',') ? `${s.slice(0, -1)}>` : s.slice(0, -1);
  return `  scopeid 0x${scope.toString(16)}${closed}`;
}

// ---------------------------------------------------------------------------------------------
// Output

/** What netstat knows about one row of its list (an interface or an alias label). */
export interface InterfaceInfo {
  name: string;
  /** SIOCGIFFLAGS of the device (see ioctlFlags). */
  flags: number;
  mtu: number;
  /** ARPHRD type. */
  hwType: number;
  /** SIOCGIFHWADDR as netstat keeps it: the first 8 bytes of the address, zero-padded. */
  hwAddress: Uint8Array;
  /** tx_queue_len, or null when unknown (netstat then leaves `txqueuelen` out). */
  txQueueLen: number | null;
  /** Counters; null for alias labels, which /proc/net/dev does not list. */
  stats: DevStats | null;
  /** IPv4 address of this exact label, or null. */
  ipv4: Ipv4Config | null;
}

export const TABLE_TITLE = 'Kernel Interface table\n';
export const TABLE_HEADER = 'Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n';

/** Whether netstat lists the row: UP devices only, unless -a. */
export function interfaceShown(info: InterfaceInfo, all: boolean): boolean {
  return all || (info.flags & IFF.UP) !== 0;
}

/** `%-15.15s %5d %8llu %6lu %6lu %-6lu %8llu %6lu %6lu %6lu ` + flags (ife_print_short). */
export function interfaceRow(info: InterfaceInfo): string {
  let s = `${info.name.slice(0, 15).padEnd(15)} ${String(info.mtu).padStart(5)} `;
  const st = info.stats;
  if (st) {
    s += `${String(st.rxPackets).padStart(8)} ${String(st.rxErrors).padStart(6)} ${String(st.rxDropped).padStart(6)} ` +
      `${String(st.rxFifo).padEnd(6)} `;
    s += `${String(st.txPackets).padStart(8)} ${String(st.txErrors).padStart(6)} ${String(st.txDropped).padStart(6)} ` +
      `${String(st.txFifo).padStart(6)} `;
  } else {
    s += '     - no statistics available -'.padEnd(56);
  }
  return `${s}${flagLetters(info.flags)}\n`;
}

const KiB = 1024n;
const MiB = 1048576n;
const GiB = 1073741824n;
const TiB = 1099511627776n;
const PiB = 1125899906842624n;
const U64_MAX = (1n << 64n) - 1n;

/** `426.0 B`, `385.5 MiB`: ife_print_long's one-decimal size, truncating, in u64 arithmetic. */
export function byteSizeText(bytes: bigint): string {
  let tenths = (bytes * 10n) & U64_MAX;
  let unit = 'B';
  if (bytes > PiB) {
    tenths = bytes > 9223372036854775807n / 10n ? bytes / 112589990684262n : tenths / PiB;
    unit = 'PiB';
  } else if (bytes > TiB) {
    tenths /= TiB;
    unit = 'TiB';
  } else if (bytes > GiB) {
    tenths /= GiB;
    unit = 'GiB';
  } else if (bytes > MiB) {
    tenths /= MiB;
    unit = 'MiB';
  } else if (bytes > KiB) {
    tenths /= KiB;
    unit = 'KiB';
  }
  return `${tenths / 10n}.${tenths % 10n} ${unit}`;
}

/**
 * One ifconfig-style block of -ie (ife_print_long), ending with its blank line. `inet6` is all of
 * /proc/net/if_inet6; netstat picks the lines whose device name equals the row's name, so alias
 * rows get none. The `media` and `device` (irq, base address) lines are not reproduced: sysfs
 * does not expose the ifmap they come from, and virtual devices have none.
 */
export function interfaceBlock(info: InterfaceInfo, inet6: readonly Inet6Entry[]): string {
  let s = `${info.name}: ${flagsText(info.flags)}  mtu ${info.mtu}\n`;
  if (info.ipv4) {
    s += `        inet ${info.ipv4.address}  netmask ${info.ipv4.netmask}`;
    if (info.flags & IFF.BROADCAST) s += `  broadcast ${info.ipv4.broadcast}`;
    if (info.flags & IFF.POINTOPOINT) s += `  destination ${info.ipv4.destination}`;
    s += '\n';
  }
  for (const e of inet6) {
    if (e.device !== info.name) continue;
    s += `        inet6 ${ipv6Text(e.address, 0)}  prefixlen ${e.prefixLen}${scopeText(e.scope)}\n`;
  }
  const hw = HW_TYPES.get(info.hwType) ?? UNSPEC;
  s += hw.print ? `        ${hw.name} ${hw.print(info.hwAddress)}` : `        ${hw.name}`;
  if (info.txQueueLen !== null) s += `  txqueuelen ${info.txQueueLen}`;
  s += `  (${hw.title})\n`;
  const st = info.stats;
  if (st) {
    s += `        RX packets ${st.rxPackets}  bytes ${st.rxBytes} (${byteSizeText(st.rxBytes)})\n`;
    s += `        RX errors ${st.rxErrors}  dropped ${st.rxDropped}  overruns ${st.rxFifo}  frame ${st.rxFrame}\n`;
    s += `        TX packets ${st.txPackets}  bytes ${st.txBytes} (${byteSizeText(st.txBytes)})\n`;
    s += `        TX errors ${st.txErrors}  dropped ${st.txDropped} overruns ${st.txFifo}  carrier ${st.txCarrier}  collisions ${st.collisions}\n`;
  }
  return `${s}\n`;
}
