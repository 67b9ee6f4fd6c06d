// Reverse DNS end to end: a fake DNS server on loopback answers PTR queries; netstat (glibc) and
// netsnap (c-ares, within its budget) must print the same names. Runs in a private mount
// namespace where /etc/resolv.conf points at the fake server.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, FIXTURES, backend } from '../helpers/env';
import { oracleAvailable } from '../helpers/oracle';
import { startFakeDns, type FakeDns } from '../helpers/fake-dns';

// One address per backend: the two project runs may overlap, and each binds port 53 on it.
const DNS_HOST = backend.name === 'js' ? '127.0.0.55' : '127.0.0.65';
const canRun = oracleAvailable(path.join(FIXTURES, 'routes', 'proc'), 'net/route');
const etc = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-dns-'));

/** Like helpers/oracle, but asynchronous: our fake DNS server must keep answering meanwhile. */
function run(procOver: string, cmd: string[]): Promise<string> {
  const binds = ['hosts', 'networks', 'resolv.conf'].map((f) => `mount --bind '${path.join(etc, f)}' /etc/${f} && `).join('');
  const script = `${binds}{ [ "$1" = - ] || mount --bind "$1" /proc; } && shift && exec "$@"`;
  return new Promise((resolve, reject) => {
    const child = spawn('unshare', ['-m', 'sh', '-c', script, 'sh', procOver, ...cmd], { env: { ...process.env, LANG: 'C', LC_ALL: 'C' } });
    let out = '';
    child.stdout.setEncoding('latin1').on('data', (d: string) => (out += d));
    const timer = setTimeout(() => child.kill(), 60_000);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

async function compare(fixture: string, args: string[]): Promise<[string, string]> {
  const root = path.join(FIXTURES, fixture, 'proc');
  const theirs = await run(root, ['netstat', ...args]);
  const ours = await run('-', [process.execPath, CLI, ...args, '--proc-root', root, '--resolve-timeout', '5s']);
  return [ours, theirs];
}

describe.skipIf(!canRun)(`reverse DNS against netstat (${backend.name})`, () => {
  let dns: FakeDns;
  beforeAll(async () => {
    fs.writeFileSync(path.join(etc, 'hosts'), '127.0.0.1 localhost\n');
    fs.writeFileSync(path.join(etc, 'networks'), 'loopback 127.0.0.0\n');
    fs.writeFileSync(path.join(etc, 'resolv.conf'), `nameserver ${DNS_HOST}\noptions timeout:2 attempts:1\n`);
    dns = await startFakeDns(DNS_HOST, {
      '192.0.2.1': 'gw.dns.example',
      '192.0.2.10': 'me.dns.example',
      '198.51.100.77': 'a-rather-long-name-from.dns.example',
      '2001:db8:1::1': 'v6gw.dns.example',
      '2001:db8:aaaa:bbbb:cccc:dddd:eeee:ffff': 'long-v6.dns.example',
      '224.0.0.251': 'mdns.dns.example',
    });
  });
  afterAll(async () => {
    await dns?.close();
    fs.rmSync(etc, { recursive: true, force: true });
  });

  it('the socket listing names peers from DNS as netstat does', async () => {
    const [ours, theirs] = await compare('names', ['-tuwa']);
    expect(ours).toBe(theirs);
    expect(ours).toContain('me.dns.example');
    expect(ours).toContain('long-v6.dns.examp:https v6gw.dns.example:50000');
    expect(ours).toContain('127.0.0.1:http-alt      me.dns.example:60000'); // IPv4-mapped: named by DNS only
  });

  it('-r names gateways and hosts from DNS as netstat does', async () => {
    for (const args of [['-r'], ['-re'], ['-6r'], ['-rC']]) {
      const [ours, theirs] = await compare('routes', args);
      expect(ours, args.join(' ')).toBe(theirs);
    }
    expect((await compare('routes', ['-r']))[0]).toContain('gw.dns.example');
  });

  it('-g names groups from DNS as netstat does', async () => {
    const [ours, theirs] = await compare('groups', ['-g']);
    expect(ours).toBe(theirs);
  });

  it('sent its questions to the fake server', () => {
    expect(dns.queries).toContain('10.2.0.192.in-addr.arpa');
  });
});
