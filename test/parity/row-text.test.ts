// The rows of tcp and tcp6 that a sample formats while its dump still runs (SampleRequest.rowText,
// native/sample.cc's format_fed_rows; what `netsnap -tanp` writes): byte for byte the rows the
// listing's own formatter gives the same tables, on connections this test holds in a network
// namespace of its own. Read through the namespace's path, the dump knows no row count beforehand, so
// its tables start small and move as they grow, while the other worker reads them. The whole
// listing, `netsnap -tanp --netns`, is compared line for line with the TypeScript backend's.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { collectText } from '../../src/bytes/writer';
import { inetRowTextRequest, writeInetRowsFast, type NetstatListingOptions } from '../../src/format/netstat';
import { InetTable, OwnerIndex } from '../../src/model/columns';
import type { RawInetTable, RawSample, RowTextRequest, SampleRequest } from '../../src/model/contract';
import { compileFilter } from '../../src/filter/compile';
import { CLI } from '../helpers/env';
import { canUseNetns, removeLeftovers, run } from '../helpers/netns';

const loaded = loadNative();
type Addon = {
  sample(request: SampleRequest): RawSample;
  setThreads(n: number): void;
  setOwnerSource(source: string): void;
  setFeedLockstep(on: boolean): void;
};
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = (loaded.ok ? require(loaded.path) : null) as Addon | null;
const format = loaded.ok ? loaded.backend.formatInetRows : undefined;

const NS = `nsrowtext${process.pid}`;
// Per family: LISTENERS listening sockets and PAIRS connections to one more: tables of ROWS rows,
// grown from 256 by doubling (five moves).
const LISTENERS = 6000;
const PAIRS = 100;
const ROWS = LISTENERS + 1 + 2 * PAIRS;
const fmt: NetstatListingOptions = {
  numericHosts: true, numericPorts: true, numericUsers: true, all: true, listening: false, programs: true, wide: false,
  extend: false, timers: false, escape: false,
};

/** What writeInetRowsFast writes for the first `rows` rows of a table (the listing's formatter). */
function reference(raw: RawInetTable, file: string, rows: number, owners: OwnerIndex, show: 'all' | 'servers' | 'others'): string {
  const t = new InetTable('tcp', file, { ...raw, count: rows });
  return collectText((w) => expect(writeInetRowsFast(w, t, { ...fmt, all: show === 'all', listening: show === 'servers' }, show, owners, format)).toBe(true));
}

