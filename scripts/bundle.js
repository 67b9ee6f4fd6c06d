#!/usr/bin/env node
// Bundles the command line (src/cli/cli.ts and everything it imports from src/) for
// dist/cli/main.js, which loads one bundle through V8's code cache (see src/cli/main.ts):
//   - dist/cli/cli.bundle.js: all of it;
//   - dist/cli/listing.bundle.js: the same without the subcommands that only the full bundle runs
//     (src/cli/bundles.ts: serve, record, report, events, top, completion): their modules are left
//     out, so a listing reads, and maps from its code cache, only what a listing may run;
//   - dist/cli/main.js: src/cli/main.ts with the modules it imports, one file for Node to load
//     (over tsc's main.js, which works too: it requires them).
// Run by `npm run build` after tsc (it reads the subcommands from tsc's dist/cli/bundles.js). The
// bundles keep CommonJS semantics: each module still runs when it is first required, so a mode's
// code runs only when that mode does. The packages only `serve` needs (prom-client, yaml,
// bcryptjs) stay outside them and load from node_modules when it runs.
'use strict';
const path = require('node:path');
const fs = require('node:fs');
const esbuild = require('esbuild');

const root = path.join(__dirname, '..');
const { FULL_BUNDLE_SUBCOMMANDS } = require(path.join(root, 'dist/cli/bundles.js'));

// `import * as fs from 'node:fs'` becomes `__toESM(require("node:fs"))`: a copy of every export of
// the builtin behind a getter, made again in each module that imports it (a millisecond of a short
// listing's start). The sources only read properties of these namespaces, never `default`, so the
// builtin itself serves.
function unwrapBuiltins(text) {
  const out = text.replace(/__toESM\(require\("(node:[a-z_/]+)"\)\)/g, 'require("$1")');
  if (/__toESM\(require\("node:/.test(out)) throw new Error('bundle: a builtin is still wrapped in __toESM');
  return out;
}

/** esbuild's output for `entry`; `plugins` shape what it takes in. */
async function build(entry, options = {}) {
  const { outputFiles: [result] } = await esbuild.build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(root, 'dist/cli/out.js'), // not written: names the output's folder
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['prom-client', 'yaml', 'bcryptjs'],
    logLevel: 'warning',
    legalComments: 'none',
    // esbuild's default: non-ASCII text is escaped, so main.ts may read the bundle as latin1.
    charset: 'ascii',
    ...options,
  });
  const text = unwrapBuiltins(result.text);
  if (/[^\x00-\x7f]/.test(text)) throw new Error(`bundle: ${entry} gave non-ASCII output`);
  return text;
}

// Less to read and to check against the code cache; names are kept (stack traces, error names).
const minify = { minifyWhitespace: true, minifySyntax: true };

// In the listing bundle, cli.ts's require('./serve') (and the others) is a module that says what
// went wrong: main.ts never runs these subcommands from it.
const only = new RegExp(`^\\./(${FULL_BUNDLE_SUBCOMMANDS.join('|')})$`);
const leaveOut = {
  name: 'leave-out-subcommands',
  setup(b) {
    b.onResolve({ filter: only }, (a) => (a.importer === path.join(root, 'src/cli/cli.ts') ? { path: a.path, namespace: 'left-out' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'left-out' }, (a) => ({
      contents: `throw new Error(${JSON.stringify(`netsnap: internal error: ${a.path} is not in the listing bundle`)});`,
      loader: 'js',
    }));
  },
};

// main.ts's fallback, require('./cli') (the modules), stays a require of dist/cli/cli.js.
const modulesOutside = {
  name: 'modules-outside',
  setup(b) {
    b.onResolve({ filter: /^\.\/cli$/ }, (a) => ({ path: a.path, external: true }));
  },
};

(async () => {
  const outputs = [
    ['dist/cli/cli.bundle.js', await build('src/cli/cli.ts', minify)],
    ['dist/cli/listing.bundle.js', await build('src/cli/cli.ts', { ...minify, plugins: [leaveOut] })],
    ['dist/cli/main.js', await build('src/cli/main.ts', { plugins: [modulesOutside] })],
  ];
  for (const [file, text] of outputs) fs.writeFileSync(path.join(root, file), text);
})().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
