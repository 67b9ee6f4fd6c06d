import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { FIXTURES, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const ROOT = path.join(FIXTURES, 'malformed', 'proc');
const snap = snapshot({ procRoot: ROOT });
const where = (file: string) => snap.problems.filter((p) => p.file.endsWith(`/${file}`)).map((p) => [p.line, p.reason]);

describe(`hostile /proc/net input (${backend.name})`, () => {
  it('keeps the valid tcp rows, including inode 2^53-1, and skips a last line without newline (cut off)', () => {
    const rows = [...snap.inetSockets()].filter((r) => r.file === 'tcp');
    expect(rows.map((r) => [r.inode, r.localPort, r.state, r.rxQueue])).toEqual([
      [9007199254740991, 8080, 10, 0],
    ]);
  });

  it('skips every malformed tcp line with its line number and reason', () => {
    expect(where('tcp')).toEqual([
      [3, 'bad inode (not a decimal below 2^53)'],
      [4, 'bad local address'],
      [5, 'local and remote address families differ'],
      [6, 'bad inode (not a decimal below 2^53)'],
      [7, 'bad tx_queue:rx_queue'],
      [8, 'bad uid'],
      [9, 'bad timeout'],
      [10, 'bad local address'],
      [11, 'bad slot number'],
      [12, 'bad state'],
      [14, 'bad inode (not a decimal below 2^53)'],
      [15, 'line cut off (no newline at the end of the file)'],
    ]);
  });

  it('keeps unix rows with non-UTF-8 bytes, tabs and 5,000-byte paths, and skips the broken ones', () => {
    const rows = [...snap.unixSockets()];
    expect(rows.map((r) => r.inode)).toEqual([7001, 7002, 7006, 7008]);
    expect(Buffer.from(snap.unix!.pathBytes(0)).toString('latin1')).toBe('/tmp/\xff\xfe not utf8');
    expect(rows[1]!.path).toBeNull();
    expect(rows[2]!.path).toBe('x'.repeat(5000));
    expect([rows[3]!.protocol, rows[3]!.typeName, rows[3]!.stateName, rows[3]!.path]).toEqual([1, 'UNKNOWN', 'UNKNOWN', '@odd\tproto and type']);
    expect(where('unix')).toEqual([
      [4, 'bad socket address (Num)'],
      [5, 'bad type'],
      [6, 'too few fields'],
      [7, 'bad inode (not a decimal below 2^53)'],
      [9, 'bad state'],
    ]);
  });

  it('reads a header-only file and an empty file as empty tables', () => {
    expect(snap.table('udp')!.count).toBe(0);
    expect(snap.table('tcp6')!.count).toBe(0);
  });

  it('the CLI prints the good rows byte for byte and reports the skips on stderr', () => {
    const r = netsnap(['-xan', '--proc-root', ROOT]);
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')).toContain('unix  2      [ ACC ]     STREAM     LISTENING     7001     /tmp/\xff\xfe not utf8');
    expect(r.stdout.split('\n')).toContain('??    2      [ ]         UNKNOWN    UNKNOWN       7008     @odd\tproto and type');
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(5);
  });

  it('a process root without owners support still lists sockets, and a missing /proc is a clear exit', () => {
    const r = netsnap(['-tanp', '--proc-root', ROOT]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('tcp        0      0 127.0.0.1:8080          0.0.0.0:*               LISTEN      -');
    const gone = netsnap(['-tan', '--proc-root', path.join(ROOT, 'does-not-exist')]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe("netsnap: no support for `AF INET (tcp)' on this system.\n");
  });
});
