#!/usr/bin/env node
// netsnap at ten times the usual scale (issue #18, item 4): 100,000, 500,000 and 1,000,000 TCP
// sockets from bench/loadgen.mjs (at most 16,000 per holder process: 64 holders at 1M), each size in
// turn, side by side in one run:
//   - in process, each in a fresh child (`node --expose-gc bench/scale.mjs --child …`): the live sample of
//     tcp + tcp6 with and without owners, native (/proc and netlink sources) and TypeScript (/proc);
//     the first sample of the child gives its peak RSS growth (VmHWM less the RSS before it) beside
//     the bytes of the table and of the owner index it returned; then warm samples give the time;
//   - whole process, interleaved rounds: `netsnap -tan`, `netsnap -tanp`, `ss -tan`, `ss -tanp` (each run
//     cut at --ss-p-cap seconds, default 60, and then reported as "> N s"), `node -e 0` and the C floors,
//     with peak RSS from /usr/bin/time where it is installed;
//   - per-socket cost at each size, against the smallest.
//
//   npm run build && node bench/scale.mjs [--sizes 100000,500000,1000000] [--runs 3] [--ss-p-cap 60] [--no-write] [--no-isolate]
//
// Writes bench/RESULTS-scale.md (its notes block is kept) when every size ran without a failure.
// Isolated like run.mjs (own network and PID namespaces, no TIME_WAIT between sizes). About 12 min.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { startLoad } from './loadgen.mjs';
import { isolated, reRunIsolated } from './isolate.mjs';
import { buildFloors, fmtN, liveTcpSockets, loadSlot, machine, median, ms, now, ratio, rounds, rx, writeResults } from './common.mjs';

const self = fileURLToPath(import.meta.url);
const root = path.resolve(path.dirname(self), '..');
const require = createRequire(import.meta.url);
const argv = process.argv.slice(2);
const MiB = 2 ** 20;

// ---------------------------------------------------------------------------------------------
// Child: one variant's samples in a process of its own, so that its peak RSS is the sample's.
if (argv[0] === '--child') {
  const spec = JSON.parse(argv[1]);
  // Where native owner scans look (src/backends/native.ts reads it when it loads the addon).
  if (spec.ownerSource) process.env.NETSNAP_OWNER_SOURCE = spec.ownerSource;
  const { jsBackend } = require(path.join(root, 'dist/backends/js/index.js'));
  const { loadNative } = require(path.join(root, 'dist/backends/native.js'));
  const b = spec.backend === 'js' ? jsBackend : loadNative().backend;
  const request = {
    netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: spec.owners, procRoot: '/proc',
    littleEndian: os.endianness() === 'LE', source: spec.source,
  };
  globalThis.gc();
  // The peak is VmHWM, reset to the RSS now (clear_refs 5). Not getrusage's maxrss: that one keeps
  // the high-water mark of the image before exec, here a fork of the (much bigger) bench process.
  const status = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]) * 1024;
  fs.writeFileSync('/proc/self/clear_refs', '5');
  const before = status('VmRSS');
  let t = now();
  let r = b.sample(request);
  const cold = now() - t;
  const peak = status('VmHWM');
  // The memory the result holds: every typed array's buffer once (a table's columns share one).
  const buffers = (o) => {
    const seen = new Set();
    for (const v of Object.values(o ?? {})) {
      if (ArrayBuffer.isView(v)) seen.add(v.buffer);
      else if (v instanceof ArrayBuffer) seen.add(v);
      else if (v && typeof v === 'object' && !Array.isArray(v)) for (const w of Object.values(v)) if (ArrayBuffer.isView(w)) seen.add(w.buffer);
    }
    return [...seen].reduce((n, x) => n + x.byteLength, 0);
  };
  const out = {
    rows: r.files.reduce((n, f) => n + (f.table?.count ?? 0), 0),
    sources: r.files.map((f) => f.source),
    errors: r.files.map((f) => f.error).filter(Boolean),
    tableBytes: r.files.reduce((n, f) => n + buffers(f.table), 0),
    ownerBytes: buffers(r.owners),
    owned: r.owners?.socketFds ?? 0,
    cold, growth: Math.max(0, peak - before), rssBefore: before, warm: [],
  };
  r = null;
  for (let i = 0; i < spec.runs; i++) {
    globalThis.gc();
    t = now();
    b.sample(request);
    out.warm.push(now() - t);
  }
  if (spec.backend !== 'js') {
    const state = require(loadNative().path).ownerSource();
    out.viaBpf = state.bpfScans > 0;
    out.bpfError = state.bpfError;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Parent.
const flag = (name) => argv.includes(`--${name}`);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const known = new Set(['sizes', 'runs', 'ss-p-cap', 'no-write', 'no-isolate']);
for (let i = 0; i < argv.length; i++) {
  if (!argv[i].startsWith('--') || !known.has(argv[i].slice(2))) {
    console.error(`bench/scale: unknown argument ${argv[i]}\nusage: node bench/scale.mjs [--sizes 100000,500000,1000000] [--runs 3] [--ss-p-cap 60] [--no-write] [--no-isolate]`);
    process.exit(64);
  }
  if (!['no-write', 'no-isolate'].includes(argv[i].slice(2))) i++;
}
const sizes = opt('sizes', '100000,500000,1000000').split(',').filter(Boolean).map(Number);
const runs = Number(opt('runs', '3'));
const ssPCapMs = Number(opt('ss-p-cap', '60')) * 1000;
if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 2) || !(runs >= 1) || !(ssPCapMs > 0)) {
  console.error('bench/scale: --sizes wants integers >= 2, --runs and --ss-p-cap positive numbers');
  process.exit(64);
}
const PER_HOLDER = 16000; // sockets per load-generator process (each holds one fd per socket)

