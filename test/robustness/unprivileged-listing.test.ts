import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI } from '../helpers/env';

const isRoot = process.getuid?.() === 0;
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
// The checkout must be readable by nobody (it is not when it lives under a private home directory).
const canRun =
  isRoot &&
  spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4); require('fs').accessSync(${JSON.stringify(__dirname)}, 5)`]).status === 0;

interface Out { pid: number; port: number; netstat: { status: number; stdout: string; stderr: string }; netsnap: { status: number; stdout: string; stderr: string } }

function asNobody(args: string[]): Out {
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, path.join(__dirname, '..', 'helpers', 'unprivileged.js'), CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NETSNAP_BACKEND: backend.name },
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`unprivileged run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Out;
}

describe.skipIf(!canRun)(`-p as an unprivileged user (${backend.name})`, () => {
  // A listener of root's that nobody may not attribute.
  const rootServer = net.createServer();
  let rootPort = 0;
  beforeAll(() => new Promise<void>((resolve) => rootServer.listen(0, '127.0.0.1', () => {
    rootPort = (rootServer.address() as net.AddressInfo).port;
    resolve();
  })));
  afterAll(() => rootServer.close());

  it("prints netstat's note on stderr, maps the user's own sockets, and shows '-' for the rest", () => {
    // Tests running in parallel open and close listeners: take a run where both tools saw the same
    // set (at most 10 tries).
    let o = asNobody(['-tlnp']);
    for (let i = 0; i < 10 && o.netsnap.stdout !== o.netstat.stdout; i++) o = asNobody(['-tlnp']);
    expect(o.netsnap.status).toBe(0);
    expect(o.netsnap.stderr).toBe(o.netstat.stderr);
    expect(o.netsnap.stderr).toBe('(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n');
    // Every listener is listed, with '-' where the owner is another user's.
    expect(o.netsnap.stdout).toBe(o.netstat.stdout);
    const rootLine = o.netsnap.stdout.split('\n').find((l) => l.includes(`127.0.0.1:${rootPort} `));
    expect(rootLine).toMatch(/LISTEN      -\s+$/);
    const line = (s: string) => s.split('\n').find((l) => l.includes(`127.0.0.1:${o.port} `));
    expect(line(o.netsnap.stdout)).toBe(line(o.netstat.stdout));
    expect(line(o.netsnap.stdout)).toContain(` ${o.pid}/node `);
  });
});
