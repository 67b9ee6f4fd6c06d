// The netlink (NETLINK_SOCK_DIAG) source against the /proc source, on sockets this test opens itself
// on loopback. Native backend only (the TypeScript backend has no netlink source). Both sources are
// sampled back to back and only the test's own sockets are compared: other processes on the machine
// open and close sockets all the time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import type { Backend, RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';
import { createSampler, type Tick } from '../../src/services/sampler';
import { snapshot } from '../../src/backends/snapshot';
import { InetTable } from '../../src/model/columns';
import { BASIC } from '../helpers/env';
import { inodeOf, once, timeWaitOnLoopback } from '../helpers/sockets';
import { netsnap } from '../helpers/cli';
import { valid } from '../helpers/schema';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the netlink parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
const native: Backend = loaded.backend;

const INET = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6'];
const PROTO: Record<string, 'tcp' | 'udp' | 'udplite' | 'raw'> = {
  tcp: 'tcp', tcp6: 'tcp', udp: 'udp', udp6: 'udp', udplite: 'udplite', udplite6: 'udplite', raw: 'raw', raw6: 'raw',
};
const BACKLOG = 37;
const somaxconn = Number(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Pair {
  listener: net.Server;
  listenerInode: number;
  port: number;
  client: net.Socket;
  server: net.Socket;
}

/**
 * A listener (backlog BACKLOG) and one connection with unread data both ways: each side writes more
 * than the loopback windows hold and neither reads, so Send-Q and Recv-Q are non-zero and stable.
 */
async function openPair(host: string): Promise<Pair> {
  const listener = net.createServer({ pauseOnConnect: true });
  listener.listen({ port: 0, host, backlog: BACKLOG });
  await once(listener, 'listening');
  const port = (listener.address() as net.AddressInfo).port;
  const accepted = once<net.Socket>(listener, 'connection');
  const client = net.connect({ port, host });
  client.pause();
  await once(client, 'connect');
  client.pause();
  const server = await accepted;
  const chunk = Buffer.alloc(8 << 20, 0x61);
  client.write(chunk);
  server.write(chunk);
  return { listener, listenerInode: inodeOf(listener), port, client, server };
}

function sampleBoth(request: Omit<SampleRequest, 'source'>): { proc: RawSample; netlink: RawSample } {
  // Back to back, netlink first and again after /proc: a caller can check the two netlink reads agree.
  const netlink = native.sample({ ...request, source: 'netlink' });
  const proc = native.sample({ ...request, source: 'proc' });
  return { proc, netlink };
}

interface Row {
  file: string;
  family: number;
  state: number;
  local: string;
  remote: string;
  txQueue: number;
  rxQueue: number;
  timerKind: number;
  timerJiffies: number;
  uid: number;
  inode: number;
  drops: number;
  backlog: number | undefined;
}

function rows(s: RawSample): Row[] {
  const out: Row[] = [];
  for (const f of s.files) {
    if (!f.table) continue;
    const t = new InetTable(PROTO[f.name]!, f.name, f.table as RawInetTable, f.source);
    for (let i = 0; i < t.count; i++) {
      const hex = (a: Uint8Array) => Buffer.from(a.subarray(i * 16, i * 16 + 16)).toString('hex');
      out.push({
        file: f.name, family: t.family[i]!, state: t.state[i]!,
        local: `${hex(t.localAddr)}:${t.localPort[i]}`, remote: `${hex(t.remoteAddr)}:${t.remotePort[i]}`,
        txQueue: t.txQueue[i]!, rxQueue: t.rxQueue[i]!, timerKind: t.timerKind[i]!, timerJiffies: t.timerJiffies[i]!,
        uid: t.uid[i]!, inode: t.inode[i]!, drops: t.drops[i]!, backlog: t.backlog(i),
      });
    }
  }
  return out;
}

/** The comparable part of a row: everything but the timer's remaining time and netlink's backlog. */
const comparable = (r: Row) => {
  const { timerJiffies: _j, backlog: _b, ...rest } = r;
  return rest;
};

const request = (files: string[], extra: Partial<SampleRequest> = {}): Omit<SampleRequest, 'source'> => ({
  netDir: '/proc/net', files, owners: false, procRoot: '/proc', littleEndian: true, ...extra,
});

describe('netlink source (native) against /proc', () => {
  let v4: Pair;
  let v6: Pair;
  let udpBound: dgram.Socket;
  let udpConnected: dgram.Socket;
  let udp6Bound: dgram.Socket;
  let timeWaitPort = 0;
  let helper: { child: ChildProcess; udpInode: number; rawInode: number } | null = null;
  const own = new Set<number>();
  const ports = new Set<number>();

  beforeAll(async () => {
    v4 = await openPair('127.0.0.1');
    v6 = await openPair('::1');
    udpBound = dgram.createSocket('udp4');
    udpBound.bind(0, '127.0.0.1');
    await once(udpBound, 'listening');
    udpConnected = dgram.createSocket('udp4');
    udpConnected.bind(0, '127.0.0.1');
    await once(udpConnected, 'listening');
    udpConnected.connect(udpBound.address().port, '127.0.0.1');
    await once(udpConnected, 'connect');
    udp6Bound = dgram.createSocket('udp6');
    udp6Bound.bind(0, '::1');
    await once(udp6Bound, 'listening');
    // A TIME_WAIT socket: the client closes first.
    timeWaitPort = await timeWaitOnLoopback();
    // A helper process: a UDP socket that never reads, with a small receive buffer flooded until it
    // drops (rx queue and drops non-zero), and a RAW socket when it may open one (root here).
    const child = spawn('python3', ['-c', [
      'import socket, os, sys',
      'u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'u.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)',
      'u.bind(("127.0.0.1", 0))',
      'w = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)',
      'for i in range(200): w.sendto(b"x" * 512, u.getsockname())',
      'w.close()',
      'try:',
      '    r = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP); ri = os.fstat(r.fileno()).st_ino',
      'except OSError:',
      '    ri = 0',
      'print(os.fstat(u.fileno()).st_ino, ri, flush=True)',
      'sys.stdin.read()',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (d: string) => {
        out += d;
        if (out.includes('\n')) resolve(out.trim());
      });
      child.once('exit', (code) => reject(new Error(`socket helper exited with ${code}`)));
    });
    const [udpInode, rawInode] = line.split(' ').map(Number) as [number, number];
    helper = { child, udpInode, rawInode };
    own.add(udpInode);
    if (rawInode) own.add(rawInode);
    for (const p of [v4, v6]) {
      own.add(p.listenerInode).add(inodeOf(p.client)).add(inodeOf(p.server));
      ports.add(p.port);
    }
    for (const u of [udpBound, udpConnected, udp6Bound]) {
      own.add(inodeOf(u));
    }
    ports.add(timeWaitPort);
    // Let the windows fill: queues stop moving once both sides are blocked.
    await sleep(500);
  });

  afterAll(async () => {
    for (const p of [v4, v6]) {
      p?.client.destroy();
      p?.server.destroy();
      p?.listener.close();
    }
    for (const u of [udpBound, udpConnected, udp6Bound]) u?.close();
    helper?.child.stdin!.end();
    helper?.child.kill();
  });

  it('reports which source it used: netlink for tcp/udp/udplite, /proc for unix (and RAW where raw_diag is missing)', () => {
    const s = native.sample({ ...request([...INET, 'unix']), source: 'netlink' });
    for (const f of s.files) {
      expect(f.error, f.name).toBeNull();
      if (f.name === 'unix') expect(f.source).toBe('proc');
      else if (f.name.startsWith('raw')) expect(['proc', 'netlink']).toContain(f.source);
      else expect(f.source, f.name).toBe('netlink');
      // The backlog column comes with netlink tables only.
      expect(f.table && 'backlog' in f.table, f.name).toBe(f.source === 'netlink');
    }
    const p = native.sample({ ...request(INET), source: 'proc' });
    for (const f of p.files) expect(f.source).toBe('proc');
  });

  it('gives the same state, queues, inode, uid, addresses, ports, timer kind and drops for the test sockets', async () => {
    let lastMismatch = '';
    // Queues settle within a few hundred ms; a mismatch is retried once the test's sockets are still.
    for (let attempt = 0; attempt < 5; attempt++) {
      const { proc, netlink } = sampleBoth(request(INET));
      const p = rows(proc).filter((r) => own.has(r.inode));
      const n = rows(netlink).filter((r) => own.has(r.inode));
      const byInode = (list: Row[]) => new Map(list.map((r) => [r.inode, r]));
      const pm = byInode(p);
      const nm = byInode(n);
      // Every own socket but RAW (which may come from /proc in both) is present in both.
      expect(pm.size).toBe(own.size);
      expect(nm.size).toBe(own.size);
      lastMismatch = '';
      for (const [inode, pr] of pm) {
        const nr = nm.get(inode)!;
        if (JSON.stringify(comparable(pr)) !== JSON.stringify(comparable(nr))) {
          lastMismatch = `inode ${inode}: proc ${JSON.stringify(pr)} netlink ${JSON.stringify(nr)}`;
        }
        // The timer's remaining time is read at two moments: close, not equal (1 tick = 10 ms).
        expect(Math.abs(pr.timerJiffies - nr.timerJiffies), `timer of ${inode}`).toBeLessThanOrEqual(100);
      }
      if (lastMismatch === '') break;
      console.warn(`netlink parity: retrying after ${lastMismatch}`);
      await sleep(300);
    }
    expect(lastMismatch).toBe('');

    const { proc, netlink } = sampleBoth(request(INET));
    const nm = new Map(rows(netlink).map((r) => [r.inode, r]));
    const pm = new Map(rows(proc).map((r) => [r.inode, r]));
    for (const p of [v4, v6]) {
      // LISTEN: Send-Q stays what /proc shows (0); the backlog maximum is netlink's extra.
      const l = nm.get(p.listenerInode)!;
      expect(l.state).toBe(10);
      expect(l.txQueue).toBe(0);
      expect(pm.get(p.listenerInode)!.txQueue).toBe(0);
      expect(l.backlog).toBe(Math.min(BACKLOG, somaxconn));
      expect(pm.get(p.listenerInode)!.backlog).toBeUndefined();
      // The connection has data queued both ways, and netlink sees the same.
      for (const s of [p.client, p.server]) {
        const r = nm.get(inodeOf(s))!;
        expect(r.state).toBe(1);
        expect(r.txQueue).toBeGreaterThan(0);
        expect(r.rxQueue).toBeGreaterThan(0);
        expect(r.backlog).toBe(0);
        expect(r.uid).toBe(process.getuid!());
      }
    }
    const connected = nm.get(inodeOf(udpConnected))!;
    expect(connected.state).toBe(1);
    expect(nm.get(inodeOf(udpBound))!.state).toBe(7);
    // The flooded UDP socket: its queue and drop counter agree between the sources (compared above),
    // and are not zero, so SK_MEMINFO_DROPS really was read.
    const flooded = nm.get(helper!.udpInode)!;
    expect(flooded.rxQueue).toBeGreaterThan(0);
    expect(flooded.drops).toBeGreaterThan(0);
    if (helper!.rawInode) {
      const r = nm.get(helper!.rawInode)!;
      expect(r.file).toBe('raw');
      expect(r.local.endsWith(':1')).toBe(true); // the "port" of a RAW socket is its protocol (ICMP)
    }
  });

  it('finds the TIME_WAIT socket in both, keyed on addresses (its inode is 0)', () => {
    const { proc, netlink } = sampleBoth(request(['tcp']));
    const tw = (s: RawSample) =>
      rows(s).filter((r) => r.state === 6 && r.remote.endsWith(`:${timeWaitPort}`)).map((r) => ({ ...comparable(r) }));
    const p = tw(proc);
    const n = tw(netlink);
    expect(p.length).toBeGreaterThanOrEqual(1);
    expect(n).toEqual(p);
    for (const r of n) {
      expect(r.inode).toBe(0);
      expect(r.uid).toBe(0);
      expect(r.timerKind).toBe(3);
    }
  });

  it('pushes the state mask into the kernel: LISTEN only gives the /proc rows filtered', () => {
    const listen = 1 << 10;
    const { proc, netlink } = sampleBoth(request(['tcp', 'tcp6'], { tcpStates: listen }));
    for (const f of netlink.files) expect(f.source).toBe('netlink');
    const n = rows(netlink);
    const p = rows(proc);
    expect(n.every((r) => r.state === 10)).toBe(true);
    expect(p.every((r) => r.state === 10)).toBe(true);
    // No problems: filtered rows are not skipped lines.
    for (const f of proc.files) expect(f.table!.problems.length).toBe(0);
    const mine = (list: Row[]) => list.filter((r) => ports.has(Number(r.local.split(':')[1]))).map(comparable);
    expect(mine(n)).toEqual(mine(p));
    expect(mine(n).map((r) => r.inode).sort()).toEqual([v4.listenerInode, v6.listenerInode].sort());
    // Everything but LISTEN: the test's connections, not its listeners.
    const rest = sampleBoth(request(['tcp', 'tcp6'], { tcpStates: (0xffffffff & ~listen) >>> 0 }));
    for (const s of [rest.proc, rest.netlink]) {
      const r = rows(s);
      expect(r.some((x) => x.state === 10)).toBe(false);
      expect(r.some((x) => x.inode === inodeOf(v4.client))).toBe(true);
    }
  });

  it('lists no bound-but-inactive TCP socket (Linux 6.8+ state 13), as /proc does not, whatever the state mask', async () => {
    // A socket bound to a port that never listens nor connects: /proc/net/tcp does not show it.
    // It prints its port and its socket's inode (fstat of a socket gives the socket's inode).
    const holder = spawn('python3', ['-c', 'import os,socket,sys; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1], os.fstat(s.fileno()).st_ino, flush=True); sys.stdin.read()'], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      // One line, which a pipe may hand over in more than one chunk.
      const [port, inode] = await new Promise<number[]>((resolve) => {
        let out = '';
        const onData = (d: Buffer) => {
          out += String(d);
          if (!out.includes('\n')) return;
          holder.stdout!.off('data', onData);
          resolve(out.trim().split(' ').map(Number));
        };
        holder.stdout!.on('data', onData);
      });
      expect(port).toBeGreaterThan(0);
      expect(inode).toBeGreaterThan(0);
      // The socket itself, by its inode: other sockets may use the same port on other addresses.
      const v4Local = (r: Row) => r.local === `7f000001${'0'.repeat(24)}:${port}`;
      for (const tcpStates of [undefined, 0xffffffff, 1 << 7]) {
        const { proc, netlink } = sampleBoth(request(['tcp'], tcpStates === undefined ? {} : { tcpStates }));
        for (const s of [proc, netlink]) expect(rows(s).filter((r) => r.inode === inode || v4Local(r)), String(tcpStates)).toEqual([]);
      }
      expect(netsnap(['-tan']).stdout).not.toContain(`127.0.0.1:${port} `);
    } finally {
      holder.stdin!.end();
    }
  });

  it('falls back to /proc, silently, for a netDir that is not the own namespace', () => {
    const req: SampleRequest = { netDir: `${BASIC}/net`, files: [...INET, 'unix'], owners: false, procRoot: BASIC, littleEndian: true };
    const n = native.sample({ ...req, source: 'netlink' });
    const p = native.sample({ ...req, source: 'proc' });
    for (const f of n.files) expect(f.source, f.name).toBe('proc');
    n.files.forEach((f, i) => {
      const g = p.files[i]!;
      expect(f.error).toBe(g.error);
      if (f.table && g.table) expect(Buffer.from(f.table.buffer).equals(Buffer.from(g.table.buffer))).toBe(true);
    });
    // snapshot()'s 'auto' picks /proc there too.
    const snap = snapshot({ procRoot: BASIC, backend: 'native', source: 'auto' });
    for (const t of snap.inet) expect(t.source).toBe('proc');
    expect(snapshot({ backend: 'native' }).inet.find((t) => t.file === 'tcp')!.source).toBe('netlink');
    expect(snapshot({ backend: 'js', source: 'netlink' }).inet.find((t) => t.file === 'tcp')!.source).toBe('proc');
  });

  it('the sampler passes the source through and refills netlink tables in place (double buffering)', async () => {
    for (const source of ['netlink', 'proc'] as const) {
      const sampler = createSampler({ interval: 0, protocols: ['tcp', 'udp'], backend: 'native', source });
      const ticks: Tick[] = [];
      for (let i = 0; i < 4; i++) ticks.push(await sampler.next());
      sampler.close();
      for (const t of ticks) for (const table of t.snapshot.inet) expect(table.source, table.file).toBe(source);
      const listener = (i: number) => {
        const t = ticks[i]!.snapshot.table('tcp')!;
        for (let r = 0; r < t.count; r++) if (t.inode[r] === v4.listenerInode) return t.backlog(r);
        return null;
      };
      expect(listener(3)).toBe(source === 'netlink' ? Math.min(BACKLOG, somaxconn) : undefined);
      // Tick 3 filled tick 1's memory when its rows fit (they do: the test's sockets are still).
      const t1 = ticks[1]!.snapshot.table('udp')!;
      const t3 = ticks[3]!.snapshot.table('udp')!;
      if (t3.count <= t1.raw.capacity) expect(t3.raw.buffer).toBe(t1.raw.buffer);
    }
  });

  it('rejects a bad source or state mask', () => {
    expect(() => native.sample({ ...request(['tcp']), source: 'nope' as 'proc' })).toThrow(TypeError);
    expect(() => native.sample({ ...request(['tcp']), tcpStates: -1 })).toThrow(TypeError);
    expect(() => snapshot({ source: 'nope' as 'proc' })).toThrow(TypeError);
  });

  it('netsnap -tan prints the same lines for the test sockets with --source netlink and --source proc', () => {
    const mine = (out: string) =>
      out.split('\n').filter((l) => {
        const f = l.trim().split(/\s+/);
        return f.length >= 6 && [f[3], f[4]].some((a) => ports.has(Number(a!.slice(a!.lastIndexOf(':') + 1))));
      }).sort();
    const n = netsnap(['-tan', '--source', 'netlink']);
    const p = netsnap(['-tan', '--source', 'proc']);
    expect(n.status).toBe(0);
    expect(p.status).toBe(0);
    const nl = mine(n.stdout);
    expect(nl.length).toBeGreaterThanOrEqual(6); // 2 listeners, 2 x 2 connection ends, TIME_WAIT
    expect(nl).toEqual(mine(p.stdout));
    // -l: only the listeners, the same both ways.
    const ln = mine(netsnap(['-tln', '--source', 'netlink']).stdout);
    expect(ln.length).toBe(2);
    expect(ln).toEqual(mine(netsnap(['-tln', '--source', 'proc']).stdout));
    const bad = netsnap(['-tan', '--source', 'ss']);
    expect(bad.status).toBe(3);
    expect(bad.stderr).toContain("invalid source 'ss'");
    expect(bad.stderr).toContain('usage:');
  });

  it('puts the LISTEN backlog in the JSON output only when netlink was the source', () => {
    const doc = (source: string) => {
      const r = netsnap(['--json', '-tln', '--source', source]);
      expect(r.status).toBe(0);
      const d = JSON.parse(r.stdout);
      valid(d);
      return d as { sockets: Array<{ inode: number; backlog?: number }> };
    };
    const find = (d: { sockets: Array<{ inode: number; backlog?: number }> }) => d.sockets.find((s) => s.inode === v4.listenerInode);
    expect(find(doc('netlink'))!.backlog).toBe(Math.min(BACKLOG, somaxconn));
    expect(find(doc('proc'))).not.toHaveProperty('backlog');
  });
});

