// `netsnap serve`: a Prometheus exporter built on the sampler. Each scrape takes one sample (or,
// with an interval, gets the background sampler's latest); scrapes that arrive while a sample is
// being taken wait for that one, so any number of concurrent scrapes cost one sample and one
// rendering. The sample runs off the event loop with the native backend; the reduction to metrics
// works on the columns (src/analysis/measure.ts) and the top-N limits keep the series count bounded.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as path from 'node:path';
import type * as tls from 'node:tls';
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { INET_PROTOCOLS } from '../model/contract';
import { createSampler, type Sampler } from './sampler';
import type { Measurement } from '../analysis/measure';
import { COUNTERS } from '../analysis/counters';
import { measuredSample } from './measured';
import type { BackendName } from '../backends/select';
import { netlinkFaults, type SourceOption } from '../model/snapshot';
import { Grid } from './schedule';
import { createFlowTracker, type FlowTracker } from './throughput';
import { FlowTotals, type FlowTotalsView } from './flow_totals';
import { buildBaseline, compareBaseline, countDifferences, DIFFERENCE_KINDS, type Baseline, type Difference } from '../analysis/baseline';
import { clientCertProblem, loadWebConfig, type LoadedWebConfig } from './web_config';
import { createBasicAuth, type BasicAuth } from './basic_auth';

const gzip = promisify(zlib.gzip);

export interface ExporterOptions {
  host?: string;
  port?: number;
  /** Seconds between background samples; null (default): one sample per scrape. */
  interval?: number | null;
  /** Entries in each labelled list (listeners, ports, processes); the rest is aggregated. Default 20. */
  top?: number;
  /** Map sockets to processes (netsnap_process_sockets). Default true. */
  owners?: boolean;
  procRoot?: string;
  backend?: BackendName;
  source?: SourceOption;
  /** tcp_info gauges per top-N service port (RTT p50/p99, retransmitting connections, unsent bytes); native backend. Default false. */
  info?: boolean;
  /** The container series (netsnap_container_sockets) from the owners' cgroups; native backend. Default false. */
  cgroup?: boolean;
  /** ss's filter expression: the exporter counts only the inet sockets it keeps (SnapshotOptions.filter), and no UNIX ones. */
  filter?: string;
  /** A client must send its whole request within this time (ms), and goes when idle this long. Default 10 s. */
  requestTimeoutMs?: number;
  /**
   * Connections served at once; more are closed as they arrive (netsnap_connections_dropped_total).
   * Default 64, or fewer when the process's open-file limit leaves less room (see connectionBudget()).
   */
  maxConnections?: number;
  /**
   * A baseline (`netsnap --save-baseline`) to compare every sample with, as `--compare` does:
   * netsnap_baseline_differences counts the differences by kind. `file` labels netsnap_baseline_info.
   */
  baseline?: { baseline: Baseline; file: string };
  /**
   * TLS, basic auth and response headers (loadWebConfig: exporter-toolkit's web config file). The
   * file and the certificates it names are read again when they change and on reloadWebConfig(),
   * without closing the listener; a file that no longer loads leaves the config in force as it was.
   */
  webConfig?: LoadedWebConfig;
  /** Told the outcome of every reload of the web config that found something changed, or failed. */
  onWebConfigReload?: (error: string | null) => void;
}

export interface Exporter {
  readonly host: string;
  readonly port: number;
  /** Whether it speaks HTTPS (a web config with tls_server_config). */
  readonly tls: boolean;
  /**
   * Reads the web config again (SIGHUP): null when it is in force (changed or not), else why it
   * could not be, the previous one staying in force.
   */
  reloadWebConfig(): string | null;
  /** The metrics text as the next scrape would get it (takes or waits for a sample). */
  metrics(): Promise<string>;
  close(): Promise<void>;
}

interface Rendered {
  text: string;
  gzipped: Promise<Buffer> | null;
}

/**
 * The exporter's metrics over one registry. `show(m)` renders a measurement; renders are
 * serialized, since prom-client's collect() hooks read the measurement being rendered.
 */
