// /proc/net/route, parsed as net-tools 2.10's netstat -r reads it (lib/inet_gr.c rprint_fib, with
// the columns found by header name as lib/proc.c proc_gen_fmt finds them). Pure: the CLI reads the
// file and passes its text in; format/routes prints the routes. Text is a binary (latin1) string,
// one char per byte, like every other netsnap output string.
import { HOST_LITTLE_ENDIAN } from '../model/address';
import { fileLines, headerColumns, hexWordAddress, scanHex, scanInt, tokens, type LineProblem } from './lines';

// linux/route.h
export const RTF_UP = 0x0001;
export const RTF_GATEWAY = 0x0002;
export const RTF_HOST = 0x0004;
export const RTF_REJECT = 0x0200;

export interface Ipv4Route {
  iface: string;
  /** 4 bytes each, network order. */
  destination: Uint8Array;
  gateway: Uint8Array;
  mask: Uint8Array;
  flags: number;
  refCnt: number;
  use: number;
  metric: number;
  /** The kernel's MTU column: advmss + 40, or 0. */
  mtu: number;
  window: number;
  irtt: number;
}

export type Ipv4RouteTable =
  | { ok: true; routes: Ipv4Route[]; problems: LineProblem[] }
  /** missingField null: not even a header line. */
  | { ok: false; missingField: string | null };

const ROUTE_FIELDS = ['Iface', 'Destination', 'Gateway', 'Flags', 'RefCnt', 'Use', 'Metric', 'Mask', 'MTU', 'Window', 'IRTT'];

/** /proc/net/route: columns found by header name, as netstat does. */
export function parseRoute(text: string, littleEndian: boolean = HOST_LITTLE_ENDIAN): Ipv4RouteTable {
  const lines = fileLines(text);
  if (lines.length === 0) return { ok: false, missingField: null };
  const head = headerColumns(lines[0]!, ROUTE_FIELDS);
  if ('missing' in head) return { ok: false, missingField: head.missing };
  const col = head.columns;
  const routes: Ipv4Route[] = [];
  const problems: LineProblem[] = [];
  for (let n = 1; n < lines.length; n++) {
    const t = tokens(lines[n]!);
    if (t.length === 0) continue;
    const field = (k: number) => t[col[k]!];
    // netstat needs the first ten fields (IRTT may be missing); a short line is skipped.
    if (t.length <= col[9]!) {
      problems.push({ line: n + 1, reason: 'too few fields' });
      continue;
    }
    const destination = hexWordAddress(field(1), littleEndian);
    const gateway = hexWordAddress(field(2), littleEndian);
    const mask = hexWordAddress(field(7), littleEndian);
    const flags = scanHex(field(3));
    const nums = [4, 5, 6, 8, 9].map((k) => scanInt(field(k)));
    const irtt = field(10) === undefined ? 0 : scanInt(field(10));
    const bad =
      !destination ? 'bad destination' : !gateway ? 'bad gateway' : !mask ? 'bad mask' : flags === null ? 'bad flags'
        : nums.includes(null) || irtt === null ? 'bad number' : null;
    if (bad) {
      problems.push({ line: n + 1, reason: bad });
      continue;
    }
    const [refCnt, use, metric, mtu, window] = nums as number[];
    routes.push({
      iface: field(0)!, destination: destination!, gateway: gateway!, mask: mask!, flags: flags!,
      refCnt: refCnt!, use: use!, metric: metric!, mtu: mtu!, window: window!, irtt: irtt!,
    });
  }
  return { ok: true, routes, problems };
}
