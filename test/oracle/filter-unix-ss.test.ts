// ss's state words on UNIX sockets (-x): `netsnap -xa STATE-WORDS` and `ss -xa STATE-WORDS` keep the
// same sockets among those a helper process holds in every state a test can make.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { backend } from '../helpers/env';

const ssPresent = spawnSync('ss', ['-V'], { encoding: 'utf8' }).status === 0;
let holder: ChildProcess;
let held: Record<string, number> = {};
let ours = new Set<number>();

beforeAll(async () => {
  holder = spawn('python3', [path.join(__dirname, '..', 'helpers', 'unix_holder.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: holder.stdout! }).once('line', resolve);
    holder.once('exit', (code) => reject(new Error(`unix_holder.py exited with ${code}`)));
  });
  held = JSON.parse(line) as Record<string, number>;
  ours = new Set(Object.values(held));
});

afterAll(async () => {
  holder.stdin!.end();
  if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
});

/** The inodes of ours that ss keeps, sorted. */
function viaSs(words: string[]): number[] {
  const r = spawnSync('ss', ['-xaH', ...words], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  expect(r.status).toBe(0);
  const out: number[] = [];
  for (const line of r.stdout.split('\n')) {
    // "u_str LISTEN 0 8 /tmp/x/s 12345 * 0"; ss leaves the State column out when the words allow one state.
    const f = line.trim().split(/\s+/);
    if (f.length < 7) continue;
    const ino = Number(/^\d+$/.test(f[1]!) ? f[4] : f[5]);
    if (ours.has(ino)) out.push(ino);
  }
  return out.sort((a, b) => a - b);
}

function viaNetsnap(words: string[]): number[] {
  const r = netsnap(['-xa', '--json', ...words]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const doc = JSON.parse(r.stdout) as { sockets: Array<{ proto: string; inode: number }> };
  return doc.sockets.filter((s) => s.proto === 'unix' && ours.has(s.inode)).map((s) => s.inode).sort((a, b) => a - b);
}

describe(`state words on UNIX sockets against ss -x (${backend.name})`, () => {
  const corpus = [
    ['state', 'listening'], ['state', 'established'], ['state', 'closed'], ['state', 'connected'], ['state', 'all'],
    ['exclude', 'listening'], ['state', 'listening', 'state', 'closed'], ['state', 'synchronized'], ['state', 'big'],
    ['exclude', 'established', 'exclude', 'closed'],
  ];

  it('keeps the same sockets of ours as ss for every state word', (ctx) => {
    if (!ssPresent) ctx.skip('ss is not installed');
    expect(viaNetsnap([])).toHaveLength(ours.size);
    const seen = new Set<string>();
    for (const words of corpus) {
      const theirs = viaSs(words);
      expect(viaNetsnap(words), words.join(' ')).toEqual(theirs);
      seen.add(JSON.stringify(theirs));
    }
    // The words tell the sockets apart.
    expect(seen.size).toBeGreaterThanOrEqual(4);
    expect(viaNetsnap(['state', 'listening'])).toEqual([held.listener]);
  });

  it('refuses an expression for inet sockets with -x, and -x with a filter where UNIX sockets are not filtered', () => {
    for (const args of [['-xa', 'sport', '=', ':1'], ['-xa', '--watch', 'state', 'listening'], ['-xa', '-y', 'state', 'listening']]) {
      const r = netsnap(args);
      expect(r.status, args.join(' ')).toBe(3);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/UNIX/);
    }
  });
});