class MetricsView {
  readonly registry = new Registry();
  private shown: Measurement | null = null;
  private flows: FlowTotalsView | null = null;
  private differences: Record<Difference['kind'], number> | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly unlabelled = new Map<string, { metric: Metric; name: string; registered: boolean }>();
  readonly samples: Counter;
  readonly sampleErrors: Counter;
  readonly netlinkFallbacks: Counter<'file' | 'error'>;
  readonly scrapes: Counter;
  readonly dropped: Counter;

  readonly webConfig: { reloadFailures: Counter; lastReloadSuccess: Gauge; lastReloadSuccessful: Gauge; passwordChecks: Counter; handshakeFailures: Counter } | null;
  /** Read by netsnap_web_config_password_checks_total at each render. */
  passwordComparisons = (): number => 0;

  constructor(top: number, info = false, cgroup = false, baseline: ExporterOptions['baseline'] = undefined, webConfig = false) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    const view = this;
    const m = (): Measurement => view.shown!;
    const gauge = (name: string, help: string, labelNames: string[], fill: (g: Gauge, m: Measurement) => void) =>
      new Gauge({ name, help, labelNames, registers: [r], collect() { this.reset(); fill(this, m()); } });

    gauge('netsnap_sockets', 'Sockets by protocol, address family and state.', ['proto', 'family', 'state'], (g, s) => {
      for (const e of s.states) g.set({ proto: e.proto, family: e.family, state: e.state }, e.count);
    });
    gauge('netsnap_socket_queue_bytes', 'Bytes in receive (Recv-Q) and send (Send-Q) queues, LISTEN sockets excluded.', ['proto', 'family', 'queue'], (g, s) => {
      for (const q of s.queues) {
        g.set({ proto: q.proto, family: q.family, queue: 'receive' }, q.receive);
        g.set({ proto: q.proto, family: q.family, queue: 'send' }, q.send);
      }
    });
    const listenLabels = ['proto', 'family', 'address', 'port'];
    gauge('netsnap_listen_accept_queue', `Connections waiting to be accepted on each LISTEN socket (top ${top} by queue; the rest summed as address="other").`, listenLabels, (g, s) => {
      for (const l of s.listeners) g.set({ proto: l.proto, family: l.family, address: l.address, port: String(l.port) }, l.acceptQueue);
      if (s.listenersRest.entries > 0) g.set({ proto: 'tcp', family: 'other', address: 'other', port: 'other' }, s.listenersRest.acceptQueue ?? 0);
    });
    gauge('netsnap_listen_backlog', 'The listen() backlog of each LISTEN socket shown in netsnap_listen_accept_queue (read with netlink only).', listenLabels, (g, s) => {
      for (const l of s.listeners) {
        if (l.backlog !== null) g.set({ proto: l.proto, family: l.family, address: l.address, port: String(l.port) }, l.backlog);
      }
    });
    gauge('netsnap_port_sockets', `Sockets on each local port something listens on (top ${top}; the rest, and every socket on a port nothing listens on, summed as port="other").`, ['proto', 'port'], (g, s) => {
      for (const p of s.ports) g.set({ proto: p.proto, port: String(p.port) }, p.sockets);
      if (s.portsRest.entries > 0) g.set({ proto: 'other', port: 'other' }, s.portsRest.sockets);
    });
    gauge('netsnap_tcp_port_sockets', `TCP sockets on each TCP port of netsnap_port_sockets (top ${top} service ports) by state; only the states that occur on the port.`, ['port', 'state'], (g, s) => {
      for (const e of s.portStates ?? []) g.set({ port: String(e.port), state: e.state }, e.count);
    });
    if (info) {
      // Bounded like the port counts: the top-N service ports and one host-wide series each.
      gauge('netsnap_tcp_rtt_seconds', 'Smoothed RTT of all TCP connections (tcp_info), by quantile.', ['quantile'], (g, s) => {
        if (s.tcp?.rttP50Us != null) g.set({ quantile: '0.5' }, s.tcp.rttP50Us / 1e6);
        if (s.tcp?.rttP99Us != null) g.set({ quantile: '0.99' }, s.tcp.rttP99Us / 1e6);
      });
      gauge('netsnap_tcp_retransmitting_connections', 'TCP connections with retransmitted segments outstanding now (tcpi_retrans > 0).', [], (g, s) => {
        if (s.tcp) g.set(s.tcp.retransmitting);
      });
      gauge('netsnap_tcp_port_rtt_seconds', `Smoothed RTT of the live connections on each service port (top ${top}), by quantile.`, ['port', 'quantile'], (g, s) => {
        for (const p of s.tcp?.ports ?? []) {
          if (p.rttP50Us !== null) g.set({ port: String(p.port), quantile: '0.5' }, p.rttP50Us / 1e6);
          if (p.rttP99Us !== null) g.set({ port: String(p.port), quantile: '0.99' }, p.rttP99Us / 1e6);
        }
      });
      gauge('netsnap_tcp_port_retransmitting_connections', `Connections on each service port (top ${top}) retransmitting now.`, ['port'], (g, s) => {
        for (const p of s.tcp?.ports ?? []) g.set({ port: String(p.port) }, p.retransmitting);
      });
      gauge('netsnap_tcp_port_notsent_bytes', `Bytes written and not yet sent on each service port's connections (top ${top}; tcpi_notsent_bytes).`, ['port'], (g, s) => {
        for (const p of s.tcp?.ports ?? []) g.set({ port: String(p.port) }, p.notsentBytes);
      });
    }
    if (info) {
      // Bytes moved, closed connections included (tcp_info by cookie and the destroy events): counters
      // from the exporter's start. Top-N lists by bytes; no "other" series, which would go down
      // whenever an entry joins the top.
      const counter = (name: string, help: string, labelNames: string[], fill: (c: Counter, f: FlowTotalsView) => void) =>
        new Counter({ name, help, labelNames, registers: [r], collect() { this.reset(); if (view.flows) fill(this, view.flows); } });
      const directions = (c: Counter, labels: Record<string, string>, t: { tx: number; rx: number; retrans: number }) => {
        c.inc({ ...labels, direction: 'tx' }, t.tx);
        c.inc({ ...labels, direction: 'rx' }, t.rx);
        c.inc({ ...labels, direction: 'retrans' }, t.retrans);
      };
      counter('netsnap_tcp_bytes_total', 'TCP bytes acknowledged by the peers (tx), received (rx) and retransmitted (retrans) since the exporter started, closed connections included.', ['direction'], (c, f) => directions(c, {}, f.host));
      counter('netsnap_connections_closed_total', 'TCP connections that closed since the exporter started (the kernel\'s destroy events).', [], (c, f) => c.inc(f.host.closed));
      counter('netsnap_destroy_events_lost_total', 'Destroy events lost (socket buffer overflows, kernel drops): closes whose final bytes are missing from the totals.', [], (c, f) => c.inc(f.eventsLost));
      counter('netsnap_process_bytes_total', `TCP bytes of each process (top ${top} by bytes since the exporter started), by direction.`, ['pid', 'program', 'direction'], (c, f) => {
        for (const p of f.processes) directions(c, { pid: String(p.pid), program: p.program }, p);
      });
      counter('netsnap_port_bytes_total', `TCP bytes on each service port (top ${top} by bytes), by direction.`, ['port', 'direction'], (c, f) => {
        for (const p of f.ports) directions(c, { port: String(p.port) }, p);
      });
      if (cgroup) {
        counter('netsnap_container_bytes_total', `TCP bytes of each container's processes (top ${top} by bytes), by direction.`, ['container', 'direction'], (c, f) => {
          for (const k of f.containers) directions(c, { container: k.id }, k);
        });
      }
    }
    if (cgroup) {
      gauge('netsnap_container_sockets', `Sockets held by the processes of each container (top ${top}; the rest summed as container="other").`, ['runtime', 'container'], (g, s) => {
        for (const c of s.containers ?? []) g.set({ runtime: c.runtime, container: c.id }, c.sockets);
        if (s.containersRest && s.containersRest.entries > 0) g.set({ runtime: 'other', container: 'other' }, s.containersRest.sockets);
      });
    }
    gauge('netsnap_process_sockets', `Sockets held by each process (top ${top}; the rest summed as pid="other").`, ['pid', 'program'], (g, s) => {
      for (const p of s.processes ?? []) g.set({ pid: String(p.pid), program: p.program }, p.sockets);
      if (s.processesRest && s.processesRest.entries > 0) g.set({ pid: 'other', program: 'other' }, s.processesRest.sockets);
    });
    if (baseline) {
      // One series per kind, 0 included, so that an alert on a kind has a value to compare.
      gauge('netsnap_baseline_differences', 'Differences between the sample and the baseline of --baseline by kind, as netsnap --compare reports them (new-listener, listener-gone, unknown-program, new-network).', ['kind'], (g) => {
        if (!view.differences) return;
        for (const kind of DIFFERENCE_KINDS) g.set({ kind }, view.differences[kind]);
      });
      const created = Date.parse(baseline.baseline.createdAt);
      gauge('netsnap_baseline_info', 'The baseline the differences are counted from (1): its file.', ['file'], (g) => g.set({ file: baseline.file }, 1));
      gauge('netsnap_baseline_created_timestamp_seconds', 'When the baseline of --baseline was saved (Unix time).', [], (g) => {
        if (Number.isFinite(created)) g.set(created / 1000);
      });
    }
    gauge('netsnap_aggregated_entries', 'Entries left out of a labelled list by the top-N limit and summed into its "other" series.', ['list'], (g, s) => {
      g.set({ list: 'listeners' }, s.listenersRest.entries);
      g.set({ list: 'ports' }, s.portsRest.entries);
      if (s.processesRest) g.set({ list: 'processes' }, s.processesRest.entries);
    });
    gauge('netsnap_processes_denied', 'Processes whose sockets could not be read (permission), so not in netsnap_process_sockets.', [], (g, s) => {
      g.set(s.processesDenied);
    });
    gauge('netsnap_skipped_lines', 'Malformed /proc lines skipped in the sample.', [], (g, s) => g.set(s.skipped));
    gauge('netsnap_sample_duration_seconds', 'How long the sample took (read, parse, owners).', [], (g, s) => g.set(s.durationMs / 1000));
    gauge('netsnap_sample_timestamp_seconds', 'When the sample served was taken (Unix time).', [], (g, s) => g.set(s.t / 1000));
    this.samples = new Counter({ name: 'netsnap_samples_total', help: 'Samples taken.', registers: [r] });
    this.sampleErrors = new Counter({ name: 'netsnap_sample_errors_total', help: 'Samples that failed.', registers: [r] });
    this.netlinkFallbacks = new Counter({
      name: 'netsnap_netlink_fallbacks_total',
      help: 'Netlink dumps that failed (error: the errno name, e.g. ENOBUFS or ENOMEM) and whose file was read from /proc instead, by file.',
      labelNames: ['file', 'error'],
      registers: [r],
    });
    this.scrapes = new Counter({ name: 'netsnap_scrapes_total', help: 'Requests for /metrics.', registers: [r] });
    this.dropped = new Counter({
      name: 'netsnap_connections_dropped_total',
      help: 'Connections closed as they arrived: more than the exporter holds at once (its limit, or what the open-file limit leaves).',
      registers: [r],
    });