describe.runIf(canUseNetns && addon !== null && format !== undefined)('rows formatted while the dump runs (request.rowText)', () => {
  let holder: ChildProcess | null = null;
  const request = (rowText: RowTextRequest | undefined): SampleRequest => ({
    netDir: '/proc/net', procRoot: '/proc', owners: true, littleEndian: true, files: ['tcp', 'tcp6'], source: 'netlink',
    netns: `/run/netns/${NS}`, ...(rowText ? { rowText } : {}),
  });

  beforeAll(async () => {
    removeLeftovers(/^nsrowtext(\d+)$/);
    expect(run('ip', ['netns', 'add', NS]).status).toBe(0);
    expect(run('ip', ['netns', 'exec', NS, 'ip', 'link', 'set', 'lo', 'up']).status).toBe(0);
    // Per family: LISTENERS listening sockets and PAIRS connections (both ends), all held until killed.
    const script = `const net = require('node:net');
      const held = [];
      const listen = (host) => new Promise((done) => held.push(net.createServer().listen({ port: 0, host }, done)));
      const open = (host) => new Promise((done) => {
        let ends = 0;
        const end = () => { if (++ends === ${2 * PAIRS}) done(); };
        const srv = net.createServer((s) => { held.push(s); end(); }).listen({ port: 0, host }, () => {
          for (let i = 0; i < ${PAIRS}; i++) held.push(net.connect({ port: srv.address().port, host }, end));
        });
        held.push(srv);
      });
      const all = [];
      for (const host of ['127.0.0.1', '::1']) {
        all.push(open(host));
        for (let i = 0; i < ${LISTENERS}; i++) all.push(listen(host));
      }
      Promise.all(all).then(() => setTimeout(() => console.log('ready'), 200));
      setInterval(() => {}, 1000);`;
    holder = spawn('ip', ['netns', 'exec', NS, process.execPath, '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the holder did not open its connections in 60 s')), 60_000);
      holder!.stdout!.on('data', (d: Buffer) => {
        if (d.toString().includes('ready')) {
          clearTimeout(timer);
          resolve();
        }
      });
      holder!.on('exit', (code) => reject(new Error(`the holder exited (${code})`)));
    });
  }, 90_000);

  afterAll(() => {
    holder?.kill('SIGKILL');
    addon?.setThreads(0);
    addon?.setOwnerSource('auto');
    run('ip', ['netns', 'del', NS]);
  });

  /**
   * Samples with each `show`; checks every text against the listing's formatter; returns how many
   * files had one and the fewest rows one had.
   */
  const checkTexts = (rounds: number): { texts: number; fewest: number } => {
    let texts = 0;
    let fewest = Infinity;
    for (let round = 0; round < rounds; round++) {
      for (const show of ['all', 'servers', 'others'] as const) {
        const o = { ...fmt, all: show === 'all', listening: show === 'servers' };
        const s = addon!.sample(request(inetRowTextRequest(o, show, format)!));
        const owners = new OwnerIndex(s.owners!);
        for (const f of s.files) {
          const raw = f.table as RawInetTable;
          expect([f.name, f.error, f.source, raw.count]).toEqual([f.name, null, 'netlink', ROWS]);
          // Grown by doubling from the first 256 rows: no count was known beforehand.
          expect(raw.capacity).toBe(8192);
          if (f.rowText === undefined) continue;
          texts++;
          fewest = Math.min(fewest, f.rowText.rows);
          expect(f.rowText.rows).toBeGreaterThan(0);
          expect(f.rowText.rows).toBeLessThanOrEqual(raw.count);
          expect(Buffer.from(f.rowText.bytes).toString('latin1')).toBe(reference(raw, f.name, f.rowText.rows, owners, show));
          // The listing writes the text, then formats the rows after it: the whole table as without it.
          const t = new InetTable('tcp', f.name, raw);
          const whole = collectText((w) => writeInetRowsFast(w, t, o, show, owners, format));
          expect(collectText((w) => writeInetRowsFast(w, t, o, show, owners, format, f.rowText!))).toBe(whole);
          // And so with a text of the first third only (what a dump that ends first leaves).
          const third = Math.floor(raw.count / 3);
          const part = { bytes: Buffer.from(reference(raw, f.name, third, owners, show), 'latin1'), rows: third };
          expect(collectText((w) => writeInetRowsFast(w, t, o, show, owners, format, part))).toBe(whole);
        }
      }
    }
    return { texts, fewest };
  };

  it('gives the first rows of each table as the listing formats them, its tables moving as they grow', () => {
    addon!.setThreads(2);
    addon!.setOwnerSource('bpf');
    // The dump waits for the text after each batch (the hook): every text covers every row, read across
    // the table's five moves.
    addon!.setFeedLockstep(true);
    try {
      expect(checkTexts(2)).toEqual({ texts: 2 * 3 * 2, fewest: ROWS });
    } finally {
      addon!.setFeedLockstep(false);
    }
    // Started together, as they run: a text where the scan ended first, the same bytes wherever it ends.
    checkTexts(2);
  });

  it('makes none when not asked, without owners, on one worker, or with a filter', () => {
    addon!.setOwnerSource('bpf');
    const asked = inetRowTextRequest(fmt, 'all', format)!;
    addon!.setThreads(2);
    expect(addon!.sample(request(undefined)).files.map((f) => f.rowText)).toEqual([undefined, undefined]);
    expect(addon!.sample({ ...request(asked), owners: false }).files.map((f) => f.rowText)).toEqual([undefined, undefined]);
    addon!.setThreads(1);
    expect(addon!.sample(request(asked)).files.map((f) => f.rowText)).toEqual([undefined, undefined]);
    addon!.setThreads(2);
    const filter = compileFilter('sport >= :0').request;
    expect(addon!.sample({ ...request(asked), filter }).files.map((f) => f.rowText)).toEqual([undefined, undefined]);
  });

  it('refuses a bad rowText with a TypeError', () => {
    const good = inetRowTextRequest(fmt, 'all', format)!;
    const bad: Array<[unknown, RegExp]> = [
      [1, /request\.rowText must be an object/],
      [{ ...good, label4: new Uint8Array(65) }, /request\.rowText\.label4 must be a Uint8Array of at most 64 bytes/],
      [{ ...good, label6: 'tcp6' }, /request\.rowText\.label6 must be a Uint8Array/],
      [{ ...good, stateCells: new Uint8Array(4095) }, /request\.rowText\.stateCells must be a Uint8Array of 4096 bytes/],
      [{ ...good, show: 'some' }, /request\.rowText\.show must be 'all', 'servers' or 'others'/],
      [{ ...good, wide: 1 }, /request\.rowText\.wide must be a boolean/],
    ];
    for (const [rowText, message] of bad) {
      expect(() => addon!.sample({ ...request(undefined), rowText: rowText as RowTextRequest })).toThrow(message);
    }
  });

  it('netsnap -tanp --netns prints the lines the TypeScript backend prints', () => {
    const env = { ...process.env, LANG: 'C', LC_ALL: 'C', NETSNAP_OWNER_SOURCE: 'bpf' };
    const lines = (extra: Record<string, string>) => {
      const r = spawnSync(process.execPath, [CLI, '-tanp', '--netns', NS], { encoding: 'latin1', env: { ...env, ...extra }, maxBuffer: 64 << 20, timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').slice(2).filter((l) => l !== '').sort();
    };
    const native = lines({});
    expect(native.length).toBe(2 * ROWS);
    expect(native.filter((l) => / \d+\/node *$/.test(l)).length).toBe(2 * ROWS);
    expect(lines({ NETSNAP_BACKEND: 'js' })).toEqual(native);
  });
});
