// containerOf on single paths: every name shape the module documents, the names it must not take
// for a container, nesting, and hostile paths.
import { describe, expect, it } from 'vitest';
import { containerInPath, containerOf, podUidOf } from '../../src/owners/container';

const ID = 'c8f3545e086a9cc4927f1d49d2465c31522631d720fecc0b83e48ded66c5e9ef';
const ID2 = '2b999e03674e47d1f1ff587a5a8316021caef0c37461c9b0adc1658416c66a3d';
const UID = '8dd05f4a-0e23-4d5a-b4cf-1c33ad3e5b0a';
const UID_ = UID.replace(/-/g, '_');
const STATIC_UID = '6e1b54a0f0f9d1a7e8f6a6d0b9b3b6c2';

describe('containerInPath: the shapes runtimes write', () => {
  it.each([
    ['/docker/ID', { runtime: 'docker', id: ID }],
    ['/system.slice/docker-ID.scope', { runtime: 'docker', id: ID }],
    ['/user.slice/user-1000.slice/user@1000.service/user.slice/docker-ID.scope', { runtime: 'docker', id: ID }],
    ['/system.slice/nerdctl-ID.scope', { runtime: 'containerd', id: ID }],
    ['/kubepods/burstable/podUID/ID', { runtime: 'kubernetes', id: ID, podUid: UID }],
    ['/kubepods/podUID/ID', { runtime: 'kubernetes', id: ID, podUid: UID }],
    ['/kubepods/besteffort/podSTATIC/ID', { runtime: 'kubernetes', id: ID, podUid: STATIC_UID }],
    ['/kubepods/burstable/podUID/crio-ID', { runtime: 'cri-o', id: ID, podUid: UID }],
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podUID_.slice/cri-containerd-ID.scope', { runtime: 'containerd', id: ID, podUid: UID }],
    ['/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-podUID_.slice/crio-ID.scope/container', { runtime: 'cri-o', id: ID, podUid: UID }],
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podUID_.slice/docker-ID.scope', { runtime: 'docker', id: ID, podUid: UID }],
    ['/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-besteffort.slice/kubelet-kubepods-besteffort-podUID_.slice/cri-containerd-ID.scope', { runtime: 'containerd', id: ID, podUid: UID }],
    ['/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podSTATIC.slice/cri-containerd-ID.scope', { runtime: 'containerd', id: ID, podUid: STATIC_UID }],
    ['/kubepods-besteffort-podUID_.slice:cri-containerd:ID', { runtime: 'containerd', id: ID, podUid: UID }],
    ['/system.slice/containerd.service/kubepods-besteffort-podUID_.slice:cri-containerd:ID', { runtime: 'containerd', id: ID, podUid: UID }],
    ['/kubepods-besteffort-podUID_.slice:crio:ID', { runtime: 'cri-o', id: ID, podUid: UID }],
    ['/system.slice:docker:ID', { runtime: 'docker', id: ID }],
    ['/machine.slice/libpod-ID.scope', { runtime: 'podman', id: ID }],
    ['/machine.slice/libpod-ID.scope/container', { runtime: 'podman', id: ID }],
    ['/machine.slice/machine-libpod_pod_ID2.slice/libpod-ID.scope/container', { runtime: 'podman', id: ID }],
    ['/libpod_parent/libpod-ID', { runtime: 'podman', id: ID }],
    ['/user.slice/user-0.slice/user@0.service/machine.slice/libpod-ID.scope/container', { runtime: 'podman', id: ID }],
    ['/machine.slice/libpod-ID.scope/init.scope', { runtime: 'podman', id: ID }],
    ['/docker/ID/system.slice/nginx.service', { runtime: 'docker', id: ID }],
  ])('%s', (shape, expected) => {
    const p = shape.replace(/UID_/g, UID_).replace(/UID/g, UID).replace(/STATIC/g, STATIC_UID).replace(/ID2/g, ID2).replace(/ID/g, ID);
    expect(containerInPath(p)).toEqual(expected);
  });

  it('gives the innermost container of nested ones (docker in docker, a kind node)', () => {
    expect(containerInPath(`/docker/${ID2}/docker/${ID}`)).toEqual({ runtime: 'docker', id: ID });
    const kind = `/system.slice/docker-${ID2}.scope/kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-pod${UID_}.slice/cri-containerd-${ID}.scope`;
    expect(containerInPath(kind)).toEqual({ runtime: 'containerd', id: ID, podUid: UID });
    expect(containerInPath(`/system.slice/docker-${ID2}.scope/kubelet.slice`)).toEqual({ runtime: 'docker', id: ID2 });
  });
});

