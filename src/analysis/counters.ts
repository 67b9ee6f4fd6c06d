// The catalogue of kernel counters that serve and record watch, and reading them from a
// namespace's net directory. One list: the recording's keys and the exporter's metrics come from it.
import { readProcTextAsync } from '../procnet/read';
import { parseCounterTables } from '../procnet/snmp';
import { parseNetstat } from '../procnet/netstat';
import { parseSnmp6 } from '../procnet/snmp6';

/** A watched counter: its record key (`Table.Name`), metric name, help, and the family label of the Udp/Udp6 pairs. */
export interface WatchedCounter {
  key: string;
  name: string;
  help: string;
  /** Not a counter but a level (Tcp.CurrEstab). */
  gauge?: boolean;
  family?: 'ipv4' | 'ipv6';
}

/**
 * The `-s` counters fleet users scrape, in record order. Tcp and Udp come from /proc/net/snmp (Tcp
 * covers both families; Udp is IPv4), TcpExt from /proc/net/netstat, Udp6 from /proc/net/snmp6.
 * The recorder keeps them by key, the exporter serves them under their metric names.
 */
export const COUNTERS: readonly WatchedCounter[] = [
  { key: 'Tcp.ActiveOpens', name: 'netsnap_tcp_active_opens_total', help: 'TCP connections opened by connect() (Tcp ActiveOpens).' },
  { key: 'Tcp.PassiveOpens', name: 'netsnap_tcp_passive_opens_total', help: 'TCP connections accepted from a listener (Tcp PassiveOpens).' },
  { key: 'Tcp.AttemptFails', name: 'netsnap_tcp_attempt_fails_total', help: 'Failed TCP connection attempts (Tcp AttemptFails).' },
  { key: 'Tcp.EstabResets', name: 'netsnap_tcp_established_resets_total', help: 'Resets of established TCP connections (Tcp EstabResets).' },
  { key: 'Tcp.CurrEstab', name: 'netsnap_tcp_current_established', help: 'TCP connections now ESTABLISHED or CLOSE_WAIT (Tcp CurrEstab).', gauge: true },
  { key: 'Tcp.InSegs', name: 'netsnap_tcp_received_segments_total', help: 'TCP segments received (Tcp InSegs).' },
  { key: 'Tcp.OutSegs', name: 'netsnap_tcp_sent_segments_total', help: 'TCP segments sent (Tcp OutSegs).' },
  { key: 'Tcp.RetransSegs', name: 'netsnap_tcp_retransmitted_segments_total', help: 'TCP segments retransmitted (Tcp RetransSegs).' },
  { key: 'Tcp.InErrs', name: 'netsnap_tcp_in_errors_total', help: 'TCP segments received in error (Tcp InErrs).' },
  { key: 'Tcp.OutRsts', name: 'netsnap_tcp_out_resets_total', help: 'TCP resets sent (Tcp OutRsts).' },
  { key: 'TcpExt.ListenOverflows', name: 'netsnap_tcp_listen_overflows_total', help: 'Connections dropped because an accept queue was full (TcpExt ListenOverflows).' },
  { key: 'TcpExt.ListenDrops', name: 'netsnap_tcp_listen_drops_total', help: 'SYNs to LISTEN sockets dropped (TcpExt ListenDrops).' },
  { key: 'TcpExt.SyncookiesSent', name: 'netsnap_tcp_syncookies_sent_total', help: 'SYN cookies sent (TcpExt SyncookiesSent).' },
  { key: 'TcpExt.SyncookiesRecv', name: 'netsnap_tcp_syncookies_received_total', help: 'SYN cookies received (TcpExt SyncookiesRecv).' },
  { key: 'TcpExt.SyncookiesFailed', name: 'netsnap_tcp_syncookies_failed_total', help: 'Invalid SYN cookies received (TcpExt SyncookiesFailed).' },
  { key: 'TcpExt.TCPTimeouts', name: 'netsnap_tcp_timeouts_total', help: 'TCP retransmission timeouts (TcpExt TCPTimeouts).' },
  { key: 'TcpExt.TCPBacklogDrop', name: 'netsnap_tcp_backlog_drops_total', help: 'Segments dropped because a socket backlog was full (TcpExt TCPBacklogDrop).' },
  { key: 'TcpExt.TCPReqQFullDrop', name: 'netsnap_tcp_request_queue_full_drops_total', help: 'SYNs dropped because the request queue was full (TcpExt TCPReqQFullDrop).' },
  { key: 'TcpExt.TCPAbortOnMemory', name: 'netsnap_tcp_aborts_on_memory_total', help: 'TCP connections aborted for lack of memory (TcpExt TCPAbortOnMemory).' },
  { key: 'TcpExt.TCPAbortOnTimeout', name: 'netsnap_tcp_aborts_on_timeout_total', help: 'TCP connections aborted after too many retransmissions (TcpExt TCPAbortOnTimeout).' },
  ...(['ipv4', 'ipv6'] as const).flatMap((family) => {
    const t = family === 'ipv4' ? 'Udp' : 'Udp6';
    return [
      { key: `${t}.InDatagrams`, name: 'netsnap_udp_received_datagrams_total', help: 'UDP datagrams delivered (Udp InDatagrams, Udp6InDatagrams).', family },
      { key: `${t}.OutDatagrams`, name: 'netsnap_udp_sent_datagrams_total', help: 'UDP datagrams sent (Udp OutDatagrams, Udp6OutDatagrams).', family },
      { key: `${t}.NoPorts`, name: 'netsnap_udp_no_ports_total', help: 'UDP datagrams to a port nobody listens on (Udp NoPorts, Udp6NoPorts).', family },
      { key: `${t}.InErrors`, name: 'netsnap_udp_in_errors_total', help: 'UDP datagrams not delivered for other reasons (Udp InErrors, Udp6InErrors).', family },
      { key: `${t}.RcvbufErrors`, name: 'netsnap_udp_receive_buffer_errors_total', help: 'UDP datagrams dropped because a receive buffer was full (Udp RcvbufErrors).', family },
      { key: `${t}.SndbufErrors`, name: 'netsnap_udp_send_buffer_errors_total', help: 'UDP datagrams not sent because a send buffer was full (Udp SndbufErrors).', family },
    ];
  }),
];

