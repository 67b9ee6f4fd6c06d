// netsnap top --ndjson against traffic of known rates: two sender processes pace their writes to
// 1 MB/s and 3 MB/s over loopback to a server process (three pids); over the steady ticks each
// sender's txBps is its rate and the server's rxBps their sum, within 10% (medians). Every line
// validates against schema/top-v1.schema.json, and the first tick (the baseline) has no rates.
// The plain-text table of a pipe, and the refusal on the TypeScript backend.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI, ROOT } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { canUseNetns, inNamespace, removeLeftovers, run as runCommand } from '../helpers/netns';

const native = backend.name === 'native';
const validate = new Ajv2020({ strict: true, allErrors: true }).compile(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'top-v1.schema.json'), 'utf8')) as object,
);

/** Throws with the first violations when `x` is not a valid top-v1 line. */
function valid(x: unknown): void {
  if (!validate(x)) throw new Error(`schema violation: ${JSON.stringify(validate.errors?.slice(0, 5))}\nin ${JSON.stringify(x).slice(0, 500)}`);
}

// A server that reads everything; it prints its port and exits after 60 s at the latest.
const SERVER = `
const net = require('node:net');
const s = net.createServer((c) => { c.resume(); c.on('error', () => {}); });
s.listen(0, '127.0.0.1', () => console.log(s.address().port));
setTimeout(() => process.exit(0), 60000);
`;

// A sender paced to RATE bytes/s: every 10 ms it writes the 10,000-byte chunks that are due since
// it started (so timer lateness does not lower the rate), for SECS seconds.
const SENDER = `
const net = require('node:net');
const [port, rate, secs] = process.argv.slice(1).map(Number);
const chunk = Buffer.alloc(10000, 7);
const c = net.connect(port, '127.0.0.1', () => {
  const t0 = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const elapsed = (performance.now() - t0) / 1000;
    if (elapsed > secs) { clearInterval(timer); c.end(); return; }
    while (sent + chunk.length <= rate * elapsed) { c.write(chunk); sent += chunk.length; }
  }, 10);
  console.log('sending');
});
c.on('error', () => process.exit(1));
`;

const children: ChildProcess[] = [];

function node(script: string, args: Array<string | number>): Promise<{ child: ChildProcess; line: string }> {
  const child = spawn(process.execPath, ['-e', script, ...args.map(String)], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('child did not start in 15 s')), 15_000);
    readline.createInterface({ input: child.stdout! }).once('line', (line) => {
      clearTimeout(timer);
      resolve({ child, line });
    });
    child.once('exit', (code) => reject(new Error(`child exited with ${code}`)));
  });
}

