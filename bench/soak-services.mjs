#!/usr/bin/env node
// Soak of the long-running commands (issue #17): the real CLI's `netsnap serve --info` scraped by
// concurrent clients every second, and `netsnap top --ndjson` at 250 ms, both for --minutes (60) at
// once, under one load: bench/loadgen.mjs (--sockets, 10,000 established loopback TCP sockets) plus
// churn all along: --churn connections a second each held 2 s (bench/owners-incremental.mjs's churn
// child, so that sockets and owners come and go in the samples) and --churn-short connections a
// second opened and closed at once (bench/churn.c, paced; destroy events for both commands).
//
//   node bench/soak-services.mjs [--minutes 60] [--sockets 10000] [--clients 8] [--scrape-interval 1]
//     [--scrape-timeout 5] [--spread] [--top-interval 250] [--every 15] [--warmup 2] [--window 10]
//     [--churn 100] [--churn-short 100] [--rss-mb 20] [--heap-mb 4] [--fd-slack 8]
//     [--workers 16] [--idle-procs 200] [--idle-fds 20] [--no-write] [--no-isolate]
//   npm run bench -- --only soak [the same options]
//
// serve: `node dist/cli/main.js serve --info --listen 127.0.0.1:PORT` (one sample per scrape, shared
// by the scrapes that arrive while it is taken). --clients loops, each with a keep-alive connection
// of its own, fetch /metrics on a common grid of --scrape-interval seconds (--spread: their phases
// spread over the interval, so that each scrape takes a sample of its own). A scrape fails on an
// error, a status other than 200, no complete answer within --scrape-timeout seconds, or a body
// without netsnap_samples_total, netsnap_sockets{proto="tcp"…} and netsnap_tcp_rtt_seconds; one
// over the interval is "late" (reported, not a failure); a slot a client could not start because
// its previous scrape still ran is "missed". The process's heap is the exporter's own
// nodejs_heap_size_used_bytes (prom-client's default metrics, process.memoryUsage()) in the latest
// scrape of client 1.
// top: `node --require bench/soak-memory.cjs dist/cli/main.js top --ndjson --interval 250ms`; every
// stdout line must parse as JSON with kind "tick" and a growing tick number (else a bad line);
// ticks against the grid's slots, the ticks' skippedSlots summed, stderr lines counted. Its heap is
// the preload's process.memoryUsage() line (every 5 s; the preload calls no gc()).
// Both: every --every seconds VmRSS (/proc/PID/status) and open fds (entries of /proc/PID/fd).
// "Flat": the medians of RSS and heap in the first --window minutes after a --warmup, against the
// last --window minutes (shorter runs scale both down); fds: the highest count after the warm-up
// minus the median count during it (--fd-slack allows the fds a sample holds for a moment).
// Bounds: growth of the RSS median <= --rss-mb, of the heap median <= --heap-mb, fds <= --fd-slack;
// no failed scrape, no failed sample (netsnap_sample_errors_total), no bad top line, both commands
// alive to the end and exiting 0 on SIGTERM, at least --sockets TCP sockets in every sample seen.
// Exit status 1 when a bound fails, 2 when the setup fails. The raw readings go to
// bench/out/soak-services-DATE.json; the summary is printed and, unless --no-write, written into
// bench/RESULTS.md between <!-- soak-services --> and <!-- /soak-services --> inside its notes
// block (the part bench/run.mjs keeps).
// Isolation is bench/isolate.mjs's: as root with unshare(1) the script re-runs
// itself in its own network and PID namespaces, so only the generated load is sampled (and the
// load's sockets stay out of the host's tables); --no-isolate measures the machine as it is.
// Every loop is bounded in count and in time; every child is killed on the way out.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startLoad } from './loadgen.mjs';
import { isolated, reRunIsolated } from './isolate.mjs';
import { machine } from './common.mjs';
import { buildChurn, fdCount, vmRss } from './procs.mjs';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const FLAGS = ['no-write', 'no-isolate', 'spread'];
const known = new Set(['minutes', 'sockets', 'clients', 'scrape-interval', 'scrape-timeout', 'top-interval', 'every', 'warmup',
  'window', 'churn', 'churn-short', 'rss-mb', 'heap-mb', 'fd-slack', 'workers', 'idle-procs', 'idle-fds', ...FLAGS]);
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2))) {
    console.error(`bench/soak-services: unknown argument ${argv[i]}`);
    process.exit(64);
  }
  if (!FLAGS.includes(argv[i].slice(2))) i++;
}
const num = (name, dflt, min, max, integer = false) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    console.error(`bench/soak-services: --${name} wants ${integer ? 'an integer' : 'a number'} in ${min}..${max}`);
    process.exit(64);
  }
  return v;
};
const minutes = num('minutes', 60, 1, 600);
const sockets = num('sockets', 10000, 2, 100000, true);
const clients = num('clients', 8, 1, 60, true); // the exporter serves 64 connections at once
const scrapeInterval = num('scrape-interval', 1, 0.1, 60);
const scrapeTimeout = num('scrape-timeout', 5, 0.1, 60);
const topInterval = num('top-interval', 250, 50, 10000, true); // ms
const every = num('every', 15, 1, 600);
let warmupMin = num('warmup', 2, 0, 60);
let windowMin = num('window', 10, 0.5, 300);
const churnHeld = num('churn', 100, 0, 2000);
const churnShort = num('churn-short', 100, 0, 20000);
const rssMb = num('rss-mb', 20, 0, 10000);
const heapMb = num('heap-mb', 4, 0, 10000);
const fdSlack = num('fd-slack', 8, 0, 10000, true);
const spread = flag('spread');
const loadOpts = {
  workers: num('workers', 16, 1, 64, true),
  idleProcs: num('idle-procs', 200, 0, 2000, true),
  idleFds: num('idle-fds', 20, 0, 1000, true),
};
// A run too short for a warm-up and two windows: a sixth of it warms up, the windows halve the rest.
if (warmupMin + 2 * windowMin > minutes) {
  warmupMin = minutes / 6;
  windowMin = (minutes - warmupMin) / 2;
}

