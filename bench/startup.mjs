#!/usr/bin/env node
// Start-up (issue #18): what netsnap adds to Node's own start, at 1,000 sockets. Interleaved over
// --rounds rounds (default 61; each round in a shuffled order): `node -e 0`, and `netsnap -tan` / `-tanp` run as `node FILE ARGS`
// three ways — dist/cli/main.js (the command: the bundle through the code cache, warmed by a first
// run), the same with NETSNAP_CODE_CACHE=0 (the bundle compiled every time), and dist/cli/cli.js
// (the modules, as before the bundle). "Own time" is a command's median less `node -e 0`'s; beside
// it the in-process time (from performance.nodeTiming.bootstrapComplete to exit, read by a preload),
// which does not depend on Node's noisy start. `--before DIR`: also DIR/dist/cli/main.js (another
// checkout, built, e.g. a worktree of the commit before a change), interleaved in the same rounds.
// Writes bench/RESULTS-startup.md (--no-write: prints; its notes block is kept).
//   npm run build && node bench/startup.mjs [--rounds 61] [--sockets 1000] [--before DIR] [--no-write] [--no-isolate]
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startLoad } from './loadgen.mjs';
import { isolated, reRunIsolated } from './isolate.mjs';
import { machine, median, writeResults } from './common.mjs';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : dflt;
};
const rounds = Number(opt('rounds', '61'));
const before = opt('before', null);
if (before !== null && !fs.existsSync(path.join(before, 'dist/cli/main.js'))) {
  console.error(`startup: --before ${before}: no dist/cli/main.js there (build that checkout first)`);
  process.exit(2);
}
const sockets = Number(opt('sockets', '1000'));
if (!(rounds >= 1 && rounds <= 1000) || !(sockets >= 0 && sockets <= 200000)) {
  console.error('startup: bad --rounds or --sockets');
  process.exit(2);
}
if (!argv.includes('--no-isolate')) reRunIsolated(new URL(import.meta.url).pathname, argv);
for (const f of ['dist/cli/main.js', 'dist/cli/cli.js', 'dist/cli/cli.bundle.js']) {
  if (!fs.existsSync(path.join(root, f))) {
    console.error(`startup: ${f} is missing: run npm run build first`);
    process.exit(2);
  }
}

// A private cache directory for the cached runs (warmed below), so the user's own is not touched.
const cacheHome = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-startup-'));
const preload = path.join(cacheHome, 'inproc.cjs');
const inprocFile = path.join(cacheHome, 'inproc.txt');
fs.writeFileSync(preload, `process.on('exit', () => {
  const { performance } = require('node:perf_hooks');
  require('node:fs').appendFileSync(${JSON.stringify(inprocFile)}, (performance.now() - performance.nodeTiming.bootstrapComplete).toFixed(3) + '\\n');
});\n`);

const main = path.join(root, 'dist/cli/main.js');
const modules = path.join(root, 'dist/cli/cli.js');
const env = { ...process.env, LANG: 'C', XDG_CACHE_HOME: cacheHome };
const commands = [{ name: 'node -e 0', args: ['-e', '0'], env }];
for (const flags of ['-tan', '-tanp']) {
  commands.push(
    { name: `netsnap ${flags} (bundle, code cache)`, args: [main, flags], env },
    { name: `netsnap ${flags} (bundle, no cache)`, args: [main, flags], env: { ...env, NETSNAP_CODE_CACHE: '0' } },
    { name: `netsnap ${flags} (modules)`, args: [modules, flags], env },
  );
  if (before !== null) commands.push({ name: `before: netsnap ${flags} (bundle, code cache)`, args: [path.join(path.resolve(before), 'dist/cli/main.js'), flags], env });
}

const ms = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');

