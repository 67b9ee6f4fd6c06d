// End to end: `netsnap serve` scraped by a real Prometheus (the Debian package), queried through
// Prometheus' HTTP API, in both sampling modes (a sample per scrape with owners; a background
// sampler without). The test opens its own loopback sockets and waits (bounded) until exactly
// their numbers are in Prometheus, then closes them and waits until the numbers are gone.
//
// Other test files run in parallel on the same host (this one too, once per backend), so only our
// own ports are asserted exactly and machine-wide numbers only as lower bounds. The sizes are
// chosen to stay inside the top 5 (--top 5) of their lists while other tests hold sockets too:
// other live tests keep listeners with 3 pending connections, so ours holds 4 (listeners with
// equal queues are ordered by port, which would make a tie a coin flip). A port with one socket
// (our UDP socket's) is never sure to be in the top 5: UDP is checked in the state counts only.
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ensureDebianPackage } from './helpers/debian';
import { CLI, backend } from './helpers/env';
import { PROMETHEUS, httpGet, startPrometheus, type Prometheus, type Sample } from './helpers/prometheus';
import { once } from './helpers/sockets';

/** Connections accepted and held on one listener: its port has HELD + 1 sockets. */
const HELD = 7;
/** Connections left in the accept queue of a listener that never accepts. */
const PENDING = 4;
/** That listener's listen() backlog (below any somaxconn, so the kernel keeps it as is). */
const BACKLOG = 8;
const TOP = 5;
/** How long Prometheus may take to show a change: a few 1 s scrapes, generously. */
const SETTLE_MS = 30_000;

const missing = ensureDebianPackage(PROMETHEUS, 'prometheus');
if (missing) console.warn(`serve-prometheus: skipped: ${missing}`);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Resolves when `child` has exited (true) or after `ms` (false). */
function exitWithin(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  if (!(await exitWithin(child, 10_000))) {
    child.kill('SIGKILL');
    await exitWithin(child, 5_000);
  }
}

interface Serve {
  child: ChildProcess;
  port: number;
  /** Everything it wrote on stderr so far (for assertions and diagnostics). */
  stderr(): string;
}

/** Starts `netsnap serve` on a free loopback port; the port comes from its "serving" line. */
async function startServe(args: string[]): Promise<Serve> {
  // process.env carries NETSNAP_BACKEND of this vitest project to the child.
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: process.env });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (err += c));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`netsnap serve did not report listening in 20 s; stderr:\n${err}`)), 20_000);
      const look = () => {
        const m = /serving metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stderr!.on('data', look);
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`netsnap serve exited (${code ?? signal}); stderr:\n${err}`));
      });
      child.once('error', reject);
    });
    return { child, port, stderr: () => err };
  } catch (e) {
    await stopChild(child);
    throw e;
  }
}

