import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, backend } from '../helpers/env';
import { Names } from '../../src/names/names';
import { bogusLineWarning, groupRow } from '../../src/format/groups';
import { parseIgmp } from '../../src/procnet/igmp';
import { parseIgmp6 } from '../../src/procnet/igmp6';

// Expected texts here were checked against net-tools 2.10 netstat, fed the same lines.

const HEADER = 'Idx\tDevice    : Count Querier\tGroup    Users Timer\tReporter\n';
const names = new Names({ hostsFile: path.join(FIXTURES, 'routes', 'etc', 'hosts') });

describe(`group membership parsers and formatters (${backend.name})`, () => {
  it('reads /proc/net/igmp groups as host-order words under the device line before them', () => {
    const text = HEADER + '1\tlo        :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n' +
      '2\teth0      :     2      V3\n\t\t\t\t030201EF     2 1:000003E8\t\t1\n';
    const le = parseIgmp(text, true);
    expect(le.bogusLines).toEqual([]);
    expect(le.groups.map((g) => groupRow(g, null, true))).toEqual([
      'lo              1      224.0.0.1\n',
      'eth0            2      239.1.2.3\n',
    ]);
    const be = parseIgmp(text, false);
    expect([...be.groups[0]!.group]).toEqual([1, 0, 0, 224]);
  });

  it('takes the device name up to the colon, 15 characters at most, spaces and all', () => {
    const g = parseIgmp(
      HEADER + '3\tveth-long-name0:     1      V2\n\t\t\t\t010000E0     1 0:0\t\t0\n' +
        '4\tveth-long12:     1      V3\n\t\t\t\t010000E0     1 0:0\t\t0\n' +
        '5\tab cd     :     1      V3\n\t\t\t\t010000E0     1 0:0\t\t0\n',
      true,
    );
    expect(g.groups.map((m) => groupRow(m, null, true))).toEqual([
      'veth-long-name0 1      224.0.0.1\n',
      'veth-long12     1      224.0.0.1\n',
      'ab cd           1      224.0.0.1\n',
    ]);
    // Linux 2.0 files have no index column
    const old = parseIgmp('Device    : Count Querier\nlo        :     1      V3\n\t\t\t\t010000E0     1 0:00000000\t\t0\n', true);
    expect(old.groups.map((m) => m.device.trimEnd())).toEqual(['lo']);
  });

  it('counts bogus lines from 0 as netstat does, and wraps users to an int', () => {
    const g = parseIgmp(
      HEADER + '\t\t\t\t020000E0     1 0:00000000\t\t0\n' + '1\tlo        :     1      V3\n' + '\t\t\t\tXYZ\n' +
        'bogus device line\n' + '\n' + '\t\t\t\t010000E0 4294967297 0:00000000\t\t0\n',
      true,
    );
    expect(g.bogusLines).toEqual([3, 4, 5]);
    expect(g.groups.map((m) => groupRow(m, null, true))).toEqual([
      '                1      224.0.0.2\n',
      'lo              1      224.0.0.1\n',
    ]);
    expect(bogusLineWarning(4, 3)).toBe('warning, got bogus igmp line 3.\n');
    expect(bogusLineWarning(6, 0)).toBe('warning, got bogus igmp6 line 0.\n');
  });

  it('reads /proc/net/igmp6 addresses in network order; a line that does not scan is bogus', () => {
    const g = parseIgmp6(
      '1    lo              ff020000000000000000000000000001     1 0000000C 0\n' +
        'bad line\n' +
        '2    eth0            ff02::1     1 00000004 0\n' +
        '3    veth-long-name0 ff0200000000000000000000000000fb     2 00000004 0\n',
    );
    expect(g.bogusLines).toEqual([1, 2]);
    expect(g.groups.map((m) => groupRow(m, null))).toEqual([
      'lo              1      ff02::1\n',
      'veth-long-name0 2      ff02::fb\n',
    ]);
  });

  it('names groups by host lookups, IPv4 and IPv6', () => {
    const v4 = parseIgmp(HEADER + '1\teth0      :     1      V3\n\t\t\t\tFB0000E0     1 0:0\t\t0\n\t\t\t\t010000E0     1 0:0\t\t0\n', true);
    expect(v4.groups.map((m) => groupRow(m, names, true))).toEqual([
      'eth0            1      mdns.mcast.net\n',
      'eth0            1      224.0.0.1\n',
    ]);
    const v6 = parseIgmp6('1    lo              ff020000000000000000000000000001     1 0000000C 0\n');
    expect(groupRow(v6.groups[0]!, names)).toBe('lo              1      ip6-allnodes\n');
  });
});
