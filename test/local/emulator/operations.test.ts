import {
  ArchiveApplicationCommand,
  ArchiveWaveCommand,
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  ChangeServerLifeCycleStateCommand,
  type ChangeServerLifeCycleStateSourceServerLifecycleState,
  ConflictException,
  CreateApplicationCommand,
  CreateWaveCommand,
  DeleteApplicationCommand,
  DeleteWaveCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeLaunchConfigurationTemplatesCommand,
  DescribeReplicationConfigurationTemplatesCommand,
  DescribeSourceServersCommand,
  DisassociateApplicationsCommand,
  DisassociateSourceServersCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  GetLaunchConfigurationCommand,
  GetReplicationConfigurationCommand,
  InitializeServiceCommand,
  type LifeCycleState,
  ListApplicationsCommand,
  ListSourceServerActionsCommand,
  ListWavesCommand,
  MarkAsArchivedCommand,
  type MgnClient,
  PauseReplicationCommand,
  PutSourceServerActionCommand,
  RemoveSourceServerActionCommand,
  ResourceNotFoundException,
  ResumeReplicationCommand,
  RetryDataReplicationCommand,
  ServiceQuotaExceededException,
  type SourceServer,
  StartCutoverCommand,
  StartReplicationCommand,
  StartTestCommand,
  StopReplicationCommand,
  TerminateTargetInstancesCommand,
  UnarchiveApplicationCommand,
  UnarchiveWaveCommand,
  UpdateApplicationCommand,
  UpdateLaunchConfigurationCommand,
  type UpdateLaunchConfigurationCommandInput,
  UpdateWaveCommand,
  ValidationException,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { HOURS, control, useEmulator } from '../../helpers/emulator.ts';

const UNKNOWN_SERVER = 's-0123456789abcdef0';
const MINUTES = 60;

async function rejects<E extends Error>(call: Promise<unknown>, type: abstract new (...args: never[]) => E): Promise<E> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  return err as E;
}

async function describeServer(mgn: MgnClient, id: string): Promise<SourceServer> {
  const items = (await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }))).items ?? [];
  expect(items).toHaveLength(1);
  return items[0] as SourceServer;
}

async function idsWhere(mgn: MgnClient, filters: ConstructorParameters<typeof DescribeSourceServersCommand>[0]['filters']): Promise<string[]> {
  return ((await mgn.send(new DescribeSourceServersCommand({ filters }))).items ?? []).map((s) => s.sourceServerID as string);
}

async function changeState(mgn: MgnClient, sourceServerID: string, state: ChangeServerLifeCycleStateSourceServerLifecycleState) {
  return mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID, lifeCycle: { state } }));
}

