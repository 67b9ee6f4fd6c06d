// snapshot() and sample(): the library's one-shot reads, on the backend that select.ts picks.
import { getBackend } from './select';
import { isOwnNetDir, requestSource, sampleRequest, Snapshot, type CgroupResolver, type SnapshotOptions } from '../model/snapshot';
import { NetsnapError } from '../model/errors';
import type { Backend, RawSample, SampleRequest } from '../model/contract';
import { CgroupPaths, findCgroup2Mount } from '../owners/cgroup_path';
import { containerOf, processCgroupPaths, readCgroupsOf } from '../owners/container';
import type { ProcessCgroup } from '../model/columns';

/** What the options ask of netlink beyond the sockets, in words for messages; '' for nothing. */
export function internalsAsked(options: SnapshotOptions): string {
  const asked = (['info', 'memory', 'cgroup'] as const).filter((k) => options[k] === true);
  return asked.length === 0 ? '' : asked.map((k) => `'${k}'`).join(', ');
}

/**
 * The backend and the request for `options`. tcp_info, skmem and cgroup ids exist only in the
 * netlink dump: asked of the TypeScript backend, of the /proc source or of a tree that is no
 * namespace, they are refused here, before anything is read — never answered with silent zeros.
 */
export function prepareSample(options: SnapshotOptions): { backend: Backend; request: SampleRequest } {
  const request = sampleRequest(options);
  const backend = getBackend(options.backend);
  const asked = internalsAsked(options);
  if (asked === '') {
    request.source = requestSource(options.source, backend.name, request.netDir);
    return { backend, request };
  }
  if (backend.name !== 'native') {
    throw new NetsnapError('ERR_NEEDS_NATIVE', `${asked} come from the kernel's netlink socket dump, which only the native backend reads; the TypeScript backend is in use (NETSNAP_BACKEND=js, or the addon did not load: see netsnap --version)`);
  }
  if (options.source === 'proc') throw new NetsnapError('ERR_USAGE', `${asked} come from the netlink source, not from /proc: use source 'netlink' or 'auto'`);
  request.source = 'netlink';
  if (!isOwnNetDir(request.netDir)) {
    const m = /^(.*)\/([1-9][0-9]{0,9})\/net$/.exec(request.netDir);
    if (m === null) throw new NetsnapError('ERR_USAGE', `${asked} need a live network namespace, and ${request.netDir} is not /proc/net or /proc/PID/net`);
    request.netns = `${m[1]}/${m[2]}/ns/net`;
  }
  return { backend, request };
}

const resolvers = new Map<string, CgroupPaths>();

/** One CgroupPaths per cgroup2 mount for the life of the process: its cache is what makes it cheap. */
export function cgroupResolver(options: SnapshotOptions, procRoot: string): CgroupResolver | null {
  if (options.cgroup !== true) return null;
  const mount = findCgroup2Mount(procRoot);
  const key = mount ?? '';
  let paths = resolvers.get(key);
  if (!paths) {
    paths = new CgroupPaths(mount);
    resolvers.set(key, paths);
  }
  const p = paths;
  // A socket may be younger than the cached walk: a miss re-walks the tree, once per sample (a
  // group that is gone stays a miss, and costs this sample one walk).
  let refreshed = false;
  return (id) => {
    const path = p.pathOf(id);
    if (path !== null || refreshed) return path;
    refreshed = true;
    p.refresh();
    return p.pathOf(id);
  };
}

/** With `cgroup` and owners: the cgroup and container of every owning process (a vanished one has none). */
export function processCgroupsOf(options: SnapshotOptions, procRoot: string, raw: RawSample): Map<number, ProcessCgroup> | null {
  if (options.cgroup !== true || raw.owners === null) return null;
  const out = new Map<number, ProcessCgroup>();
  for (const pid of raw.owners.procPids) {
    const cg = readCgroupsOf(procRoot, pid);
    out.set(pid, cg === null ? { cgroup: null, container: null } : { cgroup: cg.v2, container: containerOf(processCgroupPaths(cg)) });
  }
  return out;
}

/** A failed dump that the request depended on is an error, not an empty table. */
export function checkDumps(request: SampleRequest, raw: RawSample, asked: string): void {
  if (asked === '') return;
  for (const f of raw.files) {
    if (f.name !== 'tcp' && f.name !== 'tcp6') continue;
    // Rows from /proc would lack what was asked (a cgroup-only dump may fall back): refuse them too.
    if (f.error === null && f.source !== 'netlink') throw new NetsnapError('ERR_NETLINK', `the netlink dump of ${f.name} failed, and /proc has no ${asked}`);
    if (f.error === null) continue;
    const where = request.netns ? ` in ${request.netns}` : '';
    const hint = f.error === 'EPERM' && request.netns ? ' (entering another network namespace needs CAP_SYS_ADMIN)' : '';
    throw new NetsnapError('ERR_NETLINK', `the netlink dump of ${f.name}${where} failed: ${f.error}${hint}`);
  }
}

/** Reads, parses and (optionally) maps owners, synchronously. */
export function snapshot(options: SnapshotOptions = {}): Snapshot {
  const { backend, request } = prepareSample(options);
  const takenAt = Date.now();
  const raw = backend.sample(request);
  checkDumps(request, raw, internalsAsked(options));
  return new Snapshot(backend.name, request, raw, takenAt, cgroupResolver(options, request.procRoot), processCgroupsOf(options, request.procRoot, raw));
}

/** Like snapshot(), but with the native backend the work runs on the libuv thread pool. */
export async function sample(options: SnapshotOptions = {}): Promise<Snapshot> {
  const { backend, request } = prepareSample(options);
  const takenAt = Date.now();
  const raw = await backend.sampleAsync(request);
  checkDumps(request, raw, internalsAsked(options));
  return new Snapshot(backend.name, request, raw, takenAt, cgroupResolver(options, request.procRoot), processCgroupsOf(options, request.procRoot, raw));
}
