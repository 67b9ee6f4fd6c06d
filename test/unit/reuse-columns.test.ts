// A lent table's netlink columns are taken back only where they fit and where no other lent memory
// of the request overlaps them: test/native/reuse_columns_test.cc drives fill_reused_columns()
// (native/table.h), built here with g++ under ASan and UBSan. The live behaviour, through the addon,
// is in test/parity/netlink-extensions.test.ts.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-reuse-columns-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('netlink columns filled into a lent table (fill_reused_columns)', () => {
  it('go where they fit, never where the lent memory is too small, absent, or overlaps other lent memory', () => {
    const exe = path.join(dir, 'reuse_columns_test');
    const sources = ['test/native/reuse_columns_test.cc', ...['tcp_info', 'table', 'net_inet', 'net_unix', 'filter'].map((f) => `native/${f}.cc`)];
    const cc = spawnSync('g++', ['-std=c++17', '-O1', '-g', '-pthread', '-fno-exceptions', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
      '-D_GLIBCXX_ASSERTIONS', '-Inative', ...sources, '-o', exe], { encoding: 'utf8', timeout: 300_000 });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1' } });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual(['fits pass', 'too-small pass', 'partly pass', 'lent-twice pass', 'overlaps-other-table pass', 'nothing pass', 'moved pass', 'ok']);
    expect(run.status).toBe(0);
  });
});
