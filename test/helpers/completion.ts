// Running the completion scripts of `netsnap completion` in a real shell.
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { CLI } from './env';

/**
 * What bash's `_netsnap` offers for the command line `words` (the last word is the one completed:
 * '' after a space), with the script loaded as a user loads it, and no bash-completion package.
 */
export function bashComplete(words: string[]): string[] {
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `source <("${process.execPath}" "${CLI}" completion bash) || exit 9
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMP_LINE="\${COMP_WORDS[*]}"; COMP_POINT=\${#COMP_LINE}
_netsnap netsnap "\${COMP_WORDS[COMP_CWORD]}" "\${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8', timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.split('\n').filter(Boolean);
}
