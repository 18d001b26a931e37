import { MgnClient, PutSourceServerActionCommand } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { decideWhenAsked, mgnCalls, serverIds, startServers, statePath, until, withCloud, injectServer } from './lifecycle-helpers.ts';

/**
 * Issue 4, "Done when": the failure paths of the server lifecycle on the local cloud with the MGN emulator.
 * Each scenario runs on its own cloud and asserts the path of states, the MGN calls made (the emulator's
 * request log) and the final MGN state.
 */

const OPS = 'ops@example.com';

/** The emulator's control route for one server (README "The MGN emulator"). */
const inject = injectServer;

/** What ops were told, and the approval requests (they go to the approvers' topic) in one list. */
function opsSubjects(cloud: LocalCloud): string[] {
  return cloud.sns.outbox().filter((m) => m.endpoint === OPS || m.attributes.kind?.StringValue === 'request').map((m) => String(m.subject));
}

/**
 * Decide a gate once its own request went out: the `nth` "Decision needed" message for that gate kind and
 * application (a later round of the same gate sends a message of the same subject).
 */
async function decideRound(cloud: LocalCloud, gateId: string, nth: number, decision: string, extra: Record<string, unknown> = {}): Promise<void> {
  const [, application, gate] = gateId.split('#');
  const subject = `Decision needed: ${gate} for ${application}`;
  await until(`gate ${gateId}`, () => opsSubjects(cloud).filter((s) => s === subject).length >= nth);
  await cloud.lambda.invoke('decideGate', { gateId, decision, by: 'approver@example.com', ...extra });
}

/** Index in the emulator's request log of each successful call of `operation`. */
function callSeqs(cloud: LocalCloud, operation: string): number[] {
  return cloud.emulator.http.log.filter((r) => r.operation === operation && r.status < 300).map((r) => r.seq);
}

function mgnServer(cloud: LocalCloud, id: string) {
  const s = cloud.emulator.engine.servers.get(id);
  if (!s) throw new Error(`no server ${id}`);
  return s;
}

function sorted(ids: readonly string[] | undefined): string[] {
  return [...(ids ?? [])].sort();
}

const HAPPY_TAIL = [
  'StartSoak', 'SoakPart', 'SoakLastPart', 'Soak', 'SignedOff', 'MarkReadyForCutover', 'TerminateTestInstance', 'TestInstanceTerminating', 'AwaitTerminate',
  'CheckCutoverWindow', 'InCutoverWindow', 'GoNoGo', 'GoDecision', 'Quiesce', 'CheckReadiness', 'Ready',
  'FirstCutoverLaunch', 'CutoverLaunchPoint', 'CountCutoverLaunch', 'CutoverLaunched', 'AwaitCutoverVerify', 'CutoverVerified', 'TrafficSwitch',
  'FinalizeGate', 'FinalizeDecision', 'FinalizeCutover', 'AwaitCutoverState', 'ArchiveChoice', 'Archive', 'Done',
];
const TO_SOAK = ['Init', 'Route', 'RouteChoice', 'TestLaunchPoint', 'CountTestLaunch', 'TestLaunched', 'AwaitTestVerify', 'TestVerified'];

