// Reads the Prometheus text exposition format (what an exporter's /metrics returns) into samples,
// checking each line's syntax on the way: a test fails on output Prometheus could not ingest.
export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromText {
  samples: PromSample[];
  /** # TYPE lines: metric family -> type. */
  types: Map<string, string>;
  /** The samples of `name` whose labels include `labels`. */
  find(name: string, labels?: Record<string, string>): PromSample[];
  /** The one sample of `name` with exactly `labels` (undefined when absent). */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

export function parsePromText(text: string): PromText {
  const samples: PromSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)$/.exec(line);
      if (!m) throw new Error(`bad comment line: ${line}`);
      if (m[1] === 'TYPE') types.set(m[2]!, m[3]!);
      continue;
    }
    const n = NAME.exec(line);
    if (!n) throw new Error(`bad sample line: ${line}`);
    let i = n[0].length;
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const l = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\["\\n])*)",?/.exec(line.slice(i));
        if (!l) throw new Error(`bad labels in: ${line}`);
        labels[l[1]!] = l[2]!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
        i += l[0].length;
      }
      i++;
    }
    const rest = line.slice(i).trim().split(/\s+/);
    const v = rest[0] === '+Inf' ? Infinity : rest[0] === '-Inf' ? -Infinity : Number(rest[0]);
    if (rest.length > 2 || rest[0] === undefined || (Number.isNaN(v) && rest[0]!.toLowerCase() !== 'nan')) throw new Error(`bad value in: ${line}`);
    samples.push({ name: n[0], labels, value: v });
  }
  const includes = (s: PromSample, labels: Record<string, string>) => Object.entries(labels).every(([k, v]) => s.labels[k] === v);
  return {
    samples,
    types,
    find: (name, labels = {}) => samples.filter((s) => s.name === name && includes(s, labels)),
    value: (name, labels = {}) => {
      const hits = samples.filter((s) => s.name === name && includes(s, labels) && Object.keys(s.labels).length === Object.keys(labels).length);
      if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} is ambiguous`);
      return hits[0]?.value;
    },
  };
}
