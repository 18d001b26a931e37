import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linksIn, openAndDecide } from '../../src/local/approver.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { lifecycleCloud, repoRoot, serverIds, startServers, statePath, until } from '../statemachines/lifecycle-helpers.ts';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = resolve(repoRoot, 'test-results');
const SCREENSHOT = resolve(RESULTS, 'approval-page.png');
const DOC_SCREENSHOT = resolve(repoRoot, 'docs/approval-page.png');

if (!existsSync(CHROMIUM)) console.log(`approval page browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);

interface OutboxMessage {
  subject: string;
  message: string;
  endpoint: string;
  attributes: Record<string, { StringValue?: string } | undefined>;
}

/** What a person's tooling sees: the local outbox over HTTP. */
async function outbox(cloud: LocalCloud): Promise<OutboxMessage[]> {
  const r = await fetch(`${cloud.endpoints.api}/_outbox`);
  expect(r.status).toBe(200);
  return ((await r.json()) as { messages: OutboxMessage[] }).messages;
}

async function requestFor(cloud: LocalCloud, gate: string, timeoutMs = 45_000): Promise<OutboxMessage> {
  let found: OutboxMessage | undefined;
  await until(
    `the ${gate} request in the outbox`,
    async () => {
      found = (await outbox(cloud)).find((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === gate);
      return found !== undefined;
    },
    timeoutMs,
  );
  return found as OutboxMessage;
}

describe.skipIf(!existsSync(CHROMIUM))('approval page in headless Chromium (skipped without /usr/bin/chromium)', () => {
  let cloud: LocalCloud;
  let browser: Browser;
  let ids: string[];
  let arns: string[];

  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 3, applications: 1, timeScale: 3000 });
    ids = serverIds(cloud);
    arns = startServers(cloud, {
      ids,
      plan: { soakSeconds: 14 * 86400, approvers: { testSignoff: ['qa-lead@example.com'], goNoGo: [], finalize: [] } },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cloud?.close();
  });

  it('opens the sign-off link from the outbox, shows the evidence, approves, and the executions move on; the link then says already decided', { timeout: 120_000 }, async () => {
    const request = await requestFor(cloud, 'SIGNOFF');
    expect(request.attributes.approver?.StringValue).toBe('qa-lead@example.com');
    const url = linksIn(request.message)[0] as string;
    expect(url).toMatch(/\/approvals\/[A-Za-z0-9_-]{22}\?sig=/);
    const deadline = /^Decide by (\S+ \([^)]+\))\./m.exec(request.message)?.[1] as string;
    expect(deadline).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d[+-]\d\d:\d\d \(UTC\)$/);

    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const opened = await page.goto(url);
    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['cache-control']).toBe('no-store');
    expect(await page.locator('h1').textContent()).toBe('test sign-off: app-1');

    // the evidence: every server by hostname and id, its replication state; the deadline; the choices
    const rows = page.locator('table[aria-label="evidence"] tbody tr');
    expect(await rows.count()).toBe(ids.length);
    for (const id of ids) {
      const s = cloud.emulator.engine.servers.get(id);
      const hostname = s?.properties.identificationHints.hostname as string;
      const row = rows.filter({ hasText: id });
      expect(await row.count()).toBe(1);
      const cells = await row.locator('td').allTextContents();
      expect(cells[0]).toContain(hostname);
      expect(cells[0]).toContain(id);
      expect(cells[1]).toBe('TESTING');
      expect(cells[2]).toContain(s?.repl.state as string);
      expect(cells[4]).toMatch(/^\d+(\.\d)?$/); // test-instance hours so far
      expect(cells[5]).toMatch(/^\d+$/); // free replication days left
      expect(cells[6]).toBe('at the gate');
    }
    const meta = await page.locator('p.meta').first().textContent();
    expect(meta).toContain(`decide by ${deadline}`);
    expect(meta).toContain('link for qa-lead@example.com');
    expect(await page.locator('body').textContent()).toContain('Opening this page decided nothing');
    expect(await page.locator('button[name="decision"]').allTextContents()).toEqual(['Approve', 'Reject']);

    // opening it decided nothing
    expect(arns.every((a) => !statePath(cloud, a).includes('SignedOff'))).toBe(true);

    await page.fill('input[name="name"]', 'Quinn QA');
    await page.fill('textarea[name="comment"]', 'Smoke and regression tests passed on all three test instances.');
    mkdirSync(RESULTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`approval page screenshot: ${SCREENSHOT}`);
    // the committed copy for the README: refreshed on demand, so ordinary runs leave the tree clean
    if (process.env.UPDATE_DOC_SCREENSHOTS === '1') copyFileSync(SCREENSHOT, DOC_SCREENSHOT);

    const [decided] = await Promise.all([page.waitForNavigation(), page.click('button[value="approve"]')]);
    expect(decided?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('Decision recorded: approve');
    const text = (await page.locator('body').textContent()) ?? '';
    expect(text).toContain('by Quinn QA <qa-lead@example.com>');
    for (const id of ids) expect(text).toContain(id);
    await page.screenshot({ path: resolve(RESULTS, 'approval-page-decided.png'), fullPage: true });

    // the executions move on, all three released by the one decision
    await until('every server signed off', () => arns.every((a) => statePath(cloud, a).includes('SignedOff')), 30_000);

    // the same link again: already decided, by whom; nothing changed
    const again = await page.goto(url);
    expect(again?.status()).toBe(409);
    expect(await page.locator('h1').textContent()).toBe('Already decided');
    expect(await page.locator('body').textContent()).toContain('approve by Quinn QA <qa-lead@example.com>');
    await page.close();
  });

  it('shows the finalize page as the point of no return', { timeout: 120_000 }, async () => {
    // the go/no-go through its link (one link for the gate: the plan names nobody for it)
    const goNoGo = await requestFor(cloud, 'GO_NO_GO');
    const r = await openAndDecide(linksIn(goNoGo.message)[0] as string, { decision: 'approve', name: 'Change Manager', quiesced: true });
    expect(r.post?.status).toBe(200);

    const finalize = await requestFor(cloud, 'FINALIZE', 60_000);
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const opened = await page.goto(linksIn(finalize.message)[0] as string);
    expect(opened?.status()).toBe(200);
    expect(await page.locator('h1').textContent()).toBe('finalize cutover: app-1');
    expect(await page.locator('.danger').textContent()).toContain('point of no return');
    expect(await page.locator('input[name="terminateInstances"]').count()).toBe(1);
    expect(await page.locator('button[name="decision"]').allTextContents()).toEqual(['Approve', 'Reject']);
    await page.screenshot({ path: resolve(RESULTS, 'approval-page-finalize.png'), fullPage: true });
    // opening it finalized nothing
    expect(arns.every((a) => !statePath(cloud, a).includes('FinalizeCutover'))).toBe(true);
    await page.close();
  });
});
