// Name resolution against the real netstat. Both run in a private mount namespace where
// /etc/hosts and /etc/resolv.conf are files of this test, so the expected names are known and
// DNS goes only to a loopback address of ours.
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI } from '../helpers/env';

const isRoot = process.getuid?.() === 0;
// One address per backend: the two project runs may overlap, and each binds port 53 on it.
const BLACKHOLE = backend.name === 'js' ? '127.0.0.54' : '127.0.0.64';
const canUnshare = isRoot && spawnSync('unshare', ['-m', 'true']).status === 0;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-names-'));
const closers: Array<() => void> = [];
afterAll(() => {
  for (const c of closers.reverse()) c();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Runs shell `script` with our hosts and resolv.conf bind-mounted over the real ones. */
function inMountNs(hosts: string, resolv: string, script: string, timeoutMs: number) {
  const h = path.join(dir, `hosts-${Math.random()}`);
  const r = path.join(dir, `resolv-${Math.random()}`);
  fs.writeFileSync(h, hosts);
  fs.writeFileSync(r, resolv);
  return spawnSync('unshare', ['-m', 'sh', '-c', `mount --bind '${h}' /etc/hosts && mount --bind '${r}' /etc/resolv.conf && ${script}`], {
    encoding: 'latin1',
    env: { ...process.env, LANG: 'C', NETSNAP_BACKEND: backend.name },
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
}

const listen = (server: net.Server, port: number, host: string) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as net.AddressInfo).port));
  });

const connectFrom = (port: number, host: string, localAddress: string) =>
  new Promise<net.Socket>((resolve, reject) => {
    const s = net.connect({ port, host, localAddress });
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });

describe.skipIf(!canUnshare)(`names as netstat prints them (${backend.name})`, () => {
  let port = 0;
  let udpPort = 0;
  let port6 = 0;
  beforeAll(async () => {
    const server = net.createServer();
    port = await listen(server, 0, '127.0.0.2');
    const client = await connectFrom(port, '127.0.0.2', '127.0.0.3');
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.2', () => resolve()));
    udpPort = udp.address().port;
    const server6 = net.createServer();
    port6 = await listen(server6, 0, '::1');
    const client6 = await connectFrom(port6, '::1', '::1');
    closers.push(() => { client.destroy(); server.close(); udp.close(); client6.destroy(); server6.close(); });
  });

  it('resolves hosts from /etc/hosts, cuts long names, and matches netstat -tua line for line', () => {
    const hosts = '127.0.0.1 localhost\n127.0.0.2 netsnap-peer-two alias\n127.0.0.3 a-very-very-long-hostname-for-cutting\n::1 localhost ip6-localhost ip6-loopback\n';
    // Nothing listens on 127.0.0.53:53 here: lookups of other addresses fail at once.
    const r = inMountNs(hosts, 'nameserver 127.0.0.53\n', `netstat -tua; echo =====; '${process.execPath}' '${CLI}' -tua`, 120_000);
    expect(r.status).toBe(0);
    const [theirs, ours] = r.stdout.split('=====\n') as [string, string];
    // Our sockets: the ones on our two ports (older runs may have left TIME_WAIT entries).
    const mine = (text: string) =>
      text.split('\n').filter((l) => [port, udpPort, port6].some((p) => l.includes(`:${p} `)) && !l.includes('TIME_WAIT'));
    const expected = mine(theirs);
    expect(expected).toHaveLength(7); // per family: listener and both ends of the connection; the udp socket
    expect(mine(ours)).toEqual(expected);
    expect(expected.some((l) => l.includes(`netsnap-peer-two:${port} `))).toBe(true);
    expect(expected.some((l) => l.includes(`netsnap-peer-two:${udpPort} `))).toBe(true);
    expect(expected.some((l) => l.includes('a-very-very-long-:'))).toBe(true);
    expect(expected.some((l) => l.startsWith('tcp6') && l.includes(`localhost:${port6} `))).toBe(true);
    // The headers agree too.
    expect(ours.split('\n').slice(0, 2)).toEqual(theirs.split('\n').slice(0, 2));
  });

  it('prints service names from /etc/services and user names from /etc/passwd', () => {
    const r = inMountNs('127.0.0.2 netsnap-peer-two\n', 'nameserver 127.0.0.53\n', `'${process.execPath}' '${CLI}' -tle --numeric-hosts`, 60_000);
    expect(r.status).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(`127.0.0.2:${port} `));
    expect(line).toBeDefined();
    expect(line).toMatch(/ LISTEN      root       \d+\s*$/);
  });

  it('with DNS unreachable, a listing of 1,000 sockets returns within its budget, numeric where unresolved', async () => {
    // A "DNS server" on loopback that reads queries and never answers.
    const blackhole = dgram.createSocket('udp4');
    let queries = 0;
    blackhole.on('message', () => queries++);
    await new Promise<void>((resolve) => blackhole.bind(53, BLACKHOLE, () => resolve()));
    closers.push(() => blackhole.close());
    const server = net.createServer();
    const p = await listen(server, 0, '127.0.1.1');
    const sockets: net.Socket[] = [];
    closers.push(() => { for (const s of sockets) s.destroy(); server.close(); });
    for (let i = 0; i < 500; i++) sockets.push(await connectFrom(p, '127.0.1.1', `127.0.${2 + (i % 200)}.${1 + Math.floor(i / 200)}`));
    // spawnSync keeps the event loop from counting queries; the child runs under its own budget.
    const child = inMountNs('127.0.0.1 localhost\n', `nameserver ${BLACKHOLE}\noptions timeout:5 attempts:2\n`, `'${process.execPath}' '${CLI}' -ta --resolve-timeout 300ms`, 30_000);
    expect(child.error).toBeUndefined(); // not killed by the 30 s guard
    expect(child.status).toBe(0);
    const lines = child.stdout.split('\n').filter((l) => l.includes(`127.0.1.1:${p} `) && l.includes('ESTABLISHED'));
    expect(lines.length).toBeGreaterThanOrEqual(500);
    expect(lines.filter((l) => !/127\.0\.\d+\.\d+:\d+ +127\.0\.1\.1:\d+ +ESTABLISHED|127\.0\.1\.1:\d+ +127\.0\.\d+\.\d+:\d+ +ESTABLISHED/.test(l))).toEqual([]);
    await new Promise((r) => setTimeout(r, 50));
    expect(queries).toBeGreaterThan(0); // it did ask, and did not wait for answers that never came
  });
});
