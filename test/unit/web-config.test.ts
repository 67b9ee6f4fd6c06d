// parseWebConfig: exporter-toolkit's web config into what Node's TLS server takes (Go's cipher,
// curve and version names mapped to OpenSSL's), and clientCertProblem: Go's client_auth_type
// policies for what the handshake leaves undecided.
import { describe, expect, it } from 'vitest';
import { clientCertProblem, GO_CIPHER_SUITES, parseWebConfig, WebConfigError, type TlsSettings } from '../../src/services/web_config';

const TLS = 'tls_server_config:\n  cert_file: a.crt\n  key_file: a.key\n';

describe('parseWebConfig', () => {
  it('an empty file: plain HTTP, no auth, no headers', () => {
    expect(parseWebConfig('', '/etc/netsnap')).toEqual({ tls: null, users: null, headers: {} });
    expect(parseWebConfig('# nothing\n', '/etc/netsnap')).toEqual({ tls: null, users: null, headers: {} });
  });

  it('TLS with the defaults of exporter-toolkit: TLS 1.2 and up, server cipher order, files relative to the config', () => {
    expect(parseWebConfig(TLS, '/etc/netsnap').tls).toEqual({
      cert: { file: '/etc/netsnap/a.crt' }, key: { file: '/etc/netsnap/a.key' }, clientAuth: 'NoClientCert', clientCaFile: null,
      clientAllowedSans: null, minVersion: 'TLSv1.2', maxVersion: null, ciphers: null, ecdhCurve: null, honorCipherOrder: true,
    });
  });

  it('maps versions, cipher suites (TLS 1.3 kept whole, as in Go) and curves to OpenSSL\'s names', () => {
    const t = parseWebConfig(`${TLS}  min_version: TLS11\n  max_version: TLS12\n  cipher_suites:\n    - TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256\n    - TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305\n  curve_preferences: [X25519, CurveP384]\n  prefer_server_cipher_suites: false\n`, '/d').tls!;
    expect(t.minVersion).toBe('TLSv1.1');
    expect(t.maxVersion).toBe('TLSv1.2');
    expect(t.ciphers).toBe('ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256');
    expect(t.ecdhCurve).toBe('X25519:P-384');
    expect(t.honorCipherOrder).toBe(false);
  });

  it('every Go suite of the table is a cipher this Node\'s OpenSSL knows', async () => {
    const { getCiphers } = await import('node:tls');
    const known = new Set(getCiphers().map((c) => c.toUpperCase()));
    expect(Object.values(GO_CIPHER_SUITES).filter((c) => !known.has(c))).toEqual([]);
  });

  it('inline cert and key, headers by their canonical names, users', () => {
    const c = parseWebConfig([
      'tls_server_config:', '  cert: "-----BEGIN CERTIFICATE-----"', '  key: "-----BEGIN PRIVATE KEY-----"',
      'http_server_config:', '  http2: false', '  headers:', '    strict-transport-security: max-age=31536000', '    X-Frame-Options: SameOrigin',
      'basic_auth_users:', `  alice: $2y$10$${'a'.repeat(53)}`,
    ].join('\n'), '/d');
    expect(c.tls!.cert).toEqual({ inline: '-----BEGIN CERTIFICATE-----' });
    expect(c.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000', 'X-Frame-Options': 'SameOrigin' });
    expect([...c.users!.keys()]).toEqual(['alice']);
  });

  const bad: Array<[string, string]> = [
    [`${TLS}  cert: x\n`, 'tls_server_config.cert_file: set with cert: give only one'],
    ['tls_server_config:\n  key_file: a.key\n', 'tls_server_config.cert_file: missing (or cert)'],
    [`${TLS}  client_ca_file: ca.crt\n`, 'tls_server_config.client_ca_file: set with client_auth_type NoClientCert'],
    [`${TLS}  client_auth_type: RequireAnyClientCert\n  client_allowed_sans: [a]\n`, 'tls_server_config.client_allowed_sans: needs client_auth_type RequireAndVerifyClientCert'],
    [`${TLS}  min_version: TLS13\n  max_version: TLS12\n`, 'tls_server_config.max_version: below min_version'],
    [`${TLS}  curve_preferences: [X448]\n`, "tls_server_config.curve_preferences: 'X448' is not one of"],
    [`${TLS}  prefer_server_cipher_suites: yes please\n`, 'tls_server_config.prefer_server_cipher_suites: must be true or false'],
    ['http_server_config:\n  headers:\n    X-Content-Type-Options: sniff\n', "http_server_config.headers.X-Content-Type-Options: 'sniff' is not one of nosniff"],
    ['basic_auth_users:\n  alice: secret\n', 'basic_auth_users.alice: not a bcrypt hash'],
    [`basic_auth_users:\n  "a:b": $2y$10$${'a'.repeat(53)}\n`, "basic_auth_users.a:b: a user name cannot hold ':'"],
    ['basic_auth_users: {a: 1}\nbasic_auth_users: {b: 2}\n', 'not valid YAML'],
    ['- a list\n', 'must be a mapping'],
  ];
  for (const [text, message] of bad) {
    it(`refuses ${JSON.stringify(text)}`, () => {
      expect(() => parseWebConfig(text, '/d')).toThrow(WebConfigError);
      expect(() => parseWebConfig(text, '/d')).toThrow(message);
    });
  }
});

describe('clientCertProblem', () => {
  const settings = (clientAuth: TlsSettings['clientAuth'], clientAllowedSans: string[] | null = null): TlsSettings => ({
    ...parseWebConfig(TLS, '/d').tls!, clientAuth, clientAllowedSans,
  });
  const cert = { subjectaltname: 'DNS:scraper.test, IP Address:127.0.0.1' };
  const none = { authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT', cert: null };
  const unverified = { authorized: false, authorizationError: 'UNABLE_TO_GET_ISSUER_CERT', cert };
  const verified = { authorized: true, cert };

  it('follows Go\'s policies', () => {
    expect(clientCertProblem(settings('RequestClientCert'), none)).toBeNull();
    expect(clientCertProblem(settings('RequireAnyClientCert'), none)).toBe('no client certificate');
    expect(clientCertProblem(settings('RequireAnyClientCert'), unverified)).toBeNull();
    expect(clientCertProblem(settings('VerifyClientCertIfGiven'), none)).toBeNull();
    expect(clientCertProblem(settings('VerifyClientCertIfGiven'), unverified)).toMatch(/^client certificate not verified/);
    expect(clientCertProblem(settings('VerifyClientCertIfGiven'), verified)).toBeNull();
    expect(clientCertProblem(settings('RequireAndVerifyClientCert'), none)).toBe('no client certificate');
    expect(clientCertProblem(settings('RequireAndVerifyClientCert'), verified)).toBeNull();
  });

  it('client_allowed_sans: any of the certificate\'s DNS names or addresses', () => {
    expect(clientCertProblem(settings('RequireAndVerifyClientCert', ['127.0.0.1']), verified)).toBeNull();
    expect(clientCertProblem(settings('RequireAndVerifyClientCert', ['scraper.test']), verified)).toBeNull();
    expect(clientCertProblem(settings('RequireAndVerifyClientCert', ['other.test']), verified)).toMatch(/none of client_allowed_sans/);
  });
});
