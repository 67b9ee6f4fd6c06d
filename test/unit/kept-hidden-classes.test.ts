// The TypeScript backend keeps its last line builder (net_inet.ts, net_unix.ts) and its last
// /proc/PID/fd listing (scan_threads.ts) alive between samples: V8 drops the optimized code of the
// parser and of Node's directory reading at a full GC when no object of their hidden classes is left,
// and the next sample would run them unoptimized. A child process parses, scans and collects six
// times under --trace-deopt; a class the child drops on purpose shows that such a drop is traced.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '../..');

const child = `
const fs = require('node:fs');
const dist = ${JSON.stringify(path.join(ROOT, 'dist'))};
const { parseInet } = require(dist + '/backends/js/net_inet.js');
const { parseUnix } = require(dist + '/backends/js/net_unix.js');
const { scanOwners } = require(dist + '/backends/js/owners.js');
const { setScanThreads } = require(dist + '/backends/js/scan_threads.js');
const N = 20000;
let tcp = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\\n';
let unix = 'Num       RefCount Protocol Flags    Type St Inode Path\\n';
for (let i = 0; i < N; i++) {
  const port = (1024 + i).toString(16).toUpperCase().padStart(4, '0');
  tcp += String(i).padStart(4) + ': 0100007F:1F90 0100007F:' + port + ' 01 00000000:00000000 00:00000000 00000000  1000        0 ' + (100000 + i) + ' 1 0000000000000000 20 4 30 10 -1\\n';
  unix += '0000000000000000: 00000002 00000000 00010000 0001 01 ' + (200000 + i) + ' /run/s' + i + '\\n';
}
const tcpBytes = Buffer.from(tcp, 'latin1');
const unixBytes = Buffer.from(unix, 'latin1');
const held = [];
for (let i = 0; i < 4000; i++) held.push(fs.openSync('/dev/null', 'r'));
setScanThreads(1);
class Throwaway { constructor(i) { this.a = i; this.b = i + 1; this.c = i + 2; } }
const sink = [];
function control(n) { let s = 0; for (let i = 0; i < n; i++) { const o = new Throwaway(i); sink[i & 15] = o; s += o.a + o.b + o.c; } return s; }
const counts = [];
for (let round = 0; round < 6; round++) {
  const owners = scanOwners('/proc');
  let mine = 0;
  for (let i = 0; i < owners.pids.length; i++) if (owners.pids[i] === process.pid) mine++;
  counts.push([parseInet(tcpBytes, 'tcp', true, null).count, parseUnix(unixBytes, null).count, owners.pidsScanned > 0 ? 1 : 0, control(200000) > 0 ? 1 : 0]);
  sink.length = 0;
  globalThis.gc();
}
console.log('counts ' + JSON.stringify(counts));
`;

/** Functions whose optimized code V8 marked for deoptimization because objects it held died. */
function droppedForDeadObjects(trace: string): Set<string> {
  const out = new Set<string>();
  for (const m of trace.matchAll(/marking dependent code .*?<SharedFunctionInfo (\w*)>.*?reason: weak objects/g)) out.add(m[1]!);
  return out;
}

describe('the TypeScript backend across full GCs', () => {
  it('keeps the optimized code of its parsers and of its fd listing', () => {
    const r = spawnSync(process.execPath, ['--expose-gc', '--trace-deopt', '-e', child], { encoding: 'utf8', maxBuffer: 256 << 20, timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    const counts = /^counts (.*)$/m.exec(r.stdout);
    expect(counts).not.toBeNull();
    // Every round parsed every row and scanned /proc.
    expect(JSON.parse(counts![1]!)).toEqual(Array.from({ length: 6 }, () => [20000, 20000, 1, 1]));
    const dropped = droppedForDeadObjects(r.stdout);
    // The trace shows such drops: the class the child lets die takes its user's code with it.
    expect(dropped.has('Throwaway') || dropped.has('control')).toBe(true);
    for (const name of ['line', 'memoryLines', 'streamLines', 'readSync', 'Dirent', 'getDirent', 'processReadResult']) {
      expect(dropped.has(name), `${name}'s optimized code dropped at a full GC`).toBe(false);
    }
  });
});
