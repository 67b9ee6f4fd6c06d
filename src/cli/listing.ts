// The socket listing: netstat's table selection, headers and rows over one snapshot.
import * as fs from 'node:fs';
import { snapshotWarnings, type Snapshot } from '../model/snapshot';
import { snapshot } from '../backends/snapshot';
import type { CliOptions } from './args';
import type { Proto } from '../model/contract';
import { inetHeader, inetRowShown, inetRowTextRequest, unixHeader, unixRowShown, writeInetRow, writeInetRowsFast, writeUnixRow, type NetstatListingOptions } from '../format/netstat';
import { getBackend } from '../backends/select';
import { ByteWriter } from '../bytes/writer';
import type { InetTable, UnixTable } from '../model/columns';
import { NetsnapError } from '../model/errors';
import type { CompiledFilter } from '../filter/compile';

import { detailFormatter, detailLines, detailSpec, type DetailOptions } from '../format/ss_detail';
import { byteSink, shownText, SILENT, utf8, type Output } from './output';

/* eslint-disable @typescript-eslint/no-require-imports */
// Loaded only by the modes that need them (see main.ts): names for non-numeric output, groups for -g.
const lazyNames = () => require('../names/names') as typeof import('../names/names');
const lazyDns = () => require('../names/dns') as typeof import('../names/dns');
const lazyGroups = () => require('./groups') as typeof import('./groups');
const lazyFilter = () => require('../filter/compile') as typeof import('../filter/compile');

interface Selection {
  protos: Array<'tcp' | 'udp' | 'udplite' | 'raw'>;
  inet: boolean;
  inet6: boolean;
  unix: boolean;
  /** netstat's flag_arg: a protocol or family table was asked for explicitly. */
  explicit: boolean;
  /** netstat's flag_noprot: the protocols were implied by -4/-6, so a missing table is silent. */
  impliedProtocols: boolean;
  sctp: boolean;
  inetHeader: boolean;
}

/** netstat's main(): which tables a set of flags prints. */
export function selectTables(o: CliOptions): Selection {
  let { tcp, udp, udplite, raw, inet, inet6 } = o;
  let { sctp } = o;
  let impliedProtocols = false;
  if ((inet || inet6) && !(tcp || sctp || udp || udplite || raw)) impliedProtocols = tcp = sctp = udp = udplite = raw = true;
  if ((tcp || sctp || udp || udplite || raw || o.groups) && !(inet || inet6)) inet = inet6 = true;
  const explicit = tcp || sctp || udp || udplite || raw || o.unix || o.groups;
  const protos: Selection['protos'] = [];
  // sctp has no table of ours; it is handled after tcp, where netstat prints it.
  if (!explicit || tcp) protos.push('tcp');
  if (!explicit || udp) protos.push('udp');
  if (!explicit || udplite) protos.push('udplite');
  if (!explicit || raw) protos.push('raw');
  return {
    protos,
    inet: !explicit || inet,
    inet6: !explicit || inet6,
    // A filter chooses among inet sockets: without a table asked for, the UNIX one is left out.
    unix: (!explicit && o.filter === null) || o.unix,
    explicit,
    impliedProtocols,
    sctp: !explicit || sctp,
    inetHeader: !explicit || tcp || sctp || udp || udplite || raw,
  };
}

export function listingFormat(o: CliOptions): NetstatListingOptions {
  const fmt: NetstatListingOptions = {
    all: o.all, listening: o.listening, extend: o.extend > 0, programs: o.programs, timers: o.timers, wide: o.wide,
    numericHosts: o.numericHosts, numericPorts: o.numericPorts, numericUsers: o.numericUsers,
  };
  if (!(o.numericHosts && o.numericPorts)) fmt.names = new (lazyNames().Names)();
  return fmt;
}

const AF_NAMES: Record<string, string> = { tcp: 'AF INET (tcp)', udp: 'AF INET (udp)', udplite: 'AF INET (udplite)', raw: 'AF INET (raw)', unix: 'AF UNIX' };

/** The protocols and families of the tables the options select (for snapshot() and the sampler). */
export function tableRequest(o: CliOptions): { sel: Selection; protocols: Proto[]; families: Array<4 | 6> } {
  const sel = selectTables(o);
  const protocols: Proto[] = [...sel.protos];
  if (sel.unix) protocols.push('unix');
  const families: Array<4 | 6> = [];
  if (sel.inet) families.push(4);
  if (sel.inet6) families.push(6);
  return { sel, protocols, families };
}

