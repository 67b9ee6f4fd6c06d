// The filter parser and compilers on hostile input: any text gives a tree or a NetsnapError
// ERR_USAGE with the expression quoted and a caret inside it — never another exception. Every tree
// compiles to a column program its checker accepts and, where the kernel gets a share, to bytecode
// that passes a port of the kernel's own checker (net/ipv4/inet_diag.c: inet_diag_bc_audit,
// valid_cc, valid_hostcond). Inputs: random bytes, token soup from the grammar's words, and
// mutations of valid expressions; seeded, so a failure repeats.
import { describe, expect, it } from 'vitest';
import { parseFilter } from '../../src/filter/parse';
import { compileTree } from '../../src/filter/compile';
import { programProblem, runProgram, MAX_STACK } from '../../src/filter/program';
import { HOST_LITTLE_ENDIAN } from '../../src/model/address';
import { NetsnapError } from '../../src/model/errors';
import { snapshot } from '../../src/backends/snapshot';
import { BASIC } from '../helpers/env';
import { rng } from '../helpers/generate';


/** The kernel's inet_diag_bc_audit, as of Linux 6.x (MARK_COND left out: netsnap never sends it). */
export function kernelAccepts(bc: Uint8Array): boolean {
  const v = new DataView(bc.buffer, bc.byteOffset, bc.byteLength);
  const op = (at: number) => ({ code: bc[at]!, yes: bc[at + 1]!, no: v.getUint16(at + 2, HOST_LITTLE_ENDIAN) });
  // cc: the length left at the jump's target, which must be an op boundary.
  const validCc = (len: number, cc: number): boolean => {
    let at = 0;
    while (len >= 0) {
      if (cc > len) return false;
      if (cc === len) return true;
      const o = op(at);
      if (o.yes < 4 || o.yes & 3) return false;
      len -= o.yes;
      at += o.yes;
    }
    return false;
  };
  if (bc.length < 4) return false;
  const total = bc.length;
  let len = total;
  let at = 0;
  while (len > 0) {
    if (len < 4) return false;
    const o = op(at);
    let min = 4;
    switch (o.code) {
      case 7: case 8: { // S_COND, D_COND
        min += 8;
        if (len < min) return false;
        const family = bc[at + 4]!;
        const alen = family === 0 ? 0 : family === 2 ? 4 : family === 10 ? 16 : -1;
        if (alen < 0) return false;
        min += alen;
        if (len < min) return false;
        if (bc[at + 5]! > 8 * alen) return false;
        break;
      }
      case 9: min += 4; if (len < min) return false; break; // DEV_COND
      case 2: case 3: case 4: case 5: case 11: case 12: min += 4; if (len < min) return false; break;
      case 13: min += 8; if (len < min) return false; break; // CGROUP_COND
      case 0: case 1: case 6: break; // NOP, JMP, AUTO
      default: return false;
    }
    if (o.code !== 0) {
      if (o.no < min || o.no > len + 4 || o.no & 3) return false;
      if (o.no < len && !validCc(total, len - o.no)) return false;
    }
    if (o.yes < min || o.yes > len + 4 || o.yes & 3) return false;
    at += o.yes;
    len -= o.yes;
  }
  return len === 0;
}

const WORDS = [
  'state', 'exclude', 'established', 'listening', 'time-wait', 'connected', 'bucket', 'big', 'all', 'closed', 'syn-recv',
  'src', 'dst', 'sport', 'dport', 'and', 'or', 'not', '&&', '||', '!', '(', ')', '=', '==', '!=', '<', '<=', '>', '>=',
  'eq', 'ne', 'lt', 'gt', ':80', ':https', ':99999', ':', '*', '127.0.0.1', '10.0.0.0/8', '[::1]', '[::]/0', '[fe80::1]:22',
  '1.2.3.4:5', '[::ffff:1.2.3.4]/120', 'dev', 'lo', 'cgroup', '/', 'autobound', 'uid', 'user', 'root', 'pid', 'comm',
  'program', 'container', 'node*', '*', 'rtt', 'retrans', 'rwnd-limited', 'send-q', 'recv-q', '100ms', '64k', '10%',
  '1.5s', '0', '42', '[', ']', '/', '//', '%', 'x', '', ' ', '\t', '\n', 'é', '\u0000',
];

/** Whole predicates and connectives: soups of these parse often, so the compilers see many trees. */
const PIECES = [
  'sport = :80', 'dport != :443', 'sport > :1024', 'dport <= :http', 'src 127.0.0.1', 'dst 10.0.0.0/8', 'src [::1]',
  'dst [fe80::]/10:22', 'src *:53', 'dev = lo', 'cgroup = /', 'autobound', 'uid = 0', 'user = root', 'pid > 1',
  'comm = node*', 'program != sshd', 'container = *', 'rtt > 100ms', 'retrans > 0', 'rwnd-limited >= 5%',
  'send-q > 64k', 'recv-q = 0', 'and', 'or', 'not', '!', '&&', '||', '(', ')', '(', ')',
];

const VALID = [
  'state established ( dport = :443 or sport = :443 )', 'src 10.0.0.0/8 and not dst [::1]:22', 'exclude listening sport > :1024',
  'dev = lo or autobound', 'uid = 0 and rtt > 100ms', 'pid = 1 || comm = "sshd"', 'send-q > 64k and rwnd-limited > 10%',
  'not ( not ( sport = :1 ) )', 'cgroup = / and sport < :1000',
];

