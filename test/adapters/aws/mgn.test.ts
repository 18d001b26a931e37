import { DescribeSourceServersCommand, MgnClient, PutSourceServerActionCommand, UpdateLaunchConfigurationCommand } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { createMgnPort, parseIsoDuration, toJobView, toServerView, writeRetryStrategy } from '../../../src/adapters/aws/mgn.ts';
import type { JobView, MgnPort } from '../../../src/ports.ts';
import { MgnConflictError } from '../../../src/core/errors.ts';
import { HOURS, control, useEmulator } from '../../helpers/emulator.ts';

type Emu = Awaited<ReturnType<ReturnType<typeof useEmulator>>>;

/** Advance simulated time `stepS` at a time until `done` holds. */
async function until<T>(env: Emu, read: () => Promise<T>, done: (v: T) => boolean, stepS = 30, maxS = 6 * HOURS): Promise<T> {
  for (let waited = 0; ; waited += stepS) {
    const v = await read();
    if (done(v)) return v;
    if (waited >= maxS) throw new Error(`condition not reached within ${maxS} simulated seconds`);
    await env.advance(stepS);
  }
}

const job = async (port: MgnPort, id: string): Promise<JobView> => {
  const [j] = await port.describeJobs([id]);
  if (!j) throw new Error(`job ${id} not found`);
  return j;
};
const server = async (port: MgnPort, id: string) => {
  const [s] = await port.describeServers([id]);
  if (!s) throw new Error(`server ${id} not found`);
  return s;
};
const requests = async (env: Emu, operation: string) =>
  (await control<{ requests: { operation: string; sourceServerIDs?: string[]; attempt: number }[] }>(env.emu.endpoint, `/requests?operation=${operation}`)).body.requests;

describe('parseIsoDuration', () => {
  it.each([
    ['P0D', 0],
    ['PT0S', 0],
    ['PT1H2M3.5S', 3723.5],
    ['P1DT2H', 93_600],
    ['PT90S', 90],
    ['PT0.25S', 0.25],
    ['P2W', 1_209_600],
    ['P1D', 86_400],
    ['PT1,5S', 1.5],
  ])('reads %s as %d seconds', (text, seconds) => {
    expect(parseIsoDuration(text)).toBe(seconds);
  });

  it.each(['', 'P', 'PT', 'P1DT', '1H', 'PT1H2', 'P-1D', 'P1H'])('refuses %j, naming it', (text) => {
    expect(() => parseIsoDuration(text)).toThrow(/not ISO-8601/);
  });
});

describe('toServerView and toJobView', () => {
  it('reads the documented field sample: empty lifecycle sub-objects, lag, backlog across disks, hostname', () => {
    const view = toServerView({
      sourceServerID: 's-13a5b49c3810fa449',
      isArchived: false,
      dataReplicationInfo: {
        dataReplicationState: 'CONTINUOUS',
        lagDuration: 'P0D',
        replicatedDisks: [
          { deviceName: '/dev/xvda', backloggedStorageBytes: 5 },
          { deviceName: '/dev/xvdb', backloggedStorageBytes: 7 },
          { deviceName: '/dev/xvdc' },
        ],
      },
      launchedInstance: { ec2InstanceID: 'i-00dc9c253fa179036', firstBoot: 'SUCCEEDED', jobID: 'mgnjob-113f80bf2819a725e' },
      lifeCycle: {
        state: 'READY_FOR_CUTOVER',
        lastCutover: { finalized: {}, initiated: {}, reverted: {} },
        lastTest: { finalized: {}, initiated: { apiCallDateTime: '2022-08-31T15:42:30.904212+00:00', jobID: 'mgnjob-113f80bf2819a725e' }, reverted: {} },
      },
      sourceProperties: { identificationHints: { hostname: 'ip-172-31-22-187' } },
    });
    expect(view).toEqual({
      id: 's-13a5b49c3810fa449',
      hostname: 'ip-172-31-22-187',
      isArchived: false,
      lifeCycle: 'READY_FOR_CUTOVER',
      replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 12 },
      lastTest: { jobId: 'mgnjob-113f80bf2819a725e', initiatedAt: '2022-08-31T15:42:30.904212+00:00' },
      lastCutover: {},
      launchedInstance: { ec2InstanceId: 'i-00dc9c253fa179036', jobId: 'mgnjob-113f80bf2819a725e', firstBoot: 'SUCCEEDED' },
    });
    // no undefined keys: the view serialises as it compares
    expect(JSON.parse(JSON.stringify(view))).toEqual(view);
  });

  it('reads a finalized server: no lag (null), replication DISCONNECTED, finalizedAt', () => {
    const view = toServerView({
      sourceServerID: 's-1',
      dataReplicationInfo: { dataReplicationState: 'DISCONNECTED', dataReplicationError: { error: 'AGENT_NOT_SEEN' } },
      lifeCycle: { state: 'CUTOVER', lastCutover: { initiated: { jobID: 'mgnjob-2', apiCallDateTime: 'a' }, finalized: { apiCallDateTime: 'b' } } },
    });
    expect(view.replication).toEqual({ state: 'DISCONNECTED', lagSeconds: null, backlogBytes: 0, error: 'AGENT_NOT_SEEN' });
    expect(view.lastCutover).toEqual({ jobId: 'mgnjob-2', initiatedAt: 'a', finalizedAt: 'b' });
  });

  it('defaults mustSucceedForCutover to true and reads a missing execution status as still running', () => {
    const view = toJobView({
      jobID: 'mgnjob-1',
      type: 'LAUNCH',
      initiatedBy: 'START_TEST',
      status: 'COMPLETED',
      creationDateTime: '2026-01-05T08:00:00.000Z',
      participatingServers: [
        {
          sourceServerID: 's-1',
          launchStatus: 'LAUNCHED',
          launchedEc2InstanceID: 'i-1',
          postLaunchActionsStatus: {
            postLaunchActionsLaunchStatusList: [{ ssmDocument: { actionName: 'a', ssmDocumentName: 'A' } }, { ssmDocument: { actionName: 'b', ssmDocumentName: 'B', mustSucceedForCutover: false }, executionStatus: 'FAILED', failureReason: 'x' }],
          },
        },
        { sourceServerID: 's-2' },
      ],
    });
    expect(view.servers).toEqual([
      {
        id: 's-1',
        launchStatus: 'LAUNCHED',
        ec2InstanceId: 'i-1',
        postLaunch: {
          discovered: false,
          actions: [
            { name: 'a', status: 'IN_PROGRESS', mustSucceedForCutover: true },
            { name: 'b', status: 'FAILED', mustSucceedForCutover: false, failureReason: 'x' },
          ],
        },
      },
      { id: 's-2', launchStatus: 'PENDING' },
    ]);
  });
});