/** The keys of COUNTERS, in order. */
export const WATCHED_COUNTERS: readonly string[] = COUNTERS.map((c) => c.key);

const WATCHED = new Set(WATCHED_COUNTERS);

/** The watched counters out of the texts of snmp, netstat and snmp6 (any may be null: not readable). */
export function watchedCounters(snmp: string | null, netstat: string | null, snmp6: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  const files = [snmp === null ? null : parseCounterTables(snmp), netstat === null ? null : parseNetstat(netstat)];
  for (const file of files) {
    if (file === null) continue;
    for (const table of file.tables) {
      for (const c of table.counters) {
        const key = `${table.title}.${c.name}`;
        if (WATCHED.has(key)) out[key] = Number(c.value);
      }
    }
  }
  if (snmp6 !== null) {
    for (const c of parseSnmp6(snmp6)) {
      if (!c.name.startsWith('Udp6')) continue;
      const key = `Udp6.${c.name.slice(4)}`;
      if (WATCHED.has(key)) out[key] = Number(c.value);
    }
  }
  const ordered: Record<string, number> = {};
  for (const k of WATCHED_COUNTERS) if (k in out) ordered[k] = out[k]!;
  return ordered;
}

async function readOrNull(path: string): Promise<string | null> {
  const r = await readProcTextAsync(path);
  return r.ok ? r.text : null;
}

/** Reads the watched counters of a namespace's net directory (async: three small files). */
export async function readCounters(netDir: string): Promise<Record<string, number>> {
  const [snmp, netstat, snmp6] = await Promise.all([
    readOrNull(`${netDir}/snmp`), readOrNull(`${netDir}/netstat`), readOrNull(`${netDir}/snmp6`),
  ]);
  return watchedCounters(snmp, netstat, snmp6);
}
