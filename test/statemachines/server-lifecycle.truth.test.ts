import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeServerLifeCycleStateCommand, DisconnectFromServiceCommand, FinalizeCutoverCommand, MgnClient } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { createStallStore } from '../../src/adapters/aws/stalls.ts';
import { createDocumentClient } from '../../src/adapters/aws/stores.ts';
import type { StallEpisode } from '../../src/ports.ts';
import { cliCloud } from '../cli/cloud-helpers.ts';
import { run } from '../cli/helpers.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, decideWhenAsked, mgnCalls, serverIds, startServers, startWave, statePath, until, waveOf, withCloud, injectServer } from './lifecycle-helpers.ts';

/**
 * Issue 13, "Decide from MGN's ground truth": scenarios on the local cloud where MGN is slow, loses events or
 * is changed by hand in the console. Each runs on its own cloud in discrete-event time.
 */

const OPS = 'ops@example.com';

function mgnServer(cloud: LocalCloud, id: string) {
  const s = cloud.emulator.engine.servers.get(id);
  if (!s) throw new Error(`no server ${id}`);
  return s;
}

/** The emulator's control route for one server (README "The MGN emulator"). */
const inject = injectServer;

/** The emulator's control routes (faults: merged). */
async function emulator(cloud: LocalCloud, path: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${cloud.endpoints.mgn}/_emulator${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, await res.clone().text()).toBe(200);
  await res.body?.cancel();
}

/** The stall history as stored in DynamoDB. */
async function stallHistory(cloud: LocalCloud, id: string): Promise<StallEpisode[]> {
  const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    return await createStallStore(createDocumentClient(ddb), String(cloud.env.STATE_TABLE)).list(id);
  } finally {
    ddb.destroy();
  }
}

/** Let simulated time pass (the discrete clock jumps to each next thing that happens). */
async function elapse(cloud: LocalCloud, seconds: number): Promise<void> {
  const until_ = cloud.emulator.engine.now() + seconds * 1000;
  await until(`${seconds} s of simulated time`, () => cloud.emulator.engine.now() >= until_);
}

function opsSubjects(cloud: LocalCloud): string[] {
  return cloud.sns.outbox().filter((m) => m.endpoint === OPS).map((m) => String(m.subject));
}

/** The state whose task timed out (the last state entered before each TaskTimedOut event). */
function timedOutStates(cloud: LocalCloud, arn: string): string[] {
  let current = '';
  const out: string[] = [];
  for (const e of cloud.host.history(arn)) {
    if (e.type.endsWith('StateEntered')) current = String(e.details?.value.name);
    if (e.type === 'TaskTimedOut') out.push(current);
  }
  return out;
}

const HOUR = 3600;

