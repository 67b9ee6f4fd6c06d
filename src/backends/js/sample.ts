// The whole sample (read + parse + scan) in TypeScript.
import type { InetProto, RawFileResult, RawSample, RawUnixTable, SampleRequest } from '../../model/contract';
import { streamInet } from './net_inet';
import { streamUnix } from './net_unix';
import { ownersOf } from './owners';
import { joinScan, planScan, scanAsync, startScan } from './scan_threads';
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

/** The request's /proc/net tables, parsed on this thread. */
function readFiles(request: SampleRequest, program: Float64Array | undefined): RawFileResult[] {
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
  return files;
}

/** request.tcpStates and request.filter checked; the filter's column program. */
function checkRequest(request: SampleRequest): Float64Array | undefined {
  // request.source is ignored: this backend always reads /proc (and says so in each result).
  const m = request.tcpStates;
  if (m !== undefined && !(typeof m === 'number' && Number.isInteger(m) && m >= 0 && m <= 0xffffffff)) {
    throw new TypeError('request.tcpStates must be a whole number below 2^32');
  }
  for (const name of request.files) if (protoOfFile(name) === null) throw new TypeError(`unknown /proc/net file: ${name}`);
  return filterProgram(request);
}

/** A filtered sample maps owners only for the rows that passed (and every UNIX row: not filtered). */
function keeper(files: RawFileResult[], program: Float64Array | undefined): ((inode: number) => boolean) | undefined {
  if (program === undefined) return undefined;
  const keep = survivingInodes(files);
  return (inode) => keep.has(inode);
}

export function sample(request: SampleRequest): RawSample {
  const program = checkRequest(request);
  if (!request.owners) return { files: readFiles(request, program), owners: null };
  // On a big /proc, helper threads scan owners while this thread parses the tables, then joins them.
  const { tasks, threads } = planScan(request.procRoot);
  const scan = startScan(request.procRoot, tasks, threads);
  const files = readFiles(request, program);
  return { files, owners: ownersOf(request.procRoot, joinScan(scan), keeper(files, program)) };
}

export function sampleAsync(request: SampleRequest): Promise<RawSample> {
  return new Promise((resolve, reject) => {
    // It yields once; then, with owners on a big /proc, the owner scan runs on helper threads while
    // this thread parses the tables (on a small one it follows them here, as in sample()).
    setImmediate(() => {
      try {
        const program = checkRequest(request);
        if (!request.owners) return resolve({ files: readFiles(request, program), owners: null });
        const { tasks, threads } = planScan(request.procRoot);
        if (threads <= 1) {
          const read = readFiles(request, program);
          return resolve({ files: read, owners: ownersOf(request.procRoot, joinScan(startScan(request.procRoot, tasks, 1)), keeper(read, program)) });
        }
        const scanning = scanAsync(request.procRoot, tasks, threads);
        let files: RawFileResult[];
        try {
          files = readFiles(request, program);
        } catch (err) {
          scanning.catch(() => undefined);
          throw err;
        }
        scanning.then((parts) => resolve({ files, owners: ownersOf(request.procRoot, parts, keeper(files, program)) })).catch(reject);
      } catch (err) {
        reject(err);
      }
    });
  });
}
