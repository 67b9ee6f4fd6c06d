// ss(8)'s filter language (iproute2 misc/ss.c's state/exclude words and misc/ssfilter.y's expression)
// and the predicates ss has no words for, parsed into a small tree (compile.ts flattens it).
//
//   state NAME | exclude NAME ...   (repeatable, before the expression)
//   src|dst [=|==] ADDR[/PREFIX][:PORT]      ADDR: IPv4, [IPv6], *
//   sport|dport [OP] :PORT                    OP: = == != < <= > >= eq ne lt le gt ge
//   dev = IFNAME|INDEX   cgroup = PATH   autobound           (the netlink source only)
//   uid OP N   user = NAME   recv-q|send-q OP SIZE           (SIZE: 64k, 1m, …; the socket's own columns)
//   rtt|rttvar|rto OP TIME   retrans|lost|unacked|cwnd OP N   bytes-acked|bytes-received|bytes-retrans OP SIZE
//   rwnd-limited|sndbuf-limited OP PERCENT                   (tcp_info: netlink and the native backend)
//   pid OP N   comm|program = GLOB   container = ID|*        (the processes holding the socket)
//   and or not && || !  ( )  and an implicit `and` between neighbours
import * as fs from 'node:fs';
import * as path from 'node:path';
import { NetsnapError } from '../model/errors';
import { parseAddress } from '../model/address';
import { servicePort } from '../names/names';
import { userUid } from '../names/users';
import { findCgroup2Mount } from '../owners/cgroup_path';

/** Bits 1 << st of the kernel's TCP state numbers, as ss numbers them (SS_MAX = 13). */
const SS_ALL = (1 << 13) - 1;
const ESTABLISHED = 1, SYN_SENT = 2, SYN_RECV = 3, TIME_WAIT = 6, CLOSE = 7, LISTEN = 10;

const STATE_NAMES: Readonly<Record<string, number>> = {
  established: 1 << ESTABLISHED,
  'syn-sent': 1 << SYN_SENT,
  'syn-recv': 1 << SYN_RECV,
  'syn-rcv': 1 << SYN_RECV,
  'fin-wait-1': 1 << 4,
  'fin-wait-2': 1 << 5,
  'time-wait': 1 << TIME_WAIT,
  unconnected: 1 << CLOSE,
  close: 1 << CLOSE,
  closed: 1 << CLOSE,
  'close-wait': 1 << 8,
  'last-ack': 1 << 9,
  listening: 1 << LISTEN,
  closing: 1 << 11,
  all: SS_ALL,
  connected: SS_ALL & ~((1 << CLOSE) | (1 << LISTEN)),
  synchronized: SS_ALL & ~((1 << CLOSE) | (1 << LISTEN) | (1 << SYN_SENT)),
  bucket: (1 << SYN_RECV) | (1 << TIME_WAIT),
  big: SS_ALL & ~((1 << SYN_RECV) | (1 << TIME_WAIT)),
};

/** An address condition: family 0 is `*` (any address). */
export interface HostCond {
  family: 0 | 4 | 6;
  addr: Uint8Array;
  prefix: number;
  /** -1: any port. */
  port: number;
}

export type PortOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge';

export type FilterExpr =
  | { kind: 'and' | 'or'; left: FilterExpr; right: FilterExpr }
  | { kind: 'not'; expr: FilterExpr }
  | { kind: 'src' | 'dst'; cond: HostCond }
  | { kind: 'sport' | 'dport'; op: PortOp; port: number }
  /** The interface the socket is bound to (SO_BINDTODEVICE), by index. */
  | { kind: 'dev'; ifindex: number }
  /** The socket's cgroup v2, by id (the inode of its directory under the cgroup2 mount). */
  | { kind: 'cgroup'; id: bigint }
  /** A socket whose port the kernel chose (no bind to a port). */
  | { kind: 'autobound' }
  | { kind: 'uid'; op: PortOp; uid: number }
  | { kind: 'queue'; which: 'recv' | 'send'; op: PortOp; bytes: number }
  /** A tcp_info field (TCP_INFO_FIELDS name) against a value in its unit (µs, count, bytes). */
  | { kind: 'info'; field: string; op: PortOp; value: number }
  /** The share of busy time a limit held (tcp_info field over busyUs), in parts per million. */
  | { kind: 'ratio'; field: string; over: string; op: PortOp; ppm: number }
  | { kind: 'pid'; op: PortOp; pid: number }
  /** A glob (`*`, `?`) on a holding process's comm or netstat program name. */
  | { kind: 'comm' | 'program'; pattern: string }
  /** A holding process's container: id prefix or pod uid; `*` any container. */
  | { kind: 'container'; value: string };

