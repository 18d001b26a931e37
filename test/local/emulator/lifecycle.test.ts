import {
  ChangeServerLifeCycleStateCommand,
  ConflictException,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  type Job,
  type JobLog,
  MarkAsArchivedCommand,
  type MgnClient,
  type SourceServer,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  paginateDescribeJobLogItems,
} from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { HOURS, control, useEmulator } from '../../helpers/emulator.ts';

/**
 * The lifecycle rules of the emulator, written out here on purpose rather than imported from
 * src/local/emulator/lifecycle.ts: a change to the emulator's table must fail this test.
 * Sources: reference/mgn-api.md section 7 (7.2 transitions, 7.3 preconditions).
 */
type State = 'NOT_READY' | 'READY_FOR_TEST' | 'TESTING' | 'READY_FOR_CUTOVER' | 'CUTTING_OVER' | 'CUTOVER' | 'DISCONNECTED';
type Op =
  | 'StartTest'
  | 'StartCutover'
  | 'ChangeServerLifeCycleState:READY_FOR_TEST'
  | 'ChangeServerLifeCycleState:READY_FOR_CUTOVER'
  | 'ChangeServerLifeCycleState:CUTOVER'
  | 'FinalizeCutover'
  | 'TerminateTargetInstances'
  | 'MarkAsArchived';

const STATES: State[] = ['NOT_READY', 'READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER', 'DISCONNECTED'];

/** Conflict: ConflictException and nothing changes. A state: the call succeeds and the server ends there. */
const X = 'Conflict' as const;
type Outcome = State | typeof X;

/** One row of EXPECTED, in STATES order. */
function row(...outcomes: Outcome[]): Record<State, Outcome> {
  return Object.fromEntries(STATES.map((s, i) => [s, outcomes[i] as Outcome])) as Record<State, Outcome>;
}

const EXPECTED: Record<Op, Record<State, Outcome>> = {
  //                                                  NOT_READY    READY_FOR_TEST       TESTING              READY_FOR_CUTOVER    CUTTING_OVER         CUTOVER    DISCONNECTED
  StartTest:                                      row(X,           'TESTING',           'TESTING',           X,                   X,                   X,         X),
  StartCutover:                                   row(X,           'CUTTING_OVER',      X,                   'CUTTING_OVER',      X,                   X,         X),
  'ChangeServerLifeCycleState:READY_FOR_TEST':    row(X,           X,                   'READY_FOR_TEST',    'READY_FOR_TEST',    X,                   X,         X),
  'ChangeServerLifeCycleState:READY_FOR_CUTOVER': row(X,           'READY_FOR_CUTOVER', 'READY_FOR_CUTOVER', X,                   'READY_FOR_CUTOVER', X,         X),
  'ChangeServerLifeCycleState:CUTOVER':           row(X,           X,                   X,                   X,                   'CUTOVER',           X,         X),
  FinalizeCutover:                                row(X,           X,                   X,                   X,                   'CUTOVER',           X,         X),
  TerminateTargetInstances:                       row('NOT_READY', 'READY_FOR_TEST',    X,                   'READY_FOR_CUTOVER', X,                   X,         'DISCONNECTED'),
  MarkAsArchived:                                 row(X,           X,                   X,                   X,                   X,                   'CUTOVER', 'DISCONNECTED'),
};

const OPS = Object.keys(EXPECTED) as Op[];

// ---------------------------------------------------------------- helpers

type Emu = Awaited<ReturnType<ReturnType<typeof useEmulator>>>;

async function serverOf(mgn: MgnClient, id: string): Promise<SourceServer> {
  const r = await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: [id] } }));
  const s = r.items?.[0];
  if (!s) throw new Error(`source server ${id} not found`);
  return s;
}

async function jobOf(mgn: MgnClient, jobID: string): Promise<Job> {
  const j = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }))).items?.[0];
  if (!j) throw new Error(`job ${jobID} not found`);
  return j;
}

