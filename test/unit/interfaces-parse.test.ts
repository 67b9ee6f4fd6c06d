import { describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { byteSizeText, flagLetters, flagsText, interfaceRow } from '../../src/format/interfaces';
import { IFF, guessIpv4Config, interfaceList, ioctlFlags, nstrcmp } from '../../src/procnet/interface_list';
import { parseNetDev, zeroStats } from '../../src/procnet/dev';
import { parseIfInet6 } from '../../src/procnet/if_inet6';

const HEAD3 =
  'Inter-|   Receive                                                |  Transmit\n' +
  ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

describe(`interface table parsers and formatters (${backend.name})`, () => {
  it('nstrcmp orders like net-tools (its own NSTRCMP_TEST cases)', () => {
    const sign = (n: number) => Math.sign(n);
    const cases: Array<[string, string, number]> = [
      ['eth1', 'eth1', 0], ['eth0:1', 'eth0:1', 0], ['lan', 'lan', 0], ['100', '100', 0], ['', '', 0], [':', ':', 0],
      ['a:b:c', 'a:b:c', 0], ['a:', 'a:', 0], [':a', ':a', 0],
      ['a', 'aa', -1], ['eth0', 'eth1', -1], ['eth1', 'eth20', -1], ['eth20', 'eth100', -1], ['eth1', 'eth13', -1],
      ['eth', 'eth2', -1], ['eth0:1', 'eth0:2', -1], ['eth1:10', 'eth13:10', -1], ['eth1:1', 'eth1:13', -1], ['a', 'a:', -1],
      ['aa', 'a', 1], ['eth2', 'eth1', 1], ['eth13', 'eth1', 1], ['eth2', 'eth', 1], ['eth2:10', 'eth2:1', 1],
      ['eth2:5', 'eth2:4', 1], ['eth3:2', 'eth2:3', 1], ['eth13:1', 'eth1:0', 1], ['a:', 'a', 1], ['a1b12', 'a1b2', 1],
      ['veth2', 'veth10', -1], ['va0', 'va0:1', -1], ['eth01', 'eth1', 0],
    ];
    for (const [a, b, want] of cases) expect(sign(nstrcmp(a, b)), `nstrcmp(${a}, ${b})`).toBe(want);
  });

  it('lists /proc/net/dev names and IPv4 labels once each, in nstrcmp order', () => {
    const dev = parseNetDev(HEAD3 + ' eth10: 1 2\n  eth2: 3 4\n    lo: 5 6\n   va0: 7 8\n');
    const list = interfaceList(dev, ['lo', 'va0:1', 'va0', 'eth2:10', 'eth2:9']);
    expect(list.map((e) => e.name)).toEqual(['eth2', 'eth2:9', 'eth2:10', 'eth10', 'lo', 'va0', 'va0:1']);
    expect(list.map((e) => e.stats?.rxPackets ?? null)).toEqual([4n, null, null, 2n, 6n, 8n, null]);
  });

  it('parses /proc/net/dev like netstat: 15-character names, short lines, all three layouts', () => {
    const dev = parseNetDev(
      HEAD3 +
        'abcdefghijklmno:     606       7    0    0    0     0          0         0      426       5    0    0    0     0       0          0\n' +
        '  eth0: 18446744073709551615 2 3 4\n' +
        '  bad0: 12 x 9\n' +
        '  neg0: -1 99999999999999999999999\n',
    );
    expect(dev.map((d) => d.name)).toEqual(['abcdefghijklmno', 'eth0', 'bad0', 'neg0']);
    expect(dev[0]!.stats).toMatchObject({ rxBytes: 606n, rxPackets: 7n, txBytes: 426n, txPackets: 5n });
    expect(dev[1]!.stats).toMatchObject({ rxBytes: 18446744073709551615n, rxPackets: 2n, rxErrors: 3n, rxDropped: 4n, txPackets: 0n });
    // sscanf stops at the first field that is not a number; the rest stays zero.
    expect(dev[2]!.stats).toEqual({ ...zeroStats(), rxBytes: 12n });
    // strtoull: a minus sign wraps, overflow saturates.
    expect(dev[3]!.stats).toMatchObject({ rxBytes: 18446744073709551615n, rxPackets: 18446744073709551615n });

    const v2 = parseNetDev(
      'Inter-|   Receive                           |  Transmit\n' +
        ' face |bytes    packets errs drop fifo frame|bytes    packets errs drop fifo colls carrier\n' +
        '  eth0: 100 1 2 3 4 5 200 6 7 8 9 10 11\n',
    );
    expect(v2[0]!.stats).toEqual({
      ...zeroStats(), rxBytes: 100n, rxPackets: 1n, rxErrors: 2n, rxDropped: 3n, rxFifo: 4n, rxFrame: 5n,
      txBytes: 200n, txPackets: 6n, txErrors: 7n, txDropped: 8n, txFifo: 9n, collisions: 10n, txCarrier: 11n,
    });
    const v1 = parseNetDev('Inter-|   Receive\n face |packets errs drop fifo frame|packets errs drop fifo colls carrier\n  eth0: 1 2 3 4 5 6 7 8 9 10 11\n');
    expect(v1[0]!.stats).toMatchObject({ rxBytes: 0n, rxPackets: 1n, rxFrame: 5n, txPackets: 6n, txCarrier: 11n });
  });

  it('rebuilds SIOCGIFFLAGS from sysfs: RUNNING from operstate, no bridge-owned PROMISC/ALLMULTI', () => {
    const up = IFF.UP | IFF.BROADCAST | IFF.MULTICAST;
    const f = (devFlags: number, operstate: string | null, carrier: boolean | null = null, bridgePort = false) =>
      flagLetters(ioctlFlags({ devFlags, operstate, carrier, bridgePort }));
    expect(f(up, 'up')).toBe('BMRU');
    expect(f(up, 'unknown')).toBe('BMRU');
    expect(f(up, 'lowerlayerdown')).toBe('BMU');
    expect(f(up, 'dormant', true)).toBe('BMU');
    expect(f(up & ~IFF.UP, 'down')).toBe('BM');
    expect(f(up, null, true)).toBe('BMRU'); // no operstate file: fall back on carrier
    expect(f(up | IFF.RUNNING, 'down')).toBe('BMU');
    expect(f(up | IFF.PROMISC | IFF.ALLMULTI, 'up')).toBe('ABMPRU');
    expect(f(up | IFF.PROMISC | IFF.ALLMULTI, 'up', true, true)).toBe('BMRU');
    expect(f(0, 'down')).toBe('[NO FLAGS]');
    expect(flagLetters(0xffff)).toBe('ABDLMdPNOPsmRU');
  });

  it('writes ifconfig flag names, the short number and netstat\'s bracket quirk', () => {
    expect(flagsText(0x1043)).toBe('flags=4163<UP,BROADCAST,RUNNING,MULTICAST>');
    expect(flagsText(0x9003)).toBe('flags=-28669<UP,BROADCAST,MULTICAST,DYNAMIC>');
    expect(flagsText(0)).toBe('flags=0<');
    expect(flagsText(IFF.PORTSEL)).toBe('flags=8192');
  });

  it('sizes bytes with one truncated decimal and binary units, up to PiB', () => {
    expect(byteSizeText(0n)).toBe('0.0 B');
    expect(byteSizeText(1024n)).toBe('1024.0 B');
    expect(byteSizeText(1025n)).toBe('1.0 KiB');
    expect(byteSizeText(404253663n)).toBe('385.5 MiB');
    expect(byteSizeText(1125899906842625n)).toBe('1.0 PiB');
    expect(byteSizeText(18446744073709551615n)).toBe('16384.0 PiB');
  });

  it('prints an alias row without statistics, padded to the flags column', () => {
    const row = interfaceRow({
      name: 'va0:1', flags: IFF.UP | IFF.BROADCAST | IFF.RUNNING | IFF.MULTICAST | IFF.PROMISC, mtu: 1500, hwType: 1,
      hwAddress: new Uint8Array(16), txQueueLen: 1000, stats: null, ipv4: null,
    });
    expect(row).toBe('va0:1            1500      - no statistics available -                        BMPRU\n');
  });

  it('parses /proc/net/if_inet6 and guesses the IPv4 broadcast from the netmask', () => {
    const e = parseIfInet6('fe8000000000000000fc00fffe000001 04 40 20 80     eth0\ngarbage\n00000000000000000000000000000001 01 80 10 80       lo\n');
    expect(e.map((x) => [x.device, x.prefixLen, x.scope, x.address[15]])).toEqual([['eth0', 64, 0x20, 1], ['lo', 128, 0x10, 1]]);
    expect(guessIpv4Config('10.77.0.1', '255.255.255.0')).toEqual({
      address: '10.77.0.1', netmask: '255.255.255.0', broadcast: '10.77.0.255', destination: '10.77.0.1',
    });
    expect(guessIpv4Config('not an address', '255.0.0.0')).toBeNull();
  });
});
