import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args';
import { listingTcpStates } from '../../src/cli/listing';
import { netsnap } from '../helpers/cli';
import { backend } from '../helpers/env';

function run(argv: string[]) {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error(`expected run, got ${r.kind}`);
  return r.options;
}

describe('argument parsing', () => {
  it('combines short flags like -tunap', () => {
    const o = run(['-tunap']);
    expect([o.tcp, o.udp, o.numericHosts, o.numericPorts, o.numericUsers, o.all, o.programs]).toEqual([true, true, true, true, true, true, true]);
    expect(o.unix).toBe(false);
  });

  it('knows the long options, unambiguous prefixes and -A lists', () => {
    const o = run(['--tcp', '--numeric-hosts', '--prog', '-A', 'inet6,unix', '--proc-root=/x']);
    expect([o.tcp, o.numericHosts, o.numericPorts, o.programs, o.inet6, o.unix, o.inet, o.procRoot]).toEqual([true, true, false, true, true, true, false, '/x']);
    expect(run(['-Ainet']).inet).toBe(true);
    expect(run(['--proc-root', '/y']).procRoot).toBe('/y');
  });

  it('ignores stray positional arguments, as netstat does', () => {
    expect(run(['-c', '5']).continuous).toBe(true);
  });

  it('rejects bad flags and mode conflicts with exit 3 and the usage', () => {
    expect(parseArgs(['-Q'])).toMatchObject({ kind: 'error', exitCode: 3, usage: true, message: "netsnap: invalid option -- 'Q'" });
    expect(parseArgs(['--bogus'])).toMatchObject({ kind: 'error', exitCode: 3, message: "netsnap: unrecognized option '--bogus'" });
    expect(parseArgs(['-A'])).toMatchObject({ kind: 'error', exitCode: 3, message: "netsnap: option requires an argument -- 'A'" });
    expect(parseArgs(['-rs'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect(parseArgs(['-rr'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect(parseArgs(['--numeric-'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect(parseArgs(['-A', 'foo'])).toEqual({ kind: 'error', exitCode: 1, usage: false, message: "Unknown address family `foo'." });
  });

  it('--source takes proc, netlink or auto (the default); anything else is a usage error', () => {
    expect(run([]).source).toBe('auto');
    expect(run(['--source', 'netlink']).source).toBe('netlink');
    expect(run(['--source=proc']).source).toBe('proc');
    expect(run(['-tan', '--source', 'auto']).source).toBe('auto');
    expect(parseArgs(['--source', 'ss'])).toMatchObject({ kind: 'error', exitCode: 3, usage: true, message: "netsnap: invalid source 'ss' (use proc, netlink or auto)" });
    expect(parseArgs(['--source'])).toMatchObject({ kind: 'error', exitCode: 3, usage: true });
  });

  it('pushes the listing state filter into the sample: -l LISTEN only, default all but LISTEN, -a everything', () => {
    expect(listingTcpStates(run(['-tl']))).toBe(1 << 10);
    expect(listingTcpStates(run(['-t']))).toBe(0xfffffbff);
    expect(listingTcpStates(run(['-ta']))).toBeUndefined();
    expect(listingTcpStates(run(['-tal']))).toBeUndefined();
  });

  it('the binary exits 3 with the usage on stderr for a bad flag', () => {
    const r = netsnap(['-Q']);
    expect(r.status).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr.startsWith("netsnap: invalid option -- 'Q'\nusage: netsnap")).toBe(true);
  });

  it('--help lists every option on stdout', () => {
    const r = netsnap(['--help']);
    expect(r.status).toBe(0);
    for (const flag of ['-t|--tcp', '-u|--udp', '-w|--raw', '-x|--unix', '--listening', '--all', '--numeric', '--programs', '--extend', '--wide', '--timers', '--proc-root', "'-6|-4'"]) {
      expect(r.stdout).toContain(flag);
    }
  });

  it('--version names the backend in use and where it came from', () => {
    const r = netsnap(['--version']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^netsnap \d+\.\d+\.\d+$/);
    if (backend.name === 'js') {
      expect(lines[1]).toBe('backend: js (NETSNAP_BACKEND=js)');
    } else if (process.env.NETSNAP_ADDON) {
      expect(lines[1]).toBe(`backend: native (NETSNAP_ADDON=${path.resolve(process.env.NETSNAP_ADDON)})`);
    } else {
      // This checkout: the addon npm ci built (a prebuild exists only inside a packed tarball).
      expect(lines[1]).toBe(`backend: native (built from source: build/Release/netsnap.node; no prebuild for linux-${process.arch})`);
    }
    expect(lines[2]).toBe(`node ${process.version}, linux-${process.arch}`);
    expect(lines.length).toBe(4);
  });

  it('NETSNAP_BACKEND with a bad value is a clear error', () => {
    const r = netsnap(['-tan'], { NETSNAP_BACKEND: 'fortran' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('netsnap: NETSNAP_BACKEND must be "js" or "native", not "fortran"\n');
  });
});
