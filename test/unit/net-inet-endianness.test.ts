import { describe, expect, it } from 'vitest';
import { backend } from '../helpers/env';
import { InetTable } from '../../src/model/columns';

const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n';
const v4 = '   0: 0100007F:1F90 0200A8C0:0050 01 00000000:00000000 00:00000000 00000000     0        0 42\n';
const v6 = '   0: B80D0120000000000000000001000000:0016 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000 0 0 43\n';

function parse(line: string, littleEndian: boolean) {
  const t = new InetTable('tcp', 'tcp', backend.parseInet(Buffer.from(header + line), 'tcp', littleEndian));
  expect(t.count).toBe(1);
  return t;
}

describe(`address byte order is a parameter (${backend.name})`, () => {
  it('little-endian hosts reverse each 4-byte word of an IPv4 address', () => {
    const t = parse(v4, true);
    expect([...t.localAddr.subarray(0, 4)]).toEqual([127, 0, 0, 1]);
    expect([...t.remoteAddr.subarray(0, 4)]).toEqual([192, 168, 0, 2]);
    expect([...t.localAddr.subarray(4, 16)].every((b) => b === 0)).toBe(true);
  });

  it('big-endian hosts take the bytes as printed', () => {
    const t = parse(v4, false);
    expect([...t.localAddr.subarray(0, 4)]).toEqual([1, 0, 0, 127]);
    expect([...t.remoteAddr.subarray(0, 4)]).toEqual([2, 0, 168, 192]);
  });

  it('IPv6 reverses each of the four words, not the 16 bytes as a whole', () => {
    const le = parse(v6, true);
    expect(Buffer.from(le.localAddr).toString('hex')).toBe('20010db8000000000000000000000001');
    const be = parse(v6, false);
    expect(Buffer.from(be.localAddr).toString('hex')).toBe('b80d0120000000000000000001000000');
    expect([le.localPort[0], le.family[0], le.state[0], le.inode[0]]).toEqual([22, 6, 10, 43]);
  });

  it('ports are plain hex numbers, whatever the byte order', () => {
    expect([parse(v4, true).localPort[0], parse(v4, false).localPort[0]]).toEqual([8080, 8080]);
  });
});
