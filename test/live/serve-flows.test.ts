// serve --info: bytes per process and port and the closes, as counters that include closed
// connections (tcp_info by cookie plus the destroy events), on loopback connections this test makes
// with known bytes; the exposition passes `promtool check metrics` (Debian's prometheus package).
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter } from '../../src/services/exporter';
import { startRecorder } from '../../src/services/recorder';
import { parseRecording, type RecordSample, type RecordStart } from '../../src/services/recording';
import { renderReport } from '../../src/report/index';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { ROOT } from '../helpers/env';

const recordLine = new Ajv2020({ strict: false, allErrors: true }).compile(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'record-v1.schema.json'), 'utf8')) as object,
);
import { parsePromText } from '../helpers/promtext';
import { backend } from '../helpers/env';
import { once, serverIdle } from '../helpers/sockets';
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
    expect(await serverIdle(server)).toBe(0);
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

describe.runIf(native)('record --info: bytes per sample (native)', () => {
  it('records the bytes moved between samples, closed connections included, and the report charts them', async () => {
    expect(await serverIdle(server)).toBe(0);
    const lines: Array<RecordStart | RecordSample> = [];
    const recorder = startRecorder({ interval: 0.1, owners: true, info: true, filter: `exclude time-wait ( sport = :${port} or dport = :${port} )`, write: (l) => lines.push(l) });
    for (let k = 0; k < 100 && recorder.samples < 1; k++) await new Promise((r) => setTimeout(r, 20));
    const sizes = [10_000, 20_000, 30_000];
    for (const b of sizes) await short(b);
    await new Promise((r) => setTimeout(r, 150));
    const before = recorder.samples;
    for (let k = 0; k < 100 && recorder.samples < before + 2; k++) await new Promise((r) => setTimeout(r, 20));
    recorder.stop({ reason: 'signal', exitCode: null, signal: 'SIGINT' });
    await recorder.done;
    const all = [...lines, recorder.endLine()];
    for (const l of all) expect(recordLine(JSON.parse(JSON.stringify(l))), JSON.stringify(recordLine.errors)).toBe(true);
    const samples = lines.slice(1) as RecordSample[];
    expect(samples[0]!.flows).toMatchObject({ txBytes: 0, rxBytes: 0, closed: 0 });
    const sum = sizes.reduce((a, b) => a + b, 0);
    const rx = samples.reduce((n, s) => n + s.flows!.rxBytes, 0);
    const closed = samples.reduce((n, s) => n + s.flows!.closed, 0);
    expect(closed).toBe(6);
    expect(rx).toBe(sum + 3 + 3); // each server side: bytes and FIN; each client: the server's FIN
    const viaPort = samples.flatMap((s) => s.flows!.ports.filter((p) => p.port === port));
    expect(viaPort.reduce((n, p) => n + p.rxBytes, 0)).toBe(sum + 6);
    const mine = samples.flatMap((s) => s.flows!.processes.filter((p) => p.pid === process.pid));
    expect(mine.reduce((n, p) => n + p.rxBytes, 0)).toBe(sum + 3);
    const html = renderReport(parseRecording(`${all.map((l) => JSON.stringify(l)).join('\n')}\n`));
    expect(html).toContain('id="chart-throughput"');
    expect(html).toContain('id="chart-port-throughput"');
    expect(html).toContain(`tcp/${port}`);
  });
});

describe.skipIf(native)('serve --info on the TypeScript backend', () => {
  it('is refused with ERR_NEEDS_NATIVE', async () => {
    await expect(startExporter({ port: 0, info: true })).rejects.toMatchObject({ code: 'ERR_NEEDS_NATIVE' });
  });
});