    this.webConfig = webConfig ? {
      reloadFailures: new Counter({ name: 'netsnap_web_config_reload_failures_total', help: 'Reloads of the web config (--web-config) that failed and left the previous one in force.', registers: [r] }),
      lastReloadSuccess: new Gauge({ name: 'netsnap_web_config_last_reload_success_timestamp_seconds', help: 'When the web config in force was loaded (Unix time).', registers: [r] }),
      lastReloadSuccessful: new Gauge({ name: 'netsnap_web_config_last_reload_successful', help: 'Whether the last reload of the web config succeeded (1) or failed (0).', registers: [r] }),
      passwordChecks: new Counter({
        name: 'netsnap_web_config_password_checks_total', help: 'bcrypt comparisons of basic auth credentials (answers not already cached), run on a worker thread.', registers: [r],
        collect() { this.reset(); this.inc(view.passwordComparisons()); },
      }),
      handshakeFailures: new Counter({ name: 'netsnap_tls_handshake_failures_total', help: 'TLS connections refused: failed handshakes and client certificates the web config does not accept.', registers: [r] }),
    } : null;

    // The kernel's counters are absolute: each render resets and sets them. A counter the kernel
    // does not have (no IPv6, an old kernel) is not exported rather than exported as 0.
    const byName = new Map<string, typeof COUNTERS[number][]>();
    for (const c of COUNTERS) byName.set(c.name, [...(byName.get(c.name) ?? []), c]);
    for (const [name, list] of byName) {
      const labelNames = list[0]!.family ? ['family'] : [];
      const help = list[0]!.help;
      const fill = (metric: Counter | Gauge, s: Measurement) => {
        metric.reset();
        for (const c of list) {
          const v = s.counters[c.key];
          if (v === undefined) continue;
          if (metric instanceof Counter) {
            if (c.family) metric.inc({ family: c.family }, v);
            else metric.inc(v);
          } else if (c.family) metric.set({ family: c.family }, v);
          else metric.set(v);
        }
      };
      const metric: Counter | Gauge = list[0]!.gauge
        ? new Gauge({ name, help, labelNames, registers: [], collect() { fill(this, m()); } })
        : new Counter({ name, help, labelNames, registers: [], collect() { fill(this, m()); } });
      if (labelNames.length > 0) r.registerMetric(metric);
      else this.unlabelled.set(list[0]!.key, { metric, name, registered: false });
    }
  }

  show(m: Measurement, flows: FlowTotalsView | null = null, differences: Record<Difference['kind'], number> | null = null): Promise<string> {
    const run = this.chain.then(async () => {
      this.flows = flows;
      this.differences = differences;
      for (const [key, u] of this.unlabelled) {
        const present = m.counters[key] !== undefined;
        if (present && !u.registered) this.registry.registerMetric(u.metric);
        if (!present && u.registered) this.registry.removeSingleMetric(u.name);
        u.registered = present;
      }
      this.shown = m;
      return this.registry.metrics();
    });
    this.chain = run.catch(() => undefined);
    return run;
  }
}

