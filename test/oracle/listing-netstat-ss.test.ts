import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestSockets, type TestSockets } from '../helpers/sockets';
import { netsnap } from '../helpers/cli';
import { backend } from '../helpers/env';
import { snapshot } from '../../src/backends/snapshot';

let s: TestSockets;
let inodes: number[];

function tool(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'latin1', env: { ...process.env, LANG: 'C', LC_ALL: 'C' }, timeout: 60_000, maxBuffer: 256 << 20 });
  if (r.error) throw r.error;
  return r.stdout;
}

/** The lines of a -e listing that belong to `inode` (the inode column is bounded by spaces). */
function linesOf(text: string, inode: number): string[] {
  return text.split('\n').filter((l) => new RegExp(`\\s${inode}\\s`).test(` ${l} `) && !l.startsWith('Proto'));
}

beforeAll(async () => {
  s = await openTestSockets();
  inodes = [
    s.tcpListener.inode, s.tcpClient.inode, s.tcpServerSide.inode, s.tcp6Listener.inode, s.tcp6Client.inode,
    s.tcp6ServerSide.inode, s.udpBound.inode, s.udpConnected.inode, s.udp6Bound.inode, s.unixClient.inode, s.mappedListener.inode, s.mappedServerSide.inode,
    s.abstractListener.inode, s.holder.unboundInode, s.holder.listenerInode,
  ];
});
afterAll(async () => {
  await s?.close();
});

describe(`netsnap against the real netstat and ss (${backend.name})`, () => {
  it('netsnap -tuxanpeW prints exactly the lines netstat -tuxanpeW prints for our sockets', () => {
    const theirs = tool('netstat', ['-tuxanpeW']);
    const ours = netsnap(['-tuxanpeW']);
    expect(ours.status).toBe(0);
    for (const inode of inodes) {
      const t = linesOf(theirs, inode);
      expect(t.length, `netstat shows inode ${inode}`).toBeGreaterThan(0);
      expect(linesOf(ours.stdout, inode)).toEqual(t);
    }
    // Headers are the same too.
    expect(ours.stdout.split('\n').filter((l) => l.startsWith('Proto') || l.startsWith('Active'))).toEqual(
      theirs.split('\n').filter((l) => l.startsWith('Proto') || l.startsWith('Active')),
    );
  });

  it('prints UNIX paths whole where netstat cuts them at the first space (the documented deviation)', () => {
    const theirs = tool('netstat', ['-xanpeW']);
    const ours = netsnap(['-xanpeW']).stdout;
    // The accepted server side of a UNIX connection shows its listener's path.
    const cases: Array<[number, string]> = [
      [s.unixListener.inode, s.unixListener.path],
      [s.unixServerSide.inode, s.unixListener.path],
      [s.holder.dgramInode, s.holder.dgramPath],
    ];
    for (const [inode, path] of cases) {
      const t = linesOf(theirs, inode);
      const o = linesOf(ours, inode);
      expect(t).toHaveLength(1);
      const cut = path.indexOf(' ');
      expect(t[0]!.endsWith(` ${path.slice(0, cut)}`)).toBe(true);
      expect(o).toEqual([t[0] + path.slice(cut)]);
    }
  });

  it('agrees with ss -tuanpe on state, queues and owners', () => {
    const text = tool('ss', ['-tuanpe']);
    const snap = snapshot({ owners: true, protocols: ['tcp', 'udp'] });
    const rows = new Map([...snap.inetSockets()].map((r) => [r.inode, r]));
    const ssState: Record<string, string> = { ESTAB: 'ESTABLISHED', LISTEN: 'LISTEN', UNCONN: 'CLOSE' };
    let compared = 0;
    for (const line of text.split('\n')) {
      const ino = line.match(/\sino:(\d+)/);
      if (!ino) continue;
      const inode = Number(ino[1]);
      if (!inodes.includes(inode)) continue;
      const [netid, state, recvQ, sendQ] = line.trim().split(/\s+/);
      const r = rows.get(inode)!;
      expect(r, `inode ${inode}`).toBeDefined();
      expect(r.proto).toBe(netid);
      const ours = r.proto === 'tcp' ? r.stateName : r.state === 1 ? 'ESTABLISHED' : 'CLOSE';
      expect(ours).toBe(ssState[state!] ?? state);
      expect(r.rxQueue).toBe(Number(recvQ));
      // For a listener ss shows the backlog limit as Send-Q (netlink carries it; /proc does not).
      if (state !== 'LISTEN') expect(r.txQueue).toBe(Number(sendQ));
      const ssPids = [...line.matchAll(/pid=(\d+),fd=(\d+)/g)].map((m) => `${m[1]}/${m[2]}`).sort();
      expect(r.owners.map((o) => `${o.pid}/${o.fd}`).sort()).toEqual(ssPids);
      compared++;
    }
    // tcp: 3 listeners + 5 connected ends + python's listener; udp: 3
    expect(compared).toBe(12);
  });
});
