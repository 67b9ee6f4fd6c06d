// The C++ check programs of test/native/: each is built with g++ (with the sanitizers asked, the
// library's assertions on, warnings shown) and run; it prints "NAME pass" per check and "ok" last,
// and anything on stderr is a failure. Tests compare the lines they print and their exit status.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect } from 'vitest';

export interface NativeCheck {
  /** The program: test/native/NAME.cc. */
  name: string;
  /** Files of native/ it links, without the extension (e.g. ['table', 'net_inet']). */
  native?: string[];
  /** -fsanitize=...: 'address,undefined' (default) or 'undefined' (ASan turns the recycle pool off). */
  sanitize?: string;
  /** -D options, e.g. ['NETSNAP_RECYCLE_SECONDS=1']. */
  defines?: string[];
}

/** Builds and runs test/native/NAME.cc; returns the lines it printed once its build and run were clean. */
export function runNativeCheck(check: NativeCheck): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-${check.name}-`));
  try {
    const exe = path.join(dir, check.name);
    const sources = [`test/native/${check.name}.cc`, ...(check.native ?? []).map((f) => `native/${f}.cc`)];
    const sanitize = check.sanitize ?? 'address,undefined';
    const cc = spawnSync('g++', ['-std=c++17', '-O1', '-g', '-pthread', '-fno-exceptions', `-fsanitize=${sanitize}`, '-fno-sanitize-recover=all',
      '-D_GLIBCXX_ASSERTIONS', ...(check.defines ?? []).map((d) => `-D${d}`), '-Inative', ...sources, '-o', exe], { encoding: 'utf8', timeout: 300_000 });
    expect(cc.stderr).toBe('');
    expect(cc.status).toBe(0);
    const run = spawnSync(exe, [], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=1' } });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    return run.stdout.trim().split('\n');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
