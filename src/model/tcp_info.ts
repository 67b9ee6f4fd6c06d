// struct tcp_info (include/uapi/linux/tcp.h) as the inet_diag dump carries it (INET_DIAG_INFO), by the
// project's own offset table: the build machine's headers are older than the kernels netsnap runs on
// (Debian's 6.1 headers end at tcpi_snd_wnd, 232 bytes; a 6.18 kernel sends 280). The native decoder
// (native/tcp_info.h) holds the same table, and a test compares the two. A field lies beyond what a
// kernel sent when its offset + size exceeds the attribute's length: it is absent, never 0.
//
// Fields of up to 4 bytes are decoded into the u32 columns, 8-byte fields into the f64 columns (exact
// below 2^53; the kernel's ~0 "unlimited" pacing rate reads as 2^64), each in table order. Bytes 6
// and 7 are bitfields (wscale, app-limited): their raw bytes are columns, decoded by the accessors.
// Past byte 248 the layout differs between kernels (AccECN, 6.18 vs 7.0): not decoded.

export type TcpInfoKind = 'u8' | 'u16' | 'u32' | 'u64';

export interface TcpInfoField {
  /** The JSON name: camelCase, with the unit in the name where it is not a count. */
  name: string;
  offset: number;
  kind: TcpInfoKind;
}

/** The decoded fields, in struct order. */
export const TCP_INFO_FIELDS: readonly TcpInfoField[] = [
  { name: 'caState', offset: 1, kind: 'u8' },
  { name: 'retransmits', offset: 2, kind: 'u8' },
  { name: 'probes', offset: 3, kind: 'u8' },
  { name: 'backoff', offset: 4, kind: 'u8' },
  { name: 'options', offset: 5, kind: 'u8' },
  { name: 'wscaleByte', offset: 6, kind: 'u8' },
  { name: 'flagsByte', offset: 7, kind: 'u8' },
  { name: 'rtoUs', offset: 8, kind: 'u32' },
  { name: 'atoUs', offset: 12, kind: 'u32' },
  { name: 'mss', offset: 16, kind: 'u32' },
  { name: 'rcvMss', offset: 20, kind: 'u32' },
  { name: 'unacked', offset: 24, kind: 'u32' },
  { name: 'sacked', offset: 28, kind: 'u32' },
  { name: 'lost', offset: 32, kind: 'u32' },
  { name: 'retrans', offset: 36, kind: 'u32' },
  { name: 'lastSendMs', offset: 44, kind: 'u32' },
  { name: 'lastRecvMs', offset: 52, kind: 'u32' },
  { name: 'lastAckMs', offset: 56, kind: 'u32' },
  { name: 'pmtu', offset: 60, kind: 'u32' },
  { name: 'rcvSsthresh', offset: 64, kind: 'u32' },
  { name: 'rttUs', offset: 68, kind: 'u32' },
  { name: 'rttVarUs', offset: 72, kind: 'u32' },
  { name: 'ssthresh', offset: 76, kind: 'u32' },
  { name: 'cwnd', offset: 80, kind: 'u32' },
  { name: 'advmss', offset: 84, kind: 'u32' },
  { name: 'reordering', offset: 88, kind: 'u32' },
  { name: 'rcvRttUs', offset: 92, kind: 'u32' },
  { name: 'rcvSpace', offset: 96, kind: 'u32' },
  { name: 'totalRetrans', offset: 100, kind: 'u32' },
  { name: 'pacingRateBytesPerSec', offset: 104, kind: 'u64' },
  { name: 'maxPacingRateBytesPerSec', offset: 112, kind: 'u64' },
  { name: 'bytesAcked', offset: 120, kind: 'u64' },
  { name: 'bytesReceived', offset: 128, kind: 'u64' },
  { name: 'segsOut', offset: 136, kind: 'u32' },
  { name: 'segsIn', offset: 140, kind: 'u32' },
  { name: 'notsentBytes', offset: 144, kind: 'u32' },
  { name: 'minRttUs', offset: 148, kind: 'u32' },
  { name: 'dataSegsIn', offset: 152, kind: 'u32' },
  { name: 'dataSegsOut', offset: 156, kind: 'u32' },
  { name: 'deliveryRateBytesPerSec', offset: 160, kind: 'u64' },
  { name: 'busyUs', offset: 168, kind: 'u64' },
  { name: 'rwndLimitedUs', offset: 176, kind: 'u64' },
  { name: 'sndbufLimitedUs', offset: 184, kind: 'u64' },
  { name: 'delivered', offset: 192, kind: 'u32' },
  { name: 'deliveredCe', offset: 196, kind: 'u32' },
  { name: 'bytesSent', offset: 200, kind: 'u64' },
  { name: 'bytesRetrans', offset: 208, kind: 'u64' },
  { name: 'dsackDups', offset: 216, kind: 'u32' },
  { name: 'reordSeen', offset: 220, kind: 'u32' },
  { name: 'rcvOooPack', offset: 224, kind: 'u32' },
  { name: 'sndWnd', offset: 228, kind: 'u32' },
  { name: 'rcvWnd', offset: 232, kind: 'u32' },
  { name: 'rehash', offset: 236, kind: 'u32' },
  { name: 'totalRto', offset: 240, kind: 'u16' },
  { name: 'totalRtoRecoveries', offset: 242, kind: 'u16' },
  { name: 'totalRtoTimeMs', offset: 244, kind: 'u32' },
];

