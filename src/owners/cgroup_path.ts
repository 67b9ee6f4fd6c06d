// cgroup v2 ids to paths, as `ss --cgroup` shows them. A socket's INET_DIAG_CGROUP_ID is the id of
// the cgroup its creator was in, and on Linux (kernfs, 64-bit inode numbers) that id is the inode
// number of the cgroup's directory under the cgroup2 mount. ss finds the mount as the first
// `cgroup2` line of /proc/mounts, walks it once, and prints a path relative to it (`/` for the
// root); we do the same, so our paths match ss's byte for byte on ASCII names.
//
// The id of a socket is fixed when the socket is made: a group removed since keeps its id and has
// no path any more (ss prints `unreachable:<hex>`; we give null).
import * as fs from 'node:fs';

/**
 * The mount point of the first cgroup2 filesystem in `PROCROOT/self/mounts` (or `PROCROOT/mounts`),
 * with the octal escapes the kernel writes for space, tab, newline and backslash decoded; null when
 * there is none or neither file can be read.
 */
export function findCgroup2Mount(procRoot = '/proc'): string | null {
  for (const file of [`${procRoot}/self/mounts`, `${procRoot}/mounts`]) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'latin1');
    } catch {
      continue;
    }
    return firstCgroup2Mount(text);
  }
  return null;
}

/** The mount point of the first cgroup2 line of a mounts file (latin1 text, one char per byte). */
export function firstCgroup2Mount(text: string): string | null {
  for (const line of text.split('\n')) {
    // "device mountpoint fstype options dump pass": the kernel escapes every space inside a field.
    const fields = line.split(' ');
    if (fields[2] === 'cgroup2' && fields[1] !== undefined) {
      return Buffer.from(unescapeMountField(fields[1]), 'latin1').toString('utf8');
    }
  }
  return null;
}