// ---------------------------------------------------------------------------------------------
// Isolation, as in run.mjs: fresh network + PID namespaces (lo up, own /proc), an own TCP
// established hash of the host's size and no TIME_WAIT.
if (!flag('no-isolate') && !reRunIsolated(self, argv) && !isolated) {
  console.error('bench/soak-services: not root or no unshare(1): measuring the machine as it is (other sockets and processes included)');
}

// ---------------------------------------------------------------------------------------------
const cli = path.join(root, 'dist/cli/main.js');
const preload = path.join(root, 'bench/soak-memory.cjs');
const now = () => performance.now();
const sleep = (t) => new Promise((r) => setTimeout(r, Math.max(0, t)));
const median = (xs) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const pct = (xs, p) => {
  const s = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))];
};
const MB = 2 ** 20;
const mb = (b) => (Number.isFinite(b) ? (b / MB).toFixed(1) : '–');
const smb = (b) => (Number.isFinite(b) ? `${b >= 0 ? '+' : '−'}${(Math.abs(b) / MB).toFixed(1)}` : '–');
const sint = (n) => (Number.isFinite(n) ? (n >= 0 ? `+${n}` : `−${-n}`) : '–');
const fmtN = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–');
const ms = (x) => (!Number.isFinite(x) ? '–' : x < 10 ? x.toFixed(2) : x < 1000 ? x.toFixed(1) : x.toFixed(0));
const minStr = (m) => (Number.isInteger(m) ? String(m) : m.toFixed(2).replace(/0+$/, '').replace(/\.$/, ''));
const log = (m) => console.log(m);

// Children, killed on any way out.
const children = new Set();
let load = null;
const killAll = () => {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
  }
  if (load) {
    try { process.kill(-load.pid, 'SIGKILL'); } catch { /* gone */ }
  }
};
process.on('exit', killAll);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    console.error(`\nbench/soak-services: ${sig}, stopping every child`);
    killAll();
    process.exit(130);
  });
}
const track = (c) => {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
};
const exitOf = (c) => (c.exitCode !== null || c.signalCode !== null
  ? Promise.resolve({ code: c.exitCode, sig: c.signalCode })
  : new Promise((r) => c.once('exit', (code, sig) => r({ code, sig }))));
/** SIGTERM, then SIGKILL after `grace` ms; resolves with how it ended. */
async function stopChild(c, grace = 15000) {
  if (c.exitCode !== null || c.signalCode !== null) return { code: c.exitCode, sig: c.signalCode, early: true };
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), grace);
  const r = await exitOf(c);
  clearTimeout(t);
  return { ...r, early: false };
}

