import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ChangeServerLifeCycleStateCommand, MgnClient, StartTestCommand } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { createDocumentClient, createRendezvousStore } from '../../src/adapters/aws/stores.ts';
import { CLAIM_LEASE_SECONDS } from '../../src/core/launch.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { decideWhenAsked, entered, mgnCalls, serverIds, startServers, statePath, until, withCloud } from './lifecycle-helpers.ts';

/**
 * Issue 13, "no decision from a timer or a local record alone": a wait that times out, a failure gate and a
 * relaunch read MGN first and follow what it says. Each story makes the events and the reconciler fail the
 * way they do on AWS (best-effort events, a reconciler throttled or down) and checks the emulator's log.
 */

/** The reconciler down (its schedule fires, it does nothing): only events and the timeouts remain. */
const reconcilerDown = { reconcile: async () => ({ open: 0, resolved: 0 }) };

const applied = (cloud: LocalCloud, op: string) => mgnCalls(cloud, op).filter((c) => c.status < 300);

describe('deciding from MGN, not from a timer', () => {
  it('events lost and the reconciler down: launch waits time out, read MGN, and follow the launches that succeeded', { timeout: 60_000 }, async () => {
    await withCloud({ faults: { eventDropRate: 1 }, lambdaOverrides: reconcilerDown }, async (cloud) => {
      const ids = serverIds(cloud);
      const arns = startServers(cloud, { ids });
      await until('every server soaking', () => arns.every((a) => entered(cloud, a, 'Soak')), 60_000);
      for (const arn of arns) {
        const path = statePath(cloud, arn);
        expect(path.slice(0, 12)).toEqual([
          'Init', 'Route', 'RouteChoice', 'TestLaunchPoint',
          // the launch result never came (event lost, nobody polling): the timeout reads MGN, which shows LAUNCHED
          'ConfirmTestLaunch', 'TestLaunchConfirmed', 'AdoptTestLaunch', 'CountTestLaunch', 'TestLaunched', 'AwaitTestVerify',
          // post-launch actions are never told by an event: the verify wait times out, and a last look at MGN finds them done
          'AwaitTestVerifyLastLook', 'AwaitTestVerifyReached',
        ]);
        expect(path).not.toContain('TestFailureGate');
        expect(path).not.toContain('NotifyTestLaunchTimeout');
      }
      expect(applied(cloud, 'StartTest')).toHaveLength(1);
      expect(cloud.sns.outbox().filter((m) => String(m.subject).includes('TEST_FAILURE'))).toEqual([]);
    });
  });

  it('a failure gate opened for a launch that never happened; a person launches in the console; retry follows that launch, never a second one', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 1, lambdaOverrides: reconcilerDown }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      // MGN refuses every StartTest for a while (throttled): the launch point's own timeout passes
      const queue = await fetch(`${cloud.endpoints.mgn}/_emulator/errors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'ThrottlingException', operation: 'StartTest', count: 2000 }) });
      expect(queue.status).toBe(200);
      const [arn] = startServers(cloud, { ids: [id] }) as [string];
      // the timeout read MGN (ABSENT), counted the attempt and opened the failure gate of a NEW round
      const gateId = 'wave-1#app-1#TEST_FAILURE#1-1-none';
      await until('the test failure gate', () => cloud.sns.outbox().some((m) => m.subject === 'Decision needed: TEST_FAILURE for app-1'), 60_000);
      expect(statePath(cloud, arn)).toEqual(['Init', 'Route', 'RouteChoice', 'TestLaunchPoint', 'ConfirmTestLaunch', 'TestLaunchConfirmed', 'CountTestTimeout', 'NotifyTestLaunchTimeout', 'TestFailureGate']);
      expect(applied(cloud, 'StartTest')).toHaveLength(0);

      // someone launches the test instance from the MGN console while the gate waits
      (cloud.emulator.http as unknown as { queuedErrors: unknown[] }).queuedErrors.length = 0;
      const mgn = new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      await mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
      mgn.destroy();
      await until('the console launch up', () => cloud.emulator.engine.servers.get(id)?.lastLaunch?.status === 'LAUNCHED', 60_000);

      await decideWhenAsked(cloud, gateId, 'retry');
      await until('soaking', () => entered(cloud, arn, 'Soak'), 60_000);
      const path = statePath(cloud, arn);
      expect(path.slice(path.indexOf('TestFailureDecision'), path.indexOf('TestFailureDecision') + 6)).toEqual([
        'TestFailureDecision', 'ConfirmTestRetry', 'TestRetryConfirmed', 'AdoptTestLaunch', 'CountTestLaunch', 'TestLaunched',
      ]);
      expect(path).not.toContain('TestRelaunchPoint');
      // one launch in all: the person's
      expect(applied(cloud, 'StartTest')).toHaveLength(1);
    });
  });

  it('a cutover launch wait that times out reads MGN: an instance that is up is verified and finalized, not reverted', { timeout: 90_000 }, async () => {
    await withCloud({ servers: 1, faults: { eventDropRate: 1 }, lambdaOverrides: reconcilerDown }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const [arn] = startServers(cloud, { ids: [id] }) as [string];
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
      await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
      const result = await cloud.host.settled(arn);
      const path = statePath(cloud, arn);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      expect(path).toEqual(expect.arrayContaining(['ConfirmCutoverLaunch', 'AdoptCutoverLaunch', 'AwaitCutoverVerifyLastLook', 'AwaitTerminateLastLook']));
      expect(path).not.toContain('RevertCutover');
      expect(path).not.toContain('FinalizeNotConfirmed');
      expect(applied(cloud, 'StartCutover')).toHaveLength(1);
      expect(cloud.emulator.engine.servers.get(id)).toMatchObject({ isArchived: true });
    });
  });

  it('a server run again after its siblings launched waits for nobody at the launch point', { timeout: 90_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const ids = serverIds(cloud);
      const [first] = ids as [string];
      const arns = startServers(cloud, { ids });
      await until('every server soaking', () => arns.every((a) => entered(cloud, a, 'Soak')), 60_000);
      // a person stops one server's execution, reverts it in the console, and runs it again (attempt 2)
      cloud.host.stopExecution(arns[0] as string, 'Operator', 'run it again');
      const mgn = new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: first, lifeCycle: { state: 'READY_FOR_TEST' } }));
      mgn.destroy();
      const t0 = cloud.clock.now();
      const [rerun] = startServers(cloud, { ids: [first], plan: {}, attempt: 2, members: ids }) as [string];
      await until('the re-run soaking', () => entered(cloud, rerun, 'Soak'), 60_000);
      const launches = applied(cloud, 'StartTest');
      expect(launches.map((c) => c.ids)).toEqual([expect.arrayContaining(ids), [first]]);
      // launched at once (no arrival timeout waiting for siblings already testing), and nobody reported missing
      const launchedAt = cloud.emulator.engine.servers.get(first)?.lastLaunch;
      expect(launchedAt).toBeDefined();
      expect(cloud.clock.now() - t0).toBeLessThan(3600_000);
      expect(cloud.sns.outbox().filter((m) => String(m.subject).startsWith('Launched without'))).toEqual([]);
    });
  });
  it('a launcher that claimed the launch point and died: the reconciler re-drives the claim after its lease, reads MGN, and launches once', { timeout: 90_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const ids = serverIds(cloud);
      // MGN throttles every StartTest for now: the arrivals stay at the OPEN point (deferred, not failed)
      const queue = await fetch(`${cloud.endpoints.mgn}/_emulator/errors`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ type: 'ThrottlingException', operation: 'StartTest', count: 100 }) });
      expect(queue.status).toBe(200);
      const arns = startServers(cloud, { ids });
      const pointId = 'wave-1#app-1#TEST#1-0';
      const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        const points = createRendezvousStore(createDocumentClient(ddb), String(cloud.env.STATE_TABLE));
        await until('every server at the launch point', async () => (await points.get(pointId))?.arrived.length === ids.length && (await points.get(pointId))?.status === 'OPEN', 60_000);
        // a launcher takes the claim and dies before asking MGN (a crashed Lambda: no release, no launch)
        (cloud.emulator.http as unknown as { queuedErrors: unknown[] }).queuedErrors.length = 0;
        const claimedAt = new Date(cloud.clock.now());
        expect(await points.claim(pointId, claimedAt.toISOString())).toBe(true);

        await until('every server soaking', () => arns.every((a) => entered(cloud, a, 'Soak')), 60_000);
        const launches = cloud.emulator.http.log.filter((r) => r.operation === 'StartTest' && r.status === 202);
        // one launch, for every server, made only once the claim's lease had run out
        expect(launches.map((r) => [...(r.sourceServerIDs ?? [])].sort())).toEqual([[...ids].sort()]);
        expect(Date.parse((launches[0] as { time: string }).time) - claimedAt.getTime()).toBeGreaterThanOrEqual(CLAIM_LEASE_SECONDS * 1000);
        expect((await points.get(pointId))?.status).toBe('LAUNCHED');
      } finally {
        ddb.destroy();
      }
    });
  });
});

