import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ipv4Text, ipv6Text } from '../../src/model/address';
import { endpointText, writeInetRow } from '../../src/format/netstat';
import { collectText } from '../../src/bytes/writer';
import { InetTable } from '../../src/model/columns';
import { jsBackend } from '../../src/backends/js/index';
import { Gen, rng } from '../helpers/generate';

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

  it('writes numeric rows straight from the columns exactly as the general endpoint path (IPv4, IPv6, mapped, cut, -W)', () => {
    const g = new Gen(rng(5));
    const word = () => (g.next() < 0.4 ? '00000000' : g.int(0x100000000).toString(16).toUpperCase().padStart(8, '0'));
    const lines = ['  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
    for (let i = 0; i < 600; i++) {
      const addr = () => {
        if (i % 3 === 0) return word();
        if (i % 7 === 0) return `0000000000000000FFFF0000${word()}`; // IPv4-mapped
        return word() + word() + word() + word();
      };
      const port = () => (g.next() < 0.1 ? 0 : g.int(65536)).toString(16).toUpperCase().padStart(4, '0');
      // Both ends of a line are of one family (a mismatch is a skipped line).
      const six = i % 3 !== 0;
      const a = six ? addr() : word();
      const b = six ? (i % 7 === 0 ? `0000000000000000FFFF0000${word()}` : word() + word() + word() + word()) : word();
      lines.push(`${String(i).padStart(4)}: ${a}:${port()} ${b}:${port()} 01 00000000:00000000 00:00000000 00000000  1000        0 ${i + 1} 1`);
    }
    const t = new InetTable('tcp', 'tcp6', jsBackend.parseInet(Buffer.from(`${lines.join('\n')}\n`, 'latin1'), 'tcp', true));
    expect(t.count).toBe(600);
    for (const wide of [false, true]) {
      const o = { ...opts, wide };
      for (let i = 0; i < t.count; i++) {
        const row = collectText((w) => writeInetRow(w, t, i, o, null));
        const local = endpointText(t.localAddr, i * 16, t.family[i]!, t.localPort[i]!, o);
        const remote = endpointText(t.remoteAddr, i * 16, t.family[i]!, t.remotePort[i]!, o);
        expect(row, `row ${i}`).toBe(`tcp6       0      0 ${local.padEnd(23)} ${remote.padEnd(23)} ESTABLISHED\n`);
      }
    }
  });
});
