#!/usr/bin/env node
// The netlink source against its C floor and against /proc, in-process, side by side:
//   node bench/netlink.mjs [--sockets 10000] [--rounds 7] [--reps 15]
// --sockets N opens N established loopback connections (2N sockets) in a helper process first.
// The floor is bench/netlink_floor.c (compiled with cc on the fly): the same dumps (tcp v4 + v6),
// one socket per dump, 64 KiB reads, each record touched once. Times are medians over rounds of
// the median of `reps` samples; rounds interleave the three so machine noise hits all alike.
import { spawn, spawnSync } from 'node:child_process';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const { loadNative } = require(path.join(root, 'dist/backends/native.js'));

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : dflt;
};
const sockets = opt('sockets', 0);
const rounds = opt('rounds', 7);
const reps = opt('reps', 15);

const native = loadNative();
if (!native.ok) {
  console.error('bench: the native addon is not built (npm run build:native)');
  process.exit(1);
}
const floorBin = path.join(os.tmpdir(), `netsnap-netlink-floor-${process.pid}`);
const cc = spawnSync('cc', ['-O2', '-o', floorBin, path.join(root, 'bench', 'netlink_floor.c')], { stdio: 'inherit' });
if (cc.status !== 0) {
  console.error('bench: cannot compile bench/netlink_floor.c');
  process.exit(1);
}

let holder = null;
if (sockets > 0) {
  const py = [
    'import resource, socket, sys',
    `n = ${sockets}`,
    'soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)',
    'want = 2 * n + 100 if hard == resource.RLIM_INFINITY else min(hard, 2 * n + 100)',
    'resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))',
    'n = min(n, (want - 100) // 2)',
    'l = socket.socket(); l.bind(("127.0.0.1", 0)); l.listen(4096)',
    'keep = []',
    'for i in range(n):',
    '    c = socket.create_connection(l.getsockname()); s, _ = l.accept(); keep += [c, s]',
    'print("ready", n, flush=True)',
    'sys.stdin.read()',
  ].join('\n');
  holder = spawn('python3', ['-c', py], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    holder.stdout.on('data', (d) => {
      if (String(d).includes('ready')) {
        console.error(`bench: ${String(d).trim().split(' ')[1]} loopback connections open (fd limit permitting)`);
        resolve();
      }
    });
    holder.once('exit', (code) => reject(new Error(`socket holder exited with ${code}`)));
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const request = { netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: false, procRoot: '/proc', littleEndian: os.endianness() === 'LE' };

function addon(source) {
  // As the sampler does: tick n fills the tables of tick n-2.
  let older = null;
  let newer = null;
  const times = [];
  let rows = 0;
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    const r = native.backend.sample({ ...request, source, reuse: older ? older.files.map((f) => f.table) : undefined });
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
    rows = r.files.reduce((n, f) => n + (f.table?.count ?? 0), 0);
    if (r.files.some((f) => f.source !== source)) throw new Error(`asked for ${source}, got ${r.files.map((f) => f.source)}`);
    older = newer;
    newer = r;
  }
  return { rows, ms: median(times) };
}

const res = { floor: [], netlink: [], proc: [] };
let rows = 0;
for (let r = 0; r < rounds; r++) {
  const out = spawnSync(floorBin, [String(reps)], { encoding: 'utf8' }).stdout.trim().split(' ');
  res.floor.push(Number(out[1]));
  const n = addon('netlink');
  res.netlink.push(n.ms);
  rows = n.rows;
  res.proc.push(addon('proc').ms);
}
holder?.stdin.end();
holder?.kill();
const f = median(res.floor);
const n = median(res.netlink);
const p = median(res.proc);
console.log(`| tcp+tcp6 rows | C netlink floor | netsnap netlink | netlink / floor | netsnap /proc | /proc / netlink |`);
console.log(`| ---: | ---: | ---: | ---: | ---: | ---: |`);
console.log(`| ${rows} | ${f.toFixed(2)} | ${n.toFixed(2)} | ${(n / f).toFixed(2)} | ${p.toFixed(2)} | ${(p / n).toFixed(2)} |`);
