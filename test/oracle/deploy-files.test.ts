// deploy/ against the real tools: promtool checks and unit-tests the Prometheus rules; a real
// Prometheus scraping a live `netsnap serve --baseline` has every series the rules name and answers
// every query of the Grafana dashboard with data; systemd-analyze verifies the unit, and the unit's
// capabilities give a non-root user the owners of root's sockets.
//
// The live part runs against the native backend only: the exporter as deployed (the unit sets no
// NETSNAP_BACKEND) reads sockets with netlink, which has the listen() backlog the accept-queue rule
// and panel use (/proc has no backlog: the TypeScript backend serves no netsnap_listen_backlog).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackage } from '../helpers/debian';
import { backend, CLI, ROOT } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { startPrometheus, type Prometheus } from '../helpers/prometheus';
import { parsePromText } from '../helpers/promtext';
import { startServe, type Served } from '../helpers/serve';
import { listenOnQuietPort, once } from '../helpers/sockets';

const PROMTOOL = '/usr/bin/promtool';
const SYSTEMD_ANALYZE = '/usr/bin/systemd-analyze';
const RULES = path.join(ROOT, 'deploy', 'prometheus', 'netsnap.rules.yml');
const RULES_TEST = path.join(ROOT, 'deploy', 'prometheus', 'netsnap.rules.test.yml');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'netsnap.json');
const UNIT = path.join(ROOT, 'deploy', 'systemd', 'netsnap-exporter.service');
/** Grafana's $__rate_interval for a 1 s scrape interval is max(4 × 1 s, $__interval + 1 s): 10 s holds ~10 samples. */
const RATE_INTERVAL = '10s';
const INTERVAL = '5s';
const SETTLE_MS = 30_000;

// One package holds promtool and prometheus.
const promMissing = ensureDebianPackage(PROMTOOL, 'prometheus');
if (promMissing) console.warn(`deploy-files: Prometheus rules and dashboard skipped: ${promMissing}`);
const systemdMissing = ensureDebianPackage(SYSTEMD_ANALYZE, 'systemd');
if (systemdMissing) console.warn(`deploy-files: systemd unit skipped: ${systemdMissing}`);
const notNative = backend.name === 'native' ? null : 'the live exporter part runs with the native backend (netlink, as deployed)';
if (notNative && !promMissing) console.warn(`deploy-files: ${notNative}`);

const rulesText = fs.readFileSync(RULES, 'utf8');
const rulesTestText = fs.readFileSync(RULES_TEST, 'utf8');
const alerts = [...rulesText.matchAll(/^\s+- alert: (\w+)$/gm)].map((m) => m[1]!);
const records = [...rulesText.matchAll(/^\s+- record: (\S+)$/gm)].map((m) => m[1]!);
/** The exporter's series a rule expression names (recording rules' names have colons: not these). */
const seriesInRules = [...new Set([...rulesText.matchAll(/^\s+expr: (.*)$/gm)]
  .flatMap((m) => [...m[1]!.matchAll(/(?<![\w:])netsnap_[a-z0-9_]+(?![\w:])/g)].map((n) => n[0])))].sort();

