// SIGTERM while a scrape waits for its sample: the reply is finished, then serve exits 0.
// The sample is held in the middle deterministically: --proc-root's net/tcp is a FIFO, so reading it
// waits until this test writes the table. Opening the FIFO's write end returns once serve's sample has
// opened it; the test then sends SIGTERM, waits for serve to say it is stopping, and only then lets
// the sample finish. The TypeScript backend reads /proc synchronously, so there SIGTERM is taken by
// the event loop only after the read: the test writes the table right after the signal, and the
// reply must still come whole before the exit.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { startServe } from '../helpers/serve';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-sigterm-'));
fs.mkdirSync(path.join(root, 'net'));
const fifo = path.join(root, 'net', 'tcp');
execFileSync('mkfifo', [fifo]);
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

const TCP = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
  '   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n' +
  '   1: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 12346 1 0000000000000000 20 4 30 10 -1\n';

/** Resolves with `get()`'s stderr once `text` is in it, or rejects after `ms`. */
async function waitForText(get: () => string, text: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!get().includes(text)) {
    if (Date.now() > until) throw new Error(`not seen within ${ms} ms: ${JSON.stringify(text)}; stderr: ${get()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('serve and SIGTERM', () => {
  it('a scrape in progress gets its whole reply, then serve exits 0', async () => {
    const served = await startServe(['--proc-root', root, '--no-owners']);
    let writer: fs.promises.FileHandle | null = null;
    try {
      const reply = served.get('/metrics');
      reply.catch(() => undefined); // awaited below; a failure before then must not go unhandled
      // Returns when serve's sample has opened net/tcp for reading: the scrape is waiting on it.
      writer = await Promise.race([
        fs.promises.open(fifo, 'w'),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the sample never opened net/tcp')), 20_000)),
      ]);
      const exited = new Promise<number | null>((resolve) => served.child.once('exit', (code) => resolve(code)));
      served.child.kill('SIGTERM');
      if (backend.name === 'native') await waitForText(served.stderr, 'netsnap serve: SIGTERM, stopping', 20_000);
      await writer.writeFile(TCP);
      await writer.close();
      writer = null;
      const r = await reply;
      expect(r.status).toBe(200);
      expect(r.headers.connection).toBe('close');
      expect(r.body).toContain('netsnap_sockets{proto="tcp",family="ipv4",state="LISTEN"} 1\n');
      expect(r.body).toContain('netsnap_sockets{proto="tcp",family="ipv4",state="ESTABLISHED"} 1\n');
      expect(await exited).toBe(0);
      expect(served.stderr()).toContain('netsnap serve: SIGTERM, stopping\n');
    } finally {
      await writer?.close();
      await served.stop();
    }
  });
});
