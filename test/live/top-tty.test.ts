// netsnap top on a terminal: a pseudo-terminal of a fixed size (test/helpers/pty_run.py) runs the real
// binary; the test types g, s and q into it and reads what it drew: the header and the table, the
// grouping and the sort changing, a narrow and a resized terminal, and the terminal given back
// (alternate screen off, cursor shown) with exit status 0. A loopback connection of this test makes
// the table non-empty. Everything is killed after a deadline. The layout itself (widths, rows, units,
// the remainder rows) is checked on made-up ticks, on both backends.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI } from '../helpers/env';
import { humanRate, screenLines, tableRows, type ViewState } from '../../src/cli/top';
import type { Flow, ThroughputTick } from '../../src/services/throughput';
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

/** A made-up tick: `n` processes, process k moving k KiB/s each way over k connections. */
function madeUp(n: number, first = false): ThroughputTick {
  const seconds = first ? null : 1;
  const flow = (k: number): Flow => ({
    connections: k, txBytes: k * 1024, rxBytes: k * 1024, retransBytes: 0, txBps: seconds && k * 1024, rxBps: seconds && k * 1024,
    retransBps: seconds && 0, closeWait: k % 2, acceptQueue: 0, rttP50Us: 100 * k, closed: 0,
  });
  const processes = Array.from({ length: n }, (_, i) => ({ pid: 1000 + i, program: `prog-${i}-with-a-long-name\x1b[2J`, container: null, ...flow(i + 1) }));
  const sum = (k: keyof Flow) => processes.reduce((a, p) => a + (p[k] as number), 0);
  const unattributed = { ...flow(0), connections: 0, txBytes: 9000, rxBytes: 0, txBps: seconds && 9000, closed: 2 };
  return {
    tick: first ? 0 : 3, time: Date.UTC(2025, 0, 1, 12), intervalMs: first ? 0 : 1000, skippedSlots: first ? 0 : 2,
    totals: {
      ...flow(0), connections: sum('connections') + 3, txBytes: sum('txBytes') + 9000 + 700, rxBytes: sum('rxBytes'), closed: 2,
      txBps: seconds && sum('txBytes') + 9700, rxBps: seconds && sum('rxBytes'),
      states: { ESTABLISHED: sum('connections') + 3 }, opened: 1, openedPerSec: seconds && 1, closedPerSec: seconds && 2,
    },
    processes, ports: [{ proto: 'tcp', port: 443, ...flow(n) }], peers: [], networks: [], containers: [], connections: [],
    unattributed, udp: { sockets: 2, rxQueue: 0, txQueue: 0, drops: 1 }, events: { received: 10, overflows: 1, lost: 0, dropped: 0 },
  };
}

describe('the layout of netsnap top (made-up ticks)', () => {
  const view: ViewState = { by: 'process', sort: 'bytes', owners: true, containers: false };

  it('shows rates in human units, and - on the first tick', () => {
    expect(humanRate(null)).toBe('-');
    expect(humanRate(0)).toBe('0 B/s');
    expect(humanRate(1000)).toBe('1000 B/s');
    expect(humanRate(1536)).toBe('1.50 KiB/s');
    expect(humanRate(3_000_000)).toBe('2.86 MiB/s');
    expect(humanRate(200 * 1024 * 1024)).toBe('200 MiB/s');
    const first = screenLines(madeUp(3, true), view, 1, null, false);
    const row = first.find((l) => l.startsWith('1002/'))!;
    expect(row.split(/ +/).slice(2, 5)).toEqual(['-', '-', '-']);
    expect(first.join('\n')).toContain('first tick: the baseline');
  });

  it('never draws past the terminal, whatever its size; the rows it cannot show are counted', () => {
    const t = madeUp(30);
    for (const columns of [1, 8, 20, 33, 40, 57, 80, 132, 200]) {
      for (const rows of [1, 3, 6, 12, 24, 60]) {
        const lines = screenLines(t, view, 1, { columns, rows }, true);
        expect(lines.length).toBeLessThanOrEqual(rows);
        for (const l of lines) expect(l.length, `${columns}x${rows}: ${l}`).toBeLessThanOrEqual(columns);
      }
    }
    const lines = screenLines(t, view, 1, { columns: 100, rows: 20 }, true);
    expect(lines.at(-1)).toMatch(/^\.\.\. \d+ more rows$/);
    // No control character of a process name reaches the terminal.
    for (const l of lines) expect(l).not.toMatch(/[\x00-\x1f]/);
  });

  it('sorts by the chosen column, and shows the remainder and unattributed rows where nothing else holds them', () => {
    const t = madeUp(3);
    const byBytes = tableRows(t, view).rows.map((r) => r.label);
    expect(byBytes[0]).toBe('(unattributed)'); // 9000 bytes, more than any process
    expect(byBytes).toContain('(owner unknown)'); // 3 connections and 700 bytes no process holds
    const unknown = tableRows(t, view).rows.find((r) => r.label === '(owner unknown)')!.flow;
    expect(unknown).toMatchObject({ connections: 3, txBytes: 700, rxBytes: 0, txBps: 700 });
    const byConns = tableRows(t, { ...view, sort: 'conns' }).rows.map((r) => r.label);
    expect(byConns.slice(0, 3)).toEqual(['(owner unknown)', '1002/prog-2-with-a-long-name?[2J', '1001/prog-1-with-a-long-name?[2J']); // ties by label
    const ports = tableRows(t, { ...view, by: 'port' }).rows.map((r) => r.label);
    expect(ports).toEqual(['tcp/443']);
    const header = screenLines(t, view, 1, null, false).slice(0, 5).join('\n');
    expect(header).toMatch(/skipped slots 2/);
    expect(header).toMatch(/lost destroy events 1/);
    expect(header).toMatch(/UDP 2 sockets, .*drops 1 \(the kernel keeps no byte counts for UDP\)/);
    expect(header).toMatch(/new 1\.0\/s {2}closed 2\.0\/s/);
  });
});
