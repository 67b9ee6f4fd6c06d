// Socket listings with names, against the real netstat reading the same fixture files.
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, backend } from '../helpers/env';
import { both, oracleAvailable } from '../helpers/oracle';

const ROOT = path.join(FIXTURES, 'names', 'proc');
const ETC = path.join(FIXTURES, 'names', 'etc');
const canRun = oracleAvailable(ROOT, 'net/tcp');

const ARGS = [
  ['-ta'], ['-tuwa'], ['-tuwae'], ['-tuwaW'], ['-tuwa', '--numeric-ports'], ['-tuwa', '--numeric-hosts'],
  ['-tuwa', '--numeric-users', '-e'], ['-6tuwa'], ['-4wa'], ['-tuwl'], ['-tuw'],
];

describe.skipIf(!canRun)(`names in the socket listing against netstat on the same files (${backend.name})`, () => {
  for (const args of ARGS) {
    it(`netsnap ${args.join(' ')} prints what netstat prints`, () => {
      const r = both(ROOT, ETC, args);
      expect(r.netsnap.stdout).toBe(r.netstat.stdout);
      expect(r.netsnap.status).toBe(r.netstat.status);
    });
  }

  it('names hosts and networks by netstat\'s rule: a zero first octet (on this byte order) is a network', () => {
    const out = both(ROOT, ETC, ['-ta']).netsnap.stdout;
    expect(out).toContain('net-as-host.exampl:http zeronet:http-alt');
    expect(out).toContain('zero-host.example:https me.example:5353');
    expect(out).toContain('long-v6.example:https   v6peer.example:50000');
    expect(out).toContain('localhost:ssh           a-very-very-long-:40000');
  });
});
