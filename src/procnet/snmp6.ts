// /proc/net/snmp6: one `Name value` line per counter, parsed as net-tools 2.10's netstat -s -6
// reads it (statistics.c parsesnmp6). Text in, data out; format/statistics prints it.
import type { Counter } from './snmp';
import { cString, fileLines, isCSpace, isDigit, strtoull } from './lines';

/**
 * /proc/net/snmp6: `Name value` lines, read as netstat reads them with sscanf("%s %llu"). That
 * call leaves its outputs alone when it cannot fill them, so a line without a value reuses the
 * previous line's value, and a blank line repeats the previous counter entirely.
 * (netstat's fixed buffers — lines cut at 1023 bytes, names over 49 bytes overflowing — are not
 * reproduced.)
 */
export function parseSnmp6(text: string): Counter[] {
  const counters: Counter[] = [];
  let name: string | null = null;
  let value = 0n;
  for (const raw of fileLines(text)) {
    const line = cString(raw);
    let i = 0;
    while (isCSpace(line[i])) i++;
    const start = i;
    while (i < line.length && !isCSpace(line[i])) i++;
    if (i > start) {
      name = line.slice(start, i);
      while (isCSpace(line[i])) i++;
      // %llu needs a digit after the optional sign, then converts like strtoull.
      const signed = line[i] === '-' || line[i] === '+' ? i + 1 : i;
      if (isDigit(line[signed])) value = strtoull(line, i).value;
    }
    // Before the first name netstat would read an uninitialised buffer; we skip the line.
    if (name !== null) counters.push({ name, value });
  }
  return counters;
}
