import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, backend } from '../helpers/env';
import { Names } from '../../src/names/names';
import { headerColumns, hexWordAddress } from '../../src/procnet/lines';
import { inetName, inetSprint, sprintMask } from '../../src/format/hosts';
import {
  ipv4CacheColumns, ipv4CacheFlags, ipv4CacheRow, ipv4RouteFlags, ipv4RouteRow, ipv4RouteShown, ipv6RouteFlags,
  ipv6RouteRow, ipv6RouteShown, routeLayout,
} from '../../src/format/routes';
import { parseRoute, type Ipv4Route } from '../../src/procnet/route';
import { parseIpv6Route } from '../../src/procnet/ipv6_route';
import { parseRtCache } from '../../src/procnet/rt_cache';

// Expected texts here were checked against net-tools 2.10 netstat, fed the same lines.

const names = new Names({
  hostsFile: path.join(FIXTURES, 'routes', 'etc', 'hosts'),
  networksFile: path.join(FIXTURES, 'routes', 'etc', 'networks'),
});

const ROUTE_HEADER = 'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT          \n';
const ip = (text: string) => Uint8Array.from(text.split('.').map(Number));

type RouteSpec = Partial<Omit<Ipv4Route, 'destination' | 'gateway' | 'mask'>> & { destination: string; gateway: string; mask: string };

/** A route with dotted-quad addresses, the rest defaulted. */
function route(fields: RouteSpec): Ipv4Route {
  return {
    iface: 'eth0', flags: 1, refCnt: 0, use: 0, metric: 0, mtu: 0, window: 0, irtt: 0,
    ...fields, destination: ip(fields.destination), gateway: ip(fields.gateway), mask: ip(fields.mask),
  };
}

