// /proc/net/if_inet6, parsed as net-tools 2.10's netstat -ie reads it (lib/interface.c
// ife_print_long, with fscanf). Pure: the CLI reads the file and passes its text in;
// format/interfaces prints each device's addresses.
import { hexAddress6 } from './lines';

/** One line of /proc/net/if_inet6. */
export interface Inet6Entry {
  address: Uint8Array;
  prefixLen: number;
  scope: number;
  device: string;
}

/**
 * Parses /proc/net/if_inet6 (`addr ifindex plen scope flags name`, hex). Lines that do not have
 * that shape are skipped: netstat's fscanf would stop matching there too.
 */
export function parseIfInet6(text: string): Inet6Entry[] {
  const out: Inet6Entry[] = [];
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    const address = f.length < 6 ? null : hexAddress6(f[0]);
    if (!address) continue;
    const plen = parseInt(f[2]!, 16);
    const scope = parseInt(f[3]!, 16);
    if (Number.isNaN(plen) || Number.isNaN(scope)) continue;
    out.push({ address, prefixLen: plen, scope, device: f[5]! });
  }
  return out;
}
