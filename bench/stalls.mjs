// Where the event loop's stalls come from during back-to-back native `sampleAsync` with owners, at
// --sockets (default 100,000; bench/loadgen.mjs), with new tables each time (bench/run.mjs's first lag
// row), with new tables trimmed to their rows (`trim`, as sample() in src/backends/snapshot.ts asks)
// and with the tables of the sample before the last filled again (`reuse`, as src/services/sampler.ts
// does), from /proc (run.mjs's first row) and from netlink (what sample() and the samplers use). While
// the samples run, `perf record` takes the scheduler's switch and wakeup events on every CPU, with call
// chains (bench/perf-sched.mjs reads them). Each gap of a 1 ms timer over --stall-ms (default 10) is
// split into the main thread on a CPU (and how much of that was GC), runnable but waiting for a CPU,
// asleep (and where), and what perf did not record; the waiting time, by what ran on each CPU
// meanwhile: this process's threads (the sample's, by the names they carry while they work, apart from
// V8's and libuv's), kernel threads, other processes (by name and nice), or nothing.
//
//   npm run build && node bench/stalls.mjs [--sockets 100000] [--samples 60] [--stall-ms 10] [--keep DIR] [--no-write]
//
// --keep DIR keeps the perf files there (one per variant) and gives each listed stall its start in
// perf's clock, for `perf script -i DIR/netlink-reuse.data --time START,END`.
//
// Needs root (perf on every CPU) and perf; measures the machine as it is (no isolation: the point
// is what else runs on it). Writes bench/RESULTS-stalls.md; --no-write prints only.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { constants as perfConstants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { startLoad } from './loadgen.mjs';
import { overlap, parsePerfSched, queuedOnIdle } from './perf-sched.mjs';
import { backToBack, fmtN, loadSlot, machine, ms, now, writeResults } from './common.mjs';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const argv = process.argv.slice(2);
const known = new Set(['sockets', 'samples', 'stall-ms', 'keep', 'no-write', 'no-give-way', 'give-way-ab']);
for (const a of argv) {
  if (a.startsWith('--') && !known.has(a.slice(2))) {
    console.error(`stalls.mjs: unknown option ${a}`);
    process.exit(2);
  }
}
const opt = (name, dflt, min, max) => {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(argv[i + 1]);
  if (!Number.isInteger(v) || v < min || v > max) {
    console.error(`stalls.mjs: --${name} must be a whole number from ${min} to ${max}`);
    process.exit(2);
  }
  return v;
};
const nSockets = opt('sockets', 100000, 1000, 1000000);
const nSamples = opt('samples', 60, 5, 1000);
const stallMs = opt('stall-ms', 10, 2, 1000);
const noWrite = argv.includes('--no-write');
const keepDir = (() => {
  const i = argv.indexOf('--keep');
  return i < 0 ? null : path.resolve(argv[i + 1] ?? '.');
})();