/** What --info, --memory and --cgroup ask of a sample. */
export function internalsOptions(o: CliOptions): { info?: boolean; memory?: boolean; cgroup?: boolean } {
  const out: { info?: boolean; memory?: boolean; cgroup?: boolean } = {};
  if (o.info) out.info = true;
  if (o.memory) out.memory = true;
  if (o.cgroup) out.cgroup = true;
  return out;
}

/** All TCP states but LISTEN, and LISTEN alone (bits 1 << st of the /proc state numbers). */
const NOT_LISTEN = 0xffffffff & ~(1 << 10);
const LISTEN_ONLY = 1 << 10;

/**
 * The TCP states a listing can show, pushed into the sample (and, with netlink, into the kernel):
 * -a shows every row; -l only servers (netstat: remote port 0, in practice LISTEN); by default
 * everything else. inetRowShown() still decides per row; UDP and RAW are not state-filtered.
 */
export function listingTcpStates(o: CliOptions): number | undefined {
  if (o.all) return undefined;
  return o.listening ? LISTEN_ONLY : NOT_LISTEN >>> 0;
}

/**
 * The filter of the command line, compiled, or null. UNIX sockets are not filtered yet: asking for
 * them (-x) with a filter is refused rather than shown unfiltered.
 */
export function listingFilter(o: CliOptions): CompiledFilter | null {
  if (o.filter === null) return null;
  const f = lazyFilter().compileFilter(o.filter);
  if (o.unix && f.hasExpression) {
    throw new NetsnapError('ERR_USAGE', `with -x only state words filter UNIX sockets; '${o.filter}' has an expression for inet sockets (list them without -x)`);
  }
  return f;
}

/** Which UNIX rows a listing shows: netstat's -a/-l rules, or the filter's state words as ss applies them. */
export function unixRowPredicate(filter: CompiledFilter | null, fmt: NetstatListingOptions): (t: UnixTable, i: number) => boolean {
  if (filter?.hasStates) {
    const { unixSsState } = lazyFilter();
    const mask = filter.tcpStates;
    return (t, i) => Math.floor(mask / 2 ** unixSsState(t.state[i]!, t.flags[i]!)) % 2 === 1;
  }
  return (t, i) => unixRowShown(t, i, fmt);
}

/**
 * Which inet rows a listing shows. The snapshot holds only the rows that pass the filter (the
 * kernel and the backends ran it); netstat's -a/-l rules choose among them, unless the filter has
 * state words, which choose instead (ss's rule where the two disagree).
 */
export function inetRowPredicate(filter: CompiledFilter | null, fmt: NetstatListingOptions): (t: InetTable, i: number) => boolean {
  if (filter?.hasStates) return () => true;
  return (t, i) => inetRowShown(t, i, fmt);
}

/** The snapshot options of a filter: the expression, and netstat's -a/-l states unless it has its own. */
export function filterOptions(o: CliOptions, filter: CompiledFilter | null): { filter?: string; tcpStates?: number } {
  const out: { filter?: string; tcpStates?: number } = {};
  if (filter !== null) out.filter = filter.text;
  if (!filter?.hasStates) {
    const m = listingTcpStates(o);
    if (m !== undefined) out.tcpStates = m;
  }
  return out;
}

