// `netsnap serve` against fixture trees (exact values), its HTTP behaviour (concurrent scrapes,
// malformed requests, stalled clients) and live loopback sockets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { parsePromText } from '../helpers/promtext';
import { startServe, type Served } from '../helpers/serve';
import { listenOnQuietPort, once } from '../helpers/sockets';
import { snapshot } from '../../src/backends/snapshot';

const SUMMARY = path.join(FIXTURES, 'summary', 'proc');
const STATS_NET = path.join(FIXTURES, 'stats', 'proc', 'net');

/** The value of counter `name` in a `Title: names` / `Title: values` file, read independently of netsnap. */
function counterIn(file: string, title: string, name: string): number {
  const lines = fs.readFileSync(file, 'latin1').split('\n').filter((l) => l.startsWith(`${title}:`));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1);
  return Number(values[names.indexOf(name)]);
}

/** Raw bytes to the exporter; everything it answers until it closes the connection (bounded). */
function rawExchange(port: number, bytes: string, timeoutMs = 15_000): Promise<{ reply: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let reply = '';
    const t = setTimeout(() => {
      s.destroy();
      resolve({ reply, closedByServer: false });
    }, timeoutMs);
    s.setEncoding('latin1');
    s.on('data', (c: string) => (reply += c));
    s.on('connect', () => s.write(bytes));
    s.on('close', () => {
      clearTimeout(t);
      resolve({ reply, closedByServer: true });
    });
    s.on('error', () => undefined);
  });
}

/** Connections on `port` that process `pid` still holds an fd of (read with netsnap itself). */
function connectionsHeld(pid: number, port: number): number {
  const snap = snapshot({ protocols: ['tcp'], families: [4] });
  const inodes = new Set<number>();
  for (const t of snap.inet) for (let i = 0; i < t.count; i++) if (t.localPort[i] === port && t.state[i] !== 10) inodes.add(t.inode[i]!);
  let held = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m && inodes.has(Number(m[1]))) held++;
    } catch {
      // closed while listed
    }
  }
  return held;
}

async function until(ok: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !ok() && Date.now() < end;) await new Promise((r) => setTimeout(r, 50));
}

