// Issue #6 part 2: hostile and odd inputs, through snapshot() and the CLI, on this project's
// backend. Outcome everywhere: the exact rows kept, the exact skips reported, never a crash.
// The same inputs are compared byte for byte between the backends in parity-backends.test.ts.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Snapshot } from '../../src/model/snapshot';
import { snapshot } from '../../src/backends/snapshot';
import { CLI, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { addProcess, HEADER, HOSTILE_FILES, hostileInputs, line, procTree, type HostileFile } from '../helpers/hostile';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots) {
    spawnSync('chmod', ['-R', 'u+rwx', r]);
    fs.rmSync(r, { recursive: true, force: true });
  }
});
function tree(files: Partial<Record<string, Buffer | string>>): string {
  const r = procTree(files);
  roots.push(r);
  return r;
}

const CUT = 'line cut off (no newline at the end of the file)';
const FEW = 'too few fields';
const BAD_INODE = 'bad inode (not a decimal below 2^53)';

function take(file: HostileFile, data: Buffer, owners = false, root = tree({ [file]: data })): Snapshot {
  return snapshot({
    procRoot: root,
    netDir: path.join(root, 'net'),
    protocols: file === 'unix' ? ['unix'] : [file === 'udp' ? 'udp' : 'tcp'],
    families: [file === 'tcp6' ? 6 : 4],
    owners,
  });
}

/** The kept rows' values: inet [inode, local address:port, remote, state, drops]; unix [inode, path]. */
function rows(s: Snapshot, file: HostileFile): unknown[] {
  if (file === 'unix') return [...s.unixSockets()].map((r) => [r.inode, r.path]);
  return [...s.inetSockets()].map((r) => [r.inode, `${r.localAddress}:${r.localPort}`, `${r.remoteAddress}:${r.remotePort}`, r.stateName, r.drops]);
}
/** What line(file, inode, port) reads as. */
function row(file: HostileFile, inode: number, port = inode): unknown {
  switch (file) {
    case 'tcp': return [inode, `127.0.0.1:${port}`, '0.0.0.0:0', 'LISTEN', 0];
    case 'tcp6': return [inode, `::1:${port}`, ':::0', 'LISTEN', 0];
    case 'udp': return [inode, `0.0.0.0:${port}`, '0.0.0.0:0', 'CLOSE', 0];
    case 'unix': return [inode, `/run/s${port}`];
  }
}
const problems = (s: Snapshot) => s.problems.map((p) => [p.line, p.reason]);
const input = (file: HostileFile, name: string) => hostileInputs(file).find(([n]) => n === name)![1];

/** Runs one named input of every file and checks rows and problems. */
function each(name: string, expect_: (file: HostileFile) => { rows: unknown[]; problems: unknown[] }) {
  for (const file of HOSTILE_FILES) {
    const s = take(file, input(file, name));
    const want = expect_(file);
    expect(rows(s, file), `${file}: rows`).toEqual(want.rows);
    expect(problems(s), `${file}: problems`).toEqual(want.problems);
    expect(s.unreadable, file).toEqual([]);
  }
}

