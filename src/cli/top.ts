// `netsnap top`: live throughput and health per process, container, port, peer or connection
// (src/services/throughput.ts). On a terminal a full-screen view redrawn every tick (keys: g cycles
// the grouping, s the sort column, q quits); otherwise one plain table per tick, appended, or
// (--ndjson) one JSON line per tick (schema/top-v1.schema.json). Native backend only.
import { createThroughput, GROUP_BYS, type Flow, type GroupBy, type Throughput, type ThroughputTick } from '../services/throughput';
import { isNetsnapError, usageError } from '../model/errors';
import { stringifyJson, type Json } from '../format/json';
import { utf8, type Output } from './output';
import { terminalSafeText } from '../bytes/escape';
import { countOption, durationOption, filterOption, namespaceOption, parseSubArgs, runInNamespace, SubcommandError } from './subargs';
import { subcommandSpec } from './options';

export const TOP_USAGE = `usage: netsnap top [--interval TIME] [--by GROUP] [--sort COLUMN] [--count N] [--ndjson]
                  [--no-owners] [--containers] [--proc-root DIR] [--filter EXPR | --filter-file FILE]
                  [--netns NAME | --pid PID] [--literal]

Live TCP throughput and health without packet capture: bytes sent and received per second, retransmits,
RTT, CLOSE_WAIT and accept queues per process, container, port, peer or connection, from the kernel's
tcp_info and its destroy events (connections that closed during a tick count too). Native backend.
UDP: sockets, queues and drops only (the kernel keeps no byte counts for UDP).

  --interval TIME       time between ticks (default 1s; sub-second allowed, e.g. 250ms). The first tick is
                        the baseline: rates start with the second
  --by GROUP            process (default), container, port, peer, network (IPv4 /24, IPv6 /64) or connection
  --sort COLUMN         bytes (tx+rx/s, default), tx, rx, retrans, conns, rtt, close-wait or accept-q
  --count N             stop after N ticks
  --ndjson              one JSON object per tick (kind "tick"; schema/top-v1.schema.json); with
                        --by connection it lists every connection too
  --no-owners           do not map connections to processes
  --containers          the owners' containers (cgroups); implied by --by container
  --proc-root DIR       read /proc from DIR (default /proc)
  --filter EXPR         only the connections ss's filter EXPR keeps (addresses, ports, pid, comm, ...)
  --filter-file FILE    the filter from FILE (lines joined; # starts a comment)
  --netns NAME|PATH     another network namespace (/run/netns/NAME, or an nsfs path): netsnap runs
                        inside it (nsenter: root)
  --pid PID             process PID's network namespace, likewise
  --literal             program and container names as they are: C0 controls as ?, like a pipe (default
                        on a terminal: control characters as \\xNN, a backslash as \\\\)
  -h, --help            print this help

On a terminal: g cycles the grouping, s the sort column (G and S backwards), q (or Ctrl-C) quits.
Elsewhere (a pipe, a file) one plain table per tick is appended.
`;

// The options come from the one table (options.ts), as do its completions.
const SPEC = subcommandSpec('top');

export type SortKey = 'bytes' | 'tx' | 'rx' | 'retrans' | 'conns' | 'rtt' | 'close-wait' | 'accept-q';
export const SORT_KEYS: readonly SortKey[] = ['bytes', 'tx', 'rx', 'retrans', 'conns', 'rtt', 'close-wait', 'accept-q'];
const SORT_TITLE: Record<SortKey, string> = {
  bytes: 'tx+rx/s', tx: 'tx/s', rx: 'rx/s', retrans: 'retrans/s', conns: 'connections', rtt: 'rtt p50', 'close-wait': 'close-wait', 'accept-q': 'accept queue',
};

function sortValue(f: Flow, key: SortKey): number {
  // Bytes rather than rates: the same order (one interval per tick), and defined on the first tick.
  switch (key) {
    case 'bytes': return f.txBytes + f.rxBytes;
    case 'tx': return f.txBytes;
    case 'rx': return f.rxBytes;
    case 'retrans': return f.retransBytes;
    case 'conns': return f.connections;
    case 'rtt': return f.rttP50Us ?? -1;
    case 'close-wait': return f.closeWait;
    case 'accept-q': return f.acceptQueue;
  }
}

