// Terminal safety for interface names (issue #17): anyone may name the interfaces of a network
// namespace of their own (a user namespace gives the capability), and the kernel takes any byte in
// a name but '/', ':', whitespace and NUL. This test names one half of a veth pair with an
// erase-line sequence in a namespace it creates, and names the namespace itself with one: on a
// terminal `-i`, `-rn`, `-g` and `--all-netns` print them escaped (`\x1b`), piped the raw bytes.
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/env';
import { canUseNetns, removeLeftovers, run } from '../helpers/netns';
import { openPty } from '../helpers/pty';

const TAG = `nsesc${process.pid}`;
const NS = `${TAG}`;
const NAMED = `${TAG}\x1b[2Kx`;
const IFACE = 'ev\x1b[2Kil';
const IFACE_SHOWN = 'ev\\x1b[2Kil';

/** netsnap ARGS inside NS, on a terminal (pty) or piped. */
async function onTerminal(args: string[]): Promise<{ output: string; status: number | null }> {
  const p = openPty(['ip', 'netns', 'exec', NS, process.execPath, CLI, ...args], 50, 200, {}, 50);
  const status = await p.exit(55_000);
  return { output: p.output, status };
}
function piped(args: string[]): { stdout: string; status: number | null } {
  const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, CLI, ...args], { encoding: 'latin1', timeout: 60_000, env: { ...process.env, LANG: 'C' } });
  return { stdout: r.stdout, status: r.status };
}

describe.skipIf(!canUseNetns)('interface and namespace names on a terminal (root, ip netns)', () => {
  beforeAll(() => {
    removeLeftovers(/^nsesc\d+/);
    expect(run('ip', ['netns', 'add', NS]).status).toBe(0);
    const ip = (...a: string[]) => expect(run('ip', ['-n', NS, ...a]).stderr).toBe('');
    ip('link', 'add', 'name', IFACE, 'type', 'veth', 'peer', 'name', 'peer0');
    ip('link', 'set', IFACE, 'up');
    ip('link', 'set', 'peer0', 'up');
    ip('addr', 'add', '10.77.1.1/24', 'dev', IFACE);
    expect(run('ip', ['netns', 'add', NAMED]).status).toBe(0);
  });
  afterAll(() => {
    run('ip', ['netns', 'del', NS]);
    run('ip', ['netns', 'del', NAMED]);
  });

  it('-i: the name escaped on a terminal, raw piped', async () => {
    const { output, status } = await onTerminal(['-i']);
    expect(status).toBe(0);
    expect(output).toMatch(new RegExp(`^${IFACE_SHOWN.replace(/[\\[]/g, '\\$&')} +1500 `, 'm'));
    expect(output).not.toContain('\x1b[2K');
    const p = piped(['-i']);
    expect(p.status).toBe(0);
    expect(p.stdout).toMatch(new RegExp(`^${IFACE.replace(/[\\[]/g, '\\$&')} +1500 `, 'm'));
  }, 60_000);

  it('-rn: the route\'s Iface escaped on a terminal, raw piped', async () => {
    const { output, status } = await onTerminal(['-rn']);
    expect(status).toBe(0);
    expect(output).toMatch(/^10\.77\.1\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 0 +0 ev\\x1b\[2Kil\r$/m);
    expect(output).not.toContain('\x1b[2K');
    expect(piped(['-rn']).stdout).toMatch(/^10\.77\.1\.0 +0\.0\.0\.0 +255\.255\.255\.0 +U +0 0 +0 ev\x1b\[2Kil$/m);
  }, 60_000);

  it('-g: the group memberships\' interface escaped on a terminal, raw piped', async () => {
    const { output, status } = await onTerminal(['-g']);
    expect(status).toBe(0);
    expect(output).toMatch(/^ev\\x1b\[2Kil +1 +224\.0\.0\.1\r$/m);
    expect(output).not.toContain('\x1b[2K');
    expect(piped(['-g']).stdout).toMatch(/^ev\x1b\[2Kil +1 +224\.0\.0\.1$/m);
  }, 60_000);

  it('--all-netns: a namespace\'s name escaped in its label on a terminal', async () => {
    const p = openPty([process.execPath, CLI, '--all-netns', '-tln'], 50, 200, {}, 50);
    expect(await p.exit(55_000)).toBe(0);
    expect(p.output).toMatch(new RegExp(`^Network namespace \\d+ \\(name ${TAG}\\\\x1b\\[2Kx\\)\r$`, 'm'));
    expect(p.output).not.toContain('\x1b[2K');
    // Every namespace of the machine is listed, another test's thousands of listeners included: room for them.
    const r = spawnSync(process.execPath, [CLI, '--all-netns', '-tln'], { encoding: 'latin1', timeout: 60_000, maxBuffer: 256 << 20 });
    expect(r.stdout).toMatch(new RegExp(`^Network namespace \\d+ \\(name ${TAG}\x1b\\[2Kx\\)$`, 'm'));
  }, 60_000);
});
