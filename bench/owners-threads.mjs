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

const time = (fn) => {
  const t0 = process.hrtime.bigint();
  const r = fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
};
const timeAsync = async (fn) => {
  const t0 = process.hrtime.bigint();
  const r = await fn();
  return [Number(process.hrtime.bigint() - t0) / 1e6, r];
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
let shape = '';
// Warm up (buffers grow, page cache), then interleave.
for (const c of cases) {
  addon.setThreads(c.t);
  c.async ? await c.run() : c.run();
}
for (let i = 0; i < runs; i++) {
  for (const c of cases) {
    addon.setThreads(c.t);
    const [ms, r] = c.async ? await timeAsync(c.run) : time(c.run);
    samples.get(c).push(ms);
    if (!shape && r.owners) {
      const tcp = r.files.reduce((n, f) => n + (f.table ? f.table.count : 0), 0);
      shape = `${tcp} tcp+tcp6 rows, ${r.owners.socketFds} socket fds in ${r.owners.procPids.length} processes, ${r.owners.pidsScanned} pids scanned`;
    }
  }
}
addon.setThreads(0);

console.log(`netsnap owner-thread bench: ${os.cpus().length} CPUs, kernel ${os.release()}, Node ${process.version}, ${runs} runs`);
console.log(`live ${procRoot}: ${shape}`);
console.log('case                              median ms     min ms');
for (const c of cases) {
  const xs = samples.get(c);
  console.log(`${c.name.padEnd(32)} ${median(xs).toFixed(1).padStart(10)} ${Math.min(...xs).toFixed(1).padStart(10)}`);
}