describe('serve on the summary fixture (--top 3)', () => {
  let served: Served;
  let root: string;
  beforeAll(async () => {
    // The summary fixture's sockets and processes plus the stats fixture's counter files.
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-serve-'));
    fs.cpSync(SUMMARY, root, { recursive: true, verbatimSymlinks: true });
    for (const f of ['snmp', 'netstat', 'snmp6']) fs.copyFileSync(path.join(STATS_NET, f), path.join(root, 'net', f));
    served = await startServe(['--proc-root', root, '--source', 'proc', '--top', '3']);
  });
  afterAll(async () => {
    expect(await served?.stop()).toBe(0);
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('exports states, top-3 ports/processes/listeners with the rest aggregated, and the -s counters', async () => {
    const r = await served.get('/metrics');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const m = parsePromText(r.body);
    // Sockets by protocol, family, state (the fixture: 24 tcp, 5 tcp6, 2 udp, 3 unix rows).
    expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv4', state: 'CLOSE_WAIT' })).toBe(12);
    expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv4', state: 'ESTABLISHED' })).toBe(8);
    expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv4', state: 'LISTEN' })).toBe(3);
    expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv4', state: 'TIME_WAIT' })).toBe(1);
    expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv6', state: 'ESTABLISHED' })).toBe(4);
    expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv6', state: 'LISTEN' })).toBe(1);
    expect(m.value('netsnap_sockets', { proto: 'udp', family: 'ipv4', state: 'CLOSE' })).toBe(1);
    expect(m.value('netsnap_sockets', { proto: 'unix', family: 'unix', state: 'LISTENING' })).toBe(1);
    expect(m.value('netsnap_sockets', { proto: 'unix', family: 'unix', state: 'CONNECTED' })).toBe(2);
    expect(m.find('netsnap_sockets').reduce((n, s) => n + s.value, 0)).toBe(34);
    expect(m.types.get('netsnap_sockets')).toBe('gauge');

    // Service ports: 8080 (listener + 12 CLOSE_WAIT + 1), tcp6 80 (5), 22 (3); then 5432 (2) and
    // udp 53 (1) summed with the 6 sockets on ports nothing listens on (clients' ports).
    expect(m.find('netsnap_port_sockets').map((s) => [s.labels.proto, s.labels.port, s.value])).toEqual([
      ['tcp', '8080', 14], ['tcp', '80', 5], ['tcp', '22', 3], ['other', 'other', 9],
    ]);
    expect(m.value('netsnap_aggregated_entries', { list: 'ports' })).toBe(2);

    // Processes: java[20] holds 15 sockets, nginx[50] 7, curl[30] 3; five more with 8 summed.
    expect(m.find('netsnap_process_sockets').map((s) => [s.labels.pid, s.labels.program, s.value])).toEqual([
      ['20', 'java', 15], ['50', 'nginx', 7], ['30', 'curl', 3], ['other', 'other', 8],
    ]);
    expect(m.value('netsnap_aggregated_entries', { list: 'processes' })).toBe(5);

    // LISTEN sockets: 8080 has 5 waiting; 22 and 80 next (by port); 5432 summed into "other".
    expect(m.find('netsnap_listen_accept_queue').map((s) => [s.labels.address, s.labels.port, s.value])).toEqual([
      ['0.0.0.0', '8080', 5], ['0.0.0.0', '22', 0], ['::', '80', 0], ['other', 'other', 0],
    ]);
    // /proc has no backlog column: no series rather than zeros.
    expect(m.find('netsnap_listen_backlog')).toEqual([]);
    expect(m.types.get('netsnap_listen_backlog')).toBe('gauge');

    // Queue bytes exclude LISTEN rows (8080's 5 queued connections are not bytes).
    expect(m.value('netsnap_socket_queue_bytes', { proto: 'tcp', family: 'ipv4', queue: 'receive' })).toBe(0);

    // Counters, checked against the files read here independently.
    const snmp = path.join(STATS_NET, 'snmp');
    const ext = path.join(STATS_NET, 'netstat');
    expect(m.value('netsnap_tcp_retransmitted_segments_total')).toBe(counterIn(snmp, 'Tcp', 'RetransSegs'));
    expect(m.value('netsnap_tcp_active_opens_total')).toBe(329);
    expect(m.value('netsnap_tcp_out_resets_total')).toBe(counterIn(snmp, 'Tcp', 'OutRsts'));
    expect(m.value('netsnap_tcp_current_established')).toBe(4);
    expect(m.types.get('netsnap_tcp_current_established')).toBe('gauge');
    expect(m.types.get('netsnap_tcp_active_opens_total')).toBe('counter');
    expect(m.value('netsnap_tcp_listen_overflows_total')).toBe(counterIn(ext, 'TcpExt', 'ListenOverflows'));
    expect(m.value('netsnap_tcp_listen_drops_total')).toBe(counterIn(ext, 'TcpExt', 'ListenDrops'));
    expect(m.value('netsnap_udp_no_ports_total', { family: 'ipv4' })).toBe(2);
    expect(m.value('netsnap_udp_no_ports_total', { family: 'ipv6' })).toBe(0);
    // 2^64-1 as the kernel printed it: Prometheus samples are float64.
    expect(m.value('netsnap_udp_sent_datagrams_total', { family: 'ipv4' })).toBe(18446744073709551615);
    // Every netsnap metric follows the conventions: prefix, counters end in _total.
    for (const [name, type] of m.types) {
      if (!name.startsWith('netsnap_')) continue;
      expect(type === 'counter').toBe(name.endsWith('_total'));
    }
    expect(m.value('netsnap_sample_duration_seconds')).toBeGreaterThanOrEqual(0);
    expect(m.value('netsnap_skipped_lines')).toBe(0);
  });

  it('answers /healthz, refuses other paths and methods', async () => {
    expect(await served.get('/healthz')).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await served.get('/nope')).status).toBe(404);
    const post = await rawExchange(served.port, 'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
    expect(post.reply).toMatch(/^HTTP\/1\.1 405 Method Not Allowed\r\n/);
    expect(post.reply).toMatch(/\r\nallow: GET, HEAD\r\n/i);
  });

  it('serves gzip to a client that accepts it (Prometheus does)', async () => {
    const gz = await new Promise<Buffer>((resolve, reject) => {
      const s = net.connect(served.port, '127.0.0.1', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\nConnection: close\r\n\r\n'));
      const chunks: Buffer[] = [];
      s.on('data', (c: Buffer) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks)));
      s.on('error', reject);
    });
    const head = gz.subarray(0, gz.indexOf('\r\n\r\n')).toString('latin1');
    expect(head).toMatch(/\r\ncontent-encoding: gzip\r\n/i);
    const body = (await import('node:zlib')).gunzipSync(gz.subarray(gz.indexOf('\r\n\r\n') + 4)).toString('utf8');
    expect(parsePromText(body).value('netsnap_port_sockets', { proto: 'tcp', port: '8080' })).toBe(14);
  });

  it('pipelined concurrent scrapes share one sample and one rendering', async () => {
    const before = parsePromText((await served.get('/metrics')).body).value('netsnap_samples_total')!;
    const n = 20;
    const reqs = 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(n - 1) + 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const { reply } = await rawExchange(served.port, reqs);
    const bodies = reply.split(/HTTP\/1\.1 200 OK\r\n/).slice(1).map((r) => r.slice(r.indexOf('\r\n\r\n') + 4));
    expect(bodies).toHaveLength(n);
    expect(new Set(bodies).size).toBe(1);
    expect(parsePromText(bodies[0]!).value('netsnap_samples_total')).toBe(before + 1);
    expect(parsePromText((await served.get('/metrics')).body).value('netsnap_samples_total')).toBe(before + 2);
  });

  it('concurrent scrapes on separate connections all get complete answers, never more samples than scrapes', async () => {
    const before = parsePromText((await served.get('/metrics')).body).value('netsnap_samples_total')!;
    const all = await Promise.all(Array.from({ length: 16 }, () => served.get('/metrics')));
    const samples = all.map((r) => parsePromText(r.body).value('netsnap_samples_total')!);
    for (const r of all) expect(parsePromText(r.body).value('netsnap_port_sockets', { proto: 'tcp', port: '8080' })).toBe(14);
    expect(Math.max(...samples)).toBeLessThanOrEqual(before + 16);
    expect(Math.min(...samples)).toBeGreaterThan(before);
  });

  it('answers malformed requests with 400/431 and keeps serving', async () => {
    const garbage = await rawExchange(served.port, 'GARBAGE\x01\x02 nonsense\r\n\r\n');
    expect(garbage.reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(garbage.closedByServer).toBe(true);
    const binary = await rawExchange(served.port, '\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03'); // a TLS ClientHello
    expect(binary.reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    const huge = await rawExchange(served.port, `GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(64 * 1024)}\r\n\r\n`);
    expect(huge.reply).toMatch(/^HTTP\/1\.1 431 /);
    expect((await served.get('/metrics')).status).toBe(200);
  });
});

describe('serve with stalled clients (--request-timeout 1s)', () => {
  let served: Served;
  beforeAll(async () => {
    served = await startServe(['--proc-root', SUMMARY, '--source', 'proc', '--request-timeout', '1s']);
  });
  afterAll(async () => {
    expect(await served?.stop()).toBe(0);
  });

  it('drops clients that stall mid-request or send nothing, in bounded time, without leaking fds', async () => {
    const pid = served.child.pid!;
    const stalls = [
      ...Array.from({ length: 10 }, () => rawExchange(served.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n', 20_000)),
      ...Array.from({ length: 10 }, () => rawExchange(served.port, '', 20_000)),
    ];
    await until(() => connectionsHeld(pid, served.port) === 20, 5000);
    expect(connectionsHeld(pid, served.port)).toBe(20);
    const ended = await Promise.all(stalls);
    // Every one answered "408 Request Timeout" and closed by the exporter within the test's own
    // 20 s limit (rawExchange gives up then, and closedByServer would be false).
    for (const s of ended) {
      expect(s.closedByServer).toBe(true);
      expect(s.reply).toMatch(/^HTTP\/1\.1 408 /);
    }
    await until(() => connectionsHeld(pid, served.port) === 0, 5000);
    expect(connectionsHeld(pid, served.port)).toBe(0);
    expect((await served.get('/healthz')).status).toBe(200);
  });

  it('drops a client that never reads its responses, without leaking fds', async () => {
    const pid = served.child.pid!;
    // Far more answers than the socket buffers hold, never read: the exporter's writes stall,
    // and it drops the connection (request timeout for the requests it could not get to, or
    // twice that without progress).
    const s = net.connect(served.port, '127.0.0.1');
    await once(s, 'connect');
    s.pause();
    s.on('error', () => undefined);
    const n = 20_000;
    s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(n));
    await new Promise((r) => setTimeout(r, 500));
    await until(() => connectionsHeld(pid, served.port) === 0, 15_000);
    expect(connectionsHeld(pid, served.port)).toBe(0);
    // What reached us before the drop: some answers, not all of them.
    let text = '';
    s.setEncoding('latin1');
    s.on('data', (c: string) => (text += c));
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    s.resume();
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000))]);
    expect(s.destroyed).toBe(true);
    expect(text.split('HTTP/1.1 200 OK\r\n').length - 1).toBeLessThan(n);
    expect((await served.get('/healthz')).status).toBe(200);
  });
});