/** host:port text for messages and URLs ([::1]:9917). */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** File descriptors a sample may hold at once (proc files, netlink sockets, the owner scan's threads). */
const SAMPLE_FDS = 64;

/**
 * How many connections to hold at once: 64, or fewer when the soft open-file limit (RLIMIT_NOFILE,
 * from /proc/self/limits) less the descriptors open now and a sample's needs leaves less room (at
 * least 4). A connection more than that would take the descriptor a sample needs: it is closed as it
 * arrives, counted, and the exporter answers again as soon as connections end.
 */
export function connectionBudget(limits = '/proc/self/limits', fdDir = '/proc/self/fd'): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(fs.readFileSync(limits, 'utf8'));
    if (!m || m[1] === 'unlimited') return 64;
    const open = fs.readdirSync(fdDir).length;
    return Math.max(4, Math.min(64, Number(m[1]) - open - SAMPLE_FDS));
  } catch {
    return 64;
  }
}

export async function startExporter(options: ExporterOptions = {}): Promise<Exporter> {
  const host = options.host ?? '127.0.0.1';
  const interval = options.interval ?? null;
  const top = options.top ?? 20;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const procRoot = options.procRoot ?? '/proc';
  const netDir = `${procRoot}/net`;
  if (interval !== null && !(interval > 0)) throw new TypeError('interval must be > 0 seconds');
  const view = new MetricsView(top, options.info ?? false, options.cgroup ?? false, options.baseline, options.webConfig !== undefined);
  const sampler: Sampler<null> = createSampler({
    diff: false, flows: false, owners: options.owners ?? true, procRoot, backend: options.backend, source: options.source, info: options.info ?? false, cgroup: options.cgroup ?? false,
    ...(options.filter === undefined ? {} : { filter: options.filter, protocols: INET_PROTOCOLS }),
    // Owners from the backend's full scan with every sample (native: on its threads), never the
    // incremental checks, which readlink each socket's fd on the event loop: 8-20 ms of it per
    // sample at 1,000 sockets (bench/serve.mjs, --cpu-prof). Scrapes are seconds apart, so the
    // incremental checks would save little anyway, and every scrape's owners are exact.
    incrementalOwnersUpTo: 0,
  });

  // With --info: bytes per process, port and container from tcp_info by cookie and the destroy
  // events, added up from sample to sample.
  const tracker: FlowTracker | null = options.info
    ? createFlowTracker({ interval: interval ?? 1, backend: options.backend, ...(options.filter === undefined ? {} : { filter: options.filter }) })
    : null;
  const totals = tracker ? new FlowTotals(top) : null;

  async function takeOne(): Promise<Rendered> {
    try {
      const { snapshot, measurement } = await measuredSample(sampler, netDir, top, true);
      view.samples.inc();
      for (const f of netlinkFaults(snapshot)) view.netlinkFallbacks.inc({ file: f.file, error: f.code });
      if (tracker && totals) totals.add(tracker.update(snapshot));
      const differences = options.baseline ? countDifferences(compareBaseline(options.baseline.baseline, buildBaseline(snapshot))) : null;
      return { text: await view.show(measurement, totals?.view() ?? null, differences), gzipped: null };
    } catch (err) {
      view.sampleErrors.inc();
      throw err;
    }
  }

  // One sample per scrape, shared by the scrapes that arrive while it is taken.
  let inflight: Promise<Rendered> | null = null;
  // With an interval: the latest rendering, replaced when the background sampler's next tick is
  // ready, so that a scrape never waits for a tick (but the first).
  let latest: Promise<Rendered> | null = null;
  const grid = new Grid((interval ?? 0) * 1000);
  function sampleInBackground(): void {
    let current = takeOne();
    latest = current;
    void (async () => {
      for (;;) {
        await current.then(() => undefined, () => undefined);
        latest = current;
        if (!(await grid.next())) return;
        current = takeOne();
      }
    })();
  }

  function current(): Promise<Rendered> {
    if (latest !== null) return latest;
    inflight ??= takeOne().finally(() => {
      inflight = null;
    });
    return inflight;
  }

  async function serveMetrics(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    view.scrapes.inc();
    let r: Rendered;
    try {
      r = await current();
    } catch (err) {
      if (!res.destroyed) {
        res.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`netsnap: the sample failed: ${(err as Error).message}\n`);
      }
      return;
    }
    if (res.destroyed) return;
    const headers: http.OutgoingHttpHeaders = { 'content-type': view.registry.contentType };
    let body: string | Buffer = r.text;
    if (/\bgzip\b/.test(String(req.headers['accept-encoding'] ?? '')) && r.text.length > 1024) {
      r.gzipped ??= gzip(r.text);
      body = await r.gzipped;
      headers['content-encoding'] = 'gzip';
      if (res.destroyed) return;
    }
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(200, headers);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  // Responses not finished yet: close() lets them finish (a scrape in progress gets its reply).
  const answering = new Set<http.ServerResponse>();
  let closing = false;
  let drained: (() => void) | null = null;

  // The web config in force: headers on every response, basic auth before anything is answered
  // (every path, /healthz too, as exporter-toolkit does).
  let web: LoadedWebConfig | null = options.webConfig ?? null;
  let auth: BasicAuth | null = web?.config.users ? createBasicAuth(web.config.users) : null;
  view.passwordComparisons = () => auth?.comparisons ?? 0;
  view.webConfig?.lastReloadSuccess.setToCurrentTime();
  view.webConfig?.lastReloadSuccessful.set(1);

  function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    answering.add(res);
    res.once('close', () => {
      answering.delete(res);
      if (answering.size === 0) drained?.();
    });
    // While closing, every reply ends its connection (no keep-alive past the last scrape).
    if (closing) res.setHeader('connection', 'close');
    for (const [name, value] of Object.entries(web?.config.headers ?? {})) res.setHeader(name, value);
    const plain = (status: number, text: string, extra: http.OutgoingHttpHeaders = {}) => {
      if (res.destroyed) return;
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text), ...extra });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    const checking = web?.config.users ? auth : null;
    if (!checking) return route(req, res, plain);
    checking.check(req.headers.authorization).then((ok) => {
      if (ok) return route(req, res, plain);
      plain(401, 'Unauthorized\n', { 'www-authenticate': 'Basic realm="netsnap", charset="UTF-8"' });
    }, () => plain(500, 'netsnap: the credentials could not be checked\n'));
  }

  function route(req: http.IncomingMessage, res: http.ServerResponse, plain: (status: number, text: string, extra?: http.OutgoingHttpHeaders) => void): void {
    const urlPath = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return plain(405, 'method not allowed\n', { allow: 'GET, HEAD' });
    if (urlPath === '/metrics') {
      serveMetrics(req, res).catch((err: unknown) => {
        if (!res.headersSent) plain(500, `netsnap: ${(err as Error).message}\n`);
        else res.destroy();
      });
      return;
    }
    if (urlPath === '/healthz') return plain(200, 'ok\n');
    if (urlPath === '/') return plain(200, 'netsnap exporter: metrics at /metrics, health at /healthz\n');
    plain(404, 'not found: try /metrics\n');
  }

  const serverOptions: http.ServerOptions = {
    requestTimeout: requestTimeoutMs,
    headersTimeout: requestTimeoutMs,
    keepAliveTimeout: Math.min(5000, requestTimeoutMs),
    connectionsCheckingInterval: Math.max(100, Math.min(1000, requestTimeoutMs / 2)),
    maxHeaderSize: 16 * 1024,
  };
  const secure = web?.tls ?? null;
  const server: http.Server | https.Server = secure
    ? https.createServer({
      ...serverOptions, ...secure.context, requestCert: secure.requestCert, rejectUnauthorized: secure.rejectUnauthorized,
      handshakeTimeout: requestTimeoutMs,
    }, handle)
    : http.createServer(serverOptions, handle);
  if (secure) {
    // What the handshake cannot decide (a certificate required but not verified, the allowed
    // SANs): refused before any request is read, as Go's handshake would refuse it.
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const settings = web?.config.tls;
      if (!settings) return;
      const cert = socket.getPeerCertificate();
      const problem = clientCertProblem(settings, { authorized: socket.authorized, authorizationError: socket.authorizationError, cert: cert && Object.keys(cert).length > 0 ? cert : null });
      if (problem !== null) {
        view.webConfig?.handshakeFailures.inc();
        socket.destroy();
      }
    });
    server.on('tlsClientError', (err: NodeJS.ErrnoException, socket: tls.TLSSocket) => {
      view.webConfig?.handshakeFailures.inc();
      // Plain HTTP to the TLS port: Go's answer (net/http), in plain text on the TCP connection
      // under the TLS socket (Node keeps it as _parent; without it the connection is just closed).
      const tcp = (socket as tls.TLSSocket & { _parent?: import('node:net').Socket })._parent;
      if (err.code === 'ERR_SSL_HTTP_REQUEST' && tcp && tcp.writable) {
        tcp.end('HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n', () => socket.destroy());
        return;
      }
      socket.destroy();
    });
  }
  server.maxConnections = options.maxConnections ?? connectionBudget();
  // Past maxConnections Node closes a new connection at once: counted. An accept() that fails
  // (EMFILE while the limit is met some other way) is counted too, and never ends the process.
  server.on('drop', () => view.dropped.inc());
  // requestTimeout answers a client that does not finish its request with 408; one that stops
  // reading its response (nothing moves on the socket) is dropped after twice that.
  server.setTimeout(2 * requestTimeoutMs, (socket) => socket.destroy());
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || socket.destroyed) return socket.destroy();
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout'
      : err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`, () => socket.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port: options.port ?? 9917 }, () => {
      server.off('error', reject);
      server.on('error', () => view.dropped.inc());
      resolve();
    });
  }).catch((err: unknown) => {
    sampler.close();
    tracker?.close();
    throw err;
  });
  if (interval !== null) sampleInBackground();
  const addr = server.address() as import('node:net').AddressInfo;

  // Reloading the web config: the same kind of listener (TLS or not) with a new secure context,
  // users and headers; the listener stays, connections already made keep their handshake.
  function reloadWebConfig(): string | null {
    if (!web) return null;
    let next: LoadedWebConfig;
    try {
      next = loadWebConfig(web.file);
      if ((next.tls === null) !== (web.tls === null)) throw new Error(`web config ${web.file}: tls_server_config ${next.tls ? 'added' : 'removed'}: switching between HTTP and HTTPS needs a restart`);
    } catch (err) {
      view.webConfig?.reloadFailures.inc();
      view.webConfig?.lastReloadSuccessful.set(0);
      const why = (err as Error).message;
      options.onWebConfigReload?.(why);
      return why;
    }
    view.webConfig?.lastReloadSuccessful.set(1);
    if (next.digest === web.digest) return null;
    if (next.tls && server instanceof https.Server) {
      server.setSecureContext(next.tls.context);
      // Read by tls.Server for each new connection.
      const s = server as https.Server & { requestCert: boolean; rejectUnauthorized: boolean };
      s.requestCert = next.tls.requestCert;
      s.rejectUnauthorized = next.tls.rejectUnauthorized;
    }
    if (next.config.users) {
      if (auth) auth.setUsers(next.config.users);
      else auth = createBasicAuth(next.config.users);
    }
    web = next;
    view.webConfig?.lastReloadSuccess.setToCurrentTime();
    watchWebConfig();
    options.onWebConfigReload?.(null);
    return null;
  }

  // The directories of the config and its certificates are watched (a file replaced by a rename,
  // as editors and certificate tools do, is seen there); a burst of events is one reload.
  const watchers = new Map<string, fs.FSWatcher>();
  let reloadTimer: NodeJS.Timeout | null = null;
  function watchWebConfig(): void {
    if (!web || closing) return;
    const names = new Map<string, Set<string>>();
    for (const f of web.files) {
      const dir = path.dirname(f);
      names.set(dir, (names.get(dir) ?? new Set()).add(path.basename(f)));
    }
    for (const [dir, w] of watchers) {
      if (!names.has(dir)) {
        w.close();
        watchers.delete(dir);
      }
    }
    for (const dir of names.keys()) {
      if (watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, { persistent: false }, (_event, name) => {
          if (name !== null && !currentNames(dir).has(String(name))) return;
          if (reloadTimer) clearTimeout(reloadTimer);
          reloadTimer = setTimeout(() => {
            reloadTimer = null;
            if (!closing) reloadWebConfig();
          }, 200);
          reloadTimer.unref();
        });
        w.on('error', () => {
          w.close();
          watchers.delete(dir);
        });
        watchers.set(dir, w);
      } catch {
        // A directory that cannot be watched: SIGHUP still reloads.
      }
    }
  }
  function currentNames(dir: string): Set<string> {
    return new Set((web?.files ?? []).filter((f) => path.dirname(f) === dir).map((f) => path.basename(f)));
  }
  watchWebConfig();

  return {
    host,
    port: addr.port,
    tls: secure !== null,
    reloadWebConfig,
    async metrics() {
      return (await current()).text;
    },
    async close() {
      // No new connections; idle keep-alive ones go now. A request being answered (a scrape
      // waiting for its sample) finishes first, within the request timeout, and then its
      // connection closes: SIGTERM during a scrape still answers it.
      closing = true;
      for (const w of watchers.values()) w.close();
      watchers.clear();
      if (reloadTimer) clearTimeout(reloadTimer);
      const ended = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
      if (answering.size > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, requestTimeoutMs);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      grid.stop();
      auth?.close();
      sampler.close();
      tracker?.close();
      server.closeAllConnections();
      await ended;
    },
  };
}
