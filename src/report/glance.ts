// "At a glance": the handful of numbers an operator looks for first, above the charts, each
// flagged when it points at trouble (the thresholds of --summary's warnings where there is one).
import type { RecordSample } from '../services/recording';
import { CLOSE_WAIT_THRESHOLD } from '../analysis/summary';
import { counterSteps, peak, sum, type Chart, type Timeline } from './series';
import { compactValue, exactValue } from './format';

export interface Fact {
  /** Stable id (data-fact), for tests and scripts. */
  id: string;
  label: string;
  value: string;
  detail: string;
  warn: boolean;
}

/** A queue this full of its backlog is about to drop connections. */
const ACCEPT_QUEUE_WARN = 0.8;

const at = (tl: Timeline, i: number) => `at ${tl.seconds[i]!.toFixed(1)} s`;

function seriesPeak(charts: Chart[], id: string, label: string): { value: number; index: number } | null {
  const s = charts.find((c) => c.id === id)?.series.find((x) => x.label === label);
  return s ? peak(s.values) : null;
}

export function glance(samples: RecordSample[], charts: Chart[], tl: Timeline): Fact[] {
  const facts: Fact[] = [];
  const count = (id: string, label: string, chart: string, series: string, warnAt = Infinity) => {
    const p = seriesPeak(charts, chart, series);
    if (p) facts.push({ id, label, value: exactValue(p.value, 'count'), detail: `peak ${at(tl, p.index)}`, warn: p.value >= warnAt });
  };
  count('sockets', 'Sockets', 'protocols', 'total sockets');
  count('established', 'ESTABLISHED', 'states', 'ESTABLISHED');
  count('time-wait', 'TIME_WAIT', 'states', 'TIME_WAIT');
  count('close-wait', 'CLOSE_WAIT', 'states', 'CLOSE_WAIT', CLOSE_WAIT_THRESHOLD);

  // The fullest accept queue relative to its backlog (or the longest, where no backlog is known).
  const queues = charts.find((c) => c.id === 'accept-queue')?.series ?? [];
  let fullest: { label: string; queue: number; backlog: number | null; index: number; fill: number } | null = null;
  for (const q of queues.filter((s) => !s.limit)) {
    const b = queues.find((s) => s.limit && s.label === `${q.label} backlog`)?.values;
    for (let i = 0; i < q.values.length; i++) {
      const backlog = b && b[i]! > 0 ? b[i]! : null;
      const fill = backlog === null ? 0 : q.values[i]! / backlog;
      if (!fullest || fill > fullest.fill || (fill === fullest.fill && q.values[i]! > fullest.queue)) {
        fullest = { label: q.label, queue: q.values[i]!, backlog, index: i, fill };
      }
    }
  }
  if (fullest && fullest.queue > 0) {
    facts.push({
      id: 'accept-queue', label: 'Fullest accept queue',
      value: fullest.backlog === null ? String(fullest.queue) : `${fullest.queue} / ${fullest.backlog}`,
      detail: `${fullest.label} ${at(tl, fullest.index)}${fullest.backlog === null ? '' : ` (${Math.round(fullest.fill * 100)}% of the backlog)`}`,
      warn: fullest.fill >= ACCEPT_QUEUE_WARN,
    });
  }

  const counter = (id: string, label: string, name: string, warn: boolean) => {
    if (samples.length < 2 || !samples.some((s) => typeof s.counters[name] === 'number')) return;
    const total = sum(counterSteps(samples, name));
    const rate = seriesPeak(charts, 'rates', `${name}/s`);
    facts.push({
      id, label, value: exactValue(total, 'count'),
      detail: total > 0 && rate ? `peak ${compactValue(rate.value, 'per-second')} ${at(tl, rate.index)}` : 'none during the recording',
      warn: warn && total > 0,
    });
  };
  counter('retransmits', 'Retransmitted segments', 'Tcp.RetransSegs', false);
  counter('listen-drops', 'Listen drops', 'TcpExt.ListenDrops', true);
  return facts;
}
