import {
  AssociateApplicationsCommand,
  AssociateSourceServersCommand,
  ChangeServerLifeCycleStateCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  DisassociateApplicationsCommand,
  DisassociateSourceServersCommand,
  DisconnectFromServiceCommand,
  FinalizeCutoverCommand,
  ListApplicationsCommand,
  MarkAsArchivedCommand,
  MgnClient,
  MgnServiceException,
  PauseReplicationCommand,
  ResumeReplicationCommand,
  RetryDataReplicationCommand,
  StartCutoverCommand,
  StartReplicationCommand,
  StartTestCommand,
  StopReplicationCommand,
  TerminateTargetInstancesCommand,
} from '@aws-sdk/client-mgn';
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { startEmulator } from '../../../src/local/emulator/index.ts';

/**
 * Random request sequences against a fresh emulator per run. After every step: the emulator answered
 * (JSON, request id, no 5xx unless one was injected), every error is one of MGN's modeled exceptions,
 * no server is in two active jobs, and every lifecycle change is an edge of the documented graph.
 */

const RUNS = 1000;
const SERVERS = 4;
const GiB = 1024 ** 3;
/** Index SERVERS is an id that matches the pattern but does not exist; SERVERS + 1 is not an id at all. */
const UNKNOWN = SERVERS;
const MALFORMED = SERVERS + 1;

const MODELED = new Set([
  'ValidationException',
  'UninitializedAccountException',
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ConflictException',
  'ServiceQuotaExceededException',
  'ThrottlingException',
  'InternalServerException',
]);

/**
 * Lifecycle edges, written from reference/mgn-api.md section 7.2 (and the launches), independently of
 * the emulator's own table.
 */
const EDGES = new Set([
  'NOT_READY>READY_FOR_TEST', // first launchable snapshot
  'READY_FOR_TEST>TESTING', // StartTest
  'READY_FOR_TEST>READY_FOR_CUTOVER', // skip testing
  'READY_FOR_TEST>CUTTING_OVER', // StartCutover straight from READY_FOR_TEST
  'TESTING>READY_FOR_TEST', // revert to ready for testing
  'TESTING>READY_FOR_CUTOVER', // mark as ready for cutover
  'READY_FOR_CUTOVER>READY_FOR_TEST', // revert to ready for testing
  'READY_FOR_CUTOVER>CUTTING_OVER', // StartCutover
  'CUTTING_OVER>READY_FOR_CUTOVER', // revert to ready for cutover
  'CUTTING_OVER>CUTOVER', // FinalizeCutover (or ChangeServerLifeCycleState CUTOVER)
  ...['NOT_READY', 'READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'STOPPED'].map((s) => `${s}>DISCONNECTED`),
]);

const INJECTABLE = ['StartTest', 'StartCutover', 'TerminateTargetInstances', 'ChangeServerLifeCycleState', 'FinalizeCutover'] as const;

type Cmd =
  | { kind: 'StartTest' | 'StartCutover' | 'TerminateTargetInstances'; servers: number[] }
  | { kind: 'ChangeServerLifeCycleState'; server: number; state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER' }
  | {
      kind:
        | 'FinalizeCutover'
        | 'MarkAsArchived'
        | 'DisconnectFromService'
        | 'PauseReplication'
        | 'ResumeReplication'
        | 'StopReplication'
        | 'StartReplication'
        | 'RetryDataReplication';
      server: number;
    }
  | { kind: 'AssociateSourceServers' | 'DisassociateSourceServers'; servers: number[] }
  | { kind: 'AssociateApplications' | 'DisassociateApplications' }
  | { kind: 'advance'; seconds: number }
  | { kind: 'raw'; variant: number }
  | { kind: 'inject500'; operation: (typeof INJECTABLE)[number]; afterCommit: boolean }
  | { kind: 'stall'; server: number };

/** Skewed towards the first servers, so that one server often gets several calls in a row (launch, then finalize). */
const realServer = fc.oneof(
  { weight: 4, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constant(1) },
  { weight: 1, arbitrary: fc.integer({ min: 2, max: SERVERS - 1 }) },
);
const serverIndex = fc.oneof(
  { weight: 12, arbitrary: realServer },
  { weight: 1, arbitrary: fc.constant(UNKNOWN) },
  { weight: 1, arbitrary: fc.constant(MALFORMED) },
);
const subset = fc.uniqueArray(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: SERVERS - 1 }) }, { weight: 1, arbitrary: fc.constant(UNKNOWN) }), {
  minLength: 1,
  maxLength: SERVERS,
});
/** FinalizeCutover and MarkAsArchived listed more than once: they only succeed after a run of the right calls. */
const single = [
  'FinalizeCutover',
  'FinalizeCutover',
  'FinalizeCutover',
  'MarkAsArchived',
  'MarkAsArchived',
  'DisconnectFromService',
  'PauseReplication',
  'ResumeReplication',
  'StopReplication',
  'StartReplication',
  'RetryDataReplication',
] as const;

