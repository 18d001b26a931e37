import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { lifecycleCloud, repoRoot, serverIds, startServers, until } from '../statemachines/lifecycle-helpers.ts';

// What the functions run inside the page use (the project's tsconfig has no DOM library).
interface PageElement {
  textContent: string | null;
  getAttribute(name: string): string | null;
  click(): void;
  scrollIntoView(opts?: unknown): void;
}
declare const document: { querySelector(selector: string): PageElement | null; getElementById(id: string): PageElement | null };
declare const window: Record<string, unknown>;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOT = resolve(repoRoot, 'test-results/dashboard.png');

/** What the board shows for one server: its chip's phase column and status colour. */
async function chip(page: Page, serverId: string): Promise<{ phase: string | null; status: string | null; text: string } | null> {
  return page.evaluate((id) => {
    const c = document.querySelector(`.chip[data-server="${id}"]`);
    return c ? { phase: c.getAttribute('data-phase'), status: c.getAttribute('data-status'), text: c.textContent ?? '' } : null;
  }, serverId);
}

async function graphState(page: Page, state: string): Promise<string | null> {
  return page.evaluate((s) => document.querySelector(`#graph-svg .node[data-state="${s}"]`)?.getAttribute('data-status') ?? null, state);
}

/** The approver decides once every server of the application is parked at the gate (retried until the gate is recorded). */
async function decide(cloud: LocalCloud, arns: string[], state: string, gateId: string, decision: string, extra: Record<string, unknown> = {}): Promise<void> {
  await until(`${arns.length} at ${state}`, () => arns.every((a) => cloud.host.openTasks().some((t) => t.executionArn === a && t.stateName === state)), 45_000);
  let lastError: unknown;
  await until(
    `decision on ${gateId}`,
    async () => {
      try {
        await cloud.lambda.invoke('decideGate', { gateId, decision, by: 'approver@example.com', ...extra });
        return true;
      } catch (err) {
        lastError = err;
        return false;
      }
    },
    10_000,
  ).catch(() => {
    throw lastError;
  });
}

async function eventually<T>(what: string, read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T = await read();
  while (!ok(last)) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}; last seen ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 100));
    last = await read();
  }
  return last;
}

