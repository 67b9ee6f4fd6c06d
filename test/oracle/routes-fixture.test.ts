import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, backend } from '../helpers/env';
import { both as bothIn, oracleAvailable } from '../helpers/oracle';

// The real netstat on our fixture trees (see helpers/oracle.ts). Needs root.

const ETC = path.join(FIXTURES, 'routes', 'etc');
const canRun = oracleAvailable(path.join(FIXTURES, 'routes', 'proc'), 'net/rt_cache');
const both = (fixture: string, args: string[]) => bothIn(path.join(FIXTURES, fixture, 'proc'), ETC, args);

const ARGS = [
  ['-r'], ['-rn'], ['-re'], ['-rne'], ['-ree'], ['-rnee'], ['-reee'], ['-reeee'], ['-rN'], ['-rv'], ['-rW'],
  ['-r', '--numeric-ports'], ['-r', '--numeric-hosts'],
  ['-6r'], ['-6rn'], ['-6rN'], ['-6ree'], ['-46r'], ['-46rn'], ['-64rn'], ['-r', '-A', 'inet6'], ['-rn', '-A', 'inet,inet6,inet'],
  ['-rC'], ['-rnC'], ['-rCe'], ['-rCee'], ['-rnCee'], ['-rCF'], ['-6rC'], ['-6rnCF'], ['-46rnC'],
  ['-rA', 'unix'], ['-rn4x'], ['-rnx4'],
];

// The trees with a file missing or broken only need the options that read each file.
const FEW_ARGS = [['-rn'], ['-rne'], ['-6rn'], ['-46rn'], ['-64rn'], ['-rnC'], ['-rnCF'], ['-6rnC'], ['-46rnC']];

const TREES: Array<[string, string[][]]> = [
  ['routes', ARGS], ['routes-cache', ARGS], ['routes-no-ipv6', FEW_ARGS], ['routes-missing-field', FEW_ARGS],
];

describe.skipIf(!canRun)(`netsnap -r against netstat on the same fixture files (${backend.name})`, () => {
  for (const [fixture, argLists] of TREES) {
    it(`${fixture}: stdout, stderr and status agree`, () => {
      for (const args of argLists) {
        const { netstat, netsnap } = both(fixture, args);
        expect(netsnap, `netsnap ${args.join(' ')}`).toEqual(netstat);
      }
    });
  }
});
