// netstat -g: /proc/net/igmp and /proc/net/igmp6, parsed and printed as net-tools 2.10 does
// (netstat.c igmp_do_one). Pure: the CLI reads the files and passes their text in.
import { HOST_LITTLE_ENDIAN } from '../model/address';
import type { Names } from '../names/names';
import { fileLines, hexAddress6, toInt, wordAddress } from './lines';
import { inet6Name, inetSprint } from './route';

export interface GroupMembership {
  family: 4 | 6;
  /** As netstat reads it: up to 15 characters (IPv4: everything before the `:`, padding kept). */
  device: string;
  /** The Users column (RefCnt in netstat's table). */
  users: number;
  /** 4 or 16 bytes, network order. */
  group: Uint8Array;
}

export interface GroupsParse {
  groups: GroupMembership[];
  /** Lines netstat warns about, numbered from 0 as it counts them (the IPv4 header is line 0). */
  bogusLines: number[];
}

/**
 * /proc/net/igmp: a header, then a line per device (`idx\tname      :  count querier`) followed by
 * tab-indented lines per group (`\t\t\t\t010000E0     1 0:00000000\t\t0`). The group is a u32 the
 * kernel printed with %08X, so its bytes are in host order (see wordAddress). A group line before
 * any device line belongs to the empty device name, as in netstat.
 */
export function parseIgmp(text: string, littleEndian: boolean = HOST_LITTLE_ENDIAN): GroupsParse {
  const lines = fileLines(text);
  const out: GroupsParse = { groups: [], bogusLines: [] };
  if (lines.length === 0) return out;
  // Kernels since 2.1 start device lines with an index; the header says so.
  const indexed = lines[0]!.startsWith('Idx');
  let device = '';
  for (let n = 1; n < lines.length; n++) {
    const line = lines[n]!;
    if (line[0] !== '\t') {
      // sscanf("%d\t%15[^:]") or, without the index, "%15[^:]".
      const m = (indexed ? /^\s*[+-]?\d+\s*([^:\s][^:]{0,14})/ : /^([^:]{1,15})/).exec(line);
      if (m) device = m[1]!;
      else out.bogusLines.push(n);
      continue;
    }
    // sscanf("\t%lx%d"): the group is the low 32 bits of the hex number.
    const m = /^\s*(?:0[xX])?([0-9a-fA-F]+)\s*([+-]?\d+)/.exec(line);
    if (!m) {
      out.bogusLines.push(n);
      continue;
    }
    const word = parseInt(m[1]!.slice(-8), 16);
    out.groups.push({ family: 4, device, users: toInt(m[2]!), group: wordAddress(word, littleEndian) });
  }
  return out;
}

/**
 * /proc/net/igmp6: `idx device group users flags timer`, no header; the group is 32 hex digits in
 * network order (sscanf "%d %15s %64[0-9A-Fa-f] %d", then four %08X words put back in network
 * order). A line that does not scan, or whose group is not a whole address, is bogus.
 */
export function parseIgmp6(text: string): GroupsParse {
  const out: GroupsParse = { groups: [], bogusLines: [] };
  fileLines(text).forEach((line, n) => {
    const m = /^\s*[+-]?\d+\s+(\S{1,15})\s+([0-9A-Fa-f]{1,64})\s*([+-]?\d+)/.exec(line);
    const group = m ? hexAddress6(m[2]) : null;
    if (!m || !group) {
      out.bogusLines.push(n);
      return;
    }
    out.groups.push({ family: 6, device: m[1]!, users: toInt(m[3]!), group });
  });
  return out;
}

export const GROUPS_HEADER =
  'IPv6/IPv4 Group Memberships\n' +
  'Interface       RefCnt Group\n' +
  '--------------- ------ ---------------------\n';

/** netstat's warning for a line igmp_do_one() could not scan (stderr). */
export function bogusLineWarning(family: 4 | 6, line: number): string {
  return `warning, got bogus ${family === 4 ? 'igmp' : 'igmp6'} line ${line}.\n`;
}

/**
 * One row: `%-15s %-6d %s`. names null = numeric. IPv4 groups are named as INET_sprint does (a
 * host lookup for every multicast address), IPv6 ones through getnameinfo.
 */
export function groupRow(g: GroupMembership, names: Names | null, littleEndian: boolean = HOST_LITTLE_ENDIAN): string {
  const group = g.family === 4 ? inetSprint(g.group, names, littleEndian) : inet6Name(g.group, names);
  return `${g.device.padEnd(15)} ${String(g.users).padEnd(6)} ${group}\n`;
}
