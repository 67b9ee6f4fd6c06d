// netstat -s: the counters of /proc/net/snmp, /proc/net/netstat, /proc/net/snmp6 and
// /proc/net/sctp/snmp (parsed in procnet/) printed as net-tools 2.10 (statistics.c) prints them,
// quirks included: its tables of counter -> sentence, its bsearch() over them, its indent state.
// Nothing here touches the filesystem: data in, text out.
//
// Text is a binary (latin1) string, one char per byte, so string comparison is C's strcmp.
import type { Counter, CounterTable } from '../procnet/snmp';

// ---------------------------------------------------------------------------------------------
// netstat's tables of counter -> sentence

/**
 * How netstat prints a counter it knows:
 * - number: always, `    <text>`;
 * - opt: only when non-zero;
 * - histIn / histOut: an ICMP histogram line, `        <text>` when above zero, under the
 *   histogram's title;
 * - static: never (netstat's print_static is never set).
 * An entry with an empty text is never printed either.
 */
type EntryKind = 'number' | 'opt' | 'histIn' | 'histOut' | 'static';

/** [counter, kind, text with %llu for the value]. */
type MibEntry = readonly [counter: string, kind: EntryKind, text: string];
type MibTable = readonly MibEntry[];

// The tables below are statistics.c's, in its source order, which glibc's bsearch() takes as
// sorted. Some are not sorted (Forwarding > ForwDatagrams in strcmp; TCPSackRecovery, TWKilled …),
// and the search then misses entries that are there: those counters print as unknown ones
// (`Forwarding: 2`). Keep the order exactly as it is.

const IP: MibTable = [
  ['DefaultTTL', 'static', 'Default TTL is %llu'],
  ['Forwarding', 'static', 'Forwarding is %s'],
  ['ForwDatagrams', 'number', '%llu forwarded'],
  ['FragCreates', 'opt', '%llu fragments created'],
  ['FragFails', 'opt', '%llu outgoing packets failed fragmentation'],
  ['FragOKs', 'opt', '%llu outgoing packets fragmented ok'],
  ['InAddrErrors', 'opt', '%llu with invalid addresses'],
  ['InDelivers', 'number', '%llu incoming packets delivered'],
  ['InDiscards', 'number', '%llu incoming packets discarded'],
  ['InHdrErrors', 'opt', '%llu with invalid headers'],
  ['InReceives', 'number', '%llu total packets received'],
  ['InUnknownProtos', 'opt', '%llu with unknown protocol'],
  ['OutDiscards', 'opt', '%llu outgoing packets dropped'],
  ['OutNoRoutes', 'opt', '%llu dropped because of missing route'],
  ['OutRequests', 'number', '%llu requests sent out'],
  ['ReasmFails', 'opt', '%llu packet reassemblies failed'],
  ['ReasmOKs', 'opt', '%llu packets reassembled ok'],
  ['ReasmReqds', 'opt', '%llu reassemblies required'],
  ['ReasmTimeout', 'opt', '%llu fragments dropped after timeout'],
];

const IP6: MibTable = [
  ['Ip6FragCreates', 'opt', '%llu fragments created'],
  ['Ip6FragFails', 'opt', '%llu outgoing packets failed fragmentation'],
  ['Ip6FragOKs', 'opt', '%llu outgoing packets fragmented ok'],
  ['Ip6InAddrErrors', 'opt', '%llu with invalid addresses'],
  ['Ip6InDelivers', 'number', '%llu incoming packets delivered'],
  ['Ip6InDiscards', 'number', '%llu incoming packets discarded'],
  ['Ip6InHdrErrors', 'opt', '%llu with invalid headers'],
  ['Ip6InMcastPkts', 'opt', '%llu incoming multicast packets'],
  ['Ip6InNoRoutes', 'opt', '%llu incoming packets with no route'],
  ['Ip6InReceives', 'number', '%llu total packets received'],
  ['Ip6InTooBigErrors', 'opt', '%llu with packets too big'],
  ['Ip6InTruncatedPkts', 'opt', '%llu with truncated packets'],
  ['Ip6InUnknownProtos', 'opt', '%llu with unknown protocol'],
  ['Ip6OutDiscards', 'opt', '%llu outgoing packets dropped'],
  ['Ip6OutForwDatagrams', 'number', '%llu forwarded'],
  ['Ip6OutMcastPkts', 'opt', '%llu outgoing multicast packets'],
  ['Ip6OutNoRoutes', 'opt', '%llu dropped because of missing route'],
  ['Ip6OutRequests', 'number', '%llu requests sent out'],
  ['Ip6ReasmFails', 'opt', '%llu packet reassemblies failed'],
  ['Ip6ReasmOKs', 'opt', '%llu packets reassembled ok'],
  ['Ip6ReasmReqds', 'opt', '%llu reassemblies required'],
  ['Ip6ReasmTimeout', 'opt', '%llu fragments dropped after timeout'],
];

