// The detail line that --info, --memory and --cgroup print under a socket row, in ss's words, order
// and number formats (iproute2 misc/ss.c: tcp_stats_print, print_skmeminfo, the cgroup column), so
// an ss user reads it at a glance: `\t cgroup:/x skmem:(r0,rb131072,...) cubic wscale:7,7 rto:204 ...`.
// Only a netlink table has what it shows, so only the addon writes it (native/format.cc,
// format_detail_line): this module hands it the table's columns (a DetailSpec) and the text of each
// cgroup id, which it resolves and escapes here.
import { detailRoom, type Backend, type DetailSpec } from '../model/contract';
import type { InetTable } from '../model/columns';
import { NetsnapError } from '../model/errors';
import { HOST_LITTLE_ENDIAN } from '../model/address';

export interface DetailOptions {
  info: boolean;
  memory: boolean;
  cgroup: boolean;
  /** ss -n: rates as whole bits/s; otherwise ss's 3 significant digits with k/M/G/T. */
  numeric: boolean;
  /** How a cgroup path is shown (escaped on a terminal: a delegated cgroup's name is its user's text). */
  show?: (text: string) => string;
}

const encoder = new TextEncoder();
const NO_IDS = new BigUint64Array(0);
const NO_ENDS = new Uint32Array(0);
const NO_BYTES = new Uint8Array(0);

/** Texts one after the other, and where each ends. */
function joined(texts: readonly string[]): { text: Uint8Array; ends: Uint32Array } {
  const parts = texts.map((t) => encoder.encode(t));
  const ends = new Uint32Array(parts.length);
  let at = 0;
  parts.forEach((p, k) => {
    at += p.length;
    ends[k] = at;
  });
  const text = new Uint8Array(at);
  at = 0;
  for (const p of parts) {
    text.set(p, at);
    at += p.length;
  }
  return { text, ends };
}

/** The ids of `ids` but 0, once each, increasing; read as 32-bit halves (a BigInt per row costs). */
function distinctIds(ids: BigUint64Array): bigint[] {
  const halves = new Uint32Array(ids.buffer, ids.byteOffset, ids.length * 2);
  const seen = new Set<number>();
  const big = new Set<bigint>();
  const [lo, hi] = HOST_LITTLE_ENDIAN ? [0, 1] : [1, 0];
  for (let i = 0; i < ids.length; i++) {
    const h = halves[2 * i + hi]!;
    const l = halves[2 * i + lo]!;
    if (h < 0x200000) {
      seen.add(h * 0x100000000 + l);
    } else {
      big.add(ids[i]!);
    }
  }
  seen.delete(0);
  return [...[...seen].map((n) => BigInt(n)), ...big].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * What formatDetailLines needs for the rows of `t` (null: nothing to show, as for a table the
 * kernel sent none of it in). Each distinct cgroup id of the table is resolved once.
 */
export function detailSpec(t: InetTable, o: DetailOptions, cgroupPath: ((id: bigint) => string | null) | null): DetailSpec | null {
  const ext = t.raw.ext;
  const ids = o.cgroup ? t.cgroupId : null;
  if (!ext && !ids) return null;
  if (ext?.fields !== undefined) throw new TypeError('a detail line needs every tcp_info field: this table decoded only some (infoFields)');
  let cgroupIds: BigUint64Array = NO_IDS;
  let cgroupEnds: Uint32Array = NO_ENDS;
  let cgroupText: Uint8Array = NO_BYTES;
  if (ids) {
    const distinct = distinctIds(ids);
    const texts = distinct.map((id) => {
      const path = cgroupPath?.(id);
      return path != null ? (o.show?.(path) ?? path) : `unreachable:${id.toString(16)}`;
    });
    const j = joined(texts);
    cgroupIds = BigUint64Array.from(distinct);
    cgroupEnds = j.ends;
    cgroupText = j.text;
  }
  const names = joined(ext?.congNames ?? []);
  const spec: DetailSpec = {
    rows: t.count, state: t.state, congText: names.text, congEnds: names.ends,
    cgroupIds, cgroupEnds, cgroupText, info: o.info, memory: o.memory, cgroup: o.cgroup, numeric: o.numeric, tcp: t.proto === 'tcp',
  };
  if (ext) Object.assign(spec, { infoLen: ext.infoLen, infoU32: ext.infoU32, infoF64: ext.infoF64, cong: ext.cong, memCount: ext.memCount, mem: ext.mem });
  if (ids) spec.cgroupId = ids;
  return spec;
}

/** The output buffer's size per call of formatDetailLines (its room per row is some 1.5 KB). */
const CHUNK_BYTES = 8 << 20;

export interface DetailLines {
  /** Rows per format() call. */
  readonly chunk: number;
  /** After format(first, n): the lines of rows first..first+n-1, row first + i's ending at ends[i]. */
  readonly out: Uint8Array;
  readonly ends: Uint32Array;
  format(first: number, n: number): void;
}

/**
 * The addon's formatDetailLines, or a NetsnapError: only an addon of an earlier build (NETSNAP_ADDON)
 * lacks it (and its formatInetRows would leave the lines out); the TypeScript backend has no tables
 * with details.
 */
export function detailFormatter(format: Backend['formatDetailLines']): NonNullable<Backend['formatDetailLines']> {
  if (format) return format;
  throw new NetsnapError('ERR_NEEDS_NATIVE', 'this addon cannot write the detail lines of --info, --memory and --cgroup: it is of an earlier build (rebuild it: npm rebuild netsnap)');
}

/** The detail lines of `spec`'s rows, a chunk at a time, from the addon. */
export function detailLines(spec: DetailSpec, format: Backend['formatDetailLines']): DetailLines {
  const write = detailFormatter(format);
  const room = detailRoom(spec);
  const chunk = Math.max(1, Math.min(spec.rows, Math.floor(CHUNK_BYTES / room)));
  const out = new Uint8Array(chunk * room);
  const ends = new Uint32Array(chunk);
  return { chunk, out, ends, format: (first, n) => void write(spec, first, n, out, ends) };
}
