import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { linksIn } from '../../src/local/approver.ts';
import { autoApprove, lifecycleCloud, repoRoot, serverIds, startWave, until, waveOf } from '../statemachines/lifecycle-helpers.ts';

// What the functions run inside the page use (the project's tsconfig has no DOM library).
interface PageElement {
  textContent: string | null;
  scrollWidth: number;
  clientWidth: number;
  getAttribute(name: string): string | null;
}
declare const document: { querySelectorAll(selector: string): PageElement[]; documentElement: PageElement };

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const LONG_APP = 'customer-relationship-management-and-billing-reconciliation-platform';

async function chips(page: Page): Promise<{ server: string | null; status: string | null; phase: string | null; text: string; overflows: boolean }[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll('.chip')].map((c) => ({ server: c.getAttribute('data-server'), status: c.getAttribute('data-status'), phase: c.getAttribute('data-phase'), text: c.textContent ?? '', overflows: c.scrollWidth > c.clientWidth + 1 })),
  );
}

/**
 * The dashboard as an operator reads it on the local cloud: a wave's canary held for its cutover window
 * ("until" when, in the wave's zone), the application behind it not started yet and why, a long application
 * name that stays inside its card, the simulated clock in the header; and the approval page on a phone.
 */
describe.skipIf(!existsSync(CHROMIUM))('dashboard: every application, holds with their time, long names; approval page at 390 px', () => {
  let cloud: LocalCloud;
  let browser: Browser;
  let ids: string[];
  let stop: () => void = () => undefined;
  let windowOpens: number;

  beforeAll(async () => {
    // wall-scaled: the page is watched live (3000x: a day is 29 s; the window opens in 10 days, ~5 minutes of wall time)
    cloud = await lifecycleCloud({ servers: 3, applications: 2, timeScale: 3000 });
    ids = serverIds(cloud);
    windowOpens = Math.ceil((cloud.clock.now() + 10 * 86400_000) / 3600_000) * 3600_000;
    const wave = waveOf(cloud, {
      name: 'wave-dash',
      canary: ['app-01'],
      defaults: { soakDays: 1, concurrency: 2, failurePolicy: 'hold', archive: true },
      cutoverWindow: { start: new Date(windowOpens).toISOString(), end: new Date(windowOpens + 4 * 3600_000).toISOString(), timeZone: 'Europe/Berlin' },
    });
    wave.timeZone = 'Europe/Berlin';
    wave.approvers.testSignoff = ['qa-lead-with-a-rather-long-address@example.com'];
    const second = wave.applications.find((a) => a.name === 'app-02');
    if (second) second.name = LONG_APP;
    // everything is approved through its link but the canary's sign-off, which the test opens on a phone
    stop = autoApprove(cloud, { skip: (gate, application) => gate === 'SIGNOFF' && application === 'app-01' });
    await startWave(cloud, wave);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  }, 60_000);

  afterAll(async () => {
    stop();
    await browser?.close();
    await cloud?.close();
  });

  it('the approval page works at 390 px: nothing wider than the screen, the decision made with a thumb', { timeout: 120_000 }, async () => {
    const request = () => cloud.sns.outbox().find((m) => m.subject === 'Decision needed: SIGNOFF for app-01');
    await until('the canary sign-off request', () => request() !== undefined, 90_000);
    const url = linksIn(request()?.message ?? '')[0] as string;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await page.goto(url);
    expect(await page.textContent('h1')).toContain('app-01');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).toBeLessThanOrEqual(390);
    const button = await page.locator('button[value="approve"]').boundingBox();
    expect(button?.width).toBeGreaterThan(300); // full width on a phone
    await page.screenshot({ path: resolve(repoRoot, 'docs/approval-page-390.png'), fullPage: true });
    await page.fill('input[name="name"]', 'Quinn QA');
    const [decided] = await Promise.all([page.waitForNavigation(), page.click('button[value="approve"]')]);
    expect(decided?.status()).toBe(200);
    await page.close();
  });

  it('shows the application not started yet and the canary held for its window, until when, in the wave zone', { timeout: 150_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(cloud.info.dashboard);
    const app01 = ids.filter((id) => cloud.emulator.engine.applications.get(cloud.emulator.engine.servers.get(id)?.applicationID ?? '')?.name === 'app-01');
    const later = ids.filter((id) => !app01.includes(id));

    // the application behind the canary: in its row, each server "not started" with the reason
    const row = page.locator(`tr[data-application="${LONG_APP}"]`);
    await until('the long-named application row', async () => (await row.count()) === 1, 30_000);
    const waiting = (await chips(page)).filter((c) => later.includes(c.server ?? ''));
    expect(waiting).toHaveLength(later.length);
    for (const c of waiting) {
      expect(c.status).toBe('notstarted');
      expect(c.text).toContain('not admitted yet: canaries first (app-01 must succeed)');
    }
    expect(await page.textContent('#counts')).toContain(`${later.length} not started`);

    // the canary, signed off on the phone, is held for the cutover window: until when, in Europe/Berlin
    const opens = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Berlin', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(windowOpens));
    await until('the canary held for its window', async () => (await chips(page)).filter((c) => app01.includes(c.server ?? '')).every((c) => c.text.includes('held for the cutover window')), 120_000);
    for (const c of (await chips(page)).filter((x) => app01.includes(x.server ?? ''))) {
      expect(c.status).toBe('waiting');
      expect(c.text).toContain(`until ${opens} · the cutover window to open`);
    }
    // each server once, none spilling out of its card; the simulated clock in the header, in the wave zone
    const all = await chips(page);
    expect(all.map((c) => c.server).sort()).toEqual([...ids].sort());
    expect(all.filter((c) => c.overflows)).toEqual([]);
    expect(await page.textContent('#sim-time')).toMatch(/^simulated \d{4}-\d\d-\d\d \d\d:\d\d Europe\/Berlin · 3000x$/);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(1280);
    await page.screenshot({ path: resolve(repoRoot, 'docs/dashboard-waves.png'), fullPage: true });
    await page.close();
  });
});
