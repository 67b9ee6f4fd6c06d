// One /proc/net socket table of a sample, read and parsed: what sample.ts does for each file on its
// own thread, and what the helper threads of scan_threads.ts do when they parse a sample's files
// (they load this module's compiled file by its path: parseModulePath()).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { InetProto, RawFileResult, RawInetTable, RawUnixTable } from '../../model/contract';
import { streamInet } from './net_inet';
import { streamUnix } from './net_unix';

/** What parsing the files of a request needs (what crosses to a helper thread). */
export interface ParseSpec {
  netDir: string;
  files: readonly string[];
  littleEndian: boolean;
  tcpStates?: number;
  /** The request's filter program, checked. */
  program?: Float64Array;
}

export function protoOfFile(name: string): InetProto | 'unix' | null {
  switch (name) {
    case 'tcp': case 'tcp6': return 'tcp';
    case 'udp': case 'udp6': return 'udp';
    case 'udplite': case 'udplite6': return 'udplite';
    case 'raw': case 'raw6': return 'raw';
    case 'unix': return 'unix';
    default: return null;
  }
}

/** File `index` of `spec`, streamed (one chunk and the table in memory, never the whole text: lines.ts). */
export function parseFile(spec: ParseSpec, index: number, reuse: RawInetTable | RawUnixTable | null = null): RawFileResult {
  const name = spec.files[index]!;
  const proto = protoOfFile(name);
  if (proto === null) throw new TypeError(`unknown /proc/net file: ${name}`);
  const file = `${spec.netDir}/${name}`;
  const table = proto === 'unix'
    ? streamUnix(file, reuse as RawUnixTable | null)
    : streamInet(file, proto, spec.littleEndian, reuse, proto === 'tcp' ? spec.tcpStates : undefined, spec.program);
  if (typeof table === 'string') return { name, source: 'proc', error: table, table: null };
  return { name, source: 'proc', error: null, table };
}

/** The buffers of a parsed file, to transfer rather than copy to another thread. */
export function transferables(r: RawFileResult): ArrayBuffer[] {
  const t = r.table as (RawInetTable & { pool?: Uint8Array }) | null;
  if (t === null) return [];
  const out: ArrayBuffer[] = [t.buffer, t.problems.buffer as ArrayBuffer];
  if (t.pool !== undefined) out.push(t.pool.buffer as ArrayBuffer);
  return [...new Set(out)];
}

let modulePath: string | null | undefined;

/**
 * The compiled file of this module, which a helper thread require()s: next to this one in dist/,
 * beside the command line's bundle (dist/cli/cli.bundle.js), or, running from the sources (the
 * tests), in the build. Null when there is none: the files are then parsed on the calling thread.
 */
export function parseModulePath(): string | null {
  if (modulePath !== undefined) return modulePath;
  const candidates = [path.join(__dirname, 'parse_task.js'), path.join(__dirname, '../backends/js/parse_task.js')];
  // The sources (src/backends/js, under the tests): the build beside them.
  if (__dirname.endsWith(path.join('src', 'backends', 'js'))) candidates.push(path.join(__dirname, '../../../dist/backends/js/parse_task.js'));
  modulePath = candidates.find((p) => {
    try {
      return fs.statSync(p).isFile();
    } catch {
      return false;
    }
  }) ?? null;
  return modulePath;
}
