// What changed between two snapshots: sockets opened (+), closed (-) and changed state (~).
// An inet socket is known by its file and both endpoints (its inode is 0 in TIME_WAIT, so the
// inode cannot be the key); a UNIX socket by its inode. Endpoints that repeat (SO_REUSEPORT
// listeners) are told apart by their order of appearance.
import type { InetSocket, Snapshot, UnixSocket } from '../model/snapshot';
import type { InetTable, UnixTable } from '../model/columns';

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

/**
 * Every row of a snapshot, indexed by its key without building a string per row: an inet row's key
 * is (file, local address and port, remote address and port), a UNIX row's its inode (or, for
 * inode 0, its row number). Rows with equal keys are told apart by their order in the file (the
 * k-th equal row of one snapshot matches the k-th of the other). Hash chains live in typed arrays,
 * so a 100,000-row snapshot costs two arrays and one Map of numbers.
 */
class RowIndex {
  readonly tables: Array<InetTable | UnixTable>;
  readonly total: number;
  /** Table index and row of each global row number (rows are numbered across tables, in order). */
  readonly tableOf: Uint8Array;
  readonly rowOf: Int32Array;
  private readonly heads = new Map<number, number>();
  private readonly next: Int32Array;
  private readonly hashes: Int32Array;
  /** How many earlier rows of this snapshot have the same key. */
  readonly occurrence: Int32Array;

  private readonly tails = new Map<number, number>();
  /** Rows indexed so far (the index is built in steps, see build()). */
  private done = 0;
  private cursorTable = 0;
  private cursorRow = 0;

  constructor(s: Snapshot) {
    this.tables = [...s.inet];
    if (s.unix) this.tables.push(s.unix);
    let n = 0;
    for (const t of this.tables) n += t.count;
    this.total = n;
    this.tableOf = new Uint8Array(n);
    this.rowOf = new Int32Array(n);
    this.next = new Int32Array(n).fill(-1);
    this.hashes = new Int32Array(n);
    this.occurrence = new Int32Array(n);
  }

  get complete(): boolean {
    return this.done === this.total;
  }

  /** Indexes up to `budget` more rows; true when the whole snapshot is indexed. */
  build(budget = Infinity): boolean {
    let ref = this.done;
    const end = Math.min(this.total, ref + budget);
    while (ref < end) {
      const k = this.cursorTable;
      const t = this.tables[k]!;
      const i = this.cursorRow;
      if (i >= t.count) {
        this.cursorTable++;
        this.cursorRow = 0;
        continue;
      }
      this.tableOf[ref] = k;
      this.rowOf[ref] = i;
      const h = rowHash(t, i);
      this.hashes[ref] = h;
      let occ = 0;
      for (let r = this.heads.get(h) ?? -1; r !== -1; r = this.next[r]!) {
        if (this.hashes[r] === h && sameKey(this.tables[this.tableOf[r]!]!, this.rowOf[r]!, t, i)) occ++;
      }
      this.occurrence[ref] = occ;
      const tail = this.tails.get(h);
      if (tail === undefined) this.heads.set(h, ref);
      else this.next[tail] = ref;
      this.tails.set(h, ref);
      this.cursorRow++;
      ref++;
    }
    this.done = ref;
    if (this.complete) this.tails.clear();
    return this.complete;
  }

  table(ref: number): InetTable | UnixTable {
    return this.tables[this.tableOf[ref]!]!;
  }

  /** Global row number of the `occ`-th row whose key equals row i of t, or -1. */
  find(t: InetTable | UnixTable, i: number, occ: number): number {
    const h = rowHash(t, i);
    for (let r = this.heads.get(h) ?? -1; r !== -1; r = this.next[r]!) {
      if (this.hashes[r] === h && sameKey(this.table(r), this.rowOf[r]!, t, i) && occ-- === 0) return r;
    }
    return -1;
  }
}

const isInet = (t: InetTable | UnixTable): t is InetTable => 'proto' in t;

function rowHash(t: InetTable | UnixTable, i: number): number {
  if (!isInet(t)) {
    const inode = t.inode[i]!;
    // inode 0 rows are keyed by row number; others by inode.
    return inode === 0 ? Math.imul(i + 1, 0x9e3779b1) ^ 0x55555555 : Math.imul((inode % 0x100000000) ^ Math.floor(inode / 0x100000000), 0x85ebca6b);
  }
  let h = Math.imul(t.file.length * 31 + t.file.charCodeAt(0) + (t.ipv6File ? 7 : 0), 0x01000193);
  const a = t.localAddr;
  const b = t.remoteAddr;
  for (let k = i * 16, end = k + 16; k < end; k++) h = Math.imul(h ^ a[k]!, 0x01000193);
  for (let k = i * 16, end = k + 16; k < end; k++) h = Math.imul(h ^ b[k]!, 0x01000193);
  h = Math.imul(h ^ t.localPort[i]!, 0x01000193);
  h = Math.imul(h ^ t.remotePort[i]!, 0x01000193);
  return h ^ (h >>> 15);
}

