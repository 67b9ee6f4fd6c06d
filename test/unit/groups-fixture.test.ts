import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, FIXTURES, backend } from '../helpers/env';
import { netsnap, type Run } from '../helpers/cli';

// netsnap -g on hand-made /proc trees. The expected texts are what net-tools 2.10 netstat prints
// for the same files (groups-oracle.test.ts checks that on machines where it can).

const GROUPS = path.join(FIXTURES, 'groups', 'proc');
const NO_IGMP = path.join(FIXTURES, 'groups-no-igmp', 'proc');
const MALFORMED = path.join(FIXTURES, 'groups-malformed', 'proc');
const ETC = path.join(FIXTURES, 'routes', 'etc');

// Names come from /etc/hosts: the non-numeric table runs netsnap in a private mount namespace
// where that is the fixture's file (root: unshare -m; others: an unprivileged user namespace).
const UNSHARE = process.getuid?.() === 0 ? ['-m'] : ['-Urm'];
const BIND = `mount --bind "$1" /etc/hosts && { mount --bind "$2" /etc/resolv.conf 2>/dev/null || true; } && shift 2 && exec "$@"`;

function withNames(args: string[]): Run {
  const r = spawnSync('unshare', [...UNSHARE, 'sh', '-c', BIND, 'sh', `${ETC}/hosts`, `${ETC}/resolv.conf`, process.execPath, CLI, ...args], {
    encoding: 'latin1', env: { ...process.env, LANG: 'C' }, timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const canBindNames = (() => {
  const r = spawnSync('unshare', [...UNSHARE, 'sh', '-c', BIND, 'sh', `${ETC}/hosts`, `${ETC}/resolv.conf`, 'cat', '/etc/hosts'], { encoding: 'latin1' });
  return r.status === 0 && r.stdout.includes('my-group.example');
})();

const HEADER =
  'IPv6/IPv4 Group Memberships\n' +
  'Interface       RefCnt Group\n' +
  '--------------- ------ ---------------------\n';

const IPV4_ROWS =
  'lo              1      224.0.0.1\n' +
  'eth0            2      239.1.2.3\n' +
  'eth0            1      224.0.0.251\n' +
  'eth0            1      224.0.0.1\n' +
  'veth-long-name0 1      224.0.0.1\n';

const IPV6_ROWS =
  'lo              1      ff02::1\n' +
  'lo              1      ff01::1\n' +
  'eth0            2      ff05::1:3\n' +
  'eth0            1      ff02::1:ff00:2\n' +
  'eth0            1      ff02::1\n' +
  'veth-long-name0 1      ff02::fb\n' +
  'veth-long-name0 1      ff02::1\n';

// -4 and -6 also turn on the Internet table (whose files these trees lack: silently empty).
const INET_HEADER =
  'Active Internet connections (w/o servers)\n' +
  'Proto Recv-Q Send-Q Local Address           Foreign Address         State      \n';

function ok(r: Run, stdout: string): void {
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(stdout);
  expect(r.status).toBe(0);
}

describe(`netsnap -g on fixture trees (${backend.name})`, () => {
  it('-gn: IPv4 groups per device, then IPv6 ones, in file order', () => {
    ok(netsnap(['-gn', '--proc-root', GROUPS]), HEADER + IPV4_ROWS + IPV6_ROWS);
  });

  it('-g -4 and -g -6 pick a family and print the Internet table first', () => {
    ok(netsnap(['-g', '-4n', '--proc-root', GROUPS]), INET_HEADER + HEADER + IPV4_ROWS);
    ok(netsnap(['-g', '-6n', '--proc-root', GROUPS]), INET_HEADER + HEADER + IPV6_ROWS);
    ok(netsnap(['-gn', '-A', 'inet6', '--proc-root', GROUPS]), INET_HEADER + HEADER + IPV6_ROWS);
  });

  it('a missing igmp: an error and status 1 with -g, silence with -g -4; igmp6 missing is always silent', () => {
    const r = netsnap(['-gn', '--proc-root', NO_IGMP]);
    expect(r.stdout).toBe(HEADER + IPV6_ROWS);
    expect(r.stderr).toBe("netsnap: no support for `AF INET (igmp)' on this system.\n");
    expect(r.status).toBe(1);
    ok(netsnap(['-g', '-4n', '--proc-root', NO_IGMP]), INET_HEADER + HEADER);
    const none = path.join(FIXTURES, 'groups-nothing-here');
    const g6 = netsnap(['-g', '-6n', '--proc-root', none]);
    expect([g6.stdout, g6.status]).toEqual([INET_HEADER + HEADER, 0]);
  });

  it('warns about bogus lines as netstat does and prints the rest', () => {
    const r = netsnap(['-gn', '--proc-root', MALFORMED]);
    expect(r.stdout).toBe(
      HEADER +
        '                1      224.0.0.2\n' +
        'lo              1      224.0.0.1\n' +
        'ab cd           -1     224.0.0.1\n' +
        'ab cd           1      224.0.0.1\n' +
        'lo              1      ff02::1\n' +
        'eth0            7      ff02::2\n',
    );
    expect(r.stderr).toBe(
      'warning, got bogus igmp line 4.\n' +
        'warning, got bogus igmp line 5.\n' +
        'warning, got bogus igmp6 line 1.\n' +
        'warning, got bogus igmp6 line 2.\n',
    );
    expect(r.status).toBe(0);
  });
});

describe.skipIf(!canBindNames)(`netsnap -g names on fixture trees (${backend.name})`, () => {
  const named =
    HEADER +
    'lo              1      224.0.0.1\n' +
    'eth0            2      my-group.example\n' +
    'eth0            1      mdns.mcast.net\n' +
    'eth0            1      224.0.0.1\n' +
    'veth-long-name0 1      224.0.0.1\n' +
    'lo              1      ip6-allnodes\n' +
    'lo              1      ff01::1\n' +
    'eth0            2      ff05::1:3\n' +
    'eth0            1      ff02::1:ff00:2\n' +
    'eth0            1      ip6-allnodes\n' +
    'veth-long-name0 1      mdnsv6.example\n' +
    'veth-long-name0 1      ip6-allnodes\n';

  it('-g: host names for groups that have one', () => {
    ok(withNames(['-g', '--proc-root', GROUPS]), named);
  });

  it('-N does not make the group table numeric; --numeric-hosts does', () => {
    ok(withNames(['-gN', '--proc-root', GROUPS]), named);
    ok(withNames(['-g', '--numeric-hosts', '--proc-root', GROUPS]), HEADER + IPV4_ROWS + IPV6_ROWS);
  });
});
