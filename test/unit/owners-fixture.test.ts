import { describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { BASIC, backend } from '../helpers/env';

const snap = snapshot({ procRoot: BASIC, owners: true });
const owners = snap.owners!;

describe(`owner scan of the basic fixture (${backend.name})`, () => {
  it('finds every socket link, sorted by inode then pid, and nothing else', () => {
    const entries = Array.from(owners.inodes, (inode, i) => [inode, owners.pids[i], owners.fds[i]]);
    expect(entries).toEqual([
      [1001, 100, 3], [1002, 100, 4], [1007, 201, 8], [2001, 200, 6], [2001, 201, 6], [2002, 201, 7],
      [3001, 400, 3], [5001, 100, 5], [5002, 400, 4], [5004, 200, 9],
    ]);
  });

  it('counts the vanished process and the ones scanned', () => {
    expect(owners.pidsScanned).toBe(5); // 12, 100, 200, 201, 400
    expect(owners.pidsVanished).toBe(1); // 300 has no fd directory
    expect(owners.pidsDenied).toBe(0);
  });

  it('lists every owner of a shared socket in ascending pid order', () => {
    const listener = [...snap.inetSockets()].find((r) => r.inode === 2001)!;
    expect(listener.owners).toEqual([
      { pid: 200, fd: 6, name: 'nginx: master process /usr/sbin/nginx', comm: 'nginx', uid: 0 },
      { pid: 201, fd: 6, name: 'nginx: worker process', comm: 'nginx', uid: 33 },
    ]);
  });

  it("names processes as netstat does: argv[0], basename only when it starts with '/'", () => {
    expect(owners.process(100)).toEqual({ pid: 100, name: 'python3', comm: 'python3', uid: 1000 });
    expect(owners.process(400)).toEqual({ pid: 400, name: './averyveryverylongprogramname', comm: 'averyveryverylo', uid: null });
    expect(owners.process(12)).toBeNull(); // no sockets: not recorded
  });

  it('maps nothing for inode 0 and for sockets nobody holds', () => {
    const rows = [...snap.inetSockets()];
    expect(rows.find((r) => r.inode === 0)!.owners).toEqual([]);
    expect(rows.find((r) => r.inode === 1003)!.owners).toEqual([]);
  });
});
