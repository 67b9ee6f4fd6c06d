// netstat -s: which counter files to read for the address family asked for, in netstat's order,
// with netstat's messages when one cannot be read. Each file's parser lives in procnet/ (snmp,
// netstat, snmp6, sctp_snmp), the printing in format/statistics.
import type { CliOptions } from './args';
import type { Output } from './output';
import { strerror } from './strerror';
import { StatisticsPrinter, type StatisticsFilter } from '../format/statistics';
import { parseCounterTables, type CounterTablesFile } from '../procnet/snmp';
import { parseNetstat } from '../procnet/netstat';
import { parseSnmp6 } from '../procnet/snmp6';
import { parseSctpSnmp } from '../procnet/sctp_snmp';
import { counterTablesJson, countersJson, statisticsDocument, type StatisticsSourceJson, writeJson } from '../format/json';
import { readProcText } from '../procnet/read';

/** A /proc file as netstat's fopen() and reads see it. */
type ProcFile =
  | { kind: 'read'; text: string }
  /** fopen() failed: netstat says `cannot open …` or stays silent, depending on the file. */
  | { kind: 'unopenable'; code: string }
  /** fopen() worked but reading did not (a directory): netstat perror()s the path and goes on. */
  | { kind: 'unreadable'; code: string };

function readProcFile(path: string): ProcFile {
  const read = readProcText(path);
  if (read.ok) return { kind: 'read', text: read.text };
  return read.code === 'EISDIR' ? { kind: 'unreadable', code: read.code } : { kind: 'unopenable', code: read.code };
}

/**
 * netstat's afname: the families given with -4, -6, -x, -A, in command-line order with repeats,
 * joined by commas; `inet` when none.
 */
function addressFamilies(o: CliOptions): string {
  return o.families.length === 0 ? 'inet' : o.families.join(',');
}

/** netstat turns every protocol on when -s comes without -t, -u, -U, -S or -w. */
function statisticsFilter(o: CliOptions): StatisticsFilter {
  const none = !(o.tcp || o.sctp || o.udp || o.udplite || o.raw);
  return { raw: o.raw || none, tcp: o.tcp || none, udp: o.udp || none, sctp: o.sctp || none };
}

export function runStatistics(o: CliOptions, io: Output): number {
  if (o.format !== 'text') return runStatisticsJson(o, io);
  const families = addressFamilies(o);
  const printer = new StatisticsPrinter(statisticsFilter(o));
  const net = `${o.procRoot}/net`;
  // stdout goes out before each message on stderr, so that a terminal shows them in netstat's order.
  const report = (message: string) => {
    io.out(printer.take());
    io.err(message);
  };
  if (families === 'inet') inetStatistics(net, printer, report);
  else if (families === 'inet6') inet6Statistics(net, printer, report);
  else {
    // netstat prints this one on stdout.
    io.out(`netsnap: No statistics support for specified address family: ${families}\n`);
    return 1;
  }
  io.out(printer.take());
  return 0;
}

type Report = (message: string) => void;

/** netstat's parsesnmp(): /proc/net/snmp, then netstat, then sctp/snmp where they exist. */
function inetStatistics(net: string, printer: StatisticsPrinter, report: Report): void {
  const snmpPath = `${net}/snmp`;
  const snmp = readProcFile(snmpPath);
  if (snmp.kind === 'unopenable') {
    report(`cannot open ${snmpPath}: ${strerror(snmp.code)}\n`);
    return;
  }
  counterTablesFile(snmpPath, snmp, parseCounterTables, printer, report);

  const netstatPath = `${net}/netstat`;
  const netstat = readProcFile(netstatPath);
  if (netstat.kind !== 'unopenable') counterTablesFile(netstatPath, netstat, parseNetstat, printer, report);

  const sctpPath = `${net}/sctp/snmp`;
  const sctp = readProcFile(sctpPath);
  if (sctp.kind === 'read') printer.sctp(parseSctpSnmp(sctp.text));
  else if (sctp.kind === 'unreadable') {
    printer.sctp([]);
    report(`${sctpPath}: ${strerror(sctp.code)}\n`);
  }
}

