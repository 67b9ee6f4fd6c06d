// -o timers against the real netstat on sockets this test opens: keepalive, listen, time-wait, udp.
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const closers: Array<() => void> = [];
let ports: { listen: number; client: number; tw: number; udp: number };

beforeAll(async () => {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const listen = (server.address() as net.AddressInfo).port;
  const conn = () =>
    new Promise<[net.Socket, net.Socket]>((resolve) => {
      server.once('connection', (s) => resolve([c, s]));
      const c = net.connect(listen, '127.0.0.1');
    });
  const [client, serverSide] = await conn();
  client.setKeepAlive(true, 3_600_000);
  serverSide.setKeepAlive(true, 3_600_000);
  // The active closer keeps its end in TIME_WAIT.
  const [twClient, twServer] = await conn();
  const tw = twClient.localPort!;
  await new Promise<void>((resolve) => {
    twServer.once('end', () => twServer.end());
    twClient.once('close', () => resolve());
    twClient.end();
  });
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  ports = { listen, client: client.localPort!, tw, udp: udp.address().port };
  closers.push(() => { client.destroy(); serverSide.destroy(); server.close(); udp.close(); });
});
afterAll(() => closers.forEach((c) => c()));

/** Splits "... keepalive (3599.12/0/0)" into the text with the seconds masked, and the seconds. */
function split(line: string): [string, number] {
  const m = /^(.*\()(\d+\.\d\d)(\/.*)$/.exec(line);
  if (!m) return [line, 0];
  return [`${m[1]}#${m[3]}`, Number(m[2])];
}

describe(`-o timers (${backend.name})`, () => {
  it('equal netstat -tuaon for keepalive, listen, time-wait and udp sockets (seconds within the time between runs)', () => {
    const theirs = spawnSync('netstat', ['-tuaon'], { encoding: 'latin1', env: { ...process.env, LANG: 'C' }, maxBuffer: 256 << 20 }).stdout;
    const ours = netsnap(['-tuaon']);
    expect(ours.status).toBe(0);
    const pick = (text: string, port: number) => text.split('\n').filter((l) => l.includes(`127.0.0.1:${port} `));
    const cases: Array<[number, RegExp]> = [
      [ports.client, /ESTABLISHED keepalive \(/],
      [ports.tw, /TIME_WAIT   timewait \(/],
      [ports.udp, / off \(0\.00\/0\/0\)$/],
    ];
    for (const [port, shape] of cases) {
      const t = pick(theirs, port);
      const o = pick(ours.stdout, port);
      expect(t.length).toBeGreaterThan(0);
      expect(o.map((l) => split(l)[0])).toEqual(t.map((l) => split(l)[0]));
      o.forEach((l, i) => expect(Math.abs(split(l)[1] - split(t[i]!)[1])).toBeLessThanOrEqual(2));
      expect(o.some((l) => shape.test(l))).toBe(true);
    }
    const listener = pick(ours.stdout, ports.listen).filter((l) => l.includes('LISTEN'));
    expect(listener).toEqual(pick(theirs, ports.listen).filter((l) => l.includes('LISTEN')));
    expect(listener[0]).toMatch(/LISTEN      off \(0\.00\/0\/0\)$/);
  });
});
