// One chart as inline SVG: axes with ticks, one <path> per series. Each path says what it drew
// (data-series, data-points, data-max) so a test, or a curious operator, can check it.
import type { Chart, Series, Unit } from './series';
import { OTHER_COLOR } from './series';
import { compactValue, elapsedTick, escapeHtml } from './format';

export const PALETTE = [
  '#2563eb', '#ea580c', '#16a34a', '#dc2626', '#9333ea', '#0891b2',
  '#ca8a04', '#db2777', '#65a30d', '#4f46e5', '#0d9488', '#92400e',
] as const;
const OTHER = '#6b7280';

export function seriesColor(s: Series): string {
  return s.color === OTHER_COLOR ? OTHER : PALETTE[s.color % PALETTE.length]!;
}

export interface Points {
  x: Float64Array;
  /** NaN: a gap. */
  y: Float64Array;
}

/**
 * At most `maxPoints` points: consecutive samples in buckets of equal size, each bucket drawn as
 * its largest value at that value's time, so no peak is ever smoothed away. A bucket with no
 * value stays a gap.
 */
export function downsample(x: Float64Array, y: Float64Array, maxPoints: number): Points {
  const n = y.length;
  if (n <= maxPoints) return { x, y };
  const size = Math.ceil(n / maxPoints);
  const buckets = Math.ceil(n / size);
  const out = { x: new Float64Array(buckets), y: new Float64Array(buckets) };
  for (let b = 0; b < buckets; b++) {
    let best = -1;
    for (let i = b * size; i < Math.min(n, (b + 1) * size); i++) {
      if (!Number.isNaN(y[i]!) && (best < 0 || y[i]! > y[best]!)) best = i;
    }
    out.x[b] = x[best < 0 ? b * size : best]!;
    out.y[b] = best < 0 ? NaN : y[best]!;
  }
  return out;
}

/** Round steps (1, 2, 2.5, 5 × 10^k) giving about `count` ticks over [0, max]; max > 0. */
function niceStep(max: number, count: number): number {
  const raw = max / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * mag;
}

/** Y tick step: whole sockets and bytes; bytes in round KiB/MiB/GiB (200 KiB, not 195.3 KiB). */
function valueStep(range: number, unit: Unit): number {
  if (unit === 'per-second') return niceStep(range, 5);
  if (unit === 'count' || range < 1024) return Math.max(1, niceStep(range, 5));
  const scale = 1024 ** Math.min(6, Math.floor(Math.log(range) / Math.log(1024)));
  return niceStep(range / scale, 5) * scale;
}

const TIME_STEPS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400];

function timeStep(span: number): number {
  return TIME_STEPS.find((s) => span / s <= 10) ?? niceStep(span, 8);
}

const W = 960;
const H = 300;
const M = { left: 72, right: 20, top: 14, bottom: 44 };
const PW = W - M.left - M.right;
const PH = H - M.top - M.bottom;

const UNIT_LABEL: Record<Unit, string> = { count: 'sockets', bytes: 'bytes', 'per-second': 'per second' };

/** Coordinates rounded to 0.1 px: enough on screen, a third of the text. */
const px = (v: number) => Math.round(v * 10) / 10;

export interface DrawnSeries {
  series: Series;
  points: number;
  max: number;
}

/**
 * The chart's SVG, or null when no series has a value. `span` is the recording's length in
 * seconds, shared by every chart so their time axes line up.
 */
