import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

// fixtures/stats is a hand-made /proc/net in the kernel's format with: the Forwarding entry and
// the TcpExt entries netstat's mis-sorted tables cannot find, a counter no netstat knows
// (TCPExampleFutureCounter), values above 2^53 and 2^64-1, Tcp MaxConn -1, ICMP histograms,
// unknown tables (IcmpMsg, UdpLite, IpExt, MPTcpExt) and /proc/net/sctp/snmp.
// Every expected text below is also what the real netstat prints over the same files
// (statistics-netstat.test.ts checks that where it can).
const STATS = path.join(FIXTURES, 'stats', 'proc');
const QUIRKS = path.join(FIXTURES, 'stats-quirks', 'proc');
const NO_SNMP6 = path.join(FIXTURES, 'stats-no-snmp6', 'proc');
const DIRS = path.join(FIXTURES, 'stats-dirs', 'proc');

const IP =
  'Ip:\n' +
  '    Forwarding: 1\n' +
  '    123456 total packets received\n' +
  '    3 with invalid headers\n' +
  '    0 forwarded\n' +
  '    2 with unknown protocol\n' +
  '    0 incoming packets discarded\n' +
  '    123400 incoming packets delivered\n' +
  '    98765 requests sent out\n' +
  '    7 dropped because of missing route\n' +
  '    4 reassemblies required\n' +
  '    2 packets reassembled ok\n' +
  '    OutTransmits: 98765\n';

const ICMP =
  'Icmp:\n' +
  '    45 ICMP messages received\n' +
  '    1 input ICMP message failed\n' +
  '    InCsumErrors: 2\n' +
  '    ICMP input histogram:\n' +
  '        destination unreachable: 30\n' +
  '        timeout in transit: 5\n' +
  '        echo requests: 10\n' +
  '    40 ICMP messages sent\n' +
  '    0 ICMP messages failed\n' +
  '    OutRateLimitGlobal: 3\n' +
  '    ICMP output histogram:\n' +
  '        destination unreachable: 12\n' +
  '        echo replies: 28\n';

/** IcmpMsg is unknown to netstat: its lines keep the indent the line before them had. */
const icmpMsg = (indent: string) =>
  'IcmpMsg:\n' +
  `${indent}InType3: 30\n` +
  `${indent}InType8: 10\n` +
  `${indent}InType11: 5\n` +
  `${indent}OutType0: 28\n` +
  `${indent}OutType3: 12\n`;

const TCP =
  'Tcp:\n' +
  '    329 active connection openings\n' +
  '    224 passive connection openings\n' +
  '    3 failed connection attempts\n' +
  '    133 connection resets received\n' +
  '    4 connections established\n' +
  '    12436 segments received\n' +
  '    8737 segments sent out\n' +
  '    11 segments retransmitted\n' +
  '    0 bad segments received\n' +
  '    328 resets sent\n' +
  '    InCsumErrors: 5\n';

const UDP =
  'Udp:\n' +
  '    9007199254740993 packets received\n' +
  '    2 packets to unknown port received\n' +
  '    0 packet receive errors\n' +
  '    18446744073709551615 packets sent\n' +
  '    0 receive buffer errors\n' +
  '    0 send buffer errors\n' +
  '    IgnoredMulti: 17\n';

const UDPLITE = 'UdpLite:\n    InDatagrams: 6\n';

const TCP_EXT =
  'TcpExt:\n' +
  '    1 resets received for embryonic SYN_RECV sockets\n' +
  '    97 TCP sockets finished time wait in fast timer\n' +
  '    TWKilled: 5\n' +
  '    48 delayed acks sent\n' +
  '    Quick ack mode was activated 143 times\n' +
  '    3 times the listen queue of a socket overflowed\n' +
  '    3 SYNs to LISTEN sockets dropped\n' +
  '    0 packet headers predicted\n' +
  '    879 acknowledgments not containing data payload received\n' +
  '    51 predicted acknowledgments\n' +
  '    1 times recovered from packet loss due to fast retransmit\n' +
  '    TCPSackRecovery: 2\n' +
  '    TCPSACKReneging: 1\n' +
  '    Detected reordering 4 times using SACK\n' +
  '    TCPDSACKUndo: 1\n' +
  '    1 congestion windows recovered without slow start after partial ack\n' +
  '    TCPSackFailures: 1\n' +
  '    6 fast retransmits\n' +
  '    TCPTimeouts: 2\n' +
  '    TCPRenoRecoveryFail: 1\n' +
  '    TCPSackRecoveryFail: 1\n' +
  '    TCPBacklogCoalesce: 159\n' +
  '    TCPDSACKOldSent: 143\n' +
  '    TCPDSACKOfoSent: 1\n' +
  '    TCPDSACKRecv: 3\n' +
  '    TCPDSACKOfoRecv: 1\n' +
  '    98 connections reset due to unexpected data\n' +
  '    34 connections reset due to early user close\n' +
  '    TCPRcvCoalesce: 7836\n' +
  '    TCPOFOQueue: 2\n' +
  '    TCPExampleFutureCounter: 9\n';

