// Which /proc entries name a process or an fd (src/owners/proc_pid.ts), as both backends' scans
// decide it: 1..10 decimal digits, no leading zero, at most 0x7fffffff.
import { describe, expect, it } from 'vitest';
import { isFdName, isPidName, smallNumber } from '../../src/owners/proc_pid';

describe('the numbers /proc entries name', () => {
  it('reads a pid or fd name as its number and anything else as -1', () => {
    const cases: Array<[string, number]> = [
      ['0', 0], ['1', 1], ['42', 42], ['1234567890', 1234567890], ['2147483647', 0x7fffffff],
      ['2147483648', -1], ['9999999999', -1], ['12345678901', -1], ['', -1], ['01', -1], ['00', -1],
      ['self', -1], ['thread-self', -1], ['1a', -1], ['-1', -1], [' 1', -1], ['1 ', -1], ['+1', -1], ['1.0', -1], ['٣', -1],
    ];
    for (const [name, want] of cases) expect(smallNumber(name), JSON.stringify(name)).toBe(want);
    for (const [name, want] of cases) {
      expect(isPidName(name), JSON.stringify(name)).toBe(want >= 0);
      expect(isFdName(name), JSON.stringify(name)).toBe(want >= 0);
    }
  });
});