export interface FilterTree {
  /** The state bits the state/exclude words allow; null when there were none. */
  states: number | null;
  /** The expression, or null when there is none. */
  expr: FilterExpr | null;
}

interface Token {
  text: string;
  pos: number;
}

/** `(`, `)`, the operators, and words (runs of anything else; brackets keep IPv6 colons inside a word). */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const two = text.slice(i, i + 2);
    if (['&&', '||', '==', '!=', '<=', '>='].includes(two)) {
      out.push({ text: two, pos: i });
      i += 2;
      continue;
    }
    if ('()!=<>'.includes(c)) {
      out.push({ text: c, pos: i });
      i++;
      continue;
    }
    const start = i;
    let depth = 0;
    while (i < text.length) {
      const d = text[i]!;
      if (d === '[') depth++;
      else if (d === ']') depth = Math.max(0, depth - 1);
      else if (depth === 0 && (/\s/.test(d) || '()!=<>&|'.includes(d))) break;
      i++;
    }
    if (i === start) i++; // a lone & or |
    out.push({ text: text.slice(start, i), pos: start });
  }
  return out;
}

const OPS: Readonly<Record<string, PortOp>> = {
  '=': 'eq', '==': 'eq', eq: 'eq', '!=': 'ne', ne: 'ne', neq: 'ne',
  '<': 'lt', lt: 'lt', '<=': 'le', le: 'le', '>': 'gt', gt: 'gt', '>=': 'ge', ge: 'ge',
};

/** The expression on one line, one character for each of its own, so that a caret lines up under it. */
function quoted(text: string): string {
  return text.replace(/[\t\n\r]/g, ' ').replace(/[\x00-\x1f\x7f]/g, '?');
}

function fail(text: string, pos: number, reason: string): never {
  throw new NetsnapError('ERR_USAGE', `bad filter: ${quoted(reason)}\n  ${quoted(text)}\n  ${' '.repeat(pos)}^`);
}

/** A port by number or /etc/services name; `*` is any port (-1). */
function parsePort(word: string, text: string, pos: number): number {
  if (word === '*') return -1;
  if (/^\d+$/.test(word)) {
    const n = Number(word);
    if (n > 65535) fail(text, pos, `port ${word} is above 65535`);
    return n;
  }
  if (/^[A-Za-z][\w.+-]*$/.test(word)) {
    const n = servicePort(word);
    if (n !== null) return n;
    fail(text, pos, `unknown service name '${word}'`);
  }
  fail(text, pos, `bad port '${word}'`);
}

