export { renderReport, DEFAULT_MAX_POINTS } from './render';
export type { ReportOptions } from './render';
export { charts, peak, timeline, COUNTERS, MAX_SERIES } from './series';
export type { Chart, Series, Timeline, Unit } from './series';
export { downsample } from './svg';
export { escapeHtml } from './format';