/** Runs netsnap to its end (killed after `ms`): its status, stdout lines and stderr. */
function run(args: string[], ms = 30_000): Promise<{ status: number | null; lines: string[]; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let stderr = '';
  readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  child.stderr!.on('data', (d: Buffer) => (stderr += String(d)));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, lines, stderr });
    });
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe.runIf(native)('netsnap top --ndjson (native)', () => {
  const SLOW = 1_000_000;
  const FAST = 3_000_000;
  let port = 0;
  let server: ChildProcess;
  let slow: ChildProcess;
  let fast: ChildProcess;

  beforeAll(async () => {
    const s = await node(SERVER, []);
    server = s.child;
    port = Number(s.line);
    slow = (await node(SENDER, [port, SLOW, 25])).child;
    fast = (await node(SENDER, [port, FAST, 25])).child;
    await new Promise((r) => setTimeout(r, 300)); // both streams under way
  });

  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it("each sender's txBps is its paced rate, the server's rxBps their sum; every line is valid top-v1", async () => {
    const r = await run(['top', '--ndjson', '--interval', '0.5', '--count', '8', '--filter', `dport = :${port} or sport = :${port}`]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.lines).toHaveLength(8);
    const ticks = r.lines.map((l) => JSON.parse(l) as Obj);
    for (const t of ticks) valid(t);
    expect(ticks.map((t) => t.tick)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);

    // The first tick is the baseline: no rates anywhere.
    const first = ticks[0]!;
    expect(first.intervalMs).toBe(0);
    for (const f of [first.totals, first.unattributed, ...first.processes, ...first.ports, ...first.peers]) {
      expect(f.txBps).toBeNull();
      expect(f.rxBps).toBeNull();
    }

    const steady = ticks.slice(2);
    const of = (t: Obj, pid: number): Obj | undefined => (t.processes as Obj[]).find((p) => p.pid === pid);
    for (const t of steady) {
      expect(t.intervalMs).toBeGreaterThan(250);
      for (const pid of [server.pid, slow.pid, fast.pid]) {
        expect(of(t, pid!), `pid ${pid} in tick ${t.tick}`).toMatchObject({ program: 'node' });
      }
      // txBytes per tick over the measured interval is txBps.
      const p = of(t, fast.pid!)!;
      expect(p.txBps).toBeCloseTo(p.txBytes / (t.intervalMs / 1000), 0);
    }
    const slowTx = median(steady.map((t) => of(t, slow.pid!)!.txBps as number));
    const fastTx = median(steady.map((t) => of(t, fast.pid!)!.txBps as number));
    const serverRx = median(steady.map((t) => of(t, server.pid!)!.rxBps as number));
    const serverTx = median(steady.map((t) => of(t, server.pid!)!.txBps as number));
    const each = (pid: number, k: string) => steady.map((t) => Math.round(of(t, pid)![k] as number)).join(' ');
    console.log(`top --ndjson medians: slow sender tx ${Math.round(slowTx)} B/s (paced ${SLOW}: ${each(slow.pid!, 'txBps')}), `
      + `fast sender tx ${Math.round(fastTx)} B/s (paced ${FAST}: ${each(fast.pid!, 'txBps')}), server rx ${Math.round(serverRx)} B/s (${each(server.pid!, 'rxBps')})`);
    expect(Math.abs(slowTx - SLOW) / SLOW).toBeLessThan(0.1);
    expect(Math.abs(fastTx - FAST) / FAST).toBeLessThan(0.1);
    expect(Math.abs(serverRx - (SLOW + FAST)) / (SLOW + FAST)).toBeLessThan(0.1);
    expect(serverTx).toBeLessThan(10_000); // acks only
    // The service port holds both streams, each sender is one connection, the server two and its listener.
    for (const t of steady) {
      const svc = (t.ports as Obj[]).find((p) => p.port === port)!;
      expect(svc.connections).toBe(4);
      expect(of(t, slow.pid!)!.connections).toBe(1);
      expect(of(t, server.pid!)!.connections).toBe(2);
      expect(t.totals.connections).toBe(4);
    }
    const totalTx = median(steady.map((t) => t.totals.txBps as number));
    expect(Math.abs(totalTx - (SLOW + FAST)) / (SLOW + FAST)).toBeLessThan(0.1);
  });

  it('--by connection lists the connections; a pipe without --ndjson gets a plain table per tick', async () => {
    const filter = `sport = :${port}`;
    const j = await run(['top', '--ndjson', '--interval', '0.3', '--count', '2', '--by', 'connection', '--sort', 'rx', '--filter', filter]);
    expect(j.status).toBe(0);
    const last = JSON.parse(j.lines.at(-1)!) as Obj;
    valid(last);
    const conns = last.connections as Obj[];
    expect(conns).toHaveLength(2);
    for (const c of conns) expect(c).toMatchObject({ family: 4, state: 'ESTABLISHED', pid: server.pid, program: 'node', local: { port } });
    // Sorted by rx: the fast sender's connection first.
    expect(conns[0]!.rxBytes).toBeGreaterThan(conns[1]!.rxBytes);

    const t = await run(['top', '--interval', '0.3', '--count', '2', '--filter', filter]);
    expect(t.stderr).toBe('');
    expect(t.status).toBe(0);
    const text = t.lines.join('\n');
    expect(text).not.toMatch(/\x1b/);
    expect(t.lines.filter((l) => /^netsnap top {2}tick \d/.test(l))).toHaveLength(2);
    expect(t.lines.filter((l) => l.startsWith('PID/PROGRAM '))).toHaveLength(2);
    expect(t.lines.some((l) => l.startsWith(`${server.pid}/node `) && /MiB\/s/.test(l))).toBe(true);
    expect(text).toContain('the kernel keeps no byte counts for UDP');
  });

  it('refuses bad options with a usage message', () => {
    const by = netsnap(['top', '--by', 'thread']);
    expect(by.status).toBe(2);
    expect(by.stderr).toMatch(/invalid --by 'thread'/);
    const f = netsnap(['top', '--filter', 'dport = :nosuchservice']);
    expect(f.status).toBe(3);
    const dev = netsnap(['top', '--filter', 'dev = lo', '--count', '1']);
    expect(dev.status).toBe(3);
    expect(dev.stderr).toMatch(/cannot be decided on closed connections/);
  });
});

