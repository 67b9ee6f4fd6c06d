// containerOf on the cgroup files of real layouts (fixtures/cgroup/README.md): one test per layout,
// each asserting the exact runtime, id and pod uid, read through readCgroupsOf as a caller would.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
// Through the package entry point, as a user calls it.
import { containerOf, processCgroupPaths, readCgroupsOf, type Container } from '../../src/index';
import { FIXTURES } from '../helpers/env';

const LAYOUTS = path.join(FIXTURES, 'cgroup');

function containerIn(layout: string, pid: number): Container | null {
  const cg = readCgroupsOf(path.join(LAYOUTS, layout), pid);
  if (cg === null) throw new Error(`fixtures/cgroup/${layout}/${pid}/cgroup is missing`);
  expect(cg.malformed).toBe(0);
  return containerOf(processCgroupPaths(cg));
}

describe('containerOf on real layouts', () => {
  it('covers every layout folder', () => {
    const folders = fs.readdirSync(LAYOUTS, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
    expect(folders).toEqual([
      'containerd-cri-systemd-v2', 'containerd-cri-v1', 'crio', 'docker-cgroupfs-v1-hybrid', 'docker-systemd-v2',
      'host-root', 'plain-systemd-service', 'podman-root', 'podman-rootless',
    ]);
  });

  it('docker, cgroupfs driver, hybrid host: found in the v1 paths past the non-container v2 path', () => {
    const cg = readCgroupsOf(path.join(LAYOUTS, 'docker-cgroupfs-v1-hybrid'), 4242)!;
    expect(cg.v2).toBe('/system.slice/containerd.service');
    expect(containerOf([cg.v2!])).toBeNull();
    expect(containerIn('docker-cgroupfs-v1-hybrid', 4242)).toEqual({
      runtime: 'docker', id: '04303f6667d73cf4addf5619adcc21859dd5d2683c2693d9193324e87abb45d2',
    });
  });

  it('docker, systemd driver, unified host', () => {
    expect(containerIn('docker-systemd-v2', 2317)).toEqual({
      runtime: 'docker', id: '02e0f800e51e62bc1a421bba022e0add61345d6a5f80b6b4f84b68305b6ca750',
    });
  });

  it('Kubernetes, cgroupfs driver, v1-only host: the pod uid, the id, and no runtime name in the path', () => {
    expect(containerIn('containerd-cri-v1', 18830)).toEqual({
      runtime: 'kubernetes', id: '7fb0516da0fde0fadd51adf7caff44ac71e7d033afec83a369d51d133a633ec3',
      podUid: 'e51dd325-725d-443d-bde9-d9e9adfb9a35',
    });
  });

  it('Kubernetes with containerd, systemd driver: the pod uid back with dashes', () => {
    expect(containerIn('containerd-cri-systemd-v2', 3391)).toEqual({
      runtime: 'containerd', id: '210c238e5b5905c7939916bcf292e35d5539356eda34c9e8f8352fe5cb7cca7c',
      podUid: 'a7bf5753-d0ba-41c4-954d-b2dcadec81c4',
    });
  });

  it('CRI-O: the container (guaranteed pod, no QoS slice), and its conmon is not in it', () => {
    expect(containerIn('crio', 7781)).toEqual({
      runtime: 'cri-o', id: '93f9d9bb7149b416317d61dd8d4db0e95ab39f1cecbb3dbc4bcf709ec8ff97d8',
      podUid: 'f07ee074-e67c-4bd6-98d5-7f405ecb79fb',
    });
    expect(containerIn('crio', 7770)).toBeNull();
  });

  it('podman as root: past crun\'s container sub-group; conmon is not in the container', () => {
    expect(containerIn('podman-root', 45341)).toEqual({
      runtime: 'podman', id: '87bd359bce852926dc79544e3e64ade12fccb14f7e2ced95a6a0554cd42d9b57',
    });
    expect(containerIn('podman-root', 45338)).toBeNull();
  });

  it('rootless podman under the user\'s systemd; its pause process is no container', () => {
    expect(containerIn('podman-rootless', 9137)).toEqual({
      runtime: 'podman', id: '9e9a1195b732a1a0bbe9abd7fe00dc1e3c2578594864ae9f79be09f8544f0947',
    });
    expect(containerIn('podman-rootless', 8801)).toBeNull();
  });

  it('a plain systemd service is not a container', () => {
    expect(containerIn('plain-systemd-service', 812)).toBeNull();
  });

  it('the host\'s init and a kernel thread in the root group are in no container', () => {
    expect(containerIn('host-root', 1)).toBeNull();
    expect(containerIn('host-root', 2)).toBeNull();
  });
});
