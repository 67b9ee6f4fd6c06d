// Numeric address text, exactly as glibc's inet_ntop writes it.

export function ipv4Text(addr: Uint8Array, off: number): string {
  return `${addr[off]}.${addr[off + 1]}.${addr[off + 2]}.${addr[off + 3]}`;
}

/** glibc inet_ntop(AF_INET6): longest run (>= 2) of zero words becomes "::", first run wins a tie. */
export function ipv6Text(addr: Uint8Array, off: number): string {
  const w = new Array<number>(8);
  for (let i = 0; i < 8; i++) w[i] = (addr[off + 2 * i]! << 8) | addr[off + 2 * i + 1]!;
  let bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase === -1) { curBase = i; curLen = 1; } else curLen++;
    } else if (curBase !== -1) {
      if (bestBase === -1 || curLen > bestLen) { bestBase = curBase; bestLen = curLen; }
      curBase = -1;
    }
  }
  if (curBase !== -1 && (bestBase === -1 || curLen > bestLen)) { bestBase = curBase; bestLen = curLen; }
  if (bestBase !== -1 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase !== -1 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += ipv4Text(addr, off + 12);
      return out;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase !== -1 && bestBase + bestLen === 8) out += ':';
  return out;
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
