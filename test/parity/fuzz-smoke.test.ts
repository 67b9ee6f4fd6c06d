// A short run of every libFuzzer harness (native/fuzz/, scripts/fuzz.sh): builds them with clang
// (installed with apt-get when missing) and fuzzes each for 15 s from its seed corpus and the
// regressions. Each must run and find nothing. Skips, loudly, only when clang with libFuzzer cannot
// be had (fuzz.sh exit status 3). The long runs are in test/FUZZING.md, never in npm test.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env';

// Under npm run test:sanitized the environment preloads gcc's ASan runtime for Node; compilers and
// fuzzers (clang's own runtime) must not inherit it.
function unsanitized(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ['LD_PRELOAD', 'ASAN_OPTIONS', 'UBSAN_OPTIONS']) delete env[k];
  return env;
}

const HARNESSES = ['inet', 'unix', 'link', 'netlink', 'filter', 'format', 'detail', 'btf'];
const SECONDS = 15;
const OUT = path.join(ROOT, 'build', 'fuzz-smoke');

describe('fuzz smoke (libFuzzer, ASan, UBSan)', () => {
  it(`runs every harness for ${SECONDS} s without a crash`, (ctx) => {
    // A fresh scratch corpus, so each smoke starts from the repository's seeds alone.
    fs.rmSync(OUT, { recursive: true, force: true });
    const run = spawnSync('bash', [path.join(ROOT, 'scripts', 'fuzz.sh'), '--seconds', String(SECONDS)], {
      cwd: ROOT,
      env: { ...unsanitized(), NETSNAP_FUZZ_OUT: OUT },
      encoding: 'utf8',
      timeout: 260_000,
    });
    const output = `${run.stdout}\n${run.stderr}`;
    if (run.status === 3) {
      console.warn(`netsnap: fuzz smoke SKIPPED: clang with libFuzzer is not available.\n${run.stderr}`);
      ctx.skip();
    }
    expect(run.error, output).toBeUndefined();
    expect(run.status, output).toBe(0);
    for (const h of HARNESSES) {
      const line = output.split('\n').find((l) => l.startsWith(`fuzz: ${h} execs=`));
      expect(line, `${h}: no summary line\n${output}`).toBeDefined();
      const execs = Number(/execs=(\d+)/.exec(line!)?.[1] ?? 0);
      expect(execs, line).toBeGreaterThan(0);
      expect(line, output).toMatch(/crashes=0 exit=0$/);
    }
    const crashes = fs.existsSync(path.join(OUT, 'crashes')) ? fs.readdirSync(path.join(OUT, 'crashes')) : [];
    expect(crashes).toEqual([]);
  }, 270_000);
});
