// The exporter's web configuration: TLS, basic auth and response headers, in the YAML format of
// Prometheus' exporter-toolkit (its docs/web-configuration.md), so that an operator reuses the file
// node_exporter already reads. `parseWebConfig` checks the text and gives a plain description;
// `loadWebConfig` reads the file and the certificates it names and builds the TLS options.
//
// Every key is checked: an unknown key, and a key netsnap cannot honour, is an error naming it (as
// Go's strict YAML decoding makes an unknown key one), never a setting silently left out.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { parseDocument } from 'yaml';
import { NetsnapError } from '../model/errors';

export type ClientAuthType = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
const CLIENT_AUTH_TYPES: readonly ClientAuthType[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];

const TLS_VERSIONS: Record<string, tls.SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

/**
 * Go's names of the TLS 1.0-1.2 cipher suites (crypto/tls) and OpenSSL's. The RC4 and 3DES suites
 * Go still names are not here: the OpenSSL Node is built with does not offer them.
 */
export const GO_CIPHER_SUITES: Readonly<Record<string, string>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: 'AES128-SHA',
  TLS_RSA_WITH_AES_256_CBC_SHA: 'AES256-SHA',
  TLS_RSA_WITH_AES_128_CBC_SHA256: 'AES128-SHA256',
  TLS_RSA_WITH_AES_128_GCM_SHA256: 'AES128-GCM-SHA256',
  TLS_RSA_WITH_AES_256_GCM_SHA384: 'AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: 'ECDHE-ECDSA-AES128-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: 'ECDHE-ECDSA-AES256-SHA',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: 'ECDHE-RSA-AES128-SHA',
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: 'ECDHE-RSA-AES256-SHA',
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256: 'ECDHE-ECDSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256: 'ECDHE-RSA-AES128-SHA256',
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: 'ECDHE-RSA-AES128-GCM-SHA256',
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: 'ECDHE-ECDSA-AES128-GCM-SHA256',
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: 'ECDHE-RSA-AES256-GCM-SHA384',
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: 'ECDHE-ECDSA-AES256-GCM-SHA384',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: 'ECDHE-ECDSA-CHACHA20-POLY1305',
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305: 'ECDHE-RSA-CHACHA20-POLY1305',
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305: 'ECDHE-ECDSA-CHACHA20-POLY1305',
};
const TLS13_SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
/** Go's TLS 1.3 suites are not configurable: with cipher_suites set, TLS 1.3 keeps all three, as in Go. */
const TLS13_DEFAULT = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

/** Go's curve names (crypto/tls CurveID) and OpenSSL's. */
const GO_CURVES: Readonly<Record<string, string>> = { CurveP256: 'P-256', CurveP384: 'P-384', CurveP521: 'P-521', X25519: 'X25519' };

/** The response headers exporter-toolkit lets a file set, and the values it allows where it restricts them. */
const HEADERS: Readonly<Record<string, readonly string[] | null>> = {
  'Strict-Transport-Security': null,
  'X-Content-Type-Options': ['nosniff'],
  'X-Frame-Options': ['deny', 'sameorigin'],
  'X-XSS-Protection': null,
  'Content-Security-Policy': null,
};

/** A bcrypt hash as Go's golang.org/x/crypto/bcrypt reads it ($2a$, $2b$, $2y$; cost 4 to 31). */
const BCRYPT = /^\$2[aby]?\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

export interface TlsSettings {
  /** PEM text, or the file it is read from (relative names are relative to the config file). */
  cert: { file: string } | { inline: string };
  key: { file: string } | { inline: string };
  clientAuth: ClientAuthType;
  clientCaFile: string | null;
  /** With RequireAndVerifyClientCert: the client certificate must carry one of these SANs. */
  clientAllowedSans: string[] | null;
  minVersion: tls.SecureVersion;
  maxVersion: tls.SecureVersion | null;
  /** OpenSSL's cipher list (TLS 1.2 and below, then TLS 1.3's), or null for Node's default. */
  ciphers: string | null;
  ecdhCurve: string | null;
  honorCipherOrder: boolean;
}

export interface WebConfig {
  tls: TlsSettings | null;
  /** User name → bcrypt hash; null: no basic auth. */
  users: Map<string, string> | null;
  headers: Record<string, string>;
}

