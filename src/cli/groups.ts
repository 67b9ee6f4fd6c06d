// netstat -g: the multicast group memberships, IPv4 (/proc/net/igmp) then IPv6 (/proc/net/igmp6).
import type { CliOptions } from './args';
import { escapedOutput, type Output } from './output';
import { readTableText } from './routes';
import { strerror } from './strerror';
import { Names } from '../names/names';
import { bogusLineWarning, GROUPS_HEADER, groupRow } from '../format/groups';
import { parseIgmp, type GroupsParse } from '../procnet/igmp';
import { parseIgmp6 } from '../procnet/igmp6';

function rows(parsed: GroupsParse, family: 4 | 6, names: Names | null, io: Output): string {
  for (const line of parsed.bogusLines) io.err(bogusLineWarning(family, line));
  return parsed.groups.map((g) => groupRow(g, names)).join('');
}

/** Only --numeric-hosts (or -n) counts here: -N does not make the group table numeric. */
export function groupNames(o: CliOptions): Names | null {
  return o.numericHosts ? null : new Names();
}

/** Prints the multicast group table (-g); returns netstat's status. */
export function printGroups(o: CliOptions, shown: Output, names: Names | null = groupNames(o)): number {
  const io = escapedOutput(shown);
  // -g alone means both families; -4/-6 (or -A) pick, and then also turn the Internet table on
  // with its protocols implied (netstat's flag_noprot), which makes a missing igmp file silent.
  const both = !o.inet && !o.inet6;
  const impliedProtocols = !both && !(o.tcp || o.sctp || o.udp || o.udplite || o.raw);
  const netDir = o.netDir ?? `${o.procRoot}/net`;
  let rc = 0;
  io.out(GROUPS_HEADER);
  if (both || o.inet) {
    const file = `${netDir}/igmp`;
    const read = readTableText(file);
    if (read.ok) {
      io.out(rows(parseIgmp(read.text), 4, names, io));
    } else if (read.code !== 'ENOENT' && read.code !== 'EACCES') {
      io.err(`${file}: ${strerror(read.code)}\n`);
      return 255;
    } else if (!impliedProtocols) {
      // -g is an explicit table request (flag_arg), so a missing IPv4 file is an error.
      io.err("netsnap: no support for `AF INET (igmp)' on this system.\n");
      rc = 1;
    }
  }
  if (both || o.inet6) {
    // A missing or unreadable igmp6 is IPv6 being off: silent.
    const read = readTableText(`${netDir}/igmp6`);
    if (read.ok) io.out(rows(parseIgmp6(read.text), 6, names, io));
  }
  return rc;
}
