// Cgroups this test makes under the host's cgroup2 mount: the id of a group (its directory's inode
// number, which the kernel also gives sockets as INET_DIAG_CGROUP_ID) resolves to its path, a
// process moved into it shows the path in /proc/PID/cgroup, and once the group is removed its id
// resolves to nothing after the next refresh. Needs root and a writable cgroup2 mount.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CgroupPaths, findCgroup2Mount } from '../../src/owners/cgroup_path';
import { containerOf, processCgroupPaths, readCgroupsOf } from '../../src/owners/container';
import { backend } from '../helpers/env';

const isRoot = process.getuid?.() === 0;
const mount = findCgroup2Mount();
const NAME = `netsnap-cg-${process.pid}-${backend.name}`;
const made: string[] = [];

/** Why the cgroup tests cannot run here, or null. */
function cannotMakeGroups(): string | null {
  if (!isRoot) return 'needs root to make cgroups';
  if (mount === null) return 'no cgroup2 mount in /proc/self/mounts';
  try {
    fs.accessSync(mount, fs.constants.W_OK);
  } catch (err) {
    return `${mount} is not writable: ${(err as Error).message}`;
  }
  return null;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

afterAll(() => {
  // Deepest first: a group with children cannot be removed.
  for (const dir of made.reverse()) if (fs.existsSync(dir)) fs.rmdirSync(dir);
});

describe(`cgroups made under the cgroup2 mount (${backend.name})`, () => {
  it('resolves a new group\'s id to its path, and to null once it is gone', async (ctx) => {
    const why = cannotMakeGroups();
    if (why !== null) ctx.skip(why);
    let now = 0;
    const paths = new CgroupPaths(mount, { now: () => now, refreshMs: 1000 });
    expect(paths.pathOf(fs.statSync(mount!, { bigint: true }).ino)).toBe('/');

    const group = path.join(mount!, NAME);
    const leaf = path.join(group, 'leaf');
    try {
      fs.mkdirSync(group);
    } catch (err) {
      ctx.skip(`cannot make a cgroup under ${mount}: ${(err as Error).message}`);
    }
    made.push(group);
    fs.mkdirSync(leaf);
    made.push(leaf);
    const groupId = fs.statSync(group, { bigint: true }).ino;
    const leafId = fs.statSync(leaf, { bigint: true }).ino;

    // The groups were made after the first walk: the first miss a period later walks again.
    now = 1000;
    expect(paths.pathOf(leafId)).toBe(`/${NAME}/leaf`);
    expect(paths.pathOf(groupId)).toBe(`/${NAME}`);
    expect(paths.stats.walks).toBe(2);

    // A process moved into the leaf shows that path as its v2 cgroup, and is in no container.
    const child = spawn('sleep', ['60'], { stdio: 'ignore' });
    try {
      fs.writeFileSync(path.join(leaf, 'cgroup.procs'), String(child.pid));
      const cg = readCgroupsOf('/proc', child.pid!)!;
      expect(cg.v2).toBe(`/${NAME}/leaf`);
      expect(cg.malformed).toBe(0);
      expect(containerOf(processCgroupPaths(cg))).toBeNull();
    } finally {
      child.kill('SIGKILL');
      await exited(child);
    }

    fs.rmdirSync(leaf);
    fs.rmdirSync(group);
    // Cached: within the period the old answer stands, as in ss's map.
    now = 1500;
    expect(paths.pathOf(leafId)).toBe(`/${NAME}/leaf`);
    // A period later the hit is re-checked, the miss walks again, and the removed groups are gone.
    now = 2500;
    expect(paths.pathOf(leafId)).toBeNull();
    expect(paths.pathOf(groupId)).toBeNull();
    expect(paths.stats.walks).toBe(3);
  });

  it('does not cross into a filesystem mounted inside the tree (as ss\'s FTW_MOUNT walk)', (ctx) => {
    if (!isRoot) ctx.skip('needs root to mount a tmpfs');
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-cgmount-'));
    const inner = path.join(root, 'mounted');
    fs.mkdirSync(path.join(root, 'plain'));
    fs.mkdirSync(inner);
    try {
      const r = spawnSync('mount', ['-t', 'tmpfs', 'netsnap-test', inner], { encoding: 'utf8' });
      if (r.status !== 0) ctx.skip(`cannot mount a tmpfs: ${r.stderr.trim() || `status ${r.status}`}`);
      fs.mkdirSync(path.join(inner, 'below'));
      const paths = new CgroupPaths(root);
      expect(paths.pathOf(fs.statSync(path.join(root, 'plain'), { bigint: true }).ino)).toBe('/plain');
      // The mount point's own inode is the tmpfs root's: neither it nor what is below is walked.
      expect(paths.pathOf(fs.statSync(path.join(inner, 'below'), { bigint: true }).ino)).toBeNull();
      expect(paths.stats.directories).toBe(2);
    } finally {
      spawnSync('umount', [inner]);
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
