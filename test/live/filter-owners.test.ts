// The predicates on processes (pid, comm, program) and on the socket's own columns (uid, user,
// send-q, recv-q) on live sockets: a python3 process holding a listener and three clients whose
// server sides wait unaccepted in the listener's queue (held by no process). Checked against
// `ss -tanp` (whose users:(...) names the holders) and through every place a filter goes: the
// listing, --json, the sampler API and snapshot().
import { spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { backend } from '../helpers/env';
import { holderProcess } from '../helpers/sockets';
import { snapshot } from '../../src/backends/snapshot';
import { createSampler } from '../../src/services/sampler';

let child: ChildProcess;
let pid = 0;
let port = 0;

beforeAll(async () => {
  const h = await holderProcess();
  child = h.child;
  pid = h.info.pid;
  port = h.info.listenerPort;
});

afterAll(async () => {
  child.stdin!.end();
  if (child.exitCode === null) await new Promise((r) => child.once('exit', r));
});

/** "local remote state" of the listing's rows on the holder's port, sorted. */
function rows(args: string[]): string[] {
  const r = netsnap(['-tanW', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter((l) => /^tcp6? /.test(l)).map((l) => l.trim().split(/\s+/)).filter((f) => f[3]!.endsWith(`:${port}`) || f[4]!.endsWith(`:${port}`))
    // A TIME_WAIT socket of another test may have had this port as its own: not ours.
    .filter((f) => f[5] !== 'TIME_WAIT').map((f) => `${f[3]} ${f[4]} ${f[5]}`).sort();
}

describe(`filters on processes and the socket's own columns (${backend.name})`, () => {
  it('pid = N keeps the sockets that process holds, as ss -p names them', () => {
    const ours = rows([`pid = ${pid}`]);
    // The listener and the three clients; the queued server sides belong to nobody.
    expect(ours).toHaveLength(4);
    expect(ours).toContain(`127.0.0.1:${port} 0.0.0.0:* LISTEN`);
    const ss = spawnSync('ss', ['-tanpH'], { encoding: 'utf8' });
    expect(ss.status).toBe(0);
    const theirs = ss.stdout.split('\n').filter((l) => l.includes(`pid=${pid},`)).map((l) => l.trim().split(/\s+/))
      .filter((f) => f[3]!.endsWith(`:${port}`) || f[4]!.endsWith(`:${port}`));
    expect(theirs).toHaveLength(4);
    expect(rows([`pid != ${pid} and sport = :${port}`])).toHaveLength(3);
    expect(rows([`state established not pid = ${pid} sport = :${port}`])).toHaveLength(3);
    expect(rows([`pid > ${pid}`]).filter((r) => r.includes(`:${port} 0.0.0.0`))).toHaveLength(0);
  });

  it('comm and program take globs; a socket nobody holds matches no process predicate', () => {
    expect(rows(['comm = python3'])).toEqual(rows([`pid = ${pid}`]));
    expect(rows(['comm = pyth?n*'])).toEqual(rows([`pid = ${pid}`]));
    expect(rows(['program = python*'])).toEqual(rows([`pid = ${pid}`]));
    expect(rows(['comm = nosuchcomm'])).toEqual([]);
    expect(rows([`not comm = python3 and sport = :${port}`])).toHaveLength(3);
  });

  it('uid, user and the queues choose by the socket\'s own columns', () => {
    const uid = process.getuid!();
    expect(rows([`uid = ${uid} and dport = :${port}`])).toHaveLength(3);
    expect(rows([`uid != ${uid} and dport = :${port}`])).toHaveLength(0);
    if (uid === 0) expect(rows([`user = root and dport = :${port}`])).toHaveLength(3);
    // The listener's Recv-Q is its accept queue: 3 connections wait in it.
    expect(rows([`recv-q = 3 and sport = :${port}`])).toEqual([`127.0.0.1:${port} 0.0.0.0:* LISTEN`]);
    expect(rows([`recv-q > 3k and sport = :${port}`])).toEqual([]);
  });

  it('goes through --json, snapshot() and the sampler alike', async () => {
    const r = netsnap(['-tan', '--json', `pid = ${pid}`]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { sockets: Array<{ localPort: number; owners: Array<{ pid: number }> }> };
    const mine = doc.sockets.filter((s) => s.owners.some((o) => o.pid === pid));
    expect(mine).toHaveLength(doc.sockets.length);
    expect(mine.length).toBeGreaterThanOrEqual(4);
    const snap = snapshot({ protocols: ['tcp'], filter: `pid = ${pid}` });
    const inodes = snap.inet.flatMap((t) => [...t.inode]);
    expect(inodes.length).toBeGreaterThanOrEqual(4);
    for (const ino of inodes) expect(snap.ownersOf(ino).some((o) => o.pid === pid)).toBe(true);
    const sampler = createSampler({ interval: 0, protocols: ['tcp'], filter: `exclude time-wait ( sport = :${port} or dport = :${port} )`, diff: false });
    const tick = await sampler.next();
    sampler.close();
    // The listener, 3 clients and their 3 queued server sides.
    expect(tick.snapshot.inet.reduce((n, t) => n + t.count, 0)).toBe(7);
  });
});
