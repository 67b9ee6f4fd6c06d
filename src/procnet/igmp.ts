// /proc/net/igmp, parsed as net-tools 2.10's netstat -g reads it (netstat.c igmp_do_one). Pure:
// the CLI reads the file and passes its text in; format/groups prints the memberships.
import { HOST_LITTLE_ENDIAN } from '../model/address';
import { fileLines, toInt, wordAddress } from './lines';

/** One row of netstat -g, from /proc/net/igmp or /proc/net/igmp6. */
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