/** Prints one listing; returns netstat's exit status. */
export async function runListing(o: CliOptions, io: Output, fmt: NetstatListingOptions = listingFormat(o)): Promise<number> {
  if (io.escapeOut === true) fmt = { ...fmt, escape: true };
  const { sel, protocols, families } = tableRequest(o);
  const filter = listingFilter(o);
  const shown = inetRowPredicate(filter, fmt);
  // The same choice of rows for the addon's formatter (inetRowPredicate: a filter's states, else -a/-l).
  const fastShow = filter?.hasStates || fmt.all ? 'all' : fmt.listening ? 'servers' : 'others';
  const formatRows = getBackend().formatInetRows;
  // The rows of tcp and tcp6, formatted by the sample as they come where it can (-p), as the loop
  // below would format them.
  const detailsAsked = o.info || o.memory || o.cgroup;
  const rowText = !detailsAsked && sel.protos.includes('tcp') ? inetRowTextRequest(fmt, fastShow, formatRows) ?? undefined : undefined;
  const snap: Snapshot = snapshot({
    protocols, families, owners: o.programs, procRoot: o.procRoot, netDir: o.netDir ?? undefined, source: o.source,
    ...filterOptions(o, filter), ...internalsOptions(o),
  }, rowText);
  const details: DetailOptions | null = detailsAsked
    ? { info: o.info, memory: o.memory, cgroup: o.cgroup, numeric: o.numericPorts, show: shownText(io) } : null;

  for (const w of snapshotWarnings(snap)) io.err(`netsnap: ${w}\n`);
  if (o.programs && snap.owners && snap.owners.pidsDenied > 0) {
    if (snap.owners.count === 0) {
      io.err(`(No info could be read for "-p": geteuid()=${process.geteuid?.() ?? -1} but you should be root.)\n`);
    } else {
      io.err('(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n');
    }
  }

  // Rendering reads only the snapshot; a dry run first tells which addresses need DNS, then all
  // of them are resolved at once within the budget (see withResolvedHosts).
  const render = (io: Output): number => {
    // Rows go straight from the columns into one reused buffer (no per-row strings).
    const w = new ByteWriter(byteSink(io));
    const flush = () => w.flush();
    const unreadable = new Map(snap.unreadable.map((u) => [u.file, u.code]));
    // A missing table is silent unless asked for (ENOENT and EACCES, as netstat); other errors are reported.
    const failure = (file: string, name: string, ipv4: boolean): number => {
      const code = unreadable.get(file);
      if (code === undefined) return 0;
      if (code !== 'ENOENT' && code !== 'EACCES') {
        flush();
        io.err(`${snap.netDir}/${file}: ${code}\n`);
        return 255;
      }
      if (ipv4 && !sel.impliedProtocols && (sel.explicit || o.verbose)) {
        flush();
        io.err(`netsnap: no support for \`${name}' on this system.\n`);
      }
      return ipv4 && !sel.impliedProtocols && sel.explicit ? 1 : 0;
    };

    if (sel.inetHeader) w.text(inetHeader(fmt));
    for (const proto of sel.protos) {
      let rc = 0;
      for (const [file, wanted, ipv4] of [[proto, sel.inet, true], [`${proto}6`, sel.inet6, false]] as const) {
        if (!wanted) continue;
        const t = snap.table(file);
        if (!t) {
          const r = failure(file, AF_NAMES[proto]!, ipv4);
          if (r === 255) return 255;
          rc ||= r;
          continue;
        }
        // The rows in one call of the addon when it can (a short listing would run this loop once,
        // on a cold JIT), else one by one. Detail lines come from the addon either way.
        const spec = details ? detailSpec(t, details, snap.cgroupPath) : null;
        if (spec !== null) detailFormatter(getBackend().formatDetailLines);
        if (writeInetRowsFast(w, t, fmt, fastShow, snap.owners, formatRows, details ? null : snap.rowText(file), spec)) continue;
        if (spec === null) {
          for (let i = 0; i < t.count; i++) if (shown(t, i)) writeInetRow(w, t, i, fmt, snap.owners);
          continue;
        }
        const lines = detailLines(spec, getBackend().formatDetailLines);
        for (let s = 0; s < t.count; s += lines.chunk) {
          const n = Math.min(lines.chunk, t.count - s);
          lines.format(s, n);
          for (let i = s; i < s + n; i++) {
            if (!shown(t, i)) continue;
            writeInetRow(w, t, i, fmt, snap.owners);
            const from = i === s ? 0 : lines.ends[i - s - 1]!;
            if (lines.ends[i - s]! > from) w.bytes(lines.out, from, lines.ends[i - s]!);
          }
        }
      }
      if (rc) {
        flush();
        return rc;
      }
      if (proto === 'tcp' && sel.sctp) {
        // netstat lists SCTP after TCP. We do not parse /proc/net/sctp yet; where it is missing (the
        // usual case) we behave as netstat does, and where it exists we say what we skipped.
        if (fs.existsSync(`${snap.netDir}/sctp`)) {
          flush();
          io.err('netsnap: SCTP sockets are not listed yet\n');
        } else if (!sel.impliedProtocols && (sel.explicit || o.verbose)) {
          flush();
          io.err("netsnap: no support for `AF INET (sctp)' on this system.\n");
          if (sel.explicit) return 1;
        }
      }
    }
    if (o.groups) {
      // netstat prints the group memberships after the inet tables and before the UNIX table.
      flush();
      const r = lazyGroups().printGroups(o, io, o.numericHosts ? null : (fmt.names ?? null));
      if (r) return r;
    }
    if (sel.unix) {
      w.text(unixHeader(fmt));
      const t = snap.unix;
      if (!t) {
        const r = failure('unix', AF_NAMES.unix!, true);
        flush();
        if (r) return r;
      } else {
        const unixShown = unixRowPredicate(filter, fmt);
        for (let i = 0; i < t.count; i++) if (unixShown(t, i)) writeUnixRow(w, t, i, fmt, snap.owners);
      }
    }
    flush();
    return 0;
  };
  const names = o.numericHosts ? null : (fmt.names ?? null);
  if (!names) return render(io);
  return lazyDns().withResolvedHosts(names, o.resolveTimeout, (dry) => render(dry ? SILENT : io));
}