describe('MGN emulator operations', () => {
  const start = useEmulator();

  describe('DescribeSourceServers', () => {
    it('filters by sourceServerIDs, isArchived, replicationTypes, lifeCycleStates and applicationIDs', async () => {
      const { mgn, ids } = await start({ servers: 4, start: 'ready-for-test' });
      const [a, b, c, d] = (await ids()) as [string, string, string, string];

      expect(await idsWhere(mgn, { sourceServerIDs: [c, a] })).toEqual([a, c]);

      await mgn.send(new DisconnectFromServiceCommand({ sourceServerID: d }));
      await mgn.send(new MarkAsArchivedCommand({ sourceServerID: d }));
      expect(await idsWhere(mgn, { isArchived: true })).toEqual([d]);
      expect(await idsWhere(mgn, { isArchived: false })).toEqual([a, b, c]);

      expect(await idsWhere(mgn, { replicationTypes: ['AGENT_BASED'] })).toEqual([a, b, c, d]);
      expect(await idsWhere(mgn, { replicationTypes: ['SNAPSHOT_SHIPPING'] })).toEqual([]);

      await mgn.send(new StartTestCommand({ sourceServerIDs: [b] }));
      expect(await idsWhere(mgn, { lifeCycleStates: ['TESTING'] })).toEqual([b]);
      expect(await idsWhere(mgn, { lifeCycleStates: ['READY_FOR_TEST', 'DISCONNECTED'] })).toEqual([a, c, d]);

      const app = await mgn.send(new CreateApplicationCommand({ name: 'billing' }));
      await mgn.send(new AssociateSourceServersCommand({ applicationID: app.applicationID, sourceServerIDs: [a, c] }));
      expect(await idsWhere(mgn, { applicationIDs: [app.applicationID as string] })).toEqual([a, c]);

      expect(await idsWhere(mgn, { isArchived: false, lifeCycleStates: ['READY_FOR_TEST'], applicationIDs: [app.applicationID as string] })).toEqual([a, c]);
    });

    it('throws ValidationException when a filter holds a value outside its enum', async () => {
      const { mgn } = await start({ servers: 1 });
      const e = await rejects(
        mgn.send(new DescribeSourceServersCommand({ filters: { lifeCycleStates: ['BOGUS' as LifeCycleState] } })),
        ValidationException,
      );
      expect(e.fieldList?.[0]?.name).toBe('filters.lifeCycleStates.0');
    });
  });

  describe('test, cutover and finalize', () => {
    it('launches a test, marks it ready for cutover, cuts over and finalizes', async () => {
      const { mgn, ids, advance } = await start({ servers: 2, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];

      const test = (await mgn.send(new StartTestCommand({ sourceServerIDs: [a], tags: { run: 't1' } }))).job;
      expect(test).toMatchObject({ type: 'LAUNCH', initiatedBy: 'START_TEST', status: 'PENDING', tags: { run: 't1' } });
      expect(test?.participatingServers).toEqual([{ sourceServerID: a, launchStatus: 'PENDING' }]);
      expect((await describeServer(mgn, a)).lifeCycle?.state).toBe('TESTING');

      await advance(1 * HOURS);
      const [tested] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [test?.jobID as string] } }))).items ?? [];
      expect(tested?.status).toBe('COMPLETED');
      expect(tested?.endDateTime).toBeDefined();
      expect(tested?.participatingServers?.[0]?.launchStatus).toBe('LAUNCHED');
      const afterTest = await describeServer(mgn, a);
      expect(afterTest.lifeCycle?.state).toBe('TESTING');
      expect(afterTest.lifeCycle?.lastTest?.initiated?.jobID).toBe(test?.jobID);
      expect(afterTest.launchedInstance?.ec2InstanceID).toBe(tested?.participatingServers?.[0]?.launchedEc2InstanceID);

      const ready = await changeState(mgn, a, 'READY_FOR_CUTOVER');
      expect(ready.lifeCycle?.state).toBe('READY_FOR_CUTOVER');
      expect(ready.lifeCycle?.lastTest?.finalized?.apiCallDateTime).toBeDefined();

      const cutover = (await mgn.send(new StartCutoverCommand({ sourceServerIDs: [a] }))).job;
      expect(cutover).toMatchObject({ type: 'LAUNCH', initiatedBy: 'START_CUTOVER', status: 'PENDING' });
      await advance(1 * HOURS);
      const cutting = await describeServer(mgn, a);
      expect(cutting.lifeCycle?.state).toBe('CUTTING_OVER');
      expect(cutting.lifeCycle?.lastCutover?.initiated?.jobID).toBe(cutover?.jobID);
      expect(cutting.launchedInstance?.jobID).toBe(cutover?.jobID);

      const finalized = await mgn.send(new FinalizeCutoverCommand({ sourceServerID: a }));
      expect(finalized.lifeCycle?.state).toBe('CUTOVER');
      expect(finalized.lifeCycle?.lastCutover?.finalized?.apiCallDateTime).toBeDefined();
      expect(finalized.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
      expect(finalized.dataReplicationInfo?.lagDuration).toBeUndefined();
      expect(finalized.launchedInstance?.ec2InstanceID).toBe(cutting.launchedInstance?.ec2InstanceID);
    });

    it('throws ConflictException when a server is launched from the wrong lifecycle state or while in a job', async () => {
      const { mgn, ids } = await start({ servers: 2, start: 'ready-for-test' });
      const [a, b] = (await ids()) as [string, string];
      await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }));
      const busy = await rejects(mgn.send(new StartTestCommand({ sourceServerIDs: [a] })), ConflictException);
      expect(busy.code).toBe('SOURCE_SERVER_IN_ACTIVE_JOB');
      const fromTesting = await rejects(mgn.send(new StartCutoverCommand({ sourceServerIDs: [a] })), ConflictException);
      expect(fromTesting).toMatchObject({ code: 'INVALID_LIFECYCLE_STATE', resourceId: a });
      const finalize = await rejects(mgn.send(new FinalizeCutoverCommand({ sourceServerID: b })), ConflictException);
      expect(finalize).toMatchObject({ code: 'INVALID_LIFECYCLE_STATE', resourceId: b });
      expect((await describeServer(mgn, b)).lifeCycle?.state).toBe('READY_FOR_TEST');
    });

    it('throws ConflictException when a server is not launchable yet', async () => {
      const { mgn, ids } = await start({ servers: 1 });
      const [a] = (await ids()) as [string];
      const e = await rejects(mgn.send(new StartTestCommand({ sourceServerIDs: [a] })), ConflictException);
      expect(e.code).toBe('INVALID_LIFECYCLE_STATE');
      expect(e.message).toMatch(/NOT_READY/);
    });
  });

  describe('ChangeServerLifeCycleState', () => {
    it('moves READY_FOR_TEST to READY_FOR_CUTOVER and reverts it to READY_FOR_TEST', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      expect((await changeState(mgn, a, 'READY_FOR_CUTOVER')).lifeCycle?.state).toBe('READY_FOR_CUTOVER');
      const reverted = await changeState(mgn, a, 'READY_FOR_TEST');
      expect(reverted.lifeCycle?.state).toBe('READY_FOR_TEST');
      expect(reverted.lifeCycle?.lastTest?.reverted?.apiCallDateTime).toBeDefined();
    });

    it('throws ConflictException for CUTOVER without a cutover launch and ValidationException for a state it cannot set', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      const conflict = await rejects(changeState(mgn, a, 'CUTOVER'), ConflictException);
      expect(conflict.resourceId).toBe(a);
      await rejects(changeState(mgn, a, 'TESTING' as ChangeServerLifeCycleStateSourceServerLifecycleState), ValidationException);
      await rejects(changeState(mgn, UNKNOWN_SERVER, 'READY_FOR_TEST'), ResourceNotFoundException);
    });
  });

  describe('DescribeJobs and DescribeJobLogItems', () => {
    it('lists jobs latest first and filters by jobIDs and by date range', async () => {
      const { mgn, ids, advance } = await start({ servers: 3, start: 'ready-for-test' });
      const jobs: { jobID: string; creationDateTime: string }[] = [];
      for (const id of await ids()) {
        const job = (await mgn.send(new StartTestCommand({ sourceServerIDs: [id] }))).job;
        jobs.push({ jobID: job?.jobID as string, creationDateTime: job?.creationDateTime as string });
        await advance(10 * MINUTES);
      }
      const [j1, j2, j3] = jobs as [(typeof jobs)[number], (typeof jobs)[number], (typeof jobs)[number]];
      const list = async (filters?: ConstructorParameters<typeof DescribeJobsCommand>[0]['filters']) =>
        ((await mgn.send(new DescribeJobsCommand({ ...(filters ? { filters } : {}) }))).items ?? []).map((j) => j.jobID);

      expect(await list()).toEqual([j3.jobID, j2.jobID, j1.jobID]);
      expect(await list({ jobIDs: [j1.jobID, j3.jobID] })).toEqual([j3.jobID, j1.jobID]);
      expect(await list({ fromDate: j2.creationDateTime })).toEqual([j3.jobID, j2.jobID]);
      expect(await list({ toDate: j2.creationDateTime })).toEqual([j2.jobID, j1.jobID]);
      expect(await list({ fromDate: j2.creationDateTime, toDate: j2.creationDateTime })).toEqual([j2.jobID]);
      expect(await list({ jobIDs: ['mgnjob-0123456789abcdef0'] })).toEqual([]);
    });

    it('throws ValidationException for a date that is not ISO-8601', async () => {
      const { mgn } = await start({ servers: 1 });
      const e = await rejects(mgn.send(new DescribeJobsCommand({ filters: { fromDate: 'yesterday' } })), ValidationException);
      expect(e.fieldList?.[0]?.name).toBe('filters.fromDate');
    });

    it('returns a launch job log from JOB_START to JOB_END in time order', async () => {
      const { mgn, ids, advance } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      const jobID = (await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }))).job?.jobID as string;
      expect((await mgn.send(new DescribeJobLogItemsCommand({ jobID }))).items).toEqual([]);
      await advance(1 * HOURS);
      const items = (await mgn.send(new DescribeJobLogItemsCommand({ jobID }))).items ?? [];
      expect(items.map((i) => i.event)).toEqual([
        'JOB_START',
        'SNAPSHOT_START',
        'SNAPSHOT_END',
        'CONVERSION_START',
        'CONVERSION_END',
        'LAUNCH_START',
        'JOB_END',
      ]);
      const times = items.map((i) => Date.parse(i.logDateTime as string));
      expect([...times].sort((x, y) => x - y)).toEqual(times);
      expect(items.find((i) => i.event === 'LAUNCH_START')?.eventData).toMatchObject({ sourceServerID: a, targetInstanceID: expect.stringMatching(/^i-/) });
      expect(items.find((i) => i.event === 'CONVERSION_START')?.eventData?.conversionServerID).toMatch(/^i-/);

      const firstPage = await mgn.send(new DescribeJobLogItemsCommand({ jobID, maxResults: 3 }));
      expect(firstPage.items?.map((i) => i.event)).toEqual(['JOB_START', 'SNAPSHOT_START', 'SNAPSHOT_END']);
      expect(firstPage.nextToken).toBeDefined();
    });

    it('throws ValidationException for a malformed job id', async () => {
      const { mgn } = await start({ servers: 1 });
      const e = await rejects(mgn.send(new DescribeJobLogItemsCommand({ jobID: 'job-1' })), ValidationException);
      expect(e.fieldList?.[0]?.name).toBe('jobID');
    });
  });

  describe('TerminateTargetInstances', () => {
    it('terminates the launched test instance once the server is ready for cutover', async () => {
      const { mgn, ids, advance } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }));
      await advance(1 * HOURS);
      const instance = (await describeServer(mgn, a)).launchedInstance?.ec2InstanceID;
      expect(instance).toMatch(/^i-/);

      const rejected = await rejects(mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [a] })), ConflictException);
      expect(rejected).toMatchObject({ code: 'INVALID_LIFECYCLE_STATE', resourceId: a });

      await changeState(mgn, a, 'READY_FOR_CUTOVER');
      const job = (await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [a] }))).job;
      expect(job).toMatchObject({ type: 'TERMINATE', initiatedBy: 'TERMINATE', status: 'PENDING' });
      await advance(10 * MINUTES);
      const [done] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [job?.jobID as string] } }))).items ?? [];
      expect(done?.status).toBe('COMPLETED');
      expect(done?.participatingServers?.[0]).toMatchObject({ launchStatus: 'TERMINATED', launchedEc2InstanceID: instance });
      expect((await describeServer(mgn, a)).launchedInstance).toBeUndefined();
      const log = (await mgn.send(new DescribeJobLogItemsCommand({ jobID: job?.jobID as string }))).items ?? [];
      expect(log.map((i) => i.event)).toEqual(['JOB_START', 'CLEANUP_START', 'CLEANUP_END', 'JOB_END']);
      expect(log[1]?.eventData?.targetInstanceID).toBe(instance);
    });
  });

  describe('MarkAsArchived and DisconnectFromService', () => {
    it('disconnects a server, then archives it', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      const disconnected = await mgn.send(new DisconnectFromServiceCommand({ sourceServerID: a }));
      expect(disconnected.lifeCycle?.state).toBe('DISCONNECTED');
      expect(disconnected.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
      expect(disconnected.dataReplicationInfo?.lagDuration).toBeUndefined();
      const archived = await mgn.send(new MarkAsArchivedCommand({ sourceServerID: a }));
      expect(archived.isArchived).toBe(true);
      expect(archived.lifeCycle?.state).toBe('DISCONNECTED');
    });

    it('throws ConflictException when archiving a replicating server or disconnecting twice', async () => {
      const { mgn, ids } = await start({ servers: 2, start: 'ready-for-test' });
      const [a, b] = (await ids()) as [string, string];
      const archive = await rejects(mgn.send(new MarkAsArchivedCommand({ sourceServerID: a })), ConflictException);
      expect(archive).toMatchObject({ code: 'INVALID_LIFECYCLE_STATE', resourceId: a });
      expect((await describeServer(mgn, a)).isArchived).toBe(false);
      await mgn.send(new DisconnectFromServiceCommand({ sourceServerID: b }));
      const twice = await rejects(mgn.send(new DisconnectFromServiceCommand({ sourceServerID: b })), ConflictException);
      expect(twice.code).toBe('ALREADY_DISCONNECTED');
      await rejects(mgn.send(new DisconnectFromServiceCommand({ sourceServerID: UNKNOWN_SERVER })), ResourceNotFoundException);
    });
  });

  describe('replication control', () => {
    it('retries a stalled replication and refuses to retry a healthy one', async () => {
      const { emu, mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      const healthy = await rejects(mgn.send(new RetryDataReplicationCommand({ sourceServerID: a })), ValidationException);
      expect(healthy.message).toMatch(/CONTINUOUS/);

      const injected = await control(emu.endpoint, `/servers/${a}/inject`, { stall: 'UNSTABLE_NETWORK' });
      expect(injected.status).toBe(200);
      const stalled = await describeServer(mgn, a);
      expect(stalled.dataReplicationInfo?.dataReplicationState).toBe('STALLED');
      expect(stalled.dataReplicationInfo?.dataReplicationError?.error).toBe('UNSTABLE_NETWORK');

      const retried = await mgn.send(new RetryDataReplicationCommand({ sourceServerID: a }));
      expect(retried.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
      expect(retried.dataReplicationInfo?.dataReplicationError).toBeUndefined();
    });

    it('pauses and resumes replication, refusing a second pause and a resume of a running server', async () => {
      const { mgn, ids, advance } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      await rejects(mgn.send(new ResumeReplicationCommand({ sourceServerID: a })), ConflictException);
      const paused = await mgn.send(new PauseReplicationCommand({ sourceServerID: a }));
      expect(paused.dataReplicationInfo?.dataReplicationState).toBe('PAUSED');
      const again = await rejects(mgn.send(new PauseReplicationCommand({ sourceServerID: a })), ConflictException);
      expect(again.code).toBe('INVALID_REPLICATION_STATE');
      const resumed = await mgn.send(new ResumeReplicationCommand({ sourceServerID: a }));
      expect(resumed.dataReplicationInfo?.dataReplicationState).toBe('RESCAN');
      await advance(30 * MINUTES);
      expect((await describeServer(mgn, a)).dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
    });

    it('stops and restarts replication, refusing a second stop and a start of a running server', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      await rejects(mgn.send(new StartReplicationCommand({ sourceServerID: a })), ConflictException);
      const stopped = await mgn.send(new StopReplicationCommand({ sourceServerID: a }));
      expect(stopped.dataReplicationInfo?.dataReplicationState).toBe('STOPPED');
      const again = await rejects(mgn.send(new StopReplicationCommand({ sourceServerID: a })), ConflictException);
      expect(again.code).toBe('INVALID_REPLICATION_STATE');
      const started = await mgn.send(new StartReplicationCommand({ sourceServerID: a }));
      expect(started.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    });

    it('throws ServiceQuotaExceededException when starting replication beyond Max Active Source Servers', async () => {
      const { mgn, all } = await start({ servers: 3, start: 'ready-for-test', quotas: { maxActiveSourceServers: 2 } });
      const servers = await all();
      expect(servers.map((s) => s.dataReplicationInfo?.dataReplicationState)).toEqual(['CONTINUOUS', 'CONTINUOUS', 'STOPPED']);
      const third = servers[2]?.sourceServerID as string;
      const e = await rejects(mgn.send(new StartReplicationCommand({ sourceServerID: third })), ServiceQuotaExceededException);
      expect(e).toMatchObject({ quotaCode: 'L-9A599620', quotaValue: 2, resourceId: third });
      await mgn.send(new StopReplicationCommand({ sourceServerID: servers[0]?.sourceServerID as string }));
      const started = await mgn.send(new StartReplicationCommand({ sourceServerID: third }));
      expect(started.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
    });
  });

  describe('launch and replication configuration', () => {
    it('round-trips every launch setting through UpdateLaunchConfiguration and GetLaunchConfiguration', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      const before = await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: a }));
      expect(before).toMatchObject({ sourceServerID: a, launchDisposition: 'STARTED', targetInstanceTypeRightSizingMethod: 'BASIC' });
      expect(before.ec2LaunchTemplateID).toMatch(/^lt-/);

      const changes: Omit<UpdateLaunchConfigurationCommandInput, 'sourceServerID'> = {
        targetInstanceTypeRightSizingMethod: 'NONE',
        licensing: { osByol: false },
        bootMode: 'UEFI',
        copyPrivateIp: true,
        copyTags: true,
        launchDisposition: 'STOPPED',
        postLaunchActions: {
          deployment: 'TEST_ONLY',
          s3LogBucket: 'mgn-logs',
          ssmDocuments: [{ actionName: 'smoke', ssmDocumentName: 'AWS-RunShellScript', timeoutSeconds: 600, mustSucceedForCutover: true }],
        },
      };
      const updated = await mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: a, ...changes }));
      expect(updated).toMatchObject(changes);
      const after = await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: a }));
      expect(after).toMatchObject({ ...changes, name: before.name, ec2LaunchTemplateID: before.ec2LaunchTemplateID });
    });

    it('throws ConflictException while the server is in a job, ValidationException for a bad enum, ResourceNotFound for no server', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      await rejects(
        mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: a, bootMode: 'BIOS' as 'UEFI' })),
        ValidationException,
      );
      await mgn.send(new StartTestCommand({ sourceServerIDs: [a] }));
      const busy = await rejects(mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: a, copyTags: true })), ConflictException);
      expect(busy.code).toBe('SOURCE_SERVER_IN_ACTIVE_JOB');
      await rejects(mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: UNKNOWN_SERVER })), ResourceNotFoundException);
    });

    it('returns the replication configuration of a server with one entry per disk', async () => {
      const { mgn, all } = await start({ servers: 1, start: 'ready-for-test' });
      const [s] = (await all()) as [SourceServer];
      const rc = await mgn.send(new GetReplicationConfigurationCommand({ sourceServerID: s.sourceServerID }));
      expect(rc.sourceServerID).toBe(s.sourceServerID);
      expect(rc.replicatedDisks?.map((d) => d.deviceName)).toEqual(s.sourceProperties?.disks?.map((d) => d.deviceName));
      expect(rc.replicatedDisks?.filter((d) => d.isBootDisk)).toHaveLength(1);
      const [rct] = (await mgn.send(new DescribeReplicationConfigurationTemplatesCommand({}))).items ?? [];
      expect(rc.stagingAreaSubnetId).toBe(rct?.stagingAreaSubnetId);
      await rejects(mgn.send(new GetReplicationConfigurationCommand({ sourceServerID: UNKNOWN_SERVER })), ResourceNotFoundException);
    });

    it('describes the launch and replication configuration templates, by id too', async () => {
      const { mgn } = await start({ servers: 1 });
      const lcts = (await mgn.send(new DescribeLaunchConfigurationTemplatesCommand({}))).items ?? [];
      expect(lcts).toHaveLength(1);
      const lctID = lcts[0]?.launchConfigurationTemplateID as string;
      expect(lctID).toMatch(/^lct-[0-9a-zA-Z]{17}$/);
      expect(lcts[0]?.arn).toBe(`arn:aws:mgn:us-east-1:111122223333:launch-configuration-template/${lctID}`);
      const byId = await mgn.send(new DescribeLaunchConfigurationTemplatesCommand({ launchConfigurationTemplateIDs: [lctID] }));
      expect(byId.items?.map((t) => t.launchConfigurationTemplateID)).toEqual([lctID]);
      const lctMissing = await rejects(
        mgn.send(new DescribeLaunchConfigurationTemplatesCommand({ launchConfigurationTemplateIDs: ['lct-0123456789abcdef0'] })),
        ResourceNotFoundException,
      );
      expect(lctMissing.resourceType).toBe('LAUNCH_CONFIGURATION_TEMPLATE');

      const rcts = (await mgn.send(new DescribeReplicationConfigurationTemplatesCommand({}))).items ?? [];
      expect(rcts).toHaveLength(1);
      const rctID = rcts[0]?.replicationConfigurationTemplateID as string;
      expect(rctID).toMatch(/^rct-[0-9a-zA-Z]{17}$/);
      const rctById = await mgn.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: [rctID] }));
      expect(rctById.items?.map((t) => t.replicationConfigurationTemplateID)).toEqual([rctID]);
      await rejects(
        mgn.send(new DescribeReplicationConfigurationTemplatesCommand({ replicationConfigurationTemplateIDs: ['rct-0123456789abcdef0'] })),
        ResourceNotFoundException,
      );
    });
  });

  describe('waves', () => {
    it('creates, updates, archives, unarchives, lists and deletes a wave', async () => {
      const { mgn } = await start({ servers: 1 });
      const created = await mgn.send(new CreateWaveCommand({ name: 'wave-1', description: 'first', tags: { owner: 'ops' } }));
      expect(created.waveID).toMatch(/^wave-[0-9a-zA-Z]{17}$/);
      expect(created).toMatchObject({ name: 'wave-1', description: 'first', isArchived: false, tags: { owner: 'ops' } });
      expect(created.waveAggregatedStatus).toMatchObject({ progressStatus: 'NOT_STARTED', totalApplications: 0 });
      const waveID = created.waveID as string;
      const other = (await mgn.send(new CreateWaveCommand({ name: 'wave-2' }))).waveID as string;

      const updated = await mgn.send(new UpdateWaveCommand({ waveID, name: 'wave-one', description: 'renamed' }));
      expect(updated).toMatchObject({ name: 'wave-one', description: 'renamed' });

      expect((await mgn.send(new ArchiveWaveCommand({ waveID }))).isArchived).toBe(true);
      const list = async (filters?: ConstructorParameters<typeof ListWavesCommand>[0]['filters']) =>
        ((await mgn.send(new ListWavesCommand({ ...(filters ? { filters } : {}) }))).items ?? []).map((w) => w.waveID);
      expect(await list({ isArchived: true })).toEqual([waveID]);
      expect(await list({ isArchived: false })).toEqual([other]);
      expect(await list({ waveIDs: [other] })).toEqual([other]);
      expect(await list()).toEqual([waveID, other]);

      expect((await mgn.send(new UnarchiveWaveCommand({ waveID }))).isArchived).toBe(false);
      expect(await list({ isArchived: false })).toEqual([waveID, other]);

      await mgn.send(new DeleteWaveCommand({ waveID }));
      expect(await list()).toEqual([other]);
      await rejects(mgn.send(new DeleteWaveCommand({ waveID })), ResourceNotFoundException);
    });

    it('throws ConflictException for a duplicate name and ResourceNotFoundException for an unknown wave', async () => {
      const { mgn } = await start({ servers: 1 });
      await mgn.send(new CreateWaveCommand({ name: 'wave-1' }));
      const dup = await rejects(mgn.send(new CreateWaveCommand({ name: 'wave-1' })), ConflictException);
      expect(dup).toMatchObject({ code: 'WAVE_NAME_ALREADY_EXISTS', resourceType: 'WAVE' });
      const missing = await rejects(mgn.send(new UpdateWaveCommand({ waveID: 'wave-0123456789abcdef0', name: 'x' })), ResourceNotFoundException);
      expect(missing).toMatchObject({ resourceId: 'wave-0123456789abcdef0', resourceType: 'WAVE' });
      await rejects(mgn.send(new CreateWaveCommand({ name: ' padded' })), ValidationException);
    });

    it('associates and disassociates applications, refusing an application of another wave and deletion of a non-empty wave', async () => {
      const { mgn } = await start({ servers: 1 });
      const w1 = (await mgn.send(new CreateWaveCommand({ name: 'w1' }))).waveID as string;
      const w2 = (await mgn.send(new CreateWaveCommand({ name: 'w2' }))).waveID as string;
      const app1 = (await mgn.send(new CreateApplicationCommand({ name: 'a1' }))).applicationID as string;
      const app2 = (await mgn.send(new CreateApplicationCommand({ name: 'a2' }))).applicationID as string;

      const assoc = await mgn.send(new AssociateApplicationsCommand({ waveID: w1, applicationIDs: [app1, app2] }));
      expect(assoc.$metadata.httpStatusCode).toBe(200);
      const [wave] = (await mgn.send(new ListWavesCommand({ filters: { waveIDs: [w1] } }))).items ?? [];
      expect(wave?.waveAggregatedStatus?.totalApplications).toBe(2);
      const inOther = await rejects(mgn.send(new AssociateApplicationsCommand({ waveID: w2, applicationIDs: [app1] })), ConflictException);
      expect(inOther).toMatchObject({ code: 'APPLICATION_IN_ANOTHER_WAVE', resourceId: app1 });
      const notEmpty = await rejects(mgn.send(new DeleteWaveCommand({ waveID: w1 })), ConflictException);
      expect(notEmpty.code).toBe('WAVE_NOT_EMPTY');

      await mgn.send(new DisassociateApplicationsCommand({ waveID: w1, applicationIDs: [app1] }));
      const apps = (await mgn.send(new ListApplicationsCommand({}))).items ?? [];
      expect(apps.map((a) => [a.applicationID, a.waveID])).toEqual([
        [app1, undefined],
        [app2, w1],
      ]);
      const notIn = await rejects(mgn.send(new DisassociateApplicationsCommand({ waveID: w2, applicationIDs: [app2] })), ConflictException);
      expect(notIn.code).toBe('APPLICATION_NOT_IN_WAVE');
      await mgn.send(new AssociateApplicationsCommand({ waveID: w2, applicationIDs: [app1] }));
      expect(((await mgn.send(new ListApplicationsCommand({ filters: { applicationIDs: [app1] } }))).items ?? [])[0]?.waveID).toBe(w2);
    });
  });

  describe('applications', () => {
    it('creates, updates, archives, unarchives, lists by wave and deletes an application', async () => {
      const { mgn } = await start({ servers: 1 });
      const created = await mgn.send(new CreateApplicationCommand({ name: 'billing', description: 'AP and AR', tags: { cost: 'fin' } }));
      expect(created.applicationID).toMatch(/^app-[0-9a-zA-Z]{17}$/);
      expect(created).toMatchObject({ name: 'billing', description: 'AP and AR', isArchived: false, tags: { cost: 'fin' } });
      expect(created.applicationAggregatedStatus).toMatchObject({ totalSourceServers: 0, progressStatus: 'NOT_STARTED' });
      const applicationID = created.applicationID as string;
      const other = (await mgn.send(new CreateApplicationCommand({ name: 'crm' }))).applicationID as string;

      expect(await mgn.send(new UpdateApplicationCommand({ applicationID, name: 'billing-v2' }))).toMatchObject({ name: 'billing-v2', description: 'AP and AR' });
      expect((await mgn.send(new ArchiveApplicationCommand({ applicationID }))).isArchived).toBe(true);
      const list = async (filters?: ConstructorParameters<typeof ListApplicationsCommand>[0]['filters']) =>
        ((await mgn.send(new ListApplicationsCommand({ ...(filters ? { filters } : {}) }))).items ?? []).map((a) => a.applicationID);
      expect(await list({ isArchived: true })).toEqual([applicationID]);
      expect((await mgn.send(new UnarchiveApplicationCommand({ applicationID }))).isArchived).toBe(false);
      expect(await list({ isArchived: false })).toEqual([applicationID, other]);

      const waveID = (await mgn.send(new CreateWaveCommand({ name: 'w' }))).waveID as string;
      await mgn.send(new AssociateApplicationsCommand({ waveID, applicationIDs: [other] }));
      expect(await list({ waveIDs: [waveID] })).toEqual([other]);
      expect(await list({ applicationIDs: [applicationID] })).toEqual([applicationID]);

      await mgn.send(new DeleteApplicationCommand({ applicationID }));
      expect(await list()).toEqual([other]);
      await rejects(mgn.send(new UpdateApplicationCommand({ applicationID, name: 'gone' })), ResourceNotFoundException);
    });

    it('throws ConflictException for a duplicate name and for deleting an application that holds servers', async () => {
      const { mgn, ids } = await start({ servers: 1 });
      const applicationID = (await mgn.send(new CreateApplicationCommand({ name: 'billing' }))).applicationID as string;
      const dup = await rejects(mgn.send(new CreateApplicationCommand({ name: 'billing' })), ConflictException);
      expect(dup).toMatchObject({ code: 'APPLICATION_NAME_ALREADY_EXISTS', resourceType: 'APPLICATION' });
      await mgn.send(new AssociateSourceServersCommand({ applicationID, sourceServerIDs: await ids() }));
      const notEmpty = await rejects(mgn.send(new DeleteApplicationCommand({ applicationID })), ConflictException);
      expect(notEmpty).toMatchObject({ code: 'APPLICATION_NOT_EMPTY', resourceId: applicationID });
    });
  });

  describe('AssociateSourceServers and DisassociateSourceServers', () => {
    it('moves servers into an application and out again, refusing a server that belongs to another application', async () => {
      const { mgn, ids } = await start({ servers: 3, start: 'ready-for-test' });
      const [a, b, c] = (await ids()) as [string, string, string];
      const app1 = (await mgn.send(new CreateApplicationCommand({ name: 'a1' }))).applicationID as string;
      const app2 = (await mgn.send(new CreateApplicationCommand({ name: 'a2' }))).applicationID as string;

      await mgn.send(new AssociateSourceServersCommand({ applicationID: app1, sourceServerIDs: [a, b] }));
      expect((await describeServer(mgn, a)).applicationID).toBe(app1);
      const [listed] = (await mgn.send(new ListApplicationsCommand({ filters: { applicationIDs: [app1] } }))).items ?? [];
      expect(listed?.applicationAggregatedStatus?.totalSourceServers).toBe(2);

      const taken = await rejects(mgn.send(new AssociateSourceServersCommand({ applicationID: app2, sourceServerIDs: [c, b] })), ConflictException);
      expect(taken).toMatchObject({ code: 'SOURCE_SERVER_IN_ANOTHER_APPLICATION', resourceId: b });
      expect((await describeServer(mgn, c)).applicationID).toBeUndefined();

      await mgn.send(new DisassociateSourceServersCommand({ applicationID: app1, sourceServerIDs: [b] }));
      expect((await describeServer(mgn, b)).applicationID).toBeUndefined();
      const notIn = await rejects(mgn.send(new DisassociateSourceServersCommand({ applicationID: app2, sourceServerIDs: [a] })), ConflictException);
      expect(notIn.code).toBe('SOURCE_SERVER_NOT_IN_APPLICATION');
      await mgn.send(new AssociateSourceServersCommand({ applicationID: app2, sourceServerIDs: [b, c] }));
      expect(await idsWhere(mgn, { applicationIDs: [app2] })).toEqual([b, c]);
      await rejects(mgn.send(new AssociateSourceServersCommand({ applicationID: app2, sourceServerIDs: [UNKNOWN_SERVER] })), ResourceNotFoundException);
    });
  });

  describe('source server actions', () => {
    it('puts, lists in order and removes actions, refusing a clashing order and a second removal', async () => {
      const { mgn, ids } = await start({ servers: 1, start: 'ready-for-test' });
      const [a] = (await ids()) as [string];
      const put = (actionID: string, order: number) =>
        mgn.send(
          new PutSourceServerActionCommand({
            sourceServerID: a,
            actionID,
            actionName: `action ${actionID}`,
            documentIdentifier: 'AWS-RunShellScript',
            order,
          }),
        );
      const second = await put('second', 2000);
      expect(second).toMatchObject({ actionID: 'second', order: 2000, active: true, mustSucceedForCutover: true, timeoutSeconds: 3600, documentVersion: '$DEFAULT' });
      await put('first', 1001);
      const list = async (actionIDs?: string[]) =>
        ((await mgn.send(new ListSourceServerActionsCommand({ sourceServerID: a, ...(actionIDs ? { filters: { actionIDs } } : {}) }))).items ?? []).map(
          (x) => x.actionID,
        );
      expect(await list()).toEqual(['first', 'second']);
      expect(await list(['second'])).toEqual(['second']);

      const clash = await rejects(put('third', 2000), ConflictException);
      expect(clash.code).toBe('ACTION_ORDER_CONFLICT');
      await rejects(put('fourth', 1000), ValidationException);

      const removed = await mgn.send(new RemoveSourceServerActionCommand({ sourceServerID: a, actionID: 'first' }));
      expect(removed.$metadata.httpStatusCode).toBe(204);
      expect(await list()).toEqual(['second']);
      const again = await rejects(mgn.send(new RemoveSourceServerActionCommand({ sourceServerID: a, actionID: 'first' })), ResourceNotFoundException);
      expect(again).toMatchObject({ resourceId: 'first', resourceType: 'SOURCE_SERVER_ACTION' });
      await rejects(mgn.send(new ListSourceServerActionsCommand({ sourceServerID: UNKNOWN_SERVER })), ResourceNotFoundException);
    });
  });

  describe('InitializeService', () => {
    it('is idempotent on an initialized account', async () => {
      const { mgn, all } = await start({ servers: 2 });
      expect((await mgn.send(new InitializeServiceCommand({}))).$metadata.httpStatusCode).toBe(204);
      expect((await mgn.send(new InitializeServiceCommand({}))).$metadata.httpStatusCode).toBe(204);
      expect(await all()).toHaveLength(2);
    });
  });
});
