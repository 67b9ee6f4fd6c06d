// The sampler's iterator is pipelined: once a tick's sample is in, the next one is taken on its
// slot while the tick is finished and consumed. The tables it fills are those of the tick three
// before it, so what a consumer holds keeps its promise: a tick's snapshot stays intact while the
// tick after it is consumed.
import { once } from 'node:events';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSampler } from '../../src/services/sampler';
import type { Snapshot } from '../../src/model/snapshot';
import { backend } from '../helpers/env';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every TCP row as text, from the snapshot's tables as they are now. */
function rows(s: Snapshot): string {
  return s.inet.map((t) => Array.from({ length: t.count }, (_, i) => `${t.localPort[i]}>${t.remotePort[i]} ${t.state[i]} ${t.inode[i]}`).join('\n')).join('\n');
}

describe(`sampler pipeline (${backend.name})`, () => {
  let server: net.Server;
  let port = 0;
  const clients: net.Socket[] = [];

  beforeAll(async () => {
    server = net.createServer(() => undefined);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const c of clients) c.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("takes a tick's sample while the tick before is consumed, and leaves the tick before intact", async () => {
    const sampler = createSampler({ protocols: ['tcp'], families: [4], interval: 0.05, filter: `sport = :${port} or dport = :${port}` });
    const held: Array<{ snap: Snapshot; text: string; consumedUntil: number }> = [];
    let overlapped = 0;
    for await (const t of sampler) {
      const prev = held.at(-1);
      // This tick's sample was taken while the tick before was still being consumed.
      if (prev && t.snapshot.takenAt < prev.consumedUntil) overlapped++;
      const text = rows(t.snapshot);
      const entry = { snap: t.snapshot, text, consumedUntil: Infinity };
      held.push(entry);
      if (held.length === 8) break;
      // Change the table: one more connection per tick, the oldest one closed every other tick.
      const c = net.connect(port, '127.0.0.1');
      clients.push(c);
      await once(c, 'connect');
      if (t.tick % 2 === 1) clients.shift()!.destroy();
      await sleep(120); // a consumer slower than the interval: the next sample ran meanwhile
      entry.consumedUntil = Date.now();
      // Still being consumed, this tick and the one before it are intact (the diff reads both).
      for (const h of held.slice(-2)) expect(rows(h.snap), `at tick ${t.tick}`).toBe(h.text);
    }
    sampler.close();
    expect(held.length).toBe(8);
    // The tables did change between ticks, so an overwrite would have shown.
    expect(new Set(held.map((h) => h.text)).size).toBeGreaterThan(4);
    expect(overlapped).toBeGreaterThanOrEqual(6);
  });
});
