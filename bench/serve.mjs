#!/usr/bin/env node
// `netsnap serve` and `netsnap record` under a generated load (bench/loadgen.mjs). For each size:
//   1. the exporter in-process (dist/services/exporter.js; owners on, top 20, one sample per scrape):
//      sequential scrapes of /metrics on loopback (latency p50/p99, response bytes, the exporter's own
//      netsnap_sample_duration_seconds, event-loop delay p99/max of this process while they run), then
//      rounds of concurrent scrapes (latency p50/p99 and samples taken per round, which should be 1);
//   2. the same exporter with `interval: 1` (background sampler): spaced scrapes, latency and delay;
//   3. at --record-sockets (default 10000): `netsnap record --interval 50ms --duration 60s` as a child,
//      its VmRSS every second (at 10/30/60 s, slope over the last 40 s), samples and bytes in the file.
// Results go to bench/RESULTS-serve.md (this script's own file: bench/run.mjs rewrites RESULTS.md
// wholesale and keeps only its notes block, where a link to this file is added once).
//
//   npm run build && node bench/serve.mjs [--sizes 1000,10000,100000] [--repeats 3] [--scrapes 30]
//     [--rounds 10] [--concurrency 16] [--record-sockets 10000] [--record-seconds 60] [--no-record]
//     [--workers 16] [--idle-procs 200] [--idle-fds 20] [--no-write] [--no-isolate]
//   NETSNAP_BENCH_GAPS=/tmp/gaps.json node --cpu-prof bench/serve.mjs --sizes 1000 --repeats 1 --no-record --no-write
//     (profiles the bench process, node flags pass into the namespace; the stalls over 15 ms go to the
//     JSON file with their start on the profile's clock, to see what ran during each)
//
// Isolation is run.mjs's (same commands, copied rather than shared so that run.mjs stays untouched):
// as root with unshare(1) the script re-runs itself in its own network and PID namespaces, so the
// exporter and the recorder see only the generated load. --no-isolate measures the machine as it is.
// Every loop is bounded in count and in time; the load and the recorder are stopped in finally blocks.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as zlib from 'node:zlib';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startLoad } from './loadgen.mjs';
import { isolated, reRunIsolated } from './isolate.mjs';
import { vmRss } from './procs.mjs';
import { sched } from './sched.mjs';
import { loadSlot, machine, writeResults } from './common.mjs';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const FLAGS = ['no-write', 'no-isolate', 'no-record'];
const known = new Set(['sizes', 'repeats', 'scrapes', 'rounds', 'concurrency', 'record-sockets', 'record-seconds',
  'workers', 'idle-procs', 'idle-fds', ...FLAGS]);
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2))) {
    console.error(`bench/serve: unknown argument ${argv[i]}`);
    process.exit(64);
  }
  if (!FLAGS.includes(argv[i].slice(2))) i++;
}
const list = (s) => s.split(',').filter(Boolean).map(Number);
const sizes = list(opt('sizes', '1000,10000,100000'));
const int = (name, dflt, min, max) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`bench/serve: --${name} wants an integer in ${min}..${max}`);
    process.exit(64);
  }
  return v;
};
if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 2 || n > 100000)) {
  // The brief for this bench: no loads over 100k sockets on a shared 2-core machine.
  console.error('bench/serve: --sizes wants integers in 2..100000, e.g. 1000,10000,100000');
  process.exit(64);
}
const repeats = int('repeats', 3, 1, 20);
const nScrapes = int('scrapes', 30, 2, 1000);
const nRounds = int('rounds', 10, 1, 100);
const concurrency = int('concurrency', 16, 2, 60); // the exporter serves 64 connections at once
const recordSockets = flag('no-record') ? null : int('record-sockets', 10000, 2, 100000);
const recordSeconds = int('record-seconds', 60, 5, 600);
const loadOpts = {
  workers: int('workers', 16, 1, 64),
  idleProcs: int('idle-procs', 200, 0, 2000),
  idleFds: int('idle-fds', 20, 0, 1000),
};

// ---------------------------------------------------------------------------------------------
// Isolation, as in run.mjs: fresh network + PID namespaces (lo up, own /proc), an own TCP
// established hash of the host's size (the outer namespace sets tcp_child_ehash_entries for the
// inner one, so /proc/net/tcp and the netlink dump do not walk the host's hash) and no TIME_WAIT.
if (!flag('no-isolate') && !reRunIsolated(self, argv) && !isolated) {
  console.error('bench/serve: not root or no unshare(1): measuring the machine as it is (other sockets and processes included)');
}

