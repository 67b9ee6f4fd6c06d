// Live: `netsnap serve --baseline FILE` counts, every scrape, what `netsnap --compare FILE` reports,
// by kind. The baseline and the exporter are both scoped to one quiet port with the same filter
// (a filter scopes a baseline: saved and compared alike), so other tests' listeners, opened in
// parallel on this host, are not counted and every count is exact.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { startServe, type Served } from '../helpers/serve';
import { listenOnQuietPort, once } from '../helpers/sockets';
import { parsePromText } from '../helpers/promtext';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-serve-baseline-${backend.name}-`));
const KINDS = ['new-listener', 'listener-gone', 'unknown-program', 'new-network'] as const;
/** How long a change may take to show in a scrape (each scrape takes its own sample). */
const SETTLE_MS = 15_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const children: ChildProcess[] = [];
const servers: net.Server[] = [];
let served: Served | undefined;
afterAll(async () => {
  await served?.stop();
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** The differences by kind in one scrape of /metrics (every kind must be there). */
async function differences(s: Served): Promise<Record<string, number>> {
  const r = await s.get('/metrics');
  expect(r.status).toBe(200);
  const out: Record<string, number> = {};
  for (const m of parsePromText(r.body).find('netsnap_baseline_differences')) out[m.labels.kind!] = m.value;
  expect(Object.keys(out).sort()).toEqual([...KINDS].sort());
  return out;
}

/** Scrapes until the counts are `want` (bounded); returns the last counts either way. */
async function settle(s: Served, want: Record<string, number>): Promise<Record<string, number>> {
  const deadline = Date.now() + SETTLE_MS;
  let last = await differences(s);
  while (JSON.stringify(last) !== JSON.stringify(want) && Date.now() < deadline) {
    await sleep(250);
    last = await differences(s);
  }
  return last;
}

const counts = (c: Partial<Record<typeof KINDS[number], number>>) => Object.fromEntries(KINDS.map((k) => [k, c[k] ?? 0]));

/** A python3 child listening on 127.0.0.1:PORT until killed (at most 120 s). */
async function pythonListener(port: number): Promise<ChildProcess> {
  const child = spawn('python3', ['-c', [
    'import socket, sys, time',
    's = socket.socket()',
    `s.bind(('127.0.0.1', ${port}))`,
    's.listen()',
    "print('ok', flush=True)",
    'time.sleep(120)',
  ].join('\n')], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  child.stdout!.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the python listener did not report in 20 s')), 20_000);
    child.stdout!.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`the python listener exited with ${code}`)));
  });
  return child;
}

describe(`netsnap serve --baseline (${backend.name})`, () => {
  it('exports --compare\'s differences by kind: a new listener, a listener gone, an unknown program', async () => {
    // The baseline: this process listening on 127.0.0.1:PORT, and nothing else on PORT.
    const first = net.createServer();
    servers.push(first);
    const port = await listenOnQuietPort(first);
    const file = path.join(tmp, 'baseline.json');
    const filter = `sport = :${port}`;
    const saved = netsnap(['--save-baseline', file, filter]);
    expect(saved.stderr).toBe('');
    expect(saved.stdout).toMatch(/: 1 listener\(s\), 0 remote network\(s\)\.\n$/);
    const programs = (JSON.parse(fs.readFileSync(file, 'utf8')) as { listeners: Array<{ programs: string[] }> }).listeners[0]!.programs;
    expect(programs).toHaveLength(1);

    served = await startServe(['--baseline', file, '--filter', filter]);
    const metrics = (await served.get('/metrics')).body;
    expect(metrics).toContain(`netsnap_baseline_info{file="${file}"} 1\n`);
    const created = /^netsnap_baseline_created_timestamp_seconds (\S+)$/m.exec(metrics);
    expect(Number(created?.[1]) * 1000).toBe(Date.parse((JSON.parse(fs.readFileSync(file, 'utf8')) as { createdAt: string }).createdAt));
    expect(await differences(served)).toEqual(counts({}));

    // A listener opened after the baseline was saved: 127.0.0.2 is loopback too, on the same port.
    const second = net.createServer();
    servers.push(second);
    second.listen(port, '127.0.0.2');
    await once(second, 'listening');
    expect(await settle(served, counts({ 'new-listener': 1 }))).toEqual(counts({ 'new-listener': 1 }));
    // What --compare says of the same host, the same filter.
    const compared = netsnap(['--compare', file, '--json', filter]);
    expect(compared.status).toBe(1);
    expect((JSON.parse(compared.stdout) as { differences: Array<{ kind: string }> }).differences.map((d) => d.kind)).toEqual(['new-listener']);

    // The baseline's listener closed: gone.
    await new Promise<void>((r) => first.close(() => r()));
    expect(await settle(served, counts({ 'new-listener': 1, 'listener-gone': 1 }))).toEqual(counts({ 'new-listener': 1, 'listener-gone': 1 }));

    // Another program on the baseline's address and port: an unknown program, nothing gone.
    await pythonListener(port);
    expect(await settle(served, counts({ 'new-listener': 1, 'unknown-program': 1 }))).toEqual(counts({ 'new-listener': 1, 'unknown-program': 1 }));
  });

  it('stops at startup with exit status 2 on a missing or invalid baseline', () => {
    const missing = path.join(tmp, 'missing.json');
    const r = netsnap(['serve', '--listen', '127.0.0.1:0', '--baseline', missing]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 2, stderr: `netsnap serve: cannot read baseline ${missing}: ENOENT\n` });
    const bad = path.join(tmp, 'bad.json');
    fs.writeFileSync(bad, '{"schema":"netsnap/baseline/v0"}');
    const b = netsnap(['serve', '--listen', '127.0.0.1:0', '--baseline', bad]);
    expect({ status: b.status, stderr: b.stderr }).toEqual({
      status: 2, stderr: `netsnap serve: invalid baseline ${bad}: schema is "netsnap/baseline/v0", expected "netsnap/baseline/v1"\n`,
    });
  });
});