describe(`hostile /proc/net inputs (${backend.name})`, () => {
  it('an empty file is an empty table, no problem', () => {
    each('empty', () => ({ rows: [], problems: [] }));
  });

  it('a header-only file, with or without its newline, is an empty table', () => {
    each('header only', () => ({ rows: [], problems: [] }));
    each('header without newline', () => ({ rows: [], problems: [] }));
  });

  it('a truncated last line (no newline) is skipped as cut off: its last field may be cut', () => {
    each('truncated last line', (f) => ({ rows: [row(f, 1001)], problems: [[3, CUT]] }));
  });

  it('a line cut mid-field: at the end of the file cut off, inside the file too few fields', () => {
    each('cut mid-field', (f) => ({ rows: [row(f, 1001)], problems: [[3, CUT]] }));
    each('cut mid-field, then more lines', (f) => ({ rows: [row(f, 1001), row(f, 1003)], problems: [[3, FEW]] }));
  });

  it('non-hex digits in an address, the Num or a state skip the line with that field named', () => {
    each('non-hex digits', (f) => ({
      rows: [row(f, 1002)],
      problems: f === 'unix' ? [[2, 'bad socket address (Num)'], [4, 'bad state']] : [[2, 'bad local address'], [4, 'bad state']],
    }));
  });

  it('overlong lines: over 64 KiB (inet) or 1 MiB (unix) a line is skipped as too long, never held whole; at the limit it is parsed', () => {
    const long = (f: HostileFile) => (f === 'unix' ? 'line too long (over 1 MiB)' : 'line too long (over 64 KiB)');
    each('overlong line (1 MiB)', (f) => ({ rows: [row(f, 1002)], problems: [[2, long(f)]] }));
    each('overlong field (1 MiB)', (f) => ({ rows: [row(f, 1002)], problems: [[2, long(f)]] }));
    each('line at the limit', (f) => ({
      rows: [f === 'unix' ? [1001, expect.stringMatching(/^\/run\/s1001 x+$/)] : row(f, 1001), row(f, 1002)],
      problems: [[4, long(f)]],
    }));
    each('too long last line without newline', (f) => ({ rows: [row(f, 1001)], problems: [[3, long(f)]] }));
  });

  it('NUL bytes are ordinary bytes: in a number they fail it, a line of NULs has too few fields, in a path they are kept', () => {
    each('NUL bytes', (f) => ({ rows: [row(f, 1002)], problems: [[2, BAD_INODE], [3, FEW]] }));
    const s = take('unix', Buffer.from(HEADER.unix + '0000000000000000: 00000002 00000000 00010000 0001 01 77 /tmp/a\0b\n', 'latin1'));
    expect(rows(s, 'unix')).toEqual([[77, '/tmp/a\0b']]);
  });

  it('CRLF: \\r is an ordinary byte of the last field (tcp: unread trailing field, kept; udp: drops, skipped; unix: part of the path)', () => {
    each('CRLF', (f) => ({
      rows: f === 'udp' ? [] : f === 'unix' ? [[1001, '/run/s1001\r'], [1002, '/run/s1002\r']] : [row(f, 1001), row(f, 1002)],
      problems: f === 'udp' ? [[2, 'bad drops'], [3, 'bad drops']] : [],
    }));
    // A unix line without a path: \r sticks to the inode.
    const s = take('unix', Buffer.from(HEADER.unix + '0000000000000000: 00000002 00000000 00010000 0001 01 77\r\n', 'latin1'));
    expect([rows(s, 'unix'), problems(s)]).toEqual([[], [[2, BAD_INODE]]]);
  });

  it('an extra column is fine (inet: ignored like the kernel\'s own trailing fields; unix: part of the path)', () => {
    each('extra column', (f) => ({
      rows: f === 'unix' ? [[1001, '/run/s1001 extra'], row(f, 1002)] : [row(f, 1001), row(f, 1002)],
      problems: [],
    }));
  });

  it('a missing column is too few fields', () => {
    each('missing column', (f) => ({ rows: [row(f, 1002)], problems: [[2, FEW]] }));
  });

  it('duplicate inodes: both rows kept, and an owner of the inode owns both', () => {
    each('duplicate inodes', (f) => ({ rows: [row(f, 5000, 1), row(f, 5000, 2)], problems: [] }));
    for (const file of HOSTILE_FILES) {
      const root = tree({ [file]: input(file, 'duplicate inodes') });
      addProcess(root, 100, { 3: 'socket:[5000]' }, 'dup');
      const s = take(file, Buffer.alloc(0), true, root);
      const owners = file === 'unix' ? [...s.unixSockets()].map((r) => r.owners) : [...s.inetSockets()].map((r) => r.owners);
      expect(owners.map((o) => o.map((x) => [x.pid, x.fd, x.name])), file).toEqual([[[100, 3, 'dup']], [[100, 3, 'dup']]]);
    }
  });

  it('inode 0 (TIME_WAIT, a request socket): kept, never given an owner, even by a socket:[0] link', () => {
    each('inode 0', (f) => ({ rows: [row(f, 0, 3), row(f, 5001, 4)], problems: [] }));
    for (const file of HOSTILE_FILES) {
      const root = tree({ [file]: input(file, 'inode 0') });
      addProcess(root, 100, { 3: 'socket:[0]', 4: 'socket:[5001]' }, 'zero');
      const s = take(file, Buffer.alloc(0), true, root);
      const owners = file === 'unix' ? [...s.unixSockets()].map((r) => r.owners) : [...s.inetSockets()].map((r) => r.owners);
      expect(owners.map((o) => o.map((x) => x.pid)), file).toEqual([[], [100]]);
    }
  });

  it('the CLI prints the kept rows, one stderr line per skipped line, and exits 0', () => {
    const files = {
      tcp: input('tcp', 'truncated last line'),
      tcp6: input('tcp6', 'non-hex digits'),
      udp: input('udp', 'CRLF'),
      unix: input('unix', 'NUL bytes'),
    };
    const root = tree(files);
    const r = netsnap(['-tuxan', '--proc-root', root]);
    expect(r.status).toBe(0);
    const net = path.join(root, 'net');
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      `netsnap: ${net}/tcp:3: line skipped: ${CUT}`,
      `netsnap: ${net}/tcp6:2: line skipped: bad local address`,
      `netsnap: ${net}/tcp6:4: line skipped: bad state`,
      `netsnap: ${net}/udp:2: line skipped: bad drops`,
      `netsnap: ${net}/udp:3: line skipped: bad drops`,
      `netsnap: ${net}/unix:2: line skipped: ${BAD_INODE}`,
      `netsnap: ${net}/unix:3: line skipped: ${FEW}`,
    ]);
    const out = r.stdout.split('\n');
    expect(out).toContain('tcp        0      0 127.0.0.1:1001          0.0.0.0:*               LISTEN     ');
    expect(out).toContain('tcp6       0      0 ::1:1002                :::*                    LISTEN     ');
    expect(out.filter((l) => /^(tcp|udp)/.test(l))).toHaveLength(2);
    expect(out.filter((l) => l.startsWith('unix '))).toEqual(['unix  2      [ ACC ]     STREAM     LISTENING     1002     /run/s1002']);
  });
});

