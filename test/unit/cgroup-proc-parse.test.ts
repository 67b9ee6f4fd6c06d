// parseProcCgroup and readCgroupsOf: /proc/PID/cgroup lines, malformed ones counted, hostile ones
// parsed in linear time.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseProcCgroup, processCgroupPaths, readCgroupsOf } from '../../src/owners/container';
import { FIXTURES } from '../helpers/env';

const LAYOUTS = path.join(FIXTURES, 'cgroup');

describe('parseProcCgroup', () => {
  it('splits a hybrid host\'s file into its v2 path and v1 hierarchies', () => {
    const cg = readCgroupsOf(path.join(LAYOUTS, 'plain-systemd-service'), 812)!;
    expect(cg.v2).toBe('/system.slice/ssh.service');
    expect(cg.v2Deleted).toBe(false);
    expect(cg.malformed).toBe(0);
    expect(cg.v1).toHaveLength(12);
    expect(cg.v1[0]).toEqual({ hierarchy: 12, controllers: ['perf_event'], path: '/' });
    expect(cg.v1[9]).toEqual({ hierarchy: 3, controllers: ['net_cls', 'net_prio'], path: '/' });
    expect(cg.v1[11]).toEqual({ hierarchy: 1, controllers: ['name=systemd'], path: '/system.slice/ssh.service' });
    expect(processCgroupPaths(cg)).toEqual(['/system.slice/ssh.service', '/']);
  });

  it('gives v2 null on a v1-only host', () => {
    const cg = readCgroupsOf(path.join(LAYOUTS, 'containerd-cri-v1'), 18830)!;
    expect(cg.v2).toBeNull();
    expect(cg.v1.map((h) => h.hierarchy)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
    expect(cg.v1[7]!.controllers).toEqual(['net_prio', 'net_cls']);
  });

  it('reads a unified host\'s single line', () => {
    expect(parseProcCgroup('0::/\n')).toEqual({ v2: '/', v2Deleted: false, v1: [], malformed: 0 });
    expect(parseProcCgroup('0::/init.scope')).toEqual({ v2: '/init.scope', v2Deleted: false, v1: [], malformed: 0 });
    expect(parseProcCgroup('')).toEqual({ v2: null, v2Deleted: false, v1: [], malformed: 0 });
  });

  it('keeps colons inside a path and paths outside the reader\'s cgroup namespace', () => {
    const cg = parseProcCgroup('0::/../../kubepods-x.slice:cri-containerd:abc\n4:memory:/a:b\n');
    expect(cg.v2).toBe('/../../kubepods-x.slice:cri-containerd:abc');
    expect(cg.v1).toEqual([{ hierarchy: 4, controllers: ['memory'], path: '/a:b' }]);
    expect(cg.malformed).toBe(0);
  });

  it('takes the kernel\'s " (deleted)" off a removed v2 group and says so', () => {
    expect(parseProcCgroup('0::/system.slice/gone.service (deleted)\n')).toEqual({ v2: '/system.slice/gone.service', v2Deleted: true, v1: [], malformed: 0 });
  });

  it('skips and counts every line that is not hierarchy-ID:controllers:path', () => {
    const text = [
      '0::/good',
      'garbage',
      '3:memory',
      ':memory:/x',
      'x:memory:/x',
      '07:memory:/x',
      '12345678901:memory:/x',
      '-1:memory:/x',
      '4:memory:relative',
      '4:memory:',
      '5::/no-controllers',
      '6:cpu,,cpuacct:/x',
      '0:memory:/v2-with-controllers',
      '0::/a-second-v2-line',
      '',
      '2:pids:/ok',
    ].join('\n');
    const cg = parseProcCgroup(`${text}\n`);
    expect(cg.v2).toBe('/good');
    expect(cg.v1).toEqual([{ hierarchy: 2, controllers: ['pids'], path: '/ok' }]);
    expect(cg.malformed).toBe(14);
  });

  it('parses a 1 MiB line and a 1 MiB file of colons in one pass', () => {
    const long = `/${'a/'.repeat(1 << 19)}`;
    expect(parseProcCgroup(`0::${long}\n`).v2).toBe(long);
    const colons = parseProcCgroup(':'.repeat(1 << 20));
    expect(colons).toEqual({ v2: null, v2Deleted: false, v1: [], malformed: 1 });
    const controllers = parseProcCgroup(`1:${','.repeat(1 << 20)}:/x\n`);
    expect(controllers.malformed).toBe(1);
    const lines = parseProcCgroup('1:x:/\n'.repeat(200_000));
    expect(lines.v1).toHaveLength(200_000);
  });
});

describe('readCgroupsOf', () => {
  it('gives null for a process that is gone, and a TypeError for what cannot be a pid', () => {
    expect(readCgroupsOf(path.join(LAYOUTS, 'host-root'), 999)).toBeNull();
    expect(readCgroupsOf(path.join(FIXTURES, 'no-such-root'), 1)).toBeNull();
    for (const bad of [0, -1, 1.5, Number.NaN, 0x80000000]) expect(() => readCgroupsOf(LAYOUTS, bad)).toThrow(TypeError);
  });

  it('reads this process\'s own file from /proc', () => {
    const lines = fs.readFileSync(`/proc/${process.pid}/cgroup`, 'utf8').trimEnd().split('\n');
    const cg = readCgroupsOf('/proc', process.pid)!;
    expect(cg.malformed).toBe(0);
    expect(cg.v2).toBe(lines.find((l) => l.startsWith('0::'))?.slice(3) ?? null);
    expect(cg.v1.map((h) => `${h.hierarchy}:${h.controllers.join(',')}:${h.path}`)).toEqual(lines.filter((l) => !l.startsWith('0::')));
  });
});
