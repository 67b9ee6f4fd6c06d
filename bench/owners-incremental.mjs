#!/usr/bin/env node
// Owners at speed (issue #15, item 7): the sampler with owners at a sub-second interval, as
// `netsnap --watch 0.5 -tanp` runs it (tcp + tcp6, every state, owners, the diff), against a
// generated load (bench/loadgen.mjs) plus a small churn (connections opened and closed all along,
// so that new inodes keep coming and old ones go).
//
//   node bench/owners-incremental.mjs [--sizes 20000,100000] [--interval 0.5] [--seconds 20]
//        [--accuracy-ticks 12] [--churn 100] [--roots DIR[,DIR...]] [--rounds 1]
//        [--options JSON] [--workers 16] [--idle-procs 200] [--idle-fds 20] [--no-isolate]
//
// For each size, one load and one churn serve every root (a checkout with dist/ built and the addon
// in build/Release: default this one; give the before and after checkouts to compare them), each
// measured in a child process of its own, roots interleaved over --rounds:
//   1. timing, --seconds of the sampler's own grid (for await): per-tick wall time (from the tick's
//      start, snapshot.takenAt, to its arrival: sample, owners, diff), event-loop busy time
//      (performance.eventLoopUtilization over the phase, per tick), the loop's delay p99/max, the
//      process's CPU time per tick (every thread: the addon's scans included), ticks achieved vs the grid's slots in that time, and the ticks' own skippedSlots when the
//      sampler reports them;
//   2. accuracy, --accuracy-ticks more ticks of the same sampler: after each, a full owner scan
//      (the native backend's, on its threads) and the fraction of the tick's sockets (inode not 0)
//      whose owners (the set of pid/fd) are the scan's. "stable" counts only sockets whose owners
//      were the same in the scans after the previous tick and after this one (what the churn moved
//      between the two reads is not the resolver's error), "carried" only those of them that the
//      previous tick had already seen.
// --options adds sampler options (JSON), e.g. '{"incrementalOwnersUpTo":0}' for a full scan with
// every tick. Prints a summary per size and root; writes nothing. NETSNAP_BENCH_PROF=DIR writes a
// CPU profile of each measuring child into DIR.
// As root with unshare(1), runs in its own network and PID namespaces (as bench/run.mjs), so only
// the generated load is read and scanned.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isolated, reRunIsolated } from './isolate.mjs';

const self = fileURLToPath(import.meta.url);
const here = path.resolve(path.dirname(self), '..');
const argv = process.argv.slice(2);

// ---------------------------------------------------------------------------------------------
// --churn-child RATE: opens RATE loopback connections a second, each closed after 2 s.
if (argv[0] === '--churn-child') {
  const rate = Number(argv[1]);
  const srv = net.createServer((s) => s.on('error', () => {}));
  srv.listen(0, '127.0.0.1', () => {
    const { port } = srv.address();
    let owed = 0;
    setInterval(() => {
      owed += rate / 20;
      for (; owed >= 1; owed--) {
        const c = net.connect(port, '127.0.0.1');
        c.on('error', () => {});
        setTimeout(() => c.destroy(), 2000);
      }
    }, 50);
    process.stdout.write('ready\n');
  });
  process.stdin.on('end', () => process.exit(0));
  process.stdin.resume();
} else if (argv[0] === '--measure') {
  await measure(JSON.parse(argv[1]));
} else {
  await main();
}

