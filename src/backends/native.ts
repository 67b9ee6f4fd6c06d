// The addon loader: the first addon that actually loads, in a fixed order, and why.
//   1. a prebuild that travels in the package: prebuilds/<platform>-<arch>/*.node, chosen as
//      node-gyp-build chooses (its tag parsing and ranking: libc, napi, abi);
//   2. an addon built from source here: build/Release, then build/Debug;
//   3. none: the TypeScript backend (select.ts), and `netsnap --version` says why.
// node-gyp-build alone would take build/ before prebuilds/ and throw when nothing matches; here a
// candidate that fails to load (a glibc older than the prebuild's floor, a foreign or truncated
// file) is recorded and the next one is tried.
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Backend, DestroyEventsOptions, DestroySubscription, DetailSpec, InetProto, InetRowColumns, InetRowFormat, RawOwners, RawSample, SampleRequest } from '../model/contract';

/** The package's root (dist/backends/ or src/backends/ is two levels below it). */
const ROOT = path.join(__dirname, '..', '..');

interface Tags {
  file: string;
}
interface Tuple {
  name: string;
}
/** The parts of node-gyp-build's resolver it exports (the package ships no types). */
interface GypBuild {
  parseTuple(name: string): Tuple | undefined;
  matchTuple(platform: string, arch: string): (t: Tuple | undefined) => boolean;
  compareTuples(a: Tuple, b: Tuple): number;
  parseTags(file: string): Tags | undefined;
  matchTags(runtime: string, abi: string): (t: Tags | undefined) => boolean;
  compareTags(runtime: string): (a: Tags, b: Tags) => number;
}

export type AddonKind = 'prebuild' | 'build' | 'forced';

export interface AddonCandidate {
  path: string;
  kind: AddonKind;
}

export interface LoaderOptions {
  /** The package root holding prebuilds/ and build/ (default: this package's). */
  root?: string;
  platform?: string;
  arch?: string;
  /** NETSNAP_ADDON: that file and nothing else. */
  forced?: string;
}

function readdir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/**
 * The addons to try, in order, and what is missing (for the reason shown when none loads).
 * NETSNAP_ADDON=/abs/path/netsnap.node names the only candidate (the sanitized test run,
 * scripts/test-sanitized.sh, points it at an ASan/UBSan build): never a silent fall back to another.
 */
export function addonCandidates(options: LoaderOptions = {}): { candidates: AddonCandidate[]; missing: string[] } {
  const forced = options.forced ?? process.env.NETSNAP_ADDON;
  if (forced) return { candidates: [{ path: path.resolve(forced), kind: 'forced' }], missing: [] };
  const root = options.root ?? ROOT;
  const platform = options.platform ?? process.platform;
  const arch = options.arch ?? process.arch;
  const candidates: AddonCandidate[] = [];
  const missing: string[] = [];
  const prebuilds = path.join(root, 'prebuilds');
  const names = readdir(prebuilds);
  if (names.length > 0) {
    // node-gyp-build only when there is a prebuild to rank (its start reads /etc/alpine-release and loads node:os).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const gyp = require('node-gyp-build') as GypBuild;
    const tuples = names.map((n) => gyp.parseTuple(n)).filter(gyp.matchTuple(platform, arch)) as Tuple[];
    for (const tuple of tuples.sort((a, b) => gyp.compareTuples(a, b))) {
      const dir = path.join(prebuilds, tuple.name);
      const tags = readdir(dir).map((f) => gyp.parseTags(f)).filter(gyp.matchTags('node', process.versions.modules)) as Tags[];
      for (const t of tags.sort(gyp.compareTags('node'))) candidates.push({ path: path.join(dir, t.file), kind: 'prebuild' });
    }
  }
  if (candidates.length === 0) missing.push(`no prebuild for ${platform}-${arch}`);
  const built = ['Release', 'Debug'].map((d) => path.join(root, 'build', d, 'netsnap.node')).filter((f) => fs.existsSync(f));
  for (const f of built) candidates.push({ path: f, kind: 'build' });
  if (built.length === 0) missing.push('not built');
  return { candidates, missing };
}

interface Addon {
  parseInet(bytes: Uint8Array, proto: InetProto, littleEndian: boolean): ReturnType<Backend['parseInet']>;
  parseUnix(bytes: Uint8Array): ReturnType<Backend['parseUnix']>;
  parseSocketLink(link: Uint8Array): number;
  readProcFile(path: string): ReturnType<Backend['readProcFile']>;
  scanOwners(procRoot: string): ReturnType<Backend['scanOwners']>;
  sample(request: SampleRequest): RawSample;
  sampleAsync(request: SampleRequest): Promise<RawSample>;
  openDestroyEvents(options?: DestroyEventsOptions): DestroySubscription;
  formatInetRows(columns: InetRowColumns, count: number, format: InetRowFormat, owners: RawOwners | null, out: Uint8Array, lookup?: OwnerLookupTable | null): number;
  /** Absent in earlier builds. */
  formatDetailLines?(details: DetailSpec, first: number, count: number, out: Uint8Array, ends: Uint32Array): number;
  /** The owner lookup table over a RawOwners' inodes that formatInetRows takes (null: not sorted whole numbers); absent in earlier builds. */
  ownerLookup?(inodes: Float64Array): OwnerLookupTable | null;
  /** Native only, for tests: the decoder's struct tcp_info table, [offset, size] per field in TCP_INFO_FIELDS order. */
  tcpInfoFields(): Array<[number, number]>;
  /** Native only: whether owner scans of the live /proc may read the kernel's BPF task_file iterator (absent in earlier builds). */
  setOwnerSource?(source: 'auto' | 'bpf' | 'proc'): void;
}

