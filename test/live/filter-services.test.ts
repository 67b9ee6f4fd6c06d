// A filter scopes the services: `serve --filter` exports only the sockets it keeps, `record --filter`
// records only them (and says so in its start line), on loopback sockets this test opens. Bad filters
// stop the subcommands before they start, with status 3 and a caret.
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startExporter } from '../../src/services/exporter';
import { startRecorder } from '../../src/services/recorder';
import type { RecordSample, RecordStart } from '../../src/services/recording';
import { parsePromText } from '../helpers/promtext';
import { backend, CLI, ROOT } from '../helpers/env';
import { listenOnQuietPort, once } from '../helpers/sockets';
import * as fs from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';

const recordLine = new Ajv2020({ strict: false, allErrors: true }).compile(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'record-v1.schema.json'), 'utf8')) as object,
);

const servers: net.Server[] = [];
const sockets: net.Socket[] = [];
let P = 0;
let Q = 0;

async function service(connections: number): Promise<number> {
  const s = net.createServer((c) => {
    sockets.push(c);
  });
  servers.push(s);
  // A port no socket of another test still has (a TIME_WAIT one would be counted unfiltered).
  const port = await listenOnQuietPort(s);
  for (let k = 0; k < connections; k++) {
    const c = net.connect(port, '127.0.0.1');
    sockets.push(c);
    await once(c, 'connect');
  }
  return port;
}

beforeAll(async () => {
  P = await service(3);
  Q = await service(2);
  await new Promise((r) => setTimeout(r, 50)); // accepted sockets settle
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

describe(`filters in serve and record (${backend.name})`, () => {
  it('serve --filter: the exporter counts only the sockets the filter keeps', async () => {
    // Not TIME_WAIT: a socket of another test may have had P as its own port and be waiting still.
    const exporter = await startExporter({ port: 0, owners: false, filter: `exclude time-wait ( sport = :${P} or dport = :${P} )` });
    try {
      const m = parsePromText(await exporter.metrics());
      const tcp = m.find('netsnap_sockets', { proto: 'tcp' }).reduce((n, s) => n + s.value, 0);
      // The listener, its 3 connections from both ends.
      expect(tcp).toBe(7);
      expect(m.value('netsnap_sockets', { proto: 'tcp', family: 'ipv4', state: 'LISTEN' })).toBe(1);
      expect(m.value('netsnap_port_sockets', { proto: 'tcp', port: String(P) })).toBe(4);
      expect(m.find('netsnap_port_sockets', { port: String(Q) })).toHaveLength(0);
      expect(m.find('netsnap_sockets', { proto: 'udp' }).reduce((n, s) => n + s.value, 0)).toBe(0);
    } finally {
      await exporter.close();
    }
    // Unfiltered, the other service is there.
    const all = await startExporter({ port: 0, owners: false });
    try {
      expect(parsePromText(await all.metrics()).value('netsnap_port_sockets', { proto: 'tcp', port: String(Q) })).toBe(3);
    } finally {
      await all.close();
    }
  });

  it('record --filter: every sample holds only those sockets, and the start line names the filter', async () => {
    const lines: Array<RecordStart | RecordSample> = [];
    const filter = `state established dport = :${Q}`;
    const recorder = startRecorder({ interval: 0.05, owners: false, filter, write: (l) => lines.push(l) });
    for (let k = 0; k < 200 && recorder.samples < 2; k++) await new Promise((r) => setTimeout(r, 25));
    recorder.stop({ reason: 'signal', exitCode: null, signal: 'SIGINT' });
    await recorder.done;
    expect((lines[0] as RecordStart).filter).toBe(filter);
    for (const l of lines) expect(recordLine(JSON.parse(JSON.stringify(l))), JSON.stringify(recordLine.errors)).toBe(true);
    const samples = lines.slice(1) as RecordSample[];
    expect(samples.length).toBeGreaterThanOrEqual(2);
    for (const s of samples) {
      expect(s.sockets).toBe(2);
      expect(s.states).toEqual([{ proto: 'tcp', family: 'ipv4', state: 'ESTABLISHED', count: 2 }]);
    }
  });

  it('the command lines check the filter first: status 3 with a caret, 2 for an unreadable file', () => {
    const run = (args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
    for (const cmd of [['serve', '--listen', '127.0.0.1:0'], ['record', '-o', '/dev/null', '--duration', '1']]) {
      const bad = run([...cmd, '--filter', 'dport = :99999']);
      expect(bad.status, cmd[0]).toBe(3);
      expect(bad.stderr).toBe(`netsnap ${cmd[0]}: bad filter: port 99999 is above 65535\n  dport = :99999\n           ^\n`);
      expect(run([...cmd, '--filter-file', '/nonexistent/filter']).status).toBe(2);
      expect(run([...cmd, '--filter', 'sport = :1', '--filter-file', '/dev/null']).status).toBe(2);
    }
    const rec = run(['record', '-o', '-', '--duration', '0.3', '--interval', '0.1', '--no-owners', '--filter', `exclude time-wait sport = :${P}`]);
    expect(rec.status).toBe(0);
    const recorded = rec.stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; sockets?: number; filter?: string });
    expect(recorded[0]!.filter).toBe(`exclude time-wait sport = :${P}`);
    const samples = recorded.filter((l) => l.kind === 'sample');
    expect(samples.length).toBeGreaterThanOrEqual(2);
    // The listener and the 3 accepted sockets have P as their local port.
    for (const s of samples) expect(s.sockets).toBe(4);
  });
});