// ---------------------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const { startExporter } = require(path.join(root, 'dist/services/exporter.js'));
const cli = path.join(root, 'dist/cli/main.js');

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
const failures = [];
const fail = (what, err) => {
  failures.push(`${what}: ${err?.message ?? err}`);
  console.error(`bench/serve: FAILED ${what}: ${err?.stack ?? err}`);
};

// The current load and recorder, stopped on any way out.
let recorder = null;
const killRecorder = () => {
  if (recorder && recorder.exitCode === null && recorder.signalCode === null) {
    try { recorder.kill('SIGKILL'); } catch { /* gone */ }
  }
  recorder = null;
};
const loads = loadSlot('bench/serve', killRecorder);
const cleanup = async () => {
  killRecorder();
  await loads.stop();
};

// ---------------------------------------------------------------------------------------------
// HTTP client. Keep-alive like Prometheus; no Accept-Encoding, so the bytes are the text's.
const SCRAPE_TIMEOUT_MS = 60000;
function scrape(agent, port, headers = {}) {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent, headers, timeout: SCRAPE_TIMEOUT_MS }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200) return reject(new Error(`HTTP ${res.statusCode}: ${body.toString().slice(0, 200)}`));
        resolve({ ms: now() - t0, bytes: body.length, body });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`scrape timed out after ${SCRAPE_TIMEOUT_MS} ms`)));
    req.on('error', reject);
  });
}
/** A metric's value in the exposition text (first series without labels). */
const metricValue = (text, name) => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};

// The main thread's scheduler counters (/proc/<tid>/schedstat: ns on a CPU, ns runnable but waiting
// for one): they tell a stall of our own code (on a CPU) from the thread not getting a CPU on this
// shared 2-core machine (sched.mjs).

// NETSNAP_BENCH_GAPS=FILE: the stalls over 15 ms (start in µs of the monotonic clock, length in ms)
// go to FILE as JSON, to line up with a `node --cpu-prof bench/serve.mjs` profile.
const gapLog = process.env.NETSNAP_BENCH_GAPS ? [] : null;
process.on('exit', () => {
  if (gapLog) fs.writeFileSync(process.env.NETSNAP_BENCH_GAPS, JSON.stringify(gapLog));
});

const STALL_MS = 10; // gaps this long count as stalls in the on-CPU / waiting split
/**
 * Event-loop delay while fn runs: monitorEventLoopDelay at 1 ms, plus our own max (the longest gap
 * between 1 ms timer callbacks, less the 1 ms asked for), the longest GC pause seen, and for the
 * longest gap and for all gaps over STALL_MS together, how much of it the main thread spent on a CPU
 * (our code, GC) and runnable without a CPU (other work on the machine).
 */
