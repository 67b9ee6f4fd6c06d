// netsnap events / watchCloses(): every TCP close of connections this test makes on loopback, with
// exact final byte counts and the owner (this process: seen alive, or through its listener), a
// reused 4-tuple as two connections, and the command line's NDJSON. The TypeScript backend refuses.
import * as net from 'node:net';
import { spawn, spawnSync } from 'node:child_process';
import * as readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchCloses, type CloseEvent, type Closes } from '../../src/services/closes';
import { NetsnapError } from '../../src/model/errors';
import { backend, CLI } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { once } from '../helpers/sockets';
import { canUseNetns, inNamespace, removeLeftovers, run } from '../helpers/netns';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { ROOT } from '../helpers/env';

const ajv = new Ajv2020({ strict: false, allErrors: true });
const eventLine = ajv.compile(JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'events-v1.schema.json'), 'utf8')) as object);

const native = backend.name === 'native';

/**
 * Waits (at most 15 s) until process `pid` holds a NETLINK_SOCK_DIAG socket (/proc/PID/net/netlink:
 * Eth 4) with a multicast group (Groups not 0): `netsnap events` has subscribed, and every close from
 * then on reaches it. A fixed wait was too short for the CLI under the sanitized build on a loaded machine.
 */
async function subscribed(pid: number): Promise<void> {
  for (let k = 0; k < 300; k++) {
    try {
      const inodes = new Set<string>();
      for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
        try {
          const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
          if (m) inodes.add(m[1]!);
        } catch {
          // closed meanwhile
        }
      }
      const rows = fs.readFileSync(`/proc/${pid}/net/netlink`, 'utf8').split('\n').slice(1).map((l) => l.trim().split(/\s+/));
      if (rows.some((f) => f[1] === '4' && /^[0-9a-f]+$/i.test(f[3] ?? '') && Number.parseInt(f[3]!, 16) !== 0 && inodes.has(f[9] ?? ''))) return;
    } catch {
      // not started yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`process ${pid} did not subscribe to the destroy events in 15 s`);
}
let server: net.Server;
let port = 0;
/** A server that closes first, once it has all of a client's bytes (the client's FIN). */
let closer: net.Server;
let closerPort = 0;

beforeAll(async () => {
  // The server reads everything, then closes after the client's FIN (the client closes first).
  server = net.createServer({ allowHalfOpen: true }, (c) => {
    c.resume();
    c.on('end', () => c.end());
    c.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as net.AddressInfo).port;
  closer = net.createServer({ allowHalfOpen: true }, (c) => {
    c.once('data', () => c.end()); // the client's bytes (one segment on loopback): close first
    c.resume();
    c.on('error', () => {});
  });
  closer.listen(0, '127.0.0.1');
  await once(closer, 'listening');
  closerPort = (closer.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await new Promise<void>((r) => closer.close(() => r()));
});

/** One connection that sends `bytes` and closes; resolves with the client's local port once both ends are closed. */
async function transfer(bytes: number, localPort?: number, to = port): Promise<number> {
  const c = net.connect({ port: to, host: '127.0.0.1', ...(localPort ? { localPort } : {}), allowHalfOpen: true });
  await once(c, 'connect');
  const lp = c.localPort!;
  c.resume();
  if (to === port) c.end(Buffer.alloc(bytes, 7));
  else {
    // To the server that closes first: the bytes, then our FIN after its FIN.
    c.write(Buffer.alloc(bytes, 7));
    c.once('end', () => c.end());
  }
  await once(c, 'close');
  return lp;
}

/** Collects events until `done` says so or 15 s pass (bounded). */
async function collect(closes: Closes, done: (all: CloseEvent[]) => boolean): Promise<CloseEvent[]> {
  const all: CloseEvent[] = [];
  const deadline = Date.now() + 15_000;
  for await (const batch of closes) {
    all.push(...batch);
    if (done(all) || Date.now() > deadline) break;
  }
  closes.close();
  return all;
}

describe.runIf(native)('closed connections from the kernel\'s destroy events (native)', () => {
  it('reports each of 200 short connections once, with its exact bytes, credited to this process', async () => {
    const closes = watchCloses({ interval: 0.2, poll: 0.02 });
    const it = closes[Symbol.asyncIterator]();
    await it.next(); // the first sample of the live connections is taken: the listener is known
    const sizes = new Map<number, number>();
    for (let k = 0; k < 200; k++) {
      const bytes = 1000 + 37 * k;
      sizes.set(await transfer(bytes), bytes);
    }
    const all: CloseEvent[] = [];
    const mine = () => all.filter((e) => e.remote.port === port || e.local.port === port);
    const deadline = Date.now() + 15_000;
    while (mine().length < 400 && Date.now() < deadline) {
      const r = await it.next();
      if (r.done) break;
      all.push(...r.value);
    }
    closes.close();
    await it.return?.();
    const clients = mine().filter((e) => e.remote.port === port);
    const servers = mine().filter((e) => e.local.port === port);
    expect(clients).toHaveLength(200);
    expect(servers).toHaveLength(200);
    expect(new Set(mine().map((e) => e.cookie)).size).toBe(400);
    let truth = 0;
    let credited = 0;
    for (const e of clients) {
      const bytes = sizes.get(e.local.port)!;
      // What the peer acknowledged counts the SYN and the FIN (one byte each).
      expect(e.bytesAcked, `client ${e.local.port}`).toBe(bytes + 2);
      expect(e.bytesReceived).toBe(1); // the server's FIN
      expect(e.totalRetrans).toBe(0);
      expect(e.rttUs).toBeGreaterThan(0);
    }
    for (const e of servers) {
      const bytes = sizes.get(e.remote.port)!;
      expect(e.bytesReceived, `server side of ${e.remote.port}`).toBe(bytes + 1);
      // Accepted between two samples or seen alive: either way this process's, through its listener at least.
      expect(['seen', 'listener']).toContain(e.ownerFrom);
      expect(e.owner?.pid).toBe(process.pid);
      truth += bytes;
      credited += e.bytesReceived! - 1;
    }
    expect(credited).toBe(truth);
    expect(closes.stats.overflows + closes.stats.lost + closes.stats.dropped).toBe(0);
  });

  it('a reused 4-tuple is two connections; a long-lived one is seen alive, with its lifetime', async () => {
    const closes = watchCloses({ interval: 0.1, poll: 0.02 });
    const it = closes[Symbol.asyncIterator]();
    await it.next();
    // A connection that lives across samples.
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    await once(c, 'connect');
    const longPort = c.localPort!;
    // Several samples see it: three intervals pass (bounded by count too).
    const until = Date.now() + 350;
    for (let k = 0; k < 100 && Date.now() < until; k++) await it.next();
    c.resume();
    c.end(Buffer.alloc(10, 1));
    await once(c, 'close');
    // The same client port twice: a server that closes first keeps the TIME_WAIT on its side, so the
    // client may connect from that port again (the kernel takes a new SYN on a TIME_WAIT 4-tuple). The
    // port is one below the ephemeral range, so that no other connection of the machine (the suite's
    // other files run beside this one) is given it between the two.
    const ephemeralLow = Number(fs.readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    const below = Math.max(2048, Math.min(ephemeralLow, 65536) - 10_000);
    let first = 0;
    for (let attempt = 0; attempt < 20 && first === 0; attempt++) {
      try {
        first = await transfer(100, below + Math.floor(Math.random() * 9_000), closerPort);
      } catch { /* that port is taken: another */ }
    }
    expect(first).toBeGreaterThan(0);
    let second = 0;
    for (let attempt = 0; attempt < 20 && second === 0; attempt++) {
      try {
        second = await transfer(200, first, closerPort);
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(second).toBe(first);
    const all: CloseEvent[] = [];
    const deadline = Date.now() + 15_000;
    const want = () => all.filter((e) => e.remote.port === closerPort && e.local.port === first).length >= 2
      && all.some((e) => e.local.port === longPort);
    while (!want() && Date.now() < deadline) {
      const r = await it.next();
      if (r.done) break;
      all.push(...r.value);
    }
    closes.close();
    await it.return?.();
    const long = all.find((e) => e.local.port === longPort)!;
    expect(long.ownerFrom).toBe('seen');
    expect(long.owner?.pid).toBe(process.pid);
    expect(long.lifetimeMs).toBeGreaterThan(0);
    const reused = all.filter((e) => e.remote.port === closerPort && e.local.port === first);
    expect(reused).toHaveLength(2);
    expect(reused[0]!.cookie).not.toBe(reused[1]!.cookie);
    // Each sent its bytes and the SYN; the server's FIN came first, so each client's FIN was acked too.
    expect(reused.map((e) => e.bytesAcked).sort()).toEqual([102, 202]);
  });

  it('netsnap events --ndjson prints each close with its endpoints and an end line', async () => {
    const child = spawn(process.execPath, [CLI, 'events', '--ndjson', '--interval', '0.2', '--filter', `dport = :${port}`, '--count', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    await subscribed(child.pid!);
    for (let k = 0; k < 3; k++) await transfer(500 + k);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const o of objs) expect(eventLine(o), JSON.stringify(eventLine.errors)).toBe(true);
    const closesSeen = objs.filter((o) => o.kind === 'close');
    expect(closesSeen).toHaveLength(3);
    for (const o of closesSeen) {
      expect(o.schema).toBe('netsnap/v1');
      expect((o.remote as { port: number }).port).toBe(port);
      expect(o.family).toBe(4);
      expect(typeof o.cookie).toBe('string');
    }
    expect(closesSeen.map((o) => o.bytesAcked).sort()).toEqual([502, 503, 504]);
    expect(objs.at(-1)).toMatchObject({ kind: 'end', overflows: 0, dropped: 0 });
  });
});

describe.runIf(native && canUseNetns)('netsnap events in another network namespace (root, ip netns)', () => {
  const ns = `nsevents-${process.pid}`;
  beforeAll(() => {
    removeLeftovers(/^nsevents-(\d+)$/);
    expect(run('ip', ['netns', 'add', ns]).status).toBe(0);
    inNamespace(ns, 'ip', ['link', 'set', 'lo', 'up']);
  });
  afterAll(() => {
    run('ip', ['netns', 'del', ns]);
  });

  it('--netns NAME reports that namespace\'s closes and none of this one\'s', async () => {
    const child = spawn(process.execPath, [CLI, 'events', '--ndjson', '--netns', ns, '--interval', '0.2', '--duration', '3'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    await new Promise((r) => setTimeout(r, 1000)); // subscribed inside
    // Inside: a server and a client moving 4321 bytes on port 7777; here: one on this test's port.
    const script = 'import socket; l=socket.socket(); l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); l.bind(("127.0.0.1",7777)); l.listen(); c=socket.create_connection(("127.0.0.1",7777)); a,_=l.accept(); c.sendall(b"x"*4321); c.shutdown(socket.SHUT_WR); n=0\nwhile True:\n  d=a.recv(65536)\n  if not d: break\n  n+=len(d)\na.close(); c.close(); l.close(); print(n)';
    const inside = inNamespace(ns, 'python3', ['-c', script]);
    expect(inside.stdout.trim()).toBe('4321');
    await transfer(1234);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(err).toBe('');
    expect(code).toBe(0);
    const closes = lines.map((l) => JSON.parse(l) as { kind: string; local?: { port: number }; remote?: { port: number }; bytesAcked?: number }).filter((o) => o.kind === 'close');
    const client = closes.find((o) => o.remote!.port === 7777);
    expect(client?.bytesAcked).toBe(4321 + 2);
    expect(closes.some((o) => o.local!.port === 7777)).toBe(true);
    expect(closes.filter((o) => o.remote!.port === port || o.local!.port === port)).toEqual([]);
  });
});

const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const canRunAsNobody = process.getuid?.() === 0
  && spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(CLI)}, 4)`]).status === 0;

describe.runIf(native && canRunAsNobody)('netsnap events as an unprivileged user (native)', () => {
  it('still gets every close, and says which owners it cannot see', async () => {
    const child = spawn('setpriv', [...NOBODY, process.execPath, CLI, 'events', '--ndjson', '--interval', '0.2', '--duration', '2.5', '--filter', `dport = :${port} or sport = :${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    readline.createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += String(d)));
    await subscribed(child.pid!);
    for (let k = 0; k < 5; k++) await transfer(700 + k);
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    const objs = lines.map((l) => JSON.parse(l) as { kind: string; ownerFrom?: string; bytesAcked?: number; remote?: { port: number }; processesDenied?: number });
    const closes = objs.filter((o) => o.kind === 'close');
    // Root's ten closes (both ends of five connections), none of them attributable by nobody.
    expect(closes).toHaveLength(10);
    expect(closes.filter((o) => o.remote!.port === port).map((o) => o.bytesAcked).sort()).toEqual([702, 703, 704, 705, 706]);
    for (const o of closes) expect(o.ownerFrom).toBe('unattributed');
    expect(err).toMatch(/process\(es\) could not be read \(not root\): closes of their connections come without an owner/);
    expect(objs.at(-1)!.processesDenied).toBeGreaterThan(0);
  });
});

describe.skipIf(native)('closed connections on the TypeScript backend', () => {
  it('are refused with ERR_NEEDS_NATIVE, by the library and the command line', () => {
    expect(() => watchCloses()).toThrow(NetsnapError);
    const r = netsnap(['events', '--duration', '1']);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/destroy events, which only the native backend reads/);
  });
});