const IP_EXT =
  'IpExt:\n' +
  '    InOctets: 123456789012345678\n' +
  '    OutOctets: 991222\n' +
  '    InNoECTPkts: 12422\n' +
  'MPTcpExt:\n';

const SCTP =
  'Sctp:\n' +
  '    1 Current Associations\n' +
  '    2 Active Associations\n' +
  '    1 Passive Associations\n' +
  '    0 Number of Aborteds \n' +
  '    1 Number of Graceful Terminations\n' +
  '    0 Number of Out of Blue packets\n' +
  '    0 Number of Packets with invalid Checksum\n' +
  '    14 Number of control chunks sent\n' +
  '    6 Number of ordered chunks sent\n' +
  '    0 Number of Unordered chunks sent\n' +
  '    14 Number of control chunks received\n' +
  '    6 Number of ordered chunks received\n' +
  '    0 Number of Unordered chunks received\n' +
  '    0 Number of messages fragmented\n' +
  '    0 Number of messages reassembled \n' +
  '    20 Number of SCTP packets sent\n' +
  '    20 Number of SCTP packets received\n' +
  '    SctpT3RtxExpireds: 1\n' +
  '    SctpDelaySackExpireds: 3\n' +
  '    SctpT3Retransmits: 1\n' +
  '    SctpInPktSoftirq: 20\n';

const IP6 =
  'Ip6:\n' +
  '    199 total packets received\n' +
  '    2 with invalid headers\n' +
  '    0 incoming packets discarded\n' +
  '    197 incoming packets delivered\n' +
  '    0 forwarded\n' +
  '    208 requests sent out\n' +
  '    1 dropped because of missing route\n' +
  '    8 outgoing multicast packets\n' +
  '    Ip6InOctets: 9007199254740993\n' +
  '    Ip6OutOctets: 15664\n' +
  '    Ip6OutMcastOctets: 672\n' +
  '    Ip6InNoECTPkts: 199\n' +
  '    Ip6OutTransmits: 208\n';

// The output histogram's title comes straight after the input histogram, so it is indented 8;
// Icmp6OutRouterAdvertisements is never found (netstat's key has a trailing space).
const ICMP6 =
  'Icmp6:\n' +
  '    12 ICMP messages received\n' +
  '    1 input ICMP message failed\n' +
  '    19 ICMP messages sent\n' +
  '    Icmp6InCsumErrors: 1\n' +
  '    ICMP input histogram:\n' +
  '        destination unreachable: 1\n' +
  '        echo requests: 3\n' +
  '        router advertisement: 2\n' +
  '        neighbour solicits: 4\n' +
  '        neighbour advertisement: 2\n' +
  '        ICMP output histogram:\n' +
  '        destination unreachable: 1\n' +
  '        echo replies: 3\n' +
  '        router solicits: 1\n' +
  '        Icmp6OutRouterAdvertisements: 3\n' +
  '        neighbor solicits: 4\n' +
  '        neighbor advertisements: 4\n' +
  '        Icmp6OutMLDv2Reports: 4\n' +
  '        Icmp6InType1: 1\n' +
  '        Icmp6InType128: 3\n' +
  '        Icmp6InType134: 2\n' +
  '        Icmp6InType135: 4\n' +
  '        Icmp6InType136: 2\n' +
  '        Icmp6OutType1: 1\n' +
  '        Icmp6OutType129: 3\n' +
  '        Icmp6OutType133: 1\n' +
  '        Icmp6OutType134: 3\n' +
  '        Icmp6OutType135: 4\n' +
  '        Icmp6OutType136: 4\n' +
  '        Icmp6OutType143: 4\n';

const UDP6 =
  'Udp6:\n' +
  '    40 packets received\n' +
  '    0 packets to unknown port received\n' +
  '    0 packet receive errors\n' +
  '    41 packets sent\n' +
  '    Udp6IgnoredMulti: 4\n';