async function withLoopDelay(fn) {
  const h = monitorEventLoopDelay({ resolution: 1 });
  let last = now();
  let lastSched = sched();
  let maxGap = 0;
  let maxSplit = null;
  const stalls = { count: 0, ms: 0, run: 0, wait: 0 };
  const timer = setInterval(() => {
    const t = now();
    const s = sched();
    const gap = t - last - 1;
    if (gap > STALL_MS && s && lastSched) {
      const run = s.run - lastSched.run;
      const wait = s.wait - lastSched.wait;
      stalls.count++;
      stalls.ms += gap + 1; // the counters span the whole time between the two callbacks
      stalls.run += run;
      stalls.wait += wait;
      if (gap > maxGap) maxSplit = { run, wait, span: gap + 1 };
    }
    maxGap = Math.max(maxGap, gap);
    // The monotonic clock of a --cpu-prof profile, in µs, to find what ran during a stall.
    if (gapLog && gap > 15) gapLog.push([Number(process.hrtime.bigint() / 1000n) - Math.round((gap + 1) * 1000), Math.round(gap * 1000) / 1000]);
    last = t;
    lastSched = s;
  }, 1);
  let gcMax = 0;
  let gcTotal = 0;
  const obs = new PerformanceObserver((items) => {
    for (const e of items.getEntries()) {
      gcMax = Math.max(gcMax, e.duration);
      gcTotal += e.duration;
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  h.enable();
  try {
    const result = await fn();
    return {
      result, p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: Math.max(h.max / 1e6, maxGap), gcMax, gcTotal,
      maxGap, maxRun: maxSplit?.run ?? NaN, maxWait: maxSplit?.wait ?? NaN, stalls,
    };
  } finally {
    h.disable();
    clearInterval(timer);
    obs.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
/** The stall split of a withLoopDelay result, flattened for the tables. */
const split = (d) => ({
  maxRun: d.maxRun, maxWait: d.maxWait, stalls: d.stalls.count, stallMs: d.stalls.ms,
  stallRun: d.stalls.ms > 0 ? d.stalls.run / d.stalls.ms : NaN, stallWait: d.stalls.ms > 0 ? d.stalls.wait / d.stalls.ms : NaN,
});
const splitText = (x) => `longest gap ${ms(x.maxRun)} ms on CPU + ${ms(x.maxWait)} ms waiting for a CPU; ${x.stalls} gaps > ${STALL_MS} ms: ${pc(x.stallRun)} on CPU, ${pc(x.stallWait)} waiting`;
const pc = (f) => (Number.isFinite(f) ? `${Math.round(f * 100)}%` : '–');

// 1. One sample per scrape.
async function perScrape(n) {
  const exp = await startExporter({ host: '127.0.0.1', port: 0, interval: null, top: 20, owners: true });
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    for (let i = 0; i < 3; i++) await scrape(agent, exp.port); // warm-up: JIT, page cache, connection
    const seq = await withLoopDelay(async () => {
      const out = [];
      const t0 = now();
      // At most nScrapes, and at most 5 minutes whatever the size.
      for (let i = 0; i < nScrapes && now() - t0 < 300000; i++) out.push(await scrape(agent, exp.port));
      return out;
    });
    const lat = seq.result.map((r) => r.ms);
    const durations = seq.result.map((r) => metricValue(r.body.toString(), 'netsnap_sample_duration_seconds') * 1000);
    const gz = await scrape(agent, exp.port, { 'accept-encoding': 'gzip' });

    // Concurrent rounds: samples per round from the netsnap_samples_total the responses carry (each
    // rendering includes its own sample), so no extra scrape is counted.
    let prevTotal = metricValue(zlib.gunzipSync(gz.body).toString(), 'netsnap_samples_total');
    // One unmeasured round first: it opens the agent's other connections, whose handshakes would
    // otherwise spread the first round's requests over more than one sample.
    prevTotal = Math.max(...(await Promise.all(Array.from({ length: concurrency }, () => scrape(agent, exp.port))))
      .map((g) => metricValue(g.body.toString(), 'netsnap_samples_total')));
    const conc = await withLoopDelay(async () => {
      const lats = [];
      const perRound = [];
      const t0 = now();
      for (let r = 0; r < nRounds && now() - t0 < 300000; r++) {
        const got = await Promise.all(Array.from({ length: concurrency }, () => scrape(agent, exp.port)));
        lats.push(...got.map((g) => g.ms));
        const total = Math.max(...got.map((g) => metricValue(g.body.toString(), 'netsnap_samples_total')));
        perRound.push(total - prevTotal);
        prevTotal = total;
      }
      return { lats, perRound };
    });
    return {
      scrapes: lat.length, p50: median(lat), p99: pct(lat, 99), bytes: median(seq.result.map((r) => r.bytes)), gzBytes: gz.bytes,
      sampleMs: median(durations), lagP99: seq.p99, lagMax: seq.max, gcMax: seq.gcMax, ...split(seq),
      cP50: median(conc.result.lats), cP99: pct(conc.result.lats, 99), perRound: conc.result.perRound,
      cLagMax: conc.max, cGcMax: conc.gcMax,
    };
  } finally {
    agent.destroy();
    await exp.close();
  }
}

// 2. Background sampler every second; scrapes spaced so that background samples fall among them.
async function background(n) {
  const exp = await startExporter({ host: '127.0.0.1', port: 0, interval: 1, top: 20, owners: true });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  try {
    for (let i = 0; i < 3; i++) await scrape(agent, exp.port); // the first waits for the first tick
    const spacing = 150; // ms: 30 scrapes cover ~4.5 s, i.e. ~4 background samples
    const first = metricValue((await scrape(agent, exp.port)).body.toString(), 'netsnap_samples_total');
    const run = await withLoopDelay(async () => {
      const out = [];
      const t0 = now();
      for (let i = 0; i < nScrapes && now() - t0 < 120000; i++) {
        out.push(await scrape(agent, exp.port));
        await sleep(spacing);
      }
      return out;
    });
    const lat = run.result.map((r) => r.ms);
    const last = metricValue(run.result.at(-1).body.toString(), 'netsnap_samples_total');
    return {
      scrapes: lat.length, p50: median(lat), p99: pct(lat, 99), samples: last - first,
      sampleMs: median(run.result.map((r) => metricValue(r.body.toString(), 'netsnap_sample_duration_seconds') * 1000)),
      lagP99: run.p99, lagMax: run.max, gcMax: run.gcMax, ...split(run),
    };
  } finally {
    agent.destroy();
    await exp.close();
  }
}

// 3. `netsnap record` as a child: VmRSS once a second.
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
async function recordRun(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-bench-record-'));
  const out = path.join(dir, 'rec.ndjson');
  try {
    const t0 = now();
    recorder = spawn(process.execPath, [cli, 'record', '--out', out, '--interval', '50ms', '--duration', `${recordSeconds}s`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    const child = recorder;
    let stderr = '';
    child.stderr.on('data', (c) => { stderr = (stderr + c).slice(-2000); });
    const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
    const rss = []; // [seconds since spawn, bytes]
    let done = null;
    exited.then((x) => { done = x; });
    // One reading a second until it exits; bounded at the duration plus 30 s.
    for (let i = 1; i <= recordSeconds + 30 && done === null; i++) {
      await Promise.race([sleep(t0 + i * 1000 - now()), exited]);
      if (done !== null) break;
      const v = vmRss(child.pid);
      if (Number.isFinite(v)) rss.push([(now() - t0) / 1000, v]);
    }
    if (done === null) {
      child.kill('SIGKILL');
      throw new Error(`record did not exit within ${recordSeconds + 30} s`);
    }
    const { code, sig } = await exited;
    recorder = null;
    if (code !== 0) throw new Error(`record exited ${code ?? sig}: ${stderr.trim()}`);
    const text = fs.readFileSync(out, 'utf8');
    const lines = text.split('\n').filter(Boolean);
    let samples = 0;
    let end = null;
    for (const l of lines) {
      const o = JSON.parse(l);
      if (o.kind === 'sample') samples++;
      if (o.kind === 'end') end = o;
    }
    const at = (s) => {
      if (s > recordSeconds) return null;
      let best = null;
      for (const p of rss) if (p[0] <= s + 0.5) best = p;
      return best;
    };
    const tail = rss.filter((p) => p[0] >= recordSeconds - 40);
    const r = {
      sockets: n, seconds: recordSeconds, readings: rss.length,
      rss10: at(10), rss30: at(30), rssEnd: rss.at(-1) ?? null, rssMax: Math.max(...rss.map((p) => p[1])),
      slopeMBmin: slope(tail.map(([x, y]) => [x / 60, y / 2 ** 20])),
      samples, expected: Math.round(recordSeconds * 1000 / 50), endSamples: end?.samples, fileBytes: Buffer.byteLength(text),
      bytesPerSample: samples ? Buffer.byteLength(lines.find((l) => l.includes('"kind":"sample"')) ?? '') : NaN,
    };
    console.log(`  record: RSS ${mb(r.rss10?.[1])} MB @10 s, ${mb(r.rss30?.[1])} MB @30 s, ${mb(r.rssEnd?.[1])} MB @${r.rssEnd?.[0].toFixed(0)} s (max ${mb(r.rssMax)}), slope over the last 40 s ${r.slopeMBmin.toFixed(2)} MB/min; ${fmtN(samples)} samples (of ${fmtN(r.expected)} slots), ${mb(r.fileBytes)} MB file`);
    return r;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
const started = new Date();
const loadAtStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const t00 = now();
const results = []; // { sockets, live, per: [...], bg: [...] }
let rec = null;
try {
  const todo = [...new Set([...sizes, ...(recordSockets ? [recordSockets] : [])])].sort((a, b) => a - b);
  for (const n of todo) {
    console.log(`== ${fmtN(n)} sockets: starting the load generator`);
    const t0 = now();
    const load = loads.set(await startLoad(n, { ...loadOpts, seconds: 1800, readyTimeout: Math.max(120, n / 1000) }));
    console.log(`   ready: ${fmtN(load.sockets)} sockets in ${((now() - t0) / 1000).toFixed(1)} s`);
    try {
      if (sizes.includes(n)) {
        const row = { sockets: n, per: [], bg: [] };
        for (let k = 0; k < repeats; k++) {
          try {
            const p = await perScrape(n);
            row.per.push(p);
            console.log(`  per-scrape #${k + 1}: ${p.scrapes} sequential p50 ${ms(p.p50)} ms, p99 ${ms(p.p99)} ms, ${fmtN(p.bytes)} B (gzip ${fmtN(p.gzBytes)} B), sample ${ms(p.sampleMs)} ms, loop delay p99 ${ms(p.lagP99)} ms max ${ms(p.lagMax)} ms (GC max ${ms(p.gcMax)} ms; ${splitText(p)}); ${concurrency}×${p.perRound.length} concurrent p50 ${ms(p.cP50)} ms p99 ${ms(p.cP99)} ms, samples per round [${p.perRound.join(',')}], loop delay max ${ms(p.cLagMax)} ms`);
          } catch (e) {
            fail(`per-scrape at ${n}`, e);
          }
          try {
            const b = await background(n);
            row.bg.push(b);
            console.log(`  interval 1 #${k + 1}: ${b.scrapes} spaced p50 ${ms(b.p50)} ms, p99 ${ms(b.p99)} ms, ${b.samples} background samples (${ms(b.sampleMs)} ms each), loop delay p99 ${ms(b.lagP99)} ms max ${ms(b.lagMax)} ms (GC max ${ms(b.gcMax)} ms; ${splitText(b)})`);
          } catch (e) {
            fail(`interval 1 at ${n}`, e);
          }
        }
        results.push(row);
      }
      if (recordSockets === n) {
        try {
          rec = await recordRun(n);
        } catch (e) {
          fail(`record at ${n}`, e);
        }
      }
    } finally {
      await cleanup();
    }
  }
} catch (e) {
  fail('bench', e);
} finally {
  await cleanup();
}
console.log(`bench/serve: done in ${((now() - t00) / 1000).toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------
// RESULTS-serve.md
const med = (rows, key) => median(rows.map((r) => r[key]));
const maxOf = (rows, key) => Math.max(...rows.map((r) => r[key]).filter(Number.isFinite));
function report() {
  const cmd = `node bench/serve.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const out = [
    '# `netsnap serve` and `netsnap record` under load',
    '',
    `Written by \`${cmd}\` (bench/serve.mjs); re-run it to refresh. Each figure is the median over`,
    `${repeats} repeat(s) (a fresh exporter each) of the statistic over that repeat's scrapes; "max of repeats" columns`,
    'are the worst repeat. The machine is shared and noisy: differences under 1.3× are noise.',
    '',
    `- Date: ${started.toISOString()} (took ${((now() - t00) / 1000).toFixed(0)} s)`,
    `- Machine: ${machine()}; load average ${loadAtStart} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`,
    `- Load: bench/loadgen.mjs (established loopback TCP connections, both ends counted; ${loadOpts.workers} holder processes, ${loadOpts.idleProcs} idle processes with ${loadOpts.idleFds} fds each)`,
    isolated
      ? '- Isolated: own network and PID namespaces with a fresh /proc, an own TCP established hash and no TIME_WAIT (as bench/run.mjs): only the generated load is sampled'
      : '- Not isolated: every socket and process of the machine was sampled too',
    '- Exporter: `startExporter({ owners: true, top: 20 })` from dist/, in the bench process, scraped over keep-alive HTTP on 127.0.0.1 without gzip;',
    '  event-loop delay is this process\'s (monitorEventLoopDelay at 1 ms, max also from a 1 ms timer), GC max from PerformanceObserver;',
    '  a stall (a gap over 10 ms between 1 ms timer callbacks) is split with the main thread\'s /proc schedstat into time on a CPU',
    '  (our JavaScript, GC) and time runnable but waiting for a CPU (the other work on this shared machine)',
    '',
    '## serve and record',
    '',
    `### One sample per scrape: ${nScrapes} sequential scrapes, then ${nRounds} rounds of ${concurrency} concurrent scrapes`,
    '',
    '| sockets | scrape p50 ms | scrape p99 ms | response bytes (gzip) | sample duration ms (exporter) | scrape p50 / sample | loop delay p99 ms | loop delay max ms (max of repeats) | longest stall: on CPU + waiting for a CPU, ms | stalls > 10 ms: share on CPU | GC pause max ms | concurrent p50 ms | concurrent p99 ms | samples per round (all rounds) | concurrent loop delay max ms |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |',
    ...results.filter((r) => r.per.length).map((r) => {
      const p = r.per;
      const rounds = p.flatMap((x) => x.perRound);
      const hist = [...new Set(rounds)].sort((a, b) => a - b).map((v) => `${v}: ${rounds.filter((x) => x === v).length}`).join(', ');
      return `| ${fmtN(r.sockets)} | ${ms(med(p, 'p50'))} | ${ms(med(p, 'p99'))} | ${fmtN(med(p, 'bytes'))} (${fmtN(med(p, 'gzBytes'))}) | ${ms(med(p, 'sampleMs'))} | ${(med(p, 'p50') / med(p, 'sampleMs')).toFixed(2)}× | ${ms(med(p, 'lagP99'))} | ${ms(med(p, 'lagMax'))} (${ms(maxOf(p, 'lagMax'))}) | ${ms(med(p, 'maxRun'))} + ${ms(med(p, 'maxWait'))} | ${pc(med(p, 'stallRun'))} | ${ms(med(p, 'gcMax'))} | ${ms(med(p, 'cP50'))} | ${ms(med(p, 'cP99'))} | median ${median(rounds)} (${hist}) | ${ms(med(p, 'cLagMax'))} |`;
    }),
    '',
    `### Background sampler (\`interval: 1\`): ${nScrapes} scrapes 150 ms apart`,
    '',
    '| sockets | scrape p50 ms | scrape p99 ms | background samples during the scrapes | sample duration ms | loop delay p99 ms | loop delay max ms (max of repeats) | longest stall: on CPU + waiting for a CPU, ms | stalls > 10 ms: share on CPU | GC pause max ms | per-scrape p50 / interval p50 |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.filter((r) => r.bg.length).map((r) => {
      const b = r.bg;
      return `| ${fmtN(r.sockets)} | ${ms(med(b, 'p50'))} | ${ms(med(b, 'p99'))} | ${med(b, 'samples')} | ${ms(med(b, 'sampleMs'))} | ${ms(med(b, 'lagP99'))} | ${ms(med(b, 'lagMax'))} (${ms(maxOf(b, 'lagMax'))}) | ${ms(med(b, 'maxRun'))} + ${ms(med(b, 'maxWait'))} | ${pc(med(b, 'stallRun'))} | ${ms(med(b, 'gcMax'))} | ${r.per.length ? `${(med(r.per, 'p50') / med(b, 'p50')).toFixed(1)}×` : '–'} |`;
    }),
    '',
  ];
  if (rec) {
    out.push(
      `### \`netsnap record --interval 50ms --duration ${rec.seconds}s\` at ${fmtN(rec.sockets)} sockets (child process, VmRSS once a second)`,
      '',
      '| RSS at 10 s | RSS at 30 s | RSS at end | RSS max | slope over the last 40 s | samples written (50 ms slots) | file size | bytes per sample line |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| ${mb(rec.rss10?.[1])} MB | ${mb(rec.rss30?.[1])} MB | ${mb(rec.rssEnd?.[1])} MB (at ${rec.rssEnd?.[0].toFixed(0)} s) | ${mb(rec.rssMax)} MB | ${rec.slopeMBmin.toFixed(2)} MB/min | ${fmtN(rec.samples)} of ${fmtN(rec.expected)} (end line: ${rec.endSamples ?? '–'}) | ${mb(rec.fileBytes)} MB | ${fmtN(rec.bytesPerSample)} |`,
      '',
    );
  }
  return out;
}

if (flag('no-write') || failures.length) {
  console.log(`bench/serve: RESULTS-serve.md not written (${failures.length ? `${failures.length} failure(s)` : '--no-write'})`);
  console.log(report().join('\n'));
} else {
  writeResults('RESULTS-serve.md', report(),
    '**`netsnap serve` and `netsnap record` under load:** see [RESULTS-serve.md](RESULTS-serve.md) (`node bench/serve.mjs`).');
  console.log('bench/serve: wrote bench/RESULTS-serve.md');
}
process.exit(failures.length ? 1 : 0);
