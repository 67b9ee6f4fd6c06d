// --netns, --pid and --all-netns against real network namespaces (root and `ip netns` needed).
// Each run creates its own namespaces (named after the pid and the backend, since the suite runs
// once per backend, possibly in parallel) with a loopback listener inside, and removes them after.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { namespaceLabel } from '../../src/procnet/netns';
import { withoutNamespaceOptions } from '../../src/cli/args';

const BACKEND = process.env.NETSNAP_BACKEND ?? 'default';
const PREFIX = 'netsnap-ns-';
const NS = `${PREFIX}${process.pid}-${BACKEND}`;
const EMPTY = `${PREFIX}${process.pid}-${BACKEND}-empty`;

function ip(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function canUseNetns(): boolean {
  if (process.geteuid?.() !== 0) return false;
  const r = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8', timeout: 10_000 });
  if (r.status !== 0) return false;
  return spawnSync('nsenter', ['--version'], { timeout: 10_000 }).status === 0;
}

/** Deletes namespaces left by runs whose process is gone (and never another live run's). */
function removeLeftovers(): void {
  for (const line of ip(['netns', 'list']).stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    const m = /^netsnap-ns-(\d+)-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid !== process.pid && fs.existsSync(`/proc/${pid}`)) continue;
    ip(['netns', 'del', name]);
  }
}

const LISTENER = `
import os, socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(("127.0.0.1", 0))
s.listen(4)
print(os.getpid(), s.getsockname()[1], flush=True)
sys.stdin.read()
`;

