#!/usr/bin/env node
// `netsnap top`'s engine under load, and the destroy-event reader under connection churn (issue #15).
//   1. churn (first, without the big load): P processes of bench/churn.c (cc -O2 into bench/.build/)
//      open and close short loopback connections as fast as they can for --churn-seconds, while
//      (a) a bare destroy-event subscription is read every 250 ms (read() + the InetTable of each
//      batch, as the flow tracker does), and (b) `createThroughput({ interval: 0.25, owners: true })`
//      runs (what `netsnap top` runs; it reads the same subscription every tick). Closes counted
//      by the subscription's `received` and by the churners (2 per connection: both ends, plus
//      one per churner's listener at its exit); overflows (ENOBUFS), lost (the socket's drops) and
//      dropped (the addon's cap) must stay 0. The reader thread's CPU per event from /proc.
//   2. top: at --sockets established loopback TCP sockets (bench/loadgen.mjs), first a split of one
//      tick (createSampler + createFlowTracker, composed as createThroughput composes them: the
//      sample and tracker.update() timed apart), then `createThroughput({ interval, owners })` for
//      owners true, then false, each for --ticks ticks (1000), or fewer when --seconds (300) pass and
//      at least --min-ticks (200) ran, and never past --max-seconds (1800).
//      After --warmup ticks (first full scans, JIT, buffers) the window starts; in it:
//      - CPU: process.cpuUsage() over wall time, and per thread (/proc/self/task/*/stat utime+stime):
//        the main thread; the libuv pool (found before the run: the threads that burn CPU while 8
//        crypto.pbkdf2 calls run; the sample, the netlink dump and worker 0 of the owner scan run
//        there); `netsnap-events` (the destroy-event reader); the other Node threads (V8's platform
//        workers: concurrent GC and compilation); and the threads that exited during the window
//        (process total less the live threads: the owner scan's helper threads, created and joined
//        by every sample);
//      - event-loop delay: monitorEventLoopDelay at 1 ms (p50 includes the 1 ms period), max also
//        from a 1 ms timer; stalls over 10 ms split with the main thread's schedstat into time on a
//        CPU and time runnable waiting for one (the machine is shared); GC pauses;
//      - ticks achieved against the slots of the grid (skippedSlots), tick intervals;
//      - heap used, external memory and RSS after gc() (node --expose-gc; the script adds it) at the
//        window's start and every --gc-every ticks to the end; the forced collections are outside
//        the delay histogram.
// Results go to bench/RESULTS-top.md (this script's own file; its notes block is kept; a link
// is added once to the notes of RESULTS.md, the only part bench/run.mjs keeps).
//
//   npm run build && node bench/top.mjs [--sockets 100000] [--interval 0.25] [--ticks 1000]
//     [--seconds 300] [--min-ticks 200] [--max-seconds 1800] [--warmup 5] [--gc-every 50] [--owners both|on|off] [--split-ticks 10]
//     [--churn-procs 4] [--churn-seconds 20] [--churn-repeats 3] [--churn-rate 0] [--no-churn]
//     [--no-top] [--workers 16] [--idle-procs 200] [--idle-fds 20] [--no-write] [--no-isolate] [--stall-log FILE]
//   node --cpu-prof --cpu-prof-dir=/tmp/prof bench/top.mjs --no-churn --owners on --ticks 100 --no-write
//     (profiles the bench process: node flags pass into the namespace)
//
// Isolation is serve.mjs's (copied, so that run.mjs and serve.mjs stay untouched): as root with
// unshare(1) the script re-runs itself in its own network and PID namespaces (no TIME_WAIT buckets,
// an own TCP established hash), so top sees only the generated load and the subscription only the
// churn's closes. --no-isolate measures the machine as it is (the churners then close with RST, so
// that no TIME_WAIT piles up, and every close of the machine counts in `received`).
// Every loop is bounded in count and in time; the load and the churners are stopped in finally blocks.
import { spawn, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startLoad } from './loadgen.mjs';
import { isolated, reRunIsolated } from './isolate.mjs';
import { machine } from './common.mjs';
import { buildChurn } from './procs.mjs';
import { sched } from './sched.mjs';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const FLAGS = ['no-write', 'no-isolate', 'no-churn', 'no-top'];
const known = new Set(['sockets', 'interval', 'ticks', 'seconds', 'min-ticks', 'max-seconds', 'warmup', 'gc-every', 'owners', 'split-ticks',
  'stall-log', 'churn-procs', 'churn-seconds', 'churn-repeats', 'churn-rate', 'workers', 'idle-procs', 'idle-fds', ...FLAGS]);
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2))) {
    console.error(`bench/top: unknown argument ${argv[i]}`);
    process.exit(64);
  }
  if (!FLAGS.includes(argv[i].slice(2))) i++;
}
const num = (name, dflt, min, max, integer = true) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    console.error(`bench/top: --${name} wants ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    process.exit(64);
  }
  return v;
};
// No loads over 100k sockets on a shared 2-core machine (as serve.mjs).
const nSockets = num('sockets', 100000, 2, 100000);
const interval = num('interval', 0.25, 0.01, 10, false);
const nTicks = num('ticks', 1000, 10, 100000);
const maxSeconds = num('seconds', 300, 5, 3600);
const minTicks = num('min-ticks', 200, 1, 100000);
const hardSeconds = num('max-seconds', 1800, 5, 7200);
const warmup = num('warmup', 5, 1, 100);
const gcEvery = num('gc-every', 50, 5, 10000);
const splitTicks = num('split-ticks', 10, 0, 1000);
const ownersOpt = opt('owners', 'both');
if (!['both', 'on', 'off'].includes(ownersOpt)) {
  console.error('bench/top: --owners wants both, on or off');
  process.exit(64);
}
const ownerModes = ownersOpt === 'both' ? [true, false] : [ownersOpt === 'on'];
const churnProcs = num('churn-procs', 4, 1, 32);
const churnSeconds = num('churn-seconds', 20, 1, 600);
const churnRepeats = num('churn-repeats', 3, 1, 20);
const churnRate = num('churn-rate', 0, 0, 10000000); // closes/s over all churners; 0: as fast as they can
const doChurn = !flag('no-churn');
const doTop = !flag('no-top');
// --stall-log FILE: every stall over 10 ms of the top runs ({ fromUs, toUs } on CLOCK_MONOTONIC, as a
// --cpu-prof profile's timestamps; run, wait: the main thread's schedstat ms), to match with a profile.
const stallLogPath = opt('stall-log', null);
const stallLog = stallLogPath === null ? null : [];
process.on('exit', () => {
  // Only the process that measured (not the parent that re-ran the script in its namespaces).
  if (stallLog !== null && stallLog.length > 0) fs.writeFileSync(stallLogPath, JSON.stringify(stallLog));
});
const loadOpts = {
  workers: num('workers', 16, 1, 64),
  idleProcs: num('idle-procs', 200, 0, 2000),
  idleFds: num('idle-fds', 20, 0, 1000),
};

// ---------------------------------------------------------------------------------------------
// gc() for the heap readings: re-run with --expose-gc (through the isolation below, or directly).
const nodeArgs = typeof globalThis.gc === 'function' ? process.execArgv : ['--expose-gc', ...process.execArgv];
// Isolation, as in serve.mjs and run.mjs: fresh network + PID namespaces (lo up, own /proc), an own
// TCP established hash of the host's size and no TIME_WAIT buckets.
if (!flag('no-isolate') && !reRunIsolated(self, argv, nodeArgs) && !isolated) {
  console.error('bench/top: not root or no unshare(1): measuring the machine as it is (other sockets, processes and closes included)');
}
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, [...nodeArgs, self, ...argv], { stdio: 'inherit', env: process.env });
  process.exit(r.status ?? 1);
}

// ---------------------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const lib = require(path.join(root, 'dist/index.js'));
const { createThroughput, createSampler, createFlowTracker, getBackend, InetTable } = lib;

const now = () => performance.now();
const sleep = (t) => new Promise((r) => setTimeout(r, t));
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank percentile. */
const pct = (xs, p) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const ms = (x) => (!Number.isFinite(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const fmtN = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const mb = (b) => (Number.isFinite(b) ? (b / 2 ** 20).toFixed(1) : '–');
const cores = (x) => (Number.isFinite(x) ? x.toFixed(2) : '–');
const pc = (f) => (Number.isFinite(f) ? `${Math.round(f * 100)}%` : '–');
const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const failures = [];
const fail = (what, err) => {
  failures.push(`${what}: ${err?.message ?? err}`);
  console.error(`bench/top: FAILED ${what}: ${err?.stack ?? err}`);
};

// The load and the churners, stopped on any way out.
let load = null;
const churners = new Set();
const cleanup = async () => {
  for (const c of churners) {
    try { c.kill('SIGKILL'); } catch { /* gone */ }
  }
  churners.clear();
  const l = load;
  load = null;
  if (l) await l.stop();
};
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    console.error(`\nbench/top: ${sig}, stopping the load generator and the churners`);
    await cleanup();
    process.exit(130);
  });
}

// ---------------------------------------------------------------------------------------------
// Threads. Node 20 names none of its threads (all are "node"); the addon names its destroy-event
// reader. The libuv pool is found by what it does: the threads that burn CPU while crypto.pbkdf2
// (which runs only there) is running.
const CLK_TCK = (() => {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const v = Number(r.stdout?.trim());
  return v > 0 ? v : 100;
})();
/** tid -> { comm, ms: utime + stime in ms } for every live thread of this process. */
function threadTimes() {
  const out = new Map();
  for (const tid of fs.readdirSync('/proc/self/task')) {
    try {
      const s = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
      const close = s.lastIndexOf(')');
      const comm = s.slice(s.indexOf('(') + 1, close);
      const f = s.slice(close + 2).split(' ');
      // utime and stime are fields 14 and 15; f[0] is field 3.
      out.set(Number(tid), { comm, ms: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK });
    } catch { /* exited meanwhile */ }
  }
  return out;
}
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
let poolTids = new Set();
async function findPool() {
  const before = threadTimes();
  // About 16 × 60 ms of pure CPU on the pool.
  const jobs = Array.from({ length: 16 }, (_, i) => new Promise((resolve, reject) =>
    crypto.pbkdf2(`bench-${i}`, 'salt', 60000, 32, 'sha256', (e) => (e ? reject(e) : resolve()))));
  await Promise.all(jobs);
  const after = threadTimes();
  // The pool's size is UV_THREADPOOL_SIZE (default 4): the threads that worked most, those with any.
  const size = Math.max(1, Math.min(1024, Number(process.env.UV_THREADPOOL_SIZE) || 4));
  const busy = [...after].filter(([tid]) => tid !== process.pid)
    .map(([tid, t]) => [tid, t.ms - (before.get(tid)?.ms ?? 0)]).filter(([, d]) => d > 0)
    .sort((a, b) => b[1] - a[1]).slice(0, size);
  poolTids = new Set(busy.map(([tid]) => tid));
  return poolTids;
}
/** The CPU of the window between two readings, by kind of thread (ms). */
function threadSplit(t0, c0, t1, c1) {
  const out = { main: 0, pool: 0, events: 0, otherNode: 0, exited: 0, total: c1 - c0 };
  let live = 0;
  for (const [tid, t] of t1) {
    const d = t.ms - (t0.get(tid)?.ms ?? 0);
    live += d;
    if (tid === process.pid) out.main += d;
    else if (t.comm === 'netsnap-events') out.events += d;
    else if (poolTids.has(tid)) out.pool += d;
    else out.otherNode += d;
  }
  // Threads that exited in the window (their CPU is in the process total only): the owner scan's
  // helpers. Clock-tick rounding makes this ±10 ms per live thread.
  out.exited = Math.max(0, out.total - live);
  return out;
}

/** Machine-wide CPU (all cores) busy ms and total ms from /proc/stat. */
function machineCpu() {
  try {
    const f = fs.readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    const idle = f[3] + (f[4] ?? 0);
    return { busy: ((total - idle) * 1000) / CLK_TCK, total: (total * 1000) / CLK_TCK };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// Event-loop delay (as serve.mjs): the histogram at 1 ms, the longest gap between 1 ms timer
// callbacks, the on-CPU/waiting split of the gaps over STALL_MS, GC pauses. pause()/resume() keep
// the forced collections out.
const STALL_MS = 10;
function loopMonitor() {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let last = now();
  let lastSched = sched();
  let maxGap = 0;
  let maxSplit = null;
  let paused = false;
  const forced = []; // [start, end] of the forced collections, on performance.now()'s clock
  // Every interval between two 1 ms callbacks over 2 ms (ms), for the delay weighted by time.
  const gaps = [];
  let monitored = 0;
  const stalls = { count: 0, ms: 0, run: 0, wait: 0 };
  let lastNs = process.hrtime.bigint();
  const timer = setInterval(() => {
    const t = now();
    const ns = process.hrtime.bigint();
    const s = sched();
    if (!paused) {
      const gap = t - last - 1;
      monitored += t - last;
      if (gap + 1 > 2) gaps.push(gap + 1);
      if (gap > STALL_MS && s && lastSched) {
        const run = s.run - lastSched.run;
        const wait = s.wait - lastSched.wait;
        stalls.count++;
        stalls.ms += gap + 1;
        stalls.run += run;
        stalls.wait += wait;
        if (gap > maxGap) maxSplit = { run, wait };
        // CLOCK_MONOTONIC in µs: the clock of a --cpu-prof profile's timestamps.
        if (stallLog !== null) stallLog.push({ fromUs: Number(lastNs / 1000n), toUs: Number(ns / 1000n), run, wait });
      }
      maxGap = Math.max(maxGap, gap);
    }
    last = t;
    lastNs = ns;
    lastSched = s;
  }, 1);
  let gcMax = 0;
  let gcTotal = 0;
  let gcCount = 0;
  const obs = new PerformanceObserver((items) => {
    for (const e of items.getEntries()) {
      if (forced.some(([a, b]) => e.startTime >= a - 1 && e.startTime <= b + 1)) continue;
      gcMax = Math.max(gcMax, e.duration);
      gcTotal += e.duration;
      gcCount++;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  h.enable();
  return {
    pause() {
      paused = true;
      h.disable();
      forced.push([now(), Infinity]);
    },
    resume() {
      forced.at(-1)[1] = now();
      last = now();
      lastNs = process.hrtime.bigint();
      lastSched = sched();
      h.enable();
      paused = false;
    },
    stop() {
      h.disable();
      clearInterval(timer);
      obs.disconnect();
      return {
        p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: Math.max(h.max / 1e6, maxGap),
        tw50: timeWeighted(gaps, monitored, 0.5), tw99: timeWeighted(gaps, monitored, 0.99), blockedShare: blocked(gaps, monitored, STALL_MS),
        gcMax, gcTotal, gcCount, maxRun: maxSplit?.run ?? NaN, maxWait: maxSplit?.wait ?? NaN,
        stalls: stalls.count, stallMs: stalls.ms, stallRun: stalls.ms > 0 ? stalls.run / stalls.ms : NaN,
      };
    },
  };
}

/**
 * The delay weighted by time: a callback due at a uniformly random moment waits for the rest of
 * the interval it falls in, so over intervals g (between 1 ms timer callbacks) the share of time
 * with a wait over d is Σ max(0, g − d) / T. Returns the d where that share is 1 − q (bisection).
 * monitorEventLoopDelay's percentiles count one sample per callback instead: a 4 s block is one
 * sample among thousands of 1 ms ones, so its p99 hides long blocks that take a large share of time.
 */
function timeWeighted(gaps, total, q) {
  const over = (d) => gaps.reduce((a, g) => a + Math.max(0, g - d), 0) / total;
  if (!(total > 0) || over(0) <= 1 - q) return 0;
  let lo = 0;
  let hi = Math.max(...gaps);
  for (let k = 0; k < 60; k++) {
    const mid = (lo + hi) / 2;
    if (over(mid) > 1 - q) lo = mid;
    else hi = mid;
  }
  return hi;
}
/** Share of the monitored time spent in intervals longer than `limit` ms. */
const blocked = (gaps, total, limit) => (total > 0 ? gaps.filter((g) => g > limit).reduce((a, g) => a + g, 0) / total : NaN);

/** Forced full collection (twice: weak references and finalizers), with the readings after it. */
function heapAfterGc() {
  const t0 = now();
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: m.rss, gcMs: now() - t0 };
}

/** CPU ms of the destroy-event reader threads alive now, since the `before` readings. */
function eventsThreadMs(before) {
  let x = 0;
  for (const [tid, t] of threadTimes()) if (t.comm === 'netsnap-events') x += t.ms - (before.get(tid)?.ms ?? 0);
  return x;
}

// ---------------------------------------------------------------------------------------------
// 1. Churn.
function startChurners(bin, procs, seconds, rate) {
  const args = [String(seconds)];
  if (rate > 0) args.push('rate', String(rate / 2 / procs)); // connections/s per churner: 2 closes each
  if (!isolated) args.push('rst');
  return Promise.all(Array.from({ length: procs }, () => new Promise((resolve, reject) => {
    const c = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    churners.add(c);
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
    const kill = setTimeout(() => c.kill('SIGKILL'), (seconds + 30) * 1000);
    c.on('error', reject);
    // 'close', not 'exit': the count may still be in the pipe when the process has exited.
    c.on('close', (code, sig) => {
      clearTimeout(kill);
      churners.delete(c);
      const m = /^done (\d+) ([\d.]+) (\d+)/m.exec(out);
      if (!m) return reject(new Error(`churn exited ${sig ?? code} without a count: ${err.trim()}`));
      if (err.trim()) console.error(`  churn: ${err.trim()}`);
      resolve({ conns: Number(m[1]), seconds: Number(m[2]), errors: Number(m[3]) });
    });
  })));
}

/**
 * One churn run with a reader: 'subscription' (openDestroyEvents, read every 250 ms) or 'top'
 * (createThroughput, interval 0.25, owners on: it reads the subscription every tick).
 */
async function churnRun(bin, reader) {
  const counters = { received: 0, overflows: 0, lost: 0, dropped: 0 };
  let maxBatch = 0;
  let reads = 0;
  const readMs = [];
  let stopReader;
  let readerDone;
  let ticks = 0;
  let readerMs = NaN;
  let churning = false;
  let drainMs = NaN;
  const tickMs = []; // top: the intervals of the ticks from the churn's start to the last read
  const t0Threads = threadTimes();
  const c0 = cpuMs();
  const m0 = machineCpu();
  const load0 = loadavg();
  if (reader === 'subscription') {
    const sub = getBackend('native').openDestroyEvents();
    const readOnce = () => {
      const t = now();
      const b = sub.read();
      if (b === null) return;
      // As the flow tracker does with a batch: the table, then one look at each row's cookie.
      const table = new InetTable('tcp', 'tcp', b.table, 'netlink');
      let x = 0n;
      for (let i = 0; i < table.count; i++) x ^= table.cookie[i];
      readMs.push(now() - t);
      reads++;
      maxBatch = Math.max(maxBatch, table.count);
      counters.received += b.received;
      counters.overflows += b.overflows;
      counters.lost += b.lost;
      counters.dropped += b.dropped;
      return x;
    };
    const iv = setInterval(readOnce, 250);
    stopReader = async () => {
      clearInterval(iv);
      readOnce();
      readerMs = eventsThreadMs(t0Threads);
      sub.close();
    };
    readerDone = Promise.resolve();
  } else {
    const tp = createThroughput({ interval, owners: true });
    // The last tick is the first whose sample was taken at or after stopAt (its read of the events
    // comes after its sample): a tick that was already under way when the churn ended (they take
    // seconds under this churn) has not read the last closes yet. Bounded: 60 s past stopAt.
    let stopAt = null;
    let last = null;
    readerDone = (async () => {
      for await (const t of tp) {
        ticks++;
        last = t.events;
        maxBatch = Math.max(maxBatch, t.totals.closed ?? 0);
        if (churning) tickMs.push(t.intervalMs);
        if (stopAt !== null && (t.time >= stopAt || Date.now() > stopAt + 60_000)) {
          readerMs = eventsThreadMs(t0Threads); // before the break closes the subscription
          break;
        }
      }
    })();
    stopReader = async () => {
      stopAt = Date.now();
      await readerDone;
      Object.assign(counters, last);
    };
    // The first tick (the baseline) before the churn starts.
    while (ticks < 2) await sleep(50);
  }
  let conns = [];
  const t0 = now();
  churning = true;
  try {
    conns = await startChurners(bin, churnProcs, churnSeconds, churnRate);
  } finally {
    // The last closes arrive within a few ms (a work item each); then the final read (top: the
    // next tick, which comes once the ticks have caught up with the closes).
    const tEnd = now();
    await sleep(500);
    await stopReader();
    drainMs = now() - tEnd;
  }
  const wall = (now() - t0) / 1000;
  const processMs = cpuMs() - c0;
  const m1 = machineCpu();
  const total = conns.reduce((a, c) => a + c.conns, 0);
  const secs = median(conns.map((c) => c.seconds));
  const expected = 2 * total + conns.length; // both ends of each connection + each churner's listener
  return {
    reader, procs: conns.length, conns: total, errors: conns.reduce((a, c) => a + c.errors, 0), seconds: secs, wall,
    churnRate: (2 * total) / secs, subRate: counters.received / secs, expected, ...counters, maxBatch, reads, ticks,
    readP99: pct(readMs, 99), readMax: Math.max(0, ...readMs),
    tickP50: median(tickMs), tickMax: tickMs.length ? Math.max(...tickMs) : NaN, ticksDuring: tickMs.length, drainMs,
    readerCpuMs: readerMs, processCpu: processMs / 1000 / wall,
    machineBusy: m0 && m1 ? (m1.busy - m0.busy) / (m1.total - m0.total) : NaN,
    load0, load1: loadavg(),
  };
}

// ---------------------------------------------------------------------------------------------
// 2a. One tick split: the sample (sampler.next()) and tracker.update(), as createThroughput composes them.
async function splitRun(owners) {
  // createThroughput's sampler options (src/services/throughput.ts); flows: false, or the sampler
  // would run a flow tracker of its own as well.
  const sampler = createSampler({ interval, protocols: ['tcp', 'udp'], owners, info: true, flows: false, cgroup: false, source: 'netlink', diff: false });
  const tracker = createFlowTracker({ interval });
  const rows = [];
  try {
    for (let i = 0; i < splitTicks + 2; i++) {
      const s0 = sched();
      const c0 = process.cpuUsage();
      const t0 = now();
      const tick = await sampler.next();
      const t1 = now();
      const c1 = process.cpuUsage(c0);
      const s1 = sched();
      const out = tracker.update(tick.snapshot);
      const t2 = now();
      const s2 = sched();
      if (i >= 2) {
        rows.push({
          sampleMs: t1 - t0, sampleMainMs: s1.run - s0.run, updateMs: t2 - t1, updateMainMs: s2.run - s1.run,
          sampleUserMs: c1.user / 1000, sampleSysMs: c1.system / 1000,
          connections: out.totals.connections,
        });
      }
    }
  } finally {
    sampler.close();
    tracker.close();
  }
  const r = {
    owners, ticks: rows.length, connections: median(rows.map((x) => x.connections)),
    sampleMs: median(rows.map((x) => x.sampleMs)), sampleMainMs: median(rows.map((x) => x.sampleMainMs)),
    updateMs: median(rows.map((x) => x.updateMs)), updateMax: Math.max(...rows.map((x) => x.updateMs)),
    updateMainMs: median(rows.map((x) => x.updateMainMs)),
    sampleUserMs: median(rows.map((x) => x.sampleUserMs)), sampleSysMs: median(rows.map((x) => x.sampleSysMs)),
  };
  console.log(`  split, owners ${owners ? 'on' : 'off'}: ${r.ticks} back-to-back ticks: sample ${ms(r.sampleMs)} ms (main thread on CPU ${ms(r.sampleMainMs)} ms), tracker.update ${ms(r.updateMs)} ms (max ${ms(r.updateMax)}; on CPU ${ms(r.updateMainMs)} ms), ${fmtN(r.connections)} connections`);
  return r;
}

// 2a'. The kernel's share: ss's own CPU for the same dump (tcp_info of every TCP socket, both
// families), whole process, user and system, from /usr/bin/time; and without tcp_info.
function ssFloor(runs = 5) {
  const one = (args) => {
    const r = spawnSync('/usr/bin/time', ['-f', '%U %S %e', 'ss', ...args], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', timeout: 120_000 });
    const last = (r.stderr ?? '').trim().split('\n').at(-1) ?? '';
    const [u, sy, e] = last.split(' ').map(Number);
    if (r.status !== 0 || ![u, sy, e].every(Number.isFinite)) throw new Error(`ss ${args.join(' ')}: ${r.stderr || r.error}`);
    return { userMs: u * 1000, sysMs: sy * 1000, wallMs: e * 1000 };
  };
  const out = {};
  for (const [name, args] of [['tin', ['-tin']], ['tn', ['-tn']]]) {
    const rs = Array.from({ length: runs }, () => one(args));
    out[name] = { runs, userMs: median(rs.map((x) => x.userMs)), sysMs: median(rs.map((x) => x.sysMs)), wallMs: median(rs.map((x) => x.wallMs)) };
  }
  console.log(`  ss -tin: user ${ms(out.tin.userMs)} ms, system ${ms(out.tin.sysMs)} ms, wall ${ms(out.tin.wallMs)} ms; ss -tn: user ${ms(out.tn.userMs)}, system ${ms(out.tn.sysMs)}, wall ${ms(out.tn.wallMs)} (medians of ${runs})`);
  return out;
}

// 2b. createThroughput for a bounded number of ticks.
async function topRun(owners) {
  const load0 = loadavg();
  const tp = createThroughput({ interval, owners });
  const ticks = []; // per tick of the window
  const heap = []; // [tick, readings]
  let n = 0;
  let w0 = null; // the window's start readings
  let w1 = null;
  let mon = null;
  let prevSched = null;
  let lastEvents = null;
  let connections = NaN;
  let processes = NaN;
  const tStart = now();
  try {
    for await (const t of tp) {
      const at = now();
      n++;
      lastEvents = t.events;
      connections = t.totals.connections;
      processes = t.processes.length;
      if (w0 === null) {
        if (n >= warmup) {
          // The window starts here, after a forced collection (the start reading).
          heap.push([n, heapAfterGc()]);
          w0 = { at: now(), threads: threadTimes(), cpu: cpuMs(), machine: machineCpu(), tick: n };
          prevSched = sched();
          mon = loopMonitor();
        }
        continue;
      }
      const s = sched();
      ticks.push({
        n, at, intervalMs: t.intervalMs, skipped: t.skippedSlots,
        mainRun: s && prevSched ? s.run - prevSched.run : NaN, mainWait: s && prevSched ? s.wait - prevSched.wait : NaN,
        heapUsed: process.memoryUsage().heapUsed,
      });
      prevSched = s;
      const windowTicks = n - w0.tick;
      const elapsed = now() - w0.at;
      const done = windowTicks >= nTicks || (elapsed >= maxSeconds * 1000 && windowTicks >= minTicks) || elapsed >= hardSeconds * 1000;
      if (done) {
        w1 = { at: now(), threads: threadTimes(), cpu: cpuMs(), machine: machineCpu(), tick: n };
        const lag = mon.stop();
        mon = null;
        heap.push([n, heapAfterGc()]);
        return summarize(owners, { ticks, heap, w0, w1, lag, lastEvents, connections, processes, load0, load1: loadavg(), tStart });
      }
      if (windowTicks % gcEvery === 0) {
        mon.pause();
        // Out of the CPU window too: the forced collection's own CPU is counted and subtracted.
        const c = cpuMs();
        const th = threadTimes().get(process.pid)?.ms ?? 0;
        heap.push([n, heapAfterGc()]);
        w0.gcCpu = (w0.gcCpu ?? 0) + (cpuMs() - c);
        w0.gcMain = (w0.gcMain ?? 0) + ((threadTimes().get(process.pid)?.ms ?? 0) - th);
        mon.resume();
        prevSched = sched();
      }
    }
    throw new Error('the throughput iterator ended early');
  } finally {
    if (mon) mon.stop();
    tp.close();
  }
}

function summarize(owners, r) {
  const wallMs = r.w1.at - r.w0.at;
  const split = threadSplit(r.w0.threads, r.w0.cpu, r.w1.threads, r.w1.cpu);
  // The forced collections out: their main-thread share from main, the rest (V8's parallel
  // marking helpers) from the other Node threads; `exited` is unchanged.
  split.total -= r.w0.gcCpu ?? 0;
  split.main = Math.max(0, split.main - (r.w0.gcMain ?? 0));
  split.otherNode = Math.max(0, split.otherNode - Math.max(0, (r.w0.gcCpu ?? 0) - (r.w0.gcMain ?? 0)));
  const per = (x) => x / wallMs; // ms of CPU per ms of wall = cores
  const ticks = r.ticks.length;
  const skipped = r.ticks.reduce((a, t) => a + t.skipped, 0);
  const heapPts = r.heap.map(([tick, h]) => [tick, h.heapUsed]);
  const mid = r.heap[Math.floor((r.heap.length - 1) / 2)];
  const first = r.heap[0];
  const last = r.heap.at(-1);
  const machine = r.w0.machine && r.w1.machine ? (r.w1.machine.busy - r.w0.machine.busy) / (r.w1.machine.total - r.w0.machine.total) : NaN;
  const out = {
    owners, ticks, wallS: wallMs / 1000, skipped, slots: ticks + skipped, ticksPerS: ticks / (wallMs / 1000),
    intervalP50: median(r.ticks.map((t) => t.intervalMs)), intervalP99: pct(r.ticks.map((t) => t.intervalMs), 99),
    intervalMax: Math.max(...r.ticks.map((t) => t.intervalMs)),
    cpu: per(split.total), main: per(split.main), pool: per(split.pool), eventsThread: per(split.events), otherNode: per(split.otherNode), exited: per(split.exited),
    mainRunPerTick: median(r.ticks.map((t) => t.mainRun)), mainWaitPerTick: median(r.ticks.map((t) => t.mainWait)),
    machineBusy: machine, forcedGcs: r.heap.length, forcedGcMs: r.heap.reduce((a, [, h]) => a + h.gcMs, 0),
    lag: r.lag, heap: r.heap.map(([tick, h]) => ({ tick, ...h })),
    heapStart: first[1], heapMid: mid[1], heapMidTick: mid[0], heapEnd: last[1], heapStartTick: first[0], heapEndTick: last[0],
    heapSlopePer100: slope(heapPts) * 100, heapMaxNoGc: Math.max(...r.ticks.map((t) => t.heapUsed)),
    events: r.lastEvents, connections: r.connections, processes: r.processes, load0: r.load0, load1: r.load1,
  };
  console.log(`  top, owners ${owners ? 'on' : 'off'}: ${ticks} ticks in ${out.wallS.toFixed(0)} s (${out.ticksPerS.toFixed(2)}/s; ${skipped} slots skipped of ${out.slots}; interval p50 ${ms(out.intervalP50)} ms p99 ${ms(out.intervalP99)} ms)`);
  console.log(`    CPU ${cores(out.cpu)} cores: main ${cores(out.main)}, libuv pool ${cores(out.pool)}, exited (owner-scan helpers) ${cores(out.exited)}, netsnap-events ${cores(out.eventsThread)}, other Node ${cores(out.otherNode)}; main thread per tick ${ms(out.mainRunPerTick)} ms on CPU + ${ms(out.mainWaitPerTick)} ms waiting; machine busy ${pc(out.machineBusy)}`);
  console.log(`    loop delay p50 ${ms(out.lag.p50)} p99 ${ms(out.lag.p99)} max ${ms(out.lag.max)} ms; weighted by time p50 ${ms(out.lag.tw50)} p99 ${ms(out.lag.tw99)} ms, ${pc(out.lag.blockedShare)} of the time in blocks > ${STALL_MS} ms (longest stall ${ms(out.lag.maxRun)} on CPU + ${ms(out.lag.maxWait)} waiting; ${out.lag.stalls} stalls > ${STALL_MS} ms, ${pc(out.lag.stallRun)} on CPU; GC max ${ms(out.lag.gcMax)} ms)`);
  console.log(`    heap after gc: ${mb(out.heapStart.heapUsed)} MB @${out.heapStartTick}, ${mb(out.heapMid.heapUsed)} MB @${out.heapMidTick}, ${mb(out.heapEnd.heapUsed)} MB @${out.heapEndTick} (slope ${(out.heapSlopePer100 / 2 ** 20).toFixed(3)} MB/100 ticks); RSS ${mb(out.heapStart.rss)} → ${mb(out.heapEnd.rss)} MB; events ${JSON.stringify(out.events)}; load ${out.load0} → ${out.load1}`);
  return out;
}

/** Least-squares slope of y over x. */
function slope(points) {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

/** What the delay monitors cost alone (the timers at 1 ms), over 3 s. */
async function monitorCost() {
  const c0 = cpuMs();
  const t0 = now();
  const mon = loopMonitor();
  await sleep(3000);
  mon.stop();
  return (cpuMs() - c0) / (now() - t0);
}

// ---------------------------------------------------------------------------------------------
const started = new Date();
const codeAtStart = code();
const loadAtStart = loadavg();
const t00 = now();
const churnResults = [];
const splits = [];
const tops = [];
let floor = null;
let live = null;
let monitorCores = NaN;
let poolSize = 0;
try {
  poolSize = (await findPool()).size;
  console.log(`bench/top: libuv pool threads found: ${poolSize} (tids ${[...poolTids].join(' ')}); load ${loadavg()}`);
  monitorCores = await monitorCost();
  if (doChurn) {
    let bin = null;
    try {
      bin = buildChurn();
    } catch (e) {
      fail('churn build', e);
    }
    if (bin) {
      for (let k = 0; k < churnRepeats; k++) {
        for (const reader of ['subscription', 'top']) {
          try {
            const r = await churnRun(bin, reader);
            churnResults.push(r);
            console.log(`  churn #${k + 1} (${reader}): ${r.procs} churners, ${fmtN(r.conns)} connections in ${r.seconds.toFixed(1)} s = ${fmtN(r.churnRate)} closes/s (churners), ${fmtN(r.subRate)}/s received (${fmtN(r.received)} of ${fmtN(r.expected)} expected); overflows ${r.overflows}, lost ${r.lost}, dropped ${r.dropped}; largest batch ${fmtN(r.maxBatch)};${r.reader === 'top' ? ` ${r.ticksDuring} ticks from the churn's start to the last read (interval p50 ${ms(r.tickP50)} ms, max ${ms(r.tickMax)} ms of ${interval * 1000} asked), last read ${ms(r.drainMs)} ms after the churn ended;` : ''} reader thread ${ms((r.readerCpuMs * 1000) / Math.max(1, r.received))} µs/event; errors ${r.errors}; load ${r.load0} → ${r.load1}`);
          } catch (e) {
            fail(`churn ${reader}`, e);
          }
        }
      }
    }
  }
  if (doTop) {
    console.log(`== ${fmtN(nSockets)} sockets: starting the load generator (load ${loadavg()})`);
    const t0 = now();
    load = await startLoad(nSockets, { ...loadOpts, seconds: 3600, readyTimeout: Math.max(120, nSockets / 1000) });
    live = load.sockets;
    console.log(`   ready: ${fmtN(load.sockets)} sockets in ${((now() - t0) / 1000).toFixed(1)} s`);
    try {
      floor = ssFloor();
    } catch (e) {
      fail('ss floor', e);
    }
    for (const owners of ownerModes) {
      if (splitTicks > 0) {
        try {
          splits.push(await splitRun(owners));
        } catch (e) {
          fail(`split owners ${owners}`, e);
        }
      }
    }
    for (const owners of ownerModes) {
      try {
        tops.push(await topRun(owners));
      } catch (e) {
        fail(`top owners ${owners}`, e);
      }
    }
  }
} catch (e) {
  fail('bench', e);
} finally {
  await cleanup();
}
console.log(`bench/top: done in ${((now() - t00) / 1000).toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------
// RESULTS-top.md
const verdict = (ok, text) => `**${ok === null ? 'not shown' : ok ? 'met' : 'missed'}** (${text})`;
/** The commit measured, and whether src/ or native/ differed from it. */
function code() {
  const git = (...a) => spawnSync('git', ['-C', root, ...a], { encoding: 'utf8', timeout: 10000 }).stdout?.trim() ?? '';
  const head = git('rev-parse', '--short', 'HEAD') || 'unknown';
  const dirty = git('status', '--porcelain', '--', 'src', 'native').split('\n').filter(Boolean).map((l) => l.slice(3));
  let built = '';
  try {
    built = fs.statSync(path.join(root, 'dist', 'index.js')).mtime.toISOString();
  } catch { /* no dist */ }
  return `${git('rev-parse', '--abbrev-ref', 'HEAD') || '?'} at ${head}${dirty.length ? ` with uncommitted changes in ${dirty.join(', ')}` : ' (src/ and native/ as committed)'}; dist/ built ${built || '?'}`;
}
function report() {
  const cmd = `node bench/top.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const out = [
    '# `netsnap top` under load, and the destroy-event reader under churn (issue #15)',
    '',
    `Written by \`${cmd}\` (bench/top.mjs); re-run it to refresh. The machine is shared and noisy: differences`,
    'under 1.3× are noise; the load averages say how busy it was.',
    '',
    `- Date: ${started.toISOString()} (took ${((now() - t00) / 1000).toFixed(0)} s)`,
    `- Machine: ${machine()}; load average ${loadAtStart} at the start, ${loadavg()} at the end`,
    `- Code: ${codeAtStart}`,
    isolated
      ? '- Isolated: own network and PID namespaces with a fresh /proc, an own TCP established hash and no TIME_WAIT (as bench/run.mjs): only the generated load and the churn are seen'
      : '- Not isolated: every socket, process and close of the machine was seen too',
    `- CPU is process.cpuUsage() over wall time (1.00 = one core); threads from /proc/self/task/*/stat (utime+stime). The libuv pool: ${poolSize} threads, found by`,
    '  crypto.pbkdf2 work; "exited" is the process total less the live threads: the owner scan\'s helper threads (created and joined by every',
    `  sample). The delay monitors themselves (two 1 ms timers) cost ${cores(monitorCores)} cores, included.`,
    '',
  ];
  if (tops.length) {
    const t = tops;
    out.push(
      `## createThroughput({ interval: ${interval}, owners }) at ${fmtN(nSockets)} sockets (${fmtN(live)} live; bench/loadgen.mjs, ${loadOpts.workers} holders, ${loadOpts.idleProcs} idle processes × ${loadOpts.idleFds} fds)`,
      '',
      `Each run: ${warmup} warm-up ticks, then a window of ${fmtN(nTicks)} ticks, or fewer once ${maxSeconds} s passed and ${fmtN(minTicks)} ticks ran, never past ${maxSeconds === hardSeconds ? maxSeconds : hardSeconds} s. Per-tick figures are medians over the window.`,
      '',
      '| owners | ticks (window) | wall s | ticks/s | slots skipped / slots | tick interval p50 / p99 / max ms | CPU cores | main thread | libuv pool | owner-scan helpers (exited) | netsnap-events | other Node threads (V8) | main thread per tick: on CPU / waiting ms | machine busy (share of all cores) | load average start → end |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...t.map((r) => `| ${r.owners ? 'on' : 'off'} | ${fmtN(r.ticks)} | ${r.wallS.toFixed(0)} | ${r.ticksPerS.toFixed(2)} | ${fmtN(r.skipped)} / ${fmtN(r.slots)} (${pc(r.skipped / r.slots)}) | ${ms(r.intervalP50)} / ${ms(r.intervalP99)} / ${ms(r.intervalMax)} | ${cores(r.cpu)} | ${cores(r.main)} | ${cores(r.pool)} | ${cores(r.exited)} | ${cores(r.eventsThread)} | ${cores(r.otherNode)} | ${ms(r.mainRunPerTick)} / ${ms(r.mainWaitPerTick)} | ${pc(r.machineBusy)} | ${r.load0} → ${r.load1} |`),
      '',
      '| owners | loop delay p50 ms | p99 ms | max ms | weighted by time: p50 / p99 ms | time in blocks > 10 ms | longest stall: on CPU + waiting, ms | stalls > 10 ms (count, share on CPU) | GC pauses: max ms, total ms | heap after gc: start / middle / end MB (tick) | heap slope MB per 100 ticks | heap max between collections MB | external + array buffers at end MB | RSS start / end MB | destroy events: received / overflows / lost / dropped |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- |',
      ...t.map((r) => `| ${r.owners ? 'on' : 'off'} | ${ms(r.lag.p50)} | ${ms(r.lag.p99)} | ${ms(r.lag.max)} | ${ms(r.lag.tw50)} / ${ms(r.lag.tw99)} | ${pc(r.lag.blockedShare)} | ${ms(r.lag.maxRun)} + ${ms(r.lag.maxWait)} | ${r.lag.stalls}, ${pc(r.lag.stallRun)} | ${ms(r.lag.gcMax)}, ${fmtN(r.lag.gcTotal)} | ${mb(r.heapStart.heapUsed)} (${r.heapStartTick}) / ${mb(r.heapMid.heapUsed)} (${r.heapMidTick}) / ${mb(r.heapEnd.heapUsed)} (${r.heapEndTick}) | ${(r.heapSlopePer100 / 2 ** 20).toFixed(3)} | ${mb(r.heapMaxNoGc)} | ${mb(r.heapEnd.external)} | ${mb(r.heapStart.rss)} / ${mb(r.heapEnd.rss)} | ${r.events ? `${fmtN(r.events.received)} / ${r.events.overflows} / ${r.events.lost} / ${r.events.dropped}` : '–'} |`),
      '',
      `Heap after gc() every ${gcEvery} ticks (MB; ${t.map((r) => `owners ${r.owners ? 'on' : 'off'}: ${r.forcedGcs} forced collections, ${fmtN(r.forcedGcMs)} ms, kept out of the delay histogram and the CPU figures`).join('; ')}):`,
      '',
      ...t.map((r) => `- owners ${r.owners ? 'on' : 'off'}: ${r.heap.map((h) => `${h.tick}: ${mb(h.heapUsed)}`).join(', ')}`),
      '',
    );
  }
  if (splits.length) {
    out.push(
      `### One tick taken apart (createSampler + createFlowTracker as createThroughput composes them; ${splitTicks} back-to-back ticks, medians)`,
      '',
      '| owners | connections | sample (sampler.next()) wall ms | of it the main thread on CPU ms | sample CPU, all threads: user / system ms | tracker.update() ms (max) | of it on CPU ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...splits.map((s) => `| ${s.owners ? 'on' : 'off'} | ${fmtN(s.connections)} | ${ms(s.sampleMs)} | ${ms(s.sampleMainMs)} | ${ms(s.sampleUserMs)} / ${ms(s.sampleSysMs)} | ${ms(s.updateMs)} (${ms(s.updateMax)}) | ${ms(s.updateMainMs)} |`),
      '',
    );
  }
  if (floor) {
    const perTick = floor.tin.userMs + floor.tin.sysMs;
    out.push(
      `### The kernel's share: ss at the same ${fmtN(nSockets)} sockets (medians of ${floor.tin.runs} runs, whole process, /usr/bin/time)`,
      '',
      '| command | user ms | system ms | wall ms |',
      '| --- | ---: | ---: | ---: |',
      `| \`ss -tin\` (tcp_info of every TCP socket: the dump a tick needs) | ${ms(floor.tin.userMs)} | ${ms(floor.tin.sysMs)} | ${ms(floor.tin.wallMs)} |`,
      `| \`ss -tn\` (the same sockets without tcp_info) | ${ms(floor.tn.userMs)} | ${ms(floor.tn.sysMs)} | ${ms(floor.tn.wallMs)} |`,
      '',
      `ss's system time is the kernel building the dump (sock_diag walking the hash and filling tcp_info), which any tool pays per tick: at ${(1 / interval).toFixed(0)} ticks/s it alone is ${cores((floor.tin.sysMs * (1 / interval)) / 1000)} cores (ss -tin's user and system time together: ${cores((perTick * (1 / interval)) / 1000)} cores).`,
      '',
    );
  }
  if (churnResults.length) {
    const by = (reader) => churnResults.filter((r) => r.reader === reader);
    out.push(
      `## Destroy events under churn: ${churnProcs} × bench/churn.c${churnRate > 0 ? ` at ${fmtN(churnRate)} closes/s in all` : ', as fast as they can'}, ${churnSeconds} s, ${churnRepeats} repeat(s)`,
      '',
      `A close is one destroyed TCP socket (one event): 2 per connection (both ends). "expected" adds each churner's listener. Reader "subscription": openDestroyEvents(), read() every 250 ms (+ the batch's InetTable); "top": createThroughput({ interval: ${interval}, owners: true }) (its sample and owner scan run meanwhile).${isolated ? '' : ' Not isolated: churners close with RST; other closes of the machine count too.'}`,
      '',
      '| reader | run | closes/s (churners) | closes/s (received) | received / expected | overflows (ENOBUFS) | lost (drops) | dropped (cap) | largest batch | read p99 / max ms (subscription); ticks, interval p50 / max ms, last read after the churn ended ms (top) | reader thread µs/event | process CPU cores | machine busy | load average start → end |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...churnResults.map((r, i) => `| ${r.reader} | ${Math.floor(i / 2) + 1} | ${fmtN(r.churnRate)} | ${fmtN(r.subRate)} | ${fmtN(r.received)} / ${fmtN(r.expected)} | ${r.overflows} | ${r.lost} | ${r.dropped} | ${fmtN(r.maxBatch)} | ${r.reader === 'subscription' ? `${ms(r.readP99)} / ${ms(r.readMax)}` : `${r.ticksDuring}, ${ms(r.tickP50)} / ${ms(r.tickMax)}, ${ms(r.drainMs)}`} | ${ms((r.readerCpuMs * 1000) / Math.max(1, r.received))} | ${cores(r.processCpu)} | ${pc(r.machineBusy)} | ${r.load0} → ${r.load1} |`),
      ...['subscription', 'top'].filter((x) => by(x).length).map((x) => `| **${x}: median** | | **${fmtN(median(by(x).map((r) => r.churnRate)))}** | **${fmtN(median(by(x).map((r) => r.subRate)))}** | | **${by(x).reduce((a, r) => a + r.overflows, 0)}** (all runs) | **${by(x).reduce((a, r) => a + r.lost, 0)}** | **${by(x).reduce((a, r) => a + r.dropped, 0)}** | | | | | | |`),
      '',
      `("largest batch" for top: the most closes one tick counted; its ticks were asked every ${interval * 1000} ms, so a tick of the churn's closes should hold about closes/s × ${interval} of them. The last read of the subscription variant is 500 ms after the churn ended, as a timer; the top variant's is its first tick whose sample was taken after that (its read of the events follows its sample).)`,
      '',
    );
  }
  // Targets.
  const rows = [];
  for (const r of tops) {
    const label = `owners ${r.owners ? 'on' : 'off'}${r.owners ? ' (what `netsnap top` runs)' : ' (`--no-owners`)'}`;
    const asked = 1 / interval;
    // The delay monitors are the bench's, not netsnap's: their own cost (measured alone, before the
    // runs) is taken off for the verdict; the measured figure is shown beside it.
    const own = Number.isFinite(monitorCores) ? r.cpu - monitorCores : r.cpu;
    const ownTick = (own * r.wallS * 1000) / r.ticks;
    const atRate = r.ticksPerS < 0.97 * asked ? `; at ${fmtN(ownTick)} ms of CPU per tick, ${asked.toFixed(0)} ticks/s would need ${cores((ownTick * asked) / 1000)} cores` : '';
    rows.push(`| CPU of createThroughput, ${label}, over ${fmtN(r.ticks)} ticks (${r.ticksPerS.toFixed(2)} ticks/s of the ${asked.toFixed(0)} asked): the process less the delay monitors' own ${cores(monitorCores)} | ≤ 1 core | ${cores(own)} (measured ${cores(r.cpu)}) | ${verdict(own <= 1 && r.ticksPerS >= 0.97 * asked ? true : own <= 1 ? null : false, `${own.toFixed(2)}× the target${atRate}${own <= 1 && r.ticksPerS < 0.97 * asked ? ', but not at the asked rate' : ''}`)} |`);
    rows.push(`| event-loop delay p99 (monitorEventLoopDelay: one sample per 1 ms callback), ${label} | ≤ 10 ms | ${ms(r.lag.p99)} ms | ${verdict(r.lag.p99 <= 10, r.lag.p99 <= 10 ? `${ms(10 - r.lag.p99)} ms under${r.lag.tw99 > 10 ? '; but see the next row' : ''}` : `${ms(r.lag.p99 - 10)} ms over`)} |`);
    rows.push(`| event-loop delay p99 weighted by time (what a callback due at a random moment waits), ${label}; max ${ms(r.lag.max)} ms | ≤ 10 ms | ${ms(r.lag.tw99)} ms | ${verdict(r.lag.tw99 <= 10, r.lag.tw99 <= 10 ? `${ms(10 - r.lag.tw99)} ms under` : `${(r.lag.tw99 / 10).toFixed(1)}× the limit; ${pc(r.lag.blockedShare)} of the time in blocks > 10 ms`)} |`);
    const growth = r.heapEnd.heapUsed - r.heapStart.heapUsed;
    const flat = Math.abs(growth) <= 2 * 2 ** 20;
    rows.push(`| heap flat over 1,000 ticks, ${label}: heap after gc() end − start (ticks ${r.heapStartTick}–${r.heapEndTick}${r.ticks < 1000 ? `: ${fmtN(r.ticks)} ticks, not 1,000` : ''}) | ≤ 2 MB | ${(growth / 2 ** 20).toFixed(2)} MB | ${verdict(!flat ? false : r.ticks >= 1000 ? true : null, flat ? (r.ticks >= 1000 ? 'flat' : `flat over the ${fmtN(r.ticks)} ticks that ran; 1,000 did not fit`) : 'grew')} |`);
  }
  for (const x of ['subscription', 'top']) {
    const rs = churnResults.filter((r) => r.reader === x);
    if (!rs.length) continue;
    const minRate = Math.min(...rs.map((r) => r.subRate));
    const lostAll = rs.reduce((a, r) => a + r.overflows + r.lost + r.dropped, 0);
    rows.push(`| destroy events, reader ${x}: overflows + lost + dropped at ≥ 20,000 closes/s (slowest of ${rs.length} runs: ${fmtN(minRate)}/s) | 0 | ${lostAll} | ${verdict(lostAll === 0 && minRate >= 20000, minRate >= 20000 ? (lostAll === 0 ? `${(minRate / 20000).toFixed(1)}× the rate, nothing lost` : 'events lost') : 'the rate was not reached')} |`);
  }
  if (rows.length) {
    out.push(
      `## Targets (issue #15), at ${fmtN(nSockets)} TCP sockets`,
      '',
      '| target | limit | measured | verdict |',
      '| --- | ---: | ---: | --- |',
      ...rows,
      '',
    );
  }
  if (failures.length) out.push('## Failures', '', ...failures.map((f) => `- ${f}`), '');
  return out;
}

