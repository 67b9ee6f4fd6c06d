#!/usr/bin/env node
// Bundles the command line (src/cli/cli.ts and everything it imports from src/) into one file,
// dist/cli/cli.bundle.js, which dist/cli/main.js loads through V8's code cache (see src/cli/main.ts).
// Run by `npm run build` after tsc. The bundle keeps CommonJS semantics: each module still runs when
// it is first required, so a mode's code runs only when that mode does. The packages only `serve`
// needs (prom-client, yaml, bcryptjs) stay outside it and load from node_modules when it runs.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const out = path.join(root, 'dist/cli/cli.bundle.js');
const [result] = esbuild.buildSync({
  entryPoints: [path.join(root, 'src/cli/cli.ts')],
  outfile: out,
  write: false,
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
}).outputFiles;
// `import * as fs from 'node:fs'` becomes `__toESM(require("node:fs"))`: a copy of every export of
// the builtin behind a getter, made again in each module that imports it (a millisecond of a short
// listing's start). The sources only read properties of these namespaces, never `default`, so the
// builtin itself serves.
const text = result.text.replace(/__toESM\(require\("(node:[a-z_/]+)"\)\)/g, 'require("$1")');
if (/__toESM\(require\("node:/.test(text)) throw new Error('bundle: a builtin is still wrapped in __toESM');
fs.writeFileSync(out, text);
