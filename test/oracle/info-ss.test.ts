// --info, --memory, --cgroup against the real `ss -tinm --cgroup -e` on a loopback pair this test
// opens, with known transfers: bytesSent/bytesReceived are the payloads, bytesAcked one more (the
// SYN counts); mss, cwnd, rcvbuf, the cookie and the cgroup path are what ss prints for the same
// sockets (bytesAcked is one more on the connecting side only). A socket made inside a cgroup the test creates reports that group. The TypeScript backend
// refuses these options with one clear error.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { NetsnapError } from '../../src/model/errors';
import type { InetSocket } from '../../src/model/snapshot';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { once } from '../helpers/sockets';
import { valid } from '../helpers/schema';

const native = backend.name === 'native';
const CGROUP2 = '/sys/fs/cgroup/unified';

/** ss's second line for each socket of `port`, keyed by "local-port>remote-port". */
function ssDetails(port: number, flags = ['-tinmHe', '--cgroup']): Map<string, { head: string; detail: string }> {
  const r = spawnSync('ss', [...flags, `( sport = :${port} or dport = :${port} )`], { encoding: 'utf8', timeout: 20_000 });
  expect(r.status, r.stderr).toBe(0);
  const lines = r.stdout.split('\n');
  const out = new Map<string, { head: string; detail: string }>();
  for (let k = 0; k + 1 < lines.length; k++) {
    const head = lines[k]!;
    if (!head.startsWith('ESTAB')) continue;
    const f = head.trim().split(/\s+/);
    const lp = f[3]!.slice(f[3]!.lastIndexOf(':') + 1);
    const rp = f[4]!.slice(f[4]!.lastIndexOf(':') + 1);
    out.set(`${lp}>${rp}`, { head, detail: lines[k + 1] ?? '' });
  }
  return out;
}

/** `key:value` of ss's detail line (the first occurrence). */
function ssValue(detail: string, key: string): string | undefined {
  const m = new RegExp(`(?:^|\\s)${key}:(\\S+)`).exec(detail);
  return m?.[1];
}

function find(rows: InetSocket[], local: number, remote: number): InetSocket {
  const s = rows.find((r) => r.localPort === local && r.remotePort === remote && r.stateName === 'ESTABLISHED');
  expect(s, `no ESTABLISHED row ${local}>${remote}`).toBeDefined();
  return s!;
}

