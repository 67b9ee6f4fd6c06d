// The detail line that --info, --memory and --cgroup print under a socket row, in ss's words and
// order (iproute2 misc/ss.c: tcp_show_info, print_skmeminfo, the cgroup column), so an ss user reads
// it at a glance: `\t cgroup:/x skmem:(r0,rb131072,...) cubic wscale:7,7 rto:204 rtt:0.03/0.015 ...`.
// Values are ss's: times in ms with C's %g, rates in bits/s (the kernel keeps bytes/s).
import type { InetTable } from '../model/columns';
import { TCP_INFO_INDEX, type TcpInfoColumns } from '../model/tcp_info';

export interface DetailOptions {
  info: boolean;
  memory: boolean;
  cgroup: boolean;
  /** ss -n: rates as whole bits/s; otherwise ss's 3 significant digits with k/M/G/T. */
  numeric: boolean;
  /** How a cgroup path is shown (escaped on a terminal: a delegated cgroup's name is its user's text). */
  show?: (text: string) => string;
}

const TCPI_OPT_WSCALE = 4;
const TCP_LISTEN = 10;
const U32_MAX = 0xffffffff;

/** C's printf("%g"): 6 significant digits, trailing zeros dropped, exponent outside 1e-4..1e6. */
export function cG(x: number): string {
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : x < 0 ? '-inf' : 'nan';
  let exp = Math.floor(Math.log10(Math.abs(x)));
  // Rounding to 6 digits can carry into the next power of ten (999999.5 -> 1e+06).
  if (Math.abs(Number(x.toPrecision(6))) >= 10 ** (exp + 1)) exp++;
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e') as [string, string];
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const fixed = x.toFixed(Math.max(0, 5 - exp));
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

/** ss's sprint_bw(): bits/s. */
export function bitsPerSecond(bps: number, numeric: boolean): string {
  if (numeric) return bps.toFixed(0);
  const units: Array<[number, string]> = [[1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'k']];
  for (const [scale, unit] of units) if (bps >= scale) return `${Number((bps / scale).toPrecision(3))}${unit}`;
  return `${Number(bps.toPrecision(3))}`;
}

function skmem(ext: TcpInfoColumns, i: number): string {
  const m = ext.memory(i);
  if (m === null) return '';
  let s = ` skmem:(r${m.rmemAlloc ?? 0},rb${m.rcvbuf ?? 0},t${m.wmemAlloc ?? 0},tb${m.sndbuf ?? 0},f${m.fwdAlloc ?? 0},w${m.wmemQueued ?? 0},o${m.optmem ?? 0}`;
  if (m.backlog !== undefined) s += `,bl${m.backlog}`;
  if (m.drops !== undefined) s += `,d${m.drops}`;
  return `${s})`;
}

const K = (() => {
  const idx = (name: string): number => {
    const k = TCP_INFO_INDEX.get(name);
    if (k === undefined) throw new Error(`no tcp_info field ${name}`);
    return k;
  };
  return {
    options: idx('options'), wscale: idx('wscaleByte'), flags: idx('flagsByte'), rto: idx('rtoUs'), backoff: idx('backoff'),
    rtt: idx('rttUs'), rttVar: idx('rttVarUs'), ato: idx('atoUs'), mss: idx('mss'), pmtu: idx('pmtu'), rcvMss: idx('rcvMss'),
    advmss: idx('advmss'), cwnd: idx('cwnd'), ssthresh: idx('ssthresh'), bytesSent: idx('bytesSent'), bytesRetrans: idx('bytesRetrans'),
    bytesAcked: idx('bytesAcked'), bytesReceived: idx('bytesReceived'), segsOut: idx('segsOut'), segsIn: idx('segsIn'),
    dataSegsOut: idx('dataSegsOut'), dataSegsIn: idx('dataSegsIn'), lastSend: idx('lastSendMs'), lastRecv: idx('lastRecvMs'),
    lastAck: idx('lastAckMs'), pacing: idx('pacingRateBytesPerSec'), maxPacing: idx('maxPacingRateBytesPerSec'),
    delivery: idx('deliveryRateBytesPerSec'), delivered: idx('delivered'), deliveredCe: idx('deliveredCe'), busy: idx('busyUs'),
    rwndLimited: idx('rwndLimitedUs'), sndbufLimited: idx('sndbufLimitedUs'), unacked: idx('unacked'), retrans: idx('retrans'),
    totalRetrans: idx('totalRetrans'), lost: idx('lost'), sacked: idx('sacked'), dsackDups: idx('dsackDups'),
    reordering: idx('reordering'), reordSeen: idx('reordSeen'), rcvRtt: idx('rcvRttUs'), rcvSpace: idx('rcvSpace'),
    rcvSsthresh: idx('rcvSsthresh'), notsent: idx('notsentBytes'), minRtt: idx('minRttUs'), rcvOooPack: idx('rcvOooPack'),
    sndWnd: idx('sndWnd'), rcvWnd: idx('rcvWnd'),
  };
})();

/** ` key:n`, or '' for 0 (ss leaves zeros out). */
function kv(key: string, n: number): string {
  return n === 0 ? '' : ` ${key}:${n}`;
}

/** The tcp_info part, as tcp_show_info() orders and omits it. */
function tcpInfo(ext: TcpInfoColumns, i: number, state: number, numeric: boolean): string {
  let s = '';
  const cong = ext.congestion(i);
  if (cong !== null) s += ` ${cong}`;
  if (!ext.hasInfo(i)) return s;
  const v = (k: number) => ext.at(k, i);
  if (v(K.options) & TCPI_OPT_WSCALE) s += ` wscale:${v(K.wscale) & 0x0f},${v(K.wscale) >> 4}`;
  const rto = v(K.rto);
  if (rto !== 0 && rto !== 3000000) s += ` rto:${cG(rto / 1000)}`;
  s += kv('backoff', v(K.backoff));
  const rtt = v(K.rtt);
  if (rtt !== 0) s += ` rtt:${cG(rtt / 1000)}/${cG(v(K.rttVar) / 1000)}`;
  const ato = v(K.ato);
  if (ato !== 0) s += ` ato:${cG(ato / 1000)}`;
  const mss = v(K.mss);
  const cwnd = v(K.cwnd);
  s += kv('mss', mss) + kv('pmtu', v(K.pmtu)) + kv('rcvmss', v(K.rcvMss)) + kv('advmss', v(K.advmss)) + kv('cwnd', cwnd);
  const ssthresh = v(K.ssthresh);
  if (ssthresh < 0xffff) s += kv('ssthresh', ssthresh);
  s += kv('bytes_sent', v(K.bytesSent)) + kv('bytes_retrans', v(K.bytesRetrans)) + kv('bytes_acked', v(K.bytesAcked))
    + kv('bytes_received', v(K.bytesReceived)) + kv('segs_out', v(K.segsOut)) + kv('segs_in', v(K.segsIn))
    + kv('data_segs_out', v(K.dataSegsOut)) + kv('data_segs_in', v(K.dataSegsIn));
  if (rtt > 0 && mss > 0 && cwnd > 0) s += ` send ${bitsPerSecond((cwnd * mss * 8e6) / rtt, numeric)}bps`;
  s += kv('lastsnd', v(K.lastSend)) + kv('lastrcv', v(K.lastRecv)) + kv('lastack', v(K.lastAck));
  const pacing = v(K.pacing);
  if (pacing !== 0 && pacing < 2 ** 64) {
    s += ` pacing_rate ${bitsPerSecond(pacing * 8, numeric)}bps`;
    const max = v(K.maxPacing);
    if (max !== 0 && max < 2 ** 64) s += `/${bitsPerSecond(max * 8, numeric)}bps`;
  }
  const delivery = v(K.delivery);
  if (delivery !== 0) s += ` delivery_rate ${bitsPerSecond(delivery * 8, numeric)}bps`;
  s += kv('delivered', v(K.delivered)) + kv('delivered_ce', v(K.deliveredCe));
  if (v(K.flags) & 1) s += ' app_limited';
  const busy = v(K.busy);
  if (busy !== 0) {
    s += ` busy:${Math.floor(busy / 1000)}ms`;
    const rwnd = v(K.rwndLimited);
    if (rwnd !== 0) s += ` rwnd_limited:${Math.floor(rwnd / 1000)}ms(${((100 * rwnd) / busy).toFixed(1)}%)`;
    const sndbuf = v(K.sndbufLimited);
    if (sndbuf !== 0) s += ` sndbuf_limited:${Math.floor(sndbuf / 1000)}ms(${((100 * sndbuf) / busy).toFixed(1)}%)`;
  }
  s += kv('unacked', v(K.unacked));
  const retrans = v(K.retrans);
  const totalRetrans = v(K.totalRetrans);
  if (retrans !== 0 || totalRetrans !== 0) s += ` retrans:${retrans}/${totalRetrans}`;
  s += kv('lost', v(K.lost));
  if (state !== TCP_LISTEN) s += kv('sacked', v(K.sacked));
  s += kv('dsack_dups', v(K.dsackDups));
  const reordering = v(K.reordering);
  if (reordering !== 3) s += kv('reordering', reordering);
  s += kv('reord_seen', v(K.reordSeen));
  const rcvRtt = v(K.rcvRtt);
  if (rcvRtt !== 0) s += ` rcv_rtt:${cG(rcvRtt / 1000)}`;
  s += kv('rcv_space', v(K.rcvSpace)) + kv('rcv_ssthresh', v(K.rcvSsthresh)) + kv('notsent', v(K.notsent));
  const minRtt = v(K.minRtt);
  if (minRtt !== 0 && minRtt !== U32_MAX) s += ` minrtt:${cG(minRtt / 1000)}`;
  return s + kv('rcv_ooopack', v(K.rcvOooPack)) + kv('snd_wnd', v(K.sndWnd)) + kv('rcv_wnd', v(K.rcvWnd));
}

/**
 * The detail line of row i (tab, fields, newline), or '' when the row has nothing to show: a
 * socket the kernel told nothing about (TIME_WAIT, request sockets) gets no line.
 */
export function detailLine(t: InetTable, i: number, o: DetailOptions, cgroupPath: ((id: bigint) => string | null) | null): string {
  let s = '';
  if (o.cgroup && t.cgroupId) {
    const id = t.cgroupId[i]!;
    if (id !== 0n) {
      const path = cgroupPath?.(id);
      s += ` cgroup:${path != null ? (o.show?.(path) ?? path) : `unreachable:${id.toString(16)}`}`;
    }
  }
  const ext = t.ext;
  if (ext !== null) {
    if (o.memory) s += skmem(ext, i);
    if (o.info && t.proto === 'tcp') s += tcpInfo(ext, i, t.state[i]!, o.numeric);
  }
  return s === '' ? '' : `\t${s}\n`;
}
