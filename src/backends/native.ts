// A boring, honest loader: a fixed list of candidates, anything but "not found" is rethrown.
import * as path from 'node:path';
import type { Backend, DestroyEventsOptions, DestroySubscription, InetProto, RawSample, SampleRequest } from '../model/contract';

const BUILT = [
  path.join(__dirname, '..', '..', 'build', 'Release', 'netsnap.node'),
  path.join(__dirname, '..', '..', 'build', 'Debug', 'netsnap.node'),
];

/**
 * NETSNAP_ADDON=/abs/path/netsnap.node loads that addon and nothing else (the sanitized test run,
 * scripts/test-sanitized.sh, points it at an ASan/UBSan build): a missing file then means the
 * TypeScript backend, never a silent fall back to another build.
 */
function candidates(): string[] {
  const forced = process.env.NETSNAP_ADDON;
  return forced ? [path.resolve(forced)] : BUILT;
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
  /** Native only, for tests: the decoder's struct tcp_info table, [offset, size] per field in TCP_INFO_FIELDS order. */
  tcpInfoFields(): Array<[number, number]>;
}

export type NativeLoad = { ok: true; backend: Backend; path: string } | { ok: false; tried: string[] };

let cached: NativeLoad | undefined;

export function loadNative(): NativeLoad {
  if (cached) return cached;
  const tried: string[] = [];
  for (const candidate of candidates()) {
    let addon: Addon;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      addon = require(candidate) as Addon;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'MODULE_NOT_FOUND') throw err;
      tried.push(`${candidate}: not found`);
      continue;
    }
    const backend: Backend = {
      name: 'native',
      parseInet: (bytes, proto, littleEndian) => addon.parseInet(bytes, proto, littleEndian),
      parseUnix: (bytes) => addon.parseUnix(bytes),
      parseSocketLink: (link) => addon.parseSocketLink(link),
      readProcFile: (p) => addon.readProcFile(p),
      scanOwners: (root) => addon.scanOwners(root),
      sample: (request) => addon.sample(request),
      sampleAsync: (request) => addon.sampleAsync(request),
      openDestroyEvents: (options) => addon.openDestroyEvents(options),
    };
    cached = { ok: true, backend, path: candidate };
    return cached;
  }
  cached = { ok: false, tried };
  return cached;
}