const ICMP: MibTable = [
  ['InAddrMaskReps', 'histIn', 'address mask replies: %llu'],
  ['InAddrMasks', 'histIn', 'address mask request: %llu'],
  ['InDestUnreachs', 'histIn', 'destination unreachable: %llu'],
  ['InEchoReps', 'histIn', 'echo replies: %llu'],
  ['InEchos', 'histIn', 'echo requests: %llu'],
  ['InErrors', 'number', '%llu input ICMP message failed'],
  ['InMsgs', 'number', '%llu ICMP messages received'],
  ['InParmProbs', 'histIn', 'wrong parameters: %llu'],
  ['InRedirects', 'histIn', 'redirects: %llu'],
  ['InSrcQuenchs', 'histIn', 'source quenches: %llu'],
  ['InTimeExcds', 'histIn', 'timeout in transit: %llu'],
  ['InTimestampReps', 'histIn', 'timestamp reply: %llu'],
  ['InTimestamps', 'histIn', 'timestamp request: %llu'],
  ['OutAddrMaskReps', 'histOut', 'address mask replies: %llu'],
  ['OutAddrMasks', 'histOut', 'address mask requests: %llu'],
  ['OutDestUnreachs', 'histOut', 'destination unreachable: %llu'],
  ['OutEchoReps', 'histOut', 'echo replies: %llu'],
  ['OutEchos', 'histOut', 'echo requests: %llu'],
  ['OutErrors', 'number', '%llu ICMP messages failed'],
  ['OutMsgs', 'number', '%llu ICMP messages sent'],
  ['OutParmProbs', 'histOut', 'wrong parameters: %llu'],
  ['OutRedirects', 'histOut', 'redirect: %llu'],
  ['OutSrcQuenchs', 'histOut', 'source quench: %llu'],
  ['OutTimeExcds', 'histOut', 'time exceeded: %llu'],
  ['OutTimestampReps', 'histOut', 'timestamp replies: %llu'],
  ['OutTimestamps', 'histOut', 'timestamp requests: %llu'],
];

const ICMP6: MibTable = [
  ['Icmp6InDestUnreachs', 'histIn', 'destination unreachable: %llu'],
  ['Icmp6InEchoReplies', 'histIn', 'echo replies: %llu'],
  ['Icmp6InEchos', 'histIn', 'echo requests: %llu'],
  ['Icmp6InErrors', 'number', '%llu input ICMP message failed'],
  ['Icmp6InGroupMembQueries', 'histIn', 'group member queries: %llu'],
  ['Icmp6InGroupMembReductions', 'histIn', 'group member reductions: %llu'],
  ['Icmp6InGroupMembResponses', 'histIn', 'group member responses: %llu'],
  ['Icmp6InMsgs', 'number', '%llu ICMP messages received'],
  ['Icmp6InNeighborAdvertisements', 'histIn', 'neighbour advertisement: %llu'],
  ['Icmp6InNeighborSolicits', 'histIn', 'neighbour solicits: %llu'],
  ['Icmp6InParmProblems', 'histIn', 'parameter problem: %llu'],
  ['Icmp6InPktTooBigs', 'histIn', 'packets too big: %llu'],
  ['Icmp6InRedirects', 'histIn', 'redirects: %llu'],
  ['Icmp6InRouterAdvertisements', 'histIn', 'router advertisement: %llu'],
  ['Icmp6InRouterSolicits', 'histIn', 'router solicits: %llu'],
  ['Icmp6InTimeExcds', 'histIn', 'received ICMPv6 time exceeded: %llu'],
  ['Icmp6OutDestUnreachs', 'histOut', 'destination unreachable: %llu'],
  ['Icmp6OutEchoReplies', 'histOut', 'echo replies: %llu'],
  ['Icmp6OutEchos', 'histOut', 'echo requests: %llu'],
  ['Icmp6OutGroupMembQueries', 'histOut', 'group member queries: %llu'],
  ['Icmp6OutGroupMembReductions', 'histOut', 'group member reductions: %llu'],
  ['Icmp6OutGroupMembResponses', 'histOut', 'group member responses: %llu'],
  ['Icmp6OutMsgs', 'number', '%llu ICMP messages sent'],
  ['Icmp6OutNeighborAdvertisements', 'histOut', 'neighbor advertisements: %llu'],
  ['Icmp6OutNeighborSolicits', 'histOut', 'neighbor solicits: %llu'],
  ['Icmp6OutParmProblems', 'histOut', 'parameter problem: %llu'],
  ['Icmp6OutPktTooBigs', 'histOut', 'packets too big: %llu'],
  ['Icmp6OutRedirects', 'histOut', 'redirects: %llu'],
  // The trailing space is netstat's: the kernel's Icmp6OutRouterAdvertisements never matches it.
  ['Icmp6OutRouterAdvertisements ', 'histOut', 'router advertisement: %llu'],
  ['Icmp6OutRouterSolicits', 'histOut', 'router solicits: %llu'],
  ['Icmp6OutTimeExcds', 'histOut', 'sent ICMPv6 time exceeded: %llu'],
];

