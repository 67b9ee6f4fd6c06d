// The TypeScript backend's owner scan over several threads (Node's worker_threads), split as the
// addon splits its own: a task is a process, or on /proc a range of the fds of a process much bigger
// than a fair share; tasks are taken biggest first from one shared counter; every thread appends the
// socket links it reads to columns of its own. owners.ts sorts the union by (inode, pid, fd): the
// serial scan's result, byte for byte, whatever the number of threads.
//
// A sample's /proc/net files go to the same threads, before the scan's tasks: each file is a task,
// taken in the request's order from a counter of its own, parsed by parse_task.ts's parseFile()
// (a helper require()s its compiled file) and sent back with its buffers transferred.
//
// A synchronous sample (the CLI's) parses and scans on its own thread too and waits for the
// helpers with Atomics.wait; an asynchronous one leaves the event loop free: the helpers do it all.
// The helpers run the very functions the serial scan runs (their source, which is why those are
// self-contained), are made on first use and never keep the process alive when idle.
import * as fs from 'node:fs';
import type { MessagePort, Worker } from 'node:worker_threads';
import type { RawFileResult } from '../../model/contract';
import { parseSocketLinkText } from '../../owners/fd_link';
import { isPidName, smallNumber } from '../../owners/proc_pid';
import { parseFile, parseModulePath, type ParseSpec } from './parse_task';

/** The CPUs this process may use; node:os is loaded on first use (a listing on the addon never loads it). */
function availableParallelism(): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('node:os') as typeof import('node:os')).availableParallelism();
}

/**
 * node:worker_threads, loaded when a scan first runs on threads: loading it costs every command that
 * merely has this backend at hand (the CLI, with the addon in use) a millisecond or two of its start.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const workerThreads = (): typeof import('node:worker_threads') => require('node:worker_threads') as typeof import('node:worker_threads');

/** Socket links as columns, and the counters of the processes read. */
export interface Links {
  inode: Float64Array;
  pid: Int32Array;
  fd: Int32Array;
  n: number;
  scanned: number;
  vanished: number;
  denied: number;
}

/** Task i: the fds in [lo[i], hi[i]) of process pid[i]; first[i] = 1 for the task that counts the process. */
export interface Tasks {
  pid: Int32Array;
  lo: Float64Array;
  hi: Float64Array;
  first: Uint8Array;
}

/** The most threads a scan uses (the addon's limit too). */
export const MAX_THREADS = 8;
/** Below this many fds (all processes together) a scan stays on one thread: a helper's start costs more. */
export const PARALLEL_MIN_FDS = 8192;
/** A part of a big process is at least this many fds. */
const PART_FDS = 1024;
/** A process is cut into at most this many parts. */
const MAX_PARTS = 16;
const PROC_SUPER_MAGIC = 0x9fa0;
/** Shared state: [0] the next task (scanTasks); [1 + k] helper k's progress on the job, 0 until it joins: */
const JOINED = 1;
const FINISHED = 2;
/** A helper that joined a synchronous scan and gives no sign for this long is given up on. */
const STALL_MS = 30_000;

/**
 * The last listing a thread read and its last entry, kept until the next: Node's optimized code
 * for reading a directory is tied to the hidden classes of its Dir and Dirent objects, which a full
 * GC drops when none is alive, and the code with them (as net_inet.ts keeps its last builder).
 */
export interface KeptListing {
  dir: unknown;
  entry: unknown;
}
const keptListing: KeptListing = { dir: null, entry: null };

/** Empty link columns. Self-contained: the helper threads run its source. */
export function newLinks(): Links {
  return { inode: new Float64Array(1024), pid: new Int32Array(1024), fd: new Int32Array(1024), n: 0, scanned: 0, vanished: 0, denied: 0 };
}

/**
 * Takes tasks from `state[0]` (Atomics, so that threads share it) until none is left, and appends
 * the socket links of each to `out`. Self-contained (everything it uses comes in as a parameter):
 * the helper threads run its source.
 */
