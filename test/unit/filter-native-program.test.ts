// The native side of the column program (native/filter.{h,cc}, issue #14): the addon refuses
// exactly the programs programProblem() of src/filter/program.ts refuses, with its message, checks
// request.filter's types, and on /proc rows keeps exactly the rows runProgram() keeps, leaving the
// rest of the table as if those rows had never been read. Native only: the TypeScript backend's
// side is the parity suite's (test/parity/filter-program.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { programProblem } from '../../src/filter/program';
import type { Backend, RawInetTable, RawSample, SampleRequest } from '../../src/model/contract';
import { TCP_INFO_INDEX } from '../../src/model/tcp_info';
import { BASIC, FIXTURES } from '../helpers/env';
import {
  and, CMP, host, ipv4, keptBuffer, mutateProgram, not, OP, operandsOf, or, program, randomProgram, runOnTable,
} from '../helpers/filter-programs';
import { Gen, rng } from '../helpers/generate';
import { bytes } from '../helpers/parity';

const isNative = process.env.NETSNAP_BACKEND === 'native';
const INET = ['tcp', 'tcp6', 'udp', 'udp6', 'udplite', 'udplite6', 'raw', 'raw6'];

/** Fixture trees with inet files: [netDir, files]. */
function fixtureSets(): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  for (const set of fs.readdirSync(FIXTURES).sort()) {
    const dir = path.join(FIXTURES, set, 'proc', 'net');
    if (!fs.existsSync(dir)) continue;
    const files = INET.filter((f) => fs.existsSync(path.join(dir, f)));
    if (files.length > 0) out.push([dir, files]);
  }
  return out;
}

