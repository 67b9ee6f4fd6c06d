// The address codec: numeric address text exactly as glibc's inet_ntop writes it, the one parser
// of address text, and the host's byte order (the words of /proc/net addresses are in it).

import { decimalLength, writeDecimal } from '../bytes/writer';
import type { Family } from './contract';

/** The words of /proc/net addresses are in the host's byte order. */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const HEX = [0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x61, 0x62, 0x63, 0x64, 0x65, 0x66];

/** Writes the dotted quad of addr[off..off+4) at out[at]; returns its length (at most 15). */
export function ipv4Bytes(addr: Uint8Array, off: number, out: Uint8Array, at: number): number {
  let p = at;
  for (let k = 0; k < 4; k++) {
    if (k) out[p++] = 0x2e;
    const v = addr[off + k]!;
    const len = v >= 100 ? 3 : v >= 10 ? 2 : 1;
    writeDecimal(out, p, v, len);
    p += len;
  }
  return p - at;
}

/**
 * glibc inet_ntop(AF_INET6) of addr[off..off+16) written at out[at]; returns its length (at most
 * 45). The longest run (>= 2) of zero words becomes "::", the first run wins a tie.
 */
export function ipv6Bytes(addr: Uint8Array, off: number, out: Uint8Array, at: number): number {
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (addr[off + 2 * i] === 0 && addr[off + 2 * i + 1] === 0) {
      if (curBase === -1) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen; }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let p = at;
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out[p++] = 0x3a;
      continue;
    }
    if (i !== 0) out[p++] = 0x3a;
    const w = (addr[off + 2 * i]! << 8) | addr[off + 2 * i + 1]!;
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && addr[off + 10] === 0xff && addr[off + 11] === 0xff))) {
      return p + ipv4Bytes(addr, off + 12, out, p) - at;
    }
    let shift = w >= 0x1000 ? 12 : w >= 0x100 ? 8 : w >= 0x10 ? 4 : 0;
    for (; shift >= 0; shift -= 4) out[p++] = HEX[(w >> shift) & 15]!;
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out[p++] = 0x3a;
  return p - at;
}

const scratch = Buffer.allocUnsafe(64);

export function ipv4Text(addr: Uint8Array, off: number): string {
  return scratch.toString('latin1', 0, ipv4Bytes(addr, off, scratch, 0));
}

export function ipv6Text(addr: Uint8Array, off: number): string {
  return scratch.toString('latin1', 0, ipv6Bytes(addr, off, scratch, 0));
}

/** Decimal text of a port or other small number into out[at]; returns its length. */
export function decimalBytes(n: number, out: Uint8Array, at: number): number {
  const len = decimalLength(n);
  writeDecimal(out, at, n, len);
  return len;
}

export function isUnspecified(addr: Uint8Array, off: number): boolean {
  for (let i = 0; i < 16; i++) if (addr[off + i] !== 0) return false;
  return true;
}

export function isV4Mapped(addr: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (addr[off + i] !== 0) return false;
  return addr[off + 10] === 0xff && addr[off + 11] === 0xff;
}

/** Plain numeric text of an address (the API's form): dotted quad or inet_ntop IPv6. */
export function addressText(addr: Uint8Array, off: number, family: number): string {
  return family === 6 ? ipv6Text(addr, off) : ipv4Text(addr, off);
}

/** Text -> 16 bytes (IPv4 in the first 4), or null. */
export function parseAddress(text: string): { addr: Uint8Array; family: Family } | null {
  const addr = new Uint8Array(16);
  const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    for (let i = 0; i < 4; i++) {
      const n = Number(v4[i + 1]);
      if (n > 255) return null;
      addr[i] = n;
    }
    return { addr, family: 4 };
  }
  if (!text.includes(':')) return null;
  let s = text;
  const tail: number[] = [];
  const m = /^(.*:)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})$/.exec(s);
  if (m) {
    const inner = parseAddress(m[2]!);
    if (!inner) return null;
    s = m[1]!.endsWith('::') ? m[1]! : m[1]!.slice(0, -1);
    tail.push((inner.addr[0]! << 8) | inner.addr[1]!, (inner.addr[2]! << 8) | inner.addr[3]!);
  }
  const parts = s.split('::');
  if (parts.length > 2) return null;
  const words = (p: string) => (p === '' ? [] : p.split(':').map((w) => (/^[0-9a-fA-F]{1,4}$/.test(w) ? parseInt(w, 16) : NaN)));
  const head = words(parts[0]!);
  const rest = parts.length === 2 ? [...words(parts[1]!), ...tail] : [];
  const all = parts.length === 2 ? head : [...head, ...tail];
  if ([...all, ...rest].some((w) => Number.isNaN(w))) return null;
  const fill = 8 - all.length - rest.length;
  if (parts.length === 2 ? fill < 1 : fill !== 0) return null;
  const w = [...all, ...new Array<number>(parts.length === 2 ? fill : 0).fill(0), ...rest];
  for (let i = 0; i < 8; i++) {
    addr[2 * i] = w[i]! >> 8;
    addr[2 * i + 1] = w[i]! & 0xff;
  }
  return { addr, family: 6 };
}
