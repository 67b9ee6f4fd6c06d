// man/netsnap.1: it renders without a warning (man -l and groff), and it documents every option of
// the option table — which test/unit/cli-options.test.ts holds equal to every --help — every
// subcommand, every environment variable the code reads and every exit status.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/env';
import { ensureDebianPackage } from '../helpers/debian';
import { netsnap } from '../helpers/cli';
import { OPTIONS, SUBCOMMANDS, type Command } from '../../src/cli/options';
import { FILTER_WORDS } from '../../src/filter/parse';
import { optionsInHelp } from '../helpers/help';

const PAGE = path.join(ROOT, 'man', 'netsnap.1');

/** The page as man prints it at 80 columns, without hyphenation or justification, and what it said on stderr. */
function render(): { text: string; stderr: string } {
  const r = spawnSync('man', ['-l', '--warnings', PAGE], {
    encoding: 'utf8', env: { ...process.env, MANWIDTH: '80', MAN_KEEP_FORMATTING: '', MANPAGER: 'cat', PAGER: 'cat', LANG: 'C.UTF-8' },
    timeout: 60_000,
  });
  expect(r.status, r.stderr).toBe(0);
  return { text: r.stdout, stderr: r.stderr };
}

/** Sections of the rendered page by heading. */
function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name = '';
  for (const line of text.split('\n')) {
    if (/^[A-Z][A-Z ]+$/.test(line)) name = line;
    else out.set(name, `${out.get(name) ?? ''}${line}\n`);
  }
  return out;
}

/** A rendered page joins words that a line break split with a hyphen ("sum‐ mary"): undo it. */
const unwrap = (text: string): string => text.replace(/‐\n\s*/g, '').replace(/\s+/g, ' ');

describe('the man page', () => {
  const noMan = ensureDebianPackage('/usr/bin/man', 'man-db');
  const noGroff = ensureDebianPackage('/usr/bin/groff', 'groff-base');

  it.skipIf(noMan !== null)(`renders with man -l without a warning${noMan ? ` (${noMan})` : ''}`, () => {
    const { text, stderr } = render();
    expect(stderr).toBe('');
    expect(text).toMatch(/^NETSNAP\(1\)/);
  });

  it.skipIf(noGroff !== null)(`renders with groff -man -ww without a warning${noGroff ? ` (${noGroff})` : ''}`, () => {
    const r = spawnSync('groff', ['-man', '-Tutf8', '-ww', '-z', PAGE], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it.skipIf(noMan !== null)('documents every option of netsnap --help and of each subcommand\'s --help, in its section', () => {
    const parts = sections(render().text);
    const options = unwrap(parts.get('OPTIONS') ?? '');
    const subcommands = unwrap(parts.get('SUBCOMMANDS') ?? '');
    for (const command of ['netsnap', ...SUBCOMMANDS] as Command[]) {
      const r = netsnap(command === 'netsnap' ? ['--help'] : [command, '--help']);
      expect(r.status).toBe(0);
      const help = command === 'netsnap' ? r.stdout.slice(0, r.stdout.indexOf('\nSubcommands:\n')) : r.stdout;
      // The subcommand's own part of the page: from its heading to the next one.
      const where = command === 'netsnap' ? options : subcommands.slice(subcommands.indexOf(`netsnap ${command} `)).split(/ netsnap (?:serve|record|report|events|top|completion) /)[0]!;
      expect(where.length).toBeGreaterThan(20);
      const seen = [...optionsInHelp(help)].filter((o) => !(command === 'record' && o === '-s'));
      expect(seen.length).toBeGreaterThan(0);
      expect(seen.filter((o) => !new RegExp(`(^|[\\s,(\\[|])${o.replace(/[-?]/g, '\\$&')}($|[\\s,)\\]|=])`).test(where)), command).toEqual([]);
    }
  });

  it.skipIf(noMan !== null)('documents every option of the table, the help\'s hidden ones too', () => {
    const text = unwrap(render().text);
    for (const o of OPTIONS) {
      if (o.long) expect(text, o.long).toContain(`--${o.long}`);
      if (o.short) expect(text, o.short).toMatch(new RegExp(`-${o.short}\\b`));
    }
  });

  it.skipIf(noMan !== null)('has its sections, the subcommands, the filter words, the environment and the exit statuses', () => {
    const parts = sections(render().text);
    for (const s of ['NAME', 'SYNOPSIS', 'DESCRIPTION', 'OPTIONS', 'SUBCOMMANDS', 'FILTER', 'ENVIRONMENT', 'EXIT STATUS', 'FILES', 'EXAMPLES', 'SEE ALSO']) {
      expect([...parts.keys()]).toContain(s);
    }
    for (const c of SUBCOMMANDS) expect(parts.get('SUBCOMMANDS')).toContain(`netsnap ${c}`);
    const filter = unwrap(parts.get('FILTER')!);
    for (const w of [...FILTER_WORDS.keywords, ...FILTER_WORDS.states]) expect(filter, w).toMatch(new RegExp(`(^|[\\s,(|])${w}($|[\\s,)|])`));
    // Every variable the code reads from process.env.
    const vars = new Set<string>();
    for (const file of fs.readdirSync(path.join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      for (const m of fs.readFileSync(path.join(ROOT, 'src', file), 'utf8').matchAll(/process\.env\.([A-Z_]+)|process\.env\[['"]([A-Z_]+)['"]\]/g)) vars.add(m[1] ?? m[2]!);
    }
    expect([...vars].sort()).toEqual(['NETSNAP_ADDON', 'NETSNAP_BACKEND', 'NETSNAP_OWNER_SOURCE']);
    for (const v of vars) expect(parts.get('ENVIRONMENT')).toContain(v);
    const exit = parts.get('EXIT STATUS')!;
    for (const status of ['0', '1', '2', '3', '127', '255']) expect(exit).toMatch(new RegExp(`^ {7}${status}(\\n| {2,}\\S)`, 'm'));
    expect(parts.get('SEE ALSO')).toMatch(/netstat\(8\), ss\(8\), lsof\(8\)/);
  });
});
