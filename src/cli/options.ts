// The one table of netsnap's command-line options: netstat's flags, netsnap's own long options and
// every subcommand's. The parsers take their option sets from it (args.ts, subargs.ts), `netsnap
// completion` generates its scripts from it (completion.ts), and test/unit/cli-options.test.ts holds
// it equal to what each `--help` prints, so that none of them can drift from the others.
// Loaded by every run of the CLI: it imports nothing.

/** The commands: netstat's mode (`netsnap`) and the subcommands. */
export type Command = 'netsnap' | 'serve' | 'record' | 'report' | 'events' | 'top' | 'completion';

export const SUBCOMMANDS: readonly Exclude<Command, 'netsnap'>[] = ['serve', 'record', 'report', 'events', 'top', 'completion'];

/** What an option's value is, for completion: a file, a directory, a namespace name, one of `values`... */
export type ValueKind = 'file' | 'dir' | 'number' | 'duration' | 'netns' | 'pid' | 'enum' | 'list' | 'address' | 'text';

export interface OptionValue {
  /** The placeholder of the help text (FILE, TIME, N). */
  name: string;
  kind: ValueKind;
  /** The values an `enum` (one of them) or a `list` (comma-separated) takes. */
  values?: readonly string[];
  /** The value may be left out (`-c [SECS]`, `--watch [SECS]`): it is taken only when the next word is a duration. */
  optional?: boolean;
}

export interface CliOption {
  command: Command;
  /** The long name without `--`. */
  long?: string;
  /** The one-letter name without `-`. */
  short?: string;
  /** The parser's key when it is neither the short nor the long name (netstat's internal letters). */
  key?: string;
  value?: OptionValue;
  /** One line: what the option does (completion descriptions). */
  help: string;
  /** Never matched by an abbreviation (`--filter-file`: ss's -F, netstat's -F is --fib). */
  exactOnly?: boolean;
  /** Why `--help` does not name it (the man page does). */
  notInHelp?: string;
}

const DIR: OptionValue = { name: 'DIR', kind: 'dir' };
const FILE: OptionValue = { name: 'FILE', kind: 'file' };
const TIME: OptionValue = { name: 'TIME', kind: 'duration' };
const N: OptionValue = { name: 'N', kind: 'number' };
const SOURCE: OptionValue = { name: 'proc|netlink|auto', kind: 'enum', values: ['proc', 'netlink', 'auto'] };
const EXPR: OptionValue = { name: 'EXPR', kind: 'text' };
/** --literal: netstat's --raw is -w, hence another name. */
const LITERAL = 'on a terminal, print the control characters of paths and names as they are (default: \\xNN)';

/** The top GROUP values (services/flow_accounting.ts GROUP_BYS) and COLUMN values (top.ts SORT_KEYS). */
export const TOP_GROUPS: readonly string[] = ['process', 'container', 'port', 'peer', 'network', 'connection'];
export const TOP_SORTS: readonly string[] = ['bytes', 'tx', 'rx', 'retrans', 'conns', 'rtt', 'close-wait', 'accept-q'];

const netstat = (short: string | undefined, long: string | undefined, help: string, extra: Partial<CliOption> = {}): CliOption => ({
  command: 'netsnap', ...(short === undefined ? {} : { short }), ...(long === undefined ? {} : { long }), help, ...extra,
});

const sub = (command: Command, long: string, help: string, extra: Partial<CliOption> = {}): CliOption => ({ command, long, help, ...extra });

/** The options the subcommands share, for `command`. */
const common = {
  help: (command: Command): CliOption => sub(command, 'help', 'print this help', { short: 'h' }),
  procRoot: (command: Command): CliOption => sub(command, 'proc-root', 'read /proc from DIR (default /proc)', { value: DIR }),
  source: (command: Command): CliOption => sub(command, 'source', 'where inet sockets are read from (default auto)', { value: SOURCE }),
  noOwners: (command: Command): CliOption => sub(command, 'no-owners', 'do not map sockets to processes'),
  // Never abbreviated: --li stays events' --listeners, as it stays netstat's --listening.
  literal: (command: Command): CliOption => sub(command, 'literal', LITERAL, { exactOnly: true }),
  filter: (command: Command): CliOption[] => [
    sub(command, 'filter', "only the sockets ss's filter EXPR keeps", { value: EXPR }),
    sub(command, 'filter-file', 'the filter from FILE (lines joined; # starts a comment)', { value: FILE }),
  ],
  namespace: (command: Command): CliOption[] => [
    sub(command, 'netns', 'another network namespace (/run/netns/NAME, or an nsfs path): runs inside it', { value: { name: 'NAME|PATH', kind: 'netns' } }),
    sub(command, 'pid', "process PID's network namespace, likewise", { value: { name: 'PID', kind: 'pid' } }),
  ],
};

