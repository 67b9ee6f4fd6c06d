// A lent table's netlink columns are taken back only where they fit and where no other lent memory
// of the request overlaps them: test/native/reuse_columns_test.cc drives fill_reused_columns()
// (native/table.h), built here with g++ under ASan and UBSan. The live behaviour, through the addon,
// is in test/parity/netlink-extensions.test.ts.
import { describe, expect, it } from 'vitest';
import { runNativeCheck } from '../helpers/native-check';

describe('netlink columns filled into a lent table (fill_reused_columns)', () => {
  it('go where they fit, never where the lent memory is too small, absent, or overlaps other lent memory', () => {
    const lines = runNativeCheck({ name: 'reuse_columns_test', native: ['tcp_info', 'table', 'net_inet', 'net_unix', 'filter'] });
    expect(lines).toEqual(['fits pass', 'too-small pass', 'partly pass', 'lent-twice pass', 'overlaps-other-table pass', 'nothing pass', 'moved pass', 'ok']);
  });
});
