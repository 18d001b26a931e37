import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AFTER_QUIESCE } from '../../src/core/lifecycle.ts';
import { PartsFailedError, allParts, evaluate, type MgnEventLike, type Outcome, readiness, reconcile, registerWait, resolve, routeEvent } from '../../src/core/waits.ts';
import type { JobView, OpenWait, ServerView, WaitCondition } from '../../src/ports.ts';
import { type FakeDeps, fakeDeps, jitter, jobView, serverView, throttled } from '../helpers/fakes.ts';
import { TransientError } from '../../src/core/errors.ts';

// ------------------------------------------------------------------ helpers

/** A real MGN event (test/fixtures/mgn-events) for another server and detail. */
function mgnEvent(name: 'launch-result' | 'lifecycle-state-change' | 'replication-stalled', serverId: string, detail: Record<string, unknown>): MgnEventLike {
  const e = JSON.parse(readFileSync(new URL(`../fixtures/mgn-events/${name}.json`, import.meta.url), 'utf8')) as MgnEventLike;
  return { ...e, resources: [e.resources[0]!.replace(/source-server\/.+$/, `source-server/${serverId}`)], detail };
}
const launchResult = (serverId: string, state: string, jobId: string) => mgnEvent('launch-result', serverId, { state, 'job-id': jobId });
const readyForTest = (serverId: string) => mgnEvent('lifecycle-state-change', serverId, { state: 'READY_FOR_TEST' });
const stalled = (serverId: string, state: 'STALLED' | 'NOT_STALLED' = 'STALLED') => mgnEvent('replication-stalled', serverId, { state });

function aWait(serverId: string, condition: WaitCondition, token = `token-${serverId}`): Omit<OpenWait, 'createdAt'> {
  return { serverId, executionArn: `arn:aws:states:us-east-1:111122223333:execution:server-lifecycle:wave1-${serverId}-1`, state: 'Wait', condition, token };
}

async function open(deps: FakeDeps, serverId: string, condition: WaitCondition, token?: string): Promise<OpenWait> {
  const wait = { ...aWait(serverId, condition, token), createdAt: deps.clock.iso() };
  await deps.waits.put(wait);
  return wait;
}

/** The event router's dependencies: the fakes plus the stall retry budget. */
const router = (deps: FakeDeps, maxStallRetries = 2) => ({ ...deps, maxStallRetries });

// ------------------------------------------------------------------ evaluate

const NOW = new Date('2025-03-01T12:00:00.000Z');
const S = 's-1';
const JOB = 'mgnjob-2';
const OLD_JOB = 'mgnjob-1';

const participant = (launchStatus: string, more: Partial<JobView['servers'][number]> = {}) => ({ id: S, launchStatus, ...more });
const launchJob = (status: JobView['status'], ...servers: JobView['servers']) => jobView(JOB, [], { status, servers });
const booted = (firstBoot: string, more: Partial<ServerView> = {}) =>
  serverView(S, { lifeCycle: 'TESTING', launchedInstance: { ec2InstanceId: 'i-0abc', jobId: JOB, firstBoot }, ...more });
const withActions = (discovered: boolean, ...actions: { name: string; status: string; mustSucceedForCutover: boolean }[]) =>
  launchJob('COMPLETED', participant('LAUNCHED', { ec2InstanceId: 'i-0abc', postLaunch: { discovered, actions } }));

type Row = { when: string; condition: WaitCondition; server?: ServerView; job?: JobView; now?: Date; then: Outcome | undefined };

