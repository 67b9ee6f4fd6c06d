#!/usr/bin/env node
'use strict';
// Builds the native addon at install time. A failed build is not a failed install:
// netsnap then runs on its TypeScript backend, and we say so in one line.
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
if (process.platform !== 'linux') fallback(`platform ${process.platform} is not linux`);

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
