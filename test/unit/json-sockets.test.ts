// --json / --ndjson of the socket listing: every document and line validates against
// schema/netsnap-v1.schema.json, carries the fixture's real values, and lists the same rows as
// the text listing.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { asciiStdout, valid, type Obj } from '../helpers/schema';
import { BASIC, ROOT, backend } from '../helpers/env';

const run = asciiStdout;

function json(args: string[]): Obj {
  const out = run(['--json', ...args]);
  expect(out.endsWith('\n')).toBe(true);
  expect(out.trimEnd().includes('\n')).toBe(false);
  const doc = JSON.parse(out) as Obj;
  valid(doc);
  return doc;
}

function ndjson(args: string[]): Obj[] {
  const out = run(['--ndjson', ...args]);
  const lines = out.split('\n');
  expect(lines.pop()).toBe('');
  return lines.map((l) => {
    const o = JSON.parse(l) as Obj;
    valid(o);
    return o;
  });
}

/** The text listing's rows: [label, recvQ, sendQ] for inet, ['unix', inode] for unix. */
function textRows(args: string[]): Array<Array<string | number>> {
  const r = netsnap(['-n', ...args]);
  const rows: Array<Array<string | number>> = [];
  for (const line of r.stdout.split('\n')) {
    if (line === '' || line.startsWith('Active ') || line.startsWith('Proto ')) continue;
    const f = line.split(/ +/);
    if (f[0] === 'unix') rows.push(['unix', Number(line.slice(50, 58).trim())]);
    else rows.push([f[0]!, Number(f[1]), Number(f[2])]);
  }
  return rows;
}

function label(s: Obj): string {
  return s.file.replace('udplite', 'udpl');
}

function jsonRows(doc: Obj): Array<Array<string | number>> {
  return (doc.sockets as Obj[]).map((s) => (s.proto === 'unix' ? ['unix', s.inode] : [label(s), s.recvQ, s.sendQ]));
}

const FIX = ['--proc-root', BASIC];

