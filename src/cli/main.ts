#!/usr/bin/env node
// The netsnap command. Start-up is most of a small listing's time, so the command line (cli.ts and
// everything it uses) is loaded as one prebuilt bundle, dist/cli/cli.bundle.js (scripts/bundle.js:
// one file to read instead of dozens of modules to find, read and wrap), through V8's code cache:
// the code compiled by one run is kept in the user's cache directory, and the next runs take it
// instead of parsing and compiling the bundle again. Without the bundle (a build without it), the
// modules themselves (dist/cli/cli.js). NETSNAP_CODE_CACHE=0 turns the cache off.
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { debuglog } from 'node:util';
import * as vm from 'node:vm';
import { codeCacheDir, readCodeCache, writeCodeCache } from './code_cache';

interface Cli {
  runCli(argv: string[]): void;
}

const debug = debuglog('netsnap');
const BUNDLE = path.join(__dirname, 'cli.bundle.js');
const MODULES = path.join(__dirname, 'cli.js');

/** The bundle, unless the modules were built after it (a `tsc` run alone): then they are the program. */
function bundleFresh(): boolean {
  try {
    return fs.statSync(BUNDLE).mtimeMs >= fs.statSync(MODULES).mtimeMs;
  } catch {
    return false;
  }
}

/** Runs the bundle as a CommonJS module would run, with the cached code when there is a good one. */
function loadBundle(file: string): Cli {
  const source = fs.readFileSync(file, 'utf8');
  const st = fs.statSync(file);
  const dir = codeCacheDir();
  // The file name tells builds and Node versions apart; V8 checks the rest (source, flags) itself.
  const cacheFile = dir === null ? null : path.join(dir, `cli-${process.version}-${process.arch}-${st.size}-${Math.trunc(st.mtimeMs)}.v8`);
  const cachedData = cacheFile === null ? undefined : readCodeCache(cacheFile);
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
  debug('code cache %s: %s', cacheFile ?? '(off)', cachedData === undefined ? 'none' : script.cachedDataRejected === true ? 'rejected' : 'used');
  if (cacheFile !== null && (cachedData === undefined || script.cachedDataRejected === true)) {
    // At exit, so that the functions this run compiled are in it too.
    process.once('exit', () => writeCodeCache(cacheFile, script.createCachedData()));
  }
  const mod = { exports: {} as Cli };
  (script.runInThisContext() as (...a: unknown[]) => void).call(mod.exports, mod.exports, createRequire(file), mod, file, path.dirname(file));
  return mod.exports;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const cli: Cli = bundleFresh() ? loadBundle(BUNDLE) : (require('./cli') as Cli);
cli.runCli(process.argv.slice(2));
