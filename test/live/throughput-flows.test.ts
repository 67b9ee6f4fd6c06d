// createThroughput(): bytes per owner from tcp_info by cookie plus the destroy events, on loopback
// connections this test makes: a long-lived connection's bytes tick by tick, 200 short connections
// that each live a few milliseconds with a known number of bytes (the owner's total within 2% of
// the truth; here exact), the first tick as the baseline, and the TypeScript backend's refusal.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createThroughput, networkOf } from '../../src/services/throughput';
import { createSampler } from '../../src/services/sampler';
import { NetsnapError } from '../../src/model/errors';
import { backend } from '../helpers/env';
import { once, serverIdle } from '../helpers/sockets';

const native = backend.name === 'native';
let server: net.Server;
let port = 0;
let received = 0;

beforeAll(async () => {
  server = net.createServer({ allowHalfOpen: true }, (c) => {
    c.on('data', (d: Buffer) => (received += d.length));
    c.on('end', () => c.end());
    c.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as net.AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

async function short(bytes: number): Promise<void> {
  const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  await once(c, 'connect');
  c.resume();
  c.end(Buffer.alloc(bytes, 1));
  await once(c, 'close');
}

describe.runIf(native)('throughput by cookie and destroy events (native)', () => {
  it('counts a long-lived connection\'s bytes per tick, from the second tick on', async () => {
    const tp = createThroughput({ interval: 0.2, filter: `sport = :${port} or dport = :${port}` });
    try {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'connect');
      c.write(Buffer.alloc(5000, 1)); // before the first tick: the baseline, never counted
      await new Promise((r) => setTimeout(r, 100));
      const t0 = await tp.next();
      expect(t0.tick).toBe(0);
      expect(t0.totals.txBytes).toBe(0);
      expect(t0.totals.txBps).toBeNull();
      expect(t0.totals.connections).toBe(2); // both ends
      const sent = [30_000, 70_000, 0];
      let tx = 0;
      for (const n of sent) {
        const before = received;
        if (n > 0) c.write(Buffer.alloc(n, 2));
        for (let k = 0; k < 100 && received < before + n; k++) await new Promise((r) => setTimeout(r, 10));
        await new Promise((r) => setTimeout(r, 50)); // acknowledged
        const t = await tp.next();
        expect(t.totals.closed).toBe(0);
        const mine = t.processes.find((p) => p.pid === process.pid)!;
        // This process holds both ends: what one end sent, the other received.
        expect(mine.txBytes).toBe(n);
        expect(mine.rxBytes).toBe(n);
        expect(t.ports.find((p) => p.port === port)!.txBytes).toBe(n);
        // Both ends' peer is 127.0.0.1: one peer, one peer network.
        expect(t.peers.find((p) => p.address === '127.0.0.1')!.txBytes).toBe(n);
        expect(t.networks.find((p) => p.network === '127.0.0.0/24')!.rxBytes).toBe(n);
        expect(mine.txBps).toBeCloseTo(n / (t.intervalMs / 1000), 6);
        tx += mine.txBytes;
      }
      expect(tx).toBe(100_000);
      c.destroy();
      expect(await serverIdle(server)).toBe(0);
    } finally {
      tp.close();
    }
  });

  it('credits 200 short connections, born and gone between ticks, to the listener\'s owner with their exact bytes', async () => {
    expect(await serverIdle(server)).toBe(0);
    const tp = createThroughput({ interval: 0.2, filter: `sport = :${port} or dport = :${port}` });
    try {
      // Baseline: the listener is known. A connection of the test before that is still closing in the
      // kernel (LAST_ACK) would be seen alive and its close counted too: tick until none is left.
      let t0 = await tp.next();
      for (let k = 0; k < 25 && t0.totals.connections > 0; k++) t0 = await tp.next();
      expect(t0.totals.connections).toBe(0);
      let truth = 0;
      for (let k = 0; k < 200; k++) {
        const bytes = 500 + 13 * k;
        truth += bytes;
        await short(bytes);
      }
      await new Promise((r) => setTimeout(r, 100)); // the last events arrive
      const t = await tp.next();
      const mine = t.processes.find((p) => p.pid === process.pid)!;
      // 200 server sides through the listener (their clients, never seen alive nor listened on, are unattributed).
      expect(mine.closed).toBe(200);
      expect(t.unattributed.closed).toBe(200);
      expect(t.totals.closed).toBe(400);
      // Each server side received its client's bytes and FIN.
      expect(mine.rxBytes).toBe(truth + 200);
      expect(Math.abs(mine.rxBytes - truth) / truth).toBeLessThan(0.02);
      // And each client's bytes reached its peer: SYN and FIN acknowledged on top.
      expect(t.unattributed.txBytes).toBe(truth + 2 * 200);
      expect(t.events.overflows + t.events.lost + t.events.dropped).toBe(0);
    } finally {
      tp.close();
    }
  });
});

describe.runIf(native)('flows in the sampler (native)', () => {
  it('createSampler({ info: true }) ticks carry the bytes moved since the previous tick, by cookie', async () => {
    const sampler = createSampler({ interval: 0, protocols: ['tcp'], info: true, owners: true, diff: false, filter: `sport = :${port} or dport = :${port}` });
    try {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'connect');
      const t0 = await sampler.next();
      expect(t0.flows!.tick).toBe(0);
      expect(t0.flows!.totals.txBytes).toBe(0);
      const before = received;
      c.write(Buffer.alloc(12_345, 3));
      for (let k = 0; k < 100 && received < before + 12_345; k++) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 50));
      const t1 = await sampler.next();
      expect(t1.flows!.processes.find((p) => p.pid === process.pid)!.txBytes).toBe(12_345);
      expect(t1.flows!.connections.reduce((n, x) => n + x.rxBytes, 0)).toBe(12_345);
      c.destroy();
      const plain = createSampler({ interval: 0, protocols: ['tcp'], info: true, flows: false, diff: false });
      expect((await plain.next()).flows).toBeUndefined();
      plain.close();
    } finally {
      sampler.close();
    }
  });
});

describe('peer networks', () => {
  it('are an IPv4 /24 (IPv4-mapped as IPv4) or an IPv6 /64', () => {
    expect(networkOf('10.1.2.3')).toBe('10.1.2.0/24');
    expect(networkOf('::ffff:192.168.7.9')).toBe('192.168.7.0/24');
    expect(networkOf('2001:db8:1:2:3:4:5:6')).toBe('2001:db8:1:2::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
  });
});

describe.skipIf(native)('throughput on the TypeScript backend', () => {
  it('is refused with ERR_NEEDS_NATIVE', () => {
    expect(() => createThroughput()).toThrow(NetsnapError);
  });
});
