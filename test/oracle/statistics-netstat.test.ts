// netsnap -s against the real netstat -s: on this machine's live /proc, and — where a private
// mount namespace can be had (root with unshare) — on the fixture trees and on generated counter
// files, by bind-mounting the tree over /proc for netstat alone.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rng } from '../helpers/generate';
import { FIXTURES, backend } from '../helpers/env';
import { netsnap, type Run } from '../helpers/cli';
import { parseArgs } from '../../src/cli/args';
import { runStatistics } from '../../src/cli/statistics';
import { knownTables } from '../../src/format/statistics';

const C_ENV = { ...process.env, LANG: 'C', LC_ALL: 'C' };

function netstat(args: string[]): Run {
  const r = spawnSync('netstat', args, { encoding: 'latin1', env: C_ENV, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const haveNetstat = spawnSync('netstat', ['-V'], { encoding: 'latin1' }).status === 0;

/** netstat run with `procDir` mounted over /proc, in a mount namespace of its own. */
function netstatOn(procDir: string, args: string[]): Run {
  const r = spawnSync('unshare', ['-m', 'sh', '-c', 'mount --bind "$0" /proc && exec netstat "$@"', procDir, ...args], {
    encoding: 'latin1', env: C_ENV, timeout: 60_000,
  });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

const canMountOverProc =
  haveNetstat && process.getuid?.() === 0 &&
  netstatOn(path.join(FIXTURES, 'stats-no-snmp6', 'proc'), ['-s']).stdout.startsWith('Tcp:\n    7 active');

/** netsnap's -s in this process: parse the arguments, run, collect what it printed. */
function netsnapIn(args: string[]): Run {
  const parsed = parseArgs(args);
  if (parsed.kind !== 'run') throw new Error(`bad arguments ${args.join(' ')}`);
  const run: Run = { status: null, stdout: '', stderr: '' };
  run.status = runStatistics(parsed.options, { out: (t) => { run.stdout += t; }, err: (t) => { run.stderr += t; } });
  return run;
}

/** netsnap's run as netstat's would read: netstat's name, and /proc where we read procDir. */
function asNetstat(r: Run, procDir: string): Run {
  const unroot = (t: string) => t.split(procDir).join('/proc');
  return { status: r.status, stdout: unroot(r.stdout).replace(/^netsnap: /, 'netstat: '), stderr: unroot(r.stderr) };
}

const STATISTICS_ARGS = [['-s'], ['-st'], ['-su'], ['-sw'], ['-sS'], ['-sU'], ['-s6'], ['-s6', '-t'], ['-s6', '-u'], ['-s6', '-w']];

describe.skipIf(!haveNetstat)(`netsnap -s against netstat -s on this machine (${backend.name})`, () => {
  const lines = (t: string) => t.split('\n');
  const masked = (l: string) => l.replace(/\d+/g, '#');

  /**
   * Counters move while the three runs go on, so ours must have netstat's lines, and each of our
   * lines must be the one netstat printed before or the one it printed after. A counter that
   * moved through both gaps, or a line that appeared (a counter leaving 0), calls for another try.
   */
  function compare(args: string[]): string | null {
    const before = netstat(args);
    const ours = netsnap(args);
    const after = netstat(args);
    if (ours.status !== before.status || ours.stderr !== before.stderr) {
      return `status/stderr: ours ${ours.status} ${JSON.stringify(ours.stderr)}, netstat ${before.status} ${JSON.stringify(before.stderr)}`;
    }
    const [a, o, b] = [lines(before.stdout), lines(ours.stdout), lines(after.stdout)];
    if (o.length !== a.length || o.length !== b.length) return `line counts: ours ${o.length}, netstat ${a.length} then ${b.length}`;
    for (let i = 0; i < o.length; i++) {
      if (masked(o[i]!) !== masked(a[i]!)) return `line ${i + 1} differs: ours ${JSON.stringify(o[i])}, netstat ${JSON.stringify(a[i])}`;
      if (o[i] !== a[i] && o[i] !== b[i]) return `line ${i + 1}: ours ${JSON.stringify(o[i])}, netstat ${JSON.stringify(a[i])} then ${JSON.stringify(b[i])}`;
    }
    return null;
  }

  it.each([['-s'], ['-st'], ['-su'], ['-sw'], ['-sU'], ['-s6'], ['-s6t']])('netsnap %s prints what netstat prints', (arg) => {
    let problem: string | null = null;
    for (let attempt = 0; attempt < 10; attempt++) {
      problem = compare([arg]);
      if (problem === null) break;
    }
    expect(problem).toBeNull();
  });

  it.each([[['-s', '-4', '-6']], [['-s', '-x']], [['-s', '-A', 'inet,inet6']], [['-s', '-4', '-x']]])('%j: the same refusal, on stdout, exit 1', (args) => {
    const theirs = netstat(args);
    const ours = netsnap(args);
    expect(theirs.status).toBe(1);
    expect(ours.status).toBe(1);
    expect(ours.stdout).toBe(theirs.stdout.replace(/^netstat: /, 'netsnap: '));
    expect(ours.stderr).toBe(theirs.stderr);
  });
});

describe.skipIf(!canMountOverProc)(`netsnap -s against netstat -s on the same files (${backend.name})`, () => {
  const temporary: string[] = [];
  afterAll(() => {
    for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
  });

  const emptyProc = () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-stats-'));
    temporary.push(dir);
    return dir;
  };

  function expectSameOn(procDir: string, args: string[]): void {
    const theirs = netstatOn(procDir, args);
    const ours = asNetstat(netsnapIn([...args, '--proc-root', procDir]), procDir);
    expect(ours, `${args.join(' ')} on ${procDir}`).toEqual(theirs);
  }

  it.each(['stats', 'stats-quirks', 'stats-no-snmp6', 'stats-dirs'])('fixtures/%s', (name) => {
    for (const args of STATISTICS_ARGS) expectSameOn(path.join(FIXTURES, name, 'proc'), args);
  });

  it('a /proc without net/', () => {
    const dir = emptyProc();
    for (const args of STATISTICS_ARGS) expectSameOn(dir, args);
  });

  it('generated counter files (seeded, 40 trees)', () => {
    const random = mulberry32(0x5eed);
    for (let tree = 0; tree < 40; tree++) {
      const dir = emptyProc();
      writeCounterTree(dir, random);
      for (const args of STATISTICS_ARGS) expectSameOn(dir, args);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Generated /proc/net trees: netstat's known tables and counters mixed with unknown ones, values
// across the whole unsigned 64-bit range and beyond, tables in any order. Only inputs on which
// netstat's C is well defined (no line over its buffers, no name line without a value first).

type Random = () => number;

const mulberry32: (seed: number) => Random = rng;

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

function value(random: Random): string {
  const r = random();
  if (r < 0.45) return '0';
  if (r < 0.75) return String(Math.floor(random() * 1000));
  return pick(random, ['9007199254740993', '18446744073709551615', '18446744073709551616', '-1', '123456789012345678901', '+7', '4294967296']);
}

const KNOWN = knownTables();
const counterNames = (title: string) => KNOWN.find((t) => t.title === title)?.counters ?? [];
const ALL_KNOWN_NAMES = KNOWN.flatMap((t) => t.counters).map((n) => n.trim());
const UNKNOWN_NAMES = ['InType3', 'OutType0', 'InCsumErrors', 'OutTransmits', 'IgnoredMulti', 'MemErrors', 'TCPKeepAlive', 'Zeta'];

function names(random: Random, title: string, count: number): string[] {
  const own = counterNames(title).map((n) => n.trim());
  return Array.from({ length: count }, () => {
    const r = random();
    if (r < 0.6 && own.length > 0) return pick(random, own);
    if (r < 0.8) return pick(random, ALL_KNOWN_NAMES);
    return pick(random, UNKNOWN_NAMES);
  });
}

function counterTablesText(random: Random, titles: readonly string[]): string {
  let text = '';
  const tables = 1 + Math.floor(random() * 6);
  for (let i = 0; i < tables; i++) {
    const title = pick(random, titles);
    const n = names(random, title, Math.floor(random() * 14));
    if (random() < 0.1) text += '\n';
    text += `${title}: ${n.join(' ')}\n${title}: ${n.map(() => value(random)).join(' ')}\n`;
  }
  return text;
}

function snmp6Text(random: Random): string {
  const sections = ['Ip6', 'Icmp6', 'Udp6', 'UdpLite6', 'Tcp6', 'Ipx'];
  let text = '';
  const count = 1 + Math.floor(random() * 40);
  let section = pick(random, sections);
  for (let i = 0; i < count; i++) {
    if (random() < 0.15) section = pick(random, sections);
    const own = counterNames(section);
    const name = own.length > 0 && random() < 0.7 ? pick(random, own).trim() : `${section}${pick(random, UNKNOWN_NAMES)}`;
    if (i > 0 && random() < 0.05) text += '\n';
    text += `${name.padEnd(32)}\t${value(random)}\n`;
  }
  return text;
}

function sctpText(random: Random): string {
  return names(random, 'Sctp', 1 + Math.floor(random() * 20)).map((n) => `${n.padEnd(32)}\t${value(random)}\n`).join('');
}

function writeCounterTree(dir: string, random: Random): void {
  const net = path.join(dir, 'net');
  fs.mkdirSync(path.join(net, 'sctp'), { recursive: true });
  fs.writeFileSync(path.join(net, 'snmp'), counterTablesText(random, ['Ip', 'Icmp', 'IcmpMsg', 'Tcp', 'Udp', 'UdpLite', 'Sctp', 'TcpExt', 'Tcpx']), 'latin1');
  if (random() < 0.8) fs.writeFileSync(path.join(net, 'netstat'), counterTablesText(random, ['TcpExt', 'IpExt', 'MPTcpExt', 'Tcp']), 'latin1');
  if (random() < 0.8) fs.writeFileSync(path.join(net, 'snmp6'), snmp6Text(random), 'latin1');
  if (random() < 0.5) fs.writeFileSync(path.join(net, 'sctp', 'snmp'), sctpText(random), 'latin1');
}
