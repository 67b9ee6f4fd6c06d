// Sockets a live test opens itself on loopback, with their inodes, so it can look for exactly
// those in netsnap's, netstat's and ss's output.
import { spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { snapshot } from '../../src/backends/snapshot';

/** The socket inode behind a net or dgram object (through its private handle: tests only). */
export function inodeOf(handleOwner: object): number {
  let fd = (handleOwner as { _handle?: { fd?: number } })._handle?.fd;
  if (fd === undefined) {
    const state = Object.getOwnPropertySymbols(handleOwner).find((s) => String(s) === 'Symbol(state symbol)');
    fd = state && (handleOwner as Record<symbol, { handle?: { fd?: number } }>)[state]?.handle?.fd;
  }
  if (typeof fd !== 'number' || fd < 0) throw new Error('socket has no fd');
  return Number(fs.readlinkSync(`/proc/self/fd/${fd}`).match(/^socket:\[(\d+)\]$/)![1]);
}

export const once = <T>(emitter: NodeJS.EventEmitter, event: string) =>
  new Promise<T>((resolve, reject) => {
    emitter.once(event, (v: T) => resolve(v));
    emitter.once('error', reject);
  });

export interface TestSockets {
  tcpListener: { inode: number; port: number };
  /** Client side of an IPv4 connection that wrote `queued` bytes the server never read. */
  tcpClient: { inode: number; port: number };
  /** Server side of it: `queued` bytes wait in its receive queue. */
  tcpServerSide: { inode: number };
  queued: number;
  tcp6Listener: { inode: number; port: number };
  tcp6Client: { inode: number; port: number };
  tcp6ServerSide: { inode: number };
  mappedListener: { inode: number; port: number };
  mappedServerSide: { inode: number };
  udpBound: { inode: number; port: number };
  udpConnected: { inode: number; port: number; peerPort: number };
  udp6Bound: { inode: number; port: number };
  unixListener: { inode: number; path: string };
  unixClient: { inode: number };
  unixServerSide: { inode: number };
  abstractListener: { inode: number; name: string };
  holder: { pid: number; dgramInode: number; dgramPath: string; unboundInode: number; listenerInode: number; listenerPort: number };
  close(): Promise<void>;
}

export async function holderProcess(): Promise<{ child: ChildProcess; info: TestSockets['holder'] }> {
  const child = spawn('python3', [path.join(__dirname, 'holder.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout!.setEncoding('utf8');
  const info = await new Promise<TestSockets['holder']>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('holder.py did not report in 20 s')), 20_000);
    child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(JSON.parse(out) as TestSockets['holder']);
      }
    });
    child.once('exit', (code) => reject(new Error(`holder.py exited with ${code}`)));
  });
  return { child, info };
}

