// Terminal safety (issue #17): a process of this test (test/helpers/hostile_names.py) has an argv[0]
// and a comm full of control bytes, a UNIX listener at a path holding a carriage return, an
// erase-line sequence, a lone C1 byte, bytes that are not UTF-8, a backslash, an é and a C1 code
// point, and (run as root) its inet sockets belong to a user whose name holds control bytes (a
// passwd bound over /etc/passwd in a private mount namespace around netsnap). Each mode runs in a
// pseudo-terminal: the exact escaped text is there and no raw ESC, CR or C1 of those strings reaches
// the terminal. Piped, the same commands print the raw bytes; --literal prints them on a terminal too.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backend, CLI } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { openPty, type Pty } from '../helpers/pty';

const native = backend.name === 'native';
const root = process.geteuid?.() === 0;
const unshareWorks = root && spawnSync('unshare', ['-m', 'true']).status === 0;
const HOSTILE_UID = 47123;

// The hostile strings as binary (latin1) strings: one char per byte.
const ARGV0 = 'evil\r\x1b[2Kname\xc2\x9b\x9b\xff';
const COMM = 'ev\x1b[2K\r';
const USER = 'ev\x1b[2Kil\rusr';
const BASENAME = 'hide\r\x1b[2Kme\x9bx\xffy\\z\xc3\xa9\xc2\x9b.sock';

// What a terminal shows of them.
/** argv[0] as the listing shows it, escape by escape, for netstat's cut of the program column. */
const ARGV0_UNITS = ['e', 'v', 'i', 'l', '\\x0d', '\\x1b', '[', '2', 'K', 'n', 'a', 'm', 'e', '\\xc2\\x9b', '\\x9b', '\\xff'];
/** argv[0] decoded as UTF-8 (the lone bytes as U+FFFD, in UTF-8), as --summary, --watch, top, events and baselines show it. */
const ARGV0_TEXT = 'evil\\x0d\\x1b[2Kname\\xc2\\x9b\xef\xbf\xbd\xef\xbf\xbd';
const USER_SHOWN = 'ev\\x1b[2Kil\\x0dusr';
/** comm, as the baseline report shows the programs of a listener. */
const COMM_SHOWN = 'ev\\x1b[2K\\x0d';
const BASENAME_SHOWN = 'hide\\x0d\\x1b[2Kme\\x9bx\\xffy\\\\z\xc3\xa9\\xc2\\x9b.sock';
/** The basename decoded as UTF-8, as --watch shows it. */
const BASENAME_TEXT = 'hide\\x0d\\x1b[2Kme\xef\xbf\xbdx\xef\xbf\xbdy\\\\z\xc3\xa9\\xc2\\x9b.sock';

/** The program column's text for `pid` (netstat: "PID/name" cut to 19 bytes), escaped or raw. */
function programCell(pid: number, escaped: boolean): string {
  const room = 19 - `${pid}/`.length;
  if (!escaped) return `${pid}/${ARGV0.slice(0, room)}`;
  let text = '';
  for (const u of ARGV0_UNITS) {
    if (text.length + u.length > room) break;
    text += u;
  }
  return `${pid}/${text}`;
}

/** Nothing of the hostile strings reached the terminal raw. */
function expectNoRawControls(output: string): void {
  // netsnap's own screen control (--watch, top) never erases a line: \x1b[2K is always the hostile one.
  for (const raw of ['\x1b[2K', 'hide\r', 'evil\r', '\x9b', '\xff']) {
    expect(output.includes(raw), `raw ${JSON.stringify(raw)} on the terminal`).toBe(false);
  }
}

const hex = (s: string) => Buffer.from(s, 'latin1').toString('hex');
/** The terminal's lines (its output adds a CR before each newline). */
const lines = (output: string) => output.split('\r\n');

