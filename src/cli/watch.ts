// --watch: one sample per interval; each tick prints the sockets opened (+), closed (-) and
// changed (~) since the previous one, and the counts by protocol and state. On a terminal the view
// is redrawn in place; otherwise (a pipe, a file) every tick is appended. --ndjson gives events.
// Addresses are numeric (no DNS per tick); all sockets of the chosen tables count, listeners too.
// Ticks keep to the grid of the interval: when one takes longer, the slots it ran over are skipped
// and the next tick says how many (head line, and skippedSlots on the NDJSON tick line).
import type { CliOptions } from './args';
import { NetsnapError } from '../model/errors';
import { shownText, utf8, type Output } from './output';
import { listingFilter, tableRequest } from './listing';
import { createSampler } from '../services/sampler';
import type { Snapshot } from '../model/snapshot';
import { originOf, type AnySocket, type SnapshotDiff } from '../analysis/diff';
import { inetSocketJson, stringifyJson, unixSocketJson, type Json } from '../format/json';
import type { Tick } from '../services/sampler';
import type { InetTable, UnixTable } from '../model/columns';
import { tcpStateName, udpStateName, unixStateName } from '../model/states';

function endpoint(address: string, port: number, family: number): string {
  return family === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}

/** One line for a socket: proto, endpoints (or path), state, first owner. */
export function socketLine(s: AnySocket): string {
  const owner = s.owners[0] ? ` ${s.owners[0].pid}/${s.owners[0].name}` : '';
  if (s.proto === 'unix') return `unix  ${s.typeName} ${s.path ?? `inode ${s.inode}`} ${s.stateName}${owner}`;
  const label = s.file.padEnd(5);
  return `${label} ${endpoint(s.localAddress, s.localPort, s.family)} ${endpoint(s.remoteAddress, s.remotePort, s.family)} ${s.stateName}${owner}`;
}

/** "tcp: ESTABLISHED 5, LISTEN 3; udp: CLOSE 2" */
export function countsLine(snap: Snapshot): string {
  return Object.entries(counts(snap))
    .map(([p, m]) => `${p}: ${Object.entries(m).sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ${n}`).join(', ')}`)
    .join('; ');
}

export function diffLines(diff: SnapshotDiff): string[] {
  return [
    ...diff.opened.map((s) => `+ ${socketLine(s)}`),
    ...diff.closed.map((s) => `- ${socketLine(s)}`),
    ...diff.changed.map((c) => `~ ${socketLine(c.socket)} (was ${c.from})`),
  ];
}

/** The socket as the schema's socket object (numeric: no DNS per tick). */
function jsonSocket(s: AnySocket): Json {
  const at = originOf(s)!;
  return s.proto === 'unix' ? unixSocketJson(s, at.table as UnixTable, at.row) : inetSocketJson(s, at.table as InetTable, at.row, { numericHosts: true, numericPorts: true });
}

/** Protocol -> state -> count. From the columns: no row object per socket (a tick may hold 100,000). */
export function counts(snap: Snapshot): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  const add = (proto: string, state: string, n: number) => {
    const m = (out[proto] ??= {});
    m[state] = (m[state] ?? 0) + n;
  };
  for (const t of snap.inet) {
    const byState = new Map<number, number>();
    for (let i = 0; i < t.count; i++) byState.set(t.state[i]!, (byState.get(t.state[i]!) ?? 0) + 1);
    for (const [st, n] of byState) add(t.proto, t.proto === 'tcp' ? tcpStateName(st) : udpStateName(st), n);
  }
  const u = snap.unix;
  if (u) {
    const byState = new Map<string, number>();
    for (let i = 0; i < u.count; i++) {
      const name = unixStateName(u.state[i]!, u.flags[i]!);
      byState.set(name, (byState.get(name) ?? 0) + 1);
    }
    for (const [name, n] of byState) add('unix', name, n);
  }
  return out;
}

/** The head line's note of the slots skipped before a tick ('' when none: the tick kept the rate). */
export function skippedNote(skipped: number): string {
  return skipped > 0 ? ` | skipped ${skipped} slot${skipped === 1 ? '' : 's'} (the previous tick took longer than the interval)` : '';
}

/** --ndjson lines of one tick: its events (none on the first tick), then the tick line. */
export function eventLines(t: Tick): string[] {
  const time = new Date(t.snapshot.takenAt).toISOString();
  const base = { schema: 'netsnap/v1', kind: 'event', tick: t.tick, time };
  const lines: string[] = [];
  if (t.tick > 0) {
    for (const s of t.diff.opened) lines.push(stringifyJson({ ...base, event: 'opened', socket: jsonSocket(s) } as Json));
    for (const s of t.diff.closed) lines.push(stringifyJson({ ...base, event: 'closed', socket: jsonSocket(s) } as Json));
    for (const c of t.diff.changed) lines.push(stringifyJson({ ...base, event: 'changed', from: c.from, to: c.to, socket: jsonSocket(c.socket) } as Json));
  }
  lines.push(stringifyJson({ schema: 'netsnap/v1', kind: 'tick', tick: t.tick, time, skippedSlots: t.skippedSlots, counts: counts(t.snapshot) } as Json));
  return lines;
}

export async function runWatch(o: CliOptions, io: Output): Promise<number> {
  const { protocols, families } = tableRequest(o);
  // Parsed and checked here, before the first tick; the sampler runs it on every tick.
  const filter = listingFilter(o);
  if (filter !== null && o.unix) throw new NetsnapError('ERR_USAGE', 'a filter does not choose UNIX sockets for --watch yet (list them with -x, or watch without -x)');
  const sampler = createSampler({
    interval: o.interval, protocols, families, owners: o.programs, procRoot: o.procRoot, netDir: o.netDir ?? undefined,
    source: o.source, ...(filter === null ? {} : { filter: filter.text }),
  });
  const tty = o.format === 'text' && process.stdout.isTTY === true;
  // Paths and program names escaped on a terminal (each line is one socket: its own text only).
  const show = shownText(io);
  const recent: string[] = [];
  for await (const t of sampler) {
    // Read through a process of another namespace: if it left, this tick's tables may be those of a
    // vanished /proc/PID/net (every socket "closed"): stop before printing it. The sampler cannot
    // move to another process, so a new reader means a new run.
    if (o.namespaceCheck !== null && o.namespaceCheck() !== null) {
      sampler.close();
      throw new NetsnapError('ERR_NAMESPACE_GONE', `the process --watch read the namespace through exited; run it again to follow another process in it`);
    }
    const time = new Date(t.snapshot.takenAt).toISOString();
    if (o.format !== 'text') {
      io.out(`${eventLines(t).join('\n')}\n`);
    } else {
      // The first tick is the starting point: its sockets are counted, not listed as opened.
      const lines = t.tick === 0 ? [] : diffLines(t.diff).map(show);
      const head = `--- ${time} tick ${t.tick}: +${t.tick ? t.diff.opened.length : 0} -${t.diff.closed.length} ~${t.diff.changed.length} | ${countsLine(t.snapshot)}${skippedNote(t.skippedSlots)}`;
      if (tty) {
        recent.push(...lines);
        const room = Math.max(5, (process.stdout.rows ?? 24) - 3);
        recent.splice(0, Math.max(0, recent.length - room));
        io.out(utf8(`\x1b[H\x1b[2J${head}\n${recent.join('\n')}\n`));
      } else {
        io.out(utf8(`${head}\n${lines.map((l) => `${l}\n`).join('')}`));
      }
    }
    if (o.count > 0 && t.tick + 1 >= o.count) sampler.close();
  }
  return 0;
}