describe('netlink tables sized from sockstat (native)', () => {
  const canUnshare = process.geteuid?.() === 0 && spawnSync('unshare', ['-n', 'true'], { timeout: 10_000 }).status === 0;

  // Its own network namespace (unshare -n), so that sockstat counts only what the script opens: a
  // listener and `pairs` connections to it, on 127.0.0.1 and on ::1, of which `closed` IPv4 ones are
  // closed by their client (TIME_WAIT). Then one-shot samples of tcp and tcp6 (two dumps, then one),
  // and the sockstat lines; printed as JSON.
  const inNamespace = (pairs: number, closed: number) => {
    const script = `const net = require('node:net');
      const fs = require('node:fs');
      const addon = require(${JSON.stringify(loaded.ok ? loaded.path : '')});
      const held = [];
      const clients4 = [];
      const open = (host) => new Promise((done) => {
        const srv = net.createServer((s) => held.push(s)).listen({ port: 0, host }, () => {
          let n = 0;
          for (let i = 0; i < ${pairs}; i++) {
            const c = net.connect({ port: srv.address().port, host }, () => { if (++n === ${pairs}) setTimeout(done, 100); });
            held.push(c);
            if (host === '127.0.0.1') clients4.push(c);
          }
        });
      });
      // The first ${closed} IPv4 clients close first: each leaves a TIME_WAIT socket, which sockstat counts as tw.
      const closeSome = () => Promise.all(clients4.slice(0, ${closed}).map((c) => new Promise((done) => { c.on('close', done); c.end(); })))
        .then(() => new Promise((done) => setTimeout(done, 100)));
      const req = (extra) => ({ netDir: '/proc/net', procRoot: '/proc', owners: false, littleEndian: true, files: ['tcp', 'tcp6'], source: 'netlink', ...extra });
      const sizes = (s) => s.files.map((f) => ({ name: f.name, source: f.source, count: f.table.count, capacity: f.table.capacity }));
      Promise.all([open('127.0.0.1'), open('::1')]).then(closeSome).then(() => {
        addon.setThreads(2);
        const out = {
          two: sizes(addon.sample(req({}))), one: sizes(addon.sample(req({ oneTcpDump: true }))),
          listening: sizes(addon.sample(req({ tcpStates: 1 << 10 }))),
          sockstat: fs.readFileSync('/proc/net/sockstat', 'utf8') + fs.readFileSync('/proc/net/sockstat6', 'utf8'),
        };
        console.log(JSON.stringify(out));
        process.exit(0);
      });`;
    const r = spawnSync('unshare', ['-n', 'sh', '-c', 'ip link set lo up && exec "$0" -e "$1"', process.execPath, script], { encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<'two' | 'one' | 'listening', Array<{ name: string; source: string; count: number; capacity: number }>> & { sockstat: string };
  };

  it.runIf(canUnshare)('makes room for the rows sockstat counts at once (TIME_WAIT in tcp\'s table), and grows from a small table otherwise', () => {
    const pairs = 700;
    const closed = 50;
    const r = inNamespace(pairs, closed);
    const inuse4 = Number(/TCP: inuse (\d+)/.exec(r.sockstat)![1]);
    const tw = Number(/TCP: .* tw (\d+)/.exec(r.sockstat)![1]);
    const inuse6 = Number(/TCP6: inuse (\d+)/.exec(r.sockstat)![1]);
    // Each closed pair: its client in TIME_WAIT (tw), its server end gone.
    expect(tw).toBe(closed);
    expect(inuse4).toBe(2 * (pairs - closed) + 1);
    expect(inuse6).toBe(2 * pairs + 1);
    for (const asked of [r.two, r.one]) {
      expect(asked.map((f) => [f.name, f.source, f.count])).toEqual([['tcp', 'netlink', inuse4 + tw], ['tcp6', 'netlink', inuse6]]);
      // The count, not a doubling of the first 256 rows (2,048); TIME_WAIT's count in tcp's table alone.
      expect(asked.map((f) => f.capacity)).toEqual([inuse4 + tw, inuse6]);
    }
    // LISTEN only: the table grows from its first 256 rows, as it would past a count that fell short.
    expect(r.listening.map((f) => [f.count, f.capacity])).toEqual([[1, 256], [1, 256]]);
  });
});
