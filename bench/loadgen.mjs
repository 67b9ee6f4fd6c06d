#!/usr/bin/env node
// Load generator for the benchmarks: N established loopback TCP sockets (N/2 connections, both
// ends counted), 3/4 IPv4 with sources spread over 127.0.0.0/8, 1/4 IPv6 on ::1 spread over
// several listening ports, held by W worker processes; plus idle processes holding non-socket fds.
//
//   node bench/loadgen.mjs --sockets N [--workers 16] [--idle-procs 200] [--idle-fds 20] [--seconds 600]
//
// Prints `ready <sockets> <worker pids…>` on stdout once every connection is established (counted
// in /proc/net/tcp{,6}), then holds them until --seconds pass, SIGTERM/SIGINT, or stdin closes.
// Exits non-zero with a message on stderr if the load cannot be built (EADDRNOTAVAIL, EMFILE, a
// setup timeout, a worker dying). Children are killed on the way out; each worker also stops by
// itself when its stdin (a pipe from this process) closes, and the idle `sleep`s are time-bounded.
//
// Importable: `startLoad(n, opts) -> Promise<{ sockets, pids, idlePids, stop() }>` runs this file
// as a child in its own process group (stop() kills the whole group).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

const DEFAULTS = { workers: 16, idleProcs: 200, idleFds: 20, seconds: 600 };
const V6_SHARE = 0.25;
const PER_SOURCE = 400; // IPv4 connections per source address (bind() ephemeral ports stay plentiful)
const PER_V6_PORT = 3000; // IPv6 connections per listening port (all on ::1)
const IN_FLIGHT = 256; // connects in flight per worker

// ---------------------------------------------------------------------------------------------
// Worker: listens, connects to itself, reports `done <n>` or `err <message>` on stdout.
// Read up front: at EMFILE time there is no fd left to read it with.
let fdLimitCache = null;
const fdLimitNote = () => fdLimitCache ?? '?';
const readFdLimit = () => {
  try {
    fdLimitCache = /Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'))?.[1] ?? '?';
  } catch {
    fdLimitCache = '?';
  }
};
async function worker({ id, pairs4, pairs6, seconds }) {
  readFdLimit();
  const held = [];
  const fail = (msg) => {
    process.stdout.write(`err worker ${id} (pid ${process.pid}): ${msg}\n`, () => process.exit(2));
    setTimeout(() => process.exit(2), 500).unref();
  };
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  setTimeout(() => process.exit(0), (seconds + 10) * 1000).unref();
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));

  const listen = (host) => new Promise((resolve, reject) => {
    const srv = net.createServer({ pauseOnConnect: true }, (s) => {
      held.push(s);
      accepted++;
      s.on('error', () => {});
      check();
    });
    srv.once('error', reject);
    srv.listen({ host, port: 0, backlog: 4096 }, () => {
      srv.off('error', reject);
      srv.on('error', (e) => fail(`accept on ${host}: ${e.code ?? e.message}${e.code === 'EMFILE' ? ` (fd limit ${fdLimitNote()})` : ''}`));
      resolve(srv);
    });
  });
  let accepted = 0;
  let connected = 0;
  let started = 0;
  let inFlight = 0;
  const total = pairs4 + pairs6;
  let reported = false;
  const check = () => {
    if (!reported && connected === total && accepted === total) {
      reported = true;
      process.stdout.write(`done ${total}\n`);
    }
  };

  let srv4, srv6 = [];
  try {
    srv4 = await listen('127.0.0.1');
    const n6 = Math.max(1, Math.ceil(pairs6 / PER_V6_PORT));
    for (let i = 0; i < (pairs6 ? n6 : 0); i++) srv6.push(await listen('::1'));
  } catch (e) {
    return fail(`listen: ${e.code ?? e.message}`);
  }
  const ports = [srv4.address().port, ...srv6.map((s) => s.address().port)];
  process.stdout.write(`ports ${ports.join(' ')}\n`);

  // IPv4 sources: 127.(16+id).b.c, PER_SOURCE connections each.
  const source4 = (i) => {
    const k = Math.floor(i / PER_SOURCE);
    return `127.${16 + id}.${1 + Math.floor(k / 250)}.${1 + (k % 250)}`;
  };
  const pump = () => {
    while (inFlight < IN_FLIGHT && started < total) {
      const i = started++;
      inFlight++;
      const opts = i < pairs4
        ? { host: '127.0.0.1', port: ports[0], localAddress: source4(i) }
        : { host: '::1', port: srv6[(i - pairs4) % srv6.length].address().port };
      const s = net.connect(opts);
      s.setNoDelay(true);
      s.once('connect', () => {
        s.pause();
        held.push(s);
        inFlight--;
        connected++;
        check();
        pump();
      });
      s.once('error', (e) => {
        if (connected < total) fail(`connect ${opts.localAddress ?? '::1'} -> ${opts.host}:${opts.port}: ${e.code ?? e.message}${e.code === 'EMFILE' ? ` (fd limit ${fdLimitNote()})` : ''}`);
      });
    }
  };
  pump();
  check();
}