export function scanTasks(
  fsm: Pick<typeof fs, 'opendirSync' | 'readlinkSync'>, fdOf: (name: string) => number, parseLink: (link: string) => number,
  procRoot: string, tasks: Tasks, state: Int32Array, out: Links, kept: KeptListing,
): void {
  const count = tasks.pid.length;
  // One options object for every readlink: given only the encoding's name, readlinkSync makes a
  // new options object for each call.
  const linkOptions: { encoding: 'latin1' } = { encoding: 'latin1' };
  for (;;) {
    const i = Atomics.add(state, 0, 1);
    if (i >= count) return;
    const pid = tasks.pid[i]!;
    const lo = tasks.lo[i]!;
    const hi = tasks.hi[i]!;
    const counts = tasks.first[i] === 1;
    const dir = `${procRoot}/${pid}/fd`;
    // Each fd's link is read as the listing comes, one batch of the directory at a time (as the
    // addon does, native/owners.cc): the kernel's entries for a batch are still in the CPU's caches,
    // and a part of a big process stops listing past its range. A listing that fails part-way
    // counts as no listing at all, as readdirSync's would: what it found is dropped.
    const mark = out.n;
    let listing: fs.Dir | null = null;
    let failed: unknown = null;
    try {
      listing = fsm.opendirSync(dir, { bufferSize: 128 });
      kept.dir = listing;
      for (let entry = listing.readSync(); entry !== null; entry = listing.readSync()) {
        kept.entry = entry;
        const name = entry.name;
        const fd = fdOf(name);
        if (fd < 0) continue;
        // Only procfs processes are cut into ranges, and procfs lists fds in ascending order.
        if (fd >= hi) break;
        if (fd < lo) continue;
        let link: string;
        try {
          link = fsm.readlinkSync(`${dir}/${name}`, linkOptions);
        } catch {
          continue; // the fd was closed, or is not a link
        }
        const inode = parseLink(link);
        if (inode < 0) continue;
        if (out.n === out.inode.length) {
          const inodes = new Float64Array(out.n * 2);
          const pids = new Int32Array(out.n * 2);
          const fds = new Int32Array(out.n * 2);
          inodes.set(out.inode);
          pids.set(out.pid);
          fds.set(out.fd);
          out.inode = inodes;
          out.pid = pids;
          out.fd = fds;
        }
        out.inode[out.n] = inode;
        out.pid[out.n] = pid;
        out.fd[out.n] = fd;
        out.n++;
      }
    } catch (err) {
      failed = err ?? new Error('listing failed');
    } finally {
      try {
        listing?.closeSync();
      } catch { /* closed already */ }
    }
    if (failed !== null) {
      out.n = mark;
      // Anything but a permission error means the process is gone (or never had fds).
      const code = (failed as NodeJS.ErrnoException | null)?.code;
      if (counts && (code === 'EACCES' || code === 'EPERM')) out.denied++;
      else if (counts) out.vanished++;
      continue;
    }
    if (counts) out.scanned++;
  }
}

function helperSource(): string {
  return `'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
const fdOf = (${smallNumber.toString()});
const parseLink = (${parseSocketLinkText.toString()});
const scanTasks = (${scanTasks.toString()});
const kept = { dir: null, entry: null };
const newLinks = (${newLinks.toString()});
parentPort.on('message', (job) => {
  const state = new Int32Array(job.state);
  Atomics.store(state, 1 + job.slot, ${JOINED});
  const out = newLinks();
  const parsed = [];
  const transfer = [out.inode.buffer, out.pid.buffer, out.fd.buffer];
  let error = null;
  try {
    if (job.parse) {
      const m = require(job.parse.module);
      const next = new Int32Array(job.parse.next);
      for (let i = Atomics.add(next, 0, 1); i < job.parse.spec.files.length; i = Atomics.add(next, 0, 1)) {
        const result = m.parseFile(job.parse.spec, i);
        parsed.push({ index: i, result });
        transfer.push(...m.transferables(result));
      }
    }
    scanTasks(fs, fdOf, parseLink, job.procRoot, job.tasks, state, out, kept);
  } catch (err) {
    error = String((err && err.stack) || err);
  }
  const reply = { id: job.id, error, links: out, parsed };
  (job.sync ? workerData.port : parentPort).postMessage(reply, error === null ? transfer : []);
  Atomics.store(state, 1 + job.slot, ${FINISHED});
  Atomics.notify(state, 1 + job.slot);
});
`;
}

interface Reply {
  id: number;
  error: string | null;
  links: Links;
  /** The files this helper parsed. */
  parsed: Array<{ index: number; result: RawFileResult }>;
}