describe.skipIf(!isNative)('the column program in the addon (native/filter.cc)', () => {
  // The body is collected in the TypeScript project too (its tests then skipped), addon or not.
  const loaded = loadNative();
  if (isNative && !loaded.ok) throw new Error(`needs the native addon; tried:\n${loaded.tried.join('\n')}`);
  const native = (loaded.ok ? loaded.backend : null) as Backend;
  const request = (extra: Partial<SampleRequest> = {}): SampleRequest => ({
    netDir: path.join(BASIC, 'net'), files: ['tcp'], owners: false, procRoot: BASIC, littleEndian: true, ...extra,
  });
  const tables = (s: RawSample) => s.files.map((f) => {
    expect(f.error, f.name).toBeNull();
    return f.table as RawInetTable;
  });

  it('refuses exactly the programs programProblem() refuses, with its message', async () => {
    const g = new Gen(rng(14));
    const pool = operandsOf(tables(native.sample(request({ files: ['tcp', 'tcp6', 'udp', 'raw'] }))));
    const ALL = [OP.STATE, OP.HOST, OP.PORT, OP.UID, OP.QUEUE, OP.DEV, OP.CGROUP, OP.AUTOBOUND, OP.INFO, OP.RATIO, OP.OWNER];
    const programs: Float64Array[] = [
      new Float64Array([]), new Float64Array([1]), new Float64Array([0]), new Float64Array([-0, 1]),
      new Float64Array([Number.NaN]), new Float64Array([Infinity]), new Float64Array([1.5]), new Float64Array([1e21]),
      new Float64Array([1e-7]), new Float64Array([123456789.125]), new Float64Array([-2.5e-300]), new Float64Array([20]),
      new Float64Array([22]), new Float64Array([1, 2, 20]), new Float64Array([1, 2, 1, 2]), new Float64Array([1, -0]),
      new Float64Array([1, 2 ** 32]), new Float64Array([1, 2 ** 32 - 1]), new Float64Array([8, 8, 21, 22]),
      program(host(0, 4, 33, -1)), program(host(0, 6, 128, 65535)), program(host(0, 0, 1, -1)), program(host(1, 0, 0, -2)),
      program(host(2 as 0, 4, 0, -1)), program([...host(0, 4, 8, -1)].map((w, i) => (i === 20 ? 256 : w))),
      new Float64Array([OP.HOST, 0, 5, 0, -1, ...new Array<number>(16).fill(0)]),
      new Float64Array([OP.INFO, TCP_INFO_INDEX.get('rttUs')!, CMP.gt, 2 ** 53]),
      new Float64Array([OP.INFO, TCP_INFO_INDEX.get('rttUs')!, CMP.gt, 2 ** 53 + 2]),
      new Float64Array([OP.INFO, 56, 0, 0]), new Float64Array([OP.INFO, 55, 6, 0]),
      new Float64Array([OP.RATIO, 0, 56, 0, 0]), new Float64Array([OP.RATIO, 0, 1, 0, -1]),
      new Float64Array([OP.OWNER, 65535]), new Float64Array([OP.OWNER, 65536]), new Float64Array([OP.CGROUP, 1, 2 ** 32]),
      new Float64Array([OP.DEV, -1]), new Float64Array([OP.UID, 6, 0]), new Float64Array([OP.QUEUE, 1, 5, 2 ** 32]),
      new Float64Array([OP.PORT, 1, 5, 65536]), new Float64Array(new Array<number>(64).fill(OP.AUTOBOUND).concat(new Array<number>(63).fill(OP.OR))),
      new Float64Array(new Array<number>(65).fill(OP.AUTOBOUND).concat(new Array<number>(64).fill(OP.OR))),
    ];
    for (let i = 0; i < 3000; i++) {
      const p = randomProgram(g, ALL, pool, 8);
      programs.push(g.next() < 0.5 ? p : mutateProgram(g, p));
    }
    let valid = 0;
    let invalid = 0;
    for (const [k, p] of programs.entries()) {
      const problem = programProblem(p);
      const what = `program ${k}: [${[...p].join(', ')}]`;
      const call = () => native.sample(request({ extensions: 1, filter: { program: p } }));
      if (problem === null) {
        valid++;
        expect(call, what).not.toThrow();
      } else {
        invalid++;
        expect(call, what).toThrow(new TypeError(`sample: request.filter.program: ${problem}`));
        if (k % 20 === 0) {
          await expect(native.sampleAsync(request({ extensions: 1, filter: { program: p } })), what)
            .rejects.toThrow(new TypeError(`sampleAsync: request.filter.program: ${problem}`));
        }
      }
    }
    expect(valid).toBeGreaterThan(1000);
    expect(invalid).toBeGreaterThan(1000);
  });

  it('checks request.filter, its program and its bytecode', async () => {
    const ok = program([OP.STATE, 2 ** 10]);
    const bad: Array<[unknown, string]> = [
      // Anything but an object has no program (as the TypeScript backend reads request.filter.program).
      [1, 'request.filter.program must be a Float64Array'],
      ['x', 'request.filter.program must be a Float64Array'],
      [[ok], 'request.filter.program must be a Float64Array'],
      [{}, 'request.filter.program must be a Float64Array'],
      [{ program: [1, 1024] }, 'request.filter.program must be a Float64Array'],
      [{ program: new Float32Array([1, 1024]) }, 'request.filter.program must be a Float64Array'],
      [{ program: new Uint8Array([1, 4]) }, 'request.filter.program must be a Float64Array'],
      [{ program: ok.buffer }, 'request.filter.program must be a Float64Array'],
      [{ program: null }, 'request.filter.program must be a Float64Array'],
      [{ program: ok, bytecode: [1, 4, 8, 0] }, 'request.filter.bytecode must be a Uint8Array or null'],
      [{ program: ok, bytecode: new Uint16Array(2) }, 'request.filter.bytecode must be a Uint8Array or null'],
      [{ program: ok, bytecode: Buffer.alloc(4).buffer }, 'request.filter.bytecode must be a Uint8Array or null'],
      [{ program: ok, bytecode: 'abcd' }, 'request.filter.bytecode must be a Uint8Array or null'],
      [{ program: ok, bytecode: new Uint8Array(65532) }, 'request.filter.bytecode must be at most 65531 bytes (one netlink attribute), got 65532'],
      [{ program: ok, bytecode: new Uint8Array(1 << 20) }, 'request.filter.bytecode must be at most 65531 bytes (one netlink attribute), got 1048576'],
    ];
    for (const [filter, message] of bad) {
      expect(() => native.sample(request({ filter: filter as SampleRequest['filter'] })), message).toThrow(new TypeError(`sample: ${message}`));
      await expect(native.sampleAsync(request({ filter: filter as SampleRequest['filter'] }))).rejects.toThrow(new TypeError(`sampleAsync: ${message}`));
    }
    // Accepted: no filter, a filter without bytecode, a null, empty, offset or largest bytecode.
    const plain = native.sample(request());
    for (const filter of [undefined, null, { program: ok }, { program: ok, bytecode: null }, { program: ok, bytecode: undefined },
      { program: ok, bytecode: new Uint8Array(0) }, { program: ok, bytecode: new Uint8Array(16).subarray(4, 12) },
      { program: ok, bytecode: new Uint8Array(65531) }, { program: new Float64Array([9, 1, 2, 1024, 1]).subarray(1, 3) }]) {
      const s = native.sample(request({ filter: filter as SampleRequest['filter'] }));
      expect(s.files[0]!.error).toBeNull();
      expect(s.files[0]!.source).toBe('proc');
      // Bytecode is for netlink dumps only: a /proc read never says anything about it.
      expect(s.files[0]).not.toHaveProperty('filterInKernel');
      expect(s.files[0]).not.toHaveProperty('kernelRejected');
      if (filter === undefined || filter === null) expect(bytes(s.files[0]!.table!.buffer).equals(bytes(plain.files[0]!.table!.buffer))).toBe(true);
    }
  });

  it('INFO and RATIO need extensions bit 1 (tcp_info)', () => {
    const info = program(and([OP.STATE, 2 ** 10], [OP.INFO, TCP_INFO_INDEX.get('rttUs')!, CMP.gt, 0]));
    const ratio = program(or([OP.STATE, 2], [OP.RATIO, TCP_INFO_INDEX.get('bytesRetrans')!, TCP_INFO_INDEX.get('bytesSent')!, CMP.ge, 10_000]));
    for (const extensions of [undefined, 0, 2]) {
      expect(() => native.sample(request({ extensions, filter: { program: info } })))
        .toThrow(new TypeError('sample: request.filter.program: op 9 at 2 needs extensions bit 1 (tcp_info)'));
      expect(() => native.sample(request({ extensions, filter: { program: ratio } })))
        .toThrow(new TypeError('sample: request.filter.program: op 10 at 2 needs extensions bit 1 (tcp_info)'));
    }
    for (const extensions of [1, 3]) {
      // On /proc rows there is no tcp_info: the condition is false, so no row is kept.
      const s = native.sample(request({ extensions, filter: { program: info } }));
      expect(s.files[0]!.table!.count).toBe(0);
    }
  });

  it('keeps on /proc exactly the rows runProgram() keeps, the others never stored (every fixture, random programs)', async () => {
    const g = new Gen(rng(1414));
    const OPS = [OP.STATE, OP.HOST, OP.PORT, OP.UID, OP.QUEUE, OP.OWNER, OP.DEV, OP.CGROUP, OP.AUTOBOUND];
    const sets = fixtureSets();
    expect(sets.map(([d]) => path.basename(path.dirname(path.dirname(d))))).toEqual(['basic', 'malformed', 'names', 'summary']);
    let kept = 0;
    let dropped = 0;
    for (const [netDir, files] of sets) {
      const base = request({ netDir, procRoot: path.dirname(netDir), files });
      const plain = tables(native.sample(base));
      const pool = operandsOf(plain);
      for (let k = 0; k < 150; k++) {
        const p = randomProgram(g, OPS, pool, 6);
        const s = k % 10 === 0 ? await native.sampleAsync({ ...base, filter: { program: p } }) : native.sample({ ...base, filter: { program: p } });
        const got = tables(s);
        plain.forEach((t, f) => {
          const what = `${netDir}/${files[f]} [${[...p].join(', ')}]`;
          const keep = runOnTable(p, t).map((v) => v !== 0);
          const n = keep.filter(Boolean).length;
          kept += n;
          dropped += t.count - n;
          expect(got[f]!.capacity, what).toBe(t.capacity);
          expect(got[f]!.count, what).toBe(n);
          expect(bytes(got[f]!.problems).equals(bytes(t.problems)), `${what}: problems`).toBe(true);
          expect(bytes(got[f]!.buffer).equals(Buffer.from(keptBuffer(t, keep))), `${what}: columns`).toBe(true);
        });
      }
    }
    // The programs both keep and drop rows, many of each.
    expect(kept).toBeGreaterThan(2000);
    expect(dropped).toBeGreaterThan(2000);
  });

  it('on /proc, DEV, CGROUP, AUTOBOUND and OWNER are unknown (kept, also negated); INFO and RATIO are false', () => {
    const files = ['tcp', 'tcp6', 'udp', 'udp6', 'raw'];
    const all = tables(native.sample(request({ files }))).map((t) => t.count);
    expect(all.reduce((a, b) => a + b)).toBeGreaterThan(10);
    const counts = (p: number[], extensions?: number) =>
      tables(native.sample(request({ files, extensions, filter: { program: program(p) } }))).map((t) => t.count);
    const listen = [OP.STATE, 2 ** 10];
    const listening = counts(listen);
    expect(listening[0]).toBeGreaterThan(0);
    expect(listening[0]).toBeLessThan(all[0]!);
    for (const unknown of [[OP.DEV, 1], [OP.CGROUP, 1, 0], [OP.AUTOBOUND], [OP.OWNER, 3]]) {
      expect(counts(unknown), String(unknown)).toEqual(all);
      expect(counts(not(unknown)), `not ${unknown}`).toEqual(all);
      expect(counts(and(unknown, listen)), `${unknown} and listen`).toEqual(listening);
      expect(counts(or(unknown, listen)), `${unknown} or listen`).toEqual(all);
      expect(counts(and(unknown, [OP.STATE, 0])), `${unknown} and false`).toEqual(all.map(() => 0));
    }
    const rtt = [OP.INFO, TCP_INFO_INDEX.get('rttUs')!, CMP.ge, 0];
    expect(counts(rtt, 1)).toEqual(all.map(() => 0));
    expect(counts(not(rtt), 1)).toEqual(all);
    expect(counts(or(rtt, listen), 1)).toEqual(listening);
    expect(counts([OP.RATIO, 0, 0, CMP.ge, 0], 1)).toEqual(all.map(() => 0));
  });

  it('a program with DEV, CGROUP, AUTOBOUND, INFO or RATIO never falls back to /proc; others do; unix is not filtered', () => {
    const netDir = path.join(BASIC, 'net');
    const files = ['tcp', 'udp', 'unix'];
    const unfiltered = native.sample(request({ files, source: 'proc' }));
    const listen = [OP.STATE, 2 ** 10];
    for (const [p, extensions] of [[[OP.DEV, 1]], [[OP.CGROUP, 5, 0]], [[OP.AUTOBOUND]], [[OP.INFO, 0, 0, 0], 1], [[OP.RATIO, 0, 1, 0, 0], 1]] as Array<[number[], number?]>) {
      // netDir is of another namespace (a fixture) and no netns: there is no dump to be had.
      const s = native.sample(request({ netDir, files, source: 'netlink', extensions, filter: { program: program(and(p, listen)) } }));
      expect(s.files.map((f) => [f.name, f.source, f.error, f.table === null]), String(p)).toEqual([
        ['tcp', 'netlink', 'ENOTSUP', true], ['udp', 'netlink', 'ENOTSUP', true], ['unix', 'proc', null, false]]);
      expect(bytes(s.files[2]!.table!.buffer).equals(bytes(unfiltered.files[2]!.table!.buffer))).toBe(true);
    }
    // A program of the columns alone reads /proc, filtered; unix unfiltered (STATE 0 keeps no inet row).
    const s = native.sample(request({ netDir, files, source: 'netlink', filter: { program: program([OP.STATE, 0]) } }));
    expect(s.files.map((f) => [f.name, f.source, f.error, f.table!.count])).toEqual([
      ['tcp', 'proc', null, 0], ['udp', 'proc', null, 0], ['unix', 'proc', null, unfiltered.files[2]!.table!.count]]);
    expect(unfiltered.files[2]!.table!.count).toBeGreaterThan(0);
    expect(bytes(s.files[2]!.table!.buffer).equals(bytes(unfiltered.files[2]!.table!.buffer))).toBe(true);
  });

  it('a filtered read into a reused table: the kept rows, in the lent buffer', () => {
    const files = ['tcp', 'tcp6'];
    const first = tables(native.sample(request({ files })));
    const p = program(or(host(0, 4, 8, -1, ipv4('127.0.0.0')), [OP.STATE, 2 ** 10]));
    const expected = first.map((t) => keptBuffer(t, runOnTable(p, t).map((v) => v !== 0)));
    const counts = first.map((t) => runOnTable(p, t).filter((v) => v !== 0).length);
    expect(counts[0]).toBeGreaterThan(0);
    expect(counts[0]).toBeLessThan(first[0]!.count);
    const again = tables(native.sample(request({ files, reuse: first, filter: { program: p } })));
    again.forEach((t, f) => {
      expect(t.buffer).toBe(first[f]!.buffer);
      expect(t.count).toBe(counts[f]);
      // The first `count` rows of every column are the kept rows (past them the lent buffer keeps
      // its old bytes, which no view shows).
      expect(Buffer.from(keptBuffer(t, new Array<boolean>(t.count).fill(true))).equals(Buffer.from(expected[f]!))).toBe(true);
    });
  });
});
