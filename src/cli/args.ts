// netstat's command line (getopt_long with "A:CFMacdeghilnNoprsStuUvVWwx64?Z"), plus netsnap's own
// long options. Exported so tests can call it without spawning a process.
import * as fs from 'node:fs';
import { CLI_EXIT_STATUS, NetsnapError } from '../model/errors';
import { parseFilter } from '../filter/parse';
import { optionsOf } from './options';

export interface CliOptions {
  tcp: boolean;
  udp: boolean;
  udplite: boolean;
  raw: boolean;
  sctp: boolean;
  unix: boolean;
  inet: boolean;
  inet6: boolean;
  all: boolean;
  listening: boolean;
  extend: number;
  programs: boolean;
  timers: boolean;
  wide: boolean;
  numericHosts: boolean;
  numericPorts: boolean;
  numericUsers: boolean;
  symbolic: boolean;
  verbose: boolean;
  continuous: boolean;
  route: number;
  interfaces: number;
  statistics: number;
  masquerade: number;
  groups: boolean;
  context: boolean;
  cache: boolean;
  fib: boolean;
  procRoot: string;
  /** Address families in command-line order, repeats kept (netstat's afname: -4, -6, -x, -A). */
  families: string[];
  /** Seconds between cycles of -c (netstat: always 1). */
  interval: number;
  /** Stop -c after this many cycles (0: run until killed). */
  count: number;
  /** Budget for name resolution of one listing, in seconds. */
  resolveTimeout: number;
  /** Output format: netstat's text, one JSON document, or one JSON object per line. */
  format: 'text' | 'json' | 'ndjson';
  /** --summary (-y): counts by protocol and state, top-N by port, peer and process, warnings. */
  summary: boolean;
  /** How many entries each top-N list of the summary shows. */
  top: number;
  /** --watch: print what changed between samples (every `interval` seconds). */
  watch: boolean;
  /** --save-baseline FILE */
  saveBaseline: string | null;
  /** --compare FILE */
  compare: string | null;
  /** --netns NAME (a name under /run/netns) */
  netns: string | null;
  /** --pid PID: that process's network namespace */
  pid: number | null;
  /** --all-netns: every network namespace, labelled */
  allNetns: boolean;
  /** Directory of the socket tables when not `${procRoot}/net` (set by --pid/--netns: /proc/PID/net). */
  netDir: string | null;
  /**
   * Set by --pid/--netns when the namespace is read through a process in it: run between the cycles
   * of -c and the ticks of --watch. Returns null while that process is still in the namespace, the
   * pid it moved the reading to when another process is (netDir or procRoot re-pointed), and throws
   * ERR_NAMESPACE_GONE when none is left.
   */
  namespaceCheck: (() => number | null) | null;
  /** --source: where inet sockets are read from (auto: netlink with the native backend, own namespace). */
  source: 'auto' | 'proc' | 'netlink';
  /** --info: tcp_info and congestion control of TCP sockets (ss -i), from netlink. */
  info: boolean;
  /** --memory: socket memory (ss -m), from netlink. */
  memory: boolean;
  /** --cgroup: each socket's cgroup v2 path (ss --cgroup), from netlink. */
  cgroup: boolean;
  /**
   * ss's filter expression: the words that are not options or options' values, joined by spaces (or
   * --filter-file's text); checked by parseArgs, null when there is none.
   */
  filter: string | null;
  /** --literal: on a terminal too, the bytes of paths and names as they are (default: control characters escaped). */
  literal: boolean;
}

export type ParseResult =
  | { kind: 'run'; options: CliOptions }
  | { kind: 'help' }
  | { kind: 'version' }
  | { kind: 'error'; message: string; exitCode: number; usage: boolean };

// Every option comes from the one table (options.ts): netstat's letters plus -y (--summary), a
// letter netstat does not use.
const NETSTAT_OPTIONS = optionsOf('netsnap');
const SHORT_WITH_ARG = new Set(NETSTAT_OPTIONS.filter((o) => o.short !== undefined && o.value !== undefined && !o.value.optional).map((o) => o.short!));
const SHORT = new Set(NETSTAT_OPTIONS.flatMap((o) => (o.short === undefined ? [] : [o.short])));