/** A web config the file's text gives, or why not (a message naming the key). */
export class WebConfigError extends Error {}

type Doc = Record<string, unknown>;

function isMap(v: unknown): v is Doc {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The keys of `doc` (at `where`, e.g. "tls_server_config.") outside `known`: an error naming the first. */
function checkKeys(doc: Doc, where: string, known: Record<string, string | null>): void {
  for (const k of Object.keys(doc)) {
    if (!(k in known)) throw new WebConfigError(`${where}${k}: unknown key`);
    const why = known[k];
    if (why !== null && why !== undefined && doc[k] !== null && doc[k] !== undefined) throw new WebConfigError(`${where}${k}: not supported by netsnap (${why})`);
  }
}

function str(doc: Doc, key: string, where: string): string | null {
  const v = doc[key];
  if (v === undefined || v === null || v === '') return null;
  if (typeof v !== 'string') throw new WebConfigError(`${where}${key}: must be a string, not ${JSON.stringify(v)}`);
  return v;
}

function bool(doc: Doc, key: string, where: string): boolean | null {
  const v = doc[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'boolean') throw new WebConfigError(`${where}${key}: must be true or false, not ${JSON.stringify(v)}`);
  return v;
}

function list(doc: Doc, key: string, where: string): string[] | null {
  const v = doc[key];
  if (v === undefined || v === null) return null;
  if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) throw new WebConfigError(`${where}${key}: must be a list of strings`);
  return v as string[];
}

/** The web config of `text` (YAML); `dir` is where relative file names are taken from. */
export function parseWebConfig(text: string, dir: string): WebConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new WebConfigError(`not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const root: unknown = doc.toJS();
  if (root === null || root === undefined) return { tls: null, users: null, headers: {} };
  if (!isMap(root)) throw new WebConfigError('must be a mapping of tls_server_config, http_server_config, basic_auth_users');
  checkKeys(root, '', { tls_server_config: null, http_server_config: null, basic_auth_users: null });
  return { tls: tlsSettings(root['tls_server_config'], dir), users: users(root['basic_auth_users']), headers: headers(root['http_server_config']) };
}

function tlsSettings(v: unknown, dir: string): TlsSettings | null {
  if (v === undefined || v === null) return null;
  const w = 'tls_server_config.';
  if (!isMap(v)) throw new WebConfigError('tls_server_config: must be a mapping');
  checkKeys(v, w, {
    cert_file: null, key_file: null, cert: null, key: null, client_auth_type: null, client_ca_file: null, client_allowed_sans: null,
    min_version: null, max_version: null, cipher_suites: null, curve_preferences: null, prefer_server_cipher_suites: null,
  });
  const file = (key: string) => {
    const f = str(v, key, w);
    return f === null ? null : path.resolve(dir, f);
  };
  const pem = (fileKey: string, inlineKey: string): { file: string } | { inline: string } => {
    const f = file(fileKey);
    const inline = str(v, inlineKey, w);
    if (f !== null && inline !== null) throw new WebConfigError(`${w}${fileKey}: set with ${inlineKey}: give only one`);
    if (f !== null) return { file: f };
    if (inline !== null) return { inline };
    // exporter-toolkit serves plain HTTP when both are missing; netsnap never drops TLS that a file asks for.
    throw new WebConfigError(`${w}${fileKey}: missing (or ${inlineKey})`);
  };
  const cert = pem('cert_file', 'cert');
  const key = pem('key_file', 'key');

  const auth = str(v, 'client_auth_type', w) ?? 'NoClientCert';
  if (!(CLIENT_AUTH_TYPES as readonly string[]).includes(auth)) throw new WebConfigError(`${w}client_auth_type: '${auth}' is not one of ${CLIENT_AUTH_TYPES.join(', ')}`);
  const clientAuth = auth as ClientAuthType;
  const clientCaFile = file('client_ca_file');
  if (clientCaFile !== null && clientAuth === 'NoClientCert') throw new WebConfigError(`${w}client_ca_file: set with client_auth_type NoClientCert (no client certificate is asked for)`);
  if (clientCaFile === null && (clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert')) {
    throw new WebConfigError(`${w}client_ca_file: missing, and client_auth_type ${clientAuth} verifies client certificates with it`);
  }
  const clientAllowedSans = list(v, 'client_allowed_sans', w);
  if (clientAllowedSans !== null && clientAuth !== 'RequireAndVerifyClientCert') throw new WebConfigError(`${w}client_allowed_sans: needs client_auth_type RequireAndVerifyClientCert`);

  const version = (k: string): tls.SecureVersion | null => {
    const t = str(v, k, w);
    if (t === null) return null;
    const mapped = TLS_VERSIONS[t];
    if (!mapped) throw new WebConfigError(`${w}${k}: '${t}' is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
    return mapped;
  };
  const minVersion = version('min_version') ?? 'TLSv1.2';
  const maxVersion = version('max_version');
  const order = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
  if (maxVersion !== null && order.indexOf(maxVersion) < order.indexOf(minVersion)) throw new WebConfigError(`${w}max_version: below min_version`);

  let ciphers: string | null = null;
  const suites = list(v, 'cipher_suites', w);
  if (suites !== null && suites.length > 0) {
    ciphers = suites.map((s) => {
      const mapped = GO_CIPHER_SUITES[s];
      if (mapped) return mapped;
      if (TLS13_SUITES.includes(s)) throw new WebConfigError(`${w}cipher_suites: ${s} is a TLS 1.3 suite, which is not configurable (as in Go)`);
      throw new WebConfigError(`${w}cipher_suites: '${s}' is not a cipher suite netsnap supports (${Object.keys(GO_CIPHER_SUITES).slice(0, 2).join(', ')}, ...)`);
    }).join(':') + ':' + TLS13_DEFAULT;
  }
  let ecdhCurve: string | null = null;
  const curves = list(v, 'curve_preferences', w);
  if (curves !== null && curves.length > 0) {
    ecdhCurve = curves.map((c) => {
      const mapped = GO_CURVES[c];
      if (!mapped) throw new WebConfigError(`${w}curve_preferences: '${c}' is not one of ${Object.keys(GO_CURVES).join(', ')}`);
      return mapped;
    }).join(':');
  }
  const honorCipherOrder = bool(v, 'prefer_server_cipher_suites', w) ?? true;
  return { cert, key, clientAuth, clientCaFile, clientAllowedSans, minVersion, maxVersion, ciphers, ecdhCurve, honorCipherOrder };
}

