// A socket a netlink dump lists twice (inet_diag resumes by hash-bucket position, so churn can shift
// one into a second listing) is taken once: test/native/diag_dedupe_test.cc drives
// parse_diag_messages() with the dump's cookie set, built here with g++ under ASan and UBSan.
import { describe, expect, it } from 'vitest';
import { problemReason } from '../../src/model/contract';
import { problemText } from '../../src/model/snapshot';
import { runNativeCheck } from '../helpers/native-check';

describe('duplicate sockets in a netlink dump', () => {
  it('the second listing is dropped, counted and noted as a problem with its record number', () => {
    const lines = runNativeCheck({ name: 'diag_dedupe_test', native: ['netlink_diag', 'parallel', 'tcp_info', 'table', 'net_inet', 'net_unix', 'filter'] });
    expect(lines).toEqual(['second-listing-dropped pass', 'no-cookie-kept pass', 'unchecked-without-set pass', 'grows pass', 'reset-forgets pass', 'ok']);
  });

  it('is reported as a netlink record, not as a /proc line', () => {
    expect(problemReason(16)).toBe('socket listed twice by the netlink dump (sockets moved during it); the second listing was dropped');
    expect(problemText({ file: '/proc/net/tcp', line: 1234, code: 16, reason: problemReason(16) }))
      .toBe('/proc/net/tcp (netlink dump): record 1234 skipped: socket listed twice by the netlink dump (sockets moved during it); the second listing was dropped');
    expect(problemText({ file: '/proc/net/tcp', line: 7, code: 6, reason: problemReason(6) })).toBe('/proc/net/tcp:7: line skipped: bad state');
  });
});