const command: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('StartTest', 'StartCutover', 'TerminateTargetInstances'), servers: subset }) },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('ChangeServerLifeCycleState'),
      server: serverIndex,
      state: fc.constantFrom('READY_FOR_TEST', 'READY_FOR_CUTOVER', 'CUTOVER'),
    }),
  },
  { weight: 6, arbitrary: fc.record({ kind: fc.constantFrom(...single), server: serverIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('AssociateSourceServers', 'DisassociateSourceServers'), servers: subset }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constantFrom('AssociateApplications', 'DisassociateApplications') }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance'), seconds: fc.integer({ min: 0, max: 7200 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('raw'), variant: fc.integer({ min: 0, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('inject500'), operation: fc.constantFrom(...INJECTABLE), afterCommit: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('stall'), server: realServer }) },
) as fc.Arbitrary<Cmd>;

/** Malformed requests the SDK would never send. */
function rawRequest(variant: number, id: string): { method: string; path: string; body?: string } {
  switch (variant) {
    case 0:
      return { method: 'POST', path: '/StartTest', body: '{"sourceServerIDs": [' };
    case 1:
      return { method: 'POST', path: '/StartCutover', body: '[]' };
    case 2:
      return { method: 'POST', path: '/TerminateTargetInstances', body: JSON.stringify({ sourceServerIDs: id }) };
    case 3:
      return { method: 'POST', path: '/NoSuchOperation', body: '{}' };
    case 4:
      return { method: 'GET', path: '/DescribeSourceServers' };
    case 5:
      return { method: 'POST', path: '/ChangeServerLifeCycleState', body: JSON.stringify({ sourceServerID: id, lifeCycle: { state: 'TESTING' } }) };
    default:
      return { method: 'POST', path: '/DeleteJob', body: JSON.stringify({ jobID: 'mgnjob-00000000000000000' }) };
  }
}

class InvariantError extends Error {}
function invariant(cond: boolean, message: string): asserts cond {
  if (!cond) throw new InvariantError(message);
}

