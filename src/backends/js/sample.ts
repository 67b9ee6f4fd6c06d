// The whole sample (read + parse + scan) in TypeScript.
import type { RawFileResult, RawInetTable, RawSample, RawUnixTable, SampleRequest } from '../../model/contract';
import { ownersOf } from './owners';
import { parseFile, protoOfFile, type ParseSpec } from './parse_task';
import { asyncHelpers, joinScan, NO_TASKS, planScan, scanAsync, scanThreads, startScan, type Tasks } from './scan_threads';
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

/** What parsing the request's files needs (parse_task.ts), on this thread or a helper. */
function parseSpec(request: SampleRequest, program: Float64Array | undefined): ParseSpec {
  return {
    netDir: request.netDir, files: request.files, littleEndian: request.littleEndian,
    ...(request.tcpStates === undefined ? {} : { tcpStates: request.tcpStates }), ...(program === undefined ? {} : { program }),
  };
}

/** The request's /proc/net tables, parsed on this thread (into the request's `reuse` tables). */
function readFiles(request: SampleRequest, program: Float64Array | undefined): RawFileResult[] {
  const spec = parseSpec(request, program);
  return request.files.map((_, index) => parseFile(spec, index, (request.reuse?.[index] ?? null) as RawInetTable | RawUnixTable | null));
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
  return sampleOn(request, program, request.owners ? planScan(request.procRoot) : null);
}

/** sample() of a checked request, with its scan's plan (null: no owners). */
function sampleOn(request: SampleRequest, program: Float64Array | undefined, plan: { tasks: Tasks; threads: number } | null): RawSample {
  if (plan === null) return { files: readFiles(request, program), owners: null };
  // On a big /proc, helper threads parse the tables and scan owners with this thread, which then
  // joins them; on a small one this thread does it all (a helper's start costs more).
  const { tasks, threads } = plan;
  const scan = startScan(request.procRoot, tasks, threads, parseSpec(request, program));
  const early = scan.parse === null ? readFiles(request, program) : null;
  const links = joinScan(scan);
  const files = early ?? scan.files!;
  return { files, owners: ownersOf(request.procRoot, links, keeper(files, program)) };
}

export function sampleAsync(request: SampleRequest): Promise<RawSample> {
  return new Promise((resolve, reject) => {
    // It yields once; then helper threads parse the tables and scan owners while the event loop
    // runs (asyncHelpers()). With one thread (setThreads(1)), or on a tree that is not a procfs
    // left to the automatic count, it is sample()'s work here; the files are parsed here too when
    // the helpers cannot load the parser (no build: the sources run).
    setImmediate(() => {
      try {
        const program = checkRequest(request);
        const { tasks, threads } = request.owners ? planScan(request.procRoot) : { tasks: NO_TASKS, threads: scanThreads(request.netDir) };
        const helpers = asyncHelpers(threads, request.netDir);
        if (helpers === 0) return resolve(sampleOn(request, program, request.owners ? { tasks, threads } : null));
        scanAsync(request.procRoot, tasks, helpers, parseSpec(request, program)).then(({ links, files }) => {
          const read = files ?? readFiles(request, program);
          resolve({ files: read, owners: request.owners ? ownersOf(request.procRoot, links, keeper(read, program)) : null });
        }).catch(reject);
      } catch (err) {
        reject(err);
      }
    });
  });
}