describe.skipIf(!native)('--info, --memory and --cgroup against ss (native)', () => {
  let server: net.Server;
  let client: net.Socket;
  let accepted: net.Socket;
  let port = 0;
  let clientPort = 0;

  beforeAll(async () => {
    server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
    const acceptedP = once<net.Socket>(server, 'connection');
    client = net.connect(port, '127.0.0.1');
    await once(client, 'connect');
    accepted = await acceptedP;
    clientPort = client.localPort!;
    // Known transfers, each read whole by the other side before anything is measured.
    const got = (s: net.Socket, n: number) =>
      new Promise<void>((resolve) => {
        let seen = 0;
        s.on('data', (b: Buffer) => {
          seen += b.length;
          if (seen >= n) resolve();
        });
      });
    const serverGot = got(accepted, 1000);
    const clientGot = got(client, 500);
    client.write(Buffer.alloc(1000, 1));
    accepted.write(Buffer.alloc(500, 2));
    await Promise.all([serverGot, clientGot]);
  });

  afterAll(() => {
    client?.destroy();
    accepted?.destroy();
    server?.close();
  });

  it('counts the bytes of known transfers, and agrees with ss on mss, cwnd, rcvbuf, cookie and cgroup', async () => {
    // Acks of the last segments may still be on their way: read until both sides are quiet (bounded).
    let rows: InetSocket[] = [];
    for (let k = 0; k < 50; k++) {
      rows = [...snapshot({ protocols: ['tcp'], families: [4], info: true, memory: true, cgroup: true }).inetSockets()];
      const c = find(rows, clientPort, port);
      const s = find(rows, port, clientPort);
      if (c.info?.bytesAcked === 1001 && s.info?.bytesAcked === 500 && c.info?.unacked === 0 && s.info?.unacked === 0) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const c = find(rows, clientPort, port);
    const s = find(rows, port, clientPort);
    expect([c.info?.bytesSent, c.info?.bytesReceived, c.info?.bytesAcked]).toEqual([1000, 500, 1001]);
    // The connecting side's SYN counts as one acknowledged byte; the accepting side's SYN-ACK does not
    // (the kernel starts bytes_acked at 1 only in tcp_finish_connect), as ss shows for the same pair.
    expect([s.info?.bytesSent, s.info?.bytesReceived, s.info?.bytesAcked]).toEqual([500, 1000, 500]);
    expect(c.congestion).toBe(fs.readFileSync('/proc/sys/net/ipv4/tcp_congestion_control', 'utf8').trim());

    const ss = ssDetails(port);
    for (const row of [c, s]) {
      const line = ss.get(`${row.localPort}>${row.remotePort}`);
      expect(line, `ss shows no ${row.localPort}>${row.remotePort}`).toBeDefined();
      const d = line!.detail;
      expect(String(row.info!.mss)).toBe(ssValue(d, 'mss'));
      expect(String(row.info!.cwnd)).toBe(ssValue(d, 'cwnd'));
      expect(String(row.info!.bytesSent)).toBe(ssValue(d, 'bytes_sent'));
      expect(String(row.info!.bytesReceived)).toBe(ssValue(d, 'bytes_received'));
      const skmem = /skmem:\(r(\d+),rb(\d+),t(\d+),tb(\d+)/.exec(d);
      expect(skmem).not.toBeNull();
      expect(row.memory?.rcvbuf).toBe(Number(skmem![2]));
      expect(row.memory?.sndbuf).toBe(Number(skmem![4]));
      expect(BigInt(row.cookie!).toString(16)).toBe(ssValue(line!.head, 'sk'));
      expect(row.cgroup).toBe(ssValue(line!.head, 'cgroup'));
    }
  });

  it('prints ss-style detail lines under the rows, and every field in --json', () => {
    const text = netsnap(['-tn', '--info', '--memory', '--cgroup']);
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.split('\n');
    // The client's row: its own address is the Local Address column.
    const at = lines.findIndex((l) => new RegExp(`^tcp\\s+\\d+\\s+\\d+\\s+127\\.0\\.0\\.1:${clientPort}\\s+127\\.0\\.0\\.1:${port}\\s`).test(l));
    expect(at).toBeGreaterThan(1);
    const detail = lines[at + 1]!;
    expect(detail.startsWith('\t ')).toBe(true);
    expect(detail).toContain(' bytes_sent:1000 ');
    expect(detail).toContain(' bytes_received:500 ');
    expect(detail).toMatch(/ skmem:\(r\d+,rb\d+,t\d+,tb\d+,f\d+,w\d+,o\d+,bl\d+,d\d+\) /);
    expect(detail).toMatch(/ cgroup:\/\S* /);
    expect(detail).toMatch(/ rtt:[0-9.]+\/[0-9.]+ /);

    const json = netsnap(['-tn', '--info', '--memory', '--cgroup', '--json']);
    expect(json.status, json.stderr).toBe(0);
    const doc = JSON.parse(json.stdout) as { sockets: Array<Record<string, unknown> & { local: { port: number }; remote: { port: number } }> };
    valid(doc);
    for (const line of netsnap(['-tan', '--info', '--memory', '--cgroup', '-p', '--ndjson']).stdout.trim().split('\n')) valid(JSON.parse(line));
    const row = doc.sockets.find((x) => x.local.port === clientPort && x.remote.port === port)!;
    expect(row).toBeDefined();
    expect(typeof row.cookie).toBe('string');
    expect(row.cgroupId).toMatch(/^\d+$/);
    expect(typeof row.cgroup).toBe('string');
    const info = row.info as Record<string, number>;
    expect([info.bytesSent, info.bytesReceived]).toEqual([1000, 500]);
    for (const k of ['rttUs', 'rttVarUs', 'minRttUs', 'rtoUs', 'cwnd', 'ssthresh', 'mss', 'bytesAcked', 'bytesRetrans', 'segsOut', 'segsIn', 'totalRetrans', 'lost', 'unacked', 'sacked', 'reordering', 'deliveryRateBytesPerSec', 'pacingRateBytesPerSec', 'busyUs', 'rwndLimitedUs', 'sndbufLimitedUs', 'lastSendMs', 'lastRecvMs', 'lastAckMs', 'notsentBytes', 'sndWnd', 'rcvWnd', 'rcvSpace']) {
      expect(typeof info[k], k).toBe('number');
    }
    const memory = row.memory as Record<string, number>;
    expect(Object.keys(memory)).toEqual(['rmemAlloc', 'rcvbuf', 'wmemAlloc', 'sndbuf', 'fwdAlloc', 'wmemQueued', 'optmem', 'backlog', 'drops']);
  });

  it('prints the detail line ss prints, field for field, for both ends of the pair', async () => {
    // ss -tinm (no -o or -e, so no "ts sack"): skmem, then tcp_info. Left out of the comparison: the times
    // since the last send, receive and ack (they tick between the two runs), ss's bbr:(...) (netsnap
    // asks no congestion control internals), and what this ss (iproute2 6.1) does not know of this
    // kernel's tcp_info (rcv_wnd).
    const tokens = (line: string) => line.trim().split(/\s+/).filter((t) => !/^(last(snd|rcv|ack)|rcv_wnd):|^bbr:\(/.test(t));
    const ours = (local: number, remote: number) => {
      const r = netsnap(['-tn', '--info', '--memory', `sport = :${local} and dport = :${remote}`]);
      expect(r.status, r.stderr).toBe(0);
      const lines = r.stdout.split('\n');
      const at = lines.findIndex((l) => new RegExp(`127\\.0\\.0\\.1:${local}\\s+127\\.0\\.0\\.1:${remote}\\s`).test(l));
      expect(at, r.stdout).toBeGreaterThan(1);
      return lines[at + 1]!;
    };
    // Equal when nothing moved between the two runs: a few tries, bounded, for a late ack's change.
    let last: { ours: string[]; ss: string[] } | null = null;
    for (let k = 0; k < 5; k++) {
      const pairs = [[clientPort, port], [port, clientPort]] as const;
      const got = pairs.map(([l, r]) => tokens(ours(l, r)));
      const ss = ssDetails(port, ['-tinmH']);
      const want = pairs.map(([l, r]) => tokens(ss.get(`${l}>${r}`)?.detail ?? ''));
      last = { ours: got.flat(), ss: want.flat() };
      if (JSON.stringify(got) === JSON.stringify(want)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(last!.ours.length).toBeGreaterThan(15);
    expect(last!.ours).toEqual(last!.ss);
    expect(last!.ours).toContain('bytes_sent:1000');
  });

  it('gives TIME_WAIT sockets info: null (the kernel keeps no tcp_info for them)', async () => {
    const srv = net.createServer((sock) => sock.end());
    srv.listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const p = (srv.address() as net.AddressInfo).port;
    const cl = net.connect(p, '127.0.0.1');
    await once(cl, 'connect');
    const local = cl.localPort!;
    cl.end();
    await once(cl, 'close');
    srv.close();
    const rows = [...snapshot({ protocols: ['tcp'], families: [4], info: true, memory: true, cgroup: true, tcpStates: 1 << 6 }).inetSockets()];
    // The server closed first: its side is in TIME_WAIT.
    const tw = rows.find((r) => r.localPort === p && r.remotePort === local);
    expect(tw?.stateName).toBe('TIME_WAIT');
    expect([tw!.info, tw!.memory, tw!.congestion, tw!.cgroup]).toEqual([null, null, null, null]);
    expect(tw!.cgroupId).toBeUndefined();
  });

  it('reports the cgroup a socket was made in (a group this test creates)', async (ctx) => {
    if (process.getuid?.() !== 0 || !fs.existsSync(`${CGROUP2}/cgroup.procs`)) ctx.skip(`needs root and a cgroup2 mount at ${CGROUP2}`);
    const group = `${CGROUP2}/netsnap-test-${process.pid}`;
    fs.mkdirSync(group);
    let child: ChildProcess | null = null;
    try {
      // The child moves itself into the group before it makes its listener.
      child = spawn('sh', ['-c', `echo $$ > ${group}/cgroup.procs && exec ${process.execPath} -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>console.log(s.address().port));setTimeout(()=>{},60000)"`], { stdio: ['ignore', 'pipe', 'inherit'] });
      const p = Number(String(await once<Buffer>(child.stdout!, 'data')).trim());
      expect(p).toBeGreaterThan(0);
      const rows = [...snapshot({ protocols: ['tcp'], families: [4], cgroup: true, tcpStates: 1 << 10 }).inetSockets()];
      const l = rows.find((r) => r.localPort === p);
      expect(l?.cgroup).toBe(`/netsnap-test-${process.pid}`);
      expect(l?.cgroupId).toBe(String(fs.statSync(group, { bigint: true }).ino));
      const r = spawnSync('ss', ['-tlnH', '--cgroup', `sport = :${p}`], { encoding: 'utf8', timeout: 20_000 });
      expect(r.stdout).toContain(`cgroup:/netsnap-test-${process.pid}`);
    } finally {
      if (child) {
        child.kill('SIGKILL');
        await once(child, 'exit');
      }
      // The group can only go once the child has left it (its exit does that).
      for (let k = 0; k < 50 && fs.existsSync(group); k++) {
        try {
          fs.rmdirSync(group);
        } catch {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
    }
  });
});

describe.skipIf(native)('--info, --memory and --cgroup on the TypeScript backend', () => {
  it('refuses them with ERR_NEEDS_NATIVE, in the library and the CLI, before reading anything', () => {
    for (const o of [{ info: true }, { memory: true }, { cgroup: true }]) {
      let err: unknown = null;
      try {
        snapshot({ protocols: ['tcp'], ...o });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NetsnapError);
      expect((err as NetsnapError).code).toBe('ERR_NEEDS_NATIVE');
    }
    for (const flag of ['--info', '--memory', '--cgroup']) {
      const r = netsnap(['-tn', flag]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^netsnap: '(info|memory|cgroup)' come from the kernel's netlink socket dump, which only the native backend reads/);
    }
  });
});
