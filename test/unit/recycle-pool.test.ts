// native/recycle.h (the pool of big column blocks a sampler's ticks reuse) built on its own with
// g++ and run: every check it prints must pass. Built with UBSan and the library's assertions;
// without ASan, which turns the pool off (so that a use after free of a column stays visible to it).
import { describe, expect, it } from 'vitest';
import { runNativeCheck } from '../helpers/native-check';

describe('the recycling pool of column memory (native/recycle.h)', () => {
  it('keeps big blocks and hands them out again where they fit, capped, expiring, thread-safe', () => {
    const lines = runNativeCheck({ name: 'recycle_test', sanitize: 'undefined', defines: ['NETSNAP_RECYCLE_SECONDS=1'] });
    expect(lines).toEqual([
      'kept pass', 'reused-when-it-fits pass', 'kept-as-asked pass', 'not-reused-when-too-big pass', 'not-reused-when-too-small pass',
      'drained pass', 'small-not-kept pass', 'capped pass', 'expired pass', 'column-contents pass', 'threads pass', 'ok',
    ]);
  });
});
