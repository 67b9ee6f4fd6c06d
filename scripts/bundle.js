#!/usr/bin/env node
// Bundles the command line (src/cli/cli.ts and everything it imports from src/) into one file,
// dist/cli/cli.bundle.js, which dist/cli/main.js loads through V8's code cache (see src/cli/main.ts).
// Run by `npm run build` after tsc. The bundle keeps CommonJS semantics: each module still runs when
// it is first required, so a mode's code runs only when that mode does. The packages only `serve`
// needs (prom-client, yaml, bcryptjs) stay outside it and load from node_modules when it runs.
'use strict';
const path = require('node:path');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
esbuild.buildSync({
  entryPoints: [path.join(root, 'src/cli/cli.ts')],
  outfile: path.join(root, 'dist/cli/cli.bundle.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  external: ['prom-client', 'yaml', 'bcryptjs'],
  logLevel: 'warning',
  legalComments: 'none',
  // Less to read and to check against the code cache; names are kept (stack traces, error names).
  minifyWhitespace: true,
  minifySyntax: true,
});
