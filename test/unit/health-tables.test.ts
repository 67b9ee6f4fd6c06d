// TCP health (--summary --info) on hand-written tables: a tcp file parsed as usual, with tcp_info
// columns filled in by hand the way the native netlink decoder lays them out (column-major, by
// TCP_INFO_FIELDS). Exact percentiles, retransmitting and zero-window counts, per port, per peer
// network, the two warnings, and the JSON and text of the summary.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index';
import { EXT_INFO, sampleRequest, Snapshot } from '../../src/model/snapshot';
import { TCP_INFO_COLUMN, TCP_INFO_F64_COLUMNS, TCP_INFO_U32_COLUMNS, type RawTcpExtensions } from '../../src/model/tcp_info';
import { tcpHealth } from '../../src/analysis/health';
import { summarize, summaryText } from '../../src/analysis/summary';
import { measure } from '../../src/analysis/measure';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const HEADER = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode';

/** An IPv4 address as /proc prints it on a little-endian host. */
function hex(a: string, port: number): string {
  const b = a.split('.').map(Number);
  return `${[b[3], b[2], b[1], b[0]].map((x) => x!.toString(16).toUpperCase().padStart(2, '0')).join('')}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

interface Row {
  local: [string, number];
  remote: [string, number];
  state: number;
  timer?: number;
  info?: Record<string, number>;
}

function tables(rows: Row[]): Snapshot {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'netsnap-health-'));
  dirs.push(dir);
  const lines = rows.map((r, i) =>
    `${String(i).padStart(4)}: ${hex(...r.local)} ${hex(...r.remote)} ${r.state.toString(16).toUpperCase().padStart(2, '0')} 00000000:00000000 ${String(r.timer ?? 0).padStart(2, '0')}:00000000 00000000  1000        0 ${1000 + i} 1 0000000000000000 20 4 30 10 -1`);
  fs.writeFileSync(path.join(dir, 'tcp'), [HEADER, ...lines, ''].join('\n'));
  const request = { ...sampleRequest({ protocols: ['tcp'], families: [4], netDir: dir, littleEndian: true, info: true }) };
  const raw = jsBackend.sample(request);
  const table = raw.files[0]!.table!;
  expect(table.count).toBe(rows.length);
  const n = rows.length;
  const ext: RawTcpExtensions = {
    infoLen: new Uint16Array(n), infoU32: new Uint32Array(TCP_INFO_U32_COLUMNS * n), infoF64: new Float64Array(TCP_INFO_F64_COLUMNS * n),
    cong: new Uint8Array(n), congNames: ['cubic'], memCount: new Uint8Array(n), mem: new Uint32Array(9 * n),
  };
  rows.forEach((r, i) => {
    if (!r.info) return;
    ext.infoLen[i] = 232;
    ext.cong[i] = 1;
    for (const [name, v] of Object.entries(r.info)) {
      const c = TCP_INFO_COLUMN.get(name)!;
      (c.wide ? ext.infoF64 : ext.infoU32)[c.column * n + i] = v;
    }
  });
  table.ext = ext;
  expect(request.extensions).toBe(EXT_INFO);
  return new Snapshot('js', request, raw, Date.UTC(2026, 11, 2));
}

const LISTEN = 10;
const ESTABLISHED = 1;

// Ten connections to the service on 8080 from 10.0.0.0/24 (RTT 100..1000 µs, three retransmitting,
// one on a zero window), two from 198.51.100.0/24 at 90 ms, one client connection of this host.
function host(): Snapshot {
  const rows: Row[] = [{ local: ['127.0.0.1', 8080], remote: ['0.0.0.0', 0], state: LISTEN, info: { rttUs: 0 } }];
  for (let k = 1; k <= 10; k++) {
    rows.push({
      local: ['127.0.0.1', 8080], remote: [`10.0.0.${k}`, 40000 + k], state: ESTABLISHED, timer: k === 4 ? 4 : 0,
      info: { rttUs: k * 100, retrans: k <= 3 ? 2 : 0, busyUs: 1000, rwndLimitedUs: k === 5 ? 500 : 0, sndbufLimitedUs: k === 6 ? 250 : 0, notsentBytes: 10 },
    });
  }
  for (const k of [7, 8]) rows.push({ local: ['127.0.0.1', 8080], remote: [`198.51.100.${k}`, 50000 + k], state: ESTABLISHED, info: { rttUs: 90_000 } });
  rows.push({ local: ['127.0.0.1', 41000], remote: ['10.0.0.1', 443], state: ESTABLISHED, info: { rttUs: 700 } });
  rows.push({ local: ['127.0.0.1', 8080], remote: ['10.0.0.99', 40099], state: 6 }); // TIME_WAIT: no tcp_info
  return tables(rows);
}

describe('TCP health from tcp_info columns', () => {
  it('counts connections with tcp_info, percentiles by nearest rank, retransmitting and zero-window connections', () => {
    const h = tcpHealth(host(), { top: 5 })!;
    // 13 connections (LISTEN and TIME_WAIT left out); RTTs sorted: 100..600, 700, 700, 800..1000, 90000,
    // 90000: p50 is the 7th (700), p99 the 13th.
    expect([h.health.connections, h.health.rttP50Us, h.health.rttP99Us]).toEqual([13, 700, 90_000]);
    expect([h.health.retransmitting, h.health.zeroWindow, h.health.notsentBytes]).toEqual([3, 1, 100]);
    expect([h.health.busyUs, h.health.rwndLimitedUs, h.health.sndbufLimitedUs]).toEqual([10_000, 500, 250]);
    expect(h.health.ports).toEqual([{
      proto: 'tcp', port: 8080, connections: 12, rttP50Us: 600, rttP99Us: 90_000, retransmitting: 3, zeroWindow: 1,
      rwndLimitedUs: 500, sndbufLimitedUs: 250, busyUs: 10_000, notsentBytes: 100,
    }]);
    expect(h.health.processes).toBeNull();
    expect(h.health.peerNetworks).toEqual([
      { network: '198.51.100.0/24', connections: 2, rttP50Us: 90_000 },
      { network: '10.0.0.0/24', connections: 11, rttP50Us: 600 },
    ]);
  });

  it('warns of a port whose connections retransmit and of a peer network far slower than the rest', () => {
    const h = tcpHealth(host())!;
    expect(h.warnings.map((w) => w.kind)).toEqual(['retransmits', 'slow-peers']);
    expect(h.warnings[0]!.message).toBe('3 of 12 connection(s) on tcp port 8080 are retransmitting: loss or congestion on their path');
    expect(h.warnings[1]!.message).toBe("peers in 198.51.100.0/24 have a median RTT of 90.0 ms, 129x this host's (0.700 ms)");
  });

  it('does not warn below the thresholds', () => {
    const rows: Row[] = [{ local: ['127.0.0.1', 80], remote: ['0.0.0.0', 0], state: LISTEN }];
    for (let k = 1; k <= 30; k++) rows.push({ local: ['127.0.0.1', 80], remote: [`10.1.${k}.1`, 30000 + k], state: ESTABLISHED, info: { rttUs: 1000, retrans: k <= 2 ? 1 : 0 } });
    expect(tcpHealth(tables(rows))!.warnings).toEqual([]);
  });

  it('goes into the summary (JSON and text) and into measure()', () => {
    const snap = host();
    const s = summarize(snap, { top: 5 });
    expect(s.health?.connections).toBe(13);
    expect(s.warnings.map((w) => w.kind)).toEqual(expect.arrayContaining(['retransmits', 'slow-peers']));
    const text = summaryText(s);
    expect(text).toContain('TCP health (tcp_info of 13 connection(s); RTT p50 0.700 ms, p99 90.000 ms; 3 retransmitting, 1 on a zero window):');
    expect(text).toContain('  8080        12     0.600    90.000       3       1     5.0%       2.5%\n');
    const m = measure(snap, { top: 5 });
    expect(m.tcp).toEqual({
      connections: 13, rttP50Us: 700, rttP99Us: 90_000, retransmitting: 3, notsentBytes: 100,
      ports: [{ port: 8080, connections: 12, rttP50Us: 600, rttP99Us: 90_000, retransmitting: 3, notsentBytes: 100 }],
    });
  });
});
