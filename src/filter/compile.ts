// A parsed filter made ready to run: the column program (program.ts) both backends run on every
// row, the kernel's share as inet_diag bytecode (kernel.ts), the TCP states for the dump, what the
// filter needs of a sample (owners, tcp_info, the netlink source), and the owner predicates the
// snapshot answers once the processes are known.
import { NetsnapError } from '../model/errors';
import { TCP_INFO_INDEX } from '../model/tcp_info';
import type { FilterRequest } from '../model/contract';
import { parseFilter, type FilterExpr, type FilterTree, type HostCond } from './parse';
import { CMP, OP, programProblem, runProgram, MAX_STACK, type FilterRows } from './program';
import { kernelBytecode } from './kernel';

/** Every TCP state bit, as ss numbers them. */
export const ALL_STATES = (1 << 13) - 1;

/** A predicate on the processes that hold a socket. */
export type OwnerPredicate =
  | { kind: 'pid'; op: keyof typeof CMP; pid: number }
  | { kind: 'comm' | 'program'; pattern: RegExp }
  | { kind: 'container'; value: string };

/** What a process holding a socket looks like to an owner predicate. */
export interface FilterOwner {
  pid: number;
  comm: string;
  program: string;
  /** The container's id and pod uid, when the process is in one. */
  container: { id: string; podUid?: string } | null;
}

export interface CompiledFilter {
  /** The expression as given. */
  readonly text: string;
  /** The state bits (1 << st) the state words allow; every bit when there were none. */
  readonly tcpStates: number;
  /** Whether the filter had state/exclude words (they then choose rows instead of -a/-l). */
  readonly hasStates: boolean;
  /** Whether it has an expression after its state words (which UNIX sockets cannot take). */
  readonly hasExpression: boolean;
  /** What both backends run on every inet row, and what the kernel runs first. */
  readonly request: FilterRequest;
  readonly owners: readonly OwnerPredicate[];
  /** What a sample must carry for this filter. */
  readonly needs: {
    /** The owner scan (pid, comm, program, container). */
    owners: boolean;
    /** The processes' cgroups (container). */
    processCgroups: boolean;
    /** tcp_info (extensions bit 1): the native backend and the netlink source. */
    info: boolean;
    /** What only the netlink dump carries (dev, cgroup, autobound, tcp_info), in words; '' for nothing. */
    netlink: string;
  };
  /**
   * Row i of t against the whole filter; `owners(i)` lists the processes holding the row's socket
   * (needed only when `needs.owners`). Rows the backends kept pass everything but the owner part.
   */
  matches(t: FilterRows, i: number, owners?: (i: number) => readonly FilterOwner[]): boolean;
}

/** A shell-style glob (`*`, `?`) as an anchored regular expression. */
function globRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 's');
}

function hostWords(side: 0 | 1, c: HostCond): number[] {
  return [OP.HOST, side, c.family, c.prefix, c.port, ...c.addr.subarray(0, 16)];
}

interface Emitted {
  words: number[];
  owners: OwnerPredicate[];
  netlink: Set<string>;
  info: boolean;
  autobound: boolean;
  /** Predicates the kernel cannot run (uid, queues, tcp_info, owners). */
  userSpace: boolean;
}

function emit(e: FilterExpr, out: Emitted): void {
  switch (e.kind) {
    case 'and':
    case 'or':
      emit(e.left, out);
      emit(e.right, out);
      out.words.push(e.kind === 'and' ? OP.AND : OP.OR);
      return;
    case 'not':
      emit(e.expr, out);
      out.words.push(OP.NOT);
      return;
    case 'src':
    case 'dst':
      out.words.push(...hostWords(e.kind === 'src' ? 0 : 1, e.cond));
      return;
    case 'sport':
    case 'dport':
      out.words.push(OP.PORT, e.kind === 'sport' ? 0 : 1, CMP[e.op], e.port);
      return;
    case 'dev':
      out.words.push(OP.DEV, e.ifindex);
      out.netlink.add('dev');
      return;
    case 'cgroup':
      out.words.push(OP.CGROUP, Number(e.id & 0xffffffffn), Number(e.id >> 32n));
      out.netlink.add('cgroup');
      return;
    case 'autobound':
      out.words.push(OP.AUTOBOUND);
      out.netlink.add('autobound');
      out.autobound = true;
      return;
    case 'uid':
      out.words.push(OP.UID, CMP[e.op], e.uid);
      out.userSpace = true;
      return;
    case 'queue':
      out.words.push(OP.QUEUE, e.which === 'recv' ? 0 : 1, CMP[e.op], e.bytes);
      out.userSpace = true;
      return;
    case 'info':
      out.words.push(OP.INFO, TCP_INFO_INDEX.get(e.field)!, CMP[e.op], e.value);
      out.netlink.add('tcp_info');
      out.info = true;
      out.userSpace = true;
      return;
    case 'ratio':
      out.words.push(OP.RATIO, TCP_INFO_INDEX.get(e.field)!, TCP_INFO_INDEX.get(e.over)!, CMP[e.op], e.ppm);
      out.netlink.add('tcp_info');
      out.info = true;
      out.userSpace = true;
      return;
    case 'pid':
      out.words.push(OP.OWNER, out.owners.length);
      out.owners.push({ kind: 'pid', op: e.op, pid: e.pid });
      out.userSpace = true;
      return;
    case 'comm':
    case 'program':
      out.words.push(OP.OWNER, out.owners.length);
      out.owners.push({ kind: e.kind, pattern: globRegExp(e.pattern) });
      out.userSpace = true;
      return;
    case 'container':
      out.words.push(OP.OWNER, out.owners.length);
      out.owners.push({ kind: 'container', value: e.value });
      out.userSpace = true;
      return;
  }
}

