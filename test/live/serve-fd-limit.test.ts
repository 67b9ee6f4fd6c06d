// serve under a low open-file limit with many idle clients: it holds only the connections the limit
// leaves room for beside a sample's needs, closes the others as they arrive (counted in
// netsnap_connections_dropped_total), keeps sampling without an error, never exits, and answers
// again once the clients are gone. prlimit(1) execs node, so the limit is serve's own.
import * as net from 'node:net';
import { describe, expect, it } from 'vitest';
import { startServe } from '../helpers/serve';

const LIMIT = 120;
const CLIENTS = 100;

function metric(body: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(body);
  if (!m) throw new Error(`${name} not in the scrape`);
  return Number(m[1]);
}

describe('serve at its open-file limit', () => {
  it('closes connections past what it can hold, counts them, and answers again when they end', async () => {
    const served = await startServe(['--no-owners'], {}, ['prlimit', `--nofile=${LIMIT}`]);
    const clients: net.Socket[] = [];
    try {
      let closedByServer = 0;
      await Promise.all(Array.from({ length: CLIENTS }, () => new Promise<void>((resolve) => {
        const s = net.connect(served.port, '127.0.0.1', () => resolve());
        s.on('error', () => resolve());
        s.on('close', () => {
          closedByServer++;
          resolve();
        });
        clients.push(s);
      })));
      // The ones serve cannot hold are closed at once; wait (bounded) until the count settles.
      let last = -1;
      for (let i = 0; i < 100 && closedByServer !== last; i++) {
        last = closedByServer;
        await new Promise((r) => setTimeout(r, 100));
      }
      // Fewer than 64 held: the open-file limit, not the connection cap, decided.
      const dropped = closedByServer;
      expect(dropped).toBeGreaterThan(CLIENTS - 64);
      expect(dropped).toBeLessThan(CLIENTS);
      for (const s of clients) s.destroy();
      // Answers again once they are gone (serve notices the closes on its next turn).
      let body = '';
      let failed = 0;
      for (let i = 0; i < 50 && body === ''; i++) {
        try {
          const r = await served.get('/metrics');
          expect(r.status).toBe(200);
          body = r.body;
        } catch {
          failed++;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      expect(body).not.toBe('');
      expect(metric(body, 'netsnap_connections_dropped_total')).toBe(dropped + failed);
      expect(metric(body, 'netsnap_sample_errors_total')).toBe(0);
      expect(served.child.exitCode).toBeNull();
      expect(served.stderr()).not.toMatch(/EMFILE|Error/);
    } finally {
      for (const s of clients) s.destroy();
      expect(await served.stop()).toBe(0);
    }
  });
});
