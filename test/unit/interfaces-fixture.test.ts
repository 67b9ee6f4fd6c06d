import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BASIC, FIXTURES, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { defaultOptions } from '../../src/cli/args';
import { runInterfaces, sysRootFor } from '../../src/cli/interfaces';

// fixtures/ifaces: proc/net/dev (in kernel order, not sorted), proc/net/if_inet6, and the
// sys/class/net/<dev>/ files netstat's ioctls stand for (flags, mtu, operstate, carrier, type,
// address, tx_queue_len; brport/ for the bridge port). Values are from real devices: veth, bridge,
// tun, bond, and the loopback.
const IFACES = path.join(FIXTURES, 'ifaces', 'proc');
const VANISHED = path.join(FIXTURES, 'ifaces-vanished', 'proc');

const TITLE = 'Kernel Interface table\n';
const HEADER = 'Iface             MTU    RX-OK RX-ERR RX-DRP RX-OVR    TX-OK TX-ERR TX-DRP TX-OVR Flg\n';

// Rows of the devices that are UP, in nstrcmp order (eth2 < eth3 < eth10).
const UP_ROWS = {
  abcdefghijklmno: 'abcdefghijklmno  1500        7      0      0 0             5      0      0      0 BMRU\n',
  bond0: 'bond0            1500       20      0      0 0            20      0      0      0 BMmRU\n',
  br0: 'br0              1500        0      0      0 0             2      0      0      0 BMRU\n',
  dyn0: 'dyn0             1500        0      0      0 0             0      0      0      0 BMdU\n',
  eth0: 'eth0             1400 123456789012      3      7 1234567     7621      1      2      3 BMRU\n',
  eth2: 'eth2             9000       10      0      1 0             9      0      0      0 BMU\n',
  eth3: 'eth3             1500       20      0      0 0            20      0      0      0 BMsRU\n',
  lo: 'lo              65536     1314      0      0 0          1314      0      0      0 LRU\n',
  tap0: 'tap0             1500        3      0      0 0             4      0      0      0 BMPRU\n',
  tun0: 'tun0             1500        0      0      0 0             0      0      0      0 MOPRU\n',
  vethbr1: 'vethbr1          1500        5      0      0 0             7      0      0      0 BMRU\n',
};
const ETH10 = 'eth10            1500        0      0      0 0             0      0      0      0 BM\n';
const NOFLAGS = 'noflags0         1500        0      0      0 0             0      0      0      0 [NO FLAGS]\n';

const TABLE_I =
  TITLE + HEADER + UP_ROWS.abcdefghijklmno + UP_ROWS.bond0 + UP_ROWS.br0 + UP_ROWS.dyn0 + UP_ROWS.eth0 + UP_ROWS.eth2 +
  UP_ROWS.eth3 + UP_ROWS.lo + UP_ROWS.tap0 + UP_ROWS.tun0 + UP_ROWS.vethbr1;

const TABLE_IA =
  TITLE + HEADER + UP_ROWS.abcdefghijklmno + UP_ROWS.bond0 + UP_ROWS.br0 + UP_ROWS.dyn0 + UP_ROWS.eth0 + UP_ROWS.eth2 +
  UP_ROWS.eth3 + ETH10 + UP_ROWS.lo + NOFLAGS + UP_ROWS.tap0 + UP_ROWS.tun0 + UP_ROWS.vethbr1;

function stats(rx: [number, number], tx: [number, number], rxSize: string, txSize: string): string {
  return (
    `        RX packets ${rx[0]}  bytes ${rx[1]} (${rxSize})\n` +
    '        RX errors 0  dropped 0  overruns 0  frame 0\n' +
    `        TX packets ${tx[0]}  bytes ${tx[1]} (${txSize})\n` +
    '        TX errors 0  dropped 0 overruns 0  carrier 0  collisions 0\n'
  );
}

const BLOCKS = {
  eth0:
    'eth0: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1400\n' +
    '        inet6 fe80::40b:3aff:fea6:da41  prefixlen 64  scopeid 0x20<link>\n' +
    '        inet6 2001:db8::2  prefixlen 64  scopeid 0x0<global>\n' +
    '        inet6 fec0::1  prefixlen 64  scopeid 0x40<site>\n' +
    '        ether 02:fc:00:00:00:01  txqueuelen 1000  (Ethernet)\n' +
    '        RX packets 123456789012  bytes 5497558138880 (5.0 TiB)\n' +
    '        RX errors 3  dropped 7  overruns 1234567  frame 2\n' +
    '        TX packets 7621  bytes 2147483648 (2.0 GiB)\n' +
    '        TX errors 1  dropped 2 overruns 3  carrier 5  collisions 4\n\n',
  lo:
    'lo: flags=73<UP,LOOPBACK,RUNNING>  mtu 65536\n' +
    '        inet6 ::1  prefixlen 128  scopeid 0x10<host>\n' +
    '        loop  txqueuelen 1000  (Local Loopback)\n' +
    stats([1314, 221352], [1314, 221352], '216.1 KiB', '216.1 KiB') + '\n',
  dyn0:
    'dyn0: flags=-28669<UP,BROADCAST,MULTICAST,DYNAMIC>  mtu 1500\n' +
    '        ether 5e:00:00:00:00:01  txqueuelen 1000  (Ethernet)\n' +
    stats([0, 0], [0, 0], '0.0 B', '0.0 B') + '\n',
  noflags0:
    'noflags0: flags=0<  mtu 1500\n' +
    '        ether 00:00:00:00:00:00  txqueuelen 1000  (Ethernet)\n' +
    stats([0, 0], [0, 0], '0.0 B', '0.0 B') + '\n',
  tap0:
    'tap0: flags=4419<UP,BROADCAST,RUNNING,PROMISC,MULTICAST>  mtu 1500\n' +
    '        ether 66:44:b6:a4:25:6b  txqueuelen 1000  (Ethernet)\n' +
    stats([3, 1023], [4, 1025], '1023.0 B', '1.0 KiB') + '\n',
  tun0:
    'tun0: flags=4305<UP,POINTOPOINT,RUNNING,NOARP,MULTICAST>  mtu 1500\n' +
    '        unspec 00-00-00-00-00-00-00-00-00-00-00-00-00-00-00-00  txqueuelen 500  (UNSPEC)\n' +
    stats([0, 0], [0, 0], '0.0 B', '0.0 B') + '\n',
  vethbr1:
    'vethbr1: flags=4163<UP,BROADCAST,RUNNING,MULTICAST>  mtu 1500\n' +
    '        ether 06:0b:3a:a6:da:41  txqueuelen 1000  (Ethernet)\n' +
    stats([5, 426], [7, 606], '426.0 B', '606.0 B') + '\n',
};