/** Advance simulated time in steps until the job is COMPLETED (a launch takes 10-20 simulated minutes). */
async function completeJob(env: Emu, jobID: string, stepS = 300): Promise<Job> {
  for (let waited = 0; waited <= 4 * HOURS; waited += stepS) {
    const j = await jobOf(env.mgn, jobID);
    if (j.status === 'COMPLETED') return j;
    await env.advance(stepS);
  }
  throw new Error(`job ${jobID} did not complete within 4 simulated hours`);
}

async function logOf(mgn: MgnClient, jobID: string): Promise<JobLog[]> {
  const out: JobLog[] = [];
  for await (const page of paginateDescribeJobLogItems({ client: mgn }, { jobID })) out.push(...(page.items ?? []));
  return out;
}

const lifeCycle = (mgn: MgnClient, id: string, state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER') =>
  mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state } }));

async function launch(env: Emu, id: string, kind: 'test' | 'cutover'): Promise<Job> {
  const cmd = kind === 'test' ? new StartTestCommand({ sourceServerIDs: [id] }) : new StartCutoverCommand({ sourceServerIDs: [id] });
  const r = await env.mgn.send(cmd);
  return completeJob(env, r.job?.jobID as string);
}

/**
 * How to reach each state through the public API, from the state before it. Each case gets its own
 * one-server emulator; the recipes are shared so every state is built the same way.
 */
const RECIPES: Record<State, { from?: State; then?: (env: Emu, id: string) => Promise<unknown> }> = {
  NOT_READY: {},
  READY_FOR_TEST: {},
  TESTING: { from: 'READY_FOR_TEST', then: (env, id) => launch(env, id, 'test') },
  READY_FOR_CUTOVER: { from: 'TESTING', then: (env, id) => lifeCycle(env.mgn, id, 'READY_FOR_CUTOVER') },
  CUTTING_OVER: { from: 'READY_FOR_CUTOVER', then: (env, id) => launch(env, id, 'cutover') },
  CUTOVER: { from: 'CUTTING_OVER', then: (env, id) => env.mgn.send(new FinalizeCutoverCommand({ sourceServerID: id })) },
  DISCONNECTED: { from: 'READY_FOR_TEST', then: (env, id) => env.mgn.send(new DisconnectFromServiceCommand({ sourceServerID: id })) },
};

async function driveTo(env: Emu, id: string, state: State): Promise<void> {
  const recipe = RECIPES[state];
  if (recipe.from) await driveTo(env, id, recipe.from);
  await recipe.then?.(env, id);
}

function apply(mgn: MgnClient, id: string, op: Op): Promise<unknown> {
  switch (op) {
    case 'StartTest':
      return mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    case 'StartCutover':
      return mgn.send(new StartCutoverCommand({ sourceServerIDs: [id] }));
    case 'TerminateTargetInstances':
      return mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [id] }));
    case 'FinalizeCutover':
      return mgn.send(new FinalizeCutoverCommand({ sourceServerID: id }));
    case 'MarkAsArchived':
      return mgn.send(new MarkAsArchivedCommand({ sourceServerID: id }));
    default:
      return lifeCycle(mgn, id, op.split(':')[1] as 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER');
  }
}

const JOB_OF: Partial<Record<Op, { type: string; initiatedBy: string }>> = {
  StartTest: { type: 'LAUNCH', initiatedBy: 'START_TEST' },
  StartCutover: { type: 'LAUNCH', initiatedBy: 'START_CUTOVER' },
  TerminateTargetInstances: { type: 'TERMINATE', initiatedBy: 'TERMINATE' },
};

// ---------------------------------------------------------------- tests

