import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps, loadConfig } from '../../src/adapters/aws/index.ts';
import { recordDecision } from '../../src/core/approvals.ts';
import { LIMITS } from '../../src/core/contracts.ts';
import { deadlineText } from '../../src/core/gates.ts';
import { extendSoak } from '../../src/core/soak.ts';
import { heldByOtherWaves } from '../../src/core/wave.ts';
import { loadWaveFile } from '../../src/core/wave-file.ts';
import { linksIn, openAndDecide } from '../../src/local/approver.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import type { Handler } from '../../src/local/cloud/lambda.ts';
import { decideWhenAsked, lifecycleCloud, serverIds, startServers, startWave, statePath, until, waveOf } from './lifecycle-helpers.ts';

/**
 * Long human timelines (issue 13) on the local cloud, in discrete-event time: soaks of weeks, extended soaks,
 * a go/no-go that closes with its window, evidence MGN cannot give, handlers that hit the Lambda timeout, and
 * a server named by two waves.
 */

const HOUR = 3600_000;
const DAY = 24 * HOUR;

const requests = (cloud: LocalCloud, gate: string) => cloud.sns.outbox().filter((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === gate);
const entered = (cloud: LocalCloud, arn: string, state: string) =>
  cloud.host
    .history(arn)
    .filter((e) => e.type.endsWith('StateEntered') && e.details?.value.name === state)
    .map((e) => e.timestamp);

describe('one schema for every bound: a 30-day soak from a wave file', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    // a month of simulated time: the reconciler runs hourly here instead of every 5 minutes (8,640 runs), which
    // the soak does not need (its parts end by their callbacks' timeouts)
    const { handler: reconcile } = await import('../../functions/reconcile/handler.ts');
    let tick = 0;
    const hourly: Handler = async (event, context) => (tick++ % 12 === 0 ? reconcile(event as never, context as never) : { skipped: 'hourly in this test' });
    cloud = await lifecycleCloud({ servers: 1, applications: 1, seed: 41, lambdaOverrides: { reconcile: hourly } });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('the wave file takes soakDays 30 and the plan does too: admitted, soaked in parts of 20 days, then the sign-off', { timeout: 240_000 }, async () => {
    const deps = createDeps(loadConfig(process.env));
    const [id] = serverIds(cloud) as [string];
    const text = (soakDays: number, name = 'app-1') => `version: 1\nwave: { name: long-soak, timeZone: Europe/Berlin }\ndefaults: { soakDays: ${soakDays}, failurePolicy: continue }\napplications:\n  - name: ${JSON.stringify(name)}\n    servers: [${id}]\n`;
    const ctx = { file: 'long.yaml', servers: await deps.mgn.listServers(), quotas: { replicatingServers: 150 } };
    // what the plan refuses, the wave file refuses first, each with what is allowed
    expect(() => loadWaveFile(text(0), ctx)).toThrow(/long\.yaml:defaults\.soakDays: 0: a whole number of days from 1 to 90/);
    expect(() => loadWaveFile(text(91), ctx)).toThrow(/long\.yaml:defaults\.soakDays: 91: a whole number of days from 1 to 90/);
    expect(() => loadWaveFile(text(30, 'a'.repeat(LIMITS.nameChars + 1)), ctx)).toThrow(/applications\[0\]\.name: .*a name of 1 to 128 characters/);

    const wave = loadWaveFile(text(30), ctx);
    const waveArn = await startWave(cloud, wave);
    let arn = '';
    await until('the server execution started', () => {
      arn = cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle'))[0]?.executionArn ?? '';
      return arn !== '';
    });
    await until('the soak ended by time', () => statePath(cloud, arn).includes('AwaitSignoff'), 200_000);
    const path = statePath(cloud, arn);
    // 30 days = a part of 20 days, then the last 10 days: the Soak state entered twice, the gate still open
    expect(path.filter((s) => s === 'Soak')).toHaveLength(2);
    expect(path).toEqual(expect.arrayContaining(['SoakPart', 'SoakLongPart', 'SoakPartEnded', 'SoakNextPart', 'SoakLastPart']));
    const [soakStart] = entered(cloud, arn, 'Soak') as [number];
    const [signoffAt] = entered(cloud, arn, 'AwaitSignoff') as [number];
    expect(signoffAt - soakStart).toBeGreaterThanOrEqual(30 * DAY - 10 * 60_000);
    expect(signoffAt - soakStart).toBeLessThan(30 * DAY + HOUR);
    // one sign-off request, whose deadline is the end of the soak plus the decision time
    expect(requests(cloud, 'SIGNOFF')).toHaveLength(1);
    const gate = await deps.gates.get(`long-soak#app-1#SIGNOFF#1`);
    expect(gate?.status).toBe('OPEN');
    expect(Date.parse(gate?.deadline ?? '')).toBeGreaterThan(soakStart + 30 * DAY);
    expect(requests(cloud, 'SIGNOFF')[0]?.message).toContain('(Europe/Berlin)');
    await decideWhenAsked(cloud, 'long-soak#app-1#SIGNOFF#1', 'reject');
    expect((await cloud.host.settled(arn)).error).toBe('SignoffRejected');
    // the wave ran it to its end: the rejected sign-off leaves it incomplete, as designed
    expect((await cloud.host.settled(waveArn)).error).toBe('WaveIncomplete');
  });
});

