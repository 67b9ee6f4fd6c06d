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

/** Writes the cache atomically (a private temporary file renamed over it) and drops other builds' files. */
export function writeCodeCache(file: string, data: Buffer): void {
  try {
    const dir = path.dirname(file);
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
    const prefix = path.basename(file).split('-')[0]!;
    for (const name of fs.readdirSync(dir)) {
      if (name !== path.basename(file) && name.startsWith(`${prefix}-`) && name.endsWith('.v8')) fs.rmSync(path.join(dir, name), { force: true });
    }
  } catch {
    // No cache then: the next run compiles the bundle again.
  }
}
