// The detail line that --info, --memory and --cgroup print under a socket row, in ss's words and
// order (iproute2 misc/ss.c: tcp_show_info, print_skmeminfo, the cgroup column), so an ss user reads
// it at a glance: `\t cgroup:/x skmem:(r0,rb131072,...) cubic wscale:7,7 rto:204 rtt:0.03/0.015 ...`.
// Values are ss's: times in ms with C's %g, rates in bits/s (the kernel keeps bytes/s).
import type { InetTable } from '../model/columns';
import type { TcpInfoColumns } from '../model/tcp_info';

export interface DetailOptions {
  info: boolean;
  memory: boolean;
  cgroup: boolean;
  /** ss -n: rates as whole bits/s; otherwise ss's 3 significant digits with k/M/G/T. */
  numeric: boolean;
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

/** The tcp_info part, as tcp_show_info() orders and omits it. */
function tcpInfo(ext: TcpInfoColumns, i: number, state: number, numeric: boolean): string {
  const v = (name: string) => ext.value(name, i) ?? 0;
  let s = '';
  const cong = ext.congestion(i);
  if (cong !== null) s += ` ${cong}`;
  if (!ext.hasInfo(i)) return s;
  const part = (key: string, n: number, skip = n === 0) => {
    if (!skip) s += ` ${key}:${n}`;
  };
  if (v('options') & TCPI_OPT_WSCALE) s += ` wscale:${v('wscaleByte') & 0x0f},${v('wscaleByte') >> 4}`;
  const rto = v('rtoUs');
  if (rto !== 0 && rto !== 3000000) s += ` rto:${cG(rto / 1000)}`;
  part('backoff', v('backoff'));
  if (v('rttUs') !== 0) s += ` rtt:${cG(v('rttUs') / 1000)}/${cG(v('rttVarUs') / 1000)}`;
  if (v('atoUs') !== 0) s += ` ato:${cG(v('atoUs') / 1000)}`;
  part('mss', v('mss'));
  part('pmtu', v('pmtu'));
  part('rcvmss', v('rcvMss'));
  part('advmss', v('advmss'));
  part('cwnd', v('cwnd'));
  const ssthresh = v('ssthresh');
  part('ssthresh', ssthresh, ssthresh === 0 || ssthresh >= 0xffff);
  part('bytes_sent', v('bytesSent'));
  part('bytes_retrans', v('bytesRetrans'));
  part('bytes_acked', v('bytesAcked'));
  part('bytes_received', v('bytesReceived'));
  part('segs_out', v('segsOut'));
  part('segs_in', v('segsIn'));
  part('data_segs_out', v('dataSegsOut'));
  part('data_segs_in', v('dataSegsIn'));
  const rtt = v('rttUs');
  if (rtt > 0 && v('mss') > 0 && v('cwnd') > 0) s += ` send ${bitsPerSecond((v('cwnd') * v('mss') * 8e6) / rtt, numeric)}bps`;
  part('lastsnd', v('lastSendMs'));
  part('lastrcv', v('lastRecvMs'));
  part('lastack', v('lastAckMs'));
  const pacing = v('pacingRateBytesPerSec');
  if (pacing !== 0 && pacing < 2 ** 64) {
    s += ` pacing_rate ${bitsPerSecond(pacing * 8, numeric)}bps`;
    const max = v('maxPacingRateBytesPerSec');
    if (max !== 0 && max < 2 ** 64) s += `/${bitsPerSecond(max * 8, numeric)}bps`;
  }
  if (v('deliveryRateBytesPerSec') !== 0) s += ` delivery_rate ${bitsPerSecond(v('deliveryRateBytesPerSec') * 8, numeric)}bps`;
  part('delivered', v('delivered'));
  part('delivered_ce', v('deliveredCe'));
  if (v('flagsByte') & 1) s += ' app_limited';
  const busy = v('busyUs');
  if (busy !== 0) {
    s += ` busy:${Math.floor(busy / 1000)}ms`;
    for (const [key, name] of [['rwnd_limited', 'rwndLimitedUs'], ['sndbuf_limited', 'sndbufLimitedUs']] as const) {
      const x = v(name);
      if (x !== 0) s += ` ${key}:${Math.floor(x / 1000)}ms(${((100 * x) / busy).toFixed(1)}%)`;
    }
  }
  part('unacked', v('unacked'));
  if (v('retrans') !== 0 || v('totalRetrans') !== 0) s += ` retrans:${v('retrans')}/${v('totalRetrans')}`;
  part('lost', v('lost'));
  part('sacked', v('sacked'), v('sacked') === 0 || state === TCP_LISTEN);
  part('dsack_dups', v('dsackDups'));
  part('reordering', v('reordering'), v('reordering') === 3);
  part('reord_seen', v('reordSeen'));
  if (v('rcvRttUs') !== 0) s += ` rcv_rtt:${cG(v('rcvRttUs') / 1000)}`;
  part('rcv_space', v('rcvSpace'));
  part('rcv_ssthresh', v('rcvSsthresh'));
  part('notsent', v('notsentBytes'));
  const minRtt = v('minRttUs');
  if (minRtt !== 0 && minRtt !== U32_MAX) s += ` minrtt:${cG(minRtt / 1000)}`;
  part('rcv_ooopack', v('rcvOooPack'));
  part('snd_wnd', v('sndWnd'));
  part('rcv_wnd', v('rcvWnd'));
  return s;
}

/**
 * The detail line of row i (tab, fields, newline), or '' when the row has nothing to show: a
 * socket the kernel told nothing about (TIME_WAIT, request sockets) gets no line.
 */
export function detailLine(t: InetTable, i: number, o: DetailOptions, cgroupPath: ((id: bigint) => string | null) | null): string {
  let s = '';
  if (o.cgroup && t.cgroupId) {
    const id = t.cgroupId[i]!;
    if (id !== 0n) s += ` cgroup:${cgroupPath?.(id) ?? `unreachable:${id.toString(16)}`}`;
  }
  const ext = t.ext;
  if (ext !== null) {
    if (o.memory) s += skmem(ext, i);
    if (o.info && t.proto === 'tcp') s += tcpInfo(ext, i, t.state[i]!, o.numeric);
  }
  return s === '' ? '' : `\t${s}\n`;
}
