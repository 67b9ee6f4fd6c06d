// PROCROOT/[0-9]*/fd scan: inode -> every (pid, fd) that holds it, plus per owning process its
// netstat program name, comm and uid. Processes that vanish or deny access are counted, not thrown.
import * as fs from 'node:fs';
import type { RawOwners } from '../../model/contract';
import { parseSocketLinkText } from '../../owners/fd_link';
import { isFdName, isPidName, packProcesses, processRecord } from '../../owners/proc_pid';
import { readIntoScratch } from './read';

const DENIED = new Set(['EACCES', 'EPERM']);

function head(path: string, max: number): Uint8Array {
  const r = readIntoScratch(path);
  if (!r.ok) return new Uint8Array(0);
  return r.bytes.subarray(0, Math.min(max, r.bytes.length));
}

function grow<T extends Float64Array | Int32Array>(from: T, to: T): T {
  to.set(from);
  return to;
}

export function scanOwners(procRoot: string, keep?: (inode: number) => boolean): RawOwners {
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
      // With `keep` (a filtered sample): only the sockets that passed, and only their processes read.
      if (inode < 0 || (keep !== undefined && !keep(inode))) continue;
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
    return processRecord(dir, head);
  });
  const { procUids, nameStart, nameLen, commStart, commLen, strings } = packProcesses(records);
  return {
    inodes, pids, fds: fdsCol, procPids, procUids, nameStart, nameLen, commStart, commLen, strings,
    pidsScanned, pidsVanished, pidsDenied, socketFds: n,
  };
}
