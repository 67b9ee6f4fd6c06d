// native/destroy_events.h's DestroyRows, which the destroy-event reader thread fills from the
// datagrams it receives, built on its own with g++, ASan and UBSan and run: every check it
// prints must pass (test/native/destroy_rows_test.cc).
import { describe, expect, it } from 'vitest';
import { runNativeCheck } from '../helpers/native-check';

describe('the rows and counters of the destroy-event reader (native/destroy_events.h)', () => {
  it('counts what it received, dropped (past the cap) and overflowed, starts afresh after take(), and joins its parts in order', () => {
    const lines = runNativeCheck({
      name: 'destroy_rows_test',
      native: ['destroy_events', 'netlink_diag', 'parallel', 'tcp_info', 'table', 'net_inet', 'net_unix', 'filter'],
    });
    expect(lines).toEqual(['counts pass', 'afresh pass', 'capped pass', 'parts pass', 'parts-capped pass', 'ok']);
  });
});
