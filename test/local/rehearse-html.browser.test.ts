import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { forecastHtml } from '../../src/local/rehearse-html.ts';
import { emptyForecast, handMadeForecast } from './rehearse-html.fixture.ts';

// What the functions run inside the page use (the project's tsconfig has no DOM library).
interface Box {
  width: number;
  height: number;
}
interface PageElement {
  getBoundingClientRect(): Box;
  querySelectorAll(selector: string): ArrayLike<PageElement>;
  scrollWidth: number;
  clientWidth: number;
}
declare const document: { body: PageElement; documentElement: PageElement; querySelector(selector: string): PageElement | null; querySelectorAll(selector: string): ArrayLike<PageElement> };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const SCREENSHOTS = resolve(import.meta.dirname, '../../test-results');

describe.skipIf(!existsSync(CHROMIUM))('rehearsal timeline in headless Chromium (skipped without /usr/bin/chromium)', () => {
  let browser: Browser;
  let dir: string;
  let page: string;
  let emptyPage: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rehearse-html-'));
    page = join(dir, 'forecast.html');
    emptyPage = join(dir, 'empty.html');
    writeFileSync(page, forecastHtml(handMadeForecast()));
    writeFileSync(emptyPage, forecastHtml(emptyForecast()));
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows the Gantt chart at 1280 px, one row per application, and asks for nothing but the file itself', { timeout: 60_000 }, async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const url = pathToFileURL(page).href;
    const requests: string[] = [];
    p.on('request', (r) => requests.push(r.url()));
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(String(e)));
    await p.goto(url, { waitUntil: 'load' });
    const svg = p.locator('svg.timeline-main');
    await expect(svg.isVisible()).resolves.toBe(true);
    const box = await svg.boundingBox();
    // the chart takes the page's width (less the margins) and keeps its aspect
    expect(box?.width).toBeGreaterThan(1100);
    expect(box?.height).toBeGreaterThan(100);
    expect(await p.locator('svg.timeline-main g.row').count()).toBe(2);
    expect(await p.locator('svg.timeline-main g.row.missed').count()).toBe(1);
    expect(await p.locator('svg.timeline-main g.window rect').isVisible()).toBe(true);
    expect(await p.locator('svg.timeline-main g.freeze rect').isVisible()).toBe(true);
    expect(await p.locator('svg.timeline-main .gate-asked').count()).toBe(5);
    expect(await p.locator('svg.timeline-main .gate-decided').count()).toBe(4);
    // the risk that carries a script tag is shown as text
    expect(await p.locator('section.risks li').first().textContent()).toContain('<script>alert(1)</script> & more');
    expect(await p.locator('script').count()).toBe(0);
    expect(requests).toEqual([url]);
    expect(errors).toEqual([]);
    // the page at 1280 px does not scroll sideways either
    expect(await p.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth)).toBe(true);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await p.screenshot({ path: join(SCREENSHOTS, 'rehearse-html.png'), fullPage: true });
    await p.close();
  });

  it('at phone width (390 px) the page does not overflow sideways: the chart and the tables scroll in their own boxes', { timeout: 60_000 }, async () => {
    const p = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await p.goto(pathToFileURL(page).href, { waitUntil: 'load' });
    const widths = await p.evaluate(() => ({
      body: [document.body.scrollWidth, document.body.clientWidth],
      root: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
    }));
    expect(widths.body[0]).toBeLessThanOrEqual(widths.body[1] as number);
    expect(widths.root[0]).toBeLessThanOrEqual(widths.root[1] as number);
    expect(await p.locator('svg.timeline-main').isVisible()).toBe(true);
    expect(await p.locator('svg.timeline-main g.row').count()).toBe(2);
    await p.screenshot({ path: join(SCREENSHOTS, 'rehearse-html-phone.png'), fullPage: true });
    await p.close();
  });

  it('renders an empty forecast', { timeout: 60_000 }, async () => {
    const p = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await p.goto(pathToFileURL(emptyPage).href, { waitUntil: 'load' });
    expect(await p.locator('svg.timeline-main').isVisible()).toBe(true);
    expect(await p.locator('svg.timeline-main g.row').count()).toBe(0);
    expect(await p.locator('text=Nothing would break.').isVisible()).toBe(true);
    await p.close();
  });
});
