import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobsCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  MarkAsArchivedCommand,
  MgnClient,
  StartCutoverCommand,
  StartTestCommand,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { Plan, type ServerRun } from '../../src/core/contracts.ts';
import { handler as realAwaitCondition } from '../../functions/await-condition/handler.ts';
import type { LocalCloud, LocalCloudOptions } from '../../src/local/cloud/index.ts';
import type { Handler, LambdaContext } from '../../src/local/cloud/lambda.ts';
import { seedServers } from '../../src/local/emulator/seed.ts';
import { decideWhenAsked, lifecycleCloud, mgnCalls, serverIds, pace, statePath, until } from './lifecycle-helpers.ts';

/**
 * Holds, stalls, soak ends, resuming, stop and re-run, and MGN's unreliable events and answers (issue 4,
 * "Done when"). Each scenario runs on its own local cloud; each asserts the path of states, the MGN calls
 * (the emulator's request log) and the final MGN state.
 */

// ---------------------------------------------------------------- paths (segments of the happy path)

const TEST_LAUNCH = ['TestLaunchPoint', 'CountTestLaunch', 'TestLaunched'];
const TEST_VERIFY_AND_SOAK = ['AwaitTestVerify', 'TestVerified', 'StartSoak', 'SoakPart', 'SoakLastPart', 'Soak', 'SignedOff', 'MarkReadyForCutover', 'TerminateTestInstance', 'TestInstanceTerminating', 'AwaitTerminate'];
const WINDOW = ['CheckCutoverWindow', 'InCutoverWindow'];
const GO = ['GoNoGo', 'GoDecision', 'Quiesce', 'CheckReadiness', 'Ready'];
const CUTOVER_LAUNCH = ['FirstCutoverLaunch', 'CutoverLaunchPoint', 'CountCutoverLaunch', 'CutoverLaunched'];
const CUTOVER_VERIFY_TO_DONE = ['AwaitCutoverVerify', 'CutoverVerified', 'TrafficSwitch', 'FinalizeGate', 'FinalizeDecision', 'FinalizeCutover', 'AwaitCutoverState', 'ArchiveChoice', 'Archive', 'Done'];
const START = ['Init', 'Route', 'RouteChoice'];
const HAPPY = [...START, ...TEST_LAUNCH, ...TEST_VERIFY_AND_SOAK, ...WINDOW, ...GO, ...CUTOVER_LAUNCH, ...CUTOVER_VERIFY_TO_DONE];

// ---------------------------------------------------------------- helpers

async function newCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  return lifecycleCloud({ servers: 1, ...opts });
}

/** Run `body` on a fresh cloud and close it whatever happens. */
async function withCloud(opts: LocalCloudOptions, body: (cloud: LocalCloud) => Promise<void>): Promise<void> {
  const cloud = await newCloud(opts);
  try {
    await body(cloud);
  } finally {
    await cloud.close();
  }
}

function start(cloud: LocalCloud, r: { serverId: string; wave?: string; application?: string; attempt?: number; plan?: Partial<ServerRun['plan']> }): string {
  const wave = r.wave ?? 'wave-1';
  const attempt = r.attempt ?? 1;
  const run: ServerRun = {
    wave,
    application: r.application ?? 'app-1',
    serverId: r.serverId,
    members: [r.serverId],
    attempt,
    plan: Plan.parse({ soakSeconds: 3600, gateTimeoutSeconds: 7 * 86400, ...r.plan }),
  };
  return cloud.host.startExecution({ stateMachineArn: cloud.stateMachineArn('serverLifecycle'), name: `${wave}-${r.serverId}-${attempt}`, input: JSON.stringify(run) }).executionArn;
}