/** ADDR[/PREFIX][:PORT] with ADDR an IPv4 address, [IPv6] (prefix inside or after the brackets) or `*`. */
function parseHostCond(word: string, text: string, pos: number): HostCond {
  let host = word;
  let portText: string | null = null;
  if (word.startsWith('[')) {
    const close = word.indexOf(']');
    if (close < 0) fail(text, pos, `unclosed '[' in '${word}'`);
    host = word.slice(1, close);
    let rest = word.slice(close + 1);
    const slash = /^\/(\d+)/.exec(rest);
    if (slash) {
      host += `/${slash[1]}`;
      rest = rest.slice(slash[0].length);
    }
    if (rest !== '') {
      if (!rest.startsWith(':') || rest.length === 1) fail(text, pos + close + 1, `expected ':PORT' after ']' in '${word}'`);
      portText = rest.slice(1);
    }
  } else {
    const colon = word.lastIndexOf(':');
    if (colon >= 0) {
      if (word.indexOf(':') !== colon) fail(text, pos, `IPv6 addresses go in brackets: '[${word}]'`);
      host = word.slice(0, colon);
      portText = word.slice(colon + 1);
      if (portText === '') fail(text, pos + colon, `missing port after ':' in '${word}'`);
    }
  }
  const port = portText === null ? -1 : parsePort(portText, text, pos + word.length - portText.length);
  if (host === '*' || host === '') return { family: 0, addr: new Uint8Array(16), prefix: 0, port };
  const slash = host.indexOf('/');
  const addrText = slash < 0 ? host : host.slice(0, slash);
  const a = parseAddress(addrText);
  if (!a || (a.family === 6) !== word.startsWith('[')) fail(text, pos, `'${addrText}' is not an IPv4 address or a bracketed IPv6 one`);
  const max = a.family === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = host.slice(slash + 1);
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) fail(text, pos, `bad prefix length '/${p}' (0 to ${max})`);
    prefix = Number(p);
  }
  return { family: a.family, addr: a.addr, prefix, port };
}

/** Parentheses and `not`s inside each other: deeper is refused (the programs' stacks are bounded). */
export const MAX_NESTING = 24;

/**
 * Conditions (predicates) in one expression: more is refused. The tree, the column program and the
 * bytecode grow with them and are built recursively (a chain of ~20,000 overflowed the stack); 4,096 is
 * far beyond any filter a person writes. A bytecode past the op format is not sent (kernel.ts).
 */
export const MAX_CONDITIONS = 4096;

