// /proc/net/ipv6_route, parsed as net-tools 2.10's netstat -r -6 reads it (lib/inet6_gr.c
// rprint_fib6). Pure: the CLI reads the file and passes its text in; format/routes prints the
// routes, the FIB and (-C) the cached clones alike.
import { fileLines, hexAddress6, scanHex, tokens, type LineProblem } from './lines';

// linux/ipv6_route.h
export const RTF_CACHE = 0x01000000;

export interface Ipv6Route {
  /** 16 bytes each, network order. */
  destination: Uint8Array;
  prefixLength: number;
  source: Uint8Array;
  sourcePrefixLength: number;
  nextHop: Uint8Array;
  /** Signed, as netstat reads it: 0xffffffff is -1. */
  metric: number;
  refCnt: number;
  use: number;
  flags: number;
  iface: string;
}

/** /proc/net/ipv6_route: `dst plen src plen nexthop metric refcnt use flags dev`, hex but the name. */
export function parseIpv6Route(text: string): { routes: Ipv6Route[]; problems: LineProblem[] } {
  const routes: Ipv6Route[] = [];
  const problems: LineProblem[] = [];
  fileLines(text).forEach((line, i) => {
    const t = tokens(line);
    if (t.length === 0) return;
    const fail = (reason: string) => problems.push({ line: i + 1, reason });
    if (t.length < 10) return fail('too few fields');
    const destination = hexAddress6(t[0]);
    const source = hexAddress6(t[2]);
    const nextHop = hexAddress6(t[4]);
    if (!destination) return fail('bad destination');
    if (!source) return fail('bad source');
    if (!nextHop) return fail('bad next hop');
    // %02x reads at most two digits
    const prefixLength = scanHex(t[1], 2);
    const sourcePrefixLength = scanHex(t[3], 2);
    if (prefixLength === null || sourcePrefixLength === null) return fail('bad prefix length');
    const [metric, refCnt, use, flags] = [5, 6, 7, 8].map((k) => scanHex(t[k], 8));
    if (metric == null || refCnt == null || use == null || flags == null) return fail('bad number');
    routes.push({
      destination, prefixLength, source, sourcePrefixLength, nextHop,
      metric: metric | 0, refCnt: refCnt | 0, use: use | 0, flags, iface: t[9]!,
    });
  });
  return { routes, problems };
}
