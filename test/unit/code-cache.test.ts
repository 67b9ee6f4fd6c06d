// The command's start (src/cli/main.ts): the bundle and the modules print the same bytes, the code
// cache is written by a first run and taken by the next, and only a cache file this user alone
// could have written is ever read (src/cli/code_cache.ts).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleFor, FULL_BUNDLE_SUBCOMMANDS } from '../../src/cli/bundles';
import { cacheFileName, codeCacheDir, readCodeCache, writeCodeCache } from '../../src/cli/code_cache';
import { BASIC, CLI, ROOT } from '../helpers/env';

const MODULES = path.join(ROOT, 'dist', 'cli', 'cli.js');
const root = process.geteuid?.() === 0;

function run(file: string, args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [file, ...args], { encoding: 'latin1', env: { ...process.env, LANG: 'C', ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('the command: one bundle through the code cache', () => {
  let home: string;
  beforeAll(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-cache-'));
  });
  afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

  it('the bundles are there and print what the modules print, byte for byte', () => {
    expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'cli.bundle.js'))).toBe(true);
    expect(fs.existsSync(path.join(ROOT, 'dist', 'cli', 'listing.bundle.js'))).toBe(true);
    const env = { XDG_CACHE_HOME: path.join(home, 'same') };
    for (const args of [['-tanep', '--proc-root', BASIC], ['-xa', '--proc-root', BASIC], ['--json', '-tuna', '--proc-root', BASIC],
      ['--summary', '--proc-root', BASIC], ['--help'], ['-tan', 'dport', '='], ['--bogus'], ['completion', 'bash'], ['top', '--help']]) {
      // The JSON document's time of the sample aside.
      const noTime = (r: ReturnType<typeof run>) => ({ ...r, stdout: r.stdout.replace(/"takenAt":"[^"]+"/g, '"takenAt":""') });
      const a = noTime(run(CLI, args, env));
      const b = noTime(run(MODULES, args, env));
      expect(a.stdout.length + a.stderr.length, args.join(' ')).toBeGreaterThan(0);
      expect(a, args.join(' ')).toEqual(b);
    }
  });

  it('a first run writes the cache (0600 in a 0700 directory), the next uses it', () => {
    const env = { XDG_CACHE_HOME: path.join(home, 'xdg'), NODE_DEBUG: 'netsnap' };
    const first = run(CLI, ['-tan', '--proc-root', BASIC], env);
    expect(first.status).toBe(0);
    expect(first.stderr).toMatch(/code cache .*\/xdg\/netsnap\/listing-[0-9a-f]{8}-v[\d.]+-\w+-\d+-\d+\.v8: none\n/);
    const dir = path.join(home, 'xdg', 'netsnap');
    const files = fs.readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    expect(fs.statSync(path.join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.join(dir, files[0]!)).size).toBeGreaterThan(10_000);
    const second = run(CLI, ['-tan', '--proc-root', BASIC], env);
    expect(second.stderr).toMatch(/code cache .*: used\n/);
    expect(second.stdout).toBe(first.stdout);
    // Off: no cache read or written.
    const off = run(CLI, ['-tan', '--proc-root', BASIC], { ...env, NETSNAP_CODE_CACHE: '0' });
    expect(off.stderr).toMatch(/code cache \(off\): none\n/);
    expect(off.stdout).toBe(first.stdout);
  });

  it('a cache V8 does not take (another build\'s bytes) is rejected, rewritten, and the output is the same', () => {
    const env = { XDG_CACHE_HOME: path.join(home, 'bad'), NODE_DEBUG: 'netsnap' };
    run(CLI, ['-tan', '--proc-root', BASIC], env);
    const dir = path.join(home, 'bad', 'netsnap');
    const file = path.join(dir, fs.readdirSync(dir)[0]!);
    const good = fs.readFileSync(file);
    const bad = Buffer.from(good);
    for (let i = 0; i < 64; i++) bad[i] = bad[i]! ^ 0x5a;
    fs.writeFileSync(file, bad);
    const r = run(CLI, ['-tan', '--proc-root', BASIC], env);
    expect(r.stderr).toMatch(/code cache .*: rejected\n/);
    expect(r.stdout).toBe(run(MODULES, ['-tan', '--proc-root', BASIC], {}).stdout);
    expect(run(CLI, ['-tan', '--proc-root', BASIC], env).stderr).toMatch(/: used\n/);
  });

  it('a listing runs the listing bundle, which leaves the full bundle\'s subcommands out; those run the full one', () => {
    for (const args of [['-tan'], ['--json'], ['-s'], [], ['servers']]) expect(bundleFor(args), args.join(' ')).toBe('listing.bundle.js');
    for (const sub of ['serve', 'record', 'report', 'events', 'top', 'completion']) expect(bundleFor([sub, '--help'])).toBe('cli.bundle.js');
    // The list is cli.ts's own: every subcommand it dispatches on argv[0], and no other.
    const cliSource = fs.readFileSync(path.join(ROOT, 'src', 'cli', 'cli.ts'), 'utf8');
    const dispatched = [...cliSource.matchAll(/argv\[0\] === '([a-z]+)'/g)].map((m) => m[1]);
    expect([...FULL_BUNDLE_SUBCOMMANDS].sort()).toEqual(dispatched.sort());
    // What only serve loads (prom-client) is in the full bundle alone.
    const read = (f: string) => fs.readFileSync(path.join(ROOT, 'dist', 'cli', f), 'latin1');
    expect(read('cli.bundle.js')).toContain('prom-client');
    expect(read('listing.bundle.js')).not.toContain('prom-client');
    // Both are ASCII: main.ts reads them as latin1.
    for (const f of ['cli.bundle.js', 'listing.bundle.js']) expect(/[^\x00-\x7f]/.test(read(f)), f).toBe(false);
    const env = { XDG_CACHE_HOME: path.join(home, 'two'), NODE_DEBUG: 'netsnap' };
    const completion = run(CLI, ['completion', 'bash'], env);
    expect(completion.status).toBe(0);
    expect(completion.stderr).toMatch(/code cache .*\/two\/netsnap\/cli-[0-9a-f]{8}-v[\d.]+-\w+-\d+-\d+\.v8: none\n/);
    expect(run(CLI, ['-tan', '--proc-root', BASIC], env).stderr).toMatch(/\/listing-[0-9a-f]{8}-v[^:]*: none\n/);
    // Each keeps its own cache.
    expect(fs.readdirSync(path.join(home, 'two', 'netsnap')).map((f) => f.split('-')[0]).sort()).toEqual(['cli', 'listing']);
    expect(run(CLI, ['completion', 'bash'], env).stderr).toMatch(/: used\n/);
  });

  it('cacheFileName: the bundle and its folder (two installs, two caches), Node, and the build', () => {
    const a = cacheFileName('/opt/a/dist/cli/listing.bundle.js', 1234, 5678.9);
    expect(a.family).toMatch(/^listing-[0-9a-f]{8}$/);
    expect(a.name).toBe(`${a.family}-${process.version}-${process.arch}-1234-5678.v8`);
    expect(cacheFileName('/opt/a/dist/cli/listing.bundle.js', 1, 2).family).toBe(a.family);
    expect(cacheFileName('/opt/b/dist/cli/listing.bundle.js', 1234, 5678.9).family).not.toBe(a.family);
    expect(cacheFileName('/opt/a/dist/cli/cli.bundle.js', 1234, 5678.9).family).toBe(a.family.replace('listing', 'cli'));
  });

  it('codeCacheDir: XDG_CACHE_HOME, else ~/.cache; nothing for a relative path, no home, or NETSNAP_CODE_CACHE=0', () => {
    expect(codeCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/a' })).toBe('/x/cache/netsnap');
    expect(codeCacheDir({ HOME: '/home/a' })).toBe('/home/a/.cache/netsnap');
    expect(codeCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '' })).toBeNull();
    expect(codeCacheDir({})).toBeNull();
    expect(codeCacheDir({ HOME: '/home/a', NETSNAP_CODE_CACHE: '0' })).toBeNull();
  });

  it('readCodeCache reads only a regular file of this user that no one else may write, in a directory the same', () => {
    const dir = fs.mkdtempSync(path.join(home, 'r-'));
    fs.chmodSync(dir, 0o700);
    const file = path.join(dir, 'cli-x.v8');
    fs.writeFileSync(file, 'abc', { mode: 0o600 });
    expect(readCodeCache(file)?.toString()).toBe('abc');
    fs.chmodSync(file, 0o620);
    expect(readCodeCache(file)).toBeUndefined();
    fs.chmodSync(file, 0o600);
    fs.chmodSync(dir, 0o777);
    expect(readCodeCache(file)).toBeUndefined();
    fs.chmodSync(dir, 0o700);
    const link = path.join(dir, 'cli-link.v8');
    fs.symlinkSync(file, link);
    expect(readCodeCache(link)).toBeUndefined();
    expect(readCodeCache(path.join(dir, 'missing.v8'))).toBeUndefined();
    if (root) {
      fs.chownSync(file, 65534, 65534);
      expect(readCodeCache(file)).toBeUndefined();
    }
  });

  it('writeCodeCache: private directory and file, other builds\' caches removed, other files kept', () => {
    const dir = path.join(home, 'w', 'netsnap');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'cli-1234abcd-old.v8'), 'old');
    fs.writeFileSync(path.join(dir, 'cli-99999999-old.v8'), 'another install');
    fs.writeFileSync(path.join(dir, 'listing-1234abcd-old.v8'), 'the other bundle');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'keep');
    writeCodeCache(path.join(dir, 'cli-1234abcd-new.v8'), Buffer.from('new'), 'cli-1234abcd');
    expect(fs.readdirSync(dir).sort()).toEqual(['cli-1234abcd-new.v8', 'cli-99999999-old.v8', 'listing-1234abcd-old.v8', 'notes.txt']);
    expect(fs.readFileSync(path.join(dir, 'cli-1234abcd-new.v8'), 'utf8')).toBe('new');
    // A directory that cannot be made: no cache, no throw.
    fs.writeFileSync(path.join(home, 'w', 'file'), '');
    expect(() => writeCodeCache(path.join(home, 'w', 'file', 'netsnap', 'cli-a.v8'), Buffer.from('a'), 'cli')).not.toThrow();
  });
});