/** Parses ss's filter words (joined by spaces) into a tree; throws NetsnapError ERR_USAGE with a caret. */
export function parseFilter(text: string): FilterTree {
  const toks = tokenize(text);
  let k = 0;
  const end = (): number => text.length;
  const at = (): number => (k < toks.length ? toks[k]!.pos : end());
  const peek = (): string | undefined => toks[k]?.text;

  let states: number | null = null;
  while (peek() === 'state' || peek() === 'exclude' || peek() === 'excl') {
    const word = toks[k++]!.text;
    const name = toks[k];
    if (!name) fail(text, end(), `'${word}' needs a state name`);
    const bits = STATE_NAMES[name.text.toLowerCase()];
    if (bits === undefined) fail(text, name.pos, `unknown state '${name.text}'`);
    k++;
    if (word === 'state') states = (states ?? 0) | bits;
    else states = (states ?? SS_ALL) & ~bits;
  }

  const startsPrimary = (t: string | undefined): boolean =>
    t !== undefined && t !== ')' && t !== 'and' && t !== '&&' && t !== 'or' && t !== '||';

  const parseOr = (): FilterExpr => {
    let left = parseAnd();
    while (peek() === 'or' || peek() === '||') {
      k++;
      left = { kind: 'or', left, right: parseAnd() };
    }
    return left;
  };
  const parseAnd = (): FilterExpr => {
    let left = parseUnary();
    for (;;) {
      const t = peek();
      if (t === 'and' || t === '&&') {
        k++;
        left = { kind: 'and', left, right: parseUnary() };
      } else if (startsPrimary(t)) {
        left = { kind: 'and', left, right: parseUnary() }; // implicit and
      } else {
        return left;
      }
    }
  };
  let conditions = 0;
  let depth = 0;
  const deeper = (pos: number): void => {
    if (++depth > MAX_NESTING) fail(text, pos, `nested more than ${MAX_NESTING} deep`);
  };
  const parseUnary = (): FilterExpr => {
    const t = toks[k];
    if (!t) fail(text, end(), 'the expression ends too early');
    if (t.text === 'not' || t.text === '!') {
      k++;
      deeper(t.pos);
      const expr = parseUnary();
      depth--;
      return { kind: 'not', expr };
    }
    if (t.text === '(') {
      k++;
      deeper(t.pos);
      if (peek() === ')') fail(text, at(), 'empty parentheses');
      const e = parseOr();
      if (peek() !== ')') fail(text, k < toks.length ? at() : t.pos, k < toks.length ? `expected ')' here` : `unclosed '('`);
      k++;
      depth--;
      return e;
    }
    if (++conditions > MAX_CONDITIONS) fail(text, t.pos, `more than ${MAX_CONDITIONS} conditions`);
    k++;
    const w = t.text.toLowerCase();
    if (w === 'src' || w === 'dst') {
      if (peek() === '=' || peek() === '==' || peek() === 'eq') k++;
      const a = toks[k];
      if (!a || a.text in OPS || a.text === '(' || a.text === ')') fail(text, at(), `'${t.text}' needs an address`);
      k++;
      return { kind: w, cond: parseHostCond(a.text, text, a.pos) };
    }
    if (w === 'sport' || w === 'dport') {
      let op: PortOp = 'eq';
      const o = peek();
      if (o !== undefined && OPS[o.toLowerCase()] !== undefined) {
        op = OPS[o.toLowerCase()]!;
        k++;
      }
      const p = toks[k];
      if (!p || p.text === '(' || p.text === ')' || OPS[p.text] !== undefined) fail(text, at(), `'${t.text}' needs a port (':PORT')`);
      k++;
      const word = p.text.startsWith(':') ? p.text.slice(1) : p.text;
      if (word === '') fail(text, p.pos, `missing port after ':'`);
      const port = parsePort(word, text, p.pos + (p.text.length - word.length));
      if (port < 0) fail(text, p.pos, `'${t.text}' needs a port number, not '*'`);
      return { kind: w, op, port };
    }
    const beyond = parseBeyond(w, t, text, toks, k);
    if (beyond !== null) {
      k = beyond.next;
      return beyond.expr;
    }
    if (w === 'state' || w === 'exclude') fail(text, t.pos, `'${t.text}' must come before the expression`);
    fail(text, t.pos, `unexpected '${t.text}'`);
  };

  let expr: FilterExpr | null = null;
  if (k < toks.length) {
    expr = parseOr();
    if (k < toks.length) {
      const t = toks[k]!;
      fail(text, t.pos, t.text === ')' ? `unmatched ')'` : `unexpected '${t.text}'`);
    }
  }
  if (states === null && expr === null) fail(text, 0, 'empty filter');
  return { states, expr };
}

/** Words of the predicates on tcp_info values: the field, and how its value is written. */
const INFO_WORDS: Readonly<Record<string, { field: string; unit: 'time' | 'count' | 'size' }>> = {
  rtt: { field: 'rttUs', unit: 'time' },
  rttvar: { field: 'rttVarUs', unit: 'time' },
  rto: { field: 'rtoUs', unit: 'time' },
  'min-rtt': { field: 'minRttUs', unit: 'time' },
  retrans: { field: 'totalRetrans', unit: 'count' },
  lost: { field: 'lost', unit: 'count' },
  unacked: { field: 'unacked', unit: 'count' },
  cwnd: { field: 'cwnd', unit: 'count' },
  'bytes-acked': { field: 'bytesAcked', unit: 'size' },
  'bytes-received': { field: 'bytesReceived', unit: 'size' },
  'bytes-retrans': { field: 'bytesRetrans', unit: 'size' },
  'bytes-sent': { field: 'bytesSent', unit: 'size' },
};

const RATIO_WORDS: Readonly<Record<string, string>> = {
  'rwnd-limited': 'rwndLimitedUs',
  'sndbuf-limited': 'sndbufLimitedUs',
};

const UNITS = {
  // Microseconds; a bare number is milliseconds, as ss prints rtt.
  time: { '': 1000, us: 1, ms: 1000, s: 1e6 } as Record<string, number>,
  size: { '': 1, b: 1, k: 1024, kb: 1024, m: 1 << 20, mb: 1 << 20, g: 2 ** 30, gb: 2 ** 30 } as Record<string, number>,
  count: { '': 1 } as Record<string, number>,
  percent: { '': 1e4, '%': 1e4 } as Record<string, number>,
};

