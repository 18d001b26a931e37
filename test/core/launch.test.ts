import { describe, expect, it } from 'vitest';
import { JobSlotBusyError } from '../../src/core/errors.ts';
import { CLAIM_LEASE_SECONDS, SIBLINGS_MARK_SECONDS, arriveAtLaunchPoint, confirmLaunch, launchPoint, pointId, reconcileLaunchPoints, terminateTestInstances, type Arrival } from '../../src/core/launch.ts';
import { closeExecutionWaits } from '../../src/core/waits.ts';
import { fakeDeps, serverView, throttled } from '../helpers/fakes.ts';

const A = 's-aaaaaaaaaaaaaaaaa';
const B = 's-bbbbbbbbbbbbbbbbb';
const C = 's-ccccccccccccccccc';

function setup() {
  const deps = fakeDeps({ start: '2026-03-10T12:00:00.000Z' });
  for (const id of [A, B, C]) deps.mgn.addServer(serverView(id, { lifeCycle: 'READY_FOR_TEST' }));
  const arrival = (serverId: string): Arrival => ({
    serverId,
    executionArn: `arn:aws:states:us-east-1:111122223333:execution:m:${serverId}`,
    state: 'TestLaunchPoint',
    token: `token-${serverId}`,
    wave: 'w',
    application: 'app',
    launch: 'TEST',
    round: '1-0',
    members: [A, B, C],
    arrivalTimeoutSeconds: 3600,
  });
  return { deps, arrival };
}

