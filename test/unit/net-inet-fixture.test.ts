import { describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { BASIC, backend } from '../helpers/env';

const snap = snapshot({ procRoot: BASIC, owners: true });

describe(`inet tables from the basic fixture (${backend.name})`, () => {
  it('uses the backend the project asked for', () => {
    expect(snap.backend).toBe(process.env.NETSNAP_BACKEND);
  });

  it('reads tcp rows with addresses, ports, queues, states, timers, uid and inode', () => {
    const rows = [...snap.inetSockets()].filter((r) => r.file === 'tcp');
    expect(rows.map((r) => [r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.stateName, r.rxQueue, r.txQueue, r.uid, r.inode])).toEqual([
      ['127.0.0.1', 8080, '0.0.0.0', 0, 'LISTEN', 3, 0, 1000, 1001],
      ['127.0.0.1', 8080, '127.0.0.1', 56786, 'ESTABLISHED', 1234, 0, 1000, 1002],
      ['127.0.0.1', 56786, '127.0.0.1', 8080, 'ESTABLISHED', 0, 16, 1000, 1003],
      ['127.0.0.1', 40960, '127.0.0.1', 8080, 'TIME_WAIT', 0, 0, 0, 0],
      ['127.0.0.1', 8082, '127.0.0.1', 8083, 'UNKNOWN', 0, 0, 0, 1005],
      ['11.0.0.10', 80, '10.0.0.20', 50000, 'CLOSE_WAIT', 0, 0, 33, 1007],
    ]);
    expect(rows[1]!.timer).toEqual({ kind: 2, jiffies: 0xafc80, retransmits: 0, timeout: 0 });
    expect(rows[3]!.timer).toEqual({ kind: 3, jiffies: 6000, retransmits: 0, timeout: 0 });
    expect(rows[5]!.timer).toEqual({ kind: 1, jiffies: 100, retransmits: 2, timeout: 0 });
    expect(rows.every((r) => r.family === 4 && r.drops === 0 && r.proto === 'tcp')).toBe(true);
  });

  it('keeps an unknown state number instead of rejecting the row', () => {
    const t = snap.table('tcp')!;
    expect(t.state[4]).toBe(13);
  });

  it('reads tcp6 rows: unspecified, IPv4-mapped, link-local and loopback addresses', () => {
    const rows = [...snap.inetSockets()].filter((r) => r.file === 'tcp6');
    expect(rows.map((r) => [r.family, r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.stateName, r.inode])).toEqual([
      [6, '::', 6000, '::', 0, 'LISTEN', 2001],
      [6, '::ffff:127.0.0.1', 6000, '::ffff:127.0.0.1', 37124, 'ESTABLISHED', 2002],
      [6, 'fe80::fc:ff:fe00:4', 44444, 'fe80::fc:ff:fe00:5', 35024, 'ESTABLISHED', 2003],
      [6, '::1', 22, '::1', 58100, 'ESTABLISHED', 2004],
    ]);
  });

  it('reads udp rows with drops, and raw rows whose port is the protocol', () => {
    const udp = [...snap.inetSockets()].filter((r) => r.proto === 'udp');
    expect(udp.map((r) => [r.file, r.localAddress, r.localPort, r.remotePort, r.state, r.stateName, r.rxQueue, r.drops, r.inode])).toEqual([
      ['udp', '127.0.0.1', 5353, 0, 7, 'CLOSE', 832, 5, 3001],
      ['udp', '127.0.0.1', 55025, 53, 1, 'ESTABLISHED', 0, 0, 3002],
    ]);
    const raw = [...snap.inetSockets()].filter((r) => r.proto === 'raw');
    expect(raw.map((r) => [r.localPort, r.state, r.inode])).toEqual([[253, 7, 4001]]);
  });

  it('treats missing files (udplite, udplite6, raw6) as empty and says so', () => {
    expect(snap.inet.map((t) => t.file)).toEqual(['tcp', 'tcp6', 'udp', 'udp6', 'raw']);
    expect(snap.table('udp6')!.count).toBe(0);
    expect(snap.unreadable).toEqual([
      { file: 'udplite', code: 'ENOENT' },
      { file: 'udplite6', code: 'ENOENT' },
      { file: 'raw6', code: 'ENOENT' },
    ]);
  });

  it('reports each malformed line with file, line number and reason, and keeps the rest', () => {
    expect(snap.problems.map((p) => [p.file.slice(BASIC.length), p.line, p.reason])).toEqual([
      ['/net/tcp', 6, 'bad inode (not a decimal below 2^53)'],
      ['/net/tcp', 8, 'too few fields'],
      ['/net/udp', 4, 'too few fields'],
      ['/net/unix', 7, 'bad reference count'],
    ]);
  });

  it('honours the protocols and families options', () => {
    const s = snapshot({ procRoot: BASIC, protocols: ['tcp'], families: [6] });
    expect(s.inet.map((t) => t.file)).toEqual(['tcp6']);
    expect(s.unix).toBeNull();
    expect(s.owners).toBeNull();
    expect([...s.inetSockets()].every((r) => r.owners.length === 0)).toBe(true);
  });

  it('rejects bad options with a TypeError before reading anything', () => {
    expect(() => snapshot({ protocols: ['sctp' as never] })).toThrow(TypeError);
    expect(() => snapshot({ families: [5 as never] })).toThrow(/not 4 or 6/);
    expect(() => snapshot({ procRoot: '' })).toThrow(TypeError);
    expect(() => snapshot({ owners: 'yes' as never })).toThrow(TypeError);
  });

  it('sample() resolves to the same tables as snapshot()', async () => {
    const a = await import('../../src/backends/snapshot').then((m) => m.sample({ procRoot: BASIC, owners: true }));
    expect(a.backend).toBe(snap.backend);
    expect([...a.inetSockets()]).toEqual([...snap.inetSockets()]);
    expect([...a.unixSockets()]).toEqual([...snap.unixSockets()]);
    expect(a.problems).toEqual(snap.problems);
  });
});
