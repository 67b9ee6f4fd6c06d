// The addon loader's order and its reasons, on package roots this test lays out: a prebuild, else
// an addon built from source, else none (the TypeScript backend), each candidate tried for real.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { addonCandidates, loadNativeFrom } from '../../src/backends/native';

const ROOT = path.resolve(__dirname, '..', '..');
const BUILT = path.join(ROOT, 'build', 'Release', 'netsnap.node');
const ARCH = os.arch();
const roots: string[] = [];

/** A package root with the given files: a path ending in .node gets `content` (the real addon by default). */
function layout(files: Record<string, 'addon' | string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-loader-'));
  roots.push(root);
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    if (content === 'addon') fs.copyFileSync(BUILT, path.join(root, rel));
    else fs.writeFileSync(path.join(root, rel), content);
  }
  return root;
}

afterAll(() => {
  for (const r of roots) fs.rmSync(r, { recursive: true, force: true });
});

describe('addon loader', () => {
  it('has the addon this checkout built to copy', () => {
    expect(fs.existsSync(BUILT)).toBe(true);
  });

  it('takes a matching prebuild first, before a local build', () => {
    const root = layout({ [`prebuilds/linux-${ARCH}/netsnap.glibc.node`]: 'addon', 'build/Release/netsnap.node': 'addon' });
    const { candidates } = addonCandidates({ root, forced: '' });
    expect(candidates.map((c) => [path.relative(root, c.path), c.kind])).toEqual([
      [`prebuilds/linux-${ARCH}/netsnap.glibc.node`, 'prebuild'],
      ['build/Release/netsnap.node', 'build'],
    ]);
    const loaded = loadNativeFrom({ root, forced: '' });
    expect(loaded.ok).toBe(true);
    if (!loaded.ok) return;
    expect(loaded.kind).toBe('prebuild');
    expect(loaded.reason).toBe(`prebuild prebuilds/linux-${ARCH}/netsnap.glibc.node`);
    // It is a working addon: a /proc/net line parses.
    const line = Buffer.from('  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n' +
      '   0: 0100007F:0050 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n');
    expect(loaded.backend.parseInet(line, 'tcp', true).count).toBe(1);
  });

  it('skips prebuilds of another libc or platform, and files that are not prebuilds', () => {
    const root = layout({
      [`prebuilds/linux-${ARCH}/netsnap.musl.node`]: 'addon',
      [`prebuilds/darwin-${ARCH}/netsnap.node`]: 'addon',
      [`prebuilds/linux-${ARCH}/README.txt`]: 'not an addon',
      'build/Release/netsnap.node': 'addon',
    });
    const loaded = loadNativeFrom({ root, forced: '' });
    expect(loaded.ok && loaded.kind).toBe('build');
    expect(loaded.reason).toBe(`built from source: build/Release/netsnap.node; no prebuild for linux-${ARCH}`);
  });

  it('goes on to the local build when the prebuild does not load, and says why', () => {
    const root = layout({ [`prebuilds/linux-${ARCH}/netsnap.glibc.node`]: 'garbage, not ELF\n'.repeat(100), 'build/Release/netsnap.node': 'addon' });
    const loaded = loadNativeFrom({ root, forced: '' });
    expect(loaded.ok && loaded.kind).toBe('build');
    const file = path.join(root, `prebuilds/linux-${ARCH}/netsnap.glibc.node`);
    expect(loaded.reason).toBe(`built from source: build/Release/netsnap.node; prebuild prebuilds/linux-${ARCH}/netsnap.glibc.node failed to load: ${file}: invalid ELF header`);
  });

  it('a shared library that is not a Node addon (dlopen succeeds, nothing registers) is a failed candidate', () => {
    const other = spawnSync('sh', ['-c', 'ls /usr/lib/x86_64-linux-gnu/libz.so.1 /lib/x86_64-linux-gnu/libz.so.1 2>/dev/null | head -1'], { encoding: 'utf8' }).stdout.trim();
    expect(other).not.toBe('');
    const root = layout({});
    fs.mkdirSync(path.join(root, 'build', 'Release'), { recursive: true });
    fs.copyFileSync(other, path.join(root, 'build', 'Release', 'netsnap.node'));
    const loaded = loadNativeFrom({ root, forced: '' });
    expect(loaded.ok).toBe(false);
    expect(loaded.reason).toMatch(new RegExp(`^build build/Release/netsnap\\.node failed to load: .*, no prebuild for linux-${ARCH}$`));
  });

  it('with nothing to load, says what is missing', () => {
    expect(loadNativeFrom({ root: layout({}), forced: '' })).toEqual({ ok: false, tried: [], reason: `no prebuild for linux-${ARCH}, not built` });
    expect(loadNativeFrom({ root: layout({}), forced: '', arch: 'riscv64' }).reason).toBe('no prebuild for linux-riscv64, not built');
  });

  it('NETSNAP_ADDON names the only candidate: a missing file is not replaced by another build', () => {
    const root = layout({ [`prebuilds/linux-${ARCH}/netsnap.glibc.node`]: 'addon', 'build/Release/netsnap.node': 'addon' });
    const forced = path.join(root, 'nowhere.node');
    const loaded = loadNativeFrom({ root, forced });
    expect(loaded).toEqual({ ok: false, tried: [`${forced}: not found`], reason: `NETSNAP_ADDON=${forced} not found` });
  });

  it('the CLI says which addon it runs (NETSNAP_ADDON points it at a copy)', () => {
    const root = layout({ 'elsewhere/netsnap.node': 'addon' });
    const file = path.join(root, 'elsewhere/netsnap.node');
    const r = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), '--version'], { encoding: 'utf8', env: { ...process.env, NETSNAP_ADDON: file, NETSNAP_BACKEND: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n')[1]).toBe(`backend: native (NETSNAP_ADDON=${file})`);
    const none = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), '--version'], { encoding: 'utf8', env: { ...process.env, NETSNAP_ADDON: path.join(root, 'gone.node'), NETSNAP_BACKEND: '' } });
    expect(none.stdout.split('\n')[1]).toBe(`backend: js (NETSNAP_ADDON=${path.join(root, 'gone.node')} not found)`);
    const required = spawnSync(process.execPath, [path.join(ROOT, 'dist/cli/main.js'), '-tan'], { encoding: 'utf8', env: { ...process.env, NETSNAP_ADDON: path.join(root, 'gone.node'), NETSNAP_BACKEND: 'native' } });
    expect(required.status).toBe(1);
    expect(required.stderr).toContain(`the native backend was requested but could not be loaded (NETSNAP_ADDON=${path.join(root, 'gone.node')} not found)`);
  });
});
