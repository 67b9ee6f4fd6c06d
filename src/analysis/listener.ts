// Which sockets are servers: what the summary, the health section and measure() count ports by.
import type { InetTable } from '../model/columns';
import { isUnspecified } from '../model/address';

const LISTEN = 10;

/** A socket that waits for others: TCP LISTEN, or UDP/UDP-Lite bound to a port and unconnected. */
export function isListener(t: InetTable, i: number): boolean {
  if (t.proto === 'tcp') return t.state[i] === LISTEN;
  if (t.proto === 'raw') return false;
  return t.state[i] === 7 && t.localPort[i] !== 0 && isUnspecified(t.remoteAddr, i * 16);
}