export function chartSvg(chart: Chart, seconds: Float64Array, span: number, maxPoints: number): { svg: string; drawn: DrawnSeries[] } | null {
  const data = chart.series.map((s) => ({ series: s, p: downsample(seconds, s.values, maxPoints) }));
  let max = -Infinity;
  let min = 0;
  for (const { p } of data) {
    for (const v of p.y) {
      if (Number.isNaN(v)) continue;
      if (v > max) max = v;
      if (v < min) min = v;
    }
  }
  if (max === -Infinity) return null;

  // An all-zero chart still gets a 0..1 axis: no division by zero, a flat line at the bottom.
  const top = max > 0 ? max : 1;
  const yStep = valueStep(top - min, chart.unit);
  const yMin = Math.floor(min / yStep) * yStep;
  const yMax = Math.max(Math.ceil(top / yStep) * yStep, yMin + yStep);
  const xSpan = span > 0 ? span : 1;
  const X = (s: number) => M.left + (s / xSpan) * PW;
  const Y = (v: number) => M.top + PH - ((v - yMin) / (yMax - yMin)) * PH;

  const parts: string[] = [];
  // data-x0/x1/span/unit and each path's data-v let the page's hover readout turn a mouse position
  // back into a time and show the exact values drawn nearest to it.
  parts.push(
    `<svg data-chart="${escapeHtml(chart.id)}" data-unit="${chart.unit}" data-x0="${M.left}" data-x1="${M.left + PW}" data-span="${xSpan}"`
    + ` viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(chart.title)}">`,
  );
  parts.push(`<rect class="plot" x="${M.left}" y="${M.top}" width="${PW}" height="${PH}"/>`);
  const ticks = Math.round((yMax - yMin) / yStep);
  for (let k = 0; k <= ticks; k++) {
    const v = yMin + k * yStep;
    const y = px(Y(v));
    parts.push(`<line class="grid" x1="${M.left}" x2="${M.left + PW}" y1="${y}" y2="${y}"/>`);
    parts.push(`<text class="tick" x="${M.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeHtml(compactValue(v, chart.unit))}</text>`);
  }
  const xStep = timeStep(xSpan);
  for (let k = 0; k * xStep <= xSpan + 1e-9; k++) {
    const s = k * xStep;
    const x = px(X(s));
    parts.push(`<line class="grid" x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + PH}"/>`);
    parts.push(`<text class="tick" x="${x}" y="${M.top + PH + 18}" text-anchor="middle">${escapeHtml(elapsedTick(Number(s.toFixed(3))))}</text>`);
  }
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left + PW}" y1="${M.top + PH}" y2="${M.top + PH}"/>`);
  parts.push(`<line class="axis" x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${M.top + PH}"/>`);
  parts.push(`<text class="axis-title" x="${M.left + PW / 2}" y="${H - 6}" text-anchor="middle">time since start</text>`);
  parts.push(`<text class="axis-title" transform="translate(14 ${M.top + PH / 2}) rotate(-90)" text-anchor="middle">${UNIT_LABEL[chart.unit]}</text>`);

  const drawn: DrawnSeries[] = [];
  const limits: string[] = [];
  const lines: string[] = [];
  for (const { series, p } of data) {
    let d = '';
    let points = 0;
    let smax = -Infinity;
    let run = 0;
    const values: number[] = [];
    for (let i = 0; i < p.y.length; i++) {
      const v = p.y[i]!;
      if (Number.isNaN(v)) {
        if (run === 1) d += 'l0 0'; // a lone point between gaps: drawn as a dot (round caps)
        run = 0;
        continue;
      }
      d += `${run === 0 ? 'M' : 'L'}${px(X(p.x[i]!))} ${px(Y(v))}`;
      run++;
      points++;
      values.push(v);
      if (v > smax) smax = v;
    }
    if (run === 1) d += 'l0 0';
    if (points === 0) continue;
    drawn.push({ series, points, max: smax });
    const label = escapeHtml(series.label);
    (series.limit ? limits : lines).push(
      `<path data-series="${label}" data-points="${points}" data-max="${smax}" d="${d}" data-v="${values.join(',')}" stroke="${seriesColor(series)}"`
      + `${series.limit ? ' class="limit"' : ''}><title>${label}: peak ${escapeHtml(compactValue(smax, chart.unit))}</title></path>`,
    );
  }
  // Limits (dashed) first: the measured lines are drawn over them.
  parts.push(...limits, ...lines, '</svg>');
  return { svg: parts.join(''), drawn };
}