const TCP: MibTable = [
  ['ActiveOpens', 'number', '%llu active connection openings'],
  ['AttemptFails', 'number', '%llu failed connection attempts'],
  ['CurrEstab', 'number', '%llu connections established'],
  ['EstabResets', 'number', '%llu connection resets received'],
  ['InErrs', 'number', '%llu bad segments received'],
  ['InSegs', 'number', '%llu segments received'],
  ['MaxConn', 'number', ''],
  ['OutRsts', 'number', '%llu resets sent'],
  ['OutSegs', 'number', '%llu segments sent out'],
  ['PassiveOpens', 'number', '%llu passive connection openings'],
  ['RetransSegs', 'number', '%llu segments retransmitted'],
  ['RtoAlgorithm', 'static', 'RTO algorithm is %s'],
  ['RtoMax', 'number', ''],
  ['RtoMin', 'number', ''],
];

const UDP: MibTable = [
  ['InDatagrams', 'number', '%llu packets received'],
  ['InErrors', 'number', '%llu packet receive errors'],
  ['NoPorts', 'number', '%llu packets to unknown port received'],
  ['OutDatagrams', 'number', '%llu packets sent'],
  ['RcvbufErrors', 'number', '%llu receive buffer errors'],
  ['SndbufErrors', 'number', '%llu send buffer errors'],
];

const UDP6: MibTable = [
  ['Udp6InDatagrams', 'number', '%llu packets received'],
  ['Udp6InErrors', 'number', '%llu packet receive errors'],
  ['Udp6NoPorts', 'number', '%llu packets to unknown port received'],
  ['Udp6OutDatagrams', 'number', '%llu packets sent'],
];

