// diffSnapshots on hand-written tables: which rows count as opened, closed and changed, with
// duplicate keys, TIME_WAIT rows (inode 0), UNIX sockets and a big table.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { diffSnapshots, diffSnapshotsAsync, type AnySocket } from '../../src/analysis/diff';
import { snapshot } from '../../src/backends/snapshot';
import { backend } from '../helpers/env';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';
const UNIX_HEADER = 'Num       RefCount Protocol Flags    Type St Inode Path';

/** A tcp line: addresses as /proc prints them on a little-endian host. */
function tcp(i: number, local: string, remote: string, st: number, inode: number): string {
  return `${String(i).padStart(4)}: ${local} ${remote} ${st.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 00:00000000 00000000  1000        0 ${inode} 1 0000000000000000 20 4 30 10 -1`;
}

function unix(inode: number, st: number, p = ''): string {
  return `0000000000000000: 00000002 00000000 00000000 0001 ${String(st).padStart(2, '0')} ${String(inode).padStart(5)} ${p}`;
}

function snap(tcpLines: string[], unixLines: string[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-diff-'));
  dirs.push(dir);
  fs.writeFileSync(path.join(dir, 'tcp'), [HEADER, ...tcpLines, ''].join('\n'));
  fs.writeFileSync(path.join(dir, 'unix'), [UNIX_HEADER, ...unixLines, ''].join('\n'));
  return snapshot({ protocols: ['tcp', 'unix'], families: [4], netDir: dir, littleEndian: true });
}

const text = (s: AnySocket) =>
  s.proto === 'unix' ? `unix ${s.inode} ${s.stateName}` : `${s.localAddress}:${s.localPort}>${s.remoteAddress}:${s.remotePort} ${s.stateName} ${s.inode}`;

describe(`diffSnapshots (${backend.name})`, () => {
  it('reports opened, closed and changed rows by their addresses, not their inodes', () => {
    const a = snap([
      tcp(0, '0100007F:1F90', '00000000:0000', 10, 100), // listener, stays
      tcp(1, '0100007F:1F90', '0100007F:C000', 1, 101), // established, closes
      tcp(2, '0100007F:C001', '0100007F:1F90', 1, 102), // established -> TIME_WAIT (inode 0)
      tcp(3, '0200007F:C002', '0100007F:1F90', 1, 103), // unchanged
    ], [unix(500, 1, '/run/a'), unix(501, 3), unix(0, 3)]);
    const b = snap([
      tcp(0, '0100007F:1F90', '00000000:0000', 10, 100),
      tcp(1, '0100007F:C001', '0100007F:1F90', 6, 0),
      tcp(2, '0200007F:C002', '0100007F:1F90', 1, 103),
      tcp(3, '0100007F:1F90', '0100007F:C003', 1, 104), // opened
    ], [unix(500, 1, '/run/a'), unix(502, 3), unix(0, 1)]);
    const d = diffSnapshots(a, b);
    expect(d.opened.map(text)).toEqual(['127.0.0.1:8080>127.0.0.1:49155 ESTABLISHED 104', 'unix 502 CONNECTED']);
    expect(d.closed.map(text)).toEqual(['127.0.0.1:8080>127.0.0.1:49152 ESTABLISHED 101', 'unix 501 CONNECTED']);
    expect(d.changed.map((c) => `${text(c.socket)} was ${c.from}`)).toEqual([
      '127.0.0.1:49153>127.0.0.1:8080 TIME_WAIT 0 was ESTABLISHED',
      'unix 0 UNCONNECTED was CONNECTED',
    ]);
    expect(diffSnapshots(b, b)).toEqual({ opened: [], closed: [], changed: [] });
  });

  it('matches rows with equal keys by their order: the k-th with the k-th', () => {
    const row = (i: number, st: number) => tcp(i, '0100007F:C001', '0100007F:1F90', st, 0);
    const a = snap([row(0, 6), row(1, 6)], []);
    const b = snap([row(0, 6), row(1, 7), row(2, 6)], []);
    const d = diffSnapshots(a, b);
    expect(d.changed.map((c) => `${c.from}>${c.to}`)).toEqual(['TIME_WAIT>CLOSE']);
    expect(d.opened.map((s) => s.stateName)).toEqual(['TIME_WAIT']);
    expect(d.closed).toEqual([]);
    const back = diffSnapshots(b, a);
    expect(back.changed.map((c) => `${c.from}>${c.to}`)).toEqual(['CLOSE>TIME_WAIT']);
    expect(back.closed.map((s) => s.stateName)).toEqual(['TIME_WAIT']);
  });

  it('finds exactly the changes among 20,000 rows, in one go and in steps', async () => {
    const hex = (n: number) => n.toString(16).toUpperCase().padStart(4, '0');
    const rows = (skip: number, stateAt: number) =>
      Array.from({ length: 20000 }, (_, i) => i)
        .filter((i) => i !== skip)
        .map((i) => tcp(i, `${(0x7f000001 + (i >> 10)).toString(16).toUpperCase().padStart(8, '0').match(/../g)!.reverse().join('')}:${hex(1024 + (i & 1023))}`, '0100007F:1F90', i === stateAt ? 8 : 1, 1000 + i));
    const a = snap(rows(7, -1), []);
    const b = snap(rows(19999, 12345), []);
    // In steps first (the indexes are built then, across step boundaries), then in one go.
    const stepped = await diffSnapshotsAsync(a, b);
    const d = diffSnapshots(a, b);
    expect(stepped).toEqual(d);
    expect(await diffSnapshotsAsync(snap(rows(7, -1), []), snap(rows(19999, 12345), []))).toEqual(d);
    expect(d.opened.map((s) => (s as { inode: number }).inode)).toEqual([1007]);
    expect(d.closed.map((s) => (s as { inode: number }).inode)).toEqual([1000 + 19999]);
    expect(d.changed.map((c) => [(c.socket as { inode: number }).inode, c.from, c.to])).toEqual([[1000 + 12345, 'ESTABLISHED', 'CLOSE_WAIT']]);
  });
});
