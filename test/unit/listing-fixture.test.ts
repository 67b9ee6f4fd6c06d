import { describe, expect, it } from 'vitest';
import { BASIC, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const INET_HEADER_ALL = 'Active Internet connections (servers and established)\n';
const COLS = 'Proto Recv-Q Send-Q Local Address           Foreign Address         State      ';

describe(`netstat-compatible listing of the basic fixture (${backend.name})`, () => {
  it('-tuwxanpeW prints netstat tables, widths and columns exactly', () => {
    const r = netsnap(['-tuwxanpeW', '--proc-root', BASIC]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      INET_HEADER_ALL +
        `${COLS} User       Inode      PID/Program name    \n` +
        'tcp        3      0 127.0.0.1:8080          0.0.0.0:*               LISTEN      1000       1001       100/python3         \n' +
        'tcp     1234      0 127.0.0.1:8080          127.0.0.1:56786         ESTABLISHED 1000       1002       100/python3         \n' +
        'tcp        0     16 127.0.0.1:56786         127.0.0.1:8080          ESTABLISHED 1000       1003       -                   \n' +
        'tcp        0      0 127.0.0.1:40960         127.0.0.1:8080          TIME_WAIT   0          0          -                   \n' +
        'tcp        0      0 127.0.0.1:8082          127.0.0.1:8083          UNKNOWN     0          1005       -                   \n' +
        'tcp        0      0 11.0.0.10:80            10.0.0.20:50000         CLOSE_WAIT  33         1007       201/nginx: worker p \n' +
        'tcp6       0      0 :::6000                 :::*                    LISTEN      0          2001       200/nginx: master p \n' +
        'tcp6       0      0 127.0.0.1:6000          127.0.0.1:37124         ESTABLISHED 0          2002       201/nginx: worker p \n' +
        'tcp6       0      0 fe80::fc:ff:fe00:4:44444 fe80::fc:ff:fe00:5:35024 ESTABLISHED 0          2003       -                   \n' +
        'tcp6       0      0 ::1:22                  ::1:58100               ESTABLISHED 0          2004       -                   \n' +
        'udp      832      0 127.0.0.1:5353          0.0.0.0:*                           0          3001       400/./averyveryvery \n' +
        'udp        0      0 127.0.0.1:55025         127.0.0.1:53            ESTABLISHED 1000       3002       -                   \n' +
        'raw        0      0 127.0.0.1:253           127.0.0.1:*             7           0          4001       -                   \n' +
        'Active UNIX domain sockets (servers and established)\n' +
        'Proto RefCnt Flags       Type       State         I-Node   PID/Program name     Path\n' +
        'unix  2      [ ACC ]     STREAM     LISTENING     5001     100/python3          /run/test.sock\n' +
        'unix  3      [ ]         STREAM     CONNECTED     5002     400/./averyveryvery  /tmp/x/has space.sock\n' +
        'unix  2      [ ]         DGRAM                    5003     -                    \n' +
        'unix  2      [ ACC ]     STREAM     LISTENING     5004     200/nginx: master p  @abstract@with@nul\n' +
        'unix  3      [ ]         STREAM     CONNECTING    0        -                    /run/test.sock\n' +
        'unix  2      [ ]         SEQPACKET  CONNECTED     5007     -                    /run/seq  trailing  \n',
    );
    expect(r.stderr).toBe(
      `netsnap: ${BASIC}/net/tcp:6: line skipped: bad inode (not a decimal below 2^53)\n` +
        `netsnap: ${BASIC}/net/tcp:8: line skipped: too few fields\n` +
        `netsnap: ${BASIC}/net/udp:4: line skipped: too few fields\n` +
        `netsnap: ${BASIC}/net/unix:7: line skipped: bad reference count\n`,
    );
  });

  it('cuts long addresses to 23 characters without -W, as netstat does', () => {
    const r = netsnap(['-t6an', '--proc-root', BASIC]);
    expect(r.stdout.split('\n')).toContain(
      'tcp6       0      0 fe80::fc:ff:fe00::44444 fe80::fc:ff:fe00::35024 ESTABLISHED',
    );
  });

  it('shows only servers with -l and only non-servers by default', () => {
    const l = netsnap(['-tuwln', '--proc-root', BASIC]).stdout.split('\n');
    expect(l[0]).toBe('Active Internet connections (only servers)');
    expect(l.slice(2).filter(Boolean).map((s) => s.slice(0, 44))).toEqual([
      'tcp        3      0 127.0.0.1:8080          ',
      'tcp6       0      0 :::6000                 ',
      'udp      832      0 127.0.0.1:5353          ',
    ]);
    const d = netsnap(['-tuwn', '--proc-root', BASIC]).stdout.split('\n');
    expect(d[0]).toBe('Active Internet connections (w/o servers)');
    expect(d.slice(2).filter(Boolean)).toHaveLength(10);
    // raw socket bound to a remote address is not a server; the udp listener is
    expect(d.some((s) => s.startsWith('raw '))).toBe(true);
    expect(d.some((s) => s.includes(':5353'))).toBe(false);
  });

  it('lists UNIX servers by state and ACC flag, and prints the header with no rows', () => {
    const l = netsnap(['-xl', '--proc-root', BASIC]).stdout;
    expect(l).toBe(
      'Active UNIX domain sockets (only servers)\n' +
        'Proto RefCnt Flags       Type       State         I-Node   Path\n' +
        'unix  2      [ ACC ]     STREAM     LISTENING     5001     /run/test.sock\n' +
        'unix  2      [ ACC ]     STREAM     LISTENING     5004     @abstract@with@nul\n',
    );
    const empty = netsnap(['-Ul', '--proc-root', BASIC]);
    expect(empty.stdout).toBe(`Active Internet connections (only servers)\n${COLS}\n`);
  });

  it('-o prints timers as netstat does', () => {
    const lines = netsnap(['-tuon', '--proc-root', BASIC]).stdout.split('\n');
    expect(lines[1]).toBe(`${COLS} Timer`);
    expect(lines).toContain('tcp     1234      0 127.0.0.1:8080          127.0.0.1:56786         ESTABLISHED keepalive (7200.00/0/0)');
    expect(lines).toContain('tcp        0      0 127.0.0.1:40960         127.0.0.1:8080          TIME_WAIT   timewait (60.00/0/0)');
    expect(lines).toContain('tcp        0      0 11.0.0.10:80            10.0.0.20:50000         CLOSE_WAIT  on (1.00/2/0)');
    expect(lines).toContain('udp        0      0 127.0.0.1:55025         127.0.0.1:53            ESTABLISHED off (0.00/0/0)');
  });

  it('selects tables as netstat does: -4 drops IPv6 and UNIX, -x alone is UNIX only', () => {
    const four = netsnap(['-4an', '--proc-root', BASIC]).stdout;
    expect(four).not.toContain('tcp6');
    expect(four).not.toContain('UNIX');
    expect(four).toContain('raw        0');
    const x = netsnap(['-xa', '--proc-root', BASIC]).stdout;
    expect(x.startsWith('Active UNIX domain sockets')).toBe(true);
  });

  it('without flags prints every inet table then the UNIX table', () => {
    const r = netsnap(['-an', '--proc-root', BASIC]);
    const heads = r.stdout.split('\n').filter((s) => s.startsWith('Active'));
    expect(heads).toEqual(['Active Internet connections (servers and established)', 'Active UNIX domain sockets (servers and established)']);
    expect(r.status).toBe(0);
  });

  it('a missing IPv4 table asked for explicitly is an error, a missing IPv6 one is silent', () => {
    const r = netsnap(['-Uan', '--proc-root', BASIC]);
    expect(r.stderr).toContain("netsnap: no support for `AF INET (udplite)' on this system.\n");
    expect(r.status).toBe(1);
    const w6 = netsnap(['-w6an', '--proc-root', BASIC]);
    expect(w6.status).toBe(0);
    expect(w6.stderr).toBe('');
  });
});