describe.skipIf(native)('netsnap top on the TypeScript backend', () => {
  it('exits non-zero with ERR_NEEDS_NATIVE, printing nothing on stdout', () => {
    for (const args of [['top', '--ndjson', '--count', '1'], ['top', '--count', '1']]) {
      const r = netsnap(args);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^netsnap: throughput comes from tcp_info .* which only the native backend reads/);
    }
  });
});

describe.runIf(native && canUseNetns)('netsnap top --netns (root, ip netns)', () => {
  const ns = `nstop-${process.pid}`;
  beforeAll(() => {
    removeLeftovers(/^nstop-(\d+)$/);
    expect(runCommand('ip', ['netns', 'add', ns]).status).toBe(0);
    inNamespace(ns, 'ip', ['link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    runCommand('ip', ['netns', 'del', ns]);
  });

  it("counts that namespace's connections, not this one's", async () => {
    // Inside: a python sender writes 64 KiB every 50 ms to a server on port 7778 for 4 s.
    const script = [
      'import socket, threading, time',
      'l = socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("127.0.0.1", 7778)); l.listen()',
      'c = socket.create_connection(("127.0.0.1", 7778)); a, _ = l.accept()',
      'def drain():',
      '  while a.recv(1 << 20): pass',
      'threading.Thread(target=drain, daemon=True).start()',
      'end = time.time() + 4',
      'while time.time() < end:',
      '  c.sendall(b"x" * 65536); time.sleep(0.05)',
    ].join('\n');
    const sender = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', script], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const r = spawn(process.execPath, [CLI, 'top', '--ndjson', '--netns', ns, '--interval', '0.5', '--count', '4'], { stdio: ['ignore', 'pipe', 'pipe'] });
      const lines: string[] = [];
      readline.createInterface({ input: r.stdout! }).on('line', (l) => lines.push(l));
      let err = '';
      r.stderr!.on('data', (d: Buffer) => (err += String(d)));
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => r.kill('SIGKILL'), 30_000);
        r.on('exit', (c) => {
          clearTimeout(timer);
          resolve(c);
        });
      });
      expect(err).toBe('');
      expect(code).toBe(0);
      const ticks = lines.map((l) => JSON.parse(l) as { ports: Array<{ port: number; txBytes: number }> });
      expect(ticks).toHaveLength(4);
      for (const t of ticks) valid(t);
      // Its port moved bytes after the baseline; nothing of this namespace is there.
      const moved = ticks.slice(1).reduce((n, t) => n + (t.ports.find((p) => p.port === 7778)?.txBytes ?? 0), 0);
      expect(moved).toBeGreaterThan(100_000);
      for (const t of ticks) for (const p of t.ports) expect([7778, 0]).toContain(p.port);
    } finally {
      sender.kill();
    }
  });
});
