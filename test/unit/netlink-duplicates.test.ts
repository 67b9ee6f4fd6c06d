// A socket a netlink dump lists twice (inet_diag resumes by hash-bucket position, so churn can shift
// one into a second listing) is taken once: test/native/diag_dedupe_test.cc drives
// parse_diag_messages() with the dump's cookie set, built here with g++ under ASan and UBSan.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { problemReason } from '../../src/model/contract';
import { problemText } from '../../src/model/snapshot';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-dedupe-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('duplicate sockets in a netlink dump', () => {
  it('the second listing is dropped, counted and noted as a problem with its record number', () => {
    const exe = path.join(dir, 'diag_dedupe_test');
    const sources = ['test/native/diag_dedupe_test.cc', ...['netlink_diag', 'tcp_info', 'table', 'net_inet', 'net_unix', 'filter'].map((f) => `native/${f}.cc`)];
    const cc = spawnSync('g++', ['-std=c++17', '-O1', '-g', '-pthread', '-fno-exceptions', '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
      '-D_GLIBCXX_ASSERTIONS', '-Inative', ...sources, '-o', exe], { encoding: 'utf8', timeout: 300_000 });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1' } });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim().split('\n')).toEqual(['second-listing-dropped pass', 'no-cookie-kept pass', 'unchecked-without-set pass', 'grows pass', 'reset-forgets pass', 'ok']);
    expect(run.status).toBe(0);
  });

  it('is reported as a netlink record, not as a /proc line', () => {
    expect(problemReason(16)).toBe('socket listed twice by the netlink dump (sockets moved during it); the second listing was dropped');
    expect(problemText({ file: '/proc/net/tcp', line: 1234, code: 16, reason: problemReason(16) }))
      .toBe('/proc/net/tcp (netlink dump): record 1234 skipped: socket listed twice by the netlink dump (sockets moved during it); the second listing was dropped');
    expect(problemText({ file: '/proc/net/tcp', line: 7, code: 6, reason: problemReason(6) })).toBe('/proc/net/tcp:7: line skipped: bad state');
  });
});