describe('server lifecycle: failure paths', () => {
  it('a test launch that fails once relaunches that server alone; the application still cuts over together', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const ids = serverIds(cloud);
      const bad = ids[0] as string;
      await inject(cloud, bad, { failNextLaunch: true });
      const arns = startServers(cloud, { ids });
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
      await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
      const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
      expect(results.map((r) => ({ status: r.status, error: r.error }))).toEqual(ids.map(() => ({ status: 'SUCCEEDED', error: undefined })));

      expect(statePath(cloud, arns[0] as string)).toEqual([
        ...TO_SOAK.slice(0, 6),
        'NotifyTestLaunchFailed', 'TestRelaunchPoint', 'CountTestLaunch', 'TestLaunched', 'AwaitTestVerify', 'TestVerified',
        ...HAPPY_TAIL,
      ]);
      for (const arn of arns.slice(1)) expect(statePath(cloud, arn)).toEqual([...TO_SOAK, ...HAPPY_TAIL]);

      // one StartTest for the three, then one for the failed server alone; one StartCutover for the three
      const startTests = mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202);
      expect(startTests.map((c) => sorted(c.ids))).toEqual([sorted(ids), [bad]]);
      const startCutovers = mgnCalls(cloud, 'StartCutover').filter((c) => c.status === 202);
      expect(startCutovers.map((c) => sorted(c.ids))).toEqual([sorted(ids)]);

      for (const id of ids) {
        const s = mgnServer(cloud, id);
        expect({ id, state: s.lifeCycle.state, archived: s.isArchived, launches: s.launches }).toEqual({ id, state: 'CUTOVER', archived: true, launches: id === bad ? 3 : 2 });
      }

      // ops: one message per event, no storm
      const subjects = opsSubjects(cloud);
      expect(subjects.filter((s) => s.startsWith('Decision needed')).sort()).toEqual([
        'Decision needed: FINALIZE for app-1',
        'Decision needed: GO_NO_GO for app-1',
        'Decision needed: SIGNOFF for app-1',
      ]);
      expect(subjects.filter((s) => s.startsWith('Test launch failed'))).toEqual([`Test launch failed, relaunching: app-1/${bad}`]);
      expect(new Set(subjects).size).toBe(subjects.length);
    });
  });

  it('a test launch that keeps failing reaches the failure gate; stop ends the execution without a cutover', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 1, faults: { launchFailRate: 1 } }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const [arn] = startServers(cloud, { ids: [id], plan: { maxTestLaunches: 2 } }) as [string];
      await decideWhenAsked(cloud, 'wave-1#app-1#TEST_FAILURE#1-2-*', 'stop');
      const result = await cloud.host.settled(arn);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'StoppedByDecision' });

      expect(statePath(cloud, arn)).toEqual([
        'Init', 'Route', 'RouteChoice', 'TestLaunchPoint', 'CountTestLaunch', 'TestLaunched',
        'NotifyTestLaunchFailed', 'TestRelaunchPoint', 'CountTestLaunch', 'TestLaunched',
        'TestFailureGate', 'TestFailureDecision', 'StoppedByDecision',
      ]);
      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toEqual([{ status: 202, ids: [id] }, { status: 202, ids: [id] }]);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([]);
      const s = mgnServer(cloud, id);
      expect({ state: s.lifeCycle.state, launches: s.launches, lastLaunch: s.lastLaunch?.status }).toEqual({ state: 'TESTING', launches: 2, lastLaunch: 'FAILED' });
      expect(opsSubjects(cloud).filter((x) => x.startsWith('Decision needed'))).toEqual(['Decision needed: TEST_FAILURE for app-1']);
      // how the execution ended reaches ops once
      await until('the ops message for the ended execution', () => opsSubjects(cloud).some((x) => x.startsWith('Execution failed')));
      expect(opsSubjects(cloud).filter((x) => x.startsWith('Execution failed'))).toEqual([`Execution failed: wave-1-${id}-1`]);
    });
  });

  it('a post-launch action that must succeed fails: failure gate, rollback reverts to READY_FOR_TEST', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 1 }, async (cloud) => {
      const [id] = serverIds(cloud) as [string];
      const mgn = new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
      try {
        await mgn.send(
          new PutSourceServerActionCommand({
            sourceServerID: id,
            actionID: 'smoke-test',
            actionName: 'smoke-test',
            documentIdentifier: 'Company-SmokeTest',
            order: 1001,
            mustSucceedForCutover: true,
          }),
        );
      } finally {
        mgn.destroy();
      }
      await inject(cloud, id, { failPostLaunchAction: 'smoke-test' });
      const [arn] = startServers(cloud, { ids: [id] }) as [string];
      await decideWhenAsked(cloud, 'wave-1#app-1#TEST_FAILURE#1-1-*', 'rollback');
      const result = await cloud.host.settled(arn);
      expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'RolledBack' });

      expect(statePath(cloud, arn)).toEqual([
        'Init', 'Route', 'RouteChoice', 'TestLaunchPoint', 'CountTestLaunch', 'TestLaunched', 'AwaitTestVerify', 'TestVerified',
        'NotifyActionFailed', 'TestFailureGate', 'TestFailureDecision', 'RollbackTest', 'RolledBack',
      ]);
      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toEqual([{ status: 202, ids: [id] }]);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([]);
      expect(mgnCalls(cloud, 'ChangeServerLifeCycleState').filter((c) => c.status === 200)).toHaveLength(1);
      expect(mgnCalls(cloud, 'TerminateTargetInstances').filter((c) => c.status === 202)).toEqual([{ status: 202, ids: [id] }]);
      await until('the test instance terminated', () => mgnServer(cloud, id).launchedInstance === undefined);
      expect(mgnServer(cloud, id).lifeCycle.state).toBe('READY_FOR_TEST');
      expect(opsSubjects(cloud)).toContain(`A post-launch action that must succeed failed: app-1/${id}`);
    });
  });

  it('sign-off rejected: every server reverts to READY_FOR_TEST and its test instance is terminated', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2 }, async (cloud) => {
      const ids = serverIds(cloud);
      const arns = startServers(cloud, { ids });
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'reject');
      const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
      expect(results.map((r) => ({ status: r.status, error: r.error }))).toEqual(ids.map(() => ({ status: 'FAILED', error: 'SignoffRejected' })));
      for (const arn of arns) expect(statePath(cloud, arn)).toEqual([...TO_SOAK, 'StartSoak', 'SoakPart', 'SoakLastPart', 'Soak', 'SignedOff', 'RevertAfterRejection', 'SignoffRejected']);

      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toHaveLength(1);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([]);
      const terminations = mgnCalls(cloud, 'TerminateTargetInstances').filter((c) => c.status === 202);
      expect(sorted(terminations.flatMap((c) => c.ids ?? []))).toEqual(sorted(ids));
      await until('the test instances terminated', () => ids.every((id) => mgnServer(cloud, id).launchedInstance === undefined));
      for (const id of ids) expect(mgnServer(cloud, id).lifeCycle.state).toBe('READY_FOR_TEST');
    });
  });

  it('cutover launch fails: revert to READY_FOR_CUTOVER, failure gate, retry cuts that server over alone', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2 }, async (cloud) => {
      const ids = serverIds(cloud);
      // the second server's cutover launch fails early (at conversion) while the other still launches: MGN refuses
      // the revert until the job ends, and the lifecycle retries it
      const bad = ids[1] as string;
      const arns = startServers(cloud, { ids });
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
      // the test job has run (failNextLaunch is taken when a launch starts): this one hits the cutover launch
      await until('the go/no-go request', () => opsSubjects(cloud).includes('Decision needed: GO_NO_GO for app-1'));
      await inject(cloud, bad, { failNextLaunch: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });

      await decideWhenAsked(cloud, 'wave-1#app-1#CUTOVER_FAILURE#1-1-*', 'retry');
      expect(mgnServer(cloud, bad).lifeCycle.state).toBe('READY_FOR_CUTOVER');
      await decideRound(cloud, 'wave-1#app-1#GO_NO_GO#1-1', 2, 'approve', { quiesced: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
      await decideRound(cloud, 'wave-1#app-1#FINALIZE#1-2', 2, 'approve');
      const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
      expect(results.map((r) => ({ status: r.status, error: r.error }))).toEqual(ids.map(() => ({ status: 'SUCCEEDED', error: undefined })));

      const untilCutover = HAPPY_TAIL.slice(0, HAPPY_TAIL.indexOf('CutoverLaunched') + 1);
      expect(statePath(cloud, arns[1] as string)).toEqual([
        ...TO_SOAK,
        ...untilCutover,
        'RevertCutover', 'NotifyCutoverFailed', 'CutoverFailureGate', 'CutoverFailureDecision',
        // the retried cutover launches that server alone, without waiting for the ones already cut over
        ...HAPPY_TAIL.slice(HAPPY_TAIL.indexOf('CheckCutoverWindow')).map((s) => (s === 'CutoverLaunchPoint' ? 'CutoverRelaunchPoint' : s)),
      ]);
      expect(opsSubjects(cloud).filter((s) => s.startsWith('Launched without'))).toEqual([]);
      expect(statePath(cloud, arns[0] as string)).toEqual([...TO_SOAK, ...HAPPY_TAIL]);

      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toHaveLength(1);
      const startCutovers = mgnCalls(cloud, 'StartCutover').filter((c) => c.status === 202);
      expect(startCutovers.map((c) => sorted(c.ids))).toEqual([sorted(ids), [bad]]);
      expect(mgnCalls(cloud, 'FinalizeCutover').filter((c) => c.status === 200)).toHaveLength(2);
      // READY_FOR_CUTOVER twice for that server: after sign-off, and the revert once MGN allowed it (job ended)
      expect(mgnCalls(cloud, 'ChangeServerLifeCycleState').filter((c) => c.status === 200 && c.ids?.[0] === bad)).toHaveLength(2);
      for (const id of ids) {
        const s = mgnServer(cloud, id);
        expect({ id, state: s.lifeCycle.state, archived: s.isArchived, launches: s.launches }).toEqual({ id, state: 'CUTOVER', archived: true, launches: id === bad ? 3 : 2 });
      }
      expect(opsSubjects(cloud).filter((s) => s.startsWith('Cutover launch failed'))).toEqual([`Cutover launch failed: reverted to READY_FOR_CUTOVER: app-1/${bad}`]);
    });
  });

  it('finalize rejected: reverts to READY_FOR_CUTOVER and keeps the cutover instance', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2 }, async (cloud) => {
      const ids = serverIds(cloud);
      const arns = startServers(cloud, { ids });
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
      await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'reject', { terminateInstances: false });
      const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
      expect(results.map((r) => ({ status: r.status, error: r.error }))).toEqual(ids.map(() => ({ status: 'FAILED', error: 'FinalizeRejected' })));
      const tail = HAPPY_TAIL.slice(0, HAPPY_TAIL.indexOf('FinalizeDecision') + 1);
      for (const arn of arns) expect(statePath(cloud, arn)).toEqual([...TO_SOAK, ...tail, 'RevertFinalize', 'FinalizeRejected']);

      const [cutoverSeq] = callSeqs(cloud, 'StartCutover');
      expect(mgnCalls(cloud, 'StartCutover').filter((c) => c.status === 202)).toHaveLength(1);
      expect(callSeqs(cloud, 'TerminateTargetInstances').filter((seq) => seq > (cutoverSeq as number))).toEqual([]);
      expect(mgnCalls(cloud, 'FinalizeCutover')).toEqual([]);
      for (const id of ids) {
        const s = mgnServer(cloud, id);
        expect({ id, state: s.lifeCycle.state, archived: s.isArchived, kept: s.launchedInstance?.jobID === s.lifeCycle.lastCutover?.initiated?.jobID }).toEqual({ id, state: 'READY_FOR_CUTOVER', archived: false, kept: true });
        expect(s.launchedInstance?.ec2InstanceID).toMatch(/^i-/);
      }
    });
  });

  it('a gate timing out never proceeds to cutover', { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2 }, async (cloud) => {
      const ids = serverIds(cloud);
      const arns = startServers(cloud, { ids, plan: { soakSeconds: 3600, gateTimeoutSeconds: 7200 } });
      const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
      expect(results.map((r) => ({ status: r.status, error: r.error }))).toEqual(ids.map(() => ({ status: 'FAILED', error: 'GateExpired' })));
      for (const arn of arns) expect(statePath(cloud, arn)).toEqual([...TO_SOAK, 'StartSoak', 'SoakPart', 'SoakLastPart', 'Soak', 'SoakPartEnded', 'AwaitSignoff', 'GateExpired']);
      expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toHaveLength(1);
      expect(mgnCalls(cloud, 'StartCutover')).toEqual([]);
      expect(mgnCalls(cloud, 'FinalizeCutover')).toEqual([]);
      for (const id of ids) expect(mgnServer(cloud, id).lifeCycle.state).toBe('TESTING');
      expect(opsSubjects(cloud).filter((s) => s.startsWith('Decision needed'))).toEqual(['Decision needed: SIGNOFF for app-1']);
    });
  });
});