const table: Record<WaitCondition['kind'], Row[]> = {
  AGENT: [
    { when: 'MGN knows the server without an agent (DISCOVERED)', condition: { kind: 'AGENT' }, server: serverView(S, { lifeCycle: 'DISCOVERED', replication: { state: 'STOPPED', lagSeconds: null } }), then: undefined },
    { when: 'the agent install is pending', condition: { kind: 'AGENT' }, server: serverView(S, { lifeCycle: 'PENDING_INSTALLATION', replication: { state: 'STOPPED', lagSeconds: null } }), then: undefined },
    { when: 'the agent is in and replication started (NOT_READY)', condition: { kind: 'AGENT' }, server: serverView(S, { lifeCycle: 'NOT_READY', replication: { state: 'INITIATING', lagSeconds: null } }), then: { output: { lifeCycle: 'NOT_READY', replication: 'INITIATING' } } },
    { when: 'MGN does not know the server', condition: { kind: 'AGENT' }, then: undefined },
  ],
  READY_FOR_TEST: [
    { when: 'the initial sync is running (NOT_READY)', condition: { kind: 'READY_FOR_TEST' }, server: serverView(S, { lifeCycle: 'NOT_READY', replication: { state: 'INITIAL_SYNC', lagSeconds: null } }), then: undefined },
    { when: 'the server is READY_FOR_TEST', condition: { kind: 'READY_FOR_TEST' }, server: serverView(S, { lifeCycle: 'READY_FOR_TEST' }), then: { output: { lifeCycle: 'READY_FOR_TEST' } } },
    { when: 'the lifecycle says ready but the lag is null (no launchable snapshot)', condition: { kind: 'READY_FOR_TEST' }, server: serverView(S, { replication: { lagSeconds: null } }), then: undefined },
    { when: 'the server is already past it (TESTING, on a resume)', condition: { kind: 'READY_FOR_TEST' }, server: serverView(S, { lifeCycle: 'TESTING' }), then: { output: { lifeCycle: 'TESTING' } } },
    { when: 'MGN does not know the server', condition: { kind: 'READY_FOR_TEST' }, then: undefined },
  ],
  LAUNCH_RESULT: [
    { when: 'the server is PENDING in the job', condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB }, job: launchJob('STARTED', participant('PENDING')), then: undefined },
    { when: 'the server is IN_PROGRESS in the job', condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB }, job: launchJob('STARTED', participant('IN_PROGRESS')), then: undefined },
    {
      when: 'the server is LAUNCHED',
      condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB },
      job: launchJob('STARTED', participant('LAUNCHED', { ec2InstanceId: 'i-0abc' })),
      then: { output: { jobId: JOB, status: 'LAUNCHED', ec2InstanceId: 'i-0abc' } },
    },
    { when: 'the server FAILED', condition: { kind: 'LAUNCH_RESULT', launch: 'CUTOVER', jobId: JOB }, job: launchJob('STARTED', participant('FAILED')), then: { output: { jobId: JOB, status: 'FAILED' } } },
    {
      when: 'the job COMPLETED with the server still PENDING',
      condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB },
      job: launchJob('COMPLETED', participant('PENDING')),
      then: { output: { jobId: JOB, status: 'FAILED', reason: 'launch ended PENDING' } },
    },
    {
      when: 'only other servers of the job have a result',
      condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB },
      job: launchJob('STARTED', { id: 's-2', launchStatus: 'LAUNCHED', ec2InstanceId: 'i-0def' }, participant('IN_PROGRESS')),
      then: undefined,
    },
    {
      when: 'the job given is another (older) job in which the server LAUNCHED',
      condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB },
      job: jobView(OLD_JOB, [], { status: 'COMPLETED', servers: [participant('LAUNCHED', { ec2InstanceId: 'i-0old' })] }),
      then: undefined,
    },
    { when: 'MGN does not know the job', condition: { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB }, then: undefined },
  ],
  POST_LAUNCH: [
    { when: 'the instance has not finished its first boot (WAITING)', condition: { kind: 'POST_LAUNCH', jobId: JOB }, server: booted('WAITING'), job: withActions(false), then: undefined },
    { when: 'the SSM agent is not discovered yet', condition: { kind: 'POST_LAUNCH', jobId: JOB }, server: booted('SUCCEEDED'), job: withActions(false), then: undefined },
    {
      when: 'an action is IN_PROGRESS',
      condition: { kind: 'POST_LAUNCH', jobId: JOB },
      server: booted('SUCCEEDED'),
      job: withActions(true, { name: 'install-cw-agent', status: 'SUCCESS', mustSucceedForCutover: true }, { name: 'smoke-test', status: 'IN_PROGRESS', mustSucceedForCutover: true }),
      then: undefined,
    },
    {
      when: 'every action succeeded',
      condition: { kind: 'POST_LAUNCH', jobId: JOB },
      server: booted('SUCCEEDED'),
      job: withActions(true, { name: 'install-cw-agent', status: 'SUCCESS', mustSucceedForCutover: true }, { name: 'smoke-test', status: 'SUCCESS', mustSucceedForCutover: false }),
      then: {
        output: {
          jobId: JOB,
          actions: [
            { name: 'install-cw-agent', status: 'SUCCESS' },
            { name: 'smoke-test', status: 'SUCCESS' },
          ],
          mustSucceedFailed: [],
          otherFailed: [],
        },
      },
    },
    {
      when: 'a mustSucceedForCutover action failed',
      condition: { kind: 'POST_LAUNCH', jobId: JOB },
      server: booted('SUCCEEDED'),
      job: withActions(true, { name: 'install-cw-agent', status: 'FAILED', mustSucceedForCutover: true }, { name: 'smoke-test', status: 'SUCCESS', mustSucceedForCutover: false }),
      then: {
        output: {
          jobId: JOB,
          actions: [
            { name: 'install-cw-agent', status: 'FAILED' },
            { name: 'smoke-test', status: 'SUCCESS' },
          ],
          mustSucceedFailed: ['install-cw-agent'],
          otherFailed: [],
        },
      },
    },
    {
      when: 'an optional action failed',
      condition: { kind: 'POST_LAUNCH', jobId: JOB },
      server: booted('SUCCEEDED'),
      job: withActions(true, { name: 'install-cw-agent', status: 'SUCCESS', mustSucceedForCutover: true }, { name: 'smoke-test', status: 'FAILED', mustSucceedForCutover: false }),
      then: {
        output: {
          jobId: JOB,
          actions: [
            { name: 'install-cw-agent', status: 'SUCCESS' },
            { name: 'smoke-test', status: 'FAILED' },
          ],
          mustSucceedFailed: [],
          otherFailed: ['smoke-test'],
        },
      },
    },
    {
      when: 'the instance was launched stopped (launchDisposition STOPPED): no boot to wait for',
      condition: { kind: 'POST_LAUNCH', jobId: JOB },
      server: booted('STOPPED'),
      job: launchJob('COMPLETED', participant('LAUNCHED', { ec2InstanceId: 'i-0abc' })),
      then: { output: { jobId: JOB, firstBoot: 'STOPPED', actions: [], mustSucceedFailed: [], otherFailed: [], note: 'launched stopped (launchDisposition STOPPED): no boot, no post-launch actions' } },
    },
    {
      when: 'no post-launch action is configured and the instance booted',
      condition: { kind: 'POST_LAUNCH', jobId: JOB },
      server: booted('SUCCEEDED'),
      job: launchJob('COMPLETED', participant('LAUNCHED', { ec2InstanceId: 'i-0abc' })),
      then: { output: { jobId: JOB, actions: [], mustSucceedFailed: [], otherFailed: [] } },
    },
  ],
  JOB_DONE: [
    { when: 'the job is STARTED', condition: { kind: 'JOB_DONE', jobId: JOB }, job: launchJob('STARTED', participant('IN_PROGRESS')), then: undefined },
    { when: 'the job is COMPLETED', condition: { kind: 'JOB_DONE', jobId: JOB }, job: launchJob('COMPLETED', participant('LAUNCHED')), then: { output: { jobId: JOB, status: 'COMPLETED' } } },
    { when: 'the job given is another, COMPLETED job', condition: { kind: 'JOB_DONE', jobId: JOB }, job: jobView(OLD_JOB, [S], { status: 'COMPLETED' }), then: undefined },
  ],
  CUTOVER_STATE: [
    { when: 'the server is CUTTING_OVER', condition: { kind: 'CUTOVER_STATE' }, server: serverView(S, { lifeCycle: 'CUTTING_OVER' }), then: undefined },
    { when: 'the server reached CUTOVER', condition: { kind: 'CUTOVER_STATE' }, server: serverView(S, { lifeCycle: 'CUTOVER' }), then: { output: { lifeCycle: 'CUTOVER' } } },
  ],
  UNTIL: [
    { when: 'the instant is still ahead', condition: { kind: 'UNTIL', at: NOW.toISOString(), reason: 'soak' }, now: new Date(NOW.getTime() - 1), then: undefined },
    { when: 'it is the instant', condition: { kind: 'UNTIL', at: NOW.toISOString(), reason: 'soak' }, now: NOW, then: { output: { reached: NOW.toISOString(), reason: 'soak' } } },
    { when: 'the instant has passed', condition: { kind: 'UNTIL', at: NOW.toISOString(), reason: 'soak' }, now: new Date(NOW.getTime() + 3_600_000), then: { output: { reached: NOW.toISOString(), reason: 'soak' } } },
  ],
  READINESS: [
    { when: 'replication is CONTINUOUS, lag under the threshold, no backlog', condition: { kind: 'READINESS', maxLagSeconds: 60 }, server: serverView(S, { replication: { lagSeconds: 30 } }), then: { output: { ready: true } } },
    { when: 'the lag is over the threshold', condition: { kind: 'READINESS', maxLagSeconds: 60 }, server: serverView(S, { replication: { lagSeconds: 61 } }), then: undefined },
    { when: 'there is a backlog', condition: { kind: 'READINESS', maxLagSeconds: 60 }, server: serverView(S, { replication: { backlogBytes: 1 } }), then: undefined },
    { when: 'replication is STALLED', condition: { kind: 'READINESS', maxLagSeconds: 60 }, server: serverView(S, { replication: { state: 'STALLED', error: 'UNSTABLE_NETWORK' } }), then: undefined },
    { when: 'an agentless server is between snapshots, its last one recent enough', condition: { kind: 'READINESS', maxLagSeconds: 300 }, server: serverView(S, { replicationType: 'SNAPSHOT_SHIPPING', replication: { state: 'PENDING_SNAPSHOT_SHIPPING', lagSeconds: 120 } }), then: { output: { ready: true } } },
    { when: 'an agentless server ships a snapshot, its last one recent enough', condition: { kind: 'READINESS', maxLagSeconds: 300 }, server: serverView(S, { replicationType: 'SNAPSHOT_SHIPPING', replication: { state: 'SHIPPING_SNAPSHOT', lagSeconds: 240 } }), then: { output: { ready: true } } },
    { when: "an agentless server's last snapshot is older than the threshold", condition: { kind: 'READINESS', maxLagSeconds: 300 }, server: serverView(S, { replicationType: 'SNAPSHOT_SHIPPING', replication: { state: 'PENDING_SNAPSHOT_SHIPPING', lagSeconds: 301 } }), then: undefined },
    { when: 'an agent-based server is in an agentless state', condition: { kind: 'READINESS', maxLagSeconds: 300 }, server: serverView(S, { replication: { state: 'PENDING_SNAPSHOT_SHIPPING', lagSeconds: 0 } }), then: undefined },
  ],
  LAUNCH_POINT: [
    {
      when: 'MGN shows the server launched (only the launcher resolves it)',
      condition: { kind: 'LAUNCH_POINT', pointId: 'wave1#app1#TEST', launch: 'TEST' },
      server: serverView(S, { lifeCycle: 'TESTING' }),
      job: launchJob('COMPLETED', participant('LAUNCHED')),
      then: undefined,
    },
  ],
  GATE: [
    {
      when: 'MGN shows anything at all (only the decision resolves it)',
      condition: { kind: 'GATE', gateId: 'wave1#app1#SIGNOFF' },
      server: serverView(S, { lifeCycle: 'CUTOVER' }),
      job: launchJob('COMPLETED', participant('LAUNCHED')),
      then: undefined,
    },
  ],
};

