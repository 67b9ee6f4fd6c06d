import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, backend } from '../helpers/env';
import { both, oracleAvailable } from '../helpers/oracle';

// The real netstat on our group fixtures (see helpers/oracle.ts). Needs root.

const ETC = path.join(FIXTURES, 'routes', 'etc');
const canRun = oracleAvailable(path.join(FIXTURES, 'groups', 'proc'), 'net/igmp');

const ARGS = [
  ['-g'], ['-gn'], ['-gN'], ['-gv'], ['-g', '--numeric-hosts'], ['-g', '-4'], ['-g', '-6n'], ['-g', '-A', 'inet'],
  ['-gn', '-A', 'inet6,inet'], ['-gnv', '-4'],
];

describe.skipIf(!canRun)(`netsnap -g against netstat on the same fixture files (${backend.name})`, () => {
  for (const fixture of ['groups', 'groups-no-igmp', 'groups-malformed']) {
    it(`${fixture}: stdout, stderr and status agree`, () => {
      const root = path.join(FIXTURES, fixture, 'proc');
      for (const args of ARGS) {
        const r = both(root, ETC, args);
        expect(r.netsnap, `netsnap ${args.join(' ')}`).toEqual(r.netstat);
      }
    });
  }
});