const TCP_EXT: MibTable = [
  ['DelayedACKLocked', 'opt', '%llu delayed acks further delayed because of locked socket'],
  ['DelayedACKLost', 'opt', 'Quick ack mode was activated %llu times'],
  ['DelayedACKs', 'opt', '%llu delayed acks sent'],
  ['EmbryonicRsts', 'opt', '%llu resets received for embryonic SYN_RECV sockets'],
  ['ListenDrops', 'opt', '%llu SYNs to LISTEN sockets dropped'],
  ['ListenOverflows', 'opt', '%llu times the listen queue of a socket overflowed'],
  ['LockDroppedIcmps', 'opt', '%llu ICMP packets dropped because socket was locked'],
  ['OfoPruned', 'opt', '%llu packets dropped from out-of-order queue because of socket buffer overrun'],
  ['OutOfWindowIcmps', 'opt', '%llu ICMP packets dropped because they were out-of-window'],
  ['PAWSActive', 'opt', '%llu active connections rejected because of time stamp'],
  ['PAWSEstab', 'opt', '%llu packets rejected in established connections because of timestamp'],
  ['PAWSPassive', 'opt', '%llu passive connections rejected because of time stamp'],
  ['PruneCalled', 'opt', '%llu packets pruned from receive queue because of socket buffer overrun'],
  ['RcvPruned', 'opt', '%llu packets pruned from receive queue'],
  ['SockMallocOOM', 'opt', 'Ran %llu times out of system memory during packet sending'],
  ['SyncookiesFailed', 'opt', '%llu invalid SYN cookies received'],
  ['SyncookiesRecv', 'opt', '%llu SYN cookies received'],
  ['SyncookiesSent', 'opt', '%llu SYN cookies sent'],
  ['TCPAbortFailed', 'opt', '%llu times unable to send RST due to no memory'],
  ['TCPAbortOnClose', 'opt', '%llu connections reset due to early user close'],
  ['TCPAbortOnData', 'opt', '%llu connections reset due to unexpected data'],
  ['TCPAbortOnLinger', 'opt', '%llu connections aborted after user close in linger timeout'],
  ['TCPAbortOnMemory', 'opt', '%llu connections aborted due to memory pressure'],
  ['TCPAbortOnSyn', 'opt', '%llu connections reset due to unexpected SYN'],
  ['TCPAbortOnTimeout', 'opt', '%llu connections aborted due to timeout'],
  ['TCPDirectCopyFromBacklog', 'opt', '%llu bytes directly in process context from backlog'],
  ['TCPDirectCopyFromPrequeue', 'opt', '%llu bytes directly received in process context from prequeue'],
  ['TCPDSACKOfoRecv', 'opt', '%llu DSACKs for out of order packets received'],
  ['TCPDSACKOfoSent', 'opt', '%llu DSACKs sent for out of order packets'],
  ['TCPDSACKOldSent', 'opt', '%llu DSACKs sent for old packets'],
  ['TCPDSACKRecv', 'opt', '%llu DSACKs received'],
  ['TCPDSackUndo', 'opt', '%llu congestion window recovered without slow start using DSACK'],
  ['TCPDSACKUndo', 'opt', '%llu congestion windows recovered without slow start by DSACK'],
  ['TCPFACKReorder', 'opt', 'Detected reordering %llu times using FACK'],
  ['TCPFastRetrans', 'opt', '%llu fast retransmits'],
  ['TCPForwardRetrans', 'opt', '%llu forward retransmits'],
  ['TCPFullUndo', 'opt', '%llu congestion windows fully recovered without slow start'],
  ['TCPHPAcks', 'opt', '%llu predicted acknowledgments'],
  ['TCPHPHits', 'number', '%llu packet headers predicted'],
  ['TCPHPHitsToUser', 'opt', '%llu packet headers predicted and directly queued to user'],
  ['TCPLossFailures', 'opt', '%llu timeouts in loss state'],
  ['TCPLoss', 'opt', '%llu TCP data loss events'],
  ['TCPLossUndo', 'opt', '%llu congestion windows recovered without slow start after partial ack'],
  ['TCPLostRetransmits', 'opt', '%llu retransmits lost'],
  ['TCPMemoryPressures', 'opt', 'TCP ran low on memory %llu times'],
  ['TCPPartialUndo', 'opt', '%llu congestion windows partially recovered using Hoe heuristic'],
  ['TCPPrequeued', 'opt', '%llu packets directly queued to recvmsg prequeue'],
  ['TCPPrequeueDropped', 'opt', '%llu packets dropped from prequeue'],
  ['TCPPureAcks', 'opt', '%llu acknowledgments not containing data payload received'],
  ['TCPRcvCollapsed', 'opt', '%llu packets collapsed in receive queue due to low socket buffer'],
  ['TCPRenoFailures', 'opt', '%llu timeouts after reno fast retransmit'],
  ['TCPRenoRecoveryFailed', 'opt', '%llu reno fast retransmits failed'],
  ['TCPRenoRecoveryFail', 'opt', '%llu classic Reno fast retransmits failed'],
  ['TCPRenoRecovery', 'opt', '%llu times recovered from packet loss due to fast retransmit'],
  ['TCPRenoReorder', 'opt', 'Detected reordering %llu times using reno fast retransmit'],
  ['TCPSackFailures', 'opt', '%llu timeouts after SACK recovery'],
  ['TCPSackRecoveryFail', 'opt', '%llu SACK retransmits failed'],
  ['TCPSackRecovery', 'opt', '%llu times recovered from packet loss by selective acknowledgements'],
  ['TCPSACKReneging', 'opt', '%llu bad SACK blocks received'],
  ['TCPSACKReorder', 'opt', 'Detected reordering %llu times using SACK'],
  ['TCPSchedulerFailed', 'opt', '%llu times receiver scheduled too late for direct processing'],
  ['TCPSlowStartRetrans', 'opt', '%llu retransmits in slow start'],
  ['TCPTimeouts', 'opt', '%llu other TCP timeouts'],
  ['TCPTSReorder', 'opt', 'Detected reordering %llu times using time stamp'],
  ['TWKilled', 'opt', '%llu TCP sockets finished time wait in slow timer'],
  ['TW', 'opt', '%llu TCP sockets finished time wait in fast timer'],
  ['TWRecycled', 'opt', '%llu time wait sockets recycled by time stamp'],
];