describe('evaluate', () => {
  for (const [kind, rows] of Object.entries(table)) {
    describe(kind, () => {
      for (const { when, condition, server, job, now, then } of rows) {
        it(`${then ? 'resolves' : 'does not resolve yet'} when ${when}`, () => {
          expect(evaluate(condition, S, server, job, now ?? NOW)).toEqual(then);
        });
      }
    });
  }
});

describe('readiness', () => {
  it('is ready with no reasons when replication is CONTINUOUS, the lag under the threshold and no backlog', () => {
    expect(readiness(serverView(S, { replication: { lagSeconds: 5 } }), 60)).toEqual({ ready: true, reasons: [] });
  });

  it('names every reason it is not ready, in words for ops', () => {
    const server = serverView(S, { replication: { state: 'STALLED', lagSeconds: 600, backlogBytes: 1024 } });
    expect(readiness(server, 60)).toEqual({ ready: false, reasons: ['replication is STALLED, not CONTINUOUS', 'lag 600s is over 60s', 'backlog 1024 bytes'] });
  });

  it('holds an agentless server whose replication stalled, naming the age of its last snapshot; backlog does not apply', () => {
    const server = serverView(S, { replicationType: 'SNAPSHOT_SHIPPING', replication: { state: 'STALLED', lagSeconds: 900, backlogBytes: 1024 } });
    expect(readiness(server, 300).reasons).toEqual(['agentless replication is STALLED, not PENDING_SNAPSHOT_SHIPPING or SHIPPING_SNAPSHOT', 'last snapshot shipped 900s ago, over 300s']);
  });

  it('says there is no launchable snapshot when the lag is unknown', () => {
    expect(readiness(serverView(S, { replication: { state: 'INITIAL_SYNC', lagSeconds: null } }), 60).reasons).toEqual([
      'replication is INITIAL_SYNC, not CONTINUOUS',
      'no launchable snapshot (lag unknown)',
    ]);
  });
});