/** Long options: name -> [short-equivalent or internal key, takes an argument]. */
const LONG: ReadonlyArray<[string, string, boolean]> = NETSTAT_OPTIONS.flatMap((o) =>
  o.long === undefined ? [] : [[o.long, o.key ?? o.short ?? o.long, o.value !== undefined && o.value.optional !== true] as [string, string, boolean]]);

/** Long options never matched by an abbreviation. */
const EXACT_ONLY = new Set(NETSTAT_OPTIONS.flatMap((o) => (o.exactOnly && o.long !== undefined ? [o.long] : [])));

/** The long options `name` may mean: the exact one, or those it abbreviates. */
function longMatches(name: string): ReadonlyArray<readonly [string, string, boolean]> {
  const exact = LONG.find(([n]) => n === name);
  if (exact) return [exact];
  return LONG.filter(([n]) => n.startsWith(name) && !EXACT_ONLY.has(n));
}

/** The long option a (possibly abbreviated) name means, as parseArgs resolves it; null if unknown or ambiguous. */
function longOption(name: string): readonly [string, string, boolean] | null {
  const matches = longMatches(name);
  return matches.length > 0 && new Set(matches.map(([, k]) => k)).size === 1 ? matches[0]! : null;
}

const NAMESPACE_KEYS = new Set(['netns', 'pid', 'all-netns']);

/**
 * argv without --netns NAME, --pid PID and --all-netns (abbreviations and `=` forms included): the
 * command line netsnap runs again inside a namespace.
 */
export function withoutNamespaceOptions(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const opt = longOption(a.slice(2, eq < 0 ? undefined : eq));
      const takesArg = opt !== null && opt[2] && eq < 0 && i + 1 < argv.length;
      if (opt !== null && NAMESPACE_KEYS.has(opt[1])) {
        if (takesArg) i++;
        continue;
      }
      out.push(a);
      if (takesArg) out.push(argv[++i]!);
      continue;
    }
    out.push(a);
    // -A takes the next word when nothing follows it in the same word (`-A inet`, `-nA inet`).
    if (/^-[^-]*A$/.test(a) && i + 1 < argv.length) out.push(argv[++i]!);
  }
  return out;
}