function counterTablesFile(
  path: string, file: ProcFile, parse: (text: string) => CounterTablesFile, printer: StatisticsPrinter, report: Report,
): void {
  if (file.kind === 'read') {
    const parsed = parse(file.text);
    printer.counterTables(parsed.tables);
    if (parsed.malformed) report(`Problem while parsing ${path}\n`);
  } else if (file.kind === 'unreadable') {
    report(`${path}: ${strerror(file.code)}\n`);
  }
}

/** netstat's parsesnmp6(): /proc/net/snmp6, then the `Tcp` table of /proc/net/snmp. */
function inet6Statistics(net: string, printer: StatisticsPrinter, report: Report): void {
  const snmp6Path = `${net}/snmp6`;
  const snmp6 = readProcFile(snmp6Path);
  if (snmp6.kind === 'unopenable') {
    report(`cannot open ${snmp6Path}: ${strerror(snmp6.code)}\n`);
    return;
  }
  if (snmp6.kind === 'read') printer.snmp6(parseSnmp6(snmp6.text));
  else report(`${snmp6Path}: ${strerror(snmp6.code)}\n`);

  const snmpPath = `${net}/snmp`;
  const snmp = readProcFile(snmpPath);
  if (snmp.kind === 'unopenable') {
    report(`cannot open ${snmpPath}: ${strerror(snmp.code)}\n`);
    return;
  }
  // netstat ignores a parse problem here: no message, the tables before it are printed.
  if (snmp.kind === 'read') printer.counterTables(parseCounterTables(snmp.text).tables, 'Tcp');
  else report(`${snmpPath}: ${strerror(snmp.code)}\n`);
}

/**
 * --json / --ndjson of -s: every counter of the files the text reads for the family (inet:
 * snmp, netstat, sctp/snmp; inet6: snmp6, snmp), unfiltered by -t/-u/-w/-S. Files that do not
 * exist are left out, except snmp / snmp6, which show up with their `error`.
 */
function runStatisticsJson(o: CliOptions, io: Output): number {
  const families = addressFamilies(o);
  const net = `${o.procRoot}/net`;
  const sources: StatisticsSourceJson[] = [];
  const source = (name: string, required: boolean, parse: (text: string) => { tables: StatisticsSourceJson['tables']; malformed: boolean }) => {
    const file = `${net}/${name}`;
    const read = readProcFile(file);
    if (read.kind !== 'read') {
      if (required || read.kind === 'unreadable') sources.push({ file, error: read.code, malformed: false, tables: [] });
      return;
    }
    sources.push({ file, error: null, ...parse(read.text) });
  };
  const counterFile = (parse: (text: string) => CounterTablesFile) => (text: string) => {
    const parsed = parse(text);
    return { tables: counterTablesJson(parsed.tables), malformed: parsed.malformed };
  };
  if (families === 'inet') {
    source('snmp', true, counterFile(parseCounterTables));
    source('netstat', false, counterFile(parseNetstat));
    source('sctp/snmp', false, (text) => ({ tables: [{ title: null, counters: countersJson(parseSctpSnmp(text)) }], malformed: false }));
  } else if (families === 'inet6') {
    source('snmp6', true, (text) => ({ tables: [{ title: null, counters: countersJson(parseSnmp6(text)) }], malformed: false }));
    source('snmp', true, counterFile(parseCounterTables));
  } else {
    io.err(`netsnap: No statistics support for specified address family: ${families}\n`);
    return 1;
  }
  const doc = statisticsDocument(o.procRoot, families, sources);
  writeJson(o, io, doc, () =>
    sources.flatMap((s) => [
      ...s.tables.map((t) => ({ schema: 'netsnap/v1', kind: 'counterTable', file: s.file, ...t })),
      ...(s.error !== null ? [{ schema: 'netsnap/v1', kind: 'unreadable', file: s.file, code: s.error }] : []),
      ...(s.malformed ? [{ schema: 'netsnap/v1', kind: 'problem', file: s.file, line: 0, reason: 'malformed pair of lines: parsing stopped' }] : []),
    ]),
  );
  return 0;
}
