// The list netstat -i walks and what netstat knows about each of its rows, as net-tools 2.10 builds
// them (lib/interface.c if_readlist, if_cache_add, nstrcmp, if_fetch): the devices of
// /proc/net/dev and the IPv4 labels in nstrcmp order, and the flags and IPv4 address the ioctls
// would give, rebuilt from sysfs and getifaddrs values. Pure: the CLI reads those and passes the
// values in; format/interfaces prints the rows.
import type { DevStats, NetDevEntry } from './dev';
import { isDigit } from './lines';

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

// ---------------------------------------------------------------------------------------------
// IPv4 addresses

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

// ---------------------------------------------------------------------------------------------
// Rows

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