if (!flag('no-isolate') && !reRunIsolated(self, argv) && !isolated) {
  console.error('bench/scale: not root or no unshare(1): measuring the machine as it is (other sockets and processes included)');
}

const cli = path.join(root, 'dist/cli/main.js');
if (!fs.existsSync(cli)) {
  console.error('bench/scale: dist/ is not built (npm run build)');
  process.exit(1);
}
const started = new Date();
const t00 = now();
const loadAtStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const failures = [];
const fail = (what, err) => {
  failures.push(`${what}: ${err?.message ?? err}`);
  console.error(`bench/scale: FAILED ${what}: ${err?.message ?? err}`);
};
const loads = loadSlot('bench/scale');

const { floors, note: floorNote } = buildFloors();
const timeBin = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const rssFile = path.join(os.tmpdir(), `netsnap-scale-rss-${process.pid}`);

// The owners from a readlink per /proc/PID/fd/N (NETSNAP_OWNER_SOURCE=proc), as before the BPF iterator.
const PROC_TANP = 'netsnap -tanp, owners from /proc/PID/fd';
const PROC_SAMPLE = 'native, with owners from /proc/PID/fd, /proc';

/** Whole-process commands: [name, cmd, args, capMs]. */
function commands() {
  const c = [
    ['netsnap -tan', process.execPath, [cli, '-tan']],
    ['netsnap -tanp', process.execPath, [cli, '-tanp']],
    [PROC_TANP, 'env', ['NETSNAP_OWNER_SOURCE=proc', process.execPath, cli, '-tanp']],
    ['ss -tan', 'ss', ['-tan']],
    ['ss -tanp', 'ss', ['-tanp'], ssPCapMs],
    ['node -e 0', process.execPath, ['-e', '0']],
  ];
  if (floors.read_floor) c.push(['C read floor', floors.read_floor, []]);
  if (floors.fdscan_floor) c.push(['C fd-scan floor', floors.fdscan_floor, []]);
  if (floors.netlink_floor) c.push(['C netlink floor', floors.netlink_floor, []]);
  return c;
}

