// The column program on /proc rows (issue #14): both backends run it on every row they parse and
// must leave byte-identical tables — the rows the program keeps, in order, the others never stored —
// and those rows are exactly the ones runProgram() keeps on the unfiltered table. Random programs
// (seeded) from the ops both backends decide on /proc (STATE, HOST, PORT, UID, QUEUE; OWNER, which
// is unknown to both) under and/or/not, with operands taken from the rows, over every fixture, over
// generated files of valid and broken lines, with state masks, reuse, and across stream chunks.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { loadNative } from '../../src/backends/native';
import type { Backend, RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';
import { BASIC, FIXTURES } from '../helpers/env';
import { and, host, keptBuffer, mutateProgram, OP, operandsOf, or, program, randomProgram, runOnTable } from '../helpers/filter-programs';
import { file, Gen, rng } from '../helpers/generate';
import { HEADER, line, procTree } from '../helpers/hostile';
import { bytes, sameTable } from '../helpers/parity';

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
const native: Backend = loaded.backend;
const js: Backend = jsBackend;

const INET = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6'];
/** The ops both backends decide on /proc rows (OWNER: unknown to both). */
const OPS = [OP.STATE, OP.HOST, OP.PORT, OP.UID, OP.QUEUE, OP.OWNER];

function sameSample(a: RawSample, b: RawSample, what: string) {
  expect(a.files.map((f) => [f.name, f.source, f.error]), what).toEqual(b.files.map((f) => [f.name, f.source, f.error]));
  a.files.forEach((f, i) => {
    const g = b.files[i]!;
    expect('filterInKernel' in f || 'kernelRejected' in f, what).toBe(false);
    if (f.table && g.table) sameTable(f.table, g.table, `${what}: ${f.name}`);
    else expect(f.table, what).toBe(g.table);
  });
}

/**
 * Both backends sample `base` with the program: identical tables, and each inet table is the
 * unfiltered one (`plain`, same request without a filter) less the rows runProgram() does not keep.
 * Returns the rows kept and dropped.
 */
function check(base: SampleRequest, plain: RawSample, p: Float64Array, what: string): [number, number] {
  const request = { ...base, filter: { program: p } };
  const n = native.sample(request);
  sameSample(n, js.sample(request), what);
  let kept = 0;
  let dropped = 0;
  n.files.forEach((f, i) => {
    const t = plain.files[i]!.table;
    if (f.table === null || t === null) return;
    if (f.name === 'unix') {
      sameTable(f.table, t, `${what}: unix is not filtered`);
      return;
    }
    const keep = runOnTable(p, t as RawInetTable).map((v) => v !== 0);
    const count = keep.filter(Boolean).length;
    kept += count;
    dropped += t.count - count;
    expect(f.table.count, `${what}: ${f.name}`).toBe(count);
    // Without growth past the first chunk's capacity, the filtered table is the kept rows in a
    // fresh buffer of that capacity.
    if (f.table.capacity === t.capacity) {
      expect(bytes(f.table.buffer).equals(Buffer.from(keptBuffer(t as RawInetTable, keep))), `${what}: ${f.name} columns`).toBe(true);
    }
    expect(bytes(f.table.problems).equals(bytes(t.problems)), `${what}: ${f.name} problems`).toBe(true);
  });
  return [kept, dropped];
}

describe('the column program: native and TypeScript backends keep the same rows, byte for byte', () => {
  it('on every fixture table, 300 random programs per fixture tree', () => {
    const g = new Gen(rng(20_141));
    const sets = fs.readdirSync(FIXTURES).sort().map((s) => path.join(FIXTURES, s, 'proc'))
      .filter((root) => INET.some((f) => fs.existsSync(path.join(root, 'net', f))));
    expect(sets.map((r) => path.basename(path.dirname(r)))).toEqual(['basic', 'malformed', 'names', 'summary']);
    let kept = 0;
    let dropped = 0;
    for (const root of sets) {
      const files = [...INET, 'unix'].filter((f) => fs.existsSync(path.join(root, 'net', f)));
      for (const littleEndian of [true, false]) {
        const base: SampleRequest = { netDir: path.join(root, 'net'), files, owners: false, procRoot: root, littleEndian, source: 'proc' };
        const plain = native.sample(base);
        sameSample(plain, js.sample(base), `${root} unfiltered`);
        const pool = operandsOf(plain.files.filter((f) => f.name !== 'unix' && f.table).map((f) => f.table as RawInetTable));
        for (let k = 0; k < 150; k++) {
          const p = randomProgram(g, OPS, pool, 7);
          const [a, b] = check(base, plain, p, `${root} le=${littleEndian} [${[...p].join(', ')}]`);
          kept += a;
          dropped += b;
        }
      }
    }
    expect(kept).toBeGreaterThan(3000);
    expect(dropped).toBeGreaterThan(3000);
  });

  it('on generated files of valid and broken lines, with and without a TCP state mask, sync and async', async () => {
    const g = new Gen(rng(7_777));
    let kept = 0;
    let dropped = 0;
    for (let tree = 0; tree < 12; tree++) {
      const root = procTree({
        tcp: Buffer.from(file(g, 'tcp', 40 + g.int(200))), tcp6: Buffer.from(file(g, 'tcp', 40 + g.int(100))),
        udp: Buffer.from(file(g, 'udp', 20 + g.int(100))), unix: Buffer.from(file(g, 'unix', 20)),
      });
      try {
        for (const tcpStates of [undefined, (1 << 10) | (1 << 1) | (1 << 6)]) {
          const base: SampleRequest = { netDir: path.join(root, 'net'), files: ['tcp', 'tcp6', 'udp', 'unix'], owners: false, procRoot: root, littleEndian: true, source: 'proc', tcpStates };
          const plain = native.sample(base);
          const pool = operandsOf(plain.files.slice(0, 3).map((f) => f.table as RawInetTable));
          for (let k = 0; k < 40; k++) {
            const p = randomProgram(g, OPS, pool, 6);
            const [a, b] = check(base, plain, p, `tree ${tree} states ${tcpStates} [${[...p].join(', ')}]`);
            kept += a;
            dropped += b;
            if (k % 8 === 0) {
              const request = { ...base, filter: { program: p } };
              sameSample(await native.sampleAsync(request), await js.sampleAsync(request), `tree ${tree} async`);
            }
          }
        }
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    }
    expect(kept).toBeGreaterThan(5000);
    expect(dropped).toBeGreaterThan(5000);
  });

  it('refuse the same filters with the same TypeError (the addon names its export first)', () => {
    const g = new Gen(rng(4_114));
    // extensions 1: the addon's one check the TypeScript backend has no reason for (INFO and RATIO
    // need tcp_info, which only the addon's dump has; the unit suite tests it).
    const base: SampleRequest = { netDir: path.join(BASIC, 'net'), files: ['tcp'], owners: false, procRoot: BASIC, littleEndian: true, source: 'proc', extensions: 1 };
    const pool = operandsOf([native.sample(base).files[0]!.table as RawInetTable]);
    const ok = program([OP.STATE, 1024]);
    const filters: unknown[] = [1, 'x', [ok], {}, { program: [1, 1024] }, { program: new Float32Array([1, 1024]) }, { program: null },
      { program: ok, bytecode: [1, 4, 8, 0] }, { program: ok, bytecode: new Uint16Array(2) }, { program: ok, bytecode: 'abcd' }];
    for (let k = 0; k < 500; k++) filters.push({ program: mutateProgram(g, randomProgram(g, OPS, pool, 5)) });
    let refused = 0;
    for (const filter of filters) {
      const request = { ...base, filter: filter as SampleRequest['filter'] };
      let jsError: unknown = null;
      try {
        js.sample(request);
      } catch (err) {
        jsError = err;
      }
      if (jsError === null) {
        expect(() => native.sample(request)).not.toThrow();
        continue;
      }
      refused++;
      expect(jsError).toBeInstanceOf(TypeError);
      expect(() => native.sample(request)).toThrow(new TypeError(`sample: ${(jsError as TypeError).message}`));
    }
    expect(refused).toBeGreaterThan(250);
  });

  it('into reused tables, and across stream chunks on files of several MiB (the table grows by the kept rows)', () => {
    const root = procTree({});
    try {
      const parts = [HEADER.tcp];
      for (let i = 0; i < 40_000; i++) parts.push(line('tcp', 100_000 + i, 1 + (i % 4000)));
      fs.writeFileSync(path.join(root, 'net', 'tcp'), parts.join(''));
      const base: SampleRequest = { netDir: path.join(root, 'net'), files: ['tcp'], owners: false, procRoot: root, littleEndian: true, source: 'proc' };
      const plain = native.sample(base);
      expect(fs.statSync(path.join(root, 'net', 'tcp')).size).toBeGreaterThan(4 * 2 ** 20);
      // Ports 1..4000, ten rows each: below 2000, 7 or above 3990, all (127/8, LISTEN, uid 0), none.
      const programs = [
        program([OP.PORT, 0, 2, 2000]),
        program(or([OP.PORT, 0, 0, 7], [OP.PORT, 0, 4, 3990])),
        program(and(host(0, 4, 8, -1, [127]), [OP.STATE, 2 ** 10], [OP.UID, 0, 0])),
        program(host(1, 6, 0, -1)),
      ];
      const expected = [19_990, 10 + 10 * 10, 40_000, 0];
      programs.forEach((p, k) => {
        const [a] = check(base, plain, p, `big file, program ${k}`);
        expect(a, `program ${k}`).toBe(expected[k]);
      });
      // Reuse: each backend fills its own earlier table again; the results stay identical.
      const n1 = native.sample(base);
      const j1 = js.sample(base);
      const request = (reuse: RawSample) => ({ ...base, reuse: reuse.files.map((f) => f.table), filter: { program: programs[0]! } });
      const n2 = native.sample(request(n1));
      const j2 = js.sample(request(j1));
      expect(n2.files[0]!.table!.buffer).toBe(n1.files[0]!.table!.buffer);
      expect(n2.files[0]!.table!.count).toBe(19_990);
      sameSample(n2, j2, 'reused');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
