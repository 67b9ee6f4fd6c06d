// A big TCP dump's records parsed on a second thread while the first receives the next batch
// (DumpRequest.parse_aside: a sync netlink sample on two workers or more, for the bigger of tcp and
// tcp6 when it expects 4,096 rows or more) give exactly the rows of the serial loop (setThreads(1)):
// every column, the socket cookies and cgroup ids, and tcp_info, congestion control and socket memory
// where they do not tick between two dumps. On 6,000 loopback sockets bench/loadgen.mjs holds (both ends of
// 3,000 connections, 3/4 of them IPv4), with and without extensions. sampleAsync leaves its spare
// CPU to the event loop: no dump of it is parsed aside.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { InetTable } from '../../src/model/columns';
import type { RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';
import { TCP_INFO_FIELDS } from '../../src/model/tcp_info';
import { ROOT } from '../helpers/env';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = require(loaded.path) as {
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  setThreads(threads: number): void;
  parseAsideDumps(): number;
};

const SOCKETS = 6000;
// tcp_info fields that move between two dumps of an idle connection: the times since the last
// send, receive and ack, and what the kernel derives from the clock.
const TICKING = new Set(['lastSendMs', 'lastRecvMs', 'lastAckMs', 'busyUs', 'rwndLimitedUs', 'sndbufLimitedUs', 'rcvRttUs']);

/** Each row of tcp and tcp6 by cookie: its columns, and with extensions its tcp_info, congestion and skmem. */
function rowsByCookie(s: RawSample): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of s.files) {
    expect(f.source, f.name).toBe('netlink');
    const t = new InetTable('tcp', f.name, f.table as RawInetTable, 'netlink');
    for (let i = 0; i < t.count; i++) {
      const hex = (a: Uint8Array) => Buffer.from(a.subarray(i * 16, i * 16 + 16)).toString('hex');
      const row: unknown[] = [f.name, t.family[i], t.state[i], hex(t.localAddr), t.localPort[i], hex(t.remoteAddr), t.remotePort[i],
        t.txQueue[i], t.rxQueue[i], t.uid[i], t.inode[i], String(t.cgroupId?.[i]), t.ifindex?.[i]];
      if (t.ext) {
        const info = t.ext.info(i);
        row.push(info && Object.fromEntries(Object.entries(info).filter(([k]) => !TICKING.has(k))), t.ext.congestion(i), t.ext.memory(i));
      }
      out.set(String(t.cookie![i]), JSON.stringify(row));
    }
  }
  return out;
}

const request = (extensions: number): SampleRequest => ({
  netDir: '/proc/net', files: ['tcp', 'tcp6'], owners: false, procRoot: '/proc', littleEndian: true, source: 'netlink', extensions,
});

describe('records parsed aside (native)', () => {
  let stop: () => void = () => undefined;

  beforeAll(async () => {
    // It holds the sockets until its stdin closes (or 300 s pass); its own process group goes with it.
    const load = spawn(process.execPath, [path.join(ROOT, 'bench', 'loadgen.mjs'), '--sockets', String(SOCKETS), '--workers', '4', '--idle-procs', '0', '--seconds', '300'],
      { stdio: ['pipe', 'pipe', 'inherit'], detached: true });
    stop = () => {
      load.stdin!.end();
      try {
        process.kill(-load.pid!, 'SIGTERM');
      } catch {
        // gone
      }
    };
    let out = '';
    load.stdout!.setEncoding('utf8');
    const ready = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`loadgen not ready in 90 s: ${out}`)), 90_000);
      load.stdout!.on('data', (d: string) => {
        out += d;
        const m = /^ready (\d+)/m.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      load.on('exit', (code) => reject(new Error(`loadgen exited (${code}) before it was ready: ${out}`)));
    });
    expect(Number(ready)).toBe(SOCKETS);
  }, 120_000);

  afterAll(() => {
    addon.setThreads(0);
    stop();
  });

  it.each([0, 1, 3])('gives the serial rows, extensions %i', (extensions) => {
    // The sockets are idle: two dumps agree but for a connection the machine makes or ends between
    // them (another test's), which a few tries outlast.
    let last = '';
    for (let attempt = 0; attempt < 5; attempt++) {
      addon.setThreads(1);
      const before = addon.parseAsideDumps();
      const serial = rowsByCookie(addon.sample(request(extensions)));
      expect(addon.parseAsideDumps()).toBe(before);
      addon.setThreads(2);
      const aside = rowsByCookie(addon.sample(request(extensions)));
      // One dump of the two went aside: the bigger, tcp's (3/4 of the load).
      expect(addon.parseAsideDumps()).toBe(before + 1);
      expect(serial.size).toBeGreaterThanOrEqual(SOCKETS);
      const differ = [...aside].filter(([k, v]) => serial.get(k) !== v).length + [...serial.keys()].filter((k) => !aside.has(k)).length;
      if (differ === 0) return;
      last = `${differ} of ${serial.size} rows differ`;
    }
    expect.fail(last);
  });

  it('decodes every tcp_info field of the rows it parses aside', () => {
    addon.setThreads(2);
    const s = addon.sample(request(1));
    const t = new InetTable('tcp', 'tcp', s.files[0]!.table as RawInetTable, 'netlink');
    const established = [...Array(t.count).keys()].filter((i) => t.state[i] === 1);
    expect(established.length).toBeGreaterThan(SOCKETS / 2);
    for (const i of established.slice(0, 50)) {
      const info = t.ext!.info(i)!;
      // Loopback connections with data never sent: an MSS, a window, a congestion control.
      expect(info.mss, `row ${i}`).toBeGreaterThan(0);
      expect(info.cwnd).toBeGreaterThan(0);
      expect(Object.keys(info).length).toBeGreaterThanOrEqual(TCP_INFO_FIELDS.length - 2);
      expect(t.ext!.congestion(i)).toMatch(/^[a-z0-9_]+$/);
    }
  });

  it('leaves the spare CPU to the event loop in sampleAsync: nothing parsed aside', async () => {
    addon.setThreads(2);
    const before = addon.parseAsideDumps();
    const s = await addon.sampleAsync(request(1));
    expect(rowsByCookie(s).size).toBeGreaterThanOrEqual(SOCKETS);
    expect(addon.parseAsideDumps()).toBe(before);
  });
});