export async function openTestSockets(): Promise<TestSockets> {
  const closers: Array<() => void> = [];
  const queued = 4321;

  // TCP over IPv4: the server side stays paused, so the bytes stay in the kernel's queue.
  const server = net.createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const accepted = once<net.Socket>(server, 'connection');
  const client = net.connect(port, '127.0.0.1');
  await once(client, 'connect');
  const serverSide = await accepted;
  await new Promise<void>((resolve) => client.write(Buffer.alloc(queued, 0x61), () => resolve()));
  closers.push(() => { client.destroy(); serverSide.destroy(); server.close(); });

  const server6 = net.createServer({ pauseOnConnect: true });
  server6.listen(0, '::1');
  await once(server6, 'listening');
  const port6 = (server6.address() as net.AddressInfo).port;
  const accepted6 = once<net.Socket>(server6, 'connection');
  const client6 = net.connect(port6, '::1');
  await once(client6, 'connect');
  const serverSide6 = await accepted6;
  closers.push(() => { client6.destroy(); serverSide6.destroy(); server6.close(); });

  // An IPv6 socket bound to the IPv4-mapped loopback address: its rows are in tcp6 with ::ffff:127.0.0.1.
  const mapped = net.createServer({ pauseOnConnect: true });
  mapped.listen(0, '::ffff:127.0.0.1');
  await once(mapped, 'listening');
  const mappedPort = (mapped.address() as net.AddressInfo).port;
  const mappedAccepted = once<net.Socket>(mapped, 'connection');
  const mappedClient = net.connect(mappedPort, '127.0.0.1');
  await once(mappedClient, 'connect');
  const mappedServerSide = await mappedAccepted;
  closers.push(() => { mappedClient.destroy(); mappedServerSide.destroy(); mapped.close(); });

  const udp = dgram.createSocket('udp4');
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  const udpPort = udp.address().port;
  const udpc = dgram.createSocket('udp4');
  udpc.bind(0, '127.0.0.1');
  await once(udpc, 'listening');
  udpc.connect(udpPort, '127.0.0.1');
  await once(udpc, 'connect');
  const udp6 = dgram.createSocket('udp6');
  udp6.bind(0, '::1');
  await once(udp6, 'listening');
  closers.push(() => { udp.close(); udpc.close(); udp6.close(); });

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap live '));
  const unixPath = path.join(dir, 'has space.sock');
  const userver = net.createServer({ pauseOnConnect: true });
  userver.listen(unixPath);
  await once(userver, 'listening');
  const uaccepted = once<net.Socket>(userver, 'connection');
  const uclient = net.connect(unixPath);
  await once(uclient, 'connect');
  const userverSide = await uaccepted;
  const abstractName = `netsnap-test-${process.pid}-${Date.now()}`;
  const aserver = net.createServer();
  aserver.listen(`\0${abstractName}`);
  await once(aserver, 'listening');
  closers.push(() => { uclient.destroy(); userverSide.destroy(); userver.close(); aserver.close(); fs.rmSync(dir, { recursive: true, force: true }); });

  const { child, info } = await holderProcess();
  closers.push(() => { child.stdin!.end(); child.kill(); });

  return {
    tcpListener: { inode: inodeOf(server), port },
    tcpClient: { inode: inodeOf(client), port: client.localPort! },
    tcpServerSide: { inode: inodeOf(serverSide) },
    queued,
    tcp6Listener: { inode: inodeOf(server6), port: port6 },
    tcp6Client: { inode: inodeOf(client6), port: client6.localPort! },
    tcp6ServerSide: { inode: inodeOf(serverSide6) },
    mappedListener: { inode: inodeOf(mapped), port: mappedPort },
    mappedServerSide: { inode: inodeOf(mappedServerSide) },
    udpBound: { inode: inodeOf(udp), port: udpPort },
    udpConnected: { inode: inodeOf(udpc), port: udpc.address().port, peerPort: udpPort },
    udp6Bound: { inode: inodeOf(udp6), port: udp6.address().port },
    unixListener: { inode: inodeOf(userver), path: unixPath },
    unixClient: { inode: inodeOf(uclient) },
    unixServerSide: { inode: inodeOf(userverSide) },
    abstractListener: { inode: inodeOf(aserver), name: abstractName },
    holder: info,
    async close() {
      for (const c of closers.reverse()) c();
      await new Promise((r) => setTimeout(r, 10));
    },
  };
}

/**
 * TCP sockets whose local port is `port` (any address, both families) other than `ours` (inodes):
 * sockets bound to another loopback address (127.0.1.1:0 and the like) may get the same port
 * number as a test's listener at any time, and TIME_WAIT sockets (inode 0) of earlier ones stay.
 */
export function foreignOnPort(port: number, ours: ReadonlySet<number> = new Set()): number {
  let n = 0;
  for (const t of snapshot({ protocols: ['tcp'] }).inet) {
    for (let r = 0; r < t.count; r++) if (t.localPort[r] === port && !ours.has(t.inode[r]!)) n++;
  }
  return n;
}

/**
 * A TCP server listening on 127.0.0.1 on a port no other socket uses. Port 0 can be given a port
 * that TIME_WAIT (or SO_REUSEADDR) sockets of earlier connections still have as their local port,
 * and a test counting the sockets of its port would count those too: such a port is given back and
 * another one taken (bounded). Sockets bound to other addresses may still take the port number
 * later (see foreignOnPort).
 */
export async function listenOnQuietPort(server: net.Server, attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as net.AddressInfo).port;
    if (foreignOnPort(port, new Set([inodeOf(server)])) === 0) return port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  throw new Error(`no quiet port in ${attempts} attempts`);
}

/**
 * A TIME_WAIT socket on loopback: the client closes first, so its side waits. Returns the
 * listener's port (the TIME_WAIT row's remote port).
 */
export async function timeWaitOnLoopback(): Promise<number> {
  const tw = net.createServer((s) => s.on('end', () => s.end()));
  tw.listen(0, '127.0.0.1');
  await once(tw, 'listening');
  const port = (tw.address() as net.AddressInfo).port;
  const c = net.connect(port, '127.0.0.1');
  await once(c, 'connect');
  c.end();
  await once(c, 'close');
  tw.close();
  return port;
}

/**
 * Waits (at most a second) until a server holds no connection, and says how many it still holds:
 * a test before may have left a server side closing, which the next test's baseline would see alive.
 */
export async function serverIdle(server: net.Server): Promise<number> {
  const count = () => new Promise<number>((r) => server.getConnections((_e, n) => r(n ?? 0)));
  for (let k = 0; k < 100 && (await count()) > 0; k++) await new Promise((r) => setTimeout(r, 10));
  return count();
}