const UDPLITE6 = 'UdpLite6:\n    UdpLite6InDatagrams: 2\n';

function expectRun(args: string[], stdout: string, stderr = '', status = 0): void {
  const r = netsnap(args);
  expect(r.stdout).toBe(stdout);
  expect(r.stderr).toBe(stderr);
  expect(r.status).toBe(status);
}

describe(`netsnap -s over fixtures/stats (${backend.name})`, () => {
  it('-s prints every table of snmp, netstat and sctp/snmp in file order', () => {
    expectRun(['-s', '--proc-root', STATS], IP + ICMP + icmpMsg('        ') + TCP + UDP + UDPLITE + TCP_EXT + IP_EXT + SCTP);
  });

  it('-st prints Tcp and TcpExt, and the unknown tables, which no filter hides', () => {
    // Icmp is not shown but its title still resets the indent: IcmpMsg comes out with 4 spaces.
    expectRun(['-st', '--proc-root', STATS], icmpMsg('    ') + TCP + UDPLITE + TCP_EXT + IP_EXT);
  });

  it('-su prints Udp and the unknown tables', () => {
    expectRun(['-su', '--proc-root', STATS], icmpMsg('    ') + UDP + UDPLITE + IP_EXT);
  });

  it('-sw prints Ip and Icmp and the unknown tables', () => {
    expectRun(['-sw', '--proc-root', STATS], IP + ICMP + icmpMsg('        ') + UDPLITE + IP_EXT);
  });

  it('-sU matches no known table: only the unknown ones', () => {
    expectRun(['-sU', '--proc-root', STATS], icmpMsg('    ') + UDPLITE + IP_EXT);
  });

  it('-sS prints Sctp and the unknown tables', () => {
    expectRun(['-sS', '--proc-root', STATS], icmpMsg('    ') + UDPLITE + IP_EXT + SCTP);
  });

  it('-s6 prints snmp6 in sections named up to the first 6, then Tcp from snmp', () => {
    expectRun(['-s6', '--proc-root', STATS], IP6 + ICMP6 + UDP6 + UDPLITE6 + TCP);
    expectRun(['-s', '-A', 'inet6', '--proc-root', STATS], IP6 + ICMP6 + UDP6 + UDPLITE6 + TCP);
  });

  it('-s6 with a protocol filter', () => {
    expectRun(['-s6', '-t', '--proc-root', STATS], UDPLITE6 + TCP);
    expectRun(['-s6', '-u', '--proc-root', STATS], UDP6 + UDPLITE6);
    expectRun(['-s6', '-w', '--proc-root', STATS], IP6 + ICMP6 + UDPLITE6);
  });

  it('-s -4 is -s; -c, -g and -n change nothing', () => {
    const all = IP + ICMP + icmpMsg('        ') + TCP + UDP + UDPLITE + TCP_EXT + IP_EXT + SCTP;
    expectRun(['-s4', '--proc-root', STATS], all);
    expectRun(['-scgn', '--proc-root', STATS], all);
  });
});

describe(`netsnap -s errors (${backend.name})`, () => {
  it('-s -4 -6 has no statistics: message on stdout, exit 1', () => {
    expectRun(['-s', '-4', '-6', '--proc-root', STATS], 'netsnap: No statistics support for specified address family: inet,inet6\n', '', 1);
    expectRun(['-s', '-A', 'inet,inet6', '--proc-root', STATS], 'netsnap: No statistics support for specified address family: inet,inet6\n', '', 1);
    // netstat keeps the families in command-line order, repeats included.
    expectRun(['-s', '-6', '-4', '--proc-root', STATS], 'netsnap: No statistics support for specified address family: inet6,inet\n', '', 1);
    expectRun(['-s', '-4', '-4', '--proc-root', STATS], 'netsnap: No statistics support for specified address family: inet,inet\n', '', 1);
  });

  it('-s -x has no statistics: message on stdout, exit 1', () => {
    expectRun(['-s', '-x', '--proc-root', STATS], 'netsnap: No statistics support for specified address family: unix\n', '', 1);
    // netstat lists the families in command-line order; CliOptions keeps no order, so only this
    // order is checked (`-s -x -4` gives `unix,inet` in netstat, `inet,unix` here).
    expectRun(['-s', '-4', '-x', '--proc-root', STATS], 'netsnap: No statistics support for specified address family: inet,unix\n', '', 1);
  });

  it('-s6 without snmp6 says so on stderr, prints nothing else and exits 0', () => {
    expectRun(['-s6', '--proc-root', NO_SNMP6], '', `cannot open ${NO_SNMP6}/net/snmp6: No such file or directory\n`);
  });

  it('-s without snmp says so on stderr and exits 0; a missing netstat file is silent', () => {
    const none = path.join(FIXTURES, 'stats-none', 'proc');
    expectRun(['-s', '--proc-root', none], '', `cannot open ${none}/net/snmp: No such file or directory\n`);
    expectRun(['-s', '--proc-root', NO_SNMP6], 'Tcp:\n    7 active connection openings\n    8 passive connection openings\n');
  });

  it('a file that opens but cannot be read (a directory) is reported by path, and the rest goes on', () => {
    const tcp = 'Tcp:\n    7 active connection openings\n    8 passive connection openings\n';
    expectRun(['-s', '--proc-root', DIRS], `${tcp}Sctp:\n`, `${DIRS}/net/netstat: Is a directory\n${DIRS}/net/sctp/snmp: Is a directory\n`);
    expectRun(['-s6', '--proc-root', DIRS], tcp, `${DIRS}/net/snmp6: Is a directory\n`);
  });
});

