// serve --info: bytes per process and port and the closes, as counters that include closed
// connections (tcp_info by cookie plus the destroy events), on loopback connections this test makes
// with known bytes; the exposition passes `promtool check metrics` (Debian's prometheus package).
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter } from '../../src/services/exporter';
import { parsePromText } from '../helpers/promtext';
import { backend } from '../helpers/env';
import { once } from '../helpers/sockets';
import { ensureDebianPackage } from '../helpers/debian';

const native = backend.name === 'native';
let server: net.Server;
let port = 0;

beforeAll(async () => {
  server = net.createServer({ allowHalfOpen: true }, (c) => {
    c.resume();
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

describe.runIf(native)('serve --info: byte and close counters (native)', () => {
  it('counts the bytes of connections that lived and died between two scrapes, and only goes up', async () => {
    const exporter = await startExporter({ port: 0, info: true, owners: true, filter: `exclude time-wait ( sport = :${port} or dport = :${port} )` });
    try {
      const first = parsePromText(await exporter.metrics()); // the baseline
      expect(first.value('netsnap_connections_closed_total')).toBe(0);
      expect(first.value('netsnap_tcp_bytes_total', { direction: 'tx' })).toBe(0);
      const sizes = [1000, 2000, 3000, 4000, 5000];
      for (const b of sizes) await short(b);
      await new Promise((r) => setTimeout(r, 100)); // the last destroy events arrive
      const text = await exporter.metrics();
      const m = parsePromText(text);
      const sum = sizes.reduce((a, b) => a + b, 0);
      expect(m.value('netsnap_connections_closed_total')).toBe(10);
      // Clients: their bytes plus SYN and FIN acknowledged; servers: their FIN.
      expect(m.value('netsnap_tcp_bytes_total', { direction: 'tx' })).toBe(sum + 2 * 5 + 5);
      // Servers: the bytes and the client's FIN; clients: the server's FIN.
      expect(m.value('netsnap_tcp_bytes_total', { direction: 'rx' })).toBe(sum + 5 + 5);
      expect(m.value('netsnap_tcp_bytes_total', { direction: 'retrans' })).toBe(0);
      expect(m.value('netsnap_port_bytes_total', { port: String(port), direction: 'rx' })).toBe(sum + 10);
      // The server sides came through the listener this process holds.
      expect(m.value('netsnap_process_bytes_total', { pid: String(process.pid), program: 'node', direction: 'rx' })).toBe(sum + 5);
      expect(m.value('netsnap_destroy_events_lost_total')).toBe(0);
      expect(m.types.get('netsnap_tcp_bytes_total')).toBe('counter');
      // Nothing moves: the counters stay.
      const again = parsePromText(await exporter.metrics());
      expect(again.value('netsnap_tcp_bytes_total', { direction: 'tx' })).toBe(sum + 15);
      expect(again.value('netsnap_connections_closed_total')).toBe(10);
      // promtool's lint finds nothing in our series (prom-client's default nodejs_* ones have their own).
      expect(ensureDebianPackage('/usr/bin/promtool', 'prometheus')).toBeNull();
      const check = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(check.error).toBeUndefined();
      const problems = `${check.stdout}${check.stderr}`.split('\n').filter((l) => l.trim() !== '' && !l.startsWith('nodejs_'));
      expect(problems).toEqual([]);
    } finally {
      await exporter.close();
    }
  });
});

describe.skipIf(native)('serve --info on the TypeScript backend', () => {
  it('is refused with ERR_NEEDS_NATIVE', async () => {
    await expect(startExporter({ port: 0, info: true })).rejects.toMatchObject({ code: 'ERR_NEEDS_NATIVE' });
  });
});