/** A sample's files for the helpers: the spec, where they load parseFile() from, the next file's counter. */
interface ParseJob {
  module: string;
  spec: ParseSpec;
  next: SharedArrayBuffer;
}

/** The files of `spec` as a job for helpers; null when helpers cannot load the parser (no build). */
function parseJob(spec: ParseSpec | undefined): ParseJob | null {
  if (spec === undefined || spec.files.length === 0) return null;
  const module = parseModulePath();
  return module === null ? null : { module, spec, next: new SharedArrayBuffer(4) };
}

/** Takes files from the job's counter on this thread until none is left. */
function parseHere(job: ParseJob, files: Array<RawFileResult | undefined>): void {
  const next = new Int32Array(job.next);
  for (let i = Atomics.add(next, 0, 1); i < job.spec.files.length; i = Atomics.add(next, 0, 1)) files[i] = parseFile(job.spec, i);
}

/** Files parsed by helper threads since the process started (what the tests see of where parsing ran). */
export const parseCounters = { helperFiles: 0 };

/** The parsed files of the replies into `files`, by index. */
function gather(r: Reply, files: Array<RawFileResult | undefined>): void {
  for (const { index, result } of r.parsed) files[index] = result;
  parseCounters.helperFiles += r.parsed.length;
}

/** Every file of a job parsed (each by one thread). */
function allFiles(files: Array<RawFileResult | undefined>, n: number): RawFileResult[] {
  const out: RawFileResult[] = [];
  for (let i = 0; i < n; i++) {
    const f = files[i];
    if (f === undefined) throw new Error(`sample: /proc/net file ${i} was parsed by no thread`);
    out.push(f);
  }
  return out;
}

interface Helper {
  worker: Worker;
  /** Where synchronous jobs are answered (read with receiveMessageOnPort, never started). */
  port: MessagePort;
  /** Asynchronous jobs waiting for this helper's reply. */
  pending: Map<number, { resolve: (r: Reply) => void; reject: (e: Error) => void }>;
}

const helpers: Helper[] = [];
let jobs = 0;
let override = 0;

/** Threads for the next scans (1..8), as the addon's setThreads(); 0 = the default (automatic). */
export function setScanThreads(threads: number): void {
  if (!Number.isInteger(threads) || threads < 0 || threads > MAX_THREADS) throw new TypeError(`setThreads: threads must be an integer 0..${MAX_THREADS}`);
  override = threads;
}

