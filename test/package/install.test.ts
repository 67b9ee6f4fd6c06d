// The package as users get it: `npm pack` (prepack builds dist/ and the prebuilt addon), then a fresh
// project installs the tarball with install scripts off (`--ignore-scripts`, what npm 11 does by
// default for a dependency not on its allow list). The addon must come from the prebuild inside the
// tarball: no compiler, no download, no install step. The packing runs in a staging copy of this
// checkout, so the dist/ and build/ that the other tests use are never rewritten under them.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const ARCH = os.arch();
const PREBUILD = `prebuilds/linux-${ARCH}/netsnap.glibc.node`;

function run(cmd: string, args: string[], cwd: string, timeoutMs = 300_000): SpawnSyncReturns<string> {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', timeout: timeoutMs, maxBuffer: 64 << 20, env: { ...process.env, NETSNAP_BACKEND: '', NETSNAP_ADDON: '' } });
  if (r.error) throw new Error(`${cmd} ${args.join(' ')}: ${r.error.message}`);
  return r;
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}:\n${r.stdout}\n${r.stderr}`.slice(-4000));
  return r.stdout;
}

/** The checkout's files as git sees them (tracked, plus new files not ignored), copied to `dir`. */
function stageCheckout(dir: string): void {
  const listed = ok(run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], ROOT), 'git ls-files');
  const files = listed.split('\0').filter((f) => f !== '' && fs.existsSync(path.join(ROOT, f)));
  expect(files).toContain('package.json');
  for (const f of files) {
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
}

let tmp = '';
let tarball = '';
let packed: string[] = [];
let project = '';
let installed = '';

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-install-'));
  const stage = path.join(tmp, 'stage');
  const out = path.join(tmp, 'out');
  fs.mkdirSync(stage);
  fs.mkdirSync(out);
  stageCheckout(stage);
  // npm pack's JSON goes to stdout after what the lifecycle scripts print there.
  const stdout = ok(run('npm', ['pack', '--json', '--pack-destination', out], stage, 900_000), 'npm pack');
  const report = JSON.parse(stdout.slice(stdout.indexOf('\n[') + 1)) as Array<{ filename: string; files: Array<{ path: string }> }>;
  tarball = path.join(out, report[0]!.filename);
  packed = report[0]!.files.map((f) => f.path);
  expect(fs.existsSync(tarball)).toBe(true);
  // postpack removed the staging copy's prebuilds/: a checkout never keeps a stale prebuild.
  expect(fs.existsSync(path.join(stage, 'prebuilds'))).toBe(false);

  project = path.join(tmp, 'project');
  fs.mkdirSync(project);
  fs.writeFileSync(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true }));
  ok(run('npm', ['install', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball], project), 'npm install');
  installed = path.join(project, 'node_modules', 'netsnap');
}, 1_200_000);

afterAll(() => {
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('the packed tarball', () => {
  it('holds what users need and nothing of the tests, fixtures, fuzzers or benchmarks', () => {
    for (const f of ['package.json', 'README.md', 'LICENSE', 'binding.gyp', 'dist/index.js', 'dist/index.d.ts', 'dist/cli/main.js',
      'dist/report/index.js', 'man/netsnap.1', 'native/module.cc', 'native/recycle.h', 'scripts/install-native.js', 'schema/netsnap-v1.schema.json', PREBUILD]) {
      expect(packed).toContain(f);
    }
    const stray = packed.filter((f) => /^(test|fixtures|bench|docs|\.ci|src|native\/fuzz)\//.test(f) || /\.test\.|\.tsbuildinfo$|^\.vitest/.test(f));
    expect(stray).toEqual([]);
    // Only the prebuild and the sources a source build needs are binary or C++.
    expect(packed.filter((f) => f.endsWith('.node'))).toEqual([PREBUILD]);
  });

  it('installs without scripts: the addon is the prebuild, nothing was compiled', () => {
    expect(fs.existsSync(path.join(installed, PREBUILD))).toBe(true);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
    // node-gyp is not a runtime dependency (npm carries its own for source builds).
    expect(fs.existsSync(path.join(project, 'node_modules', 'node-gyp'))).toBe(false);
    expect(fs.existsSync(path.join(project, 'node_modules', 'node-gyp-build'))).toBe(true);
    const out = ok(run('npx', ['--no-install', 'netsnap', '--version'], project), 'netsnap --version');
    expect(out.split('\n')[1]).toBe(`backend: native (prebuild ${PREBUILD})`);
  });

  it('require() and import load it on the native backend, and the TypeScript types check', () => {
    const cjs = ok(run(process.execPath, ['-e', `
      const n = require('netsnap');
      const s = n.snapshot({ protocols: ['tcp'] });
      console.log(JSON.stringify({ backend: n.backendName(), tables: s.inet.map((t) => t.file) }));`], project), 'require');
    expect(JSON.parse(cjs)).toEqual({ backend: 'native', tables: ['tcp', 'tcp6'] });
    const esm = ok(run(process.execPath, ['--input-type=module', '-e', `
      import { snapshot, backendName } from 'netsnap';
      import { renderReport } from 'netsnap/report';
      console.log(JSON.stringify({ backend: backendName(), snapshot: typeof snapshot, report: typeof renderReport }));`], project), 'import');
    expect(JSON.parse(esm)).toEqual({ backend: 'native', snapshot: 'function', report: 'function' });

    const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const config = (file: string) => JSON.stringify({
      compilerOptions: { strict: true, module: 'node16', moduleResolution: 'node16', target: 'es2022', noEmit: true, types: ['node'], typeRoots: [path.join(ROOT, 'node_modules', '@types')] },
      files: [file],
    });
    fs.writeFileSync(path.join(project, 'good.ts'), [
      "import { snapshot, backendName, type Snapshot } from 'netsnap';",
      "const s: Snapshot = snapshot({ protocols: ['tcp'] });",
      'const n: number = s.inet.length;',
      "const b: 'native' | 'js' = backendName();",
      'console.log(n, b);',
    ].join('\n'));
    fs.writeFileSync(path.join(project, 'tsconfig.json'), config('good.ts'));
    ok(run(process.execPath, [tsc, '-p', 'tsconfig.json'], project), 'tsc on good.ts');
    // The types are real: a wrong use is an error.
    fs.writeFileSync(path.join(project, 'bad.ts'), "import { snapshot } from 'netsnap';\nconst x: string = snapshot().inet.length;\n");
    fs.writeFileSync(path.join(project, 'tsconfig.bad.json'), config('bad.ts'));
    const bad = run(process.execPath, [tsc, '-p', 'tsconfig.bad.json'], project);
    expect(bad.status).not.toBe(0);
    expect(bad.stdout).toContain("bad.ts(2,7): error TS2322: Type 'number' is not assignable to type 'string'.");
  });

  it('npx netsnap -tan lists a listener this test opens', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as net.AddressInfo).port;
      const out = ok(run('npx', ['--no-install', 'netsnap', '-tan'], project), 'npx netsnap -tan');
      expect(out.startsWith('Active Internet connections (servers and established)\n')).toBe(true);
      const line = out.split('\n').find((l) => l.includes(`127.0.0.1:${port} `));
      expect(line).toMatch(new RegExp(`^tcp +0 +0 127\\.0\\.0\\.1:${port} +0\\.0\\.0\\.0:\\* +LISTEN *$`));
    } finally {
      server.close();
    }
  });

  it('a global install puts netsnap on the PATH and its manual page in the man path', () => {
    const prefix = path.join(tmp, 'global');
    ok(run('npm', ['install', '--global', '--prefix', prefix, '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund', tarball], tmp), 'npm install -g');
    const page = path.join(prefix, 'share', 'man', 'man1', 'netsnap.1');
    expect(fs.realpathSync(page)).toBe(path.join(prefix, 'lib', 'node_modules', 'netsnap', 'man', 'netsnap.1'));
    expect(fs.readFileSync(page, 'utf8')).toContain('.TH NETSNAP 1');
    const out = ok(run(path.join(prefix, 'bin', 'netsnap'), ['--version'], tmp), 'netsnap --version (global)');
    expect(out.split('\n')[1]).toBe(`backend: native (prebuild ${PREBUILD})`);
  });

  it('with install scripts on, the install step finds the prebuild and compiles nothing', () => {
    const out = ok(run(process.execPath, ['scripts/install-native.js'], installed), 'install-native.js');
    expect(out).toBe(`netsnap: using the prebuilt addon (prebuild ${PREBUILD}).\n`);
    expect(fs.existsSync(path.join(installed, 'build'))).toBe(false);
  });

  it('the prebuild needs no C++ runtime of the machine, and glibc no newer than docs/INSTALL.md states', () => {
    const file = path.join(installed, PREBUILD);
    const dynamic = ok(run('readelf', ['-d', '-W', file], project), 'readelf');
    const needed = [...dynamic.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
    expect(needed.filter((n) => /stdc\+\+/.test(n!))).toEqual([]);
    expect(needed).toContain('libc.so.6');
    const symbols = ok(run('objdump', ['-T', file], project), 'objdump');
    const versions = [...new Set([...symbols.matchAll(/\bGLIBC_(\d+)\.(\d+)\b/g)].map((m) => [Number(m[1]), Number(m[2])] as const))];
    const newest = versions.sort((a, b) => a[0] - b[0] || a[1] - b[1]).at(-1)!;
    const stated = /\*\*glibc floor\*\* is \*\*(\d+)\.(\d+)\*\*/.exec(fs.readFileSync(path.join(ROOT, 'docs', 'INSTALL.md'), 'utf8'));
    expect(stated).not.toBeNull();
    expect(`${newest[0]}.${newest[1]}`).toBe(`${stated![1]}.${stated![2]}`);
  });
});
