// `netsnap events`: one line per TCP connection that closes, with its owner and final byte counts
// (src/services/closes.ts) — a table on a terminal or a pipe, or NDJSON.
import { watchCloses, type CloseEvent } from '../services/closes';
import { isNetsnapError, usageError } from '../model/errors';
import { stringifyJson, type Json } from '../format/json';
import { shownText, utf8, type Output } from './output';
import { countOption, durationOption, filterOption, namespaceOption, parseSubArgs, runInNamespace, SubcommandError } from './subargs';
import { subcommandSpec } from './options';

export const EVENTS_USAGE = `usage: netsnap events [--ndjson] [--duration TIME] [--count N] [--interval TIME] [--listeners]
                      [--no-owners] [--proc-root DIR] [--filter EXPR | --filter-file FILE] [--netns NAME | --pid PID] [--literal]

Every TCP connection that closes, as the kernel announces it (sock_diag destroy events: no packet
capture, no privilege), with its owner and its final tcp_info: bytes, retransmits, RTT. Native backend.

  --ndjson              one JSON object per close (kind "close"), then a last line (kind "end") with counts
  --duration TIME       stop after TIME (e.g. 30s); default: until interrupted
  --count N             stop after N closes
  --interval TIME       how often the live connections are sampled to learn their owners (default 1s);
                        a connection born and gone in between goes to the owner of its listener
  --listeners           report listening sockets' closes too
  --no-owners           do not map connections to processes
  --proc-root DIR       read /proc from DIR (default /proc)
  --filter EXPR         only closes ss's filter EXPR keeps (addresses, ports, pid, comm, rtt, retrans, …)
  --filter-file FILE    the filter from FILE (lines joined; # starts a comment)
  --netns NAME|PATH     the closes of another network namespace (/run/netns/NAME, or an nsfs path);
                        netsnap runs inside it (nsenter: root)
  --pid PID             the closes of process PID's network namespace, likewise
  --literal             on a terminal, program names as they are (default: control characters as \\xNN,
                        a backslash as \\\\; piped: always as they are)
  -h, --help            print this help
`;

// The options come from the one table (options.ts), as do its completions.
const SPEC = subcommandSpec('events');

function endpoint(e: { address: string; port: number }, family: number): string {
  return family === 6 ? `[${e.address}]:${e.port}` : `${e.address}:${e.port}`;
}

const n = (v: number | null): string => (v === null ? '-' : String(v));

export const EVENTS_HEADER = `${'Time'.padEnd(12)} ${'PID/Program'.padEnd(22)} ${'Local Address'.padEnd(28)} ${'Foreign Address'.padEnd(28)} ${'Sent'.padStart(11)} ${'Received'.padStart(11)} ${'Retrans'.padStart(7)} ${'RTT(ms)'.padStart(8)} ${'Life(ms)'.padStart(9)}  Owner\n`;

/** One table line: sent is what the peer acknowledged (bytes_acked), as tcplife counts it. */
export function eventLine(e: CloseEvent, show: (s: string) => string = (s) => s): string {
  const time = new Date(e.time).toISOString().slice(11, 23);
  const who = e.owner ? `${e.owner.pid}/${show(e.owner.program)}` : '-';
  const rtt = e.rttUs === null ? '-' : (e.rttUs / 1000).toFixed(3);
  return `${time.padEnd(12)} ${who.slice(0, 22).padEnd(22)} ${endpoint(e.local, e.family).padEnd(28)} ${endpoint(e.remote, e.family).padEnd(28)} ${n(e.bytesAcked).padStart(11)} ${n(e.bytesReceived).padStart(11)} ${n(e.totalRetrans).padStart(7)} ${rtt.padStart(8)} ${n(e.lifetimeMs).padStart(9)}  ${e.ownerFrom}\n`;
}

/** The NDJSON object of one close. */
export function eventJson(e: CloseEvent): Json {
  return { schema: 'netsnap/v1', kind: 'close', ...e, time: new Date(e.time).toISOString() } as unknown as Json;
}

export async function runEvents(argv: string[], io: Output): Promise<number> {
  const say = (text: string) => io.err(utf8(text));
  let ndjson = false;
  let duration: number | null = null;
  let count = 0;
  let interval = 1;
  let listeners = false;
  let owners = true;
  let procRoot = '/proc';
  let filter: string | null = null;
  let nsPath: string | null = null;
  try {
    const { options, positionals, rest } = parseSubArgs('events', argv, SPEC);
    if (options.has('help')) {
      io.out(EVENTS_USAGE);
      return 0;
    }
    if (options.has('literal')) io = io.literal?.() ?? io;
    if (positionals.length > 0 || rest.length > 0) throw usageError(`netsnap events: unexpected argument '${[...positionals, ...rest][0]}'`);
    ndjson = options.has('ndjson');
    if (options.has('duration')) duration = durationOption('events', 'duration', options.get('duration')!);
    if (options.has('count')) count = countOption('events', 'count', options.get('count')!, 1, 1_000_000_000);
    if (options.has('interval')) interval = durationOption('events', 'interval', options.get('interval')!);
    listeners = options.has('listeners');
    owners = !options.has('no-owners');
    procRoot = options.get('proc-root') || '/proc';
    filter = filterOption('events', options);
    nsPath = namespaceOption('events', options);
  } catch (err) {
    if (err instanceof SubcommandError) {
      say(`${err.message}\n`);
      return err.exitStatus;
    }
    if (!isNetsnapError(err, 'ERR_USAGE')) throw err;
    say(`${err.message}\n${EVENTS_USAGE}`);
    return 2;
  }

  // Another namespace: the whole command runs inside it (its destroy events and its sockets).
  if (nsPath !== null) return runInNamespace('events', argv, nsPath, say);

  const show = shownText(io);
  const closes = watchCloses({ interval, listeners, owners, procRoot, ...(filter === null ? {} : { filter }) });
  const stop = () => closes.close();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const timer = duration === null ? null : setTimeout(stop, duration * 1000);
  let printed = 0;
  let overflows = 0;
  let deniedSaid = false;
  try {
    if (!ndjson) io.out(EVENTS_HEADER);
    for await (const batch of closes) {
      const lost = closes.stats.overflows + closes.stats.lost + closes.stats.dropped;
      if (lost > overflows) {
        say(`netsnap events: closes were lost (socket buffer overflows ${closes.stats.overflows}, dropped by the kernel ${closes.stats.lost}, over the cap ${closes.stats.dropped}): some are missing\n`);
        overflows = lost;
      }
      if (!deniedSaid && closes.stats.processesDenied > 0) {
        say(`netsnap events: ${closes.stats.processesDenied} process(es) could not be read (not root): closes of their connections come without an owner (unattributed)\n`);
        deniedSaid = true;
      }
      if (closes.stats.error !== null) {
        say(`netsnap events: the destroy-event reader stopped: ${closes.stats.error}\n`);
        closes.close();
      }
      for (const e of batch) {
        io.out(utf8(ndjson ? `${stringifyJson(eventJson(e))}\n` : eventLine(e, show)));
        if (count > 0 && ++printed >= count) {
          closes.close();
          break;
        }
      }
    }
  } finally {
    if (timer) clearTimeout(timer);
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
  if (ndjson) {
    const s = closes.stats;
    io.out(`${stringifyJson({ schema: 'netsnap/v1', kind: 'end', received: s.received, overflows: s.overflows, lost: s.lost, dropped: s.dropped, duplicates: s.duplicates, error: s.error, processesDenied: s.processesDenied } as Json)}\n`);
  }
  return 0;
}
