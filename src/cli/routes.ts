// netstat -r: the IPv4 and IPv6 routing tables (and, with -C, the routing caches), one address
// family after the other in command-line order, as net-tools 2.10's route_info() walks them.
import type { CliOptions } from './args';
import { escapedOutput, type Output } from './output';
import { strerror } from './strerror';
import { Names } from '../names/names';
import { ipv4RouteJson, ipv6RouteJson, lineProblemsJson, routeCacheJson, routesDocument, type RouteTableJson, writeJson } from '../format/json';
import {
  IPV4_CACHE_TITLE, IPV4_ROUTE_TITLE, IPV6_ROUTE_COLUMNS, ipv4CacheColumns, ipv4CacheRow, ipv4RouteColumns,
  ipv4RouteRow, ipv4RouteShown, ipv6RouteRow, ipv6RouteShown, ipv6RouteTitle, routeLayout,
} from '../format/routes';
import { parseRoute } from '../procnet/route';
import { parseIpv6Route } from '../procnet/ipv6_route';
import { parseRtCache } from '../procnet/rt_cache';
import type { LineProblem } from '../procnet/lines';
import { readProcText, type ProcText } from '../procnet/read';

/**
 * One /proc file as netstat reads a table. A directory reads as empty: netstat's fopen() succeeds
 * on one and its first fgets() fails, which is what an empty file gives too.
 */
export function readTableText(file: string): ProcText {
  const read = readProcText(file);
  return !read.ok && read.code === 'EISDIR' ? { ok: true, text: '' } : read;
}

export function reportProblems(io: Output, file: string, problems: readonly LineProblem[]): void {
  for (const p of problems) io.err(`netsnap: ${file}:${p.line}: line skipped: ${p.reason}\n`);
}

interface RouteRun {
  io: Output;
  netDir: string;
  /** routeLayout() of the -e count. */
  layout: number;
  /** null: numeric (-n, --numeric-hosts, -N). */
  names: Names | null;
}

/** rprint_fib()/rprint_cache()/rprint_fib6() open failure: perror, a line on stdout, status 1. */
function notConfigured(run: RouteRun, file: string, code: string, family: 'INET (IPv4)' | 'INET6 (IPv6)'): number {
  run.io.err(`${file}: ${strerror(code)}\n`);
  run.io.out(`${family} not configured in this system.\n`);
  return 1;
}

function printIpv4Fib(run: RouteRun): number {
  const file = `${run.netDir}/route`;
  const read = readTableText(file);
  if (!read.ok) return notConfigured(run, file, read.code, 'INET (IPv4)');
  // The title and the column line come before netstat looks at the file's header.
  let out = IPV4_ROUTE_TITLE + ipv4RouteColumns(run.layout);
  const table = parseRoute(read.text);
  if (!table.ok) {
    run.io.out(out);
    if (table.missingField !== null) run.io.err(`warning: ${file} does not contain required field ${table.missingField}\n`);
    return 1;
  }
  reportProblems(run.io, file, table.problems);
  for (const r of table.routes) if (ipv4RouteShown(r)) out += ipv4RouteRow(r, run.layout, run.names);
  run.io.out(out);
  return 0;
}

function printIpv4Cache(run: RouteRun): number {
  const file = `${run.netDir}/rt_cache`;
  const read = readTableText(file);
  if (!read.ok) return notConfigured(run, file, read.code, 'INET (IPv4)');
  const table = parseRtCache(read.text);
  if (!table) {
    // No header line: netstat prints the title, then perror() with whatever errno was left from
    // earlier (ENOENT on our machines), and exits -1.
    run.io.out(IPV4_CACHE_TITLE);
    run.io.err(`${file}: ${strerror('ENOENT')}\n`);
    return 255;
  }
  let out = IPV4_CACHE_TITLE;
  if (table.layout === null) out += `ERROR: proc_guess_fmt(${file},... returned: ${table.headerMask}\n`;
  out += ipv4CacheColumns(run.layout, table.layout);
  if (table.layout === null) {
    // netstat goes on to scan rows with no format at all and prints garbage; we print none.
    run.io.out(out);
    return 0;
  }
  if (table.missingField !== null) {
    run.io.out(out);
    run.io.err(`warning: ${file} does not contain required field ${table.missingField}\n`);
    return 1;
  }
  reportProblems(run.io, file, table.problems);
  for (const e of table.entries) out += ipv4CacheRow(e, run.layout, table.layout, run.names);
  run.io.out(out);
  return 0;
}

/** The IPv6 FIB, or with cache the cached clones: both come from ipv6_route. */
function printIpv6(run: RouteRun, cache: boolean): number {
  const file = `${run.netDir}/ipv6_route`;
  const read = readTableText(file);
  if (!read.ok) return notConfigured(run, file, read.code, 'INET6 (IPv6)');
  const table = parseIpv6Route(read.text);
  reportProblems(run.io, file, table.problems);
  // -e does not change the IPv6 layout.
  let out = ipv6RouteTitle(cache) + IPV6_ROUTE_COLUMNS;
  for (const r of table.routes) if (ipv6RouteShown(r, cache)) out += ipv6RouteRow(r, run.names);
  run.io.out(out);
  return 0;
}

