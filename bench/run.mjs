#!/usr/bin/env node
// netsnap benchmarks against a generated load (bench/loadgen.mjs): whole-process netsnap vs ss and
// netstat vs the C floors (bench/floor/*.c), side by side in one run; in-process native vs TypeScript
// backend (parse, live sample with/without owners, /proc and netlink sources), event-loop lag during
// async samples, heap growth over 1,000 sampler ticks. Results go to bench/RESULTS.md.
//
//   npm run bench -- [--sizes 1000,10000,100000] [--runs N] [--no-write] [--only parse|process|sample|sampler|filter]
//                    [--sampler-sizes 10000] [--filter-sizes LARGEST] [--workers 16] [--idle-procs 200] [--idle-fds 20]
//                    [--no-isolate]
//   npm run bench -- --only soak [--minutes 60 …]   (bench/soak-services.mjs: serve and top for an hour)
//
// Filters (issue #14), at --filter-sizes (default: the largest of --sizes): an expression that keeps
// about 1% of the TCP sockets, chosen from the live load (a port range of the connecting ends), in
// process (snapshot() with and without it) and whole-process (netsnap -tn/-tnp against ss), after a
// check that every compared pair prints the same rows.
//
// By default (as root, with unshare(1)) the bench re-runs itself in its own network and PID namespace
// with a fresh /proc: the sockets and processes measured are exactly the generated load's, whatever
// else the machine runs. --no-isolate measures the machine as it is (plus the load).
// RESULTS.md is written only by a complete run (no --only, nothing failed); the block between
// <!-- notes --> and <!-- /notes --> is kept across rewrites. `--only filter` (nothing failed) writes
// its own file, bench/RESULTS-filter.md.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { startLoad } from './loadgen.mjs';
import { isolated, reRunIsolated } from './isolate.mjs';
import { sched } from './sched.mjs';
import { backToBack, buildFloors, fmtN, liveTcpSockets, loadSlot, machine, median, ms, now, ratio, rounds as roundsOf, rx } from './common.mjs';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
// `--only soak`: the hour-long soak of `netsnap serve` and `netsnap top` (bench/soak-services.mjs), with
// its own options and its own section of RESULTS.md; the other options go to it unchanged.
if (opt('only', null) === 'soak') {
  const i = argv.indexOf('--only');
  const r = spawnSync(process.execPath, [path.join(root, 'bench', 'soak-services.mjs'), ...argv.slice(0, i), ...argv.slice(i + 2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const known = new Set(['sizes', 'runs', 'no-write', 'only', 'sampler-sizes', 'filter-sizes', 'workers', 'idle-procs', 'idle-fds', 'no-isolate']);
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2))) {
    console.error(`bench: unknown argument ${argv[i]}`);
    process.exit(64);
  }
  if (!['no-write', 'no-isolate'].includes(argv[i].slice(2))) i++;
}
const list = (s) => s.split(',').filter(Boolean).map(Number);
const sizes = list(opt('sizes', '1000,10000,100000'));
if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 2)) {
  console.error('bench: --sizes wants integers >= 2, e.g. 1000,10000,100000');
  process.exit(64);
}
const runsArg = opt('runs', null);
const only = opt('only', null);
if (only && !['parse', 'process', 'sample', 'sampler', 'filter'].includes(only)) {
  console.error('bench: --only wants parse, process, sample, sampler, filter or soak');
  process.exit(64);
}
const want = (section) => !only || only === section;
const samplerSizes = list(opt('sampler-sizes', '10000'));
const filterSizes = list(opt('filter-sizes', String(Math.max(...sizes))));
const loadOpts = {
  workers: Number(opt('workers', '16')),
  idleProcs: Number(opt('idle-procs', '200')),
  idleFds: Number(opt('idle-fds', '20')),
};

// ---------------------------------------------------------------------------------------------
// Isolation: re-run inside fresh network + PID namespaces (lo up, own /proc).
if (!flag('no-isolate') && !reRunIsolated(self, argv, ['--expose-gc', ...process.execArgv]) && !isolated) {
  console.error('bench: not root or no unshare(1): measuring the machine as it is (other sockets and processes included)');
}

// ---------------------------------------------------------------------------------------------
const require = createRequire(import.meta.url);
const { jsBackend } = require(path.join(root, 'dist/backends/js/index.js'));
const { loadNative } = require(path.join(root, 'dist/backends/native.js'));
const { createSampler } = require(path.join(root, 'dist/services/sampler.js'));
const lib = require(path.join(root, 'dist/index.js'));
const native = loadNative();
if (!native.ok) {
  console.error('bench: the native addon is not built (npm run build:native); only the TypeScript backend would run.');
  process.exit(1);
}
// The addon's own hooks: where owner scans look (the BPF iterator or /proc/PID/fd) and what they did.
const hooks = require(native.path);
/** `run()` with the native owner scans reading /proc/PID/fd, as without the BPF iterator. */
const procOwners = (run) => () => {
  const was = hooks.ownerSource().source;
  hooks.setOwnerSource('proc');
  try {
    return run();
  } finally {
    hooks.setOwnerSource(was);
  }
};
const backends = [native.backend, jsBackend];
const gc = globalThis.gc ?? (await (async () => {
  const v8 = await import('node:v8');
  const vm = await import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc');
})());

const LE = os.endianness() === 'LE';
const failures = [];
const fail = (what, err) => {
  const msg = `${what}: ${err?.message ?? err}`;
  failures.push(msg);
  console.error(`bench: FAILED ${msg}`);
};

// Current load, stopped on any way out.
const loads = loadSlot('bench');

// C floors (common.mjs builds them when the process or filter section runs).
let floors = {};
let floorNote = '';

// ---------------------------------------------------------------------------------------------
// Parse only: generated /proc/net/tcp files (no load needed).
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

/** Interleaved timed rounds (common.mjs); a variant that fails is counted in `failures`. */
const rounds = (variants, opts) => roundsOf(variants, { ...opts, onFail: fail });

const results = { parse: [], process: [], sample: [], lag: [], sampler: [], filter: [] };

