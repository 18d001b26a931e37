import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobsCommand,
  FinalizeCutoverCommand,
  type Job,
  MarkAsArchivedCommand,
  type MgnClient,
  type SourceServer,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  paginateDescribeJobs,
  paginateDescribeSourceServers,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../../helpers/emulator.ts';

const GiB = 1024 ** 3;
const SERVERS = 20;
const LIFECYCLE = 'MGN Source Server Lifecycle State Change';
const LAUNCH_RESULT = 'MGN Source Server Launch Result';
const CLOUDTRAIL = 'AWS API Call via CloudTrail';

async function servers(mgn: MgnClient): Promise<SourceServer[]> {
  const out: SourceServer[] = [];
  for await (const page of paginateDescribeSourceServers({ client: mgn, pageSize: 7 }, {})) out.push(...(page.items ?? []));
  return out;
}

async function jobs(mgn: MgnClient): Promise<Job[]> {
  const out: Job[] = [];
  for await (const page of paginateDescribeJobs({ client: mgn }, {})) out.push(...(page.items ?? []));
  return out;
}

describe('emulator end-to-end wave', () => {
  const start = useEmulator();

  it('takes 20 servers from agent install to CUTOVER and archived through the public API, with the documented events', async () => {
    const { mgn, events, advance } = await start({ servers: SERVERS, seed: 2026, bandwidthBytesPerS: 4 * GiB });

    /** Advance simulated time a step at a time until `done` holds; returns the simulated seconds it took. */
    async function waitFor(what: string, stepS: number, maxS: number, done: () => Promise<boolean>): Promise<number> {
      for (let waited = 0; waited <= maxS; waited += stepS) {
        if (await done()) return waited;
        await advance(stepS);
      }
      throw new Error(`${what} did not happen within ${maxS} simulated seconds`);
    }
    const jobDone = (jobID: string) => async () => {
      const r = await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }));
      return r.items?.[0]?.status === 'COMPLETED';
    };

    const initial = await servers(mgn);
    expect(initial).toHaveLength(SERVERS);
    expect(new Set(initial.map((s) => s.lifeCycle?.state))).toEqual(new Set(['NOT_READY']));
    const ids = initial.map((s) => s.sourceServerID as string);

    // 1. replication: initiation, initial sync, first snapshot -> READY_FOR_TEST
    const tookS = await waitFor('READY_FOR_TEST of all', 300, 24 * 3600, async () =>
      (await servers(mgn)).every((s) => s.lifeCycle?.state === 'READY_FOR_TEST'),
    );
    expect(tookS).toBeGreaterThan(7 * 60); // at least the initiation steps
    const ready = await servers(mgn);
    for (const s of ready) {
      expect(s.dataReplicationInfo?.dataReplicationState).toBe('CONTINUOUS');
      expect(s.dataReplicationInfo?.lagDuration).toBe('P0D');
      for (const d of s.dataReplicationInfo?.replicatedDisks ?? []) expect(d.replicatedStorageBytes).toBe(d.totalStorageBytes);
    }

    // 2. test launch of the whole wave in one job
    const test = (await mgn.send(new StartTestCommand({ sourceServerIDs: ids }))).job as Job;
    expect(test).toMatchObject({ type: 'LAUNCH', initiatedBy: 'START_TEST', status: 'PENDING' });
    await waitFor('test job COMPLETED', 60, 6 * 3600, jobDone(test.jobID as string));
    const afterTest = await servers(mgn);
    expect(afterTest.every((s) => s.lifeCycle?.state === 'TESTING' && s.launchedInstance?.jobID === test.jobID)).toBe(true);

    // 3. sign-off: ready for cutover, then terminate the test instances
    for (const id of ids) {
      const r = await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
      expect(r.lifeCycle?.state).toBe('READY_FOR_CUTOVER');
    }
    const terminate = (await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: ids }))).job as Job;
    expect(terminate).toMatchObject({ type: 'TERMINATE', initiatedBy: 'TERMINATE' });
    await waitFor('terminate job COMPLETED', 60, 3600, jobDone(terminate.jobID as string));
    expect((await servers(mgn)).every((s) => s.launchedInstance === undefined)).toBe(true);

    // 4. cutover of the whole wave in one job
    const cutover = (await mgn.send(new StartCutoverCommand({ sourceServerIDs: ids }))).job as Job;
    expect(cutover).toMatchObject({ type: 'LAUNCH', initiatedBy: 'START_CUTOVER' });
    await waitFor('cutover job COMPLETED', 60, 6 * 3600, jobDone(cutover.jobID as string));
    expect((await servers(mgn)).every((s) => s.lifeCycle?.state === 'CUTTING_OVER' && s.launchedInstance?.jobID === cutover.jobID)).toBe(true);

    // 5. finalize and archive
    for (const id of ids) {
      const r = await mgn.send(new FinalizeCutoverCommand({ sourceServerID: id }));
      expect(r.lifeCycle?.state).toBe('CUTOVER');
    }
    for (const id of ids) {
      const r = await mgn.send(new MarkAsArchivedCommand({ sourceServerID: id }));
      expect(r.isArchived).toBe(true);
    }
    await advance(0);

    // final state
    const final = await servers(mgn);
    expect(final).toHaveLength(SERVERS);
    for (const s of final) {
      expect(s.lifeCycle?.state).toBe('CUTOVER');
      expect(s.isArchived).toBe(true);
      expect(s.dataReplicationInfo?.dataReplicationState).toBe('DISCONNECTED');
      expect(s.dataReplicationInfo?.lagDuration).toBeUndefined();
      expect(s.launchedInstance?.jobID).toBe(cutover.jobID); // cutover instances are kept
      expect(s.lifeCycle?.lastTest?.initiated?.jobID).toBe(test.jobID);
      expect(s.lifeCycle?.lastCutover?.initiated?.jobID).toBe(cutover.jobID);
      expect(s.lifeCycle?.lastCutover?.finalized?.apiCallDateTime).toBeDefined();
    }

    // exactly three jobs, all completed, every server handled once in each
    const all = await jobs(mgn);
    expect(all.map((j) => [j.type, j.initiatedBy, j.status]).sort()).toEqual(
      [
        ['LAUNCH', 'START_TEST', 'COMPLETED'],
        ['TERMINATE', 'TERMINATE', 'COMPLETED'],
        ['LAUNCH', 'START_CUTOVER', 'COMPLETED'],
      ].sort(),
    );
    const outcome = (jobID: string | undefined) =>
      all.find((j) => j.jobID === jobID)?.participatingServers?.map((p) => `${p.sourceServerID}=${p.launchStatus}`).sort();
    expect(outcome(test.jobID)).toEqual(ids.map((id) => `${id}=LAUNCHED`).sort());
    expect(outcome(terminate.jobID)).toEqual(ids.map((id) => `${id}=TERMINATED`).sort());
    expect(outcome(cutover.jobID)).toEqual(ids.map((id) => `${id}=LAUNCHED`).sort());

    // server events, per server and in order
    const serverEvents = events.filter((e) => e['detail-type'] !== CLOUDTRAIL);
    expect(new Set(serverEvents.map((e) => e['detail-type']))).toEqual(new Set([LIFECYCLE, LAUNCH_RESULT]));
    for (const id of ids) {
      const mine = serverEvents.filter((e) => e.resources[0] === `arn:aws:mgn:us-east-1:111122223333:source-server/${id}`);
      expect(mine.map((e) => [e['detail-type'], e.detail])).toEqual([
        [LIFECYCLE, { state: 'READY_FOR_TEST' }],
        [LAUNCH_RESULT, { state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': test.jobID }],
        [LAUNCH_RESULT, { state: 'CUTOVER_LAUNCH_SUCCEEDED', 'job-id': cutover.jobID }],
      ]);
      const times = mine.map((e) => Date.parse(e.time));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
    }

    // one CloudTrail record per mutating call, in call order, naming the server(s) it acted on
    const trail = events.filter((e) => e['detail-type'] === CLOUDTRAIL).map((e) => e.detail);
    const expected: [string, unknown][] = [
      ['StartTest', { sourceServerIDs: ids }],
      ...ids.map((id): [string, unknown] => ['ChangeServerLifeCycleState', { sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }]),
      ['TerminateTargetInstances', { sourceServerIDs: ids }],
      ['StartCutover', { sourceServerIDs: ids }],
      ...ids.map((id): [string, unknown] => ['FinalizeCutover', { sourceServerID: id }]),
      ...ids.map((id): [string, unknown] => ['MarkAsArchived', { sourceServerID: id }]),
    ];
    expect(trail.map((d) => [d.eventName, d.requestParameters])).toEqual(expected);
    for (const d of trail) {
      expect(d).toMatchObject({ eventSource: 'mgn.amazonaws.com', readOnly: false, eventType: 'AwsApiCall' });
      expect(d.errorCode).toBeUndefined();
    }
    const launchTrail = trail.filter((d) => d.eventName === 'StartTest' || d.eventName === 'StartCutover');
    expect(launchTrail.map((d) => (d.responseElements as { job: Job }).job.jobID)).toEqual([test.jobID, cutover.jobID]);
    expect(events.every((e) => e.source === 'aws.mgn')).toBe(true);
  });
});