export const USAGE = `usage: netsnap [-vWeenNcCF] [<Af>] -r         netsnap {-V|--version|-h|--help}
       netsnap [-vWnNcaeol] [<Socket> ...] [FILTER]
       netsnap { [-vWeenNac] -i | [-cnNe] -M | -s [-6tuw] }

        -r, --route              display routing table
        -i, --interfaces         display interface table
        -g, --groups             display multicast group memberships
        -s, --statistics         display networking statistics (like SNMP)
        -M, --masquerade         display masqueraded connections

        -v, --verbose            be verbose
        -W, --wide               don't truncate IP addresses
        -n, --numeric            don't resolve names
        --numeric-hosts          don't resolve host names
        --numeric-ports          don't resolve port names
        --numeric-users          don't resolve user names
        -N, --symbolic           resolve hardware names
        -e, --extend             display other/more information
        -p, --programs           display PID/Program name for sockets
        -o, --timers             display timers
        -c, --continuous [SECS]  continuous listing, every SECS (default 1; sub-second allowed: -c 0.25)

        -l, --listening          display listening server sockets
        -a, --all                display all sockets (default: connected)
        -F, --fib                display Forwarding Information Base (default)
        -C, --cache              display routing cache instead of FIB
        -Z, --context            display SELinux security context for sockets

  <Socket>={-t|--tcp} {-u|--udp} {-U|--udplite} {-S|--sctp} {-w|--raw}
           {-x|--unix}
  <AF>=Use '-6|-4' or '-A <af>' or '--<af>'; default: inet
  List of possible address families: inet (IPv4), inet6 (IPv6), unix (UNIX domain)

netsnap options:
        --proc-root DIR          read /proc from DIR (default /proc)
        --interval TIME          -c interval: 250ms, 0.5s, 2 (seconds)
        --count N                stop -c after N cycles
        --resolve-timeout TIME   time budget for name lookups of one listing (default 300ms);
                                 what is not resolved by then prints numerically
        --json, --ndjson         every field as one JSON document, or one JSON object per line
        -y, --summary            counts by protocol and state, top ports, peers and processes, warnings
        --top N                  entries in each top list of --summary (default 10)
        --watch [SECS]           print the sockets opened (+), closed (-) and changed (~) between samples
        --save-baseline FILE     record listeners, their owners and usual peers
        --compare FILE           report what differs from a saved baseline (exit 1 when anything does)
        --netns NAME             the sockets of network namespace NAME (/run/netns/NAME)
        --pid PID                the sockets of the network namespace of process PID
        --all-netns              the sockets of every network namespace, labelled
        --source proc|netlink|auto  read inet sockets from /proc/net or a netlink (sock_diag) dump;
                                 auto (default): netlink where it works, else /proc
        --info                   what the kernel knows of each TCP connection (tcp_info: rtt, cwnd,
                                 retransmits, bytes, limits) and its congestion control, as ss -i
                                 prints it, under each row; every field in --json (native backend)
        --memory                 socket memory under each row (ss -m's skmem)
        --cgroup                 each socket's cgroup (ss --cgroup)
        --filter-file FILE       read the FILTER from FILE (ss -F)
        --literal                on a terminal, print the control characters of paths and names as they
                                 are; by default they show as \\xNN (a backslash as \\\\); piped: always as they are

  FILTER: ss's language, e.g. state established '( dport = :443 or sport = :443 )'
          (state/exclude NAME, src/dst ADDR[/PREFIX][:PORT], sport/dport OP :PORT, and/or/not)
        -V, --version            print the version, and the backend in use (native or js) and why
        -h, --help               print this help

Subcommands:
  netsnap serve [--listen ADDR:PORT] [--interval TIME] [--web-config FILE]   Prometheus exporter, TLS and basic auth (see netsnap serve --help)
  netsnap record --out FILE [--interval TIME] [--duration TIME] [-- CMD ...]   record socket summaries over time
  netsnap report FILE [-o OUT.html]                                  HTML report of a recording
  netsnap events [--ndjson] [--duration TIME] [--filter EXPR]        every TCP close with its owner and bytes
  netsnap top [--by GROUP] [--sort COLUMN] [--ndjson] [--count N]    live TCP throughput per process, port, peer (keys: g s q)
  netsnap completion bash|zsh|fish                                   shell completion script (see netsnap completion --help)

Environment: NETSNAP_BACKEND=js|native forces a backend. NETSNAP_OWNER_SOURCE=auto|bpf|proc: where -p
finds each socket's process when it may load BPF programs (root): the kernel's task_file iterator
for big scans (auto), always (bpf), or never, reading /proc/PID/fd (proc).
`;

export function defaultOptions(): CliOptions {
  return {
    tcp: false, udp: false, udplite: false, raw: false, sctp: false, unix: false, inet: false, inet6: false,
    all: false, listening: false, extend: 0, programs: false, timers: false, wide: false,
    numericHosts: false, numericPorts: false, numericUsers: false, symbolic: false, verbose: false,
    continuous: false, route: 0, interfaces: 0, statistics: 0, masquerade: 0, groups: false, context: false,
    cache: false, fib: false, procRoot: '/proc', families: [], interval: 1, count: 0, resolveTimeout: 0.3,
    format: 'text', summary: false, top: 10, watch: false, saveBaseline: null, compare: null, netns: null, pid: null,
    allNetns: false, netDir: null, namespaceCheck: null, source: 'auto', info: false, memory: false, cgroup: false, filter: null, literal: false,
  };
}

function addressFamilies(o: CliOptions, list: string): string | null {
  for (const af of list.split(',')) {
    switch (af) {
      case 'inet': o.inet = true; o.families.push(af); break;
      case 'inet6': o.inet6 = true; o.families.push(af); break;
      case 'unix': o.unix = true; o.families.push(af); break;
      default: return `Unknown address family \`${af}'.`;
    }
  }
  return null;
}

