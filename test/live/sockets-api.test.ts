import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InetSocket, type Snapshot, type UnixSocket } from '../../src/model/snapshot';
import { sample, snapshot } from '../../src/backends/snapshot';
import { openTestSockets, type TestSockets } from '../helpers/sockets';
import { backend } from '../helpers/env';

let s: TestSockets;
let snap: Snapshot;
let byInode: Map<number, InetSocket | UnixSocket>;

beforeAll(async () => {
  s = await openTestSockets();
  snap = snapshot({ owners: true });
  byInode = new Map();
  for (const r of snap.inetSockets()) byInode.set(r.inode, r);
  for (const r of snap.unixSockets()) byInode.set(r.inode, r);
});
afterAll(async () => {
  await s?.close();
});

const inet = (inode: number) => {
  const r = byInode.get(inode);
  if (!r || r.proto === 'unix') throw new Error(`inet socket ${inode} not found`);
  return r;
};
const unix = (inode: number) => {
  const r = byInode.get(inode);
  if (!r || r.proto !== 'unix') throw new Error(`unix socket ${inode} not found`);
  return r;
};
const ownerPids = (r: { owners: Array<{ pid: number }> }) => r.owners.map((o) => o.pid);

describe(`live loopback sockets opened by this test (${backend.name})`, () => {
  it('finds the TCP listener with its address, state and owner', () => {
    const r = inet(s.tcpListener.inode);
    expect([r.file, r.localAddress, r.localPort, r.remoteAddress, r.remotePort, r.stateName]).toEqual(['tcp', '127.0.0.1', s.tcpListener.port, '0.0.0.0', 0, 'LISTEN']);
    expect(ownerPids(r)).toEqual([process.pid]);
    expect(r.uid).toBe(process.getuid!());
  });

  it('finds both ends of the established pair, with the unread bytes in Recv-Q', () => {
    const c = inet(s.tcpClient.inode);
    expect([c.localPort, c.remotePort, c.stateName, c.txQueue]).toEqual([s.tcpClient.port, s.tcpListener.port, 'ESTABLISHED', 0]);
    const srv = inet(s.tcpServerSide.inode);
    expect([srv.localPort, srv.remotePort, srv.stateName, srv.rxQueue]).toEqual([s.tcpListener.port, s.tcpClient.port, 'ESTABLISHED', s.queued]);
    expect(ownerPids(srv)).toEqual([process.pid]);
    expect(srv.owners[0]!.fd).toBeGreaterThan(2);
  });

  it('finds the IPv6 listener and connection on ::1', () => {
    const l = inet(s.tcp6Listener.inode);
    expect([l.file, l.family, l.localAddress, l.localPort, l.remoteAddress, l.stateName]).toEqual(['tcp6', 6, '::1', s.tcp6Listener.port, '::', 'LISTEN']);
    const c = inet(s.tcp6Client.inode);
    expect([c.localAddress, c.remoteAddress, c.remotePort, c.stateName]).toEqual(['::1', '::1', s.tcp6Listener.port, 'ESTABLISHED']);
    expect(ownerPids(inet(s.tcp6ServerSide.inode))).toEqual([process.pid]);
  });

  it('shows an IPv4 connection to an IPv6 socket with IPv4-mapped addresses in tcp6', () => {
    const l = inet(s.mappedListener.inode);
    expect([l.file, l.localAddress, l.localPort]).toEqual(['tcp6', '::ffff:127.0.0.1', s.mappedListener.port]);
    const srv = inet(s.mappedServerSide.inode);
    expect([srv.file, srv.localAddress, srv.remoteAddress, srv.stateName]).toEqual(['tcp6', '::ffff:127.0.0.1', '::ffff:127.0.0.1', 'ESTABLISHED']);
  });

  it('finds UDP sockets, bound and connected, IPv4 and IPv6', () => {
    const b = inet(s.udpBound.inode);
    expect([b.file, b.localAddress, b.localPort, b.remotePort, b.state]).toEqual(['udp', '127.0.0.1', s.udpBound.port, 0, 7]);
    const c = inet(s.udpConnected.inode);
    expect([c.localPort, c.remoteAddress, c.remotePort, c.stateName]).toEqual([s.udpConnected.port, '127.0.0.1', s.udpConnected.peerPort, 'ESTABLISHED']);
    const b6 = inet(s.udp6Bound.inode);
    expect([b6.file, b6.localAddress, b6.localPort]).toEqual(['udp6', '::1', s.udp6Bound.port]);
    expect(ownerPids(c)).toEqual([process.pid]);
  });

  it('finds UNIX stream sockets with the whole path (space included) and abstract names with @', () => {
    const l = unix(s.unixListener.inode);
    expect([l.typeName, l.stateName, l.path, l.flags & 0x10000]).toEqual(['STREAM', 'LISTENING', s.unixListener.path, 0x10000]);
    expect(unix(s.unixClient.inode).stateName).toBe('CONNECTED');
    const a = unix(s.abstractListener.inode);
    expect(a.stateName).toBe('LISTENING');
    // Node binds abstract names with the whole sun_path; the kernel prints the padding NULs as '@'.
    expect(a.path).toMatch(new RegExp(`^@${s.abstractListener.name}@*$`));
    expect(ownerPids(a)).toEqual([process.pid]);
  });

  it('finds UNIX datagram sockets and a listener with unaccepted connections held by another process', () => {
    const d = unix(s.holder.dgramInode);
    expect([d.typeName, d.path, ownerPids(d)]).toEqual(['DGRAM', s.holder.dgramPath, [s.holder.pid]]);
    const u = unix(s.holder.unboundInode);
    expect([u.typeName, u.path]).toEqual(['DGRAM', null]);
    const l = inet(s.holder.listenerInode);
    expect([l.stateName, l.localPort, l.rxQueue, ownerPids(l)]).toEqual(['LISTEN', s.holder.listenerPort, 3, [s.holder.pid]]);
    expect(snap.owners!.process(s.holder.pid)!.comm).toBe('python3');
  });

  it('the async sample finds the same sockets', async () => {
    const a = await sample({ owners: true, protocols: ['tcp', 'unix'] });
    const inodes = new Set([...a.inetSockets(), ...a.unixSockets()].map((r) => r.inode));
    for (const ino of [s.tcpListener.inode, s.tcpServerSide.inode, s.tcp6Client.inode, s.unixListener.inode, s.holder.dgramInode]) {
      expect(inodes.has(ino)).toBe(true);
    }
    expect(a.owners!.ownersOf(s.tcpServerSide.inode).map((o) => o.pid)).toEqual([process.pid]);
  });

  it('reports no problem on the real /proc files', () => {
    expect(snap.problems).toEqual([]);
  });
});
