import {
  ChangeServerLifeCycleStateCommand,
  FinalizeCutoverCommand,
  GetLaunchConfigurationCommand,
  type Job,
  MarkAsArchivedCommand,
  type MgnClient,
  type MgnClientConfig,
  type ParticipatingServer,
  RetryDataReplicationCommand,
  type SourceServer,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  paginateDescribeJobs,
  paginateDescribeSourceServers,
  paginateListManagedAccounts,
  paginateListSourceServerActions,
  RemoveSourceServerActionCommand,
  PutSourceServerActionCommand,
  type PutSourceServerActionCommandInput,
  UpdateLaunchConfigurationCommand,
  type UpdateLaunchConfigurationCommandInput,
} from '@aws-sdk/client-mgn';
import { withDomainErrors } from './errors.ts';
import type { JobStatus, JobView, LifeCycleState, MgnPort, ServerView } from '../../ports.ts';
import { chunks } from '../../core/batches.ts';

/** DescribeSourceServers takes at most 200 ids a call (sourceServerIDs len 0..200); jobs are chunked the same. */
export const MGN_IDS_PER_CALL = 200;

/** MGN answered something the adapter cannot read (a duration it cannot parse, a launch without a job). */
export class MgnResponseError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MgnResponseError';
  }
}

const DURATION = /^P(?:(\d+(?:[.,]\d+)?)Y)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)W)?(?:(\d+(?:[.,]\d+)?)D)?(?:T(?:(\d+(?:[.,]\d+)?)H)?(?:(\d+(?:[.,]\d+)?)M)?(?:(\d+(?:[.,]\d+)?)S)?)?$/;

/**
 * Seconds in an ISO-8601 duration as MGN writes `lagDuration` ("P0D", "PT1H2M3.5S", "P1DT2H"). Years and
 * months (which MGN does not use for lag) count as 365 and 30 days. Throws MgnResponseError on anything else.
 */
export function parseIsoDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m || text.trim() === 'P' || text.trim().endsWith('T')) throw new MgnResponseError(`MGN sent a duration that is not ISO-8601: ${JSON.stringify(text)}`);
  const n = (i: number) => Number((m[i] ?? '0').replace(',', '.'));
  const seconds = n(1) * 365 * 86400 + n(2) * 30 * 86400 + n(3) * 7 * 86400 + n(4) * 86400 + n(5) * 3600 + n(6) * 60 + n(7);
  return Math.round(seconds * 1000) / 1000;
}

/** Drop undefined fields, so a view serialises the same whether MGN sent an empty object or nothing. */
function defined<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

/** The core's projection of MGN's SourceServer. */
export function toServerView(s: SourceServer): ServerView {
  if (!s.sourceServerID) throw new MgnResponseError('MGN sent a source server without sourceServerID');
  const repl = s.dataReplicationInfo;
  const life = s.lifeCycle;
  const view: ServerView = {
    id: s.sourceServerID,
    isArchived: s.isArchived === true,
    // every server MGN returns has a lifecycle; one without is treated as not ready (the lifecycle waits)
    lifeCycle: (life?.state ?? 'NOT_READY') as LifeCycleState,
    replication: defined({
      state: repl?.dataReplicationState ?? 'UNKNOWN',
      lagSeconds: repl?.lagDuration ? parseIsoDuration(repl.lagDuration) : null,
      backlogBytes: (repl?.replicatedDisks ?? []).reduce((sum, d) => sum + (d.backloggedStorageBytes ?? 0), 0),
      error: repl?.dataReplicationError?.error,
      rawError: repl?.dataReplicationError?.rawError,
      failedStep: repl?.dataReplicationInitiation?.steps?.find((st) => st.status === 'FAILED')?.name,
    }),
    lastTest: defined({ jobId: life?.lastTest?.initiated?.jobID, initiatedAt: life?.lastTest?.initiated?.apiCallDateTime }),
    lastCutover: defined({
      jobId: life?.lastCutover?.initiated?.jobID,
      initiatedAt: life?.lastCutover?.initiated?.apiCallDateTime,
      finalizedAt: life?.lastCutover?.finalized?.apiCallDateTime,
    }),
  };
  const hostname = s.sourceProperties?.identificationHints?.hostname;
  if (hostname) view.hostname = hostname;
  const fqdn = s.fqdnForActionFramework || s.sourceProperties?.identificationHints?.fqdn;
  if (fqdn) view.fqdn = fqdn;
  if (s.userProvidedID) view.userProvidedId = s.userProvidedID;
  if (s.applicationID) view.applicationId = s.applicationID;
  if (s.replicationType === 'SNAPSHOT_SHIPPING' || s.replicationType === 'AGENT_BASED') view.replicationType = s.replicationType;
  const started = repl?.dataReplicationInitiation?.startDateTime;
  if (started) view.replicationStartedAt = started;
  if (s.launchedInstance) {
    view.launchedInstance = defined({ ec2InstanceId: s.launchedInstance.ec2InstanceID, jobId: s.launchedInstance.jobID, firstBoot: s.launchedInstance.firstBoot });
  }
  return view;
}