/** Checks one input; returns whether it parsed. */
function check(text: string, rows: ReturnType<typeof snapshot>): boolean {
  let tree;
  try {
    tree = parseFilter(text);
  } catch (err) {
    if (!(err instanceof NetsnapError)) throw new Error(`${JSON.stringify(text)}: ${String(err)}`);
    expect(err.code, JSON.stringify(text)).toBe('ERR_USAGE');
    const lines = err.message.split('\n');
    expect(lines, JSON.stringify(text)).toHaveLength(3);
    expect(lines[0]).toMatch(/^bad filter: /);
    // Quoted on one line: control characters shown as one character each, so the caret stays under its place.
    expect(lines[1], JSON.stringify(text)).toBe(`  ${text.replace(/[\t\n\r]/g, ' ').replace(/[\x00-\x1f\x7f]/g, '?')}`);
    const caret = lines[2]!.indexOf('^') - 2;
    expect(caret, JSON.stringify(text)).toBeGreaterThanOrEqual(0);
    expect(caret, JSON.stringify(text)).toBeLessThanOrEqual(text.length);
    return false;
  }
  let f;
  try {
    f = compileTree(tree, text);
  } catch (err) {
    // Only what the language itself forbids after parsing: autobound beside user-space predicates.
    expect(err, JSON.stringify(text)).toBeInstanceOf(NetsnapError);
    expect((err as Error).message).toMatch(/autobound/);
    return true;
  }
  expect(programProblem(f.request.program), JSON.stringify(text)).toBeNull();
  const bc = f.request.bytecode;
  if (bc !== null && bc !== undefined) expect(kernelAccepts(bc), `${JSON.stringify(text)} -> ${[...bc].join(',')}`).toBe(true);
  const stack = new Uint8Array(MAX_STACK);
  for (const t of rows.inet) for (let i = 0; i < t.count; i++) expect(runProgram(f.request.program, t, i, stack)).toBeLessThanOrEqual(2);
  return true;
}

describe('the filter parser and compilers on hostile input', () => {
  const rows = snapshot({ procRoot: BASIC, protocols: ['tcp', 'udp'] });

  it('gives a tree or a caret error for 3,000 random byte strings, and never throws anything else', () => {
    const rand = rng(1);
    for (let n = 0; n < 3000; n++) {
      const len = Math.floor(rand() * 40);
      let s = '';
      for (let k = 0; k < len; k++) s += String.fromCharCode(Math.floor(rand() * (rand() < 0.8 ? 128 : 0x3000)));
      check(s, rows);
    }
  });

  it('compiles every token soup that parses to a valid program and kernel-valid bytecode (6,000 inputs)', () => {
    const rand = rng(2);
    let parsed = 0;
    for (let n = 0; n < 6000; n++) {
      const len = 1 + Math.floor(rand() * 14);
      const words: string[] = [];
      const states = rand() < 0.3 ? ['state established', 'exclude time-wait', 'state bucket'].slice(0, 1 + Math.floor(rand() * 3)) : [];
      words.push(...states);
      for (let k = 0; k < len; k++) {
        words.push(rand() < 0.15 ? WORDS[Math.floor(rand() * WORDS.length)]! : PIECES[Math.floor(rand() * PIECES.length)]!);
      }
      if (check(words.join(rand() < 0.9 ? ' ' : ''), rows)) parsed++;
    }
    // The soup is not all rejects: the compilers see many trees.
    expect(parsed).toBeGreaterThan(300);
  });

  it('survives every one-character mutation of valid expressions', () => {
    const rand = rng(3);
    let parsed = 0;
    for (const v of VALID) {
      expect(check(v, rows), v).toBe(true);
      for (let n = 0; n < 300; n++) {
        const at = Math.floor(rand() * v.length);
        const c = String.fromCharCode(32 + Math.floor(rand() * 95));
        const kind = rand();
        const m = kind < 0.33 ? v.slice(0, at) + v.slice(at + 1) : kind < 0.66 ? v.slice(0, at) + c + v.slice(at) : v.slice(0, at) + c + v.slice(at + 1);
        if (check(m, rows)) parsed++;
      }
    }
    expect(parsed).toBeGreaterThan(250);
  });

  it('refuses expressions nested past the limit and long ones it cannot hold, with a caret', () => {
    expect(check(`${'not '.repeat(200)}sport = :1`, rows)).toBe(false);
    expect(check(`${'( '.repeat(100)}sport = :1${' )'.repeat(100)}`, rows)).toBe(false);
    // A long flat chain parses (no nesting), compiles, and its bytecode stays within the op format.
    const chain = Array.from({ length: 2000 }, (_, k) => `sport = :${k + 1}`).join(' or ');
    expect(check(chain, rows)).toBe(true);
  });

  it('accepts the bytecode of expressions the kernel checker would take, and the checker rejects broken ones', () => {
    // The checker port is itself checked: jumps past the end, odd lengths and unknown ops fail.
    const ok = compileTree(parseFilter('sport = :1 or not dst 127.0.0.0/8'), '').request.bytecode!;
    expect(kernelAccepts(ok)).toBe(true);
    const broken = Uint8Array.from(ok);
    broken[1] = 6; // yes not a multiple of 4
    expect(kernelAccepts(broken)).toBe(false);
    expect(kernelAccepts(Uint8Array.from([99, 4, 8, 0]))).toBe(false);
    expect(kernelAccepts(ok.subarray(0, ok.length - 8))).toBe(false); // cut inside the last host condition
  });
});