// ------------------------------------------------------------------ registerWait

describe('registerWait', () => {
  it('resumes the execution at once, exactly once, and leaves no open wait when the condition already holds', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { lifeCycle: 'READY_FOR_TEST' }));

    const result = await registerWait(deps, aWait(S, { kind: 'READY_FOR_TEST' }, 'tok-1'));

    expect(result).toEqual({ resolvedAtOnce: true });
    expect(deps.callbacks.calls).toEqual([{ kind: 'succeed', token: 'tok-1', output: { lifeCycle: 'READY_FOR_TEST' }, accepted: true }]);
    expect(await deps.waits.get(S)).toBeUndefined();
  });

  it('checks a launch result against the job the wait names', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { lifeCycle: 'TESTING' }));
    deps.mgn.addJob(jobView(JOB, [], { status: 'COMPLETED', servers: [participant('FAILED')] }));

    const result = await registerWait(deps, aWait(S, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB }, 'tok-1'));

    expect(result.resolvedAtOnce).toBe(true);
    expect(deps.callbacks.succeeded).toEqual([{ token: 'tok-1', output: { jobId: JOB, status: 'FAILED' } }]);
    expect(deps.mgn.callsTo('describeJobs')).toEqual([{ op: 'describeJobs', ids: [JOB] }]);
  });

  it('records the wait with its creation time and leaves it open when the condition does not hold yet', async () => {
    const deps = fakeDeps({ start: '2025-03-01T08:00:00.000Z' });
    deps.mgn.addServer(serverView(S, { lifeCycle: 'NOT_READY', replication: { state: 'INITIAL_SYNC', lagSeconds: null } }));

    const result = await registerWait(deps, aWait(S, { kind: 'READY_FOR_TEST' }, 'tok-1'));

    expect(result).toEqual({ resolvedAtOnce: false });
    expect(await deps.waits.get(S)).toEqual({ ...aWait(S, { kind: 'READY_FOR_TEST' }, 'tok-1'), createdAt: '2025-03-01T08:00:00.000Z' });
    expect(deps.callbacks.calls).toEqual([]);
  });
});

// ------------------------------------------------------------------ resolve

describe('resolve', () => {
  it('resumes exactly once when the event router and the reconciler race for the same wait (100 races)', async () => {
    const deps = fakeDeps({ latency: jitter(20250301) });
    const wins = { router: 0, reconciler: 0 };
    for (let i = 0; i < 100; i++) {
      const serverId = `s-race-${i}`;
      const jobId = `mgnjob-race-${i}`;
      deps.mgn.addServer(serverView(serverId, { lifeCycle: 'TESTING' }));
      deps.mgn.addJob(jobView(jobId, [], { status: 'COMPLETED', servers: [{ id: serverId, launchStatus: 'LAUNCHED', ec2InstanceId: `i-${i}` }] }));
      await open(deps, serverId, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId }, `tok-race-${i}`);

      const [routed, reconciled] = await Promise.all([routeEvent(router(deps), launchResult(serverId, 'TEST_LAUNCH_SUCCEEDED', jobId)), reconcile(deps)]);

      expect(Number(routed.resolved) + reconciled.resolved).toBe(1);
      if (routed.resolved) wins.router++;
      else wins.reconciler++;
      expect(deps.callbacks.callsFor(`tok-race-${i}`)).toHaveLength(1);
    }
    expect(deps.callbacks.calls.filter((c) => c.kind === 'succeed')).toHaveLength(100);
    expect(deps.callbacks.succeeded).toHaveLength(100);
    expect(deps.waits.byServer.size).toBe(0);
    // both sides won some races: the interleavings were real
    expect(wins.router).toBeGreaterThan(0);
    expect(wins.reconciler).toBeGreaterThan(0);
  });

  it('resumes once when a duplicated event and the reconciler arrive together', async () => {
    const deps = fakeDeps({ latency: jitter(7) });
    deps.mgn.addJob(jobView(JOB, [], { status: 'COMPLETED', servers: [participant('LAUNCHED', { ec2InstanceId: 'i-0abc' })] }));
    await open(deps, S, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB }, 'tok-1');
    const event = launchResult(S, 'TEST_LAUNCH_SUCCEEDED', JOB);

    await Promise.all([routeEvent(router(deps), event), routeEvent(router(deps), event), reconcile(deps), reconcile(deps)]);

    expect(deps.callbacks.calls).toHaveLength(1);
  });

  it('returns false and resumes nothing the second time', async () => {
    const deps = fakeDeps();
    const wait = await open(deps, S, { kind: 'READY_FOR_TEST' });

    expect(await resolve(deps, wait, { output: { lifeCycle: 'READY_FOR_TEST' } })).toBe(true);
    expect(await resolve(deps, wait, { output: { lifeCycle: 'READY_FOR_TEST' } })).toBe(false);
    expect(deps.callbacks.calls).toHaveLength(1);
  });

  it('fails the task with the error and cause of a failure outcome', async () => {
    const deps = fakeDeps();
    const wait = await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-1');

    await resolve(deps, wait, { error: 'ServerStoppedError', cause: 'replication STOPPED' });

    expect(deps.callbacks.failed).toEqual([{ token: 'tok-1', error: 'ServerStoppedError', cause: 'replication STOPPED' }]);
  });

  it('does not resume a wait that a newer one replaced', async () => {
    const deps = fakeDeps();
    const older = await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-old');
    await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-new');

    expect(await resolve(deps, older, { output: {} })).toBe(false);
    expect(deps.callbacks.calls).toEqual([]);
    expect((await deps.waits.get(S))?.token).toBe('tok-new');
  });

  it('swallows TaskClosedError (the execution moved on) and still counts the wait as taken', async () => {
    const deps = fakeDeps();
    const wait = await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-1');
    deps.callbacks.close('tok-1');

    await expect(resolve(deps, wait, { output: {} })).resolves.toBe(true);
    expect(await deps.waits.get(S)).toBeUndefined();
  });

  it('puts the wait back and rethrows when Step Functions throttled the call (it was not taken)', async () => {
    const deps = fakeDeps();
    const wait = await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-1');
    deps.callbacks.failNextWith(throttled());

    await expect(resolve(deps, wait, { output: {} })).rejects.toBeInstanceOf(TransientError);
    expect((await deps.waits.get(S))?.token).toBe('tok-1');
  });

  it('lets any other callback error propagate, and does not put the wait back (the call may have applied)', async () => {
    const deps = fakeDeps();
    const wait = await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-1');
    deps.callbacks.failNextWith(new TransientError('We encountered an internal error', { name: 'InternalServerException', throttled: false }));

    await expect(resolve(deps, wait, { output: {} })).rejects.toMatchObject({ name: 'InternalServerException' });
    expect(await deps.waits.get(S)).toBeUndefined();
  });
});