const freePort = () => new Promise((resolve, reject) => {
  const s = net.createServer();
  s.once('error', reject);
  s.listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

// ---------------------------------------------------------------------------------------------
// Churn: held connections (owners-incremental.mjs's child) and short ones (churn.c, paced).
function startHeldChurn(rate) {
  const c = track(spawn(process.execPath, [path.join(root, 'bench/owners-incremental.mjs'), '--churn-child', String(rate)],
    { stdio: ['pipe', 'pipe', 'inherit'] }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('churn child not ready in 30 s')), 30000);
    readline.createInterface({ input: c.stdout }).once('line', (l) => {
      clearTimeout(timer);
      if (l.trim() === 'ready') resolve(c);
      else reject(new Error(`churn child said ${JSON.stringify(l)}`));
    });
    c.once('exit', (code, sig) => reject(new Error(`churn child exited (${sig ?? code})`)));
  });
}
/** churn.c runs of at most 3600 s (its own bound) one after another until `until` (performance.now()). */
const shortChurn = { conns: 0, seconds: 0, errors: 0, runs: 0, failures: [] };
async function runShortChurn(bin, rate, until) {
  for (let k = 0; k < 1000 && until - now() > 1000; k++) {
    const secs = Math.min(3600, (until - now()) / 1000);
    const args = [secs.toFixed(3), 'rate', String(rate)];
    if (!isolated) args.push('rst'); // no TIME_WAIT rows left in the host's tables
    const c = track(spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => { out += d; });
    c.stderr.on('data', (d) => { err = (err + d).slice(-2000); });
    const kill = setTimeout(() => c.kill('SIGKILL'), (secs + 30) * 1000);
    // 'close', not 'exit': the count may still be in the pipe when the process has exited.
    const { code, sig } = await new Promise((r) => c.once('close', (code, sig) => r({ code, sig })));
    clearTimeout(kill);
    const m = /^done (\d+) ([\d.]+) (\d+)/m.exec(out);
    if (!m) {
      if (!stopping) shortChurn.failures.push(`churn exited ${sig ?? code} without a count: ${err.trim()}`);
      return;
    }
    shortChurn.conns += Number(m[1]);
    shortChurn.seconds += Number(m[2]);
    shortChurn.errors += Number(m[3]);
    shortChurn.runs++;
    if (code !== 0) shortChurn.failures.push(`churn exited ${code}: ${err.trim()}`);
  }
}

// ---------------------------------------------------------------------------------------------
// serve and its scrapers.
const REQUIRED = ['\nnetsnap_samples_total ', '\nnetsnap_sockets{proto="tcp"', '\nnetsnap_tcp_rtt_seconds{'];
const metric = (text, name) => {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
};
const tcpSum = (text) => {
  let n = 0;
  for (const m of text.matchAll(/^netsnap_sockets\{proto="tcp",[^}]*\} (\S+)$/gm)) n += Number(m[1]);
  return n;
};
function scrapeOnce(port, agent, keep) {
  return new Promise((resolve) => {
    const t0 = now();
    let done = false;
    let timer = null;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ ms: now() - t0, ...r });
    };
    const req = http.get({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return finish({ fail: `HTTP ${res.statusCode}` });
        const text = Buffer.concat(chunks).toString('latin1');
        const missing = REQUIRED.find((s) => !text.includes(s));
        if (missing) return finish({ fail: `no ${missing.trim()}` });
        finish({ text: keep ? text : null });
      });
      res.on('error', (e) => finish({ fail: e.code ?? e.message }));
    });
    req.on('error', (e) => finish({ fail: e.code ?? e.message }));
    timer = setTimeout(() => {
      finish({ fail: 'timeout' });
      req.destroy(new Error('timeout'));
    }, scrapeTimeout * 1000);
  });
}
const scrapes = []; // [seconds since start, ms, failed 0/1, client]
const failures = new Map(); // reason -> count
const failureLog = []; // the first 20: { t, client, reason }
let missedSlots = 0;
let lastServe = null; // metrics of client 1's latest scrape
let serveFirst = null; // … of its first one after the start
async function scraper(i, port, start, end) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const period = scrapeInterval * 1000;
  const phase = spread ? (i * period) / clients : 0;
  const maxSlots = Math.ceil((end - start) / period) + 1;
  let k = 0;
  try {
    for (let n = 0; n < maxSlots && k < maxSlots; n++) {
      const slot = start + phase + k * period;
      if (slot >= end || stopping) break;
      await sleep(slot - now());
      const r = await scrapeOnce(port, agent, i === 0);
      const t = (now() - start) / 1000;
      scrapes.push([t, r.ms, r.fail ? 1 : 0, i]);
      if (r.fail) {
        failures.set(r.fail, (failures.get(r.fail) ?? 0) + 1);
        if (failureLog.length < 20) failureLog.push({ t: Number(t.toFixed(1)), client: i + 1, reason: r.fail });
      } else if (r.text) {
        const x = r.text;
        lastServe = {
          t, heapUsed: metric(x, 'nodejs_heap_size_used_bytes'), heapTotal: metric(x, 'nodejs_heap_size_total_bytes'),
          external: metric(x, 'nodejs_external_memory_bytes'), rss: metric(x, 'process_resident_memory_bytes'),
          fds: metric(x, 'process_open_fds'), samples: metric(x, 'netsnap_samples_total'), sampleErrors: metric(x, 'netsnap_sample_errors_total'),
          scrapes: metric(x, 'netsnap_scrapes_total'), closed: metric(x, 'netsnap_connections_closed_total'),
          eventsLost: metric(x, 'netsnap_destroy_events_lost_total'), sampleMs: metric(x, 'netsnap_sample_duration_seconds') * 1000,
          tcp: tcpSum(x),
        };
        serveFirst ??= lastServe;
        serveSampleMs.push(lastServe.sampleMs);
        tcpSeen.min = Math.min(tcpSeen.min, lastServe.tcp);
        tcpSeen.max = Math.max(tcpSeen.max, lastServe.tcp);
      }
      const next = Math.floor((now() - start - phase) / period) + 1;
      if (next > k + 1) missedSlots += next - (k + 1);
      k = Math.max(k + 1, next);
    }
  } finally {
    agent.destroy();
  }
}
const serveSampleMs = [];
const tcpSeen = { min: Infinity, max: -Infinity };

