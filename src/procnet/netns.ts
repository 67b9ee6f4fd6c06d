// Network namespaces: which namespace a process or a /run/netns name is, and every namespace
// that has a process in it. A namespace's id is the inode of /proc/PID/ns/net (as `ip netns
// identify` and lsns use); the device is compared too, as both live on nsfs.
import * as fs from 'node:fs';

export const RUN_NETNS = '/run/netns';

export interface NamespaceId {
  dev: number;
  ino: number;
}

export interface Namespace extends NamespaceId {
  /** The lowest pid found in the namespace; null when no process lives in it. */
  pid: number | null;
  /** Its name under /run/netns, if one matches. */
  name: string | null;
}

export interface NamespaceScan {
  /** Namespaces with at least one process, ascending lowest pid. */
  namespaces: Namespace[];
  pidsScanned: number;
  /** Pids that went away between the listing and the stat. */
  pidsVanished: number;
  /** Pids whose ns/net could not be read (another user's process, without privilege). */
  pidsDenied: number;
}

const DENIED = new Set(['EACCES', 'EPERM']);

export function isPidName(name: string): boolean {
  return /^[1-9]\d{0,9}$/.test(name);
}

export function sameNamespace(a: NamespaceId, b: NamespaceId): boolean {
  return a.ino === b.ino && a.dev === b.dev;
}

/** The namespace of one process; throws the fs error (ENOENT: no such process). */
export function namespaceOfPid(pid: number, procRoot = '/proc'): NamespaceId {
  const st = fs.statSync(`${procRoot}/${pid}/ns/net`);
  return { dev: st.dev, ino: st.ino };
}

/** The namespace bound at /run/netns/NAME; throws the fs error (ENOENT: no such name). */
export function namespaceOfName(name: string, runNetns = RUN_NETNS): NamespaceId {
  const st = fs.statSync(`${runNetns}/${name}`);
  return { dev: st.dev, ino: st.ino };
}

/** Every name under /run/netns with its namespace (names that cannot be stat'ed are left out). */
export function namedNamespaces(runNetns = RUN_NETNS): Array<NamespaceId & { name: string }> {
  let names: string[];
  try {
    names = fs.readdirSync(runNetns).sort();
  } catch {
    return [];
  }
  const out: Array<NamespaceId & { name: string }> = [];
  for (const name of names) {
    try {
      out.push({ ...namespaceOfName(name, runNetns), name });
    } catch {
      // a stale or unreadable entry
    }
  }
  return out;
}

/** Groups every PROCROOT/[0-9]* by its network namespace; names them from /run/netns. */
export function scanNamespaces(procRoot = '/proc', runNetns = RUN_NETNS): NamespaceScan {
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    entries = [];
  }
  const pids = entries.filter(isPidName).map(Number).sort((a, b) => a - b);
  const byKey = new Map<string, Namespace>();
  let pidsScanned = 0;
  let pidsVanished = 0;
  let pidsDenied = 0;
  for (const pid of pids) {
    let id: NamespaceId;
    try {
      id = namespaceOfPid(pid, procRoot);
    } catch (err) {
      if (DENIED.has((err as NodeJS.ErrnoException).code ?? '')) pidsDenied++;
      else pidsVanished++;
      continue;
    }
    pidsScanned++;
    const key = `${id.dev}:${id.ino}`;
    if (!byKey.has(key)) byKey.set(key, { ...id, pid, name: null });
  }
  const named = namedNamespaces(runNetns);
  const namespaces = [...byKey.values()];
  for (const ns of namespaces) ns.name = named.find((n) => sameNamespace(n, ns))?.name ?? null;
  return { namespaces, pidsScanned, pidsVanished, pidsDenied };
}

/** The lowest pid living in namespace `id`, or null. */
export function findPidIn(id: NamespaceId, procRoot = '/proc'): number | null {
  let entries: string[];
  try {
    entries = fs.readdirSync(procRoot);
  } catch {
    return null;
  }
  const pids = entries.filter(isPidName).map(Number).sort((a, b) => a - b);
  for (const pid of pids) {
    try {
      if (sameNamespace(namespaceOfPid(pid, procRoot), id)) return pid;
    } catch {
      // vanished or denied
    }
  }
  return null;
}

/** The label line of one namespace in --all-netns text output. */
export function namespaceLabel(ns: Pick<Namespace, 'ino' | 'pid' | 'name'>): string {
  const parts: string[] = [];
  if (ns.pid !== null) parts.push(`pid ${ns.pid}`);
  if (ns.name !== null) parts.push(`name ${ns.name}`);
  return `Network namespace ${ns.ino}${parts.length ? ` (${parts.join(', ')})` : ''}\n`;
}
