// /proc/net/dev, parsed as net-tools 2.10's netstat -i reads it (lib/interface.c if_readlist_proc,
// get_dev_fields). Pure: the CLI reads the file and passes its text in; procnet/interface_list
// orders the devices and format/interfaces prints them.
import { isCSpace, strtoull } from './lines';

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
