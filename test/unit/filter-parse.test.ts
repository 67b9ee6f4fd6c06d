import { describe, expect, it } from 'vitest';
import { MAX_CONDITIONS, parseFilter, type FilterExpr } from '../../src/filter/parse';
import { compileFilter } from '../../src/filter/compile';
import { NetsnapError } from '../../src/model/errors';
import { snapshot } from '../../src/backends/snapshot';
import { BASIC, backend } from '../helpers/env';

/** The error a filter text throws (the test fails when it throws none). */
function errorOf(text: string): NetsnapError {
  try {
    parseFilter(text);
  } catch (err) {
    expect(err).toBeInstanceOf(NetsnapError);
    return err as NetsnapError;
  }
  throw new Error(`'${text}' parsed`);
}

/** The column under the caret of an error message (the message's last line), and the quoted text. */
function caret(text: string): { column: number; quoted: string; reason: string } {
  const lines = errorOf(text).message.split('\n');
  expect(lines).toHaveLength(3);
  return { reason: lines[0]!, quoted: lines[1]!.slice(2), column: lines[2]!.indexOf('^') - 2 };
}

const port = (kind: 'sport' | 'dport', op: string, p: number): FilterExpr => ({ kind, op, port: p }) as FilterExpr;

describe('ss filter grammar', () => {
  it('reads state and exclude words with ss names and groups', () => {
    expect(parseFilter('state established').states).toBe(1 << 1);
    expect(parseFilter('state listening state time-wait').states).toBe((1 << 10) | (1 << 6));
    expect(parseFilter('state connected').states).toBe(0x1fff & ~((1 << 7) | (1 << 10)));
    expect(parseFilter('state synchronized').states).toBe(0x1fff & ~((1 << 7) | (1 << 10) | (1 << 2)));
    expect(parseFilter('state bucket').states).toBe((1 << 3) | (1 << 6));
    expect(parseFilter('state big').states).toBe(0x1fff & ~((1 << 3) | (1 << 6)));
    expect(parseFilter('state all').states).toBe(0x1fff);
    expect(parseFilter('exclude listening').states).toBe(0x1fff & ~(1 << 10));
    expect(parseFilter('state closed').states).toBe(1 << 7);
    const names = ['established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'closed', 'close-wait', 'last-ack', 'listening', 'closing'];
    expect(names.map((n) => Math.log2(parseFilter(`state ${n}`).states!))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(parseFilter('state established').expr).toBeNull();
  });

  it('reads every port operator, by number and by service name', () => {
    const ops: Array<[string, string]> = [
      ['=', 'eq'], ['==', 'eq'], ['eq', 'eq'], ['!=', 'ne'], ['ne', 'ne'], ['<', 'lt'], ['lt', 'lt'],
      ['<=', 'le'], ['le', 'le'], ['>', 'gt'], ['gt', 'gt'], ['>=', 'ge'], ['ge', 'ge'],
    ];
    for (const [text, op] of ops) expect(parseFilter(`dport ${text} :443`).expr, text).toEqual(port('dport', op, 443));
    expect(parseFilter('sport :22').expr).toEqual(port('sport', 'eq', 22));
    expect(parseFilter('sport>=:1024').expr).toEqual(port('sport', 'ge', 1024));
    expect(parseFilter('dport = :ssh').expr).toEqual(port('dport', 'eq', 22));
  });

  it('reads addresses: IPv4, [IPv6], *, prefixes and ports', () => {
    const src = (t: string) => (parseFilter(t).expr as { cond: { family: number; prefix: number; port: number; addr: Uint8Array } }).cond;
    expect(src('src 127.0.0.1')).toMatchObject({ family: 4, prefix: 32, port: -1 });
    expect([...src('src 127.0.0.1').addr.slice(0, 4)]).toEqual([127, 0, 0, 1]);
    expect(src('src = 10.0.0.0/8:80')).toMatchObject({ family: 4, prefix: 8, port: 80 });
    expect(src('dst == [::1]:22')).toMatchObject({ family: 6, prefix: 128, port: 22 });
    expect(src('dst [fe80::]/10')).toMatchObject({ family: 6, prefix: 10, port: -1 });
    expect(src('dst [fe80::/10]:http')).toMatchObject({ family: 6, prefix: 10, port: 80 });
    expect(src('src *:22')).toMatchObject({ family: 0, prefix: 0, port: 22 });
    expect(src('src *')).toMatchObject({ family: 0, port: -1 });
    expect(src('src 127.0.0.1:*')).toMatchObject({ family: 4, port: -1 });
  });

  it('builds and/or/not trees with precedence, parentheses and implicit and', () => {
    const a = port('dport', 'eq', 1), b = port('dport', 'eq', 2), c = port('dport', 'eq', 3);
    expect(parseFilter('dport :1 or dport :2 and dport :3').expr).toEqual({ kind: 'or', left: a, right: { kind: 'and', left: b, right: c } });
    expect(parseFilter('dport :1 || dport :2 && dport :3').expr).toEqual({ kind: 'or', left: a, right: { kind: 'and', left: b, right: c } });
    expect(parseFilter('( dport :1 or dport :2 ) dport :3').expr).toEqual({ kind: 'and', left: { kind: 'or', left: a, right: b }, right: c });
    expect(parseFilter('(dport :1||dport :2)&&!dport :3').expr).toEqual({ kind: 'and', left: { kind: 'or', left: a, right: b }, right: { kind: 'not', expr: c } });
    expect(parseFilter('not not dport :1').expr).toEqual({ kind: 'not', expr: { kind: 'not', expr: a } });
    expect(parseFilter('state established ( ( dport :1 ) )')).toEqual({ states: 2, expr: a });
  });

  it('puts a caret under the first bad token', () => {
    expect(caret('dport = :22 and foo')).toMatchObject({ column: 16, quoted: 'dport = :22 and foo' });
    expect(caret('dport = :22 and foo').reason).toContain("unexpected 'foo'");
    expect(caret('dport =')).toMatchObject({ column: 7 });
    expect(caret('dport =').reason).toContain('needs a port');
    expect(caret('( dport :1 or dport :2')).toMatchObject({ column: 0 });
    expect(caret('( dport :1 or dport :2').reason).toContain("unclosed '('");
    expect(caret('dport :1 )').reason).toContain("unmatched ')'");
    expect(caret('src 300.1.1.1')).toMatchObject({ column: 4 });
    expect(caret('src ::1').reason).toContain('brackets');
    expect(caret('src [::1')).toMatchObject({ column: 4 });
    expect(caret('sport = :70000')).toMatchObject({ column: 9 });
    expect(caret('sport = :70000').reason).toContain('above 65535');
    expect(caret('dst 1.2.3.4:65536').reason).toContain('above 65535');
    expect(caret('src 10.0.0.0/33').reason).toContain('prefix');
    expect(caret('state bogus')).toMatchObject({ column: 6 });
    expect(caret('state')).toMatchObject({ column: 5 });
    expect(caret('dport :nosuchservice').reason).toContain('unknown service');
    expect(caret('dport :1 and')).toMatchObject({ column: 12 });
    expect(caret('dport :1 state listening')).toMatchObject({ column: 9 });
    expect(caret('()')).toMatchObject({ column: 1 });
    expect(errorOf('dport :1 or foo').code).toBe('ERR_USAGE');
  });

  it('resolves dev, cgroup and user names when it parses, and says which one is missing', () => {
    expect(parseFilter('dev = lo').expr).toEqual({ kind: 'dev', ifindex: 1 });
    expect(parseFilter('dev != 7').expr).toEqual({ kind: 'not', expr: { kind: 'dev', ifindex: 7 } });
    expect(caret('dev = nosuchdev0')).toMatchObject({ column: 6, reason: "bad filter: no network device 'nosuchdev0' here" });
    expect(caret('sport = :1 cgroup = /no/such/group')).toMatchObject({ column: 20 });
    expect(parseFilter('user = root').expr).toEqual({ kind: 'uid', op: 'eq', uid: 0 });
    expect(caret('user = no-such-user-x')).toMatchObject({ column: 7, reason: "bad filter: no user 'no-such-user-x' in /etc/passwd" });
    expect(parseFilter('autobound').expr).toEqual({ kind: 'autobound' });
  });

  it('reads values with the units a person writes', () => {
    expect(parseFilter('rtt > 100ms').expr).toEqual({ kind: 'info', field: 'rttUs', op: 'gt', value: 100000 });
    expect(parseFilter('rtt >= 1.5').expr).toEqual({ kind: 'info', field: 'rttUs', op: 'ge', value: 1500 });
    expect(parseFilter('rto < 2s').expr).toEqual({ kind: 'info', field: 'rtoUs', op: 'lt', value: 2000000 });
    expect(parseFilter('retrans > 0').expr).toEqual({ kind: 'info', field: 'totalRetrans', op: 'gt', value: 0 });
    expect(parseFilter('send-q > 64k').expr).toEqual({ kind: 'queue', which: 'send', op: 'gt', bytes: 65536 });
    expect(parseFilter('recv-q 1m').expr).toEqual({ kind: 'queue', which: 'recv', op: 'eq', bytes: 1 << 20 });
    expect(parseFilter('rwnd-limited > 10%').expr).toEqual({ kind: 'ratio', field: 'rwndLimitedUs', over: 'busyUs', op: 'gt', ppm: 100000 });
    expect(parseFilter('pid = 42').expr).toEqual({ kind: 'pid', op: 'eq', pid: 42 });
    expect(parseFilter('comm != "x"').expr).toEqual({ kind: 'not', expr: { kind: 'comm', pattern: 'x' } });
    expect(parseFilter("program = 'myapp*'").expr).toEqual({ kind: 'program', pattern: 'myapp*' });
    expect(caret('rtt > 5parsecs')).toMatchObject({ column: 6, reason: "bad filter: bad time '5parsecs' (units: us, ms, s)" });
    expect(caret('retrans > 1.5')).toMatchObject({ column: 10 });
    expect(caret('rwnd-limited > 150%')).toMatchObject({ column: 15 });
    expect(caret('pid =')).toMatchObject({ column: 5 });
  });

  it('refuses nesting past its limit with a caret, and autobound beside what only user space sees', () => {
    const deep = `${'( '.repeat(30)}sport = :1${' )'.repeat(30)}`;
    expect(caret(deep)).toMatchObject({ column: 48 });
    expect(() => compileFilter('autobound and uid = 0')).toThrow(/autobound/);
    expect(compileFilter('autobound and sport > :1000').request.bytecode).not.toBeNull();
  });

  it(`refuses more than ${MAX_CONDITIONS} conditions with a caret under the first one too many, whatever joins them`, () => {
    const chain = (n: number, one: string, joiner: string): string => Array.from({ length: n }, () => one).join(joiner);
    // The most conditions compile; a chain of port conditions still leaves its bytecode in the op format
    // (SPORT_EQ is 8 bytes, each `or` a 4-byte jump), and the column program has 4 words each and an OR.
    const most = compileFilter(chain(MAX_CONDITIONS, 'sport = :1', ' or '));
    expect(most.request.bytecode!.length).toBe(MAX_CONDITIONS * 8 + (MAX_CONDITIONS - 1) * 4);
    expect(most.request.program.length).toBe(MAX_CONDITIONS * 4 + MAX_CONDITIONS - 1);
    for (const [one, joiner] of [['sport = :1', ' and '], ['sport = :1', ' '], ['uid = 0', ' || '], ['not dport > :9', ' && ']] as const) {
      const text = chain(MAX_CONDITIONS + 1, one, joiner);
      const c = caret(text);
      expect(c.reason).toBe(`bad filter: more than ${MAX_CONDITIONS} conditions`);
      expect(c.column).toBe(MAX_CONDITIONS * (one.length + joiner.length) + (one.startsWith('not ') ? 4 : 0));
    }
    // Far past it (a RangeError from the recursive compilers before the limit): still the usage error.
    expect(() => compileFilter(chain(50_000, 'sport = :1', ' '))).toThrow(`more than ${MAX_CONDITIONS} conditions`);
  });
});

describe(`ss filter evaluation on the basic fixture (${backend.name})`, () => {
  /** "file local:port remote:port state" of the rows the snapshot keeps with the filter. */
  const rows = (text: string): string[] => {
    const snap = snapshot({ procRoot: BASIC, protocols: ['tcp', 'udp', 'raw'], filter: text });
    const out: string[] = [];
    for (const t of snap.inet) {
      for (let i = 0; i < t.count; i++) {
        const s = snap.inetSocket(t, i);
        out.push(`${t.file} ${s.localAddress}:${s.localPort} ${s.remoteAddress}:${s.remotePort} ${t.state[i]}`);
      }
    }
    return out;
  };

  it('chooses rows by state, per table (UDP connected is ESTABLISHED, unconnected CLOSE)', () => {
    expect(rows('state listening')).toEqual(['tcp 127.0.0.1:8080 0.0.0.0:0 10', 'tcp6 :::6000 :::0 10']);
    expect(rows('state closed')).toEqual(['udp 127.0.0.1:5353 0.0.0.0:0 7', 'raw 127.0.0.1:253 127.0.0.1:0 7']);
    expect(rows('state established dport = :8080')).toEqual(['tcp 127.0.0.1:56786 127.0.0.1:8080 1']);
    expect(rows('state established sport = :53 or dport = :53')).toEqual(['udp 127.0.0.1:55025 127.0.0.1:53 1']);
    expect(compileFilter('state time-wait').tcpStates).toBe(1 << 6);
    expect(compileFilter('dport :1').hasStates).toBe(false);
  });

  it('intersects its state words with the library\'s tcpStates', () => {
    const tcp = (tcpStates: number, filter: string) =>
      snapshot({ procRoot: BASIC, protocols: ['tcp'], tcpStates, filter }).inet.flatMap((t) => [...t.state]).sort();
    expect(tcp(1 << 10, 'state established')).toEqual([]);
    expect(tcp(1 << 10, 'state listening state established')).toEqual([10, 10]);
    expect(tcp((1 << 10) | (1 << 1), 'exclude listening')).toEqual(tcp(1 << 1, 'state all'));
    expect(tcp(1 << 1, 'state all').length).toBeGreaterThan(0);
  });

  it('matches addresses by prefix, IPv4 against IPv4-mapped, and ports by comparison', () => {
    expect(rows('src 11.0.0.0/8')).toEqual(['tcp 11.0.0.10:80 10.0.0.20:50000 8']);
    expect(rows('dst 10.0.0.20:50000')).toEqual(['tcp 11.0.0.10:80 10.0.0.20:50000 8']);
    expect(rows('src [fe80::]/10')).toEqual(['tcp6 fe80::fc:ff:fe00:4:44444 fe80::fc:ff:fe00:5:35024 1']);
    expect(rows('src [::1]:22')).toEqual(['tcp6 ::1:22 ::1:58100 1']);
    // tcp6's 127.0.0.1:6000 row is an IPv4-mapped address.
    expect(rows('src 127.0.0.1:6000')).toEqual(['tcp6 ::ffff:127.0.0.1:6000 ::ffff:127.0.0.1:37124 1']);
    expect(rows('sport > :8082 and sport < :50000')).toEqual(['tcp 127.0.0.1:40960 127.0.0.1:8080 6', 'tcp6 fe80::fc:ff:fe00:4:44444 fe80::fc:ff:fe00:5:35024 1']);
    expect(rows('not src 127.0.0.0/8 and not dst [::1]')).toEqual([
      'tcp 11.0.0.10:80 10.0.0.20:50000 8', 'tcp6 :::6000 :::0 10', 'tcp6 fe80::fc:ff:fe00:4:44444 fe80::fc:ff:fe00:5:35024 1',
    ]);
    expect(rows('dport != :0 and sport <= :22')).toEqual(['tcp6 ::1:22 ::1:58100 1']);
  });
});
