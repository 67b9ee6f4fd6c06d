// isTerminal(fd) (src/cli/output.ts), the CLI's isatty that spares a short listing the load of
// node:tty, answers as node:tty's isatty does: for /dev/null, a pipe, a file, a socket, a closed fd,
// and the three fds of a pseudo-terminal; and it loads node:tty only for a character device that
// may be a terminal.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isTerminal } from '../../src/cli/output';
import { openPty } from '../helpers/pty';

const output = path.resolve(__dirname, '../../dist/cli/output.js');
// Prints, for fds 0, 1 and 2: isTerminal, then node:tty's isatty, then whether node:tty had been
// loaded by isTerminal alone (before the comparison loads it).
const probe = `
const { isTerminal } = require(${JSON.stringify(output)});
const mine = [0, 1, 2].map(isTerminal);
const loaded = process.moduleLoadList.includes('NativeModule tty');
const tty = [0, 1, 2].map((fd) => require('node:tty').isatty(fd));
require('node:fs').writeSync(2, JSON.stringify({ mine, tty, loaded }) + '\\n');
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-tty-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('isTerminal', () => {
  it('says no for /dev/null, a file, a socket and a closed fd, as node:tty does', async () => {
    const devNull = fs.openSync('/dev/null', 'w');
    const file = fs.openSync(path.join(dir, 'f'), 'w');
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const { isatty } = await import('node:tty');
    try {
      for (const fd of [devNull, file]) {
        expect(isTerminal(fd)).toBe(false);
        expect(isatty(fd)).toBe(false);
      }
      const sock = (server as unknown as { _handle: { fd: number } })._handle.fd;
      expect(sock).toBeGreaterThan(2);
      expect(isTerminal(sock)).toBe(false);
      expect(isatty(sock)).toBe(false);
      fs.closeSync(file);
      expect(isTerminal(file)).toBe(false);
      expect(isatty(file)).toBe(false);
      expect(isTerminal(-1)).toBe(false);
    } finally {
      fs.closeSync(devNull);
      server.close();
    }
  });

  it('says no for /dev/null and pipes without loading node:tty', () => {
    const r = spawnSync(process.execPath, ['-e', probe], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 30_000 });
    expect(r.status).toBe(0);
    // stdin is /dev/null, stdout and stderr are pipes.
    expect(JSON.parse(r.stderr)).toEqual({ mine: [false, false, false], tty: [false, false, false], loaded: false });
  });

  it('says yes for the three fds of a pseudo-terminal, as node:tty does', async () => {
    const pty = openPty([process.execPath, '-e', probe], 24, 80);
    await pty.waitFor((text) => text.includes('}'));
    expect(await pty.exit()).toBe(0);
    const line = pty.output.split(/\r?\n/).find((l) => l.startsWith('{'))!;
    expect(JSON.parse(line)).toEqual({ mine: [true, true, true], tty: [true, true, true], loaded: true });
  });
});
