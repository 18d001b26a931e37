import {
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  ConflictException,
  CreateApplicationCommand,
  CreateWaveCommand,
  DescribeJobsCommand,
  ListApplicationsCommand,
  type MgnClient,
  PauseReplicationCommand,
  ResumeReplicationCommand,
  ServiceQuotaExceededException,
  type SourceServer,
  StartReplicationCommand,
  StartTestCommand,
  StopReplicationCommand,
  TerminateTargetInstancesCommand,
  ValidationException,
  paginateDescribeSourceServers,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { parseQuotaArgs, UsageError } from '../../../src/local/emulator/index.ts';
import { HOURS, useEmulator } from '../../helpers/emulator.ts';

type Emu = Awaited<ReturnType<ReturnType<typeof useEmulator>>>;

async function allServers(mgn: MgnClient): Promise<SourceServer[]> {
  const out: SourceServer[] = [];
  for await (const page of paginateDescribeSourceServers({ client: mgn }, {})) out.push(...(page.items ?? []));
  return out;
}

const stoppedIds = (servers: SourceServer[]) =>
  servers.filter((s) => s.dataReplicationInfo?.dataReplicationState === 'STOPPED').map((s) => s.sourceServerID as string);

/** The error a call fails with (the test fails if it succeeds). */
async function failure(call: Promise<unknown>): Promise<unknown> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
}

const startTest = (env: Emu, ids: string[]) => env.mgn.send(new StartTestCommand({ sourceServerIDs: ids }));

/** Let every job finish (launches take 10-20 simulated minutes, terminations 1-3). */
async function finishJobs(env: Emu): Promise<void> {
  await env.advance(2 * HOURS);
  const jobs = (await env.mgn.send(new DescribeJobsCommand({}))).items ?? [];
  expect(jobs.map((j) => j.status)).toEqual(jobs.map(() => 'COMPLETED'));
}

const jobCount = async (env: Emu) => ((await env.mgn.send(new DescribeJobsCommand({}))).items ?? []).length;

