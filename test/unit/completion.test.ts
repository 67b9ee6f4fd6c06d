// `netsnap completion bash|zsh|fish`: the bash script completes in a real bash (without the
// bash-completion package), the zsh and fish scripts parse in their shells, and the subcommand's
// usage errors are clear.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { bashComplete } from '../helpers/completion';
import { ensureDebianPackage } from '../helpers/debian';
import { optionsOf } from '../../src/cli/options';
import { FILTER_WORDS, parseFilter } from '../../src/filter/parse';
import { ROOT } from '../helpers/env';

const sorted = (a: string[]): string[] => [...a].sort();

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-completion-'));
let files = 0;
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A script in a file of its own: the shells check a file. */
function scriptFile(text: string): string {
  const file = path.join(dir, `script-${files++}`);
  fs.writeFileSync(file, text);
  return file;
}

describe('netsnap completion bash', () => {
  it('completes long options from their prefix', () => {
    expect(bashComplete(['netsnap', '--so'])).toEqual(['--source']);
    expect(sorted(bashComplete(['netsnap', '--num']))).toEqual(['--numeric', '--numeric-hosts', '--numeric-ports', '--numeric-users']);
    expect(bashComplete(['netsnap', 'serve', '--li'])).toEqual(['--listen']);
    // A subcommand's options are its own: --listen is serve's, not record's.
    expect(bashComplete(['netsnap', 'record', '--li'])).toEqual([]);
  });

  it('offers every option of the table, long and short, after a lone dash', () => {
    const all = bashComplete(['netsnap', '-']);
    const table = optionsOf('netsnap').flatMap((o) => [...(o.long ? [`--${o.long}`] : []), ...(o.short ? [`-${o.short}`] : [])]);
    expect(sorted(all)).toEqual(sorted(table));
    expect(all).toContain('-t');
    expect(all).toContain('--all-netns');
    expect(sorted(bashComplete(['netsnap', 'report', '-']))).toEqual(['--help', '--output', '--title', '-h', '-o']);
  });

  it('completes the values of --source, --by, --sort and -A', () => {
    expect(bashComplete(['netsnap', '--source', ''])).toEqual(['proc', 'netlink', 'auto']);
    expect(bashComplete(['netsnap', '--source', 'n'])).toEqual(['netlink']);
    // bash splits --source=n at the '=' (COMP_WORDBREAKS), and a hand-made line may not.
    expect(bashComplete(['netsnap', '--source', '=', 'p'])).toEqual(['proc']);
    expect(bashComplete(['netsnap', '--source=a'])).toEqual(['auto']);
    expect(bashComplete(['netsnap', 'serve', '--source', ''])).toEqual(['proc', 'netlink', 'auto']);
    expect(bashComplete(['netsnap', 'top', '--by', ''])).toEqual(['process', 'container', 'port', 'peer', 'network', 'connection']);
    expect(bashComplete(['netsnap', 'top', '--sort', 'c'])).toEqual(['conns', 'close-wait']);
    expect(bashComplete(['netsnap', '-A', 'inet,u'])).toEqual(['inet,unix']);
    // A number takes nothing from completion.
    expect(bashComplete(['netsnap', '--count', ''])).toEqual([]);
  });

  it('completes the subcommands in first place, with the filter words', () => {
    expect(bashComplete(['netsnap', 'ser'])).toEqual(['serve']);
    expect(sorted(bashComplete(['netsnap', 'se']))).toEqual(['send-q', 'serve']);
    expect(bashComplete(['netsnap', 'comp'])).toEqual(['completion']);
    expect(bashComplete(['netsnap', 'completion', ''])).toEqual(['bash', 'zsh', 'fish']);
  });

  it('completes the filter words after the options, and state names after state/exclude', () => {
    expect(bashComplete(['netsnap', '-tan', 'sp'])).toEqual(['sport']);
    expect(sorted(bashComplete(['netsnap', '-t', 'd']))).toEqual(['dev', 'dport', 'dst']);
    expect(sorted(bashComplete(['netsnap', '-t', 'state', 'l']))).toEqual(['last-ack', 'listening']);
    expect(sorted(bashComplete(['netsnap', '-t', 'exclude', '']))).toEqual(sorted([...FILTER_WORDS.states]));
    expect(bashComplete(['netsnap', '-t', 'state', 'listening', 'an'])).toEqual(['and']);
    // Not after a subcommand: their filter is the value of --filter.
    expect(bashComplete(['netsnap', 'serve', 'sp'])).toEqual([]);
  });

  it('completes files and directories where an option takes one', () => {
    expect(bashComplete(['netsnap', '--proc-root', '/pro'])).toEqual(['/proc']);
    expect(bashComplete(['netsnap', '--filter-file', '/etc/hostnam'])).toEqual(['/etc/hostname']);
    expect(bashComplete(['netsnap', 'record', '-o', '/etc/hostnam'])).toEqual(['/etc/hostname']);
    expect(bashComplete(['netsnap', 'report', '/etc/hostnam'])).toEqual(['/etc/hostname']);
  });
});

