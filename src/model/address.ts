// Numeric address text, exactly as glibc's inet_ntop writes it.

import { decimalLength, writeDecimal } from '../bytes/writer';

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
