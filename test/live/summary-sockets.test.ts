// Live: sockets this test opens (an accept queue, a CLOSE_WAIT pile-up) show up in the summary.
// Other tests run in parallel on the same host, so only our own ports are asserted exactly.
import { spawn, type ChildProcess } from 'node:child_process';
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { summarize, type Summary } from '../../src/analysis/summary';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const BACKLOG_CLIENTS = 3;
const CLOSE_WAITS = 10;

let python: ChildProcess;
let queuePort = 0;
let server: net.Server;
let cwPort = 0;
const sockets: net.Socket[] = [];

beforeAll(async () => {
  // A listener that never accepts: connections wait in its accept queue.
  python = spawn('python3', ['-c', [
    'import socket, sys',
    's = socket.socket()',
    "s.bind(('127.0.0.1', 0))",
    's.listen(16)',
    "print(s.getsockname()[1], flush=True)",
    'sys.stdin.read()',
  ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
  queuePort = await new Promise<number>((resolve, reject) => {
    python.stdout!.setEncoding('utf8');
    python.stdout!.once('data', (d: string) => resolve(Number(d.trim())));
    python.once('error', reject);
  });
  for (let i = 0; i < BACKLOG_CLIENTS; i++) {
    const c = net.connect(queuePort, '127.0.0.1');
    await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
    sockets.push(c);
  }

  // A server that never closes its side after the peer did: CLOSE_WAIT.
  let ended = 0;
  let allEnded!: () => void;
  const done = new Promise<void>((r) => (allEnded = r));
  server = net.createServer({ allowHalfOpen: true }, (sock) => {
    sockets.push(sock);
    sock.on('end', () => {
      if (++ended === CLOSE_WAITS) allEnded();
    });
    sock.resume();
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', r));
  cwPort = (server.address() as net.AddressInfo).port;
  for (let i = 0; i < CLOSE_WAITS; i++) {
    const c = net.connect({ port: cwPort, host: '127.0.0.1', allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => c.once('connect', resolve).once('error', reject));
    c.end();
    sockets.push(c);
  }
  await done;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  server?.close();
  python?.stdin?.end();
  python?.kill();
});

function check(s: Summary) {
  const tcp = s.protocols.find((p) => p.protocol === 'tcp')!;
  expect(tcp.states.CLOSE_WAIT).toBeGreaterThanOrEqual(CLOSE_WAITS);
  expect(tcp.states.LISTEN).toBeGreaterThanOrEqual(2);
  const q = s.ports.find((p) => p.proto === 'tcp' && p.port === queuePort)!;
  expect(q).toMatchObject({ listenAddresses: ['127.0.0.1'], acceptQueue: BACKLOG_CLIENTS });
  // >=: a TIME_WAIT left by an earlier client that had the same (ephemeral) local port counts too.
  expect(q.connections).toBeGreaterThanOrEqual(BACKLOG_CLIENTS);
  expect(q.programs).toContain('python3');
  const cw = s.ports.find((p) => p.proto === 'tcp' && p.port === cwPort)!;
  expect(cw.connections).toBeGreaterThanOrEqual(CLOSE_WAITS);
  expect(s.warnings).toContainEqual(expect.objectContaining({ kind: 'close-wait', proto: 'tcp', port: cwPort, count: CLOSE_WAITS }));
  expect(s.warnings).toContainEqual(expect.objectContaining({ kind: 'accept-queue', port: queuePort, queued: BACKLOG_CLIENTS, programs: ['python3'] }));
  expect(s.warnings.some((w) => w.kind === 'close-wait' && w.port === queuePort)).toBe(false);
  expect(s.peers.find((p) => p.address === '127.0.0.1')!.class).toBe('loopback');
  const me = s.processes!.find((p) => p.pid === process.pid)!;
  // Our 10 server sides, 10 client sides, the listener and 3 clients, at least.
  expect(me.inet).toBeGreaterThanOrEqual(2 * CLOSE_WAITS + 1 + BACKLOG_CLIENTS);
}

describe(`--summary on live sockets (${backend.name})`, () => {
  it('summarize() finds the accept queue, the CLOSE_WAIT pile-up and their owners', () => {
    check(summarize(snapshot({ protocols: ['tcp'], families: [4], owners: true }), { top: 100000 }));
  });

  it('netsnap -y --json -t finds them too', () => {
    const r = netsnap(['-y', '--json', '-t', '--top', '100000']);
    expect(r.status).toBe(0);
    check(JSON.parse(r.stdout) as Summary);
  });

  it('netsnap -y prints the warnings in text', () => {
    const r = netsnap(['-y', '-t']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${CLOSE_WAITS} CLOSE_WAIT sockets on local port ${cwPort} (tcp; threshold 10)`);
    expect(r.stdout).toContain(`127.0.0.1:${queuePort} (tcp) has ${BACKLOG_CLIENTS} connection(s) waiting to be accepted; is python3 keeping up?`);
  });
});
