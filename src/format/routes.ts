// netstat -r: the routing tables and caches printed as net-tools 2.10 prints them (lib/inet_gr.c
// rprint_fib/rprint_cache, lib/inet6_gr.c rprint_fib6), from what procnet/route,
// procnet/ipv6_route and procnet/rt_cache parse. Text is a binary (latin1) string, one char per
// byte, like every other netsnap output string.
import { HOST_LITTLE_ENDIAN, ipv4Text } from '../model/address';
import type { Names } from '../names/names';
import { RTF_HOST, RTF_REJECT, RTF_UP, type Ipv4Route } from '../procnet/route';
import { RTF_CACHE, type Ipv6Route } from '../procnet/ipv6_route';
import type { RouteCacheEntry } from '../procnet/rt_cache';
import { inet6Name, inetName, inetSprint } from './hosts';

// ---------------------------------------------------------------------------------------------
// Printing helpers

/** printf %-Nd */
function pad(n: number, width: number): string {
  return String(n).padEnd(width);
}

/** printf %Nd */
function right(n: number, width: number): string {
  return String(n).padStart(width);
}

/** Appends the letters of the flags that are set, in table order; `!` replaces what came before. */
function flagLetters(flags: number, table: ReadonlyArray<readonly [number, string]>): string {
  let s = '';
  for (const [bit, letter] of table) {
    if ((flags & bit) === 0) continue;
    s = letter === '!' ? '!' : s + letter;
  }
  return s;
}

// ---------------------------------------------------------------------------------------------
// Layouts

/**
 * The route layout for a count of -e. netstat's flag_exp starts at 1 and each -e adds one; -r
 * swaps 1 and 2 and keeps the low two bits (FLAG_EXT): no -e gives 2 (MSS Window irtt), -e gives 1
 * (Metric Ref Use), -ee 3 (both), -eee 0 (the title alone), -eeee 1 again.
 */
export function routeLayout(extend: number): number {
  const flagExp = extend + 1;
  return (flagExp === 1 ? 2 : flagExp === 2 ? 1 : flagExp) & 3;
}

// ---------------------------------------------------------------------------------------------
// The IPv4 routing table (/proc/net/route)

export const IPV4_ROUTE_TITLE = 'Kernel IP routing table\n';

const IPV4_COLUMNS: Record<number, string> = {
  0: '',
  1: 'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n',
  2: 'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n',
  3: 'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt\n',
};

export function ipv4RouteColumns(layout: number): string {
  return IPV4_COLUMNS[layout] ?? '';
}

/** rprint_fib() shows only routes that are up. */
export function ipv4RouteShown(r: Ipv4Route): boolean {
  return (r.flags & RTF_UP) !== 0;
}

// Letter order of rprint_fib(); `!` (RTF_REJECT) throws away U and G.
const IPV4_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x0001, 'U'], [0x0002, 'G'], [0x0200, '!'], [0x0004, 'H'], [0x0008, 'R'], [0x0010, 'D'], [0x0020, 'M'],
  [0x00010000, 'd'], [0x00020000, 'a'], [0x00040000, 'c'], [0x00200000, 'o'], [0x00400000, 'e'],
  [0x01000000, 'c'], [0x02000000, 'f'], [0x04000000, 'p'], [0x80000000, 'l'], [0x0040, 'u'], [0x0080, 'w'],
  [0x0100, 'i'], [0x0400, 'n'],
];

export function ipv4RouteFlags(flags: number): string {
  return flagLetters(flags, IPV4_FLAGS);
}

/**
 * The gateway goes through INET_sprint with 0x4000 (always a host): its mask only matters for
 * 0.0.0.0, and being non-zero it makes that `0.0.0.0`, never `default`.
 */
const GATEWAY_MASK = Uint8Array.of(255, 255, 255, 0);

