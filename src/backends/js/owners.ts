// PROCROOT/[0-9]*/fd scan: inode -> every (pid, fd) that holds it, plus per owning process its
// netstat program name, comm and uid. Processes that vanish or deny access are counted, not thrown.
import type { RawOwners } from '../../model/contract';
import { packProcesses, processRecord } from '../../owners/proc_pid';
import { readIntoScratch } from './read';
import { joinScan, planScan, startScan, type Links } from './scan_threads';

function head(path: string, max: number): Uint8Array {
  const r = readIntoScratch(path);
  if (!r.ok) return new Uint8Array(0);
  return r.bytes.subarray(0, Math.min(max, r.bytes.length));
}

/** The links of a scan's threads, sorted by (inode, pid, fd), with what the scan read of the owning processes. */
export function ownersOf(procRoot: string, parts: Links[], keep?: (inode: number) => boolean): RawOwners {
  let n = 0;
  let pidsScanned = 0;
  let pidsVanished = 0;
  let pidsDenied = 0;
  for (const p of parts) {
    n += p.n;
    pidsScanned += p.scanned;
    pidsVanished += p.vanished;
    pidsDenied += p.denied;
  }
  // One set of columns; with `keep` (a filtered sample) only the sockets that passed, and only
  // their processes read.
  const fInode = new Float64Array(n);
  const fPid = new Int32Array(n);
  const fFd = new Int32Array(n);
  let m = 0;
  for (const p of parts) {
    for (let i = 0; i < p.n; i++) {
      if (keep !== undefined && !keep(p.inode[i]!)) continue;
      fInode[m] = p.inode[i]!;
      fPid[m] = p.pid[i]!;
      fFd[m] = p.fd[i]!;
      m++;
    }
  }
  // Order by (inode, pid, fd), through a permutation.
  const order = new Uint32Array(m);
  for (let i = 0; i < m; i++) order[i] = i;
  order.sort((a, b) => fInode[a]! - fInode[b]! || fPid[a]! - fPid[b]! || fFd[a]! - fFd[b]!);
  const inodes = new Float64Array(m);
  const pids = new Int32Array(m);
  const fdsCol = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const k = order[i]!;
    inodes[i] = fInode[k]!;
    pids[i] = fPid[k]!;
    fdsCol[i] = fFd[k]!;
  }
  const owningPids = [...new Set(fPid.subarray(0, m))].sort((a, b) => a - b);
  const procPids = Int32Array.from(owningPids);
  const records = owningPids.map((pid) => processRecord(`${procRoot}/${pid}`, head));
  const { procUids, nameStart, nameLen, commStart, commLen, strings } = packProcesses(records);
  return {
    inodes, pids, fds: fdsCol, procPids, procUids, nameStart, nameLen, commStart, commLen, strings,
    pidsScanned, pidsVanished, pidsDenied, socketFds: m,
  };
}

/**
 * Every socket fd of every process under procRoot, on this thread and (a big /proc, or as many
 * as setThreads() said) helper threads: scan_threads.ts.
 */
export function scanOwners(procRoot: string, keep?: (inode: number) => boolean): RawOwners {
  const { tasks, threads } = planScan(procRoot);
  return ownersOf(procRoot, joinScan(startScan(procRoot, tasks, threads)), keep);
}
