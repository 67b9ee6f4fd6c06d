import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { parseRecording, parseRecordingStream, type Recording } from '../../src/services/recording';
import { renderReport } from '../../src/report';
import { FIXTURES, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { START, counterRate, drawnSeries, max, ndjson, readSamples, sample, tcpState } from '../helpers/recording';

const LOAD = path.join(FIXTURES, 'record', 'load.ndjson');
const CUT = path.join(FIXTURES, 'record', 'cut.ndjson');
const samples = readSamples(LOAD);
const n = samples.length;
const load = parseRecording(fs.readFileSync(LOAD, 'utf8'));
const html = renderReport(load);

const series = (id: string) => {
  const drawn = drawnSeries(html, id);
  if (!drawn) throw new Error(`no chart ${id}`);
  return new Map(drawn.map((d) => [d.series, d]));
};

describe('renderReport over fixtures/record/load.ndjson', () => {
  it('the fixture is the run it claims to be', () => {
    expect(n).toBe(601);
    expect(max(samples.flatMap((s) => s.listeners.filter((l) => l.port === 8080).map((l) => l.acceptQueue)))).toBe(37);
    expect(samples.some((s) => s.portsRest.sockets > 0)).toBe(true);
  });

  it('draws one line per TCP state that ever appears, at its full-resolution peak', () => {
    const states = [...new Set(samples.flatMap((s) => s.states.filter((e) => e.proto === 'tcp').map((e) => e.state)))];
    const drawn = series('states');
    expect([...drawn.keys()].sort()).toEqual(states.sort());
    for (const state of states) expect(drawn.get(state)).toEqual({ series: state, points: n, max: max(tcpState(samples, state)) });
    expect(drawn.get('ESTABLISHED')!.max).toBe(447);
    expect(drawn.get('TIME_WAIT')!.max).toBe(900);
  });

  it('draws sockets per protocol and in all', () => {
    const drawn = series('protocols');
    for (const proto of ['tcp', 'udp', 'unix']) {
      const perSample = samples.map((s) => s.states.filter((e) => e.proto === proto).reduce((a, e) => a + e.count, 0));
      expect(drawn.get(proto)?.max).toBe(max(perSample));
    }
    expect(drawn.get('total sockets')).toEqual({ series: 'total sockets', points: n, max: max(samples.map((s) => s.sockets)) });
  });

  it('draws every port of any top list (0 where absent) and the rest as "other"', () => {
    const labels = new Set(samples.flatMap((s) => s.ports.map((p) => `${p.proto}/${p.port}`)));
    const drawn = series('ports');
    expect(new Set(drawn.keys())).toEqual(new Set([...labels, 'other']));
    for (const label of labels) {
      const perSample = samples.map((s) => s.ports.find((p) => `${p.proto}/${p.port}` === label)?.sockets ?? 0);
      expect(drawn.get(label)).toEqual({ series: label, points: n, max: max(perSample) });
    }
    expect(drawn.get('other')!.max).toBe(max(samples.map((s) => s.portsRest.sockets)));
  });

  it('draws sockets per process as program[pid]', () => {
    const drawn = series('processes');
    expect([...drawn.keys()].sort()).toEqual(['java[4242]', 'postgres[1187]']);
    const java = samples.map((s) => s.processes!.find((p) => p.pid === 4242)?.sockets ?? 0);
    expect(drawn.get('java[4242]')).toEqual({ series: 'java[4242]', points: n, max: max(java) });
  });

  it('draws the accept queues that filled, with their backlogs dashed', () => {
    const drawn = series('accept-queue');
    expect([...drawn.keys()].sort()).toEqual(['0.0.0.0:8080', '0.0.0.0:8080 backlog', '127.0.0.1:9090', '127.0.0.1:9090 backlog']);
    expect(drawn.get('0.0.0.0:8080')!.max).toBe(37);
    expect(drawn.get('0.0.0.0:8080 backlog')!.max).toBe(128);
    expect(html).toMatch(/<path data-series="0\.0\.0\.0:8080 backlog"[^>]* class="limit"/);
    expect(html).toContain('3 other listener(s) never had a connection waiting');
  });

  it('draws per-second rates of the counters from their deltas over t', () => {
    const drawn = series('rates');
    for (const name of ['Tcp.RetransSegs', 'TcpExt.ListenOverflows', 'TcpExt.ListenDrops']) {
      const rates = counterRate(samples, name);
      expect(drawn.get(`${name}/s`)).toEqual({ series: `${name}/s`, points: n - 1, max: max(rates) });
    }
    // The burst: 40 to 70 retransmits per 100 ms.
    expect(drawn.get('Tcp.RetransSegs/s')!.max).toBeGreaterThan(400);
  });

  it('draws receive and send queue bytes summed over protocols', () => {
    const drawn = series('queues');
    for (const k of ['receive', 'send'] as const) {
      expect(drawn.get(k)).toEqual({ series: k, points: n, max: max(samples.map((s) => s.queues.reduce((a, q) => a + q[k], 0))) });
    }
  });

  it('lists each peak with its time and the mean', () => {
    const row = /<tr data-chart="states" data-series="ESTABLISHED" data-peak="([^"]+)" data-at="([^"]+)" data-mean="([^"]+)">.*?<td class="time">([^<]+)</.exec(html);
    const est = tcpState(samples, 'ESTABLISHED');
    const at = est.indexOf(max(est));
    expect(Number(row![1])).toBe(447);
    expect(Number(row![2])).toBe(samples[at]!.elapsedMs / 1000);
    expect(Number(row![3])).toBeCloseTo(est.reduce((a, v) => a + v, 0) / n, 9);
    expect(row![4]).toBe(new Date(samples[at]!.t).toISOString());
    const rates = counterRate(samples, 'Tcp.RetransSegs');
    expect(html).toContain(`data-series="Tcp.RetransSegs/s" data-peak="${max(rates)}" data-at="${samples[rates.indexOf(max(rates)) + 1]!.elapsedMs / 1000}"`);
    expect(html).toMatch(/data-chart="protocols" data-series="total sockets" data-peak="1256"/);
  });

  it('puts the first numbers an operator wants at the top, flagging trouble', () => {
    const fact = (id: string) => {
      const m = new RegExp(`<div class="fact( warn)?" data-fact="${id}"><div class="label">[^<]*</div><div class="value">([^<]*)</div><div class="detail">([^<]*)</div>`).exec(html);
      return m ? { warn: m[1] !== undefined, value: m[2], detail: m[3] } : null;
    };
    const grown = (name: string) => samples.at(-1)!.counters[name]! - samples[0]!.counters[name]!; // no reset in this run
    const number = new Intl.NumberFormat('en-US');
    expect(fact('sockets')).toEqual({ warn: false, value: number.format(max(samples.map((s) => s.sockets))), detail: 'peak at 49.9 s' });
    expect(fact('established')).toEqual({ warn: false, value: '447', detail: 'peak at 30.0 s' });
    expect(fact('close-wait')).toEqual({ warn: true, value: String(max(tcpState(samples, 'CLOSE_WAIT'))), detail: 'peak at 59.0 s' });
    expect(fact('accept-queue')).toEqual({ warn: false, value: '37 / 128', detail: '0.0.0.0:8080 at 21.4 s (29% of the backlog)' });
    expect(fact('retransmits')!.value).toBe(number.format(grown('Tcp.RetransSegs')));
    expect(fact('listen-drops')).toMatchObject({ warn: true, value: String(grown('TcpExt.ListenDrops')) });
    expect(grown('TcpExt.ListenDrops')).toBeGreaterThan(0);
  });

  it('says who, when and how long in the header, escaped', () => {
    expect(html).toContain('<title>netsnap report: web-1</title>');
    expect(html).toContain('2026-11-20T14:30:00.000Z');
    expect(html).toContain('<dd>601</dd>');
    expect(html).toContain('the duration ran out');
    expect(html).toContain('sh -c &#39;wrk -t4 -c400 -d45s http://127.0.0.1:8080/ &gt; /tmp/wrk.txt&#39;');
    expect(html).not.toContain('/ > /tmp');
  });

  it('is self-contained: nothing to fetch, one inline script', () => {
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script>(() => {');
    expect(html).not.toMatch(/<link|<img|<iframe|src=|href=|url\(|@import|fetch\(|XMLHttpRequest|https?:\/\/(?!127\.0\.0\.1:8080\/ |www\.w3\.org\/2000\/svg')/i); // the command; the SVG namespace
    expect(html).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('downsamples long series to maxPoints keeping every bucket maximum', () => {
    const small = renderReport(load, { maxPoints: 50 });
    const size = Math.ceil(n / 50);
    const buckets = Math.ceil(n / size);
    for (const id of ['states', 'ports', 'processes', 'accept-queue', 'rates', 'queues']) {
      const full = series(id);
      for (const d of drawnSeries(small, id)!) {
        expect(d.points).toBe(buckets);
        expect(d.max).toBe(full.get(d.series)!.max);
      }
    }
    // A spike one sample wide survives: the accept queue's 37 lasts 3 s, the 9090 queue's 2 one second.
    expect(drawnSeries(renderReport(load, { maxPoints: 7 }), 'accept-queue')!.find((d) => d.series === '127.0.0.1:9090')!.max).toBe(2);
    // The peaks table stays at full resolution.
    expect(small).toMatch(/data-chart="states" data-series="ESTABLISHED" data-peak="447"/);
  });
});

describe('renderReport on small and hostile recordings', () => {
  const rec = (s: Recording['samples'], over: Partial<Recording> = {}): Recording => ({ start: START, samples: s, end: null, skipped: [], ...over });

  it('says so when there are no samples', () => {
    const out = renderReport(rec([]));
    expect(out).toContain('This recording has no samples');
    expect(out).not.toContain('<svg data-chart');
    expect(out).toContain('stopped without an end record');
  });

  it('draws one sample as points and explains the missing rates', () => {
    const out = renderReport(rec([sample(0)]));
    expect(drawnSeries(out, 'states')).toEqual([
      { series: 'ESTABLISHED', points: 1, max: 2 }, { series: 'LISTEN', points: 1, max: 1 },
    ]);
    expect(drawnSeries(out, 'rates')).toBeNull();
    expect(out).toContain('Rates need at least two samples.');
    expect(out).not.toMatch(/NaN|Infinity/);
  });

  it('takes a counter going backwards as a reset (rate 0), and draws no series for a missing counter', () => {
    const counters = [100, 160, 40, 70];
    const dts = [0, 2000, 1000, 500];
    let t = Date.parse(START.startedAt);
    const s = counters.map((c, i) => sample(i, { t: (t += dts[i]!), counters: { 'Tcp.RetransSegs': c } }));
    const out = renderReport(rec(s));
    expect(drawnSeries(out, 'rates')).toEqual([{ series: 'Tcp.RetransSegs/s', points: 3, max: 60 }]); // 30, 0, 60
    expect(out).toMatch(/data-series="Tcp.RetransSegs\/s" data-peak="60" data-at="3" data-mean="30"/);
  });

  it('copes with all-zero and huge values', () => {
    const huge = 2 ** 53 - 1;
    const s = [0, 1, 2].map((i) => sample(i, {
      sockets: huge, queues: [{ proto: 'tcp', family: 'ipv4', receive: 0, send: i * huge }],
    }));
    const out = renderReport(rec(s));
    expect(drawnSeries(out, 'queues')).toEqual([{ series: 'receive', points: 3, max: 0 }, { series: 'send', points: 3, max: 2 * huge }]);
    expect(drawnSeries(out, 'protocols')!.find((d) => d.series === 'total sockets')!.max).toBe(huge);
    expect(out).not.toMatch(/NaN|Infinity/);
    expect(out).toContain('>16 PiB<'); // an axis tick of the send queue
    // All-zero accept queues: a sentence, not a chart with a zero-height axis.
    expect(drawnSeries(out, 'accept-queue')).toBeNull();
    expect(out).toContain('No connection ever waited in an accept queue (1 listener(s) seen).');
  });

  it('escapes the command, host, program names, labels and title', () => {
    const evil = '<script>alert("x")</script>';
    const s = [sample(0, { processes: [{ pid: 66, program: evil, sockets: 3 }] }), sample(1)];
    const out = renderReport(rec(s, { start: { ...START, host: `<img src=x onerror=alert(1)>`, command: ['sh', '-c', evil] } }), { title: `report ${evil}` });
    expect(out.match(/<script/g)).toEqual(['<script']); // the page's own
    expect(out).not.toContain(evil);
    expect(out).not.toContain('<img');
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;[66]');
    expect(drawnSeries(out, 'processes')!.map((d) => d.series)).toContain(`${evil}[66]`);
    expect(out).toContain(`<title>report &lt;script&gt;`);
  });

  it('says when owners were not mapped instead of drawing processes', () => {
    const out = renderReport(rec([sample(0, { processes: null, processesRest: null }), sample(1, { processes: null, processesRest: null })]));
    expect(drawnSeries(out, 'processes')).toBeNull();
    expect(out).toContain('Owners were not mapped while recording');
  });

  it('folds the ports past the 12 biggest into "other"', () => {
    const ports = Array.from({ length: 15 }, (_, k) => ({ proto: 'tcp', port: 1000 + k, sockets: k + 1 }));
    const out = renderReport(rec([sample(0, { ports, portsRest: { entries: 2, sockets: 5 } })]));
    const drawn = drawnSeries(out, 'ports')!;
    expect(drawn).toHaveLength(13);
    expect(drawn[0]).toEqual({ series: 'tcp/1014', points: 1, max: 15 });
    expect(drawn[12]).toEqual({ series: 'other', points: 1, max: 5 + 1 + 2 + 3 });
    expect(out).toContain('3 more port(s) with smaller peaks are counted in &quot;other&quot;.');
  });

  it('survives samples with fields missing or of the wrong type', () => {
    const fields = Object.keys(sample(0)).filter((k) => k !== 'kind');
    for (const field of fields) {
      for (const bad of [undefined, null, 'x', -1, {}]) {
        const lines = [0, 1, 2].map((i) => ({ ...sample(i), [field]: bad }));
        const out = renderReport(parseRecording(ndjson(START, lines, null)));
        expect(out, `${field} = ${JSON.stringify(bad)}`).not.toMatch(/NaN|undefined|Infinity|\[object/);
      }
    }
    for (const field of Object.keys(START).filter((k) => k !== 'kind' && k !== 'schema')) {
      for (const bad of [undefined, null, 7, {}, [1, null]]) {
        const out = renderReport(parseRecording(ndjson({ ...START, [field]: bad }, [sample(0), sample(1)], { kind: 'end', reason: bad })));
        expect(out, `start ${field} = ${JSON.stringify(bad)}`).not.toMatch(/NaN|undefined|Infinity|\[object/);
      }
    }
  });

  it('rejects a nonsensical maxPoints', () => {
    expect(() => renderReport(rec([]), { maxPoints: 1 })).toThrow(TypeError);
  });
});

describe('cut-off recordings', () => {
  it('counts the cut-off line and says there was no end record', () => {
    const cut = parseRecording(fs.readFileSync(CUT, 'utf8'));
    expect(cut.end).toBeNull();
    expect(cut.skipped).toEqual([{ line: 52, reason: 'cut off (no newline, not JSON)' }]);
    const out = renderReport(cut);
    expect(out).toContain('stopped without an end record');
    expect(out).toMatch(/<dt>Skipped lines<\/dt><dd>1<\/dd>/);
    expect(out).toContain('<div class="wide warn skipped-lines"><dt>Lines skipped</dt><dd>line 52: cut off (no newline, not JSON)</dd></div>');
    expect(out).toMatch(/data-fact="listen-drops">.*?<div class="value">0<\/div><div class="detail">none during the recording</);
    expect(drawnSeries(out, 'states')!.find((d) => d.series === 'ESTABLISHED')!.points).toBe(cut.samples.length);
  });

  it('parses the same streamed in small chunks as whole (multi-byte characters split)', async () => {
    for (const text of [
      fs.readFileSync(CUT, 'utf8'),
      fs.readFileSync(LOAD, 'utf8').slice(0, 20_000),
      ndjson({ ...START, host: 'hôte-é€' }, [sample(0, { processes: [{ pid: 1, program: 'naïve→✓', sockets: 3 }] })], null) + 'garbage\n{"kind":"end"',
    ]) {
      const bytes = Buffer.from(text, 'utf8');
      const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
      expect(await parseRecordingStream(Readable.from(chunks))).toEqual(parseRecording(text));
    }
    await expect(parseRecordingStream(Readable.from([Buffer.from('{"kind":"sample"}\n')]))).rejects.toThrow(/not a netsnap recording/);
  });
});

describe(`netsnap report (${backend.name})`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-report-${backend.name}-`));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes FILE.html next to the recording by default, atomically', () => {
    const file = path.join(dir, 'run.ndjson');
    fs.copyFileSync(LOAD, file);
    const r = netsnap(['report', file]);
    expect(r.stderr).toBe(`netsnap: report of 601 samples written to ${path.join(dir, 'run.html')}\n`);
    expect(r.status).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'run.html'), 'utf8')).toBe(html);
    expect(fs.readdirSync(dir).sort()).toEqual(['run.html', 'run.ndjson']); // no temporary file left
  });

  it('writes to -o, with --title, and says how many lines were skipped', () => {
    const out = path.join(dir, 'cut report.html');
    const r = netsnap(['report', CUT, '--title', 'Incident 42', '-o', out]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe(`netsnap: report of 50 samples written to ${out}; 1 line(s) skipped (cut off (no newline, not JSON))\n`);
    const page = fs.readFileSync(out, 'utf8');
    expect(page).toContain('<h1>Incident 42</h1>');
    expect(page).toContain('stopped without an end record');
  });

  it('writes to stdout with -o -', () => {
    const r = netsnap(['report', LOAD, '-o', '-']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(html);
    expect(r.stderr).toBe('netsnap: report of 601 samples written to stdout\n');
  });

  it('fails clearly on a missing file, a file that is no recording, and bad arguments', () => {
    const missing = path.join(dir, 'missing.ndjson');
    let r = netsnap(['report', missing]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`netsnap: cannot read ${missing}: ENOENT (No such file or directory)\n`);
    expect(fs.existsSync(path.join(dir, 'missing.html'))).toBe(false);

    const notRecording = path.join(dir, 'notes.txt');
    fs.writeFileSync(notRecording, 'hello\n');
    r = netsnap(['report', notRecording]);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`netsnap: ${notRecording}: not a netsnap recording: no netsnap/record-v1 start line\n`);

    r = netsnap(['report', LOAD, '--colour']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^netsnap report: unrecognized option '--colour'\nusage: netsnap report FILE/);
    r = netsnap(['report']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^netsnap report: which recording\? FILE is missing\nusage:/);
    r = netsnap(['report', LOAD, '-o']);
    expect(r.status).toBe(2);

    r = netsnap(['report', LOAD, '-o', path.join(dir, 'no-such-dir', 'x.html')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^netsnap: cannot write .*x\.html: ENOENT \(No such file or directory\)\n$/);
  });

  it('prints its usage with --help and is listed in netsnap --help', () => {
    const r = netsnap(['report', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: netsnap report FILE \[-o\|--output OUT\.html\] \[--title TEXT\]/);
    expect(netsnap(['--help']).stdout).toContain('  netsnap report FILE [-o OUT.html]                                  HTML report of a recording\n');
  });
});