describe('containerInPath: what is not a container', () => {
  it.each([
    '/',
    '/init.scope',
    '/system.slice/nginx.service',
    '/system.slice/docker.service',
    '/system.slice/containerd.service',
    '/user.slice/user-1000.slice/session-3.scope',
    '/user.slice/user-1000.slice/user@1000.service/user.slice/podman-12345.scope',
    `/machine.slice/libpod-conmon-${ID}.scope`,
    `/kubepods.slice/kubepods-pod${UID_}.slice/crio-conmon-${ID}.scope`,
    `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${UID_}.slice`,
    `/kubepods/burstable/pod${UID}`,
    // A bare hex name counts only right under docker or a pod.
    `/${ID}`,
    `/system.slice/${ID}`,
    `/process_api/${ID.slice(0, 32)}`,
    // Short ids, long ids, capitals, words.
    `/docker/${ID.slice(0, 12)}`,
    `/docker/${ID}0`,
    `/docker/${ID.toUpperCase()}`,
    `/system.slice/docker-${ID.slice(0, 12)}.scope`,
    `/system.slice/docker-${ID.slice(0, 63)}g.scope`,
    '/system.slice/docker-deadbeefcafe.scope',
    `/system.slice/docker-${ID}.service`,
    `/system.slice/foo-${ID}.scope`,
    `/machine.slice/machine-${ID}.scope`,
    // Not a pod: the uid is malformed, so a bare id under it is nobody's.
    `/kubepods/burstable/pod${UID_}/${ID}`,
    `/kubepods/burstable/pod${UID.slice(1)}/${ID}`,
    // The colon form needs a known runtime and exactly two colons.
    `/kubepods-besteffort-pod${UID_}.slice:runc:${ID}`,
    `/a:b:cri-containerd:${ID}`,
    `/:${ID}`,
  ])('%s', (p) => {
    expect(containerInPath(p)).toBeNull();
  });

  it('is null for no paths at all', () => {
    expect(containerOf([])).toBeNull();
  });
});

describe('containerOf over several paths', () => {
  it('takes the first path that names a container', () => {
    expect(containerOf(['/system.slice/containerd.service', '/', `/docker/${ID}`])).toEqual({ runtime: 'docker', id: ID });
    expect(containerOf([`/system.slice/docker-${ID2}.scope`, `/docker/${ID}`])).toEqual({ runtime: 'docker', id: ID2 });
  });
});

describe('podUidOf', () => {
  it('reads both drivers\' pod names and gives dashes', () => {
    expect(podUidOf(`pod${UID}`)).toBe(UID);
    expect(podUidOf(`kubepods-burstable-pod${UID_}.slice`)).toBe(UID);
    expect(podUidOf(`kubepods-pod${UID_}.slice`)).toBe(UID);
    expect(podUidOf(`pod${STATIC_UID}`)).toBe(STATIC_UID);
    expect(podUidOf(`kubepods-besteffort-pod${STATIC_UID}.slice`)).toBe(STATIC_UID);
  });

  it('refuses everything else', () => {
    for (const name of ['pod', 'pods', 'podx', `pod${UID_}`, `pod${UID.toUpperCase()}`, `kubepods-pod${UID}.slice`, 'kubepods-besteffort.slice', `pod${UID}.slice`, `kubepods-pod${STATIC_UID}0.slice`, '']) {
      expect(podUidOf(name), name).toBeNull();
    }
  });
});

describe('hostile paths', () => {
  it('answers for 1 MiB paths of near-misses in one pass', () => {
    const nearMisses = [
      `/${'docker-'.repeat(150_000)}`,
      `/${`docker/${ID.slice(0, 63)}/`.repeat(15_000)}`,
      `/${'a:'.repeat(1 << 19)}${ID}`,
      `/${':'.repeat(1 << 20)}cri-containerd:${ID}`,
      `/${'/'.repeat(1 << 20)}`,
      `/${'f'.repeat(1 << 20)}`,
      `/${'pod'.repeat(350_000)}.slice`,
    ];
    for (const p of nearMisses) expect(containerInPath(p)).toBeNull();
    // A container under a 1 MiB name that looks like a pod slice: the container, no pod.
    expect(containerInPath(`/${'-pod'.repeat(1 << 18)}.slice/cri-containerd-${ID}.scope`)).toEqual({ runtime: 'containerd', id: ID });
    expect(containerInPath(`/${'-pod'.repeat(1 << 18)}.slice:crio:${ID}`)).toEqual({ runtime: 'cri-o', id: ID });
    // A real container at the end of a 1 MiB path is still found.
    expect(containerInPath(`/${'x/'.repeat(1 << 19)}docker/${ID}`)).toEqual({ runtime: 'docker', id: ID });
  });
});