/** One row of rprint_fib() in `layout` (routeLayout); names null = numeric. */
export function ipv4RouteRow(r: Ipv4Route, layout: number, names: Names | null): string {
  // Every name is cut to 15 characters (net_addr[15] = '\0'), with or without -W.
  const dest = inetName(r.destination, names, r.mask, (r.flags & RTF_HOST) !== 0).slice(0, 15).padEnd(15);
  const gw = inetName(r.gateway, names, GATEWAY_MASK, true).slice(0, 15).padEnd(15);
  const mask = ipv4Text(r.mask, 0).padEnd(15);
  const flags = ipv4RouteFlags(r.flags).padEnd(5);
  const reject = (r.flags & RTF_REJECT) !== 0;
  switch (layout) {
    case 1:
      return reject
        ? `${dest} -               ${mask} ${flags} ${pad(r.metric, 6)} -  ${right(r.use, 7)} -\n`
        : `${dest} ${gw} ${mask} ${flags} ${pad(r.metric, 6)} ${pad(r.refCnt, 2)} ${right(r.use, 7)} ${r.iface}\n`;
    case 2:
      return reject
        ? `${dest} -               ${mask} ${flags}     - -          - -\n`
        : `${dest} ${gw} ${mask} ${flags} ${right(r.mtu, 5)} ${pad(r.window, 5)} ${right(r.irtt, 6)} ${r.iface}\n`;
    case 3:
      return reject
        ? `${dest} -               ${mask} ${flags} ${pad(r.metric, 6)} -  ${right(r.use, 7)} -        -     -      -\n`
        : `${dest} ${gw} ${mask} ${flags} ${pad(r.metric, 6)} ${pad(r.refCnt, 3)} ${right(r.use, 6)} ` +
            `${r.iface.slice(0, 6).padEnd(6)}   ${pad(r.mtu, 5)} ${pad(r.window, 6)} ${r.irtt}\n`;
    default:
      return '';
  }
}

// ---------------------------------------------------------------------------------------------
// The IPv6 routing table and cache (/proc/net/ipv6_route)

export function ipv6RouteTitle(cache: boolean): string {
  return cache ? 'Kernel IPv6 routing cache\n' : 'Kernel IPv6 routing table\n';
}

export const IPV6_ROUTE_COLUMNS = 'Destination                    Next Hop                   Flag Met Ref  Use If\n';

/**
 * The FIB shows every route that is not a cached clone (not only those that are up: the `lo`
 * reject entry has no RTF_UP and still shows); -C shows only the clones.
 */
export function ipv6RouteShown(r: Ipv6Route, cache: boolean): boolean {
  return ((r.flags & RTF_CACHE) !== 0) === cache;
}

// Letter order of rprint_fib6(); here `!` is appended, not a reset.
const IPV6_FLAGS: ReadonlyArray<readonly [number, string]> = [
  [0x0001, 'U'], [0x0200, '!'], [0x0002, 'G'], [0x0004, 'H'], [0x00010000, 'D'], [0x00040000, 'A'],
  [0x01000000, 'C'], [0x00020000, 'a'], [0x00400000, 'e'], [0x0020, 'm'], [0x00200000, 'n'], [0x02000000, 'f'],
];

export function ipv6RouteFlags(flags: number): string {
  let s = '';
  for (const [bit, letter] of IPV6_FLAGS) if ((flags & bit) !== 0) s += letter;
  return s;
}

/** One row of rprint_fib6(); names null = numeric. Nothing is cut: long names widen the row. */
export function ipv6RouteRow(r: Ipv6Route, names: Names | null): string {
  const dest = `${inet6Name(r.destination, names)}/${r.prefixLength}`;
  return `${dest.padEnd(30)} ${inet6Name(r.nextHop, names).padEnd(26)} ${ipv6RouteFlags(r.flags).padEnd(4)} ` +
    `${pad(r.metric, 3)} ${pad(r.refCnt, 1)} ${right(r.use, 6)} ${r.iface}\n`;
}

// ---------------------------------------------------------------------------------------------
// The IPv4 routing cache (/proc/net/rt_cache)

export const IPV4_CACHE_TITLE = 'Kernel IP routing cache\n';

