// Debian's chromium, driven by playwright-core, for the report tests: a page opened from a
// file:// URL with every other request refused and remembered.
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export interface OfflinePage {
  browser: Browser;
  page: Page;
  /** Every request the page made. */
  requested: string[];
  /** The requests refused (anything but file://). */
  refused: string[];
}

export async function openOffline(file: string): Promise<OfflinePage> {
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    // Without the background-networking flags chromium tries Google's hosts at every start.
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const requested: string[] = [];
  const refused: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    requested.push(url);
    if (url.startsWith('file://')) return route.continue();
    refused.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return { browser, page, requested, refused };
}

/** Every drawn series of the page: its chart, label, points, peak, and the points in its path. */
export function drawnOnPage(page: Page) {
  return page.$$eval('svg[data-chart] path[data-series]', (paths) => paths.map((p) => {
    // No DOM types in this project's lib: the one SVG method used, typed by hand.
    const box = (p as unknown as { getBBox(): { width: number; height: number } }).getBBox();
    return {
      chart: p.closest('svg')!.getAttribute('data-chart')!,
      series: p.getAttribute('data-series')!,
      points: Number(p.getAttribute('data-points')),
      max: Number(p.getAttribute('data-max')),
      // Points in the path itself: one M or L command each.
      commands: (p.getAttribute('d')!.match(/[ML]/g) ?? []).length,
      visible: box.width > 0 || box.height > 0,
    };
  }));
}
