// What changed between two snapshots: sockets opened (+), closed (-) and changed state (~).
// An inet socket is known by its file and both endpoints (its inode is 0 in TIME_WAIT, so the
// inode cannot be the key); a UNIX socket by its inode. Endpoints that repeat (SO_REUSEPORT
// listeners) are told apart by their order of appearance.
import type { InetSocket, Snapshot, UnixSocket } from './snapshot';
import { addressText } from './format/address';
import type { InetTable, UnixTable } from './tables';

export type AnySocket = InetSocket | UnixSocket;

export interface SocketChange {
  socket: AnySocket;
  from: string;
  to: string;
}

export interface SnapshotDiff {
  opened: AnySocket[];
  closed: AnySocket[];
  changed: SocketChange[];
}

/** Keys of every row, in file order, and where to find the row. */
function keys(s: Snapshot): Map<string, { table: InetTable | UnixTable; row: number; state: number }> {
  const out = new Map<string, { table: InetTable | UnixTable; row: number; state: number }>();
  for (const t of s.inet) {
    for (let i = 0; i < t.count; i++) {
      const f = t.family[i]!;
      const base = `${t.file} ${addressText(t.localAddr, i * 16, f)}:${t.localPort[i]} ${addressText(t.remoteAddr, i * 16, f)}:${t.remotePort[i]}`;
      let key = base;
      for (let n = 2; out.has(key); n++) key = `${base} #${n}`;
      out.set(key, { table: t, row: i, state: t.state[i]! });
    }
  }
  const u = s.unix;
  if (u) {
    for (let i = 0; i < u.count; i++) {
      // Unbound sockets in the middle of a connect can show inode 0: key those by position.
      const key = u.inode[i] === 0 ? `unix 0 #${i}` : `unix ${u.inode[i]}`;
      out.set(key, { table: u, row: i, state: u.state[i]! });
    }
  }
  return out;
}

const origins = new WeakMap<AnySocket, { table: InetTable | UnixTable; row: number }>();

/** The table and row a socket of a diff was built from (for formatters that read the columns). */
export function originOf(s: AnySocket): { table: InetTable | UnixTable; row: number } | undefined {
  return origins.get(s);
}

function row(s: Snapshot, at: { table: InetTable | UnixTable; row: number }): AnySocket {
  const socket = 'proto' in at.table ? s.inetSocket(at.table, at.row) : s.unixSocket(at.table, at.row);
  origins.set(socket, { table: at.table, row: at.row });
  return socket;
}

export function diffSnapshots(prev: Snapshot, next: Snapshot): SnapshotDiff {
  const a = keys(prev);
  const b = keys(next);
  const diff: SnapshotDiff = { opened: [], closed: [], changed: [] };
  for (const [key, at] of b) {
    const before = a.get(key);
    if (!before) diff.opened.push(row(next, at));
    else if (before.state !== at.state) {
      const was = row(prev, before);
      const now = row(next, at);
      diff.changed.push({ socket: now, from: was.stateName, to: now.stateName });
    }
  }
  for (const [key, at] of a) if (!b.has(key)) diff.closed.push(row(prev, at));
  return diff;
}