// ---------------------------------------------------------------------------------------------
// --measure SPEC: one root at one size, in a process of its own; prints one JSON line.
async function measure({ root, interval, seconds, accuracyTicks, options }) {
  const require = createRequire(import.meta.url);
  const { createSampler } = require(path.join(root, 'dist/services/sampler.js'));
  const { getBackend } = require(path.join(root, 'dist/backends/select.js'));
  const native = getBackend('native');
  const LE = os.endianness() === 'LE';
  const fullScan = () => native.sampleAsync({ netDir: '/proc/net', files: [], owners: true, procRoot: '/proc', littleEndian: LE }).then((r) => r.owners);
  const sampler = createSampler({ owners: true, protocols: ['tcp'], interval, backend: 'native', ...options });
  const it = sampler[Symbol.asyncIterator]();
  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? (s.length % 2 ? s[s.length >> 1] : (s[(s.length >> 1) - 1] + s[s.length >> 1]) / 2) : NaN;
  };

  // 1. Timing on the sampler's grid.
  const h = monitorEventLoopDelay({ resolution: 1 });
  const walls = [];
  let ticks = 0;
  let skipped = null;
  let rows = 0;
  let first = null;
  const t0 = performance.now();
  h.enable();
  const elu0 = performance.eventLoopUtilization();
  const cpu0 = process.cpuUsage();
  let last;
  for (;;) {
    const { value: t } = await it.next();
    const arrived = Date.now();
    if (first === null) first = arrived - t.snapshot.takenAt;
    else walls.push(arrived - t.snapshot.takenAt);
    ticks++;
    if (typeof t.skippedSlots === 'number') skipped = (skipped ?? 0) + t.skippedSlots;
    rows = t.snapshot.inet.reduce((n, x) => n + x.count, 0);
    last = t;
    if (performance.now() - t0 >= seconds * 1000) break;
  }
  const elapsed = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  const cpu = process.cpuUsage(cpu0);
  h.disable();
  const slots = Math.floor(elapsed / (interval * 1000)) + 1;
  const statsAfterTiming = sampler.ownerStats ? { ...sampler.ownerStats } : null;

  // 2. Accuracy: a full scan after every tick.
  const ownersOfScan = (raw) => {
    const m = new Map();
    for (let k = 0; k < raw.inodes.length; k++) {
      const i = raw.inodes[k];
      const s = `${raw.pids[k]}/${raw.fds[k]}`;
      m.set(i, m.has(i) ? `${m.get(i)},${s}` : s);
    }
    return m;
  };
  const ownersOfTick = (snap) => {
    const m = new Map();
    const o = snap.owners;
    for (const t of snap.inet) {
      for (let r = 0; r < t.count; r++) {
        const inode = t.inode[r];
        if (inode === 0) continue;
        let s = '';
        for (let k = o ? o.first(inode) : -1; k >= 0 && k < o.count && o.inodes[k] === inode; k++) s += `${s ? ',' : ''}${o.pids[k]}/${o.fds[k]}`;
        m.set(inode, s);
      }
    }
    return m;
  };
  let prevScan = ownersOfScan(await fullScan());
  let prevTick = ownersOfTick(last.snapshot);
  const acc = { all: [0, 0], stable: [0, 0], carried: [0, 0], missing: 0, extra: 0, wrong: 0 };
  for (let k = 0; k < accuracyTicks; k++) {
    const { value: t } = await it.next();
    const tick = ownersOfTick(t.snapshot);
    const scan = ownersOfScan(await fullScan());
    for (const [inode, got] of tick) {
      const want = scan.get(inode) ?? '';
      const ok = got === want;
      acc.all[0] += ok ? 1 : 0;
      acc.all[1]++;
      if ((prevScan.get(inode) ?? '') !== want) continue;
      acc.stable[0] += ok ? 1 : 0;
      acc.stable[1]++;
      if (prevTick.has(inode)) {
        acc.carried[0] += ok ? 1 : 0;
        acc.carried[1]++;
      }
      if (!ok) {
        if (got === '') acc.missing++;
        else if (want === '') acc.extra++;
        else acc.wrong++;
      }
    }
    prevScan = scan;
    prevTick = tick;
  }
  sampler.close();
  await it.return?.();
  process.stdout.write(`${JSON.stringify({
    rows, ticks, slots, skipped, elapsed, first,
    wallP50: median(walls), wallMax: Math.max(...walls),
    loopPerTick: elu.active / ticks, loopShare: elu.utilization, cpuPerTick: (cpu.user + cpu.system) / 1000 / ticks,
    lagP99: h.percentile(99) / 1e6, lagMax: h.max / 1e6,
    stats: statsAfterTiming, acc,
  })}\n`);
}

