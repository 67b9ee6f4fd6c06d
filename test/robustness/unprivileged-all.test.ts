// The whole CLI and the library as an unprivileged user (nobody): every listing mode lists the
// sockets, finds nobody's own owners (`PID/node`), shows `-` for everybody else's, prints netstat's
// note on stderr where netstat prints it, and exits 0; the library reports the processes it could
// not read (pidsDenied) and still finds the caller's own sockets. Compared with the real netstat
// run as nobody where the output holds still long enough to compare.
import { spawnSync } from 'node:child_process';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI, ROOT } from '../helpers/env';
import { valid, type Obj } from '../helpers/schema';

const isRoot = process.getuid?.() === 0;
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const HELPER = path.join(__dirname, '..', 'helpers', 'unprivileged-all.js');
const LIB = path.join(ROOT, 'dist', 'index.js');
// The checkout must be readable by nobody (it is not when it lives under a private home directory).
const canRun =
  isRoot &&
  spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `for (const f of ${JSON.stringify([CLI, HELPER, LIB])}) require('fs').accessSync(f, 4)`]).status === 0;
const hasNetstat = spawnSync('netstat', ['-V']).status === 0;
if (!canRun) console.warn(`unprivileged-all: skipped (${isRoot ? 'the checkout is not readable by nobody' : 'not root: cannot switch to nobody'})`);

const NOTE = '(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n';

interface Run { status: number | null; stdout: string; stderr: string }
interface Summary {
  pidsScanned: number; pidsDenied: number; pidsVanished: number;
  mine: Array<{ pid: number; name: string; uid: number | null }> | null;
  unix: number[][]; othersWithOwners: number; others: number;
}
interface Out {
  pid: number;
  tcp: { port: number; inode: number };
  udp: { port: number; inode: number };
  unix: { path: string; client: number; serverSide: number; listener: number };
  runs: Array<{ args: string[]; netsnap: Run; netstat: Run | null }>;
  api: { snapshot: Summary; sample: Summary; sampler: Summary[] };
}

const COMMANDS: Array<{ args: string[]; netstat: boolean }> = [
  { args: ['-tunap'], netstat: true },
  { args: ['-tlnp'], netstat: true },
  { args: ['-xp'], netstat: true },
  { args: ['-xap'], netstat: true },
  { args: ['-s'], netstat: true },
  { args: ['-r'], netstat: true },
  { args: ['-rn'], netstat: true },
  { args: ['-i'], netstat: true },
  { args: ['-g'], netstat: true },
  { args: ['--json', '-tunap'], netstat: false },
  { args: ['-y', '--top', '100000'], netstat: false },
  { args: ['--watch', '--count', '2', '--interval', '100ms', '-tn'], netstat: false },
];

