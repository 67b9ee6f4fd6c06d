// The threads of a sampleAsync carry names while they work (native/parallel.h): the libuv pool thread
// that runs the sample is `netsnap-sample` until it is done, then has its own name back; a thread the
// sample creates is `netsnap-worker`. What `top -H`, perf and /proc/PID/task/*/comm show, so that an
// operator (and bench/stalls.mjs) can tell the sample's threads from Node's own.
//
// The test holds the sample while it looks: its tcp and tcp6 are named pipes in a directory of its
// own, and a read of a pipe waits until the test writes the fixture's lines into it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import type { RawSample, SampleRequest } from '../../src/model/contract';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
interface Hooks {
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  setThreads(threads: number): void;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as Hooks;

const fixture = path.resolve(__dirname, '../../fixtures/basic/proc/net');
const LE = os.endianness() === 'LE';

/** Every thread of this process and its name now. */
function names(): Map<number, string> {
  const out = new Map<number, string>();
  for (const t of fs.readdirSync('/proc/self/task')) {
    try {
      out.set(Number(t), fs.readFileSync(`/proc/self/task/${t}/comm`, 'utf8').trim());
    } catch { /* exited meanwhile */ }
  }
  return out;
}
const named = (m: Map<number, string>, name: string) => [...m].filter(([, n]) => n === name).map(([tid]) => tid);

/** Writes `file` into the pipe at `fifo` once a reader holds it open (ENXIO until then), at most 10 s. */
async function feed(fifo: string, file: string): Promise<void> {
  const end = Date.now() + 10000;
  for (;;) {
    let fd: number;
    try {
      fd = fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO' || Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    try {
      fs.writeSync(fd, fs.readFileSync(file)); // a few hundred bytes: within the pipe's buffer
    } finally {
      fs.closeSync(fd);
    }
    return;
  }
}

describe('the names of the sample threads', () => {
  let dir = '';
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-names-'));
    for (const f of ['tcp', 'tcp6']) {
      const r = spawnSync('mkfifo', [path.join(dir, f)]);
      if (r.status !== 0) throw new Error(`mkfifo: ${String(r.stderr)}`);
    }
  });
  afterAll(() => {
    addon.setThreads(0);
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('names the pool thread netsnap-sample and the thread it creates netsnap-worker while they work, then gives the pool thread its name back', async () => {
    const before = names();
    expect(named(before, 'netsnap-sample')).toEqual([]);
    expect(named(before, 'netsnap-worker')).toEqual([]);
    addon.setThreads(2); // tcp on the pool thread, tcp6 on a thread of the sample's own
    const request: SampleRequest = { netDir: dir, procRoot: '/proc', files: ['tcp', 'tcp6'], owners: false, littleEndian: LE, source: 'proc' };
    const pending = addon.sampleAsync(request);
    // Both threads now wait in the open of their pipe; look until both names show (bounded).
    let during = names();
    for (let i = 0; i < 1000 && (named(during, 'netsnap-sample').length === 0 || named(during, 'netsnap-worker').length === 0); i++) {
      await new Promise((r) => setTimeout(r, 5));
      during = names();
    }
    const sampleTid = named(during, 'netsnap-sample');
    const workerTid = named(during, 'netsnap-worker');
    // Fed whatever was seen, so that a failure below does not leave the sample waiting.
    await Promise.all(['tcp', 'tcp6'].map((f) => feed(path.join(dir, f), path.join(fixture, f))));
    const got = await pending;
    expect(sampleTid).toHaveLength(1);
    expect(workerTid).toHaveLength(1);
    // The pool thread is one of Node's, there before the sample; the worker is new.
    expect(before.has(sampleTid[0]!)).toBe(true);
    expect(before.has(workerTid[0]!)).toBe(false);
    expect(sampleTid[0]!).not.toBe(process.pid);

    // The pipes held the fixture's lines: the same rows as the sample of the fixture itself.
    const want = addon.sample({ ...request, netDir: fixture });
    expect(got.files.map((f) => [f.name, f.table?.count])).toEqual(want.files.map((f) => [f.name, f.table?.count]));
    expect(got.files.map((f) => f.table?.count)).toEqual([6, 4]); // the fixture's well-formed rows (two of tcp's eight are malformed)

    const after = names();
    expect(named(after, 'netsnap-sample')).toEqual([]);
    expect(after.get(sampleTid[0]!)).toBe(before.get(sampleTid[0]!));
    expect(after.has(workerTid[0]!)).toBe(false); // joined before the sample returned
  });

  it('leaves the thread of a synchronous sample as it was named', () => {
    addon.setThreads(2);
    const main = fs.readFileSync('/proc/thread-self/comm', 'utf8').trim();
    const s = addon.sample({ netDir: fixture, procRoot: '/proc', files: ['tcp', 'tcp6'], owners: false, littleEndian: LE, source: 'proc' });
    expect(s.files.map((f) => f.table?.count)).toEqual([6, 4]); // the fixture's well-formed rows (two of tcp's eight are malformed)
    expect(fs.readFileSync('/proc/thread-self/comm', 'utf8').trim()).toBe(main);
    expect(named(names(), 'netsnap-worker')).toEqual([]);
  });
});
