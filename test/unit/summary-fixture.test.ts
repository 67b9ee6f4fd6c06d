import * as path from 'node:path';
import * as fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { CLOSE_WAIT_THRESHOLD, classifyAddressText, summarize } from '../../src/analysis/summary';
import { parseAddress } from '../../src/model/address';
import { FIXTURES, ROOT, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const SUMMARY = path.join(FIXTURES, 'summary', 'proc');

const expectedPorts = [
  { proto: 'tcp', port: 8080, listenAddresses: ['0.0.0.0'], connections: 13, acceptQueue: 5, programs: ['java'] },
  { proto: 'tcp', port: 80, listenAddresses: ['::'], connections: 4, acceptQueue: 0, programs: ['nginx'] },
  { proto: 'tcp', port: 22, listenAddresses: ['0.0.0.0'], connections: 2, acceptQueue: 0, programs: ['sshd', 'sshd: alice [priv]'] },
  { proto: 'tcp', port: 5432, listenAddresses: ['127.0.0.1'], connections: 1, acceptQueue: 0, programs: ['postgres'] },
  { proto: 'udp', port: 53, listenAddresses: ['0.0.0.0'], connections: 0, acceptQueue: 0, programs: ['dnsmasq'] },
];

const warnings = [
  {
    kind: 'close-wait', proto: 'tcp', port: 8080, count: 12, threshold: 10, programs: ['java'],
    message: '12 CLOSE_WAIT sockets on local port 8080 (tcp; threshold 10): the peers closed but java has not closed its side (unresponsive or leaking sockets?)',
  },
  {
    kind: 'accept-queue', proto: 'tcp', address: '0.0.0.0', port: 8080, queued: 5, programs: ['java'],
    message: '0.0.0.0:8080 (tcp) has 5 connection(s) waiting to be accepted; is java keeping up?',
  },
  {
    kind: 'public-peers', count: 4, addresses: ['8.8.8.8', '1.1.1.1', '2a00:1450:4001:80b::200e', '8.8.4.4'],
    message: '4 globally routable (public) peer address(es): 8.8.8.8, 1.1.1.1, 2a00:1450:4001:80b::200e, 8.8.4.4',
  },
];

describe(`--summary over fixtures/summary (${backend.name})`, () => {
  const s = summarize(snapshot({ procRoot: SUMMARY, owners: true }), { top: 3 });

  it('counts every table by state', () => {
    expect(s.schema).toBe('netsnap/v1');
    expect(s.kind).toBe('summary');
    expect(s.backend).toBe(backend.name);
    expect(s.sockets).toBe(34);
    expect(s.protocols).toEqual([
      { protocol: 'tcp', total: 24, states: { CLOSE_WAIT: 12, ESTABLISHED: 8, LISTEN: 3, TIME_WAIT: 1 } },
      { protocol: 'tcp6', total: 5, states: { ESTABLISHED: 4, LISTEN: 1 } },
      { protocol: 'udp', total: 2, states: { CLOSE: 1, ESTABLISHED: 1 } },
      { protocol: 'udp6', total: 0, states: {} },
      { protocol: 'raw', total: 0, states: {} },
      { protocol: 'unix', total: 3, states: { CONNECTED: 2, LISTENING: 1 } },
    ]);
  });

  it('lists the top local ports with their accept queue and every owner program', () => {
    expect(s.top).toBe(3);
    expect(s.ports).toEqual(expectedPorts.slice(0, 3));
  });

  it('classifies and ranks remote peers (IPv4-mapped peers as IPv4)', () => {
    expect(s.peers).toEqual([
      { address: '8.8.8.8', class: 'public', sockets: 3 },
      { address: '127.0.0.1', class: 'loopback', sockets: 2 },
      { address: '1.1.1.1', class: 'public', sockets: 1 },
    ]);
    expect(s.peerClasses).toEqual({
      unspecified: 0, loopback: 2, private: 15, 'link-local': 1, cgnat: 1, documentation: 1, multicast: 0, reserved: 0, public: 6,
    });
  });

  it('ranks processes by sockets held, shared sockets counted for each holder', () => {
    expect(s.processes).toEqual([
      { pid: 20, program: 'java', sockets: 15, inet: 15, unix: 0 },
      { pid: 50, program: 'nginx', sockets: 7, inet: 5, unix: 2 },
      { pid: 30, program: 'curl', sockets: 3, inet: 3, unix: 0 },
    ]);
    expect(s.processesDenied).toBe(0);
  });

  it('warns about CLOSE_WAIT pile-ups, accept queues and public peers', () => {
    expect(CLOSE_WAIT_THRESHOLD).toBe(10);
    expect(s.warnings).toEqual([
      warnings[0],
      warnings[1],
      {
        kind: 'public-peers', count: 4, addresses: ['8.8.8.8', '1.1.1.1', '2a00:1450:4001:80b::200e'],
        message: '4 globally routable (public) peer address(es): 8.8.8.8, 1.1.1.1, 2a00:1450:4001:80b::200e, ...',
      },
    ]);
    const strict = summarize(snapshot({ procRoot: SUMMARY, owners: true }), { closeWaitThreshold: 13 });
    expect(strict.warnings.map((w) => w.kind)).toEqual(['accept-queue', 'public-peers']);
  });

  it('without owner mapping has no process list and no programs', () => {
    const bare = summarize(snapshot({ procRoot: SUMMARY }));
    expect(bare.processes).toBeNull();
    expect(bare.ports.every((p) => p.programs.length === 0)).toBe(true);
    expect(bare.warnings[0]!.message).toContain('but the application has not closed');
  });

  it('--summary prints the sections as text', () => {
    const r = netsnap(['--summary', '--top', '3', '--proc-root', SUMMARY]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      'Sockets: 34\n' +
        '\n' +
        'By protocol and state:\n' +
        '  tcp         24  (CLOSE_WAIT 12, ESTABLISHED 8, LISTEN 3, TIME_WAIT 1)\n' +
        '  tcp6         5  (ESTABLISHED 4, LISTEN 1)\n' +
        '  udp          2  (CLOSE 1, ESTABLISHED 1)\n' +
        '  udp6         0\n' +
        '  raw          0\n' +
        '  unix         3  (CONNECTED 2, LISTENING 1)\n' +
        '\n' +
        'Top local ports (listeners; by connections):\n' +
        '  Proto     Port  Conns  Recv-Q  Listening on / Programs\n' +
        '  tcp       8080     13       5  0.0.0.0 [java]\n' +
        '  tcp         80      4       0  :: [nginx]\n' +
        '  tcp         22      2       0  0.0.0.0 [sshd, sshd: alice [priv]]\n' +
        '\n' +
        'Top remote peers:\n' +
        '  8.8.8.8                                      3  public\n' +
        '  127.0.0.1                                    2  loopback\n' +
        '  1.1.1.1                                      1  public\n' +
        '  peers by class: loopback 2, private 15, link-local 1, cgnat 1, documentation 1, public 6\n' +
        '\n' +
        'Top processes:\n' +
        '  20/java                                     15  (inet 15, unix 0)\n' +
        '  50/nginx                                     7  (inet 5, unix 2)\n' +
        '  30/curl                                      3  (inet 3, unix 0)\n' +
        '\n' +
        'Warnings:\n' +
        `  ! ${warnings[0]!.message}\n` +
        `  ! ${warnings[1]!.message}\n` +
        '  ! 4 globally routable (public) peer address(es): 8.8.8.8, 1.1.1.1, 2a00:1450:4001:80b::200e, ...\n',
    );
  });

  it('-y --json prints the documented document; -t limits the tables', () => {
    const r = netsnap(['-y', '--json', '--proc-root', SUMMARY]);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(doc.schema).toBe('netsnap/v1');
    expect(doc.kind).toBe('summary');
    expect(doc.top).toBe(10);
    expect(doc.ports).toEqual(expectedPorts);
    expect(doc.warnings).toEqual(warnings);
    expect(typeof doc.takenAt).toBe('string');
    // The keys the JSON Schema requires are exactly the keys of the document.
    const schema = JSON.parse(fs.readFileSync(path.join(ROOT, 'schema', 'summary-v1.schema.json'), 'utf8')) as { required: string[]; properties: Record<string, unknown> };
    expect(Object.keys(doc).sort()).toEqual([...schema.required].sort());
    // Beyond them only the sections of --info and --cgroup, which this document was not asked for.
    expect(Object.keys(schema.properties).sort()).toEqual([...schema.required, 'containers', 'health'].sort());

    const t = JSON.parse(netsnap(['-yt', '--json', '--proc-root', SUMMARY]).stdout) as { protocols: Array<{ protocol: string }>; sockets: number };
    expect(t.protocols.map((p) => p.protocol)).toEqual(['tcp', 'tcp6']);
    expect(t.sockets).toBe(29);
  });
});

describe('address classes', () => {
  it.each([
    ['0.0.0.0', 'unspecified'], ['127.0.0.53', 'loopback'], ['10.1.2.3', 'private'], ['172.16.0.1', 'private'],
    ['172.32.0.1', 'public'], ['192.168.0.1', 'private'], ['169.254.1.1', 'link-local'], ['100.64.0.1', 'cgnat'],
    ['100.128.0.1', 'public'], ['192.0.2.1', 'documentation'], ['198.51.100.9', 'documentation'], ['203.0.113.200', 'documentation'],
    ['224.0.0.251', 'multicast'], ['255.255.255.255', 'reserved'], ['8.8.8.8', 'public'],
    ['::', 'unspecified'], ['::1', 'loopback'], ['fd12:3456::1', 'private'], ['fc00::1', 'private'], ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'], ['ff02::1', 'multicast'], ['2001:db8:1::1', 'documentation'], ['3fff::1', 'documentation'],
    ['2a00:1450:4001:80b::200e', 'public'], ['::ffff:192.168.1.1', 'private'], ['::ffff:1.2.3.4', 'public'], ['::2', 'reserved'],
  ])('%s is %s', (text, cls) => {
    expect(classifyAddressText(text)).toBe(cls);
  });

  it('parses only valid addresses', () => {
    for (const bad of ['1.2.3', '1.2.3.256', '1::2::3', '12345::', 'g::1', '1:2:3:4:5:6:7:8:9', 'example.com']) expect(parseAddress(bad)).toBeNull();
    expect(Array.from(parseAddress('1:2:3:4:5:6:7:8')!.addr)).toEqual([0, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8]);
  });
});
