import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { BaselineError, buildBaseline, compareBaseline, parseBaseline, type Baseline } from '../../src/analysis/baseline';
import { FIXTURES, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const PROC = path.join(FIXTURES, 'summary', 'proc');
const DIR = path.join(FIXTURES, 'baseline');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-baseline-${backend.name}-`));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const LISTENERS = [
  { proto: 'tcp', family: 4, address: '0.0.0.0', port: 22, programs: ['sshd'] },
  { proto: 'tcp', family: 4, address: '127.0.0.1', port: 5432, programs: ['postgres'] },
  { proto: 'tcp', family: 4, address: '0.0.0.0', port: 8080, programs: ['java'] },
  { proto: 'tcp', family: 6, address: '::', port: 80, programs: ['nginx'] },
  { proto: 'udp', family: 4, address: '0.0.0.0', port: 53, programs: ['dnsmasq'] },
];
const NETWORKS = [
  { network: '1.1.1.0/24', family: 4, connections: 1 },
  { network: '8.8.8.0/24', family: 4, connections: 2 },
  { network: '100.64.3.0/24', family: 4, connections: 1 },
  { network: '127.0.0.0/24', family: 4, connections: 2 },
  { network: '192.168.1.0/24', family: 4, connections: 2 },
  { network: '203.0.113.0/24', family: 4, connections: 1 },
  { network: '2a00:1450:4001:80b::/64', family: 6, connections: 1 },
  { network: 'fd00::/64', family: 6, connections: 1 },
  { network: 'fe80::/64', family: 6, connections: 1 },
];

const OLD_REPORT =
  '4 differences from the baseline of 2026-01-01T00:00:00.000Z:\n' +
  '+ new listener: tcp6 [::]:80 (nginx)\n' +
  '! unknown program on udp 0.0.0.0:53: dnsmasq (baseline: named)\n' +
  '- listener gone: tcp 0.0.0.0:3306 (mysqld)\n' +
  '+ new remote network: 1.1.1.0/24 (1 connection)\n';

describe(`baselines of fixtures/summary (${backend.name})`, () => {
  it('records listeners with their programs and established peers by /24 and /64', () => {
    const b = buildBaseline(snapshot({ procRoot: PROC, owners: true, protocols: ['tcp', 'udp'] }));
    expect(b.schema).toBe('netsnap/baseline/v1');
    expect(b.procRoot).toBe(PROC);
    expect(b.listeners).toEqual(LISTENERS);
    expect(b.networks).toEqual(NETWORKS);
    expect(parseBaseline(JSON.parse(JSON.stringify(b)))).toEqual(b);
  });

  it('--save-baseline writes it; --compare against the same tree is clean (exit 0)', () => {
    const file = path.join(tmp, 'same.json');
    const s = netsnap(['--save-baseline', file, '--proc-root', PROC]);
    expect(s.stderr).toBe('');
    expect(s.status).toBe(0);
    expect(s.stdout).toBe(`Baseline saved to ${file}: 5 listener(s), 9 remote network(s).\n`);
    const saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Baseline;
    expect(saved).toEqual({ schema: 'netsnap/baseline/v1', createdAt: saved.createdAt, procRoot: PROC, listeners: LISTENERS, networks: NETWORKS });
    expect(Number.isNaN(Date.parse(saved.createdAt))).toBe(false);
    const c = netsnap(['--compare', file, '--proc-root', PROC]);
    expect(c.status).toBe(0);
    expect(c.stdout).toBe(`No differences from the baseline of ${saved.createdAt}.\n`);
  });

  it('--compare reports new and gone listeners, unknown programs and new networks (exit 1)', () => {
    const r = netsnap(['--compare', path.join(DIR, 'old.json'), '--proc-root', PROC]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(OLD_REPORT);
  });

  it('--compare --json', () => {
    const r = netsnap(['--compare', path.join(DIR, 'old.json'), '--proc-root', PROC, '--json']);
    expect(r.status).toBe(1);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc).toEqual({
      schema: 'netsnap/v1',
      kind: 'baseline-comparison',
      baselineCreatedAt: '2026-01-01T00:00:00.000Z',
      takenAt: doc.takenAt,
      differences: [
        { kind: 'new-listener', listener: LISTENERS[3] },
        { kind: 'unknown-program', listener: LISTENERS[4], program: 'dnsmasq', expected: ['named'] },
        { kind: 'listener-gone', listener: { proto: 'tcp', family: 4, address: '0.0.0.0', port: 3306, programs: ['mysqld'] } },
        { kind: 'new-network', network: NETWORKS[0] },
      ],
    });
  });

  it('--compare F --save-baseline F compares with the old file, then replaces it', () => {
    const file = path.join(tmp, 'rolling.json');
    fs.copyFileSync(path.join(DIR, 'old.json'), file);
    const r = netsnap(['--compare', file, '--save-baseline', file, '--proc-root', PROC]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(OLD_REPORT);
    expect(r.stderr).toBe(`Baseline saved to ${file}: 5 listener(s), 9 remote network(s).\n`);
    expect(netsnap(['--compare', file, '--proc-root', PROC]).status).toBe(0);
  });

  it.each([
    ['missing.json', /^netsnap: cannot read baseline .*missing\.json: ENOENT\n$/],
    ['truncated.json', /^netsnap: invalid baseline .*truncated\.json: not JSON \(.*\)\n$/],
    ['future.json', /^netsnap: invalid baseline .*future\.json: schema is "netsnap\/baseline\/v9", expected "netsnap\/baseline\/v1"\n$/],
    ['bad-port.json', /^netsnap: invalid baseline .*bad-port\.json: listeners\[0\]\.port must be a port number\n$/],
  ])('an unreadable or invalid baseline (%s) exits 2 with a clear message', (name, message) => {
    const r = netsnap(['--compare', path.join(DIR, name), '--proc-root', PROC]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
  });

  it('a baseline that cannot be written exits 2', () => {
    const r = netsnap(['--save-baseline', path.join(tmp, 'no', 'such', 'dir.json'), '--proc-root', PROC]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^netsnap: cannot write baseline .*dir\.json: ENOENT\n$/);
  });
});

describe('compareBaseline and parseBaseline', () => {
  const base: Baseline = {
    schema: 'netsnap/baseline/v1', createdAt: 'then', procRoot: '/proc',
    listeners: [{ proto: 'tcp', family: 4, address: '0.0.0.0', port: 80, programs: [] }],
    networks: [],
  };
  it('does not call programs unknown where the baseline saw none (owners not visible then)', () => {
    const now: Baseline = { ...base, createdAt: 'now', listeners: [{ ...base.listeners[0]!, programs: ['httpd'] }] };
    expect(compareBaseline(base, now).differences).toEqual([]);
  });
  it('tells which field is wrong', () => {
    const bad = (v: unknown) => () => parseBaseline(v);
    expect(bad([])).toThrow(BaselineError);
    expect(bad({ ...base, listeners: [{ ...base.listeners[0], proto: 'sctp' }] })).toThrow('listeners[0].proto must be tcp, udp or udplite');
    expect(bad({ ...base, listeners: [{ ...base.listeners[0], address: 'localhost' }] })).toThrow('listeners[0].address must be an IP address');
    expect(bad({ ...base, networks: [{ network: '10.0.0.0/16', family: 4, connections: 1 }] })).toThrow('networks[0].network must be an IPv4 /24 or an IPv6 /64');
    expect(bad({ ...base, networks: [{ network: '2001:db8::/64', family: 4, connections: 1 }] })).toThrow('networks[0].network');
    expect(parseBaseline({ ...base, networks: [{ network: '2001:db8::/64', family: 6, connections: 1 }] }).networks).toHaveLength(1);
  });
});