describe('launch points', () => {
  it('makes one StartTest when the last member arrives, and none before', async () => {
    const { deps, arrival } = setup();
    await arriveAtLaunchPoint(deps, arrival(A));
    await arriveAtLaunchPoint(deps, arrival(B));
    expect(deps.mgn.callsTo('startTest')).toHaveLength(0);
    await arriveAtLaunchPoint(deps, arrival(C));
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids)).toEqual([[A, B, C]]);
    const wait = await deps.waits.get(A);
    expect(wait?.condition).toMatchObject({ kind: 'LAUNCH_RESULT', launch: 'TEST' });
  });

  it('launches those present after the arrival timeout and names the missing ones to ops', async () => {
    const { deps, arrival } = setup();
    await arriveAtLaunchPoint(deps, arrival(A));
    await arriveAtLaunchPoint(deps, arrival(B));
    expect((await reconcileLaunchPoints(deps)).launched).toBe(0);
    deps.clock.advance(3601);
    expect((await reconcileLaunchPoints(deps)).launched).toBe(1);
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids)).toEqual([[A, B]]);
    expect(deps.notifier.messages.map((m) => m.text).join('\n')).toContain(`Missing: ${C}`);
    // the late one learns it missed the launch (no second launch for this point)
    await arriveAtLaunchPoint(deps, arrival(C));
    expect(deps.callbacks.calls.find((c) => c.token === `token-${C}`)).toMatchObject({ output: { status: 'MISSED' } });
    expect(deps.mgn.callsTo('startTest')).toHaveLength(1);
  });

  it('adopts a launch MGN applied but answered with an error instead of making a second one', async () => {
    const { deps, arrival } = setup();
    deps.mgn.failNext('startTest', 'afterCommit');
    await arriveAtLaunchPoint(deps, arrival(A));
    await arriveAtLaunchPoint(deps, arrival(B));
    await arriveAtLaunchPoint(deps, arrival(C)).catch(() => undefined);
    expect(deps.mgn.callsTo('startTest')).toHaveLength(1);
    const point = await deps.points.get(pointId(arrival(A)));
    expect(point?.status).toBe('LAUNCHED');
    expect(await launchPoint(deps, point?.id as string, { force: true })).toEqual({ launched: false });
  });

  it('takes a stopped execution back out of an open launch point, so it is not launched', async () => {
    const { deps, arrival } = setup();
    await arriveAtLaunchPoint(deps, arrival(A));
    await arriveAtLaunchPoint(deps, arrival(B));
    const r = await closeExecutionWaits(deps, arrival(A).executionArn);
    expect(r).toEqual({ closed: [A], leftLaunchPoints: [pointId(arrival(A))], closedGates: [] });
    deps.clock.advance(3601);
    await reconcileLaunchPoints(deps);
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids)).toEqual([[B]]);
  });

  it('keeps the account within the job quota when two applications launch at once (the job-slot limiter)', async () => {
    const { deps, arrival } = setup();
    const limited = { ...deps, limits: { concurrentJobs: 1, serversInActiveJobs: 200 } };
    const one = (serverId: string, application: string): Arrival => ({ ...arrival(serverId), application, members: [serverId] });
    const results = await Promise.allSettled([arriveAtLaunchPoint(limited, one(A, 'app-1')), arriveAtLaunchPoint(limited, one(B, 'app-2'))]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    // one launch made; the other deferred to the reconciler, which makes it once the first job ends
    expect(deps.mgn.callsTo('startTest')).toHaveLength(1);
    const made = deps.mgn.callsTo('startTest')[0]?.ids[0] as string;
    const jobId = (await deps.waits.get(made))?.condition as { jobId: string };
    deps.mgn.finishLaunch(jobId.jobId, made);
    deps.mgn.completeJob(jobId.jobId);
    await reconcileLaunchPoints(limited);
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids[0]).sort()).toEqual([A, B]);
  });

  it('does not launch an arrival whose wait has moved on (its launch-point wait timed out)', async () => {
    const { deps, arrival } = setup();
    await arriveAtLaunchPoint(deps, arrival(A));
    await arriveAtLaunchPoint(deps, arrival(B));
    // A's execution timed out at the launch point and now waits at a failure gate
    await deps.waits.put({ ...((await deps.waits.get(A)) as NonNullable<Awaited<ReturnType<typeof deps.waits.get>>>), state: 'TestFailureGate', condition: { kind: 'GATE', gateId: 'w#app#TEST_FAILURE#1-0-a' } });
    deps.clock.advance(3601);
    await reconcileLaunchPoints(deps);
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids)).toEqual([[B]]);
  });

  it('checks readiness and the window again right before StartCutover, holding the launch until they clear', async () => {
    const { deps, arrival } = setup();
    for (const id of [A, B, C]) deps.mgn.setServer(id, { lifeCycle: 'READY_FOR_CUTOVER', replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 } });
    deps.mgn.setServer(B, { replication: { backlogBytes: 4096 } });
    const cut = (id: string): Arrival => ({ ...arrival(id), launch: 'CUTOVER', state: 'CutoverLaunchPoint', guard: { maxLagSeconds: 300, window: { start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T20:00:00.000Z' } } });
    for (const id of [A, B, C]) await arriveAtLaunchPoint(deps, cut(id));
    expect(deps.mgn.callsTo('startCutover')).toHaveLength(0);
    expect(deps.notifier.messages.filter((m) => m.subject === 'Cutover held: app')).toHaveLength(1);
    expect(deps.notifier.messages.find((m) => m.subject === 'Cutover held: app')?.text).toMatch(/backlog 4096 bytes/);
    await reconcileLaunchPoints(deps);
    expect(deps.mgn.callsTo('startCutover')).toHaveLength(0);
    deps.mgn.setServer(B, { replication: { backlogBytes: 0 } });
    await reconcileLaunchPoints(deps);
    expect(deps.mgn.callsTo('startCutover').map((c) => c.ids)).toEqual([[A, B, C]]);
  });

  it('does not make a cutover after its window closed', async () => {
    const { deps, arrival } = setup();
    for (const id of [A, B, C]) deps.mgn.setServer(id, { lifeCycle: 'READY_FOR_CUTOVER', replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 } });
    const cut = (id: string): Arrival => ({ ...arrival(id), launch: 'CUTOVER', state: 'CutoverLaunchPoint', guard: { maxLagSeconds: 300, window: { start: '2026-03-10T00:00:00.000Z', end: '2026-03-10T11:00:00.000Z' }, timeZone: 'Europe/Berlin' } });
    for (const id of [A, B, C]) await arriveAtLaunchPoint(deps, cut(id));
    expect(deps.mgn.callsTo('startCutover')).toHaveLength(0);
    // the window as people read it: in the wave's zone, to the minute
    expect(deps.notifier.messages.find((m) => m.subject === 'Cutover held: app')?.text).toContain('outside the cutover window 2026-03-10T01:00+01:00 - 2026-03-10T12:00+01:00 (Europe/Berlin)');
  });

  it('gives a claim back when MGN reads fail under throttling, and the next attempt launches once', async () => {
    const { deps, arrival } = setup();
    deps.mgn.failNext('describeServers', throttled());
    await arriveAtLaunchPoint(deps, arrival(A));
    await arriveAtLaunchPoint(deps, arrival(B));
    // the last arrival's launch is deferred, not failed: the execution keeps waiting at the point
    const r = await arriveAtLaunchPoint(deps, arrival(C));
    expect(r.status).toBe('OPEN');
    expect(deps.mgn.callsTo('startTest')).toHaveLength(0);
    expect((await reconcileLaunchPoints(deps)).launched).toBe(1);
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids)).toEqual([[A, B, C]]);
  });

  it('re-drives a launch point left LAUNCHING by a launcher that failed, adopting the job MGN made', async () => {
    const { deps, arrival } = setup();
    for (const id of [A, B]) await arriveAtLaunchPoint(deps, arrival(id));
    // a launcher claimed the point at 12:00, made StartTest, then died before recording it
    await deps.points.arrive({ id: pointId(arrival(C)), application: 'app', launch: 'TEST', expected: [A, B, C], openedAt: '2026-03-10T12:00:00.000Z', deadline: '2026-03-10T13:00:00.000Z' }, C);
    await deps.waits.put({ serverId: C, executionArn: arrival(C).executionArn, state: 'TestLaunchPoint', token: `token-${C}`, condition: { kind: 'LAUNCH_POINT', pointId: pointId(arrival(C)), launch: 'TEST' }, createdAt: '2026-03-10T12:00:00.000Z' });
    expect(await deps.points.claim(pointId(arrival(C)), '2026-03-10T12:00:00.000Z')).toBe(true);
    const { jobId } = await deps.mgn.startTest([A, B, C]);
    // within the lease nobody takes over
    expect((await reconcileLaunchPoints(deps)).launched).toBe(0);
    deps.clock.advance(CLAIM_LEASE_SECONDS + 1);
    expect((await reconcileLaunchPoints(deps)).launched).toBe(1);
    const point = await deps.points.get(pointId(arrival(A)));
    expect(point).toMatchObject({ status: 'LAUNCHED', jobId, launched: [A, B, C] });
    expect(deps.mgn.callsTo('startTest')).toHaveLength(1);
    expect((await deps.waits.get(A))?.condition).toEqual({ kind: 'LAUNCH_RESULT', launch: 'TEST', jobId });
  });

  it('adopts the job holding some of the arrivals and leaves the others out of it (they relaunch alone)', async () => {
    const { deps, arrival } = setup();
    for (const id of [A, B]) await arriveAtLaunchPoint(deps, arrival(id));
    // somebody launched A and B from the console after the point opened
    const { jobId } = await deps.mgn.startTest([A, B]);
    await arriveAtLaunchPoint(deps, arrival(C));
    expect(deps.mgn.callsTo('startTest')).toHaveLength(1);
    expect(await deps.points.get(pointId(arrival(A)))).toMatchObject({ status: 'LAUNCHED', jobId, launched: [A, B] });
    expect(deps.callbacks.calls.find((c) => c.token === `token-${C}`)).toMatchObject({ output: { status: 'MISSED' } });
  });
});

