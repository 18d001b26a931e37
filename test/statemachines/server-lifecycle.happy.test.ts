import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { decideWhenAsked, lifecycleCloud, mgnCalls, serverIds, startServers, statePath } from './lifecycle-helpers.ts';

describe('server lifecycle: happy path for an application of 3 servers', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud();
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('takes the three servers from READY_FOR_TEST to CUTOVER and archived with one StartTest and one StartCutover', { timeout: 60_000 }, async () => {
    const ids = serverIds(cloud);
    const arns = startServers(cloud, { ids });
    await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
    await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
    await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
    const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
    expect(results.map((r) => ({ status: r.status, error: r.error, cause: r.cause }))).toEqual(ids.map(() => ({ status: 'SUCCEEDED', error: undefined, cause: undefined })));

    const path = statePath(cloud, arns[0] as string);
    expect(path).toEqual([
      'Init', 'Route', 'RouteChoice', 'TestLaunchPoint', 'CountTestLaunch', 'TestLaunched', 'AwaitTestVerify', 'TestVerified',
      'StartSoak', 'SoakPart', 'SoakLastPart', 'Soak', 'SignedOff', 'MarkReadyForCutover', 'TerminateTestInstance', 'TestInstanceTerminating', 'AwaitTerminate',
      'CheckCutoverWindow', 'InCutoverWindow', 'GoNoGo', 'GoDecision', 'Quiesce', 'CheckReadiness', 'Ready',
      'FirstCutoverLaunch', 'CutoverLaunchPoint', 'CountCutoverLaunch', 'CutoverLaunched', 'AwaitCutoverVerify', 'CutoverVerified', 'TrafficSwitch',
      'FinalizeGate', 'FinalizeDecision', 'FinalizeCutover', 'AwaitCutoverState', 'ArchiveChoice', 'Archive', 'Done',
    ]);

    const startTests = mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202);
    const startCutovers = mgnCalls(cloud, 'StartCutover').filter((c) => c.status === 202);
    expect(startTests).toHaveLength(1);
    expect(startCutovers).toHaveLength(1);
    expect([...(startTests[0]?.ids ?? [])].sort()).toEqual([...ids].sort());
    expect(mgnCalls(cloud, 'FinalizeCutover').filter((c) => c.status === 200)).toHaveLength(3);
    // the test instances the sign-off approved go in one TERMINATE job, whichever server got there first
    // (MGN refuses a TESTING server's: none was asked while a sibling was still marking itself ready)
    const terminations = mgnCalls(cloud, 'TerminateTargetInstances');
    expect(terminations.map((c) => ({ status: c.status, ids: [...(c.ids ?? [])].sort() }))).toEqual([{ status: 202, ids: [...ids].sort() }]);

    for (const s of cloud.emulator.engine.servers.values()) {
      expect({ id: s.id, state: s.lifeCycle.state, archived: s.isArchived, launches: s.launches }).toEqual({ id: s.id, state: 'CUTOVER', archived: true, launches: 2 });
    }
  });
});