function once(c, withPreload) {
  const args = withPreload ? ['-r', preload, ...c.args] : c.args;
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env: c.env, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60000 });
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.name}: exit ${r.status}: ${String(r.stderr).slice(0, 300)}`);
  return wall;
}

const started = new Date();
const loadAtStart = os.loadavg().map((x) => x.toFixed(1)).join(' ');
const load = sockets > 0 ? await startLoad(sockets, { workers: 4, idleProcs: 20, idleFds: 20, seconds: 1800, quiet: true }) : null;
// Where the time goes, from the outside: `-tan` over /proc files of no rows (the fixed part: Node
// loading our entry, the bundle through the code cache, the arguments, the addon, two file reads,
// the header), then over a copy of this load's /proc/net/tcp{,6} (plus the rows: read, parsed, formatted).
const rowsDir = (name, rows) => {
  const dir = path.join(cacheHome, name);
  fs.mkdirSync(path.join(dir, 'net'), { recursive: true });
  for (const f of ['tcp', 'tcp6']) {
    const text = fs.readFileSync(`/proc/net/${f}`, 'latin1');
    fs.writeFileSync(path.join(dir, 'net', f), rows ? text : text.slice(0, text.indexOf('\n') + 1), 'latin1');
  }
  return dir;
};
const copied = rowsDir('rows', true);
const copiedRows = ['tcp', 'tcp6'].reduce((n, f) => n + fs.readFileSync(path.join(copied, 'net', f), 'latin1').split('\n').length - 2, 0);
commands.push(
  { name: 'netsnap -tan --proc-root DIR (no rows)', args: [main, '-tan', '--proc-root', rowsDir('empty', false)], env },
  { name: `netsnap -tan --proc-root DIR (${copiedRows.toLocaleString('en-US')} rows)`, args: [main, '-tan', '--proc-root', copied], env },
);
const results = new Map(commands.map((c) => [c.name, { wall: [], inproc: [] }]));
try {
  // Warm-up: the page cache, and the code cache of the cached runs (written by their first run).
  for (const c of commands) for (let i = 0; i < 3; i++) once(c, false);
  // Wall time without the preload (what a user waits for), in-process with it, interleaved.
  // Each round in its own order (a seeded shuffle): a command that always ran after the same one
  // would carry what that one left behind (its exit still settling, caches it warmed or evicted).
  let seed = 0x5eed;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  const shuffled = () => {
    const order = [...commands];
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    return order;
  };
  for (let r = 0; r < rounds; r++) {
    for (const c of shuffled()) results.get(c.name).wall.push(once(c, false));
    for (const c of shuffled()) {
      fs.rmSync(inprocFile, { force: true });
      if (c.name !== 'node -e 0') once(c, true);
      if (fs.existsSync(inprocFile)) results.get(c.name).inproc.push(Number(fs.readFileSync(inprocFile, 'utf8').trim()));
    }
  }
} finally {
  await load?.stop();
  fs.rmSync(cacheHome, { recursive: true, force: true });
}

const base = median(results.get('node -e 0').wall);
// Paired: in each round, the command's wall time less node -e 0's of the same round; the median of
// those. A drift of the machine between rounds moves both runs of a round alike, so this one moves less.
const baseWalls = results.get('node -e 0').wall;
const rows = commands.map((c) => {
  const r = results.get(c.name);
  const wall = median(r.wall);
  const isBase = c.name === 'node -e 0';
  return {
    name: c.name, wall, min: Math.min(...r.wall), max: Math.max(...r.wall), own: isBase ? NaN : wall - base,
    paired: isBase ? NaN : median(r.wall.map((w, i) => w - baseWalls[i])), inproc: r.inproc.length ? median(r.inproc) : NaN,
  };
});
const own = (n) => rows.find((r) => r.name === n).own;
const paired = (n) => rows.find((r) => r.name === n).paired;
const out = [
  '# Benchmark results: start-up (issue #18)',
  '',
  'Written by `node bench/startup.mjs`; re-run it to refresh. Medians of interleaved rounds, each in a shuffled order; machines here are noisy.',
  '',
  `- Date: ${started.toISOString()}`,
  `- Machine: ${machine()}; load average ${loadAtStart} at the start, ${os.loadavg().map((x) => x.toFixed(1)).join(' ')} at the end`,
  `- ${rounds} rounds; ${sockets ? `${sockets.toLocaleString('en-US')} established loopback TCP sockets (bench/loadgen.mjs, 4 workers, 20 idle processes)` : 'no generated sockets'}; ${isolated ? 'own network and PID namespaces (only the load is read and scanned)' : 'not isolated: the machine\'s own sockets and processes too'}`,
  '- Each command run as `node FILE ARGS`; "own time" = its median wall time less `node -e 0`\'s (the issue\'s measure); "paired" = the median over rounds of its wall time less `node -e 0`\'s in the same round; "in process" = from `performance.nodeTiming.bootstrapComplete` to exit (a `-r` preload, separate runs)',
  ...(before !== null ? [`- "before": the same command of the checkout in \`${before}\` (its own build), in the same rounds`] : []),
  '',
  '| command | median wall ms | min–max | own time ms | paired ms | in process ms |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| \`${r.name}\` | ${ms(r.wall)} | ${ms(r.min)}–${ms(r.max)} | ${ms(r.own)} | ${ms(r.paired)} | ${ms(r.inproc)} |`),
  '',
  '## Where the own time of `netsnap -tan` goes',
  '',
  'The paired figures above, and their differences (each step adds to the one before); beside them the in-process ones:',
  '',
  '| step | paired ms | in process ms |',
  '| --- | ---: | ---: |',
  ...(() => {
    const rowsName = `netsnap -tan --proc-root DIR (${copiedRows.toLocaleString('en-US')} rows)`;
    const inproc = (n) => rows.find((r) => r.name === n).inproc;
    const step = (f, a, b) => `${ms(f(a) - (b === null ? 0 : f(b)))}`;
    return [
      `| Node loads our entry and the bundle (code cache), parses the arguments, loads the addon, reads two /proc files of no rows, prints the header (\`-tan --proc-root DIR\`, no rows) | ${step(paired, 'netsnap -tan --proc-root DIR (no rows)', null)} | ${step(inproc, 'netsnap -tan --proc-root DIR (no rows)', null)} |`,
      `| + the rows of a copy of this load's tables: read, parsed, formatted (${copiedRows.toLocaleString('en-US')} rows) | ${step(paired, rowsName, 'netsnap -tan --proc-root DIR (no rows)')} | ${step(inproc, rowsName, 'netsnap -tan --proc-root DIR (no rows)')} |`,
      `| the live \`-tan\` (netlink dumps) against the copy | ${step(paired, 'netsnap -tan (bundle, code cache)', rowsName)} | ${step(inproc, 'netsnap -tan (bundle, code cache)', rowsName)} |`,
    ];
  })(),
  '',
  '## Targets (issue #18), at 1,000 sockets',
  '',
  'The verdict is the issue\'s measure (median less median); the paired and in-process figures of the same command are beside it.',
  '',
  '| target | limit | measured | paired | in process | verdict |',
  '| --- | ---: | ---: | ---: | ---: | --- |',
  ...[['-tan', 15], ['-tanp', 30]].map(([f, limit]) => {
    const v = own(`netsnap ${f} (bundle, code cache)`);
    const was = before !== null ? `; before: ${ms(own(`before: netsnap ${f} (bundle, code cache)`))} ms` : '';
    const name = `netsnap ${f} (bundle, code cache)`;
    return `| own time of \`netsnap ${f}\` (modules: ${ms(own(`netsnap ${f} (modules)`))} ms${was}) | ≤ ${limit} ms | ${ms(v)} ms | ${ms(paired(name))} ms | ${ms(rows.find((r) => r.name === name).inproc)} ms | ${v <= limit ? '**met**' : '**missed**'} |`;
  }),
  '',
];
console.log(out.join('\n'));
if (!argv.includes('--no-write')) {
  writeResults('RESULTS-startup.md', out, '**Start-up:** see [RESULTS-startup.md](RESULTS-startup.md) (`node bench/startup.mjs`).');
  console.log('startup: wrote bench/RESULTS-startup.md');
}
