// End to end: a real Prometheus (the Debian package) scrapes `netsnap serve --web-config` over TLS
// with basic auth, as it scrapes node_exporter: its target is up, with netsnap's series in its
// storage, and the scrapes were authenticated (a second Prometheus with a wrong password gets 401).
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackage } from '../helpers/debian';
import { backend } from '../helpers/env';
import { PROMETHEUS, startPrometheus, type Prometheus } from '../helpers/prometheus';
import { startServe, type Served } from '../helpers/serve';
import { bcryptHash, makeCertificates, type Certificates } from '../helpers/webconfig';

/** How long Prometheus may take to scrape and show a result: a few 1 s scrapes, generously. */
const SETTLE_MS = 30_000;

const missing = ensureDebianPackage(PROMETHEUS, 'prometheus');
if (missing) console.warn(`serve-prometheus-tls: skipped: ${missing}`);

describe.skipIf(missing !== null)(`netsnap serve over TLS with basic auth, scraped by Prometheus (${backend.name})`, () => {
  let dir = '';
  let certs: Certificates;
  let serve: Served | undefined;
  const proms: Prometheus[] = [];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-prometheus-tls-'));
    certs = makeCertificates(dir);
    const file = path.join(dir, 'web.yml');
    fs.writeFileSync(file, [
      'tls_server_config:',
      `  cert_file: ${certs.server.cert}`,
      `  key_file: ${certs.server.key}`,
      '  min_version: TLS12',
      'basic_auth_users:',
      `  prometheus: '${bcryptHash('scrape me')}'`,
      '',
    ].join('\n'));
    serve = await startServe(['--web-config', file, '--no-owners']);
  });

  afterAll(async () => {
    await Promise.all(proms.map((p) => p.stop()));
    await serve?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('the target is up and netsnap\'s series are in Prometheus', async () => {
    const prom = await startPrometheus(`127.0.0.1:${serve!.port}`, {
      scheme: 'https', caFile: certs.ca, basicAuth: { username: 'prometheus', password: 'scrape me' },
    });
    proms.push(prom);
    const up = await prom.waitFor('up{job="netsnap"}', (r) => r.length === 1 && r[0]!.value === 1, SETTLE_MS);
    expect(up[0]!.metric['instance']).toBe(`127.0.0.1:${serve!.port}`);
    const targets = await prom.targets();
    expect(targets.map((t) => [t.scrapeUrl, t.health, t.lastError])).toEqual([[`https://127.0.0.1:${serve!.port}/metrics`, 'up', '']]);
    // Our own listener is in the sample Prometheus stored: at least one IPv4 TCP LISTEN socket.
    const listen = await prom.waitFor('netsnap_sockets{proto="tcp",family="ipv4",state="LISTEN"}', (r) => r.length === 1, SETTLE_MS);
    expect(listen[0]!.value).toBeGreaterThanOrEqual(1);
    const loaded = await prom.waitFor('netsnap_web_config_last_reload_successful', (r) => r.length === 1, SETTLE_MS);
    expect(loaded[0]!.value).toBe(1);
    // The credentials were checked once and then remembered, however many scrapes came since.
    const scrapes = await prom.waitFor('netsnap_scrapes_total', (r) => r.length === 1 && r[0]!.value >= 3, SETTLE_MS);
    expect(scrapes[0]!.value).toBeGreaterThanOrEqual(3);
    const checks = await prom.query('netsnap_web_config_password_checks_total');
    expect(checks.map((s) => s.value)).toEqual([1]);
  });

  it('a wrong password: the target is down with 401', async () => {
    const prom = await startPrometheus(`127.0.0.1:${serve!.port}`, {
      scheme: 'https', caFile: certs.ca, basicAuth: { username: 'prometheus', password: 'guess' },
    });
    proms.push(prom);
    const up = await prom.waitFor('up{job="netsnap"}', (r) => r.length === 1, SETTLE_MS);
    expect(up[0]!.value).toBe(0);
    const [target] = await prom.targets();
    expect(target!.lastError).toMatch(/401 Unauthorized/);
  });
});
