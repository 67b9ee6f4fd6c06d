// Live: a listener opened after the baseline is reported; once closed it is not. Other tests open
// and close listeners in parallel on this host, so only our own port is asserted.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Comparison } from '../../src/analysis/baseline';
import { backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-baseline-live-${backend.name}-`));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function ours(c: Comparison, port: number) {
  return c.differences.filter((d) => 'listener' in d && d.listener.port === port && d.listener.address === '127.0.0.1');
}

describe(`--save-baseline / --compare on live sockets (${backend.name})`, () => {
  it('reports a new listener on 127.0.0.1 (exit 1) and nothing about it once closed', async () => {
    const file = path.join(tmp, 'live.json');
    const saved = netsnap(['--save-baseline', file]);
    expect(saved.status).toBe(0);
    expect(saved.stdout).toMatch(/^Baseline saved to .*live\.json: \d+ listener\(s\), \d+ remote network\(s\)\.\n$/);

    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await new Promise<void>((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const r = netsnap(['--compare', file, '--json']);
      expect(r.status).toBe(1);
      const c = JSON.parse(r.stdout) as Comparison;
      expect(ours(c, port)).toEqual([
        { kind: 'new-listener', listener: { proto: 'tcp', family: 4, address: '127.0.0.1', port, programs: [expect.any(String)] } },
      ]);
      const text = netsnap(['--compare', file]);
      expect(text.status).toBe(1);
      expect(text.stdout).toContain(`+ new listener: tcp 127.0.0.1:${port} (`);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }

    const after = netsnap(['--compare', file, '--json']);
    expect([0, 1]).toContain(after.status); // 1 only for other tests' sockets
    const c = JSON.parse(after.stdout) as Comparison;
    expect(ours(c, port)).toEqual([]);
    expect(after.status).toBe(c.differences.length ? 1 : 0);
    const text = netsnap(['--compare', file]);
    expect(text.stdout).not.toContain(`127.0.0.1:${port}`);
  });
});
