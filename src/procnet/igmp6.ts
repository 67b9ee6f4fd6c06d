// /proc/net/igmp6, parsed as net-tools 2.10's netstat -g reads it (netstat.c igmp_do_one). Pure:
// the CLI reads the file and passes its text in; format/groups prints the memberships.
import type { GroupsParse } from './igmp';
import { fileLines, hexAddress6, toInt } from './lines';

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