describe(`--json of the basic fixture (${backend.name})`, () => {
  const doc = json([...FIX, '-a', '-n']);
  const byInode = (inode: number) => (doc.sockets as Obj[]).find((s) => s.inode === inode)!;

  it('is one document of kind sockets, from this backend, with the scan summary', () => {
    expect(doc.schema).toBe('netsnap/v1');
    expect(doc.kind).toBe('sockets');
    expect(doc.backend).toBe(backend.name);
    expect(doc.procRoot).toBe(BASIC);
    expect(doc.netDir).toBe(`${BASIC}/net`);
    expect(Math.abs(Date.parse(doc.takenAt) - Date.now())).toBeLessThan(60_000);
    expect(doc.owners).toEqual({ pidsScanned: 5, pidsVanished: 1, pidsDenied: 0 });
  });

  it('lists every owner of the shared listener', () => {
    const listener = byInode(2001);
    expect(listener.owners).toEqual([
      { pid: 200, fd: 6, program: 'nginx: master process /usr/sbin/nginx', comm: 'nginx', uid: 0 },
      { pid: 201, fd: 6, program: 'nginx: worker process', comm: 'nginx', uid: 33 },
    ]);
    expect(listener).toMatchObject({ proto: 'tcp', file: 'tcp6', family: 6, state: 10, stateName: 'LISTEN' });
  });

  it('carries every inet field with real values', () => {
    expect(byInode(1002)).toEqual({
      proto: 'tcp', file: 'tcp', family: 4, state: 1, stateName: 'ESTABLISHED',
      local: { address: '127.0.0.1', port: 8080 }, remote: { address: '127.0.0.1', port: 56786 },
      recvQ: 1234, sendQ: 0,
      timer: { kind: 2, kindName: 'keepalive', jiffies: 720000, seconds: 7200, retransmits: 0, timeout: 0 },
      uid: 1000, user: null, inode: 1002, drops: 0,
      owners: [{ pid: 100, fd: 4, program: 'python3', comm: 'python3', uid: 1000 }],
    });
    expect(byInode(1007).timer).toEqual({ kind: 1, kindName: 'on', jiffies: 100, seconds: 1, retransmits: 2, timeout: 0 });
  });

  it('gives unix paths whole, null when unbound, with type and flags', () => {
    expect(byInode(5002).path).toBe('/tmp/x/has space.sock');
    expect(byInode(5007).path).toBe('/run/seq  trailing  ');
    expect(byInode(5003).path).toBeNull();
    expect(byInode(5004).path).toBe('@abstract@with@nul');
    expect(byInode(5001)).toEqual({
      proto: 'unix', file: 'unix', state: 1, stateName: 'LISTENING', type: 1, typeName: 'STREAM', flags: 0x10000,
      flagNames: ['ACC'], refCount: 2, protocol: 0, inode: 5001, path: '/run/test.sock',
      owners: [{ pid: 100, fd: 5, program: 'python3', comm: 'python3', uid: 1000 }],
    });
    expect(byInode(5001)).not.toHaveProperty('family');
    expect(byInode(5002)).not.toHaveProperty('pathBase64');
  });

  it('reports the skipped lines', () => {
    expect(doc.problems).toContainEqual({ file: `${BASIC}/net/tcp`, line: 6, code: 12, reason: 'bad inode (not a decimal below 2^53)' });
    expect(doc.problems).toContainEqual(expect.objectContaining({ file: `${BASIC}/net/unix`, line: 7, reason: 'bad reference count' }));
  });

  it('has no names with -n, and the text listing names without it', () => {
    for (const s of doc.sockets as Obj[]) {
      if (s.proto === 'unix') continue;
      for (const e of [s.local, s.remote]) expect(Object.keys(e).sort()).toEqual(['address', 'port']);
    }
    const named = json([...FIX, '-t', '-W']);
    const text = netsnap([...FIX, '-t', '-W']).stdout.split('\n').filter((l) => l.startsWith('tcp '));
    const first = (named.sockets as Obj[])[0]!;
    const shown = (e: Obj) => `${e.name ?? e.address}:${e.service ?? (e.port === 0 ? '*' : e.port)}`;
    expect(text[0]!.split(/ +/).slice(3, 5)).toEqual([shown(first.local), shown(first.remote)]);
    expect(named.sockets.find((s: Obj) => s.inode === 1002).user).toBe(netsnap([...FIX, '-t', '-e']).stdout.split('\n')[3]!.split(/ +/)[6]);
  });
});

describe(`same rows as the text listing (${backend.name})`, () => {
  const cases = [[], ['-a'], ['-l'], ['-t'], ['-u', '-a'], ['-x'], ['-x', '-l'], ['-tuwx', '-a'], ['-4', '-a'], ['-6', '-a'], ['-A', 'inet6'], ['--raw', '-l'], ['-U', '-a']];
  for (const args of cases) {
    it(`netsnap ${args.join(' ') || '(no flags)'}`, () => {
      const rows = textRows([...FIX, ...args]);
      const doc = json([...FIX, ...args]);
      expect(jsonRows(doc)).toEqual(rows);
      const lines = ndjson([...FIX, ...args]);
      const sockets = lines.filter((l) => l.kind === 'socket').map(({ schema, kind, ...s }) => (void schema, void kind, s));
      expect(sockets).toEqual(doc.sockets);
      const problems = lines.filter((l) => l.kind === 'problem').map(({ schema, kind, ...p }) => (void schema, void kind, p));
      expect(problems).toEqual(doc.problems);
    });
  }
});

describe(`--ndjson of the basic fixture (${backend.name})`, () => {
  it('is one socket per line, then the problems', () => {
    const lines = ndjson([...FIX, '-a']);
    const kinds = lines.map((l) => l.kind);
    expect(kinds.filter((k) => k === 'socket')).toHaveLength(19);
    expect(kinds.lastIndexOf('socket')).toBeLessThan(kinds.indexOf('problem'));
    expect(lines.every((l) => l.schema === 'netsnap/v1')).toBe(true);
    expect(lines.find((l) => l.inode === 2001)!.owners.map((w: Obj) => w.pid)).toEqual([200, 201]);
  });
});

