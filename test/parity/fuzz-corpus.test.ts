// The fuzz seed corpus (native/fuzz/corpus/) and every crash the fuzzers ever found
// (native/fuzz/regressions/) as regression inputs, without clang:
// - through the addon and the TypeScript backend, which must agree byte for byte;
// - through the harnesses built as standalone drivers with g++ and ASan/UBSan, which run the same
//   invariant and reference checks as under libFuzzer (scripts/fuzz.sh --standalone).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { parseSocketLinkText } from '../../src/owners/fd_link';
import { loadNative } from '../../src/backends/native';
import { programProblem } from '../../src/filter/program';
import type { RawInetTable, RawUnixTable } from '../../src/model/contract';
import { ROOT } from '../helpers/env';
import { bytes, sameTable } from '../helpers/parity';

// Under npm run test:sanitized the environment preloads gcc's ASan runtime for Node; compilers and
// fuzzers (clang's own runtime) must not inherit it.
function unsanitized(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
  return env;
}

const loaded = loadNative();
if (!loaded.ok) throw new Error(`the parity suite needs the native addon; tried:\n${loaded.tried.join('\n')}`);
const native = loaded.backend;
const js = jsBackend;

const FUZZ = path.join(ROOT, 'native', 'fuzz');

const ODD = [Number.NaN, Infinity, -Infinity, -0, 0.5, 2 ** 32 - 1, 2 ** 32, 2 ** 53, 2 ** 53 + 2, 1e21, 255, 65535, 65536, 1e-7, 127, 1.5];

/** The program of a filter harness input (native/fuzz/filter_fuzz.cc: mode, row, payload, words). */
function filterInputProgram(data: Buffer): Float64Array {
  let pos = 0;
  const byte = () => (pos < data.length ? data[pos++]! : 0);
  const load = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = byte();
    return b;
  };
  const mode = byte();
  load(62); // the row
  if (mode & 4) {
    const len = load(2).readUInt16LE(0) % 301;
    for (let i = 0; i < len && pos < data.length; i++) byte();
  }
  const words: number[] = [];
  while (pos < data.length && words.length < 4096) {
    if (mode & 1) {
      words.push(load(8).readDoubleLE(0));
      continue;
    }
    const t = byte();
    if (t < 0xe0) words.push(t - 2);
    else if (t < 0xf0) words.push(ODD[t - 0xe0]!);
    else if (t === 0xf0) words.push(load(2).readUInt16LE(0));
    else if (t === 0xf1) words.push(load(4).readUInt32LE(0));
    else if (t === 0xf2) words.push(load(8).readDoubleLE(0));
    else words.push(byte());
  }
  return new Float64Array(words);
}

function inputs(harness: string): string[] {
  const out: string[] = [];
  for (const dir of [path.join(FUZZ, 'corpus', harness), path.join(FUZZ, 'regressions', harness)]) {
    if (!fs.existsSync(dir)) continue;
    for (const f of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, f);
      if (!f.startsWith('.') && fs.statSync(p).isFile()) out.push(p);
    }
  }
  return out;
}

describe('fuzz corpus and regressions: native equals TypeScript', () => {
  it('has a seed corpus for every harness', () => {
    for (const h of ['inet', 'unix', 'link', 'netlink', 'filter', 'format', 'detail', 'btf']) expect(inputs(h).length, h).toBeGreaterThan(5);
  });

  it('checks the program of every filter input as programProblem() does', () => {
    let refused = 0;
    let valid = 0;
    for (const file of inputs('filter')) {
      const p = filterInputProgram(fs.readFileSync(file));
      const problem = programProblem(p);
      const request = { netDir: path.join(ROOT, 'fixtures', 'basic', 'proc', 'net'), files: ['tcp'], owners: false, procRoot: '', littleEndian: true, extensions: 1, filter: { program: p } };
      if (problem === null) {
        valid++;
        expect(() => native.sample(request), path.basename(file)).not.toThrow();
      } else {
        refused++;
        expect(() => native.sample(request), path.basename(file)).toThrow(new TypeError(`sample: request.filter.program: ${problem}`));
      }
    }
    expect(valid).toBeGreaterThan(10);
    expect(refused).toBeGreaterThan(3);
  });

  it('parses every inet input identically (tcp and udp, both byte orders)', () => {
    for (const file of inputs('inet')) {
      const data = fs.readFileSync(file);
      for (const proto of ['tcp', 'udp'] as const) {
        for (const le of [true, false]) {
          sameTable(native.parseInet(data, proto, le), js.parseInet(data, proto, le), `${path.basename(file)} ${proto} le=${le}`);
        }
      }
    }
  });

  it('parses every unix input identically', () => {
    for (const file of inputs('unix')) {
      const data = fs.readFileSync(file);
      sameTable(native.parseUnix(data), js.parseUnix(data), path.basename(file));
    }
  });

  it('reads every link input identically (bytes and latin1 text)', () => {
    for (const file of inputs('link')) {
      const data = fs.readFileSync(file);
      const want = js.parseSocketLink(data);
      expect(native.parseSocketLink(data), path.basename(file)).toBe(want);
      expect(parseSocketLinkText(data.toString('latin1')), path.basename(file)).toBe(want);
    }
  });

  it('passes every corpus and regression file through the standalone harnesses (g++, ASan, UBSan)', () => {
    const gxx = spawnSync('g++', ['--version']);
    if (gxx.status !== 0) {
      console.warn('netsnap: g++ not found; the standalone fuzz drivers were not run');
      return;
    }
    const run = spawnSync('bash', [path.join(ROOT, 'scripts', 'fuzz.sh'), '--standalone'], {
      cwd: ROOT,
      env: { ...unsanitized(), NETSNAP_FUZZ_OUT: path.join(ROOT, 'build', 'fuzz-standalone') },
      encoding: 'utf8',
      timeout: 170_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect(run.status, output).toBe(0);
    for (const h of ['inet', 'unix', 'link', 'netlink', 'filter', 'btf']) expect(output).toContain(`fuzz: ${h} standalone ok`);
  }, 180_000);
});
