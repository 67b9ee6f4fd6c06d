#!/usr/bin/env node
// Soak: holds many loopback TCP sockets in child processes, then takes many async samples with
// owners and watches the sampling process's memory and fds. Prints a table; exits 1 when growth
// passes the bounds, 2 when the setup failed. Bounded in time by --max-seconds (the samples left
// are then skipped, and the run says so).
//   node --expose-gc bench/soak.mjs [--samples 10000] [--sockets 10000] [--backend native|js]
//     [--modes api,raw] [--every 1000] [--warmup 200] [--heap-mb 2] [--rss-mb 20] [--max-seconds 900] [--json]
// Modes: `api` = sample({ owners: true, protocols: ['tcp'] }) from dist/backends/snapshot.js (new tables every
// sample); `raw` = backend.sampleAsync({ ..., owners: true }) with the tables of two samples back
// passed as `reuse` (the sampler's double buffering). The `max tcp rows` column is the largest
// /proc/net/tcp seen since the previous line: RSS follows the largest table the process had to
// read (per-thread read buffers, malloc arenas), which other processes on the machine decide.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const samples = Number(opt('samples', '10000'));
const sockets = Number(opt('sockets', '10000'));
const backendName = opt('backend', process.env.NETSNAP_BACKEND || 'native');
const modes = opt('modes', 'api,raw').split(',');
const every = Number(opt('every', '1000'));
const warmup = Number(opt('warmup', '200'));
const heapMb = Number(opt('heap-mb', '2'));
const rssMb = Number(opt('rss-mb', '20'));
const maxSeconds = Number(opt('max-seconds', '900'));
const asJson = args.includes('--json');
const log = asJson ? (...a) => console.error(...a) : (...a) => console.log(...a);

if (typeof global.gc !== 'function') {
  console.error('soak: run with node --expose-gc');
  process.exit(2);
}
for (const [k, v] of Object.entries({ samples, sockets, every, warmup, heapMb, rssMb, maxSeconds })) {
  if (!Number.isFinite(v) || v < 0) {
    console.error(`soak: bad --${k}`);
    process.exit(2);
  }
}

const { sample } = require(path.join(root, 'dist/backends/snapshot.js'));
const { getBackend } = require(path.join(root, 'dist/backends/select.js'));
const backend = getBackend(backendName);

// --- the sockets: spread over children, each well under the 20,000 fd limit ---------------------
const PER_CHILD_MAX = 2500;
const nChildren = Math.max(2, Math.ceil(sockets / PER_CHILD_MAX));
const children = [];
const deadline = Date.now() + maxSeconds * 1000;
function stopChildren() {
  for (const c of children) {
    c.stdin.end();
    c.kill();
  }
}
process.on('exit', stopChildren);
async function startChild(count) {
  const child = spawn(process.execPath, [path.join(root, 'bench/socket-holder.js'), String(count), String(maxSeconds + 120)], { stdio: ['pipe', 'pipe', 'inherit'] });
  children.push(child);
  const line = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('socket holder did not report in 120 s')), 120_000);
    readline.createInterface({ input: child.stdout }).once('line', (l) => { clearTimeout(timer); resolve(l); });
    child.once('exit', (code) => reject(new Error(`socket holder exited with ${code}`)));
  });
  const m = /^ready (\d+) (\d+)$/.exec(line);
  if (!m) throw new Error(`socket holder said ${JSON.stringify(line)}`);
  return { pid: child.pid, sockets: Number(m[1]), port: Number(m[2]) };
}

let held;
try {
  const counts = Array.from({ length: nChildren }, (_, i) => Math.floor(sockets / nChildren) + (i < sockets % nChildren ? 1 : 0));
  held = await Promise.all(counts.map(startChild));
} catch (err) {
  console.error(`soak: setup failed: ${err.message}`);
  stopChildren();
  process.exit(2);
}
const childPids = new Set(held.map((h) => h.pid));
const heldSockets = held.reduce((n, h) => n + h.sockets, 0);
log(`soak: backend ${backend.name}, ${heldSockets} sockets held by ${held.length} processes (${held.map((h) => h.sockets).join(' + ')}), ${samples} samples per mode (${modes.join(', ')}), node ${process.version}, ${os.cpus().length} cpus`);

// --- measurements --------------------------------------------------------------------------------
function fdCount() {
  return fs.readdirSync('/proc/self/fd').length;
}
// The largest tcp table seen since the last measurement: the process's RSS follows the biggest
// /proc/net/tcp it had to read (read buffers and tables are sized to it), not the sample count.
let peakRows = 0;
function measure(mode, n, t0) {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  const rows = peakRows;
  peakRows = 0;
  return { mode, sample: n, seconds: (performance.now() - t0) / 1000, rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, fds: fdCount(), maxTcpRows: rows };
}