function benchParse() {
  const parseSizes = [...new Set([1000, 10000, 100000, 200000, ...sizes])].sort((a, b) => a - b);
  for (const n of parseSizes) {
    const data = tcpFile(n);
    const variants = backends.map((b) => ({ name: b.name, run: () => b.parseInet(data, 'tcp', true) }));
    for (const v of variants) v.run(); // warm-up
    const t = rounds(variants, { minRounds: 5, maxRounds: 200, budgetMs: 2000 });
    const row = { lines: n, bytes: data.length, native: median(t.get('native')), js: median(t.get('js')), runs: t.get('js').length };
    results.parse.push(row);
    console.log(`parse ${fmtN(n)} lines: native ${ms(row.native)} ms, TS ${ms(row.js)} ms (TS/native ${rx(row.js / row.native)}, ${row.runs} rounds)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Whole process, side by side.
const cli = path.join(root, 'dist/cli/main.js');
const NO_EXTRA_CA = ', no NODE_EXTRA_CA_CERTS';
const PROC_OWNERS_TANP = 'netsnap -tanp, owners from /proc/PID/fd';
const PROC_OWNERS_SAMPLE = 'native, with owners from /proc/PID/fd, /proc';
function procCommands() {
  const c = [
    ['netsnap -tan', process.execPath, [cli, '-tan']],
    ['netsnap -tanp', process.execPath, [cli, '-tanp']],
    // The owners from a readlink per /proc/PID/fd/N, as before the BPF iterator (and as without its rights).
    [PROC_OWNERS_TANP, process.execPath, [cli, '-tanp'], { ...process.env, NETSNAP_OWNER_SOURCE: 'proc' }],
    ['ss -tan', 'ss', ['-tan']],
    ['ss -tanp', 'ss', ['-tanp']],
    ['netstat -tan', 'netstat', ['-tan']],
    ['netstat -tanp', 'netstat', ['-tanp']],
    ['node -e 0', process.execPath, ['-e', '0']],
    // tcp_info of every connection (issue #13): the same rows as ss -tani
    ['netsnap -tan --info', process.execPath, [cli, '-tan', '--info']],
    ['netsnap -tan --info --json', process.execPath, [cli, '-tan', '--info', '--json']],
    ['ss -tani', 'ss', ['-tani']],
  ];
  if (floors.read_floor) c.push(['C read floor', floors.read_floor, []]);
  if (floors.fdscan_floor) c.push(['C fd-scan floor', floors.fdscan_floor, []]);
  // Its listing alone (getdents64 of every /proc/PID/fd, no readlinkat): what the scan pays before any link.
  if (floors.fdscan_floor) c.push(['C fd-list floor', floors.fdscan_floor, ['list']]);
  if (floors.netlink_floor) c.push(['C netlink floor', floors.netlink_floor, []]);
  if (floors.netlink_floor) c.push(['C netlink floor, ext', floors.netlink_floor, ['ext']]);
  // An environment that sets NODE_EXTRA_CA_CERTS makes every Node start read and parse that file
  // of certificates before any script runs (Node 20 builds its root store then). netsnap never uses
  // TLS; the same commands without the variable show what it costs them here.
  if (process.env.NODE_EXTRA_CA_CERTS) {
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    c.push([`node -e 0${NO_EXTRA_CA}`, process.execPath, ['-e', '0'], env], [`netsnap -tanp${NO_EXTRA_CA}`, process.execPath, [cli, '-tanp'], env]);
  }
  return c;
}

function benchProcess(n) {
  const big = n >= 100000;
  const maxRounds = runsArg ? Number(runsArg) : big ? 5 : n >= 10000 ? 7 : 11;
  const variants = procCommands().map(([name, cmd, args, env]) => ({
    name,
    run() {
      const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 180000, killSignal: 'SIGKILL', maxBuffer: 1 << 20, env: env ?? process.env });
      if (r.error) throw r.error;
      if (r.signal) throw new Error(`killed by ${r.signal} (timeout 180 s?)`);
      if (r.status !== 0) throw new Error(`exited ${r.status}: ${String(r.stderr).trim().slice(0, 300)}`);
    },
  }));
  for (const v of variants) if (['netsnap -tan', 'node -e 0'].includes(v.name)) v.run(); // warm the page cache
  const t = rounds(variants, { minRounds: Math.min(big ? 5 : 3, maxRounds), maxRounds, budgetMs: big ? 60000 : 30000 });
  const row = { sockets: n, live: liveTcpSockets(), runs: t.get('node -e 0').length, med: {} };
  for (const [name, xs] of t) row.med[name] = median(xs);
  results.process.push(row);
  for (const [name, x] of Object.entries(row.med)) console.log(`  ${name.padEnd(20)} ${ms(x).padStart(8)} ms`);
}

// ---------------------------------------------------------------------------------------------
// In-process live samples.
let netlinkHonoured = null; // null: not tried; true/false after the first try
function benchSample(n) {
  const req = (owners, source, extensions) => ({
    netDir: '/proc/net', files: ['tcp', 'tcp6'], owners, procRoot: '/proc', littleEndian: LE, ...(source ? { source } : {}),
    ...(extensions ? { extensions } : {}),
  });
  const variants = [];
  for (const b of backends) {
    for (const owners of [false, true]) {
      variants.push({ name: `${b.name}, ${owners ? 'with' : 'no'} owners, /proc`, run: () => b.sample(req(owners)) });
    }
  }
  // The native owner scan as the TypeScript backend does it (and as the addon does without the
  // right to load BPF programs): a readlink per /proc/PID/fd/N.
  variants.push({ name: PROC_OWNERS_SAMPLE, run: procOwners(() => native.backend.sample(req(true))) });
  try {
    const r = native.backend.sample(req(false, 'netlink'));
    netlinkHonoured = r.files[0]?.source === 'netlink';
  } catch (e) {
    netlinkHonoured = false;
    console.error(`bench: native source 'netlink' not accepted (${e.message})`);
  }
  if (netlinkHonoured) {
    for (const owners of [false, true]) {
      variants.push({ name: `native, ${owners ? 'with' : 'no'} owners, netlink`, run: () => native.backend.sample(req(owners, 'netlink')) });
    }
    variants.push({ name: 'native, with owners from /proc/PID/fd, netlink', run: procOwners(() => native.backend.sample(req(true, 'netlink'))) });
    // tcp_info and socket memory per socket (extensions 3): the same dump asking more, decoded.
    variants.push({ name: 'native, no owners, netlink, ext', run: () => native.backend.sample(req(false, 'netlink', 3)) });
  }
  // Sanity: the native sample sees the load.
  const got = native.backend.sample(req(false)).files.reduce((s, f) => s + (f.table?.count ?? 0), 0);
  for (const v of variants) v.run(); // warm-up
  // Which owner source the plain native rows had: the BPF iterator when it could load and the scan
  // was big enough (src/backends/native.ts: NETSNAP_OWNER_SOURCE), else /proc/PID/fd.
  const scansBefore = hooks.ownerSource().bpfScans;
  native.backend.sample(req(true));
  const ownerSource = { ...hooks.ownerSource(), viaBpf: hooks.ownerSource().bpfScans > scansBefore };
  const big = n >= 100000;
  const t = rounds(variants, { minRounds: 3, maxRounds: big ? 7 : 21, budgetMs: big ? 20000 : 8000 });
  const row = { sockets: n, rows: got, runs: t.get(variants[0].name).length, med: {}, netlink: netlinkHonoured, ownerSource };
  for (const [name, xs] of t) row.med[name] = median(xs);
  row.bpfLoad = bpfLoadCost();
  results.sample.push(row);
  console.log(`  native sample rows: ${fmtN(got)}; netlink source ${netlinkHonoured ? 'honoured' : 'not honoured by this addon'}; native owners ${ownerSource.viaBpf ? 'from the BPF task_file iterator' : `from /proc/PID/fd${ownerSource.bpfError ? ` (BPF: ${ownerSource.bpfError})` : ''}`}`);
  for (const [name, x] of Object.entries(row.med)) console.log(`  ${name.padEnd(34)} ${ms(x).padStart(8)} ms`);
}

/**
 * What loading the BPF iterator costs a process, against what it saves per fd: in fresh processes
 * (median of 3), the first scanOwners('/proc') with setOwnerSource('bpf') (BTF read, verifier, link),
 * then warm ones, then scans of /proc/PID/fd; `fds` is every fd of every process (what the /proc scan
 * reads). The break-even is the fd count at which the load equals the time the iterator saves:
 * load / ((proc - warm) / fds). null when the iterator cannot be used here.
 */
function bpfLoadCost() {
  const script = `
    const fs = require('node:fs');
    const a = require(${JSON.stringify(native.path)});
    const t = () => performance.now();
    const med = (xs) => xs.sort((p, q) => p - q)[xs.length >> 1];
    a.setOwnerSource('bpf');
    let t0 = t();
    a.scanOwners('/proc');
    const cold = t() - t0;
    const state = a.ownerSource();
    const warm = [];
    for (let i = 0; i < 5; i++) { t0 = t(); a.scanOwners('/proc'); warm.push(t() - t0); }
    a.setOwnerSource('proc');
    const proc = [];
    for (let i = 0; i < 5; i++) { t0 = t(); a.scanOwners('/proc'); proc.push(t() - t0); }
    let fds = 0;
    for (const p of fs.readdirSync('/proc')) if (/^[0-9]+$/.test(p)) try { fds += fs.statSync('/proc/' + p + '/fd').size; } catch {}
    console.log(JSON.stringify({ cold, warm: med(warm), proc: med(proc), fds, ok: state.bpfScans > 0, error: state.bpfError }));`;
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 120000 });
    if (r.status !== 0) return null;
    const o = JSON.parse(r.stdout.trim().split('\n').pop());
    if (!o.ok) {
      console.log(`  BPF owner scan not available here: ${o.error ?? 'no rights to load it'}`);
      return null;
    }
    runs.push(o);
  }
  const m = (k) => median(runs.map((o) => o[k]));
  const out = { cold: m('cold'), warm: m('warm'), proc: m('proc'), fds: m('fds') };
  out.load = out.cold - out.warm;
  out.breakEven = out.proc > out.warm ? out.load / ((out.proc - out.warm) / out.fds) : NaN;
  console.log(`  owner scan (${fmtN(out.fds)} fds): BPF first ${ms(out.cold)} ms, then ${ms(out.warm)} ms; /proc/PID/fd ${ms(out.proc)} ms; loading ${ms(out.load)} ms = the saving on ${fmtN(Math.round(out.breakEven))} fds`);
  return out;
}

/**
 * Event-loop lag while sampleAsync with owners runs back to back (>= 20 samples, >= 5 s). Gaps of
 * the 1 ms timer over STALL_MS are split with the main thread's schedstat into time on a CPU (our
 * own JavaScript, result conversion, GC) and time runnable in the run queue (waiting for a CPU:
 * the sample's threads and everything else on the machine share the cores); the rest of a gap is
 * neither (blocked, or the VM's CPU taken away). Each backend with new tables each time from /proc
 * (the row earlier rounds judged); then the native backend as sample() (src/backends/snapshot.ts)
 * asks by default: from netlink, new tables trimmed to their rows (`trim`); and as netsnap's
 * samplers (src/services/sampler.ts) ask: from netlink, filling the tables of the sample before the
 * last again (`reuse`). Trimmed or reused, fewer bytes of ArrayBuffer reach V8 and fewer major GCs
 * run (bench/stalls.mjs shows what each costs the event loop).
 */
async function benchLag(n) {
  const STALL_MS = 10;
  const request = { netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: true, procRoot: '/proc', littleEndian: LE };
  const row = { sockets: n };
  // `next` runs one step; steps run until >= 20 and >= 5 s (at most 200), or for `forMs` when given.
  const lagDuring = async (next, forMs = 0) => {
    const h = monitorEventLoopDelay({ resolution: 1 });
    // Plus our own max: the longest gap between 1 ms timer callbacks, less the 1 ms asked for.
    let last = now();
    let lastSched = sched();
    let maxGap = 0;
    const worst = { gap: 0, cpu: NaN, wait: NaN };
    const stalls = { count: 0, ms: 0, cpu: 0, wait: 0 };
    const timer = setInterval(() => {
      const t = now();
      const s = sched();
      const gap = t - last - 1;
      if (gap > STALL_MS && s !== null && lastSched !== null) {
        const cpu = s.run - lastSched.run;
        const wait = s.wait - lastSched.wait;
        stalls.count++;
        stalls.ms += gap;
        stalls.cpu += cpu;
        stalls.wait += wait;
        if (gap > worst.gap) Object.assign(worst, { gap, cpu, wait });
      }
      maxGap = Math.max(maxGap, gap);
      last = t;
      lastSched = s;
    }, 1);
    h.enable();
    const t0 = now();
    let count = 0;
    while (forMs > 0 ? now() - t0 < forMs : count < 20 || (now() - t0 < 5000 && count < 200)) {
      await next();
      count++;
    }
    h.disable();
    clearInterval(timer);
    const max = Math.max(h.max / 1e6, maxGap);
    return {
      p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max, samples: count, perSample: (now() - t0) / count,
      // The longest gap of the 1 ms timer over STALL_MS, split (NaN: none).
      worst, stalls,
    };
  };
  const measure = async (b, req, how) => lagDuring(await backToBack(b, req, how));
  const netlink = netlinkHonoured === false ? 'proc' : 'netlink';
  const variants = [
    ...backends.map((b) => ({ key: b.name, b, req: request, how: 'new', label: `${b.name} sampleAsync+owners` })),
    { key: 'nativeTrim', b: native.backend, req: { ...request, source: netlink }, how: 'trim', label: `native sampleAsync+owners, trimmed tables, ${netlink} (as sample())` },
    { key: 'nativeReuse', b: native.backend, req: { ...request, source: netlink }, how: 'reuse', label: `native sampleAsync+owners, tables reused, ${netlink} (as the samplers)` },
  ];
  for (const v of variants) {
    const r = (row[v.key] = await measure(v.b, v.req, v.how));
    console.log(`  lag ${v.label}: p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms (the longest timer gap ${ms(r.worst.gap)}: on CPU ${ms(r.worst.cpu)}, waiting for a CPU ${ms(r.worst.wait)}) over ${r.samples} samples (${ms(r.perSample)} ms each); ${r.stalls.count} stalls > ${STALL_MS} ms, ${ms(r.stalls.ms)} ms in all: ${ms(r.stalls.cpu)} on CPU, ${ms(r.stalls.wait)} waiting`);
  }
  // The machine's own floor for the same timer, as long as the native sample's run: the loop doing
  // nothing else, then with one CPU taken by another process spinning (as the sample takes one).
  if (row.native) {
    const span = (row.floorSpan = row.native.samples * row.native.perSample);
    const idleStep = () => new Promise((r) => setTimeout(r, 50));
    row.floorIdle = await lagDuring(idleStep, span);
    const spinner = spawn(process.execPath, ['-e', `const end = Date.now() + ${Math.ceil(span) + 2000}; while (Date.now() < end);`], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 200)); // the spinner is up and spinning
      row.floorSpin = await lagDuring(idleStep, span);
    } finally {
      spinner.kill('SIGKILL');
    }
    for (const [label, r] of [['no sample (the loop idle)', row.floorIdle], ['no sample, one CPU spun by another process', row.floorSpin]]) {
      console.log(`  lag ${label}: p50 ${ms(r.p50)} ms, p99 ${ms(r.p99)} ms, max ${ms(r.max)} ms over ${ms(span / 1000)} s; ${r.stalls.count} stalls > ${STALL_MS} ms, ${ms(r.stalls.ms)} ms in all: ${ms(r.stalls.cpu)} on CPU, ${ms(r.stalls.wait)} waiting`);
    }
  }
  results.lag.push(row);
}

/** Heap growth over 1,000 sampler ticks (owners, full scan every 10), bounded in time. */
async function benchSampler(n) {
  const row = { sockets: n };
  const budgetMs = n >= 100000 ? 300000 : 240000;
  for (const b of ['native', 'js']) {
    const s = createSampler({ owners: true, interval: 0, fullScanEvery: 10, backend: b });
    for (let i = 0; i < 20; i++) await s.next();
    gc();
    gc();
    const before = process.memoryUsage().heapUsed;
    const h = monitorEventLoopDelay({ resolution: 1 });
    h.enable();
    const t0 = now();
    let ticks = 0;
    while (ticks < 1000 && now() - t0 < budgetMs) {
      await s.next();
      ticks++;
    }
    const elapsed = now() - t0;
    h.disable();
    s.close();
    gc();
    gc();
    const growth = process.memoryUsage().heapUsed - before;
    row[b] = { ticks, growth, perTick: elapsed / ticks, lagP99: h.percentile(99) / 1e6, lagMax: h.max / 1e6 };
    console.log(`  sampler ${b}: ${ticks} ticks, heap growth ${(growth / 1024).toFixed(0)} KiB, ${ms(row[b].perTick)} ms/tick, lag p99 ${ms(row[b].lagP99)} ms, max ${ms(row[b].lagMax)} ms`);
  }
  results.sampler.push(row);
}

// ---------------------------------------------------------------------------------------------
// Filters (issue #14): one expression that keeps ~1% of the TCP sockets, in process and whole-process.
const TCP_LISTEN = 10;
const FILTER_SHARE = 0.01;
const SS_P_TIMEOUT_MS = 60000; // one `ss -tnp EXPR` run at most; more is reported as "> 60 s"
const SS_P_BUDGET_MS = 20000; // no more `ss -tnp EXPR` runs once they took this long together

/** Every TCP socket now (tcp + tcp6, all states), native backend, default source. */
const tcpNow = () => lib.snapshot({ protocols: ['tcp'], owners: false, backend: 'native' });

/**
 * The expression: `sport >= :X and sport < :Y`, a window of the local ports of the non-listening
 * sockets (in practice the connecting ends' ephemeral ports) that holds FILTER_SHARE of them and no
 * listener's port (so no accepted end and no listener matches), the first such window from the
 * middle of the sorted ports. The kernel hands out ephemeral ports unevenly, so the window is
 * measured, not guessed.
 */
function chooseFilter() {
  const listeners = new Set();
  const ports = [];
  for (const t of tcpNow().inet) {
    for (let i = 0; i < t.count; i++) {
      if (t.state[i] === TCP_LISTEN) listeners.add(t.localPort[i]);
      else ports.push(t.localPort[i]);
    }
  }
  ports.sort((a, b) => a - b);
  const k = Math.max(1, Math.round(ports.length * FILTER_SHARE));
  const mid = ports.length >> 1;
  const starts = [];
  for (let i = mid; i + k <= ports.length; i++) starts.push(i);
  for (let i = 0; i < mid && i + k <= ports.length; i++) starts.push(i);
  for (const i of starts) {
    if (i > 0 && ports[i - 1] === ports[i]) continue; // a window starts at a port's first socket
    const x = ports[i];
    const y = ports[i + k - 1] + 1;
    if ([...listeners].some((l) => l >= x && l < y)) continue;
    let kept = 0;
    for (let j = i; j < ports.length && ports[j] < y; j++) kept++;
    return { text: `sport >= :${x} and sport < :${y}`, kept, total: ports.length, listeners: listeners.size };
  }
  throw new Error(`no window of local ports holds ${k} sockets and no listener`);
}

/** The rows of a listing as "local peer" pairs (IPv6 without ss's brackets), and how many show a process. */
function listedRows(out, kind) {
  const lines = out.split('\n');
  const rows = kind === 'netsnap' ? lines.filter((l) => /^tcp6? /.test(l)) : lines.slice(1).filter((l) => l.trim() !== '');
  const keys = rows.map((l) => {
    const f = l.trim().split(/\s+/);
    return `${f[3]} ${f[4]}`.replace(/[[\]]/g, '');
  });
  const withProcess = rows.filter((l) => (kind === 'netsnap' ? /\s\d+\/\S/.test(l) : l.includes('users:(('))).length;
  return { keys, withProcess };
}

/** A command run once with its output: { out, ms } or { overMs } past timeoutMs. */
function capture(cmd, args, timeoutMs = 180000) {
  const a = now();
  const r = spawnSync(cmd, args, { encoding: 'latin1', stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 1 << 28 });
  const ms = now() - a;
  if (r.error?.code === 'ETIMEDOUT') return { overMs: timeoutMs };
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status ?? r.signal}: ${String(r.stderr).trim().slice(0, 300)}`);
  return { out: r.stdout, ms };
}

/** The filter's INET_DIAG_REQ_BYTECODE in hex (for `netlink_floor bc`), '' when the kernel gets none. */
const bytecodeHex = (expr) => {
  const bc = lib.compileFilter(expr).request.bytecode;
  return bc ? Buffer.from(bc).toString('hex') : '';
};

/** The commands of the whole-process comparison: name, command, arguments, caps. */
function filterCommands(expr) {
  const hex = bytecodeHex(expr);
  const floor = [];
  if (floors.netlink_floor) {
    // The kernel's share alone: the same two dumps (tcp, tcp6) without and with the bytecode, asking
    // every state bit as netsnap does, and only bits 0-12 (what /proc shows, ss's "all"): bit 13
    // (TCP_BOUND_INACTIVE, Linux 6.8+) makes the kernel walk the bind hash too.
    floor.push({ name: 'C netlink floor', cmd: floors.netlink_floor, args: [] });
    if (hex) floor.push({ name: 'C netlink floor, filter', cmd: floors.netlink_floor, args: ['bc', hex] });
    floor.push({ name: 'C netlink floor, states 0-12', cmd: floors.netlink_floor, args: ['states', '0x1fff'] });
    if (hex) floor.push({ name: 'C netlink floor, filter, states 0-12', cmd: floors.netlink_floor, args: ['bc', hex, 'states', '0x1fff'] });
  }
  // What -p costs whatever the filter: every process's fds are read to find the holders.
  if (floors.fdscan_floor) floor.push({ name: 'C fd-scan floor', cmd: floors.fdscan_floor, args: [] });
  return [
    { name: 'netsnap -tn', cmd: process.execPath, args: [cli, '-tn', expr] },
    { name: 'ss -tn', cmd: 'ss', args: ['-tn', expr] },
    { name: 'node -e 0', cmd: process.execPath, args: ['-e', '0'] },
    { name: 'netsnap -tnp', cmd: process.execPath, args: [cli, '-tnp', expr] },
    // ss -tnp reads every process's fds whatever the filter (seconds at 100k): runs until 20 s of them, each capped.
    { name: 'ss -tnp', cmd: 'ss', args: ['-tnp', expr], budgetMs: SS_P_BUDGET_MS, timeoutMs: SS_P_TIMEOUT_MS },
    ...floor,
  ];
}

const IN_PROCESS = [
  ['native, netlink', 'native', 'netlink'],
  ['native, /proc', 'native', 'proc'],
  ['js, /proc', 'js', 'proc'],
];
const inProcessOptions = (backend, source, filter) => ({ protocols: ['tcp'], owners: false, backend, source, ...(filter ? { filter } : {}) });
const stats = (xs) => ({ med: median(xs), min: Math.min(...xs), max: Math.max(...xs), runs: xs.length });

/**
 * Before anything is timed: every compared pair shows the same rows (as local/peer pairs), the
 * in-process variants too, within what the TCP table changed during the check (sockets that came
 * or went, by inode). Throws on a difference: a fast wrong answer is not a result.
 */
function checkFilterRows(expr) {
  const inodes = () => new Set(tcpNow().inet.flatMap((t) => Array.from(t.inode)));
  const before = inodes();
  const got = {};
  let netlinkUsed = null;
  for (const [name, backend, source] of IN_PROCESS) {
    const s = lib.snapshot(inProcessOptions(backend, source, expr));
    if (backend === 'native' && source === 'netlink') netlinkUsed = s.inet.every((t) => t.source === 'netlink');
    got[`in-process ${name}`] = { keys: s.inet.flatMap((t) => Array.from({ length: t.count }, (_, i) => {
      const x = s.inetSocket(t, i);
      return `${x.localAddress}:${x.localPort} ${x.remoteAddress}:${x.remotePort}`;
    })) };
  }
  let ssPOver = null;
  let floorRecords = null;
  for (const c of filterCommands(expr)) {
    if (c.name === 'node -e 0' || (c.name.startsWith('C ') && c.name !== 'C netlink floor, filter')) continue;
    const r = capture(c.cmd, c.args, c.timeoutMs);
    if (r.overMs) {
      ssPOver = r.overMs;
      continue;
    }
    if (c.name === 'C netlink floor, filter') floorRecords = Number(r.out.trim());
    else got[c.name] = listedRows(r.out, c.name.startsWith('netsnap') ? 'netsnap' : 'ss');
  }
  const after = inodes();
  let churn = 0;
  for (const x of before) if (!after.has(x)) churn++;
  for (const x of after) if (!before.has(x)) churn++;
  const problems = [];
  const differ = (a, b) => {
    const A = new Set(got[a].keys);
    const B = new Set(got[b].keys);
    let d = Math.abs(got[a].keys.length - got[b].keys.length);
    for (const x of A) if (!B.has(x)) d++;
    for (const x of B) if (!A.has(x)) d++;
    if (d > churn) problems.push(`${a} (${fmtN(got[a].keys.length)} rows) and ${b} (${fmtN(got[b].keys.length)} rows) differ in ${fmtN(d)} rows, churn ${churn}`);
  };
  for (const k of Object.keys(got)) if (k !== 'ss -tn') differ(k, 'ss -tn');
  // The C dump with the same bytecode (all states, like the in-process snapshot) counts the same records.
  if (floorRecords !== null && Math.abs(floorRecords - got['in-process native, netlink'].keys.length) > churn) {
    problems.push(`C netlink floor, filter: ${fmtN(floorRecords)} records, in-process native, netlink ${fmtN(got['in-process native, netlink'].keys.length)} rows, churn ${churn}`);
  }
  if (got['ss -tnp']) {
    differ('netsnap -tnp', 'ss -tnp');
    const a = got['netsnap -tnp'].withProcess;
    const b = got['ss -tnp'].withProcess;
    if (Math.abs(a - b) > churn) problems.push(`netsnap -tnp shows a process on ${fmtN(a)} rows, ss -tnp on ${fmtN(b)}, churn ${churn}`);
  }
  const counts = Object.fromEntries(Object.entries(got).map(([k, v]) => [k, { rows: v.keys.length, withProcess: v.withProcess }]));
  console.log(`  row check (churn ${churn}): ${Object.entries(counts).map(([k, v]) => `${k} ${fmtN(v.rows)}${v.withProcess !== undefined && k.endsWith('p') ? ` (${fmtN(v.withProcess)} with a process)` : ''}`).join(', ')}${ssPOver ? `; ss -tnp over ${ssPOver / 1000} s, not compared` : ''}`);
  if (problems.length) throw new Error(`the filtered rows differ:\n    ${problems.join('\n    ')}`);
  return { counts, churn, netlinkUsed, ssPOver, floorRecords };
}

function benchFilter(n) {
  const big = n >= 100000;
  const f = chooseFilter();
  console.log(`  expression: ${f.text} (keeps ${fmtN(f.kept)} of ${fmtN(f.total)} non-listening TCP sockets, ${(100 * f.kept / f.total).toFixed(2)}%)`);
  const check = checkFilterRows(f.text);
  const row = { sockets: n, live: liveTcpSockets(), expr: f.text, kept: f.kept, total: f.total, check };

  // In process: each backend/source with and without the filter, interleaved (the check warmed them up).
  // The CPU each snapshot cost the process (every thread: the dump threads too), user and system.
  const cpu = new Map();
  const withCpu = (name, fn) => () => {
    const c0 = process.cpuUsage();
    fn();
    const c = process.cpuUsage(c0);
    if (!cpu.has(name)) cpu.set(name, { user: [], system: [] });
    cpu.get(name).user.push(c.user / 1000);
    cpu.get(name).system.push(c.system / 1000);
  };
  const variants = IN_PROCESS.flatMap(([name, backend, source]) => [
    { name: `${name}, no filter`, run: withCpu(`${name}, no filter`, () => lib.snapshot(inProcessOptions(backend, source))) },
    { name: `${name}, filter`, run: withCpu(`${name}, filter`, () => lib.snapshot(inProcessOptions(backend, source, f.text))) },
  ]);
  const t = rounds(variants, { minRounds: 5, maxRounds: big ? 21 : 31, budgetMs: big ? 25000 : 10000 });
  row.inProcess = Object.fromEntries([...t].map(([k, xs]) => [k, stats(xs)]));
  row.inProcessCpu = Object.fromEntries([...cpu].map(([k, v]) => [k, { user: stats(v.user).med, system: stats(v.system).med }]));
  row.inProcessRuns = t.get(variants[0].name).length;
  for (const [k, s] of Object.entries(row.inProcess)) console.log(`  ${k.padEnd(28)} ${ms(s.med).padStart(8)} ms (${ms(s.min)}–${ms(s.max)})`);

  // Whole process, interleaved; ss -tnp capped.
  const cmds = filterCommands(f.text).map((c) => ({
    ...c,
    run() {
      const r = spawnSync(c.cmd, c.args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: c.timeoutMs ?? 180000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
      if (r.error?.code === 'ETIMEDOUT' && c.timeoutMs) throw { overMs: c.timeoutMs };
      if (r.error) throw r.error;
      if (r.signal) throw new Error(`killed by ${r.signal} (timeout 180 s?)`);
      if (r.status !== 0) throw new Error(`exited ${r.status}: ${String(r.stderr).trim().slice(0, 300)}`);
    },
  }));
  if (check.ssPOver) cmds.find((c) => c.name === 'ss -tnp').dead = true;
  const maxRounds = runsArg ? Number(runsArg) : 41;
  const p = rounds(cmds, { minRounds: Math.min(15, maxRounds), maxRounds, budgetMs: big ? 45000 : 20000 });
  row.proc = Object.fromEntries([...p].map(([k, xs]) => [k, xs.length ? stats(xs) : { med: NaN, min: NaN, max: NaN, runs: 0 }]));
  row.procRuns = p.get('node -e 0').length;
  row.ssPOverMs = check.ssPOver ?? cmds.find((c) => c.name === 'ss -tnp').overMs ?? null;
  for (const [k, s] of Object.entries(row.proc)) console.log(`  ${k.padEnd(28)} ${ms(s.med).padStart(8)} ms (${ms(s.min)}–${ms(s.max)}, ${s.runs} runs)`);
  if (row.ssPOverMs) console.log(`  ss -tnp: over ${row.ssPOverMs / 1000} s`);
  results.filter.push(row);
}

// ---------------------------------------------------------------------------------------------
const started = new Date();
const loadAtStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const t00 = now();
try {
  if (want('process') || want('filter')) ({ floors, note: floorNote } = buildFloors());
  if (want('parse')) {
    console.log('== parse only (generated files)');
    benchParse();
  }
  const needsLoad = want('process') || want('sample') || (want('sampler') && sizes.some((n) => samplerSizes.includes(n)))
    || (want('filter') && sizes.some((n) => filterSizes.includes(n)));
  if (needsLoad) {
    for (const n of sizes) {
      const sec = ['process', 'sample'].some(want) || (want('sampler') && samplerSizes.includes(n)) || (want('filter') && filterSizes.includes(n));
      if (!sec) continue;
      console.log(`== ${fmtN(n)} sockets: starting the load generator`);
      const t0 = now();
      const load = loads.set(await startLoad(n, { ...loadOpts, seconds: 1800, readyTimeout: Math.max(120, n / 1000) }));
      console.log(`   ready: ${fmtN(load.sockets)} sockets in ${((now() - t0) / 1000).toFixed(1)} s, ${fmtN(liveTcpSockets())} rows in /proc/net/tcp{,6}`);
      if (want('process')) {
        console.log('-- whole process (interleaved rounds, median wall ms)');
        benchProcess(n);
      }
      if (want('sample')) {
        console.log('-- in-process live sample (median ms)');
        benchSample(n);
        await benchLag(n);
      }
      if (want('sampler') && samplerSizes.includes(n)) {
        console.log('-- sampler, 1,000 ticks');
        await benchSampler(n);
      }
      if (want('filter') && filterSizes.includes(n)) {
        console.log('-- filters (issue #14): in process and whole process, with and without');
        try {
          benchFilter(n);
        } catch (e) {
          fail(`filters at ${fmtN(n)} sockets`, e);
        }
      }
      await loads.stop();
    }
  }
} catch (e) {
  fail('bench', e);
} finally {
  await loads.stop();
}
console.log(`bench: done in ${((now() - t00) / 1000).toFixed(0)} s`);

// ---------------------------------------------------------------------------------------------
// RESULTS.md
function ehash() {
  try {
    return Math.abs(Number(fs.readFileSync('/proc/sys/net/ipv4/tcp_ehash_entries', 'utf8').trim()));
  } catch {
    return NaN;
  }
}

function target(label, value, limit, unit = '×') {
  if (!Number.isFinite(value)) return `| ${label} | ≤ ${limit}${unit === '×' ? '×' : ` ${unit}`} | – | not measured |`;
  const met = value <= limit;
  const by = unit === '×' ? `${(value / limit).toFixed(2)}× the target` : `${ms(value - limit)} ${unit} over`;
  return `| ${label} | ≤ ${limit}${unit === '×' ? '×' : ` ${unit}`} | ${unit === '×' ? rx(value) : `${ms(value)} ${unit}`} | ${met ? `**met** (${unit === '×' ? `${(value / limit).toFixed(2)}× the target` : `${ms(limit - value)} ${unit} under`})` : `**missed** (${by})`} |`;
}

function targets() {
  const at = sizes.includes(100000) ? 100000 : Math.max(...sizes);
  const P = results.process.find((r) => r.sockets === at)?.med ?? {};
  const S = results.sample.find((r) => r.sockets === at)?.med ?? {};
  const out = [
    `## Targets (issue #5), at ${fmtN(at)} TCP sockets${at !== 100000 ? ' (100,000 was not among the sizes)' : ''}`,
    '',
    'In-process times are medians of the call; floors and peers are whole-process wall medians from the same run.',
    '',
    '| target | limit | measured | verdict |',
    '| --- | ---: | ---: | --- |',
    target('in-process sample, no owners, /proc source / C read floor', ratio(S['native, no owners, /proc'], P['C read floor']), 1.1),
    netlinkHonoured
      ? target('in-process sample, no owners, netlink source / C netlink floor', ratio(S['native, no owners, netlink'], P['C netlink floor']), 1.1)
      : '| in-process sample, no owners, netlink source / C netlink floor | ≤ 1.1× | – | not measured: this addon does not honour `source: \'netlink\'` |',
    target('in-process sample with owners (native, /proc) / (C read floor + C fd-scan floor)', ratio(S['native, with owners, /proc'], P['C read floor'] + P['C fd-scan floor']), 0.7),
    target('whole-process `netsnap -tanp` / `ss -tanp`', ratio(P['netsnap -tanp'], P['ss -tanp']), 0.15),
    target('whole-process `netsnap -tanp` / `netstat -tanp`', ratio(P['netsnap -tanp'], P['netstat -tanp']), 0.15),
    target('whole-process `netsnap -tan` / `ss -tan`', ratio(P['netsnap -tan'], P['ss -tan']), 1.0),
    target('TS backend / native backend, sample with owners (both from /proc/PID/fd)', ratio(S['js, with owners, /proc'], S[PROC_OWNERS_SAMPLE]), 1.5),
    target(`async sample with owners (native): event-loop lag max, over all sizes (${results.lag.map((r) => `${fmtN(r.sockets)}: ${ms(r.native.max)}`).join(', ')})`,
      results.lag.length ? Math.max(...results.lag.map((r) => r.native.max)) : NaN, 10, 'ms'),
  ];
  const sm = results.sampler.find((r) => r.sockets === 10000) ?? results.sampler[0];
  for (const b of ['native', 'js']) {
    const r = sm?.[b];
    const lbl = `1,000 sampler ticks (${b}${sm ? `, ${fmtN(sm.sockets)} sockets` : ''}${r && r.ticks < 1000 ? `, only ${r.ticks} ticks in the time bound` : ''}): heap growth`;
    out.push(target(lbl, r ? r.growth / 2 ** 20 : NaN, 2, 'MB'));
  }
  const P1 = results.process.find((r) => r.sockets === 1000)?.med;
  if (P1) {
    out.push(target('at 1,000 sockets: whole-process `netsnap -tanp` / `netstat -tanp`', ratio(P1['netsnap -tanp'], P1['netstat -tanp']), 1.5));
    out.push('', `At 1,000 sockets \`node -e 0\` alone took ${ms(P1['node -e 0'])} ms (netsnap -tanp ${ms(P1['netsnap -tanp'])} ms, netstat -tanp ${ms(P1['netstat -tanp'])} ms).`);
  }
  out.push(
    '',
    `## Targets (issue #13: tcp_info, socket memory, cgroups), at ${fmtN(at)} TCP sockets`,
    '',
    '| target | limit | measured | verdict |',
    '| --- | ---: | ---: | --- |',
    target('in-process sample with tcp_info, skmem and cgroup ids (netlink, ext) / C netlink floor asking the same', ratio(S['native, no owners, netlink, ext'], P['C netlink floor, ext']), 1.1),
    target('in-process sample with them / the same sample without them', ratio(S['native, no owners, netlink, ext'], S['native, no owners, netlink']), 1.5),
    target('whole-process `netsnap -tan --info` / `ss -tani`', ratio(P['netsnap -tan --info'], P['ss -tani']), 0.5),
    target('whole-process `netsnap -tan --info --json` / `ss -tani`', ratio(P['netsnap -tan --info --json'], P['ss -tani']), 1.0),
  );
  const L = results.lag.find((r) => r.sockets === at);
  const rounds = results.process.find((r) => r.sockets === at)?.runs;
  out.push(
    '',
    `## Targets (issue #18: performance, round two), at ${fmtN(at)} TCP sockets`,
    '',
    'The start-up targets at 1,000 sockets are bench/startup.mjs\'s (RESULTS-startup.md: 61 interleaved rounds); the million-socket ones are bench/scale.mjs\'s (RESULTS-scale.md).',
    '',
    '| target | limit | measured | verdict |',
    '| --- | ---: | ---: | --- |',
    target(`own time of \`netsnap -tan\` (whole process less \`node -e 0\`, ${rounds ?? '?'} interleaved rounds) / whole-process \`ss -tan\``, ratio(P['netsnap -tan'] - P['node -e 0'], P['ss -tan']), 0.6),
    target('whole-process `netsnap -tanp` / `ss -tanp`', ratio(P['netsnap -tanp'], P['ss -tanp']), 0.07),
    target('TS backend / native backend, in-process sample with owners (both on all cores, both reading /proc/PID/fd)', ratio(S['js, with owners, /proc'], S[PROC_OWNERS_SAMPLE]), 1.8),
    target(`async sample with owners (native): event-loop lag p99${L ? ` (${L.native.samples} samples)` : ''}`, L ? L.native.p99 : NaN, 5, 'ms'),
    target(`async sample with owners (native): event-loop lag max${L && L.native.worst.gap > 0 ? ` (the longest 1 ms-timer gap, ${ms(L.native.worst.gap)} ms: ${ms(L.native.worst.cpu)} on CPU, ${ms(L.native.worst.wait)} waiting for a CPU)` : ''}`, L ? L.native.max : NaN, 15, 'ms'),
    target(`the same as sample() asks (netlink, new tables trimmed to their rows): event-loop lag p99${L?.nativeTrim ? ` (${L.nativeTrim.samples} samples)` : ''}`, L?.nativeTrim ? L.nativeTrim.p99 : NaN, 5, 'ms'),
    target(`the same as sample() asks: event-loop lag max${L?.nativeTrim && L.nativeTrim.worst.gap > 0 ? ` (the longest 1 ms-timer gap, ${ms(L.nativeTrim.worst.gap)} ms: ${ms(L.nativeTrim.worst.cpu)} on CPU, ${ms(L.nativeTrim.worst.wait)} waiting for a CPU)` : ''}`, L?.nativeTrim ? L.nativeTrim.max : NaN, 15, 'ms'),
    target(`the same with its tables reused and from netlink, as netsnap's samplers ask: event-loop lag p99${L?.nativeReuse ? ` (${L.nativeReuse.samples} samples)` : ''}`, L?.nativeReuse ? L.nativeReuse.p99 : NaN, 5, 'ms'),
    target(`the same with its tables reused and from netlink: event-loop lag max${L?.nativeReuse && L.nativeReuse.worst.gap > 0 ? ` (the longest 1 ms-timer gap, ${ms(L.nativeReuse.worst.gap)} ms: ${ms(L.nativeReuse.worst.cpu)} on CPU, ${ms(L.nativeReuse.worst.wait)} waiting for a CPU)` : ''}`, L?.nativeReuse ? L.nativeReuse.max : NaN, 15, 'ms'),
  );
  const SR = results.sample.find((r) => r.sockets === at);
  if (SR) {
    const src = SR.ownerSource;
    out.push(
      '',
      `Owners: the native rows above found them ${src.viaBpf ? 'through the kernel\'s BPF task_file iterator (README, "Owners through BPF")' : `in /proc/PID/fd${src.bpfError ? ` (the BPF iterator could not be used: ${src.bpfError})` : ''}`}; the TypeScript backend reads /proc/PID/fd, so the TS / native target compares it with the native sample reading /proc/PID/fd too (\`${PROC_OWNERS_SAMPLE}\`, ${ms(S[PROC_OWNERS_SAMPLE])} ms). Against the native sample as it runs by default (${ms(S['native, with owners, /proc'])} ms) the TypeScript backend takes ${rx(ratio(S['js, with owners, /proc'], S['native, with owners, /proc']))}. Whole process, \`netsnap -tanp\` with owners from /proc/PID/fd (\`NETSNAP_OWNER_SOURCE=proc\`) took ${ms(P[PROC_OWNERS_TANP])} ms, ${rx(ratio(P[PROC_OWNERS_TANP], P['ss -tanp']))} \`ss -tanp\` (by default ${ms(P['netsnap -tanp'])} ms).`,
    );
  }
  if (L?.floorIdle && L?.floorSpin) {
    out.push(
      '',
      `For scale, the machine's own floor: the same 1 ms timer over the same span as the native sample's run (${ms(L.floorSpan / 1000)} s), with no sample running, saw a max of ${ms(L.floorIdle.max)} ms with the loop idle and ${ms(L.floorSpin.max)} ms with one CPU spun by another process (as a sample takes one); p99 ${ms(L.floorIdle.p99)} and ${ms(L.floorSpin.p99)} ms.`,
    );
  }
  if (P[`node -e 0${NO_EXTRA_CA}`] !== undefined) {
    out.push(
      '',
      `This machine's environment sets NODE_EXTRA_CA_CERTS, so every Node start here reads and parses that file of certificates before any script runs (the ratios above include it). In the same rounds without the variable: \`node -e 0\` ${ms(P[`node -e 0${NO_EXTRA_CA}`])} ms (with it ${ms(P['node -e 0'])}), \`netsnap -tanp\` ${ms(P[`netsnap -tanp${NO_EXTRA_CA}`])} ms (with it ${ms(P['netsnap -tanp'])}), which is ${rx(ratio(P[`netsnap -tanp${NO_EXTRA_CA}`], P['ss -tanp']))} \`ss -tanp\`.`,
    );
  }
  out.push('', ...filterTargets(at));
  return out;
}

/** Median ms of a filter measurement (NaN when not measured). */
const fmed = (group, name) => group?.[name]?.med ?? NaN;

function filterTargets(at) {
  const F = results.filter.find((r) => r.sockets === at);
  const out = [
    `## Targets (issue #14: filters), at ${fmtN(at)} TCP sockets`,
    '',
  ];
  if (!F) {
    return [...out, `Not measured: the filter benchmark ran at ${results.filter.map((r) => fmtN(r.sockets)).join(', ') || 'no size'} (\`--filter-sizes\`).`];
  }
  const I = F.inProcess;
  const P = F.proc;
  const own = fmed(P, 'netsnap -tn') - fmed(P, 'node -e 0');
  const ssP = F.ssPOverMs ? NaN : fmed(P, 'ss -tnp');
  out.push(
    `The filter: \`${F.expr}\`, ${fmtN(F.kept)} of ${fmtN(F.total)} TCP sockets (${(100 * F.kept / F.total).toFixed(2)}%; see "Filters" above).`,
    '',
    '| target | limit | measured | verdict |',
    '| --- | ---: | ---: | --- |',
    target(`in-process \`snapshot()\` with the filter / without (native, netlink, no owners; ${ms(fmed(I, 'native, netlink, filter'))} vs ${ms(fmed(I, 'native, netlink, no filter'))} ms)`,
      ratio(fmed(I, 'native, netlink, filter'), fmed(I, 'native, netlink, no filter')), 0.3),
    target(`whole-process (\`netsnap -tn EXPR\` − \`node -e 0\`) / \`ss -tn EXPR\` ((${ms(fmed(P, 'netsnap -tn'))} − ${ms(fmed(P, 'node -e 0'))}) vs ${ms(fmed(P, 'ss -tn'))} ms)`,
      ratio(own, fmed(P, 'ss -tn')), 1.5),
    F.ssPOverMs
      ? target(`whole-process \`netsnap -tnp EXPR\` / \`ss -tnp EXPR\` (${ms(fmed(P, 'netsnap -tnp'))} ms vs ss over ${F.ssPOverMs / 1000} s: the ratio is at most this)`,
        ratio(fmed(P, 'netsnap -tnp'), F.ssPOverMs), 0.1)
      : target(`whole-process \`netsnap -tnp EXPR\` / \`ss -tnp EXPR\` (${ms(fmed(P, 'netsnap -tnp'))} vs ${ms(ssP)} ms)`,
        ratio(fmed(P, 'netsnap -tnp'), ssP), 0.1),
  );
  return out;
}

/** The filter section: the expression, the row check, in-process and whole-process tables. */
function filterSection() {
  if (!results.filter.length) return [];
  const out = [];
  const range = (s) => (s && Number.isFinite(s.min) ? `${ms(s.min)}–${ms(s.max)}` : '–');
  const spread = (s) => (s && Number.isFinite(s.min) && s.med > 0 ? `${((s.max - s.min) / s.med * 100).toFixed(0)}%` : '–');
  for (const F of results.filter) {
    const c = F.check.counts;
    const I = F.inProcess;
    const P = F.proc;
    const nodeMed = fmed(P, 'node -e 0');
    out.push(
      `## Filters (issue #14), at ${fmtN(F.sockets)} TCP sockets (${fmtN(F.live)} live rows)`,
      '',
      `- Expression: \`${F.expr}\` — keeps **${fmtN(F.kept)} of ${fmtN(F.total)}** non-listening TCP sockets (${(100 * F.kept / F.total).toFixed(2)}%), measured in this run.`,
      '  It is a port range of the connecting ends, chosen from the live load: the first window of the sorted local ports',
      '  (from the middle of the order) that holds 1% of the sockets and no listener\'s port, so no accepted end and no',
      '  listener matches (the kernel hands out ephemeral ports unevenly, so the window is measured, not fixed).',
      `- Row check before timing (every pair as sets of local/peer address pairs; ${F.check.churn} sockets came or went in the TCP table meanwhile, the tolerance):`,
      `  in-process: native, netlink ${fmtN(c['in-process native, netlink'].rows)}; native, /proc ${fmtN(c['in-process native, /proc'].rows)}; js, /proc ${fmtN(c['in-process js, /proc'].rows)};`,
      `  \`netsnap -tn\` ${fmtN(c['netsnap -tn'].rows)}, \`ss -tn\` ${fmtN(c['ss -tn'].rows)}; \`netsnap -tnp\` ${fmtN(c['netsnap -tnp'].rows)} (${fmtN(c['netsnap -tnp'].withProcess)} with a process), `
        + (c['ss -tnp'] ? `\`ss -tnp\` ${fmtN(c['ss -tnp'].rows)} (${fmtN(c['ss -tnp'].withProcess)} with users): the same rows` : `\`ss -tnp\` over ${F.check.ssPOver / 1000} s, not compared (netsnap -tnp was compared with ss -tn)`)
        + (F.check.floorRecords !== null ? `; the C dump with the same bytecode: ${fmtN(F.check.floorRecords)} records.` : '.'),
      F.check.netlinkUsed ? '- The netlink source was used (the kernel ran the filter\'s bytecode during the dump).' : '- **The native backend did not use the netlink source**: the "netlink" rows below are /proc.',
      '',
      `In process: \`snapshot({ protocols: ['tcp'], owners: false, backend, source[, filter] })\` (tcp + tcp6), median ms (min–max) over ${F.inProcessRuns} interleaved rounds:`,
      '',
      '| backend, source | no filter | with the filter | filter / no filter |',
      '| --- | ---: | ---: | ---: |',
      ...IN_PROCESS.map(([name]) => {
        const a = I[`${name}, no filter`];
        const b = I[`${name}, filter`];
        return `| ${name} | ${ms(a?.med)} (${range(a)}) | ${ms(b?.med)} (${range(b)}) | ${rx(ratio(b?.med, a?.med))} |`;
      }),
      '',
      'On /proc the whole text is still read and parsed; the filter runs on the columns of each row before it is stored.',
      ...(F.inProcessCpu?.['native, netlink, filter']
        ? ['', `CPU per native netlink snapshot (median; \`process.cpuUsage()\`, every thread of the process): without the filter user ${ms(F.inProcessCpu['native, netlink, no filter'].user)} ms, system ${ms(F.inProcessCpu['native, netlink, no filter'].system)} ms; `
          + `with it user ${ms(F.inProcessCpu['native, netlink, filter'].user)} ms, system ${ms(F.inProcessCpu['native, netlink, filter'].system)} ms (the kernel's walk of every socket, on the two dump threads).`]
        : []),
      ...(Number.isFinite(fmed(P, 'C netlink floor, filter'))
        ? ['', `The kernel's share, from the whole-process C floors below (two dumps, tcp then tcp6, in one thread): with every state bit asked, as netsnap asks,`,
          `the dumps with the bytecode take ${rx(ratio(fmed(P, 'C netlink floor, filter'), fmed(P, 'C netlink floor')))} the plain ones (${ms(fmed(P, 'C netlink floor, filter'))} vs ${ms(fmed(P, 'C netlink floor'))} ms): the kernel still visits every`,
          `socket. With states 0-12 only (what /proc shows and ss asks; no TCP_BOUND_INACTIVE, so no walk of the bind hash) they take`,
          `${ms(fmed(P, 'C netlink floor, filter, states 0-12'))} vs ${ms(fmed(P, 'C netlink floor, states 0-12'))} ms (${rx(ratio(fmed(P, 'C netlink floor, filter, states 0-12'), fmed(P, 'C netlink floor, states 0-12')))}). `
            + `The filtered in-process snapshot (tcp and tcp6 dumped on two threads) is ${rx(ratio(fmed(I, 'native, netlink, filter'), fmed(P, 'C netlink floor, filter')))} the C dump with the same bytecode and states.`]
        : []),
      '',
      `Whole process, \`EXPR\` as above, median wall ms over ${F.procRuns} interleaved rounds (ss -tnp: until its runs took ${SS_P_BUDGET_MS / 1000} s together, each cut at ${SS_P_TIMEOUT_MS / 1000} s; the C floors: \`netlink_floor\` dumps tcp and tcp6 without and with the filter's bytecode \`${bytecodeHex(F.expr)}\`, all state bits or 0-12, and \`fdscan_floor\` reads every process's fds); own time is the median less \`node -e 0\`'s for the Node commands:`,
      '',
      '| command | runs | median | min–max | spread (max−min)/median | own time |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...filterCommands(F.expr).map(({ name }) => {
        const s = P[name];
        const node = name.startsWith('netsnap');
        const over = name === 'ss -tnp' && F.ssPOverMs;
        const label = name.startsWith('C ') ? name : name === 'node -e 0' ? '`node -e 0`' : `\`${name} EXPR\``;
        const own = node ? ms(s.med - nodeMed) : name === 'node -e 0' ? '–' : over ? `> ${F.ssPOverMs / 1000} s` : ms(s?.med);
        return `| ${label} | ${s?.runs ?? 0} | ${over ? `> ${F.ssPOverMs / 1000} s` : ms(s?.med)} | ${range(s)} | ${spread(s)} | ${own} |`;
      }),
      '',
    );
    const fd = fmed(P, 'C fd-scan floor');
    const ssP = F.ssPOverMs ?? fmed(P, 'ss -tnp');
    if (Number.isFinite(fd) && Number.isFinite(ssP)) {
      out.push(
        `With \`-p\` a filter saves nothing on the owner side: the holders of even one socket are found only by reading every`,
        `process's fds (the C fd-scan floor, one thread: ${ms(fd)} ms; netsnap spreads the scan over the cores). \`ss -tnp EXPR\``,
        `took ${F.ssPOverMs ? `over ${ms(ssP)}` : ms(ssP)} ms, a tenth of which is ${ms(ssP / 10)} ms, against \`node -e 0\` alone at ${ms(nodeMed)} ms and half the fd-scan floor at ${ms(fd / 2)} ms.`,
        '',
      );
    }
  }
  return out;
}