/** NUMBER[UNIT] into the unit's base (µs, bytes, count, ppm), rounded to a whole number. */
function parseQuantity(word: string, unit: keyof typeof UNITS, text: string, pos: number, max: number): number {
  const m = /^(\d+(?:\.\d+)?)([a-z%]*)$/i.exec(word);
  const scale = m ? UNITS[unit][m[2]!.toLowerCase()] : undefined;
  if (!m || scale === undefined) {
    const units = Object.keys(UNITS[unit]).filter(Boolean).join(', ');
    fail(text, pos, `bad ${unit === 'count' ? 'number' : unit} '${word}'${units ? ` (units: ${units})` : ''}`);
  }
  if (unit === 'count' && m[1]!.includes('.')) fail(text, pos, `'${word}' is not a whole number`);
  const v = Math.round(Number(m[1]) * scale);
  if (!(v <= max)) fail(text, pos, `'${word}' is too large (at most ${max} ${unit === 'time' ? 'µs' : unit === 'size' ? 'bytes' : unit === 'percent' ? 'ppm' : ''})`.replace(/ \)$/, ')'));
  return v;
}

/** A whole number of the /sys/class/net/NAME/ifindex of this network namespace, or the number given. */
function interfaceIndex(word: string, text: string, pos: number): number {
  if (/^\d{1,10}$/.test(word) && Number(word) <= 0xffffffff) return Number(word);
  if (/^[^/\s]{1,15}$/.test(word) && word !== '.' && word !== '..') {
    try {
      const n = Number(fs.readFileSync(`/sys/class/net/${word}/ifindex`, 'utf8').trim());
      if (Number.isInteger(n) && n > 0) return n;
    } catch {
      // not a device here
    }
  }
  fail(text, pos, `no network device '${word}' here`);
}

/** The id of a cgroup v2 path (absolute from the cgroup2 mount, as ss -c prints it): the inode of its directory. */
function cgroupId(word: string, text: string, pos: number): bigint {
  const mount = findCgroup2Mount();
  if (mount === null) fail(text, pos, 'no cgroup2 file system is mounted');
  const rel = word.startsWith('/') ? word : `/${word}`;
  if (rel.split('/').includes('..')) fail(text, pos, `'${word}' may not contain '..'`);
  try {
    const st = fs.statSync(path.join(mount, rel), { bigint: true });
    if (st.isDirectory()) return st.ino;
  } catch {
    // reported below
  }
  fail(text, pos, `no cgroup '${rel}' under ${mount}`);
}

/** `=`, `==` or `!=` (and their words) after an equality-only word: whether it is negated. */
function equality(toks: readonly Token[], k: number, word: Token, text: string): { negate: boolean; next: number } {
  const o = toks[k];
  if (o && (o.text === '=' || o.text === '==' || o.text.toLowerCase() === 'eq')) return { negate: false, next: k + 1 };
  if (o && (o.text === '!=' || o.text.toLowerCase() === 'ne' || o.text.toLowerCase() === 'neq')) return { negate: true, next: k + 1 };
  fail(text, o ? o.pos : text.length, `'${word.text}' takes '=' or '!='`);
}

/** An operator (= by default when the next token is a value), as sport/dport take them. */
function operator(toks: readonly Token[], k: number): { op: PortOp; next: number } {
  const o = toks[k]?.text.toLowerCase();
  if (o !== undefined && OPS[o] !== undefined) return { op: OPS[o]!, next: k + 1 };
  return { op: 'eq', next: k };
}

function operand(toks: readonly Token[], k: number, word: Token, text: string, what: string): Token {
  const a = toks[k];
  if (!a || a.text === '(' || a.text === ')' || OPS[a.text.toLowerCase()] !== undefined || a.text === '&&' || a.text === '||') {
    fail(text, a ? a.pos : text.length, `'${word.text}' needs ${what}`);
  }
  return a;
}

