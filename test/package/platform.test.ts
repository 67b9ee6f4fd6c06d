// Not Linux: the package installs and imports (types and all), and what needs /proc or netlink fails
// with one clear NetsnapError. The other platform is simulated by a preload that sets
// process.platform before netsnap loads (the only way to run a darwin code path on this machine).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-platform-'));
const preload = path.join(dir, 'darwin.js');
fs.writeFileSync(preload, "Object.defineProperty(process, 'platform', { value: 'darwin' });\n");

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function node(args: string[]) {
  return spawnSync(process.execPath, ['--require', preload, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, NETSNAP_BACKEND: '' } });
}

describe('on another platform (darwin)', () => {
  it('the library imports, and snapshot() throws ERR_UNSUPPORTED_PLATFORM', () => {
    const r = node(['-e', `
      const n = require('./dist/index.js');
      const out = { exports: typeof n.snapshot === 'function' && typeof n.createSampler === 'function' };
      try { n.snapshot(); out.threw = false; } catch (e) { out.name = e.name; out.code = e.code; out.message = e.message; out.isNetsnap = e instanceof n.NetsnapError; }
      console.log(JSON.stringify(out));`]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      exports: true, name: 'NetsnapError', code: 'ERR_UNSUPPORTED_PLATFORM', isNetsnap: true,
      message: 'netsnap reads Linux /proc and netlink; this is darwin',
    });
  });

  it('the CLI prints one line and exits 1 in every mode; --version and --help still answer', () => {
    for (const args of [['-tan'], ['-r'], ['-i'], ['-s'], ['-g'], ['-y'], ['serve', '--listen', '127.0.0.1:0'], ['top', '--ndjson', '--count', '1'], ['events', '--count', '1']]) {
      const r = node(['dist/cli/main.js', ...args]);
      expect({ args, status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
        args, status: 1, stdout: '', stderr: 'netsnap: netsnap reads Linux /proc and netlink; this is darwin\n',
      });
    }
    const v = node(['dist/cli/main.js', '--version']);
    expect(v.status).toBe(0);
    expect(v.stdout.split('\n')[1]).toBe('backend: none (netsnap reads Linux /proc and netlink; this is darwin)');
    const h = node(['dist/cli/main.js', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout.startsWith('usage: netsnap')).toBe(true);
  });

  it('the install step builds nothing and says why', () => {
    const r = node(['scripts/install-native.js']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('netsnap: native addon not built (netsnap reads Linux /proc and netlink; this is darwin); the TypeScript backend will be used.\n');
  });
});
