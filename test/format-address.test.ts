import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from '../src/format/address';
import { endpointText } from '../src/format/netstat';
import { Gen, rng } from './helpers/generate';

const opts = { all: true, listening: false, extend: false, programs: false, timers: false, wide: false, numericHosts: true, numericPorts: true, numericUsers: true };

describe('address text', () => {
  it("IPv6 text equals glibc's inet_ntop (via python's socket.inet_ntop) on 2,000 addresses", () => {
    const g = new Gen(rng(99));
    const addrs: Buffer[] = [];
    for (let i = 0; i < 2000; i++) {
      const a = Buffer.alloc(16);
      // Mostly zero words, so runs of zeros (and their ties) are common; some v4-mapped/compatible.
      for (let w = 0; w < 8; w++) if (g.next() < 0.35) a.writeUInt16BE(g.next() < 0.2 ? 0xffff : g.int(65536), w * 2);
      if (i % 10 === 0) { a.fill(0, 0, 10); a.writeUInt16BE(0xffff, 10); }
      if (i % 17 === 0) a.fill(0, 0, 12);
      addrs.push(a);
    }
    const py = spawnSync('python3', ['-c', 'import socket,sys\nfor h in sys.stdin.read().split():\n print(socket.inet_ntop(socket.AF_INET6, bytes.fromhex(h)))'], {
      input: addrs.map((a) => a.toString('hex')).join('\n'), encoding: 'utf8',
    });
    expect(py.status).toBe(0);
    const expected = py.stdout.trim().split('\n');
    expect(addrs.map((a) => ipv6Text(a, 0))).toEqual(expected);
  });

  it('IPv4 text is the dotted quad', () => {
    expect(ipv4Text(Uint8Array.from([127, 0, 0, 1]), 0)).toBe('127.0.0.1');
    expect(ipv4Text(Uint8Array.from([9, 9, 255, 0, 1, 2, 3, 4]), 4)).toBe('1.2.3.4');
  });

  it("cuts host:port to 23 characters as netstat's addr_do_one, or not at all with -W", () => {
    const a = Buffer.alloc(16);
    a.writeUInt16BE(0xfe80, 0);
    a.writeUInt16BE(0xfc, 8);
    a.writeUInt16BE(0xff, 10);
    a.writeUInt16BE(0xfe00, 12);
    a.writeUInt16BE(0x44, 14);
    expect(endpointText(a, 0, 6, 44444, opts)).toBe('fe80::fc:ff:fe00::44444');
    expect(endpointText(a, 0, 6, 44444, { ...opts, wide: true })).toBe('fe80::fc:ff:fe00:44:44444');
    expect(endpointText(a, 0, 6, 0, opts)).toBe('fe80::fc:ff:fe00:44:*');
    expect(endpointText(Buffer.alloc(16), 0, 6, 0, opts)).toBe(':::*');
    expect(endpointText(Buffer.alloc(16), 0, 6, 22, { ...opts, numericHosts: false })).toBe('[::]:22');
  });
});
