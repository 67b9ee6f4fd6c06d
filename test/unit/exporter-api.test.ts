// The exporter as a library: startExporter() from the package's entry point.
import { describe, expect, it } from 'vitest';
import * as net from 'node:net';
import * as path from 'node:path';
import { FIXTURES } from '../helpers/env';
import { parsePromText } from '../helpers/promtext';
import { once } from '../helpers/sockets';
import { createRequire } from 'node:module';
import { spawnSync } from 'node:child_process';
import { ROOT } from '../helpers/env';
import { startExporter } from '../../src/index';

const SUMMARY = path.join(FIXTURES, 'summary', 'proc');

describe('startExporter()', () => {
  it('serves the fixture, shares one sample between concurrent metrics() calls, and frees its port on close()', async () => {
    const e = await startExporter({ port: 0, procRoot: SUMMARY, source: 'proc', top: 2 });
    expect(e.host).toBe('127.0.0.1');
    expect(e.port).toBeGreaterThan(0);
    const [a, b, c] = await Promise.all([e.metrics(), e.metrics(), e.metrics()]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    const m = parsePromText(a!);
    expect(m.value('netsnap_samples_total')).toBe(1);
    expect(m.find('netsnap_port_sockets').map((s) => s.value)).toEqual([14, 5, 12]);
    expect(parsePromText(await e.metrics()).value('netsnap_samples_total')).toBe(2);
    await e.close();
    const again = net.createServer().listen(e.port, '127.0.0.1');
    await once(again, 'listening');
    again.close();
  });

  it('rejects a bad interval', async () => {
    await expect(startExporter({ port: 0, interval: -1 })).rejects.toThrow(/interval must be > 0 seconds/);
  });
});

describe('the built package\'s entry points', () => {
  it('netsnap loads neither prom-client nor the report; netsnap/report has renderReport', () => {
    const probe = `const n = require('netsnap');
      const loaded = Object.keys(require.cache);
      console.log(JSON.stringify({
        exporter: typeof n.startExporter, parse: typeof n.parseRecordingStream,
        prom: loaded.some((k) => k.includes('prom-client')), report: loaded.some((k) => k.includes('/dist/report/')),
        render: typeof require('netsnap/report').renderReport,
      }));`;
    const r = spawnSync(process.execPath, ['-e', probe], { cwd: ROOT, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ exporter: 'function', parse: 'function', prom: false, report: false, render: 'function' });
    expect(createRequire(`${ROOT}/package.json`).resolve('netsnap/report')).toBe(path.join(ROOT, 'dist', 'report', 'index.js'));
  });
});