// ------------------------------------------------------------------ routeEvent

describe('routeEvent', () => {
  it('resolves a launch-result wait with the result of its own job', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB }, 'tok-1');

    expect(await routeEvent(router(deps), launchResult(S, 'TEST_LAUNCH_FAILED', JOB))).toEqual({ resolved: true });
    expect(deps.callbacks.succeeded).toEqual([{ token: 'tok-1', output: { jobId: JOB, status: 'FAILED', via: 'event' } }]);
  });

  it('never resolves the current wait with the launch result of an older job', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB });

    expect(await routeEvent(router(deps), launchResult(S, 'TEST_LAUNCH_SUCCEEDED', OLD_JOB))).toEqual({ resolved: false });
    expect(deps.callbacks.calls).toEqual([]);
    expect(await deps.waits.get(S)).toBeDefined();
  });

  it('does not resolve a CUTOVER launch wait with a TEST launch result', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'LAUNCH_RESULT', launch: 'CUTOVER', jobId: JOB });

    expect(await routeEvent(router(deps), launchResult(S, 'TEST_LAUNCH_SUCCEEDED', JOB))).toEqual({ resolved: false });
    expect(deps.callbacks.calls).toEqual([]);
    expect(await routeEvent(router(deps), launchResult(S, 'CUTOVER_LAUNCH_SUCCEEDED', JOB))).toEqual({ resolved: true });
  });

  it('resolves once when the same event is delivered twice', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'LAUNCH_RESULT', launch: 'CUTOVER', jobId: JOB }, 'tok-1');
    const event = launchResult(S, 'CUTOVER_LAUNCH_SUCCEEDED', JOB);

    expect((await routeEvent(router(deps), event)).resolved).toBe(true);
    expect((await routeEvent(router(deps), event)).resolved).toBe(false);
    expect(deps.callbacks.calls).toEqual([{ kind: 'succeed', token: 'tok-1', output: { jobId: JOB, status: 'LAUNCHED', via: 'event' }, accepted: true }]);
  });

  it('resolves a READY_FOR_TEST wait on the lifecycle event', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'READY_FOR_TEST' }, 'tok-1');

    expect(await routeEvent(router(deps), readyForTest(S))).toEqual({ resolved: true });
    expect(deps.callbacks.succeeded).toEqual([{ token: 'tok-1', output: { lifeCycle: 'READY_FOR_TEST', via: 'event' } }]);
  });

  it('leaves a wait for something else alone when the lifecycle event arrives', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB });

    expect(await routeEvent(router(deps), readyForTest(S))).toEqual({ resolved: false });
    expect(deps.callbacks.calls).toEqual([]);
  });

  it('does nothing for a server with no open wait', async () => {
    const deps = fakeDeps();
    await open(deps, 's-other', { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB });

    expect(await routeEvent(router(deps), launchResult(S, 'TEST_LAUNCH_SUCCEEDED', JOB))).toEqual({ resolved: false });
    expect(await routeEvent(router(deps), readyForTest(S))).toEqual({ resolved: false });
    expect(deps.callbacks.calls).toEqual([]);
    expect(deps.mgn.calls).toEqual([]);
    expect(deps.waits.byServer.size).toBe(1);
  });

  it('on a stall, reads MGN, opens an episode, tells ops and retries replication up to maxStallRetries, then only tells ops', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { replication: { state: 'STALLED', error: 'UNSTABLE_NETWORK' } }));
    await open(deps, S, { kind: 'READY_FOR_TEST' });

    const actions: (string | undefined)[] = [];
    for (let i = 0; i < 3; i++) {
      deps.mgn.setServer(S, { replication: { state: 'STALLED', error: 'UNSTABLE_NETWORK' } }); // it stalls again
      actions.push((await routeEvent(router(deps, 2), { ...stalled(S), time: deps.clock.iso() })).action);
      // the same event again: MGN now shows the retried replication running, so the episode ends
      actions.push((await routeEvent(router(deps, 2), { ...stalled(S), time: deps.clock.iso() })).action);
      deps.clock.advance(600);
      if (i < 2) expect(deps.mgn.callsTo('retryDataReplication')).toHaveLength(i + 1);
    }

    expect(actions).toEqual(['retried', 'recovered', 'retried', 'recovered', 'notified', 'known']);
    expect(deps.mgn.callsTo('retryDataReplication')).toEqual([
      { op: 'retryDataReplication', ids: [S] },
      { op: 'retryDataReplication', ids: [S] },
    ]);
    expect(deps.notifier.messages).toHaveLength(3);
    expect(deps.notifier.messages[0]).toMatchObject({ subject: `Replication stalled: ${S}`, text: `Data replication of ${S} stalled. MGN says: UNSTABLE_NETWORK.` });
    // three episodes: the retried ones ended as soon as MGN showed replication running again
    const episodes = await deps.stalls.list(S);
    expect(episodes.map((e) => [e.detectedBy, e.endedBy, e.error, e.durationSeconds, e.retriedAt !== undefined])).toEqual([
      ['event', 'event', 'UNSTABLE_NETWORK', 0, true],
      ['event', 'event', 'UNSTABLE_NETWORK', 0, true],
      ['event', undefined, 'UNSTABLE_NETWORK', undefined, false],
    ]);
    expect(await deps.waits.get(S)).toBeDefined();
  });

  it('a STALLED event sent after the retry, while MGN still shows STALLED, is a new stall: the old episode ends, a new one opens', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { replication: { state: 'STALLED', error: 'UNSTABLE_NETWORK' } }));
    const first = { ...stalled(S), time: deps.clock.iso() };
    expect((await routeEvent(router(deps, 3), first)).action).toBe('retried');
    deps.mgn.setServer(S, { replication: { state: 'STALLED', error: 'SNAPSHOTS_FAILURE' } });
    deps.clock.advance(900);
    // a late duplicate of the first event: the same stall
    expect((await routeEvent(router(deps, 3), first)).action).toBe('known');
    expect((await routeEvent(router(deps, 3), { ...stalled(S), time: deps.clock.iso() })).action).toBe('retried');
    const episodes = await deps.stalls.list(S);
    expect(episodes.map((e) => [e.error, e.endedBy, e.durationSeconds])).toEqual([
      ['UNSTABLE_NETWORK', 'restall', 900],
      ['SNAPSHOTS_FAILURE', undefined, undefined],
    ]);
    expect(deps.notifier.messages).toHaveLength(2);
  });

  it('on a stall with no retry budget, only tells ops', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { replication: { state: 'STALLED' } }));

    expect(await routeEvent(router(deps, 0), stalled(S))).toEqual({ resolved: false, action: 'notified' });
    expect(deps.notifier.messages).toHaveLength(1);
    expect(deps.mgn.callsTo('retryDataReplication')).toEqual([]);
  });

  it('follows MGN, not the event: a STALLED event for a server MGN shows replicating does nothing', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { replication: { state: 'CONTINUOUS' } }));

    expect(await routeEvent(router(deps, 2), stalled(S))).toEqual({ resolved: false });
    expect(deps.notifier.messages).toEqual([]);
    expect(deps.mgn.callsTo('retryDataReplication')).toEqual([]);
    expect(await deps.stalls.list(S)).toEqual([]);
  });

  it.each([...AFTER_QUIESCE])('records a stall while the server waits in %s (source quiesced) as evidence: no alert, no retry', async (state) => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { lifeCycle: 'CUTTING_OVER', replication: { state: 'STALLED', error: 'AGENT_NOT_SEEN' } }));
    await deps.waits.put({ ...aWait(S, { kind: 'CUTOVER_STATE' }), state, createdAt: deps.clock.iso() });

    expect(await routeEvent(router(deps, 3), stalled(S))).toEqual({ resolved: false, action: 'evidence' });
    expect(deps.notifier.messages).toEqual([]);
    expect(deps.mgn.callsTo('retryDataReplication')).toEqual([]);
    expect(deps.dedupe.markers.size).toBe(0);
    expect(await deps.stalls.list(S)).toMatchObject([{ serverId: S, error: 'AGENT_NOT_SEEN', evidenceOnly: true, detectedBy: 'event' }]);
    expect(await deps.waits.get(S)).toBeDefined();
  });

  it('alerts on a stall while the server waits before the go/no-go (source not quiesced)', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { lifeCycle: 'TESTING', replication: { state: 'STALLED' } }));
    await deps.waits.put({ ...aWait(S, { kind: 'GATE', gateId: 'wave1#app1#SIGNOFF' }), state: 'SignoffGate', createdAt: deps.clock.iso() });

    expect(await routeEvent(router(deps, 3), stalled(S))).toEqual({ resolved: false, action: 'retried' });
    expect(deps.notifier.messages).toHaveLength(1);
  });

  it('does nothing on NOT_STALLED', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'READY_FOR_TEST' });

    // MGN does not know the server: nothing to follow
    expect(await routeEvent(router(deps, 3), stalled(S, 'NOT_STALLED'))).toEqual({ resolved: false });
    expect(deps.notifier.messages).toEqual([]);
    expect(deps.mgn.calls.map((c) => c.op)).toEqual(['describeServers']);
    expect(deps.callbacks.calls).toEqual([]);
    expect(deps.dedupe.markers.size).toBe(0);
    expect(await deps.waits.get(S)).toBeDefined();
  });

  it('ignores an event whose resource is not a source-server ARN', async () => {
    const deps = fakeDeps();
    await open(deps, S, { kind: 'READY_FOR_TEST' });

    expect(await routeEvent(router(deps), { ...readyForTest(S), resources: [] })).toEqual({ resolved: false });
    expect(deps.callbacks.calls).toEqual([]);
  });
});