/** Field name -> its index in TCP_INFO_FIELDS. */
export const TCP_INFO_INDEX: ReadonlyMap<string, number> = new Map(TCP_INFO_FIELDS.map((f, k) => [f.name, k]));

/** Bytes of tcp_info the decoder reads at most. */
export const TCP_INFO_DECODED_BYTES = 248;

export const TCP_INFO_SIZE: Readonly<Record<TcpInfoKind, number>> = { u8: 1, u16: 2, u32: 4, u64: 8 };

/** Per field: whether it is an f64 column, and its column number among its kind. */
export const TCP_INFO_COLUMN: ReadonlyMap<string, { wide: boolean; column: number; end: number }> = (() => {
  const m = new Map<string, { wide: boolean; column: number; end: number }>();
  let narrow = 0;
  let wide = 0;
  for (const f of TCP_INFO_FIELDS) {
    const isWide = f.kind === 'u64';
    m.set(f.name, { wide: isWide, column: isWide ? wide++ : narrow++, end: f.offset + TCP_INFO_SIZE[f.kind] });
  }
  return m;
})();

export const TCP_INFO_U32_COLUMNS = TCP_INFO_FIELDS.filter((f) => f.kind !== 'u64').length;
export const TCP_INFO_F64_COLUMNS = TCP_INFO_FIELDS.filter((f) => f.kind === 'u64').length;

/** SK_MEMINFO_* (include/uapi/linux/sock_diag.h) with ss's skmem names. */
export const SKMEM_FIELDS: readonly string[] = ['rmemAlloc', 'rcvbuf', 'wmemAlloc', 'sndbuf', 'fwdAlloc', 'wmemQueued', 'optmem', 'backlog', 'drops'];

/**
 * What the netlink source adds to an inet table when the request asks for extensions, per row
 * (column-major: field k of row i at [k * count + i]). Built by the native backend only.
 */
export interface RawTcpExtensions {
  /** INET_DIAG_INFO bytes the kernel sent (0: no tcp_info, as for TIME_WAIT and request sockets). */
  infoLen: Uint16Array;
  /** TCP_INFO_U32_COLUMNS columns of count rows. */
  infoU32: Uint32Array;
  /** TCP_INFO_F64_COLUMNS columns of count rows. */
  infoF64: Float64Array;
  /** INET_DIAG_CONG: 0 none, else congNames[k - 1]. */
  cong: Uint8Array;
  congNames: string[];
  /** INET_DIAG_SKMEMINFO: how many of the 9 values the kernel sent (0: none). */
  memCount: Uint8Array;
  /** 9 columns of count rows, SKMEM_FIELDS order (empty when socket memory was not asked). */
  mem: Uint32Array;
  /**
   * The fields decoded (TCP_INFO_FIELDS indexes, increasing; SampleRequest.infoFields): infoU32 and
   * infoF64 hold their columns alone, in this order, and cong is all 0 (not asked). Absent: all.
   */
  fields?: Uint8Array;
}

/** One connection's tcp_info, by JSON name; a field the kernel did not send is left out. */
export type TcpInfo = Record<string, number>;

/** One socket's skmem, ss's fields by name; a field the kernel did not send is left out. */
export type SkMemInfo = Record<string, number>;

const SKMEM_INDEX: ReadonlyMap<string, number> = new Map(SKMEM_FIELDS.map((n, k) => [n, k]));

/** Typed views over a table's RawTcpExtensions: columns by field name, values absent where not sent. */
export class TcpInfoColumns {
  readonly count: number;
  readonly infoLen: Uint16Array;
  private readonly raw: RawTcpExtensions;

