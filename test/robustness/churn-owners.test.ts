// Churn: child processes open and close connections (1,000+ per second in total) while netsnap
// samples at 4 Hz, first with sample()/snapshot(), then with the sampler (its defaults: incremental
// owners at any size; then a full scan with every tick), a third of the time each. Every value must
// be possible, and every owner reported for a child's socket must be that child. Each child makes
// its sockets on loopback addresses of its own (listener and accepted sides on LISTEN_HOST, client
// sides on CLIENT_HOST), so the local address of a socket says which child made it, whatever the
// ports and however fast they are reused. NETSNAP_CHURN_SECONDS (default 30) is the sampling time.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { createSampler } from '../../src/services/sampler';
import { type Snapshot } from '../../src/model/snapshot';
import { sample, snapshot } from '../../src/backends/snapshot';
import { backend } from '../helpers/env';

const SECONDS = Number(process.env.NETSNAP_CHURN_SECONDS ?? 30);
const CHILDREN = 4;
const RATE = 300; // connections per second per child
// 127.B.(C+i).1 listens, 127.B.(C+i).2 connects: B and C random, so two runs (one per backend,
// possibly at the same time) use different addresses.
const B = 16 + Math.floor(Math.random() * 234);
const C = Math.floor(Math.random() * 200);
const listenHost = (i: number) => `127.${B}.${C + i}.1`;
const clientHost = (i: number) => `127.${B}.${C + i}.2`;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  pid: number;
  port: number;
  next(): Promise<string>;
}

async function startChild(i: number): Promise<Child> {
  const proc = spawn(process.execPath, [path.join(__dirname, '..', 'helpers', 'churn-child.js'), listenHost(i), clientHost(i)]);
  proc.stderr.pipe(process.stderr);
  const lines = readline.createInterface({ input: proc.stdout });
  const queued: string[] = [];
  const waiting: Array<(l: string) => void> = [];
  lines.on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queued.push(l);
  });
  const next = () => new Promise<string>((resolve, reject) => {
    const q = queued.shift();
    if (q !== undefined) return resolve(q);
    const t = setTimeout(() => reject(new Error(`churn child ${i} did not answer in 30 s`)), 30_000);
    waiting.push((l) => { clearTimeout(t); resolve(l); });
  });
  const first = await next();
  const m = /^port (\d+)$/.exec(first);
  if (!m) throw new Error(`churn child ${i} said ${JSON.stringify(first)}`);
  return { proc, pid: proc.pid!, port: Number(m[1]), next };
}

let children: Child[] = [];
afterAll(() => {
  for (const c of children) {
    c.proc.stdin.end();
    c.proc.kill();
  }
});