function toParticipant(p: ParticipatingServer): JobView['servers'][number] {
  const out: JobView['servers'][number] = { id: p.sourceServerID as string, launchStatus: p.launchStatus ?? 'PENDING' };
  if (p.launchedEc2InstanceID) out.ec2InstanceId = p.launchedEc2InstanceID;
  const pla = p.postLaunchActionsStatus;
  if (pla) {
    out.postLaunch = {
      discovered: pla.ssmAgentDiscoveryDatetime !== undefined && pla.ssmAgentDiscoveryDatetime !== '',
      actions: (pla.postLaunchActionsLaunchStatusList ?? []).map((a) =>
        defined({
          name: a.ssmDocument?.actionName ?? a.ssmDocument?.ssmDocumentName ?? 'unnamed action',
          // an action without a status has not reported yet: it is still running as far as the core knows
          status: a.executionStatus ?? 'IN_PROGRESS',
          mustSucceedForCutover: a.ssmDocument?.mustSucceedForCutover ?? true,
          failureReason: a.failureReason,
        }),
      ),
    };
  }
  return out;
}

/** The core's projection of MGN's Job. */
export function toJobView(j: Job): JobView {
  if (!j.jobID) throw new MgnResponseError('MGN sent a job without jobID');
  return {
    id: j.jobID,
    type: (j.type ?? 'LAUNCH') as JobView['type'],
    initiatedBy: j.initiatedBy ?? 'UNKNOWN',
    status: (j.status ?? 'PENDING') as JobStatus,
    createdAt: j.creationDateTime ?? '',
    servers: (j.participatingServers ?? []).filter((p) => p.sourceServerID).map(toParticipant),
  };
}


function jobIdOf(job: Job | undefined, operation: string): { jobId: string } {
  if (!job?.jobID) throw new MgnResponseError(`MGN answered ${operation} without a job`);
  return { jobId: job.jobID };
}

function serverOf(s: SourceServer, operation: string): ServerView {
  if (!s.sourceServerID) throw new MgnResponseError(`MGN answered ${operation} without a source server`);
  return toServerView(s);
}

type RetryStrategy = Extract<NonNullable<MgnClientConfig['retryStrategy']>, { acquireInitialRetryToken: unknown }>;

/**
 * The retry strategy for MGN writes: retry only what MGN refused before doing anything (throttling, with
 * exponential backoff and jitter), never an error that may come after MGN applied the request (a 500, a
 * timeout, a dropped connection). Those reach the core, which reads MGN (jobsSince) before acting again.
 */
export function writeRetryStrategy(opts: { maxAttempts?: number; baseDelayMs?: number; maxDelayMs?: number } = {}): RetryStrategy {
  const maxAttempts = opts.maxAttempts ?? 4;
  const base = opts.baseDelayMs ?? 200;
  const cap = opts.maxDelayMs ?? 5_000;
  const token = (retries: number, delay: number) => ({ getRetryCount: () => retries, getRetryDelay: () => delay });
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (previous, info) => {
      const retries = previous.getRetryCount() + 1;
      if (info.errorType !== 'THROTTLING' || retries >= maxAttempts) throw new Error('no retry for this MGN write');
      const hint = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0;
      return token(retries, Math.max(hint, Math.floor(Math.random() * Math.min(cap, base * 2 ** retries))));
    },
    recordSuccess: () => undefined,
  };
}

export interface MgnPortOptions {
  /**
   * Client for the calls that change something (StartTest, StartCutover, ...). Give one built with
   * `writeRetryStrategy()` (or maxAttempts 1) so that a request MGN applied and then answered with an error
   * is never sent a second time behind the core's back: the core reads MGN and decides. Default: `client`.
   */
  writeClient?: MgnClient;
  /** The account of MGN's global view every call targets (MGN's `accountID`); absent: the home account. */
  account?: string;
}

/**
 * MgnPort on the MGN API. Reads go in chunks of 200 ids through the SDK paginators (an empty id list reads
 * nothing: MGN would answer every server); errors come back as the SDK raised them.
 */
