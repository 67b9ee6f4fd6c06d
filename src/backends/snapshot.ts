// snapshot() and sample(): the library's one-shot reads, on the backend that select.ts picks.
import { debuglog } from 'node:util';
import { getBackend } from './select';
import { EXT_INFO, isOwnNetDir, requestSource, sampleRequest, Snapshot, type CgroupResolver, type SnapshotOptions } from '../model/snapshot';
import { NetsnapError } from '../model/errors';
import { selectInetRows, type Backend, type RawInetTable, type RawSample, type RowTextRequest, type SampleRequest } from '../model/contract';
import { InetTable, OwnerIndex } from '../model/columns';
import { compileFilter, type CompiledFilter, type FilterOwner } from '../filter/compile';
import { CgroupPaths, findCgroup2Mount } from '../owners/cgroup_path';
import { containerOf, processCgroupPaths, readCgroupsOf } from '../owners/container';
import type { ProcessCgroup } from '../model/columns';

/** What the options ask of netlink beyond the sockets, in words for messages; '' for nothing. */
export function internalsAsked(options: SnapshotOptions): string {
  const asked = (['info', 'memory', 'cgroup'] as const).filter((k) => options[k] === true);
  return asked.length === 0 ? '' : asked.map((k) => `'${k}'`).join(', ');
}

const compiled = new Map<string, CompiledFilter>();

/** options.filter compiled, once per distinct text (the last few are kept); null without one. */
export function filterOf(options: SnapshotOptions): CompiledFilter | null {
  const text = options.filter;
  if (text === undefined || text === null) return null;
  if (typeof text !== 'string') throw new TypeError('options.filter must be a string');
  let f = compiled.get(text);
  if (f === undefined) {
    f = compileFilter(text);
    if (compiled.size >= 16) compiled.delete(compiled.keys().next().value!);
    compiled.set(text, f);
  }
  return f;
}

/**
 * The backend and the request for `options`. tcp_info, skmem and cgroup ids exist only in the
 * netlink dump: asked of the TypeScript backend, of the /proc source or of a tree that is no
 * namespace, they are refused here, before anything is read — never answered with silent zeros.
 * So are filters on what only the dump carries (dev, cgroup, autobound, tcp_info values).
 */
