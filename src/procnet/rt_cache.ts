// /proc/net/rt_cache (header only since Linux 3.6, when the IPv4 routing cache went away), parsed
// as net-tools 2.10's netstat -rC reads it (lib/inet_gr.c rprint_cache: the layout from words of
// the header, lib/proc.c proc_guess_fmt, then the columns by name, proc_gen_fmt). Pure: the CLI
// reads the file and passes its text in; format/routes prints the entries.
import { HOST_LITTLE_ENDIAN } from '../model/address';
import {
  fileLines, headerColumns, hexWordAddress, scanDecimalPrefix, scanHex, scanInt, tokens, type LineProblem,
} from './lines';

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