const SCTP: MibTable = [
  ['SctpAborteds', 'number', '%llu Number of Aborteds '],
  ['SctpActiveEstabs', 'number', '%llu Active Associations'],
  ['SctpChecksumErrors', 'number', '%llu Number of Packets with invalid Checksum'],
  ['SctpCurrEstab', 'number', '%llu Current Associations'],
  ['SctpFragUsrMsgs', 'number', '%llu Number of messages fragmented'],
  ['SctpInCtrlChunks', 'number', '%llu Number of control chunks received'],
  ['SctpInOrderChunks', 'number', '%llu Number of ordered chunks received'],
  ['SctpInSCTPPacks', 'number', '%llu Number of SCTP packets received'],
  ['SctpInUnorderChunks', 'number', '%llu Number of Unordered chunks received'],
  ['SctpOutCtrlChunks', 'number', '%llu Number of control chunks sent'],
  ['SctpOutOfBlues', 'number', '%llu Number of Out of Blue packets'],
  ['SctpOutOrderChunks', 'number', '%llu Number of ordered chunks sent'],
  ['SctpOutSCTPPacks', 'number', '%llu Number of SCTP packets sent'],
  ['SctpOutUnorderChunks', 'number', '%llu Number of Unordered chunks sent'],
  ['SctpPassiveEstabs', 'number', '%llu Passive Associations'],
  ['SctpReasmUsrMsgs', 'number', '%llu Number of messages reassembled '],
  ['SctpShutdowns', 'number', '%llu Number of Graceful Terminations'],
];

/** Which of -w, -t, -u, -S shows a known table. */
type Protocol = 'raw' | 'tcp' | 'udp' | 'sctp';

interface KnownTable {
  title: string;
  entries: MibTable;
  shownBy: Protocol;
}

const SNMP_TABLES: readonly KnownTable[] = [
  { title: 'Ip', entries: IP, shownBy: 'raw' },
  { title: 'Icmp', entries: ICMP, shownBy: 'raw' },
  { title: 'Tcp', entries: TCP, shownBy: 'tcp' },
  { title: 'Udp', entries: UDP, shownBy: 'udp' },
  { title: 'Sctp', entries: SCTP, shownBy: 'sctp' },
  { title: 'TcpExt', entries: TCP_EXT, shownBy: 'tcp' },
];

const SNMP6_TABLES: readonly KnownTable[] = [
  { title: 'Ip6', entries: IP6, shownBy: 'raw' },
  { title: 'Icmp6', entries: ICMP6, shownBy: 'raw' },
  { title: 'Udp6', entries: UDP6, shownBy: 'udp' },
  { title: 'Tcp6', entries: TCP, shownBy: 'tcp' },
];

/**
 * glibc's bsearch() with strcmp over a table in its source order. On a mis-sorted table this
 * misses entries that are there, exactly as netstat does.
 */
export function findEntry(table: MibTable, counter: string): MibEntry | undefined {
  let lower = 0;
  let upper = table.length;
  while (lower < upper) {
    const middle = (lower + upper) >>> 1;
    const entry = table[middle]!;
    if (counter < entry[0]) upper = middle;
    else if (counter > entry[0]) lower = middle + 1;
    else return entry;
  }
  return undefined;
}

/** netstat's known tables with their counter names, in source order (for tests). */
export function knownTables(): Array<{ title: string; counters: string[] }> {
  return [...SNMP_TABLES, ...SNMP6_TABLES].map((t) => ({ title: t.title, counters: t.entries.map(([c]) => c) }));
}

