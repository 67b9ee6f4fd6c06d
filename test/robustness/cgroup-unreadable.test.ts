// CgroupPaths as an unprivileged user (nobody) over a tree with a directory it may not list: the
// walk skips and counts that directory, and resolves everything else. Root reads every directory,
// so the walk runs in a child process as nobody, on the built library.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env';

const LIB = path.join(ROOT, 'dist', 'index.js');
const NOBODY = ['--reuid=65534', '--regid=65534', '--clear-groups'];
const isRoot = process.getuid?.() === 0;
let root = '';

const WALK = `
const { CgroupPaths } = require(process.argv[1]);
const [mount, ...ids] = JSON.parse(process.argv[2]);
const paths = new CgroupPaths(mount, { refreshMs: 1e9 });
const resolved = ids.map((id) => paths.pathOf(BigInt(id)));
process.stdout.write(JSON.stringify({ resolved, stats: paths.stats }));
`;

function whyNot(): string | null {
  if (!isRoot) return 'needs root to switch to nobody';
  if (!fs.existsSync(LIB)) return `${path.relative(ROOT, LIB)} is not built (npm run build)`;
  const r = spawnSync('setpriv', [...NOBODY, process.execPath, '-e', `require('fs').accessSync(${JSON.stringify(LIB)}, 4)`]);
  return r.status === 0 ? null : 'the checkout is not readable by nobody';
}

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-cg-denied-'));
  fs.chmodSync(root, 0o755);
  for (const d of ['a/b', 'secret/inner']) fs.mkdirSync(path.join(root, d), { recursive: true });
  fs.chmodSync(path.join(root, 'secret'), 0o000);
});

afterAll(() => {
  if (root) {
    fs.chmodSync(path.join(root, 'secret'), 0o755);
    fs.rmSync(root, { recursive: true, force: true });
  }
});

describe('CgroupPaths over a directory nobody may not list', () => {
  it('skips and counts it, and resolves the rest', (ctx) => {
    const why = whyNot();
    if (why !== null) ctx.skip(why);
    const ino = (rel: string) => String(fs.statSync(path.join(root, rel), { bigint: true }).ino);
    const ids = [ino('.'), ino('a'), ino('a/b'), ino('secret'), ino('secret/inner')];
    const r = spawnSync('setpriv', [...NOBODY, process.execPath, '-e', WALK, LIB, JSON.stringify([root, ...ids])], { encoding: 'utf8', cwd: '/' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({
      // The secret directory itself is seen from its parent; what is inside it is not.
      resolved: ['/', '/a', '/a/b', '/secret', null],
      stats: { walks: 1, directories: 4, unreadable: 1, truncated: false },
    });
  });
});
