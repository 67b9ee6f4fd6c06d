// `netsnap record`: a short loopback load that the test owns, recorded and checked sample by
// sample; Ctrl-C (SIGINT) and SIGKILL leave a valid file; the command line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { CLI, FIXTURES, ROOT } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { listenOnQuietPort, once } from '../helpers/sockets';
import { samplesIn, until } from '../helpers/recording';
import { parseRecording, RECORD_SCHEMA, type RecordSample, type Recording } from '../../src/services/recording';

const LOAD = path.join(__dirname, '..', 'helpers', 'load-client.js');
const SUMMARY = path.join(FIXTURES, 'summary', 'proc');
const backendName = process.env.NETSNAP_BACKEND ?? 'native';
const lineSchema = new Ajv2020({ strict: false, allErrors: true }).compile(
  JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'record-v1.schema.json'), 'utf8')) as object,
);

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-record-${backendName}-`));
});
afterAll(() => { if (!process.env.KEEP) fs.rmSync(dir, { recursive: true, force: true }); });

function record(args: string[]): ChildProcess {
  return spawn(process.execPath, [CLI, 'record', ...args], { env: { ...process.env, LANG: 'C' }, stdio: ['ignore', 'pipe', 'pipe'] });
}

function exited(child: ChildProcess, ms = 60_000): Promise<{ code: number | null; stderr: string }> {
  let stderr = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (stderr += c));
  child.stdout!.resume();
  return new Promise((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stderr });
    });
  });
}

/** Every line of the file is a complete record-v1 line (schema), and the recording parses without skips. */
function readValid(file: string): Recording {
  const text = fs.readFileSync(file, 'utf8');
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    const v: unknown = JSON.parse(line);
    if (!lineSchema(v)) throw new Error(`schema violation: ${JSON.stringify(lineSchema.errors?.slice(0, 3))} in ${line.slice(0, 300)}`);
  }
  const rec = parseRecording(text);
  expect(rec.skipped).toEqual([]);
  expect(rec.start.schema).toBe(RECORD_SCHEMA);
  rec.samples.forEach((s, i) => {
    expect(s.seq).toBe(i);
    if (i > 0) expect(s.t).toBeGreaterThan(rec.samples[i - 1]!.t);
  });
  return rec;
}



const portEntry = (s: RecordSample, port: number) => s.ports.find((p) => p.proto === 'tcp' && p.port === port)?.sockets ?? 0;
const tcpState = (s: RecordSample, state: string) => s.states.filter((e) => e.proto === 'tcp' && e.state === state).reduce((n, e) => n + e.count, 0);

describe('record a loopback load', () => {
  it('records the connections, the accept queue, TIME_WAIT and the counters while the load runs', async () => {
    // The server the load connects to (accepts, reads) and a listener that never accepts.
    const server = net.createServer((c) => c.resume());
    // A port no TIME_WAIT socket of an earlier connection still has: the counts below are exact.
    const port = await listenOnQuietPort(server);
    const holder = spawn('python3', ['-c', [
      'import socket, sys',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)',
      'print(s.getsockname()[1], flush=True); sys.stdin.read()',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const queuePort = Number(await new Promise<string>((resolve) => holder.stdout!.once('data', (d: Buffer) => resolve(d.toString()))));
    const file = path.join(dir, 'load.ndjson');
    try {
      const n = 40;
      const command = [process.execPath, LOAD, String(port), String(n), String(queuePort), '3'];
      const run = record(['--out', file, '--interval', '100ms', '--top', '100000', '--', ...command]);
      const done = exited(run, 120_000);
      // The load's phases follow the recording: start once a sample shows the quiet before,
      // stop once two samples show it held.
      let err = '';
      run.stderr!.on('data', (c: string) => (err += c));
      await until(() => /load-client: pid \d+/.test(err), 'the load client to start');
      const [, loadPid, base] = /load-client: pid (\d+), (\d+) sockets before the load/.exec(err)!.map(Number);
      await until(() => samplesIn(file).length >= 1, 'a sample before the load');
      // Samples already written were taken before the signal: before any of the load's connects.
      const beforeSignal = samplesIn(file).length;
      process.kill(loadPid!, 'SIGUSR1');
      await until(() => samplesIn(file).filter((s) => portEntry(s, port) === n + 1).length >= 2, 'two samples of the load');
      process.kill(loadPid!, 'SIGUSR2');
      const { code, stderr } = await done;
      expect(code, stderr).toBe(0);
      expect(stderr).toMatch(/^netsnap record: \d+ samples in .*load\.ndjson \(command\)$/m);
      const rec = readValid(file);
      expect(rec.start).toMatchObject({ kind: 'start', interval: 0.1, owners: true, backend: backendName, duration: null });
      expect(rec.start.command).toEqual(command);
      expect(rec.end).toMatchObject({ kind: 'end', reason: 'command', exitCode: 0, signal: null, samples: rec.samples.length });

      // The listener plus the 40 accepted sockets share the local port while the load holds them.
      const peak = Math.max(...rec.samples.map((s) => portEntry(s, port)));
      expect(peak).toBe(n + 1);
      const held = rec.samples.filter((s) => portEntry(s, port) === n + 1);
      expect(held.length).toBeGreaterThanOrEqual(2);
      for (const s of held) expect(tcpState(s, 'ESTABLISHED')).toBeGreaterThanOrEqual(2 * n);
      // The load's process holds its 40 + 3 sockets; this process holds the 40 accepted ones.
      for (const s of held) expect(s.processes).toContainEqual({ pid: loadPid, program: 'node', sockets: base! + n + 3 });
      expect(held.some((s) => (s.processes ?? []).some((p) => p.pid === process.pid && p.sockets >= n + 1))).toBe(true);
      // Three connections wait in the never-accepting listener's queue (backlog 8, netlink only).
      const queued = held.map((s) => s.listeners.find((l) => l.port === queuePort));
      for (const l of queued) {
        expect(l).toMatchObject({ proto: 'tcp', family: 'ipv4', address: '127.0.0.1', acceptQueue: 3 });
        expect(l!.backlog).toBe(backendName === 'native' ? 8 : null);
      }
      // The load closed first: its 40 sockets are in TIME_WAIT in the last sample (taken after
      // the command exited), and the kernel's counters saw the 43 connects.
      const last = rec.samples[rec.samples.length - 1]!;
      expect(portEntry(last, port)).toBe(1);
      expect(tcpState(last, 'TIME_WAIT')).toBeGreaterThanOrEqual(n);
      // The last sample written before the load was signalled: before any of its 43 connects (a
      // later one may show the port quiet while a connect's SYN is already counted), and quiet.
      const before = rec.samples[beforeSignal - 1];
      expect(before).toBeDefined();
      expect(portEntry(before!, port)).toBe(1);
      expect(before!.listeners.find((l) => l.port === queuePort)?.acceptQueue ?? 0).toBe(0);
      expect(last.counters['Tcp.ActiveOpens']! - before!.counters['Tcp.ActiveOpens']!).toBeGreaterThanOrEqual(n + 3);
      expect(Object.keys(last.counters)).toEqual(expect.arrayContaining(['Tcp.RetransSegs', 'TcpExt.ListenOverflows', 'Udp.RcvbufErrors']));
    } finally {
      holder.kill();
      server.close();
    }
  });
});

describe('record stops cleanly', () => {
  it('Ctrl-C (SIGINT) ends the recording with an end line and status 130', async () => {
    const file = path.join(dir, 'sigint.ndjson');
    const run = record(['--out', file, '--interval', '50ms', '--proc-root', SUMMARY, '--source', 'proc']);
    const done = exited(run);
    await until(() => samplesIn(file).length >= 3, 'three samples');
    run.kill('SIGINT');
    const { code } = await done;
    expect(code).toBe(130);
    const rec = readValid(file);
    expect(rec.end).toMatchObject({ reason: 'signal', signal: 'SIGINT', exitCode: null, samples: rec.samples.length });
    expect(rec.samples.length).toBeGreaterThanOrEqual(3);
    // The fixture's numbers, in every sample.
    for (const s of rec.samples) {
      expect(s.sockets).toBe(34);
      expect(portEntry(s, 8080)).toBe(14);
    }
  });

  it('Ctrl-C while a command runs stops the command too (bounded), then writes the end line', async () => {
    const file = path.join(dir, 'sigint-command.ndjson');
    const run = record(['--out', file, '--interval', '50ms', '--proc-root', SUMMARY, '--source', 'proc', '--', 'sleep', '60']);
    const done = exited(run, 20_000);
    await until(() => samplesIn(file).length >= 2, 'two samples');
    const started = Date.now();
    run.kill('SIGINT');
    const { code } = await done;
    expect(code).toBe(130);
    expect(Date.now() - started).toBeLessThan(15_000);
    const rec = readValid(file);
    expect(rec.end).toMatchObject({ reason: 'signal', signal: 'SIGINT' });
  });

  it('SIGKILL leaves whole lines: every sample written so far parses', async () => {
    const file = path.join(dir, 'sigkill.ndjson');
    const run = record(['--out', file, '--interval', '20ms', '--proc-root', SUMMARY, '--source', 'proc']);
    const done = exited(run);
    await until(() => samplesIn(file).length >= 5, 'five samples');
    run.kill('SIGKILL');
    await done;
    const rec = readValid(file);
    expect(rec.end).toBeNull();
    expect(rec.samples.length).toBeGreaterThanOrEqual(5);
  });

  it('--duration ends with status 0', async () => {
    const file = path.join(dir, 'duration.ndjson');
    const { code } = await exited(record(['--out', file, '--interval', '100ms', '--duration', '500ms', '--proc-root', SUMMARY, '--source', 'proc', '--no-owners']));
    expect(code).toBe(0);
    const rec = readValid(file);
    expect(rec.end).toMatchObject({ reason: 'duration', exitCode: null, signal: null });
    expect(rec.start).toMatchObject({ owners: false, duration: 0.5 });
    expect(rec.samples.length).toBeGreaterThanOrEqual(2);
    for (const s of rec.samples) {
      expect(s.processes).toBeNull();
      expect(s.durationMs).toBeGreaterThanOrEqual(0);
    }
  });

  it('passes on the command\'s exit status', async () => {
    const file = path.join(dir, 'status.ndjson');
    const { code } = await exited(record(['--out', file, '--interval', '50ms', '--proc-root', SUMMARY, '--', 'sh', '-c', 'sleep 0.3; exit 3']));
    expect(code).toBe(3);
    expect(readValid(file).end).toMatchObject({ reason: 'command', exitCode: 3 });
  });
});

describe('record command line', () => {
  it('writes to stdout (--out -), a pipe or socket that cannot be fsync()ed, without complaint', () => {
    const r = netsnap(['record', '--out', '-', '--interval', '50ms', '--duration', '200ms', '--proc-root', SUMMARY, '--source', 'proc']);
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/cannot/);
    const rec = parseRecording(r.stdout);
    expect(rec.skipped).toEqual([]);
    expect(rec.end).toMatchObject({ reason: 'duration', samples: rec.samples.length });
  });

  it('rejects bad options with the usage (exit 2)', () => {
    for (const [args, message] of [
      [[], /--out FILE is required/],
      [['--out'], /option '--out' requires an argument/],
      [['--out', 'x', '--interval', '0'], /invalid --interval '0'/],
      [['--out', 'x', '--duration', 'soon'], /invalid --duration 'soon'/],
      [['--out', 'x', 'wrk'], /unexpected argument 'wrk' \(a command goes after --\)/],
    ] as const) {
      const r = netsnap(['record', ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('usage: netsnap record');
    }
  });

  it('names a UTF-8 file name as given', () => {
    const file = path.join(dir, 'données-😀.ndjson');
    const r = netsnap(['record', '--out', file, '--duration', '100ms', '--interval', '50ms', '--proc-root', SUMMARY, '--source', 'proc']);
    expect(r.status).toBe(0);
    expect(Buffer.from(r.stderr, 'latin1').toString('utf8')).toContain(` samples in ${file} (duration)`);
    expect(readValid(file).end).toMatchObject({ reason: 'duration' });
  });

  it('says why it cannot write the file (exit 1) or run the command (exit 127)', () => {
    const r = netsnap(['record', '--out', path.join(dir, 'no', 'such', 'dir.ndjson'), '--duration', '1s']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^netsnap record: cannot write .*dir\.ndjson: ENOENT$/m);
    const file = path.join(dir, 'nocmd.ndjson');
    const c = netsnap(['record', '--out', file, '--proc-root', SUMMARY, '--', 'netsnap-no-such-command']);
    expect(c.status).toBe(127);
    expect(readValid(file).end).toMatchObject({ reason: 'error', message: 'cannot run netsnap-no-such-command: ENOENT' });
  });
});
