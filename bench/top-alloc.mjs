#!/usr/bin/env node
// Where `netsnap top`'s engine allocates its JavaScript heap, tick after tick (issue #15's CPU: what
// the garbage collector then marks and sweeps). Starts the load generator (bench/loadgen.mjs) at
// --sockets, runs createThroughput({ interval: 0.25, owners }) and, after --warmup ticks, samples
// the heap's allocations with V8's sampling heap profiler (objects the collector freed included)
// over --ticks ticks, then prints the bytes allocated per tick by the function that allocated them.
// Measures the machine as it is (no namespaces of its own): run it on a quiet one. Prints only.
//
//   npm run build && node bench/top-alloc.mjs [--sockets 100000] [--ticks 40] [--warmup 10] [--owners on|off] [--top 15]
import { Session } from 'node:inspector/promises';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLoad } from './loadgen.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const known = new Set(['sockets', 'ticks', 'warmup', 'owners', 'top']);
for (let i = 0; i < argv.length; i += 2) {
  if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2)) || i + 1 >= argv.length) {
    console.error(`bench/top-alloc: unknown argument ${argv[i]}`);
    process.exit(64);
  }
}
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const int = (name, dflt, min, max) => {
  const v = Number(opt(name, String(dflt)));
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`bench/top-alloc: --${name} wants an integer ${min}..${max}`);
    process.exit(64);
  }
  return v;
};
const sockets = int('sockets', 100000, 2, 100000);
const ticks = int('ticks', 40, 1, 10000);
const warmup = int('warmup', 10, 1, 1000);
const top = int('top', 15, 1, 1000);
const owners = opt('owners', 'on');
if (owners !== 'on' && owners !== 'off') {
  console.error('bench/top-alloc: --owners wants on or off');
  process.exit(64);
}

const require = createRequire(import.meta.url);
const { createThroughput } = require(path.join(root, 'dist/index.js'));
const load = await startLoad(sockets, { workers: 16, idleProcs: 200, idleFds: 20, seconds: 3600, readyTimeout: Math.max(120, sockets / 1000) });
const session = new Session();
session.connect();
let tp = null;
try {
  tp = createThroughput({ interval: 0.25, owners: owners === 'on' });
  let n = 0;
  let connections = 0;
  for await (const t of tp) {
    n++;
    connections = t.totals.connections;
    if (n === warmup) {
      await session.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
    }
    if (n === warmup + ticks) break;
  }
  const { profile } = await session.post('HeapProfiler.stopSampling');
  const bytes = new Map();
  const walk = (node) => {
    const f = node.callFrame;
    const file = f.url.startsWith('file:') ? path.relative(root, fileURLToPath(f.url)) : f.url.startsWith('/') ? path.relative(root, f.url) : f.url;
    const name = `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : '(native)'}`;
    if (node.selfSize > 0) bytes.set(name, (bytes.get(name) ?? 0) + node.selfSize);
    for (const c of node.children) walk(c);
  };
  walk(profile.head);
  const total = [...bytes.values()].reduce((a, b) => a + b, 0);
  const mb = (x) => (x / 2 ** 20).toFixed(2);
  console.log(`top-alloc: createThroughput({ interval: 0.25, owners: ${owners === 'on'} }) at ${connections.toLocaleString('en-US')} connections, ${ticks} ticks after ${warmup}`);
  console.log(`  heap allocated: ${mb(total)} MiB in all, ${mb(total / ticks)} MiB per tick (V8's sampling heap profiler, every 16 KiB; freed objects included)`);
  console.log('  MiB per tick  allocated by');
  for (const [name, b] of [...bytes].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${mb(b / ticks).padStart(12)}  ${name}`);
} finally {
  tp?.close();
  session.disconnect();
  await load.stop();
}