function users(v: unknown): Map<string, string> | null {
  if (v === undefined || v === null) return null;
  if (!isMap(v)) throw new WebConfigError('basic_auth_users: must be a mapping of user names to bcrypt hashes');
  const m = new Map<string, string>();
  for (const [user, hash] of Object.entries(v)) {
    if (typeof hash !== 'string' || !BCRYPT.test(hash)) throw new WebConfigError(`basic_auth_users.${user}: not a bcrypt hash ($2y$10$ and 53 characters, e.g. from htpasswd -nBC 10)`);
    if (user.includes(':')) throw new WebConfigError(`basic_auth_users.${user}: a user name cannot hold ':'`);
    m.set(user, hash);
  }
  return m;
}

function headers(v: unknown): Record<string, string> {
  if (v === undefined || v === null) return {};
  const w = 'http_server_config.';
  if (!isMap(v)) throw new WebConfigError('http_server_config: must be a mapping');
  checkKeys(v, w, { http2: null, headers: null });
  // Go serves HTTP/2 over TLS unless told not to; netsnap serves HTTP/1.1 only.
  if (bool(v, 'http2', w) === true) throw new WebConfigError(`${w}http2: not supported by netsnap (it serves HTTP/1.1; set http2: false or leave it out)`);
  const h = v['headers'];
  if (h === undefined || h === null) return {};
  if (!isMap(h)) throw new WebConfigError(`${w}headers: must be a mapping`);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(h)) {
    const canonical = Object.keys(HEADERS).find((k) => k.toLowerCase() === name.toLowerCase());
    if (canonical === undefined) throw new WebConfigError(`${w}headers.${name}: not a header that can be configured (${Object.keys(HEADERS).join(', ')})`);
    if (typeof value !== 'string') throw new WebConfigError(`${w}headers.${name}: must be a string`);
    const allowed = HEADERS[canonical];
    if (allowed && !allowed.includes(value.toLowerCase())) throw new WebConfigError(`${w}headers.${name}: '${value}' is not one of ${allowed.join(', ')}`);
    if (value !== '') out[canonical] = value;
  }
  return out;
}