export function prepareSample(options: SnapshotOptions): { backend: Backend; request: SampleRequest; filter: CompiledFilter | null } {
  const request = sampleRequest(options);
  const backend = getBackend(options.backend);
  const filter = filterOf(options);
  if (filter !== null) {
    request.filter = filter.request;
    if (filter.hasStates) request.tcpStates = (request.tcpStates ?? 0xffffffff) & filter.tcpStates;
    if (filter.needs.owners) request.owners = true;
    if (filter.needs.info) {
      request.extensions = (request.extensions ?? 0) | EXT_INFO;
      // The program reads tcp_info fields from the columns too: all of them are decoded.
      delete request.infoFields;
    }
  }
  const asked = netlinkAsked(options, filter);
  if (asked === '') {
    request.source = requestSource(options.source, backend.name, request.netDir);
    return { backend, request, filter };
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
  return { backend, request, filter };
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

/**
 * The filter's owner predicates (pid, comm, program, container), run once the owners are known:
 * the backends kept every row these could still pass; here the rows that do not are cut out.
 */
export function applyOwnerFilter(filter: CompiledFilter | null, request: SampleRequest, raw: RawSample): void {
  if (filter === null || !filter.needs.owners || raw.owners === null) return;
  const index = new OwnerIndex(raw.owners);
  const cgroups = filter.needs.processCgroups ? new Map<number, FilterOwner['container']>() : null;
  const containerOfPid = (pid: number): FilterOwner['container'] => {
    if (cgroups === null) return null;
    let c = cgroups.get(pid);
    if (c === undefined) {
      const cg = readCgroupsOf(request.procRoot, pid);
      const ref = cg === null ? null : containerOf(processCgroupPaths(cg));
      c = ref === null ? null : { id: ref.id, ...(ref.podUid !== undefined ? { podUid: ref.podUid } : {}) };
      cgroups.set(pid, c);
    }
    return c;
  };
  for (const f of raw.files) {
    if (f.table === null || f.name === 'unix') continue;
    const t = new InetTable('tcp', f.name, f.table as RawInetTable, f.source);
    const keep = new Uint8Array(t.count);
    let dropped = 0;
    for (let i = 0; i < t.count; i++) {
      const ok = filter.matches(t, i, (r) => index.ownersOf(t.inode[r]!).map((o) => ({ pid: o.pid, comm: o.comm, program: o.name, container: containerOfPid(o.pid) })));
      keep[i] = ok ? 1 : 0;
      if (!ok) dropped++;
    }
    if (dropped > 0) {
      f.table = selectInetRows(f.table as RawInetTable, keep);
      delete f.rowText; // of rows that are gone
    }
  }
}

/** What a sample depends on the netlink dump for, in words for messages (checkDumps); '' for nothing. */
export function netlinkAsked(options: SnapshotOptions, filter: CompiledFilter | null): string {
  return [internalsAsked(options), filter?.needs.netlink ? `the filter's ${filter.needs.netlink}` : ''].filter(Boolean).join(' and ');
}

const debug = debuglog('netsnap');

/**
 * Where a filter ran, file by file, for NODE_DEBUG=netsnap: in the kernel (its bytecode accepted),
 * on the columns alone (a refused bytecode, a /proc read, the TypeScript backend).
 */
export function reportFilterPlaces(filter: CompiledFilter | null, raw: RawSample): void {
  if (filter === null || !debug.enabled) return;
  const bytes = filter.request.bytecode?.length ?? 0;
  for (const f of raw.files) {
    if (f.name === 'unix' || f.table === null) continue;
    const where = f.filterInKernel === true
      ? `in the kernel (${bytes} bytes of inet_diag bytecode), then on the columns`
      : f.kernelRejected !== undefined
        ? `on the columns only: the kernel refused its bytecode (${f.kernelRejected})`
        : f.source === 'netlink' && bytes === 0
          ? 'on the columns only: nothing of it is for the kernel'
          : `on the columns only (${f.source === 'netlink' ? 'netlink' : '/proc'} source)`;
    debug('filter %j: %s: %d rows, %s', filter.text, f.name, f.table.count, where);
  }
}

function finish(options: SnapshotOptions, backend: Backend, request: SampleRequest, filter: CompiledFilter | null, raw: RawSample, takenAt: number): Snapshot {
  checkDumps(request, raw, netlinkAsked(options, filter));
  reportFilterPlaces(filter, raw);
  applyOwnerFilter(filter, request, raw);
  return new Snapshot(backend.name, request, raw, takenAt, cgroupResolver(options, request.procRoot), processCgroupsOf(options, request.procRoot, raw));
}

/**
 * Reads, parses and (optionally) maps owners, synchronously. `rowText` (the CLI's listing): the
 * sample may format tcp's and tcp6's first rows while it runs (SampleRequest.rowText; Snapshot.rowText).
 */
export function snapshot(options: SnapshotOptions = {}, rowText?: RowTextRequest): Snapshot {
  const { backend, request, filter } = prepareSample(options);
  if (rowText !== undefined) request.rowText = rowText;
  const takenAt = Date.now();
  return finish(options, backend, request, filter, backend.sample(request), takenAt);
}

/**
 * Like snapshot(), but with the native backend the work runs on the libuv thread pool. Its tables
 * are trimmed to their rows there (SampleRequest.trim): callers that sample again and again hand
 * V8 less memory to count (a sampler, createSampler, reuses its tables instead).
 */
export async function sample(options: SnapshotOptions = {}): Promise<Snapshot> {
  const { backend, request, filter } = prepareSample(options);
  const takenAt = Date.now();
  const trimmed: SampleRequest = { ...request, trim: true };
  return finish(options, backend, trimmed, filter, await backend.sampleAsync(trimmed), takenAt);
}
