// A process's cgroups (/proc/PID/cgroup) and the container they place it in. Container runtimes
// name the cgroup of each container after its id, in a handful of fixed shapes:
//
//   docker, cgroupfs driver        /docker/<id>                      (v1 paths on hybrid hosts)
//   docker, systemd driver         /system.slice/docker-<id>.scope
//   Kubernetes, cgroupfs driver    /kubepods/burstable/pod<uid>/<id>  (cri-o: …/pod<uid>/crio-<id>)
//   Kubernetes, systemd driver     /kubepods.slice/kubepods-burstable.slice/
//                                    kubepods-burstable-pod<uid_with_underscores>.slice/
//                                    {cri-containerd,crio,docker}-<id>.scope
//   containerd with a systemd-style parent it did not convert
//                                  /kubepods-…-pod<uid>.slice:cri-containerd:<id>
//   nerdctl, systemd driver        /system.slice/nerdctl-<id>.scope
//   podman                         /machine.slice/libpod-<id>.scope[/container]   (root, systemd)
//                                  /libpod_parent/libpod-<id>                      (cgroupfs)
//                                  /user.slice/…/user@UID.service/user.slice/libpod-<id>.scope/container
//
// Decisions:
// - A systemd service or scope that is not one of these is not a container: containerOf() gives
//   null for it (the cgroup path itself already names the unit for whoever wants it).
// - The monitors beside a container (conmon: `libpod-conmon-<id>.scope`, `crio-conmon-<id>.scope`)
//   are outside the container, so they are not matched.
// - Every runtime above writes the full 64-hex id; a shorter hex name is never taken for an id, and
//   a bare 64-hex name counts only where a runtime puts one (right under `docker` or a pod).
// - Under a pod with the cgroupfs driver the path does not say which runtime made a bare id, so the
//   runtime is 'kubernetes'; otherwise the name prefix says it.
// - Paths are read from the innermost group out, so a container nested in another (a kind node,
//   docker in docker) gives the inner one, and crun's `container` sub-group is skipped over.
import * as fs from 'node:fs';
import { PID_MAX } from './proc_pid';

export interface ProcCgroup {
  /** The cgroup v2 path (the `0::PATH` line); null on a host without cgroup v2. */
  v2: string | null;
  /**
   * The kernel marks a removed v2 group ` (deleted)` (an exiting process can still be in one); the
   * mark is taken off `v2` and noted here.
   */
  v2Deleted: boolean;
  /** The cgroup v1 hierarchies, in the file's order. */
  v1: Array<{ hierarchy: number; controllers: string[]; path: string }>;
  /** Lines skipped because they were not `hierarchy-ID:controller-list:path`. */
  malformed: number;
}

const DELETED = ' (deleted)';

/** Parses /proc/PID/cgroup: `hierarchy-ID:controller-list:path` lines, `0::PATH` for cgroup v2. */
export function parseProcCgroup(text: string): ProcCgroup {
  const out: ProcCgroup = { v2: null, v2Deleted: false, v1: [], malformed: 0 };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const line of lines) {
    const c1 = line.indexOf(':');
    const c2 = c1 < 0 ? -1 : line.indexOf(':', c1 + 1);
    // The path may hold ':' itself (a group name may): only the first two separate fields.
    const hierarchy = c2 < 0 ? null : decimalId(line, c1);
    const path = line.slice(c2 + 1);
    if (hierarchy === null || path[0] !== '/') {
      out.malformed++;
      continue;
    }
    const controllers = line.slice(c1 + 1, c2);
    if (hierarchy === 0) {
      if (controllers !== '' || out.v2 !== null) {
        out.malformed++;
        continue;
      }
      out.v2Deleted = path.endsWith(DELETED);
      out.v2 = out.v2Deleted ? path.slice(0, -DELETED.length) : path;
      continue;
    }
    const list = controllers.split(',');
    if (list.some((c) => c === '')) {
      out.malformed++;
      continue;
    }
    out.v1.push({ hierarchy, controllers: list, path });
  }
  return out;
}