if (process.getuid?.() !== 0) {
  console.error('stalls.mjs: needs root (perf records the scheduler on every CPU)');
  process.exit(2);
}
if (spawnSync('perf', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.error('stalls.mjs: needs perf (apt-get install linux-perf)');
  process.exit(2);
}

const require = createRequire(import.meta.url);
const { loadNative } = require(path.join(root, 'dist/backends/native.js'));
const native = loadNative();
if (!native.backend) {
  console.error(`stalls.mjs: the addon did not load (${native.error?.message ?? 'unknown'}); run npm run build:native`);
  process.exit(2);
}
const backend = native.backend;
// The sample's threads give their CPU to a waiting event loop (native/give_way.h) unless --no-give-way;
// --give-way-ab runs every variant twice in a row, with and then without.
const hooks = require(native.path);
const giveWayModes = argv.includes('--give-way-ab') ? [true, false] : [!argv.includes('--no-give-way')];
const sleep = (t) => new Promise((r) => setTimeout(r, t));

/** Starts `perf record` of switches and wakeups on every CPU; stop() ends it and returns its file. */
async function startPerf(file) {
  const child = spawn('perf', ['record', '-q', '-k', 'mono', '-g', '-a', '-e', 'sched:sched_switch', '-e', 'sched:sched_waking', '-e', 'sched:sched_wakeup', '-o', file], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => child.on('exit', (code, sig) => r({ code, sig })));
  // perf opens its events, then records; nothing says when, so give it time (bounded).
  const early = await Promise.race([exited, sleep(1500).then(() => null)]);
  if (early) throw new Error(`perf record exited early (${early.code ?? early.sig}): ${err.trim()}`);
  return {
    pid: child.pid,
    async stop() {
      child.kill('SIGINT');
      const t = setTimeout(() => child.kill('SIGKILL'), 30000);
      const r = await exited;
      clearTimeout(t);
      if (r.code !== 0 && r.sig !== 'SIGINT') throw new Error(`perf record failed (${r.code ?? r.sig}): ${err.trim()}`);
    },
  };
}

/** parsePerfSched() over a perf file. */
function scheduleOf(file, mainTid) {
  const r = spawnSync('perf', ['script', '-i', file, '-F', 'pid,tid,cpu,time,event,trace,ip,sym'], { maxBuffer: 1 << 30, encoding: 'latin1' });
  if (r.status !== 0) throw new Error(`perf script failed: ${r.stderr}`);
  return parsePerfSched(r.stdout, mainTid);
}


/** A task's class: this process, the recorder, a kernel thread, another process, gone, unrecorded, or idle. */
function classify(task, perfPid) {
  if (task.tid === 0) return 'idle';
  if (task.tid === -1) return 'unrecorded';
  if (task.tid === perfPid) return 'perf';
  if (task.ours || task.pid === process.pid) return 'self';
  let stat = null;
  try {
    stat = fs.readFileSync(`/proc/${task.tid}/stat`, 'latin1');
  } catch { /* gone, or not in this PID namespace */ }
  if (stat !== null) {
    const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
    return (flags & 0x00200000) !== 0 ? 'kernel' : 'other'; // PF_KTHREAD
  }
  // Not in /proc here: a kernel worker or a process that exited, or a task outside this PID namespace.
  if (/^(kworker|ksoftirqd|migration|rcu_|kcompactd|kswapd|khugepaged|kdamond|cpuhp|idle_inject|watchdog)/.test(task.comm)) return 'kernel';
  return 'unseen';
}

const CLASSES = ['sample', 'self', 'kernel', 'other', 'unseen', 'unrecorded', 'perf', 'idle'];
const CLASS_NAMES = {
  sample: "the sample's threads", self: 'this process, its other threads (V8\'s, libuv\'s)', kernel: 'kernel threads', other: 'other processes', unseen: 'gone (exited, or outside this PID namespace)',
  unrecorded: 'unrecorded (a task perf cannot see)', perf: 'perf (the recorder)', idle: 'nothing (CPU idle)',
};
const niceOf = (prio) => prio - 120;
/**
 * The class of a task's span: its task's, except that this process's threads are the sample's while
 * they carry its names (netsnap-sample, the libuv thread running it; netsnap-worker, those it makes).
 */
const classOf = (t, comm) => (t.cls === 'self' && comm.startsWith('netsnap-') ? 'sample' : t.cls);
/** A task's span as the report names it. */
const labelOf = (t, comm) => {
  const cls = classOf(t, comm);
  if (cls === 'unrecorded' && t.after !== undefined) return `unrecorded, after a switch to ${t.comm} (nice ${niceOf(t.prio)}; a task perf cannot see)`;
  return ['idle', 'unrecorded', 'perf'].includes(cls) ? CLASS_NAMES[cls] : `${comm} (${CLASS_NAMES[cls]}, nice ${niceOf(t.prio)})`;
};

const hr = () => Number(process.hrtime.bigint()) / 1e6; // CLOCK_MONOTONIC ms, perf's clock with -k mono

const HOW_NAMES = { new: 'new tables', trim: 'new tables, trimmed', reuse: 'tables reused' };
async function measure(source, how, perfFile, giveWay) {
  hooks.setGiveWay(giveWay);
  const name = `${source}, ${HOW_NAMES[how]}${giveWay ? '' : ', not giving way'}`;
  const request = { netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: true, procRoot: '/proc', littleEndian: os.endianness() === 'LE', source };
  const next = await backToBack(backend, request, how);
  const ourTids = new Set();
  const gcs = [];
  const toHr = hr() - performance.now();
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ from: e.startTime + toHr, to: e.startTime + e.duration + toHr, major: e.detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR });
  });
  obs.observe({ entryTypes: ['gc'] });
  const perf = await startPerf(perfFile);
  const h = monitorEventLoopDelay({ resolution: 1 });
  const gaps = []; // the 1 ms timer's gaps over stallMs: { from, to } in monotonic ms
  let last = hr();
  let maxGap = 0;
  const timer = setInterval(() => {
    const t = hr();
    const gap = t - last - 1;
    if (gap > stallMs) gaps.push({ from: last, to: t });
    maxGap = Math.max(maxGap, gap);
    last = t;
  }, 1);
  h.enable();
  const t0 = now();
  for (let i = 0; i < nSamples; i++) {
    await next();
    for (const t of fs.readdirSync('/proc/self/task')) ourTids.add(Number(t));
  }
  const perSample = (now() - t0) / nSamples;
  h.disable();
  clearInterval(timer);
  await perf.stop();
  obs.disconnect();
  const sch = scheduleOf(perfFile, process.pid);
  for (const t of sch.tasks.values()) {
    t.ours = ourTids.has(t.tid);
    t.cls = classify(t, perf.pid);
  }
  const mainKey = String(process.pid);
  const mainRuns = sch.spans.filter((sp) => sp.key === mainKey);
  const stalls = gaps.map(({ from, to }) => {
    const onCpu = mainRuns.reduce((a, sp) => a + overlap(from, to, sp.from, sp.to), 0);
    const waitSpans = sch.waits.map((w) => ({ from: Math.max(from, w.from), to: Math.min(to, w.to) })).filter((w) => w.to > w.from);
    const waiting = waitSpans.reduce((a, w) => a + w.to - w.from, 0);
    const idleQueued = queuedOnIdle(sch, from, to); // of `waiting`: on a CPU that ran nothing (the VM's host did not run it)
    const gc = gcs.reduce((a, g) => a + overlap(from, to, g.from, g.to), 0);
    const held = new Map(); // "cpu\tkey\tcomm" -> ms of the waiting time
    for (const w of waitSpans) {
      for (const sp of sch.spans) {
        const o = overlap(w.from, w.to, sp.from, sp.to);
        const k = `${sp.cpu}\t${sp.key}\t${sp.comm}`;
        if (o > 0) held.set(k, (held.get(k) ?? 0) + o);
      }
    }
    const slept = new Map(); // site -> ms asleep there
    for (const z of sch.sleeps) {
      const o = overlap(from, to, z.from, z.to);
      if (o > 0) slept.set(z.site, (slept.get(z.site) ?? 0) + o);
    }
    const asleep = [...slept.values()].reduce((a, v) => a + v, 0);
    return { from, to, ms: to - from - 1, onCpu, waiting, idleQueued, asleep, unknown: Math.max(0, to - from - onCpu - waiting - asleep), gc, held, slept };
  });
  const byClass = Object.fromEntries(CLASSES.map((c) => [c, 0]));
  const byTask = new Map();
  const bySite = new Map();
  for (const st of stalls) {
    for (const [k, v] of st.held) {
      const [, key, comm] = k.split('\t');
      const task = sch.tasks.get(key);
      byClass[classOf(task, comm)] += v;
      const label = labelOf(task, comm);
      byTask.set(label, (byTask.get(label) ?? 0) + v);
    }
    for (const [site, v] of st.slept) bySite.set(site, (bySite.get(site) ?? 0) + v);
  }
  const sum = (f) => stalls.reduce((a, st) => a + f(st), 0);
  const row = {
    name, perSample, events: sch.events, p50: h.percentile(50) / 1e6, p99: h.percentile(99) / 1e6, max: Math.max(h.max / 1e6, maxGap),
    gcCount: gcs.length, gcMajor: gcs.filter((g) => g.major).length, gcMs: gcs.reduce((a, g) => a + g.to - g.from, 0),
    stalls, tasks: sch.tasks, byClass, byTask, bySite,
    stallMs: sum((st) => st.ms), onCpu: sum((st) => st.onCpu), waiting: sum((st) => st.waiting), idleQueued: sum((st) => st.idleQueued), asleep: sum((st) => st.asleep), unknown: sum((st) => st.unknown), gc: sum((st) => st.gc),
  };
  console.log(`${name}: ${nSamples} samples, ${ms(perSample)} ms each, ${row.gcCount} GCs (${row.gcMajor} major, ${ms(row.gcMs)} ms); lag p50 ${ms(row.p50)}, p99 ${ms(row.p99)}, max ${ms(row.max)} ms; ` +
    `${stalls.length} timer gaps > ${stallMs} ms (${ms(row.stallMs)} ms): main thread on a CPU ${ms(row.onCpu)} (GC ${ms(row.gc)}), waiting for one ${ms(row.waiting)} (queued on an idle CPU ${ms(row.idleQueued)}), ` +
    `asleep ${ms(row.asleep)}, unrecorded ${ms(row.unknown)}; while it waited the CPUs ran: ` + CLASSES.filter((c) => byClass[c] > 0).map((c) => `${CLASS_NAMES[c]} ${ms(byClass[c])}`).join(', '));
  return row;
}

