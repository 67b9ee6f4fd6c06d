// netstat -i: the interface table and the ifconfig-style blocks of -ie, as net-tools 2.10 prints
// them (lib/interface.c ife_print_short, ife_print_long; lib/hw.c), for the rows
// procnet/interface_list builds.
import { ipv6Text } from '../model/address';
import { IFF, type InterfaceInfo } from '../procnet/interface_list';
import type { Inet6Entry } from '../procnet/if_inet6';

// ---------------------------------------------------------------------------------------------
// Flags

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
// IPv6 addresses for -ie

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
