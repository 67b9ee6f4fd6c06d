// ss(8)'s filter language (iproute2 misc/ss.c's state/exclude words and misc/ssfilter.y's expression):
// a parser into a small tree, and an evaluator over the columns (no object per row).
//
//   state NAME | exclude NAME ...   (repeatable, before the expression)
//   src|dst [=|==] ADDR[/PREFIX][:PORT]      ADDR: IPv4, [IPv6], *
//   sport|dport [OP] :PORT                    OP: = == != < <= > >= eq ne lt le gt ge
//   and or not && || !  ( )  and an implicit `and` between neighbours
//
// dev, autobound and cgroup are recognised and refused: they match what only the netlink dump carries.
import { NetsnapError } from '../model/errors';
import { parseAddress } from '../model/address';
import type { InetTable } from '../model/columns';
import { servicePort } from '../names/names';

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
  | { kind: 'sport' | 'dport'; op: PortOp; port: number };

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

const NEEDS_NETLINK: Readonly<Record<string, string>> = {
  dev: "needs the netlink source's bound device",
  autobound: "needs the netlink source's bind flags",
  cgroup: "needs the netlink source's cgroup id",
};

function fail(text: string, pos: number, reason: string, code: 'ERR_USAGE' | 'ERR_NEEDS_NATIVE' = 'ERR_USAGE'): never {
  throw new NetsnapError(code, `bad filter: ${reason}\n  ${text}\n  ${' '.repeat(pos)}^`);
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
  const parseUnary = (): FilterExpr => {
    const t = toks[k];
    if (!t) fail(text, end(), 'the expression ends too early');
    if (t.text === 'not' || t.text === '!') {
      k++;
      return { kind: 'not', expr: parseUnary() };
    }
    if (t.text === '(') {
      k++;
      if (peek() === ')') fail(text, at(), 'empty parentheses');
      const e = parseOr();
      if (peek() !== ')') fail(text, k < toks.length ? at() : t.pos, k < toks.length ? `expected ')' here` : `unclosed '('`);
      k++;
      return e;
    }
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
    const refused = NEEDS_NETLINK[w];
    if (refused !== undefined) fail(text, t.pos, `'${t.text}' ${refused} (not implemented yet)`, 'ERR_NEEDS_NATIVE');
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

export interface CompiledFilter {
  /** The state bits (1 << st) the state words allow; every bit when there were none. */
  tcpStates: number;
  /** Whether the filter had state/exclude words (they then choose rows instead of -a/-l). */
  hasStates: boolean;
  /** Whether row i of t passes the filter (its state included, for every inet table). */
  matches(t: InetTable, i: number): boolean;
}

function hostMatches(c: HostCond, addr: Uint8Array, port: number, t: InetTable, i: number): boolean {
  if (c.port >= 0 && port !== c.port) return false;
  if (c.family === 0) return true;
  const off = i * 16;
  let from = off;
  if (t.family[i] !== c.family) {
    // An IPv4 condition matches an IPv4-mapped IPv6 address (as ss and the kernel do).
    if (c.family !== 4) return false;
    for (let b = 0; b < 10; b++) if (addr[off + b] !== 0) return false;
    if (addr[off + 10] !== 0xff || addr[off + 11] !== 0xff) return false;
    from = off + 12;
  }
  let bits = c.prefix;
  for (let b = 0; bits > 0; b++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((addr[from + b]! & mask) !== (c.addr[b]! & mask)) return false;
  }
  return true;
}

function evaluate(e: FilterExpr, t: InetTable, i: number): boolean {
  switch (e.kind) {
    case 'and': return evaluate(e.left, t, i) && evaluate(e.right, t, i);
    case 'or': return evaluate(e.left, t, i) || evaluate(e.right, t, i);
    case 'not': return !evaluate(e.expr, t, i);
    case 'src': return hostMatches(e.cond, t.localAddr, t.localPort[i]!, t, i);
    case 'dst': return hostMatches(e.cond, t.remoteAddr, t.remotePort[i]!, t, i);
    case 'sport':
    case 'dport': {
      const p = e.kind === 'sport' ? t.localPort[i]! : t.remotePort[i]!;
      switch (e.op) {
        case 'eq': return p === e.port;
        case 'ne': return p !== e.port;
        case 'lt': return p < e.port;
        case 'le': return p <= e.port;
        case 'gt': return p > e.port;
        case 'ge': return p >= e.port;
      }
    }
  }
}

/**
 * The evaluator of a parsed filter. State bits apply to every inet table as ss applies them: TCP by its
 * state, UDP and RAW as ESTABLISHED (connected) or CLOSE (unconnected), the numbers their state column holds.
 */
export function compileFilter(tree: FilterTree): CompiledFilter {
  const states = tree.states ?? SS_ALL;
  const expr = tree.expr;
  return {
    tcpStates: states,
    hasStates: tree.states !== null,
    matches(t: InetTable, i: number): boolean {
      if ((states & (1 << t.state[i]!)) === 0) return false;
      return expr === null || evaluate(expr, t, i);
    },
  };
}
