#!/usr/bin/env node
// netsnap benchmarks: in-process (tinybench) native vs TypeScript backend, and whole-process
// netsnap vs netstat and ss, side by side in one run. Results go to bench/RESULTS.md.
//   npm run bench -- [--sizes 1000,10000,100000] [--runs 15] [--no-write]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { Bench } from 'tinybench';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { jsBackend } = require(path.join(root, 'dist/backends/js/index.js'));
const { loadNative } = require(path.join(root, 'dist/backends/native.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const sizes = opt('sizes', '1000,10000,100000').split(',').map(Number);
const runs = Number(opt('runs', '15'));
const write = !args.includes('--no-write');

const native = loadNative();
if (!native.ok) {
  console.error('bench: the native addon is not built (npm run build:native); only the TypeScript backend would run.');
  process.exit(1);
}
const backends = [native.backend, jsBackend];

/** A /proc/net/tcp-like file of n established loopback rows, as the kernel prints it. */
function tcpFile(n) {
  const lines = ['  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode'];
  for (let i = 0; i < n; i++) {
    const a = (0x7f000001 + (i % 250)).toString(16).toUpperCase().padStart(8, '0');
    const p = (1024 + (i % 60000)).toString(16).toUpperCase().padStart(4, '0');
    lines.push(`${String(i).padStart(4)}: ${a}:1F90 0100007F:${p} 01 00000000:00000000 02:000AFC80 00000000  1000        0 ${100000 + i} 1 0000000000000000 20 4 30 10 -1`.padEnd(149));
  }
  return Buffer.from(lines.join('\n') + '\n', 'latin1');
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const ms = (x) => (x < 10 ? x.toFixed(2) : x.toFixed(1));

const results = { parse: [], sample: [], process: [] };

for (const n of sizes) {
  const data = tcpFile(n);
  const bench = new Bench({ time: 500, iterations: 5 });
  for (const b of backends) bench.add(`${b.name} parseInet ${n}`, () => b.parseInet(data, 'tcp', true));
  await bench.run();
  const row = { lines: n, bytes: data.length };
  for (const t of bench.tasks) row[t.name.split(' ')[0]] = t.result.latency.p50 ?? t.result.latency.mean;
  results.parse.push(row);
  console.log(`parse ${n} lines: native ${ms(row.native)} ms, js ${ms(row.js)} ms (js/native ${(row.js / row.native).toFixed(2)})`);
}

{
  const files = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6', 'unix'];
  const bench = new Bench({ time: 1000, iterations: 5 });
  for (const b of backends) {
    for (const owners of [false, true]) {
      bench.add(`${b.name} ${owners ? 'with' : 'no'} owners`, () => b.sample({ netDir: '/proc/net', procRoot: '/proc', files, owners, littleEndian: true }));
    }
  }
  await bench.run();
  for (const t of bench.tasks) {
    results.sample.push({ name: t.name, median: t.result.latency.p50 ?? t.result.latency.mean });
    console.log(`live sample, ${t.name}: ${ms(results.sample.at(-1).median)} ms`);
  }
}

// Sampler: heap over 1,000 ticks, and event-loop lag while async samples with owners run.
const { createSampler } = require(path.join(root, 'dist/sampler.js'));
const v8 = await import('node:v8');
const vm = await import('node:vm');
const { monitorEventLoopDelay } = await import('node:perf_hooks');
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const sampler = {};
for (const b of ['native', 'js']) {
  const s = createSampler({ owners: true, interval: 0, fullScanEvery: 10, backend: b });
  for (let i = 0; i < 20; i++) await s.next();
  gc();
  const before = process.memoryUsage().heapUsed;
  const h = monitorEventLoopDelay({ resolution: 1 });
  h.enable();
  const t0 = performance.now();
  for (let i = 0; i < 1000; i++) await s.next();
  const perTick = (performance.now() - t0) / 1000;
  h.disable();
  gc();
  sampler[b] = { growth: process.memoryUsage().heapUsed - before, perTick, lagMax: h.max / 1e6, lagP99: h.percentile(99) / 1e6 };
  console.log(`sampler ${b}: 1,000 ticks with owners, heap growth ${(sampler[b].growth / 1024).toFixed(0)} KiB, ${ms(perTick)} ms/tick, event-loop lag p99 ${ms(sampler[b].lagP99)} ms, max ${ms(sampler[b].lagMax)} ms`);
}

const cli = path.join(root, 'dist/cli/main.js');
const commands = [
  ['netsnap -tan', process.execPath, [cli, '-tan']],
  ['netsnap -tanp', process.execPath, [cli, '-tanp']],
  ['ss -tan', 'ss', ['-tan']],
  ['ss -tanp', 'ss', ['-tanp']],
  ['netstat -tan', 'netstat', ['-tan']],
  ['netstat -tanp', 'netstat', ['-tanp']],
  ['node -e 0', process.execPath, ['-e', '0']],
];
const timings = new Map(commands.map(([name]) => [name, []]));
for (let r = 0; r < runs; r++) {
  // Interleaved, so a noisy moment hits every command alike.
  for (const [name, cmd, argv] of commands) {
    const t0 = process.hrtime.bigint();
    const res = spawnSync(cmd, argv, { stdio: ['ignore', 'ignore', 'ignore'] });
    const dt = Number(process.hrtime.bigint() - t0) / 1e6;
    if (res.status !== 0) throw new Error(`${name} exited ${res.status}`);
    timings.get(name).push(dt);
  }
}
const sockets = fs.readFileSync('/proc/net/tcp', 'latin1').split('\n').length - 2 + fs.readFileSync('/proc/net/tcp6', 'latin1').split('\n').length - 2;
for (const [name] of commands) {
  results.process.push({ name, median: median(timings.get(name)) });
  console.log(`${name}: median ${ms(median(timings.get(name)))} ms over ${runs} runs`);
}

if (write) {
  const byName = Object.fromEntries(results.process.map((p) => [p.name, p.median]));
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  const lines = [
    '# Benchmark results',
    '',
    'Written by `npm run bench`; re-run it to refresh. Medians; machines here are noisy, so treat',
    'differences under 1.3x as equal.',
    '',
    `- Date: ${new Date().toISOString()}`,
    `- Machine: ${os.cpus().length} x ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${os.release()}, Node ${process.version}`,
    `- Live TCP sockets during the whole-process runs: ${sockets} (no load generator yet: that is the performance issue)`,
    '',
    '## Parse only: /proc/net/tcp bytes to columns (in-process, tinybench, median ms)',
    '',
    '| lines | bytes | native | TypeScript | TS / native |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...results.parse.map((r) => `| ${r.lines} | ${r.bytes} | ${ms(r.native)} | ${ms(r.js)} | ${(r.js / r.native).toFixed(2)} |`),
    '',
    '## Whole sample of the live machine (all nine /proc/net files, in-process, median ms)',
    '',
    '| backend, owners | median ms |',
    '| --- | ---: |',
    ...results.sample.map((s) => `| ${s.name} | ${ms(s.median)} |`),
    '',
    '## Sampler: 1,000 ticks with owners (full scan every 10 ticks), live machine',
    '',
    '| backend | heap growth | ms per tick | event-loop lag p99 | lag max |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...Object.entries(sampler).map(([b, r]) => `| ${b} | ${(r.growth / 1024).toFixed(0)} KiB | ${ms(r.perTick)} | ${ms(r.lagP99)} ms | ${ms(r.lagMax)} ms |`),
    '',
    'The TypeScript backend samples on the main thread, so its lag is its sample time; the native backend',
    'runs read + parse on the libuv pool (the incremental owner checks still run on the main thread).',
    '',
    `## Whole process, side by side (${runs} interleaved runs, median wall ms)`,
    '',
    '| command | median ms | vs ss | vs netstat |',
    '| --- | ---: | ---: | ---: |',
    ...results.process.map((p) => {
      const peer = p.name.endsWith('p') ? 'p' : '';
      const vsSs = p.name.startsWith('netsnap') ? (p.median / byName[`ss -tan${peer}`]).toFixed(2) : '';
      const vsNs = p.name.startsWith('netsnap') ? (p.median / byName[`netstat -tan${peer}`]).toFixed(2) : '';
      return `| \`${p.name}\` | ${ms(p.median)} | ${vsSs} | ${vsNs} |`;
    }),
    '',
  ];
  fs.writeFileSync(path.join(root, 'bench', 'RESULTS.md'), lines.join('\n'));
  console.log('wrote bench/RESULTS.md');
}
