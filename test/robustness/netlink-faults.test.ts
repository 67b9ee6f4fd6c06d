// A netlink dump that fails (ENOBUFS, the kernel's ENOMEM): the kernel's errors are injected at the
// system-call boundary with strace(1) (`-e inject=recvfrom:error=…`, the syscall our dump reads
// with), since a tiny receive buffer does not make a dump fail (the kernel fills the next reply
// only once the last is read) and this kernel has no fault injection. Where /proc has the same rows
// the file is read from there and the fallback is reported (stderr, Snapshot.netlinkFallbacks,
// netsnap_netlink_fallbacks_total); where it has not (--info) the run fails with the errno.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackage } from '../helpers/debian';
import { CLI, ROOT } from '../helpers/env';
import { startServe } from '../helpers/serve';
import { listenOnQuietPort } from '../helpers/sockets';

const isNative = process.env.NETSNAP_BACKEND === 'native';
const missing = isNative ? ensureDebianPackage('/usr/bin/strace', 'strace') : null;

/** strace's arguments that make recvfrom fail with `errno` from its `from`-th call on (per thread). */
const inject = (errno: string, from = 1) =>
  ['strace', '-f', '-qq', '-o', '/dev/null', '-e', 'trace=recvfrom', '-e', `inject=recvfrom:error=${errno}:when=${from}+`];

function run(prefix: string[], args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(prefix[0]!, [...prefix.slice(1), ...args], {
    encoding: 'utf8', env: { ...process.env, LANG: 'C' }, timeout: 60_000, maxBuffer: 64 << 20,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The listening rows of `port` in a `-tln` listing. */
const rowsOn = (out: string, port: number) => out.split('\n').filter((l) => l.includes(`:${port} `));

describe.skipIf(!isNative)('a netlink dump that fails (native)', () => {
  const server4 = net.createServer();
  const server6 = net.createServer();
  let port4 = 0;
  let port6 = 0;
  beforeAll(async () => {
    if (missing) throw new Error(missing);
    port4 = await listenOnQuietPort(server4);
    await new Promise<void>((resolve, reject) => {
      server6.once('error', reject);
      server6.listen(0, '::1', () => resolve());
    });
    port6 = (server6.address() as net.AddressInfo).port;
  });
  afterAll(() => {
    server4.close();
    server6.close();
  });

  it('ENOBUFS on every read: both files come from /proc, said on stderr, the rows complete', () => {
    const r = run([...inject('ENOBUFS'), process.execPath], [CLI, '-tln', '--source', 'netlink']);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('netsnap: tcp: the netlink dump failed (ENOBUFS); read /proc/net/tcp instead\n');
    expect(r.stderr).toContain('netsnap: tcp6: the netlink dump failed (ENOBUFS); read /proc/net/tcp6 instead\n');
    const proc = run([process.execPath], [CLI, '-tln', '--source', 'proc']);
    expect(proc.status).toBe(0);
    expect(proc.stderr).toBe('');
    expect(rowsOn(r.stdout, port4)).toEqual([`tcp        0      0 127.0.0.1:${port4}${' '.repeat(Math.max(1, 24 - `127.0.0.1:${port4}`.length))}0.0.0.0:*               LISTEN     `]);
    expect(rowsOn(r.stdout, port4)).toEqual(rowsOn(proc.stdout, port4));
    expect(rowsOn(r.stdout, port6)).toHaveLength(1);
    expect(rowsOn(r.stdout, port6)).toEqual(rowsOn(proc.stdout, port6));
  });

  it('ENOBUFS in the middle of a dump (from the second read on): the rows already taken are dropped, /proc read', () => {
    // The first read of each dump returns records (a listener at least), the second fails.
    const r = run([...inject('ENOBUFS', 2), process.execPath], [CLI, '-tln', '--source', 'netlink']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/^netsnap: tcp: the netlink dump failed \(ENOBUFS\); read \/proc\/net\/tcp instead$/m);
    expect(rowsOn(r.stdout, port4)).toHaveLength(1);
    expect(rowsOn(r.stdout, port6)).toHaveLength(1);
  });

  it('the library: Snapshot.netlinkFallbacks names the files and errno, the tables say /proc', () => {
    const script = `const n = require(${JSON.stringify(ROOT)});
      const s = n.snapshot({ protocols: ['tcp'], source: 'netlink' });
      console.log(JSON.stringify({ fallbacks: s.netlinkFallbacks, sources: s.inet.map((t) => [t.file, t.source]),
        mine: s.inet.some((t) => t.localPort.includes(${port4})) }));`;
    const r = run([...inject('ENOMEM'), process.execPath], ['-e', script]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      fallbacks: [{ file: 'tcp', code: 'ENOMEM' }, { file: 'tcp6', code: 'ENOMEM' }],
      sources: [['tcp', 'proc'], ['tcp6', 'proc']],
      mine: true,
    });
    // Without the fault: no fallback, the netlink source.
    const ok = run([process.execPath], ['-e', script]);
    expect(JSON.parse(ok.stdout)).toEqual({ fallbacks: [], sources: [['tcp', 'netlink'], ['tcp6', 'netlink']], mine: true });
  });

  it('--info (only the dump has tcp_info): the kernel\'s ENOMEM fails the run with the errno, exit 1', () => {
    const r = run([...inject('ENOMEM'), process.execPath], [CLI, '-tln', '--info']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^netsnap: the netlink dump of tcp6? failed: ENOMEM\n$/);
  });

  it('serve: the fallbacks are counted in netsnap_netlink_fallbacks_total, the sample served from /proc', async () => {
    const served = await startServe(['--no-owners'], {}, inject('ENOBUFS'));
    // strace's child: serve itself. SIGTERM goes to it (strace exits with it; a SIGTERM to strace
    // would detach it and leave serve running).
    const servePid = Number(readFileSync(`/proc/${served.child.pid}/task/${served.child.pid}/children`, 'utf8').trim().split(' ')[0]);
    expect(readFileSync(`/proc/${servePid}/cmdline`, 'utf8')).toContain('serve');
    try {
      const a = await served.get('/metrics');
      expect(a.status).toBe(200);
      const b = await served.get('/metrics');
      expect(b.status).toBe(200);
      const value = (body: string, file: string) =>
        Number(new RegExp(`^netsnap_netlink_fallbacks_total\\{file="${file}",error="ENOBUFS"\\} (\\d+)$`, 'm').exec(body)?.[1]);
      expect(value(b.body, 'tcp')).toBeGreaterThanOrEqual(2);
      expect(value(b.body, 'tcp6')).toBe(value(b.body, 'tcp'));
      expect(b.body).toMatch(/^netsnap_sample_errors_total 0$/m);
      expect(b.body).toMatch(new RegExp(`^netsnap_listen_accept_queue\\{proto="tcp",family="ipv4",address="127.0.0.1",port="${port4}"\\} 0$`, 'm'));
    } finally {
      try {
        process.kill(servePid, 'SIGTERM');
      } catch { /* gone */ }
      expect(await served.stop()).toBe(0);
    }
  });
});
