// What each feature needs, run as nobody under setpriv with exactly those capabilities and no root:
//   listing and tcp_info (this namespace): nothing;
//   the owners of other users' sockets: CAP_DAC_READ_SEARCH + CAP_SYS_PTRACE (each alone is refused);
//   another network namespace: CAP_SYS_PTRACE to read it through a process in it (/proc/PID/net,
//   /proc/PID/ns/net of a root process), plus CAP_SYS_ADMIN for netlink inside it (--info: setns()).
// Destroy events as nobody: test/parity/destroy-events.test.ts. The README's "Least privilege" says the same.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI } from '../helpers/env';
import { canUseNetns, removeLeftovers, run } from '../helpers/netns';

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const readable = process.getuid?.() === 0 &&
  spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`]).status === 0;
if (!readable) console.warn('least-privilege: skipped (needs root, and a checkout nobody can read)');

/** netsnap as nobody with exactly `caps` (names as setpriv takes them, e.g. 'sys_ptrace'). */
function asNobody(caps: string[], args: string[]) {
  const c = caps.map((k) => `+${k}`).join(',');
  const capArgs = caps.length > 0 ? [`--inh-caps=${c}`, `--ambient-caps=${c}`, `--bounding-set=-all,${c}`] : ['--bounding-set=-all'];
  return spawnSync('setpriv', [...NOBODY, ...capArgs, process.execPath, CLI, ...args], {
    encoding: 'latin1', timeout: 60_000, env: { ...process.env, LANG: 'C' },
  });
}

const native = backend.name === 'native';

describe.skipIf(!readable)('least privilege, as nobody', () => {
  let server: net.Server;
  let client: net.Socket;
  let port = 0;
  beforeAll(async () => {
    server = net.createServer((s) => s.on('error', () => undefined));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as net.AddressInfo).port;
    client = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => client.once('connect', () => r()));
  });
  afterAll(() => {
    client?.destroy();
    server?.close();
  });

  it('with no capability at all: the listing, and tcp_info with the native backend', () => {
    const r = asNobody([], ['-tn', ...(native ? ['--info'] : [])]);
    expect(r.status).toBe(0);
    const line = r.stdout.split('\n').findIndex((l) => new RegExp(`127\\.0\\.0\\.1:${client.localPort} +127\\.0\\.0\\.1:${port} +ESTABLISHED`).test(l));
    expect(line).toBeGreaterThan(0);
    if (native) expect(r.stdout.split('\n')[line + 1]).toMatch(/^\t .*\brtt:\d/);
  });

  it('root\'s owners: hidden without capabilities or with one of the two, shown with both', () => {
    const owner = (caps: string[]) => {
      const r = asNobody(caps, ['-tlnp']);
      expect(r.status).toBe(0);
      const l = r.stdout.split('\n').find((x) => x.includes(`127.0.0.1:${port} `));
      expect(l).toBeDefined();
      return l!.trim().split(/\s+/).at(-1);
    };
    expect(owner([])).toBe('-');
    expect(owner(['sys_ptrace'])).toBe('-');
    expect(owner(['dac_read_search'])).toBe('-');
    expect(owner(['dac_read_search', 'sys_ptrace'])).toBe(`${process.pid}/node`);
  });
});

const NS = `nsnlp${process.pid}`;
describe.skipIf(!readable || !canUseNetns)('least privilege in another network namespace, as nobody', () => {
  let holder: ChildProcess;
  beforeAll(async () => {
    removeLeftovers(/^nsnlp(\d+)$/);
    expect(run('ip', ['netns', 'add', NS]).status).toBe(0);
    expect(run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status).toBe(0);
    // A root process in the namespace holding a listener and a connection to it.
    holder = spawn('ip', ['netns', 'exec', NS, 'python3', '-c',
      "import socket,sys,time\ns=socket.socket(); s.bind(('127.0.0.1',7788)); s.listen()\nc=socket.create_connection(('127.0.0.1',7788)); a=s.accept()\nprint('ready', flush=True)\nsys.stdin.read()"],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('the holder did not start')), 20_000);
      holder.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(t);
          resolve();
        }
      });
    });
  });
  afterAll(() => {
    holder?.stdin?.end();
    holder?.kill();
    run('ip', ['netns', 'del', NS]);
    fs.rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
  });

  it('without CAP_SYS_PTRACE no process in it can be found: a clear error', () => {
    const r = asNobody([], ['--netns', NS, '-tln']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`netsnap: network namespace '${NS}' has no process to read it through; entering it (nsenter) needs root\n`);
  });

  it('with CAP_SYS_PTRACE: its sockets through /proc/PID/net', () => {
    const r = asNobody(['sys_ptrace'], ['--netns', NS, '-tln']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\ntcp +\d+ +0 127\.0\.0\.1:7788 +0\.0\.0\.0:\* +LISTEN *\n/);
  });

  it.skipIf(!native)('tcp_info inside it takes CAP_SYS_ADMIN as well (setns); without it, one clear error', () => {
    const denied = asNobody(['sys_ptrace'], ['--netns', NS, '-tn', '--info']);
    expect(denied.status).toBe(1);
    expect(denied.stdout).toBe('');
    expect(denied.stderr).toMatch(/^netsnap: the netlink dump of tcp in \/proc\/\d+\/ns\/net failed: EPERM \(entering another network namespace needs CAP_SYS_ADMIN\)\n$/);
    const r = asNobody(['sys_ptrace', 'sys_admin'], ['--netns', NS, '-tn', '--info']);
    expect(r.status).toBe(0);
    const lines = r.stdout.split('\n');
    const i = lines.findIndex((l) => /127\.0\.0\.1:\d+ +127\.0\.0\.1:7788 +ESTABLISHED/.test(l));
    expect(i).toBeGreaterThan(0);
    expect(lines[i + 1]).toMatch(/^\t .*\brtt:\d/);
  });
});