const request = { netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: true, procRoot: '/proc', littleEndian: os.endianness() === 'LE' };
let older = null;
let newer = null;
async function once(mode) {
  // Returns [tcp rows, sockets owned by the holders].
  if (mode === 'api') {
    const s = await sample({ owners: true, protocols: ['tcp'], backend: backend.name });
    let owned = 0;
    const pids = s.owners.pids;
    for (let i = 0; i < pids.length; i++) if (childPids.has(pids[i])) owned++;
    return [s.inet.reduce((n, t) => n + t.count, 0), owned];
  }
  const reuse = older ? request.files.map((name) => older.files.find((f) => f.name === name)?.table ?? null) : undefined;
  const raw = await backend.sampleAsync({ ...request, reuse });
  older = newer;
  newer = raw;
  let owned = 0;
  const pids = raw.owners.pids;
  for (let i = 0; i < pids.length; i++) if (childPids.has(pids[i])) owned++;
  return [raw.files.reduce((n, f) => n + (f.table ? f.table.count : 0), 0), owned];
}

const MB = 1024 * 1024;
const rows = [];
const results = [];
let failed = false;
for (const [k, mode] of modes.entries()) {
  // The time left is shared equally by the modes still to run.
  const modeDeadline = Date.now() + (deadline - Date.now()) / (modes.length - k);
  if (mode !== 'api' && mode !== 'raw') {
    console.error(`soak: unknown mode ${mode}`);
    process.exit(2);
  }
  const t0 = performance.now();
  let minRows = Infinity;
  let minOwned = Infinity;
  // The warm-up may take at most a quarter of the mode's time, so that samples are always measured.
  const warmupUntil = Date.now() + (modeDeadline - Date.now()) / 4;
  for (let i = 0; i < warmup && Date.now() < warmupUntil; i++) await once(mode);
  const start = measure(mode, 0, t0);
  rows.push(start);
  let done = 0;
  for (; done < samples; done++) {
    if (Date.now() >= modeDeadline) break;
    const [r, o] = await once(mode);
    if (r < minRows) minRows = r;
    if (r > peakRows) peakRows = r;
    if (o < minOwned) minOwned = o;
    if ((done + 1) % every === 0 && done + 1 < samples) rows.push(measure(mode, done + 1, t0));
  }
  const end = measure(mode, done, t0);
  rows.push(end);
  older = newer = null;
  const growth = { heapUsed: end.heapUsed - start.heapUsed, rss: end.rss - start.rss, external: end.external - start.external, fds: end.fds - start.fds };
  const problems = [];
  if (growth.heapUsed > heapMb * MB) problems.push(`heapUsed grew ${(growth.heapUsed / MB).toFixed(2)} MB (bound ${heapMb} MB)`);
  if (growth.rss > rssMb * MB) problems.push(`rss grew ${(growth.rss / MB).toFixed(2)} MB (bound ${rssMb} MB)`);
  if (growth.fds !== 0) problems.push(`fd count changed by ${growth.fds}`);
  if (done > 0 && minOwned < heldSockets) problems.push(`a sample mapped only ${minOwned} of the ${heldSockets} held sockets to their owners`);
  if (done === 0) problems.push('no samples taken');
  const truncated = done < samples;
  if (problems.length) failed = true;
  results.push({
    mode, samples: done, requested: samples, truncated, seconds: end.seconds, msPerSample: done ? ((end.seconds - start.seconds) * 1000) / done : null,
    minTcpRows: done ? minRows : 0, minOwnedByHolders: done ? minOwned : 0, growth, problems,
  });
}
stopChildren();

const f = (b) => (b / MB).toFixed(2).padStart(9);
log('');
log(`${'mode'.padEnd(5)} ${'sample'.padStart(7)} ${'secs'.padStart(8)} ${'rss MB'.padStart(9)} ${'heap MB'.padStart(9)} ${'ext MB'.padStart(9)} ${'ab MB'.padStart(9)} ${'fds'.padStart(5)} ${'max tcp rows'.padStart(12)}`);
for (const r of rows) {
  log(`${r.mode.padEnd(5)} ${String(r.sample).padStart(7)} ${r.seconds.toFixed(1).padStart(8)} ${f(r.rss)} ${f(r.heapUsed)} ${f(r.external)} ${f(r.arrayBuffers)} ${String(r.fds).padStart(5)} ${String(r.maxTcpRows).padStart(12)}`);
}
log('');
for (const r of results) {
  log(`${r.mode}: ${r.samples}/${r.requested} samples${r.truncated ? ` (stopped by --max-seconds ${maxSeconds}, shared by the modes)` : ''}, ${r.msPerSample?.toFixed(1)} ms/sample, ` +
    `>= ${r.minTcpRows} tcp rows and ${r.minOwnedByHolders} holder-owned sockets per sample; growth after warm-up: heap ${(r.growth.heapUsed / MB).toFixed(2)} MB, ` +
    `rss ${(r.growth.rss / MB).toFixed(2)} MB, external ${(r.growth.external / MB).toFixed(2)} MB, fds ${r.growth.fds}: ${r.problems.length ? `FAIL: ${r.problems.join('; ')}` : 'ok'}`);
}
if (asJson) console.log(JSON.stringify({ backend: backend.name, sockets: heldSockets, processes: held.length, bounds: { heapMb, rssMb }, results, rows }));
process.exit(failed ? 1 : 0);