/** The counters of a known table that netstat can never find in it (for tests). */
export function unreachableEntries(): Array<{ table: string; counter: string }> {
  const out: Array<{ table: string; counter: string }> = [];
  for (const t of [...SNMP_TABLES, ...SNMP6_TABLES]) {
    for (const [counter] of t.entries) if (findEntry(t.entries, counter) === undefined) out.push({ table: t.title, counter });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Printing

/** -w, -t, -u, -S as netstat passes them to parsesnmp(): all on when none was given. */
export type StatisticsFilter = Record<Protocol, boolean>;

/**
 * netstat's indent state: 4 spaces normally, 8 inside an ICMP histogram. It carries over from one
 * table to the next and is reset only by a known table's title, which is why the lines of an
 * unknown table after `Icmp:` (IcmpMsg) come out with 8 spaces.
 */
type IndentState = 'plain' | 'histIn' | 'histOut';

const INDENT: Record<IndentState, number> = { plain: 4, histIn: 8, histOut: 8 };
const HISTOGRAM_TITLE = { histIn: 'ICMP input histogram:', histOut: 'ICMP output histogram:' } as const;

/** A table being printed: its entries (null for a table netstat does not know) and whether it shows. */
interface OpenTable {
  entries: MibTable | null;
  shown: boolean;
}

/**
 * Prints counters as netstat -s does. One printer is one netstat run: the indent state carries
 * over between files, as netstat's does.
 */
export class StatisticsPrinter {
  private state: IndentState = 'plain';
  private text = '';

  constructor(private readonly filter: StatisticsFilter) {}

  /**
   * The tables of /proc/net/snmp or /proc/net/netstat. With `titlePrefix` only tables whose
   * title starts with it are printed: `-s -6` takes `Tcp` from /proc/net/snmp that way.
   */
  counterTables(tables: readonly CounterTable[], titlePrefix?: string): void {
    for (const t of tables) {
      if (titlePrefix !== undefined && !t.title.startsWith(titlePrefix)) continue;
      const table = this.openTable(SNMP_TABLES, t.title);
      if (!table.shown) continue;
      for (const c of t.counters) this.counter(table.entries, c);
    }
  }

  /**
   * /proc/net/snmp6. A section is named by a counter's name up to its first `6` (Ip6, Icmp6,
   * UdpLite6), and a new one starts at the first counter whose name does not contain the current
   * section's name anywhere.
   */
  snmp6(counters: readonly Counter[]): void {
    let section: string | null = null;
    let table: OpenTable = { entries: null, shown: true };
    for (const c of counters) {
      if (section === null || !c.name.includes(section)) {
        section = sectionOf(c.name);
        table = this.openTable(SNMP6_TABLES, section);
      }
      if (table.shown) this.counter(table.entries, c);
    }
  }

  /** /proc/net/sctp/snmp, printed as the table `Sctp`. */
  sctp(counters: readonly Counter[]): void {
    const table = this.openTable(SNMP_TABLES, 'Sctp');
    if (!table.shown) return;
    for (const c of counters) this.counter(table.entries, c);
  }

  /** What was printed since the last call. */
  take(): string {
    const t = this.text;
    this.text = '';
    return t;
  }

  /** netstat's newtable(): a known table prints its title only when its filter is on. */
  private openTable(known: readonly KnownTable[], title: string): OpenTable {
    const k = known.find((t) => t.title === title);
    if (k === undefined) {
      // Unknown tables are always printed, and leave the indent state alone.
      this.line(0, `${title}:`);
      return { entries: null, shown: true };
    }
    const shown = this.filter[k.shownBy];
    if (shown) this.line(0, `${title}:`);
    this.state = 'plain';
    return { entries: k.entries, shown };
  }

  /** netstat's printval(). */
  private counter(entries: MibTable | null, { name, value }: Counter): void {
    const entry = entries === null ? undefined : findEntry(entries, name);
    if (entry === undefined) {
      if (value !== 0n) this.line(INDENT[this.state], `${name}: ${value}`);
      return;
    }
    const [, kind, text] = entry;
    if (kind === 'static' || text === '') return;
    if (kind === 'histIn' || kind === 'histOut') {
      // The title is indented as the line before it was.
      if (this.state !== kind) this.line(INDENT[this.state], HISTOGRAM_TITLE[kind]);
      if (value > 0n) this.line(INDENT[kind], sentence(text, value));
      this.state = kind;
      return;
    }
    if (kind === 'number' || value !== 0n) this.line(INDENT.plain, sentence(text, value));
    this.state = 'plain';
  }

  private line(indent: number, text: string): void {
    this.text += `${' '.repeat(indent)}${text}\n`;
  }
}

function sentence(text: string, value: bigint): string {
  return text.replace('%llu', value.toString());
}

/** A snmp6 counter's section: its name up to and including the first `6` (all of it if none). */
function sectionOf(name: string): string {
  const six = name.indexOf('6');
  return six < 0 ? name : name.slice(0, six + 1);
}
