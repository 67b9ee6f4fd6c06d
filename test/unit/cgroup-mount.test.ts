// findCgroup2Mount: the first cgroup2 line of a mounts file, its mount point unescaped, as ss finds it.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findCgroup2Mount, firstCgroup2Mount, unescapeMountField } from '../../src/owners/cgroup_path';
import { FIXTURES } from '../helpers/env';

const MOUNTS = path.join(FIXTURES, 'cgroup-mounts');

describe('findCgroup2Mount', () => {
  it('takes the first cgroup2 filesystem of PROCROOT/self/mounts, its octal escapes decoded', () => {
    // The fixture's first line with a "cgroup2" device is a tmpfs whose mount point holds " cgroup2 ":
    // only the type field counts, and the escaped spaces keep the fields apart.
    expect(findCgroup2Mount(path.join(MOUNTS, 'hybrid-escaped'))).toBe('/run/cgroup zwei\tgrüppe\\x');
  });

  it('reads PROCROOT/mounts when there is no self/mounts', () => {
    expect(findCgroup2Mount(path.join(MOUNTS, 'no-self'))).toBe('/sys/fs/cgroup/unified');
  });

  it('finds the unified layout mounted at /sys/fs/cgroup', () => {
    expect(findCgroup2Mount(path.join(MOUNTS, 'unified'))).toBe('/sys/fs/cgroup');
  });

  it('gives null on a cgroup v1-only host and for a root without mounts files', () => {
    expect(findCgroup2Mount(path.join(MOUNTS, 'v1-only'))).toBeNull();
    expect(findCgroup2Mount(path.join(MOUNTS, 'does-not-exist'))).toBeNull();
  });

  it('finds the mount of this host as /proc/mounts lists it', () => {
    const line = fs.readFileSync('/proc/self/mounts', 'latin1').split('\n').find((l) => l.split(' ')[2] === 'cgroup2');
    expect(findCgroup2Mount()).toBe(line === undefined ? null : unescapeMountField(line.split(' ')[1]!));
  });

  it('reads a mount point the kernel escaped, from a mounts file written at test time', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-mounts-'));
    try {
      fs.writeFileSync(path.join(root, 'mounts'), 'cgroup2 /a\\134\\040b\\012c cgroup2 rw 0 0\n');
      expect(findCgroup2Mount(root)).toBe('/a\\ b\nc');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('unescapeMountField and firstCgroup2Mount', () => {
  it('decodes exactly three octal digits after a backslash and leaves anything else alone', () => {
    expect(unescapeMountField('/plain')).toBe('/plain');
    expect(unescapeMountField('/a\\040b\\011c\\012d\\134e')).toBe('/a b\tc\nd\\e');
    expect(unescapeMountField('/x\\08y\\04')).toBe('/x\\08y\\04');
    expect(unescapeMountField('\\\\040')).toBe('\\ ');
  });

  it('needs a type field: a short or empty line is no match', () => {
    expect(firstCgroup2Mount('')).toBeNull();
    expect(firstCgroup2Mount('cgroup2\ncgroup2 /x\n')).toBeNull();
    expect(firstCgroup2Mount('none /sys/fs/cgroup cgroup2\n')).toBe('/sys/fs/cgroup');
  });

  it('scans a 1 MiB line without a blank and a million short lines', () => {
    const long = 'x'.repeat(1 << 20);
    expect(firstCgroup2Mount(`${long}\ncgroup2 /cg cgroup2 rw 0 0\n`)).toBe('/cg');
    expect(firstCgroup2Mount(`${'a b c\n'.repeat(1_000_000)}cgroup2 /last cgroup2 rw 0 0`)).toBe('/last');
    expect(unescapeMountField('\\'.repeat(1 << 20)).length).toBe(1 << 20);
  });
});