  /** Whether only some fields were decoded (RawTcpExtensions.fields); then there is no congestion(). */
  readonly selected: boolean;
  /** Per field of TCP_INFO_FIELDS: its column and the attribute length that holds it (null: not decoded). */
  private readonly columns: Array<Uint32Array | Float64Array | null>;
  private readonly ends: number[];

  constructor(raw: RawTcpExtensions, count: number) {
    this.raw = raw;
    this.count = count;
    this.infoLen = raw.infoLen;
    const n = count;
    const fields = raw.fields;
    this.selected = fields !== undefined;
    const chosen = fields === undefined ? null : new Set(fields);
    let narrow = 0;
    let wide = 0;
    this.columns = TCP_INFO_FIELDS.map((f, k) => {
      if (chosen !== null && !chosen.has(k)) return null;
      if (f.kind === 'u64') return raw.infoF64.subarray(wide * n, ++wide * n);
      return raw.infoU32.subarray(narrow * n, ++narrow * n);
    });
    this.ends = TCP_INFO_FIELDS.map((f) => TCP_INFO_COLUMN.get(f.name)!.end);
  }

  private notDecoded(k: number): never {
    throw new TypeError(`tcp_info field ${JSON.stringify(TCP_INFO_FIELDS[k]?.name ?? k)} was not decoded in this sample (infoFields)`);
  }

  /** The column of field k of TCP_INFO_FIELDS (see TCP_INFO_INDEX), for readers of every row. */
  columnAt(k: number): Uint32Array | Float64Array {
    return this.columns[k] ?? this.notDecoded(k);
  }

  /** Field k of row i, 0 where the kernel did not send it (for printers that omit zeros, as ss does). */
  at(k: number, i: number): number {
    const c = this.columns[k] ?? this.notDecoded(k);
    return this.infoLen[i]! >= this.ends[k]! ? c[i]! : 0;
  }

  /** The column of one tcp_info field (u32 or f64), `count` rows; read it where has(name, i). */
  column(name: string): Uint32Array | Float64Array {
    const k = TCP_INFO_INDEX.get(name);
    if (k === undefined) throw new TypeError(`no tcp_info field ${JSON.stringify(name)}`);
    return this.columnAt(k);
  }

  /** Whether row i has tcp_info at all (TIME_WAIT, request sockets and UDP have none). */
  hasInfo(i: number): boolean {
    return this.infoLen[i]! > 0;
  }

  /** A field of row i, or undefined when the kernel did not send it (no tcp_info, or a shorter one). */
  value(name: string, i: number): number | undefined {
    const k = TCP_INFO_INDEX.get(name);
    if (k === undefined) throw new TypeError(`no tcp_info field ${JSON.stringify(name)}`);
    const c = this.columnAt(k);
    if (this.infoLen[i]! < this.ends[k]!) return undefined;
    return c[i];
  }

  /** Row i's tcp_info as an object (null without one); bitfields decoded, raw bitfield bytes left out. */
  info(i: number): TcpInfo | null {
    const len = this.infoLen[i]!;
    if (len === 0) return null;
    const out: TcpInfo = {};
    for (let k = 0; k < TCP_INFO_FIELDS.length; k++) {
      const c = this.columns[k]!;
      if (len < this.ends[k]! || c === null) continue;
      const f = TCP_INFO_FIELDS[k]!;
      const v = c[i]!;
      if (f.name === 'wscaleByte') {
        out.sndWscale = v & 0x0f;
        out.rcvWscale = v >> 4;
      } else if (f.name === 'flagsByte') {
        out.deliveryRateAppLimited = v & 1;
      } else out[f.name] = v;
    }
    return out;
  }

  /** The congestion control algorithm of row i, or null when the kernel did not say. */
  congestion(i: number): string | null {
    const k = this.raw.cong[i]!;
    return k === 0 ? null : (this.raw.congNames[k - 1] ?? null);
  }

  /** One skmem value of row i (SKMEM_FIELDS name), or undefined when not sent. */
  memoryValue(name: string, i: number): number | undefined {
    const k = SKMEM_INDEX.get(name);
    if (k === undefined) throw new TypeError(`no skmem field ${JSON.stringify(name)}`);
    return k < this.raw.memCount[i]! ? this.raw.mem[k * this.count + i] : undefined;
  }

  /** Row i's skmem as an object, or null when the kernel sent none. */
  memory(i: number): SkMemInfo | null {
    const m = this.raw.memCount[i]!;
    if (m === 0) return null;
    const out: SkMemInfo = {};
    for (let k = 0; k < m && k < SKMEM_FIELDS.length; k++) out[SKMEM_FIELDS[k]!] = this.raw.mem[k * this.count + i]!;
    return out;
  }
}
