// The HTML report of a recording: one self-contained page (inline CSS, SVG and a small hover
// script, nothing fetched), readable offline and safe to attach to a ticket.
import type { RecordEnd, Recording } from '../services/recording';
import { charts, mean, peak, timeline, type Chart, type Series, type Timeline } from './series';
import { chartSvg, seriesColor, type DrawnSeries } from './svg';
import { compactValue, durationText, escapeHtml, exactValue, shellWords } from './format';
import { glance, type Fact } from './glance';
import { HOVER_SCRIPT } from './hover';

export interface ReportOptions {
  /** The page's heading; default "netsnap report: HOST". */
  title?: string;
  /** Points per series at most (default 1500): longer series keep the maximum of each bucket. */
  maxPoints?: number;
}

export const DEFAULT_MAX_POINTS = 1500;

function endText(end: RecordEnd | null): string {
  if (end === null) return 'stopped without an end record (the recorder was killed or the file is cut off)';
  switch (end.reason) {
    case 'duration': return 'the duration ran out';
    case 'command':
      return end.signal ? `the command was killed by ${end.signal}` : `the command exited with status ${end.exitCode ?? '?'}`;
    case 'signal': return `stopped by ${end.signal ?? 'a signal'}`;
    case 'error': return `error: ${end.message ?? 'unknown'}`;
    default: return `ended for a reason this version does not know: ${text((end as { reason: unknown }).reason)}`;
  }
}

/** Seconds the recording covers: start to end record, else to the last sample. */
function recordedSeconds(rec: Recording, tl: Timeline): number {
  const last = tl.seconds.length ? tl.seconds[tl.seconds.length - 1]! : 0;
  if (!rec.end) return last;
  const ms = Date.parse(rec.end.endedAt) - Date.parse(rec.start.startedAt);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : last;
}

/** A start-line field as text, whatever a damaged file holds there. */
function text(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '?';
}

function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '-' : d.toISOString();
}

function header(rec: Recording, tl: Timeline): string {
  const { start } = rec;
  const rows: Array<[string, string, string?]> = [
    ['Host', text(start.host)],
    ['Started', text(start.startedAt)],
    ['Duration', durationText(recordedSeconds(rec, tl))],
    ['Interval', `${text(start.interval)} s`],
    ['Samples', String(rec.samples.length)],
    ['Skipped lines', String(rec.skipped.length), rec.skipped.length ? 'skipped warn' : 'skipped'],
    ['Command', Array.isArray(start.command) ? shellWords(start.command.map(String)) : '(none)', 'command wide'],
    ['Ended', endText(rec.end), rec.end ? 'end wide' : 'end wide missing'],
    ['Collected', `backend ${text(start.backend)}, inet sockets from ${text(start.source)}, top ${text(start.top)}, owners ${start.owners ? 'mapped' : 'not mapped'}`, 'wide'],
  ];
  if (rec.skipped.length) {
    const shown = rec.skipped.slice(0, 5).map((s) => `line ${s.line}: ${s.reason}`);
    if (rec.skipped.length > 5) shown.push(`and ${rec.skipped.length - 5} more`);
    rows.push(['Lines skipped', shown.join('; '), 'wide warn skipped-lines']);
  }
  const items = rows.map(([k, v, cls]) => `<div${cls ? ` class="${cls}"` : ''}><dt>${k}</dt><dd>${escapeHtml(v)}</dd></div>`);
  return `<dl class="facts">${items.join('')}</dl>`;
}

function glanceHtml(facts: Fact[]): string {
  const cards = facts.map((f) =>
    `<div class="fact${f.warn ? ' warn' : ''}" data-fact="${f.id}"><div class="label">${escapeHtml(f.label)}</div>`
    + `<div class="value">${escapeHtml(f.value)}</div><div class="detail">${escapeHtml(f.detail)}</div></div>`);
  return `<section class="glance" aria-label="At a glance">${cards.join('')}</section>`;
}

function legend(chart: Chart, drawn: DrawnSeries[]): string {
  const items = drawn.map(({ series, max }) =>
    `<li><svg class="swatch" viewBox="0 0 24 8" aria-hidden="true"><line x1="1" y1="4" x2="23" y2="4" stroke="${seriesColor(series)}"`
    + `${series.limit ? ' stroke-dasharray="5 3"' : ''}/></svg>${escapeHtml(series.label)} <span class="peak">${escapeHtml(compactValue(max, chart.unit))}</span></li>`);
  return `<ul class="legend">${items.join('')}</ul>`;
}

function chartSection(chart: Chart, tl: Timeline, span: number, maxPoints: number): { html: string; drawn: boolean } {
  const r = chartSvg(chart, tl.seconds, span, maxPoints);
  const head = `<h2>${escapeHtml(chart.title)}</h2>`;
  if (!r) return { html: `<section class="chart" id="chart-${chart.id}">${head}<p class="empty">${escapeHtml(chart.empty ?? 'Nothing to draw.')}</p></section>`, drawn: false };
  const note = chart.note ? `<p class="note">${escapeHtml(chart.note)}</p>` : '';
  return { html: `<section class="chart" id="chart-${chart.id}">${head}${r.svg}${legend(chart, r.drawn)}${note}</section>`, drawn: true };
}

