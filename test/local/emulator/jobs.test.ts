import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  type Job,
  type JobLog,
  type MgnClient,
  type ParticipatingServer,
  PutSourceServerActionCommand,
  type SourceServer,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  UpdateLaunchConfigurationCommand,
  paginateDescribeJobLogItems,
  paginateDescribeJobs,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { HOURS, control, useEmulator } from '../../helpers/emulator.ts';

type Emu = Awaited<ReturnType<ReturnType<typeof useEmulator>>>;

const INSTANCE_ID = /^i-[0-9a-f]{17}$/;

async function serverOf(mgn: MgnClient, id: string): Promise<SourceServer> {
  const s = (await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }))).items?.[0];
  if (!s) throw new Error(`source server ${id} not found`);
  return s;
}

async function jobOf(mgn: MgnClient, jobID: string): Promise<Job> {
  const j = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }))).items?.[0];
  if (!j) throw new Error(`job ${jobID} not found`);
  return j;
}

async function logOf(mgn: MgnClient, jobID: string, pageSize?: number): Promise<JobLog[]> {
  const out: JobLog[] = [];
  const pages = paginateDescribeJobLogItems({ client: mgn, ...(pageSize ? { pageSize } : {}) }, { jobID });
  for await (const page of pages) out.push(...(page.items ?? []));
  return out;
}

/** Advance simulated time `stepS` at a time until `done` holds (at most `maxS`); returns its last value. */
async function until<T>(env: Emu, read: () => Promise<T>, done: (v: T) => boolean, stepS: number, maxS = 6 * HOURS): Promise<T> {
  for (let waited = 0; ; waited += stepS) {
    const v = await read();
    if (done(v)) return v;
    if (waited >= maxS) throw new Error(`condition not reached within ${maxS} simulated seconds`);
    await env.advance(stepS);
  }
}

const completed = (env: Emu, jobID: string, stepS = 60) => until(env, () => jobOf(env.mgn, jobID), (j) => j.status === 'COMPLETED', stepS);

const participant = (j: Job, id: string): ParticipatingServer => {
  const p = j.participatingServers?.find((x) => x.sourceServerID === id);
  if (!p) throw new Error(`${id} is not in job ${j.jobID}`);
  return p;
};

/** Keeps the distinct successive values of a series (what a poller would see change). */
function changes<T>(values: T[]): T[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}

const clockNow = async (env: Emu) => (await control<{ now: string }>(env.emu.endpoint, '/clock')).body.now;

