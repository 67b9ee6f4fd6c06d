// netstat -r: /proc/net/route, /proc/net/ipv6_route and /proc/net/rt_cache, parsed and printed as
// net-tools 2.10 does (lib/inet_gr.c rprint_fib/rprint_cache, lib/inet6_gr.c rprint_fib6,
// lib/inet.c INET_rresolve, lib/proc.c proc_gen_fmt/proc_guess_fmt). Everything here is pure:
// the CLI reads the files and passes their text in. Text is a binary (latin1) string, one char
// per byte, like every other netsnap output string.
import { HOST_LITTLE_ENDIAN, ipv4Text, ipv6Text, isUnspecified } from '../model/address';
import type { Names } from '../names/names';
import {
  fileLines, headerColumns, hexAddress6, hexWordAddress, scanDecimalPrefix, scanHex, scanInt, tokens, wordAddress,
  type LineProblem,
} from './lines';

// linux/route.h and linux/ipv6_route.h
export const RTF_UP = 0x0001;
export const RTF_GATEWAY = 0x0002;
export const RTF_HOST = 0x0004;
export const RTF_REJECT = 0x0200;
export const RTF_CACHE = 0x01000000;

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
// Names, as INET_rresolve() and INET6_rresolve() choose them.

function allZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/**
 * INET_rresolve(): `names` null means numeric. 0.0.0.0 is never looked up: it is `default` when
 * its mask is 0 (only a route destination passes 0x8000 and a real mask, so only it can get
 * there) and `0.0.0.0` otherwise. An address with host bits outside `mask`, or `forceHost`, is a
 * host (gethostbyaddr); anything else a network (/etc/networks).
 */
export function inetName(addr: Uint8Array, names: Names | null, mask: Uint8Array, forceHost: boolean): string {
  if (!names) return ipv4Text(addr, 0);
  if (allZero(addr)) return allZero(mask) ? 'default' : '0.0.0.0';
  const host = forceHost || addr.some((b, i) => (b & ~mask[i]!) !== 0);
  return (host ? names.host(addr, 0, 4) : names.network(addr, 0)) ?? ipv4Text(addr, 0);
}

/**
 * The mask INET_sprint() hands INET_rresolve(): the constant 0xffffff00 in host byte order,
 * compared against an address in network byte order. On a little-endian machine only a non-zero
 * *first* octet makes an address a host (5.0.0.0 is looked up as a host, 0.0.0.5 as a network);
 * on a big-endian one it is the last octet.
 */
export function sprintMask(littleEndian: boolean): Uint8Array {
  return wordAddress(0xffffff00, littleEndian);
}

/** INET_sprint(): how the routing cache and the group table name an IPv4 address. */
export function inetSprint(addr: Uint8Array, names: Names | null, littleEndian: boolean): string {
  return inetName(addr, names, sprintMask(littleEndian), false);
}

