// The option table (src/cli/options.ts) against what each --help prints: every option of the table
// is in its command's help (or says why not), and every option a help names is in the table. The
// parsers take their options from the table, so the table, the parsers and the help agree.
import { describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { OPTIONS, SUBCOMMANDS, TOP_GROUPS, TOP_SORTS, optionsOf, subcommandSpec, type CliOption, type Command } from '../../src/cli/options';
import { parseSubArgs } from '../../src/cli/subargs';
import { GROUP_BYS } from '../../src/services/throughput';
import { SORT_KEYS } from '../../src/cli/top';
import { parseArgs } from '../../src/cli/args';
import { optionsInHelp } from '../helpers/help';

const spellings = (o: CliOption): string[] => [...(o.long ? [`--${o.long}`] : []), ...(o.short ? [`-${o.short}`] : [])];

/**
 * Options of another command a help names: record's "the TCP/UDP counters of -s" (netstat's -s),
 * serve's "a baseline saved by netsnap --save-baseline FILE, as --compare does".
 */
const OTHERS: Partial<Record<Command, string[]>> = { record: ['-s'], serve: ['--save-baseline', '--compare'] };

function helpOf(command: Command): string {
  const r = netsnap(command === 'netsnap' ? ['--help'] : [command, '--help']);
  expect(r.status, r.stderr).toBe(0);
  // netstat's help lists the subcommands' options too: those lines are checked with the subcommands.
  return command === 'netsnap' ? r.stdout.slice(0, r.stdout.indexOf('\nSubcommands:\n')) : r.stdout;
}

describe('the option table and --help', () => {
  for (const command of ['netsnap', ...SUBCOMMANDS] as Command[]) {
    it(`${command}: every option of the table is in its --help, and every option of its --help in the table`, () => {
      const help = helpOf(command);
      const inHelp = optionsInHelp(help);
      const table = optionsOf(command);
      expect(table.length).toBeGreaterThan(0);
      const missing = table.filter((o) => o.notInHelp === undefined).flatMap(spellings).filter((s) => !inHelp.has(s));
      expect(missing).toEqual([]);
      const inTable = new Set(table.flatMap(spellings));
      expect([...inHelp].filter((s) => !inTable.has(s) && !OTHERS[command]?.includes(s))).toEqual([]);
    });
  }

  it("netsnap --help's subcommand lines name only options of those subcommands, and every subcommand", () => {
    const r = netsnap(['--help']);
    const lines = r.stdout.slice(r.stdout.indexOf('\nSubcommands:\n')).split('\n').filter((l) => l.startsWith('  netsnap '));
    expect(lines.map((l) => l.split(/\s+/)[2])).toEqual([...SUBCOMMANDS]);
    for (const line of lines) {
      const command = line.split(/\s+/)[2] as Command;
      const inTable = new Set(optionsOf(command).flatMap(spellings));
      expect([...optionsInHelp(line)].filter((s) => !inTable.has(s)), line).toEqual([]);
    }
  });

  it('every option of netstat\'s part of the table parses, with a value where it takes one', () => {
    for (const o of optionsOf('netsnap')) {
      if (o.long === 'help' || o.long === 'version' || o.long === 'filter-file') continue;
      const value = o.value === undefined || o.value.optional ? [] : [o.value.values?.[0] ?? ({ netns: 'x', pid: '1', number: '2', duration: '1s' } as Record<string, string>)[o.value.kind] ?? '/tmp'];
      for (const s of spellings(o)) expect(parseArgs([s, ...value]).kind, `${s} ${value.join(' ')}`).toBe('run');
    }
    expect(parseArgs(['--help']).kind).toBe('help');
    expect(parseArgs(['-V']).kind).toBe('version');
    expect(parseArgs(['--no-such-option'])).toMatchObject({ kind: 'error', exitCode: 3 });
  });

  it('--literal is never abbreviated: --li stays --listening (netstat) and --listeners (events)', () => {
    const li = parseArgs(['--li']);
    expect(li.kind === 'run' && li.options.listening && !li.options.literal).toBe(true);
    const lit = parseArgs(['--literal']);
    expect(lit.kind === 'run' && lit.options.literal && !lit.options.listening).toBe(true);
    expect(parseArgs(['--litera'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect(parseSubArgs('events', ['--li'], subcommandSpec('events')).options.has('listeners')).toBe(true);
    expect(parseSubArgs('events', ['--literal'], subcommandSpec('events')).options.has('literal')).toBe(true);
    expect(() => parseSubArgs('top', ['--lit'], subcommandSpec('top'))).toThrow(/unrecognized option '--lit'/);
  });

  it("top's --by and --sort values are the ones top takes", () => {
    expect(TOP_GROUPS).toEqual([...GROUP_BYS]);
    expect(TOP_SORTS).toEqual([...SORT_KEYS]);
    expect(OPTIONS.find((o) => o.command === 'top' && o.long === 'by')!.value!.values).toEqual([...GROUP_BYS]);
  });

  it('the helper that reads a help finds bundles and skips ss\'s options', () => {
    expect([...optionsInHelp('netsnap [-vWn] -r, --route  as ss -i prints it, (ss --cgroup) 250ms')].sort()).toEqual(['--route', '-W', '-n', '-r', '-v']);
  });
});
