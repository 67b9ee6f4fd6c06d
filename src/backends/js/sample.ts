// The whole sample (read + parse + scan) in TypeScript.
import type { InetProto, RawFileResult, RawSample, RawUnixTable, SampleRequest } from '../../model/contract';
import { streamInet } from './net_inet';
import { streamUnix } from './net_unix';
import { scanOwners } from './owners';
import { programProblem } from '../../filter/program';

/** request.filter's program, checked as the addon checks it (TypeError for a bad one). */
function filterProgram(request: SampleRequest): Float64Array | undefined {
  const f = request.filter;
  if (f === undefined || f === null) return undefined;
  if (!(f.program instanceof Float64Array)) throw new TypeError('request.filter.program must be a Float64Array');
  const problem = programProblem(f.program);
  if (problem !== null) throw new TypeError(`request.filter.program: ${problem}`);
  if (f.bytecode !== undefined && f.bytecode !== null && !(f.bytecode instanceof Uint8Array)) {
    throw new TypeError('request.filter.bytecode must be a Uint8Array or null');
  }
  return f.program;
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

/** The inodes of every row of a sample's tables. */
function survivingInodes(files: RawFileResult[]): Set<number> {
  const out = new Set<number>();
  for (const f of files) {
    const t = f.table;
    if (t === null) continue;
    const inodes = new Float64Array(t.buffer, 0, t.count); // the inode column is first in both layouts
    for (let i = 0; i < t.count; i++) out.add(inodes[i]!);
  }
  return out;
}

export function sample(request: SampleRequest): RawSample {
  // request.source is ignored: this backend always reads /proc (and says so in each result).
  const m = request.tcpStates;
  if (m !== undefined && !(typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 0xffffffff)) {
    throw new TypeError('request.tcpStates must be a whole number below 2^32');
  }
  const program = filterProgram(request);
  const files: RawFileResult[] = [];
  for (const [index, name] of request.files.entries()) {
    const reuse = request.reuse?.[index] ?? null;
    const proto = protoOfFile(name);
    if (proto === null) throw new TypeError(`unknown /proc/net file: ${name}`);
    // Streamed: one chunk and the table in memory, never the whole text (lines.ts).
    const path = `${request.netDir}/${name}`;
    const table = proto === 'unix'
      ? streamUnix(path, reuse as RawUnixTable | null)
      : streamInet(path, proto, request.littleEndian, reuse, proto === 'tcp' ? request.tcpStates : undefined, program);
    if (typeof table === 'string') {
      files.push({ name, source: 'proc', error: table, table: null });
      continue;
    }
    files.push({ name, source: 'proc', error: null, table });
  }
  // A filtered sample maps owners only for the rows that passed (and every UNIX row: not filtered).
  const keep = program === undefined ? undefined : survivingInodes(files);
  return { files, owners: request.owners ? scanOwners(request.procRoot, keep && ((inode) => keep.has(inode))) : null };
}

export function sampleAsync(request: SampleRequest): Promise<RawSample> {
  // The TypeScript backend has no thread pool of its own: it yields once, then samples.
  return new Promise((resolve, reject) => {
    setImmediate(() => {
      try {
        resolve(sample(request));
      } catch (err) {
        reject(err);
      }
    });
  });
}
