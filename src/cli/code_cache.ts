// V8's code cache for the command's bundle (src/cli/main.ts): where it is kept, and reading and
// writing it safely. Cached data is compiled code: only a file this user owns, that nobody else
// may write, is ever read.
import * as fs from 'node:fs';
import * as path from 'node:path';

/** `$XDG_CACHE_HOME/netsnap` or `~/.cache/netsnap`; null when neither is an absolute path or the cache is off. */
export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.NETSNAP_CODE_CACHE === '0') return null;
  const base = env.XDG_CACHE_HOME || (env.HOME ? path.join(env.HOME, '.cache') : '');
  return base !== '' && path.isAbsolute(base) ? path.join(base, 'netsnap') : null;
}

/**
 * The cached code, when it is ours to trust: a regular file (not a link) owned by this user that
 * nobody else may write, in a directory the same. Cached data is code: a file another user could
 * have planted is never read.
 */
export function readCodeCache(file: string): Buffer | undefined {
  const uid = process.getuid?.();
  const mine = (st: fs.Stats) => st.uid === uid && (st.mode & 0o022) === 0;
  let fd = -1;
  try {
    if (!mine(fs.lstatSync(path.dirname(file)))) return undefined;
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
    const st = fs.fstatSync(fd);
    return st.isFile() && mine(st) ? fs.readFileSync(fd) : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/** FNV-1a of a string, 8 hex digits: a short, stable tag for a path. */
function tag(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(16).padStart(8, '0');
}

/**
 * The cache file of `bundle` (its path) as built (its size and mtime): `family` names the bundle and
 * where it is installed (two installs keep two caches; a new build of one replaces its own), the rest
 * Node's version and the build. V8 checks the rest (source, flags) itself.
 */
export function cacheFileName(bundle: string, size: number, mtimeMs: number): { family: string; name: string } {
  const family = `${path.basename(bundle, '.bundle.js')}-${tag(path.dirname(bundle))}`;
  return { family, name: `${family}-${process.version}-${process.arch}-${size}-${Math.trunc(mtimeMs)}.v8` };
}

/** Writes the cache atomically (a private temporary file renamed over it) and drops the family's other files. */
export function writeCodeCache(file: string, data: Buffer, family: string): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    for (const name of fs.readdirSync(dir)) {
      if (name !== path.basename(file) && name.startsWith(`${family}-`) && name.endsWith('.v8')) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // No cache then: the next run compiles the bundle again.
  }
}