describe('netsnap completion zsh and fish', () => {
  for (const [shell, pkg] of [['zsh', 'zsh'], ['fish', 'fish']] as const) {
    const program = `/usr/bin/${shell}`;
    const missing = ensureDebianPackage(program, pkg);
    it.skipIf(missing !== null)(`the ${shell} script parses in ${shell}${missing ? ` (${missing})` : ''}`, () => {
      const r = netsnap(['completion', shell]);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(shell === 'zsh' ? '#compdef netsnap' : "complete -c netsnap -n '__fish_use_subcommand' -a 'serve record report events top completion'");
      const file = scriptFile(r.stdout);
      const parse = spawnSync(program, ['-n', file], { encoding: 'utf8', timeout: 60_000 });
      expect(parse.stderr).toBe('');
      expect(parse.status).toBe(0);
      // And a broken script would not: the check can fail.
      const broken = spawnSync(program, ['-n', scriptFile(`${r.stdout}\nif true\n`)], { encoding: 'utf8', timeout: 60_000 });
      expect(broken.status).not.toBe(0);
    });
  }

  const fishMissing = ensureDebianPackage('/usr/bin/fish', 'fish');
  it.skipIf(fishMissing !== null)(`fish completes from the script${fishMissing ? ` (${fishMissing})` : ''}`, () => {
    const file = scriptFile(netsnap(['completion', 'fish']).stdout);
    const complete = (line: string): string[] => {
      const r = spawnSync('/usr/bin/fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]!);
    };
    expect(complete('netsnap --so')).toEqual(['--source']);
    expect(sorted(complete('netsnap --source '))).toEqual(['auto', 'netlink', 'proc']);
    expect(sorted(complete('netsnap top --by '))).toEqual(['connection', 'container', 'network', 'peer', 'port', 'process']);
    expect(complete('netsnap ser')).toEqual(['serve']);
  });
});

describe('the filter words completion offers', () => {
  it('are the words the parser knows: each one means something, and every word it compares is offered', () => {
    for (const w of FILTER_WORDS.keywords.filter((k) => k !== 'and' && k !== 'or')) {
      let message = '';
      try {
        parseFilter(w);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message, w).not.toContain(`unexpected '${w}'`);
    }
    expect(() => parseFilter('frobnicate')).toThrow("unexpected 'frobnicate'");
    for (const w of ['and', 'or']) expect(parseFilter(`sport :1 ${w} not dport :2`).expr?.kind).toBe(w);
    for (const st of FILTER_WORDS.states) expect(parseFilter(`state ${st}`).states, st).not.toBeNull();
    // The words parse.ts compares a token with.
    const source = fs.readFileSync(path.join(ROOT, 'src', 'filter', 'parse.ts'), 'utf8');
    const compared = new Set([...source.matchAll(/\bw === '([a-z-]+)'/g)].map((m) => m[1]!));
    expect(compared.size).toBeGreaterThan(10);
    expect([...compared].filter((w) => !FILTER_WORDS.keywords.includes(w))).toEqual([]);
  });
});

describe('netsnap completion usage', () => {
  it('prints its help with --help', () => {
    const r = netsnap(['completion', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout.startsWith('usage: netsnap completion bash|zsh|fish\n')).toBe(true);
  });

  it('refuses an unknown shell, a missing one and a second one with status 2, as every subcommand', () => {
    for (const [args, message] of [
      [['tcsh'], "netsnap completion: unknown shell 'tcsh' (use bash, zsh, fish)"],
      [['toString'], "netsnap completion: unknown shell 'toString' (use bash, zsh, fish)"],
      [[], 'netsnap completion: which shell? (bash, zsh or fish)'],
      [['bash', 'zsh'], "netsnap completion: unexpected argument 'zsh'"],
      [['--shell=bash'], "netsnap completion: unrecognized option '--shell=bash'"],
    ] as const) {
      const r = netsnap(['completion', ...args]);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr.startsWith(`${message}\nusage: netsnap completion bash|zsh|fish\n`), r.stderr).toBe(true);
    }
  });
});