/** The column line of rprint_cache(); the -ee one depends on the file's layout and is absent without one. */
export function ipv4CacheColumns(layout: number, fileLayout: 1 | 2 | null): string {
  const lead = 'Source          Destination     Gateway         ';
  if (layout === 1) return `${lead}Flags Metric Ref    Use Iface\n`;
  if (layout === 2) return `${lead}Flags   MSS Window  irtt Iface\n`;
  if (layout === 3 && fileLayout === 1) return `${lead}Flags Metric Ref    Use Iface    MSS   Window irtt  HH  Arp\n`;
  if (layout === 3 && fileLayout === 2) {
    return `${lead}Flags Metric Ref    Use Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst\n`;
  }
  return '';
}

// Letter order of rprint_cache(). U and H only exist in the 2.0 layout; in the 2.2 one the same
// bits are RTCF_DEAD (`-`) and RTCF_ONLINK (`o`), printed later.
const CACHE_FLAGS_HEAD: Record<1 | 2, ReadonlyArray<readonly [number, string]>> = {
  1: [[0x0001, 'U'], [0x0004, 'H']],
  2: [],
};
const CACHE_FLAGS_MIDDLE: ReadonlyArray<readonly [number, string]> = [[0x0002, 'G'], [0x0200, '!'], [0x0008, 'R'], [0x0010, 'D'], [0x0020, 'M']];
const CACHE_FLAGS_TAIL: Record<1 | 2, ReadonlyArray<readonly [number, string]>> = {
  1: [],
  2: [[0x0001, '-'], [0x0004, 'o']],
};
const CACHE_FLAGS_RTCF: ReadonlyArray<readonly [number, string]> = [
  [0x00010000, 'n'], [0x00020000, 'd'], [0x00080000, 't'], [0x00200000, 'f'], [0x00400000, 'q'], [0x00800000, 'Ns'],
  [0x01000000, 'r'], [0x04000000, 'i'], [0x08000000, 'Nd'], [0x10000000, 'b'], [0x20000000, 'm'], [0x40000000, '#'],
  [0x80000000, 'l'],
];

export function ipv4CacheFlags(flags: number, fileLayout: 1 | 2): string {
  return flagLetters(flags, [...CACHE_FLAGS_HEAD[fileLayout], ...CACHE_FLAGS_MIDDLE, ...CACHE_FLAGS_TAIL[fileLayout], ...CACHE_FLAGS_RTCF]);
}

/** One row of rprint_cache(); addresses go through INET_sprint and are not cut. */
export function ipv4CacheRow(e: RouteCacheEntry, layout: number, fileLayout: 1 | 2, names: Names | null, littleEndian: boolean = HOST_LITTLE_ENDIAN): string {
  const name = (a: Uint8Array) => inetSprint(a, names, littleEndian);
  const head = `${name(e.source).padEnd(15)} ${name(e.destination).padEnd(15)} ${name(e.gateway).padEnd(15)} ` +
    `${ipv4CacheFlags(e.flags, fileLayout).padEnd(5)} `;
  if (layout === 1) return `${head}${pad(e.metric, 6)} ${pad(e.refCnt, 2)} ${right(e.use, 7)} ${e.iface}\n`;
  if (layout === 2) return `${head}${right(e.mtu, 5)} ${pad(e.window, 5)} ${right(e.irtt, 6)} ${e.iface}\n`;
  if (layout !== 3) return '';
  const ext = `${head}${pad(e.metric, 6)} ${pad(e.refCnt, 3)} ${right(e.use, 6)} ${e.iface.slice(0, 6).padEnd(6)}   ` +
    `${pad(e.mtu, 5)} ${pad(e.window, 6)} ${pad(e.irtt, 5)} `;
  return fileLayout === 1
    ? `${ext}${pad(e.hh, 3)} ${e.arp}\n`
    : `${ext}${pad(e.tos, 3)} ${pad(e.hhRef, 3)}   ${pad(e.hhUptodate, 3)} ${name(e.specDst).padStart(15)}\n`;
}