function sameKey(u: InetTable | UnixTable, j: number, t: InetTable | UnixTable, i: number): boolean {
  if (!isInet(u) || !isInet(t)) {
    if (isInet(u) || isInet(t)) return false;
    const inode = t.inode[i]!;
    return u.inode[j] === inode && (inode !== 0 || i === j);
  }
  if (u.file !== t.file || u.localPort[j] !== t.localPort[i] || u.remotePort[j] !== t.remotePort[i]) return false;
  const a = u.localAddr, b = t.localAddr, c = u.remoteAddr, d = t.remoteAddr;
  for (let k = 0; k < 16; k++) if (a[j * 16 + k] !== b[i * 16 + k] || c[j * 16 + k] !== d[i * 16 + k]) return false;
  return true;
}

// A sampler diffs each snapshot twice (as the new one, then as the old one): index it once.
const indexes = new WeakMap<Snapshot, RowIndex>();

function indexOf(s: Snapshot): RowIndex {
  let x = indexes.get(s);
  if (!x) indexes.set(s, (x = new RowIndex(s)));
  x.build();
  return x;
}

/** Rows per step of the asynchronous diff: a few milliseconds of work between yields. */
const STEP_ROWS = 8192;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

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

/**
 * The result of a diff: row references only, turned into socket objects when first read (a first
 * tick of 100,000 sockets is 100,000 "opened" sockets nobody may look at). The lists are own
 * enumerable getters, so spreading, JSON and equality see plain arrays.
 */
function lazyDiff(prev: Snapshot, next: Snapshot, a: RowIndex, b: RowIndex, openedRefs: Int32Array, closedRefs: Int32Array,
  changedRefs: Int32Array): SnapshotDiff {
  let opened: AnySocket[] | null = null;
  let closed: AnySocket[] | null = null;
  let changed: SocketChange[] | null = null;
  const at = (x: RowIndex, r: number) => ({ table: x.table(r), row: x.rowOf[r]! });
  return {
    get opened() {
      return (opened ??= Array.from(openedRefs, (r) => row(next, at(b, r))));
    },
    get closed() {
      return (closed ??= Array.from(closedRefs, (r) => row(prev, at(a, r))));
    },
    get changed() {
      if (!changed) {
        changed = [];
        for (let k = 0; k + 1 < changedRefs.length; k += 2) {
          const was = row(prev, at(a, changedRefs[k]!));
          const now = row(next, at(b, changedRefs[k + 1]!));
          changed.push({ socket: now, from: was.stateName, to: now.stateName });
        }
      }
      return changed;
    },
  };
}

/** Growable Int32 list. */
class Refs {
  private data = new Int32Array(64);
  length = 0;
  push(v: number): void {
    if (this.length === this.data.length) {
      const grown = new Int32Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = v;
  }
  take(): Int32Array {
    return this.data.slice(0, this.length);
  }
}

/** Matches rows of b against a, from global row `from` up to `to`. */
function matchRows(a: RowIndex, b: RowIndex, matched: Uint8Array, from: number, to: number, opened: Refs, changed: Refs): void {
  for (let ref = from; ref < to; ref++) {
    const t = b.table(ref);
    const i = b.rowOf[ref]!;
    const r = a.find(t, i, b.occurrence[ref]!);
    if (r === -1) {
      opened.push(ref);
      continue;
    }
    matched[r] = 1;
    if (a.table(r).state[a.rowOf[r]!] !== t.state[i]) {
      changed.push(r);
      changed.push(ref);
    }
  }
}

function closedRows(a: RowIndex, matched: Uint8Array): Int32Array {
  const closed = new Refs();
  for (let r = 0; r < a.total; r++) if (!matched[r]) closed.push(r);
  return closed.take();
}

export function diffSnapshots(prev: Snapshot, next: Snapshot): SnapshotDiff {
  const a = indexOf(prev);
  const b = indexOf(next);
  const matched = new Uint8Array(a.total);
  const opened = new Refs();
  const changed = new Refs();
  matchRows(a, b, matched, 0, b.total, opened, changed);
  return lazyDiff(prev, next, a, b, opened.take(), closedRows(a, matched), changed.take());
}

/**
 * diffSnapshots() in steps of a few thousand rows with the event loop free in between: the
 * sampler's diff of two 100,000-row snapshots never holds the event loop for long.
 */
export async function diffSnapshotsAsync(prev: Snapshot, next: Snapshot): Promise<SnapshotDiff> {
  let a = indexes.get(prev);
  if (!a) indexes.set(prev, (a = new RowIndex(prev)));
  while (!a.build(STEP_ROWS)) await nextTurn();
  let b = indexes.get(next);
  if (!b) indexes.set(next, (b = new RowIndex(next)));
  while (!b.build(STEP_ROWS)) await nextTurn();
  const matched = new Uint8Array(a.total);
  const opened = new Refs();
  const changed = new Refs();
  for (let from = 0; from < b.total; from += STEP_ROWS) {
    if (from > 0) await nextTurn();
    matchRows(a, b, matched, from, Math.min(b.total, from + STEP_ROWS), opened, changed);
  }
  return lazyDiff(prev, next, a, b, opened.take(), closedRows(a, matched), changed.take());
}
