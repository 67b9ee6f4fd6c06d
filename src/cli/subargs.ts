// Option parsing for the subcommands (serve, record, report): GNU-style long options
// (`--name value`, `--name=value`, unambiguous prefixes), single-letter aliases, `--` ending the
// options (what follows is returned as `rest`: record's command).
import { parseDuration } from './args';
import { usageError } from '../model/errors';

export interface OptionSpec {
  name: string;
  /** A one-letter alias (`o` for `-o`). */
  short?: string;
  /** Takes a value. */
  value: boolean;
}

export interface SubArgs {
  /** Option name -> value ('' for a flag); repeats keep the last. */
  options: Map<string, string>;
  positionals: string[];
  /** Everything after `--`. */
  rest: string[];
}


export function parseSubArgs(command: string, argv: readonly string[], spec: readonly OptionSpec[]): SubArgs {
  const options = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return { options, positionals, rest: argv.slice(i + 1) };
    let s: OptionSpec | undefined;
    let inline: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const exact = spec.find((o) => o.name === name);
      const matches = exact ? [exact] : spec.filter((o) => o.name.startsWith(name));
      if (matches.length === 0 || name === '') throw usageError(`netsnap ${command}: unrecognized option '${a}'`);
      if (matches.length > 1) throw usageError(`netsnap ${command}: option '${a}' is ambiguous`);
      s = matches[0]!;
      if (eq >= 0) {
        if (!s.value) throw usageError(`netsnap ${command}: option '--${s.name}' doesn't allow an argument`);
        inline = a.slice(eq + 1);
      }
    } else if (a.startsWith('-') && a.length > 1) {
      s = spec.find((o) => o.short === a[1]);
      if (!s) throw usageError(`netsnap ${command}: invalid option -- '${a[1]}'`);
      if (a.length > 2) {
        if (!s.value) throw usageError(`netsnap ${command}: invalid option '${a}'`);
        inline = a.slice(2);
      }
    } else {
      positionals.push(a);
      continue;
    }
    let value = '';
    if (s.value) {
      if (inline !== undefined) value = inline;
      else if (i + 1 < argv.length) value = argv[++i]!;
      else throw usageError(`netsnap ${command}: option '--${s.name}' requires an argument`);
    }
    options.set(s.name, value);
  }
  return { options, positionals, rest: [] };
}

/** A TIME option (250ms, 0.5s, 2) in seconds, > 0. */
export function durationOption(command: string, name: string, text: string): number {
  const t = parseDuration(text);
  if (t === null || !(t > 0)) throw usageError(`netsnap ${command}: invalid --${name} '${text}' (use e.g. 100ms, 0.5s or 2)`);
  return t;
}

/** A count option: an integer from `min` to `max`. */
export function countOption(command: string, name: string, text: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(text) || Number(text) < min || Number(text) > max) {
    throw usageError(`netsnap ${command}: invalid --${name} '${text}' (an integer from ${min} to ${max})`);
  }
  return Number(text);
}

export function sourceOption(command: string, text: string): 'auto' | 'proc' | 'netlink' {
  if (text !== 'auto' && text !== 'proc' && text !== 'netlink') {
    throw usageError(`netsnap ${command}: invalid --source '${text}' (use proc, netlink or auto)`);
  }
  return text;
}
