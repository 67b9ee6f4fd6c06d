import { describe, expect, it } from 'vitest';
import { parseArgs, parseDuration } from '../../src/cli/args';
import { delayUntilCycle, nextCycle } from '../../src/cli/continuous';
import { BASIC, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';

describe(`-c continuous mode (${backend.name})`, () => {
  it('repeats both headers every cycle, as netstat does, and stops after --count cycles', () => {
    const r = netsnap(['-tuxan', '-c', '0.05', '--count', '3', '--proc-root', BASIC]);
    expect(r.status).toBe(0);
    const once = netsnap(['-tuxan', '--proc-root', BASIC]).stdout;
    expect(r.stdout).toBe(once.repeat(3));
  });

  it('accepts sub-second intervals: -c 0.25, -c 250ms, --interval 250ms, and netstat\'s bare -c', () => {
    const interval = (argv: string[]) => {
      const p = parseArgs(argv);
      if (p.kind !== 'run') throw new Error(p.kind);
      return [p.options.continuous, p.options.interval];
    };
    expect(interval(['-tc', '0.25'])).toEqual([true, 0.25]);
    expect(interval(['-c', '250ms'])).toEqual([true, 0.25]);
    expect(interval(['--interval', '250ms'])).toEqual([true, 0.25]);
    expect(interval(['--interval=2s'])).toEqual([true, 2]);
    expect(interval(['-c'])).toEqual([true, 1]);
    expect(interval(['-ct'])).toEqual([true, 1]);
    expect(parseArgs(['--interval', '0'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect(parseArgs(['--count', 'x'])).toMatchObject({ kind: 'error', exitCode: 3 });
    expect([parseDuration('1.5'), parseDuration('.5s'), parseDuration('10ms'), parseDuration('5m')]).toEqual([1.5, 0.5, 0.01, null]);
  });

  it('schedules cycles on a fixed grid, so a slow sample does not make the next ones drift', () => {
    // Cycle 0 started at t=1000 with a 250 ms interval.
    expect(delayUntilCycle(1000, 1, 250, 1100)).toBe(150); // sample took 100 ms: wait the rest
    expect(delayUntilCycle(1000, 2, 250, 1260)).toBe(240);
    expect(nextCycle(1000, 0, 250, 1100)).toBe(1);
    // Cycle 1 overran into slot 3: slots 2 and 3 are skipped, not run back to back.
    expect(nextCycle(1000, 1, 250, 1800)).toBe(4);
    expect(delayUntilCycle(1000, 4, 250, 1800)).toBe(200);
    expect(delayUntilCycle(1000, 1, 250, 1400)).toBe(0);
  });
});