describe(`netsnap -s reads the files as netstat does (${backend.name})`, () => {
  // fixtures/stats-quirks: an empty line before a pair, fewer values than names, strtoull on
  // `+10`, `0x10` (0, and every value after it 0), `-1` and an overflow, a table title that only
  // starts with Tcp, a pair without `:` (netstat stops reading the file there), a names line
  // without values; snmp6 with a blank line (the previous counter again), a name without value
  // (the previous value), names without a 6 and one containing the section's name; sctp/snmp
  // with a name alone, an empty name, a negative and an overflowing value.
  it('-s', () => {
    expectRun(
      ['-s', '--proc-root', QUIRKS],
      'Ip:\n' +
        '    Forwarding: 2\n' +
        '    10 total packets received\n' +
        '    0 incoming packets delivered\n' +
        '    0 requests sent out\n' +
        '    0 forwarded\n' +
        '    0 incoming packets discarded\n' +
        'Icmp:\n' +
        '    1 ICMP messages sent\n' +
        '    ICMP input histogram:\n' +
        '        ICMP output histogram:\n' +
        '        ICMP input histogram:\n' +
        '        echo requests: 4\n' +
        'Weird:\n' +
        '        Negative: 18446744073709551615\n' +
        '        Huge: 18446744073709551615\n' +
        '        Plain: 3\n' +
        '        Tabbed: 4\n' +
        'TcpFoo:\n' +
        '        Beta: 8\n' +
        'Tcp:\n' +
        '    5 active connection openings\n' +
        'TcpExt:\n' +
        '    1 TCP sockets finished time wait in fast timer\n' +
        '    2 packet headers predicted\n' +
        'Sctp:\n' +
        '    1 Current Associations\n' +
        '    : 5\n' +
        '    18446744073709551614 Number of Graceful Terminations\n' +
        '    SctpBig: 18446744073709551615\n',
      `Problem while parsing ${QUIRKS}/net/snmp\n`,
    );
  });

  it('-s6', () => {
    expectRun(
      ['-s6', '--proc-root', QUIRKS],
      'Ip6:\n' +
        '    5 total packets received\n' +
        '    3 with invalid headers\n' +
        '    3 with invalid headers\n' +
        '    3 requests sent out\n' +
        '    XIp6Inside: 9\n' +
        'Icmp6:\n' +
        '    ICMP input histogram:\n' +
        '        ICMP output histogram:\n' +
        '        echo requests: 2\n' +
        '    1 ICMP messages received\n' +
        '    ICMP input histogram:\n' +
        '        echo replies: 6\n' +
        'Foo:\n' +
        '        Foo: 3\n' +
        'Bar:\n' +
        '        Bar: 3\n' +
        'Udp6:\n' +
        '    18446744073709551615 packets received\n' +
        '    Udp6Odd: 18446744073709551615\n' +
        'UdpLite6:\n' +
        '    UdpLite6InDatagrams: 18446744073709551615\n' +
        // Tables of snmp whose title starts with Tcp, up to the malformed pair (no message here).
        'TcpFoo:\n' +
        '    Beta: 8\n' +
        'Tcp:\n' +
        '    5 active connection openings\n',
    );
  });
});
