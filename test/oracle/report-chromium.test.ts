// The report as an operator sees it: Debian's chromium opens the page from a file:// URL with the
// network cut off, and what it draws is checked against the recording.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { drawnOnPage, openOffline } from '../helpers/chromium';
import { ensureDebianPackage } from '../helpers/debian';
import { FIXTURES, ROOT, backend } from '../helpers/env';
import { netsnap } from '../helpers/cli';
import { expectedSeries, max, readSamples, tcpState } from '../helpers/recording';

const LOAD = path.join(FIXTURES, 'record', 'load.ndjson');
const CHARTS = ['states', 'protocols', 'ports', 'processes', 'accept-queue', 'rates', 'queues'];
const samples = readSamples(LOAD);

let missing: string | null = null;
let dir = '';
let browser: Browser | undefined;
let page: Page;
/** Every request the page made, and those refused (anything but file://). */
let requested: string[] = [];
let refused: string[] = [];

beforeAll(async () => {
  missing = ensureDebianPackage('/usr/bin/chromium', 'chromium');
  if (missing) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), `netsnap-report-chromium-${backend.name}-`));
  const out = path.join(dir, 'load.html');
  const r = netsnap(['report', LOAD, '-o', out]);
  expect(r.stderr).toBe(`netsnap: report of ${samples.length} samples written to ${out}\n`);
  ({ browser, page, requested, refused } = await openOffline(out));
}, 600_000);

afterAll(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe(`netsnap report in chromium (${backend.name})`, () => {
  it('asks the network for nothing', (ctx) => {
    ctx.skip(missing !== null, missing ?? '');
    expect(refused).toEqual([]);
    expect(requested).toEqual([pathToFileURL(path.join(dir, 'load.html')).href]);
  });

  it('shows every chart', async (ctx) => {
    ctx.skip(missing !== null, missing ?? '');
    for (const id of CHARTS) {
      const svg = page.locator(`svg[data-chart="${id}"]`);
      expect(await svg.isVisible(), id).toBe(true);
      const box = await svg.boundingBox();
      expect(box!.width, id).toBeGreaterThan(600);
      expect(box!.height, id).toBeGreaterThan(150);
    }
  });

  it('draws each series with the points and the peak of the recording', async (ctx) => {
    ctx.skip(missing !== null, missing ?? '');
    const drawn = await drawnOnPage(page);
    const expected = expectedSeries(samples);
    for (const id of CHARTS) {
      const got = drawn.filter((d) => d.chart === id);
      expect(got.map((d) => d.series).sort(), id).toEqual([...expected.get(id)!.keys()].sort());
      for (const d of got) {
        const e = expected.get(id)!.get(d.series)!;
        expect({ series: d.series, points: d.points, commands: d.commands, max: d.max, visible: d.visible })
          .toEqual({ series: d.series, points: e.points, commands: e.points, max: e.max, visible: true });
      }
    }
  });

  it('lists the peaks of the recording in the table', async (ctx) => {
    ctx.skip(missing !== null, missing ?? '');
    const rows = await page.$$eval('.peaks tr[data-series]', (trs) => trs.map((tr) => ({
      chart: tr.getAttribute('data-chart')!,
      series: tr.getAttribute('data-series')!,
      cells: [...tr.querySelectorAll('td')].map((td) => td.innerText.trim()),
    })));
    const expected = expectedSeries(samples);
    const measured = [...expected].flatMap(([chart, m]) => [...m].filter(([label]) => !label.endsWith(' backlog')).map(([label, e]) => ({ chart, label, e })));
    expect(rows.map((r) => `${r.chart} ${r.series}`).sort()).toEqual(measured.map((x) => `${x.chart} ${x.label}`).sort());
    const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
    for (const { chart, label, e } of measured) {
      const row = rows.find((r) => r.chart === chart && r.series === label)!;
      const at = samples[e.at]!;
      expect(row.cells.slice(0, 4), `${chart} ${label}`).toEqual([
        label,
        chart === 'rates' ? `${number.format(e.max)}/s` : chart === 'queues' ? expect.stringMatching(new RegExp(`^${number.format(e.max)} B`)) : number.format(e.max),
        `${(at.elapsedMs / 1000).toFixed(1)} s`,
        new Date(at.t).toISOString(),
      ]);
    }
    const established = rows.find((r) => r.chart === 'states' && r.series === 'ESTABLISHED')!;
    expect(established.cells[1]).toBe('447');
  });

  it('reads out the values under the mouse', async (ctx) => {
    ctx.skip(missing !== null, missing ?? '');
    const established = tcpState(samples, 'ESTABLISHED');
    const k = established.indexOf(max(established));
    const svg = page.locator('svg[data-chart="states"]');
    await svg.scrollIntoViewIfNeeded();
    const box = (await svg.boundingBox())!;
    const attr = async (name: string) => Number(await svg.getAttribute(name));
    const [x0, x1, span] = [await attr('data-x0'), await attr('data-x1'), await attr('data-span')];
    const viewWidth = Number((await svg.getAttribute('viewBox'))!.split(' ')[2]);
    const x = x0 + ((samples[k]!.elapsedMs / 1000) / span) * (x1 - x0);
    await page.mouse.move(box.x + (x * box.width) / viewWidth, box.y + box.height / 2);
    const tip = page.locator('#chart-states .tip');
    expect(await tip.isVisible()).toBe(true);
    const lines = (await tip.innerText()).split('\n');
    expect(lines).toContain(`ESTABLISHED: ${established[k]}`);
    expect(lines).toContain(`TIME_WAIT: ${tcpState(samples, 'TIME_WAIT')[k]}`);
    expect(Number(lines[0]!.replace(/ s$/, ''))).toBeCloseTo(samples[k]!.elapsedMs / 1000, 0);
  });

  it('looks like a report (screenshot in test-output/)', async (ctx) => {
    ctx.skip(missing !== null, missing ?? '');
    const shots = path.join(ROOT, 'test-output');
    fs.mkdirSync(shots, { recursive: true });
    const file = path.join(shots, `report-${backend.name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    expect(fs.statSync(file).size).toBeGreaterThan(50_000);
    expect(await page.title()).toBe('netsnap report: web-1');
  });
});