const describe = (row, st) => {
  const held = new Map(); // "cpuN label" -> ms: a process's threads together
  for (const [k, v] of st.held) {
    const [cpu, key, comm] = k.split('\t');
    const name = `cpu${cpu} ${labelOf(row.tasks.get(key), comm)}`;
    held.set(name, (held.get(name) ?? 0) + v);
  }
  return `on a CPU ${ms(st.onCpu)} (GC ${ms(st.gc)}), waiting ${ms(st.waiting)} (queued on an idle CPU ${ms(st.idleQueued)}), asleep ${ms(st.asleep)}, unrecorded ${ms(st.unknown)}` +
    (held.size ? '; while it waited: ' + [...held.entries()].sort((a, b) => a[0].localeCompare(b[0]) || b[1] - a[1])
      .filter(([, v]) => v >= 0.1).map(([name, v]) => `${name} ${ms(v)}`).join('; ') : '') +
    (st.slept.size ? '; asleep in: ' + [...st.slept.entries()].sort((a, b) => b[1] - a[1]).filter(([, v]) => v >= 0.1).map(([site, v]) => `\`${site}\` ${ms(v)}`).join('; ') : '');
};

const slot = loadSlot('stalls.mjs');
const tmp = keepDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-stalls-'));
fs.mkdirSync(tmp, { recursive: true });
const rows = [];
let load;
try {
  load = slot.set(await startLoad(nSockets, { seconds: 1800, readyTimeout: Math.max(120, nSockets / 1000) }));
  console.log(`load: ${fmtN(load.sockets)} sockets`);
  for (const source of ['proc', 'netlink']) {
    for (const how of ['new', 'trim', 'reuse']) {
      for (const giveWay of giveWayModes) rows.push(await measure(source, how, path.join(tmp, `${source}-${how}${giveWay ? '' : '-no-give-way'}.data`), giveWay));
    }
  }
} finally {
  await slot.stop();
  if (keepDir === null) fs.rmSync(tmp, { recursive: true, force: true });
}