/** INET6_rresolve(): numeric is inet_ntop; otherwise `[::]` for the unspecified address, else getnameinfo. */
export function inet6Name(addr: Uint8Array, names: Names | null): string {
  if (!names) return ipv6Text(addr, 0);
  if (isUnspecified(addr, 0)) return '[::]';
  return names.host(addr, 0, 6) ?? ipv6Text(addr, 0);
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
// /proc/net/route

export interface Ipv4Route {
  iface: string;
  /** 4 bytes each, network order. */
  destination: Uint8Array;
  gateway: Uint8Array;
  mask: Uint8Array;
  flags: number;
  refCnt: number;
  use: number;
  metric: number;
  /** The kernel's MTU column: advmss + 40, or 0. */
  mtu: number;
  window: number;
  irtt: number;
}

export type Ipv4RouteTable =
  | { ok: true; routes: Ipv4Route[]; problems: LineProblem[] }
  /** missingField null: not even a header line. */
  | { ok: false; missingField: string | null };

const ROUTE_FIELDS = ['Iface', 'Destination', 'Gateway', 'Flags', 'RefCnt', 'Use', 'Metric', 'Mask', 'MTU', 'Window', 'IRTT'];

/** /proc/net/route: columns found by header name, as netstat does. */
export function parseRoute(text: string, littleEndian: boolean = HOST_LITTLE_ENDIAN): Ipv4RouteTable {
  const lines = fileLines(text);
  if (lines.length === 0) return { ok: false, missingField: null };
  const head = headerColumns(lines[0]!, ROUTE_FIELDS);
  if ('missing' in head) return { ok: false, missingField: head.missing };
  const col = head.columns;
  const routes: Ipv4Route[] = [];
  const problems: LineProblem[] = [];
  for (let n = 1; n < lines.length; n++) {
    const t = tokens(lines[n]!);
    if (t.length === 0) continue;
    const field = (k: number) => t[col[k]!];
    // netstat needs the first ten fields (IRTT may be missing); a short line is skipped.
    if (t.length <= col[9]!) {
      problems.push({ line: n + 1, reason: 'too few fields' });
      continue;
    }
    const destination = hexWordAddress(field(1), littleEndian);
    const gateway = hexWordAddress(field(2), littleEndian);
    const mask = hexWordAddress(field(7), littleEndian);
    const flags = scanHex(field(3));
    const nums = [4, 5, 6, 8, 9].map((k) => scanInt(field(k)));
    const irtt = field(10) === undefined ? 0 : scanInt(field(10));
    const bad =
      !destination ? 'bad destination' : !gateway ? 'bad gateway' : !mask ? 'bad mask' : flags === null ? 'bad flags'
        : nums.includes(null) || irtt === null ? 'bad number' : null;
    if (bad) {
      problems.push({ line: n + 1, reason: bad });
      continue;
    }
    const [refCnt, use, metric, mtu, window] = nums as number[];
    routes.push({
      iface: field(0)!, destination: destination!, gateway: gateway!, mask: mask!, flags: flags!,
      refCnt: refCnt!, use: use!, metric: metric!, mtu: mtu!, window: window!, irtt: irtt!,
    });
  }
  return { ok: true, routes, problems };
}

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
// /proc/net/ipv6_route

export interface Ipv6Route {
  /** 16 bytes each, network order. */
  destination: Uint8Array;
  prefixLength: number;
  source: Uint8Array;
  sourcePrefixLength: number;
  nextHop: Uint8Array;
  /** Signed, as netstat reads it: 0xffffffff is -1. */
  metric: number;
  refCnt: number;
  use: number;
  flags: number;
  iface: string;
}

/** /proc/net/ipv6_route: `dst plen src plen nexthop metric refcnt use flags dev`, hex but the name. */
export function parseIpv6Route(text: string): { routes: Ipv6Route[]; problems: LineProblem[] } {
  const routes: Ipv6Route[] = [];
  const problems: LineProblem[] = [];
  fileLines(text).forEach((line, i) => {
    const t = tokens(line);
    if (t.length === 0) return;
    const fail = (reason: string) => problems.push({ line: i + 1, reason });
    if (t.length < 10) return fail('too few fields');
    const destination = hexAddress6(t[0]);
    const source = hexAddress6(t[2]);
    const nextHop = hexAddress6(t[4]);
    if (!destination) return fail('bad destination');
    if (!source) return fail('bad source');
    if (!nextHop) return fail('bad next hop');
    // %02x reads at most two digits
    const prefixLength = scanHex(t[1], 2);
    const sourcePrefixLength = scanHex(t[3], 2);
    if (prefixLength === null || sourcePrefixLength === null) return fail('bad prefix length');
    const [metric, refCnt, use, flags] = [5, 6, 7, 8].map((k) => scanHex(t[k], 8));
    if (metric == null || refCnt == null || use == null || flags == null) return fail('bad number');
    routes.push({
      destination, prefixLength, source, sourcePrefixLength, nextHop,
      metric: metric | 0, refCnt: refCnt | 0, use: use | 0, flags, iface: t[9]!,
    });
  });
  return { routes, problems };
}

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
// /proc/net/rt_cache (header only since Linux 3.6, when the IPv4 routing cache went away)

export interface RouteCacheEntry {
  iface: string;
  destination: Uint8Array;
  gateway: Uint8Array;
  source: Uint8Array;
  specDst: Uint8Array;
  flags: number;
  refCnt: number;
  use: number;
  metric: number;
  mtu: number;
  window: number;
  irtt: number;
  /** Layout 2 only. */
  tos: number;
  hhRef: number;
  hhUptodate: number;
  /** Layout 1 only. */
  hh: number;
  arp: number;
}

export interface RouteCacheTable {
  /** proc_guess_fmt()'s mask of header words: 63 is the Linux 2.2+ layout, 97 the 2.0 one. */
  headerMask: number;
  /** 2: 2.2+ (TOS HHRef HHUptod SpecDst), 1: 2.0 (HH ARP), null: neither (netstat prints an ERROR line). */
  layout: 1 | 2 | null;
  /** A field the layout needs that the header lacks (netstat warns and prints no rows). */
  missingField: string | null;
  entries: RouteCacheEntry[];
  problems: LineProblem[];
}

// proc_guess_fmt() looks for these as substrings anywhere in the header ("HH" is in "HHRef").
const CACHE_HEADER_WORDS: ReadonlyArray<readonly [string, number]> = [
  ['IRTT', 1], ['TOS', 2], ['HHRef', 4], ['HHUptod', 8], ['SpecDst', 16], ['HH', 32], ['ARP', 64],
];

const CACHE_FIELDS: Record<1 | 2, string[]> = {
  1: ['Iface', 'Destination', 'Gateway', 'Flags', 'RefCnt', 'Use', 'Metric', 'Source', 'MTU', 'Window', 'IRTT', 'HH', 'ARP'],
  2: ['Iface', 'Destination', 'Gateway', 'Flags', 'RefCnt', 'Use', 'Metric', 'Source', 'MTU', 'Window', 'IRTT', 'TOS',
    'HHRef', 'HHUptod', 'SpecDst'],
};

/**
 * /proc/net/rt_cache; null when there is not even a header line. The layout comes from words in
 * the header, the columns from their names (proc_guess_fmt, then proc_gen_fmt).
 */
export function parseRtCache(text: string, littleEndian: boolean = HOST_LITTLE_ENDIAN): RouteCacheTable | null {
  const lines = fileLines(text);
  if (lines.length === 0) return null;
  const header = lines[0]!;
  let headerMask = 0;
  for (const [word, bit] of CACHE_HEADER_WORDS) if (header.includes(word)) headerMask |= bit;
  const layout = headerMask === 63 ? 2 : headerMask === 97 ? 1 : null;
  const table: RouteCacheTable = { headerMask, layout, missingField: null, entries: [], problems: [] };
  if (layout === null) return table;
  const head = headerColumns(header, CACHE_FIELDS[layout]);
  if ('missing' in head) {
    table.missingField = head.missing;
    return table;
  }
  const col = head.columns;
  for (let n = 1; n < lines.length; n++) {
    const t = tokens(lines[n]!);
    if (t.length === 0) continue;
    const field = (k: number) => t[col[k]!];
    // netstat needs twelve fields: through TOS (layout 2) or HH (layout 1).
    if (t.length <= col[11]!) {
      table.problems.push({ line: n + 1, reason: 'too few fields' });
      continue;
    }
    const destination = hexWordAddress(field(1), littleEndian);
    const gateway = hexWordAddress(field(2), littleEndian);
    const source = hexWordAddress(field(7), littleEndian);
    const flags = scanHex(field(3));
    const ints = [4, 5, 6, 8, 9, 10].map((k) => scanInt(field(k)));
    // The kernel writes TOS as %02X and netstat reads it with %d: "1A" is 1, and sscanf stops
    // there, so HHRef, HHUptod and SpecDst are not read. netstat then prints what its variables
    // held before: we print 0, 0 and the Source address (what it shows for the first such row).
    const tosCut = layout === 2 && field(11) !== undefined && !/^[+-]?\d+$/.test(field(11)!);
    const twelfth = layout === 2 ? scanDecimalPrefix(field(11)) : scanInt(field(11));
    const rest = (layout === 2 ? [12, 13] : [12]).map((k) => (field(k) === undefined || tosCut ? 0 : scanInt(field(k))));
    const specDst = layout !== 2 || field(14) === undefined ? new Uint8Array(4)
      : tosCut ? source : hexWordAddress(field(14), littleEndian);
    const bad =
      !destination ? 'bad destination' : !gateway ? 'bad gateway' : !source ? 'bad source' : !specDst ? 'bad SpecDst'
        : flags === null ? 'bad flags' : ints.includes(null) || twelfth === null || rest.includes(null) ? 'bad number' : null;
    if (bad) {
      table.problems.push({ line: n + 1, reason: bad });
      continue;
    }
    const [refCnt, use, metric, mtu, window, irtt] = ints as number[];
    const [r12, r13] = rest as number[];
    table.entries.push({
      iface: field(0)!, destination: destination!, gateway: gateway!, source: source!, specDst: specDst!,
      flags: flags!, refCnt: refCnt!, use: use!, metric: metric!, mtu: mtu!, window: window!, irtt: irtt!,
      tos: layout === 2 ? twelfth! : 0, hhRef: layout === 2 ? r12! : 0, hhUptodate: layout === 2 ? (r13 ?? 0) : 0,
      hh: layout === 1 ? twelfth! : 0, arp: layout === 1 ? r12! : 0,
    });
  }
  return table;
}

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
