// netsnap's filters against ss's: the same expression through `ss -tanH EXPR` and `netsnap -tanW EXPR`
// selects the same (local, remote, state) rows among the sockets this test opens on loopback.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as readline from 'node:readline';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { netsnap } from '../helpers/cli';
import { backend } from '../helpers/env';
import { once, timeWaitOnLoopback } from '../helpers/sockets';
import { parseFilter } from '../../src/filter/parse';
import { TCP_STATES } from '../../src/model/states';
import { findCgroup2Mount } from '../../src/owners/cgroup_path';

const servers: net.Server[] = [];
const clients: net.Socket[] = [];
/**
 * Ports: listeners on 127.0.0.1, 127.0.0.2, ::1, a dual-stack one on ::, the TIME_WAIT row's peer, and a
 * listener whose accepted side never closes (its client half-closes: FIN_WAIT2 and CLOSE_WAIT).
 */
let P1 = 0, P2 = 0, P6 = 0, PD = 0, PT = 0, PH = 0;
let ports = new Set<number>();
const ssPresent = spawnSync('ss', ['-V'], { encoding: 'utf8' }).status === 0;

async function listen(host: string, allowHalfOpen = false): Promise<number> {
  const s = net.createServer({ allowHalfOpen }, (c) => {
    clients.push(c);
  });
  servers.push(s);
  s.listen(0, host);
  await once(s, 'listening');
  return (s.address() as net.AddressInfo).port;
}

async function connect(port: number, host: string): Promise<void> {
  const c = net.connect(port, host);
  clients.push(c);
  await once(c, 'connect');
}

beforeAll(async () => {
  if (!ssPresent) return;
  P1 = await listen('127.0.0.1');
  P2 = await listen('127.0.0.2');
  P6 = await listen('::1');
  PD = await listen('::');
  await connect(P1, '127.0.0.1');
  await connect(P1, '127.0.0.1');
  await connect(P2, '127.0.0.2');
  await connect(P6, '::1');
  await connect(PD, '127.0.0.1');
  PT = await timeWaitOnLoopback();
  PH = await listen('127.0.0.1', true);
  const half = net.connect({ port: PH, host: '127.0.0.1', allowHalfOpen: true });
  clients.push(half);
  await once(half, 'connect');
  half.end();
  await new Promise((r) => setTimeout(r, 50)); // the FIN arrives
  ports = new Set([P1, P2, P6, PD, PT, PH]);
  await new Promise((r) => setTimeout(r, 50)); // accepted sockets settle
});

afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
});

const STATE: Record<string, string> = {
  ESTAB: 'ESTABLISHED', UNCONN: 'CLOSE', 'FIN-WAIT-1': 'FIN_WAIT1', 'FIN-WAIT-2': 'FIN_WAIT2',
};

/**
 * "host port" with brackets, a bound device and the IPv4-mapped prefix dropped (netstat prints mapped addresses as
 * IPv4), ss's `*` (a dual-stack wildcard) as `::`, and `*` as port 0.
 */
function endpoint(text: string): [string, number] {
  const c = text.lastIndexOf(':');
  // ss appends the bound device (`127.0.0.1%lo`); netstat does not print it.
  const host = text.slice(0, c).replace(/%[^%\]]+$/, '').replace(/^\[(.*)\]$/, '$1').replace(/^::ffff:(\d+\.\d+\.\d+\.\d+)$/, '$1').replace(/^\*$/, '::');
  const port = text.slice(c + 1);
  return [host, port === '*' ? 0 : Number(port)];
}

/** The rows of ours among lines of "local remote state", sorted. */
function ourRows(rows: Array<[string, string, string]>): string[] {
  const out: string[] = [];
  for (const [l, r, state] of rows) {
    const [lh, lp] = endpoint(l);
    const [rh, rp] = endpoint(r);
    if (!ports.has(lp) && !ports.has(rp)) continue;
    out.push(`${lh}:${lp} ${rh}:${rp} ${state}`);
  }
  return out.sort();
}

