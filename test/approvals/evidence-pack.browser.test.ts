import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/local/demo.ts';
import { run } from '../cli/helpers.ts';
import { repoRoot } from '../statemachines/lifecycle-helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const RESULTS = resolve(repoRoot, 'test-results');
const SCREENSHOT = resolve(RESULTS, 'evidence-pack.png');
const DOC_SCREENSHOT = resolve(repoRoot, 'docs/evidence-pack.png');

describe.skipIf(!existsSync(CHROMIUM))('the evidence pack of a demo wave in headless Chromium (skipped without /usr/bin/chromium)', () => {
  it('is written by `mgn-flow wave report --html` after the demo wave, and shows plan, timeline, decisions with their evidence, launches and outcomes, asking for nothing else', { timeout: 150_000 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-pack-'));
    const file = join(dir, 'evidence-pack.html');
    let cli: { code: number; stdout: string; stderr: string } | undefined;
    const code = await runDemo({
      servers: 2,
      applications: 1,
      standalone: 1,
      approve: 'auto',
      seed: 3,
      json: false,
      waveDir: dir,
      out: () => undefined,
      // the wave has ended: the command a person runs, against this local cloud (found through .mgn-flow/local.json)
      onFinished: async (cloud, wave) => {
        mkdirSync(join(dir, '.mgn-flow'), { recursive: true });
        writeFileSync(join(dir, '.mgn-flow', 'local.json'), JSON.stringify(cloud.info));
        const before = process.cwd();
        process.chdir(dir);
        try {
          cli = await run(['wave', 'report', wave, '--html', file]);
        } finally {
          process.chdir(before);
        }
      },
    });
    expect(code).toBe(0);
    expect(cli?.stderr).toBe('');
    expect(cli?.code).toBe(0);
    expect(cli?.stdout).toMatch(/evidence pack written to .*evidence-pack\.html \(3 servers, \d+ gates, \d+ decisions, \d+ jobs, \d+ holds\)/);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|src=|href="http/);

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const requests: string[] = [];
      page.on('request', (r) => requests.push(r.url()));
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      // self-contained: the page asks for nothing but itself
      expect(requests).toEqual([pathToFileURL(file).href]);
      await expect(page.locator('h1').textContent()).resolves.toMatch(/^Evidence pack: wave demo/);
      for (const h of ['Plan', 'Timeline', 'Gate decisions', 'Launches and their jobs', 'Holds and why', 'Outcome per server']) await expect(page.locator('h2', { hasText: h }).count()).resolves.toBe(1);
      // each application's three approval gates, each decided by the demo approver, with the evidence as it was then
      const gates = page.locator('section.gate');
      expect(await gates.count()).toBeGreaterThanOrEqual(6);
      for (const kind of ['SIGNOFF', 'GO_NO_GO', 'FINALIZE']) await expect(page.locator(`section.gate[data-gate="${kind}"]`).count()).resolves.toBe(2);
      const go = page.locator('section.gate[data-gate="GO_NO_GO"]').first();
      await expect(go.textContent()).resolves.toMatch(/approve.*Demo Approver.*approver .*@example\.com/s);
      await expect(go.locator('pre').first().textContent()).resolves.toMatch(/READY_FOR_CUTOVER; replication/);
      await expect(go.textContent()).resolves.toContain('decided by the demo');
      // launches: test and cutover jobs (the demo fails one test launch: it shows)
      const launches = await page.locator('table[aria-label="launches"] tbody tr').allTextContents();
      expect(launches.some((r) => /test/.test(r))).toBe(true);
      expect(launches.some((r) => /cutover/.test(r))).toBe(true);
      expect(launches.some((r) => /FAILED/.test(r))).toBe(true);
      const outcome = await page.locator('table[aria-label="outcome"] tbody tr').allTextContents();
      expect(outcome).toHaveLength(3);
      for (const r of outcome) expect(r).toMatch(/SUCCEEDED.*CUTOVER \(archived\)/);
      // the layout holds at 1280 px: nothing wider than the page
      expect(await page.evaluate('document.documentElement.scrollWidth <= document.documentElement.clientWidth')).toBe(true);
      mkdirSync(RESULTS, { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      if (process.env.UPDATE_DOC_SCREENSHOTS === '1' || !existsSync(DOC_SCREENSHOT)) copyFileSync(SCREENSHOT, DOC_SCREENSHOT);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