describe('soak extend moves the sign-off deadline and its reminders', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 2, applications: 1, seed: 43 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('a soak extended past the old deadline keeps its gate open and its link working; reminders count from the new end', { timeout: 120_000 }, async () => {
    const deps = createDeps(loadConfig(process.env));
    const gateId = 'wave-1#app-1#SIGNOFF#1';
    const arns = startServers(cloud, { plan: { soakSeconds: 12 * 3600, gateTimeoutSeconds: 4 * 3600, launchTimeoutSeconds: 12 * 3600, approvers: { testSignoff: ['qa-lead@example.com'], goNoGo: [], finalize: [] } } });
    await until('both servers soaking', async () => (await deps.waits.list()).filter((w) => w.state === 'Soak').length === 2);
    await until('the sign-off request', () => requests(cloud, 'SIGNOFF').length === 1);
    const url = linksIn(requests(cloud, 'SIGNOFF')[0]?.message ?? '')[0] as string;
    const before = (await deps.gates.get(gateId))?.deadline as string;

    const now = cloud.clock.now();
    const r = await extendSoak(deps, { wave: 'wave-1', application: 'app-1', days: 2 });
    expect(r.extended).toHaveLength(2);
    const gate = await deps.gates.get(gateId);
    // the decision is due from the new end of the soak, and its 4 hours count from there
    const soakEnd = Math.max(...r.extended.map((e) => now + e.remainingSeconds * 1000));
    expect(Date.parse(gate?.decisionFrom ?? '')).toBe(soakEnd);
    expect(Date.parse(gate?.deadline ?? '')).toBe(soakEnd + 4 * HOUR);
    expect(Date.parse(gate?.deadline ?? '')).toBeGreaterThan(Date.parse(before) + 2 * DAY - HOUR);
    expect(r.gates).toEqual([{ gateId, decisionFrom: gate?.decisionFrom, deadline: gate?.deadline, deadlineText: deadlineText({ deadline: gate?.deadline as string }) }]);

    // past the old deadline, the servers still soak: the gate is open, the link still opens the page
    await until('an hour past the old deadline', () => cloud.clock.now() > Date.parse(before) + HOUR, 60_000);
    expect((await deps.gates.get(gateId))?.status).toBe('OPEN');
    expect(arns.every((a) => !statePath(cloud, a).includes('GateExpired'))).toBe(true);
    const page = await cloud.fetch(new URL(url), { headers: {} });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain(`decide by ${deadlineText({ deadline: gate?.deadline as string })}`.replace(/\+/g, '+'));

    // the soak ends by time, then the reminders come at their marks of the new decision time
    await until('the soak ended', () => arns.every((a) => statePath(cloud, a).includes('AwaitSignoff')), 60_000);
    await until('the 50% reminder', () => cloud.sns.outbox().some((m) => m.attributes.kind?.StringValue === 'reminder-50'), 60_000);
    const reminded = Date.parse(cloud.sns.outbox().find((m) => m.attributes.kind?.StringValue === 'reminder-50')?.at as string);
    expect(reminded).toBeGreaterThanOrEqual(soakEnd + 2 * HOUR);
    const out = await openAndDecide(url, { decision: 'approve', name: 'QA Lead' }, 'vitest', cloud.fetch);
    expect(out.post?.status).toBe(200);
    await until('both signed off', () => arns.every((a) => statePath(cloud, a).includes('MarkReadyForCutover')), 60_000);
    // nobody was told the gate expired
    expect(cloud.sns.outbox().some((m) => String(m.subject).startsWith('Gate expired'))).toBe(false);
  });
});