/** The blocks of a -ie/-iae output, by interface name. */
function blocksOf(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const block of text.slice(TITLE.length).split(/(?<=\n\n)/)) out.set(block.slice(0, block.indexOf(':')), block);
  return out;
}

describe(`netstat -i on the ifaces fixture (${backend.name})`, () => {
  it('-i prints the UP devices in natural order with netstat widths and flag letters', () => {
    const r = netsnap(['-i', '--proc-root', IFACES]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(TABLE_I);
  });

  it('-ia adds the devices that are down, including one with no flags at all', () => {
    const r = netsnap(['-ia', '--proc-root', IFACES]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(TABLE_IA);
  });

  it('-n, -N, -v and -W change nothing in the table', () => {
    expect(netsnap(['-inNvW', '--proc-root', IFACES]).stdout).toBe(TABLE_I);
  });

  it('-iae prints an ifconfig-style block per device, with if_inet6 addresses and byte units', () => {
    const r = netsnap(['-iae', '--proc-root', IFACES]);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith(TITLE)).toBe(true);
    const blocks = blocksOf(r.stdout);
    expect([...blocks.keys()]).toEqual([
      'abcdefghijklmno', 'bond0', 'br0', 'dyn0', 'eth0', 'eth2', 'eth3', 'eth10', 'lo', 'noflags0', 'tap0', 'tun0', 'vethbr1',
    ]);
    for (const [name, text] of Object.entries(BLOCKS)) expect(blocks.get(name), name).toBe(text);
    expect(blocks.get('bond0')!.split('\n')[0]).toBe('bond0: flags=5187<UP,BROADCAST,RUNNING,MASTER,MULTICAST>  mtu 1500');
    expect(blocks.get('eth3')!.split('\n')[0]).toBe('eth3: flags=6211<UP,BROADCAST,RUNNING,SLAVE,MULTICAST>  mtu 1500');
    expect(blocks.get('eth2')!.split('\n')[0]).toBe('eth2: flags=4099<UP,BROADCAST,MULTICAST>  mtu 9000');
  });

  it('-ie leaves out the devices that are down; -iee is the same as -ie', () => {
    const ie = netsnap(['-ie', '--proc-root', IFACES]);
    expect([...blocksOf(ie.stdout).keys()]).toEqual([
      'abcdefghijklmno', 'bond0', 'br0', 'dyn0', 'eth0', 'eth2', 'eth3', 'lo', 'tap0', 'tun0', 'vethbr1',
    ]);
    expect(netsnap(['-iee', '--proc-root', IFACES]).stdout).toBe(ie.stdout);
  });

  it('prints the counters of a 15-character name (Debian netstat shows zeros: documented deviation)', () => {
    expect(netsnap(['-i', '--proc-root', IFACES]).stdout.split('\n')).toContain(UP_ROWS.abcdefghijklmno.trimEnd());
  });

  it('stops with netstat\'s messages and exit 1 at a device that has vanished from sysfs', () => {
    const r = netsnap(['-ia', '--proc-root', VANISHED]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(TITLE + HEADER + 'eth0             1500       10      0      0 0             9      0      0      0 BMRU\n');
    expect(r.stderr).toBe('gone0: error fetching interface information: Device not found\nmissing interface information: No such device\n');
  });

  it('warns and prints an empty table when /proc/net/dev is missing', () => {
    const r = netsnap(['-i', '--proc-root', BASIC]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(TITLE + HEADER);
    expect(r.stderr).toBe(`Warning: cannot open ${BASIC}/net/dev (No such file or directory). Limited output.\n`);
  });

  it('prints the title only on the first round of -c, and the column line every round', () => {
    const out: string[] = [];
    const io = { out: (t: string) => out.push(t), err: (t: string) => out.push(`ERR ${t}`) };
    const o = { ...defaultOptions(), interfaces: 1, procRoot: IFACES };
    expect(runInterfaces(o, io, true)).toBe(0);
    expect(runInterfaces(o, io, false)).toBe(0);
    expect(out.join('')).toBe(TABLE_I + TABLE_I.slice(TITLE.length));
    out.length = 0;
    expect(runInterfaces({ ...o, extend: 1 }, io, false)).toBe(0);
    expect(out.join('').startsWith('abcdefghijklmno: flags=')).toBe(true);
  });

  it('finds sysfs as the sibling of the proc root', () => {
    expect(sysRootFor('/proc')).toBe('/sys');
    expect(sysRootFor('/proc/')).toBe('/sys');
    expect(sysRootFor('/host/proc')).toBe('/host/sys');
    expect(sysRootFor(IFACES)).toBe(path.join(FIXTURES, 'ifaces', 'sys'));
  });
});
