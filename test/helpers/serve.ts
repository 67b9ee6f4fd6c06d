// Runs `netsnap serve` (the built CLI) as a child process for a test, on a free loopback port.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import { CLI } from './env';

export interface Served {
  child: ChildProcess;
  port: number;
  stderr(): string;
  get(path: string, headers?: http.OutgoingHttpHeaders): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>;
  /** SIGTERM, and the exit status (SIGKILL after 10 s). */
  stop(): Promise<number | null>;
}

/** `prefix`: a command that runs node, e.g. ['prlimit', '--nofile=120'] (SIGTERM then goes to it: it must exec). */
export async function startServe(args: string[], env: Record<string, string> = {}, prefix: string[] = []): Promise<Served> {
  const argv = [...prefix.slice(1), process.execPath, CLI, 'serve', '--listen', '127.0.0.1:0', ...args];
  const child = spawn(prefix[0] ?? argv.shift()!, argv, {
    env: { ...process.env, LANG: 'C', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (err += c));
  child.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // The caller never gets the child to stop: it must not outlive the test.
      child.kill('SIGKILL');
      reject(new Error(`netsnap serve did not start in 20 s: ${err}`));
    }, 20_000);
    const check = () => {
      const m = /serving metrics on https?:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stderr!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`netsnap serve exited (${code}): ${err}`));
    });
  });
  return {
    child,
    port,
    stderr: () => err,
    get: (path, headers = {}) =>
      new Promise((resolve, reject) => {
        const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false, timeout: 30_000 }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (body += c));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        });
        req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
        req.on('error', reject);
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