describe('createMgnPort on the MGN emulator', () => {
  const start = useEmulator();

  it('maps a ready server as MGN reports it: READY_FOR_TEST, CONTINUOUS, lag "P0D" -> 0, backlog summed over disks', async () => {
    const env = await start({ servers: 2, start: 'ready-for-test' });
    const port = createMgnPort(env.mgn);
    const raw = await env.all();
    const ids = raw.map((s) => s.sourceServerID as string);
    await control(env.emu.endpoint, `/servers/${ids[1]}/inject`, { backlogBytes: 3 * 1024 ** 3 });
    const views = await port.describeServers(ids);
    expect(views.map((v) => v.id).sort()).toEqual([...ids].sort());
    const [a, b] = [views.find((v) => v.id === ids[0]), views.find((v) => v.id === ids[1])];
    expect(raw[0]?.dataReplicationInfo?.lagDuration).toBe('P0D');
    expect(a).toMatchObject({ lifeCycle: 'READY_FOR_TEST', isArchived: false, replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 }, lastTest: {}, lastCutover: {} });
    expect(a?.hostname).toBe(raw[0]?.sourceProperties?.identificationHints?.hostname);
    const rawB = (await env.mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [ids[1] as string] } }))).items?.[0];
    const disks = rawB?.dataReplicationInfo?.replicatedDisks ?? [];
    expect(b?.replication.backlogBytes).toBe(disks.reduce((n, d) => n + (d.backloggedStorageBytes ?? 0), 0));
    expect(b?.replication.backlogBytes).toBeGreaterThan(0);
  });

  it('reports no lag (null) for a server still in initial sync', async () => {
    const env = await start({ servers: 1, start: 'agent-installed' });
    const port = createMgnPort(env.mgn);
    const [id] = (await env.ids()) as [string];
    expect((await server(port, id)).replication.lagSeconds).toBeNull();
    expect((await server(port, id)).lifeCycle).toBe('NOT_READY');
  });

  it("shows a stalled server's lag growing with time, its error, and RetryDataReplication's answer", async () => {
    const env = await start({ servers: 1, start: 'ready-for-test', faults: { stallRecoverAfterS: 0 } });
    const port = createMgnPort(env.mgn);
    const [id] = (await env.ids()) as [string];
    expect((await control(env.emu.endpoint, `/servers/${id}/inject`, { stall: 'UNSTABLE_NETWORK' })).status).toBe(200);
    await env.advance(600);
    const first = await server(port, id);
    expect(first.replication).toMatchObject({ state: 'STALLED', error: 'UNSTABLE_NETWORK' });
    expect(first.replication.lagSeconds).toBeGreaterThanOrEqual(600);
    await env.advance(3 * HOURS);
    const later = await server(port, id);
    expect(later.replication.lagSeconds).toBeCloseTo((first.replication.lagSeconds as number) + 3 * HOURS, 0);
    const retried = await port.retryDataReplication(id);
    expect(retried.id).toBe(id);
    expect(retried.replication.state).not.toBe('STALLED');
  });

  it('starts a test and reads its job: launch, instance, post-launch actions with mustSucceedForCutover and failures', async () => {
    const env = await start({ servers: 2, start: 'ready-for-test' });
    const port = createMgnPort(env.mgn);
    const [a, b] = (await env.ids()) as [string, string];
    for (const id of [a, b]) {
      await env.mgn.send(
        new UpdateLaunchConfigurationCommand({
          sourceServerID: id,
          postLaunchActions: { deployment: 'TEST_AND_CUTOVER', ssmDocuments: [{ actionName: 'smoke-test', ssmDocumentName: 'Custom-SmokeTest', mustSucceedForCutover: false }] },
        }),
      );
      await env.mgn.send(new PutSourceServerActionCommand({ sourceServerID: id, actionID: 'validate', actionName: 'validate', documentIdentifier: 'Custom-Validate', order: 1001 }));
    }
    await control(env.emu.endpoint, `/servers/${b}/inject`, { failPostLaunchAction: 'validate' });

    const { jobId } = await port.startTest([a, b]);
    expect(jobId).toMatch(/^mgnjob-/);
    const pending = await job(port, jobId);
    expect(pending).toMatchObject({ id: jobId, type: 'LAUNCH', initiatedBy: 'START_TEST', status: expect.stringMatching(/PENDING|STARTED/) });
    expect(pending.servers.map((s) => s.id).sort()).toEqual([a, b].sort());
    expect(Date.parse(pending.createdAt)).not.toBeNaN();

    const done = await until(env, () => job(port, jobId), (j) => j.status === 'COMPLETED');
    for (const p of done.servers) expect(p).toMatchObject({ launchStatus: 'LAUNCHED', ec2InstanceId: expect.stringMatching(/^i-/) });
    const tested = await server(port, a);
    expect(tested).toMatchObject({ lifeCycle: 'TESTING', lastTest: { jobId, initiatedAt: expect.any(String) }, launchedInstance: { jobId, ec2InstanceId: done.servers[0]?.ec2InstanceId ?? expect.any(String) } });

    const started = await until(env, () => job(port, jobId), (j) => j.servers.every((p) => p.postLaunch !== undefined), 10);
    expect(started.servers[0]?.postLaunch?.actions.map((x) => x.status)).toEqual(['IN_PROGRESS', 'IN_PROGRESS']);
    const finished = await until(env, () => job(port, jobId), (j) => j.servers.every((p) => p.postLaunch?.actions.every((x) => x.status !== 'IN_PROGRESS')), 60);
    const of = (id: string) => finished.servers.find((p) => p.id === id)?.postLaunch;
    expect(of(a)).toEqual({
      discovered: true,
      actions: [
        { name: 'smoke-test', status: 'SUCCESS', mustSucceedForCutover: false },
        { name: 'validate', status: 'SUCCESS', mustSucceedForCutover: true },
      ],
    });
    expect(of(b)?.actions).toEqual([
      { name: 'smoke-test', status: 'SUCCESS', mustSucceedForCutover: false },
      { name: 'validate', status: 'FAILED', mustSucceedForCutover: true, failureReason: expect.stringMatching(/\S/) },
    ]);
    expect((await server(port, a)).launchedInstance?.firstBoot).toBe('SUCCEEDED');
  });

  it('walks the lifecycle through the mutating calls to CUTOVER and archived', async () => {
    const env = await start({ servers: 1, start: 'ready-for-test' });
    const port = createMgnPort(env.mgn);
    const [id] = (await env.ids()) as [string];
    const test = await port.startTest([id]);
    await until(env, () => job(port, test.jobId), (j) => j.status === 'COMPLETED');
    expect((await port.changeLifeCycleState(id, 'READY_FOR_CUTOVER')).lifeCycle).toBe('READY_FOR_CUTOVER');
    const term = await port.terminateTargetInstances([id]);
    const terminated = await until(env, () => job(port, term.jobId), (j) => j.status === 'COMPLETED');
    expect(terminated).toMatchObject({ type: 'TERMINATE', initiatedBy: 'TERMINATE', servers: [{ id, launchStatus: 'TERMINATED' }] });
    const cut = await port.startCutover([id]);
    await until(env, () => job(port, cut.jobId), (j) => j.status === 'COMPLETED');
    expect(await server(port, id)).toMatchObject({ lifeCycle: 'CUTTING_OVER', lastTest: { jobId: test.jobId }, lastCutover: { jobId: cut.jobId, initiatedAt: expect.any(String) } });
    const finalized = await port.finalizeCutover(id);
    expect(finalized).toMatchObject({ lifeCycle: 'CUTOVER', replication: { lagSeconds: null }, lastCutover: { jobId: cut.jobId, finalizedAt: expect.any(String) } });
    expect((await port.markAsArchived(id)).isArchived).toBe(true);
  });

  it('reads 450 servers in chunks of at most 200 ids, and reads nothing for no ids', async () => {
    const env = await start({ servers: 450, start: 'ready-for-test' });
    const port = createMgnPort(env.mgn);
    const ids = await env.ids();
    const before = (await requests(env, 'DescribeSourceServers')).length;
    expect(await port.describeServers([])).toEqual([]);
    expect(await port.describeJobs([])).toEqual([]);
    expect((await requests(env, 'DescribeSourceServers')).length).toBe(before);
    const views = await port.describeServers([...ids, ...ids.slice(0, 10)]);
    expect(new Set(views.map((v) => v.id))).toEqual(new Set(ids));
    expect(views).toHaveLength(450);
    const calls = (await requests(env, 'DescribeSourceServers')).slice(before);
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const c of calls) expect(c.sourceServerIDs?.length ?? 0).toBeLessThanOrEqual(200);
  });

  it('lists jobs created since a time, newest first, across pages', async () => {
    const env = await start({ servers: 3, start: 'ready-for-test' });
    const port = createMgnPort(env.mgn);
    const [a, b, c] = (await env.ids()) as [string, string, string];
    const first = await port.startTest([a]);
    await env.advance(HOURS);
    const since = new Date(env.emu.clock.now()).toISOString();
    await env.advance(60);
    const second = await port.startTest([b]);
    await env.advance(60);
    const third = await port.startTest([c]);
    const jobs = await port.jobsSince(since);
    expect(jobs.map((j) => j.id)).toEqual([third.jobId, second.jobId]);
    expect((await port.jobsSince('2020-01-01T00:00:00.000Z')).map((j) => j.id)).toEqual([third.jobId, second.jobId, first.jobId]);
  });

  it("translates MGN's refusals into MgnConflictError and rethrows the other errors as the SDK raised them", async () => {
    const env = await start({ servers: 1, start: 'agent-installed' });
    const port = createMgnPort(env.mgn);
    const [id] = (await env.ids()) as [string];
    await expect(port.startTest([id])).rejects.toBeInstanceOf(MgnConflictError);
    await expect(port.changeLifeCycleState('s-0000000000000000f', 'READY_FOR_CUTOVER')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(port.markAsArchived(id)).rejects.toMatchObject({ name: expect.stringMatching(/MgnConflictError|ValidationException/) });
  });

  const writeClient = (endpoint: string) =>
    new MgnClient({ region: 'us-east-1', endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }, retryStrategy: writeRetryStrategy({ baseDelayMs: 1 }) });

  it("sends a write once when MGN applied it and answered an error: what happened is the core's to read", async () => {
    const env = await start({ servers: 1, start: 'ready-for-test' });
    const write = writeClient(env.emu.endpoint);
    try {
      const port = createMgnPort(env.mgn, { writeClient: write });
      const [id] = (await env.ids()) as [string];
      const since = new Date(env.emu.clock.now()).toISOString();
      await control(env.emu.endpoint, '/errors', { type: 'InternalServerException', operation: 'StartTest', afterCommit: true });
      await expect(port.startTest([id])).rejects.toMatchObject({ name: 'InternalServerException', throttled: false });
      expect((await requests(env, 'StartTest')).length).toBe(1);
      const jobs = await port.jobsSince(since);
      expect(jobs).toHaveLength(1);
      expect(jobs[0]?.servers.map((s) => s.id)).toEqual([id]);
    } finally {
      write.destroy();
    }
  });

  it('retries a write MGN throttled (it was not applied) and gives up after four attempts', async () => {
    const env = await start({ servers: 2, start: 'ready-for-test' });
    const write = writeClient(env.emu.endpoint);
    try {
      const port = createMgnPort(env.mgn, { writeClient: write });
      const [a, b] = (await env.ids()) as [string, string];
      await control(env.emu.endpoint, '/errors', { type: 'ThrottlingException', operation: 'StartTest', count: 2 });
      const { jobId } = await port.startTest([a]);
      expect((await job(port, jobId)).servers.map((s) => s.id)).toEqual([a]);
      expect((await requests(env, 'StartTest')).map((r) => r.attempt)).toEqual([1, 2, 3]);
      await control(env.emu.endpoint, '/errors', { type: 'ThrottlingException', operation: 'StartTest', count: 4 });
      await expect(port.startTest([b])).rejects.toMatchObject({ name: 'ThrottlingException', throttled: true, $metadata: { attempts: 4 } });
    } finally {
      write.destroy();
    }
  });
});