describe('emulator lifecycle rules', () => {
  const start = useEmulator();

  /** A one-server emulator with the server in `state`. */
  async function serverIn(state: State): Promise<Emu & { id: string }> {
    const env = await start({ servers: 1, start: state === 'NOT_READY' ? 'agent-installed' : 'ready-for-test' });
    const [id] = await env.ids();
    await driveTo(env, id as string, state);
    expect((await serverOf(env.mgn, id as string)).lifeCycle?.state).toBe(state);
    return { ...env, id: id as string };
  }

  const cases = OPS.flatMap((op) => STATES.map((state) => ({ op, state, outcome: EXPECTED[op][state] })));

  for (const { op, state, outcome } of cases) {
    const name = outcome === X ? `refuses ${op} from ${state} with ConflictException` : `moves ${op} from ${state} to ${outcome}`;
    it(name, async () => {
      const { mgn, id } = await serverIn(state);
      const before = await serverOf(mgn, id);
      const jobsBefore = (await mgn.send(new DescribeJobsCommand({}))).items?.length;
      if (outcome === X) {
        const err = await apply(mgn, id, op).then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(err).toBeInstanceOf(ConflictException);
        const after = await serverOf(mgn, id);
        expect(after.lifeCycle?.state).toBe(state);
        expect(after.isArchived).toBe(false);
        expect(after.lifeCycle).toEqual(before.lifeCycle);
        expect((await mgn.send(new DescribeJobsCommand({}))).items?.length).toBe(jobsBefore);
        return;
      }
      const res = (await apply(mgn, id, op)) as { job?: Job; $metadata: { httpStatusCode?: number } };
      const job = JOB_OF[op];
      if (job) {
        expect(res.$metadata.httpStatusCode).toBe(202);
        expect(res.job).toMatchObject({ ...job, status: 'PENDING', participatingServers: [{ sourceServerID: id, launchStatus: 'PENDING' }] });
      }
      const after = await serverOf(mgn, id);
      expect(after.lifeCycle?.state).toBe(outcome);
      expect(after.isArchived).toBe(op === 'MarkAsArchived');
    });
  }

  it('keeps TESTING and CUTTING_OVER after their jobs completed', async () => {
    const env = await serverIn('READY_FOR_TEST');
    const test = await launch(env, env.id, 'test');
    expect(test.participatingServers?.[0]?.launchStatus).toBe('LAUNCHED');
    await env.advance(30 * HOURS);
    expect((await serverOf(env.mgn, env.id)).lifeCycle?.state).toBe('TESTING');

    await lifeCycle(env.mgn, env.id, 'READY_FOR_CUTOVER');
    const cutover = await launch(env, env.id, 'cutover');
    expect(cutover.participatingServers?.[0]?.launchStatus).toBe('LAUNCHED');
    await env.advance(30 * HOURS);
    expect((await serverOf(env.mgn, env.id)).lifeCycle?.state).toBe('CUTTING_OVER');
  });

  it('refuses a new StartTest from TESTING while the test job runs and accepts it once the job completed', async () => {
    const env = await serverIn('READY_FOR_TEST');
    const first = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [env.id] }));
    await env.advance(120);
    expect((await jobOf(env.mgn, first.job?.jobID as string)).status).toBe('STARTED');
    await expect(env.mgn.send(new StartTestCommand({ sourceServerIDs: [env.id] }))).rejects.toBeInstanceOf(ConflictException);
    expect((await env.mgn.send(new DescribeJobsCommand({}))).items).toHaveLength(1);

    await completeJob(env, first.job?.jobID as string);
    const second = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [env.id] }));
    expect(second.job?.jobID).not.toBe(first.job?.jobID);
    expect((await serverOf(env.mgn, env.id)).lifeCycle?.state).toBe('TESTING');
  });

  it('refuses ChangeServerLifeCycleState for a server without lagDuration', async () => {
    const { mgn, id } = await serverIn('NOT_READY');
    expect((await serverOf(mgn, id)).dataReplicationInfo?.lagDuration).toBeUndefined();
    for (const target of ['READY_FOR_TEST', 'READY_FOR_CUTOVER', 'CUTOVER'] as const) {
      await expect(lifeCycle(mgn, id, target)).rejects.toBeInstanceOf(ConflictException);
    }
    expect((await serverOf(mgn, id)).lifeCycle?.state).toBe('NOT_READY');
  });

  it('answers ConflictException, never ResourceNotFoundException, for an unknown server in a launch', async () => {
    const { mgn, id } = await serverIn('READY_FOR_TEST');
    const unknown = 's-0123456789abcdef0';
    for (const cmd of [
      new StartTestCommand({ sourceServerIDs: [id, unknown] }),
      new StartCutoverCommand({ sourceServerIDs: [unknown] }),
      new TerminateTargetInstancesCommand({ sourceServerIDs: [unknown] }),
    ]) {
      const err = await mgn.send(cmd as StartTestCommand).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ConflictException);
      expect((err as ConflictException).errors?.map((e) => e.resourceId)).toContain(unknown);
    }
    // the known server of the refused request did not start anything
    expect((await serverOf(mgn, id)).lifeCycle?.state).toBe('READY_FOR_TEST');
    expect((await mgn.send(new DescribeJobsCommand({}))).items).toEqual([]);
  });

  it('refuses FinalizeCutover and ChangeServerLifeCycleState to CUTOVER after a FAILED cutover launch', async () => {
    const env = await serverIn('READY_FOR_CUTOVER');
    const inject = await control(env.emu.endpoint, `/servers/${env.id}/inject`, { failNextLaunch: true });
    expect(inject.status).toBe(200);
    const job = await launch(env, env.id, 'cutover');
    expect(job.participatingServers?.[0]?.launchStatus).toBe('FAILED');
    expect((await serverOf(env.mgn, env.id)).lifeCycle?.state).toBe('CUTTING_OVER');

    await expect(env.mgn.send(new FinalizeCutoverCommand({ sourceServerID: env.id }))).rejects.toBeInstanceOf(ConflictException);
    await expect(lifeCycle(env.mgn, env.id, 'CUTOVER')).rejects.toBeInstanceOf(ConflictException);
    expect((await serverOf(env.mgn, env.id)).lifeCycle?.state).toBe('CUTTING_OVER');

    // reverting and launching the cutover again is the way out
    await lifeCycle(env.mgn, env.id, 'READY_FOR_CUTOVER');
    const retry = await launch(env, env.id, 'cutover');
    expect(retry.participatingServers?.[0]?.launchStatus).toBe('LAUNCHED');
    const done = await env.mgn.send(new FinalizeCutoverCommand({ sourceServerID: env.id }));
    expect(done.lifeCycle?.state).toBe('CUTOVER');
  });

  it('replaces the previous test instance when a new test is launched', async () => {
    const env = await serverIn('TESTING');
    const old = (await serverOf(env.mgn, env.id)).launchedInstance?.ec2InstanceID;
    expect(old).toMatch(/^i-[0-9a-f]{17}$/);

    const job = await launch(env, env.id, 'test');
    const log = await logOf(env.mgn, job.jobID as string);
    const cleanup = log.filter((l) => l.event === 'CLEANUP_START' || l.event === 'CLEANUP_END');
    expect(cleanup.map((l) => [l.event, l.eventData?.targetInstanceID])).toEqual([
      ['CLEANUP_START', old],
      ['CLEANUP_END', old],
    ]);
    const now = (await serverOf(env.mgn, env.id)).launchedInstance;
    expect(now?.ec2InstanceID).toBe(job.participatingServers?.[0]?.launchedEc2InstanceID);
    expect(now?.ec2InstanceID).not.toBe(old);
    expect(now?.jobID).toBe(job.jobID);
  });

  it('replaces the test instance when the cutover is launched', async () => {
    const env = await serverIn('READY_FOR_CUTOVER');
    const testInstance = (await serverOf(env.mgn, env.id)).launchedInstance?.ec2InstanceID;
    expect(testInstance).toBeDefined();

    const job = await launch(env, env.id, 'cutover');
    const log = await logOf(env.mgn, job.jobID as string);
    expect(log.filter((l) => l.event?.startsWith('CLEANUP_')).map((l) => l.eventData?.targetInstanceID)).toEqual([
      testInstance,
      testInstance,
    ]);
    const li = (await serverOf(env.mgn, env.id)).launchedInstance;
    expect(li?.jobID).toBe(job.jobID);
    expect(li?.ec2InstanceID).not.toBe(testInstance);
  });

  it('records lastTest and lastCutover initiated, reverted and finalized', async () => {
    const env = await serverIn('READY_FOR_TEST');
    const now = async () => (await control<{ now: string }>(env.emu.endpoint, '/clock')).body.now;
    const fresh = await serverOf(env.mgn, env.id);
    expect(fresh.lifeCycle?.lastTest).toEqual({ initiated: {}, reverted: {}, finalized: {} });
    expect(fresh.lifeCycle?.lastCutover).toEqual({ initiated: {}, reverted: {}, finalized: {} });

    const t1 = await now();
    const test1 = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [env.id] }));
    await completeJob(env, test1.job?.jobID as string);
    const t2 = await now();
    await lifeCycle(env.mgn, env.id, 'READY_FOR_TEST');
    let s = await serverOf(env.mgn, env.id);
    expect(s.lifeCycle?.lastTest).toEqual({
      initiated: { apiCallDateTime: t1, jobID: test1.job?.jobID },
      reverted: { apiCallDateTime: t2 },
      finalized: {},
    });

    await env.advance(600);
    const t3 = await now();
    const test2 = await env.mgn.send(new StartTestCommand({ sourceServerIDs: [env.id] }));
    await completeJob(env, test2.job?.jobID as string);
    const t4 = await now();
    await lifeCycle(env.mgn, env.id, 'READY_FOR_CUTOVER');
    s = await serverOf(env.mgn, env.id);
    expect(s.lifeCycle?.lastTest?.initiated).toEqual({ apiCallDateTime: t3, jobID: test2.job?.jobID });
    expect(s.lifeCycle?.lastTest?.finalized).toEqual({ apiCallDateTime: t4 });

    await env.advance(600);
    const t5 = await now();
    const cut1 = await env.mgn.send(new StartCutoverCommand({ sourceServerIDs: [env.id] }));
    await completeJob(env, cut1.job?.jobID as string);
    const t6 = await now();
    await lifeCycle(env.mgn, env.id, 'READY_FOR_CUTOVER');
    s = await serverOf(env.mgn, env.id);
    expect(s.lifeCycle?.lastCutover).toEqual({
      initiated: { apiCallDateTime: t5, jobID: cut1.job?.jobID },
      reverted: { apiCallDateTime: t6 },
      finalized: {},
    });

    await env.advance(600);
    const t7 = await now();
    const cut2 = await env.mgn.send(new StartCutoverCommand({ sourceServerIDs: [env.id] }));
    await completeJob(env, cut2.job?.jobID as string);
    const t8 = await now();
    await env.mgn.send(new FinalizeCutoverCommand({ sourceServerID: env.id }));
    s = await serverOf(env.mgn, env.id);
    expect(s.lifeCycle?.lastCutover?.initiated).toEqual({ apiCallDateTime: t7, jobID: cut2.job?.jobID });
    expect(s.lifeCycle?.lastCutover?.finalized).toEqual({ apiCallDateTime: t8 });
    expect(s.lifeCycle?.state).toBe('CUTOVER');
    expect(new Set([t1, t2, t3, t4, t5, t6, t7, t8]).size).toBe(8);
  });

  it('refuses every lifecycle change of an archived server', async () => {
    const { mgn, id } = await serverIn('CUTOVER');
    await mgn.send(new MarkAsArchivedCommand({ sourceServerID: id }));
    await expect(lifeCycle(mgn, id, 'READY_FOR_CUTOVER')).rejects.toBeInstanceOf(ConflictException);
    await expect(mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [id] }))).rejects.toBeInstanceOf(ConflictException);
    const s = await serverOf(mgn, id);
    expect(s.isArchived).toBe(true);
    expect(s.lifeCycle?.state).toBe('CUTOVER');
  });
});
