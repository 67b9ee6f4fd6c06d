import { describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { BASIC, backend } from '../helpers/env';

const snap = snapshot({ procRoot: BASIC, protocols: ['unix'], owners: true });

describe(`unix table from the basic fixture (${backend.name})`, () => {
  it('reads every valid row, paths whole (spaces kept, abstract names with @)', () => {
    const rows = [...snap.unixSockets()].map((r) => [r.refCount, r.flags, r.typeName, r.stateName, r.inode, r.path]);
    expect(rows).toEqual([
      [2, 0x10000, 'STREAM', 'LISTENING', 5001, '/run/test.sock'],
      [3, 0, 'STREAM', 'CONNECTED', 5002, '/tmp/x/has space.sock'],
      [2, 0, 'DGRAM', 'UNCONNECTED', 5003, null],
      [2, 0x10000, 'STREAM', 'LISTENING', 5004, '@abstract@with@nul'],
      [3, 0, 'STREAM', 'CONNECTING', 0, '/run/test.sock'],
      [2, 0, 'SEQPACKET', 'CONNECTED', 5007, '/run/seq  trailing  '],
    ]);
  });

  it('maps owners of unix sockets', () => {
    const owners = [...snap.unixSockets()].map((r) => r.owners.map((o) => `${o.pid}:${o.fd}`).join(','));
    expect(owners).toEqual(['100:5', '400:4', '', '200:9', '', '']);
  });

  it('skips the malformed line and reports it', () => {
    expect(snap.problems).toEqual([{ file: `${BASIC}/net/unix`, line: 7, code: 22, reason: 'bad reference count' }]);
  });
});