export function createMgnPort(client: MgnClient, opts: MgnPortOptions = {}): MgnPort {
  const write = opts.writeClient ?? client;
  /** MGN's accountID on every request of a scoped port; nothing on the home account's. */
  const acct = opts.account ? { accountID: opts.account } : {};
  const scopes = new Map<string, MgnPort>();
  const scoped = (account: string): MgnPort => {
    let port = scopes.get(account);
    if (!port) scopes.set(account, (port = createMgnPort(client, { ...opts, account })));
    return port;
  };
  // MGN's refusals reach the core as MgnConflictError, throttling and 5xx as TransientError (errors.ts)
  withDomainErrors(client, 'mgn');
  withDomainErrors(write, 'mgn');
  return {
    ...(opts.account ? { account: opts.account } : {}),
    forAccount(account) {
      return !account || account === opts.account ? this : scoped(account);
    },
    async listManagedAccounts() {
      const out: string[] = [];
      for await (const page of paginateListManagedAccounts({ client }, {})) for (const a of page.items ?? []) if (a.accountId) out.push(a.accountId);
      return out;
    },
    async describeServers(ids) {
      const out: ServerView[] = [];
      for (const chunk of chunks([...new Set(ids)], MGN_IDS_PER_CALL)) {
        for await (const page of paginateDescribeSourceServers({ client }, { ...acct, filters: { sourceServerIDs: chunk } })) {
          for (const s of page.items ?? []) out.push(toServerView(s));
        }
      }
      return out;
    },
    async listServers() {
      const out: ServerView[] = [];
      for await (const page of paginateDescribeSourceServers({ client }, { ...acct, filters: {} })) {
        for (const s of page.items ?? []) out.push(toServerView(s));
      }
      return out;
    },
    async applyLaunchSettings(id, launch, actions, removeActionIds = []) {
      if (launch && Object.keys(launch).length > 0) {
        // the wave file's postLaunchActionsDeployment is MGN's postLaunchActions.deployment; the rest of the
        // server's postLaunchActions (SSM documents, log destinations) is kept as MGN has it
        const { postLaunchActionsDeployment: deployment, ...rest } = launch as { postLaunchActionsDeployment?: string };
        const input: Record<string, unknown> = { ...rest, ...acct, sourceServerID: id };
        if (deployment) {
          const current = await client.send(new GetLaunchConfigurationCommand({ ...acct, sourceServerID: id }));
          input.postLaunchActions = { ...current.postLaunchActions, deployment };
        }
        await write.send(new UpdateLaunchConfigurationCommand(input as unknown as UpdateLaunchConfigurationCommandInput));
      }
      for (const a of actions ?? []) {
        // the wave file says actionId; MGN's member is actionID
        const { actionId, ...rest } = a as { actionId?: string };
        await write.send(new PutSourceServerActionCommand({ ...rest, ...acct, sourceServerID: id, ...(actionId ? { actionID: actionId } : {}) } as PutSourceServerActionCommandInput));
      }
      const removed: string[] = [];
      if (removeActionIds.length === 0) return { removed };
      // only what MGN has now: an action removed by hand (or by an earlier run) is not removed again
      const present = new Set<string>();
      for await (const page of paginateListSourceServerActions({ client }, { ...acct, sourceServerID: id })) for (const a of page.items ?? []) if (a.actionID) present.add(a.actionID);
      for (const actionID of new Set(removeActionIds)) {
        if (!present.has(actionID)) continue;
        await write.send(new RemoveSourceServerActionCommand({ ...acct, sourceServerID: id, actionID }));
        removed.push(actionID);
      }
      return { removed };
    },
    async describeJobs(ids) {
      const out: JobView[] = [];
      for (const chunk of chunks([...new Set(ids)], MGN_IDS_PER_CALL)) {
        for await (const page of paginateDescribeJobs({ client }, { ...acct, filters: { jobIDs: chunk } })) {
          for (const j of page.items ?? []) out.push(toJobView(j));
        }
      }
      return out;
    },
    async jobsSince(since) {
      const out: JobView[] = [];
      for await (const page of paginateDescribeJobs({ client }, { ...acct, filters: { fromDate: since } })) {
        for (const j of page.items ?? []) out.push(toJobView(j));
      }
      // MGN sorts newest first; keep that order across pages whatever a page boundary does
      return out.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    },
    async startTest(ids) {
      const { job } = await write.send(new StartTestCommand({ ...acct, sourceServerIDs: [...ids] }));
      return jobIdOf(job, 'StartTest');
    },
    async startCutover(ids) {
      const { job } = await write.send(new StartCutoverCommand({ ...acct, sourceServerIDs: [...ids] }));
      return jobIdOf(job, 'StartCutover');
    },
    async terminateTargetInstances(ids) {
      const { job } = await write.send(new TerminateTargetInstancesCommand({ ...acct, sourceServerIDs: [...ids] }));
      return jobIdOf(job, 'TerminateTargetInstances');
    },
    async changeLifeCycleState(id, state) {
      return serverOf(await write.send(new ChangeServerLifeCycleStateCommand({ ...acct, sourceServerID: id, lifeCycle: { state } })), 'ChangeServerLifeCycleState');
    },
    async finalizeCutover(id) {
      return serverOf(await write.send(new FinalizeCutoverCommand({ ...acct, sourceServerID: id })), 'FinalizeCutover');
    },
    async markAsArchived(id) {
      return serverOf(await write.send(new MarkAsArchivedCommand({ ...acct, sourceServerID: id })), 'MarkAsArchived');
    },
    async retryDataReplication(id) {
      return serverOf(await write.send(new RetryDataReplicationCommand({ ...acct, sourceServerID: id })), 'RetryDataReplication');
    },
  };
}
