// /proc/net/netstat: the kernel's extended counters (TcpExt, IpExt, …) in the same pairs of
// `Title: names` / `Title: values` lines as /proc/net/snmp, which net-tools 2.10's netstat -s
// reads the same way (statistics.c process_fd). Text in, data out; format/statistics prints it.
import { parseCounterTables, type CounterTablesFile } from './snmp';

/** /proc/net/netstat, parsed as /proc/net/snmp is (see parseCounterTables). */
export function parseNetstat(text: string): CounterTablesFile {
  return parseCounterTables(text);
}