function benchProcess(n, row) {
  const rss = new Map();
  const variants = commands().map(([name, cmd, args, capMs = 180000]) => ({
    name,
    // A capped command runs once more only if it finished within its cap.
    maxRuns: capMs < 180000 ? runs : Infinity,
    run() {
      // timeout(1) kills the command itself at its cap (a signal to /usr/bin/time would leave it running).
      const capped = ['timeout', '-s', 'KILL', String(capMs / 1000), cmd, ...args];
      const [file, fileArgs] = timeBin ? [timeBin, ['-f', '%M', '-o', rssFile, ...capped]] : [capped[0], capped.slice(1)];
      const r = spawnSync(file, fileArgs, { stdio: ['ignore', 'ignore', 'pipe'], timeout: capMs + 30000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
      if (r.status === 137 && capMs < 180000) throw Object.assign(new Error('over its cap'), { overMs: capMs });
      if (r.error) throw r.error;
      if (r.signal) throw new Error(`killed by ${r.signal}`);
      if (r.status !== 0) throw new Error(`exited ${r.status}: ${String(r.stderr).trim().slice(0, 300)}`);
      if (timeBin) {
        const kb = Number(fs.readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        if (Number.isFinite(kb)) rss.set(name, [...(rss.get(name) ?? []), kb * 1024]);
      }
    },
  }));
  for (const v of variants) if (['netsnap -tan', 'node -e 0'].includes(v.name)) v.run(); // warm the page cache
  rss.clear();
  const t = rounds(variants, { minRounds: runs, maxRounds: runs, budgetMs: Infinity, onFail: (name, e) => fail(`${fmtN(n)}: ${name}`, e) });
  row.proc = {};
  for (const v of variants) {
    row.proc[v.name] = { med: median(t.get(v.name)), runs: t.get(v.name).length, overMs: v.overMs ?? null, rss: median(rss.get(v.name) ?? []) };
    const p = row.proc[v.name];
    console.log(`  ${v.name.padEnd(18)} ${p.overMs ? `> ${p.overMs / 1000} s` : `${ms(p.med)} ms`}${Number.isFinite(p.rss) ? `, peak RSS ${(p.rss / MiB).toFixed(1)} MiB` : ''}`);
  }
}

const sampleVariants = [
  { name: 'native, no owners, /proc', backend: 'native', owners: false, source: 'proc' },
  { name: 'native, with owners, /proc', backend: 'native', owners: true, source: 'proc' },
  { name: 'native, no owners, netlink', backend: 'native', owners: false, source: 'netlink' },
  { name: 'native, with owners, netlink', backend: 'native', owners: true, source: 'netlink' },
  { name: PROC_SAMPLE, backend: 'native', owners: true, source: 'proc', ownerSource: 'proc' },
  { name: 'native, with owners from /proc/PID/fd, netlink', backend: 'native', owners: true, source: 'netlink', ownerSource: 'proc' },
  { name: 'js, no owners, /proc', backend: 'js', owners: false, source: 'proc' },
  { name: 'js, with owners, /proc', backend: 'js', owners: true, source: 'proc' },
];

function benchSample(n, row) {
  row.sample = {};
  for (const v of sampleVariants) {
    const r = spawnSync(process.execPath, ['--expose-gc', self, '--child', JSON.stringify({ ...v, runs })],
      { encoding: 'utf8', timeout: 600000, killSignal: 'SIGKILL', maxBuffer: 1 << 20 });
    let out = null;
    try {
      out = JSON.parse(r.stdout.trim().split('\n').pop());
    } catch { /* below */ }
    if (r.status !== 0 || !out) {
      fail(`${fmtN(n)}: ${v.name}`, new Error(`child ${r.signal ?? `exited ${r.status}`}: ${(r.stderr ?? '').trim().slice(0, 300)}`));
      continue;
    }
    if (out.errors.length) fail(`${fmtN(n)}: ${v.name}`, new Error(`file errors ${out.errors.join(', ')}`));
    if (v.source === 'netlink' && out.sources.some((s) => s !== 'netlink')) fail(`${fmtN(n)}: ${v.name}`, new Error(`read from ${out.sources.join(', ')}`));
    out.med = median(out.warm);
    row.sample[v.name] = out;
    console.log(`  ${v.name.padEnd(30)} ${ms(out.med)} ms (cold ${ms(out.cold)}), rows ${fmtN(out.rows)}, owned fds ${fmtN(out.owned)}${v.owners && v.backend === 'native' ? ` (${out.viaBpf ? 'BPF iterator' : '/proc/PID/fd'})` : ''}; `
      + `peak RSS growth ${(out.growth / MiB).toFixed(1)} MiB for a table of ${(out.tableBytes / MiB).toFixed(1)} MiB + owner index ${(out.ownerBytes / MiB).toFixed(1)} MiB`);
  }
}

/** Waits (at most 120 s) until the previous load's sockets are gone from the table. */
async function drained(limit) {
  for (let i = 0; i < 240; i++) {
    if (liveTcpSockets() <= limit) return true;
    await new Promise((r) => setTimeout(r, 500));
  }
  return liveTcpSockets() <= limit;
}

const results = [];
try {
  for (const n of sizes) {
    const workers = Math.max(16, Math.ceil(n / PER_HOLDER));
    console.log(`bench/scale: ${fmtN(n)} sockets in ${workers} holder processes`);
    if (!(await drained(1000))) fail(`${fmtN(n)}`, new Error(`${fmtN(liveTcpSockets())} sockets of the load before still in the table`));
    const t0 = now();
    try {
      loads.set(await startLoad(n, { workers, idleProcs: 200, idleFds: 20, seconds: 3600, readyTimeout: Math.max(300, n / 2500) }));
    } catch (e) {
      fail(`${fmtN(n)}: load`, e);
      continue;
    }
    const row = { sockets: n, workers, setupS: (now() - t0) / 1000, live: liveTcpSockets() };
    console.log(`  ready in ${row.setupS.toFixed(0)} s; ${fmtN(row.live)} rows in /proc/net/tcp{,6}`);
    benchProcess(n, row);
    benchSample(n, row);
    results.push(row);
    await loads.stop();
  }
} finally {
  await loads.stop();
  fs.rmSync(rssFile, { force: true });
}

// ---------------------------------------------------------------------------------------------
// RESULTS-scale.md
function report() {
  const cmd = `node bench/scale.mjs${argv.length ? ` ${argv.join(' ')}` : ''}`;
  const mib = (b) => (Number.isFinite(b) ? `${(b / MiB).toFixed(1)}` : '–');
  const procMs = (p) => (!p ? '–' : p.overMs ? `> ${fmtN(p.overMs / 1000)} s` : ms(p.med));
  const own = (r, name) => r.proc?.[name]?.med - r.proc?.['node -e 0']?.med;
  const floorsOf = (r) => r.proc?.['C read floor']?.med + r.proc?.['C fd-scan floor']?.med;
  const big = results.find((r) => r.sockets === 1000000) ?? results[results.length - 1];
  const target = (what, x, goal, fmt = rx) => `| ${what} | ≤ ${fmt(goal)} | ${fmt(x)} | ${!Number.isFinite(x) ? 'not measured' : x <= goal ? 'met' : 'missed'} |`;
  const growthGoal = (s) => 1.5 * (s.tableBytes + s.ownerBytes) + 64 * MiB;
  const out = [
    '# netsnap at 100,000 to 1,000,000 sockets',
    '',
    `Written by \`${cmd}\` (bench/scale.mjs); re-run it to refresh. One run, every size in turn; medians of`,
    `${runs} interleaved rounds (whole process) or ${runs} warm samples (in process). The machine is shared and noisy.`,
    '',
    `- Date: ${started.toISOString()} (took ${((now() - t00) / 60000).toFixed(1)} min)`,
    `- Machine: ${machine()}; load average ${loadAtStart} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`,
    `- Load: bench/loadgen.mjs: established loopback TCP connections, both ends counted, 3/4 IPv4, at most ${fmtN(PER_HOLDER)} sockets per holder process, and 200 idle processes with 20 fds each`,
    isolated
      ? '- Isolated: own network and PID namespaces with a fresh /proc and no TIME_WAIT (as bench/run.mjs): only the generated load is read, dumped and scanned'
      : '- Not isolated: every socket and process of the machine was read too',
    `- ${floorNote || 'C floors: bench/floor/*.c, `cc -O2`, whole-process, one thread'}; peak RSS of whole processes: ${timeBin ? '`/usr/bin/time -f %M`' : 'not measured (no /usr/bin/time)'}`,
    '- In process: `backend.sample({ files: [\'tcp\', \'tcp6\'], owners, source })` from dist/, each variant in a fresh `node --expose-gc` child:',
    '  its first (cold) sample gives the peak RSS growth (VmHWM, reset by `clear_refs` just before, less VmRSS then), the table and',
    '  owner index bytes are those of the typed arrays it returned; then the warm samples (after a gc) give the median time.',
    '',
  ];
  if (big) {
    const s = big.sample?.['native, with owners, /proc'];
    out.push(
      `## Targets (issue #18), at ${fmtN(big.sockets)} sockets`,
      '',
      '| target | goal | result | verdict |',
      '| --- | ---: | ---: | --- |',
      target('in-process sample with owners (native, /proc) / (C read floor + C fd-scan floor)', ratio(s?.med, floorsOf(big)), 0.6),
      target('the same, netlink source', ratio(big.sample?.['native, with owners, netlink']?.med, floorsOf(big)), 0.6),
      target('in-process sample with owners from /proc/PID/fd (native, /proc, as without the BPF iterator) / (C read floor + C fd-scan floor)', ratio(big.sample?.[PROC_SAMPLE]?.med, floorsOf(big)), 0.6),
      `| peak RSS growth of that sample (/proc) ≤ 1.5 × (table + owner index) + 64 MiB | ≤ ${mib(s ? growthGoal(s) : NaN)} MiB | ${mib(s?.growth)} MiB | ${!s ? 'not measured' : s.growth <= growthGoal(s) ? 'met' : 'missed'} |`,
      '',
      `The native samples with owners found them ${s?.viaBpf ? 'through the kernel\'s BPF task_file iterator' : `in /proc/PID/fd${s?.bpfError ? ` (BPF: ${s.bpfError})` : ''}`}, except the two "from /proc/PID/fd" (\`NETSNAP_OWNER_SOURCE=proc\`); the TypeScript backend reads /proc/PID/fd, and the TS / native column compares it with the native sample doing the same.`,
      '',
    );
  }
  out.push(
    '## Whole process',
    '',
    `Median wall ms; own time = the median less \`node -e 0\`'s; \`ss -tanp\` runs are cut at ${ssPCapMs / 1000} s.`,
    '',
    '| sockets (holders, ready in) | netsnap -tan | own | ss -tan | own -tan / ss -tan | netsnap -tanp | own | -tanp, owners from /proc/PID/fd | ss -tanp | -tanp / ss -tanp | node -e 0 | C read floor | C fd-scan floor | C netlink floor |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => {
      const P = r.proc ?? {};
      const ssp = P['ss -tanp'];
      const tanpRatio = ssp?.overMs ? `< ${rx(ratio(P['netsnap -tanp']?.med, ssp.overMs))}` : rx(ratio(P['netsnap -tanp']?.med, ssp?.med));
      return `| ${fmtN(r.sockets)} (${r.workers}, ${r.setupS.toFixed(0)} s) | ${procMs(P['netsnap -tan'])} | ${ms(own(r, 'netsnap -tan'))} | ${procMs(P['ss -tan'])} | ${rx(ratio(own(r, 'netsnap -tan'), P['ss -tan']?.med))} | ${procMs(P['netsnap -tanp'])} | ${ms(own(r, 'netsnap -tanp'))} | ${procMs(P[PROC_TANP])} | ${procMs(ssp)} | ${tanpRatio} | ${procMs(P['node -e 0'])} | ${procMs(P['C read floor'])} | ${procMs(P['C fd-scan floor'])} | ${procMs(P['C netlink floor'])} |`;
    }),
    '',
    'Peak RSS of the whole process, MiB:',
    '',
    '| sockets | netsnap -tan | netsnap -tanp | ss -tan | ss -tanp | node -e 0 |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...results.map((r) => `| ${fmtN(r.sockets)} | ${['netsnap -tan', 'netsnap -tanp', 'ss -tan', 'ss -tanp', 'node -e 0'].map((k) => mib(r.proc?.[k]?.rss)).join(' | ')} |`),
    '',
    '## In process',
    '',
    `Median ms of ${runs} warm samples (the cold first sample in brackets):`,
    '',
    `| sockets (rows seen) | ${sampleVariants.map((v) => v.name).join(' | ')} | TS / native, owners | native owners / (read + fd-scan floors) |`,
    `| --- | ${sampleVariants.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...results.map((r) => {
      const S = r.sample ?? {};
      const rows = S['native, no owners, /proc']?.rows;
      return `| ${fmtN(r.sockets)} (${rows !== undefined ? fmtN(rows) : '–'}) | ${sampleVariants.map((v) => (S[v.name] ? `${ms(S[v.name].med)} (${ms(S[v.name].cold)})` : '–')).join(' | ')} | ${rx(ratio(S['js, with owners, /proc']?.med, S[PROC_SAMPLE]?.med))} | ${rx(ratio(S['native, with owners, /proc']?.med, floorsOf(r)))} |`;
    }),
    '',
    'Peak RSS growth of the cold sample against what it returned, MiB: growth / (table + owner index), and the goal 1.5 × (table + owner index) + 64 MiB:',
    '',
    `| sockets | ${sampleVariants.map((v) => v.name).join(' | ')} |`,
    `| --- | ${sampleVariants.map(() => '---').join(' | ')} |`,
    ...results.map((r) => `| ${fmtN(r.sockets)} | ${sampleVariants.map((v) => {
      const s = r.sample?.[v.name];
      return s ? `${mib(s.growth)} / (${mib(s.tableBytes)} + ${mib(s.ownerBytes)}), goal ${mib(growthGoal(s))}: ${s.growth <= growthGoal(s) ? 'met' : 'missed'}` : '–';
    }).join(' | ')} |`),
    '',
    '## How the cost grows',
    '',
    `Microseconds per socket at each size (median ms / sockets); in brackets, against the smallest size (${fmtN(results[0]?.sockets ?? 0)}): 1.00× is a flat per-socket cost.`,
    '',
  );
  const series = [
    ...['netsnap -tan', 'netsnap -tanp', PROC_TANP].map((k) => [`${k} (whole process, own time)`, (r) => own(r, k)]),
    ...['ss -tan', 'C read floor', 'C fd-scan floor'].map((k) => [`${k} (whole process)`, (r) => r.proc?.[k]?.med]),
    ...sampleVariants.map((v) => [`${v.name} (in process)`, (r) => r.sample?.[v.name]?.med]),
  ];
  out.push(
    `| | ${results.map((r) => fmtN(r.sockets)).join(' | ')} |`,
    `| --- | ${results.map(() => '---:').join(' | ')} |`,
    ...series.map(([name, f]) => {
      const base = results[0] ? f(results[0]) / results[0].sockets : NaN;
      return `| ${name} | ${results.map((r) => {
        const per = f(r) / r.sockets;
        return `${Number.isFinite(per) ? (per * 1000).toFixed(2) : '–'} (${rx(ratio(per, base))})`;
      }).join(' | ')} |`;
    }),
    '',
  );
  return out;
}

console.log(`bench/scale: done in ${((now() - t00) / 60000).toFixed(1)} min`);
if (flag('no-write') || failures.length || results.length !== sizes.length) {
  console.log(`bench/scale: RESULTS-scale.md not written (${failures.length ? `${failures.length} failure(s)` : flag('no-write') ? '--no-write' : 'a size did not run'})`);
  console.log(report().join('\n'));
} else {
  writeResults('RESULTS-scale.md', report(),
    '**netsnap at 100,000 to 1,000,000 sockets:** see [RESULTS-scale.md](RESULTS-scale.md) (`node bench/scale.mjs`).');
  console.log('bench/scale: wrote bench/RESULTS-scale.md');
}
process.exit(failures.length ? 1 : 0);