/** A hierarchy id: line[0..end) as 1..10 decimal digits without a leading zero, or null. */
function decimalId(line: string, end: number): number | null {
  if (end < 1 || end > 10 || (end > 1 && line.charCodeAt(0) === 48)) return null;
  for (let i = 0; i < end; i++) {
    const c = line.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Number(line.slice(0, end));
}

/**
 * The cgroups of process `pid` from `PROCROOT/PID/cgroup`; null when the file cannot be read
 * (the process is gone). Never throws for a process; a pid that cannot be one is a TypeError.
 */
export function readCgroupsOf(procRoot: string, pid: number): ProcCgroup | null {
  if (!Number.isInteger(pid) || pid < 1 || pid > PID_MAX) throw new TypeError(`not a pid: ${String(pid)}`);
  let text: string;
  try {
    text = fs.readFileSync(`${procRoot}/${pid}/cgroup`, 'utf8');
  } catch {
    return null;
  }
  return parseProcCgroup(text);
}

/** The paths to look for a container in: the v2 path first, then the v1 ones, each once. */
export function processCgroupPaths(cgroups: ProcCgroup): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  for (const p of [cgroups.v2, ...cgroups.v1.map((h) => h.path)]) {
    if (p !== null && !seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  }
  return out;
}

export type ContainerRuntime = 'docker' | 'containerd' | 'cri-o' | 'podman' | 'kubernetes';

export interface Container {
  /** Who made the container's cgroup; 'kubernetes' when the path names only the pod. */
  runtime: ContainerRuntime;
  /** The full container id: 64 lowercase hex digits. */
  id: string;
  /** The Kubernetes pod's uid, with dashes (`8dd05f4a-0e23-4d5a-b4cf-1c33ad3e5b0a`), when in a pod. */
  podUid?: string;
}

/**
 * The container of a process from its cgroup paths (processCgroupPaths(): v2 first, then v1),
 * or null when none of them is a container's. The first path that names one wins.
 */
export function containerOf(paths: readonly string[]): Container | null {
  for (const path of paths) {
    const found = containerInPath(path);
    if (found) return found;
  }
  return null;
}

const ID_LENGTH = 64;

/** Name shapes `<prefix><id><suffix>` and the runtime each belongs to. */
const WRAPPED: ReadonlyArray<readonly [prefix: string, suffix: string, runtime: ContainerRuntime]> = [
  ['docker-', '.scope', 'docker'],
  ['cri-containerd-', '.scope', 'containerd'],
  ['crio-', '.scope', 'cri-o'],
  ['libpod-', '.scope', 'podman'],
  ['nerdctl-', '.scope', 'containerd'],
  ['crio-', '', 'cri-o'],
  ['libpod-', '', 'podman'],
];

/** The runtime prefixes of the `slice:prefix:id` form (a systemd-style cgroupsPath taken literally). */
const COLON_PREFIX: ReadonlyMap<string, ContainerRuntime> = new Map([
  ['cri-containerd', 'containerd'],
  ['crio', 'cri-o'],
  ['docker', 'docker'],
]);

/** The container one cgroup path names, innermost first. */
export function containerInPath(path: string): Container | null {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const found = containerInName(parts[i]!, parts[i - 1] ?? '');
    if (found) return found;
  }
  return null;
}

function containerInName(name: string, parent: string): Container | null {
  if (name.length === ID_LENGTH && isLowerHex(name, 0, ID_LENGTH)) {
    if (parent === 'docker') return { runtime: 'docker', id: name };
    const podUid = podUidOf(parent);
    return podUid === null ? null : { runtime: 'kubernetes', id: name, podUid };
  }
  for (const [prefix, suffix, runtime] of WRAPPED) {
    if (
      name.length === prefix.length + ID_LENGTH + suffix.length &&
      name.startsWith(prefix) &&
      name.endsWith(suffix) &&
      isLowerHex(name, prefix.length, prefix.length + ID_LENGTH)
    ) {
      return withPod({ runtime, id: name.slice(prefix.length, prefix.length + ID_LENGTH) }, podUidOf(parent));
    }
  }
  // `kubepods-…-pod<uid>.slice:cri-containerd:<id>`: exactly two colons, the id after the second.
  const c2 = name.length - ID_LENGTH - 1;
  if (c2 > 0 && name.charCodeAt(c2) === 58 && isLowerHex(name, c2 + 1, name.length)) {
    const c1 = name.lastIndexOf(':', c2 - 1);
    const runtime = c1 < 0 ? undefined : COLON_PREFIX.get(name.slice(c1 + 1, c2));
    if (runtime !== undefined && name.indexOf(':') === c1) {
      return withPod({ runtime, id: name.slice(c2 + 1) }, podUidOf(name.slice(0, c1)));
    }
  }
  return null;
}

function withPod(c: Container, podUid: string | null): Container {
  if (podUid !== null) c.podUid = podUid;
  return c;
}

/**
 * The pod uid a pod's cgroup name holds, with dashes: `pod<uid>` (cgroupfs driver) or
 * `…-pod<uid_with_underscores>.slice` (systemd driver). A uid is a UUID, or 32 hex digits for a
 * static pod (a hash of its manifest).
 */
export function podUidOf(name: string): string | null {
  let uid: string;
  if (name.endsWith('.slice')) {
    const dash = name.lastIndexOf('-', name.length - 7);
    if (dash < 0 || !name.startsWith('pod', dash + 1)) return null;
    uid = name.slice(dash + 4, -6);
    if (isUuid(uid, '_')) return uid.replace(/_/g, '-');
  } else {
    if (!name.startsWith('pod')) return null;
    uid = name.slice(3);
    if (isUuid(uid, '-')) return uid;
  }
  return uid.length === 32 && isLowerHex(uid, 0, 32) ? uid : null;
}

/** 8-4-4-4-12 lowercase hex digits with `sep` between the groups. */
function isUuid(s: string, sep: '-' | '_'): boolean {
  if (s.length !== 36) return false;
  for (const at of [8, 13, 18, 23]) if (s[at] !== sep) return false;
  return isLowerHex(s, 0, 8) && isLowerHex(s, 9, 13) && isLowerHex(s, 14, 18) && isLowerHex(s, 19, 23) && isLowerHex(s, 24, 36);
}

function isLowerHex(s: string, start: number, end: number): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return true;
}
