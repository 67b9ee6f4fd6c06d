// native/recycle.h (the pool of big column blocks a sampler's ticks reuse) built on its own with
// g++ and run: every check it prints must pass. Built with UBSan and the library's assertions;
// without ASan, which turns the pool off (so that a use after free of a column stays visible to it).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-recycle-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the recycling pool of column memory (native/recycle.h)', () => {
  it('keeps big blocks and hands them out again where they fit, capped, expiring, thread-safe', () => {
    const exe = path.join(dir, 'recycle_test');
    const cc = spawnSync('g++', ['-std=c++17', '-O1', '-g', '-pthread', '-fsanitize=undefined', '-fno-sanitize-recover=all', '-D_GLIBCXX_ASSERTIONS',
      '-DNETSNAP_RECYCLE_SECONDS=1', '-Inative', 'test/native/recycle_test.cc', '-o', exe], { encoding: 'utf8', timeout: 120_000 });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    const lines = run.stdout.trim().split('\n');
    expect(lines).toEqual([
      'kept pass', 'reused-when-it-fits pass', 'kept-as-asked pass', 'not-reused-when-too-big pass', 'not-reused-when-too-small pass',
      'drained pass', 'small-not-kept pass', 'capped pass', 'expired pass', 'column-contents pass', 'threads pass', 'ok',
    ]);
    expect(run.status).toBe(0);
  });
});
