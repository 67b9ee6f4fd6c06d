// Completion of --netns from the names under /run/netns, with a namespace the test makes: bash (no
// bash-completion package) and, where fish is there, fish.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { bashComplete } from '../helpers/completion';
import { ensureDebianPackage } from '../helpers/debian';
import { removeLeftovers, run } from '../helpers/netns';

const isRoot = process.getuid?.() === 0;
const canAdd = isRoot && run('ip', ['netns', 'list']).status === 0;
const why = !isRoot ? 'making a network namespace needs root' : 'ip netns does not work here';

describe(`netsnap completion: --netns names (${backend.name})`, () => {
  it.skipIf(!canAdd)(`offers a namespace made under /run/netns${canAdd ? '' : ` (${why})`}`, () => {
    removeLeftovers(/^nscompl-(\d+)-/);
    const name = `nscompl-${process.pid}-${backend.name}`;
    const made = run('ip', ['netns', 'add', name]);
    expect(made.status, made.stderr).toBe(0);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-completion-'));
    try {
      const prefix = `nscompl-${process.pid}-${backend.name.slice(0, 2)}`;
      expect(bashComplete(['netsnap', '--netns', prefix])).toEqual([name]);
      expect(bashComplete(['netsnap', 'top', '--netns', prefix])).toEqual([name]);
      expect(bashComplete(['netsnap', 'events', '--netns', prefix])).toEqual([name]);
      expect(bashComplete(['netsnap', '--netns', ''])).toContain(name);
      const fishMissing = ensureDebianPackage('/usr/bin/fish', 'fish');
      if (fishMissing === null) {
        const file = path.join(dir, 'netsnap.fish');
        fs.writeFileSync(file, netsnap(['completion', 'fish']).stdout);
        const r = spawnSync('/usr/bin/fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, `netsnap --netns ${prefix}`], { encoding: 'utf8', timeout: 60_000 });
        expect(r.status, r.stderr).toBe(0);
        expect(r.stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0])).toEqual([name]);
      }
    } finally {
      run('ip', ['netns', 'del', name]);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    // Gone from /run/netns, gone from the completion.
    expect(bashComplete(['netsnap', '--netns', name])).toEqual([]);
  });
});
