// A short soak (bench/soak.mjs, which the long soak runs with 10,000 samples at 10,000 sockets):
// ~2,000 loopback sockets held by two child processes, 150 async samples with owners through
// sample() and 150 through the backend's sampleAsync (reusing tables as the sampler does), in a
// process of its own run with --expose-gc. The heap may not grow by 4 MB after warm-up (after gc;
// RSS only by a loose 256 MB: the warm-up is short, the long soak bounds RSS),
// and the process's fd count must be exactly the same at the end as after warm-up. Bounded by
// --max-seconds 100: on a loaded machine fewer samples run (the output says how many).
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { backend, ROOT } from '../helpers/env';

const MB = 1024 * 1024;

interface Result {
  mode: string; samples: number; requested: number; truncated: boolean; minTcpRows: number; minOwnedByHolders: number;
  growth: { heapUsed: number; rss: number; external: number; fds: number }; problems: string[];
}

function soak(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(ROOT, 'bench', 'soak.mjs'), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => child.kill(), 200_000);
    child.once('error', reject);
    child.once('exit', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

describe(`soak, short (${backend.name})`, () => {
  it('300 async samples with owners at ~2,000 sockets: heap flat after gc, fd count unchanged', async () => {
    const r = await soak([
      '--samples', '150', '--sockets', '2000', '--backend', backend.name, '--modes', 'api,raw',
      '--warmup', '5', '--every', '50', '--heap-mb', '4', '--rss-mb', '256', '--max-seconds', '100', '--json',
    ]);
    console.log(r.stderr.trim());
    const last = r.stdout.trim().split('\n').pop() ?? '';
    expect(last.startsWith('{'), `soak printed no result (exit ${r.code}):\n${r.stderr}`).toBe(true);
    const out = JSON.parse(last) as { sockets: number; results: Result[] };
    expect(out.sockets).toBeGreaterThanOrEqual(1990);
    expect(out.results.map((x) => x.mode)).toEqual(['api', 'raw']);
    for (const x of out.results) {
      expect(x.samples, x.mode).toBeGreaterThan(0);
      expect(x.problems, x.mode).toEqual([]);
      expect(x.growth.heapUsed, x.mode).toBeLessThan(4 * MB);
      expect(x.growth.fds, x.mode).toBe(0);
      // Every sample saw the held sockets and mapped them to the holders.
      expect(x.minTcpRows).toBeGreaterThanOrEqual(out.sockets);
      expect(x.minOwnedByHolders).toBeGreaterThanOrEqual(out.sockets);
    }
    expect(r.code).toBe(0);
  }, 240_000);
});
