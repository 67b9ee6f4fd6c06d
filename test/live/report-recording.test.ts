// From a real run to the page: `netsnap record` watches a loopback load in a network namespace
// the test makes (so the recording holds the load's sockets and nothing else), `netsnap report`
// renders it, and chromium shows the recorded series.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDebianPackage } from '../helpers/debian';
import { CLI, ROOT, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { canUseNetns, removeLeftovers, run } from '../helpers/netns';
import { drawnOnPage, openOffline, type OfflinePage } from '../helpers/chromium';
import { expectedSeries, readSamples, samplesIn, until } from '../helpers/recording';
import type { RecordSample } from '../../src/services/recording';

const LOAD = path.join(__dirname, '..', 'helpers', 'load-client.js');
const NS = `netsnap-rep-${process.pid}-${backend.name}`;
const N = 30;

let skip: string | null = null;
let dir = '';
let file = '';
let opened: OfflinePage | undefined;
let loadPid = 0;
let port = 0;


const onPort = (s: RecordSample) => s.ports.find((p) => p.proto === 'tcp' && p.port === port)?.sockets ?? 0;

beforeAll(async () => {
  skip = canUseNetns ? ensureDebianPackage('/usr/bin/chromium', 'chromium') : 'needs root and ip netns';
  if (skip) return;
  removeLeftovers(/^netsnap-rep-(\d+)-/);
  expect(run('ip', ['netns', 'add', NS]).status).toBe(0);
  expect(run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']).status).toBe(0);
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-report-live-${backend.name}-`));
  file = path.join(dir, 'run.ndjson');
  // The load serves its own connections: a listener and N connections to it, in the namespace.
  const rec = spawn('ip', ['netns', 'exec', NS, process.execPath, CLI, 'record', '--out', file, '--interval', '100ms', '--',
    process.execPath, LOAD, '0', String(N)], { env: { ...process.env, LANG: 'C' }, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  rec.stderr!.setEncoding('utf8');
  rec.stderr!.on('data', (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => rec.on('exit', resolve));
  const killer = setTimeout(() => rec.kill('SIGKILL'), 120_000);
  try {
    await until(() => /serving on port \d+/.test(err), 'the load client');
    loadPid = Number(/load-client: pid (\d+)/.exec(err)![1]);
    port = Number(/serving on port (\d+)/.exec(err)![1]);
    await until(() => samplesIn(file).length >= 1, 'a sample before the load');
    process.kill(loadPid, 'SIGUSR1');
    await until(() => samplesIn(file).filter((s) => onPort(s) === N + 1).length >= 2, 'two samples of the load');
    process.kill(loadPid, 'SIGUSR2');
    expect(await exited, err).toBe(0);
  } finally {
    clearTimeout(killer);
  }
  const html = path.join(dir, 'run.html');
  const r = netsnap(['report', file, '-o', html]);
  expect(r.status, r.stderr).toBe(0);
  opened = await openOffline(html);
}, 600_000);

afterAll(async () => {
  await opened?.browser.close();
  if (!skip) run('ip', ['netns', 'del', NS]);
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe(`a recorded loopback load in chromium (${backend.name})`, () => {
  it('draws the load\'s port, process and states as recorded', async (ctx) => {
    ctx.skip(skip !== null, skip ?? '');
    const samples = readSamples(file);
    // In the namespace the load is all there is: its listener and the N connections to it, held over
    // two samples at least. (Not the maximum: while the load closes, a /proc read — which the kernel
    // resumes by position between pages — can print a socket twice, and the recording holds what
    // the kernel printed; the chart must draw the same.)
    expect(samples.filter((s) => onPort(s) === N + 1).length).toBeGreaterThanOrEqual(2);
    const recordedMax = Math.max(...samples.map(onPort));
    expect(recordedMax).toBeGreaterThanOrEqual(N + 1);
    const drawn = await drawnOnPage(opened!.page);
    const find = (chart: string, series: string) => drawn.find((d) => d.chart === chart && d.series === series);
    expect(find('ports', `tcp/${port}`)).toMatchObject({ max: recordedMax, points: samples.length, visible: true });
    // Both ends of every connection are in the namespace, and the load holds them all.
    expect(find('states', 'ESTABLISHED')).toMatchObject({ max: 2 * N, visible: true });
    const proc = drawn.find((d) => d.chart === 'processes' && d.series.endsWith(`[${loadPid}]`));
    expect(proc).toMatchObject({ visible: true });
    expect(proc!.max).toBeGreaterThanOrEqual(2 * N + 1);
    // After the load, its side of each connection waits in TIME_WAIT (the last sample follows the exit).
    expect(find('states', 'TIME_WAIT')).toMatchObject({ max: N, visible: true });
    // And everything drawn is what the recording holds.
    const expected = expectedSeries(samples);
    for (const d of drawn) {
      const e = expected.get(d.chart)?.get(d.series);
      expect(e, `${d.chart} ${d.series}`).toBeDefined();
      expect({ points: d.points, max: d.max }, `${d.chart} ${d.series}`).toEqual({ points: e!.points, max: e!.max });
    }
    expect(opened!.refused).toEqual([]);
    const shots = path.join(ROOT, 'test-output');
    fs.mkdirSync(shots, { recursive: true });
    await opened!.page.screenshot({ path: path.join(shots, `report-live-${backend.name}.png`), fullPage: true });
  });
});
