#!/usr/bin/env node
'use strict';
// At install time: nothing to do where a prebuilt addon for this machine loads (the package carries
// prebuilds/<platform>-<arch>/); else builds the addon from source with node-gyp (npm's own, as
// npm_config_node_gyp, when the package's devDependency is not there). A failed build is not a
// failed install: netsnap then runs on its TypeScript backend, and we say so in one line.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const addon = path.join(root, 'build', 'Release', 'netsnap.node');
const log = path.join(root, 'build', 'install-native.log');

function fallback(reason) {
  console.log(`netsnap: native addon not built (${reason}); the TypeScript backend will be used.`);
  process.exit(0);
}

if (process.argv.includes('--if-missing') && fs.existsSync(addon)) process.exit(0);
if (process.env.NETSNAP_SKIP_NATIVE === '1') fallback('NETSNAP_SKIP_NATIVE=1');
if (process.platform !== 'linux') fallback(`netsnap reads Linux /proc and netlink; this is ${process.platform}`);

// The loader of the installed package (dist/ is in the tarball; a fresh checkout has none yet and
// builds from source). A prebuild that loads here is what netsnap will load at run time.
let loader = null;
try {
  loader = require(path.join(root, 'dist', 'backends', 'native.js'));
} catch {
  loader = null;
}
if (loader !== null && !process.argv.includes('--if-missing')) {
  const loaded = loader.loadNativeFrom({ root, forced: '' });
  if (loaded.ok && loaded.kind === 'prebuild') {
    console.log(`netsnap: using the prebuilt addon (${loaded.reason}).`);
    process.exit(0);
  }
}

let gyp;
try {
  gyp = require.resolve('node-gyp/bin/node-gyp.js', { paths: [root] });
} catch {
  gyp = process.env.npm_config_node_gyp;
}
if (!gyp || !fs.existsSync(gyp)) fallback('node-gyp not found');

const result = spawnSync(process.execPath, [gyp, 'rebuild'], { cwd: root, encoding: 'utf8', maxBuffer: 64 << 20 });
fs.mkdirSync(path.dirname(log), { recursive: true });
fs.writeFileSync(log, `${result.stdout ?? ''}\n${result.stderr ?? ''}\n${result.error ? String(result.error) : ''}`);
if (result.status !== 0 || !fs.existsSync(addon)) {
  fallback(`node-gyp rebuild failed, see ${path.relative(process.cwd(), log) || log}`);
}
console.log('netsnap: native addon built.');