// ---------------------------------------------------------------------------------------------
// Parent.
function parseArgs(argv) {
  const o = { ...DEFAULTS, sockets: NaN };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => {
      const x = Number(argv[++i]);
      if (!Number.isFinite(x) || x < 0) usage(`bad value for ${a}`);
      return x;
    };
    if (a === '--sockets') o.sockets = v();
    else if (a === '--workers') o.workers = v();
    else if (a === '--idle-procs') o.idleProcs = v();
    else if (a === '--idle-fds') o.idleFds = v();
    else if (a === '--seconds') o.seconds = v();
    else if (a === '--worker') o.worker = JSON.parse(argv[++i]);
    else usage(`unknown argument ${a}`);
  }
  return o;
}

function usage(msg) {
  process.stderr.write(`loadgen: ${msg}\nusage: node bench/loadgen.mjs --sockets N [--workers 16] [--idle-procs 200] [--idle-fds 20] [--seconds 600]\n`);
  process.exit(64);
}

/** Established rows of /proc/net/tcp{,6} whose local or remote end is one of our listeners. */
export function countEstablished(ports) {
  // Listeners are on 127.0.0.1 and ::1, printed as 32-bit words in host byte order.
  const le = os.endianness() === 'LE';
  const v4 = le ? '0100007F' : '7F000001';
  const v6 = '000000000000000000000000' + (le ? '01000000' : '00000001');
  const keys = new Set();
  for (const p of ports) {
    const hp = p.toString(16).toUpperCase().padStart(4, '0');
    keys.add(`${v4}:${hp}`);
    keys.add(`${v6}:${hp}`);
  }
  let n = 0;
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const lines = fs.readFileSync(f, 'latin1').split('\n');
    for (let i = 1; i < lines.length; i++) {
      const c = lines[i].trim().split(/\s+/);
      if (c[3] === '01' && (keys.has(c[1]) || keys.has(c[2]))) n++;
    }
  }
  return n;
}