const TCP_STATES = new Set([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
const DGRAM_STATES = new Set([1, 7]); // UDP, UDP-Lite, RAW: ESTABLISHED or CLOSE
const UNIX_STATES = new Set([0, 1, 2, 3, 4]); // SS_FREE .. SS_DISCONNECTING
const UNIX_TYPES = new Set([1, 2, 5]); // STREAM, DGRAM, SEQPACKET

interface Tally {
  samples: number;
  rows: number;
  /** Rows with one of the children's addresses and at least one owner: the owners were checked. */
  ownedChecked: number;
  /** Owners (pid, fd) checked against the child that made the socket. */
  ownersChecked: number;
  violations: string[];
}

const newTally = (): Tally => ({ samples: 0, rows: 0, ownedChecked: 0, ownersChecked: 0, violations: [] });

/** Which child made a socket with this local IPv4 address (bytes of the row), or -1 for none of ours. */
function childOf(a: Uint8Array, o: number): number {
  if (a[o] !== 127 || a[o + 1] !== B) return -1;
  const i = a[o + 2]! - C;
  if (i < 0 || i >= CHILDREN || (a[o + 3] !== 1 && a[o + 3] !== 2)) return -1;
  return i;
}

/** Checks every value of a snapshot, and the owners of every socket of ours or held by a child. */
function check(s: Snapshot, where: string, tally: Tally): void {
  const bad = (msg: string) => {
    if (tally.violations.length < 50) tally.violations.push(`${where}: ${msg}`);
  };
  const pidToChild = new Map(children.map((c, i) => [c.pid, i]));
  const own = s.owners;
  if (!own) return bad('no owner index');
  tally.samples++;
  // The owner index itself: sorted by inode, positive pids, fds >= 0, counters >= 0.
  for (let k = 0; k < own.count; k++) {
    const inode = own.inodes[k]!;
    if (!Number.isInteger(inode) || inode <= 0) bad(`owner entry ${k}: inode ${inode}`);
    if (k > 0 && own.inodes[k - 1]! > inode) bad(`owner entries not sorted at ${k}`);
    if (!(own.pids[k]! > 0)) bad(`owner entry ${k}: pid ${own.pids[k]}`);
    if (!(own.fds[k]! >= 0)) bad(`owner entry ${k}: fd ${own.fds[k]}`);
  }
  for (const n of [own.pidsScanned, own.pidsVanished, own.pidsDenied]) if (!(Number.isInteger(n) && n >= 0)) bad(`scan counter ${n}`);
  // (The sampler's index carries its incremental counters instead: pidsScanned may be 0 there.)
  if (where.startsWith('s') && !where.startsWith('sampler') && own.pidsScanned === 0) bad('no process scanned');

  for (const t of s.inet) {
    const states = t.proto === 'tcp' ? TCP_STATES : DGRAM_STATES;
    const fam = t.ipv6File ? 6 : 4;
    for (let i = 0; i < t.count; i++) {
      tally.rows++;
      const inode = t.inode[i]!;
      if (t.family[i] !== fam) bad(`${t.file} row ${i}: family ${t.family[i]}`);
      if (!states.has(t.state[i]!)) bad(`${t.file} row ${i}: state ${t.state[i]}`);
      if (!Number.isInteger(inode) || inode < 0) bad(`${t.file} row ${i}: inode ${inode}`);
      if (!(t.timerKind[i]! <= 4)) bad(`${t.file} row ${i}: timer ${t.timerKind[i]}`);
      for (const q of [t.txQueue[i]!, t.rxQueue[i]!, t.timerJiffies[i]!, t.retransmits[i]!, t.uid[i]!, t.drops[i]!]) {
        if (!Number.isFinite(q) || q < 0) bad(`${t.file} row ${i}: value ${q}`);
      }
      // Which child made it (IPv4 rows with one of our addresses), and which children hold it.
      const maker = fam === 4 && t.proto === 'tcp' ? childOf(t.localAddr, i * 16) : -1;
      let heldByChild = false;
      for (let k = inode === 0 ? -1 : own.first(inode); k >= 0 && k < own.count && own.inodes[k] === inode; k++) {
        if (pidToChild.has(own.pids[k]!)) heldByChild = true;
      }
      if (maker < 0 && !heldByChild) continue;
      // A socket of ours, or one a child holds: check the row object too.
      const r = s.inetSocket(t, i);
      if (!(r.localPort >= 0 && r.localPort <= 65535 && r.remotePort >= 0 && r.remotePort <= 65535)) bad(`${t.file} row ${i}: ports ${r.localPort} ${r.remotePort}`);
      if (r.localPort === 0 && r.state !== 7) bad(`${t.file} row ${i}: local port 0 in state ${r.stateName}`);
      if (/^\?|unknown/i.test(r.stateName)) bad(`${t.file} row ${i}: state name ${r.stateName}`);
      if (inode === 0 && r.owners.length > 0) bad(`${t.file} row ${i}: inode 0 (TIME_WAIT or orphan) with owners ${JSON.stringify(r.owners)}`);
      for (const o of r.owners) {
        if (!(Number.isInteger(o.pid) && o.pid > 0 && Number.isInteger(o.fd) && o.fd >= 0)) bad(`${r.localAddress}:${r.localPort}: owner ${JSON.stringify(o)}`);
        const ownerChild = pidToChild.get(o.pid);
        if (maker >= 0) {
          tally.ownersChecked++;
          if (o.pid !== children[maker]!.pid) {
            bad(`${r.stateName} ${r.localAddress}:${r.localPort} -> ${r.remoteAddress}:${r.remotePort} inode ${inode} was made by child ${maker} (pid ${children[maker]!.pid}) but is attributed to pid ${o.pid}/${o.name} fd ${o.fd}`);
          } else if (o.name !== 'node') bad(`child ${maker}'s owner named ${JSON.stringify(o.name)}`);
        } else if (ownerChild !== undefined) {
          bad(`${r.stateName} ${r.localAddress}:${r.localPort} -> ${r.remoteAddress}:${r.remotePort} inode ${inode} is attributed to child ${ownerChild} (pid ${o.pid}), which never made it`);
        }
      }
      if (maker >= 0 && r.owners.length > 0) tally.ownedChecked++;
    }
  }
  const u = s.unix;
  if (u) {
    for (let i = 0; i < u.count; i++) {
      tally.rows++;
      if (!UNIX_STATES.has(u.state[i]!)) bad(`unix row ${i}: state ${u.state[i]}`);
      if (!UNIX_TYPES.has(u.type[i]!)) bad(`unix row ${i}: type ${u.type[i]}`);
      const inode = u.inode[i]!;
      if (!Number.isInteger(inode) || inode < 0) bad(`unix row ${i}: inode ${inode}`);
      if (u.pathStart[i]! + u.pathLen[i]! > u.pool.length) bad(`unix row ${i}: path outside the pool`);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe(`owners under churn (${backend.name})`, () => {
  it(`stay exact and sane while ${CHILDREN} processes open and close ~${CHILDREN * RATE} connections/s, sampled at 4 Hz for ${SECONDS} s`, async () => {
    children = await Promise.all(Array.from({ length: CHILDREN }, (_, i) => startChild(i)));
    // Child i connects to child i+1's listener: the accepted ends are child i+1's.
    children.forEach((c, i) => c.proc.stdin.write(`start ${listenHost((i + 1) % CHILDREN)} ${children[(i + 1) % CHILDREN]!.port} ${RATE}\n`));
    const t0 = performance.now();
    await sleep(300);

    // Phase 1: sample() (async, owners scanned fully) and snapshot() (sync), 4 Hz.
    const direct = newTally();
    const third = (SECONDS * 1000) / 3;
    const p1 = performance.now();
    for (let tick = 0; performance.now() - p1 < third && tick < SECONDS * 4; tick++) {
      check(await sample({ owners: true }), `sample() tick ${tick}`, direct);
      check(snapshot({ owners: true }), `snapshot() tick ${tick}`, direct);
      await sleep(Math.max(0, p1 + (tick + 1) * 250 - performance.now()));
    }

    // Phases 2 and 3: the sampler at 4 Hz, with its defaults (incremental owners at any size: the
    // fd counts of every process polled, the changed ones read again, a rolling share of the known
    // owners re-verified by readlink, new ones looked for in likely processes first; a full scan
    // every 10 s, the native one in the background), then with a full scan with every tick's
    // sample (incrementalOwnersUpTo: 0, what the exporter uses; the TypeScript one stays incremental).
    const sampled = newTally();
    const samplers: Array<{ name: string; stats: unknown }> = [];
    let diffRows = 0;
    for (const options of [{}, { incrementalOwnersUpTo: 0 }]) {
      const p2 = performance.now();
      const sampler = createSampler({ owners: true, interval: 0.25, ...options });
      let ticks = 0;
      for await (const t of sampler) {
        const where = `sampler ${JSON.stringify(options)} tick ${t.tick}`;
        check(t.snapshot, where, sampled);
        // The diff's row objects carry the same owners.
        for (const r of [...t.diff.opened, ...t.diff.changed.map((c) => c.socket)]) {
          diffRows++;
          if (r.proto === 'unix') continue;
          const a = r.localAddress.split('.').map(Number);
          const maker = a.length === 4 && r.family === 4 ? childOf(Uint8Array.from(a), 0) : -1;
          for (const o of r.owners) {
            if (!(o.pid > 0 && o.fd >= 0) || (maker >= 0 && o.pid !== children[maker]!.pid)) {
              sampled.violations.push(`${where}: diff row ${r.localAddress}:${r.localPort} (child ${maker}) owner ${JSON.stringify(o)}`);
            }
          }
        }
        if (++ticks >= SECONDS * 4 || performance.now() - p2 >= third) sampler.close();
      }
      samplers.push({ name: JSON.stringify(options), stats: sampler.ownerStats });
    }
    const seconds = (performance.now() - t0) / 1000;

    // Stop the churn; every child reports what it did.
    const stats = await Promise.all(children.map(async (c) => {
      c.proc.stdin.write('stop\n');
      const [word, opened, accepted, errors] = (await c.next()).split(' ');
      expect(word).toBe('stats');
      return { opened: Number(opened), accepted: Number(accepted), errors: Number(errors) };
    }));
    const opened = stats.reduce((n, s) => n + s.opened, 0);
    const accepted = stats.reduce((n, s) => n + s.accepted, 0);
    console.log(
      `churn (${backend.name}): ${opened} connections opened, ${accepted} accepted, in ${seconds.toFixed(1)} s (${(opened / seconds).toFixed(0)}/s); ` +
      `sample()+snapshot(): ${direct.samples} samples, ${direct.rows} rows, ${direct.ownedChecked} sockets of ours with ${direct.ownersChecked} owners checked; ` +
      `samplers: ${sampled.samples} ticks (${JSON.stringify(samplers)}), ${sampled.rows} rows, ${sampled.ownedChecked} sockets with ${sampled.ownersChecked} owners checked, ${diffRows} diff rows`,
    );
    expect(direct.violations).toEqual([]);
    expect(sampled.violations).toEqual([]);
    expect(opened).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
    expect(direct.samples).toBeGreaterThan(1);
    expect(sampled.samples).toBeGreaterThan(1);
    // Owners were found for the children's sockets (at least their 4 listeners per sample).
    expect(direct.ownedChecked).toBeGreaterThanOrEqual(direct.samples * CHILDREN);
    expect(sampled.ownedChecked).toBeGreaterThanOrEqual(sampled.samples * CHILDREN);
  }, (SECONDS + 90) * 1000);
});
