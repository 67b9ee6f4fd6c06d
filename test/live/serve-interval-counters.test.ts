// `netsnap serve --interval`: the kernel counters served come from the same moment as the sockets,
// not from when the background sampler started waiting for its slot (an interval earlier).
import * as net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { parsePromText } from '../helpers/promtext';
import { startServe, type Served } from '../helpers/serve';
import { foreignOnPort, inodeOf, listenOnQuietPort, once } from '../helpers/sockets';

const INTERVAL_S = 3;
const CONNECTIONS = 20;

describe(`serve --interval ${INTERVAL_S}s (${backend.name})`, () => {
  let served: Served | undefined;
  const sockets: net.Socket[] = [];
  let server: net.Server | undefined;

  afterAll(async () => {
    for (const s of sockets) s.destroy();
    server?.close();
    await served?.stop();
  });

  it('serves counters read with the sockets of the same sample', async () => {
    served = await startServe(['--interval', `${INTERVAL_S}s`, '--no-owners']);
    const scrape = async () => parsePromText((await served!.get('/metrics')).body);
    // The first sample is taken at start; the next one INTERVAL_S later.
    const first = await scrape();
    const samples = first.value('netsnap_samples_total')!;
    const opensBefore = first.value('netsnap_tcp_active_opens_total')!;

    // Connections opened between two samples, well before the second (the first scrape came
    // right after the first sample).
    server = net.createServer((s) => sockets.push(s.on('error', () => undefined)));
    const port = await listenOnQuietPort(server);
    for (let i = 0; i < CONNECTIONS; i++) {
      const c = net.connect(port, '127.0.0.1');
      await once(c, 'connect');
      sockets.push(c.on('error', () => undefined));
    }

    // Bounded: the next sample is due within INTERVAL_S; 4 intervals at most.
    let next = first;
    for (let i = 0; i < 40 && next.value('netsnap_samples_total')! <= samples; i++) {
      await new Promise((r) => setTimeout(r, (INTERVAL_S * 1000) / 10));
      next = await scrape();
    }
    expect(next.value('netsnap_samples_total')).toBeGreaterThan(samples);
    // The sample sees our connections' sockets, and so its counters must count them.
    // (Plus any other test's socket that took the same port number on another address.)
    const ours = new Set([inodeOf(server), ...sockets.map(inodeOf)]);
    expect(next.value('netsnap_port_sockets', { proto: 'tcp', port: String(port) }))
      .toBe(CONNECTIONS + 1 + foreignOnPort(port, ours));
    expect(next.value('netsnap_tcp_active_opens_total')! - opensBefore).toBeGreaterThanOrEqual(CONNECTIONS);
  });
});