describe('serve --interval', () => {
  it('serves the background sampler\'s latest sample: scrapes never take one', async () => {
    // An interval no test outlives: the first tick is the only sample there will be.
    const served = await startServe(['--proc-root', SUMMARY, '--source', 'proc', '--interval', '3600']);
    try {
      const first = parsePromText((await served.get('/metrics')).body);
      expect(first.value('netsnap_port_sockets', { proto: 'tcp', port: '8080' })).toBe(14);
      expect(first.value('netsnap_samples_total')).toBe(1);
      const { reply } = await rawExchange(served.port, 'GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(9) + 'GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      const bodies = reply.split(/HTTP\/1\.1 200 OK\r\n/).slice(1).map((r) => parsePromText(r.slice(r.indexOf('\r\n\r\n') + 4)));
      expect(bodies).toHaveLength(10);
      for (const b of [...bodies, parsePromText((await served.get('/metrics')).body)]) {
        expect(b.value('netsnap_samples_total')).toBe(1);
        expect(b.value('netsnap_sample_timestamp_seconds')).toBe(first.value('netsnap_sample_timestamp_seconds'));
      }
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });

  it('replaces the served sample with each tick', async () => {
    const served = await startServe(['--proc-root', SUMMARY, '--source', 'proc', '--interval', '200ms']);
    try {
      const first = parsePromText((await served.get('/metrics')).body);
      let later = first;
      for (const end = Date.now() + 30_000; later.value('netsnap_samples_total')! < first.value('netsnap_samples_total')! + 3 && Date.now() < end;) {
        await new Promise((r) => setTimeout(r, 100));
        later = parsePromText((await served.get('/metrics')).body);
      }
      expect(later.value('netsnap_samples_total')).toBeGreaterThanOrEqual(first.value('netsnap_samples_total')! + 3);
      expect(later.value('netsnap_sample_timestamp_seconds')!).toBeGreaterThan(first.value('netsnap_sample_timestamp_seconds')!);
      expect(later.value('netsnap_port_sockets', { proto: 'tcp', port: '8080' })).toBe(14);
    } finally {
      expect(await served.stop()).toBe(0);
    }
  });
});

describe('serve on live loopback sockets', () => {
  it('counts a listener and its connections on their port, and this process as their owner', async () => {
    const server = net.createServer();
    const accepted: net.Socket[] = [];
    server.on('connection', (c) => accepted.push(c));
    // A port no TIME_WAIT socket of an earlier connection still has: the count below is exact.
    const port = await listenOnQuietPort(server);
    const clients = await Promise.all(Array.from({ length: 3 }, async () => {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'connect');
      return c;
    }));
    for (let i = 0; i < 100 && accepted.length < 3; i++) await new Promise((r) => setTimeout(r, 20));
    const served = await startServe(['--top', '100000']);
    try {
      const m = parsePromText((await served.get('/metrics')).body);
      // The listener and the three accepted sockets have `port` as local port.
      expect(m.value('netsnap_port_sockets', { proto: 'tcp', port: String(port) })).toBe(4);
      expect(m.value('netsnap_listen_accept_queue', { proto: 'tcp', family: 'ipv4', address: '127.0.0.1', port: String(port) })).toBe(0);
      const mine = m.find('netsnap_process_sockets', { pid: String(process.pid) });
      expect(mine).toHaveLength(1);
      expect(mine[0]!.value).toBeGreaterThanOrEqual(7);
      expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv4', state: 'ESTABLISHED' })).toBeGreaterThanOrEqual(6);
    } finally {
      expect(await served.stop()).toBe(0);
      for (const c of [...clients, ...accepted]) c.destroy();
      server.close();
    }
  });
});

describe('serve command line', () => {
  it('rejects bad options with the usage (exit 2)', () => {
    for (const [args, message] of [
      [['--listen', 'localhost:9917'], /invalid --listen 'localhost:9917'/],
      [['--listen', '127.0.0.1'], /invalid --listen/],
      [['--listen', '127.0.0.1:70000'], /invalid --listen/],
      [['--top', '0'], /invalid --top '0'/],
      [['--interval', 'fast'], /invalid --interval 'fast'/],
      [['--bogus'], /unrecognized option '--bogus'/],
      [['extra'], /unexpected argument 'extra'/],
    ] as const) {
      const r = netsnap(['serve', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: netsnap serve');
    }
  });

  it('says so when the port is taken (exit 1)', async () => {
    const busy = net.createServer().listen(0, '127.0.0.1');
    await once(busy, 'listening');
    try {
      // With --interval too: no background sampler may keep the process alive after the failure.
      for (const extra of [[], ['--interval', '3600']]) {
        const r = netsnap(['serve', '--listen', `127.0.0.1:${(busy.address() as net.AddressInfo).port}`, ...extra]);
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/^netsnap serve: cannot listen on 127\.0\.0\.1:\d+: EADDRINUSE$/m);
      }
    } finally {
      busy.close();
    }
  });

  it('prints its help', () => {
    const r = netsnap(['serve', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('--listen ADDR:PORT');
  });
});
