// `netsnap serve --web-config`: TLS, basic auth and headers in exporter-toolkit's format, checked
// with curl (and a TLS handshake of the test's own for the certificate served): the answers to
// missing, wrong and right credentials, TLS versions, client certificates, the keys netsnap refuses,
// and reloads (file changes, SIGHUP, a swapped certificate, a broken file) without a restart.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { startServe, type Served } from '../helpers/serve';
import { bcryptHash, curl, fileFingerprint, makeCertificates, servedFingerprint, until, type Certificates } from '../helpers/webconfig';

let dir = '';
let certs: Certificates;
let hash = '';
const running: Served[] = [];

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-webconfig-'));
  certs = makeCertificates(dir);
  hash = bcryptHash('right horse');
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Writes a web config (YAML lines) to a new file in its own directory, with the server certificate beside it. */
function writeConfig(name: string, lines: string[]): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d);
  fs.copyFileSync(certs.server.cert, path.join(d, 'server.crt'));
  fs.copyFileSync(certs.server.key, path.join(d, 'server.key'));
  const file = path.join(d, 'web.yml');
  fs.writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** Replaces `file` as tools do (a new file renamed over it). */
function replace(file: string, text: string | Buffer): void {
  fs.writeFileSync(`${file}.new`, text);
  fs.renameSync(`${file}.new`, file);
}

async function serve(file: string, extra: string[] = []): Promise<Served> {
  const s = await startServe(['--no-owners', '--web-config', file, ...extra]);
  running.push(s);
  return s;
}