/** Applies one option; returns an error text, 'help', 'version' or null. */
function apply(o: CliOptions, key: string, arg: string | undefined): string | null {
  switch (key) {
    case 'A': return addressFamilies(o, arg ?? '');
    case 'proc-root': o.procRoot = arg ?? ''; return o.procRoot === '' ? '--proc-root needs a directory' : null;
    case 'M': o.masquerade++; return null;
    case 'a': o.all = true; return null;
    case 'l': o.listening = true; return null;
    case 'c': o.continuous = true; return null;
    case 'interval': {
      const t = parseDuration(arg ?? '');
      if (t === null || t <= 0) return `invalid interval '${arg}' (use e.g. 250ms, 0.5s or 2)`;
      o.continuous = true;
      o.interval = t;
      return null;
    }
    case 'count':
      if (!/^\d{1,9}$/.test(arg ?? '') || Number(arg) < 1) return `invalid count '${arg}'`;
      o.count = Number(arg);
      return null;
    case 'json': o.format = 'json'; return null;
    case 'ndjson': o.format = 'ndjson'; return null;
    case 'y': o.summary = true; return null;
    case 'top':
      if (!/^\d{1,6}$/.test(arg ?? '') || Number(arg) < 1) return `invalid --top '${arg}'`;
      o.top = Number(arg);
      return null;
    case 'watch': o.watch = true; return null;
    case 'save-baseline': o.saveBaseline = arg ?? ''; return o.saveBaseline === '' ? '--save-baseline needs a file' : null;
    case 'compare': o.compare = arg ?? ''; return o.compare === '' ? '--compare needs a file' : null;
    case 'netns':
      if (!arg || arg.includes('/') || arg === '.' || arg === '..') return `invalid network namespace name '${arg ?? ''}'`;
      o.netns = arg;
      return null;
    case 'pid':
      if (!/^[1-9]\d{0,9}$/.test(arg ?? '') || Number(arg) > 0x7fffffff) return `invalid pid '${arg}'`;
      o.pid = Number(arg);
      return null;
    case 'all-netns': o.allNetns = true; return null;
    case 'info': o.info = true; return null;
    case 'memory': o.memory = true; return null;
    case 'cgroup': o.cgroup = true; return null;
    case 'filter-file': return arg ? null : '--filter-file needs a file';
    case 'literal': o.literal = true; return null;
    case 'source':
      if (arg !== 'proc' && arg !== 'netlink' && arg !== 'auto') return `invalid source '${arg ?? ''}' (use proc, netlink or auto)`;
      o.source = arg;
      return null;
    case 'resolve-timeout': {
      const t = parseDuration(arg ?? '');
      if (t === null) return `invalid resolve timeout '${arg}' (use e.g. 300ms or 1s)`;
      o.resolveTimeout = t;
      return null;
    }
    case 'd': return null;
    case 'g': o.groups = true; return null;
    case 'e': o.extend++; return null;
    case 'p': o.programs = true; return null;
    case 'i': o.interfaces++; return null;
    case 'W': o.wide = true; return null;
    case 'n': o.numericHosts = o.numericPorts = o.numericUsers = true; return null;
    case '!': o.numericHosts = true; return null;
    case '@': o.numericPorts = true; return null;
    case '#': o.numericUsers = true; return null;
    case 'N': o.symbolic = true; return null;
    case 'C': o.cache = true; return null;
    case 'F': o.fib = true; return null;
    case 'o': o.timers = true; return null;
    case '6': o.inet6 = true; o.families.push('inet6'); return null;
    case '4': o.inet = true; o.families.push('inet'); return null;
    case 'V': return 'version';
    case 'v': o.verbose = true; return null;
    case 'r': o.route++; return null;
    case 't': o.tcp = true; return null;
    case 'S': o.sctp = true; return null;
    case 'u': o.udp = true; return null;
    case 'U': o.udplite = true; return null;
    case 'w': o.raw = true; return null;
    case 'x': o.unix = true; o.families.push('unix'); return null;
    case 'Z': o.context = true; return null;
    case 'h': return 'help';
    case 's': o.statistics++; return null;
    default: return `internal error: unhandled option ${key}`;
  }
}

/** "250ms", "0.5s", "2" (seconds) -> seconds; null when malformed. */
export function parseDuration(text: string): number | null {
  const m = /^(\d+(?:\.\d*)?|\.\d+)(ms|s)?$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  return m[2] === 'ms' ? v / 1000 : v;
}

