// What the web config tests need: a CA, server and client certificates made with openssl in a
// temporary directory, a bcrypt hash, and curl run against `netsnap serve` (bounded in time).
import { execFileSync, spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import * as bcrypt from 'bcryptjs';

export interface Certificates {
  dir: string;
  ca: string;
  /** Two server certificates for 127.0.0.1 (the second for a swap), with their keys. */
  server: { cert: string; key: string };
  server2: { cert: string; key: string };
  /** A client certificate signed by the CA, and one signed by a CA the server does not know. */
  client: { cert: string; key: string };
  stranger: { cert: string; key: string };
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
}

/** A certificate for `cn` with `san`, signed by `ca` (a name in dir: ca → ca.crt, ca.key). */
function issue(dir: string, name: string, cn: string, ca: string, ext: string): { cert: string; key: string } {
  openssl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`]);
  fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
  openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
  return { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
}

export function makeCertificates(dir: string): Certificates {
  for (const ca of ['ca', 'other-ca']) {
    openssl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=netsnap test ${ca}`]);
  }
  const serverExt = 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
  const clientExt = 'subjectAltName=DNS:scraper.test\nextendedKeyUsage=clientAuth\n';
  return {
    dir,
    ca: path.join(dir, 'ca.crt'),
    server: issue(dir, 'server', '127.0.0.1', 'ca', serverExt),
    server2: issue(dir, 'server2', '127.0.0.1 (second)', 'ca', serverExt),
    client: issue(dir, 'client', 'scraper', 'ca', clientExt),
    stranger: issue(dir, 'stranger', 'scraper', 'other-ca', clientExt),
  };
}

export function bcryptHash(password: string, cost = 10): string {
  return bcrypt.hashSync(password, cost);
}

export interface CurlResult {
  /** curl's exit status: 0 when an HTTP answer came (whatever its status). */
  exit: number | null;
  status: number;
  headers: Record<string, string>;
  body: string;
  stderr: string;
}

/** curl ARGS... URL (-sS, 20 s at most); the answer's status, headers (lower-case names) and body. */
export function curl(args: string[], url: string): CurlResult {
  const r = spawnSync('curl', ['-sS', '--max-time', '20', '-D', '-', ...args, url], { encoding: 'utf8', timeout: 30_000 });
  const out = r.stdout ?? '';
  const split = out.indexOf('\r\n\r\n');
  const head = split < 0 ? out : out.slice(0, split);
  const lines = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = /^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1];
  return { exit: r.status, status: status ? Number(status) : 0, headers, body: split < 0 ? '' : out.slice(split + 4), stderr: r.stderr ?? '' };
}

/** The SHA-256 fingerprint of the certificate a new TLS handshake with 127.0.0.1:port shows. */
export function servedFingerprint(port: number, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: fs.readFileSync(ca), timeout: 10_000 }, () => {
      const fp = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fp);
    });
    socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
    socket.on('error', reject);
  });
}

/** The SHA-256 fingerprint of a PEM certificate file, as getPeerCertificate() prints it. */
export function fileFingerprint(certFile: string): string {
  return new crypto.X509Certificate(fs.readFileSync(certFile)).fingerprint256;
}

/** Polls `check` every 100 ms until it returns true, at most `ms`; then throws with `what`. */
export async function until(what: string, ms: number, check: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
