// PROCROOT/[0-9]*/fd scan: inode -> every (pid, fd) that holds it, plus per owning process its
// netstat program name, comm and uid. Processes that vanish or deny access are counted, not thrown.
import * as fs from 'node:fs';
import type { RawOwners } from '../../model/contract';
import { parseSocketLinkText } from '../../owners/fd_link';
import { readIntoScratch } from './read';

const PID_MAX = 0x7fffffff;

/** 1..10 decimal digits, no leading zero (the kernel never writes one), at most 0x7fffffff. */
function isSmallNumber(name: string): boolean {
  if (name.length === 0 || name.length > 10 || (name.charCodeAt(0) === 48 && name.length > 1)) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return Number(name) <= PID_MAX;
}

const isPidName = isSmallNumber;
const isFdName = isSmallNumber;

const DENIED = new Set(['EACCES', 'EPERM']);

/** Limits shared with native/fd_scan.cc: how much of cmdline/comm/status is read. */
export const CMDLINE_MAX = 4096;
export const COMM_MAX = 64;
export const STATUS_MAX = 8192;

function head(path: string, max: number): Uint8Array {
  const r = readIntoScratch(path);
  if (!r.ok) return new Uint8Array(0);
  return r.bytes.subarray(0, Math.min(max, r.bytes.length));
}

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

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

export function scanOwners(procRoot: string): RawOwners {
  let pidsScanned = 0;
  let pidsVanished = 0;
  let pidsDenied = 0;
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    entries = [];
  }
  // Socket fds as they are found, in growable columns (no object per fd).
  let cap = 1024;
  let fInode = new Float64Array(cap);
  let fPid = new Int32Array(cap);
  let fFd = new Int32Array(cap);
  let n = 0;
  const owningPids: number[] = [];
  for (const name of entries) {
    if (!isPidName(name)) continue;
    const pid = Number(name);
    const fdDir = `${procRoot}/${name}/fd`;
    let fds: string[];
    try {
      fds = fs.readdirSync(fdDir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? '';
      // Anything but a permission error means the process is gone (or never had fds).
      if (DENIED.has(code)) pidsDenied++;
      else pidsVanished++;
      continue;
    }
    pidsScanned++;
    let any = false;
    for (const fdName of fds) {
      if (!isFdName(fdName)) continue;
      let link: string;
      try {
        link = fs.readlinkSync(`${fdDir}/${fdName}`, 'latin1');
      } catch {
        continue; // the fd was closed, or is not a link
      }
      const inode = parseSocketLinkText(link);
      if (inode < 0) continue;
      if (n === cap) {
        cap *= 2;
        fInode = grow(fInode, new Float64Array(cap));
        fPid = grow(fPid, new Int32Array(cap));
        fFd = grow(fFd, new Int32Array(cap));
      }
      fInode[n] = inode;
      fPid[n] = pid;
      fFd[n] = Number(fdName);
      n++;
      any = true;
    }
    if (any) owningPids.push(pid);
  }
  // Order by (inode, pid, fd), through a permutation.
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => fInode[a]! - fInode[b]! || fPid[a]! - fPid[b]! || fFd[a]! - fFd[b]!);
  owningPids.sort((a, b) => a - b);

  const inodes = new Float64Array(n);
  const pids = new Int32Array(n);
  const fdsCol = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const k = order[i]!;
    inodes[i] = fInode[k]!;
    pids[i] = fPid[k]!;
    fdsCol[i] = fFd[k]!;
  }

  const procPids = Int32Array.from(owningPids);
  const records = owningPids.map((pid) => {
    const dir = `${procRoot}/${pid}`;
    return {
      name: programName(head(`${dir}/cmdline`, CMDLINE_MAX)).slice(),
      comm: commName(head(`${dir}/comm`, COMM_MAX)).slice(),
      uid: statusUid(head(`${dir}/status`, STATUS_MAX)),
    };
  });
  const { procUids, nameStart, nameLen, commStart, commLen, strings } = packProcesses(records);
  return {
    inodes, pids, fds: fdsCol, procPids, procUids, nameStart, nameLen, commStart, commLen, strings,
    pidsScanned, pidsVanished, pidsDenied, socketFds: n,
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