const cores = os.cpus().length;
const lines = [
  '# Event-loop stalls during async samples, and what caused them',
  '',
  `- Machine: ${machine()}`,
  `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  `- Load: ${fmtN(load.sockets)} TCP sockets (bench/loadgen.mjs); per variant ${nSamples} back-to-back native \`sampleAsync({ files: ['tcp', 'tcp6'], owners: true, source })\`,`,
  '  with new tables each time (as bench/run.mjs\'s first lag row), with new tables trimmed to their rows (`trim`, as sample() asks), or with the tables',
  '  of the sample before the last filled again (`reuse`, as the sampler does). The sample\'s threads give their CPU to the event loop when they',
  '  see it waiting for one (native/give_way.h)' + (giveWayModes.length > 1 ? '; each variant runs again right after without that (`not giving way`).' : giveWayModes[0] ? '.' : ': not in this run (`--no-give-way`).'),
  `- A stall: a gap of a 1 ms timer over ${stallMs} ms. \`perf record -k mono -g -a -e sched:sched_switch -e sched:sched_waking -e sched:sched_wakeup\` splits each into`,
  '  the main thread on a CPU (JavaScript, the conversion of the result, GC: `PerformanceObserver` \'gc\' entries), runnable and waiting for a CPU',
  '  (woken or preempted, not yet switched in; of it, queued on a CPU that ran nothing meanwhile: a guest\'s idle CPU runs a task woken onto it',
  '  within microseconds, so one that stays idle is a CPU the VM\'s host is not running), asleep (where: the call chain of its switch-out), and unrecorded: perf drops every event of a',
  '  task it cannot see (one in another PID namespace), so a switch from such a task to the main thread, or its wakeup on a CPU such a task held,',
  '  is missing. The four add up to the gap plus the 1 ms the timer waits anyway (mostly asleep in `epoll_pwait`). While the loop waits,',
  `  the ${cores} CPUs hold ${cores} × that time between them; the last columns split it by what ran: of this process, the sample's threads (by`,
  '  the names they carry while they work: `netsnap-sample`, the libuv thread that runs it, and `netsnap-worker`, the threads it makes) apart',
  '  from its other threads (V8\'s platform workers, which do its GC\'s parallel and concurrent work, and libuv\'s, all named `node`).',
  '',
  '| variant | ms/sample | GCs (major), ms | lag p50 | lag p99 | lag max | stalls | stall ms | on a CPU (GC) | waiting | of it, queued on an idle CPU | asleep | unrecorded | ' + CLASSES.map((c) => CLASS_NAMES[c]).join(' | ') + ' |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ' + CLASSES.map(() => '---:').join(' | ') + ' |',
  ...rows.map((r) => `| ${r.name} | ${ms(r.perSample)} | ${r.gcCount} (${r.gcMajor}), ${ms(r.gcMs)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.stalls.length} | ${ms(r.stallMs)} | ${ms(r.onCpu)} (${ms(r.gc)}) | ${ms(r.waiting)} | ${ms(r.idleQueued)} | ${ms(r.asleep)} | ${ms(r.unknown)} | ` +
    CLASSES.map((c) => ms(r.byClass[c])).join(' | ') + ' |'),
  '',
];
for (const r of rows) {
  if (!r.stalls.length) continue;
  lines.push(`### ${r.name}`, '');
  if (r.byTask.size) {
    lines.push('What the CPUs ran while the loop waited for one (ms, all stalls):', '');
    for (const [label, v] of [...r.byTask.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6)) lines.push(`- ${label}: ${ms(v)}`);
    lines.push('');
  }
  if (r.bySite.size) {
    lines.push('Where the main thread slept during stalls (ms, all stalls):', '');
    for (const [site, v] of [...r.bySite.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)) lines.push(`- \`${site}\`: ${ms(v)}`);
    lines.push('');
  }
  lines.push('The longest stalls (ms):', '');
  for (const st of [...r.stalls].sort((a, b) => b.ms - a.ms).slice(0, 3)) lines.push(`- ${ms(st.ms)}${keepDir ? ` (at ${(st.from / 1000).toFixed(6)} s)` : ''}: ${describe(r, st)}`);
  lines.push('');
}
console.log(lines.join('\n'));
if (!noWrite) {
  writeResults('RESULTS-stalls.md', lines, '**Where the async sample\'s event-loop stalls come from:** see [RESULTS-stalls.md](RESULTS-stalls.md) (`node bench/stalls.mjs`).');
  console.log('wrote bench/RESULTS-stalls.md');
}