async function main(o) {
  if (!(o.sockets >= 2)) usage('--sockets N (N >= 2) is required');
  const t0 = performance.now();
  const pairs = Math.floor(o.sockets / 2);
  const W = Math.max(1, Math.min(o.workers, pairs));
  const pairs6 = Math.round(pairs * V6_SHARE);
  const pairs4 = pairs - pairs6;
  const children = [];
  let stopping = false;
  const log = (m) => process.stderr.write(`loadgen: ${m}\n`);
  const shutdown = (code, msg) => {
    if (stopping) return;
    stopping = true;
    if (msg) log(msg);
    for (const c of children) {
      try { c.kill('SIGKILL'); } catch { /* gone */ }
    }
    setTimeout(() => process.exit(code), 50);
  };
  process.on('SIGTERM', () => shutdown(0));
  process.on('SIGINT', () => shutdown(130));
  process.on('SIGHUP', () => shutdown(0));
  process.stdin.on('end', () => shutdown(0, 'stdin closed, stopping'));
  process.stdin.on('error', () => shutdown(0));
  process.stdin.resume();
  setTimeout(() => shutdown(0, `${o.seconds} s passed, stopping`), o.seconds * 1000).unref();
  // Setup must not hang: about 1 s per 5k sockets, at least 60 s.
  const setupLimit = Math.max(60, o.sockets / 5000) * 1000;
  const setupTimer = setTimeout(() => shutdown(3, `setup timed out after ${setupLimit / 1000} s (connections not all established)`), setupLimit);

  // Idle processes: plain `sleep`s each holding idleFds extra fds on /dev/null.
  const idlePids = [];
  if (o.idleProcs > 0) {
    const nullFd = fs.openSync('/dev/null', 'r');
    const stdio = ['ignore', 'ignore', 'ignore', ...Array(o.idleFds).fill(nullFd)];
    for (let i = 0; i < o.idleProcs && !stopping; i++) {
      const c = spawn('sleep', [String(Math.ceil(o.seconds + 10))], { stdio });
      c.on('error', (e) => shutdown(2, `idle process: ${e.message}`));
      children.push(c);
      idlePids.push(c.pid);
    }
    fs.closeSync(nullFd);
  }

  const ports = [];
  const workerPids = [];
  let done = 0;
  // NETSNAP_LOADGEN_FDLIMIT overrides the workers' fd limit (to test the EMFILE path).
  const fdLimit = Number(process.env.NETSNAP_LOADGEN_FDLIMIT) || Math.ceil((pairs * 2) / W) + 1024;
  await new Promise((resolve) => {
    for (let w = 0; w < W; w++) {
      const share = (n) => Math.floor(n / W) + (w < n % W ? 1 : 0);
      const spec = { id: w, pairs4: share(pairs4), pairs6: share(pairs6), seconds: o.seconds };
      const c = spawn('prlimit', [`--nofile=${fdLimit}:${fdLimit}`, '--', process.execPath, self, '--worker', JSON.stringify(spec)], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(c);
      workerPids.push(c.pid);
      c.on('error', (e) => shutdown(2, `worker ${w}: ${e.message}`));
      c.on('exit', (code, sig) => {
        if (!stopping) shutdown(2, `worker ${w} (pid ${c.pid}) exited early (${sig ?? code})`);
      });
      let buf = '';
      c.stdout.on('data', (d) => {
        buf += d;
        let nl;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          if (line.startsWith('ports ')) ports.push(...line.slice(6).split(' ').map(Number));
          else if (line.startsWith('err ')) shutdown(2, line.slice(4));
          else if (line.startsWith('done ') && ++done === W) resolve();
        }
      });
    }
  });
  if (stopping) return;
  // Verify by counting what the kernel shows.
  let sockets = 0;
  for (let i = 0; i < 50; i++) {
    sockets = countEstablished(ports);
    if (sockets >= pairs * 2) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  clearTimeout(setupTimer);
  if (sockets < pairs * 2) return shutdown(3, `only ${sockets} of ${pairs * 2} sockets established in /proc/net/tcp{,6}`);
  log(`${sockets} established sockets (${pairs4 * 2} IPv4, ${pairs6 * 2} IPv6) in ${W} workers, ${idlePids.length} idle processes x ${o.idleFds} fds, ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  process.stdout.write(`ready ${sockets} ${workerPids.join(' ')}\n`);
  process.stdout.write(`idle ${idlePids.join(' ')}\n`);
}

// ---------------------------------------------------------------------------------------------
// Importable helper.
/**
 * Starts the load generator as a child in its own process group and resolves when it is ready.
 * @returns {Promise<{sockets: number, pids: number[], idlePids: number[], stop: () => Promise<void>}>}
 */
export function startLoad(n, opts = {}) {
  const o = { ...DEFAULTS, ...opts };
  const argv = [self, '--sockets', String(n), '--workers', String(o.workers), '--idle-procs', String(o.idleProcs),
    '--idle-fds', String(o.idleFds), '--seconds', String(o.seconds)];
  const child = spawn(process.execPath, argv, { stdio: ['pipe', 'pipe', opts.quiet ? 'pipe' : 'inherit'], detached: true });
  let exited = false;
  const exitP = new Promise((r) => child.on('exit', (code, sig) => { exited = true; r({ code, sig }); }));
  const killGroup = (sig) => {
    try { process.kill(-child.pid, sig); } catch { /* gone */ }
  };
  const stop = async () => {
    if (!exited) {
      killGroup('SIGTERM');
      const t = setTimeout(() => killGroup('SIGKILL'), 5000);
      await exitP;
      clearTimeout(t);
    }
    // Anything left in the group (workers, sleeps) goes too.
    killGroup('SIGKILL');
  };
  return new Promise((resolve, reject) => {
    let out = '';
    let result = null;
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`loadgen: not ready after ${opts.readyTimeout ?? 300} s`));
    }, (opts.readyTimeout ?? 300) * 1000);
    child.stdout.on('data', (d) => {
      out += d;
      const r = /^ready (\d+)((?: \d+)*)\n/m.exec(out);
      const i = /^idle((?: \d+)*)\n/m.exec(out);
      if (r && i && !result) {
        clearTimeout(timer);
        result = {
          sockets: Number(r[1]),
          pids: r[2].trim().split(' ').filter(Boolean).map(Number),
          idlePids: i[1].trim().split(' ').filter(Boolean).map(Number),
          pid: child.pid,
          stop,
        };
        resolve(result);
      }
    });
    exitP.then(({ code, sig }) => {
      clearTimeout(timer);
      if (!result) reject(new Error(`loadgen exited (${sig ?? code}) before it was ready`));
    });
  });
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(self)) {
  const o = parseArgs(process.argv.slice(2));
  if (o.worker) worker({ ...o.worker });
  else main(o).catch((e) => {
    process.stderr.write(`loadgen: ${e.stack ?? e}\n`);
    process.exit(1);
  });
}
