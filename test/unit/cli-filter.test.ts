import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs, type CliOptions } from '../../src/cli/args';
import { netsnap } from '../helpers/cli';
import { BASIC, backend } from '../helpers/env';

function options(argv: string[]): CliOptions {
  const r = parseArgs(argv);
  if (r.kind !== 'run') throw new Error(`${argv.join(' ')}: ${JSON.stringify(r)}`);
  return r.options;
}

describe('the filter words of the command line', () => {
  it('takes every non-option word as the filter, options anywhere', () => {
    const a = options(['-tan', 'state', 'established', '( dport = :443 )']);
    expect(a.filter).toBe('state established ( dport = :443 )');
    expect([a.tcp, a.all, a.numericHosts]).toEqual([true, true, true]);
    const b = options(['-tn', 'dport', '=', ':22', '-p']);
    expect(b.filter).toBe('dport = :22');
    expect(b.programs).toBe(true);
    expect(options(['-tn']).filter).toBeNull();
    expect(options(['-t', '--', 'sport', ':1']).filter).toBe('sport :1');
    expect(parseArgs(['-t', '--', '-x'])).toMatchObject({ kind: 'error', exitCode: 3 });
  });

  it('lets -c and --watch take their number first', () => {
    const c = options(['-tc', '2', 'sport', ':22']);
    expect([c.continuous, c.interval, c.filter]).toEqual([true, 2, 'sport :22']);
    const w = options(['--watch', '0.5', 'state', 'listening']);
    expect([w.watch, w.interval, w.filter]).toEqual([true, 0.5, 'state listening']);
  });

  it('rejects a bad filter with status 3 and a caret', () => {
    expect(parseArgs(['-tan', 'dport', '=', ':99999'])).toEqual({
      kind: 'error', exitCode: 3, usage: false,
      message: "netsnap: bad filter: port 99999 is above 65535\n  dport = :99999\n           ^",
    });
    expect(parseArgs(['-tan', 'autobound'])).toMatchObject({ kind: 'run' });
    expect(parseArgs(['-tan', 'dev', '=', 'nosuchdev0'])).toMatchObject({ kind: 'error', exitCode: 3 });
  });

  it('reads --filter-file (exact name only; comments and lines joined)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-filter-'));
    const file = path.join(dir, 'f');
    fs.writeFileSync(file, '# ours\nstate established\n( dport = :80 # web\n or dport = :443 )\n');
    expect(options(['-tn', '--filter-file', file]).filter).toBe('state established ( dport = :80 or dport = :443 )');
    expect(options(['-tn', `--filter-file=${file}`]).filter).toBe('state established ( dport = :80 or dport = :443 )');
    expect(parseArgs(['--filter', file])).toMatchObject({ kind: 'error', exitCode: 3, message: "netsnap: unrecognized option '--filter'" });
    expect(parseArgs(['--filter-file', file, 'sport', ':1'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect(parseArgs(['--filter-file', path.join(dir, 'missing')])).toMatchObject({ kind: 'error', exitCode: 2 });
    fs.rmSync(dir, { recursive: true });
  });
});