describe.skipIf(!canUseNetns())('network namespaces (live)', () => {
  let child: ChildProcess | null = null;
  let pid = 0;
  let port = 0;
  let inode = 0;

  beforeAll(async () => {
    removeLeftovers();
    for (const name of [NS, EMPTY]) {
      ip(['netns', 'del', name]);
      const r = ip(['netns', 'add', name]);
      if (r.status !== 0) throw new Error(`ip netns add ${name}: ${r.stderr}`);
      ip(['netns', 'exec', name, 'ip', 'link', 'set', 'lo', 'up']);
    }
    const c = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', LISTENER], { stdio: ['pipe', 'pipe', 'inherit'] });
    child = c;
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      const timer = setTimeout(() => reject(new Error('listener did not start')), 15_000);
      c.stdout!.setEncoding('utf8');
      c.stdout!.on('data', (d: string) => {
        buf += d;
        if (buf.includes('\n')) {
          clearTimeout(timer);
          resolve(buf);
        }
      });
      c.on('exit', (code) => reject(new Error(`listener exited (${code})`)));
    });
    [pid, port] = line.trim().split(/\s+/).map(Number) as [number, number];
    inode = fs.statSync(`/proc/${pid}/ns/net`).ino;
  });

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const c = child;
      const gone = new Promise((resolve) => c.on('exit', resolve));
      c.stdin?.end();
      const t = setTimeout(() => c.kill('SIGKILL'), 5_000);
      await gone;
      clearTimeout(t);
    }
    ip(['netns', 'del', NS]);
    ip(['netns', 'del', EMPTY]);
  });

  const row = () => new RegExp(`^tcp +0 +0 127\\.0\\.0\\.1:${port} +0\\.0\\.0\\.0:\\* +LISTEN`, 'm');

  it('--netns NAME lists the namespace sockets, and the host listing does not', () => {
    const r = netsnap(['-tln', '--netns', NS]);
    expect(r.stderr).toBe('');
    expect(r.status, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^Active Internet connections \(only servers\)\n/);
    expect(r.stdout).toMatch(row());
    const host = netsnap(['-tln']);
    expect(host.status, host.stderr).toBe(0);
    expect(host.stdout).not.toMatch(row());
  });

  it('-p finds the owner across the whole /proc', () => {
    const r = netsnap(['-tlnp', `--netns=${NS}`]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} .*LISTEN +${pid}/python3`));
  });

  it('--pid PID lists that process namespace', () => {
    const r = netsnap(['-tln', '--pid', String(pid)]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(row());
    // and --pid of a host process shows the host's view
    const self = netsnap(['-tln', '--pid', String(process.pid)]);
    expect(self.status).toBe(0);
    expect(self.stdout).toMatch(/^Active Internet connections/);
    expect(self.stdout).not.toMatch(row());
  });

  it('--all-netns labels every namespace, the host one included', () => {
    const r = netsnap(['-tlnp', '--all-netns']);
    expect(r.status).toBe(0);
    const hostIno = fs.statSync('/proc/self/ns/net').ino;
    const sections = r.stdout.split(/^(?=Network namespace )/m);
    const ours = sections.find((s) => s.startsWith(`Network namespace ${inode} (`));
    expect(ours).toBeDefined();
    expect(ours!.split('\n')[0]).toBe(`Network namespace ${inode} (pid ${pid}, name ${NS})`);
    expect(ours).toMatch(new RegExp(`127\\.0\\.0\\.1:${port} .*LISTEN +${pid}/python3`));
    const host = sections.find((s) => new RegExp(`^Network namespace ${hostIno} \\(pid \\d+`).test(s));
    expect(host).toBeDefined();
    expect(host).not.toMatch(row());
    // the empty named namespace is entered and labelled with its name only
    const emptyIno = fs.statSync(`/run/netns/${EMPTY}`).ino;
    const empty = sections.find((s) => s.startsWith(`Network namespace ${emptyIno} (`));
    expect(empty?.split('\n')[0]).toBe(`Network namespace ${emptyIno} (name ${EMPTY})`);
    expect(empty).toMatch(/^Active Internet connections \(only servers\)\n/m);
  });

  it('--all-netns --json wraps each namespace document', () => {
    const r = netsnap(['-tln', '--all-netns', '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { schema: string; kind: string; namespaces: Array<{ id: number; pid: number | null; name: string | null; result: unknown }> };
    expect(doc.schema).toBe('netsnap/v1');
    expect(doc.kind).toBe('namespaces');
    type Doc = { kind: string; sockets: Array<{ local: { address: string; port: number }; owners: Array<{ pid: number }> }> };
    const ours = doc.namespaces.find((n) => n.id === inode);
    expect(ours).toMatchObject({ id: inode, pid, name: NS });
    const sockets = (ours!.result as Doc).sockets;
    expect((ours!.result as Doc).kind).toBe('sockets');
    const mine = sockets.find((s) => s.local.address === '127.0.0.1' && s.local.port === port);
    expect(mine?.owners.map((o) => o.pid)).toContain(pid);
    const hostIno = fs.statSync('/proc/self/ns/net').ino;
    const host = doc.namespaces.find((n) => n.id === hostIno);
    expect(host).toBeDefined();
    expect(host!.pid).not.toBeNull();
    expect((host!.result as Doc).sockets.some((s) => s.local.address === '127.0.0.1' && s.local.port === port)).toBe(false);
  });

  it('--netns NAME of an empty namespace is entered with nsenter', () => {
    const r = netsnap(['-tan', '--netns', EMPTY]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'Active Internet connections (servers and established)\nProto Recv-Q Send-Q Local Address           Foreign Address         State      \n',
    );
  });

  it('errors clearly for an unknown name or pid', () => {
    const n = netsnap(['-tln', '--netns', `${PREFIX}does-not-exist`]);
    expect(n.status).toBe(1);
    expect(n.stderr).toBe(`netsnap: no network namespace named '${PREFIX}does-not-exist' (/run/netns/${PREFIX}does-not-exist does not exist)\n`);
    expect(n.stdout).toBe('');
    const p = netsnap(['-tln', '--pid', '2147483647']);
    expect(p.status).toBe(1);
    expect(p.stderr).toBe('netsnap: no process with pid 2147483647\n');
  });
});

describe('namespace helpers', () => {
  it('drops the namespace options from an argv', () => {
    expect(withoutNamespaceOptions(['-tln', '--netns', 'x', '-p'])).toEqual(['-tln', '-p']);
    expect(withoutNamespaceOptions(['--netns=x', '--json'])).toEqual(['--json']);
    expect(withoutNamespaceOptions(['--ne', 'x', '--pi', '3', '--all-netns', '-A', 'inet'])).toEqual(['-A', 'inet']);
    expect(withoutNamespaceOptions(['--proc-root', '--pid', '-t'])).toEqual(['--proc-root', '--pid', '-t']);
    expect(withoutNamespaceOptions(['-nA', 'inet', '--all', '--', '--pid'])).toEqual(['-nA', 'inet', '--all', '--', '--pid']);
  });

  it('labels namespaces', () => {
    expect(namespaceLabel({ ino: 4026531840, pid: 1, name: null })).toBe('Network namespace 4026531840 (pid 1)\n');
    expect(namespaceLabel({ ino: 7, pid: 12, name: 'blue' })).toBe('Network namespace 7 (pid 12, name blue)\n');
    expect(namespaceLabel({ ino: 7, pid: null, name: 'blue' })).toBe('Network namespace 7 (name blue)\n');
  });
});