/** -N (symbolic) makes routes numeric too, but --numeric-ports/--numeric-users do not. */
export function routeNames(o: CliOptions): Names | null {
  return o.numericHosts || o.symbolic ? null : new Names();
}

/** Prints the routing tables -r asks for; returns netstat's exit status. */
export function runRoutes(o: CliOptions, io: Output, first: boolean, names: Names | null = routeNames(o)): number {
  if (o.format !== 'text') return runRoutesJson(o, io);
  void first; // -rc repeats the title and the column line every cycle: no cycle is special
  const run: RouteRun = {
    io: escapedOutput(io),
    netDir: `${o.procRoot}/net`,
    layout: routeLayout(o.extend),
    names,
  };
  // -C alone is the cache only, -F the FIB (the default), -CF both.
  const fib = o.fib || !o.cache;
  const families = o.families.length > 0 ? o.families : ['inet'];
  for (const af of families) {
    let rc = 0;
    if (af === 'inet') {
      if (fib) rc = printIpv4Fib(run);
      if (!rc && o.cache) rc = printIpv4Cache(run);
    } else if (af === 'inet6') {
      if (fib) rc = printIpv6(run, false);
      if (!rc && o.cache) rc = printIpv6(run, true);
    } else {
      io.err(`No routing for address family \`${af}'.\n`);
      return 3;
    }
    if (rc) return rc;
  }
  return 0;
}

/**
 * --json / --ndjson of -r: the tables the text would print (same families, -F/-C, same rows),
 * every parsed field, addresses numeric. A file that cannot be read is a table with `error`.
 */
function runRoutesJson(o: CliOptions, io: Output): number {
  const netDir = `${o.procRoot}/net`;
  const fib = o.fib || !o.cache;
  const families = o.families.length > 0 ? o.families : ['inet'];
  const tables: RouteTableJson[] = [];
  const table = (family: 'inet' | 'inet6', kind: 'fib' | 'cache', name: string): RouteTableJson => {
    const t: RouteTableJson = { family, table: kind, file: `${netDir}/${name}`, error: null, routes: [], problems: [] };
    tables.push(t);
    return t;
  };
  for (const af of families) {
    if (af === 'inet') {
      if (fib) {
        const t = table('inet', 'fib', 'route');
        const read = readTableText(t.file);
        if (!read.ok) t.error = read.code;
        else {
          const parsed = parseRoute(read.text);
          if (!parsed.ok) t.error = parsed.missingField === null ? 'ENODATA' : `missing field ${parsed.missingField}`;
          else {
            t.routes = parsed.routes.filter(ipv4RouteShown).map(ipv4RouteJson);
            t.problems = lineProblemsJson(t.file, parsed.problems);
          }
        }
      }
      if (o.cache) {
        const t = table('inet', 'cache', 'rt_cache');
        const read = readTableText(t.file);
        if (!read.ok) t.error = read.code;
        else {
          const parsed = parseRtCache(read.text);
          if (!parsed) t.error = 'ENODATA';
          else if (parsed.layout === null) t.error = `unknown layout (header mask ${parsed.headerMask})`;
          else if (parsed.missingField !== null) t.error = `missing field ${parsed.missingField}`;
          else {
            const layout = parsed.layout;
            t.routes = parsed.entries.map((e) => routeCacheJson(e, layout));
            t.problems = lineProblemsJson(t.file, parsed.problems);
          }
        }
      }
    } else if (af === 'inet6') {
      for (const cache of fib ? (o.cache ? [false, true] : [false]) : [true]) {
        const t = table('inet6', cache ? 'cache' : 'fib', 'ipv6_route');
        const read = readTableText(t.file);
        if (!read.ok) t.error = read.code;
        else {
          const parsed = parseIpv6Route(read.text);
          t.routes = parsed.routes.filter((r) => ipv6RouteShown(r, cache)).map(ipv6RouteJson);
          t.problems = lineProblemsJson(t.file, parsed.problems);
        }
      }
    } else {
      io.err(`No routing for address family \`${af}'.\n`);
      return 3;
    }
  }
  const doc = routesDocument(o.procRoot, tables);
  writeJson(o, io, doc, () =>
    tables.flatMap((t) => [
      ...t.routes.map((r) => ({ schema: 'netsnap/v1', kind: 'route', family: t.family, table: t.table, ...r })),
      ...t.problems.map((p) => ({ schema: 'netsnap/v1', kind: 'problem', ...p })),
      ...(t.error !== null ? [{ schema: 'netsnap/v1', kind: 'unreadable', file: t.file, code: t.error }] : []),
    ]),
  );
  return 0;
}