function ownerMatches(p: OwnerPredicate, o: FilterOwner): boolean {
  switch (p.kind) {
    case 'pid': {
      const v = o.pid;
      switch (p.op) {
        case 'eq': return v === p.pid;
        case 'ne': return v !== p.pid;
        case 'lt': return v < p.pid;
        case 'le': return v <= p.pid;
        case 'gt': return v > p.pid;
        case 'ge': return v >= p.pid;
      }
    }
    // falls through: unreachable
    case 'comm': return p.pattern.test(o.comm);
    case 'program': return p.pattern.test(o.program);
    case 'container':
      if (o.container === null) return false;
      return p.value === '*' || o.container.id.startsWith(p.value) || o.container.podUid === p.value;
  }
}

/** Compiles a parsed filter; `text` is kept for messages. Throws NetsnapError ERR_USAGE. */
export function compileTree(tree: FilterTree, text = ''): CompiledFilter {
  const out: Emitted = { words: [], owners: [], netlink: new Set(), info: false, autobound: false, userSpace: false };
  if (tree.expr !== null) emit(tree.expr, out);
  if (tree.states !== null) {
    out.words.unshift(OP.STATE, tree.states);
    if (tree.expr !== null) out.words.push(OP.AND);
  }
  if (out.autobound && out.userSpace) {
    throw new NetsnapError('ERR_USAGE', `bad filter: 'autobound' combines only with src, dst, sport, dport, dev and cgroup (only the kernel sees it, so it must decide the whole expression)\n  ${text}`);
  }
  const program = Float64Array.from(out.words);
  const problem = programProblem(program);
  if (problem !== null) throw new NetsnapError('ERR_USAGE', `bad filter: too complex (${problem})\n  ${text}`);
  const bytecode = tree.expr === null ? null : kernelBytecode(tree.expr);
  const owners = out.owners;
  const stack = new Uint8Array(MAX_STACK);
  const none: readonly FilterOwner[] = [];
  return {
    text,
    tcpStates: tree.states ?? ALL_STATES,
    hasStates: tree.states !== null,
    hasExpression: tree.expr !== null,
    request: { program, bytecode },
    owners,
    needs: {
      owners: owners.length > 0,
      processCgroups: owners.some((p) => p.kind === 'container'),
      info: out.info,
      netlink: [...out.netlink].map((w) => `'${w}'`).join(', '),
    },
    matches(t, i, ownersOf) {
      const list = ownersOf ? ownersOf(i) : none;
      return runProgram(program, t, i, stack, (k) => list.some((o) => ownerMatches(owners[k]!, o))) !== 0;
    },
  };
}

/** SS_LISTEN's flag in /proc/net/unix (__SO_ACCEPTCON). */
const UNIX_ACCEPTCON = 0x10000;
/** ss's state for /proc/net/unix's SS_UNCONNECTED, SS_CONNECTING, SS_CONNECTED, SS_DISCONNECTING. */
const UNIX_SS_STATE = [7, 2, 1, 11];

/**
 * A UNIX socket's state as ss's state words see it (ss reading /proc/net/unix): a listener is
 * `listening`, the others by their socket state (unconnected `closed`, connected `established`, …).
 */
export function unixSsState(state: number, flags: number): number {
  if ((flags & UNIX_ACCEPTCON) !== 0) return 10;
  return state >= 1 && state <= 4 ? UNIX_SS_STATE[state - 1]! : state;
}

/** Parses and compiles filter text (NetsnapError ERR_USAGE with a caret for a bad one). */
export function compileFilter(text: string): CompiledFilter {
  return compileTree(parseFilter(text), text);
}