describe('emulator quotas', () => {
  const start = useEmulator();

  describe('Max Active Source Servers (L-9A599620)', () => {
    it('leaves the servers past 150 STOPPED when 152 agents are installed', async () => {
      const env = await start({ servers: 152 });
      const servers = await allServers(env.mgn);
      expect(servers).toHaveLength(152);
      const stopped = stoppedIds(servers);
      expect(stopped).toHaveLength(2);
      for (const s of servers.filter((x) => !stopped.includes(x.sourceServerID as string))) {
        expect(s.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
      }
      await env.advance(HOURS);
      expect(stoppedIds(await allServers(env.mgn))).toEqual(stopped);
    });

    it('answers ServiceQuotaExceededException (402) to StartReplication and ResumeReplication past the quota', async () => {
      const env = await start({ servers: 152, start: 'ready-for-test' });
      const servers = await allServers(env.mgn);
      const [waiting, alsoWaiting] = stoppedIds(servers) as [string, string];
      expect(alsoWaiting).toBeDefined();

      const err = await failure(env.mgn.send(new StartReplicationCommand({ sourceServerID: waiting })));
      expect(err).toBeInstanceOf(ServiceQuotaExceededException);
      expect(err).toMatchObject({ quotaCode: 'L-9A599620', quotaValue: 150, $metadata: { httpStatusCode: 402 } });
      expect(stoppedIds(await allServers(env.mgn))).toContain(waiting);

      // pausing one frees a slot; the paused one cannot come back while the slot is taken
      const active = servers.find((s) => s.dataReplicationInfo?.dataReplicationState === 'CONTINUOUS')?.sourceServerID as string;
      await env.mgn.send(new PauseReplicationCommand({ sourceServerID: active }));
      const started = await env.mgn.send(new StartReplicationCommand({ sourceServerID: waiting }));
      expect(started.dataReplicationInfo?.dataReplicationState).toBe('INITIATING');
      const resume = await failure(env.mgn.send(new ResumeReplicationCommand({ sourceServerID: active })));
      expect(resume).toBeInstanceOf(ServiceQuotaExceededException);
      expect(resume).toMatchObject({ quotaCode: 'L-9A599620', quotaValue: 150 });

      // stopping one frees a slot as well
      await env.mgn.send(new StopReplicationCommand({ sourceServerID: waiting }));
      const resumed = await env.mgn.send(new ResumeReplicationCommand({ sourceServerID: active }));
      expect(resumed.dataReplicationInfo?.dataReplicationState).not.toBe('PAUSED');
      await expect(env.mgn.send(new StartReplicationCommand({ sourceServerID: alsoWaiting }))).rejects.toBeInstanceOf(
        ServiceQuotaExceededException,
      );
    });

    it('lets all 152 servers replicate with quotas.maxActiveSourceServers 200', async () => {
      const env = await start({ servers: 152, quotas: { maxActiveSourceServers: 200 } });
      const servers = await allServers(env.mgn);
      expect(stoppedIds(servers)).toEqual([]);
      expect(servers.map((s) => s.dataReplicationInfo?.dataReplicationState)).toEqual(servers.map(() => 'INITIATING'));
    });

    it('applies a quota raised with parseQuotaArgs', async () => {
      const env = await start({ servers: 152, quotas: parseQuotaArgs(['maxActiveSourceServers=151']) });
      expect(stoppedIds(await allServers(env.mgn))).toHaveLength(1);
    });
  });

  describe('launch quotas (ConflictException: StartTest does not model 402)', () => {
    it('refuses a launch of a server that is in an active job', async () => {
      const env = await start({ servers: 2, start: 'ready-for-test' });
      const [a, b] = (await env.ids()) as [string, string];
      const terminate = await env.mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [a] }));
      expect(terminate.job?.status).toBe('PENDING');

      await expect(startTest(env, [a])).rejects.toBeInstanceOf(ConflictException);
      const both = await failure(startTest(env, [b, a]));
      expect(both).toBeInstanceOf(ConflictException);
      expect((both as ConflictException).errors?.map((e) => e.resourceId)).toEqual([a]);
      expect(await jobCount(env)).toBe(1);
      expect((await env.all()).map((s) => s.lifeCycle?.state)).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST']);

      await startTest(env, [b]);
      await finishJobs(env);
      const later = await startTest(env, [a]);
      expect(later.job?.participatingServers?.map((p) => p.sourceServerID)).toEqual([a]);
    });

    it('refuses a job past quotas.concurrentJobs and accepts it once a job completed', async () => {
      const env = await start({ servers: 3, start: 'ready-for-test', quotas: { concurrentJobs: 2 } });
      const [a, b, c] = (await env.ids()) as [string, string, string];
      await startTest(env, [a]);
      await startTest(env, [b]);
      await expect(startTest(env, [c])).rejects.toBeInstanceOf(ConflictException);
      expect(await jobCount(env)).toBe(2);

      await finishJobs(env);
      const r = await startTest(env, [c]);
      expect(r.job?.status).toBe('PENDING');
      expect(await jobCount(env)).toBe(3);
    });

    it('refuses a job that would put more than quotas.maxServersInActiveJobs servers in active jobs', async () => {
      const env = await start({ servers: 4, start: 'ready-for-test', quotas: { maxServersInActiveJobs: 3 } });
      const [a, b, c, d] = (await env.ids()) as [string, string, string, string];
      await startTest(env, [a, b]);
      await expect(startTest(env, [c, d])).rejects.toBeInstanceOf(ConflictException);
      await startTest(env, [c]);
      await expect(startTest(env, [d])).rejects.toBeInstanceOf(ConflictException);
      expect((await env.all()).filter((s) => s.lifeCycle?.state === 'TESTING')).toHaveLength(3);

      await finishJobs(env);
      await startTest(env, [d]);
      expect((await env.all()).filter((s) => s.lifeCycle?.state === 'TESTING')).toHaveLength(4);
    });

    it('refuses a job with more than quotas.maxServersPerJob servers and starts none of them', async () => {
      const env = await start({ servers: 3, start: 'ready-for-test', quotas: { maxServersPerJob: 2 } });
      const ids = await env.ids();
      await expect(startTest(env, ids)).rejects.toBeInstanceOf(ConflictException);
      expect(await jobCount(env)).toBe(0);
      expect((await env.all()).map((s) => s.lifeCycle?.state)).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST', 'READY_FOR_TEST']);
      const r = await startTest(env, ids.slice(0, 2));
      expect(r.job?.participatingServers).toHaveLength(2);
    });

    it('answers ValidationException for more than 200 ids, the model list length', async () => {
      const env = await start({ servers: 1, start: 'ready-for-test' });
      const fake = (n: number) => Array.from({ length: n }, (_, i) => `s-${i.toString(16).padStart(17, '0')}`);
      const tooMany = await failure(startTest(env, fake(201)));
      expect(tooMany).toBeInstanceOf(ValidationException);
      expect((tooMany as ValidationException).fieldList?.map((f) => f.name)).toContain('sourceServerIDs');
      // 200 is a valid length: the unknown servers are then a conflict
      await expect(startTest(env, fake(200))).rejects.toBeInstanceOf(ConflictException);
      expect(await jobCount(env)).toBe(0);
    });
  });

  describe('wave and application quotas', () => {
    it('answers ServiceQuotaExceededException past quotas.maxApplicationsPerWave', async () => {
      const env = await start({ servers: 1, quotas: { maxApplicationsPerWave: 2 } });
      const wave = await env.mgn.send(new CreateWaveCommand({ name: 'wave-1' }));
      const apps: string[] = [];
      for (const name of ['billing', 'crm', 'erp']) {
        apps.push((await env.mgn.send(new CreateApplicationCommand({ name }))).applicationID as string);
      }
      const waveID = wave.waveID as string;
      const tooMany = await failure(env.mgn.send(new AssociateApplicationsCommand({ waveID, applicationIDs: apps })));
      expect(tooMany).toBeInstanceOf(ServiceQuotaExceededException);
      expect(tooMany).toMatchObject({ quotaCode: 'L-CBE9E36A', quotaValue: 2, $metadata: { httpStatusCode: 402 } });

      await env.mgn.send(new AssociateApplicationsCommand({ waveID, applicationIDs: apps.slice(0, 2) }));
      await expect(env.mgn.send(new AssociateApplicationsCommand({ waveID, applicationIDs: [apps[2] as string] }))).rejects.toBeInstanceOf(
        ServiceQuotaExceededException,
      );
      // associating the same ones again adds nothing and is fine
      await env.mgn.send(new AssociateApplicationsCommand({ waveID, applicationIDs: [apps[0] as string] }));
      const inWave = (await env.mgn.send(new ListApplicationsCommand({ filters: { waveIDs: [waveID] } }))).items ?? [];
      expect(inWave.map((a) => a.applicationID).sort()).toEqual(apps.slice(0, 2).sort());
    });

    it('answers ServiceQuotaExceededException past quotas.maxServersPerApplication', async () => {
      const env = await start({ servers: 3, quotas: { maxServersPerApplication: 2 } });
      const ids = await env.ids();
      const app = await env.mgn.send(new CreateApplicationCommand({ name: 'billing' }));
      const applicationID = app.applicationID as string;
      const tooMany = await failure(env.mgn.send(new AssociateSourceServersCommand({ applicationID, sourceServerIDs: ids })));
      expect(tooMany).toBeInstanceOf(ServiceQuotaExceededException);
      expect(tooMany).toMatchObject({ quotaCode: 'L-90A3F9F5', quotaValue: 2, $metadata: { httpStatusCode: 402 } });
      expect((await env.all()).filter((s) => s.applicationID)).toEqual([]);

      await env.mgn.send(new AssociateSourceServersCommand({ applicationID, sourceServerIDs: ids.slice(0, 2) }));
      await expect(
        env.mgn.send(new AssociateSourceServersCommand({ applicationID, sourceServerIDs: [ids[2] as string] })),
      ).rejects.toBeInstanceOf(ServiceQuotaExceededException);
      expect((await env.all()).filter((s) => s.applicationID === applicationID)).toHaveLength(2);
    });
  });

  describe('parseQuotaArgs', () => {
    it('returns raised values of adjustable quotas', () => {
      expect(parseQuotaArgs(['maxActiveSourceServers=500', 'maxNonArchivedSourceServers=5000'])).toEqual({
        maxActiveSourceServers: 500,
        maxNonArchivedSourceServers: 5000,
      });
    });

    it('returns lowered values of any quota', () => {
      expect(parseQuotaArgs(['concurrentJobs=2', 'maxServersPerJob=10'])).toEqual({ concurrentJobs: 2, maxServersPerJob: 10 });
    });

    it('throws UsageError when a non-adjustable quota is raised', () => {
      expect(() => parseQuotaArgs(['concurrentJobs=21'])).toThrow(UsageError);
      expect(() => parseQuotaArgs(['maxServersPerJob=201'])).toThrow(/not adjustable/);
      expect(() => parseQuotaArgs(['concurrentJobs=21'])).toThrow(/L-FE2EBE17/);
    });

    it('throws UsageError for unknown names and malformed values', () => {
      expect(() => parseQuotaArgs(['maxServers=10'])).toThrow(UsageError);
      expect(() => parseQuotaArgs(['maxServers=10'])).toThrow(/unknown quota 'maxServers'.*maxActiveSourceServers/);
      for (const bad of ['concurrentJobs', 'concurrentJobs=two', 'concurrentJobs=-1', 'concurrentJobs=0', '=5']) {
        expect(() => parseQuotaArgs([bad]), bad).toThrow(UsageError);
      }
    });
  });
});
