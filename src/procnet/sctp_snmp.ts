// /proc/net/sctp/snmp: one `Name value` line per counter, parsed as net-tools 2.10's netstat -s
// reads it (statistics.c parsesnmp). Text in, data out; format/statistics prints it as the table
// `Sctp`.
import type { Counter } from './snmp';
import { cString, fileLines, skipSeparators, strtoull } from './lines';

/**
 * /proc/net/sctp/snmp: `Name value` lines, read as netstat's process_fd2(): the name runs to the
 * first blank, tab or newline, and a line with nothing after the name is skipped. (Lines over
 * netstat's 1023-byte buffer are not cut as netstat cuts them.)
 */
export function parseSctpSnmp(text: string): Counter[] {
  const counters: Counter[] = [];
  for (const raw of fileLines(text)) {
    const line = cString(raw);
    let end = 0;
    while (end < line.length && line[end] !== ' ' && line[end] !== '\t') end++;
    // netstat steps over the separator (it would step past the end of a bare name: we stop).
    if (end >= line.length) continue;
    const at = skipSeparators(line, end + 1);
    if (at >= line.length) continue;
    counters.push({ name: line.slice(0, end), value: strtoull(line, at).value });
  }
  return counters;
}