describe('a go/no-go closes at the end of the cutover window', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 2, applications: 1, seed: 47 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('the request says until when in the wave time zone; nobody decides: the servers take the safe path at the window end, a late decision is refused with the reason', { timeout: 120_000 }, async () => {
    const deps = createDeps(loadConfig(process.env));
    const start = cloud.clock.now();
    const end = new Date(Math.ceil((start + 12 * HOUR) / 60_000) * 60_000).toISOString();
    const arns = startServers(cloud, { plan: { soakSeconds: 3600, gateTimeoutSeconds: 7 * 86400, cutoverWindow: { start: new Date(start).toISOString(), end }, timeZone: 'Europe/Berlin' } });
    await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
    await until('the go/no-go request', () => requests(cloud, 'GO_NO_GO').length === 1, 60_000);
    const request = requests(cloud, 'GO_NO_GO')[0];
    const until_ = deadlineText({ deadline: end, timeZone: 'Europe/Berlin' });
    expect(until_).toMatch(/\+01:00 \(Europe\/Berlin\)$/);
    expect(request?.message).toContain(`Decide by ${until_}, the end of the cutover window`);
    const gateId = String(request?.attributes.gateId?.StringValue);
    expect((await deps.gates.get(gateId))?.deadline).toBe(end);
    const url = linksIn(request?.message ?? '')[0] as string;

    // nobody decides: the servers take the safe path at the window's end, not 7 days later
    const done = await Promise.all(arns.map((a) => cloud.host.settled(a)));
    expect(done.map((d) => d.error)).toEqual(['GateExpired', 'GateExpired']);
    for (const a of arns) {
      const [closed] = entered(cloud, a, 'GateExpired') as [number];
      expect(closed).toBeGreaterThanOrEqual(Date.parse(end));
      expect(closed).toBeLessThan(Date.parse(end) + 15 * 60_000);
      expect(statePath(cloud, a)).not.toContain('CutoverFailureGate');
    }
    // a late decision: refused with the reason, on the page and through the CLI's path
    const page = await cloud.fetch(new URL(url), { headers: {} });
    expect(page.status).toBe(410);
    const body = await page.text();
    expect(body).toContain('the end of the cutover window');
    expect(body).toContain(until_.replace('(', '(').split(' ')[0] as string);
    await expect(recordDecision(deps, { gateId, decision: 'approve', by: 'Late Larry', quiesced: true }, { channel: 'cli' })).rejects.toMatchObject({
      reason: 'expired',
      message: expect.stringContaining(`the go/no-go closed at ${until_}, the end of the cutover window`),
    });
    // one request, no reminder after the deadline, no second request with new links
    await until('an hour past the window', () => cloud.clock.now() > Date.parse(end) + HOUR, 60_000);
    expect(requests(cloud, 'GO_NO_GO')).toHaveLength(1);
    const reminders = cloud.sns.outbox().filter((m) => m.attributes.gateId?.StringValue === gateId && String(m.attributes.kind?.StringValue).startsWith('reminder'));
    for (const m of reminders) expect(Date.parse(m.at)).toBeLessThan(Date.parse(end));
    expect(requests(cloud, 'CUTOVER_FAILURE')).toHaveLength(0);
  });
});