// ---------------------------------------------------------------------------------------------
async function main() {
  const flag = (name) => argv.includes(`--${name}`);
  const opt = (name, dflt) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
  };
  const known = new Set(['sizes', 'interval', 'seconds', 'accuracy-ticks', 'churn', 'roots', 'rounds', 'options', 'workers', 'idle-procs', 'idle-fds', 'no-isolate']);
  for (let i = 0; i < argv.length; i++) {
    if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2))) {
      console.error(`owners-incremental: unknown argument ${argv[i]}`);
      process.exit(64);
    }
    if (argv[i] !== '--no-isolate') i++;
  }
  // Isolation: as bench/run.mjs, fresh network and PID namespaces with their own /proc.
  if (!flag('no-isolate') && !reRunIsolated(self, argv) && !isolated) {
    console.error('owners-incremental: not root or no unshare(1): measuring the machine as it is');
  }
  const { startLoad } = await import('./loadgen.mjs');
  const sizes = opt('sizes', '20000,100000').split(',').map(Number);
  const interval = Number(opt('interval', '0.5'));
  const seconds = Number(opt('seconds', '20'));
  const accuracyTicks = Number(opt('accuracy-ticks', '12'));
  const churn = Number(opt('churn', '100'));
  const rounds = Number(opt('rounds', '1'));
  const roots = opt('roots', here).split(',').map((r) => path.resolve(r));
  const options = JSON.parse(opt('options', '{}'));
  const loadOpts = { workers: Number(opt('workers', '16')), idleProcs: Number(opt('idle-procs', '200')), idleFds: Number(opt('idle-fds', '20')), quiet: true };
  for (const r of roots) {
    if (!fs.existsSync(path.join(r, 'dist/services/sampler.js'))) {
      console.error(`owners-incremental: ${r} has no dist/ (npm run build there)`);
      process.exit(1);
    }
  }
  const f = (x, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '–');
  const pct = ([a, b]) => (b ? `${((100 * a) / b).toFixed(3)}% of ${b}` : '–');
  console.log(`owners-incremental: interval ${interval} s, ${seconds} s timed + ${accuracyTicks} ticks checked, churn ${churn} connections/s, ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}${process.env.NETSNAP_BENCH_ISOLATED ? ', isolated' : ''}`);
  for (const n of sizes) {
    const load = await startLoad(n, loadOpts);
    const churner = spawn(process.execPath, [self, '--churn-child', String(churn)], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise((r) => churner.stdout.once('data', r));
    await new Promise((r) => setTimeout(r, 3000)); // the churn reaches its steady state (2 s lives)
    try {
      for (let round = 0; round < rounds; round++) {
        for (const root of roots) {
          const spec = { root, interval, seconds, accuracyTicks, options };
          // NETSNAP_BENCH_PROF=DIR: a CPU profile of each measuring child into DIR (node --cpu-prof).
          const prof = process.env.NETSNAP_BENCH_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.NETSNAP_BENCH_PROF}`] : [];
          const r = spawnSync(process.execPath, [...prof, self, '--measure', JSON.stringify(spec)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], timeout: (seconds + 600) * 1000 });
          const line = r.stdout.trim().split('\n').pop();
          if (r.status !== 0 || !line) {
            console.error(`owners-incremental: ${root} at ${n} failed (${r.status ?? r.signal})`);
            continue;
          }
          const m = JSON.parse(line);
          console.log(`\n${n} sockets (${m.rows} tcp rows), ${path.basename(root)}${Object.keys(options).length ? ` ${JSON.stringify(options)}` : ''}, round ${round + 1}:`);
          console.log(`  ticks ${m.ticks} of ${m.slots} slots in ${f(m.elapsed / 1000)} s${m.skipped === null ? '' : ` (skippedSlots reported: ${m.skipped})`}; first tick ${f(m.first, 0)} ms`);
          console.log(`  per tick: wall p50 ${f(m.wallP50, 0)} ms, max ${f(m.wallMax, 0)} ms; event loop busy ${f(m.loopPerTick)} ms/tick (${f(100 * m.loopShare)}% of the time), delay p99 ${f(m.lagP99)} ms, max ${f(m.lagMax)} ms; CPU (all threads) ${f(m.cpuPerTick)} ms/tick`);
          if (m.stats) console.log(`  owner stats after timing: ${JSON.stringify(m.stats)}`);
          console.log(`  accuracy vs a full scan: all ${pct(m.acc.all)}; stable ${pct(m.acc.stable)}; carried ${pct(m.acc.carried)} (stable disagreements: ${m.acc.missing} missing, ${m.acc.extra} extra, ${m.acc.wrong} other owners)`);
        }
      }
    } finally {
      churner.stdin.end();
      churner.kill();
      await load.stop();
    }
  }
}