export const OPTIONS: readonly CliOption[] = [
  // netstat's modes
  netstat('r', 'route', 'display routing table'),
  netstat('i', 'interfaces', 'display interface table'),
  netstat('g', 'groups', 'display multicast group memberships'),
  netstat('s', 'statistics', 'display networking statistics (like SNMP)'),
  netstat('M', 'masquerade', 'display masqueraded connections'),
  // netstat's listing
  netstat('v', 'verbose', 'be verbose'),
  netstat('W', 'wide', "don't truncate IP addresses"),
  netstat('n', 'numeric', "don't resolve names"),
  netstat(undefined, 'numeric-hosts', "don't resolve host names", { key: '!' }),
  netstat(undefined, 'numeric-ports', "don't resolve port names", { key: '@' }),
  netstat(undefined, 'numeric-users', "don't resolve user names", { key: '#' }),
  netstat('N', 'symbolic', 'resolve hardware names'),
  netstat('e', 'extend', 'display other/more information'),
  netstat('p', 'programs', 'display PID/Program name for sockets'),
  netstat('o', 'timers', 'display timers'),
  netstat('c', 'continuous', 'continuous listing, every SECS (default 1)', { value: { name: 'SECS', kind: 'duration', optional: true } }),
  netstat('l', 'listening', 'display listening server sockets'),
  netstat('a', 'all', 'display all sockets (default: connected)'),
  netstat('F', 'fib', 'display Forwarding Information Base (default)'),
  netstat('C', 'cache', 'display routing cache instead of FIB'),
  netstat('Z', 'context', 'display SELinux security context for sockets'),
  netstat('t', 'tcp', 'TCP sockets'),
  netstat('u', 'udp', 'UDP sockets'),
  netstat('U', 'udplite', 'UDP-Lite sockets'),
  netstat('S', 'sctp', 'SCTP sockets'),
  netstat('w', 'raw', 'raw sockets'),
  netstat('x', 'unix', 'UNIX domain sockets'),
  netstat('A', 'protocol', 'address families, comma-separated', {
    value: { name: 'AF', kind: 'list', values: ['inet', 'inet6', 'unix'] }, notInHelp: "the help names it '-A <af>' only",
  }),
  netstat('4', 'inet', 'IPv4 only', { notInHelp: "the help names the address families' long options '--<af>'" }),
  netstat(undefined, 'ip', 'IPv4 only (as --inet)', { key: '4', notInHelp: "the help names the address families' long options '--<af>'" }),
  netstat('6', 'inet6', 'IPv6 only', { notInHelp: "the help names the address families' long options '--<af>'" }),
  netstat('d', undefined, 'accepted and ignored, as netstat does', { notInHelp: 'netstat accepts it and does nothing with it' }),
  // netsnap's own
  netstat(undefined, 'proc-root', 'read /proc from DIR (default /proc)', { value: DIR }),
  netstat(undefined, 'interval', '-c interval: 250ms, 0.5s, 2 (seconds)', { value: TIME }),
  netstat(undefined, 'count', 'stop -c after N cycles', { value: N }),
  netstat(undefined, 'resolve-timeout', 'time budget for name lookups of one listing (default 300ms)', { value: TIME }),
  netstat(undefined, 'json', 'every field as one JSON document'),
  netstat(undefined, 'ndjson', 'every field as one JSON object per line'),
  netstat('y', 'summary', 'counts by protocol and state, top ports, peers and processes, warnings'),
  netstat(undefined, 'top', 'entries in each top list of --summary (default 10)', { value: N }),
  netstat(undefined, 'watch', 'print the sockets opened, closed and changed between samples', { value: { name: 'SECS', kind: 'duration', optional: true } }),
  netstat(undefined, 'save-baseline', 'record listeners, their owners and usual peers', { value: FILE }),
  netstat(undefined, 'compare', 'report what differs from a saved baseline', { value: FILE }),
  netstat(undefined, 'netns', 'the sockets of network namespace NAME (/run/netns/NAME)', { value: { name: 'NAME', kind: 'netns' } }),
  netstat(undefined, 'pid', 'the sockets of the network namespace of process PID', { value: { name: 'PID', kind: 'pid' } }),
  netstat(undefined, 'all-netns', 'the sockets of every network namespace, labelled'),
  netstat(undefined, 'source', 'read inet sockets from /proc/net or a netlink dump (default auto)', { value: SOURCE }),
  netstat(undefined, 'info', 'tcp_info and congestion control of each TCP connection (ss -i)'),
  netstat(undefined, 'memory', "socket memory under each row (ss -m's skmem)"),
  netstat(undefined, 'cgroup', "each socket's cgroup (ss --cgroup)"),
  netstat(undefined, 'filter-file', 'read the FILTER from FILE (ss -F)', { value: FILE, exactOnly: true }),
  netstat(undefined, 'literal', LITERAL, { exactOnly: true }), // --l and --li stay netstat's --listening
  netstat('V', 'version', 'print the version, and the backend in use and why'),
  netstat('h', 'help', 'print this help'),

  // netsnap serve
  sub('serve', 'listen', 'where to listen (default 127.0.0.1:9917)', { value: { name: 'ADDR:PORT', kind: 'address' } }),
  sub('serve', 'interval', 'sample in the background every TIME', { value: TIME }),
  sub('serve', 'top', 'series kept in each labelled list (default 20)', { value: N }),
  common.noOwners('serve'),
  sub('serve', 'request-timeout', 'a client has this long to send its request (default 10s)', { value: TIME }),
  common.procRoot('serve'),
  common.source('serve'),
  sub('serve', 'cgroup', 'sockets per container, from the owners\' cgroups'),
  sub('serve', 'info', 'tcp_info gauges per service port'),
  ...common.filter('serve'),
  sub('serve', 'baseline', 'export what differs from a baseline saved by --save-baseline FILE', { value: FILE }),
  sub('serve', 'web-config', "TLS, basic auth and headers from exporter-toolkit's web config FILE", { value: FILE }),
  sub('serve', 'web.config.file', 'the same as --web-config (exporter-toolkit\'s name)', { value: FILE }),
  common.help('serve'),

  // netsnap record
  sub('record', 'out', 'the file to write (replaced); - for stdout', { short: 'o', value: FILE }),
  sub('record', 'interval', 'time between samples (default 250ms)', { value: TIME }),
  sub('record', 'duration', 'stop after TIME', { value: TIME }),
  sub('record', 'top', 'entries in each per-listener, per-port and per-process list (default 10)', { value: N }),
  common.noOwners('record'),
  common.procRoot('record'),
  common.source('record'),
  sub('record', 'info', 'tcp_info RTT percentiles and retransmitting connections per sample'),
  ...common.filter('record'),
  common.help('record'),

  // netsnap report
  sub('report', 'output', 'where to write the page; - for stdout', { short: 'o', value: { name: 'OUT.html', kind: 'file' } }),
  sub('report', 'title', "the page's heading", { value: { name: 'TEXT', kind: 'text' } }),
  common.help('report'),

  // netsnap events
  sub('events', 'ndjson', 'one JSON object per close, then a last line with counts'),
  sub('events', 'duration', 'stop after TIME', { value: TIME }),
  sub('events', 'count', 'stop after N closes', { value: N }),
  sub('events', 'interval', 'how often the live connections are sampled for their owners (default 1s)', { value: TIME }),
  sub('events', 'listeners', "report listening sockets' closes too"),
  common.noOwners('events'),
  common.procRoot('events'),
  ...common.filter('events'),
  ...common.namespace('events'),
  common.literal('events'),
  common.help('events'),

  // netsnap top
  sub('top', 'interval', 'time between ticks (default 1s)', { value: TIME }),
  sub('top', 'by', 'the grouping (default process)', { value: { name: 'GROUP', kind: 'enum', values: TOP_GROUPS } }),
  sub('top', 'sort', 'the sort column (default bytes)', { value: { name: 'COLUMN', kind: 'enum', values: TOP_SORTS } }),
  sub('top', 'count', 'stop after N ticks', { value: N }),
  sub('top', 'ndjson', 'one JSON object per tick'),
  common.noOwners('top'),
  sub('top', 'containers', "the owners' containers (cgroups)"),
  common.procRoot('top'),
  ...common.filter('top'),
  ...common.namespace('top'),
  common.literal('top'),
  common.help('top'),

  // netsnap completion
  common.help('completion'),
];

/** The shells `netsnap completion` writes a script for. */
export const SHELLS: readonly string[] = ['bash', 'zsh', 'fish'];

export function optionsOf(command: Command): CliOption[] {
  return OPTIONS.filter((o) => o.command === command);
}

/** `--long` or `-s`: how the option is written (its long name when it has one). */
export function optionName(o: CliOption): string {
  return o.long !== undefined ? `--${o.long}` : `-${o.short!}`;
}

/** A subcommand's options as parseSubArgs takes them. */
export function subcommandSpec(command: Exclude<Command, 'netsnap'>): { name: string; short?: string; value: boolean; exact?: boolean }[] {
  return optionsOf(command).map((o) => ({
    name: o.long!, ...(o.short === undefined ? {} : { short: o.short }), value: o.value !== undefined, ...(o.exactOnly ? { exact: true } : {}),
  }));
}