/** Whether `dir` is on a procfs (the automatic thread count is 1 elsewhere: fixture trees). */
function onProcfs(dir: string): boolean {
  try {
    return fs.statfsSync(dir).type === PROC_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/** Threads `wanted` (setThreads()), else (0) all cores, at most MAX_THREADS, on a procfs and 1 elsewhere. */
function threadCount(wanted: number, onProc: boolean): number {
  return wanted > 0 ? wanted : onProc ? Math.min(MAX_THREADS, availableParallelism()) : 1;
}

/** Threads for work that is not a scan (an asynchronous sample's files without owners): threadCount()'s. */
export function scanThreads(dir: string): number {
  return threadCount(override, override > 0 || onProcfs(dir));
}

/**
 * Helpers for an asynchronous sample whose scan was planned on `planned` threads: those, or one when
 * the plan is serial (few fds: the scan alone would not be worth threads, but an asynchronous
 * sample is asked for so that the event loop stays free) on a procfs with more than one CPU; none
 * (this thread does it all) when setThreads(1) said so or elsewhere (fixture trees).
 */
export function asyncHelpers(planned: number, dir: string): number {
  if (override === 1) return 0;
  if (planned > 1) return planned;
  return override === 0 && availableParallelism() > 1 && onProcfs(dir) ? 1 : 0;
}

function startHelper(): Helper {
  const { MessageChannel, Worker } = workerThreads();
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(helperSource(), { eval: true, workerData: { port: port2 }, transferList: [port2], name: 'netsnap-scan' });
  const h: Helper = { worker, port: port1, pending: new Map() };
  worker.on('message', (r: Reply) => {
    const p = h.pending.get(r.id);
    h.pending.delete(r.id);
    if (h.pending.size === 0) worker.unref();
    p?.resolve(r);
  });
  // A helper that fails is dropped (the next scan starts another) and fails what it was asked.
  const fail = (err: Error) => {
    const i = helpers.indexOf(h);
    if (i >= 0) helpers.splice(i, 1);
    for (const p of h.pending.values()) p.reject(err);
    h.pending.clear();
  };
  worker.on('error', fail);
  worker.on('exit', (code) => fail(new Error(`a sample helper thread exited (code ${code})`)));
  // Idle, it never keeps the process alive (after the listeners: a 'message' listener refs the
  // worker); while an asynchronous scan waits for it, it does (scanAsync).
  worker.unref();
  port1.unref();
  return h;
}

/** `n` helpers, made as needed; fewer when no more can be made. */
function helpersFor(n: number): Helper[] {
  while (helpers.length < n) {
    try {
      helpers.push(startHelper());
    } catch {
      break; // no more threads: the scan runs on those there are (at least the caller's own)
    }
  }
  return helpers.slice(0, n);
}

function checked(r: Reply): Links {
  if (r.error !== null) throw new Error(`sample helper thread (parse or owner scan): ${r.error}`);
  return r.links;
}

/** The size of /proc/PID/fd (its number of fds on Linux 6.2+); 0 when it cannot be read. */
function fdCount(path: string): number {
  try {
    return fs.statSync(path, { throwIfNoEntry: false })?.size ?? 0;
  } catch {
    return 0;
  }
}

/**
 * The processes to scan as tasks, and how many threads to scan them with. One thread: every pid in
 * listing order, as the serial scan reads them. More: each measured by its fd count (the size of
 * /proc/PID/fd on Linux 6.2+), the biggest first, those far past a fair share cut into fd ranges (on
 * /proc only, where the size is a count). Automatic: more threads only on /proc with enough fds.
 */
export function planScan(procRoot: string, threadsWanted = override): { tasks: Tasks; threads: number } {
  let names: string[];
  try {
    names = fs.readdirSync(procRoot);
  } catch {
    names = [];
  }
  const pids = names.filter(isPidName).map(Number);
  const onProc = onProcfs(procRoot);
  const threads = threadCount(threadsWanted, onProc);
  const serial = (): { tasks: Tasks; threads: number } => ({
    tasks: { pid: Int32Array.from(pids), lo: new Float64Array(pids.length), hi: new Float64Array(pids.length).fill(Infinity), first: new Uint8Array(pids.length).fill(1) },
    threads: 1,
  });
  if (threads <= 1 || pids.length === 0) return serial();
  const sizes = pids.map((pid) => (onProc ? fdCount(`${procRoot}/${pid}/fd`) : 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  if (threadsWanted === 0 && total < PARALLEL_MIN_FDS) return serial();
  const part = Math.max(PART_FDS, Math.floor(total / (threads * 4)));
  const list: Array<{ pid: number; lo: number; hi: number; first: boolean; size: number; at: number }> = [];
  pids.forEach((pid, at) => {
    const size = sizes[at]!;
    const parts = onProc && size > part ? Math.min(MAX_PARTS, Math.ceil(size / part)) : 1;
    const step = Math.ceil(size / parts);
    for (let k = 0; k < parts; k++) {
      list.push({ pid, lo: k === 0 ? 0 : k * step, hi: k === parts - 1 ? Infinity : (k + 1) * step, first: k === 0, size: parts === 1 ? size : step, at });
    }
  });
  // Biggest first; equal sizes keep listing order.
  list.sort((a, b) => b.size - a.size || a.at - b.at || a.lo - b.lo);
  return {
    tasks: {
      pid: Int32Array.from(list, (t) => t.pid),
      lo: Float64Array.from(list, (t) => t.lo),
      hi: Float64Array.from(list, (t) => t.hi),
      first: Uint8Array.from(list, (t) => (t.first ? 1 : 0)),
    },
    threads: Math.min(threads, list.length),
  };
}

/** A scan handed to helpers, which this thread joins with joinScan(). */
export interface SyncScan {
  procRoot: string;
  tasks: Tasks;
  id: number;
  state: Int32Array;
  used: Helper[];
  /** The sample's files, when the helpers parse them too (startScan's `parse`). */
  parse: ParseJob | null;
  /** Those files once parsed (joinScan()), in the request's order. */
  files: RawFileResult[] | null;
}

/** No task: a job that only parses files. */
export const NO_TASKS: Tasks = { pid: new Int32Array(0), lo: new Float64Array(0), hi: new Float64Array(0), first: new Uint8Array(0) };

/**
 * Starts a scan on threads - 1 helpers (none for one thread): they take tasks while this thread
 * does something else, then joinScan() takes the rest. With `parse` (and threads > 1), the helpers
 * first parse the sample's files, and so does joinScan() on this thread (SyncScan.files).
 */
export function startScan(procRoot: string, tasks: Tasks, threads: number, parse?: ParseSpec): SyncScan {
  const id = ++jobs;
  const used = threads > 1 ? helpersFor(threads - 1) : [];
  const state = new Int32Array(new SharedArrayBuffer(4 * (1 + used.length)));
  const job = used.length > 0 ? parseJob(parse) : null;
  used.forEach((h, slot) => {
    // Replies to jobs this thread stopped waiting for (helpers that came late, finding nothing).
    while (workerThreads().receiveMessageOnPort(h.port) !== undefined);
    h.worker.postMessage({ id, slot, sync: true, procRoot, tasks, state: state.buffer, parse: job });
  });
  return { procRoot, tasks, id, state, used, parse: job, files: null };
}

/**
 * Takes the files and tasks left on this thread, waits for the helpers that took some, returns
 * every thread's links (and sets scan.files when the helpers parsed files too).
 */
export function joinScan(scan: SyncScan): Links[] {
  const { state, id, used } = scan;
  const files: Array<RawFileResult | undefined> = [];
  if (scan.parse !== null) parseHere(scan.parse, files);
  const mine = newLinks();
  scanTasks(fs, smallNumber, parseSocketLinkText, scan.procRoot, scan.tasks, state, mine, keptListing);
  if (used.length === 0) return [mine];
  // Every task is taken: wait for the helpers that joined before that (one that joins later finds
  // none: its claims come after the last one), and take their replies.
  const out = [mine];
  used.forEach((h, slot) => {
    const since = Date.now();
    while (Atomics.load(state, 1 + slot) === JOINED) {
      if (Atomics.wait(state, 1 + slot, JOINED, 1000) === 'timed-out' && Date.now() - since > STALL_MS) {
        throw new Error(`owner scan: a thread gave no sign for ${STALL_MS / 1000} s`);
      }
    }
    if (Atomics.load(state, 1 + slot) !== FINISHED) return;
    const { receiveMessageOnPort } = workerThreads();
    for (let m = receiveMessageOnPort(h.port); m !== undefined; m = receiveMessageOnPort(h.port)) {
      const r = m.message as Reply;
      if (r.id !== id) continue;
      out.push(checked(r));
      gather(r, files);
    }
  });
  // A helper that joined after every file was taken parsed none; one that never joined took none.
  if (scan.parse !== null) scan.files = allFiles(files, scan.parse.spec.files.length);
  return out;
}

/**
 * Scans the tasks on `threads` helpers, leaving this thread (the event loop) free; with `parse`
 * they parse the sample's files first (`files`: null when they cannot load the parser, and the
 * caller parses them).
 */
export async function scanAsync(procRoot: string, tasks: Tasks, threads: number, parse?: ParseSpec): Promise<{ links: Links[]; files: RawFileResult[] | null }> {
  const used = helpersFor(Math.max(1, threads));
  if (used.length === 0) return { links: joinScan(startScan(procRoot, tasks, 1)), files: null };
  const state = new Int32Array(new SharedArrayBuffer(4 * (1 + used.length)));
  const id = ++jobs;
  const job = parseJob(parse);
  const replies = used.map((h, slot) => new Promise<Reply>((resolve, reject) => {
    h.pending.set(id, { resolve, reject });
    h.worker.ref(); // while it is asked something, a helper keeps the process alive
    h.worker.postMessage({ id, slot, sync: false, procRoot, tasks, state: state.buffer, parse: job });
  }));
  const done = await Promise.all(replies);
  const links = done.map(checked);
  if (job === null) return { links, files: null };
  const files: Array<RawFileResult | undefined> = [];
  for (const r of done) gather(r, files);
  return { links, files: allFiles(files, job.spec.files.length) };
}