// ------------------------------------------------------------------ reconcile

describe('reconcile', () => {
  it('polls the servers of 450 open waits in 3 DescribeSourceServers calls of at most 200 ids, and nothing for UNTIL waits', async () => {
    const deps = fakeDeps();
    for (let i = 0; i < 450; i++) {
      const id = `s-${String(i).padStart(3, '0')}`;
      deps.mgn.addServer(serverView(id, { lifeCycle: 'NOT_READY', replication: { state: 'INITIAL_SYNC', lagSeconds: null } }));
      await open(deps, id, { kind: 'READY_FOR_TEST' });
    }
    for (let i = 0; i < 20; i++) await open(deps, `s-soak-${i}`, { kind: 'UNTIL', at: '2025-03-15T00:00:00.000Z', reason: 'soak' });

    const result = await reconcile(deps);

    expect(result).toEqual({ open: 470, resolved: 0, serverCalls: 3, jobCalls: 0 });
    expect(deps.mgn.callsTo('describeServers').map((c) => c.ids.length)).toEqual([200, 200, 50]);
    expect(deps.mgn.callsTo('describeServers').flatMap((c) => c.ids)).not.toContain('s-soak-0');
    expect(deps.mgn.callsTo('describeJobs')).toEqual([]);
  });

  it('resolves UNTIL waits from the clock alone', async () => {
    const deps = fakeDeps({ start: '2025-03-15T00:00:00.000Z' });
    await open(deps, S, { kind: 'UNTIL', at: '2025-03-14T23:59:59.000Z', reason: 'soak' }, 'tok-1');

    expect(await reconcile(deps)).toEqual({ open: 1, resolved: 1, serverCalls: 0, jobCalls: 0 });
    expect(deps.callbacks.succeeded).toEqual([{ token: 'tok-1', output: { reached: '2025-03-14T23:59:59.000Z', reason: 'soak' } }]);
    expect(deps.mgn.calls).toEqual([]);
  });

  it('describes each job once, however many waits name it, and no servers for launch results and job waits', async () => {
    const deps = fakeDeps();
    deps.mgn.addJob(jobView(JOB, ['s-1', 's-2', 's-3'], { status: 'STARTED' }));
    deps.mgn.addJob(jobView('mgnjob-terminate', ['s-4'], { type: 'TERMINATE', initiatedBy: 'TERMINATE', status: 'STARTED' }));
    for (const id of ['s-1', 's-2', 's-3']) await open(deps, id, { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: JOB });
    await open(deps, 's-4', { kind: 'JOB_DONE', jobId: 'mgnjob-terminate' });

    expect(await reconcile(deps)).toEqual({ open: 4, resolved: 0, serverCalls: 0, jobCalls: 1 });
    expect(deps.mgn.callsTo('describeJobs')).toEqual([{ op: 'describeJobs', ids: [JOB, 'mgnjob-terminate'] }]);
  });

  it('never polls MGN for waits at a launch point or a gate', async () => {
    const deps = fakeDeps();
    await open(deps, 's-1', { kind: 'LAUNCH_POINT', pointId: 'wave1#app1#TEST', launch: 'TEST' });
    await open(deps, 's-2', { kind: 'GATE', gateId: 'wave1#app1#SIGNOFF' });

    expect(await reconcile(deps)).toEqual({ open: 2, resolved: 0, serverCalls: 0, jobCalls: 0 });
    expect(deps.mgn.calls).toEqual([]);
  });

  it('with the stall watch but no sweep this run: parked servers are not read, so no stall and no drift is reported until the sweep', async () => {
    const deps = fakeDeps({ start: '2025-03-01T08:00:00.000Z' });
    const watch = { stalls: deps.stalls, notifier: deps.notifier, onceKey: deps.onceKey, maxStallRetries: 2, mgn: deps.mgn };
    deps.mgn.addServer(serverView(S, { lifeCycle: 'TESTING', replication: { state: 'STALLED', error: 'UNSTABLE_NETWORK', lagSeconds: 120 } }));
    await open(deps, S, { kind: 'GATE', gateId: 'wave1#app1#SIGNOFF#1' });

    expect(await reconcile(deps, { ...watch, sweepParked: false })).toEqual({ open: 1, resolved: 0, serverCalls: 0, jobCalls: 0, stalls: {}, drifted: 0 });
    expect(deps.mgn.calls).toEqual([]);
    expect(deps.notifier.messages).toEqual([]);
    // the sweep run reads it
    expect((await reconcile(deps, { ...watch, sweepParked: true })).stalls).toEqual({ retried: 1 });
  });

  it('with the stall watch: finds a stall whose event was lost, tells ops, retries, and closes the episode when MGN shows it over', async () => {
    const deps = fakeDeps({ start: '2025-03-01T08:00:00.000Z' });
    const watch = { stalls: deps.stalls, notifier: deps.notifier, onceKey: deps.onceKey, maxStallRetries: 2, mgn: deps.mgn };
    deps.mgn.addServer(serverView(S, { lifeCycle: 'TESTING', replication: { state: 'STALLED', error: 'FAILED_TO_BOOT_REPLICATION_SERVER', failedStep: 'BOOT_REPLICATION_SERVER', lagSeconds: 120 } }));
    await open(deps, S, { kind: 'GATE', gateId: 'wave1#app1#SIGNOFF#1' });

    expect((await reconcile(deps, watch)).stalls).toEqual({ retried: 1 });
    expect(deps.notifier.messages).toMatchObject([{ subject: `Replication stalled: ${S}`, text: expect.stringContaining('the reconciler found it in MGN') }]);
    expect(deps.mgn.callsTo('retryDataReplication')).toEqual([{ op: 'retryDataReplication', ids: [S] }]);
    // the next run sees replication running again (its not-stalled event lost too): the episode ends
    deps.clock.advance(300);
    expect((await reconcile(deps, watch)).stalls).toEqual({ recovered: 1 });
    expect(await deps.stalls.list(S)).toMatchObject([
      { detectedBy: 'reconcile', endedBy: 'reconcile', durationSeconds: 300, error: 'FAILED_TO_BOOT_REPLICATION_SERVER', failedStep: 'BOOT_REPLICATION_SERVER', alerted: true, retriedAt: '2025-03-01T08:00:00.000Z' },
    ]);
    // and nothing more: one alert, one retry
    expect((await reconcile(deps, watch)).stalls).toEqual({});
    expect(deps.notifier.messages).toHaveLength(1);
  });

  it('makes no call at all when no wait is open', async () => {
    const deps = fakeDeps();

    expect(await reconcile(deps)).toEqual({ open: 0, resolved: 0, serverCalls: 0, jobCalls: 0 });
    expect(deps.mgn.calls).toEqual([]);
  });

  it('resolves the satisfied waits and leaves the others open', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView('s-ready', { lifeCycle: 'READY_FOR_TEST' }));
    deps.mgn.addServer(serverView('s-syncing', { lifeCycle: 'NOT_READY', replication: { state: 'INITIAL_SYNC', lagSeconds: null } }));
    deps.mgn.addServer(serverView('s-finalized', { lifeCycle: 'CUTOVER' }));
    deps.mgn.addServer(serverView('s-finalizing', { lifeCycle: 'CUTTING_OVER' }));
    deps.mgn.addJob(jobView('mgnjob-done', [], { status: 'COMPLETED', servers: [{ id: 's-launched', launchStatus: 'LAUNCHED', ec2InstanceId: 'i-1' }] }));
    deps.mgn.addJob(jobView('mgnjob-running', ['s-launching'], { status: 'STARTED' }));
    await open(deps, 's-ready', { kind: 'READY_FOR_TEST' }, 'tok-ready');
    await open(deps, 's-syncing', { kind: 'READY_FOR_TEST' }, 'tok-syncing');
    await open(deps, 's-finalized', { kind: 'CUTOVER_STATE' }, 'tok-finalized');
    await open(deps, 's-finalizing', { kind: 'CUTOVER_STATE' }, 'tok-finalizing');
    await open(deps, 's-launched', { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: 'mgnjob-done' }, 'tok-launched');
    await open(deps, 's-launching', { kind: 'LAUNCH_RESULT', launch: 'TEST', jobId: 'mgnjob-running' }, 'tok-launching');

    const result = await reconcile(deps);

    expect(result).toMatchObject({ open: 6, resolved: 3 });
    expect(deps.callbacks.succeeded.map((c) => c.token).sort()).toEqual(['tok-finalized', 'tok-launched', 'tok-ready']);
    expect([...deps.waits.byServer.keys()].sort()).toEqual(['s-finalizing', 's-launching', 's-syncing']);
  });

  it('resolves, at the next run, a wait whose event was dropped', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(S, { lifeCycle: 'NOT_READY', replication: { state: 'INITIAL_SYNC', lagSeconds: null } }));
    await registerWait(deps, aWait(S, { kind: 'READY_FOR_TEST' }, 'tok-1'));
    expect(await reconcile(deps)).toMatchObject({ resolved: 0 });

    // the initial sync finishes; MGN's lifecycle event is lost (best effort)
    deps.mgn.setServer(S, { lifeCycle: 'READY_FOR_TEST', replication: { state: 'CONTINUOUS', lagSeconds: 0 } });

    expect(await reconcile(deps)).toMatchObject({ resolved: 1 });
    expect(deps.callbacks.succeeded).toEqual([{ token: 'tok-1', output: { lifeCycle: 'READY_FOR_TEST' } }]);
    expect(await reconcile(deps)).toEqual({ open: 0, resolved: 0, serverCalls: 0, jobCalls: 0 });
  });
});

