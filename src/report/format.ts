// Text of the report: HTML escaping and numbers for people (axis ticks, the peaks table).
import type { Unit } from './series';

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Safe in element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

function trimZeros(text: string): string {
  return text.includes('.') && !text.includes('e') ? text.replace(/\.?0+$/, '') : text;
}

const SI = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
const IEC = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

/** Short form for axis ticks and legends: 3 significant digits, k/M/G or KiB/MiB/GiB. */
export function compactValue(v: number, unit: Unit): string {
  const base = unit === 'bytes' ? 1024 : 1000;
  const names = unit === 'bytes' ? IEC : SI;
  let scaled = Math.abs(v);
  let k = 0;
  while (scaled >= base && k < names.length - 1) {
    scaled /= base;
    k++;
  }
  const digits = scaled >= 100 || (k === 0 && Number.isInteger(scaled)) ? scaled.toFixed(0) : trimZeros(scaled.toPrecision(3));
  const sign = v < 0 ? '-' : '';
  const text = scaled >= 1e21 ? v.toExponential(2) : `${sign}${digits}`;
  if (unit === 'bytes') return `${text} ${names[k]}`;
  return `${text}${names[k]}${unit === 'per-second' ? '/s' : ''}`;
}

const grouped = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });

/** Full form for the peaks table: every digit of a count, two decimals of a rate. */
export function exactValue(v: number, unit: Unit): string {
  if (unit === 'bytes') return v < 1024 ? `${grouped.format(v)} B` : `${grouped.format(v)} B (${compactValue(v, unit)})`;
  return `${grouped.format(v)}${unit === 'per-second' ? '/s' : ''}`;
}

/** "45 s", "2 min", "1 h 30 min": the axis tick of a time since the start. */
export function elapsedTick(seconds: number): string {
  if (seconds === 0 || seconds % 60 !== 0) return `${trimZeros(seconds.toFixed(3))} s`;
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h ? (m ? `${h} h ${m} min` : `${h} h`) : `${m} min`;
}

/** A duration for the header: "59.8 s", "12 min 5 s", "2 h 3 min". */
export function durationText(seconds: number): string {
  if (seconds < 60) return `${trimZeros(seconds.toFixed(1))} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
}

/** An argv as a shell would take it back: words with special characters single-quoted. */
export function shellWords(argv: string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}
