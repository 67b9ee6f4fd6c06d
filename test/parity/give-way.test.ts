// sampleAsync's threads give their CPU to the event loop when they see it waiting for one
// (native/give_way.h). The test makes its own event loop wait: its thread is bound to one CPU, beside a
// busy process of higher priority (nice -10) bound there too, and a 1 ms timer keeps the loop wanting
// to run. The sample's thread (a libuv pool thread, created before the binding, so free to run on any
// CPU) must see those waits and pause for them, while every sample still finds the test's own listener
// and its owner; with setGiveWay(false) it sees none, and the synchronous sample(), which has no loop
// to give way to, never looks.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { InetTable, OwnerIndex } from '../../src/model/columns';
import type { RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
interface Hooks {
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  setGiveWay(on: boolean): void;
  giveWayCounts(): { waits: number; pauses: number };
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as Hooks;

const request: SampleRequest = {
  netDir: '/proc/net', procRoot: '/proc', files: ['tcp', 'tcp6'], owners: true, littleEndian: os.endianness() === 'LE', source: 'netlink',
};
// This thread's id (vitest's forks pool runs the test on a process's main thread; /proc/thread-self says which).
const tid = Number(fs.readlinkSync('/proc/thread-self').split('/')[2]);
const root = process.getuid?.() === 0;
const taskset = spawnSync('taskset', ['--version']).status === 0;

/** The owners' pids of the listener on `port` (127.0.0.1) in a sample; [] when the sample lacks it. */
function ownersOfListener(s: RawSample, port: number): number[] {
  const f = s.files.find((x) => x.name === 'tcp');
  if (!f?.table || !s.owners) return [];
  const t = new InetTable('tcp', 'tcp', f.table as RawInetTable);
  for (let i = 0; i < t.count; i++) {
    if (t.state[i] === 10 && t.localPort[i] === port) return new OwnerIndex(s.owners).ownersOf(t.inode[i]!).map((o) => o.pid);
  }
  return [];
}

describe.runIf(root && taskset && os.cpus().length >= 2)('sampleAsync gives way to a waiting event loop', () => {
  let server: net.Server;
  let port = 0;
  let hog: ChildProcess | null = null;
  let mask = '';
  let ticks: NodeJS.Timeout | null = null;

  beforeAll(async () => {
    server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as net.AddressInfo).port;
    // The libuv pool's threads start with the first asynchronous call: before the binding below.
    expect(ownersOfListener(await addon.sampleAsync(request), port)).toEqual([process.pid]);
    mask = /: (\S+)\s*$/.exec(spawnSync('taskset', ['-pc', String(tid)], { encoding: 'utf8' }).stdout)?.[1] ?? '';
    expect(mask).not.toBe('');
    // The first CPU this thread may use (a list such as 0-1 or 2,3).
    const cpu = mask.split(/[,-]/)[0]!;
    // At most 60 s, so that nothing outlives a test that dies.
    hog = spawn('taskset', ['-c', cpu, 'nice', '-n', '-10', process.execPath, '-e', 'const end = Date.now() + 60000; while (Date.now() < end);'], { stdio: 'ignore' });
    expect(spawnSync('taskset', ['-pc', cpu, String(tid)]).status).toBe(0);
    ticks = setInterval(() => {}, 1);
  });

  afterAll(() => {
    if (ticks) clearInterval(ticks);
    if (mask) spawnSync('taskset', ['-pc', mask, String(tid)]);
    hog?.kill('SIGKILL');
    addon.setGiveWay(true);
    server?.close();
  });

  it('sees the loop wait and pauses for it, and every sample still holds the listener and its owner', async () => {
    addon.setGiveWay(true);
    const before = addon.giveWayCounts();
    let samples = 0;
    const until = Date.now() + 20_000;
    // Bounded: until a wait was seen and 10 samples ran, at most 300 samples or 20 s.
    while (samples < 300 && Date.now() < until) {
      expect(ownersOfListener(await addon.sampleAsync(request), port)).toEqual([process.pid]);
      samples++;
      if (samples >= 10 && addon.giveWayCounts().waits > before.waits) break;
    }
    const after = addon.giveWayCounts();
    expect(after.waits).toBeGreaterThan(before.waits);
    // Each wait seen sleeps at least one pause.
    expect(after.pauses - before.pauses).toBeGreaterThanOrEqual(after.waits - before.waits);
  });

  it('looks at nothing with setGiveWay(false), nor in the synchronous sample', async () => {
    addon.setGiveWay(false);
    const before = addon.giveWayCounts();
    for (let i = 0; i < 20; i++) expect(ownersOfListener(await addon.sampleAsync(request), port)).toEqual([process.pid]);
    expect(addon.giveWayCounts()).toEqual(before);
    addon.setGiveWay(true);
    for (let i = 0; i < 10; i++) expect(ownersOfListener(addon.sample(request), port)).toEqual([process.pid]);
    expect(addon.giveWayCounts()).toEqual(before);
  });

  it('rejects a setGiveWay argument that is not a boolean', () => {
    expect(() => (addon.setGiveWay as (x: unknown) => void)(1)).toThrow(TypeError);
    expect(() => (addon.setGiveWay as (x: unknown) => void)(undefined)).toThrow(/setGiveWay: on must be a boolean/);
  });
});