describe('confirmLaunch: what MGN says before a timeout path or a relaunch', () => {
  const since = '2026-03-10T11:00:00.000Z';
  it('LAUNCHED for a launch made during the execution whose result was never seen; ABSENT once followed', async () => {
    const { deps } = setup();
    const { jobId } = await deps.mgn.startTest([A]);
    deps.mgn.finishLaunch(jobId, A);
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since, after: null, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'LAUNCHED', jobId });
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since, after: jobId, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'ABSENT' });
  });

  it('IN_PROGRESS while the job runs, STUCK past the limit, FAILED when MGN says so', async () => {
    const { deps } = setup();
    const { jobId } = await deps.mgn.startTest([A]);
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'IN_PROGRESS', jobId });
    deps.clock.advance(3600);
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'STUCK', jobId });
    deps.mgn.finishLaunch(jobId, A, 'FAILED');
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'FAILED', jobId });
  });

  it('ABSENT when nothing was launched, or only before the execution started', async () => {
    const { deps } = setup();
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'ABSENT', jobId: null });
    const { jobId } = await deps.mgn.startTest([A]);
    deps.mgn.finishLaunch(jobId, A);
    expect(await confirmLaunch(deps, { serverId: A, launch: 'TEST', since: '2026-03-10T12:30:00.000Z', stuckAfterSeconds: 3600 })).toMatchObject({ status: 'ABSENT' });
    expect(await confirmLaunch(deps, { serverId: A, launch: 'CUTOVER', since, stuckAfterSeconds: 3600 })).toMatchObject({ status: 'ABSENT' });
  });
});