describe('server lifecycle: MGN ground truth', () => {
  it('slow launches: a launch slower than the plan\'s wait timeouts times the wait out; MGN launches it later', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2, seed: 5, faults: { slowLaunchRate: 1, slowLaunchMinS: 4 * HOUR, slowLaunchMaxS: 4 * HOUR } }, async (cloud) => {
      const ids = serverIds(cloud);
      const engine = cloud.emulator.engine;
      const phase = new Map(ids.map((id) => [id, engine.slowLaunch(mgnServer(cloud, id), 1)?.phase]));
      const arns = startServers(cloud, { ids });
      await until('each launch wait timed out', () => arns.every((a) => timedOutStates(cloud, a).length > 0));
      ids.forEach((id, i) => {
        // a slow conversion outlasts launchTimeoutSeconds (3 h), a slow boot verifyTimeoutSeconds (2 h)
        expect(timedOutStates(cloud, arns[i] as string)[0]).toBe(phase.get(id) === 'conversion' ? 'TestLaunchPoint' : 'AwaitTestVerify');
      });
      const [job] = [...engine.jobs.values()];
      const started = job?.createdAt ?? Number.NaN;
      // MGN's truth: the launch did succeed, later than the wait allowed
      await until('MGN launched and booted both', () => ids.every((id) => mgnServer(cloud, id).launchedInstance?.firstBoot === 'SUCCEEDED'));
      expect(engine.now() - started).toBeGreaterThan(3 * HOUR * 1000);
      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toHaveLength(1);
      for (const id of ids) expect(mgnServer(cloud, id).lastLaunch?.status).toBe('LAUNCHED');
      // seed 5 draws one slow conversion and one slow boot: both timeouts are exercised
      expect([...phase.values()].sort()).toEqual(['boot', 'conversion']);
    });
  });

  it('a DISCOVERED or PENDING_INSTALLATION server waits for the agent, then routes on MGN\'s state', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 1 }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      // MGN knows the server (imported, discovered through vCenter) but no agent runs on it yet
      await inject(cloud, id, { agent: 'DISCOVERED' });
      const [arn] = startServers(cloud, { ids: [id] }) as [string];
      await until('waiting for the agent', () => statePath(cloud, arn).includes('AwaitAgent'));
      await elapse(cloud, 6 * HOUR);
      expect(cloud.host.describeExecution(arn).status).toBe('RUNNING');
      await inject(cloud, id, { agent: 'PENDING_INSTALLATION' });
      await elapse(cloud, 2 * HOUR);
      expect(statePath(cloud, arn)).toEqual(['Init', 'Route', 'RouteChoice', 'AwaitAgent']);
      // the agent is installed: replication starts (NOT_READY), the reconciler sees it and Route sends it on
      await inject(cloud, id, { agent: 'INSTALLED' });
      await until('the test launch', () => mgnCalls(cloud, 'StartTest').some((c) => c.status === 202));
      expect(statePath(cloud, arn).slice(0, 8)).toEqual(['Init', 'Route', 'RouteChoice', 'AwaitAgent', 'Route', 'RouteChoice', 'AwaitReady', 'TestLaunchPoint']);
      expect(cloud.host.describeExecution(arn).status).toBe('RUNNING');
      expect(mgnServer(cloud, id).lifeCycle.state).toBe('TESTING');
    });
  });

  it('launch settings are applied at every admission; post-launch actions dropped from the plan are removed from MGN', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 1 }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const stop = autoApprove(cloud, { failure: 'rollback' });
      try {
        const action = (name: string, order: number, mustSucceedForCutover: boolean) => ({ actionId: name, actionName: name, documentIdentifier: `Company-${name}`, order, active: true, mustSucceedForCutover });
        // run 1: copy tags, two actions; the smoke test fails, the server is rolled back
        const wave = waveOf(cloud, { standalone: 1, defaults: { failurePolicy: 'continue' } });
        const app = wave.applications[0] as (typeof wave.applications)[number];
        app.servers[0] = { id, launch: { copyTags: true }, postLaunchActions: [action('smoke-test', 1001, true), action('cleanup', 1002, false)] };
        await inject(cloud, id, { failPostLaunchAction: 'smoke-test' });
        const first = await cloud.host.settled(await startWave(cloud, wave));
        expect(first.error).toBe('WaveIncomplete');
        expect(mgnServer(cloud, id).launchConfig.copyTags).toBe(true);
        expect([...mgnServer(cloud, id).actions.keys()].sort()).toEqual(['cleanup', 'smoke-test']);

        // run 2 of the same wave, its file changed: no tag copy, the cleanup action dropped
        app.servers[0] = { id, launch: { copyTags: false }, postLaunchActions: [action('smoke-test', 1001, true)] };
        // (the rollback's TERMINATE job may still run: MGN refuses the update until it ends, admission retries)
        await startWave(cloud, wave, 'wave-1-2');
        await until('the second attempt', () => cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).length === 2);
        expect(mgnServer(cloud, id).launchConfig.copyTags).toBe(false);
        expect([...mgnServer(cloud, id).actions.keys()]).toEqual(['smoke-test']);
        expect(mgnCalls(cloud, 'UpdateLaunchConfiguration').filter((c) => c.status === 200)).toHaveLength(2);
        expect(mgnCalls(cloud, 'RemoveSourceServerAction').filter((c) => c.status < 300)).toHaveLength(1);
        // the launch settings were in MGN before the second test launch
        const seqs = (op: string, status: number) => cloud.emulator.http.log.filter((r) => r.operation === op && r.status === status).map((r) => r.seq);
        await until('the second test launch', () => seqs('StartTest', 202).length === 2);
        expect(seqs('UpdateLaunchConfiguration', 200)[1] as number).toBeLessThan(seqs('StartTest', 202)[1] as number);
      } finally {
        stop();
      }
    });
  });

  it('lost stall and not-stalled events: the reconciler finds the stall in MGN, tells ops once, retries; the history is evidence', { timeout: 120_000 }, async () => {
    const c = await cliCloud({ servers: 1, start: 'agent-installed' });
    const { cloud } = c;
    const stop = autoApprove(cloud, { skip: (gate) => gate === 'SIGNOFF' });
    try {
      const [id] = serverIds(cloud) as [string];
      // no recovery by itself: only RetryDataReplication brings replication back
      await emulator(cloud, '/faults', { stallRecoverAfterS: 0 });
      const wave = waveOf(cloud, { standalone: 1 });
      await startWave(cloud, wave);
      const arn = () => cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle'))[0]?.executionArn ?? '';
      await until('waiting for READY_FOR_TEST', () => arn() !== '' && statePath(cloud, arn()).includes('AwaitReady'));
      expect(mgnServer(cloud, id).repl.state).toBe('INITIATING');
      // MGN's stall event, and later its not-stalled event, are lost
      await emulator(cloud, '/faults', { eventDropRate: 1 });
      await inject(cloud, id, { stall: 'FAILED_TO_BOOT_REPLICATION_SERVER' });
      const failedStep = mgnServer(cloud, id).repl.failedStep;
      expect(failedStep).toBeDefined();
      await until('RetryDataReplication', () => mgnCalls(cloud, 'RetryDataReplication').length > 0);
      await until('the episode closed', async () => (await stallHistory(cloud, id)).some((e) => e.endedAt !== undefined));
      await emulator(cloud, '/faults', { eventDropRate: 0 });
      expect(cloud.emulator.engine.events.delivered.filter((d) => d.event['detail-type'] === 'MGN Source Server Data Replication Stalled Change')).toEqual([]);

      const [episode] = await stallHistory(cloud, id);
      expect(episode).toMatchObject({ serverId: id, detectedBy: 'reconcile', endedBy: 'reconcile', error: 'FAILED_TO_BOOT_REPLICATION_SERVER', alerted: true });
      expect(episode?.failedStep).toMatch(/^[A-Z_]+$/);
      expect(episode?.durationSeconds).toBeGreaterThan(0);
      expect(episode?.retriedAt).toBeDefined();
      expect(mgnCalls(cloud, 'RetryDataReplication')).toEqual([{ status: 200, ids: [id] }]);
      const told = cloud.sns.outbox().filter((m) => m.endpoint === OPS && String(m.subject).startsWith('Replication stalled'));
      expect(told.map((m) => m.subject)).toEqual([`Replication stalled: ${id}`]);
      expect(told[0]?.message).toContain("the reconciler found it in MGN");

      // replication resumed: the server becomes ready, is tested, and the sign-off request carries the history
      await until('the sign-off request', () => cloud.sns.outbox().some((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === 'SIGNOFF'), 90_000);
      const request = cloud.sns.outbox().find((m) => m.attributes.kind?.StringValue === 'request' && m.attributes.gate?.StringValue === 'SIGNOFF');
      expect(request?.message).toContain('replication history: 1 stall');
      expect(request?.message).toContain(`FAILED_TO_BOOT_REPLICATION_SERVER at ${episode?.failedStep}`);
      expect(mgnCalls(cloud, 'RetryDataReplication')).toHaveLength(1);

      // and `wave status` shows it
      const status = await run(['--json', 'wave', 'status', wave.name]);
      expect(status.code).toBe(0);
      const doc = JSON.parse(status.stdout) as { servers: { serverId: string; stalled: string; stalls: StallEpisode[] }[] };
      const row = doc.servers.find((r) => r.serverId === id);
      expect(row?.stalls).toHaveLength(1);
      expect(row?.stalled).toContain('1 stall');
      const human = await run(['wave', 'status', wave.name]);
      expect(human.stdout).toContain('replication: 1 stall');
    } finally {
      stop();
      await c.close();
    }
  });

  it('console drift: a parked server changed by hand in MGN is told to ops once and routed on MGN\'s new state', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 2 }, async (cloud) => {
      const [a, b] = serverIds(cloud) as [string, string];
      const mgn = new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      const parkedIn = (arn: string, state: string) => until(`${state}`, () => statePath(cloud, arn).at(-1) === state && cloud.host.describeExecution(arn).status === 'RUNNING');
      const drifts = () => opsSubjects(cloud).filter((x) => x.startsWith('Changed in MGN by hand'));
      try {
        const [arnA] = startServers(cloud, { ids: [a], application: 'app-a', plan: { soakSeconds: 7 * 86400 } }) as [string];
        const [arnB] = startServers(cloud, { ids: [b], application: 'app-b' }) as [string];

        // A soaks; someone marks it ready for cutover in the console: it goes on from READY_FOR_CUTOVER
        await parkedIn(arnA, 'Soak');
        await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: a, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
        await parkedIn(arnA, 'GoNoGo');
        const pathA = statePath(cloud, arnA);
        await until('the first drift told', () => drifts().length === 1);
        expect(pathA.slice(pathA.indexOf('Soak'))).toEqual(['Soak', 'ConsoleDrift', 'Route', 'RouteChoice', 'CheckCutoverWindow', 'InCutoverWindow', 'GoNoGo']);
        expect(drifts()).toEqual([`Changed in MGN by hand: ${a}`]);
        // then someone disconnects it while it waits for the go/no-go: it ends, named
        await mgn.send(new DisconnectFromServiceCommand({ sourceServerID: a }));
        const endedA = await cloud.host.settled(arnA);
        expect({ status: endedA.status, error: endedA.error }).toEqual({ status: 'FAILED', error: 'ServerNotMigratable' });
        expect(statePath(cloud, arnA).slice(-4)).toEqual(['GoNoGo', 'ConsoleDrift', 'Route', 'NotMigratable']);
        await until('the second drift told', () => drifts().length === 2);
        expect(drifts()).toEqual([`Changed in MGN by hand: ${a}`, `Changed in MGN by hand: ${a}`]);

        // B waits at the finalize gate; someone finalizes the cutover in the console: it is archived and done
        await decideWhenAsked(cloud, 'wave-1#app-b#SIGNOFF#1', 'approve');
        await decideWhenAsked(cloud, 'wave-1#app-b#GO_NO_GO#1-0', 'approve', { quiesced: true });
        await parkedIn(arnB, 'FinalizeGate');
        await mgn.send(new FinalizeCutoverCommand({ sourceServerID: b }));
        const endedB = await cloud.host.settled(arnB);
        expect({ status: endedB.status, error: endedB.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
        expect(statePath(cloud, arnB).slice(-6)).toEqual(['FinalizeGate', 'ConsoleDrift', 'Route', 'RouteChoice', 'Archive', 'Done']);
        expect(mgnServer(cloud, b)).toMatchObject({ isArchived: true, lifeCycle: { state: 'CUTOVER' } });
        // mgn-flow made no finalize of its own, and no launch beyond the planned ones
        expect(mgnCalls(cloud, 'FinalizeCutover').filter((c) => c.status === 200)).toHaveLength(1);
        expect(mgnCalls(cloud, 'StartCutover').filter((c) => c.status === 202)).toHaveLength(1);
        await until('the third drift told', () => drifts().length === 3);
        const text = cloud.sns.outbox().filter((m) => m.endpoint === OPS && String(m.subject).startsWith('Changed in MGN by hand')).map((m) => m.message);
        expect(text[0]).toContain('MGN shows READY_FOR_CUTOVER where Soak expects TESTING');
        expect(text[1]).toContain('MGN shows DISCONNECTED where GoNoGo expects READY_FOR_CUTOVER');
        expect(text[2]).toContain('MGN shows CUTOVER where FinalizeGate expects CUTTING_OVER');
      } finally {
        mgn.destroy();
      }
    });
  });
});
