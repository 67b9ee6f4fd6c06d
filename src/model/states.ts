// Kernel state numbers and their names.

/** TCP states as /proc/net/tcp numbers them (include/net/tcp_states.h). */
export const TCP_STATES: readonly string[] = [
  '', 'ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE',
  'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING', 'NEW_SYN_RECV',
];

export function tcpStateName(state: number): string {
  return (state >= 1 && TCP_STATES[state]) || 'UNKNOWN';
}

/** UDP/RAW: 1 is a connected socket, 7 an unconnected one. */
export function udpStateName(state: number): string {
  return state === 1 ? 'ESTABLISHED' : state === 7 ? 'CLOSE' : 'UNKNOWN';
}

export const UNIX_TYPES: Readonly<Record<number, string>> = { 1: 'STREAM', 2: 'DGRAM', 3: 'RAW', 4: 'RDM', 5: 'SEQPACKET' };

export function unixTypeName(type: number): string {
  return UNIX_TYPES[type] ?? 'UNKNOWN';
}

/** __SO_ACCEPTCON: the socket listens. */
export const UNIX_ACC = 0x10000;
export const UNIX_WAITDATA = 0x20000;
export const UNIX_NOSPACE = 0x40000;

/** SS_* socket states of /proc/net/unix. */
export function unixStateName(state: number, flags: number): string {
  switch (state) {
    case 0: return 'FREE';
    case 1: return flags & UNIX_ACC ? 'LISTENING' : 'UNCONNECTED';
    case 2: return 'CONNECTING';
    case 3: return 'CONNECTED';
    case 4: return 'DISCONNECTING';
    default: return 'UNKNOWN';
  }
}
