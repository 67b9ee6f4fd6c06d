// A real Prometheus server for a test: its own config, storage and port (never the 9090 a
// Debian-installed system service may hold), scraping one static target every second, queried
// through its HTTP API. Everything here is bounded in time; stop() always cleans up.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const PROMETHEUS = '/usr/bin/prometheus';

/** One element of an instant-query result vector. */
export interface Sample {
  metric: Record<string, string>;
  value: number;
}

export interface Target {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface Prometheus {
  /** Base URL of the API (http://127.0.0.1:PORT). */
  url: string;
  /** Where Prometheus' stderr goes, for diagnostics when a test fails. */
  logFile: string;
  /** An instant query; the result must be a vector (scalars come back as one unlabelled sample). */
  query(promql: string): Promise<Sample[]>;
  /**
   * Polls `promql` every 500 ms until `predicate` holds for its result, and returns that result;
   * throws after `timeoutMs` with the last result and the tail of the log.
   */
  waitFor(promql: string, predicate: (result: Sample[]) => boolean, timeoutMs: number): Promise<Sample[]>;
  /** The active scrape targets. */
  targets(): Promise<Target[]>;
  /** The last lines of Prometheus' log. */
  logTail(lines?: number): string;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;
const REQUEST_TIMEOUT_MS = 5_000;
const STOP_GRACE_MS = 10_000;
const START_ATTEMPTS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A port free on 127.0.0.1 right now (bound to port 0 and released: another bind may still take it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/**
 * GET on loopback with a deadline; resolves with the status and body whatever the status. Without
 * an agent each request has its own connection (closed by the server: a TIME_WAIT socket on the
 * server's port for a minute).
 */
export function httpGet(url: string, timeoutMs = REQUEST_TIMEOUT_MS, agent: http.Agent | false = false): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { timeout: timeoutMs, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
  });
}

/** How the target is scraped beyond plain HTTP: HTTPS with a CA to trust, basic auth. */
export interface ScrapeOptions {
  scheme?: 'http' | 'https';
  caFile?: string;
  basicAuth?: { username: string; password: string };
}

function config(target: string, scrape: ScrapeOptions = {}): string {
  // The target is scraped every second so a test sees new values within a few seconds; the
  // timeout may not exceed the interval.
  const quote = (text: string) => JSON.stringify(text);
  return [
    'global:',
    '  scrape_interval: 1s',
    '  scrape_timeout: 1s',
    '  evaluation_interval: 1s',
    'scrape_configs:',
    '  - job_name: netsnap',
    ...(scrape.scheme ? [`    scheme: ${scrape.scheme}`] : []),
    ...(scrape.caFile ? ['    tls_config:', `      ca_file: ${quote(scrape.caFile)}`] : []),
    ...(scrape.basicAuth ? ['    basic_auth:', `      username: ${quote(scrape.basicAuth.username)}`, `      password: ${quote(scrape.basicAuth.password)}`] : []),
    '    static_configs:',
    `      - targets: ['${target}']`,
    '',
  ].join('\n');
}

function tail(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether the child has exited (or was never started successfully). */
const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** Starts Prometheus scraping `target` (HOST:PORT) and waits until it is ready. */
export async function startPrometheus(target: string, scrape: ScrapeOptions = {}): Promise<Prometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-prometheus-'));
  const configFile = path.join(dir, 'prometheus.yml');
  const storage = path.join(dir, 'data');
  const logFile = path.join(dir, 'prometheus.log');
  fs.writeFileSync(configFile, config(target, scrape));

  let child: ChildProcess | null = null;
  let url = '';
  const cleanup = async () => {
    if (child) await cleanupChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    // The free port may be taken between our probe and Prometheus' bind: retry with a new one.
    for (let attempt = 1; ; attempt++) {
      const port = await freePort();
      url = `http://127.0.0.1:${port}`;
      fs.rmSync(storage, { recursive: true, force: true });
      const log = fs.openSync(logFile, 'w');
      child = spawn(PROMETHEUS, [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${storage}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-lifecycle',
      ], { stdio: ['ignore', log, log] });
      fs.closeSync(log);
      // A failed spawn is reported as 'error' (then 'exit' may never come): note it in the log.
      child.on('error', (e) => fs.appendFileSync(logFile, `spawn error: ${e.message}\n`));
      const ready = await waitReady(child, url, logFile);
      if (ready === 'ready') break;
      await cleanupChild(child);
      if (ready === 'port in use' && attempt < START_ATTEMPTS) continue;
      throw new Error(`prometheus did not become ready (${ready}); log:\n${tail(logFile, 30)}`);
    }
  } catch (e) {
    await cleanup();
    throw e;
  }

  // One kept-alive connection for all queries: a connection per query would leave a TIME_WAIT
  // socket per query on Prometheus' port, hundreds in a test, and crowd the busiest-ports list
  // the test reads.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const query = async (promql: string): Promise<Sample[]> => {
    const r = await httpGet(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`, REQUEST_TIMEOUT_MS, agent);
    const doc = JSON.parse(r.body) as {
      status: string; error?: string;
      data?: { resultType: string; result: unknown };
    };
    if (doc.status !== 'success' || !doc.data) throw new Error(`query ${promql}: ${r.status} ${doc.error ?? r.body}`);
    const { resultType, result } = doc.data;
    if (resultType === 'scalar') return [{ metric: {}, value: Number((result as [number, string])[1]) }];
    if (resultType !== 'vector') throw new Error(`query ${promql}: a ${resultType}, not a vector`);
    return (result as Array<{ metric: Record<string, string>; value: [number, string] }>)
      .map((s) => ({ metric: s.metric, value: Number(s.value[1]) }));
  };

  return {
    url,
    logFile,
    query,
    async waitFor(promql, predicate, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      let last: Sample[] | string = 'no answer yet';
      // Bounded by the deadline; each query is bounded by its own timeout.
      for (let i = 0; Date.now() < deadline && i < 10_000; i++) {
        try {
          const result = await query(promql);
          if (predicate(result)) return result;
          last = result;
        } catch (e) {
          // A query may fail while data is missing (e.g. rate() of nothing is fine, a bad
          // response is not): keep the error for the report, keep polling until the deadline.
          last = String(e);
        }
        await sleep(500);
      }
      throw new Error(`${promql}: condition not met in ${timeoutMs} ms; last result: ${JSON.stringify(last)}`);
    },
    async targets() {
      const r = await httpGet(`${url}/api/v1/targets?state=active`, REQUEST_TIMEOUT_MS, agent);
      const doc = JSON.parse(r.body) as { data: { activeTargets: Target[] } };
      return doc.data.activeTargets.map((t) => ({
        labels: t.labels, scrapeUrl: t.scrapeUrl, health: t.health, lastError: t.lastError,
      }));
    },
    logTail: (lines = 30) => tail(logFile, lines),
    async stop() {
      agent.destroy();
      await cleanup();
    },
  };
}

/** SIGTERM, then SIGKILL if it has not exited after STOP_GRACE_MS. */
async function cleanupChild(child: ChildProcess): Promise<void> {
  if (exited(child) || child.pid === undefined) return;
  child.kill('SIGTERM');
  if (!(await waitExit(child, STOP_GRACE_MS))) {
    child.kill('SIGKILL');
    await waitExit(child, STOP_GRACE_MS);
  }
}

/** Polls /-/ready until Prometheus answers 200, exits, or READY_TIMEOUT_MS passes. */
async function waitReady(child: ChildProcess, url: string, logFile: string): Promise<'ready' | 'port in use' | string> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (let i = 0; Date.now() < deadline && i < 1_000; i++) {
    if (exited(child) || child.pid === undefined) {
      return /address already in use/i.test(tail(logFile, 50))
        ? 'port in use'
        : `exited with ${child.exitCode ?? child.signalCode}`;
    }
    try {
      const r = await httpGet(`${url}/-/ready`, 1_000);
      if (r.status === 200) return 'ready';
    } catch {
      // Not listening yet.
    }
    await sleep(200);
  }
  return `not ready in ${READY_TIMEOUT_MS / 1000} s`;
}