/** What ownerLookup() gives: native/format.h's OwnerLookup table (where each range of inode numbers starts). */
export interface OwnerLookupTable {
  starts: Uint32Array;
  lo: number;
  shift: number;
}

/**
 * formatInetRows with the owner lookup table built once per owner index (kept beside its inodes, an
 * array nothing writes to after the sample) instead of once per call: a listing formats a table in
 * chunks of rows, each of which would otherwise make it again. The addon says when an index is too
 * small for one (null, kept too).
 */
function rowFormatter(addon: Addon): NonNullable<Backend['formatInetRows']> {
  const tables = new WeakMap<Float64Array, OwnerLookupTable | null>();
  const lookupFor = (o: RawOwners | null): OwnerLookupTable | null => {
    // Anything but a RawOwners' Float64Array is the addon's to refuse, with its own message.
    const inodes: unknown = typeof o === 'object' && o !== null ? o.inodes : undefined;
    if (!(inodes instanceof Float64Array) || typeof addon.ownerLookup !== 'function') return null;
    let t = tables.get(inodes);
    if (t === undefined) {
      t = addon.ownerLookup(inodes);
      tables.set(inodes, t);
    }
    return t;
  };
  return (c, n, f, o, out) => addon.formatInetRows(c, n, f, o, out, lookupFor(o));
}

export type NativeLoad =
  | { ok: true; backend: Backend; path: string; kind: AddonKind; reason: string; tried: string[] }
  | { ok: false; tried: string[]; reason: string };

/** A path as the user reads it: relative to the package root when inside it. */
function shown(file: string, root: string): string {
  const rel = path.relative(root, file);
  return rel.startsWith('..') || path.isAbsolute(rel) ? file : rel;
}

/** The first line of a load error (dlopen's message names the missing symbol version or the bad file). */
function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0]!.trim();
}

const EXPORTS = ['parseInet', 'parseUnix', 'parseSocketLink', 'readProcFile', 'scanOwners', 'sample', 'sampleAsync', 'openDestroyEvents'] as const;

/** Tries the candidates in order; uncached (loadNative() caches this package's answer). */
export function loadNativeFrom(options: LoaderOptions = {}): NativeLoad {
  const root = options.root ?? ROOT;
  const { candidates, missing } = addonCandidates(options);
  const tried: string[] = [];
  const failed: string[] = [];
  for (const candidate of candidates) {
    const name = candidate.kind === 'forced' ? `NETSNAP_ADDON=${candidate.path}` : `${candidate.kind} ${shown(candidate.path, root)}`;
    let addon: Addon;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(candidate.path) as Addon;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'MODULE_NOT_FOUND' ? 'not found' : `failed to load: ${firstLine(err)}`;
      tried.push(`${candidate.path}: ${why}`);
      failed.push(`${name} ${why}`);
      continue;
    }
    const absent = EXPORTS.filter((k) => typeof (addon as unknown as Record<string, unknown>)[k] !== 'function');
    if (absent.length > 0) {
      const why = `is not this version's addon (no ${absent.join(', ')})`;
      tried.push(`${candidate.path}: ${why}`);
      failed.push(`${name} ${why}`);
      continue;
    }
    // NETSNAP_OWNER_SOURCE: proc, owner scans read /proc/PID/fd even where the kernel's BPF
    // iterator could be used; bpf, they use it whenever they can, however small the scan; auto (the
    // default), when the scan is big enough to repay loading it. select.ts rejects other values.
    const ownerSource = process.env.NETSNAP_OWNER_SOURCE;
    if ((ownerSource === 'bpf' || ownerSource === 'proc') && typeof addon.setOwnerSource === 'function') addon.setOwnerSource(ownerSource);
    const backend: Backend = {
      name: 'native',
      parseInet: (bytes, proto, littleEndian) => addon.parseInet(bytes, proto, littleEndian),
      parseUnix: (bytes) => addon.parseUnix(bytes),
      parseSocketLink: (link) => addon.parseSocketLink(link),
      readProcFile: (p) => addon.readProcFile(p),
      scanOwners: (r) => addon.scanOwners(r),
      sample: (request) => addon.sample(request),
      sampleAsync: (request) => addon.sampleAsync(request),
      openDestroyEvents: (o) => addon.openDestroyEvents(o),
      // An addon of an earlier build (NETSNAP_ADDON) may lack it: then the rows are formatted in TypeScript.
      ...(typeof addon.formatInetRows === 'function' ? { formatInetRows: rowFormatter(addon) } : {}),
      ...(typeof addon.formatDetailLines === 'function' ? { formatDetailLines: (d, first, n, out, ends) => addon.formatDetailLines!(d, first, n, out, ends) } : {}),
    };
    const what = candidate.kind === 'build' ? `built from source: ${shown(candidate.path, root)}` : name;
    const before = [...failed, ...(candidate.kind === 'build' ? missing.filter((m) => m !== 'not built') : [])];
    return { ok: true, backend, path: candidate.path, kind: candidate.kind, reason: [what, ...before].join('; '), tried };
  }
  return { ok: false, tried, reason: [...failed, ...missing].join(', ') || 'no addon' };
}

let cached: NativeLoad | undefined;

/** This package's addon, loaded once. */
export function loadNative(): NativeLoad {
  cached ??= loadNativeFrom();
  return cached;
}