const TLS = ['tls_server_config:', '  cert_file: server.crt', '  key_file: server.key'];
const users = (h: string) => ['basic_auth_users:', `  alice: '${h}'`];
const url = (s: Served, p = '/metrics') => `https://127.0.0.1:${s.port}${p}`;
/** The value of an unlabelled series in a metrics text. */
const value = (text: string, name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

/** The threads of process `pid` now. */
const threads = (pid: number) => fs.readdirSync(`/proc/${pid}/task`).length;

describe('serve --web-config: TLS and basic auth', () => {
  it('answers 401 with WWW-Authenticate without or with wrong credentials, the metrics with the right ones; TLS only', async () => {
    const file = writeConfig('basic', [...TLS, ...users(hash), 'http_server_config:', '  headers:', '    X-Frame-Options: deny', '    X-Content-Type-Options: nosniff']);
    const s = await serve(file);
    expect(s.stderr()).toContain(`serving metrics on https://127.0.0.1:${s.port}/metrics`);
    const ca = ['--cacert', certs.ca];

    const none = curl(ca, url(s));
    expect(none.exit).toBe(0);
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toBe('Basic realm="netsnap", charset="UTF-8"');
    expect(none.body).toBe('Unauthorized\n');
    expect(none.headers['x-frame-options']).toBe('deny');

    // Every path is behind the credentials, /healthz too (as exporter-toolkit does).
    const before = threads(s.child.pid!);
    const wrong = curl([...ca, '-u', 'alice:wrong horse'], url(s, '/healthz'));
    expect(wrong.status).toBe(401);
    expect(wrong.body).not.toContain('netsnap_');
    // The comparison ran on a thread of its own, started for it (bcrypt never runs on the event loop).
    expect(threads(s.child.pid!)).toBeGreaterThan(before);
    expect(curl([...ca, '-u', 'mallory:right horse'], url(s)).status).toBe(401);

    const right = curl([...ca, '-u', 'alice:right horse'], url(s));
    expect(right.status).toBe(200);
    expect(right.headers['x-frame-options']).toBe('deny');
    expect(right.headers['x-content-type-options']).toBe('nosniff');
    expect(right.body).toMatch(/^netsnap_sockets\{proto="tcp",family="ipv4",state="LISTEN"\} [1-9]/m);
    expect(value(right.body, 'netsnap_web_config_last_reload_successful')).toBe(1);
    // A checked credential is remembered: more scrapes with it cost no more comparisons.
    const checks = value(right.body, 'netsnap_web_config_password_checks_total');
    expect(checks).toBe(3);
    const again = curl([...ca, '-u', 'alice:right horse'], url(s));
    expect(value(again.body, 'netsnap_web_config_password_checks_total')).toBe(checks);
    expect(curl([...ca, '-u', 'alice:right horse'], url(s, '/healthz')).body).toBe('ok\n');

    // Plain HTTP to the TLS port: Go's 400 in plain text; a client that does not trust the CA no answer.
    const plain = curl([], `http://127.0.0.1:${s.port}/metrics`);
    expect(plain.exit).toBe(0);
    expect(plain.status).toBe(400);
    expect(plain.body).toBe('Client sent an HTTP request to an HTTPS server.\n');
    const untrusted = curl([], url(s));
    expect(untrusted.exit).toBe(60);
  });

  it('honours min_version: TLS13 refuses a TLS 1.2 client', async () => {
    const s = await serve(writeConfig('tls13', [...TLS, '  min_version: TLS13']));
    expect(curl(['--cacert', certs.ca, '--tls-max', '1.2'], url(s)).exit).not.toBe(0);
    const ok = curl(['--cacert', certs.ca, '--tlsv1.3'], url(s, '/healthz'));
    expect(ok.status).toBe(200);
    expect(ok.body).toBe('ok\n');
  });

  it('maps cipher_suites to OpenSSL: a TLS 1.2 client offered another suite is refused', async () => {
    const s = await serve(writeConfig('ciphers', [...TLS, '  max_version: TLS12', '  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]']));
    expect(curl(['--cacert', certs.ca, '--ciphers', 'ECDHE-ECDSA-AES256-GCM-SHA384'], url(s, '/healthz')).status).toBe(200);
    expect(curl(['--cacert', certs.ca, '--ciphers', 'ECDHE-ECDSA-AES128-GCM-SHA256'], url(s, '/healthz')).exit).not.toBe(0);
  });

  it('RequireAndVerifyClientCert: refuses a client without a certificate or with one the CA did not sign', async () => {
    const s = await serve(writeConfig('mtls', [...TLS, '  client_auth_type: RequireAndVerifyClientCert', `  client_ca_file: ${certs.ca}`]));
    const ca = ['--cacert', certs.ca];
    expect(curl(ca, url(s, '/healthz')).status).toBe(0);
    expect(curl([...ca, '--cert', certs.stranger.cert, '--key', certs.stranger.key], url(s, '/healthz')).status).toBe(0);
    const ok = curl([...ca, '--cert', certs.client.cert, '--key', certs.client.key], url(s, '/healthz'));
    expect(ok.status).toBe(200);
  });

  it('client_allowed_sans: a verified certificate without one of them is refused', async () => {
    const tls = [...TLS, '  client_auth_type: RequireAndVerifyClientCert', `  client_ca_file: ${certs.ca}`];
    const client = ['--cacert', certs.ca, '--cert', certs.client.cert, '--key', certs.client.key];
    const allowed = await serve(writeConfig('sans-ok', [...tls, '  client_allowed_sans: [scraper.test]']));
    expect(curl(client, url(allowed, '/healthz')).status).toBe(200);
    const other = await serve(writeConfig('sans-other', [...tls, '  client_allowed_sans: [prometheus.test]']));
    expect(curl(client, url(other, '/healthz')).status).toBe(0);
  });
});

describe('serve --web-config: what stops startup', () => {
  const refused: Array<[string, string[], string]> = [
    ['an unknown key', [...TLS, '  cert_path: server.crt'], 'tls_server_config.cert_path: unknown key'],
    ['an unknown top-level key', ['tls_config: {}'], 'tls_config: unknown key'],
    ['http2: true', [...TLS, 'http_server_config:', '  http2: true'], 'http_server_config.http2: not supported by netsnap'],
    ['a TLS 1.3 cipher suite', [...TLS, '  cipher_suites: [TLS_AES_128_GCM_SHA256]'], 'tls_server_config.cipher_suites: TLS_AES_128_GCM_SHA256 is a TLS 1.3 suite'],
    ['an unknown cipher suite', [...TLS, '  cipher_suites: [TLS_RSA_WITH_RC4_128_SHA]'], "tls_server_config.cipher_suites: 'TLS_RSA_WITH_RC4_128_SHA' is not a cipher suite"],
    ['a bad TLS version', [...TLS, '  min_version: TLS14'], "tls_server_config.min_version: 'TLS14' is not one of"],
    ['a bad client_auth_type', [...TLS, '  client_auth_type: Sometimes'], "tls_server_config.client_auth_type: 'Sometimes'"],
    ['client verification without a CA', [...TLS, '  client_auth_type: RequireAndVerifyClientCert'], 'tls_server_config.client_ca_file: missing'],
    ['a header that cannot be set', ['http_server_config:', '  headers:', '    Server: netsnap'], 'http_server_config.headers.Server: not a header that can be configured'],
    ['a bad bcrypt hash', ['basic_auth_users:', "  alice: '$2y$10$tooshort'"], 'basic_auth_users.alice: not a bcrypt hash'],
    ['a missing certificate file', ['tls_server_config:', '  cert_file: nowhere.crt', '  key_file: server.key'], 'tls_server_config.cert_file: cannot read'],
    ['a key that is not the certificate\'s', ['tls_server_config:', '  cert_file: server.crt', '  key_file: '], 'tls_server_config: the certificate, key or client CA cannot be used'],
    ['not YAML', ['tls_server_config: [unclosed'], 'not valid YAML'],
  ];
  for (const [what, lines, message] of refused) {
    it(`${what}: exit status 2, the message names the key`, () => {
      // certs is made in beforeAll: the key file of the mismatched pair is named here.
      const text = lines.map((l) => l.replace(/key_file: $/, `key_file: ${certs.client.key}`));
      const file = writeConfig(`bad-${what.replace(/\W+/g, '-')}`, text);
      const r = netsnap(['serve', '--listen', '127.0.0.1:0', '--web-config', file]);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`netsnap serve: web config ${file}: ${message}`);
      expect(r.stderr).not.toContain('serving metrics');
    });
  }

  it('accepts exporter-toolkit\'s own flag name, --web.config.file', async () => {
    const file = writeConfig('flag-name', users(hash));
    const s = await startServe(['--no-owners', '--web.config.file', file]);
    running.push(s);
    expect(s.stderr()).toContain(`serving metrics on http://127.0.0.1:${s.port}/metrics`);
    expect((await s.get('/healthz')).status).toBe(401);
  });
});

