// CgroupPaths over a directory tree made at test time: every id is the real inode number of a
// directory, as on cgroup2, and the clock is the test's, so refreshes happen exactly when it says.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CgroupPaths, findCgroup2Mount } from '../../src/owners/cgroup_path';

let root = '';
let now = 0;
const clock = () => now;
const ino = (p: string) => fs.statSync(p, { bigint: true }).ino;

function mkdirs(...rel: string[]): void {
  for (const r of rel) fs.mkdirSync(path.join(root, r), { recursive: true });
}

beforeEach(() => {
  // A space in the mount point, as in the escaped mounts fixture: the paths are relative to it.
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap cgroup '));
  now = 0;
  mkdirs('system.slice/nginx.service', 'system.slice/docker-0123.scope/container', 'user.slice/user-1000.slice', 'init.scope');
  // Files are not groups.
  fs.writeFileSync(path.join(root, 'cgroup.procs'), '1\n');
  fs.writeFileSync(path.join(root, 'system.slice', 'cgroup.procs'), '');
});

afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

describe('CgroupPaths over a real directory tree', () => {
  it('resolves every directory to its path under the mount, the mount itself to /', () => {
    const paths = new CgroupPaths(root, { now: clock });
    expect(paths.pathOf(ino(root))).toBe('/');
    for (const rel of ['system.slice', 'system.slice/nginx.service', 'system.slice/docker-0123.scope/container', 'user.slice/user-1000.slice', 'init.scope']) {
      expect(paths.pathOf(ino(path.join(root, rel)))).toBe(`/${rel}`);
    }
    expect(paths.pathOf(ino(path.join(root, 'cgroup.procs')))).toBeNull();
    expect(paths.stats).toEqual({ walks: 1, directories: 8, unreadable: 0, truncated: false });
  });

  it('finds the mount through an escaped mounts file, as ss does', () => {
    const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-proc-'));
    try {
      fs.writeFileSync(path.join(proc, 'mounts'), `cgroup2 ${root.replace(/ /g, '\\040')} cgroup2 rw 0 0\n`);
      const mount = findCgroup2Mount(proc);
      expect(mount).toBe(root);
      expect(new CgroupPaths(mount, { now: clock }).pathOf(ino(path.join(root, 'init.scope')))).toBe('/init.scope');
    } finally {
      fs.rmSync(proc, { recursive: true, force: true });
    }
  });

  it('walks once and answers hits and misses from the cache within refreshMs', () => {
    const paths = new CgroupPaths(root, { now: clock, refreshMs: 1000 });
    const nginx = ino(path.join(root, 'system.slice/nginx.service'));
    expect(paths.pathOf(nginx)).toBe('/system.slice/nginx.service');
    now = 999;
    expect(paths.pathOf(nginx)).toBe('/system.slice/nginx.service');
    expect(paths.pathOf(123456789n)).toBeNull();
    expect(paths.pathOf(987654321n)).toBeNull();
    expect(paths.stats.walks).toBe(1);
  });

  it('with refreshMs 0 walks on every miss, but once per lookup', () => {
    const paths = new CgroupPaths(root, { now: clock, refreshMs: 0 });
    expect(paths.pathOf(77777777n)).toBeNull();
    expect(paths.stats.walks).toBe(1);
    mkdirs('late');
    expect(paths.pathOf(ino(path.join(root, 'late')))).toBe('/late');
    expect(paths.stats.walks).toBe(2);
    expect(paths.pathOf(ino(root))).toBe('/'); // a hit re-checks with one lstat, no walk
    expect(paths.stats.walks).toBe(2);
  });

  it('finds a group made after the walk on the first miss once refreshMs has passed', () => {
    const paths = new CgroupPaths(root, { now: clock, refreshMs: 1000 });
    expect(paths.pathOf(ino(root))).toBe('/');
    mkdirs('machine.slice/libpod-abcd.scope');
    const fresh = ino(path.join(root, 'machine.slice/libpod-abcd.scope'));
    now = 500;
    expect(paths.pathOf(fresh)).toBeNull(); // too soon to walk again
    expect(paths.stats.walks).toBe(1);
    now = 1000;
    expect(paths.pathOf(fresh)).toBe('/machine.slice/libpod-abcd.scope');
    expect(paths.stats.walks).toBe(2);
    // The same unknown id again in the same period costs nothing.
    expect(paths.pathOf(42424242n)).toBeNull();
    expect(paths.stats.walks).toBe(2);
  });

  it('keeps a removed group until refreshMs, then re-checks it and gives null', () => {
    const paths = new CgroupPaths(root, { now: clock, refreshMs: 1000 });
    const dir = path.join(root, 'system.slice/docker-0123.scope/container');
    const id = ino(dir);
    expect(paths.pathOf(id)).toBe('/system.slice/docker-0123.scope/container');
    fs.rmdirSync(dir);
    now = 10;
    expect(paths.pathOf(id)).toBe('/system.slice/docker-0123.scope/container'); // cached, as ss's map
    now = 1000;
    expect(paths.pathOf(id)).toBeNull(); // the lstat fails, the miss re-walks, the group is gone
    expect(paths.stats.walks).toBe(2);
    now = 1001;
    expect(paths.pathOf(id)).toBeNull();
    expect(paths.stats.walks).toBe(2);
  });

  it('drops a removed group on refresh(), whatever the clock', () => {
    const paths = new CgroupPaths(root, { now: clock, refreshMs: 60_000 });
    const dir = path.join(root, 'init.scope');
    const id = ino(dir);
    expect(paths.pathOf(id)).toBe('/init.scope');
    fs.rmdirSync(dir);
    paths.refresh();
    expect(paths.pathOf(id)).toBeNull();
    expect(paths.stats).toEqual({ walks: 2, directories: 7, unreadable: 0, truncated: false });
  });

  it('re-checks an old hit and finds its directory again at a new path', () => {
    // cgroup2 refuses rename(2); a plain directory does not, which makes a stale path easy to make.
    const paths = new CgroupPaths(root, { now: clock, refreshMs: 100 });
    const id = ino(path.join(root, 'init.scope'));
    expect(paths.pathOf(id)).toBe('/init.scope');
    fs.renameSync(path.join(root, 'init.scope'), path.join(root, 'user.slice', 'moved.scope'));
    expect(ino(path.join(root, 'user.slice', 'moved.scope'))).toBe(id);
    now = 100;
    expect(paths.pathOf(id)).toBe('/user.slice/moved.scope');
    expect(paths.stats.walks).toBe(2);
  });

  it('stops at the depth limit and says so', () => {
    mkdirs('a/b/c/d');
    const paths = new CgroupPaths(root, { now: clock, maxDepth: 2 });
    expect(paths.pathOf(ino(path.join(root, 'a/b')))).toBe('/a/b');
    expect(paths.pathOf(ino(path.join(root, 'a/b/c')))).toBeNull();
    expect(paths.stats.truncated).toBe(true);
  });

  it('stops at the directory limit and says so', () => {
    const paths = new CgroupPaths(root, { now: clock, maxDirectories: 3 });
    expect(paths.pathOf(ino(root))).toBe('/');
    expect(paths.stats).toEqual({ walks: 1, directories: 3, unreadable: 0, truncated: true });
    const all = ['system.slice', 'system.slice/nginx.service', 'system.slice/docker-0123.scope', 'system.slice/docker-0123.scope/container', 'user.slice', 'user.slice/user-1000.slice', 'init.scope'];
    expect(all.filter((r) => paths.pathOf(ino(path.join(root, r))) !== null)).toHaveLength(2);
  });

  it('does not follow a symlink to a directory', () => {
    const target = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-elsewhere-'));
    try {
      fs.symlinkSync(target, path.join(root, 'elsewhere'));
      const paths = new CgroupPaths(root, { now: clock });
      expect(paths.pathOf(ino(target))).toBeNull();
      expect(paths.stats.directories).toBe(8);
    } finally {
      fs.rmSync(target, { recursive: true, force: true });
    }
  });

  it('resolves nothing, without touching the filesystem, for a null mount, id 0 or a negative id', () => {
    const none = new CgroupPaths(null, { now: clock });
    expect(none.pathOf(1n)).toBeNull();
    expect(none.stats.walks).toBe(0);
    const paths = new CgroupPaths(root, { now: clock });
    expect(paths.pathOf(0n)).toBeNull();
    expect(paths.pathOf(-5n)).toBeNull();
    expect(paths.stats.walks).toBe(0);
  });

  it('counts a mount that does not exist as one unreadable directory', () => {
    const paths = new CgroupPaths(path.join(root, 'missing'), { now: clock });
    expect(paths.pathOf(1n)).toBeNull();
    expect(paths.stats).toEqual({ walks: 1, directories: 0, unreadable: 1, truncated: false });
  });

  it('rejects bad arguments with TypeErrors', () => {
    expect(() => new CgroupPaths(root, { refreshMs: -1 })).toThrow(TypeError);
    expect(() => new CgroupPaths(root, { maxDepth: 1.5 })).toThrow(TypeError);
    expect(() => new CgroupPaths(root, { maxDirectories: 0 })).toThrow(TypeError);
    expect(() => new CgroupPaths(42 as unknown as string)).toThrow(TypeError);
    expect(() => new CgroupPaths(root).pathOf(5 as unknown as bigint)).toThrow(TypeError);
  });
});