describe('control characters on a terminal are escaped, piped output keeps the bytes', () => {
  let dir: string;
  let socketPath: string;
  let holder: ChildProcess;
  let pid: number;
  let port: number;
  let passwd: string;
  const said: string[] = [];

  /** Sends a command to the holder and waits for its answer (bounded). */
  const tell = async (cmd: string, answer: string): Promise<void> => {
    const before = said.length;
    holder.stdin!.write(`${cmd}\n`);
    const deadline = Date.now() + 20_000;
    while (!said.slice(before).includes(answer)) {
      if (Date.now() > deadline) throw new Error(`hostile_names.py did not answer ${cmd}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  /** netsnap ARGS on a terminal, run to its end. */
  const onTerminal = async (args: string[], wrap: string[] = []): Promise<{ output: string; status: number | null }> => {
    const p = openPty([...wrap, process.execPath, CLI, ...args], 50, 200, {}, 50);
    const status = await p.exit(55_000);
    return { output: p.output, status };
  };

  /** Runs netsnap in a private mount namespace where /etc/passwd names HOSTILE_UID with USER. */
  const withPasswd = (): string[] => ['unshare', '-m', '--', 'sh', '-c', 'mount --bind "$0" /etc/passwd && exec "$@"', passwd];

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-tty-'));
    fs.chmodSync(dir, 0o777); // the holder binds here as HOSTILE_UID
    socketPath = `${dir}/${BASENAME}`;
    passwd = path.join(dir, 'passwd');
    fs.writeFileSync(passwd, Buffer.from(`${fs.readFileSync('/etc/passwd', 'latin1')}${USER}:x:${HOSTILE_UID}:${HOSTILE_UID}::/nonexistent:/usr/sbin/nologin\n`, 'latin1'));
    holder = spawn('python3', [path.join(__dirname, '..', 'helpers', 'hostile_names.py'), hex(ARGV0), hex(socketPath), hex(COMM), ...(root ? [String(HOSTILE_UID)] : [])],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    holder.stdout!.setEncoding('latin1');
    let out = '';
    holder.stdout!.on('data', (d: string) => {
      out += d;
      let nl: number;
      while ((nl = out.indexOf('\n')) >= 0) {
        said.push(out.slice(0, nl));
        out = out.slice(nl + 1);
      }
    });
    const deadline = Date.now() + 20_000;
    while (said.length === 0) {
      if (Date.now() > deadline || holder.exitCode !== null) throw new Error('hostile_names.py did not start');
      await new Promise((r) => setTimeout(r, 20));
    }
    ({ pid, port } = JSON.parse(said[0]!) as { pid: number; port: number });
  }, 30_000);

  afterAll(() => {
    holder?.stdin?.end();
    holder?.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('-xlp: the path and the program escaped, the Path column where the header says', async () => {
    const { output, status } = await onTerminal(['-xlp']);
    expect(status).toBe(0);
    const all = lines(output);
    const header = all.find((l) => l.startsWith('Proto RefCnt'))!;
    const row = all.find((l) => l.includes(dir))!;
    expect(row.endsWith(` ${dir}/${BASENAME_SHOWN}`)).toBe(true);
    expect(row).toContain(`${programCell(pid, true)}`);
    // The program cell is 20 wide on the escaped text: the paths start under "Path", one column
    // further for each digit of the inode past the 8 its cell holds (netstat's %-8lu; a machine that
    // has made 100,000,000 sockets since it booted has 9-digit inodes).
    const inode = row.slice(0, row.indexOf(programCell(pid, true))).trimEnd().split(' ').at(-1)!;
    expect(inode).toMatch(/^[1-9]\d*$/);
    expect(row.indexOf(dir)).toBe(header.indexOf('Path') + Math.max(0, inode.length - 8));
    expectNoRawControls(output);
  }, 60_000);

  it('-xlp piped: the raw bytes, as before', () => {
    const r = netsnap(['-xlp']);
    expect(r.status).toBe(0);
    const row = r.stdout.split('\n').find((l) => l.includes(dir))!;
    expect(row.endsWith(` ${socketPath}`)).toBe(true);
    expect(row).toContain(programCell(pid, false));
  });

  it('-xlp --literal on a terminal: the raw bytes', async () => {
    const { output, status } = await onTerminal(['-xlp', '--literal']);
    expect(status).toBe(0);
    expect(output).toContain(socketPath);
    expect(output).toContain(programCell(pid, false));
  }, 60_000);

  it('-tanp: the program of the inet sockets escaped', async () => {
    const { output, status } = await onTerminal(['-tanp']);
    expect(status).toBe(0);
    const row = lines(output).find((l) => l.includes(`127.0.0.1:${port} `) && l.includes('LISTEN'))!;
    expect(row.endsWith(`${programCell(pid, true)}`.padEnd(20))).toBe(true);
    expectNoRawControls(output);
  }, 60_000);

  it.skipIf(!unshareWorks)(`-tae: the user name escaped${unshareWorks ? '' : ' (skipped: needs root for a private mount namespace with its own /etc/passwd and a socket of another uid)'}`, async () => {
    const { output, status } = await onTerminal(['-tae', '--numeric-hosts', '--numeric-ports'], withPasswd());
    expect(status).toBe(0);
    const row = lines(output).find((l) => l.includes(`127.0.0.1:${port} `) && l.includes('LISTEN'))!;
    // netstat's %-10s: a longer name pushes the inode column on by what it holds more.
    expect(row).toMatch(/ LISTEN {6}ev\\x1b\[2Kil\\x0dusr \d+ *$/);
    expectNoRawControls(output);
    // Piped: the raw name.
    const piped = spawnSync(withPasswd()[0]!, [...withPasswd().slice(1), process.execPath, CLI, '-tae', '--numeric-hosts', '--numeric-ports'], { encoding: 'latin1' });
    expect(piped.stdout.split('\n').find((l) => l.includes(`127.0.0.1:${port} `) && l.includes('LISTEN'))).toContain(` ${USER} `);
  }, 60_000);

  it('--json on a terminal: escaped by JSON, the path\'s bytes in pathBase64, the comm as it is', async () => {
    const { output, status } = await onTerminal(['--json', '-xlp']);
    expect(status).toBe(0);
    expect(output).not.toContain('\x1b');
    expect(/[\x80-\xff]/.test(output)).toBe(false);
    const doc = JSON.parse(output.replace(/\r\n/g, '\n')) as { sockets: Array<{ path: string | null; pathBase64?: string; owners: Array<{ pid: number; comm: string; program: string }> }> };
    const s = doc.sockets.find((x) => x.path?.startsWith(dir))!;
    expect(Buffer.from(s.pathBase64!, 'base64').toString('latin1')).toBe(socketPath);
    expect(s.path).toBe(`${dir}/hide\r\x1b[2Kme\ufffdx\ufffdy\\zé\u009b.sock`);
    const owner = s.owners.find((w) => w.pid === pid)!;
    expect(owner.comm).toBe(COMM);
    expect(owner.program).toBe('evil\r\x1b[2Kname\u009b\ufffd\ufffd');
  }, 60_000);

  it('--summary: the program escaped in the top processes', async () => {
    const { output, status } = await onTerminal(['--summary', '--top', '100000']);
    expect(status).toBe(0);
    expect(lines(output).some((l) => l.startsWith(`  ${pid}/${ARGV0_TEXT} `))).toBe(true);
    expectNoRawControls(output);
    const piped = netsnap(['--summary', '--top', '100000']);
    expect(piped.stdout).toContain(`  ${pid}/evil\r\x1b[2Kname\xc2\x9b\xef\xbf\xbd\xef\xbf\xbd `);
  }, 60_000);

  it('--watch: a UNIX listener opened during the watch, its path and program escaped', async () => {
    const p: Pty = openPty([process.execPath, CLI, '--watch', '0.2', '--count', '200', '-xp'], 50, 250, {}, 60);
    try {
      await p.waitFor((t) => t.includes(' tick 0:'));
      await tell('open', 'opened');
      await p.waitFor((t) => t.includes(`${BASENAME_TEXT}2`));
      const row = lines(p.output).find((l) => l.includes(`${BASENAME_TEXT}2`))!;
      expect(row).toContain(`+ unix  STREAM ${dir}/${BASENAME_TEXT}2 LISTENING ${pid}/${ARGV0_TEXT}`);
      expectNoRawControls(p.output);
    } finally {
      p.kill();
    }
  }, 60_000);

  it('a baseline report: the program (comm) of a new listener escaped', async () => {
    const file = path.join(dir, 'baseline.json');
    expect(netsnap(['--save-baseline', file, 'sport = :1']).status).toBe(0);
    const { output, status } = await onTerminal(['--compare', file, `sport = :${port}`]);
    expect(status).toBe(1);
    expect(output).toContain(`+ new listener: tcp 127.0.0.1:${port} (${COMM_SHOWN})`);
    expectNoRawControls(output);
    expect(netsnap(['--compare', file, `sport = :${port}`]).stdout).toContain(`+ new listener: tcp 127.0.0.1:${port} (${COMM})`);
  }, 60_000);

  it('an error message quoting a path: escaped on a terminal, raw piped', async () => {
    const bad = `${dir}/no\r\x1b[2Kfile`;
    const { output, status } = await onTerminal(['--compare', bad]);
    expect(status).toBe(2);
    expect(output).toContain(`netsnap: cannot read baseline ${dir}/no\\x0d\\x1b[2Kfile: ENOENT`);
    expect(output).not.toContain('\x1b[2Kfile');
    expect(netsnap(['--compare', bad]).stderr).toBe(`netsnap: cannot read baseline ${bad}: ENOENT\n`);
  }, 60_000);

  it.runIf(native)('events: the program of a close escaped (native)', async () => {
    const p = openPty([process.execPath, CLI, 'events', '--interval', '0.2', '--count', '1', '--filter', `sport = :${port}`], 50, 200, {}, 60);
    try {
      await p.waitFor((t) => t.includes('PID/Program'));
      // The subscription is made before the header: one churned connection is enough, more are bounded.
      for (let k = 0; k < 20 && !p.output.includes(`${pid}/`); k++) {
        await tell('churn', 'churned');
        await p.waitFor((t) => t.includes(`${pid}/`), 1000).catch(() => {});
      }
      expect(await p.exit()).toBe(0);
      expect(p.output).toContain(`${pid}/${ARGV0_TEXT}`.slice(0, 22));
      expectNoRawControls(p.output);
    } finally {
      p.kill();
    }
  }, 60_000);

  it.runIf(native)('--cgroup: a cgroup\'s name escaped (native)', async (ctx) => {
    const mount = fs.readFileSync('/proc/self/mounts', 'latin1').split('\n').map((l) => l.split(' ')).find((f) => f[2] === 'cgroup2')?.[1];
    if (!root || mount === undefined) return ctx.skip('needs root and a cgroup2 mount');
    const name = `netsnap-tty-${process.pid}-\x1b[2K\r`;
    const group = `${mount}/${name}`;
    fs.mkdirSync(group);
    let child: ChildProcess | null = null;
    try {
      // The child moves itself into the group before it makes its listener.
      child = spawn('sh', ['-c', 'echo $$ > "$0/cgroup.procs" && exec "$1" -e "$2"', group, process.execPath,
        "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>{},60000)"], { stdio: ['ignore', 'pipe', 'inherit'] });
      const listening = await new Promise<number>((resolve, reject) => {
        child!.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
        child!.once('exit', (code) => reject(new Error(`the cgroup's listener exited (${code})`)));
      });
      const { output, status } = await onTerminal(['-tln', '--cgroup', `sport = :${listening}`]);
      expect(status).toBe(0);
      expect(output).toContain(`cgroup:/netsnap-tty-${process.pid}-\\x1b[2K\\x0d`);
      expectNoRawControls(output);
      expect(netsnap(['-tln', '--cgroup', `sport = :${listening}`]).stdout).toContain(`cgroup:/${name}`);
    } finally {
      if (child) {
        const exited = new Promise((r) => child!.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      // The group can only go once the child has left it (its exit does that); bounded.
      for (let k = 0; k < 50 && fs.existsSync(group); k++) {
        try {
          fs.rmdirSync(group);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  }, 60_000);

  it.runIf(native)('top: the program escaped on the full-screen view, as ? piped (native)', async () => {
    const p = openPty([process.execPath, CLI, 'top', '--interval', '0.3', '--filter', `sport = :${port} or dport = :${port}`], 30, 160, {}, 60);
    try {
      await p.waitFor((t) => t.includes(`${pid}/${ARGV0_TEXT}`));
      expectNoRawControls(p.output);
      p.write('q');
      expect(await p.exit()).toBe(0);
    } finally {
      p.kill();
    }
    const piped = netsnap(['top', '--interval', '0.3', '--count', '2', '--filter', `sport = :${port} or dport = :${port}`]);
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain(`${pid}/evil??[2Kname\xc2\x9b\xef\xbf\xbd\xef\xbf\xbd`);
  }, 60_000);
});
