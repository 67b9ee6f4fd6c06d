// Names for IPv4 and IPv6 addresses, as net-tools 2.10 chooses them (lib/inet.c INET_rresolve and
// INET_sprint, lib/inet6.c INET6_rresolve): the socket listing, -r, -g and the JSON output name
// hosts and networks through these. `names` null means numeric.
import { ipv4Text, ipv6Text, isUnspecified } from '../model/address';
import type { Names } from '../names/names';
import { wordAddress } from '../procnet/lines';

function allZero(b: Uint8Array): boolean {
  return b.every((x) => x === 0);
}

/**
 * INET_rresolve(): `names` null means numeric. 0.0.0.0 is never looked up: it is `default` when
 * its mask is 0 (only a route destination passes 0x8000 and a real mask, so only it can get
 * there) and `0.0.0.0` otherwise. An address with host bits outside `mask`, or `forceHost`, is a
 * host (gethostbyaddr); anything else a network (/etc/networks).
 */
export function inetName(addr: Uint8Array, names: Names | null, mask: Uint8Array, forceHost: boolean): string {
  if (!names) return ipv4Text(addr, 0);
  if (allZero(addr)) return allZero(mask) ? 'default' : '0.0.0.0';
  const host = forceHost || addr.some((b, i) => (b & ~mask[i]!) !== 0);
  return (host ? names.host(addr, 0, 4) : names.network(addr, 0)) ?? ipv4Text(addr, 0);
}

/**
 * The mask INET_sprint() hands INET_rresolve(): the constant 0xffffff00 in host byte order,
 * compared against an address in network byte order. On a little-endian machine only a non-zero
 * *first* octet makes an address a host (5.0.0.0 is looked up as a host, 0.0.0.5 as a network);
 * on a big-endian one it is the last octet.
 */
export function sprintMask(littleEndian: boolean): Uint8Array {
  return wordAddress(0xffffff00, littleEndian);
}

/** INET_sprint(): how the routing cache and the group table name an IPv4 address. */
export function inetSprint(addr: Uint8Array, names: Names | null, littleEndian: boolean): string {
  return inetName(addr, names, sprintMask(littleEndian), false);
}

/** INET6_rresolve(): numeric is inet_ntop; otherwise `[::]` for the unspecified address, else getnameinfo. */
export function inet6Name(addr: Uint8Array, names: Names | null): string {
  if (!names) return ipv6Text(addr, 0);
  if (isUnspecified(addr, 0)) return '[::]';
  return names.host(addr, 0, 6) ?? ipv6Text(addr, 0);
}