describe('evidence MGN cannot give', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 2, applications: 1, seed: 53 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('MGN throttling every call: the page says the evidence is unavailable, answers within seconds, and the decision goes through', { timeout: 120_000 }, async () => {
    const arns = startServers(cloud, { plan: { soakSeconds: 14 * 86400 } });
    await until('the sign-off request', () => requests(cloud, 'SIGNOFF').length === 1, 60_000);
    const url = linksIn(requests(cloud, 'SIGNOFF')[0]?.message ?? '')[0] as string;
    cloud.emulator.engine.faults.throttleRate = 1;
    try {
      const t0 = cloud.clock.now();
      const page = await cloud.fetch(new URL(url), { headers: {} });
      expect(cloud.clock.now() - t0).toBeLessThan(10_000);
      expect(page.status).toBe(200);
      const html = await page.text();
      expect(html).toContain('Evidence unavailable');
      // MGN reads retry up to 8 times (adapters/aws/deps.ts): against an MGN throttling every call, the page's
      // 4-second budget ends first
      expect(html).toMatch(/MGN could not be read \((ThrottlingException|no answer within 4 s)/);
      const out = await openAndDecide(url, { decision: 'approve', name: 'QA Lead' }, 'vitest', cloud.fetch);
      expect(out.post?.status).toBe(200);
    } finally {
      cloud.emulator.engine.faults.throttleRate = 0;
    }
    await until('both signed off', () => arns.every((a) => statePath(cloud, a).includes('MarkReadyForCutover')), 60_000);
  });
});

describe('a gate handler that hits the Lambda timeout', () => {
  let cloud: LocalCloud;
  let timedOut = 0;
  beforeAll(async () => {
    const { handler: arrive } = await import('../../functions/arrive-at-gate/handler.ts');
    // the first arrival times out as middy's timeoutEarly does (an error named TimeoutError), after parking
    const flaky: Handler = async (event, context) => {
      const r = await arrive(event as never, context as never);
      if (timedOut++ === 0) throw Object.assign(new Error('[AbortError]: The operation was aborted.'), { name: 'TimeoutError' });
      return r;
    };
    cloud = await lifecycleCloud({ servers: 1, applications: 1, seed: 59, lambdaOverrides: { arriveAtGate: flaky } });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('is retried by the gate state: the execution goes on, one request goes out', { timeout: 120_000 }, async () => {
    const [arn] = startServers(cloud, { plan: { soakSeconds: 3600 } }) as [string];
    await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'reject');
    const r = await cloud.host.settled(arn);
    expect(timedOut).toBeGreaterThanOrEqual(2);
    expect(r.error).toBe('SignoffRejected');
    expect(requests(cloud, 'SIGNOFF')).toHaveLength(1);
  });
});

describe('a server is in at most one running wave', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 3, applications: 1, seed: 61 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('a second wave naming a server the first runs is refused, naming the wave that holds it; nothing of it starts', { timeout: 120_000 }, async () => {
    const deps = createDeps(loadConfig(process.env));
    const first = waveOf(cloud, { name: 'wave-a', defaults: { soakDays: 14 } });
    await startWave(cloud, first);
    await until('wave-a runs its servers', async () => (await deps.waves.outcomes('wave-a')).filter((o) => o.status === 'RUNNING' && o.confirmed).length === 3);
    const ids = serverIds(cloud);
    const second = { ...waveOf(cloud, { name: 'wave-b' }), applications: [{ name: 'again', canary: false, standalone: false, servers: [{ id: ids[0] as string }] }] };
    // at validation (what `wave start` checks)
    const held = await heldByOtherWaves(deps, second);
    expect(held.map((h) => [h.serverId, h.wave])).toEqual([[ids[0], 'wave-a']]);
    // at admission: the wave ends at once (incomplete) with nothing started, and its report says why
    const arn = await startWave(cloud, second);
    const settled = await cloud.host.settled(arn);
    expect({ status: settled.status, error: settled.error }).toEqual({ status: 'FAILED', error: 'WaveIncomplete' });
    expect(cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).filter((e) => e.name.startsWith('wave-b-'))).toHaveLength(0);
    const report = (await deps.waves.getReport('wave-b')) as { servers: { serverId: string; result: string; why?: string }[] };
    expect(report.servers).toEqual([expect.objectContaining({ serverId: ids[0], result: 'notStarted', why: expect.stringContaining(`${ids[0]} is in wave wave-a, which is running it`) })]);
    // the first wave's servers are untouched by the second
    expect((await deps.waves.outcomes('wave-a')).every((o) => o.status === 'RUNNING')).toBe(true);
  });
});
