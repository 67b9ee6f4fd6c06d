// serve --info, record --info and the report's tcp charts, on a loopback service this test opens:
// the exporter's per-port RTT and retransmit gauges name its port, each recorded sample carries the
// tcp part (valid record-v1), and the report draws RTT and retransmitting connections. The
// TypeScript backend refuses --info with ERR_NEEDS_NATIVE.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter } from '../../src/services/exporter';
import { startRecorder } from '../../src/services/recorder';
import { parseRecording, type RecordSample } from '../../src/services/recording';
import { renderReport } from '../../src/report';
import { NetsnapError } from '../../src/model/errors';
import { backend, ROOT } from '../helpers/env';
import { listenOnQuietPort, once } from '../helpers/sockets';

const native = backend.name === 'native';
const recordLine = new Ajv2020({ strict: false, allErrors: true }).compile(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'record-v1.schema.json'), 'utf8')) as object,
);

describe.skipIf(!native)('serve, record and report with --info (native)', () => {
  let server: net.Server;
  let client: net.Socket;
  let port = 0;

  beforeAll(async () => {
    server = net.createServer((s) => s.on('data', (b) => s.write(b)));
    port = await listenOnQuietPort(server);
    client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write(Buffer.alloc(2000, 7));
    let echoed = 0;
    await new Promise<void>((resolve) => client.on('data', (b: Buffer) => {
      echoed += b.length;
      if (echoed >= 2000) resolve();
    }));
  });

  afterAll(() => {
    client?.destroy();
    server?.close();
  });

  it('serve --info: RTT quantiles and retransmitting connections of the service port', async () => {
    const exporter = await startExporter({ port: 0, owners: false, info: true, top: 1000 });
    try {
      const text = await exporter.metrics();
      const p50 = new RegExp(`^netsnap_tcp_port_rtt_seconds\\{port="${port}",quantile="0.5"\\} (\\S+)$`, 'm').exec(text);
      const p99 = new RegExp(`^netsnap_tcp_port_rtt_seconds\\{port="${port}",quantile="0.99"\\} (\\S+)$`, 'm').exec(text);
      expect(p50, text.slice(0, 2000)).not.toBeNull();
      // Loopback RTTs are microseconds: above 0, far below a second.
      expect(Number(p50![1])).toBeGreaterThan(0);
      expect(Number(p50![1])).toBeLessThan(1);
      expect(Number(p99![1])).toBeGreaterThanOrEqual(Number(p50![1]));
      expect(text).toMatch(new RegExp(`^netsnap_tcp_port_retransmitting_connections\\{port="${port}"\\} 0$`, 'm'));
      expect(text).toMatch(new RegExp(`^netsnap_tcp_port_notsent_bytes\\{port="${port}"\\} 0$`, 'm'));
      expect(text).toMatch(/^netsnap_tcp_rtt_seconds\{quantile="0\.99"\} \S+$/m);
    } finally {
      await exporter.close();
    }
  });

  it('serve without --info exports none of these series', async () => {
    const exporter = await startExporter({ port: 0, owners: false });
    try {
      expect(await exporter.metrics()).not.toContain('netsnap_tcp_port_rtt_seconds');
    } finally {
      await exporter.close();
    }
  });

  it('record --info: every sample carries the tcp part, valid record-v1, and the report charts it', async () => {
    const lines: string[] = [];
    const recorder = startRecorder({ interval: 0.05, top: 1000, owners: false, info: true, write: (l) => lines.push(JSON.stringify(l)) });
    // Bounded: three samples, then stop.
    for (let k = 0; k < 200 && recorder.samples < 3; k++) await new Promise((r) => setTimeout(r, 25));
    recorder.stop({ reason: 'signal', exitCode: null, signal: 'SIGINT' });
    await recorder.done;
    lines.push(JSON.stringify(recorder.endLine()));
    for (const l of lines) expect(recordLine(JSON.parse(l)), JSON.stringify(recordLine.errors)).toBe(true);
    const rec = parseRecording(`${lines.join('\n')}\n`);
    expect(rec.samples.length).toBeGreaterThanOrEqual(3);
    for (const s of rec.samples as RecordSample[]) {
      const mine = s.tcp?.ports.find((p) => p.port === port);
      expect(mine?.connections).toBe(1);
      expect(mine?.retransmitting).toBe(0);
      expect(mine!.rttP50Us).toBeGreaterThan(0);
    }
    const html = renderReport(rec);
    expect(html).toContain('id="chart-rtt"');
    expect(html).toContain('id="chart-retransmitting"');
  });
});

describe.skipIf(native)('serve and record --info on the TypeScript backend', () => {
  it('refuse with ERR_NEEDS_NATIVE', async () => {
    await expect(startExporter({ port: 0, info: true })).rejects.toMatchObject({ code: 'ERR_NEEDS_NATIVE' });
    expect(() => startRecorder({ info: true, write: () => {} })).toThrow(NetsnapError);
  });
});
