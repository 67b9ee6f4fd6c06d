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

/** Links by (inode, pid, fd): a comparator's order, through a permutation. */
const byLink = (inode: Float64Array, pid: Int32Array, fd: Int32Array) => (a: number, b: number) => inode[a]! - inode[b]! || pid[a]! - pid[b]! || fd[a]! - fd[b]!;

/**
 * The permutation that orders the first `m` links by (inode, pid, fd). A comparator called from
 * JavaScript for each of the n log n comparisons is most of a big sample's sort (100,000 links: tens
 * of milliseconds), so inodes below 2^32 (all of them, in practice) are put in order by a stable
 * radix sort (two counting passes of 16 bits), and only the runs of one inode (a socket several fds
 * hold: few) are put in (pid, fd) order after it.
 */
function linkOrder(inode: Float64Array, pid: Int32Array, fd: Int32Array, m: number): Uint32Array {
  const order = new Uint32Array(m);
  let small = true;
  for (let i = 0; small && i < m; i++) small = inode[i]! < 2 ** 32;
  const cmp = byLink(inode, pid, fd);
  if (!small) {
    for (let i = 0; i < m; i++) order[i] = i;
    return order.sort(cmp);
  }
  const low = new Uint32Array(m);
  const count = new Uint32Array(65537);
  for (let i = 0; i < m; i++) {
    const d = (inode[i]! & 0xffff) + 1;
    count[d] = count[d]! + 1;
  }
  for (let d = 1; d <= 65536; d++) count[d] = count[d]! + count[d - 1]!;
  for (let i = 0; i < m; i++) low[count[inode[i]! & 0xffff]!++] = i;
  count.fill(0);
  for (let i = 0; i < m; i++) {
    const d = (inode[i]! >>> 16) + 1;
    count[d] = count[d]! + 1;
  }
  for (let d = 1; d <= 65536; d++) count[d] = count[d]! + count[d - 1]!;
  for (let k = 0; k < m; k++) {
    const i = low[k]!;
    order[count[inode[i]! >>> 16]!++] = i;
  }
  for (let i = 0; i < m;) {
    let j = i + 1;
    while (j < m && inode[order[j]!] === inode[order[i]!]) j++;
    if (j - i > 1) order.subarray(i, j).sort(cmp);
    i = j;
  }
  return order;
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
  const order = linkOrder(fInode, fPid, fFd, m);
  const inodes = new Float64Array(m);
  const pids = new Int32Array(m);
  const fdsCol = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const k = order[i]!;
    inodes[i] = fInode[k]!;
    pids[i] = fPid[k]!;
    fdsCol[i] = fFd[k]!;
  }
  // A thread appends a process's links together: a Set of each run's pid, not of every link's.
  const distinct = new Set<number>();
  for (let i = 0, last = -1; i < m; i++) {
    const pid = fPid[i]!;
    if (pid !== last) distinct.add(pid);
    last = pid;
  }
  const owningPids = [...distinct].sort((a, b) => a - b);
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