const resultsPath = path.join(root, 'bench', 'RESULTS-top.md');
if (flag('no-write') || failures.length) {
  console.log(`bench/top: RESULTS-top.md not written (${failures.length ? `${failures.length} failure(s)` : '--no-write'})`);
  console.log(report().join('\n'));
} else {
  let notes = '<!-- notes -->\n<!-- /notes -->';
  try {
    const m = /<!-- notes -->[\s\S]*?<!-- \/notes -->/.exec(fs.readFileSync(resultsPath, 'utf8'));
    if (m) notes = m[0];
  } catch { /* first run */ }
  fs.writeFileSync(resultsPath, [...report(), '## Notes', '', notes, ''].join('\n'));
  console.log('bench/top: wrote bench/RESULTS-top.md');
  const main = path.join(root, 'bench', 'RESULTS.md');
  try {
    const text = fs.readFileSync(main, 'utf8');
    if (!text.includes('RESULTS-top.md') && text.includes('<!-- /notes -->')) {
      fs.writeFileSync(main, text.replace('<!-- /notes -->',
        '\n**`netsnap top` and the destroy-event reader (issue #15):** see [RESULTS-top.md](RESULTS-top.md) (`node bench/top.mjs`).\n<!-- /notes -->'));
    }
  } catch { /* no RESULTS.md yet */ }
}
process.exit(failures.length ? 1 : 0);