describe(`hostile owner scans (${backend.name})`, () => {
  const isRoot = process.getuid?.() === 0;

  it('fd links that are not sockets are ignored: pipes, anon inodes, /dev/null, a file named socket:[N], dangling links, plain files', () => {
    const root = tree({ tcp: HEADER.tcp + line('tcp', 5000) });
    addProcess(root, 100, { 3: 'socket:[5000]' }, 'real');
    addProcess(root, 200, {
      0: 'pipe:[5000]', 1: 'anon_inode:[eventfd]', 2: '/dev/null', 3: '/tmp/socket:[5000]', 4: 'socket:[5000] (deleted)',
      5: '/nonexistent/dangling', 6: 'socket:[]', 7: 'socket:[-1]', 8: 'socket:[99999999999999999999]', 9: '[0000]:5000x',
    }, 'decoy');
    fs.writeFileSync(path.join(root, '200', 'fd', '10'), 'socket:[5000]'); // not a link at all
    const s = take('tcp', Buffer.alloc(0), true, root);
    expect([...s.inetSockets()].map((r) => r.owners.map((o) => o.pid))).toEqual([[100]]);
    expect([s.owners!.pidsScanned, s.owners!.pidsVanished, s.owners!.pidsDenied, s.owners!.raw.socketFds]).toEqual([2, 0, 0, 1]);
  });

  it('a pid directory without an fd directory, or with fd a file, counts as vanished', () => {
    const root = tree({ tcp: HEADER.tcp + line('tcp', 5000) });
    addProcess(root, 100, { 3: 'socket:[5000]' }, 'real');
    fs.mkdirSync(path.join(root, '300'));
    fs.mkdirSync(path.join(root, '301'));
    fs.writeFileSync(path.join(root, '301', 'fd'), '');
    const s = take('tcp', Buffer.alloc(0), true, root);
    expect([s.owners!.pidsScanned, s.owners!.pidsVanished, s.owners!.pidsDenied]).toEqual([1, 2, 0]);
    expect([...s.inetSockets()][0]!.owners.map((o) => o.pid)).toEqual([100]);
  });

  it.skipIf(!isRoot)('unreadable pid directories are counted as denied (run as nobody), the CLI says so and exits 0', () => {
    const root = tree({ tcp: HEADER.tcp + line('tcp', 5000) + line('tcp', 5001, 8081) });
    addProcess(root, 100, { 3: 'socket:[5000]' }, 'open');
    addProcess(root, 200, { 3: 'socket:[5001]' }, 'closed');
    fs.chmodSync(root, 0o755);
    fs.chmodSync(path.join(root, '200', 'fd'), 0o000);
    const asNobody = (args: string[]) => spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, CLI, ...args], {
      encoding: 'latin1', env: { ...process.env, LANG: 'C', NETSNAP_BACKEND: backend.name }, timeout: 60_000,
    });
    const r = asNobody(['-tanp', '--proc-root', root]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('(Not all processes could be identified, non-owned process info\n will not be shown, you would have to be root to see it all.)\n');
    const lines = r.stdout.split('\n');
    expect(lines.find((l) => l.includes(':8080 '))).toMatch(/ 100\/open\s*$/);
    expect(lines.find((l) => l.includes(':8081 '))).toMatch(/ -\s*$/);
    // The library's counts, as nobody.
    const code = `const {snapshot}=require(${JSON.stringify(path.join(path.dirname(CLI), '..', 'index.js'))});` +
      `const o=snapshot({procRoot:${JSON.stringify(root)},protocols:['tcp'],families:[4],owners:true}).owners;` +
      'console.log(JSON.stringify([o.pidsScanned,o.pidsVanished,o.pidsDenied]))';
    const lib = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-e', code], {
      encoding: 'utf8', env: { ...process.env, NETSNAP_BACKEND: backend.name },
    });
    expect(lib.stderr).toBe('');
    expect(JSON.parse(lib.stdout)).toEqual([1, 0, 1]);
  });

  it('pid directories that vanish during scans: never an exception, counts consistent (bounded loop over a real child)', async () => {
    // A procRoot whose pid entries link to the real /proc/PID of a child and of this process:
    // the child's directory vanishes for real when it is killed, and a scan stays cheap on a busy machine.
    for (let round = 0; round < 3; round++) {
      const child = spawn(process.execPath, ['-e', 'require("net").createServer().listen(0,"127.0.0.1",()=>console.log("up"));setTimeout(()=>{},60000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
      await new Promise((res) => child.stdout!.once('data', res));
      const root = tree({ tcp: HEADER.tcp });
      fs.symlinkSync(`/proc/${child.pid}`, path.join(root, String(child.pid)));
      fs.symlinkSync(`/proc/${process.pid}`, path.join(root, String(process.pid)));
      let sawChild = false;
      let goneScans = 0;
      let gone = false;
      for (let i = 0; i < 12; i++) {
        if (i === 2 + round * 3) {
          // Killed and reaped (Node's 'exit' comes after waitpid): its /proc directory is gone, and
          // the link in this procRoot dangles for every scan that follows.
          child.kill('SIGKILL');
          await new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res(null) : child.once('exit', res)));
          gone = true;
        }
        const o = snapshot({ procRoot: root, protocols: ['tcp'], families: [4], owners: true }).owners!;
        // Both pids are counted exactly once, as scanned or vanished; nothing is denied to root.
        expect(o.pidsScanned + o.pidsVanished + o.pidsDenied).toBe(2);
        expect(o.raw.socketFds).toBe(o.count);
        const childOwns = Array.from(o.pids).includes(child.pid!);
        if (childOwns) sawChild = true;
        if (gone) {
          expect([o.pidsScanned, o.pidsVanished, childOwns]).toEqual([1, 1, false]);
          goneScans++;
        }
        for (let k = 0; k < o.count; k++) expect([child.pid, process.pid]).toContain(o.pids[k]);
      }
      const after = snapshot({ procRoot: root, protocols: ['tcp'], families: [4], owners: true }).owners!;
      expect([after.pidsScanned, after.pidsVanished]).toEqual([1, 1]);
      expect(Array.from(after.pids)).not.toContain(child.pid);
      expect(sawChild).toBe(true);
      expect(goneScans).toBe(12 - (2 + round * 3));
    }
  });

  it('a procRoot that does not exist: every file unreadable (ENOENT), no owners; the CLI says so and exits 1 like netstat', () => {
    const s = snapshot({ procRoot: '/nonexistent/netsnap', owners: true });
    expect(s.unreadable.map((u) => u.code)).toEqual(s.unreadable.map(() => 'ENOENT'));
    expect(s.unreadable.length).toBeGreaterThan(0);
    expect([s.inet.length, s.unix, s.owners!.count, s.owners!.pidsScanned]).toEqual([0, null, 0, 0]);
    const r = netsnap(['-tuxanp', '--proc-root', '/nonexistent/netsnap']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe("netsnap: no support for `AF INET (tcp)' on this system.\n");
    const all = netsnap(['-an', '--proc-root', '/nonexistent/netsnap']);
    expect(all.status).toBe(0);
    expect(all.stderr).toBe('');
  });

  it.skipIf(!isRoot)('/proc mounted with hidepid=2: sockets listed, other users\' processes invisible (-), exit 0, as nobody', async (ctx) => {
    const mnt = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-hidepid-'));
    const server = net.createServer();
    await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
    const port = (server.address() as net.AddressInfo).port;
    roots.push(mnt);
    const script = `mount -t proc -o hidepid=2 proc "$1" || exit 99; shift; exec setpriv --reuid=65534 --regid=65534 --clear-groups "$@"`;
    const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', mnt, process.execPath, CLI, '-tanp', '--proc-root', mnt], {
      encoding: 'latin1', env: { ...process.env, LANG: 'C', NETSNAP_BACKEND: backend.name }, timeout: 60_000, maxBuffer: 256 << 20,
    });
    server.close();
    // No mount namespaces here: the test cannot run, and says so instead of passing.
    if (r.status === 99 || /unshare failed|Operation not permitted/.test(r.stderr)) ctx.skip(`no mount namespace for a hidepid=2 /proc: ${r.stderr.trim()}`);
    expect([r.status, r.signal, r.error?.message, r.stderr.slice(0, 300)]).toEqual([0, null, undefined, expect.anything()]);
    const rows = r.stdout.split('\n').filter((l) => l.startsWith('tcp'));
    // Sockets are listed (the namespace's tcp file is readable to all), among them the root-owned
    // listener of this test process; nobody owns no socket here: every owner column is '-'.
    const mine = rows.find((l) => l.includes(`127.0.0.1:${port} `));
    expect(mine).toMatch(/LISTEN\s+-\s*$/);
    for (const l of rows) expect(l).toMatch(/ -\s*$/);
    expect(r.stderr).toMatch(/^(|\(Not all processes could be identified[^]*\)\n|\(No info could be read for "-p"[^]*\)\n)$/);
  });
});