describe(`non-UTF-8 unix paths (${backend.name})`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-json-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'net'));
  const row = (inode: number, p: Buffer) =>
    Buffer.concat([Buffer.from(`0000000000000000: 00000002 00000000 00000000 0001 03 ${inode} `), p, Buffer.from('\n')]);
  fs.writeFileSync(path.join(dir, 'net', 'unix'), Buffer.concat([
    Buffer.from('Num       RefCount Protocol Flags    Type St Inode Path\n'),
    row(7001, Buffer.from([0x2f, 0x74, 0xff, 0xfe, 0x2e, 0x73])), // "/t\xff\xfe.s"
    row(7002, Buffer.from('/tmp/caf\u00e9 \u2603.sock', 'utf8')),
  ]));

  it('gives the exact bytes in pathBase64, and UTF-8 paths as they are', () => {
    const doc = json(['--proc-root', dir, '-x']);
    const [bad, good] = doc.sockets as Obj[];
    expect(Buffer.from(bad!.pathBase64, 'base64')).toEqual(Buffer.from([0x2f, 0x74, 0xff, 0xfe, 0x2e, 0x73]));
    expect(bad!.path).toBe('/t\ufffd\ufffd.s');
    expect(good!.path).toBe('/tmp/caf\u00e9 \u2603.sock');
    expect(good).not.toHaveProperty('pathBase64');
  });
});

describe(`live machine (${backend.name})`, () => {
  it('validates --json -a and --ndjson -a -p -e, names resolved or not', () => {
    const doc = json(['-a']);
    expect(doc.procRoot).toBe('/proc');
    expect(doc.owners).not.toBeNull();
    const numeric = json(['-a', '-n']);
    expect(numeric.sockets.length).toBeGreaterThan(0);
    const lines = ndjson(['-a', '-p', '-e', '-n']);
    expect(lines.filter((l) => l.kind === 'socket').length).toBeGreaterThan(0);
  });

  it('reads --pid PID through /proc/PID/net, and --all-netns output validates too', () => {
    const doc = json(['-a', '--pid', String(process.pid)]);
    expect(doc.netDir).toBe(`/proc/${process.pid}/net`);
    const all = netsnap(['--json', '-a', '--all-netns']);
    expect(all.status).toBe(0);
    const wrapped = JSON.parse(all.stdout) as Obj;
    valid(wrapped);
    expect(wrapped.kind).toBe('namespaces');
    const lines = netsnap(['--ndjson', '-x', '--all-netns']).stdout.split('\n').filter(Boolean);
    for (const l of lines) valid(JSON.parse(l));
  });

  it('lists sockets this process holds, with this process as owner', async () => {
    const net = await import('node:net');
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as { port: number }).port;
      const doc = json(['-l', '-t', '-n']);
      const mine = (doc.sockets as Obj[]).find((s) => s.local.port === port && s.local.address === '127.0.0.1')!;
      expect(mine).toMatchObject({ proto: 'tcp', file: 'tcp', family: 4, stateName: 'LISTEN', uid: process.getuid!() });
      expect(mine.owners.map((w: Obj) => w.pid)).toContain(process.pid);
    } finally {
      server.close();
    }
  });
});

describe(`-g --json carries the group memberships (${backend.name})`, () => {
  const GROUPS = path.join(ROOT, 'fixtures', 'groups', 'proc');
  it('as the document\'s groups and as ndjson group lines, in the text table\'s order', () => {
    const r = netsnap(['-gn', '--json', '--proc-root', GROUPS]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as { groups: Array<{ family: number; interface: string; refCount: number; group: string }> };
    valid(doc);
    const text = netsnap(['-gn', '--proc-root', GROUPS]).stdout.split('\n').slice(3).filter(Boolean);
    expect(doc.groups.map((g) => `${g.interface.padEnd(15)} ${String(g.refCount).padEnd(6)} ${g.group}`)).toEqual(text);
    expect(doc.groups.slice(0, 2)).toEqual([
      { family: 4, interface: 'lo', refCount: 1, group: '224.0.0.1' },
      { family: 4, interface: 'eth0', refCount: 2, group: '239.1.2.3' },
    ]);
    const lines = netsnap(['-gn', '--ndjson', '--proc-root', GROUPS]).stdout.trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    lines.forEach(valid);
    expect(lines.filter((l) => l.kind === 'group')).toHaveLength(doc.groups.length);
  });
});