function viaSs(args: string[]): string[] {
  // ss reads state/exclude words only as words of their own (the rest it joins): split on spaces.
  const r = spawnSync('ss', ['-tanH', ...args.flatMap((a) => a.split(/\s+/))], { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' }, timeout: 60_000 });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  // ss leaves out the State column when the state words allow exactly one state.
  const bits = parseFilter(args.join(' ')).states;
  const only = bits !== null && (bits & (bits - 1)) === 0 ? TCP_STATES[Math.log2(bits)]! : null;
  return ourRows(
    r.stdout.split('\n').filter(Boolean).map((line) => {
      const f = line.trim().split(/\s+/);
      if (only !== null) f.unshift(only);
      const st = f[0]!;
      return [f[3]!, f[4]!, STATE[st] ?? st.replace(/-/g, '_')];
    }),
  );
}

function viaNetsnap(args: string[]): string[] {
  const r = netsnap(['-tanW', ...args]);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return ourRows(
    r.stdout.split('\n').filter((l) => /^tcp6? /.test(l)).map((line) => {
      const f = line.trim().split(/\s+/);
      return [f[3]!, f[4]!, f[5]!];
    }),
  );
}

describe(`netsnap -tan FILTER against ss -tan FILTER (${backend.name})`, () => {
  const corpus = (): string[][] => [
    ['state established'], ['state listening'], ['state time-wait'], ['state connected'], ['state synchronized'],
    ['state bucket'], ['state big'], ['state all'], ['exclude listening'], ['exclude established exclude time-wait'],
    ['state listening state established'],
    [`sport = :${P1}`], [`dport == :${P1}`], [`dport != :${P1}`], [`sport ge :${P2}`], [`dport > :${P1}`],
    [`sport le :${P6}`], [`sport < :${P1}`], [`dport eq :${P6}`], [`sport ne :${P1}`], [`dport lt :${P6}`], [`dport <= :${P6}`],
    [`dport gt :${P2}`], [`sport >= :${PD}`],
    ['src 127.0.0.1'], [`src 127.0.0.2:${P2}`], ['dst 127.0.0.0/8'], ['src [::1]'], [`dst [::1]:${P6}`], [`src *:${P1}`],
    [`src 127.0.0.1:${PD}`], [`dst 127.0.0.0/8 and sport = :${PD}`], [`src [::ffff:127.0.0.1]:${PD}`],
    [`src = 127.0.0.1 and not dport = :${P1}`],
    [`state established ( sport = :${P1} or dport = :${P1} )`],
    ['not ( src 127.0.0.1 || src [::1] )'],
    [`src 127.0.0.2 or ( dst [::1] && ! sport :${P6} )`],
    [`( ( sport = :${P2} ) or ( not ( dport != :${P6} ) ) ) src 127.0.0.0/8`],
    ['state', 'established', '(', 'dport', '=', `:${P1}`, ')'],
    [`dport = :${PT}`], [`state time-wait dport = :${PT}`],
    ['state close-wait'], ['state fin-wait-2'], [`exclude close-wait exclude fin-wait-2 sport = :${PH}`], ['state closing state last-ack'],
  ];

  const sources: Array<[string, string[]]> = [['the default source', []], ['the /proc source', ['--source', 'proc']]];
  for (const [name, source] of sources) it(`selects the same rows of ours as ss for every expression of the corpus (${name})`, (ctx) => {
    if (!ssPresent) ctx.skip('ss is not installed');
    const list = corpus();
    expect(list.length).toBeGreaterThanOrEqual(25);
    const seen = new Set<string>();
    let nonEmpty = 0;
    for (const expr of list) {
      // Sockets of other tests come and go between the two runs: retry a differing pair a few times.
      let theirs: string[] = [];
      let ours: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        theirs = viaSs(expr);
        ours = viaNetsnap([...source, ...expr]);
        if (JSON.stringify(theirs) === JSON.stringify(ours)) break;
      }
      expect(ours, expr.join(' ')).toEqual(theirs);
      if (ours.length > 0) nonEmpty++;
      seen.add(JSON.stringify(ours));
    }
    // The corpus tells rows apart: most expressions keep some rows, and they keep different ones.
    expect(nonEmpty).toBeGreaterThanOrEqual(list.length - 3);
    expect(seen.size).toBeGreaterThanOrEqual(15);
  });

  it('sees the sockets it opened (the comparison is not over nothing)', (ctx) => {
    if (!ssPresent) ctx.skip('ss is not installed');
    const all = viaNetsnap([]);
    expect(all).toContain(`127.0.0.1:${P1} 0.0.0.0:0 LISTEN`);
    expect(all).toContain(`127.0.0.2:${P2} 0.0.0.0:0 LISTEN`);
    expect(all).toContain(`::1:${P6} :::0 LISTEN`);
    expect(all.filter((r) => r.endsWith(`:${PT} TIME_WAIT`)).length).toBeGreaterThan(0);
    expect(all.filter((r) => r.startsWith(`127.0.0.1:${PD} `) && r.endsWith('ESTABLISHED'))).toHaveLength(1);
    expect(viaNetsnap([`state established src 127.0.0.1:${P1}`])).toHaveLength(2);
    expect(all.filter((r) => r.endsWith(`127.0.0.1:${PH} FIN_WAIT2`))).toHaveLength(1);
    expect(all.filter((r) => r.startsWith(`127.0.0.1:${PH} 127.0.0.1:`) && r.endsWith(' CLOSE_WAIT'))).toHaveLength(1);
  });
});

/**
 * dev, autobound and cgroup: what only the netlink dump carries. A helper process in a cgroup of
 * this test's own holds a listener bound to lo, a client whose port the kernel chose and one bound
 * to its port (ss: autobound is "the kernel chose the port").
 */
describe(`netlink-only words against ss (${backend.name})`, () => {
  const mount = findCgroup2Mount();
  const canRun = ssPresent && mount !== null && process.getuid?.() === 0;
  let holder: ChildProcess | null = null;
  let group = '';
  let held = { listenerPort: 0, autoPort: 0, fixedPort: 0 };

  beforeAll(async () => {
    if (!canRun) return;
    group = `/netsnap-filter-${process.pid}`;
    fs.mkdirSync(path.join(mount!, group), { recursive: true });
    holder = spawn('python3', [path.join(__dirname, '..', 'helpers', 'bound_holder.py'), path.join(mount!, group)], { stdio: ['pipe', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      const rl = readline.createInterface({ input: holder!.stdout! });
      rl.once('line', resolve);
      holder!.once('exit', (code) => reject(new Error(`bound_holder.py exited with ${code}`)));
    });
    held = JSON.parse(line) as typeof held;
    for (const p of [held.listenerPort, held.autoPort, held.fixedPort]) ports.add(p);
  });

  afterAll(async () => {
    if (holder) {
      holder.stdin!.end();
      if (holder.exitCode === null) await once(holder, 'exit');
    }
    if (group !== '') fs.rmdirSync(path.join(mount!, group));
  });

  const corpus = (): string[][] => [
    // Not `not autobound`: ss 6.1 lists an explicitly bound client under neither `autobound` nor
    // `not autobound` (checked by hand); the kernel's rule is tested on its own below.
    ['dev = lo'], ['dev != lo'], ['dev = 1 or sport = :' + held.autoPort], ['autobound'],
    [`autobound and dport = :${held.listenerPort}`], [`cgroup = ${group}`], [`cgroup = ${group} and autobound`],
    [`state established cgroup = ${group}`], [`( dev = lo or cgroup = ${group} ) and src 127.0.0.0/8`],
  ];

  it('selects the same rows of ours as ss (native: the kernel runs them) or refuses them (TypeScript backend)', (ctx) => {
    if (!canRun) ctx.skip('needs ss, a cgroup2 mount and root');
    // What the helper holds is there at all.
    const all = viaNetsnap([]);
    expect(all).toContain(`127.0.0.1:${held.listenerPort} 0.0.0.0:0 LISTEN`);
    expect(all).toContain(`127.0.0.1:${held.autoPort} 127.0.0.1:${held.listenerPort} ESTABLISHED`);
    expect(all).toContain(`127.0.0.1:${held.fixedPort} 127.0.0.1:${held.listenerPort} ESTABLISHED`);
    let nonEmpty = 0;
    for (const expr of corpus()) {
      if (backend.name === 'js') {
        const r = netsnap(['-tanW', ...expr]);
        expect(r.status, expr.join(' ')).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(/only the native backend reads/);
        continue;
      }
      let theirs: string[] = [];
      let ours: string[] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        theirs = viaSs(expr);
        ours = viaNetsnap(expr);
        if (JSON.stringify(theirs) === JSON.stringify(ours)) break;
      }
      expect(ours, expr.join(' ')).toEqual(theirs);
      if (ours.length > 0) nonEmpty++;
    }
    if (backend.name === 'native') {
      expect(nonEmpty).toBeGreaterThanOrEqual(8);
      // The words decide: the device-bound sockets, the cgroup's five sockets, the fixed client not autobound.
      // The device-bound listener and the two sockets it accepted (they inherit the device); the clients are not bound.
      const onLo = viaNetsnap(['dev = lo']);
      expect(onLo.filter((r) => r.startsWith(`127.0.0.1:${held.listenerPort} `))).toHaveLength(3);
      expect(onLo.filter((r) => r.startsWith(`127.0.0.1:${held.autoPort} `) || r.startsWith(`127.0.0.1:${held.fixedPort} `))).toHaveLength(0);
      expect(viaNetsnap([`cgroup = ${group}`]).length).toBeGreaterThanOrEqual(5);
      expect(viaNetsnap(['autobound'])).not.toContain(`127.0.0.1:${held.fixedPort} 127.0.0.1:${held.listenerPort} ESTABLISHED`);
      expect(viaNetsnap(['autobound'])).toContain(`127.0.0.1:${held.autoPort} 127.0.0.1:${held.listenerPort} ESTABLISHED`);
      // The kernel's rule (no SOCK_BINDPORT_LOCK): `not autobound` holds exactly the explicitly bound client of ours.
      const notAuto = viaNetsnap(['not autobound']).filter((r) => r.includes(`:${held.listenerPort} `) || r.endsWith(`:${held.listenerPort} ESTABLISHED`));
      expect(notAuto).toEqual([`127.0.0.1:${held.fixedPort} 127.0.0.1:${held.listenerPort} ESTABLISHED`]);
    }
  });
});
