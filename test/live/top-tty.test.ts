// netsnap top on a terminal: a pseudo-terminal of a fixed size (test/helpers/pty_run.py) runs the real
// binary; the test types g, s and q into it and reads what it drew: the header and the table, the
// grouping and the sort changing, a narrow and a resized terminal, and the terminal given back
// (alternate screen off, cursor shown) with exit status 0. A loopback connection of this test makes
// the table non-empty. Everything is killed after a deadline.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI } from '../helpers/env';
import { frames, openPty, screenText, type Pty } from '../helpers/pty';
import { once } from '../helpers/sockets';

const native = backend.name === 'native';
const RESTORE = '\x1b[?1049l\x1b[?25h';

/** The last frame drawn completely (it ends by clearing the rest of the screen). */
function lastFrame(output: string): string[] {
  const all = frames(output).filter((f) => f.includes('\x1b[J'));
  return screenText(all.at(-1) ?? '');
}

describe.runIf(native)('netsnap top on a terminal (native)', () => {
  let server: net.Server;
  let client: net.Socket;
  let pump: NodeJS.Timeout;

  beforeAll(async () => {
    server = net.createServer((s) => s.resume());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    pump = setInterval(() => client.write(Buffer.alloc(20_000, 1)), 20);
  });

  afterAll(async () => {
    clearInterval(pump);
    client.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });

  const top = (rows: number, cols: number, args: string[] = []): Pty =>
    openPty([process.execPath, CLI, 'top', '--interval', '0.3', ...args], rows, cols, {}, 40);

  it('draws the header and the table; g changes the grouping, s the sort; q restores the terminal and exits 0', async () => {
    const p = top(30, 120);
    try {
      await p.waitFor((t) => t.includes('PID/PROGRAM') && /tick [1-9]/.test(t));
      const first = lastFrame(p.output);
      expect(first[0]).toMatch(/^netsnap top {2}tick \d+ {2}\d\d:\d\d:\d\d {2}every 0\.3s/);
      expect(first.some((l) => /^TCP \d+ connections/.test(l))).toBe(true);
      expect(first.some((l) => /^out .*\/s {2}in .*\/s {2}retrans /.test(l))).toBe(true);
      expect(first.some((l) => /^UDP \d+ sockets.*no byte counts for UDP/.test(l))).toBe(true);
      expect(first.some((l) => /^by process {2}sort: tx\+rx\/s {2}keys: g group {2}s sort {2}q quit/.test(l))).toBe(true);
      const header = first.find((l) => l.startsWith('PID/PROGRAM'))!;
      for (const c of ['CONNS', 'TX/s', 'RX/s', 'RETRANS/s', 'RTT(ms)', 'CLOSE_WAIT', 'ACCEPTQ']) expect(header).toContain(c);
      // This test's own process, with its connection's bytes in human units.
      await p.waitFor((t) => lastFrame(t).some((l) => l.startsWith(`${process.pid}/`) && /KiB\/s|MiB\/s/.test(l)));
      // The alternate screen and a hidden cursor came first.
      expect(p.output.startsWith('\x1b[?1049h\x1b[?25l')).toBe(true);

      let from = p.output.length;
      p.write('g');
      await p.waitFor((t) => t.includes('by container'), 10_000, from);
      expect(lastFrame(p.output).some((l) => l.startsWith('CONTAINER'))).toBe(true);
      from = p.output.length;
      p.write('g');
      await p.waitFor((t) => t.includes('by port'), 10_000, from);
      expect(lastFrame(p.output).some((l) => l.startsWith(`tcp/${(server.address() as net.AddressInfo).port} `))).toBe(true);
      from = p.output.length;
      p.write('s');
      await p.waitFor((t) => t.includes('sort: tx/s'), 10_000, from);
      expect(lastFrame(p.output).some((l) => l.startsWith('by port  sort: tx/s'))).toBe(true);

      p.write('q');
      expect(await p.exit(10_000)).toBe(0);
      expect(p.output.endsWith(RESTORE)).toBe(true);
    } finally {
      p.kill();
    }
  });

  it('Ctrl-C quits as q does', async () => {
    const p = top(24, 80);
    try {
      await p.waitFor((t) => t.includes('PID/PROGRAM'));
      p.write('\x03');
      expect(await p.exit(10_000)).toBe(0);
      expect(p.output.endsWith(RESTORE)).toBe(true);
    } finally {
      p.kill();
    }
  });

  it('fits a narrow terminal, and redraws to a new size when the terminal is resized', async () => {
    const p = top(12, 40);
    try {
      await p.waitFor((t) => /tick [1-9]/.test(t) && t.includes('PID/PROGRAM'));
      const narrow = lastFrame(p.output);
      expect(narrow.length).toBeLessThanOrEqual(12);
      for (const l of narrow) expect(l.length, l).toBeLessThanOrEqual(40);
      expect(narrow.some((l) => l.startsWith('PID/PROGRAM'))).toBe(true);
      // Every frame drawn so far fits, not only the last one.
      for (const f of frames(p.output)) for (const l of screenText(f)) expect(l.length, l).toBeLessThanOrEqual(40);

      const from = p.output.length;
      p.resize(20, 100);
      // Wide enough for every column again.
      await p.waitFor((t) => t.includes('ACCEPTQ'), 10_000, from);
      const wide = lastFrame(p.output);
      expect(wide.length).toBeLessThanOrEqual(20);
      for (const l of wide) expect(l.length, l).toBeLessThanOrEqual(100);
      expect(wide.find((l) => l.startsWith('PID/PROGRAM'))).toMatch(/CLOSE_WAIT +ACCEPTQ$/);

      const again = p.output.length;
      p.resize(6, 30);
      await p.waitFor((t) => t.includes('\x1b[J'), 10_000, again);
      await new Promise((r) => setTimeout(r, 400)); // a tick at the new size too
      const tiny = lastFrame(p.output);
      expect(tiny.length).toBeLessThanOrEqual(6);
      for (const l of tiny) expect(l.length, l).toBeLessThanOrEqual(30);

      p.write('q');
      expect(await p.exit(10_000)).toBe(0);
      expect(p.output.endsWith(RESTORE)).toBe(true);
    } finally {
      p.kill();
    }
  });
});

describe.skipIf(native)('netsnap top on a terminal, TypeScript backend', () => {
  it('refuses before taking the screen: the message, exit status 1, no alternate screen', async () => {
    const p = openPty([process.execPath, CLI, 'top'], 24, 80, {}, 30);
    try {
      expect(await p.exit(20_000)).toBe(1);
      expect(p.output).toMatch(/^netsnap: throughput comes from tcp_info .* which only the native backend reads/);
      expect(p.output).not.toContain('\x1b[?1049h');
    } finally {
      p.kill();
    }
  });
});
