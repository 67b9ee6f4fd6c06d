// One process's files under /proc/PID: which directory names are pids and fds, and the netstat
// program name, comm and uid of a process, read with the limits both backends use. Shared by the
// TypeScript backend's full scan (src/backends/js/owners.ts) and the incremental resolver
// (incremental.ts); the addon's twin is native/proc_pid.cc.

/** The largest pid (and fd number) the kernel can give: PID_MAX_LIMIT is far below it. */
export const PID_MAX = 0x7fffffff;

/**
 * The number a /proc entry names: 1..10 decimal digits, no leading zero (the kernel never writes
 * one), at most 0x7fffffff (PID_MAX); -1 for any other name. Self-contained (no name from outside
 * but globals): the TypeScript backend's scan threads run its source (backends/js/scan_threads.ts).
 */
export function smallNumber(name: string): number {
  const len = name.length;
  if (len === 0 || len > 10 || (name.charCodeAt(0) === 48 && len > 1)) return -1;
  let v = 0;
  for (let i = 0; i < len; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return -1;
    v = v * 10 + (c - 48);
  }
  return v <= 0x7fffffff ? v : -1;
}

function isSmallNumber(name: string): boolean {
  return smallNumber(name) >= 0;
}

/** A /proc entry that names a process. */
export const isPidName = isSmallNumber;
/** A /proc/PID/fd entry. */
export const isFdName = isSmallNumber;

/** Limits shared with native/proc_pid.h: how much of cmdline/comm/status is read. */
export const CMDLINE_MAX = 4096;
export const COMM_MAX = 64;
export const STATUS_MAX = 8192;

/** netstat's program name: argv[0], cut to its basename when it starts with '/'. */
export function programName(cmdline: Uint8Array): Uint8Array {
  let end = cmdline.indexOf(0);
  if (end === -1) end = cmdline.length;
  const argv0 = cmdline.subarray(0, end);
  if (argv0[0] === 47) return argv0.subarray(argv0.lastIndexOf(47) + 1);
  return argv0;
}

/** comm without its trailing newline. */
export function commName(comm: Uint8Array): Uint8Array {
  return comm.length > 0 && comm[comm.length - 1] === 10 ? comm.subarray(0, comm.length - 1) : comm;
}

/** Effective uid: the second number of the "Uid:" line of /proc/PID/status; 0xffffffff if absent. */
export function statusUid(status: Uint8Array): number {
  const UNKNOWN = 0xffffffff;
  let pos = 0;
  while (pos < status.length) {
    let eol = status.indexOf(10, pos);
    if (eol === -1) eol = status.length;
    if (eol - pos > 4 && status[pos] === 85 && status[pos + 1] === 105 && status[pos + 2] === 100 && status[pos + 3] === 58) {
      let i = pos + 4;
      let field = 0;
      while (i < eol) {
        while (i < eol && (status[i] === 9 || status[i] === 32)) i++;
        const s = i;
        let v = 0;
        while (i < eol && status[i]! >= 48 && status[i]! <= 57 && i - s < 10) v = v * 10 + status[i++]! - 48;
        if (i === s || (i < eol && status[i] !== 9 && status[i] !== 32) || v > 0xffffffff) return UNKNOWN;
        if (field === 1) return v;
        field++;
      }
      return UNKNOWN;
    }
    pos = eol + 1;
  }
  return UNKNOWN;
}

/** What netstat -p and -e show of a process. */
export interface ProcessRecord {
  name: Uint8Array;
  comm: Uint8Array;
  uid: number;
}

/**
 * The record of the process whose directory is `dir`, each file read by `head` up to its limit
 * (`head` gives an empty array for a file it cannot read: the process may have gone).
 */
export function processRecord(dir: string, head: (path: string, max: number) => Uint8Array): ProcessRecord {
  return {
    name: programName(head(`${dir}/cmdline`, CMDLINE_MAX)).slice(),
    comm: commName(head(`${dir}/comm`, COMM_MAX)).slice(),
    uid: statusUid(head(`${dir}/status`, STATUS_MAX)),
  };
}

/** Per-process columns of RawOwners: name and comm bytes in one pool, with offsets and lengths. */
export function packProcesses(records: ReadonlyArray<{ name: Uint8Array; comm: Uint8Array; uid: number }>) {
  const n = records.length;
  const procUids = new Uint32Array(n);
  const nameStart = new Uint32Array(n);
  const nameLen = new Uint32Array(n);
  const commStart = new Uint32Array(n);
  const commLen = new Uint32Array(n);
  let used = 0;
  for (const r of records) used += r.name.length + r.comm.length;
  const strings = new Uint8Array(used);
  let o = 0;
  records.forEach((r, i) => {
    nameStart[i] = o;
    nameLen[i] = r.name.length;
    strings.set(r.name, o);
    o += r.name.length;
    commStart[i] = o;
    commLen[i] = r.comm.length;
    strings.set(r.comm, o);
    o += r.comm.length;
    procUids[i] = r.uid;
  });
  return { procUids, nameStart, nameLen, commStart, commLen, strings };
}
