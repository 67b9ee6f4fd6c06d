// The kernel's share of a filter against the columns': generated expressions over the sockets this
// test opens on loopback (listeners on four IPv4 addresses and ::1, connections between them, UDP
// sockets connected and not), each sampled three ways — the netlink dump with the compiled
// INET_DIAG_REQ_BYTECODE and the column program (what netsnap runs), the dump with the column
// program alone, and an unfiltered dump judged row by row by the TypeScript evaluator — must keep
// the same rows of ours. The kernel must accept every program we send.
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { InetTable } from '../../src/model/columns';
import type { RawSample, SampleRequest } from '../../src/model/contract';
import { compileFilter } from '../../src/filter/compile';
import { once } from '../helpers/sockets';
import { addressText } from '../../src/model/address';
import { rng } from '../helpers/generate';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the kernel filter suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as { sample(request: SampleRequest): RawSample };

const HOSTS4 = ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.1.2.3'];
const servers: net.Server[] = [];
const clients: net.Socket[] = [];
const udp: dgram.Socket[] = [];
const ports: number[] = [];
const ours = new Set<number>();

async function listen(host: string): Promise<number> {
  const s = net.createServer((c) => {
    clients.push(c);
  });
  servers.push(s);
  s.listen(0, host);
  await once(s, 'listening');
  return (s.address() as net.AddressInfo).port;
}

beforeAll(async () => {
  for (const host of [...HOSTS4, '::1']) {
    const port = await listen(host);
    ports.push(port);
    ours.add(port);
    for (let k = 0; k < (host === '127.0.0.2' ? 3 : 1); k++) {
      const c = net.connect({ port, host, localAddress: host === '::1' ? '::1' : '127.0.0.1' });
      clients.push(c);
      await once(c, 'connect');
      ours.add(c.localPort!);
    }
  }
  for (const host of ['127.0.0.1', '127.0.0.3']) {
    const u = dgram.createSocket('udp4');
    udp.push(u);
    u.bind(0, host);
    await once(u, 'listening');
    ours.add(u.address().port);
    if (host === '127.0.0.3') {
      u.connect(ports[0]!, '127.0.0.1');
      await once(u, 'connect');
    }
  }
  await new Promise((r) => setTimeout(r, 50)); // accepted sockets settle
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  for (const u of udp) u.close();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});


function expression(rand: () => number, depth: number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const port = (): number => pick(ports) + pick([0, 0, 0, -1, 1]);
  if (depth > 0 && rand() < 0.45) {
    const kind = rand();
    if (kind < 0.2) return `not ${expression(rand, depth - 1)}`;
    return `( ${expression(rand, depth - 1)} ${kind < 0.6 ? 'and' : 'or'} ${expression(rand, depth - 1)} )`;
  }
  const p = rand();
  if (p < 0.3) return `${pick(['sport', 'dport'])} ${pick(['=', '!=', '<', '<=', '>', '>='])} :${port()}`;
  if (p < 0.7) {
    const host = pick([
      ...HOSTS4, '127.0.0.0/8', '127.0.0.0/31', '127.1.0.0/16', '127.0.0.2/32', '0.0.0.0/0', '*',
      '[::1]', '[::]/0', '[::ffff:127.0.0.1]', '[::ffff:127.0.0.0]/104',
    ]);
    const withPort = rand() < 0.3 && !host.includes('/');
    return `${pick(['src', 'dst'])} ${host}${withPort ? `:${port()}` : ''}`;
  }
  if (p < 0.8) return `uid ${pick(['=', '!='])} ${pick([0, process.getuid?.() ?? 0, 65534])}`;
  if (p < 0.9) return `recv-q ${pick(['=', '>'])} 0`;
  return `send-q ${pick(['<', '>='])} ${pick([0, 1, 4096])}`;
}

const FILES = ['tcp', 'tcp6', 'udp', 'udp6'];
const request = (extra: Partial<SampleRequest>): SampleRequest => ({
  netDir: '/proc/net', files: FILES, owners: false, procRoot: '/proc', littleEndian: true, source: 'netlink', ...extra,
});

/** "file local remote state" of the rows that involve our ports, sorted. */
function rowsOf(raw: RawSample, keep: (t: InetTable, i: number) => boolean = () => true): string[] {
  const out: string[] = [];
  for (const f of raw.files) {
    expect(f.error, f.name).toBeNull();
    expect(f.source, f.name).toBe('netlink');
    const t = new InetTable(f.name.startsWith('udp') ? 'udp' : 'tcp', f.name, f.table!, 'netlink');
    for (let i = 0; i < t.count; i++) {
      if (!ours.has(t.localPort[i]!) && !ours.has(t.remotePort[i]!)) continue;
      // None of ours is in TIME_WAIT; another test's may have had one of our ports.
      if (t.proto === 'tcp' && t.state[i] === 6) continue;
      if (!keep(t, i)) continue;
      const fam = t.familyOf(i);
      out.push(`${f.name} ${addressText(t.localAddr, i * 16, fam)}:${t.localPort[i]} ${addressText(t.remoteAddr, i * 16, fam)}:${t.remotePort[i]} ${t.state[i]}`);
    }
  }
  return out.sort();
}

describe('filters in the kernel and on the columns agree (netlink, native)', () => {
  it('keeps the same rows three ways for 300 generated expressions, and the kernel takes every program', () => {
    const rand = rng(14);
    const all = rowsOf(addon.sample(request({})));
    // The sockets are there: 5 listeners, 7 connections (both ends), 2 UDP sockets.
    expect(all.length).toBe(5 + 7 * 2 + 2);
    let kernelPrograms = 0;
    const sizes = new Set<number>();
    for (let n = 0; n < 300; n++) {
      const text = expression(rand, 3);
      const f = compileFilter(text);
      // Sockets of other tests come and go between samples, ours do not: compare ours only.
      const both = addon.sample(request({ filter: f.request, ...(f.hasStates ? { tcpStates: f.tcpStates } : {}) }));
      const columns = addon.sample(request({ filter: { program: f.request.program, bytecode: null } }));
      const judged = rowsOf(addon.sample(request({})), (t, i) => f.matches(t, i));
      if (f.request.bytecode !== null) {
        kernelPrograms++;
        for (const file of both.files) {
          expect(file.kernelRejected, `${text} (${file.name})`).toBeUndefined();
          expect(file.filterInKernel, `${text} (${file.name})`).toBe(true);
        }
      }
      const a = rowsOf(both);
      expect(a, text).toEqual(judged);
      expect(rowsOf(columns), text).toEqual(judged);
      sizes.add(a.length);
    }
    // The expressions tell rows apart: most go to the kernel, and they keep many different row counts.
    expect(kernelPrograms).toBeGreaterThan(200);
    expect(sizes.size).toBeGreaterThan(8);
  });

  it('lets the kernel drop what the filter does not want: a port filter copies only its rows', () => {
    const f = compileFilter(`exclude time-wait ( sport = :${ports[1]} or dport = :${ports[1]} )`);
    const raw = addon.sample(request({ filter: f.request, tcpStates: f.tcpStates }));
    const tcp = raw.files.find((x) => x.name === 'tcp')!;
    expect(tcp.filterInKernel).toBe(true);
    // The listener on 127.0.0.2, its 3 connections from both ends: nothing else left the kernel.
    expect(tcp.table!.count).toBe(7);
  });
});