/** The TLS options of the server: its secure context and how it asks for client certificates. */
export interface ServerTls {
  context: tls.SecureContextOptions;
  requestCert: boolean;
  rejectUnauthorized: boolean;
}

export interface LoadedWebConfig {
  file: string;
  config: WebConfig;
  tls: ServerTls | null;
  /** The files read: the config and the certificates it names (what a reload watches). */
  files: string[];
  /** A digest of everything read: a reload that finds the same digest changes nothing. */
  digest: string;
}

/**
 * Reads the web config `file` and the certificate files it names, and checks the certificate and
 * key together (createSecureContext). A problem is a NetsnapError ERR_BAD_FILE naming the file and key.
 */
export function loadWebConfig(file: string): LoadedWebConfig {
  const fail = (why: string) => new NetsnapError('ERR_BAD_FILE', `web config ${file}: ${why}`);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw fail(`cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let config: WebConfig;
  try {
    config = parseWebConfig(text, path.dirname(path.resolve(file)));
  } catch (err) {
    if (err instanceof WebConfigError) throw fail(err.message);
    throw err;
  }
  const hash = crypto.createHash('sha256').update(text);
  const files = [path.resolve(file)];
  let serverTls: ServerTls | null = null;
  const t = config.tls;
  if (t) {
    const read = (src: { file: string } | { inline: string }, key: string): string => {
      if ('inline' in src) return src.inline;
      files.push(src.file);
      try {
        return fs.readFileSync(src.file, 'utf8');
      } catch (err) {
        throw fail(`tls_server_config.${key}: cannot read ${src.file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    const cert = read(t.cert, 'cert_file');
    const key = read(t.key, 'key_file');
    const ca = t.clientCaFile === null ? undefined : read({ file: t.clientCaFile }, 'client_ca_file');
    hash.update('\0').update(cert).update('\0').update(key).update('\0').update(ca ?? '');
    const context: tls.SecureContextOptions = {
      cert, key, minVersion: t.minVersion, honorCipherOrder: t.honorCipherOrder,
      ...(ca === undefined ? {} : { ca }),
      ...(t.maxVersion === null ? {} : { maxVersion: t.maxVersion }),
      ...(t.ciphers === null ? {} : { ciphers: t.ciphers }),
      ...(t.ecdhCurve === null ? {} : { ecdhCurve: t.ecdhCurve }),
    };
    try {
      tls.createSecureContext(context);
    } catch (err) {
      throw fail(`tls_server_config: the certificate, key or client CA cannot be used: ${(err as Error).message}`);
    }
    // Go's policies: RequestClientCert and RequireAnyClientCert take any certificate, unverified;
    // VerifyClientCertIfGiven verifies one if sent; the check past the handshake is clientCertProblem().
    serverTls = { context, requestCert: t.clientAuth !== 'NoClientCert', rejectUnauthorized: t.clientAuth === 'RequireAndVerifyClientCert' };
  }
  return { file, config, tls: serverTls, files, digest: hash.digest('hex') };
}

/** What a client's certificate lacks under the config's client_auth_type and client_allowed_sans, or null. */
export function clientCertProblem(
  settings: TlsSettings,
  peer: { authorized: boolean; authorizationError?: Error | string | null; cert: { subjectaltname?: string } | null },
): string | null {
  const has = peer.cert !== null && Object.keys(peer.cert).length > 0;
  switch (settings.clientAuth) {
    case 'NoClientCert':
    case 'RequestClientCert':
      return null;
    case 'RequireAnyClientCert':
      return has ? null : 'no client certificate';
    case 'VerifyClientCertIfGiven':
      return !has || peer.authorized ? null : `client certificate not verified: ${String(peer.authorizationError)}`;
    case 'RequireAndVerifyClientCert': {
      if (!has) return 'no client certificate';
      if (!peer.authorized) return `client certificate not verified: ${String(peer.authorizationError)}`;
      if (settings.clientAllowedSans === null) return null;
      // "DNS:a, IP Address:127.0.0.1, email:x@y, URI:spiffe://..." as Node prints the extension.
      const sans = (peer.cert!.subjectaltname ?? '').split(', ').map((e) => e.slice(e.indexOf(':') + 1));
      return settings.clientAllowedSans.some((s) => sans.includes(s)) ? null : 'client certificate carries none of client_allowed_sans';
    }
  }
}