function report() {
  const cols = procCommands().map(([name]) => name);
  const out = [
    ...header('Benchmark results'),
    '## Whole process, side by side (median wall ms)',
    '',
    `| sockets (live rows) | rounds | ${cols.map((c) => `\`${c}\``).join(' | ')} |`,
    `| --- | ---: | ${cols.map(() => '---:').join(' | ')} |`,
    ...results.process.map((r) => `| ${fmtN(r.sockets)} (${fmtN(r.live)}) | ${r.runs} | ${cols.map((c) => ms(r.med[c])).join(' | ')} |`),
    '',
    '| sockets | netsnap -tan / ss -tan | netsnap -tan / netstat -tan | netsnap -tanp / ss -tanp | netsnap -tanp / netstat -tanp | netsnap -tan / C read floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.process.map((r) => { const m = r.med; return `| ${fmtN(r.sockets)} | ${rx(ratio(m['netsnap -tan'], m['ss -tan']))} | ${rx(ratio(m['netsnap -tan'], m['netstat -tan']))} | ${rx(ratio(m['netsnap -tanp'], m['ss -tanp']))} | ${rx(ratio(m['netsnap -tanp'], m['netstat -tanp']))} | ${rx(ratio(m['netsnap -tan'], m['C read floor']))} |`; }),
    '',
    '## In-process live sample of tcp + tcp6 (`backend.sample`, median ms)',
    '',
  ];
  const names = [...new Set(results.sample.flatMap((r) => Object.keys(r.med)))];
  out.push(
    `| sockets (rows seen) | rounds | ${names.join(' | ')} | TS / native, owners | native no owners / C read floor | native owners / (read + fd-scan floors) |`,
    `| --- | ---: | ${names.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...results.sample.map((r) => {
      const P = results.process.find((p) => p.sockets === r.sockets)?.med ?? {};
      return `| ${fmtN(r.sockets)} (${fmtN(r.rows)}) | ${r.runs} | ${names.map((n) => ms(r.med[n])).join(' | ')} | ${rx(ratio(r.med['js, with owners, /proc'], r.med[PROC_OWNERS_SAMPLE]))} | ${rx(ratio(r.med['native, no owners, /proc'], P['C read floor']))} | ${rx(ratio(r.med['native, with owners, /proc'], P['C read floor'] + P['C fd-scan floor']))} |`;
    }),
    '',
    `Native owners in the rows without "from /proc/PID/fd": ${results.sample.map((r) => `${fmtN(r.sockets)}: ${r.ownerSource?.viaBpf ? 'BPF iterator' : '/proc/PID/fd'}`).join(', ')} (auto: the iterator for scans of 32,768 fds or more). TS / native compares the TypeScript backend with the native sample reading /proc/PID/fd, as it does.`,
    ...(results.sample.some((r) => r.bpfLoad)
      ? [
        '',
        'Loading the BPF iterator, in a fresh process each time (median of 3): its first scan, then warm scans, against the /proc/PID/fd scan of the same processes; the break-even is the number of fds whose readlinks cost what the load does (`kBpfMinFds` in native/owners.h):',
        '',
        '| sockets | fds in all processes | first BPF scan | warm BPF scan | /proc/PID/fd scan | load (first − warm) | break-even fds |',
        '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
        ...results.sample.filter((r) => r.bpfLoad).map((r) => { const b = r.bpfLoad; return `| ${fmtN(r.sockets)} | ${fmtN(b.fds)} | ${ms(b.cold)} | ${ms(b.warm)} | ${ms(b.proc)} | ${ms(b.load)} | ${Number.isFinite(b.breakEven) ? fmtN(Math.round(b.breakEven)) : '–'} |`; }),
      ]
      : []),
    '',
    netlinkHonoured ? 'The native backend honoured `source: \'netlink\'` (files[0].source === \'netlink\').'
      : 'The native backend in this build did not honour `source: \'netlink\'` (files[0].source was not \'netlink\'): no netlink rows.',
    ...(netlinkHonoured
      ? [
        '',
        'The netlink source against the C dumps asking the same (`ext`: `extensions: 3`, tcp_info, congestion control and socket memory decoded per socket):',
        '',
        '| sockets | netlink / C netlink floor | netlink ext / C netlink floor, ext | netlink ext / netlink |',
        '| --- | ---: | ---: | ---: |',
        ...results.sample.map((r) => {
          const P = results.process.find((p) => p.sockets === r.sockets)?.med ?? {};
          const m = r.med;
          return `| ${fmtN(r.sockets)} | ${rx(ratio(m['native, no owners, netlink'], P['C netlink floor']))} | ${rx(ratio(m['native, no owners, netlink, ext'], P['C netlink floor, ext']))} | ${rx(ratio(m['native, no owners, netlink, ext'], m['native, no owners, netlink']))} |`;
        }),
      ]
      : []),
    '',
    '## Event-loop lag during back-to-back `sampleAsync` with owners (ms; monitorEventLoopDelay at 1 ms, max also from a 1 ms timer)',
    '',
    '| sockets | native p50 | native p99 | native max | native longest stall: on CPU + waiting for a CPU | native stalls > 10 ms: count, ms, on CPU / waiting | native ms/sample | TS p50 | TS p99 | TS max | TS ms/sample |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.lag.map((r) => `| ${fmtN(r.sockets)} | ${ms(r.native.p50)} | ${ms(r.native.p99)} | ${ms(r.native.max)} | ${r.native.worst.gap > 0 ? `${ms(r.native.worst.gap)}: ${ms(r.native.worst.cpu)} + ${ms(r.native.worst.wait)}` : 'none'} | ${r.native.stalls.count}, ${ms(r.native.stalls.ms)}, ${ms(r.native.stalls.cpu)} / ${ms(r.native.stalls.wait)} | ${ms(r.native.perSample)} | ${ms(r.js.p50)} | ${ms(r.js.p99)} | ${ms(r.js.max)} | ${ms(r.js.perSample)} |`),
    '',
    'The native backend again, as sample() asks by default (netlink, new tables trimmed to their rows) and as netsnap\'s samplers ask',
    '(netlink, the tables of the sample before the last filled again):',
    '',
    '| sockets | asked as | p50 | p99 | max | longest stall: on CPU + waiting for a CPU | stalls > 10 ms: count, ms, on CPU / waiting | ms/sample |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.lag.flatMap((r) => [['nativeTrim', 'sample()'], ['nativeReuse', 'the samplers']].filter(([k]) => r[k]).map(([k, as]) => { const x = r[k]; return `| ${fmtN(r.sockets)} | ${as} | ${ms(x.p50)} | ${ms(x.p99)} | ${ms(x.max)} | ${x.worst.gap > 0 ? `${ms(x.worst.gap)}: ${ms(x.worst.cpu)} + ${ms(x.worst.wait)}` : 'none'} | ${x.stalls.count}, ${ms(x.stalls.ms)}, ${ms(x.stalls.cpu)} / ${ms(x.stalls.wait)} | ${ms(x.perSample)} |`; })),
    '',
    'The machine\'s own floor: the same timer as long as the native run, with no sample running (the loop idle; then with another',
    'process spinning on one CPU, as a sample takes one):',
    '',
    '| sockets | span s | idle p99 | idle max | idle stalls > 10 ms | one CPU spun: p99 | max | stalls > 10 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.lag.filter((r) => r.floorIdle && r.floorSpin).map((r) => `| ${fmtN(r.sockets)} | ${ms(r.floorSpan / 1000)} | ${ms(r.floorIdle.p99)} | ${ms(r.floorIdle.max)} | ${r.floorIdle.stalls.count} | ${ms(r.floorSpin.p99)} | ${ms(r.floorSpin.max)} | ${r.floorSpin.stalls.count} |`),
    '',
    'A stall is a gap of the 1 ms timer over 10 ms; the main thread\'s schedstat splits it into time on a CPU (JavaScript, the',
    'conversion of the result, GC) and time runnable but waiting for a CPU (the sample\'s threads and everything else running share',
    'the two cores); what is neither is time blocked or the VM\'s CPU taken away. The TypeScript backend\'s asynchronous sample',
    'parses the tables and scans owners on helper threads (worker_threads); the event loop merges their links and builds the result.',
    '',
    '## Sampler: 1,000 ticks with owners (full scan every 10 ticks), heap retained after gc()',
    '',
    '| sockets | backend | ticks | heap growth | ms per tick | lag p99 | lag max |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.sampler.flatMap((r) => ['native', 'js'].map((b) => `| ${fmtN(r.sockets)} | ${b} | ${r[b].ticks} | ${(r[b].growth / 1024).toFixed(0)} KiB | ${ms(r[b].perTick)} | ${ms(r[b].lagP99)} ms | ${ms(r[b].lagMax)} ms |`)),
    '',
    ...filterSection(),
    '## Parse only: generated /proc/net/tcp bytes to columns (in-process, median ms)',
    '',
    '| lines | bytes | native | TypeScript | TS / native |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...results.parse.map((r) => `| ${fmtN(r.lines)} | ${fmtN(r.bytes)} | ${ms(r.native)} | ${ms(r.js)} | ${rx(r.js / r.native)} |`),
    '',
    ...targets(),
    '',
  );
  return out;
}