describe(`filtered listings of the basic fixture (${backend.name})`, () => {
  const rows = (args: string[]) => {
    const r = netsnap([...args, '--proc-root', BASIC]);
    // The fixture's two malformed tcp lines are reported; nothing else is.
    expect(r.stderr.split('\n').filter((l) => l !== '' && !l.includes('line skipped'))).toEqual([]);
    expect(r.status).toBe(0);
    return r.stdout.split('\n').filter((l) => /^(tcp|udp|raw)/.test(l)).map((l) => l.split(/\s+/).slice(3, 6).join(' '));
  };

  it('a state filter chooses rows instead of -a/-l; a plain expression keeps netstat\'s -a/-l', () => {
    expect(rows(['-tn', 'state', 'listening'])).toEqual(['127.0.0.1:8080 0.0.0.0:* LISTEN', ':::6000 :::* LISTEN']);
    expect(rows(['-tln', 'state', 'time-wait'])).toEqual(['127.0.0.1:40960 127.0.0.1:8080 TIME_WAIT']);
    expect(rows(['-tln', 'sport', '=', ':8080'])).toEqual(['127.0.0.1:8080 0.0.0.0:* LISTEN']);
    expect(rows(['-tn', 'sport', '=', ':8080'])).toEqual(['127.0.0.1:8080 127.0.0.1:56786 ESTABLISHED']);
    expect(rows(['-un', 'state', 'established'])).toEqual(['127.0.0.1:55025 127.0.0.1:53 ESTABLISHED']);
    // Without a table asked for, a filter lists the inet tables only.
    const all = netsnap(['-n', 'state', 'established', '--proc-root', BASIC]);
    expect(all.stdout).not.toContain('UNIX');
    expect(rows(['-n', 'src', '11.0.0.0/8'])).toEqual(['11.0.0.10:80 10.0.0.20:50000 CLOSE_WAIT']);
  });

  it('filters --json, --ndjson and --summary', () => {
    const doc = JSON.parse(netsnap(['-tan', '--json', '--proc-root', BASIC, 'dport', '=', ':8080']).stdout) as { sockets: Array<{ local: { port: number }; remote: { port: number } }> };
    expect(doc.sockets.map((s) => [s.local.port, s.remote.port])).toEqual([[56786, 8080], [40960, 8080]]);
    const lines = netsnap(['-tan', '--ndjson', '--proc-root', BASIC, 'state', 'listening']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string; local?: { port: number } });
    expect(lines.filter((l) => l.kind === 'socket').map((l) => l.local?.port)).toEqual([8080, 6000]);
    const sum = JSON.parse(netsnap(['-y', '--json', '--proc-root', BASIC, 'state', 'established']).stdout) as { sockets: number; protocols: Array<{ protocol: string; total: number }> };
    expect(sum.sockets).toBe(6);
    expect(sum.protocols.filter((p) => p.total > 0).map((p) => [p.protocol, p.total])).toEqual([['tcp', 2], ['tcp6', 3], ['udp', 1]]);
  });

  it('refuses netlink-only predicates where the rows come from /proc, never a silent no-match', () => {
    for (const expr of [['autobound'], ['dev', '=', 'lo'], ['cgroup', '=', '/'], ['rtt', '>', '1ms']]) {
      const r = netsnap(['-tan', ...expr, '--proc-root', BASIC]);
      expect(r.stdout, expr.join(' ')).toBe('');
      if (backend.name === 'js') {
        expect(r.status, expr.join(' ')).toBe(1);
        expect(r.stderr).toMatch(/netlink socket dump, which only the native backend reads/);
      } else {
        expect(r.status, expr.join(' ')).toBe(3);
        expect(r.stderr).toMatch(/need a live network namespace/);
      }
      const p = netsnap(['-tan', ...expr, '--source', 'proc']);
      expect(p.stdout).toBe('');
      expect(p.status).toBe(backend.name === 'js' ? 1 : 3);
    }
  });

  it('refuses what it does not filter yet rather than showing every row', () => {
    for (const args of [['-xn', 'sport', ':1'], ['-s', 'sport', ':1'], ['-r', 'sport', ':1'], ['-g', 'sport', ':1']]) {
      const r = netsnap([...args, '--proc-root', BASIC]);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^netsnap: .*(UNIX|does not apply)/);
    }
  });
});

describe(`where a filter ran, for NODE_DEBUG=netsnap (${backend.name})`, () => {
  it('says it per file: in the kernel, or on the columns and why', () => {
    const lines = (args: string[]) => netsnap(args, { NODE_DEBUG: 'netsnap' }).stderr.split('\n').filter((l) => l.includes('filter'));
    const proc = lines(['-tan', '--source', 'proc', 'sport = :1']);
    expect(proc).toHaveLength(2);
    for (const l of proc) expect(l).toMatch(/filter "sport = :1": tcp6?: \d+ rows, on the columns only \(\/proc source\)$/);
    const relaxed = lines(['-tan', 'sport = :1 or uid = 0']);
    expect(relaxed).toHaveLength(2);
    if (backend.name === 'native') {
      for (const l of relaxed) expect(l).toMatch(/on the columns only: nothing of it is for the kernel$/);
      const kernel = lines(['-tan', 'sport = :1 and uid = 0']);
      expect(kernel).toHaveLength(2);
      for (const l of kernel) expect(l).toMatch(/tcp6?: 0 rows, in the kernel \(\d+ bytes of inet_diag bytecode\), then on the columns$/);
    } else {
      for (const l of relaxed) expect(l).toMatch(/on the columns only \(\/proc source\)$/);
    }
  });
});
