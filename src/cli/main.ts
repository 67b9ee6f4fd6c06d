#!/usr/bin/env node
// The netsnap command. Start-up is most of a small listing's time, so the command line is loaded as
// a prebuilt bundle (scripts/bundle.js: one file to read instead of dozens of modules to find, read
// and wrap) through V8's code cache: the code compiled by one run is kept in the user's cache
// directory, and the next runs take it instead of parsing and compiling the bundle again. A listing
// loads listing.bundle.js, serve, record, report, events, top and completion the full cli.bundle.js
// (bundles.ts). Without the bundle (a build without it), the modules themselves (dist/cli/cli.js).
// NETSNAP_CODE_CACHE=0 turns the cache off. scripts/bundle.js also bundles this file with the
// modules it imports, so that Node finds and compiles one file before the bundle.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { debuglog } from 'node:util';
import * as vm from 'node:vm';
import { bundleFor } from './bundles';
import { cacheFileName, codeCacheDir, readCodeCache, writeCodeCache } from './code_cache';

interface Cli {
  runCli(argv: string[]): void;
}

const debug = debuglog('netsnap');
const argv = process.argv.slice(2);

/**
 * Runs the bundle as a CommonJS module would run, with the cached code when there is a good one;
 * null when there is no bundle, or the modules were built after it (a `tsc` run alone): then they
 * are the program.
 */
function loadBundle(file: string): Cli | null {
  let source: string;
  let st: fs.Stats;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      st = fs.fstatSync(fd);
      if (st.mtimeMs < fs.statSync(path.join(__dirname, 'cli.js')).mtimeMs) return null;
      // scripts/bundle.js writes ASCII only: latin1 is the same text, without UTF-8's decoding.
      source = fs.readFileSync(fd).toString('latin1');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return null;
  }
  const dir = codeCacheDir();
  const { family, name } = cacheFileName(file, st.size, st.mtimeMs);
  const cacheFile = dir === null ? null : path.join(dir, name);
  const cachedData = cacheFile === null ? undefined : readCodeCache(cacheFile);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  debug('code cache %s: %s', cacheFile ?? '(off)', cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used');
  if (cacheFile !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit, so that the functions this run compiled are in it too.
    process.once('exit', () => writeCodeCache(cacheFile, script.createCachedData(), family));
  }
  const mod = { exports: {} as Cli };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  return mod.exports;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cli: Cli = loadBundle(path.join(__dirname, bundleFor(argv))) ?? (require('./cli') as Cli);
cli.runCli(argv);
