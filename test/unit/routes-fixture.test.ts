import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, FIXTURES, backend } from '../helpers/env';
import { netsnap, type Run } from '../helpers/cli';

// netsnap -r on hand-made /proc trees. The expected texts are what net-tools 2.10 netstat prints
// for the same files (routes-oracle.test.ts checks that on machines where it can).

const ROUTES = path.join(FIXTURES, 'routes', 'proc');
const CACHE = path.join(FIXTURES, 'routes-cache', 'proc');
const NO_IPV6 = path.join(FIXTURES, 'routes-no-ipv6', 'proc');
const ETC = path.join(FIXTURES, 'routes', 'etc');

/**
 * Names come from /etc/hosts and /etc/networks, so the non-numeric layouts run netsnap in a
 * private mount namespace where those are the fixture's files (and DNS points at a closed local
 * port). Root may use `unshare -m`; others need an unprivileged user namespace.
 */
const UNSHARE = process.getuid?.() === 0 ? ['-m'] : ['-Urm'];
const BIND = `mount --bind "$1" /etc/hosts && mount --bind "$2" /etc/networks && { mount --bind "$3" /etc/resolv.conf 2>/dev/null || true; } && shift 3 && exec "$@"`;

function withNames(args: string[]): Run {
  const r = spawnSync(
    'unshare',
    [...UNSHARE, 'sh', '-c', BIND, 'sh', `${ETC}/hosts`, `${ETC}/networks`, `${ETC}/resolv.conf`, process.execPath, CLI, ...args],
    { encoding: 'latin1', env: { ...process.env, LANG: 'C' }, timeout: 60_000 },
  );
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const canBindNames = (() => {
  const r = spawnSync('unshare', [...UNSHARE, 'sh', '-c', BIND, 'sh', `${ETC}/hosts`, `${ETC}/networks`, `${ETC}/resolv.conf`, 'cat', '/etc/hosts'], { encoding: 'latin1' });
  return r.status === 0 && r.stdout.includes('gw.example');
})();

const IPV4_NUMERIC =
  'Kernel IP routing table\n' +
  'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n' +
  '0.0.0.0         192.0.2.1       0.0.0.0         UG        0 0          0 eth0\n' +
  '10.9.0.0        192.0.2.1       255.255.0.0     UG     1400 4096      37 eth0\n' +
  '192.0.2.0       0.0.0.0         255.255.255.0   U         0 0          0 eth0\n' +
  '192.0.2.128     -               255.255.255.128 !         - -          - -\n' +
  '198.51.100.0    0.0.0.0         255.255.255.0   U         0 0          0 veth-long-name0\n' +
  '198.51.100.77   192.0.2.1       255.255.255.255 UGH    1500 0          0 eth0\n' +
  '203.0.113.0     -               255.255.255.0   !         - -          - -\n' +
  '203.0.113.128   0.0.0.0         255.255.255.128 U         0 0          0 *\n' +
  '0.0.0.0         0.0.0.0         128.0.0.0       U         0 0          0 eth0\n';

const IPV6_NUMERIC =
  'Kernel IPv6 routing table\n' +
  'Destination                    Next Hop                   Flag Met Ref  Use If\n' +
  '2001:db8:1::/64                ::                         U    256 2      0 eth0\n' +
  '2001:db8:beef::/48             ::                         !n   1024 1      0 lo\n' +
  '2001:db8:dead::/48             ::                         !n   1024 2      0 lo\n' +
  'fe80::/64                      ::                         U    256 1      0 eth0\n' +
  '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff/128 fe80::1:2:3:4              UG   1024 1      7 veth-long-name0\n' +
  '::/0                           2001:db8:1::1              UG   1024 1      0 eth0\n' +
  '::/0                           fe80::1                    UGDAe 1024 3      0 eth0\n' +
  '::1/128                        ::                         Un   0   3      0 lo\n' +
  '2001:db8:1::10/128             ::                         Un   0   2      0 eth0\n' +
  'ff00::/8                       ::                         U    256 4      0 eth0\n' +
  '::/0                           ::                         !n   -1  1      0 lo\n';

const CACHE_ROWS =
  '192.0.2.10      198.51.100.7    192.0.2.1       G      1500 0          0 eth0\n' +
  '192.0.2.1       192.0.2.10      192.0.2.10      l         0 0          0 lo\n' +
  '192.0.2.10      224.0.0.251     224.0.0.251     bm     1500 0          0 eth0\n' +
  '198.51.100.1    203.0.113.9     0.0.0.0         !#        0 0          0 veth-long-name0\n';

function ok(r: Run, stdout: string): void {
  expect(r.stderr).toBe('');
  expect(r.stdout).toBe(stdout);
  expect(r.status).toBe(0);
}

describe(`netsnap -r on fixture trees (${backend.name})`, () => {
  it('-rn: up routes in file order, reject routes with - placeholders, blackholes on *', () => {
    ok(netsnap(['-rn', '--proc-root', ROUTES]), IPV4_NUMERIC);
  });

  it('-N and --numeric-hosts are numeric for routes too, --numeric-ports is not needed', () => {
    ok(netsnap(['-rN', '--proc-root', ROUTES]), IPV4_NUMERIC);
    ok(netsnap(['-r', '--numeric-hosts', '--proc-root', ROUTES]), IPV4_NUMERIC);
  });

  it('-rne: Metric Ref Use', () => {
    ok(
      netsnap(['-rne', '--proc-root', ROUTES]),
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n' +
        '0.0.0.0         192.0.2.1       0.0.0.0         UG    100    0        0 eth0\n' +
        '10.9.0.0        192.0.2.1       255.255.0.0     UG    7      1    12345 eth0\n' +
        '192.0.2.0       0.0.0.0         255.255.255.0   U     100    0        0 eth0\n' +
        '192.0.2.128     -               255.255.255.128 !     0      -        3 -\n' +
        '198.51.100.0    0.0.0.0         255.255.255.0   U     0      0        0 veth-long-name0\n' +
        '198.51.100.77   192.0.2.1       255.255.255.255 UGH   0      2       99 eth0\n' +
        '203.0.113.0     -               255.255.255.0   !     20     -        0 -\n' +
        '203.0.113.128   0.0.0.0         255.255.255.128 U     0      0        0 *\n' +
        '0.0.0.0         0.0.0.0         128.0.0.0       U     0      0        0 eth0\n',
    );
  });

  it('-rnee: both column sets, the interface cut to 6', () => {
    ok(
      netsnap(['-rnee', '--proc-root', ROUTES]),
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt\n' +
        '0.0.0.0         192.0.2.1       0.0.0.0         UG    100    0        0 eth0     0     0      0\n' +
        '10.9.0.0        192.0.2.1       255.255.0.0     UG    7      1    12345 eth0     1400  4096   37\n' +
        '192.0.2.0       0.0.0.0         255.255.255.0   U     100    0        0 eth0     0     0      0\n' +
        '192.0.2.128     -               255.255.255.128 !     0      -        3 -        -     -      -\n' +
        '198.51.100.0    0.0.0.0         255.255.255.0   U     0      0        0 veth-l   0     0      0\n' +
        '198.51.100.77   192.0.2.1       255.255.255.255 UGH   0      2       99 eth0     1500  0      0\n' +
        '203.0.113.0     -               255.255.255.0   !     20     -        0 -        -     -      -\n' +
        '203.0.113.128   0.0.0.0         255.255.255.128 U     0      0        0 *        0     0      0\n' +
        '0.0.0.0         0.0.0.0         128.0.0.0       U     0      0        0 eth0     0     0      0\n',
    );
  });

  it('-reee prints the title alone; -reeee is the Metric layout again', () => {
    ok(netsnap(['-rneee', '--proc-root', ROUTES]), 'Kernel IP routing table\n');
    expect(netsnap(['-rneeee', '--proc-root', ROUTES]).stdout.split('\n')[1]).toBe(
      'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
    );
  });

  it('-6rn: every IPv6 route but cached clones, signed metric, long addresses widen the row', () => {
    ok(netsnap(['-6rn', '--proc-root', ROUTES]), IPV6_NUMERIC);
    ok(netsnap(['-rn', '-A', 'inet6', '--proc-root', ROUTES]), IPV6_NUMERIC);
    // -e has no effect on the IPv6 table
    ok(netsnap(['-6rnee', '--proc-root', ROUTES]), IPV6_NUMERIC);
  });

  it('-46rn and -64rn print both tables in command-line order; repeats print again', () => {
    ok(netsnap(['-46rn', '--proc-root', ROUTES]), IPV4_NUMERIC + IPV6_NUMERIC);
    ok(netsnap(['-64rn', '--proc-root', ROUTES]), IPV6_NUMERIC + IPV4_NUMERIC);
    ok(netsnap(['-rn', '-A', 'inet,inet', '--proc-root', ROUTES]), IPV4_NUMERIC + IPV4_NUMERIC);
  });

  it('-C prints the routing caches instead of the FIB, -CF both', () => {
    const title = 'Kernel IP routing cache\n';
    const cols = 'Source          Destination     Gateway         Flags   MSS Window  irtt Iface\n';
    // what modern kernels have: a header and no rows
    ok(netsnap(['-rnC', '--proc-root', ROUTES]), title + cols);
    ok(
      netsnap(['-rnCee', '--proc-root', ROUTES]),
      title + 'Source          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst\n',
    );
    ok(netsnap(['-rnC', '--proc-root', CACHE]), title + cols + CACHE_ROWS);
    ok(
      netsnap(['-rnCF', '--proc-root', CACHE]),
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n' +
        '0.0.0.0         192.0.2.1       0.0.0.0         UG        0 0          0 eth0\n' +
        '10.9.0.0        192.0.2.1       255.255.0.0     UG     1400 4096      37 eth0\n' +
        '192.0.2.0       0.0.0.0         255.255.255.0   U         0 0          0 eth0\n' +
        title + cols + CACHE_ROWS,
    );
    const v6cache =
      'Kernel IPv6 routing cache\n' +
      'Destination                    Next Hop                   Flag Met Ref  Use If\n' +
      '2001:db8:2::5/128              2001:db8:1::1              UGC  0   1      4 eth0\n';
    ok(netsnap(['-6rnC', '--proc-root', CACHE]), v6cache);
    ok(netsnap(['-46rnC', '--proc-root', CACHE]), title + cols + CACHE_ROWS + v6cache);
  });

  it('a missing file: perror on stderr, "not configured" on stdout, status 1, after the tables before it', () => {
    const v6 = netsnap(['-6rn', '--proc-root', NO_IPV6]);
    expect(v6.stdout).toBe('INET6 (IPv6) not configured in this system.\n');
    expect(v6.stderr).toBe(`${NO_IPV6}/net/ipv6_route: No such file or directory\n`);
    expect(v6.status).toBe(1);
    const both = netsnap(['-46rn', '--proc-root', NO_IPV6]);
    expect(both.stdout).toBe(
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n' +
        '0.0.0.0         192.0.2.1       0.0.0.0         UG        0 0          0 eth0\n' +
        '10.9.0.0        192.0.2.1       255.255.0.0     UG     1400 4096      37 eth0\n' +
        '192.0.2.0       0.0.0.0         255.255.255.0   U         0 0          0 eth0\n' +
        'INET6 (IPv6) not configured in this system.\n',
    );
    expect(both.status).toBe(1);
    const cache = netsnap(['-rnC', '--proc-root', NO_IPV6]);
    expect(cache.stdout).toBe('INET (IPv4) not configured in this system.\n');
    expect(cache.stderr).toBe(`${NO_IPV6}/net/rt_cache: No such file or directory\n`);
    expect(cache.status).toBe(1);
    const none = netsnap(['-rn', '--proc-root', path.join(FIXTURES, 'routes-nothing-here')]);
    expect(none.stdout).toBe('INET (IPv4) not configured in this system.\n');
    expect(none.status).toBe(1);
  });

  it('a header without a required field: the title and columns, a warning, status 1', () => {
    const root = path.join(FIXTURES, 'routes-missing-field', 'proc');
    const r = netsnap(['-rne', '--proc-root', root]);
    expect(r.stdout).toBe('Kernel IP routing table\nDestination     Gateway         Genmask         Flags Metric Ref    Use Iface\n');
    expect(r.stderr).toBe(`warning: ${root}/net/route does not contain required field IRTT\n`);
    expect(r.status).toBe(1);
  });

  it('skips malformed lines and says which (netstat prints garbage for them)', () => {
    const root = path.join(FIXTURES, 'routes-malformed', 'proc');
    const r4 = netsnap(['-rn', '--proc-root', root]);
    expect(r4.stdout).toBe(
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n' +
        '0.0.0.0         192.0.2.1       0.0.0.0         UG        0 0          0 eth0\n' +
        '192.0.2.0       0.0.0.0         255.255.255.0   U         0 0          0 eth0\n',
    );
    expect(r4.stderr).toBe(
      `netsnap: ${root}/net/route:3: line skipped: bad destination\n` +
        `netsnap: ${root}/net/route:4: line skipped: too few fields\n`,
    );
    expect(r4.status).toBe(0);
    const r6 = netsnap(['-6rn', '--proc-root', root]);
    expect(r6.stdout).toBe(
      'Kernel IPv6 routing table\n' +
        'Destination                    Next Hop                   Flag Met Ref  Use If\n' +
        '2001:db8:1::/64                ::                         U    256 2      0 eth0\n' +
        '::/0                           ::                         !n   -1  1      0 lo\n',
    );
    expect(r6.stderr).toBe(
      `netsnap: ${root}/net/ipv6_route:2: line skipped: too few fields\n` +
        `netsnap: ${root}/net/ipv6_route:3: line skipped: too few fields\n` +
        `netsnap: ${root}/net/ipv6_route:4: line skipped: bad destination\n`,
    );
  });

  it('has no routing for unix: status 3 where the family comes in the list', () => {
    const unix = netsnap(['-rA', 'unix', '--proc-root', ROUTES]);
    expect([unix.stdout, unix.stderr, unix.status]).toEqual(['', "No routing for address family `unix'.\n", 3]);
    const after = netsnap(['-rn4x', '--proc-root', ROUTES]);
    expect([after.stdout, after.stderr, after.status]).toEqual([IPV4_NUMERIC, "No routing for address family `unix'.\n", 3]);
    const before = netsnap(['-rnx4', '--proc-root', ROUTES]);
    expect([before.stdout, before.stderr, before.status]).toEqual(['', "No routing for address family `unix'.\n", 3]);
  });
});

describe.skipIf(!canBindNames)(`netsnap -r names on fixture trees (${backend.name})`, () => {
  it('-r: default, /etc/networks names for networks, host names for hosts and gateways, all cut to 15', () => {
    ok(
      withNames(['-r', '--proc-root', ROUTES]),
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags   MSS Window  irtt Iface\n' +
        'default         gw.example      0.0.0.0         UG        0 0          0 eth0\n' +
        'tennine         gw.example      255.255.0.0     UG     1400 4096      37 eth0\n' +
        'testnet-one     0.0.0.0         255.255.255.0   U         0 0          0 eth0\n' +
        '192.0.2.128     -               255.255.255.128 !         - -          - -\n' +
        'a-very-long-net 0.0.0.0         255.255.255.0   U         0 0          0 veth-long-name0\n' +
        'far-away-host.e gw.example      255.255.255.255 UGH    1500 0          0 eth0\n' +
        '203.0.113.0     -               255.255.255.0   !         - -          - -\n' +
        '203.0.113.128   0.0.0.0         255.255.255.128 U         0 0          0 *\n' +
        '0.0.0.0         0.0.0.0         128.0.0.0       U         0 0          0 eth0\n',
    );
  });

  it('-re and -ree', () => {
    ok(
      withNames(['-re', '--proc-root', ROUTES]),
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface\n' +
        'default         gw.example      0.0.0.0         UG    100    0        0 eth0\n' +
        'tennine         gw.example      255.255.0.0     UG    7      1    12345 eth0\n' +
        'testnet-one     0.0.0.0         255.255.255.0   U     100    0        0 eth0\n' +
        '192.0.2.128     -               255.255.255.128 !     0      -        3 -\n' +
        'a-very-long-net 0.0.0.0         255.255.255.0   U     0      0        0 veth-long-name0\n' +
        'far-away-host.e gw.example      255.255.255.255 UGH   0      2       99 eth0\n' +
        '203.0.113.0     -               255.255.255.0   !     20     -        0 -\n' +
        '203.0.113.128   0.0.0.0         255.255.255.128 U     0      0        0 *\n' +
        '0.0.0.0         0.0.0.0         128.0.0.0       U     0      0        0 eth0\n',
    );
    ok(
      withNames(['-ree', '--proc-root', ROUTES]),
      'Kernel IP routing table\n' +
        'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface    MSS   Window irtt\n' +
        'default         gw.example      0.0.0.0         UG    100    0        0 eth0     0     0      0\n' +
        'tennine         gw.example      255.255.0.0     UG    7      1    12345 eth0     1400  4096   37\n' +
        'testnet-one     0.0.0.0         255.255.255.0   U     100    0        0 eth0     0     0      0\n' +
        '192.0.2.128     -               255.255.255.128 !     0      -        3 -        -     -      -\n' +
        'a-very-long-net 0.0.0.0         255.255.255.0   U     0      0        0 veth-l   0     0      0\n' +
        'far-away-host.e gw.example      255.255.255.255 UGH   0      2       99 eth0     1500  0      0\n' +
        '203.0.113.0     -               255.255.255.0   !     20     -        0 -        -     -      -\n' +
        '203.0.113.128   0.0.0.0         255.255.255.128 U     0      0        0 *        0     0      0\n' +
        '0.0.0.0         0.0.0.0         128.0.0.0       U     0      0        0 eth0     0     0      0\n',
    );
  });

  it('-6r: [::] for the unspecified address, host names for the rest, nothing cut', () => {
    ok(
      withNames(['-6r', '--proc-root', ROUTES]),
      'Kernel IPv6 routing table\n' +
        'Destination                    Next Hop                   Flag Met Ref  Use If\n' +
        '2001:db8:1::/64                [::]                       U    256 2      0 eth0\n' +
        '2001:db8:beef::/48             [::]                       !n   1024 1      0 lo\n' +
        '2001:db8:dead::/48             [::]                       !n   1024 2      0 lo\n' +
        'fe80::/64                      [::]                       U    256 1      0 eth0\n' +
        'long-v6.example/128            fe80::1:2:3:4              UG   1024 1      7 veth-long-name0\n' +
        '[::]/0                         v6gw.example               UG   1024 1      0 eth0\n' +
        '[::]/0                         router.example             UGDAe 1024 3      0 eth0\n' +
        'localhost/128                  [::]                       Un   0   3      0 lo\n' +
        '2001:db8:1::10/128             [::]                       Un   0   2      0 eth0\n' +
        'ff00::/8                       [::]                       U    256 4      0 eth0\n' +
        '[::]/0                         [::]                       !n   -1  1      0 lo\n',
    );
  });

  it('-rCee: the cache names every address as INET_sprint does, uncut, SpecDst right-aligned', () => {
    ok(
      withNames(['-rCee', '--proc-root', CACHE]),
      'Kernel IP routing cache\n' +
        'Source          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   Window irtt  TOS HHRef HHUptod     SpecDst\n' +
        'me.example      198.51.100.7    gw.example      G     0      1       42 eth0     1500  0      0     0   1     1        me.example\n' +
        'gw.example      me.example      me.example      l     0      2        7 lo       0     0      0     10  -1    0        me.example\n' +
        'me.example      mdns.mcast.net  mdns.mcast.net  bm    0      1        3 eth0     1500  0      0     0   1     1        me.example\n' +
        '198.51.100.1    203.0.113.9     0.0.0.0         !#    0      0        0 veth-l   0     0      0     0   0     0           0.0.0.0\n',
    );
  });
});