describe(`routing table parsers and formatters (${backend.name})`, () => {
  it('finds /proc/net/route columns by header name, in order, skipping unknown ones', () => {
    expect(headerColumns(ROUTE_HEADER, ['Iface', 'Flags', 'IRTT'])).toEqual({ columns: [0, 3, 10] });
    expect(headerColumns('Iface Extra Destination', ['Iface', 'Destination'])).toEqual({ columns: [0, 2] });
    // proc_gen_fmt looks for the fields in the order given: one out of order is "missing".
    expect(headerColumns('Destination Iface', ['Iface', 'Destination'])).toEqual({ missing: 'Destination' });
  });

  it('takes the byte order of the address words as a parameter', () => {
    expect([...hexWordAddress('010200C0', true)!]).toEqual([192, 0, 2, 1]);
    expect([...hexWordAddress('010200C0', false)!]).toEqual([1, 2, 0, 192]);
    expect(hexWordAddress('010200C', true)).toBeNull();
    expect(hexWordAddress('0102 0C0', true)).toBeNull();
    const text = ROUTE_HEADER + 'eth0\t000200C0\t010200C0\t0003\t1\t2\t3\t00FFFFFF\t1500\t4\t5\n';
    const le = parseRoute(text, true);
    const be = parseRoute(text, false);
    if (!le.ok || !be.ok) throw new Error('parse failed');
    expect([...le.routes[0]!.destination]).toEqual([192, 0, 2, 0]);
    expect([...le.routes[0]!.mask]).toEqual([255, 255, 255, 0]);
    expect([...be.routes[0]!.gateway]).toEqual([1, 2, 0, 192]);
    expect(le.routes[0]).toMatchObject({ iface: 'eth0', flags: 3, refCnt: 1, use: 2, metric: 3, mtu: 1500, window: 4, irtt: 5 });
  });

  it('reports lines it cannot use and the header fields it cannot find', () => {
    const t = parseRoute(
      ROUTE_HEADER +
        'eth0\tZZ0200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
        'eth0\t000200C0\t00000000\n' +
        '\n' +
        'eth0\t000200C0\t00000000\t00G1\t0\t0\t0\t00FFFFFF\t0\t0\t0\n' +
        'eth0\t000200C0\t00000000\t0001\t0\tx\t0\t00FFFFFF\t0\t0\t0\n' +
        // IRTT may be missing; out-of-range numbers wrap as a C int does
        'eth0\t000200C0\t00000000\t0001\t0\t4294967295\t4294967297\t00FFFFFF\t0\t0\n',
      true,
    );
    expect(t.ok && t.problems).toEqual([
      { line: 2, reason: 'bad destination' },
      { line: 3, reason: 'too few fields' },
      { line: 5, reason: 'bad flags' },
      { line: 6, reason: 'bad number' },
    ]);
    expect(t.ok && t.routes.map((r) => [r.use, r.metric, r.irtt])).toEqual([[-1, 1, 0]]);
    expect(parseRoute(ROUTE_HEADER.replace('IRTT', 'Irtt'))).toEqual({ ok: false, missingField: 'IRTT' });
    expect(parseRoute('')).toEqual({ ok: false, missingField: null });
  });

  it('maps the count of -e to netstat layouts: none MSS, -e Metric, -ee both, -eee nothing, -eeee Metric', () => {
    expect([0, 1, 2, 3, 4, 5].map(routeLayout)).toEqual([2, 1, 3, 0, 1, 2]);
  });

  it('spells every IPv4 route flag bit as netstat does, ! replacing U and G', () => {
    const letters = Array.from({ length: 32 }, (_, b) => ipv4RouteFlags(((1 << b) | 1) >>> 0));
    expect(letters).toEqual([
      'U', 'UG', 'UH', 'UR', 'UD', 'UM', 'Uu', 'Uw', 'Ui', '!', 'Un', 'U', 'U', 'U', 'U', 'U',
      'Ud', 'Ua', 'Uc', 'U', 'U', 'Uo', 'Ue', 'U', 'Uc', 'Uf', 'Up', 'U', 'U', 'U', 'U', 'Ul',
    ]);
    expect(ipv4RouteFlags(0xffffffff & ~0x200)).toBe('UGHRDMdacoecfpluwin');
    expect(ipv4RouteFlags(0xffffffff)).toBe('!HRDMdacoecfpluwin');
    expect(ipv4RouteShown(route({ destination: '0.0.0.0', gateway: '0.0.0.0', mask: '0.0.0.0', flags: 0 }))).toBe(false);
  });

  it('prints each layout, with - placeholders for reject routes', () => {
    const gw = route({ destination: '10.9.0.0', gateway: '192.0.2.1', mask: '255.255.0.0', flags: 3, refCnt: 1, use: 12345, metric: 7, mtu: 1400, window: 4096, irtt: 37, iface: 'veth-long-name0' });
    const reject = route({ destination: '203.0.113.0', gateway: '0.0.0.0', mask: '255.255.255.0', flags: 0x201, metric: 20, use: 3, iface: '*' });
    expect(ipv4RouteRow(gw, 2, null)).toBe('10.9.0.0        192.0.2.1       255.255.0.0     UG     1400 4096      37 veth-long-name0\n');
    expect(ipv4RouteRow(gw, 1, null)).toBe('10.9.0.0        192.0.2.1       255.255.0.0     UG    7      1    12345 veth-long-name0\n');
    expect(ipv4RouteRow(gw, 3, null)).toBe('10.9.0.0        192.0.2.1       255.255.0.0     UG    7      1    12345 veth-l   1400  4096   37\n');
    expect(ipv4RouteRow(gw, 0, null)).toBe('');
    expect(ipv4RouteRow(reject, 2, null)).toBe('203.0.113.0     -               255.255.255.0   !         - -          - -\n');
    expect(ipv4RouteRow(reject, 1, null)).toBe('203.0.113.0     -               255.255.255.0   !     20     -        3 -\n');
    expect(ipv4RouteRow(reject, 3, null)).toBe('203.0.113.0     -               255.255.255.0   !     20     -        3 -        -     -      -\n');
  });

  it('names destinations as networks or hosts by their mask and H flag, gateways as hosts, all cut to 15', () => {
    const row = (r: Ipv4Route) => ipv4RouteRow(r, 2, names).slice(0, 48);
    expect(row(route({ destination: '0.0.0.0', gateway: '192.0.2.1', mask: '0.0.0.0', flags: 3 }))).toBe('default         gw.example      0.0.0.0         ');
    expect(row(route({ destination: '0.0.0.0', gateway: '0.0.0.0', mask: '128.0.0.0' }))).toBe('0.0.0.0         0.0.0.0         128.0.0.0       ');
    expect(row(route({ destination: '10.9.0.0', gateway: '0.0.0.0', mask: '255.255.0.0' }))).toBe('tennine         0.0.0.0         255.255.0.0     ');
    expect(row(route({ destination: '198.51.100.0', gateway: '0.0.0.0', mask: '255.255.255.0' }))).toBe('a-very-long-net 0.0.0.0         255.255.255.0   ');
    // host bits set: a host lookup even without H; H on a network number: a host lookup too
    expect(row(route({ destination: '198.51.100.77', gateway: '0.0.0.0', mask: '255.255.255.0' }))).toBe('far-away-host.e 0.0.0.0         255.255.255.0   ');
    expect(row(route({ destination: '192.0.2.0', gateway: '0.0.0.0', mask: '255.255.255.0', flags: 5 }))).toBe('192.0.2.0       0.0.0.0         255.255.255.0   ');
    expect(row(route({ destination: '192.0.2.0', gateway: '0.0.0.0', mask: '255.255.255.0', flags: 1 }))).toBe('testnet-one     0.0.0.0         255.255.255.0   ');
  });

  it('INET_sprint decides host or network by the first octet on little-endian machines', () => {
    expect([...sprintMask(true)]).toEqual([0, 255, 255, 255]);
    expect([...sprintMask(false)]).toEqual([255, 255, 255, 0]);
    expect(inetSprint(ip('192.0.2.0'), names, true)).toBe('192.0.2.0'); // a host lookup, no name
    expect(inetSprint(ip('192.0.2.0'), names, false)).toBe('testnet-one');
    expect(inetSprint(ip('0.0.0.0'), names, true)).toBe('0.0.0.0');
    expect(inetSprint(ip('224.0.0.251'), names, true)).toBe('mdns.mcast.net');
    expect(inetName(ip('0.0.0.0'), names, ip('0.0.0.0'), false)).toBe('default');
    expect(inetName(ip('192.0.2.1'), null, ip('0.0.0.0'), true)).toBe('192.0.2.1');
  });

  it('parses /proc/net/ipv6_route: network-order addresses, signed metric, Ref before Use', () => {
    const t = parseIpv6Route(
      '20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000002 00000007 00000001     eth0\n' +
        '00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n' +
        'garbage\n' +
        '2001:db8::1 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000001 00000002 00000003 00000001 eth0\n',
    );
    expect(t.problems).toEqual([{ line: 3, reason: 'too few fields' }, { line: 4, reason: 'bad destination' }]);
    expect(t.routes.map((r) => ipv6RouteRow(r, null))).toEqual([
      '2001:db8:1::/64                ::                         U    256 2      7 eth0\n',
      '::/0                           ::                         !n   -1  1      0 lo\n',
    ]);
    expect(t.routes.map((r) => ipv6RouteRow(r, names))).toEqual([
      '2001:db8:1::/64                [::]                       U    256 2      7 eth0\n',
      '[::]/0                         [::]                       !n   -1  1      0 lo\n',
    ]);
  });

  it('spells IPv6 flags U ! G H D A C a e m n f, keeps routes that are not up, and leaves cached clones to -C', () => {
    expect(ipv6RouteFlags(0xffffffff)).toBe('U!GHDACaemnf');
    expect(ipv6RouteFlags(0x00200200)).toBe('!n');
    expect(ipv6RouteFlags(0)).toBe('');
    const [fib, clone] = parseIpv6Route(
      '20010db8000000000000000000000003 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000000 00000000 00000000 eth0\n' +
        '20010db8000000000000000000000018 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000000 00000000 01000001 eth0\n',
    ).routes;
    expect([ipv6RouteShown(fib!, false), ipv6RouteShown(fib!, true)]).toEqual([true, false]);
    expect([ipv6RouteShown(clone!, false), ipv6RouteShown(clone!, true)]).toEqual([false, true]);
    expect(ipv6RouteRow(fib!, null)).toBe('2001:db8::3/128                ::                              0   0      0 eth0\n');
  });

  it('parses both /proc/net/rt_cache layouts and prints their rows', () => {
    const v22 = parseRtCache(
      'Iface\tDestination\tGateway \tFlags\t\tRefCnt\tUse\tMetric\tSource\t\tMTU\tWindow\tIRTT\tTOS\tHHRef\tHHUptod\tSpecDst\n' +
        'eth0\t010200C0\t010200C0\tFFFFFDFF\t1\t2\t3\t0A0200C0\t1500\t5\t6\t1A\t-1\t1\t0B0200C0\n' +
        'verylongifname0\t00000000\t00000000\t0\t-5\t-6\t-7\t00000000\t0\t0\t0\t0\t0\t0\t00000000\n',
      true,
    )!;
    expect(v22).toMatchObject({ headerMask: 63, layout: 2, missingField: null, problems: [] });
    expect(v22.entries.map((e) => ipv4CacheRow(e, 3, 2, null))).toEqual([
      // TOS 1A: netstat reads 1 and stops there (see parseRtCache)
      '192.0.2.10      192.0.2.1       192.0.2.1       GRDM-ondtfqNsriNdbm#l 3      1        2 eth0     1500  5      6     1   0     0        192.0.2.10\n',
      '0.0.0.0         0.0.0.0         0.0.0.0               -7     -5      -6 verylo   0     0      0     0   0     0           0.0.0.0\n',
    ]);
    expect(ipv4CacheRow(v22.entries[0]!, 2, 2, null)).toBe('192.0.2.10      192.0.2.1       192.0.2.1       GRDM-ondtfqNsriNdbm#l  1500 5          6 eth0\n');
    const v20 = parseRtCache(
      'Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tSource\t\tMTU\tWindow\tIRTT\tHH\tARP\n' +
        'eth0\t020200C0\t010200C0\tFFFFFDFF\t1\t2\t3\t0A0200C0\t1500\t5\t6\t-1\t1\n',
      true,
    )!;
    expect(v20).toMatchObject({ headerMask: 97, layout: 1 });
    expect(ipv4CacheRow(v20.entries[0]!, 1, 1, null)).toBe('192.0.2.10      192.0.2.2       192.0.2.1       UHGRDMndtfqNsriNdbm#l 3      1        2 eth0\n');
    expect(ipv4CacheRow(v20.entries[0]!, 3, 1, null)).toBe('192.0.2.10      192.0.2.2       192.0.2.1       UHGRDMndtfqNsriNdbm#l 3      1        2 eth0     1500  5      6     -1  1\n');
    expect(ipv4CacheFlags(0x201, 1)).toBe('!');
    expect(ipv4CacheColumns(3, 1)).toBe('Source          Destination     Gateway         Flags Metric Ref    Use Iface    MSS   Window irtt  HH  Arp\n');
    expect(ipv4CacheColumns(3, null)).toBe('');
    expect(parseRtCache('Iface\tDestination\n')).toMatchObject({ headerMask: 0, layout: null, entries: [] });
    expect(parseRtCache('Iface TOS HHRef HHUptod SpecDst IRTT\n')).toMatchObject({ layout: 2, missingField: 'Destination' });
    expect(parseRtCache('')).toBeNull();
  });
});