describe('serve --web-config: reloads without a restart', () => {
  it('a changed password, SIGHUP, a swapped certificate and a broken file, on the same listener', async () => {
    const file = writeConfig('reload', [...TLS, ...users(hash)]);
    const s = await serve(file);
    const pid = s.child.pid;
    const ca = ['--cacert', certs.ca];
    const as = (password: string, p = '/healthz') => curl([...ca, '-u', `alice:${password}`], url(s, p));
    expect(as('right horse').status).toBe(200);

    // The file replaced: the old password goes, the new one works.
    replace(file, [...TLS, ...users(bcryptHash('new horse'))].join('\n'));
    await until('the new password accepted', 20_000, () => as('new horse').status === 200);
    expect(as('right horse').status).toBe(401);
    // stderr comes through its own pipe: the line may arrive after the reply that shows the reload.
    await until('the reload reported', 20_000, () => s.stderr().includes(`netsnap serve: web config ${file} reloaded`));

    // SIGHUP: the config is a link to a file elsewhere, changed in place (no event in the watched
    // directory), then read again on the signal.
    const elsewhere = path.join(dir, 'reload-target');
    fs.mkdirSync(elsewhere);
    const target = path.join(elsewhere, 'web.yml');
    // Relative names stay relative to the link's directory, as in exporter-toolkit.
    fs.writeFileSync(target, [...TLS, ...users(bcryptHash('new horse'))].join('\n'));
    fs.symlinkSync(target, `${file}.link`);
    fs.renameSync(`${file}.link`, file);
    await until('the linked config read (same password)', 20_000, () => as('new horse').status === 200);
    fs.writeFileSync(target, [...TLS, ...users(bcryptHash('hup horse'))].join('\n'));
    s.child.kill('SIGHUP');
    await until('the password of the SIGHUP accepted', 20_000, () => as('hup horse').status === 200);
    expect(as('new horse').status).toBe(401);

    // A certificate swapped: a new handshake sees it.
    const served = fileFingerprint(certs.server.cert);
    expect(await servedFingerprint(s.port, certs.ca)).toBe(served);
    replace(path.join(path.dirname(file), 'server.key'), fs.readFileSync(certs.server2.key));
    replace(path.join(path.dirname(file), 'server.crt'), fs.readFileSync(certs.server2.cert));
    const swapped = fileFingerprint(certs.server2.cert);
    expect(swapped).not.toBe(served);
    await until('the second certificate served', 20_000, async () => (await servedFingerprint(s.port, certs.ca)) === swapped);

    // A broken file: reported and counted, the config in force stays.
    const kept = (text: string) => text.split('the web config in force is kept').length - 1;
    const keptBefore = kept(s.stderr());
    fs.writeFileSync(target, 'basic_auth_users: [not, a, mapping]\n');
    s.child.kill('SIGHUP');
    await until('the failed reload reported', 20_000, () => kept(s.stderr()) > keptBefore);
    const metrics = as('hup horse', '/metrics');
    expect(metrics.status).toBe(200);
    expect(value(metrics.body, 'netsnap_web_config_reload_failures_total')).toBeGreaterThanOrEqual(1);
    expect(value(metrics.body, 'netsnap_web_config_last_reload_successful')).toBe(0);
    expect(s.stderr()).toContain('basic_auth_users: must be a mapping');
    expect(await servedFingerprint(s.port, certs.ca)).toBe(swapped);

    // One process and one listener all along.
    expect(s.child.pid).toBe(pid);
    expect(s.child.exitCode).toBeNull();
    expect(s.stderr().match(/serving metrics/g)).toHaveLength(1);
    expect(await s.stop()).toBe(0);
  });

  it('a client_auth_type changed on reload applies to the next handshake', async () => {
    const file = writeConfig('reload-mtls', TLS);
    const s = await serve(file);
    const ca = ['--cacert', certs.ca];
    expect(curl(ca, url(s, '/healthz')).status).toBe(200);
    replace(file, [...TLS, '  client_auth_type: RequireAndVerifyClientCert', `  client_ca_file: ${certs.ca}`].join('\n'));
    await until('a client without a certificate refused', 20_000, () => curl(ca, url(s, '/healthz')).status === 0);
    expect(curl([...ca, '--cert', certs.client.cert, '--key', certs.client.key], url(s, '/healthz')).status).toBe(200);
    expect(s.child.exitCode).toBeNull();
  });
});
