// The addon's detail lines (Backend.formatDetailLines and formatInetRows with `details`; native/format.cc,
// format_detail_line): ss's words, order, omissions and C number formats for generated rows whose every
// value is chosen here: %g milliseconds (past 1000 ms too), sprint_bw's %.0f under -n and %.3g with a
// unit otherwise (ties to even, as printf), %.1f shares of busy time, the kernel's "unlimited" rates left
// out, fields past a short tcp_info left out, skmem of 7, 8 and 9 values, cgroup texts by id (and an id
// without one), the LISTEN row's sacked; the rows with a detail line interleaved in formatInetRows as the
// two calls give them apart; and bad columns or too small a buffer refused with a TypeError.
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native';
import { detailRoom, FORMAT_DETAIL_MAX, FORMAT_ROW_MAX, inetLayout, type DetailSpec, type InetRowFormat } from '../../src/model/contract';
import { TCP_INFO_COLUMN, TCP_INFO_F64_COLUMNS, TCP_INFO_FIELDS, TCP_INFO_U32_COLUMNS } from '../../src/model/tcp_info';
import { InetTable } from '../../src/model/columns';

const loaded = loadNative();
const backend = loaded.ok ? loaded.backend : null;
// setThreads, the addon's test hook (not part of Backend): the workers formatInetRows cuts its rows among.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const addon = (loaded.ok ? require(loaded.path) : { setThreads: () => undefined }) as { setThreads(n: number): void };

type Row = { state?: number; infoLen?: number; info?: Record<string, number>; cong?: number; mem?: number[]; cgroup?: bigint };

/** A DetailSpec of these rows; every tcp_info field not given is 0. */
function spec(rows: Row[], o: Partial<Pick<DetailSpec, 'info' | 'memory' | 'cgroup' | 'numeric' | 'tcp'>> = {}, cgroups: Array<[bigint, string]> = []): DetailSpec {
  const n = rows.length;
  const infoU32 = new Uint32Array(TCP_INFO_U32_COLUMNS * n);
  const infoF64 = new Float64Array(TCP_INFO_F64_COLUMNS * n);
  const mem = new Uint32Array(9 * n);
  const memCount = new Uint8Array(n);
  rows.forEach((r, i) => {
    for (const [name, v] of Object.entries(r.info ?? {})) {
      const c = TCP_INFO_COLUMN.get(name);
      if (!c) throw new Error(`no field ${name}`);
      if (c.wide) infoF64[c.column * n + i] = v;
      else infoU32[c.column * n + i] = v;
    }
    (r.mem ?? []).forEach((v, k) => (mem[k * n + i] = v));
    memCount[i] = r.mem?.length ?? 0;
  });
  const enc = new TextEncoder();
  const congNames = ['cubic', 'bbr'].map((s) => enc.encode(s));
  const texts = cgroups.map(([, t]) => enc.encode(t));
  const ends = (parts: Uint8Array[]) => {
    let at = 0;
    return Uint32Array.from(parts, (p) => (at += p.length));
  };
  const join = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };
  return {
    rows: n, state: Uint8Array.from(rows, (r) => r.state ?? 1),
    infoLen: Uint16Array.from(rows, (r) => r.infoLen ?? (r.info ? 248 : 0)), infoU32, infoF64,
    cong: Uint8Array.from(rows, (r) => r.cong ?? 0), congText: join(congNames), congEnds: ends(congNames),
    memCount, mem, cgroupId: BigUint64Array.from(rows, (r) => r.cgroup ?? 0n),
    cgroupIds: BigUint64Array.from(cgroups, ([id]) => id), cgroupEnds: ends(texts), cgroupText: join(texts),
    info: true, memory: true, cgroup: true, numeric: true, tcp: true, ...o,
  };
}

/** Each row's detail line ('' for none), through formatDetailLines. */
function lines(d: DetailSpec, first = 0, count = d.rows): string[] {
  const out = new Uint8Array(count * detailRoom(d));
  const ends = new Uint32Array(count);
  const used = backend!.formatDetailLines!(d, first, count, out, ends);
  const text = new TextDecoder().decode(out.subarray(0, used));
  return Array.from(ends, (e, i) => text.slice(i === 0 ? 0 : ends[i - 1], e));
}

const ESTABLISHED = { wscaleByte: 0x97, options: 7, rtoUs: 204000, rttUs: 1234, rttVarUs: 500, atoUs: 40000, mss: 1448, pmtu: 1500, rcvMss: 536, advmss: 1448, cwnd: 10, ssthresh: 0x7fffffff };

