// netstat -g: the multicast group table, printed as net-tools 2.10 prints it (netstat.c
// igmp_do_one), from the memberships procnet/igmp and procnet/igmp6 parse.
import { HOST_LITTLE_ENDIAN } from '../model/address';
import type { Names } from '../names/names';
import type { GroupMembership } from '../procnet/igmp';
import { inet6Name, inetSprint } from './hosts';

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