describe.skipIf(!existsSync(CHROMIUM))('dashboard in headless Chromium (skipped without /usr/bin/chromium)', () => {
  let cloud: LocalCloud;
  let browser: Browser;
  let ids: string[];
  const arns: Record<string, string[]> = {};

  beforeAll(async () => {
    // a wall-scaled clock: the page is watched live, and the browser's own timers must stay real
    cloud = await lifecycleCloud({ servers: 5, applications: 0, timeScale: 3000 });
    // whoever gets the approval requests: the outbox panel lists them
    const sns = new SNSClient({ region: cloud.info.region, endpoint: cloud.endpoints.sns, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    if (cloud.env.APPROVAL_TOPIC_ARN) await sns.send(new SubscribeCommand({ TopicArn: cloud.env.APPROVAL_TOPIC_ARN, Protocol: 'email', Endpoint: 'approver@example.com' }));
    sns.destroy();
    ids = serverIds(cloud);
    // a long soak (the approver ends it), and waits long enough in wall time for a busy machine (3000x: 1 day = 29 s)
    const soakLong = { soakSeconds: 14 * 86400, arrivalTimeoutSeconds: 86400, launchTimeoutSeconds: 2 * 86400, verifyTimeoutSeconds: 86400, jobTimeoutSeconds: 86400 };
    const windowOpensAt = new Date(cloud.clock.now() + 30 * 86400_000);
    arns.billing = startServers(cloud, { application: 'billing', ids: ids.slice(0, 3), plan: { ...soakLong, approvers: { testSignoff: ['qa-lead@example.com'], goNoGo: ['cab@example.com'] } } as never });
    arns.intranet = startServers(cloud, { application: 'intranet', ids: ids.slice(3, 4), plan: soakLong });
    arns.ledger = startServers(cloud, {
      application: 'ledger',
      ids: ids.slice(4, 5),
      plan: { ...soakLong, cutoverWindow: { start: windowOpensAt.toISOString(), end: new Date(windowOpensAt.getTime() + 86400_000).toISOString() } },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'], headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await cloud?.close();
  });

  it('shows the board and an execution graph, and recolours both as the run moves on, without a reload', { timeout: 120_000 }, async () => {
    const page = await browser.newPage({ viewport: { width: 1500, height: 1000 } });
    const csp: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') csp.push(m.text());
    });
    const response = await page.goto(cloud.info.dashboard);
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");

    // the board: every server, soaking and waiting at the sign-off gate, for whom
    for (const id of ids) await eventually(`${id} soaking`, () => chip(page, id), (c) => c?.phase === 'soak' && c.status === 'waiting');
    expect((await chip(page, ids[0] as string))?.text).toContain('SIGNOFF · for qa-lead@example.com');
    expect((await chip(page, ids[3] as string))?.text).toContain('SIGNOFF · for approvers');
    await page.evaluate(() => (window.loadedOnce = true));

    // the header: the simulated time, to the minute, and the pace of this wall-scaled clock with its controls
    await eventually('simulated time shown', () => page.textContent('#sim-time'), (t) => /^simulated \d{4}-\d\d-\d\d \d\d:\d\d UTC · 3000x$/.test(t ?? ''));
    expect(await page.isVisible('#clock-controls')).toBe(true);

    // one execution's graph: the soak is the current state, the path to it is green
    await page.click(`.chip[data-server="${ids[0]}"]`);
    await eventually('graph drawn', () => graphState(page, 'Soak'), (s) => s === 'current');
    expect(await graphState(page, 'TestLaunchPoint')).toBe('succeeded');
    expect(await graphState(page, 'GoNoGo')).toBe('none');
    expect(await page.locator('#graph-svg .node').count()).toBeGreaterThan(50);

    // the run moves on: billing is signed off and reaches the go/no-go gate; ledger is held for its window
    await decide(cloud, arns.billing as string[], 'Soak', 'wave-1#billing#SIGNOFF#1', 'approve');
    await decide(cloud, arns.ledger as string[], 'Soak', 'wave-1#ledger#SIGNOFF#1', 'approve');
    await eventually('Soak recoloured', () => graphState(page, 'Soak'), (s) => s === 'succeeded');
    await eventually('GoNoGo current', () => graphState(page, 'GoNoGo'), (s) => s === 'current');
    const billing = await eventually('billing at go/no-go', () => chip(page, ids[0] as string), (c) => c?.phase === 'ready-for-cutover' && c.status === 'waiting');
    expect(billing?.text).toContain('GO_NO_GO · for cab@example.com');
    const ledger = await eventually('ledger held', () => chip(page, ids[4] as string), (c) => c?.text.includes('held for the cutover window') === true);
    expect(ledger).toMatchObject({ phase: 'ready-for-cutover', status: 'waiting' });
    expect((await chip(page, ids[3] as string))?.phase).toBe('soak');

    // and on to the finalize gate
    await decide(cloud, arns.billing as string[], 'GoNoGo', 'wave-1#billing#GO_NO_GO#1-0', 'approve', { quiesced: true });
    await eventually('FinalizeGate current', () => graphState(page, 'FinalizeGate'), (s) => s === 'current', 45_000);
    await eventually('billing at finalize', () => chip(page, ids[0] as string), (c) => c?.phase === 'finalize');
    expect(await graphState(page, 'CutoverLaunchPoint')).toBe('succeeded');

    // an operator stops intranet's run: aborted, still shown where it stopped
    cloud.host.stopExecution(arns.intranet?.[0] as string, 'Stopped', 'by the browser test');
    await eventually('intranet aborted', () => chip(page, ids[3] as string), (c) => c?.status === 'aborted' && c.phase === 'soak');

    // no reload happened: the page's own state survived every change
    expect(await page.evaluate(() => window.loadedOnce)).toBe(true);
    // the outbox panel lists the notifications sent
    await eventually('outbox', () => page.locator('#outbox .item').count(), (n) => n > 0);
    expect(csp.filter((t) => /Content Security Policy/i.test(t))).toEqual([]);

    mkdirSync(resolve(repoRoot, 'test-results'), { recursive: true });
    await page.evaluate(() => document.getElementById('zoom-out')?.click());
    await page.evaluate(() => document.querySelector('#graph-svg .node[data-state="FinalizeGate"]')?.scrollIntoView({ block: 'center', inline: 'center' }));
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.log(`dashboard screenshot: ${SCREENSHOT}`);
    await page.close();
  });
});
