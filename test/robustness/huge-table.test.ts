// Issue #6 part 2: a 10-million-line tcp table (~1.3 GiB of text), sampled in a child process (so
// its peak RSS is its own): count, spot-checked rows, no problems, and a peak RSS growth below
// text + table, i.e. the file is streamed (1 MiB chunks), not held whole beside the table.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT, backend } from '../helpers/env';
import { HEADER } from '../helpers/hostile';

const LINES = 10_000_000;
const BLOCK = 10_000;
// Fixed width: the inode (row + 1) is 8 zero-padded digits at a known offset in every line.
const TEMPLATE = '   0: 0100007F:1F90 0100000A:C350 01 00000000:00000000 00:00000000 00000000  1000        0 INODE--- 1 0000000000000000 20 4 30 10 -1\n';
const INODE_AT = TEMPLATE.indexOf('INODE---');

let dir = '';
let textBytes = 0;

/** Writes PROCROOT/net/tcp of LINES rows quickly: one block buffer, patched and written 1,000 times. */
function generate(file: string): number {
  const block = Buffer.from(TEMPLATE.repeat(BLOCK), 'latin1');
  const fd = fs.openSync(file, 'w');
  try {
    fs.writeSync(fd, HEADER.tcp);
    for (let b = 0; b < LINES / BLOCK; b++) {
      for (let i = 0; i < BLOCK; i++) {
        let v = b * BLOCK + i + 1;
        const at = i * TEMPLATE.length + INODE_AT;
        for (let d = 7; d >= 0; d--) {
          block[at + d] = 48 + (v % 10);
          v = Math.floor(v / 10);
        }
      }
      fs.writeSync(fd, block);
    }
  } finally {
    fs.closeSync(fd);
  }
  return HEADER.tcp.length + LINES * TEMPLATE.length;
}

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-huge-'));
  fs.mkdirSync(path.join(dir, 'net'));
  textBytes = generate(path.join(dir, 'net', 'tcp'));
}, 120_000);
afterAll(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe(`a 10-million-line tcp table (${backend.name})`, () => {
  it('is streamed: count, first, middle and last rows, no problems, peak RSS growth below text + table', () => {
    const script = `
      const { snapshot } = require(${JSON.stringify(path.join(ROOT, 'dist', 'index.js'))});
      const before = process.memoryUsage().rss;
      const s = snapshot({ procRoot: ${JSON.stringify(dir)}, protocols: ['tcp'], families: [4], source: 'proc' });
      const t = s.table('tcp');
      const pick = (i) => { const r = s.inetSocket(t, i); return [r.inode, r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.stateName, r.uid, r.timer.timeout]; };
      const peak = process.resourceUsage().maxRSS * 1024;
      console.log(JSON.stringify({ count: t.count, capacity: t.raw.capacity, problems: s.problems.length,
        rows: [pick(0), pick(1), pick(4999999), pick(${LINES - 1})], before, peak }));`;
    const started = Date.now();
    const r = spawnSync(process.execPath, ['-e', script], {
      encoding: 'utf8', env: { ...process.env, NETSNAP_BACKEND: backend.name }, timeout: 300_000, maxBuffer: 1 << 20,
    });
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    const row = (inode: number) => [inode, '127.0.0.1', 8080, '10.0.0.1', 50000, 'ESTABLISHED', 1000, 0];
    expect(out.count).toBe(LINES);
    expect(out.problems).toBe(0);
    expect(out.rows).toEqual([row(1), row(2), row(5_000_000), row(LINES)]);
    const tableBytes = out.capacity * 75;
    const exactTable = LINES * 75;
    // Holding everything twice would be at least text + table; growth by doubling peaks at the
    // final table plus the half-size one it was copied from.
    expect(out.peak - out.before).toBeLessThan(textBytes + exactTable);
    expect(out.peak - out.before).toBeLessThan(tableBytes * 1.5 + 64 * 2 ** 20);
    console.log(`${backend.name}: ${LINES} lines, text ${(textBytes / 2 ** 20).toFixed(0)} MiB, table ${(tableBytes / 2 ** 20).toFixed(0)} MiB, ` +
      `capacity ${out.capacity}, peak RSS growth ${((out.peak - out.before) / 2 ** 20).toFixed(0)} MiB, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 300_000);
});