/** A control route of the MGN emulator (README "The MGN emulator"). */
async function emulator(cloud: LocalCloud, path: string, body: Record<string, unknown> = {}): Promise<unknown> {
  const res = await fetch(`${cloud.endpoints.mgn}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as unknown;
  if (!res.ok) throw new Error(`POST /_emulator${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

function mgn(cloud: LocalCloud): MgnClient {
  return new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Ops messages whose subject starts with `prefix`. */
/** The approval requests of a gate kind (they go to the approvals topic, one per gate here: the plan names nobody). */
function requests(cloud: LocalCloud, gate: string): unknown[] {
  return cloud.sns.outbox({ topicArn: String(cloud.env.APPROVAL_TOPIC_ARN) }).filter((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === gate);
}

function ops(cloud: LocalCloud, prefix: string): { subject: string; message: string; at: string }[] {
  const topic = String(cloud.env.OPS_TOPIC_ARN);
  return cloud.sns
    .outbox({ topicArn: topic })
    .filter((m) => m.subject?.startsWith(prefix))
    .map((m) => ({ subject: m.subject as string, message: m.message, at: m.at }));
}

async function waitingIn(cloud: LocalCloud, arn: string, state: string, timeoutMs = 30_000): Promise<void> {
  await until(`${state} of ${arn.split(':').pop()}`, () => cloud.host.openTasks().some((t) => t.executionArn === arn && t.stateName === state), timeoutMs);
}

async function entered(cloud: LocalCloud, arn: string, state: string, timeoutMs = 30_000): Promise<void> {
  await until(`${state} entered`, () => statePath(cloud, arn).includes(state), timeoutMs);
}

/** Simulated time (ms) of the n-th entry into / exit from a state. */
function stateTime(cloud: LocalCloud, arn: string, state: string, edge: 'Entered' | 'Exited', n = 0): number {
  const events = cloud.host.history(arn).filter((e) => e.type.endsWith(`State${edge}`) && e.details?.value.name === state);
  const e = events[n];
  if (!e) throw new Error(`${state} was not ${edge.toLowerCase()} (${n})`);
  return e.timestamp;
}

/** What the Route state put at $.route. */
function routeOf(cloud: LocalCloud, arn: string): { phase: string; lifeCycle: string; jobId?: string } {
  const exited = cloud.host.history(arn).find((e) => e.type === 'TaskStateExited' && e.details?.value.name === 'Route');
  if (!exited) throw new Error('Route did not exit');
  return (JSON.parse(String(exited.details?.value.output)) as { route: { phase: string; lifeCycle: string; jobId?: string } }).route;
}

function server(cloud: LocalCloud, id: string) {
  const s = cloud.emulator.engine.servers.get(id);
  if (!s) throw new Error(`no server ${id}`);
  return s;
}

function finalState(cloud: LocalCloud, id: string): { state: string; archived: boolean; launches: number } {
  const s = server(cloud, id);
  return { state: s.lifeCycle.state, archived: s.isArchived, launches: s.launches };
}

/** Successful launch requests that included `id`. */
function launchesOf(cloud: LocalCloud, op: 'StartTest' | 'StartCutover', id: string): number {
  return mgnCalls(cloud, op).filter((c) => c.status === 202 && c.ids?.includes(id)).length;
}

async function decideAll(cloud: LocalCloud, app: string, gates: [string, Record<string, unknown>?][], wave = 'wave-1'): Promise<void> {
  for (const [gate, extra] of gates) {
    const [kind] = gate.split('#');
    await decideWhenAsked(cloud, `${wave}#${app}#${gate}`, 'approve', kind === 'GO_NO_GO' ? { quiesced: true, ...extra } : (extra ?? {}));
  }
}

const ALL_GATES: [string, Record<string, unknown>?][] = [['SIGNOFF#1'], ['GO_NO_GO#1-0'], ['FINALIZE#1-1']];

/** The reconcile schedule's interval in seconds, as serverless.yml declares it. */
function reconcileIntervalSeconds(cloud: LocalCloud): number {
  const events = cloud.config.functions.reconcile?.events ?? [];
  const spec = events.map((e) => e.schedule).find((s) => s !== undefined);
  const text = typeof spec === 'string' ? spec : String((spec as { rate?: string } | undefined)?.rate);
  const m = /^rate\((\d+) (minute|minutes|hour|hours|second|seconds)\)$/.exec(text);
  if (!m) throw new Error(`cannot read the reconcile schedule ${text}`);
  const unit = m[2]?.startsWith('hour') ? 3600 : m[2]?.startsWith('minute') ? 60 : 1;
  return Number(m[1]) * unit;
}

// ---------------------------------------------------------------- scenarios

describe('server lifecycle: holds, stalls and soak', () => {
  it('a stall during initial sync tells ops once, retries replication once, and the server then reaches READY_FOR_TEST and migrates', { timeout: 90_000 }, async () => {
    await withCloud({ start: 'agent-installed' }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      // no recovery by itself: only RetryDataReplication brings it back
      await emulator(cloud, '/faults', { stallRecoverAfterS: 0 });
      const arn = start(cloud, { serverId: id, plan: { soakSeconds: 86400 } });
      await waitingIn(cloud, arn, 'AwaitReady');
      expect(routeOf(cloud, arn)).toMatchObject({ phase: 'AWAIT_READY', lifeCycle: 'NOT_READY' });
      await until('initial sync', () => server(cloud, id).repl.state === 'INITIAL_SYNC');
      await emulator(cloud, `/servers/${id}/inject`, { stall: 'UNSTABLE_NETWORK' });
      // the router tells ops and asks MGN to retry; replication starts over (initiation, sync)
      await until('RetryDataReplication', () => mgnCalls(cloud, 'RetryDataReplication').length > 0);
      pace(cloud, 20_000); // hours of simulated sync
      await entered(cloud, arn, 'TestLaunchPoint', 60_000);
      pace(cloud, 3000);
      expect(server(cloud, id).lifeCycle.state).not.toBe('NOT_READY');

      await decideAll(cloud, 'app-1', ALL_GATES);
      const result = await cloud.host.settled(arn);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      expect(statePath(cloud, arn)).toEqual([...START, 'AwaitReady', ...HAPPY.slice(START.length)]);

      expect(ops(cloud, 'Replication stalled')).toHaveLength(1);
      expect(mgnCalls(cloud, 'RetryDataReplication')).toEqual([{ status: 200, ids: [id] }]);
      const delivered = cloud.emulator.engine.events.delivered.map((d) => `${d.event['detail-type']}:${String(d.event.detail.state)}`);
      expect(delivered.filter((d) => d.startsWith('MGN Source Server Data Replication Stalled Change'))).toEqual([
        'MGN Source Server Data Replication Stalled Change:STALLED',
        'MGN Source Server Data Replication Stalled Change:NOT_STALLED',
      ]);
      expect(delivered).toContain('MGN Source Server Lifecycle State Change:READY_FOR_TEST');
      expect(launchesOf(cloud, 'StartTest', id)).toBe(1);
      expect(launchesOf(cloud, 'StartCutover', id)).toBe(1);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });

  it('a stall after the quiesce is evidence: no RetryDataReplication, no stall alert; the readiness hold then times out', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const arn = start(cloud, { serverId: id, plan: { readinessHoldTimeoutSeconds: 1800 } });
      await decideAll(cloud, 'app-1', [['SIGNOFF#1']]);
      await waitingIn(cloud, arn, 'GoNoGo');
      await emulator(cloud, `/servers/${id}/inject`, { backlogBytes: 5 * 1024 ** 3 });
      await decideAll(cloud, 'app-1', [['GO_NO_GO#1-0', { quiesced: true }]]);
      await waitingIn(cloud, arn, 'HoldForReadiness');

      // the source is shut down: its agent is not seen and replication stalls (at once, so no reconcile
      // can find the server ready in between)
      cloud.emulator.engine.agentNotSeenAfterS = 0;
      const routed = cloud.lambda.invocations.filter((i) => i.functionKey === 'routeMgnEvent').length;
      await emulator(cloud, `/servers/${id}/quiesce`);
      await until('the stall', () => server(cloud, id).repl.state === 'STALLED');
      await until('the stall event routed', () => cloud.lambda.invocations.filter((i) => i.functionKey === 'routeMgnEvent' && i.ok).length > routed);

      const result = await cloud.host.settled(arn);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'NotReadyForCutover' });
      expect(statePath(cloud, arn)).toEqual([
        ...START, ...TEST_LAUNCH, ...TEST_VERIFY_AND_SOAK, ...WINDOW, ...GO,
        'NotifyNotReadyForCutover', 'HoldForReadiness', 'HoldForReadinessLastLook', 'HoldForReadinessReached', 'NotReadyForCutover',
      ]);
      expect(mgnCalls(cloud, 'RetryDataReplication')).toEqual([]);
      expect(ops(cloud, 'Replication stalled')).toEqual([]);
      expect(ops(cloud, 'Held before cutover: readiness check failed')).toHaveLength(1);
      expect(launchesOf(cloud, 'StartTest', id)).toBe(1);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([]);
      const s = server(cloud, id);
      expect({ ...finalState(cloud, id), replication: s.repl.state, error: s.repl.error?.error }).toEqual({
        state: 'READY_FOR_CUTOVER', archived: false, launches: 1, replication: 'STALLED', error: 'AGENT_NOT_SEEN',
      });
    });
  });

  it('outside the cutover window the server is held, ops are told once, and StartCutover waits for the window', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const now = cloud.clock.now();
      const window = { start: new Date(now + 6 * 3600_000).toISOString(), end: new Date(now + 8 * 3600_000).toISOString() };
      const arn = start(cloud, { serverId: id, plan: { cutoverWindow: window } });
      await decideAll(cloud, 'app-1', [['SIGNOFF#1']]);
      await waitingIn(cloud, arn, 'HoldForWindow');
      pace(cloud, 30_000); // hours of simulated waiting
      await waitingIn(cloud, arn, 'GoNoGo');
      pace(cloud, 3000);
      await decideAll(cloud, 'app-1', [['GO_NO_GO#1-0'], ['FINALIZE#1-1']]);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');

      expect(statePath(cloud, arn)).toEqual([
        ...START, ...TEST_LAUNCH, ...TEST_VERIFY_AND_SOAK,
        'CheckCutoverWindow', 'InCutoverWindow', 'NotifyHeldForWindow', 'HoldForWindow', 'CheckCutoverWindow', 'InCutoverWindow',
        ...GO, ...CUTOVER_LAUNCH, ...CUTOVER_VERIFY_TO_DONE,
      ]);
      const opens = Date.parse(window.start);
      expect(stateTime(cloud, arn, 'HoldForWindow', 'Exited')).toBeGreaterThanOrEqual(opens);
      const startCutover = cloud.emulator.http.log.filter((r) => r.operation === 'StartCutover');
      expect(startCutover).toHaveLength(1);
      expect(Date.parse(startCutover[0]?.time as string)).toBeGreaterThanOrEqual(opens);
      expect(ops(cloud, 'Held until the cutover window opens')).toHaveLength(1);
      expect(launchesOf(cloud, 'StartTest', id)).toBe(1);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });

  it('a failed readiness check (backlog) holds the server until the backlog clears, then the cutover starts', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const arn = start(cloud, { serverId: id });
      await decideAll(cloud, 'app-1', [['SIGNOFF#1']]);
      await waitingIn(cloud, arn, 'GoNoGo');
      await emulator(cloud, `/servers/${id}/inject`, { backlogBytes: 5 * 1024 ** 3 });
      await decideAll(cloud, 'app-1', [['GO_NO_GO#1-0']]);
      await waitingIn(cloud, arn, 'HoldForReadiness');
      const held = ops(cloud, 'Held before cutover: readiness check failed');
      expect(held).toHaveLength(1);
      expect(held[0]?.message).toMatch(/backlog 5368709120 bytes/);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([]);

      const cleared = cloud.clock.now();
      await emulator(cloud, `/servers/${id}/inject`, { backlogBytes: 0 });
      await entered(cloud, arn, 'CutoverLaunchPoint');
      await decideAll(cloud, 'app-1', [['FINALIZE#1-1']]);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');

      expect(statePath(cloud, arn)).toEqual([
        ...START, ...TEST_LAUNCH, ...TEST_VERIFY_AND_SOAK, ...WINDOW, ...GO,
        'NotifyNotReadyForCutover', 'HoldForReadiness', 'CheckReadiness', 'Ready',
        ...CUTOVER_LAUNCH, ...CUTOVER_VERIFY_TO_DONE,
      ]);
      const startCutover = cloud.emulator.http.log.filter((r) => r.operation === 'StartCutover');
      expect(startCutover.map((r) => r.status)).toEqual([202]);
      expect(Date.parse(startCutover[0]?.time as string)).toBeGreaterThanOrEqual(cleared);
      expect(ops(cloud, 'Held before cutover')).toHaveLength(1);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });

  it('a sign-off during the soak ends it early', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const soakSeconds = 86400;
      const arn = start(cloud, { serverId: id, plan: { soakSeconds } });
      await waitingIn(cloud, arn, 'Soak');
      await decideAll(cloud, 'app-1', ALL_GATES);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(statePath(cloud, arn)).toEqual(HAPPY);
      const soaked = stateTime(cloud, arn, 'Soak', 'Exited') - stateTime(cloud, arn, 'Soak', 'Entered');
      expect(soaked).toBeLessThan(soakSeconds * 1000);
      expect(cloud.host.history(arn).some((e) => e.type === 'TaskTimedOut')).toBe(false);
      expect(requests(cloud, 'SIGNOFF')).toHaveLength(1);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });

  it('a soak that ends by time waits for the sign-off, which then releases the server', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const soakSeconds = 600;
      const arn = start(cloud, { serverId: id, plan: { soakSeconds } });
      await waitingIn(cloud, arn, 'AwaitSignoff');
      await decideAll(cloud, 'app-1', ALL_GATES);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(statePath(cloud, arn)).toEqual([
        ...START, ...TEST_LAUNCH, 'AwaitTestVerify', 'TestVerified', 'StartSoak', 'SoakPart', 'SoakLastPart', 'Soak', 'SoakPartEnded', 'AwaitSignoff', 'SignedOff',
        ...TEST_VERIFY_AND_SOAK.slice(7), ...WINDOW, ...GO, ...CUTOVER_LAUNCH, ...CUTOVER_VERIFY_TO_DONE,
      ]);
      // the soak's callback timed out (its timeout is the soak length); history times are taken as the
      // host logs the events, a few simulated seconds late at this scale
      expect(cloud.host.history(arn).filter((e) => e.type === 'TaskTimedOut').map((e) => e.details?.value.error)).toEqual(['States.Timeout']);
      const soaked = stateTime(cloud, arn, 'AwaitSignoff', 'Entered') - stateTime(cloud, arn, 'Soak', 'Entered');
      expect(soaked).toBeGreaterThan((soakSeconds - 30) * 1000);
      // one sign-off request for the soak and the wait after it
      expect(requests(cloud, 'SIGNOFF')).toHaveLength(1);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });
});