describe('detail lines (native)', () => {
  it('is there: the addon formats them', () => {
    expect(loaded.ok).toBe(true);
    expect(typeof backend?.formatDetailLines).toBe('function');
    expect(FORMAT_DETAIL_MAX).toBe(1536);
  });

  it('prints ss fields in ss order, with %g milliseconds and whole bits/s under -n', () => {
    const d = spec([{
      cong: 2, cgroup: 7n, mem: [1, 131072, 2, 3939840, 3, 4, 5, 6, 7],
      info: { ...ESTABLISHED, bytesSent: 1000, bytesAcked: 1001, bytesReceived: 500, segsOut: 5, segsIn: 4, dataSegsOut: 1, dataSegsIn: 1, lastSendMs: 10, lastRecvMs: 20, lastAckMs: 30, pacingRateBytesPerSec: 2 ** 64, deliveryRateBytesPerSec: 140625, delivered: 2, flagsByte: 1, busyUs: 123456, rwndLimitedUs: 1000, unacked: 1, retrans: 0, totalRetrans: 3, reordering: 3, rcvSpace: 14480, rcvSsthresh: 64088, minRttUs: 1000, sndWnd: 65536, rcvWnd: 65483 },
    }], {}, [[7n, '/system.slice/x.service']]);
    expect(lines(d)).toEqual([
      '\t cgroup:/system.slice/x.service skmem:(r1,rb131072,t2,tb3939840,f3,w4,o5,bl6,d7) bbr wscale:7,9 rto:204 rtt:1.234/0.5 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10' +
        ' bytes_sent:1000 bytes_acked:1001 bytes_received:500 segs_out:5 segs_in:4 data_segs_out:1 data_segs_in:1 send 93873582bps lastsnd:10 lastrcv:20 lastack:30' +
        ' delivery_rate 1125000bps delivered:2 app_limited busy:123ms rwnd_limited:1ms(0.8%) unacked:1 retrans:0/3 rcv_space:14480 rcv_ssthresh:64088 minrtt:1 snd_wnd:65536 rcv_wnd:65483\n',
    ]);
  });

  it('rounds rates as printf does without -n: 3 significant digits, ties to even', () => {
    const d = spec([
      { info: { deliveryRateBytesPerSec: 140625 } }, // 1,125,000 bits/s: 1.125M, a tie
      { info: { deliveryRateBytesPerSec: 15 } }, // 120 bits/s: %g
      { info: { pacingRateBytesPerSec: 125e9, maxPacingRateBytesPerSec: 2 ** 64 } }, // 1T; the unlimited maximum left out
      { info: { rttUs: 3, mss: 1000, cwnd: 1 } }, // 8e9/3 bits/s
    ], { numeric: false, memory: false, cgroup: false });
    expect(lines(d)).toEqual([
      '\t delivery_rate 1.12Mbps reordering:0\n',
      '\t delivery_rate 120bps reordering:0\n',
      '\t pacing_rate 1Tbps reordering:0\n',
      '\t rtt:0.003/0 mss:1000 cwnd:1 send 2.67Gbps reordering:0\n',
    ]);
  });

  it('prints times of a second or more as %g does, and leaves out what ss leaves out', () => {
    const d = spec([
      { info: { rtoUs: 3000000, rttUs: 1500000, rttVarUs: 1234567, minRttUs: 0xffffffff, ssthresh: 0xffff, reordering: 3, sacked: 2 }, state: 10 },
      { info: { rtoUs: 1000000, rcvRttUs: 12345678, reordering: 3, sacked: 2, backoff: 4 } },
      { info: { reordering: 0xffffffff, rcvSpace: 0x80000000 } },
    ], { memory: false, cgroup: false });
    expect(lines(d)).toEqual([
      '\t rtt:1500/1234.57\n',
      '\t rto:1000 backoff:4 sacked:2 rcv_rtt:12345.7\n',
      '\t reordering:-1 rcv_space:-2147483648\n',
    ]);
  });

  it('leaves out the fields past a short tcp_info, and prints nothing for a row without any', () => {
    // 104 bytes: up to tcpi_total_retrans (offset 100); bytes_acked (120) and later are beyond it.
    const d = spec([
      { infoLen: 104, info: { ...ESTABLISHED, totalRetrans: 2, bytesAcked: 99, segsOut: 7, rcvWnd: 1 }, cong: 1 },
      {},
      { cong: 2 },
    ], { memory: false, cgroup: false });
    expect(lines(d)).toEqual([
      '\t cubic wscale:7,9 rto:204 rtt:1.234/0.5 ato:40 mss:1448 pmtu:1500 rcvmss:536 advmss:1448 cwnd:10 send 93873582bps retrans:0/2 reordering:0\n',
      '',
      '\t bbr\n',
    ]);
  });

  it('prints skmem of 7, 8 and 9 values, cgroups by id, and the tcp_info part for TCP only', () => {
    const rows: Row[] = [{ mem: [1, 2, 3, 4, 5, 6, 7], cgroup: 5n }, { mem: [1, 2, 3, 4, 5, 6, 7, 8], cgroup: 0n }, { mem: [1, 2, 3, 4, 5, 6, 7, 8, 9], cgroup: 0xabcn }];
    expect(lines(spec(rows, { info: false }, [[5n, '/a b']]))).toEqual([
      '\t cgroup:/a b skmem:(r1,rb2,t3,tb4,f5,w6,o7)\n',
      '\t skmem:(r1,rb2,t3,tb4,f5,w6,o7,bl8)\n',
      '\t cgroup:unreachable:abc skmem:(r1,rb2,t3,tb4,f5,w6,o7,bl8,d9)\n',
    ]);
    const udp = spec([{ mem: [1, 2, 3, 4, 5, 6, 7, 8, 9], info: ESTABLISHED, cong: 1 }], { tcp: false, cgroup: false });
    expect(lines(udp)).toEqual(['\t skmem:(r1,rb2,t3,tb4,f5,w6,o7,bl8,d9)\n']);
    // A table without extension columns (--cgroup alone) shows its cgroups.
    const bare = spec([{ cgroup: 5n }], {}, [[5n, '/x']]);
    for (const k of ['infoLen', 'infoU32', 'infoF64', 'cong', 'memCount', 'mem'] as const) delete bare[k];
    expect(lines(bare)).toEqual(['\t cgroup:/x\n']);
  });

  it.each([40, 20000])('formats a range of rows, and interleaves the lines with the rows in formatInetRows (%i rows)', (n) => {
    // 20,000 rows are cut among two workers (setThreads), each part's lines starting where its rows do.
    addon.setThreads(2);
    const rows: Row[] = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? {} : { info: { ...ESTABLISHED, segsIn: i, rttUs: 1 + i }, cong: 1 + (i % 2) }));
    const d = spec(rows, { memory: false, cgroup: false });
    const all = lines(d);
    expect(lines(d, 10, 20)).toEqual(all.slice(10, 30));
    // The rows themselves: a table of n rows, every one shown.
    const raw = { buffer: new ArrayBuffer(inetLayout(n).byteLength), capacity: n, count: n, problems: new Uint32Array(0) };
    const t = new InetTable('tcp', 'tcp', raw);
    for (let i = 0; i < n; i++) {
      t.family[i] = 4;
      t.state[i] = 1;
      t.localPort[i] = 1000 + (i % 60000);
      t.localAddr.set([127, 0, 0, 1], 16 * i);
    }
    const cols = { family: t.family, state: t.state, localAddr: t.localAddr, remoteAddr: t.remoteAddr, localPort: t.localPort, remotePort: t.remotePort, txQueue: t.txQueue, rxQueue: t.rxQueue, inode: t.inode };
    const cells = new Uint8Array(256 * 16);
    cells[16] = 11;
    cells.set(new TextEncoder().encode('ESTABLISHED'), 17);
    const f: InetRowFormat = { label: new TextEncoder().encode('tcp   '), stateCells: cells, proto: 'tcp', show: 'all', wide: false };
    const plain = new Uint8Array(n * (f.label.length + FORMAT_ROW_MAX));
    const rowText = new TextDecoder().decode(plain.subarray(0, backend!.formatInetRows!(cols, n, f, null, plain)));
    const rowLines = rowText.split('\n').slice(0, n).map((l) => `${l}\n`);
    const sub = (c: typeof cols, from: number) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.subarray((k.endsWith('Addr') ? 16 : 1) * from)])) as typeof cols;
    const withDetails = { ...f, details: d, detailFirst: 5 };
    const out = new Uint8Array((n - 5) * (f.label.length + FORMAT_ROW_MAX + detailRoom(d)));
    const got = new TextDecoder().decode(out.subarray(0, backend!.formatInetRows!(sub(cols, 5), n - 5, withDetails, null, out)));
    expect(got).toBe(rowLines.slice(5).map((l, i) => l + all[5 + i]).join(''));
    addon.setThreads(0);
  });

  it('refuses bad columns, a selection of fields and too small a buffer with a TypeError', () => {
    const d = spec([{ info: ESTABLISHED }, { info: ESTABLISHED }]);
    const room = detailRoom(d);
    const call = (x: DetailSpec, first: number, count: number, out = new Uint8Array(2 * room), ends = new Uint32Array(2)) =>
      () => backend!.formatDetailLines!(x, first, count, out, ends);
    expect(call(d, 0, 2)).not.toThrow();
    expect(call(d, 1, 2)).toThrow(TypeError);
    expect(call(d, 0, 2, new Uint8Array(2 * room - 1))).toThrow(/out is shorter/);
    expect(call(d, 0, 2, undefined, new Uint32Array(1))).toThrow(/ends is shorter/);
    expect(call({ ...d, infoU32: d.infoU32!.subarray(1) }, 0, 2)).toThrow(/infoU32 is shorter/);
    expect(call({ ...d, mem: new Uint32Array(5) }, 0, 2)).toThrow(/mem is shorter/);
    expect(call({ ...d, congEnds: Uint32Array.of(3, 2) }, 0, 2)).toThrow(/congEnds must increase/);
    expect(call({ ...d, cgroupIds: BigUint64Array.of(2n, 1n), cgroupEnds: Uint32Array.of(0, 0) }, 0, 2)).toThrow(/cgroupIds must increase/);
    expect(call({ ...d, cgroupEnds: Uint32Array.of(5) , cgroupIds: BigUint64Array.of(1n) }, 0, 2)).toThrow(/within details.cgroupText/);
    expect(call({ ...d, fields: Uint8Array.of(1) } as DetailSpec, 0, 2)).toThrow(/only some tcp_info fields/);
    expect(call({ ...d, rows: 2.5 }, 0, 2)).toThrow(/whole number/);
  });
});
