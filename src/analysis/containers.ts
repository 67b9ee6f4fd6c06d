// Sockets by container: what a sample taken with `cgroup` and owners says of each container's
// processes (the summary's containers section, the exporter's container series).
import type { Snapshot } from '../model/snapshot';

export interface ContainerEntry {
  runtime: string;
  id: string;
  podUid?: string;
  /** Distinct sockets (inet and unix) held by processes of the container. */
  sockets: number;
  /** Its processes that hold sockets. */
  processes: number;
}

/** Distinct sockets by the container their owning processes run in, most first; null without cgroups or owners. */
export function socketsByContainer(snap: Snapshot): ContainerEntry[] | null {
  const cg = snap.processCgroups;
  const o = snap.owners;
  if (cg === null || o === null) return null;
  const acc = new Map<string, { entry: ContainerEntry; inodes: Set<number>; pids: Set<number> }>();
  for (let k = 0; k < o.count; k++) {
    const pid = o.pids[k]!;
    const c = cg.get(pid)?.container;
    if (!c) continue;
    let a = acc.get(c.id);
    if (!a) {
      const entry: ContainerEntry = { runtime: c.runtime, id: c.id, sockets: 0, processes: 0 };
      if (c.podUid !== undefined) entry.podUid = c.podUid;
      acc.set(c.id, (a = { entry, inodes: new Set(), pids: new Set() }));
    }
    a.inodes.add(o.inodes[k]!);
    a.pids.add(pid);
  }
  const list = [...acc.values()].map((a) => ({ ...a.entry, sockets: a.inodes.size, processes: a.pids.size }));
  list.sort((a, b) => b.sockets - a.sockets || (a.id < b.id ? -1 : 1));
  return list;
}