describe('server lifecycle: resuming from any state MGN reports', () => {
  it('an execution started on a server in each lifecycle state routes on it and continues', { timeout: 120_000 }, async () => {
    await withCloud({ servers: 8 }, async (cloud) => {
      const client = mgn(cloud);
      try {
        const engine = cloud.emulator.engine;
        const [readyForTest, testRunning, testDone, readyForCutover, cuttingOver, cutover, archived, disconnected] = serverIds(cloud) as string[] as [string, string, string, string, string, string, string, string];
        const [notReady] = seedServers(engine, 1, 'agent-installed', 0).map((s) => s.id) as [string];
        const launched = (id: string, kind: 'TEST' | 'CUTOVER') => until(`${kind} launch of ${id}`, () => { const s = server(cloud, id); return s.lastLaunch?.kind === kind && s.lastLaunch.status === 'LAUNCHED' && s.activeJobID === undefined; });

        // drive the servers with the MGN API
        await client.send(new StartTestCommand({ sourceServerIDs: [testDone, readyForCutover, cuttingOver, cutover, archived] }));
        await Promise.all([testDone, readyForCutover, cuttingOver, cutover, archived].map((id) => launched(id, 'TEST')));
        for (const id of [readyForCutover, cuttingOver, cutover, archived]) await client.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
        await client.send(new StartCutoverCommand({ sourceServerIDs: [cuttingOver, cutover, archived] }));
        await Promise.all([cuttingOver, cutover, archived].map((id) => launched(id, 'CUTOVER')));
        for (const id of [cutover, archived]) await client.send(new FinalizeCutoverCommand({ sourceServerID: id }));
        await client.send(new MarkAsArchivedCommand({ sourceServerID: archived }));
        await client.send(new DisconnectFromServiceCommand({ sourceServerID: disconnected }));
        // slow time while the executions route, so the last test launch is still running when Route reads it
        pace(cloud, 100);
        await client.send(new StartTestCommand({ sourceServerIDs: [testRunning] }));

        const cases = [
          { label: 'not-ready', id: notReady, lifeCycle: 'NOT_READY', phase: 'AWAIT_READY', next: ['AwaitReady'] },
          { label: 'ready-for-test', id: readyForTest, lifeCycle: 'READY_FOR_TEST', phase: 'TEST_LAUNCH', next: ['TestLaunchPoint'] },
          { label: 'test-running', id: testRunning, lifeCycle: 'TESTING', phase: 'AWAIT_TEST_RESULT', next: ['AwaitTestResult'] },
          { label: 'test-done', id: testDone, lifeCycle: 'TESTING', phase: 'VERIFY_TEST', next: ['ResumeTestVerify', 'AwaitTestVerify'] },
          { label: 'ready-for-cutover', id: readyForCutover, lifeCycle: 'READY_FOR_CUTOVER', phase: 'CUTOVER_WINDOW', next: ['CheckCutoverWindow'] },
          { label: 'cutting-over', id: cuttingOver, lifeCycle: 'CUTTING_OVER', phase: 'VERIFY_CUTOVER', next: ['ResumeCutoverVerify', 'AwaitCutoverVerify'] },
          { label: 'cutover', id: cutover, lifeCycle: 'CUTOVER', phase: 'ARCHIVE', next: ['Archive'] },
          { label: 'archived', id: archived, lifeCycle: 'CUTOVER', phase: 'DONE', next: ['Done'] },
        ];
        for (const c of cases) expect({ label: c.label, state: server(cloud, c.id).lifeCycle.state }).toEqual({ label: c.label, state: c.lifeCycle });
        expect(server(cloud, disconnected).lifeCycle.state).toBe('DISCONNECTED');

        // soak bound long enough for the decisions at the raised time scale below (a sign-off ends it early)
        const arns = Object.fromEntries([...cases, { label: 'disconnected', id: disconnected }].map((c) => [c.label, start(cloud, { serverId: c.id, wave: 'wave-r', application: `app-${c.label}`, plan: { soakSeconds: 7 * 86400 } })]));
        const arnOf = (label: string) => arns[label] as string;
        await until('every Route', () => Object.values(arns).every((arn) => cloud.host.history(arn).some((e) => e.type === 'TaskStateExited' && e.details?.value.name === 'Route') || statePath(cloud, arn).includes('NotMigratable')));
        pace(cloud, 3000);

        // the first state after routing, for each
        for (const c of cases) {
          await entered(cloud, arnOf(c.label), c.next.at(-1) as string);
          expect({ label: c.label, ...routeOf(cloud, arnOf(c.label)) }).toMatchObject({ label: c.label, phase: c.phase, lifeCycle: c.lifeCycle });
          const path = statePath(cloud, arnOf(c.label));
          const after = path.indexOf('RouteChoice') + 1;
          expect({ label: c.label, next: path.slice(after, after + c.next.length) }).toEqual({ label: c.label, next: c.next });
        }

        // each continues to the end with the decisions its phase still needs
        const decisions: Record<string, [string, Record<string, unknown>?][]> = {
          'ready-for-test': ALL_GATES,
          'test-running': ALL_GATES,
          'test-done': ALL_GATES,
          'ready-for-cutover': [['GO_NO_GO#1-0'], ['FINALIZE#1-1']],
          'cutting-over': [['FINALIZE#1-0']],
        };
        // the not-ready server's initial sync takes hours: the stall scenario follows such a server to the end
        cloud.host.stopExecution(arnOf('not-ready'));
        await Promise.all(Object.entries(decisions).map(([label, gates]) => decideAll(cloud, `app-${label}`, gates, 'wave-r')));
        const results = Object.fromEntries(await Promise.all(Object.entries(arns).map(async ([label, arn]) => [label, await cloud.host.settled(arn)] as const)));
        const outcome = Object.fromEntries(Object.entries(results).map(([label, r]) => [label, r.error ? `${r.status} ${r.error}` : r.status]));
        expect(outcome).toEqual({
          'not-ready': 'ABORTED',
          'ready-for-test': 'SUCCEEDED',
          'test-running': 'SUCCEEDED',
          'test-done': 'SUCCEEDED',
          'ready-for-cutover': 'SUCCEEDED',
          'cutting-over': 'SUCCEEDED',
          cutover: 'SUCCEEDED',
          archived: 'SUCCEEDED',
          disconnected: 'FAILED ServerNotMigratable',
        });

        const tail = (label: string) => { const p = statePath(cloud, arnOf(label)); return p.slice(p.indexOf('RouteChoice') + 1); };
        expect(tail('not-ready')).toEqual(['AwaitReady']);
        expect(tail('ready-for-test')).toEqual(HAPPY.slice(START.length));
        expect(tail('test-running')).toEqual(['AwaitTestResult', ...HAPPY.slice(START.length + 1)]);
        expect(tail('test-done')).toEqual(['ResumeTestVerify', ...HAPPY.slice(START.length + TEST_LAUNCH.length)]);
        expect(tail('ready-for-cutover')).toEqual([...WINDOW, ...GO, ...CUTOVER_LAUNCH, ...CUTOVER_VERIFY_TO_DONE]);
        expect(tail('cutting-over')).toEqual(['ResumeCutoverVerify', ...CUTOVER_VERIFY_TO_DONE]);
        expect(tail('cutover')).toEqual(['Archive', 'Done']);
        expect(tail('archived')).toEqual(['Done']);
        expect(statePath(cloud, arnOf('disconnected'))).toEqual(['Init', 'Route', 'NotMigratable']);

        // no launch twice: each server was tested and cut over exactly once, by us or by its execution
        for (const c of cases.filter((x) => x.label !== 'not-ready')) {
          expect({ label: c.label, tests: launchesOf(cloud, 'StartTest', c.id), cutovers: launchesOf(cloud, 'StartCutover', c.id), ...finalState(cloud, c.id) }).toEqual({
            label: c.label, tests: 1, cutovers: 1, state: 'CUTOVER', archived: true, launches: 2,
          });
        }
        expect({ ...finalState(cloud, notReady), tests: launchesOf(cloud, 'StartTest', notReady) }).toEqual({ state: 'NOT_READY', archived: false, launches: 0, tests: 0 });
        expect({ ...finalState(cloud, disconnected), tests: launchesOf(cloud, 'StartTest', disconnected) }).toEqual({ state: 'DISCONNECTED', archived: false, launches: 0, tests: 0 });
      } finally {
        client.destroy();
      }
    });
  });

  it('stopped while it waits for the test verification, a re-run (attempt 2) resumes there without a second StartTest', { timeout: 60_000 }, async () => {
    // the handler of every wait, watched: the test stops the first execution as soon as it waits for the verification
    let verifying: () => void = () => undefined;
    const registered = new Promise<void>((r) => (verifying = r));
    const awaitCondition = async (event: unknown, context: LambdaContext) => {
      const result = await (realAwaitCondition as unknown as Handler)(event, context);
      const e = event as { state: string; executionArn: string };
      if (e.state === 'AwaitTestVerify' && e.executionArn.endsWith('-1')) verifying();
      return result;
    };
    await withCloud({ lambdaOverrides: { awaitCondition } }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const first = start(cloud, { serverId: id });
      await registered;
      cloud.host.stopExecution(first);
      expect((await cloud.host.settled(first)).status).toBe('ABORTED');
      expect(statePath(cloud, first)).toEqual([...START, ...TEST_LAUNCH, 'AwaitTestVerify']);
      // the stopped execution's wait closes with it: nothing acts for it any more
      await until('the stopped execution\'s wait closed', () => cloud.lambda.invocations.some((i) => i.functionKey === 'closeExecutionWaits' && i.ok));
      const { createDeps, loadConfig } = await import('../../src/adapters/aws/index.ts');
      expect((await createDeps(loadConfig(process.env)).waits.list()).filter((w) => w.executionArn === first)).toEqual([]);

      const second = start(cloud, { serverId: id, attempt: 2 });
      expect(second).toMatch(new RegExp(`:wave-1-${id}-2$`));
      await decideAll(cloud, 'app-1', [['SIGNOFF#2'], ['GO_NO_GO#2-0'], ['FINALIZE#2-1']]);
      const result = await cloud.host.settled(second);
      expect(result.status).toBe('SUCCEEDED');
      expect(routeOf(cloud, second)).toMatchObject({ phase: 'VERIFY_TEST', lifeCycle: 'TESTING' });
      expect(statePath(cloud, second)).toEqual([...START, 'ResumeTestVerify', ...TEST_VERIFY_AND_SOAK, ...WINDOW, ...GO, ...CUTOVER_LAUNCH, ...CUTOVER_VERIFY_TO_DONE]);
      expect(mgnCalls(cloud, 'StartTest')).toEqual([{ status: 202, ids: [id] }]);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([{ status: 202, ids: [id] }]);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });
});

describe('server lifecycle: MGN events and answers that cannot be trusted', () => {
  it('a dropped launch-result event is resolved by the reconciler within one reconcile interval', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      await emulator(cloud, '/faults', { eventDropRate: 1 });
      const arn = start(cloud, { serverId: id });
      await decideAll(cloud, 'app-1', ALL_GATES);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(statePath(cloud, arn)).toEqual(HAPPY);

      const engine = cloud.emulator.engine;
      expect(engine.events.delivered.filter((d) => d.event['detail-type'] === 'MGN Source Server Launch Result')).toEqual([]);
      const client = mgn(cloud);
      const startTest = cloud.emulator.http.log.find((r) => r.operation === 'StartTest' && r.status === 202);
      const { items } = await client.send(new DescribeJobsCommand({ filters: { jobIDs: [startTest?.jobID ?? [...engine.jobs.values()].find((j) => j.initiatedBy === 'START_TEST')?.jobID ?? ''] } }));
      client.destroy();
      const job = items?.[0];
      expect(job?.status).toBe('COMPLETED');
      // no event: the reconcile run that resolved the wait (the last one started before the execution moved on)
      // started within one reconcile interval of the job's end
      const ended = Date.parse(job?.endDateTime as string);
      const resolvedAt = stateTime(cloud, arn, 'TestLaunchPoint', 'Exited');
      const reconciles = cloud.lambda.invocations.filter((i) => i.functionKey === 'reconcile').map((i) => i.startedAt).sort((a, b) => a - b);
      const resolver = reconciles.filter((t) => t <= resolvedAt).at(-1) as number;
      expect(resolvedAt).toBeGreaterThan(ended);
      expect(resolver - ended).toBeLessThanOrEqual(reconcileIntervalSeconds(cloud) * 1000);
      expect(launchesOf(cloud, 'StartTest', id)).toBe(1);
      expect(launchesOf(cloud, 'StartCutover', id)).toBe(1);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });

  it('duplicated and reordered events change nothing: the same path, one StartTest, one StartCutover', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      await emulator(cloud, '/faults', { eventDupRate: 1, eventReorderWindowS: 120 });
      const arn = start(cloud, { serverId: id });
      await decideAll(cloud, 'app-1', ALL_GATES);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(statePath(cloud, arn)).toEqual(HAPPY);
      const results = cloud.emulator.engine.events.delivered.filter((d) => d.event['detail-type'] === 'MGN Source Server Launch Result');
      expect(results.filter((d) => d.fault === 'duplicate').length).toBeGreaterThan(0);
      expect(mgnCalls(cloud, 'StartTest')).toEqual([{ status: 202, ids: [id] }]);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([{ status: 202, ids: [id] }]);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });

  it('a StartTest that MGN applied but answered with an error is not repeated', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      await emulator(cloud, '/errors', { type: 'InternalServerException', operation: 'StartTest', afterCommit: true });
      const arn = start(cloud, { serverId: id });
      await decideAll(cloud, 'app-1', ALL_GATES);
      const result = await cloud.host.settled(arn);
      expect(result.status).toBe('SUCCEEDED');
      expect(statePath(cloud, arn)).toEqual(HAPPY);
      expect(mgnCalls(cloud, 'StartTest')).toEqual([{ status: 500, ids: [id] }]);
      expect([...cloud.emulator.engine.jobs.values()].filter((j) => j.initiatedBy === 'START_TEST')).toHaveLength(1);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([{ status: 202, ids: [id] }]);
      expect(finalState(cloud, id)).toEqual({ state: 'CUTOVER', archived: true, launches: 2 });
    });
  });
});
