#!/usr/bin/env node
// Parallel owner scan and parallel sample, in process, on the live machine: serial (1 worker)
// against the addon's automatic choice and forced thread counts. Median (and min) of N runs,
// interleaved so that machine noise hits every variant alike. Not a test: prints numbers only.
//   node bench/owners-threads.mjs [--runs 15] [--proc /proc] [--threads 1,2,auto]
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { loadNative } = require(path.join(root, 'dist/backends/native.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const runs = Number(opt('runs', '15'));
const procRoot = opt('proc', '/proc');
const variants = opt('threads', '1,2,4,auto').split(',').map((t) => (t === 'auto' ? 0 : Number(t)));

const loaded = loadNative();
if (!loaded.ok) {
  console.error('bench: the native addon is not built (npx node-gyp rebuild)');
  process.exit(1);
}
const addon = require(loaded.path);
const label = (t) => (t === 0 ? 'auto' : `${t} thread${t === 1 ? '' : 's'}`);

// Wall time, and CPU time of the whole process (every thread, user + system): on an idle
// machine parallel work shows as wall < CPU; on a saturated one no thread count helps the wall.
const cpuMs = (u) => (u.user + u.system) / 1000;
const time = (fn) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r, cpuMs(process.cpuUsage(c0))];
};
const timeAsync = async (fn) => {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r, cpuMs(process.cpuUsage(c0))];
};
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const request = (owners) => ({
  netDir: path.join(procRoot, 'net'), procRoot, owners, littleEndian: os.endianness() === 'LE', files: ['tcp', 'tcp6'],
});

const cases = [];
for (const t of variants) {
  cases.push({ name: `scanOwners            ${label(t)}`, t, run: () => addon.scanOwners(procRoot) });
  cases.push({ name: `sample (owners)       ${label(t)}`, t, run: () => addon.sample(request(true)) });
  cases.push({ name: `sampleAsync (owners)  ${label(t)}`, t, async: true, run: () => addon.sampleAsync(request(true)) });
  cases.push({ name: `sample (no owners)    ${label(t)}`, t, run: () => addon.sample(request(false)) });
}
const samples = new Map(cases.map((c) => [c, []]));
const cpu = new Map(cases.map((c) => [c, []]));
let shape = '';
const load0 = os.loadavg().map((x) => x.toFixed(2)).join(' ');
// Warm up (buffers grow, page cache), then interleave.
for (const c of cases) {
  addon.setThreads(c.t);
  c.async ? await c.run() : c.run();
}
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    addon.setThreads(c.t);
    const [ms, r, cms] = c.async ? await timeAsync(c.run) : time(c.run);
    samples.get(c).push(ms);
    cpu.get(c).push(cms);
    if (!shape && r.owners) {
      const tcp = r.files.reduce((n, f) => n + (f.table ? f.table.count : 0), 0);
      shape = `${tcp} tcp+tcp6 rows, ${r.owners.socketFds} socket fds in ${r.owners.procPids.length} processes, ${r.owners.pidsScanned} pids scanned`;
    }
  }
}
addon.setThreads(0);

console.log(`netsnap owner-thread bench: ${os.cpus().length} CPUs, kernel ${os.release()}, Node ${process.version}, ${runs} runs`);
console.log(`live ${procRoot}: ${shape}`);
console.log(`load average before: ${load0}, after: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
console.log('case                          wall median ms   wall min ms   CPU median ms');
for (const c of cases) {
  const xs = samples.get(c);
  console.log(`${c.name.padEnd(32)} ${median(xs).toFixed(1).padStart(10)} ${Math.min(...xs).toFixed(1).padStart(13)} ${median(cpu.get(c)).toFixed(1).padStart(15)}`);
}