describe('emulator jobs', () => {
  const start = useEmulator();
  const ready = (servers = 1) => start({ servers, start: 'ready-for-test' });

  it('moves a launch job PENDING → STARTED → COMPLETED and each server PENDING → IN_PROGRESS → LAUNCHED', async () => {
    const env = await ready(2);
    const ids = await env.ids();
    const calledAt = await clockNow(env);
    const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: ids, tags: { wave: 'w1' } }));
    const jobID = r.job?.jobID as string;
    expect(r.job).toMatchObject({
      jobID: expect.stringMatching(/^mgnjob-[0-9a-f]{17}$/),
      arn: `arn:aws:mgn:us-east-1:111122223333:job/${jobID}`,
      type: 'LAUNCH',
      initiatedBy: 'START_TEST',
      status: 'PENDING',
      creationDateTime: calledAt,
      tags: { wave: 'w1' },
      participatingServers: ids.map((sourceServerID) => ({ sourceServerID, launchStatus: 'PENDING' })),
    });
    expect(r.job?.endDateTime).toBeUndefined();

    const seen: Job[] = [];
    await until(
      env,
      async () => {
        const j = await jobOf(env.mgn, jobID);
        seen.push(j);
        return j;
      },
      (j) => j.status === 'COMPLETED',
      10,
    );
    expect(changes(seen.map((j) => j.status))).toEqual(['PENDING', 'STARTED', 'COMPLETED']);
    for (const id of ids) {
      expect(changes(seen.map((j) => participant(j, id).launchStatus))).toEqual(['PENDING', 'IN_PROGRESS', 'LAUNCHED']);
    }
    const last = seen[seen.length - 1] as Job;
    const beforeLast = seen[seen.length - 2] as Job;
    expect(beforeLast.endDateTime).toBeUndefined();
    expect(Date.parse(last.endDateTime as string)).toBeGreaterThan(Date.parse(calledAt) + 5 * 60_000);
    expect(Date.parse(last.endDateTime as string)).toBeLessThanOrEqual(Date.parse(await clockNow(env)));
    const instances = ids.map((id) => participant(last, id).launchedEc2InstanceID);
    for (const i of instances) expect(i).toMatch(INSTANCE_ID);
    expect(new Set(instances).size).toBe(2);
    // while STARTED no server had an instance id yet; it appears with LAUNCHED
    for (const j of seen.filter((x) => x.status !== 'COMPLETED')) {
      for (const p of j.participatingServers ?? []) {
        if (p.launchStatus !== 'LAUNCHED') expect(p.launchedEc2InstanceID).toBeUndefined();
      }
    }
  });

  it('gives the source server a launchedInstance whose firstBoot goes WAITING → SUCCEEDED', async () => {
    const env = await ready();
    const [id] = (await env.ids()) as [string];
    const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    expect((await serverOf(env.mgn, id)).launchedInstance).toBeUndefined();
    const job = await completed(env, r.job?.jobID as string, 10);

    const li = (await serverOf(env.mgn, id)).launchedInstance;
    expect(li).toEqual({ ec2InstanceID: participant(job, id).launchedEc2InstanceID, jobID: job.jobID, firstBoot: 'WAITING' });
    const booted = await until(env, () => serverOf(env.mgn, id), (s) => s.launchedInstance?.firstBoot !== 'WAITING', 10, HOURS);
    expect(booted.launchedInstance).toEqual({ ...li, firstBoot: 'SUCCEEDED' });
  });

  it('logs JOB_START, SNAPSHOT_START/END, CONVERSION_START/END, LAUNCH_START and JOB_END in order', async () => {
    const env = await ready();
    const [id] = (await env.ids()) as [string];
    const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    const job = await completed(env, r.job?.jobID as string);

    const log = await logOf(env.mgn, job.jobID as string, 2);
    expect(log.map((l) => l.event)).toEqual([
      'JOB_START',
      'SNAPSHOT_START',
      'SNAPSHOT_END',
      'CONVERSION_START',
      'CONVERSION_END',
      'LAUNCH_START',
      'JOB_END',
    ]);
    const times = log.map((l) => Date.parse(l.logDateTime as string));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times[0]).toBeGreaterThanOrEqual(Date.parse(job.creationDateTime as string));
    expect(log[log.length - 1]?.logDateTime).toBe(job.endDateTime);
    for (const l of log.slice(1, -1)) expect(l.eventData?.sourceServerID).toBe(id);
    const conversion = log.filter((l) => l.event?.startsWith('CONVERSION_')).map((l) => l.eventData?.conversionServerID);
    expect(conversion[0]).toMatch(INSTANCE_ID);
    expect(conversion[1]).toBe(conversion[0]);
    const launchStart = log.find((l) => l.event === 'LAUNCH_START');
    expect(launchStart?.eventData?.targetInstanceID).toBe(participant(job, id).launchedEc2InstanceID);
    expect(launchStart?.eventData?.targetInstanceID).not.toBe(conversion[0]);
  });

  it('reports a failed launch as launchStatus FAILED in a job that still ends COMPLETED', async () => {
    const env = await ready(2);
    const [bad, good] = (await env.ids()) as [string, string];
    expect((await control(env.emu.endpoint, `/servers/${bad}/inject`, { failNextLaunch: true })).status).toBe(200);
    const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [bad, good] }));
    const jobID = r.job?.jobID as string;
    const statuses: string[] = [];
    const job = await until(
      env,
      async () => {
        const j = await jobOf(env.mgn, jobID);
        statuses.push(j.status as string);
        return j;
      },
      (j) => j.status === 'COMPLETED',
      30,
    );
    expect(changes(statuses)).toEqual(['PENDING', 'STARTED', 'COMPLETED']);
    expect(participant(job, bad).launchStatus).toBe('FAILED');
    expect(participant(job, bad).launchedEc2InstanceID).toBeUndefined();
    expect(participant(job, good).launchStatus).toBe('LAUNCHED');

    const failures = (await logOf(env.mgn, jobID)).filter((l) => l.event === 'CONVERSION_FAIL' || l.event === 'LAUNCH_FAILED');
    expect(failures).toHaveLength(1);
    expect(failures[0]?.eventData?.sourceServerID).toBe(bad);
    expect(failures[0]?.eventData?.rawError).toEqual(expect.any(String));
    expect((await serverOf(env.mgn, bad)).launchedInstance).toBeUndefined();
    expect((await serverOf(env.mgn, bad)).lifeCycle?.state).toBe('TESTING');

    const results = env.events
      .filter((e) => e['detail-type'] === 'MGN Source Server Launch Result')
      .map((e) => [e.resources[0]?.split('/')[1], e.detail.state, e.detail['job-id']]);
    expect(results).toEqual(
      expect.arrayContaining([
        [bad, 'TEST_LAUNCH_FAILED', jobID],
        [good, 'TEST_LAUNCH_SUCCEEDED', jobID],
      ]),
    );
    expect(results).toHaveLength(2);

    // the injection is used up: the next launch of the same server succeeds
    const again = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [bad] }));
    expect(participant(await completed(env, again.job?.jobID as string), bad).launchStatus).toBe('LAUNCHED');
  });

  it('runs source server actions after the job COMPLETED: IN_PROGRESS, then SUCCESS', async () => {
    const env = await ready();
    const [id] = (await env.ids()) as [string];
    await env.mgn.send(
      new PutSourceServerActionCommand({
        sourceServerID: id,
        actionID: 'install-agent',
        actionName: 'Install CloudWatch agent',
        documentIdentifier: 'AWS-ConfigureAWSPackage',
        order: 1001,
        parameters: { name: [{ parameterType: 'STRING', parameterName: '/mgn/cw-agent-package' }] },
      }),
    );
    const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    const jobID = r.job?.jobID as string;
    const done = await completed(env, jobID, 10);
    expect(participant(done, id).postLaunchActionsStatus).toBeUndefined();

    const running = await until(env, () => jobOf(env.mgn, jobID), (j) => participant(j, id).postLaunchActionsStatus !== undefined, 10, HOURS);
    expect(running.status).toBe('COMPLETED');
    const list = participant(running, id).postLaunchActionsStatus?.postLaunchActionsLaunchStatusList ?? [];
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      ssmDocument: { actionName: 'Install CloudWatch agent', ssmDocumentName: 'AWS-ConfigureAWSPackage' },
      ssmDocumentType: expect.stringMatching(/^(AUTOMATION|COMMAND)$/),
      executionStatus: 'IN_PROGRESS',
    });

    await env.advance(HOURS);
    const finished = participant(await jobOf(env.mgn, jobID), id).postLaunchActionsStatus;
    expect(finished?.ssmAgentDiscoveryDatetime).toEqual(expect.any(String));
    expect(finished?.postLaunchActionsLaunchStatusList).toEqual([
      expect.objectContaining({ executionStatus: 'SUCCESS', executionID: expect.any(String) }),
    ]);
    expect(finished?.postLaunchActionsLaunchStatusList?.[0]?.failureReason).toBeUndefined();
  });

  it('runs post-launch actions (ssmDocuments and source server actions) only in the launches their deployment names', async () => {
    const env = await ready(2);
    const [testOnly, cutoverOnly] = (await env.ids()) as [string, string];
    for (const [id, deployment] of [
      [testOnly, 'TEST_ONLY'],
      [cutoverOnly, 'CUTOVER_ONLY'],
    ] as const) {
      await env.mgn.send(
        new UpdateLaunchConfigurationCommand({
          sourceServerID: id,
          postLaunchActions: {
            deployment,
            ssmDocuments: [{ actionName: 'smoke-test', ssmDocumentName: 'Custom-SmokeTest', timeoutSeconds: 600, mustSucceedForCutover: false }],
          },
        }),
      );
      await env.mgn.send(
        new PutSourceServerActionCommand({ sourceServerID: id, actionID: 'tag-it', actionName: 'tag-it', documentIdentifier: 'Custom-Tag', order: 1001 }),
      );
    }
    const actionsAfter = async (cmd: StartTestCommand | StartCutoverCommand) => {
      const r = await env.mgn.send(cmd as StartTestCommand);
      const jobID = r.job?.jobID as string;
      await completed(env, jobID);
      await env.advance(HOURS);
      const j = await jobOf(env.mgn, jobID);
      return (id: string) =>
        (participant(j, id).postLaunchActionsStatus?.postLaunchActionsLaunchStatusList ?? []).map((x) => [x.ssmDocument?.actionName, x.executionStatus]);
    };

    const test = await actionsAfter(new StartTestCommand({ sourceServerIDs: [testOnly, cutoverOnly] }));
    expect(test(testOnly)).toEqual([
      ['smoke-test', 'SUCCESS'],
      ['tag-it', 'SUCCESS'],
    ]);
    // MGN's post-launch settings: the deployment option covers every post-launch action of the server
    expect(test(cutoverOnly)).toEqual([]);

    for (const id of [testOnly, cutoverOnly]) {
      await env.mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    }
    const cutover = await actionsAfter(new StartCutoverCommand({ sourceServerIDs: [testOnly, cutoverOnly] }));
    expect(cutover(testOnly)).toEqual([]);
    expect(cutover(cutoverOnly)).toEqual([
      ['smoke-test', 'SUCCESS'],
      ['tag-it', 'SUCCESS'],
    ]);
  });

  it('marks an injected post-launch action FAILED with a failureReason and lets the others succeed', async () => {
    const env = await ready();
    const [id] = (await env.ids()) as [string];
    await env.mgn.send(
      new UpdateLaunchConfigurationCommand({
        sourceServerID: id,
        postLaunchActions: { deployment: 'TEST_AND_CUTOVER', ssmDocuments: [{ actionName: 'smoke-test', ssmDocumentName: 'Custom-SmokeTest' }] },
      }),
    );
    await env.mgn.send(
      new PutSourceServerActionCommand({ sourceServerID: id, actionID: 'tag-it', actionName: 'tag-it', documentIdentifier: 'Custom-Tag', order: 1001 }),
    );
    expect((await control(env.emu.endpoint, `/servers/${id}/inject`, { failPostLaunchAction: 'smoke-test' })).status).toBe(200);
    const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    const jobID = r.job?.jobID as string;
    await completed(env, jobID);
    await env.advance(HOURS);
    const job = await jobOf(env.mgn, jobID);
    expect(job.status).toBe('COMPLETED');
    expect(participant(job, id).launchStatus).toBe('LAUNCHED');
    const list = participant(job, id).postLaunchActionsStatus?.postLaunchActionsLaunchStatusList ?? [];
    expect(list.map((x) => [x.ssmDocument?.actionName, x.executionStatus])).toEqual([
      ['smoke-test', 'FAILED'],
      ['tag-it', 'SUCCESS'],
    ]);
    expect(list[0]?.failureReason).toEqual(expect.stringMatching(/\S/));
    expect(list[1]?.failureReason).toBeUndefined();
  });

  it('runs TerminateTargetInstances as a TERMINATE job that ends TERMINATED and removes launchedInstance', async () => {
    const env = await ready();
    const [id] = (await env.ids()) as [string];
    const t = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    await completed(env, t.job?.jobID as string);
    const instance = (await serverOf(env.mgn, id)).launchedInstance?.ec2InstanceID;
    expect(instance).toMatch(INSTANCE_ID);
    await env.mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));

    const r = await env.mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [id] }));
    expect(r.$metadata.httpStatusCode).toBe(202);
    expect(r.job).toMatchObject({
      type: 'TERMINATE',
      initiatedBy: 'TERMINATE',
      status: 'PENDING',
      participatingServers: [{ sourceServerID: id, launchStatus: 'PENDING' }],
    });
    const jobID = r.job?.jobID as string;
    const seen: string[] = [];
    const job = await until(
      env,
      async () => {
        const j = await jobOf(env.mgn, jobID);
        seen.push(participant(j, id).launchStatus as string);
        return j;
      },
      (j) => j.status === 'COMPLETED',
      5,
      HOURS,
    );
    expect(changes(seen)).toEqual(['PENDING', 'IN_PROGRESS', 'TERMINATED']);
    expect(participant(job, id).launchedEc2InstanceID).toBe(instance);
    expect(job.endDateTime).toEqual(expect.any(String));
    expect(Date.parse(job.endDateTime as string) - Date.parse(job.creationDateTime as string)).toBeLessThanOrEqual(5 * 60_000);

    const log = await logOf(env.mgn, jobID);
    expect(log.map((l) => [l.event, l.eventData?.targetInstanceID])).toEqual([
      ['JOB_START', undefined],
      ['CLEANUP_START', instance],
      ['CLEANUP_END', instance],
      ['JOB_END', undefined],
    ]);
    const s = await serverOf(env.mgn, id);
    expect(s.launchedInstance).toBeUndefined();
    expect(s.lifeCycle?.state).toBe('READY_FOR_CUTOVER');
  });

  it('lists jobs latest first in DescribeJobs, across pages too', async () => {
    const env = await ready(3);
    const ids = await env.ids();
    const created: string[] = [];
    for (const id of ids) {
      const r = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
      created.push(r.job?.jobID as string);
      await env.advance(90);
    }
    const latestFirst = [...created].reverse();
    const listed = (await env.mgn.send(new DescribeJobsCommand({}))).items ?? [];
    expect(listed.map((j) => j.jobID)).toEqual(latestFirst);
    const times = listed.map((j) => Date.parse(j.creationDateTime as string));
    expect(times[0]).toBeGreaterThan(times[1] as number);
    expect(times[1]).toBeGreaterThan(times[2] as number);

    const paged: string[] = [];
    for await (const page of paginateDescribeJobs({ client: env.mgn, pageSize: 1 }, {})) {
      expect(page.items).toHaveLength(1);
      paged.push(...(page.items ?? []).map((j) => j.jobID as string));
    }
    expect(paged).toEqual(latestFirst);

    // completing does not reorder: the order is by creation time
    await env.advance(2 * HOURS);
    const after = (await env.mgn.send(new DescribeJobsCommand({}))).items ?? [];
    expect(after.map((j) => [j.jobID, j.status])).toEqual(latestFirst.map((j) => [j, 'COMPLETED']));
  });
});