function asNobody(): Out {
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, HELPER, CLI, JSON.stringify(COMMANDS.map((c) => ({ ...c, netstat: c.netstat && hasNetstat }))), LIB], {
    encoding: 'utf8',
    env: { ...process.env, NETSNAP_BACKEND: backend.name },
    timeout: 150_000,
    maxBuffer: 512 << 20,
    cwd: '/',
  });
  if (r.status !== 0) throw new Error(`unprivileged run failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout) as Out;
}

describe.skipIf(!canRun)(`every mode as nobody (${backend.name})`, () => {
  // A listener of root's that nobody may not attribute.
  const rootServer = net.createServer();
  let rootPort = 0;
  let o: Out;
  const run = (...args: string[]) => {
    const r = o.runs.find((x) => x.args.join(' ') === args.join(' '));
    if (!r) throw new Error(`no run of ${args.join(' ')}`);
    return r;
  };
  const lineWith = (text: string, needle: string) => text.split('\n').find((l) => l.includes(needle));

  beforeAll(async () => {
    await new Promise<void>((resolve) => rootServer.listen(0, '127.0.0.1', () => resolve()));
    rootPort = (rootServer.address() as net.AddressInfo).port;
    o = asNobody();
  }, 180_000);
  afterAll(() => rootServer.close());

  it('-tunap and -tlnp: all sockets, own owners as PID/node, others as -, the note on stderr, exit 0', () => {
    for (const args of [['-tunap'], ['-tlnp']]) {
      const r = run(...args);
      expect(r.netsnap.status, args.join(' ')).toBe(0);
      expect(r.netsnap.stderr).toBe(NOTE);
      const own = lineWith(r.netsnap.stdout, `127.0.0.1:${o.tcp.port} `);
      expect(own).toMatch(new RegExp(`^tcp +0 +0 127\\.0\\.0\\.1:${o.tcp.port} +0\\.0\\.0\\.0:\\* +LISTEN +${o.pid}/node +$`));
      expect(lineWith(r.netsnap.stdout, `127.0.0.1:${rootPort} `)).toMatch(/ LISTEN +- +$/);
      if (args[0] === '-tunap') {
        const udp = r.netsnap.stdout.split('\n').find((l) => l.startsWith('udp ') && l.includes(`127.0.0.1:${o.udp.port} `));
        expect(udp).toMatch(new RegExp(`^udp .* ${o.pid}/node +$`));
      }
      // No row but nobody's own shows a program (nobody's processes are node: this helper, and the
      // other backend's run of this test, which may run at the same time).
      for (const l of r.netsnap.stdout.split('\n').slice(2)) {
        if (l !== '') expect(l).toMatch(/ (-|\d+\/node) +$/);
      }
      if (r.netstat) {
        expect(r.netstat.status).toBe(0);
        expect(r.netsnap.stderr).toBe(r.netstat.stderr);
        for (const needle of [`127.0.0.1:${o.tcp.port} `, `127.0.0.1:${rootPort} `, `127.0.0.1:${o.udp.port} `]) {
          const theirs = lineWith(r.netstat.stdout, needle);
          if (theirs !== undefined || needle.includes(String(o.tcp.port)) || needle.includes(String(rootPort))) {
            expect(lineWith(r.netsnap.stdout, needle), `${args.join(' ')}: ${needle}`).toBe(theirs);
          }
        }
        expect(r.netsnap.stdout.split('\n').slice(0, 2)).toEqual(r.netstat.stdout.split('\n').slice(0, 2));
      }
    }
  });

  it('-xp and -xap: own UNIX sockets as PID/node, the note, as netstat', () => {
    for (const args of [['-xp'], ['-xap']]) {
      const r = run(...args);
      expect(r.netsnap.status).toBe(0);
      expect(r.netsnap.stderr).toBe(NOTE);
      const inodes = args[0] === '-xap' ? [o.unix.client, o.unix.serverSide, o.unix.listener] : [o.unix.client, o.unix.serverSide];
      for (const inode of inodes) {
        const ours = lineWith(r.netsnap.stdout, ` ${inode} `);
        expect(ours, `${args.join(' ')} inode ${inode}`).toContain(` ${o.pid}/node `);
        if (r.netstat) expect(ours).toBe(lineWith(r.netstat.stdout, ` ${inode} `));
      }
      if (r.netstat) {
        expect(r.netstat.status).toBe(0);
        expect(r.netsnap.stderr).toBe(r.netstat.stderr);
      }
    }
  });

  it('-s, -r, -rn, -i, -g: exit 0, nothing on stderr, as netstat', () => {
    for (const args of [['-s'], ['-r'], ['-rn'], ['-i'], ['-g']]) {
      const r = run(...args);
      expect(r.netsnap.status, args.join(' ')).toBe(0);
      expect(r.netsnap.stderr, args.join(' ')).toBe('');
      expect(r.netsnap.stdout.length).toBeGreaterThan(0);
      if (!r.netstat) continue;
      expect(r.netstat.status).toBe(0);
      expect(r.netsnap.stderr).toBe(r.netstat.stderr);
      if (args[0] === '-s') {
        // Counters move between the two runs: compare the sections.
        const sections = (s: string) => s.split('\n').filter((l) => /^\S/.test(l));
        expect(sections(r.netsnap.stdout)).toEqual(sections(r.netstat.stdout));
      } else if (args[0] === '-i') {
        const names = (s: string) => s.split('\n').map((l) => l.split(' ')[0]);
        expect(names(r.netsnap.stdout)).toEqual(names(r.netstat.stdout));
      } else {
        expect(r.netsnap.stdout).toBe(r.netstat.stdout);
      }
    }
  });

  it('--json -tunap: own owner with pid and program, nobody else\'s, pidsDenied > 0', () => {
    const r = run('--json', '-tunap');
    expect(r.netsnap.status).toBe(0);
    expect(r.netsnap.stderr).toBe('');
    const doc = JSON.parse(r.netsnap.stdout) as Obj;
    valid(doc);
    expect(doc.owners.pidsDenied).toBeGreaterThan(0);
    const sockets = doc.sockets as Obj[];
    const mine = sockets.find((s) => s.inode === o.tcp.inode)!;
    expect(mine.owners.map((x: Obj) => [x.pid, x.program])).toEqual([[o.pid, 'node']]);
    expect(sockets.find((s) => s.local.port === rootPort && s.stateName === 'LISTEN')!.owners).toEqual([]);
    // Only nobody's processes are owners.
    const foreign = sockets.flatMap((s) => (s.owners as Obj[]).filter((x) => x.uid !== 65534).map((x) => ({ ...x, socket: s.inode })));
    expect(foreign).toEqual([]);
  });

  it('-y: counts everything, lists its own process and no one else\'s', () => {
    const r = run('-y', '--top', '100000');
    expect(r.netsnap.status).toBe(0);
    expect(r.netsnap.stdout).toMatch(/^Sockets: [1-9]\d*\n/);
    const procs = r.netsnap.stdout.split('Top processes:\n')[1]!.split('\n\n')[0]!.split('\n').filter(Boolean);
    expect(procs.length).toBeGreaterThan(0);
    // Nobody's processes only: the helper, netsnap itself (its stdio pipes are UNIX sockets), and
    // perhaps the other backend's run of this test.
    expect(procs.some((l) => l.startsWith(`  ${o.pid}/node `))).toBe(true);
    const denied = procs.filter((l) => /^  \(\d+ process\(es\) could not be inspected; run as root to see all\)$/.test(l));
    expect(denied).toHaveLength(1);
    const shown = procs.filter((l) => !denied.includes(l));
    for (const l of shown) expect(l).toMatch(/^  \d+\/node /);
    expect(r.netsnap.stdout.split('\n').find((l) => new RegExp(`^  tcp +${o.tcp.port} `).test(l))).toMatch(/ 127\.0\.0\.1 \[node\]$/);
  });

  it('--watch --count 2: two ticks, exit 0', () => {
    const r = run('--watch', '--count', '2', '--interval', '100ms', '-tn');
    expect(r.netsnap.status).toBe(0);
    expect(r.netsnap.stdout.match(/^--- .* tick [01]: /gm)).toHaveLength(2);
  });

  it('the library: pidsDenied > 0, its own socket\'s owner found, nobody else\'s', () => {
    for (const [name, s] of [['snapshot', o.api.snapshot], ['sample', o.api.sample]] as const) {
      expect(s.pidsDenied, name).toBeGreaterThan(0);
      expect(s.pidsScanned, name).toBeGreaterThan(0);
      expect(s.mine, name).toEqual([{ pid: o.pid, name: 'node', uid: 65534 }]);
      expect(s.unix, name).toEqual([[o.pid]]);
      expect(s.others, name).toBeGreaterThan(0);
      expect(s.othersWithOwners, name).toBe(0);
    }
    for (const s of o.api.sampler) {
      expect(s.mine).toEqual([{ pid: o.pid, name: 'node', uid: 65534 }]);
      expect(s.othersWithOwners).toBe(0);
    }
  });

  // The sampler's snapshots carry the counters of the full scan their owners rest on, so an
  // unprivileged sampler knows owners are missing (they were always 0 before).
  it('the sampler reports the processes it may not read (pidsDenied > 0)', () => {
    for (const s of o.api.sampler) expect(s.pidsDenied).toBeGreaterThan(0);
  });
});
