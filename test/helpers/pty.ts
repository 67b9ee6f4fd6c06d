// A command in a pseudo-terminal (test/helpers/pty_run.py does the terminal: Node has none built in),
// for tests of full-screen modes: what it drew, keys typed into it, window resizes, its exit.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export interface Pty {
  /** Everything the command wrote to its terminal so far (latin1: one char per byte). */
  readonly output: string;
  /** Types `keys` into the terminal. */
  write(keys: string): void;
  /** Gives the terminal a new size (the command gets SIGWINCH). */
  resize(rows: number, cols: number): void;
  /** Resolves once `test(output from `from` on)` holds; rejects after `ms` with what was drawn. */
  waitFor(test: (text: string) => boolean, ms?: number, from?: number): Promise<void>;
  /** The exit status (128 + N for signal N); the command is killed after `ms`. */
  exit(ms?: number): Promise<number | null>;
  kill(): void;
}

/** Runs `args` under a rows x cols terminal; everything is killed after `timeoutS` seconds. */
export function openPty(args: string[], rows: number, cols: number, env: Record<string, string> = {}, timeoutS = 60): Pty {
  const child: ChildProcess = spawn('python3', [path.join(__dirname, 'pty_run.py'), String(rows), String(cols), '--timeout', String(timeoutS), '--', ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, LANG: 'C', TERM: 'xterm', ...env },
  });
  let output = '';
  let errors = '';
  child.stdout!.setEncoding('latin1');
  child.stdout!.on('data', (d: string) => (output += d));
  child.stderr!.on('data', (d: Buffer) => (errors += String(d)));
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  const send = (msg: object) => child.stdin!.write(`${JSON.stringify(msg)}\n`);
  return {
    get output() {
      return output;
    },
    write: (keys) => send({ write: keys }),
    resize: (r, c) => send({ resize: [r, c] }),
    async waitFor(test, ms = 40_000, from = 0) {
      const deadline = Date.now() + ms;
      while (!test(output.slice(from))) {
        if (Date.now() > deadline) throw new Error(`not drawn within ${ms} ms; pty_run.py: ${errors}\n${JSON.stringify(output.slice(-3000))}`);
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode} first; ${errors}\n${JSON.stringify(output.slice(-3000))}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async exit(ms = 40_000) {
      const timer = setTimeout(() => child.kill('SIGKILL'), ms);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill: () => {
      child.stdin!.end(); // pty_run.py kills the command when its control channel closes
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    },
  };
}

/** The frames of a full-screen view: each starts at cursor home (ESC [ H). */
export function frames(output: string): string[] {
  return output.split('\x1b[H').slice(1);
}

/** A frame's lines as the terminal shows them: escape sequences removed. */
export function screenText(frame: string): string[] {
  return frame.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').split(/\r?\n/).map((l) => l.replace(/\r/g, ''));
}