/** The predicates beyond src/dst/sport/dport: null when `w` is none of them. */
function parseBeyond(w: string, t: Token, text: string, toks: readonly Token[], k: number): { expr: FilterExpr; next: number } | null {
  const negated = (expr: FilterExpr, negate: boolean): FilterExpr => (negate ? { kind: 'not', expr } : expr);
  if (w === 'autobound') return { expr: { kind: 'autobound' }, next: k };
  if (w === 'dev' || w === 'cgroup' || w === 'comm' || w === 'program' || w === 'container' || w === 'user') {
    const eq = equality(toks, k, t, text);
    const what = { dev: 'a device name', cgroup: 'a cgroup path', comm: 'a name', program: 'a name', container: 'a container id', user: 'a user name' }[w];
    const raw = operand(toks, eq.next, t, text, what);
    // A value may come quoted (`comm = "nginx*"`): the quotes are not part of it.
    const a = /^(["']).+\1$/.test(raw.text) ? { text: raw.text.slice(1, -1), pos: raw.pos + 1 } : raw;
    let expr: FilterExpr;
    if (w === 'dev') expr = { kind: 'dev', ifindex: interfaceIndex(a.text, text, a.pos) };
    else if (w === 'cgroup') expr = { kind: 'cgroup', id: cgroupId(a.text, text, a.pos) };
    else if (w === 'user') {
      const uid = /^\d{1,10}$/.test(a.text) && Number(a.text) <= 0xffffffff ? Number(a.text) : userUid(a.text);
      if (uid === null) fail(text, a.pos, `no user '${a.text}' in /etc/passwd`);
      expr = { kind: 'uid', op: 'eq', uid };
    } else if (w === 'container') expr = { kind: 'container', value: a.text };
    else expr = { kind: w, pattern: a.text };
    return { expr: negated(expr, eq.negate), next: eq.next + 1 };
  }
  const info = INFO_WORDS[w];
  const ratio = RATIO_WORDS[w];
  if (w === 'uid' || w === 'pid' || w === 'recv-q' || w === 'send-q' || info !== undefined || ratio !== undefined) {
    const { op, next } = operator(toks, k);
    const a = operand(toks, next, t, text, 'a value');
    let expr: FilterExpr;
    if (w === 'uid') expr = { kind: 'uid', op, uid: parseQuantity(a.text, 'count', text, a.pos, 0xffffffff) };
    // `pid != N` is "not held by N" (a socket nobody holds passes), not "held by some other pid".
    else if (w === 'pid') expr = negated({ kind: 'pid', op: op === 'ne' ? 'eq' : op, pid: parseQuantity(a.text, 'count', text, a.pos, 0x7fffffff) }, op === 'ne');
    else if (w === 'recv-q' || w === 'send-q') expr = { kind: 'queue', which: w === 'recv-q' ? 'recv' : 'send', op, bytes: parseQuantity(a.text, 'size', text, a.pos, 0xffffffff) };
    else if (info !== undefined) expr = { kind: 'info', field: info.field, op, value: parseQuantity(a.text, info.unit, text, a.pos, 2 ** 53) };
    else expr = { kind: 'ratio', field: ratio!, over: 'busyUs', op, ppm: parseQuantity(a.text, 'percent', text, a.pos, 1e6) };
    return { expr, next: next + 1 };
  }
  return null;
}

/**
 * The words of the language, for `netsnap completion`: the state names state/exclude take, and the
 * keywords of the expression (its predicates, then and/or/not). The parser above is what they mean.
 */
export const FILTER_WORDS: { readonly states: readonly string[]; readonly keywords: readonly string[] } = {
  states: Object.keys(STATE_NAMES),
  keywords: [
    'state', 'exclude', 'src', 'dst', 'sport', 'dport', 'dev', 'cgroup', 'autobound', 'uid', 'user', 'recv-q', 'send-q',
    ...Object.keys(INFO_WORDS), ...Object.keys(RATIO_WORDS), 'pid', 'comm', 'program', 'container', 'and', 'or', 'not',
  ],
};
