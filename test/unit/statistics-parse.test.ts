import { describe, expect, it } from 'vitest';
import { StatisticsPrinter, findEntry, unreachableEntries } from '../../src/format/statistics';
import { parseCounterTables } from '../../src/procnet/snmp';
import { parseSnmp6 } from '../../src/procnet/snmp6';
import { parseSctpSnmp } from '../../src/procnet/sctp_snmp';
import { strtoull } from '../../src/procnet/lines';

const ALL = { raw: true, tcp: true, udp: true, sctp: true };

describe('strtoull, as netstat reads every counter', () => {
  it.each([
    ['42', 42n, 2],
    ['  \t7 8', 7n, 4],
    ['+5', 5n, 2],
    ['-1', 18446744073709551615n, 2],
    ['-0', 0n, 2],
    ['18446744073709551615', 18446744073709551615n, 20],
    ['18446744073709551616', 18446744073709551615n, 20],
    ['-18446744073709551615', 1n, 21],
    ['9007199254740993', 9007199254740993n, 16],
    ['0x10', 0n, 1],
    ['x10', 0n, 0],
    ['', 0n, 0],
    ['-', 0n, 0],
  ])('%j -> %s, end %i', (text, value, end) => {
    expect(strtoull(text, 0)).toEqual({ value, end });
  });
});

describe('parseCounterTables (/proc/net/snmp, /proc/net/netstat)', () => {
  it('pairs names with values, exactly, above 2^53', () => {
    expect(parseCounterTables('Udp: InDatagrams NoPorts\nUdp: 9007199254740993 18446744073709551615\n')).toEqual({
      tables: [{ title: 'Udp', counters: [{ name: 'InDatagrams', value: 9007199254740993n }, { name: 'NoPorts', value: 18446744073709551615n }] }],
      malformed: false,
    });
  });

  it('skips an empty line where names are due, reads a missing value as 0, drops a names line alone', () => {
    expect(parseCounterTables('\nA: x y\nA: 1\nB: z\n').tables).toEqual([
      { title: 'A', counters: [{ name: 'x', value: 1n }, { name: 'y', value: 0n }] },
    ]);
  });

  it('takes the title from the names line and splits names on blanks and tabs only', () => {
    expect(parseCounterTables('Odd Title:\ta\t b\rc\nWhatever: 1 2 3').tables).toEqual([
      { title: 'Odd Title', counters: [{ name: 'a', value: 1n }, { name: 'b\rc', value: 2n }] },
    ]);
  });

  it('stops at a pair without a colon and says so', () => {
    expect(parseCounterTables('A: x\nA: 1\nB x\nB: 1\nC: y\nC: 2\n')).toEqual({
      tables: [{ title: 'A', counters: [{ name: 'x', value: 1n }] }],
      malformed: true,
    });
  });
});

describe('parseSnmp6', () => {
  it('reads Name value lines, a blank line repeating the previous counter, a bare name taking the previous value', () => {
    expect(parseSnmp6('\nIp6InReceives   \t5\nIp6X\n\nIcmp6InMsgs -1\n')).toEqual([
      { name: 'Ip6InReceives', value: 5n },
      { name: 'Ip6X', value: 5n },
      { name: 'Ip6X', value: 5n },
      { name: 'Icmp6InMsgs', value: 18446744073709551615n },
    ]);
  });
});

describe('parseSctpSnmp', () => {
  it('reads Name value lines, skipping names without a value', () => {
    expect(parseSctpSnmp('SctpCurrEstab                   \t1\nSctpBare\n\n 5\n')).toEqual([
      { name: 'SctpCurrEstab', value: 1n },
      { name: '', value: 5n },
    ]);
  });
});

describe("netstat's lookup tables", () => {
  it('bsearch over the tables in source order misses exactly the entries the reference lists', () => {
    expect(unreachableEntries()).toEqual([
      { table: 'Ip', counter: 'Forwarding' },
      ...[
        'TCPDirectCopyFromPrequeue', 'TCPDSACKOfoRecv', 'TCPDSACKOfoSent', 'TCPDSACKOldSent', 'TCPDSACKRecv',
        'TCPDSackUndo', 'TCPDSACKUndo', 'TCPLoss', 'TCPPrequeueDropped', 'TCPRenoRecoveryFailed', 'TCPRenoRecoveryFail',
        'TCPSackFailures', 'TCPSackRecoveryFail', 'TCPSackRecovery', 'TCPSACKReneging', 'TCPTimeouts', 'TWKilled',
      ].map((counter) => ({ table: 'TcpExt', counter })),
    ]);
  });

  it('finds by exact strcmp: case and trailing spaces count', () => {
    const table = [['A', 'number', ''], ['B', 'number', ''], ['b', 'number', '']] as const;
    expect(findEntry(table, 'b')?.[0]).toBe('b');
    expect(findEntry(table, 'B ')).toBeUndefined();
  });
});

describe('StatisticsPrinter', () => {
  const print = (f: (p: StatisticsPrinter) => void, filter = ALL) => {
    const p = new StatisticsPrinter(filter);
    f(p);
    return p.take();
  };
  const table = (title: string, counters: Record<string, bigint>) => ({
    title,
    counters: Object.entries(counters).map(([name, value]) => ({ name, value })),
  });

  it('number always, opt only when non-zero, static and empty texts never, unknown only when non-zero', () => {
    expect(print((p) => p.counterTables([
      table('Ip', { Forwarding: 1n, DefaultTTL: 64n, InReceives: 0n, InHdrErrors: 0n, InAddrErrors: 2n, Other: 0n, More: 3n }),
      table('Tcp', { RtoAlgorithm: 1n, MaxConn: 18446744073709551615n }),
    ]))).toBe('Ip:\n    Forwarding: 1\n    0 total packets received\n    2 with invalid addresses\n    More: 3\nTcp:\n');
  });

  it('prints a histogram title on its first entry, indented as the line before, even when all are 0', () => {
    expect(print((p) => p.counterTables([table('Icmp', { InDestUnreachs: 0n, InEchos: 2n, OutEchos: 0n }), table('X', { a: 1n })])))
      .toBe('Icmp:\n    ICMP input histogram:\n        echo requests: 2\n        ICMP output histogram:\nX:\n        a: 1\n');
  });

  it('a known table resets the indent even when its filter hides it; an unknown one does not', () => {
    const filter = { raw: false, tcp: true, udp: false, sctp: false };
    expect(print((p) => p.counterTables([table('Icmp', { InEchos: 1n }), table('X', { a: 1n })]), filter)).toBe('X:\n    a: 1\n');
  });

  it('the indent state carries over from one file to the next', () => {
    expect(print((p) => {
      p.counterTables([table('Icmp', { OutEchos: 1n })]);
      p.counterTables([table('IpExt', { InOctets: 1n })]);
    })).toBe('Icmp:\n    ICMP output histogram:\n        echo requests: 1\nIpExt:\n        InOctets: 1\n');
  });

  it('only tables whose title starts with the prefix, with one', () => {
    expect(print((p) => p.counterTables([table('Ip', { InReceives: 1n }), table('Tcp', { ActiveOpens: 1n }), table('TcpX', { a: 1n })], 'Tcp')))
      .toBe('Tcp:\n    1 active connection openings\nTcpX:\n    a: 1\n');
  });
});