/** A filter file's expression: its lines joined by spaces; `#` starts a comment. */
export function filterFileText(text: string): string {
  return text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).join(' ');
}

export function parseArgs(argv: readonly string[]): ParseResult {
  const o = defaultOptions();
  const usageError = (message: string): ParseResult => ({ kind: 'error', message, exitCode: 3, usage: true });
  // What apply() said: nothing (go on), help, version, or an error (netstat exits 1 for an
  // unknown address family and 3, with the usage, for everything else).
  const outcome = (r: string | null): ParseResult | null => {
    if (r === null) return null;
    if (r === 'help') return { kind: 'help' };
    if (r === 'version') return { kind: 'version' };
    if (r.startsWith('Unknown address family')) return { kind: 'error', message: r, exitCode: 1, usage: false };
    return usageError(`netsnap: ${r}`);
  };
  // The filter's words: every word that is not an option or an option's value, wherever it stands
  // (ss permutes its arguments), and everything after `--`.
  const words: string[] = [];
  let filterFile: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const matches = longMatches(name);
      const distinct = new Set(matches.map(([, k]) => k));
      if (matches.length === 0) return usageError(`netsnap: unrecognized option '${a}'`);
      if (distinct.size > 1) return usageError(`netsnap: option '${a}' is ambiguous`);
      const [long, key, takesArg] = matches[0]!;
      let arg: string | undefined;
      if (takesArg) {
        if (eq >= 0) arg = a.slice(eq + 1);
        else if (i + 1 < argv.length) arg = argv[++i];
        else return usageError(`netsnap: option '--${long}' requires an argument`);
      } else if (eq >= 0) {
        return usageError(`netsnap: option '--${long}' doesn't allow an argument`);
      }
      const r = outcome(apply(o, key, arg));
      if (r) return r;
      if (key === 'filter-file') filterFile = arg!;
      if (key === 'watch' && eq < 0 && i + 1 < argv.length) {
        // `--watch 0.5`: an optional interval, as for -c.
        const t = parseDuration(argv[i + 1]!);
        if (t !== null && t > 0) {
          o.interval = t;
          i++;
        }
      }
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === '?') return { kind: 'help' };
        if (!SHORT.has(c)) return usageError(`netsnap: invalid option -- '${c}'`);
        let arg: string | undefined;
        if (SHORT_WITH_ARG.has(c)) {
          if (j + 1 < a.length) arg = a.slice(j + 1);
          else if (i + 1 < argv.length) arg = argv[++i];
          else return usageError(`netsnap: option requires an argument -- '${c}'`);
          j = a.length;
        }
        const r = outcome(apply(o, c, arg));
        if (r) return r;
        if (c === 'c' && j === a.length - 1 && i + 1 < argv.length) {
          // `-c 0.25`: an interval right after -c (netstat would ignore the stray number).
          const t = parseDuration(argv[i + 1]!);
          if (t !== null && t > 0) {
            o.interval = t;
            i++;
          }
        }
      }
      continue;
    }
    words.push(a);
  }
  if (o.interfaces + o.route + o.masquerade + o.statistics > 1) {
    return usageError('netsnap: -r, -i, -s and -M exclude each other');
  }
  if (filterFile !== null && words.length > 0) {
    return usageError(`netsnap: both --filter-file and a filter on the command line ('${words.join(' ')}')`);
  }
  if (filterFile !== null) {
    let text: string;
    try {
      text = fs.readFileSync(filterFile, 'utf8');
    } catch (err) {
      return { kind: 'error', message: `netsnap: cannot read filter file ${filterFile}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, exitCode: 2, usage: false };
    }
    o.filter = filterFileText(text);
  } else if (words.length > 0) {
    o.filter = words.join(' ');
  }
  if (o.filter !== null) {
    try {
      parseFilter(o.filter);
    } catch (err) {
      if (!(err instanceof NetsnapError)) throw err;
      return { kind: 'error', message: `netsnap: ${err.message}`, exitCode: CLI_EXIT_STATUS[err.code], usage: false };
    }
  }
  return { kind: 'run', options: o };
}