describe('reconcile under a throttled MGN', () => {
  it('a batch MGN refuses is left for the next run; the other batches resolve, and no parked server is taken for one MGN forgot', async () => {
    const deps = fakeDeps();
    const watch = { stalls: deps.stalls, notifier: deps.notifier, onceKey: deps.onceKey, maxStallRetries: 2, mgn: deps.mgn };
    // a server parked in the soak: with its batch unread it must not look like one MGN no longer knows
    deps.mgn.addServer(serverView('s-000a', { lifeCycle: 'TESTING' }));
    await deps.waits.put({ serverId: 's-000a', executionArn: 'arn:x', state: 'Soak', token: 'tok-soak', condition: { kind: 'GATE', gateId: 'g' }, createdAt: '2025-03-01T00:00:00.000Z' });
    for (let i = 0; i < 250; i++) {
      const id = `s-${String(i).padStart(3, '0')}`;
      deps.mgn.addServer(serverView(id, { lifeCycle: 'READY_FOR_TEST', replication: { state: 'CONTINUOUS', lagSeconds: 0 } }));
      await open(deps, id, { kind: 'READY_FOR_TEST' }, `tok-${i}`);
    }
    deps.mgn.failNext('describeServers', throttled());
    const r = await reconcile(deps, watch);
    expect(r).toMatchObject({ open: 251, resolved: 51, serverCalls: 2, failedCalls: 1, drifted: 0 });
    expect(deps.notifier.messages.filter((m) => m.subject.startsWith('Changed in MGN'))).toEqual([]);
    // the next run reads the rest
    expect(await reconcile(deps, watch)).toMatchObject({ open: 200, resolved: 199, drifted: 0 });
  });

  it('allParts runs every part whatever the others met, then names what failed', async () => {
    const ran: string[] = [];
    const err = await allParts({
      waits: async () => {
        ran.push('waits');
        throw throttled();
      },
      launchPoints: async () => {
        ran.push('launchPoints');
        return { launched: 1 };
      },
    }).catch((e: unknown) => e);
    expect(ran).toEqual(['waits', 'launchPoints']);
    expect(err).toBeInstanceOf(PartsFailedError);
    expect((err as PartsFailedError).results).toEqual({ launchPoints: { launched: 1 } });
    expect((err as Error).message).toBe('reconcile: waits failed (ThrottlingException: Rate exceeded); the other parts ran');
    expect(await allParts({ a: async () => 1 })).toEqual({ a: 1 });
  });
});