// ---------------------------------------------------------------------------------------------
// top and its reader.
const topStats = { ticks: 0, bad: 0, badLog: [], skipped: 0, lastTick: -1, stderr: 0, stderrLog: [], connections: [], opened: [], closed: [], events: null, firstAt: null, lastAt: null };
function readTop(c, start) {
  const rl = readline.createInterface({ input: c.stdout, crlfDelay: Infinity });
  rl.on('line', (line) => {
    let t = null;
    try {
      t = JSON.parse(line);
    } catch { /* bad below */ }
    const bad = (why) => {
      topStats.bad++;
      if (topStats.badLog.length < 10) topStats.badLog.push(`${why}: ${line.slice(0, 120)}`);
    };
    if (!t || typeof t !== 'object') return bad('not JSON');
    if (t.kind !== 'tick') return bad(`kind ${t.kind}`);
    if (!(t.tick > topStats.lastTick)) return bad(`tick ${t.tick} after ${topStats.lastTick}`);
    const at = (now() - start) / 1000;
    topStats.firstAt ??= at;
    topStats.lastAt = at;
    topStats.lastTick = t.tick;
    topStats.ticks++;
    topStats.skipped += t.skippedSlots ?? 0;
    topStats.connections.push(t.totals?.connections);
    if (t.totals?.openedPerSec != null) topStats.opened.push(t.totals.openedPerSec);
    if (t.totals?.closedPerSec != null) topStats.closed.push(t.totals.closedPerSec);
    topStats.events = t.events;
  });
  readline.createInterface({ input: c.stderr }).on('line', (l) => {
    topStats.stderr++;
    if (topStats.stderrLog.length < 10) topStats.stderrLog.push(l.slice(0, 200));
  });
}
function lastMemoryLine(file) {
  try {
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    return JSON.parse(lines.at(-1));
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
let stopping = false;
const started = new Date();
const loadAtStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const outDir = path.join(root, 'bench', 'out');
fs.mkdirSync(outDir, { recursive: true });
const stamp = started.toISOString().replace(/[:.]/g, '-');
const memFile = path.join(outDir, `soak-services-${stamp}-top-memory.ndjson`);
const records = [];
const problems = []; // setup and run problems that fail the run outright
let serve = null;
let top = null;
let port = 0;
let serveEnd = null;
let topEnd = null;
let start = 0;
let end = 0;
let churnHeldChild = null;
let churnShortRun = null;
let finishedAt = 0;
try {
  log(`bench/soak-services: ${minStr(minutes)} min, ${fmtN(sockets)} sockets, ${clients} scrapers every ${scrapeInterval} s${spread ? ' (phases spread)' : ''}, top every ${topInterval} ms, churn ${churnHeld}/s held 2 s + ${churnShort}/s short; ${isolated ? 'isolated' : 'not isolated'}; node ${process.version}`);
  const bin = churnShort > 0 ? buildChurn() : null;
  const t0 = now();
  load = await startLoad(sockets, { ...loadOpts, seconds: Math.ceil(minutes * 60 + 900), readyTimeout: Math.max(120, sockets / 1000) });
  log(`  load ready: ${fmtN(load.sockets)} sockets in ${((now() - t0) / 1000).toFixed(1)} s`);
  if (churnHeld > 0) churnHeldChild = await startHeldChurn(churnHeld);

  port = await freePort();
  serve = track(spawn(process.execPath, [cli, 'serve', '--info', '--listen', `127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] }));
  let serveErr = '';
  serve.stderr.on('data', (d) => { serveErr = (serveErr + d).slice(-4000); });
  for (let i = 0; i < 300 && !/serving metrics on/.test(serveErr); i++) {
    if (serve.exitCode !== null) throw new Error(`serve exited ${serve.exitCode}: ${serveErr.trim()}`);
    await sleep(100);
  }
  if (!/serving metrics on/.test(serveErr)) throw new Error(`serve did not start in 30 s: ${serveErr.trim()}`);
  top = track(spawn(process.execPath, ['--require', preload, cli, 'top', '--ndjson', '--interval', `${topInterval}ms`], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NETSNAP_SOAK_MEMORY: memFile, NETSNAP_SOAK_MEMORY_EVERY: '5' },
  }));

  start = now();
  end = start + minutes * 60000;
  readTop(top, start);
  if (bin) churnShortRun = runShortChurn(bin, churnShort, end);
  const scraperRuns = Array.from({ length: clients }, (_, i) => scraper(i, port, start, end));

  // The readings: one every --every seconds, and one at the end.
  const record = () => {
    const t = (now() - start) / 1000;
    const mem = lastMemoryLine(memFile);
    const r = {
      t,
      serve: { rss: vmRss(serve.pid), fds: fdCount(serve.pid), heap: lastServe?.heapUsed ?? NaN, heapAge: lastServe ? t - lastServe.t : NaN, samples: lastServe?.samples ?? NaN },
      top: { rss: vmRss(top.pid), fds: fdCount(top.pid), heap: mem?.heapUsed ?? NaN, heapAge: mem ? (Date.now() - mem.t) / 1000 : NaN, ticks: topStats.ticks },
      tcp: lastServe?.tcp ?? NaN,
      scrapes: scrapes.length,
      failed: scrapes.reduce((n, s) => n + s[2], 0),
    };
    records.push(r);
    log(`  ${(t / 60).toFixed(2).padStart(6)} min  serve rss ${mb(r.serve.rss).padStart(6)} MB heap ${mb(r.serve.heap).padStart(5)} MB fds ${String(r.serve.fds).padStart(3)} samples ${fmtN(r.serve.samples).padStart(6)}` +
      ` | top rss ${mb(r.top.rss).padStart(6)} MB heap ${mb(r.top.heap).padStart(5)} MB fds ${String(r.top.fds).padStart(3)} ticks ${fmtN(r.top.ticks).padStart(6)}` +
      ` | tcp ${fmtN(r.tcp)} scrapes ${fmtN(r.scrapes)} failed ${r.failed}`);
  };
  const nRecords = Math.floor((minutes * 60) / every);
  for (let k = 1; k <= nRecords; k++) {
    const at = start + k * every * 1000;
    if (at >= end) break;
    await sleep(at - now());
    if (serve.exitCode !== null || serve.signalCode !== null) problems.push(`serve exited early (${serve.signalCode ?? serve.exitCode}) at ${((now() - start) / 60000).toFixed(1)} min: ${serveErr.trim().slice(-500)}`);
    if (top.exitCode !== null || top.signalCode !== null) problems.push(`top exited early (${top.signalCode ?? top.exitCode}) at ${((now() - start) / 60000).toFixed(1)} min`);
    if (problems.length) break;
    record();
  }
  if (problems.length) stopping = true; // the scrapers stop at their next slot
  else await sleep(end - now());
  // The scrapers stop at the end by themselves (their last scrape at most --scrape-timeout later).
  await Promise.race([Promise.all(scraperRuns), sleep((scrapeTimeout + 5) * 1000)]);
  if (!problems.length) record();
  finishedAt = now();
  stopping = true;
  topEnd = await stopChild(top);
  serveEnd = await stopChild(serve);
  if (topEnd.early) problems.push(`top exited before the end (${topEnd.sig ?? topEnd.code})`);
  else if (topEnd.code !== 0) problems.push(`top did not exit 0 on SIGTERM (${topEnd.sig ?? topEnd.code})`);
  if (serveEnd.early) problems.push(`serve exited before the end (${serveEnd.sig ?? serveEnd.code})`);
  else if (serveEnd.code !== 0) problems.push(`serve did not exit 0 on SIGTERM (${serveEnd.sig ?? serveEnd.code}): ${serveErr.trim().slice(-500)}`);
} catch (e) {
  problems.push(`setup: ${e?.message ?? e}`);
  console.error(`bench/soak-services: ${e?.stack ?? e}`);
} finally {
  stopping = true;
  for (const c of [top, serve]) if (c) await stopChild(c, 5000);
  if (churnHeldChild) {
    churnHeldChild.stdin.end();
    await stopChild(churnHeldChild, 5000);
  }
  for (const c of children) c.kill('SIGKILL');
  if (churnShortRun) await Promise.race([churnShortRun, sleep(10000)]);
  if (load) {
    await load.stop();
    load = null;
  }
}
const setupFailed = problems.some((p) => p.startsWith('setup'));
if (setupFailed || !records.length) {
  console.error(`bench/soak-services: FAILED: ${problems.join('; ') || 'no readings'}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------------------
// Judgement.
const duration = (finishedAt - start) / 1000;
const warmEnd = warmupMin * 60;
const win = windowMin * 60;
const firstWin = [warmEnd, warmEnd + win];
const lastWin = [Math.max(warmEnd, duration - win), duration + 1];
const inWin = ([a, b]) => records.filter((r) => r.t >= a && r.t < b);
const after = records.filter((r) => r.t >= warmEnd);
const warm = records.filter((r) => r.t < warmEnd);
function judge(who) {
  const f = inWin(firstWin);
  const l = inWin(lastWin);
  const m = (rs, k) => median(rs.map((r) => r[who][k]));
  const fdsAfter = after.map((r) => r[who].fds).filter(Number.isFinite);
  return {
    first: { rss: m(f, 'rss'), heap: m(f, 'heap'), fds: m(f, 'fds'), n: f.length },
    last: { rss: m(l, 'rss'), heap: m(l, 'heap'), fds: m(l, 'fds'), n: l.length },
    rssGrowth: m(l, 'rss') - m(f, 'rss'),
    heapGrowth: m(l, 'heap') - m(f, 'heap'),
    // The warm-up's value: the median of its readings (the first reading when there was no warm-up).
    fdWarm: warm.length ? median(warm.map((r) => r[who].fds)) : records[0][who].fds,
    fdMax: Math.max(...fdsAfter),
    fdLast: records.at(-1)[who].fds,
    fdGrowth: Math.max(...fdsAfter) - (warm.length ? median(warm.map((r) => r[who].fds)) : records[0][who].fds),
    rssMax: Math.max(...after.map((r) => r[who].rss).filter(Number.isFinite)),
  };
}
const js = judge('serve');
const jt = judge('top');
const lat = scrapes.map((s) => s[1]);
const failed = scrapes.reduce((n, s) => n + s[2], 0);
const late = scrapes.filter((s) => !s[2] && s[1] > scrapeInterval * 1000).length;
const slotsPerClient = Math.floor((minutes * 60) / scrapeInterval);
const sampleDelta = lastServe && serveFirst ? lastServe.samples - serveFirst.samples : NaN;
const sampleSpan = lastServe && serveFirst ? lastServe.t - serveFirst.t : NaN;
const sampleErrors = lastServe?.sampleErrors ?? NaN;
const closedRate = lastServe && serveFirst ? (lastServe.closed - serveFirst.closed) / sampleSpan : NaN;
const topSlots = topStats.firstAt !== null ? Math.floor(((topStats.lastAt - topStats.firstAt) * 1000) / topInterval) + 1 : 0;
const bounds = [
  ['serve: RSS median, last window − first', `≤ ${rssMb} MB`, `${smb(js.rssGrowth)} MB`, js.rssGrowth <= rssMb * MB],
  ['serve: heap used median, last window − first', `≤ ${heapMb} MB`, `${smb(js.heapGrowth)} MB`, js.heapGrowth <= heapMb * MB],
  ['serve: open fds, max after the warm-up − the warm-up\'s median', `≤ ${fdSlack}`, `${sint(js.fdGrowth)} (${js.fdWarm} → max ${js.fdMax}; ${js.fdLast} after the last scrape)`, js.fdGrowth <= fdSlack],
  ['serve: failed scrapes', '0', `${fmtN(failed)} of ${fmtN(scrapes.length)}`, failed === 0 && scrapes.length > 0],
  ['serve: failed samples (netsnap_sample_errors_total)', '0', fmtN(sampleErrors), sampleErrors === 0],
  ['top: RSS median, last window − first', `≤ ${rssMb} MB`, `${smb(jt.rssGrowth)} MB`, jt.rssGrowth <= rssMb * MB],
  ['top: heap used median, last window − first', `≤ ${heapMb} MB`, `${smb(jt.heapGrowth)} MB`, jt.heapGrowth <= heapMb * MB],
  ['top: open fds, max after the warm-up − the warm-up\'s median', `≤ ${fdSlack}`, `${sint(jt.fdGrowth)} (${jt.fdWarm} → max ${jt.fdMax}; ${jt.fdLast} at the end)`, jt.fdGrowth <= fdSlack],
  ['top: bad lines (not a tick, not JSON, tick number not growing)', '0', `${fmtN(topStats.bad)} of ${fmtN(topStats.ticks + topStats.bad)}`, topStats.bad === 0 && topStats.ticks > 0],
  ['load: TCP sockets in every serve sample read', `≥ ${fmtN(sockets)}`, `min ${fmtN(tcpSeen.min)}, max ${fmtN(tcpSeen.max)}`, tcpSeen.min >= sockets],
  ['both alive to the end, exit 0 on SIGTERM; churn ran', 'yes', problems.length || shortChurn.failures.length ? [...problems, ...shortChurn.failures].join('; ') : 'yes', !problems.length && !shortChurn.failures.length],
];
const allMet = bounds.every((b) => b[3]);

const winName = ([a, b], last) => `${last ? 'last' : 'first'} ${minStr(windowMin)} min (${(a / 60).toFixed(1)}–${(Math.min(b, duration) / 60).toFixed(1)} min)`;
const cmd = `node bench/soak-services.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`;
const section = [
  '<!-- soak-services -->',
  `**Soak of \`netsnap serve --info\` and \`netsnap top --ndjson\` (issue #17), ${started.toISOString()}:** \`${cmd}\`,`,
  `both commands at once for ${(duration / 60).toFixed(1)} min under one load; readings every ${every} s, warm-up ${minStr(warmupMin)} min, windows of ${minStr(windowMin)} min.`,
  `Verdict: **${allMet ? 'flat: every bound met' : 'FAILED: see the bounds'}**.`,
  `- Machine: ${machine()}; load average ${loadAtStart} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end${isolated ? '; isolated (own network and PID namespaces, no TIME_WAIT, as bench/run.mjs)' : '; not isolated'}`,
  `- Load: ${fmtN(load?.sockets ?? sockets)} established loopback TCP sockets (bench/loadgen.mjs, ${loadOpts.workers} holders, ${loadOpts.idleProcs} idle processes × ${loadOpts.idleFds} fds);`,
  `  churn: ${churnHeld} connections/s each held 2 s (bench/owners-incremental.mjs --churn-child) and ${churnShort} connections/s opened and closed at once`,
  `  (bench/churn.c: ${fmtN(shortChurn.conns)} connections in ${shortChurn.runs} run(s), ${fmtN(shortChurn.errors)} errors). Seen by top (sockets, both ends of each connection):`,
  `  opened p50 ${fmtN(median(topStats.opened))}/s, closed p50 ${fmtN(median(topStats.closed))}/s;`,
  `  by serve: ${fmtN(closedRate)} closes/s (netsnap_connections_closed_total). TCP sockets in serve's samples: ${fmtN(tcpSeen.min)}–${fmtN(tcpSeen.max)}.`,
  `- serve: \`node dist/cli/main.js serve --info --listen 127.0.0.1:PORT\`, ${clients} clients (one keep-alive connection each) every ${scrapeInterval} s${spread ? ', phases spread' : ' on one grid'}:`,
  `  ${fmtN(scrapes.length)} scrapes (${fmtN(clients * slotsPerClient)} slots), **${fmtN(failed)} failed**${failures.size ? ` (${[...failures].map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}, ${fmtN(late)} over ${scrapeInterval} s, ${fmtN(missedSlots)} slots missed;`,
  `  latency p50 ${ms(median(lat))} ms, p99 ${ms(pct(lat, 99))} ms, max ${ms(Math.max(...lat))} ms; ${fmtN(sampleDelta)} samples (${(sampleDelta / sampleSpan).toFixed(2)}/s, duration p50 ${ms(median(serveSampleMs))} ms), ${fmtN(sampleErrors)} failed; destroy events lost ${fmtN(lastServe?.eventsLost)}.`,
  `- top: \`node --require bench/soak-memory.cjs dist/cli/main.js top --ndjson --interval ${topInterval}ms\`: ${fmtN(topStats.ticks)} ticks in ${fmtN(topSlots)} slots`,
  `  (skippedSlots ${fmtN(topStats.skipped)}), ${fmtN(topStats.bad)} bad lines, ${fmtN(topStats.stderr)} stderr lines; connections per tick p50 ${fmtN(median(topStats.connections))};`,
  `  destroy events received ${fmtN(topStats.events?.received)}, overflows ${fmtN(topStats.events?.overflows)}, lost ${fmtN(topStats.events?.lost)}, dropped ${fmtN(topStats.events?.dropped)}.`,
  '',
  '| process | window | readings | RSS median MB | heap used median MB | open fds median |',
  '| --- | --- | ---: | ---: | ---: | ---: |',
  ...[['serve', js], ['top', jt]].flatMap(([who, j]) => [
    `| ${who} | ${winName(firstWin, false)} | ${j.first.n} | ${mb(j.first.rss)} | ${mb(j.first.heap)} | ${j.first.fds} |`,
    `| ${who} | ${winName(lastWin, true)} | ${j.last.n} | ${mb(j.last.rss)} | ${mb(j.last.heap)} | ${j.last.fds} |`,
    `| ${who} | growth (RSS max after the warm-up: ${mb(j.rssMax)} MB) | | ${smb(j.rssGrowth)} | ${smb(j.heapGrowth)} | max − warm-up: ${sint(j.fdGrowth)} |`,
  ]),
  '',
  '| bound | limit | measured | verdict |',
  '| --- | ---: | ---: | --- |',
  ...bounds.map(([what, limit, got, ok]) => `| ${what} | ${limit} | ${got} | ${ok ? 'met' : '**missed**'} |`),
  '<!-- /soak-services -->',
];

const rawFile = path.join(outDir, `soak-services-${stamp}.json`);
fs.writeFileSync(rawFile, JSON.stringify({
  started: started.toISOString(), argv, minutes, sockets, clients, duration, isolated, warmupMin, windowMin, records,
  scrapes, failures: Object.fromEntries(failures), failureLog, missedSlots, top: { ...topStats, connections: undefined, opened: undefined, closed: undefined },
  serveFirst, lastServe, shortChurn, problems, bounds,
}));
log('');
log(section.join('\n'));
if (failureLog.length) log(`\nfirst failed scrapes: ${JSON.stringify(failureLog)}`);
if (topStats.badLog.length) log(`bad top lines: ${JSON.stringify(topStats.badLog)}`);
if (topStats.stderrLog.length) log(`top stderr: ${JSON.stringify(topStats.stderrLog)}`);
log(`\nbench/soak-services: raw readings in ${path.relative(root, rawFile)}`);

if (!flag('no-write')) {
  const resultsPath = path.join(root, 'bench', 'RESULTS.md');
  let text = '';
  try {
    text = fs.readFileSync(resultsPath, 'utf8');
  } catch { /* none yet */ }
  const block = section.join('\n');
  const marked = /<!-- soak-services -->[\s\S]*?<!-- \/soak-services -->/;
  if (marked.test(text)) text = text.replace(marked, () => block);
  else if (text.includes('<!-- /notes -->')) text = text.replace('<!-- /notes -->', () => `\n${block}\n<!-- /notes -->`);
  else text = `${text}${text.endsWith('\n') || !text ? '' : '\n'}\n## Notes\n\n<!-- notes -->\n${block}\n<!-- /notes -->\n`;
  fs.writeFileSync(resultsPath, text);
  log('bench/soak-services: wrote its section of bench/RESULTS.md (in the notes block, which bench/run.mjs keeps)');
}
process.exit(allMet ? 0 : 1);