/** Undoes the kernel's mangle() of a /proc/mounts field: `\ooo` (three octal digits) is one byte. */
export function unescapeMountField(field: string): string {
  if (!field.includes('\\')) return field;
  let out = '';
  for (let i = 0; i < field.length; i++) {
    const ch = field[i]!;
    if (ch === '\\' && i + 3 < field.length && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
      const byte = parseInt(field.slice(i + 1, i + 4), 8);
      if (byte <= 0xff) {
        out += String.fromCharCode(byte);
        i += 3;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

function isOctal(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 48 && c <= 55;
}

export interface CgroupPathsOptions {
  /** A miss re-walks the tree at most once per this many milliseconds (default 1000). */
  refreshMs?: number;
  /** Milliseconds from any origin, only differences count (default: a monotonic clock). */
  now?: () => number;
  /** Directories deeper than this below the mount are not visited (default 64). */
  maxDepth?: number;
  /** A walk stops after this many directories (default 100,000). */
  maxDirectories?: number;
}

/** What the walks did. `unreadable` and `truncated` are of the last walk. */
export interface CgroupWalkStats {
  /** Walks of the tree so far. */
  walks: number;
  /** Directories the last walk recorded (the mount itself included). */
  directories: number;
  /** Directories the last walk could not list or stat (removed while it ran, or denied). */
  unreadable: number;
  /** Whether the last walk stopped at the depth or the directory limit. */
  truncated: boolean;
}

interface Entry {
  /** Relative to the mount, as ss prints it: `/` for the root. */
  path: string;
  /** The directory itself, as bytes: names need not be UTF-8. */
  fsPath: Buffer;
  /** When this entry was last known to hold (walk or re-check). */
  checkedAt: number;
}

const SLASH = Buffer.from('/');

function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1_000_000n);
}

/**
 * Resolves cgroup ids to paths under one cgroup2 mount (findCgroup2Mount()). The first lookup walks
 * the tree (one lstat per directory; the id is the inode number) and caches the map. A hit older
 * than `refreshMs` is re-checked with one lstat, so a removed group stops resolving; a miss
 * re-walks the tree at most once per `refreshMs`, so new groups are found and a flood of unknown
 * ids costs one walk per period. With a null mount every id resolves to null.
 */
export class CgroupPaths {
  readonly mount: string | null;
  private readonly refreshMs: number;
  private readonly now: () => number;
  private readonly maxDepth: number;
  private readonly maxDirectories: number;
  private map = new Map<bigint, Entry>();
  private lastWalk = -Infinity;
  private walked = false;
  private readonly counters: CgroupWalkStats = { walks: 0, directories: 0, unreadable: 0, truncated: false };

  constructor(mount: string | null, options: CgroupPathsOptions = {}) {
    if (mount !== null && typeof mount !== 'string') throw new TypeError('mount must be a string or null');
    const { refreshMs = 1000, now = monotonicMs, maxDepth = 64, maxDirectories = 100_000 } = options;
    if (!(refreshMs >= 0)) throw new TypeError(`refreshMs must be a number >= 0, not ${String(refreshMs)}`);
    if (!Number.isInteger(maxDepth) || maxDepth < 0) throw new TypeError(`maxDepth must be an integer >= 0, not ${String(maxDepth)}`);
    if (!Number.isInteger(maxDirectories) || maxDirectories < 1) {
      throw new TypeError(`maxDirectories must be an integer >= 1, not ${String(maxDirectories)}`);
    }
    if (typeof now !== 'function') throw new TypeError('now must be a function');
    this.mount = mount;
    this.refreshMs = refreshMs;
    this.now = now;
    this.maxDepth = maxDepth;
    this.maxDirectories = maxDirectories;
  }

  /** The path of the group with this id relative to the mount (`/` for the root), or null. */
  pathOf(id: bigint): string | null {
    if (typeof id !== 'bigint') throw new TypeError(`a cgroup id is a bigint, not ${typeof id}`);
    if (this.mount === null || id <= 0n) return null;
    const now = this.now();
    const first = !this.walked;
    if (first) this.walk(now);
    const hit = this.map.get(id);
    if (hit) {
      if (now - hit.checkedAt < this.refreshMs) return hit.path;
      if (sameDirectory(hit.fsPath, id)) {
        hit.checkedAt = now;
        return hit.path;
      }
      this.map.delete(id);
    }
    if (first || now - this.lastWalk < this.refreshMs) return null;
    this.walk(now);
    return this.map.get(id)?.path ?? null;
  }

  /** Re-walks the tree now, whatever the time since the last walk. */
  refresh(): void {
    if (this.mount !== null) this.walk(this.now());
  }

  get stats(): Readonly<CgroupWalkStats> {
    return { ...this.counters };
  }

  private walk(now: number): void {
    this.walked = true;
    this.lastWalk = now;
    this.counters.walks++;
    const map = new Map<bigint, Entry>();
    let unreadable = 0;
    let truncated = false;
    const root = Buffer.from(this.mount!);
    let rootStat: fs.BigIntStats;
    try {
      rootStat = fs.lstatSync(root, { bigint: true });
    } catch {
      this.finish(map, 0, 1, false);
      return;
    }
    if (!rootStat.isDirectory()) {
      this.finish(map, 0, 1, false);
      return;
    }
    map.set(rootStat.ino, { path: '/', fsPath: root, checkedAt: now });
    // Depth first with an explicit stack: a deep tree cannot overflow the JavaScript stack.
    const stack: Array<{ fsPath: Buffer; path: string; depth: number }> = [{ fsPath: root, path: '', depth: 0 }];
    walk: while (stack.length > 0) {
      const dir = stack.pop()!;
      let entries: fs.Dirent<Buffer>[];
      try {
        entries = fs.readdirSync(dir.fsPath, { withFileTypes: true, encoding: 'buffer' });
      } catch {
        unreadable++;
        continue;
      }
      for (const e of entries) {
        // kernfs reports d_type, so the ~30 files of each group cost nothing here.
        if (!e.isDirectory()) continue;
        if (dir.depth >= this.maxDepth) {
          truncated = true;
          break;
        }
        if (map.size >= this.maxDirectories) {
          truncated = true;
          break walk;
        }
        const fsPath = Buffer.concat([dir.fsPath, SLASH, e.name]);
        let st: fs.BigIntStats;
        try {
          st = fs.lstatSync(fsPath, { bigint: true });
        } catch {
          unreadable++;
          continue;
        }
        // Another filesystem mounted inside is not part of this hierarchy (nftw's FTW_MOUNT, as ss).
        if (!st.isDirectory() || st.dev !== rootStat.dev) continue;
        const path = `${dir.path}/${e.name.toString('utf8')}`;
        map.set(st.ino, { path, fsPath, checkedAt: now });
        stack.push({ fsPath, path, depth: dir.depth + 1 });
      }
    }
    this.finish(map, map.size, unreadable, truncated);
  }

  private finish(map: Map<bigint, Entry>, directories: number, unreadable: number, truncated: boolean): void {
    this.map = map;
    this.counters.directories = directories;
    this.counters.unreadable = unreadable;
    this.counters.truncated = truncated;
  }
}

/** Whether `fsPath` is still the directory with inode `id`. */
function sameDirectory(fsPath: Buffer, id: bigint): boolean {
  try {
    const st = fs.lstatSync(fsPath, { bigint: true });
    return st.isDirectory() && st.ino === id;
  } catch {
    return false;
  }
}
