// Option parsing for the subcommands (serve, record, report, events, top, completion; their options
// are in options.ts): GNU-style long options (`--name value`, `--name=value`, unambiguous prefixes),
// single-letter aliases, `--` ending the options (what follows is returned as `rest`: record's command).
import * as fs from 'node:fs';
import { spawn } from 'node:child_process';
import { filterFileText, parseDuration } from './args';
import { NetsnapError, usageError } from '../model/errors';
import { parseFilter } from '../filter/parse';

export interface OptionSpec {
  name: string;
  /** A one-letter alias (`o` for `-o`). */
  short?: string;
  /** Takes a value. */
  value: boolean;
  /** Never matched by an abbreviation (options.ts exactOnly). */
  exact?: boolean;
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
      const matches = exact ? [exact] : spec.filter((o) => o.name.startsWith(name) && !o.exact);
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

/** A usage error with its own exit status (a bad filter: 3, as on netstat's command line). */
export class SubcommandError extends NetsnapError {
  constructor(message: string, readonly exitStatus: number) {
    super('ERR_USAGE', message);
  }
}

/**
 * --filter EXPR or --filter-file FILE (ss's -F), checked: null without either. A bad expression is
 * a SubcommandError of status 3 quoting it with a caret; an unreadable file one of status 2.
 */
export function filterOption(command: string, options: ReadonlyMap<string, string>): string | null {
  if (options.has('filter') && options.has('filter-file')) throw usageError(`netsnap ${command}: --filter and --filter-file exclude each other`);
  let text: string | null = null;
  if (options.has('filter')) text = options.get('filter')!;
  else if (options.has('filter-file')) {
    const file = options.get('filter-file')!;
    try {
      text = filterFileText(fs.readFileSync(file, 'utf8'));
    } catch (err) {
      throw new SubcommandError(`netsnap ${command}: cannot read filter file ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, 2);
    }
  }
  if (text === null) return null;
  try {
    parseFilter(text);
  } catch (err) {
    if (err instanceof NetsnapError) throw new SubcommandError(`netsnap ${command}: ${err.message}`, 3);
    throw err;
  }
  return text;
}

/**
 * The nsfs path --netns NAME|PATH or --pid PID names, or null for the own namespace. A subcommand
 * that subscribes to the kernel (destroy events) and samples over time runs inside it as a whole.
 */
export function namespaceOption(command: string, options: ReadonlyMap<string, string>): string | null {
  if (options.has('netns') && options.has('pid')) throw usageError(`netsnap ${command}: --netns and --pid exclude each other`);
  if (options.has('pid')) {
    const pid = options.get('pid')!;
    if (!/^[1-9]\d{0,9}$/.test(pid)) throw usageError(`netsnap ${command}: invalid --pid '${pid}'`);
    return `/proc/${pid}/ns/net`;
  }
  if (options.has('netns')) {
    const name = options.get('netns')!;
    if (name === '' || name.includes('\0')) throw usageError(`netsnap ${command}: invalid --netns '${name}'`);
    return name.includes('/') ? name : `/run/netns/${name}`;
  }
  return null;
}

/**
 * Runs `netsnap COMMAND ARGV` again inside the network namespace at `nsPath` (nsenter: root), with
 * --netns/--pid taken out, passing its output through. Resolves with its exit status.
 */
export function runInNamespace(command: string, argv: readonly string[], nsPath: string, err: (text: string) => void): Promise<number> {
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (a === '--netns' || a === '--pid') {
      i++;
      continue;
    }
    if (a.startsWith('--netns=') || a.startsWith('--pid=')) continue;
    rest.push(a);
  }
  if (!fs.existsSync(nsPath)) {
    err(`netsnap ${command}: no network namespace at ${nsPath}\n`);
    return Promise.resolve(1);
  }
  const main = require.main?.filename ?? `${__dirname}/main.js`;
  return new Promise((resolve) => {
    const child = spawn('nsenter', [`--net=${nsPath}`, '--', process.execPath, main, command, ...rest], { stdio: 'inherit' });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('error', (e) => {
      err(`netsnap ${command}: cannot run nsenter: ${(e as NodeJS.ErrnoException).code ?? e.message}\n`);
      resolve(1);
    });
    child.on('close', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 128 : 1));
    });
  });
}