async function runSequence(agentInstalled: boolean, seed: number, cmds: Cmd[]): Promise<void> {
  const emu = await startEmulator({
    manualClock: true,
    seed,
    servers: SERVERS,
    applications: 1,
    start: agentInstalled ? 'agent-installed' : 'ready-for-test',
    bandwidthBytesPerS: 2 * GiB,
  });
  const mgn = new MgnClient({
    region: 'us-east-1',
    endpoint: emu.endpoint,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  try {
    const first = (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
    const ids = first.map((s) => s.sourceServerID as string);
    invariant(ids.length === SERVERS, `expected ${SERVERS} servers`);
    const idOf = (n: number) => (n === UNKNOWN ? 's-00000000000000000' : n === MALFORMED ? 'server-1' : (ids[n] as string));
    const [app] = (await mgn.send(new ListApplicationsCommand({}))).items ?? [];
    const applicationID = app?.applicationID as string;
    const waveID = app?.waveID as string;

    let states = new Map(first.map((s) => [s.sourceServerID as string, s.lifeCycle?.state as string]));
    let archived = new Set<string>();
    const injected = new Map<string, number>();

    const send = async (operation: string, run: () => Promise<{ $metadata: { httpStatusCode?: number; requestId?: string } }>) => {
      try {
        const out = await run();
        invariant(out.$metadata.requestId !== undefined, `${operation}: success without x-amzn-RequestId`);
        invariant((out.$metadata.httpStatusCode ?? 0) < 300, `${operation}: success status ${out.$metadata.httpStatusCode}`);
      } catch (err) {
        if (err instanceof InvariantError) throw err;
        invariant(err instanceof MgnServiceException, `${operation}: not a service error: ${String(err)}`);
        invariant(MODELED.has(err.name), `${operation}: unmodeled exception ${err.name}`);
        invariant(err.$metadata.requestId !== undefined, `${operation}: ${err.name} without x-amzn-RequestId`);
        const status = err.$metadata.httpStatusCode ?? 0;
        if (status >= 500) {
          const pending = injected.get(operation) ?? 0;
          invariant(pending > 0, `${operation}: ${status} ${err.name} without an injected error: ${err.message}`);
          injected.set(operation, pending - 1);
        }
      }
    };

    let activeJobs = 0;
    /** `jobsMayChange`: only launches, terminations and the passing of time (with a job active) create or finish jobs. */
    const observe = async (step: string, jobsMayChange: boolean) => {
      const items = (await mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
      invariant(items.length === SERVERS, `${step}: ${items.length} servers listed`);
      const next = new Map(items.map((s) => [s.sourceServerID as string, s.lifeCycle?.state as string]));
      for (const [id, to] of next) {
        const from = states.get(id) as string;
        invariant(from === to || EDGES.has(`${from}>${to}`), `${step}: lifecycle ${from} -> ${to} is not an allowed edge`);
      }
      const nowArchived = new Set(items.filter((s) => s.isArchived).map((s) => s.sourceServerID as string));
      for (const id of archived) invariant(nowArchived.has(id), `${step}: ${id} was unarchived`);
      for (const id of nowArchived) {
        invariant(['CUTOVER', 'DISCONNECTED'].includes(next.get(id) as string), `${step}: archived in ${next.get(id)}`);
      }
      states = next;
      archived = nowArchived;
      if (!jobsMayChange) return;

      const jobs = (await mgn.send(new DescribeJobsCommand({}))).items ?? [];
      const activeJobsOf = new Map<string, number>();
      for (const job of jobs) {
        for (const p of job.participatingServers ?? []) {
          invariant(ids.includes(p.sourceServerID as string), `${step}: job ${job.jobID} holds unknown server ${p.sourceServerID}`);
          if (job.status !== 'COMPLETED') activeJobsOf.set(p.sourceServerID as string, (activeJobsOf.get(p.sourceServerID as string) ?? 0) + 1);
        }
      }
      for (const [id, n] of activeJobsOf) invariant(n <= 1, `${step}: ${id} is in ${n} active jobs`);
      activeJobs = jobs.filter((j) => j.status !== 'COMPLETED').length;
    };

    for (const [n, cmd] of cmds.entries()) {
      const step = `step ${n} ${JSON.stringify(cmd)}`;
      switch (cmd.kind) {
        case 'StartTest':
        case 'StartCutover':
        case 'TerminateTargetInstances': {
          const input = { sourceServerIDs: cmd.servers.map(idOf) };
          const c =
            cmd.kind === 'StartTest'
              ? new StartTestCommand(input)
              : cmd.kind === 'StartCutover'
                ? new StartCutoverCommand(input)
                : new TerminateTargetInstancesCommand(input);
          await send(cmd.kind, () => mgn.send(c as StartTestCommand));
          break;
        }
        case 'ChangeServerLifeCycleState':
          await send(cmd.kind, () =>
            mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: idOf(cmd.server), lifeCycle: { state: cmd.state } })),
          );
          break;
        case 'FinalizeCutover':
        case 'MarkAsArchived':
        case 'DisconnectFromService':
        case 'PauseReplication':
        case 'ResumeReplication':
        case 'StopReplication':
        case 'StartReplication':
        case 'RetryDataReplication': {
          const input = { sourceServerID: idOf(cmd.server) };
          const make = {
            FinalizeCutover: () => new FinalizeCutoverCommand(input),
            MarkAsArchived: () => new MarkAsArchivedCommand(input),
            DisconnectFromService: () => new DisconnectFromServiceCommand(input),
            PauseReplication: () => new PauseReplicationCommand(input),
            ResumeReplication: () => new ResumeReplicationCommand(input),
            StopReplication: () => new StopReplicationCommand(input),
            StartReplication: () => new StartReplicationCommand(input),
            RetryDataReplication: () => new RetryDataReplicationCommand(input),
          }[cmd.kind];
          await send(cmd.kind, () => mgn.send(make() as FinalizeCutoverCommand));
          break;
        }
        case 'AssociateSourceServers':
        case 'DisassociateSourceServers': {
          const input = { applicationID, sourceServerIDs: cmd.servers.map(idOf) };
          await send(cmd.kind, () =>
            cmd.kind === 'AssociateSourceServers'
              ? mgn.send(new AssociateSourceServersCommand(input))
              : mgn.send(new DisassociateSourceServersCommand(input)),
          );
          break;
        }
        case 'AssociateApplications':
        case 'DisassociateApplications': {
          const input = { waveID, applicationIDs: [applicationID] };
          await send(cmd.kind, () =>
            cmd.kind === 'AssociateApplications'
              ? mgn.send(new AssociateApplicationsCommand(input))
              : mgn.send(new DisassociateApplicationsCommand(input)),
          );
          break;
        }
        case 'advance':
          emu.clock.advance(cmd.seconds);
          break;
        case 'raw': {
          const r = rawRequest(cmd.variant, ids[0] as string);
          const res = await fetch(`${emu.endpoint}${r.path}`, {
            method: r.method,
            ...(r.body === undefined ? {} : { body: r.body, headers: { 'content-type': 'application/json' } }),
          });
          const text = await res.text();
          const operation = r.path.slice(1);
          if (res.status === 500 && (injected.get(operation) ?? 0) > 0) {
            // an error queued for this operation is served before the input is validated
            injected.set(operation, (injected.get(operation) ?? 0) - 1);
          } else {
            invariant(res.status >= 400 && res.status < 500, `${step}: malformed request answered ${res.status}: ${text}`);
          }
          invariant(res.headers.get('x-amzn-requestid') !== null, `${step}: no x-amzn-RequestId`);
          invariant(MODELED.has(res.headers.get('x-amzn-errortype') ?? ''), `${step}: error type ${res.headers.get('x-amzn-errortype')}`);
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            invariant(false, `${step}: body is not JSON: ${text.slice(0, 80)}`);
          }
          invariant(typeof (body as { message?: unknown }).message === 'string', `${step}: error body without message`);
          break;
        }
        case 'inject500': {
          const res = await fetch(`${emu.endpoint}/_emulator/errors`, {
            method: 'POST',
            body: JSON.stringify({ type: 'InternalServerException', operation: cmd.operation, afterCommit: cmd.afterCommit }),
          });
          invariant(res.status === 200, `${step}: could not queue an error (${res.status})`);
          await res.body?.cancel();
          injected.set(cmd.operation, (injected.get(cmd.operation) ?? 0) + 1);
          break;
        }
        case 'stall': {
          // replication stalls as if the network dropped (refused while STOPPED, PAUSED, DISCONNECTED or STALLED)
          const res = await fetch(`${emu.endpoint}/_emulator/servers/${idOf(cmd.server)}/inject`, {
            method: 'POST',
            body: JSON.stringify({ stall: 'UNSTABLE_NETWORK' }),
          });
          invariant(res.status === 200 || res.status === 409, `${step}: stall injection answered ${res.status}`);
          await res.body?.cancel();
          break;
        }
      }
      if (cmd.kind === 'inject500') continue; // only queues an error: nothing to observe yet
      const launched = cmd.kind === 'StartTest' || cmd.kind === 'StartCutover' || cmd.kind === 'TerminateTargetInstances';
      await observe(step, launched || (cmd.kind === 'advance' && activeJobs > 0));
    }
  } finally {
    mgn.destroy();
    await emu.close();
  }
}

describe('emulator under random request sequences', () => {
  it(`keeps its invariants over ${RUNS} random sequences of 5-15 calls`, { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.boolean(),
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.array(command, { minLength: 5, maxLength: 15 }),
        async (agentInstalled, seed, cmds) => runSequence(agentInstalled, seed, cmds),
      ),
      { numRuns: RUNS },
    );
  });
});