/** `p`, or a rejection naming `what` after 10 s. */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not in 10 s`)), 10_000);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

const run = (cmd: string, args: string[], cwd = ROOT) => spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: 60_000 });

describe.skipIf(promMissing !== null)('deploy/prometheus: the rules under promtool', () => {
  it('has the rules the deployment promises', () => {
    expect(alerts.sort()).toEqual([
      'NetsnapAcceptQueueFull', 'NetsnapCloseWaitPilingUp', 'NetsnapListenDrops', 'NetsnapListenOverflows', 'NetsnapNewListener',
      'NetsnapProcessesDenied', 'NetsnapRetransmitsRising', 'NetsnapSampleErrors', 'NetsnapSlowSamples', 'NetsnapSynFlood',
      'NetsnapUnknownProgramOnPort',
    ]);
    expect(records).toHaveLength(5);
    // Expressions are one line each (what seriesInRules reads).
    expect(rulesText).not.toMatch(/expr: *[|>]/);
  });

  it('promtool check rules: every rule valid', () => {
    const r = run(PROMTOOL, ['check', 'rules', RULES]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
    expect(r.stdout).toBe(`Checking ${RULES}\n  SUCCESS: ${alerts.length + records.length} rules found\n\n`);
  });

  it('promtool test rules: every alert fires in a test, and some do not', () => {
    const r = run(PROMTOOL, ['test', 'rules', path.basename(RULES_TEST)], path.dirname(RULES_TEST));
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({ status: 0, stdout: `Unit Testing:  ${path.basename(RULES_TEST)}\n  SUCCESS\n\n`, stderr: '' });
    const firing = new Set([...rulesTestText.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels:/g)].map((m) => m[1]!));
    const quiet = new Set([...rulesTestText.matchAll(/alertname: (\w+)\n\s+exp_alerts: \[\]/g)].map((m) => m[1]!));
    expect([...firing].sort()).toEqual([...alerts].sort());
    expect(quiet.size).toBeGreaterThanOrEqual(1);
    // Every recording rule's value is checked too.
    for (const rec of records) expect(rulesTestText).toContain(`- expr: ${rec}\n`);
  });
});

interface Panel {
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  targets?: Array<{ expr: string; refId: string }>;
  panels?: Panel[];
}

describe.skipIf(promMissing !== null || notNative !== null)('deploy/: the rules\' series and the dashboard\'s queries on a live exporter scraped by Prometheus', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-deploy-'));
  const baseline = path.join(tmp, 'baseline.json');
  let serve: Served | undefined;
  let prom: Prometheus | undefined;
  let instance = '';
  let port = 0;
  // A listener opened after the baseline, with one connection its client closed and it did not:
  // its port has a LISTEN and a CLOSE_WAIT socket.
  const server = net.createServer({ allowHalfOpen: true });
  const sockets: net.Socket[] = [];

  beforeAll(async () => {
    const saved = netsnap(['--save-baseline', baseline]);
    expect(saved.status).toBe(0);
    const accepted = within(new Promise<void>((resolve) => server.once('connection', () => resolve())), 'the connection accepted');
    server.on('connection', (s) => sockets.push(s.on('error', () => {})));
    port = await listenOnQuietPort(server);
    const client = net.connect(port, '127.0.0.1');
    sockets.push(client.on('error', () => {}));
    await within(once(client, 'connect'), 'the client connected');
    await accepted;
    client.end();
    // --top 1000: every service port of this busy test host is listed, ours included.
    serve = await startServe(['--baseline', baseline, '--top', '1000']);
    instance = `127.0.0.1:${serve.port}`;
    prom = await startPrometheus(instance);
    // Enough 1 s scrapes for a rate over RATE_INTERVAL, and our CLOSE_WAIT socket seen.
    await prom.waitFor(`count_over_time(netsnap_samples_total{instance="${instance}"}[${RATE_INTERVAL}])`, (r) => (r[0]?.value ?? 0) >= 5, SETTLE_MS);
    await prom.waitFor(`netsnap_tcp_port_sockets{instance="${instance}",port="${port}",state="CLOSE_WAIT"}`, (r) => r.length === 1, SETTLE_MS);
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    server.close();
    await prom?.stop();
    await serve?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }, 60_000);

  it('serves every series the rules name', async () => {
    const text = parsePromText((await serve!.get('/metrics')).body);
    expect(seriesInRules.length).toBeGreaterThanOrEqual(12);
    const missing = seriesInRules.filter((name) => text.find(name).length === 0);
    expect(missing).toEqual([]);
    // The new series with real values: our port's listener and its CLOSE_WAIT connection, and
    // our listener among the new ones.
    expect(text.value('netsnap_tcp_port_sockets', { port: String(port), state: 'LISTEN' })).toBe(1);
    expect(text.value('netsnap_tcp_port_sockets', { port: String(port), state: 'CLOSE_WAIT' })).toBe(1);
    expect(text.value('netsnap_port_sockets', { proto: 'tcp', port: String(port) })).toBe(2);
    expect(text.value('netsnap_baseline_differences', { kind: 'new-listener' })).toBeGreaterThanOrEqual(1);
    expect(text.value('netsnap_baseline_info', { file: baseline })).toBe(1);
  });

  it('the dashboard is Grafana\'s: schema 39, a data source variable, $instance from label_values(netsnap_…)', () => {
    const d = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as {
      schemaVersion: number; uid: string; panels: Panel[];
      templating: { list: Array<{ name: string; type: string; query: unknown; datasource?: { uid: string } }> };
    };
    expect(d.schemaVersion).toBe(39);
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    expect(vars.get('datasource')).toMatchObject({ type: 'datasource', query: 'prometheus' });
    expect(vars.get('instance')).toMatchObject({ type: 'query', datasource: { uid: '${datasource}' } });
    expect(JSON.stringify(vars.get('instance')!.query)).toMatch(/label_values\(netsnap_[a-z_]+, instance\)/);
    for (const p of d.panels.filter((x) => x.type !== 'row')) expect({ title: p.title, uid: p.datasource?.uid }).toEqual({ title: p.title, uid: '${datasource}' });
  });

  it('answers every query of the dashboard with data', async () => {
    const d = JSON.parse(fs.readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const panels = d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    const queries = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(queries.length).toBeGreaterThanOrEqual(20);
    const titles = panels.map((p) => p.title).join('\n');
    for (const topic of ['Sockets by state', 'per service port and state', 'CLOSE_WAIT', 'Accept queues', 'Listen overflows', 'Retransmitted', 'Top processes', 'Baseline differences', 'Sample duration', 'errors']) {
      expect(titles).toContain(topic);
    }
    const empty: Array<{ panel: string; expr: string }> = [];
    for (const q of queries) {
      const expr = q.expr.replaceAll('$__rate_interval', RATE_INTERVAL).replaceAll('$__interval', INTERVAL).replaceAll('$instance', instance);
      expect(expr).not.toContain('$');
      const r = await prom!.query(expr);
      if (r.length === 0) empty.push({ panel: q.panel, expr });
    }
    expect(empty).toEqual([]);
    // And the values are ours: the CLOSE_WAIT panel has our port with its one socket.
    const closeWait = queries.find((q) => q.panel === 'CLOSE_WAIT per port')!.expr.replaceAll('$instance', instance);
    const r = await prom!.query(closeWait);
    expect(r.find((s) => s.metric.port === String(port))?.value).toBe(1);
  });
});

describe.skipIf(systemdMissing !== null)('deploy/systemd: the unit', () => {
  const unitText = fs.readFileSync(UNIT, 'utf8');
  const directive = (name: string) => [...unitText.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!);

  it('is hardened as documented', () => {
    expect(directive('ExecStart')).toEqual(['/usr/local/bin/netsnap serve --listen 127.0.0.1:9917']);
    expect(directive('DynamicUser')).toEqual(['yes']);
    expect(directive('AmbientCapabilities')).toEqual(['CAP_DAC_READ_SEARCH CAP_SYS_PTRACE']);
    expect(directive('CapabilityBoundingSet')).toEqual(['CAP_DAC_READ_SEARCH CAP_SYS_PTRACE']);
    for (const [name, value] of [['ProtectSystem', 'strict'], ['ProtectHome', 'yes'], ['PrivateTmp', 'yes'], ['NoNewPrivileges', 'yes'],
      ['RestrictAddressFamilies', 'AF_UNIX AF_INET AF_INET6 AF_NETLINK'], ['ProtectKernelTunables', 'yes'], ['ProtectControlGroups', 'yes'],
      ['LockPersonality', 'yes'], ['RestrictNamespaces', 'yes'], ['SystemCallArchitectures', 'native'], ['ProtectProc', 'default'], ['ProcSubset', 'all']]) {
      expect({ name, values: directive(name!) }).toEqual({ name, values: [value] });
    }
    // V8's JIT needs writable-then-executable memory; owners need other processes' /proc entries.
    for (const name of ['MemoryDenyWriteExecute', 'PrivateUsers']) expect({ name, values: directive(name) }).toEqual({ name, values: [] });
  });

  it('passes systemd-analyze verify and security (with ExecStart pointed at this build)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-unit-'));
    try {
      const file = path.join(dir, 'netsnap-exporter.service');
      const local = unitText.replace(/^ExecStart=\/usr\/local\/bin\/netsnap /m, `ExecStart=${process.execPath} ${CLI} `);
      expect(local).not.toBe(unitText);
      fs.writeFileSync(file, local);
      const v = run(SYSTEMD_ANALYZE, ['verify', '--man=no', file]);
      expect({ status: v.status, stdout: v.stdout, stderr: v.stderr }).toEqual({ status: 0, stdout: '', stderr: '' });
      const s = run(SYSTEMD_ANALYZE, ['security', '--offline=yes', file]);
      expect(s.status).toBe(0);
      const exposure = /Overall exposure level for netsnap-exporter\.service: (\d+\.\d)/.exec(s.stdout);
      expect(Number(exposure?.[1])).toBeLessThanOrEqual(3);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  // The finding the unit's capabilities rest on, checked on this kernel: as an unprivileged user,
  // the owner of a socket of another user's process (root's: this test's) is seen with both
  // capabilities and not with either one alone.
  it.skipIf(process.getuid?.() !== 0)('its two capabilities, and only both, let a non-root user see root\'s sockets\' owners', async () => {
    const caps = directive('AmbientCapabilities')[0]!.split(' ').map((c) => c.replace(/^CAP_/, '').toLowerCase());
    const listener = net.createServer();
    const port = await listenOnQuietPort(listener);
    try {
      const owner = (ambient: string[]) => {
        const set = ambient.map((c) => `+${c}`).join(',');
        const args = ['--reuid=nobody', '--regid=nogroup', '--clear-groups', ...(ambient.length ? [`--inh-caps=${set}`, `--ambient-caps=${set}`] : []),
          process.execPath, CLI, '-tlnp', `sport = :${port}`];
        const r = spawnSync('setpriv', args, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, LANG: 'C' } });
        expect({ status: r.status, error: r.error }).toEqual({ status: 0, error: undefined });
        const line = r.stdout.split('\n').find((l) => l.includes(`127.0.0.1:${port} `));
        expect(line).toBeDefined();
        return line!.trim().split(/\s+/).at(-1);
      };
      expect(owner(caps)).toMatch(new RegExp(`^${process.pid}/`));
      for (const one of caps) expect({ only: one, owner: owner([one]) }).toEqual({ only: one, owner: '-' });
      expect(owner([])).toBe('-');
    } finally {
      listener.close();
    }
  });
});