/** A python3 child with a listener (backlog BACKLOG) that never accepts; it prints the port. */
async function startNonAccepting(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn('python3', ['-c', [
    'import select, socket, sys',
    's = socket.socket()',
    "s.bind(('127.0.0.1', 0))",
    `s.listen(${BACKLOG})`,
    'print(s.getsockname()[1], flush=True)',
    // Until stdin closes, at most 120 s: it never outlives a test run that lost track of it.
    'select.select([sys.stdin], [], [], 120)',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the python listener did not report in 20 s')), 20_000);
      child.stdout!.setEncoding('utf8');
      child.stdout!.once('data', (d: string) => {
        clearTimeout(timer);
        resolve(Number(d.trim()));
      });
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the python listener exited with ${code}`)));
    });
    return { child, port };
  } catch (e) {
    await stopChild(child);
    throw e;
  }
}

/** Ignores a socket's errors: resets are expected when the test closes the other end. */
const quiet = (s: net.Socket) => s.on('error', () => {});

const connect = async (port: number): Promise<net.Socket> => {
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  return quiet(c);
};

/** The one value of a query expected to return one series, or undefined when it returned none. */
const single = (r: Sample[]): number | undefined => {
  if (r.length > 1) throw new Error(`expected at most one series, got ${JSON.stringify(r)}`);
  return r[0]?.value;
};

/**
 * Resolves once the socket is closed (bounded: 5 s). With `destroy` false it waits for the peer's
 * close to close it first (a server side answering its client's FIN), destroying it only then.
 */
const closed = (s: net.Socket, destroy: boolean) => new Promise<void>((resolve) => {
  if (s.closed) return resolve();
  const timer = setTimeout(() => {
    s.destroy();
    resolve();
  }, 5_000);
  s.once('close', () => {
    clearTimeout(timer);
    resolve();
  });
  if (destroy) s.destroy();
});

describe.skipIf(missing !== null)(`netsnap serve scraped by Prometheus (${backend.name})`, () => {
  let serve: Serve | undefined;
  let prom: Prometheus | undefined;
  let heldServer: net.Server | undefined;
  const heldServerSides: net.Socket[] = [];
  const clients: net.Socket[] = [];
  let pendingListener: { child: ChildProcess; port: number } | undefined;
  const pendingClients: net.Socket[] = [];
  let udp: dgram.Socket | undefined;
  let heldPort = 0;
  /** netsnap_tcp_active_opens_total before the test opened its connections. */
  let activeOpensBefore = 0;

  beforeAll(async () => {
    serve = await startServe(['--listen', '127.0.0.1:0', '--top', String(TOP)]);
    prom = await startPrometheus(`127.0.0.1:${serve.port}`);
    // A first scrape, so the counters have a value from before our connections.
    try {
      const r = await prom.waitFor('netsnap_tcp_active_opens_total', (s) => s.length === 1, SETTLE_MS);
      activeOpensBefore = r[0]!.value;
    } catch (e) {
      // The target's last scrape error says why (hooks have no onTestFailed).
      const targets = await prom.targets().catch((t: unknown) => String(t));
      throw new Error(`${String(e)}\ntargets: ${JSON.stringify(targets)}\nnetsnap serve stderr:\n${serve.stderr()}`);
    }
  }, 120_000);

  beforeEach(({ onTestFailed }) => {
    onTestFailed(async () => {
      console.warn(`netsnap serve stderr:\n${serve?.stderr() ?? '(not started)'}`);
      console.warn(`prometheus log (${prom?.logFile}), last lines:\n${prom?.logTail() ?? '(not started)'}`);
      // The top-N lists as Prometheus has them: was ours crowded out by other tests' sockets?
      for (const metric of ['netsnap_port_sockets', 'netsnap_listen_accept_queue']) {
        const r = await prom?.query(metric).catch((e: unknown) => String(e));
        console.warn(`${metric}: ${JSON.stringify(Array.isArray(r) ? r.map((x) => [x.metric, x.value]) : r)}`);
      }
    });
  });

  afterAll(async () => {
    // Whatever failed above: no process or socket outlives the file.
    for (const s of [...clients, ...heldServerSides, ...pendingClients]) s.destroy();
    heldServer?.close();
    try {
      udp?.close();
    } catch {
      // Already closed by the test.
    }
    pendingListener?.child.stdin?.end();
    await stopChild(pendingListener?.child);
    await prom?.stop();
    await stopChild(serve?.child);
  }, 60_000);

  it('serves /healthz and is an up target', async () => {
    const h = await httpGet(`http://127.0.0.1:${serve!.port}/healthz`);
    expect(h).toEqual({ status: 200, body: 'ok\n' });
    await prom!.waitFor('up{job="netsnap"} == 1', (r) => r.length === 1, SETTLE_MS);
    const targets = await prom!.targets();
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({
      health: 'up', lastError: '', scrapeUrl: `http://127.0.0.1:${serve!.port}/metrics`,
      labels: { job: 'netsnap', instance: `127.0.0.1:${serve!.port}` },
    });
  });

  it('takes a sample per scrape: netsnap_samples_total increases, the duration is set', async () => {
    const first = single(await prom!.query('netsnap_samples_total'));
    expect(first).toBeGreaterThanOrEqual(1);
    await prom!.waitFor('netsnap_samples_total', (r) => (single(r) ?? 0) >= first! + 2, SETTLE_MS);
    await prom!.waitFor('rate(netsnap_samples_total[10s]) > 0', (r) => r.length === 1, SETTLE_MS);
    const d = single(await prom!.query('netsnap_sample_duration_seconds'));
    expect(d).toBeGreaterThan(0);
    expect(d).toBeLessThan(10);
  });

  it('shows the sockets this test opens with their exact numbers', async () => {
    // HELD connections accepted and held: the port has the LISTEN socket and the HELD server
    // sides (the client sides have ephemeral local ports).
    heldServer = net.createServer((s) => heldServerSides.push(quiet(s)));
    heldServer.listen(0, '127.0.0.1');
    await once(heldServer, 'listening');
    heldPort = (heldServer.address() as net.AddressInfo).port;
    for (let i = 0; i < HELD; i++) clients.push(await connect(heldPort));
    for (let i = 0; i < 100 && heldServerSides.length < HELD; i++) await sleep(50);
    expect(heldServerSides).toHaveLength(HELD);

    // PENDING connections the kernel completed but nobody accepted: the accept queue.
    pendingListener = await startNonAccepting();
    for (let i = 0; i < PENDING; i++) pendingClients.push(await connect(pendingListener.port));

    udp = dgram.createSocket('udp4');
    udp.bind(0, '127.0.0.1');
    await once(udp, 'listening');

    const p = prom!;
    await p.waitFor(`netsnap_port_sockets{proto="tcp",port="${heldPort}"}`, (r) => single(r) === HELD + 1, SETTLE_MS);
    const queue = `{proto="tcp",family="ipv4",address="127.0.0.1",port="${pendingListener.port}"}`;
    const aq = await p.waitFor(`netsnap_listen_accept_queue${queue}`, (r) => single(r) === PENDING, SETTLE_MS);
    expect(aq[0]!.metric).toMatchObject({ job: 'netsnap' });
    // The backlog comes with netlink dumps only: the native backend's default source here.
    const backlog = await p.query(`netsnap_listen_backlog${queue}`);
    if (backend.name === 'native') expect(backlog.map((s) => s.value)).toEqual([BACKLOG]);
    else expect(await p.query('netsnap_listen_backlog')).toEqual([]);

    // Machine-wide numbers include ours.
    expect(single(await p.query('netsnap_sockets{proto="udp",family="ipv4",state="CLOSE"}'))).toBeGreaterThanOrEqual(1);
    expect(single(await p.query('netsnap_sockets{proto="tcp",family="ipv4",state="LISTEN"}'))).toBeGreaterThanOrEqual(2);
    // Our clients, our server sides, the pending connections' both ends.
    expect(single(await p.query('netsnap_sockets{proto="tcp",family="ipv4",state="ESTABLISHED"}')))
      .toBeGreaterThanOrEqual(2 * HELD + 2 * PENDING);
    // Queue bytes (LISTEN sockets excluded) come for both directions.
    const queues = await p.query('netsnap_socket_queue_bytes{proto="tcp",family="ipv4"}');
    expect(queues.map((s) => s.metric.queue).sort()).toEqual(['receive', 'send']);
    // Owners (default on): our own process holds at least our sockets, maybe in "other".
    expect(single(await p.query('sum(netsnap_process_sockets)'))).toBeGreaterThanOrEqual(2 * HELD + PENDING + 2);
  });

  it('keeps each top-N list to --top entries plus one "other"', async () => {
    const p = prom!;
    for (const [metric, label] of [['netsnap_port_sockets', 'port'], ['netsnap_listen_accept_queue', 'port'], ['netsnap_process_sockets', 'pid']] as const) {
      const r = await p.query(metric);
      const named = r.filter((s) => s.metric[label] !== 'other');
      const other = r.filter((s) => s.metric[label] === 'other');
      expect(named.length, metric).toBeGreaterThan(0);
      expect(named.length, metric).toBeLessThanOrEqual(TOP);
      expect(other.length, metric).toBeLessThanOrEqual(1);
    }
  });

  it('counts the connections in the TCP counters; rate() and increase() work over them', async () => {
    const p = prom!;
    const opened = HELD + PENDING;
    await p.waitFor('netsnap_tcp_active_opens_total', (r) => (single(r) ?? 0) >= activeOpensBefore + opened, SETTLE_MS);
    expect(single(await p.query('netsnap_tcp_passive_opens_total'))).toBeGreaterThanOrEqual(opened);
    // increase() over a window holding samples from before and after our connections is at least
    // their number (extrapolation only ever adds).
    await p.waitFor('increase(netsnap_tcp_active_opens_total[2m])', (r) => (single(r) ?? 0) >= opened, SETTLE_MS);
    const rate = single(await p.query('rate(netsnap_tcp_active_opens_total[2m])'));
    expect(rate).toBeGreaterThan(0);
    // Both families' UDP counters, and the gauge among the counters.
    const noPorts = await p.query('netsnap_udp_no_ports_total');
    expect(noPorts.map((s) => s.metric.family).sort()).toEqual(['ipv4', 'ipv6']);
    expect(single(await p.query('netsnap_tcp_current_established'))).toBeGreaterThanOrEqual(2 * HELD + 2 * PENDING);
  });

  it('drops the numbers again once the sockets are closed', async () => {
    // The never-accepting listener goes first: closing it resets the pending connections, so
    // their clients close without lingering. Of the held connections the clients close first and
    // their server sides answer (end → close), so the TIME_WAIT sockets are the clients', on
    // ephemeral ports, and nothing lingers on the held port.
    pendingListener!.child.stdin!.end();
    await stopChild(pendingListener!.child);
    await Promise.all(pendingClients.map((s) => closed(s, true)));
    await Promise.all(clients.map((s) => closed(s, true)));
    await Promise.all(heldServerSides.map((s) => closed(s, false)));
    await new Promise<void>((r) => heldServer!.close(() => r()));
    await new Promise<void>((r) => udp!.close(() => r()));

    const p = prom!;
    const gone = (r: Sample[]) => r.length === 0 || single(r) === 0;
    await p.waitFor(`netsnap_port_sockets{proto="tcp",port="${heldPort}"}`, gone, SETTLE_MS);
    await p.waitFor(`netsnap_listen_accept_queue{port="${pendingListener!.port}"}`, gone, SETTLE_MS);
    await p.waitFor(`netsnap_listen_backlog{port="${pendingListener!.port}"}`, gone, SETTLE_MS);
  });

  it('stops cleanly on SIGTERM', async () => {
    const child = serve!.child;
    child.kill('SIGTERM');
    expect(await exitWithin(child, 10_000)).toBe(true);
    expect({ code: child.exitCode, signal: child.signalCode }).toEqual({ code: 0, signal: null });
    await prom!.waitFor('up{job="netsnap"} == 0', (r) => r.length === 1, SETTLE_MS);
  });
});
