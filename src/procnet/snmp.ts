// /proc/net/snmp: pairs of `Title: names` / `Title: values` lines, the counter-table format that
// /proc/net/netstat shares, parsed as net-tools 2.10's netstat -s reads them (statistics.c).
// Nothing here touches the filesystem: text in, data out; format/statistics prints it.
//
// Text is a binary (latin1) string, one char per byte.
import { cString, fileLines, skipSeparators, strtoull } from './lines';

/** One counter as the kernel printed it. Counters are unsigned 64-bit, hence bigint. */
export interface Counter {
  name: string;
  value: bigint;
}

/** One `Title: names` / `Title: values` pair of lines of /proc/net/snmp or /proc/net/netstat. */
export interface CounterTable {
  title: string;
  counters: Counter[];
}

export interface CounterTablesFile {
  tables: CounterTable[];
  /**
   * A pair of lines without a `:` stopped the reading there, as it stops netstat
   * ("Problem while parsing"); `tables` holds what came before it.
   */
  malformed: boolean;
}

/** netstat splits counter names on blanks, tabs and newlines only (strcspn " \t\n"). */
const NAME_SEPARATORS = /[ \t\n]+/;

/**
 * /proc/net/snmp and /proc/net/netstat: pairs of `Title: names` and `Title: values` lines, read as
 * netstat's process_fd() reads them. An empty line where a names line is due is skipped; a names
 * line without a values line after it is dropped; the title is the names line up to its first
 * `:` (the values line's own title is not checked); values are taken in order with strtoull, so a
 * missing value reads as 0.
 */
export function parseCounterTables(text: string): CounterTablesFile {
  const all = fileLines(text);
  const tables: CounterTable[] = [];
  let i = 0;
  while (i < all.length) {
    const namesLine = all[i++]!;
    if (namesLine === '') continue; // netstat: "skip empty first line in 2.6 kernels"
    if (i >= all.length) break;
    const names = cString(namesLine);
    const values = cString(all[i++]!);
    const nameColon = names.indexOf(':');
    const valueColon = values.indexOf(':');
    if (nameColon < 0 || valueColon < 0) return { tables, malformed: true };
    const counters: Counter[] = [];
    let at = valueColon + 1;
    for (const name of names.slice(nameColon + 1).split(NAME_SEPARATORS)) {
      if (name === '') continue;
      const read = strtoull(values, skipSeparators(values, at));
      at = read.end;
      counters.push({ name, value: read.value });
    }
    tables.push({ title: names.slice(0, nameColon), counters });
  }
  return { tables, malformed: false };
}
