// -c and --watch on another namespace read through /proc/PID/net of a process in it: when that
// process exits, -c moves to another process of the namespace, and stops with one message when none
// is left; --watch stops with a message before printing a tick of a vanished /proc/PID/net.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/env';
import { canUseNetns, removeLeftovers, run } from '../helpers/netns';

const NS = `nsngone${process.pid}`;

/** A python3 process in NS; with `port`, it holds a listener there. Resolves once it is ready. */
async function holder(port: number | null): Promise<ChildProcess> {
  const code = port === null ? "print('ready', flush=True)\nimport sys; sys.stdin.read()"
    : `import socket,sys\ns=socket.socket(); s.bind(('127.0.0.1',${port})); s.listen()\nprint('ready', flush=True)\nsys.stdin.read()`;
  const child = spawn('ip', ['netns', 'exec', NS, 'python3', '-c', code], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('holder did not start')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  return child;
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** netsnap with `args`; `onOut` sees stdout as it comes. Resolves with the exit status and output. */
function netsnap(args: string[], onOut: (out: string) => void): Promise<{ status: number | null; out: string; err: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString('latin1');
    onOut(out);
  });
  child.stderr!.on('data', (d: Buffer) => (err += d.toString('latin1')));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) => child.on('close', (status) => {
    clearTimeout(timer);
    resolve({ status, out, err });
  }));
}

const count = (text: string, what: string) => text.split(what).length - 1;

describe.skipIf(!canUseNetns)('another namespace whose process goes away', () => {
  beforeAll(() => {
    removeLeftovers(/^nsngone(\d+)$/);
    expect(run('ip', ['netns', 'add', NS]).status).toBe(0);
    expect(run('ip', ['-n', NS, 'link', 'set', 'lo', 'up']).status).toBe(0);
  });
  afterAll(() => {
    run('ip', ['netns', 'del', NS]);
    fs.rmSync(`/etc/netns/${NS}`, { recursive: true, force: true });
  });

  it('-c moves to another process of the namespace, then stops with a message when none is left', async () => {
    // The first process (the lowest pid: the one read through) holds nothing; the second the listener.
    const first = await holder(null);
    const second = await holder(7799);
    try {
      let killedFirst = false;
      let killedSecond = false;
      const r = await netsnap(['--netns', NS, '-tln', '-c', '0.1', '--count', '400'], (out) => {
        const tables = count(out, 'Active Internet connections');
        if (tables >= 3 && !killedFirst) {
          killedFirst = true;
          void stop(first);
        }
        if (tables >= 8 && !killedSecond) {
          killedSecond = true;
          second.stdin!.end(); // the listener closes as the process exits
          void stop(second);
        }
      });
      expect(killedSecond).toBe(true);
      expect(r.status).toBe(1);
      const last = r.err.split('\n').filter(Boolean).at(-1);
      expect(last).toMatch(new RegExp(`^netsnap: network namespace '${NS}': process \\d+ left it, and no other process is in it to read it through$`));
      expect(r.err.endsWith('\n')).toBe(true);
      // The tables are the namespace's: the listener in each one up to the second kill. A kill that
      // lands while a cycle reads /proc/PID/net can spoil that one cycle (netstat's "no support"
      // note for tables it cannot read); the next cycle reads through the other process.
      const tables = r.out.split('Active Internet connections (only servers)\n').slice(1);
      expect(tables.length).toBeGreaterThanOrEqual(8);
      const withListener = tables.slice(0, 8).filter((t) => /127\.0\.0\.1:7799 +0\.0\.0\.0:\* +LISTEN/.test(t)).length;
      expect(withListener).toBeGreaterThanOrEqual(7);
      expect(count(r.err, 'no support')).toBe(8 - withListener);
    } finally {
      await stop(first);
      await stop(second);
    }
  });

  it('--watch stops with the message rather than print a vanished namespace as closed sockets', async () => {
    const only = await holder(7798);
    try {
      let killed = false;
      const r = await netsnap(['--netns', NS, '-tln', '--watch', '0.1', '--count', '400'], (out) => {
        if (count(out, '--- ') >= 3 && !killed) {
          killed = true;
          void stop(only);
        }
      });
      expect(killed).toBe(true);
      expect(r.status).toBe(1);
      expect(r.err).toMatch(new RegExp(`^netsnap: network namespace '${NS}': process \\d+ left it, and no other process is in it to read it through\\n$`));
      // No tick reported the listener as closed.
      expect(r.out).not.toMatch(/^- .*7798/m);
    } finally {
      await stop(only);
    }
  });
});
