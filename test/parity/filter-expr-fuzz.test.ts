// A short, deterministic run of the filter expression fuzzer (test/fuzz/filter-expr.ts): a fixed seed
// and fixed counts, so every run makes the same inputs. The mutated inputs must all end in a usage
// error or a valid program the kernel takes; every generated expression must compile (or, autobound
// beside a user-space predicate, be refused), the kernel must accept every bytecode, and the rows kept
// must equal the reference evaluator's. The long runs (scripts/fuzz-filter-expr.sh) are in
// test/FUZZING.md, never here. Also the regression the fuzzer found in the snapshot's owner pass.
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshot } from '../../src/backends/snapshot';
import { regressions, runFilterFuzz, type FuzzStats } from '../fuzz/filter-expr';
import { once } from '../helpers/sockets';

const SEED = 20261202;
const MEANING = 60;
const ROBUSTNESS = 400;

describe('filter expression fuzz smoke (parser, compilers, the kernel checker, the reference)', () => {
  let stats: FuzzStats;
  beforeAll(async () => {
    stats = await runFilterFuzz({ seed: SEED, meaning: MEANING, robustness: ROBUSTNESS });
  }, 120_000);

  it('finds nothing', () => {
    expect(stats.findings).toEqual([]);
  });

  it('replays every regression and runs every input it was asked for', () => {
    expect(stats.regressions).toBe(regressions().length);
    expect(stats.regressions).toBeGreaterThanOrEqual(7);
    expect(stats.meaning.expressions).toBe(MEANING);
    expect(stats.robustness.inputs).toBe(ROBUSTNESS);
  });

  it('compiles every generated expression, and the kernel accepts every bytecode', () => {
    const m = stats.meaning;
    expect(m.compiled + m.refusedMixes).toBe(MEANING);
    expect(m.compared).toBe(m.compiled);
    expect(m.kernelPrograms).toBeGreaterThan(20);
    expect(m.kernelAccepted).toBe(m.kernelPrograms);
    expect(m.mismatches).toBe(0);
    // The expressions reach the owner predicates and tcp_info, and tell the fuzzer's rows apart.
    expect(m.withOwners).toBeGreaterThan(0);
    expect(m.withInfo).toBeGreaterThan(0);
    expect(m.distinctKeptCounts).toBeGreaterThan(8);
  });

  it('ends every mutated input in a usage error or a program the kernel takes', () => {
    const r = stats.robustness;
    expect(r.refused + r.compiled).toBe(ROBUSTNESS);
    expect(r.refused).toBeGreaterThan(ROBUSTNESS / 2);
    expect(r.compiled).toBeGreaterThan(10);
    expect(r.kernelAccepted).toBe(r.kernelPrograms);
    expect(r.kernelPrograms).toBeGreaterThan(5);
  });
});

describe("'dev' beside an owner predicate (a finding of the fuzzer)", () => {
  const server = net.createServer();
  let port = 0;
  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const listed = (filter: string): boolean =>
    snapshot({ source: 'netlink', filter: `sport = :${port} and ( ${filter} )` }).inet.some((t) => {
      for (let i = 0; i < t.count; i++) if (t.localPort[i] === port && t.state[i] === 10) return true;
      return false;
    });

  it('decides dev in the owner pass: a socket bound to no device is not on ifindex 1', () => {
    // The listener is bound to no device (ifindex 0) and held by this process.
    expect(listed('dev = 0')).toBe(true);
    expect(listed('dev = 1')).toBe(false);
    // An owner predicate makes the snapshot run the whole program again with the owners: `dev` must
    // still be decided there (it was unknown, so `or` kept the row).
    expect(listed(`dev = 1 or pid = ${process.pid + 1}`)).toBe(false);
    expect(listed('dev = 1 or comm = no-such-command')).toBe(false);
    expect(listed('not dev = 0 or container = feedfacecafe')).toBe(false);
    expect(listed(`dev = 0 and pid = ${process.pid}`)).toBe(true);
    expect(listed(`dev = 1 or pid = ${process.pid}`)).toBe(true);
  });
});