/** Largest first; ties by connections, then by label. */
export function sortRows<R extends { label: string; flow: Flow }>(rows: R[], key: SortKey): R[] {
  return rows.sort((a, b) => sortValue(b.flow, key) - sortValue(a.flow, key) || b.flow.connections - a.flow.connections || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** 999 B, 12.3 KiB, 1.23 MiB: three significant digits at most. */
export function humanBytes(n: number): string {
  let u = 0;
  let v = n;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  if (u === 0) return `${Math.round(v)} B`;
  return `${v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toString()} ${UNITS[u]}`;
}

/** A rate in human units ('-' while unknown: the first tick). */
export function humanRate(bps: number | null): string {
  return bps === null ? '-' : `${humanBytes(bps)}/s`;
}

function ms(us: number | null): string {
  if (us === null) return '-';
  const v = us / 1000;
  return v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : Math.round(v).toString();
}

const perSec = (v: number | null): string => (v === null ? '-' : `${v < 10 ? v.toFixed(1) : Math.round(v)}/s`);

/**
 * Names from /proc are the processes' own: no C0 control reaches the output (a pipe, --literal).
 * On a terminal the labels are escaped instead (terminalSafeText: C1 too, and \xNN tells what the byte was).
 */
const printable = (s: string): string => s.replace(/[\x00-\x1f\x7f]/g, '?');

/** How a label others control is shown: printable, or terminalSafeText on a terminal. */
export type ShowLabel = (s: string) => string;

function endpoint(e: { address: string; port: number }, family: number): string {
  return family === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

interface Row {
  label: string;
  flow: Flow;
}

const ZERO: Flow = {
  connections: 0, txBytes: 0, rxBytes: 0, retransBytes: 0, txBps: null, rxBps: null, retransBps: null,
  closeWait: 0, acceptQueue: 0, rttP50Us: null, closed: 0,
};

/**
 * What the totals hold beyond the rows and `unattributed`: the connections of processes netsnap
 * could not map (other users', or --no-owners), of processes in no container, or (by connection)
 * the bytes of connections that closed during the tick with an owner. Null when there is nothing.
 */
function remainder(t: ThroughputTick, flows: readonly Flow[], queues: boolean): Flow | null {
  const less = (k: 'connections' | 'txBytes' | 'rxBytes' | 'retransBytes' | 'closeWait' | 'acceptQueue' | 'closed', unattributed: boolean) =>
    Math.max(0, t.totals[k] - flows.reduce((n, f) => n + f[k], 0) - (unattributed ? t.unattributed[k] : 0));
  const f: Flow = {
    ...ZERO,
    connections: less('connections', false), txBytes: less('txBytes', true), rxBytes: less('rxBytes', true),
    retransBytes: less('retransBytes', true), closeWait: less('closeWait', false), acceptQueue: queues ? less('acceptQueue', false) : 0,
    closed: less('closed', true),
  };
  if (f.connections + f.txBytes + f.rxBytes + f.retransBytes + f.closeWait + f.acceptQueue + f.closed === 0) return null;
  const seconds = t.tick > 0 && t.intervalMs > 0 ? t.intervalMs / 1000 : null;
  if (seconds !== null) {
    f.txBps = f.txBytes / seconds;
    f.rxBps = f.rxBytes / seconds;
    f.retransBps = f.retransBytes / seconds;
  }
  return f;
}

export interface ViewState {
  by: GroupBy;
  sort: SortKey;
  owners: boolean;
  containers: boolean;
}

/** The rows of one grouping, sorted, with the remainder and `unattributed` rows where they hold something. */
export function tableRows(t: ThroughputTick, v: ViewState, show: ShowLabel = printable): { rows: Row[]; notes: string[] } {
  const notes: string[] = [];
  let rows: Row[];
  let rest: Flow | null = null;
  let restLabel = '';
  switch (v.by) {
    case 'process':
      rows = t.processes.map((p) => ({ label: show(`${p.pid}/${p.program}`), flow: p }));
      rest = remainder(t, t.processes, true);
      restLabel = v.owners ? '(owner unknown)' : '(owners not mapped)';
      if (!v.owners) notes.push('owners are not mapped (--no-owners)');
      break;
    case 'container':
      rows = t.containers.map((c) => ({ label: show(c.id.length > 12 && /^[0-9a-f]+$/.test(c.id) ? c.id.slice(0, 12) : c.id), flow: c }));
      rest = remainder(t, t.containers, true);
      restLabel = v.containers ? '(no container)' : '(not collected)';
      if (!v.containers) notes.push('containers are not collected: start with --containers (or --by container)');
      break;
    case 'port':
      rows = t.ports.map((p) => ({ label: `${p.proto}/${p.port}`, flow: p }));
      break;
    case 'peer':
      rows = t.peers.map((p) => ({ label: show(p.address), flow: p }));
      break;
    case 'network':
      rows = t.networks.map((n) => ({ label: show(n.network), flow: n }));
      break;
    case 'connection':
      rows = t.connections.map((c) => ({
        label: show(`${endpoint(c.local, c.family)} ${endpoint(c.remote, c.family)}${c.state === 'ESTABLISHED' ? '' : ` ${c.state}`}${c.pid === null ? '' : ` ${c.pid}/${c.program ?? ''}`}`),
        flow: c,
      }));
      rest = remainder(t, t.connections, false);
      restLabel = '(closed in this tick)';
      break;
  }
  if (rest !== null) rows.push({ label: restLabel, flow: rest });
  // Closed connections nobody could be credited with: a row of their own where no other row holds
  // them (their ports and peers are known, so those views count them already).
  if ((v.by === 'process' || v.by === 'container' || v.by === 'connection') && t.unattributed.txBytes + t.unattributed.rxBytes > 0) {
    rows.push({ label: '(unattributed)', flow: t.unattributed });
  }
  return { rows: sortRows(rows, v.sort), notes };
}

interface Column {
  title: string;
  width: number;
  cell: (f: Flow) => string;
}

const KEY_TITLE: Record<GroupBy, string> = {
  process: 'PID/PROGRAM', container: 'CONTAINER', port: 'PORT', peer: 'PEER', network: 'PEER NETWORK', connection: 'LOCAL PEER [STATE] [PID/PROGRAM]',
};

// In display order; `keep` is the priority when the terminal is narrow (lowest dropped first).
const COLUMNS: Array<Column & { keep: number }> = [
  { title: 'CONNS', width: 6, keep: 4, cell: (f) => String(f.connections) },
  { title: 'TX/s', width: 10, keep: 7, cell: (f) => humanRate(f.txBps) },
  { title: 'RX/s', width: 10, keep: 6, cell: (f) => humanRate(f.rxBps) },
  { title: 'RETRANS/s', width: 10, keep: 5, cell: (f) => humanRate(f.retransBps) },
  { title: 'RTT(ms)', width: 8, keep: 3, cell: (f) => ms(f.rttP50Us) },
  { title: 'CLOSE_WAIT', width: 10, keep: 2, cell: (f) => String(f.closeWait) },
  { title: 'ACCEPTQ', width: 7, keep: 1, cell: (f) => String(f.acceptQueue) },
];
const MIN_KEY = 12;

/** The table's lines: a header line, then one per row; `width` null: as wide as the rows need. */
export function tableLines(rows: readonly Row[], by: GroupBy, width: number | null): string[] {
  let cols = COLUMNS;
  let keyWidth: number;
  const need = (cs: readonly Column[]) => cs.reduce((n, c) => n + c.width + 1, 0);
  const longest = Math.min(64, Math.max(KEY_TITLE[by].length, ...rows.map((r) => r.label.length)));
  if (width === null) keyWidth = longest;
  else {
    // Drop the least important columns until the key has room; then it takes what is left.
    while (cols.length > 0 && width - need(cols) < MIN_KEY) {
      const least = cols.reduce((a, b) => (b.keep < a.keep ? b : a));
      cols = cols.filter((c) => c !== least);
    }
    keyWidth = Math.max(1, Math.min(longest, width - need(cols)));
  }
  const line = (key: string, cells: string[]) => {
    const text = key.length > keyWidth ? key.slice(0, keyWidth) : key.padEnd(keyWidth);
    const out = text + cells.map((c, k) => ` ${c.padStart(cols[k]!.width)}`).join('');
    return width === null ? out.trimEnd() : out.slice(0, width).trimEnd();
  };
  return [line(KEY_TITLE[by], cols.map((c) => c.title)), ...rows.map((r) => line(r.label, cols.map((c) => c.cell(r.flow))))];
}

/** The header: time, totals by state, rates, UDP, and the view's grouping and sort. */
export function headerLines(t: ThroughputTick, v: ViewState, interval: number, keys: boolean): string[] {
  const head = [`netsnap top  tick ${t.tick}  ${new Date(t.time).toISOString().slice(11, 19)}  every ${interval}s`];
  if (t.tick === 0) head.push('(first tick: the baseline, rates from the next one)');
  if (t.skippedSlots > 0) head.push(`skipped slots ${t.skippedSlots}`);
  const lost = t.events.overflows + t.events.lost + t.events.dropped;
  if (lost > 0) head.push(`lost destroy events ${lost}`);
  const states = Object.entries(t.totals.states).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([s, n]) => `${s} ${n}`).join(', ');
  const tot = t.totals;
  return [
    head.join('  '),
    `TCP ${tot.connections} connections${states ? `: ${states}` : ''}`,
    `out ${humanRate(tot.txBps)}  in ${humanRate(tot.rxBps)}  retrans ${humanRate(tot.retransBps)}  new ${perSec(tot.openedPerSec)}  closed ${perSec(tot.closedPerSec)}  accept queue ${tot.acceptQueue}`,
    `UDP ${t.udp.sockets} sockets, rx queue ${humanBytes(t.udp.rxQueue)}, tx queue ${humanBytes(t.udp.txQueue)}, drops ${t.udp.drops} (the kernel keeps no byte counts for UDP)`,
    `by ${v.by}  sort: ${SORT_TITLE[v.sort]}${keys ? '  keys: g group  s sort  q quit' : ''}`,
  ];
}

/** A whole screen (or, with `size` null, a whole plain-text block): lines only, no escapes. */
export function screenLines(t: ThroughputTick, v: ViewState, interval: number, size: { columns: number; rows: number } | null, keys: boolean,
  show: ShowLabel = printable): string[] {
  const { rows, notes } = tableRows(t, v, show);
  const width = size === null ? null : size.columns;
  const cut = (s: string) => (width === null ? s : s.slice(0, width));
  const lines = [...headerLines(t, v, interval, keys).map((l) => cut(printable(l))), ...notes.map(cut), ''];
  const table = tableLines(rows, v.by, width);
  if (size === null) return [...lines, ...table];
  const room = size.rows - lines.length;
  if (room <= 0) return lines.slice(0, Math.max(1, size.rows));
  if (table.length <= room) return [...lines, ...table];
  const shown = Math.max(1, room - 1);
  return [...lines, ...table.slice(0, shown), cut(`... ${table.length - shown} more rows`)].slice(0, size.rows);
}

const round3 = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

/**
 * The counters of a row, named one by one: the line is a contract (schema/top-v1.schema.json), so a
 * field the service adds later does not appear in it unannounced.
 */
function flowJson(f: Flow): Record<string, Json> {
  return {
    connections: f.connections, txBytes: f.txBytes, rxBytes: f.rxBytes, retransBytes: f.retransBytes,
    txBps: round3(f.txBps), rxBps: round3(f.rxBps), retransBps: round3(f.retransBps),
    closeWait: f.closeWait, acceptQueue: f.acceptQueue, rttP50Us: f.rttP50Us, closed: f.closed,
  };
}

/** The NDJSON object of one tick (schema/top-v1.schema.json); lists sorted by the sort column. */
export function tickJson(t: ThroughputTick, v: ViewState): Json {
  const sorted = <F extends Flow>(list: readonly F[], label: (f: F) => string, fields: (f: F) => Record<string, Json>): Json[] =>
    sortRows(list.map((f) => ({ label: label(f), flow: f })), v.sort).map((r) => ({ ...fields(r.flow), ...flowJson(r.flow) }));
  const tot = t.totals;
  const out: Record<string, Json> = {
    schema: 'netsnap/v1',
    kind: 'tick',
    tick: t.tick,
    time: new Date(t.time).toISOString(),
    intervalMs: t.intervalMs,
    skippedSlots: t.skippedSlots,
    totals: { ...flowJson(tot), states: { ...tot.states }, opened: tot.opened, openedPerSec: round3(tot.openedPerSec), closedPerSec: round3(tot.closedPerSec) },
    processes: sorted(t.processes, (p) => String(p.pid).padStart(10), (p) => ({ pid: p.pid, program: p.program, container: p.container })),
    ports: sorted(t.ports, (p) => String(p.port).padStart(5), (p) => ({ proto: p.proto, port: p.port })),
    peers: sorted(t.peers, (p) => p.address, (p) => ({ address: p.address })),
    networks: sorted(t.networks, (n) => n.network, (n) => ({ network: n.network })),
    containers: sorted(t.containers, (c) => c.id, (c) => ({ id: c.id, cgroup: c.cgroup })),
    unattributed: flowJson(t.unattributed),
    udp: { sockets: t.udp.sockets, rxQueue: t.udp.rxQueue, txQueue: t.udp.txQueue, drops: t.udp.drops },
    events: { received: t.events.received, overflows: t.events.overflows, lost: t.events.lost, dropped: t.events.dropped },
  };
  if (v.by === 'connection') {
    out.connections = sorted(t.connections, (c) => c.cookie.padStart(20), (c) => ({
      cookie: c.cookie, family: c.family, local: { ...c.local }, remote: { ...c.remote }, state: c.state, pid: c.pid, program: c.program,
    }));
  }
  return out;
}

const ALT_ON = '\x1b[?1049h';
const ALT_OFF = '\x1b[?1049l';
const CURSOR_HIDE = '\x1b[?25l';
const CURSOR_SHOW = '\x1b[?25h';

interface Run {
  interval: number;
  count: number;
  ndjson: boolean;
  view: ViewState;
  procRoot: string;
  filter: string | null;
}

export async function runTop(argv: string[], io: Output): Promise<number> {
  const say = (text: string) => io.err(utf8(text));
  let run: Run;
  let nsPath: string | null = null;
  try {
    const { options, positionals, rest } = parseSubArgs('top', argv, SPEC);
    if (options.has('help')) {
      io.out(TOP_USAGE);
      return 0;
    }
    if (options.has('literal')) io = io.literal?.() ?? io;
    if (positionals.length > 0 || rest.length > 0) throw usageError(`netsnap top: unexpected argument '${[...positionals, ...rest][0]}'`);
    const by = (options.get('by') ?? 'process') as GroupBy;
    if (!GROUP_BYS.includes(by)) throw usageError(`netsnap top: invalid --by '${by}' (use ${GROUP_BYS.join(', ')})`);
    const sort = (options.get('sort') ?? 'bytes') as SortKey;
    if (!SORT_KEYS.includes(sort)) throw usageError(`netsnap top: invalid --sort '${sort}' (use ${SORT_KEYS.join(', ')})`);
    run = {
      interval: options.has('interval') ? durationOption('top', 'interval', options.get('interval')!) : 1,
      count: options.has('count') ? countOption('top', 'count', options.get('count')!, 1, 1_000_000_000) : 0,
      ndjson: options.has('ndjson'),
      view: { by, sort, owners: !options.has('no-owners'), containers: options.has('containers') || by === 'container' },
      procRoot: options.get('proc-root') || '/proc',
      filter: filterOption('top', options),
    };
    nsPath = namespaceOption('top', options);
  } catch (err) {
    if (err instanceof SubcommandError) {
      say(`${err.message}\n`);
      return err.exitStatus;
    }
    if (!isNetsnapError(err, 'ERR_USAGE')) throw err;
    say(`${err.message}\n${TOP_USAGE}`);
    return 2;
  }

  // Another namespace: the whole command runs inside it (its connections and destroy events).
  if (nsPath !== null) return runInNamespace('top', argv, nsPath, say);

  // Before the screen is taken: a refusal (the TypeScript backend, a filter closed connections
  // cannot be judged by) is a message and an exit status, never an empty view.
  const tp = createThroughput({
    interval: run.interval, owners: run.view.owners, containers: run.view.containers, procRoot: run.procRoot,
    ...(run.filter === null ? {} : { filter: run.filter }),
  });
  const screen = !run.ndjson && process.stdout.isTTY === true;
  const show: ShowLabel = io.escapeOut === true ? terminalSafeText : printable;
  return screen ? runScreen(tp, run, io, show) : runLines(tp, run, io, show);
}

/**
 * Ticks on the throughput's grid until `count`, or until stop() (which closes `tp`: a wait for the
 * next slot ends at once). Each tick's sample is taken on its slot while the tick before is
 * accounted and drawn (the sampler's pipelined iterator).
 */
async function loop(tp: Throughput, run: Run, stopped: () => boolean, each: (t: ThroughputTick) => void): Promise<void> {
  let n = 0;
  for await (const t of tp) {
    if (stopped()) break;
    each(t);
    if (run.count > 0 && ++n >= run.count) break;
  }
}

function onSignals(stop: () => void): () => void {
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, stop);
  return () => {
    for (const s of signals) process.off(s, stop);
  };
}

/** A pipe, a file or --ndjson: every tick appended. */
async function runLines(tp: Throughput, run: Run, io: Output, show: ShowLabel): Promise<number> {
  let stopped = false;
  const stop = () => {
    stopped = true;
    tp.close();
  };
  const off = onSignals(stop);
  try {
    await loop(tp, run, () => stopped, (t) => {
      if (run.ndjson) io.out(`${stringifyJson(tickJson(t, run.view))}\n`);
      else io.out(utf8(`${screenLines(t, run.view, run.interval, null, false, show).join('\n')}\n\n`));
    });
  } finally {
    off();
    tp.close();
  }
  return 0;
}

/** The full-screen view: alternate screen, redrawn every tick, on a key and on a resize. */
async function runScreen(tp: Throughput, run: Run, io: Output, show: ShowLabel): Promise<number> {
  const view = { ...run.view };
  const stdin = process.stdin;
  const keys = stdin.isTTY === true;
  let last: ThroughputTick | null = null;
  let stopped = false;
  let restored = false;

  const draw = () => {
    if (restored) return;
    const size = { columns: Math.max(1, process.stdout.columns || 80), rows: Math.max(1, process.stdout.rows || 24) };
    const lines = last === null
      ? [`netsnap top: taking the first sample (by ${view.by}  sort: ${SORT_TITLE[view.sort]})`.slice(0, size.columns)]
      : screenLines(last, view, run.interval, size, keys, show);
    // Home, each line cleared to its end, the rest of the screen cleared: no flicker, no scrolling
    // (no newline after the last line).
    io.out(utf8(`\x1b[H${lines.map((l) => `${l}\x1b[K`).join('\r\n')}\x1b[J`));
  };
  const restore = () => {
    if (restored) return;
    restored = true;
    if (keys) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
    process.stdout.off('resize', draw);
    io.out(`${ALT_OFF}${CURSOR_SHOW}`);
  };
  const stop = () => {
    stopped = true;
    tp.close();
    restore();
  };
  function onKey(data: Buffer): void {
    for (const b of data) {
      const k = String.fromCharCode(b);
      if (k === 'q' || k === 'Q' || b === 3) return stop();
      if (k === 'g') view.by = GROUP_BYS[(GROUP_BYS.indexOf(view.by) + 1) % GROUP_BYS.length]!;
      else if (k === 'G') view.by = GROUP_BYS[(GROUP_BYS.indexOf(view.by) + GROUP_BYS.length - 1) % GROUP_BYS.length]!;
      else if (k === 's') view.sort = SORT_KEYS[(SORT_KEYS.indexOf(view.sort) + 1) % SORT_KEYS.length]!;
      else if (k === 'S') view.sort = SORT_KEYS[(SORT_KEYS.indexOf(view.sort) + SORT_KEYS.length - 1) % SORT_KEYS.length]!;
      else continue;
      draw();
    }
  }

  const off = onSignals(stop);
  io.out(`${ALT_ON}${CURSOR_HIDE}\x1b[H\x1b[2J`);
  if (keys) {
    stdin.setRawMode(true);
    stdin.on('data', onKey);
    stdin.resume();
  }
  process.stdout.on('resize', draw);
  try {
    draw();
    await loop(tp, run, () => stopped, (t) => {
      last = t;
      draw();
    });
  } finally {
    off();
    tp.close();
    restore();
  }
  return 0;
}