describe('a re-run at a launch point', () => {
  it('waits only for the members that still need the launch: siblings MGN shows past it are not waited for', async () => {
    const { deps, arrival } = setup();
    // attempt 1 launched the three; A was stopped and reverted, B and C are testing
    deps.mgn.setServer(B, { lifeCycle: 'TESTING' });
    deps.mgn.setServer(C, { lifeCycle: 'READY_FOR_CUTOVER' });
    const r = await arriveAtLaunchPoint(deps, { ...arrival(A), round: '2-0' });
    expect(r).toMatchObject({ status: 'LAUNCHED', arrived: 1, expected: 1 });
    expect(deps.mgn.callsTo('startTest').map((c) => c.ids)).toEqual([[A]]);
    expect(deps.notifier.messages.filter((m) => m.subject.startsWith('Launched without'))).toEqual([]);
  });

  it('in a first run every member is waited for, whatever MGN shows', async () => {
    const { deps, arrival } = setup();
    deps.mgn.setServer(B, { lifeCycle: 'TESTING' });
    const r = await arriveAtLaunchPoint(deps, arrival(A));
    expect(r).toMatchObject({ status: 'OPEN', arrived: 1, expected: 3 });
  });
});


describe('terminating the test instances after the sign-off', () => {
  const instance = (id: string) => ({ launchedInstance: { ec2InstanceId: `i-${id.slice(2, 10)}`, jobId: 'mgnjob-1', firstBoot: 'SUCCEEDED' as const } });

  it('waits while a sibling the same sign-off approved is still TESTING (MGN would refuse it), then terminates all in one job', async () => {
    const deps = fakeDeps({ start: '2026-03-10T12:00:00.000Z' });
    deps.mgn.addServer(serverView(A, { lifeCycle: 'READY_FOR_CUTOVER', ...instance(A) }));
    deps.mgn.addServer(serverView(B, { lifeCycle: 'TESTING', ...instance(B) }));
    // C soaks on its own (relaunched later): TESTING, not approved by this sign-off, never waited for nor touched
    deps.mgn.addServer(serverView(C, { lifeCycle: 'TESTING', ...instance(C) }));
    const approved = { servers: [A, B], at: '2026-03-10T12:00:00.000Z' };
    await expect(terminateTestInstances(deps, A, [A, B, C], approved)).rejects.toThrow(JobSlotBusyError);
    expect(deps.mgn.callsTo('terminateTargetInstances')).toEqual([]);
    deps.mgn.setServer(B, { lifeCycle: 'READY_FOR_CUTOVER' });
    deps.clock.advance(60);
    expect(await terminateTestInstances(deps, A, [A, B, C], approved)).toMatchObject({ servers: [A, B] });
    expect(deps.mgn.callsTo('terminateTargetInstances').map((c) => c.ids)).toEqual([[A, B]]);
  });

  it('stops waiting for a sibling that does not mark itself ready within SIBLINGS_MARK_SECONDS', async () => {
    const deps = fakeDeps({ start: '2026-03-10T12:00:00.000Z' });
    deps.mgn.addServer(serverView(A, { lifeCycle: 'READY_FOR_CUTOVER', ...instance(A) }));
    deps.mgn.addServer(serverView(B, { lifeCycle: 'TESTING', ...instance(B) }));
    deps.clock.advance(SIBLINGS_MARK_SECONDS);
    expect(await terminateTestInstances(deps, A, [A, B], { servers: [A, B], at: '2026-03-10T12:00:00.000Z' })).toMatchObject({ servers: [A] });
  });
});