/** The header of a results file: when, where, how, what was isolated. */
function header(title) {
  return [
    `# ${title}`,
    '',
    'Written by `npm run bench` (bench/run.mjs); re-run it to refresh. Medians of interleaved rounds;',
    'machines here are noisy, so treat differences under 1.3× as equal.',
    '',
    `- Date: ${started.toISOString()} (took ${((now() - t00) / 1000).toFixed(0)} s)`,
    `- Machine: ${machine()}; load average ${loadAtStart} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`,
    `- Command: \`npm run bench -- ${argv.join(' ')}\``.replace(/ -- `$/, '`'),
    `- Sizes: ${sizes.map(fmtN).join(', ')} TCP sockets (bench/loadgen.mjs: established loopback connections, both ends, 3/4 IPv4 from`,
    `  sources spread over 127.0.0.0/8, 1/4 IPv6 on ::1; held by ${loadOpts.workers} processes, plus ${loadOpts.idleProcs} idle processes with ${loadOpts.idleFds} fds each)`,
    isolated
      ? `- Isolated: own network and PID namespaces with a fresh /proc and an own TCP established hash of ${fmtN(ehash())} buckets (net.ipv4.tcp_child_ehash_entries) and no TIME_WAIT buckets (so no leftovers between sizes): only the generated load is read, dumped and scanned`
      : '- Not isolated: every socket and process of the machine was sampled and scanned too',
    floorNote ? `- ${floorNote}` : '- C floors: bench/floor/*.c, `cc -O2`, whole-process',
    '',
  ];
}

const resultsPath = path.join(root, 'bench', 'RESULTS.md');
const filterResultsPath = path.join(root, 'bench', 'RESULTS-filter.md');
if (only === 'filter' && !flag('no-write') && !failures.length) {
  // The filter benchmark alone has a file of its own (RESULTS.md keeps the full run's tables).
  const at = sizes.includes(100000) ? 100000 : Math.max(...sizes);
  fs.writeFileSync(filterResultsPath, [...header('Benchmark results: filters (issue #14)'), ...filterSection(), ...filterTargets(at), ''].join('\n'));
  console.log('bench: wrote bench/RESULTS-filter.md');
} else if (only || flag('no-write') || failures.length) {
  console.log(`bench: RESULTS.md not written (${failures.length ? `${failures.length} failure(s)` : only ? `--only ${only}` : '--no-write'})`);
  if (!only && !failures.length) console.log(report().join('\n'));
  if (only === 'filter' && !failures.length) {
    const at = sizes.includes(100000) ? 100000 : Math.max(...sizes);
    console.log(['', ...filterSection(), ...filterTargets(at)].join('\n'));
  }
} else {
  let notes = '<!-- notes -->\n<!-- /notes -->';
  try {
    const old = fs.readFileSync(resultsPath, 'utf8');
    const m = /<!-- notes -->[\s\S]*?<!-- \/notes -->/.exec(old);
    if (m) notes = m[0];
  } catch { /* first run */ }
  fs.writeFileSync(resultsPath, [...report(), '## Notes', '', notes, ''].join('\n'));
  console.log('bench: wrote bench/RESULTS.md');
}
process.exit(failures.length ? 1 : 0);