/** Peaks at full resolution (not the downsampled points), for the measured series of drawn charts. */
function peaksTable(shown: Chart[], tl: Timeline): string {
  const groups: string[] = [];
  for (const chart of shown) {
    const rows: string[] = [];
    for (const s of chart.series) {
      if (s.limit) continue;
      const p = peak(s.values);
      if (!p) continue;
      const m = mean(s.values);
      const at = tl.seconds[p.index]!;
      rows.push(
        `<tr data-chart="${escapeHtml(chart.id)}" data-series="${escapeHtml(s.label)}" data-peak="${p.value}" data-at="${at}" data-mean="${m}">`
        + `<td>${swatch(s)}${escapeHtml(s.label)}</td><td class="num">${escapeHtml(exactValue(p.value, chart.unit))}</td>`
        + `<td class="num">${at.toFixed(1)} s</td><td class="time">${isoTime(tl.t[p.index]!)}</td>`
        + `<td class="num">${escapeHtml(exactValue(chart.unit === 'bytes' ? Math.round(m) : m, chart.unit))}</td></tr>`,
      );
    }
    if (rows.length) groups.push(`<tbody><tr class="group"><th colspan="5">${escapeHtml(chart.title)}</th></tr>${rows.join('')}</tbody>`);
  }
  return '<section class="peaks"><h2>Peaks</h2><p class="note">At full resolution: every sample counts, whatever the charts had to leave out.</p>'
    + '<table><thead><tr><th>Series</th><th class="num">Peak</th><th class="num">At</th><th>Time (UTC)</th><th class="num">Mean</th></tr></thead>'
    + `${groups.join('')}</table></section>`;
}

function swatch(s: Series): string {
  return `<span class="dot" style="background:${seriesColor(s)}"></span>`;
}

/** The whole HTML document of a recording. */
export function renderReport(rec: Recording, options: ReportOptions = {}): string {
  const maxPoints = options.maxPoints ?? DEFAULT_MAX_POINTS;
  if (!Number.isInteger(maxPoints) || maxPoints < 2) throw new TypeError('maxPoints must be an integer >= 2');
  const title = options.title ?? `netsnap report: ${text(rec.start.host)}`;
  const tl = timeline(rec.samples);
  let body: string;
  if (rec.samples.length === 0) {
    body = '<p class="empty no-samples">This recording has no samples: nothing to chart.</p>';
  } else {
    const span = tl.seconds.reduce((m, s) => Math.max(m, s), 0);
    const all = charts(rec);
    const sections = all.map((c) => ({ chart: c, ...chartSection(c, tl, span, maxPoints) }));
    body = glanceHtml(glance(rec.samples, all, tl)) + '\n' + sections.map((s) => s.html).join('\n') + '\n' + peaksTable(sections.filter((s) => s.drawn).map((s) => s.chart), tl);
  }
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="netsnap report">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header><h1>${escapeHtml(title)}</h1>${header(rec, tl)}</header>
<main>
${body}
</main>
<script>${HOVER_SCRIPT}</script>
</body>
</html>
`;
}

const CSS = `
:root { color-scheme: light; --fg: #111827; --muted: #6b7280; --line: #e5e7eb; --bg: #f3f4f6; --card: #fff; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
header, main { max-width: 1040px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 24px; }
h1 { font-size: 22px; margin: 0 0 12px; }
h2 { font-size: 16px; margin: 0 0 8px; }
.facts { display: flex; flex-wrap: wrap; gap: 8px 40px; margin: 0;
  background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.facts div { min-width: 0; }
.facts .wide { flex-basis: 100%; }
.facts dt { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
.facts dd { margin: 0; overflow-wrap: anywhere; }
.facts .command dd { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
.facts .missing dd, .facts .warn dd { color: #b45309; font-weight: 600; }
.glance { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.fact { flex: 1 1 120px; background: var(--card); border: 1px solid var(--line); border-left: 4px solid #2563eb; border-radius: 8px; padding: 10px 12px; }
.fact .label { color: var(--muted); font-size: 12px; }
.fact .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }
.fact .detail { color: var(--muted); font-size: 12px; }
.fact.warn { border-left-color: #d97706; background: #fffbeb; }
.fact.warn .value { color: #b45309; }
.chart { position: relative; }
.tip { position: absolute; pointer-events: none; background: rgba(17, 24, 39, .92); color: #fff; font-size: 12px;
  padding: 6px 9px; border-radius: 6px; white-space: nowrap; z-index: 1; }
.tip .tip-time { color: #d1d5db; margin-bottom: 2px; }
.tip .dot { width: 8px; height: 8px; margin-right: 6px; }
.cursor { stroke: #111827; stroke-opacity: .45; stroke-dasharray: 3 3; }
.chart, .peaks { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin: 16px 0; }
.chart svg[data-chart] { display: block; width: 100%; height: auto; }
.plot { fill: #fcfcfd; }
.grid { stroke: var(--line); stroke-width: 1; }
.axis { stroke: #9ca3af; stroke-width: 1; }
.tick { fill: var(--muted); font-size: 12px; }
.axis-title { fill: var(--muted); font-size: 12px; }
path[data-series] { fill: none; stroke-width: 2; stroke-linejoin: round; stroke-linecap: round; }
path[data-series]:hover { stroke-width: 4; }
path.limit { stroke-dasharray: 7 5; stroke-width: 1.5; }
.legend { list-style: none; margin: 8px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 18px; font-size: 13px; }
.legend li { display: flex; align-items: center; gap: 6px; }
.legend .peak { color: var(--muted); }
.swatch { width: 24px; height: 8px; }
.swatch line { stroke-width: 3; }
.note { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
.empty { color: var(--muted); font-style: italic; }
.no-samples { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 24px; font-size: 16px; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--muted); font-weight: 600; }
td.num, td.time { white-space: nowrap; }
td.time { font-variant-numeric: tabular-nums; color: var(--muted); }
tr.group th { color: var(--fg); background: #f9fafb; padding-top: 10px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:not(.group):hover { background: #f9fafb; }
.dot { display: inline-block; width: 9px; height: 9px; border-radius: 50%; margin-right: 7px; }
`;
