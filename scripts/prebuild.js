#!/usr/bin/env node
'use strict';
// Builds the prebuilt addon that travels in the package: prebuilds/<platform>-<arch>/netsnap.<libc>.node
// (prebuildify's layout, which node-gyp-build's tag matching reads; src/backends/native.ts loads it).
// npm pack runs it (prepack); by hand:
//
//   node scripts/prebuild.js                      # this machine: linux-x64, glibc
//   CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ \
//     node scripts/prebuild.js --arch arm64 --strip-bin aarch64-linux-gnu-strip
//                                                 # linux-arm64 with Debian's cross toolchain
//                                                 # (apt-get install g++-aarch64-linux-gnu)
//
// Arguments go to prebuildify after `--napi --strip --tag-libc`. The build runs in a staging copy
// of binding.gyp and native/, so build/ (the addon of this checkout) stays as it is; libstdc++ is
// linked statically (binding.gyp), so the binary needs only glibc (docs/INSTALL.md: its floor).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-prebuild-'));
try {
  for (const f of ['binding.gyp', 'package.json']) fs.copyFileSync(path.join(root, f), path.join(stage, f));
  fs.cpSync(path.join(root, 'native'), path.join(stage, 'native'), {
    recursive: true,
    filter: (src) => !src.startsWith(path.join(root, 'native', 'fuzz')),
  });
  fs.symlinkSync(path.join(root, 'node_modules'), path.join(stage, 'node_modules'));
  const prebuildify = require.resolve('prebuildify/bin.js', { paths: [root] });
  // --target: the running Node, whose headers are on this machine (Node-API makes the binary valid for
  // every later Node); prebuildify would otherwise fetch the newest release's headers.
  const args = [prebuildify, '--napi', '--strip', '--tag-libc', '--target', process.versions.node, '--cwd', stage, ...process.argv.slice(2)];
  // Node's own headers where its install has them (/usr/include/node of a distribution's package,
  // as npm's `nodedir` points node-gyp at them), instead of a download.
  const env = { ...process.env };
  const prefix = path.resolve(path.dirname(process.execPath), '..');
  if (!env.npm_config_nodedir && fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) env.npm_config_nodedir = prefix;
  const r = spawnSync(process.execPath, args, { cwd: stage, env, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) {
    process.stderr.write(`${r.stdout ?? ''}${r.stderr ?? ''}`.split('\n').slice(-40).join('\n'));
    console.error(`prebuild: prebuildify failed (${r.error ? r.error.message : `exit status ${r.status}`})`);
    process.exit(1);
  }
  const out = path.join(stage, 'prebuilds');
  for (const dir of fs.readdirSync(out)) {
    fs.mkdirSync(path.join(root, 'prebuilds', dir), { recursive: true });
    for (const f of fs.readdirSync(path.join(out, dir))) {
      fs.copyFileSync(path.join(out, dir, f), path.join(root, 'prebuilds', dir, f));
      console.error(`prebuild: prebuilds/${dir}/${f}`);
    }
  }
} finally {
  fs.rmSync(stage, { recursive: true, force: true });
}
