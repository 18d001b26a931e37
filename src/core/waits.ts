import type { Clock, GateStore, JobView, Log, MgnPort, Notifier, OpenWait, RendezvousStore, ServerView, StallStore, TaskCallbacks, WaitCondition, WaitStore } from '../ports.ts';
import { errorFields, logOf, warnAndContinue } from './log.ts';
import { TaskClosedError, TransientError } from './errors.ts';
import { metric } from './metrics.ts';
import { AFTER_QUIESCE } from './lifecycle.ts';
import { consoleDrift } from './drift.ts';
import { observeReplication } from './stalls.ts';

/**
 * Waiting for MGN (docs/adr): every wait is a callback task that (1) records the open wait, (2) checks its
 * condition at once, (3) is resolved by the event router when a matching event arrives, and (4) by the
 * reconciler, which batch-polls only the servers and jobs with open waits. Resolution is exactly-once:
 * `WaitStore.take` lets one resolver win; only the winner resumes the execution.
 */

/** What each condition reads of MGN. */
const NEEDS_SERVER = new Set(['AGENT', 'READY_FOR_TEST', 'POST_LAUNCH', 'CUTOVER_STATE', 'READINESS']);
const NEEDS_JOB = new Set(['LAUNCH_RESULT', 'POST_LAUNCH', 'JOB_DONE']);

const READY_OR_LATER = new Set(['READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER']);

/** Lifecycle states of a server MGN knows without an agent (imported, discovered, install pending). */
export const NO_AGENT = new Set(['DISCOVERED', 'PENDING_INSTALLATION']);
/** Replication states that mean an agent runs and replication has started. */
const REPLICATING = new Set(['INITIATING', 'INITIAL_SYNC', 'BACKLOG', 'CREATING_SNAPSHOT', 'CONTINUOUS', 'RESCAN', 'STALLED', 'PAUSED', 'PENDING_SNAPSHOT_SHIPPING', 'SHIPPING_SNAPSHOT']);
/** Healthy agentless (SNAPSHOT_SHIPPING) replication: between snapshots, or shipping one. There is no CONTINUOUS. */
const SNAPSHOT_SHIPPING_HEALTHY = new Set(['PENDING_SNAPSHOT_SHIPPING', 'SHIPPING_SNAPSHOT']);

/** Launch states of a participant whose launch may still fail, or did: it relaunches with the others. */
const MAY_FAIL = new Set(['FAILED', 'PENDING', 'IN_PROGRESS']);

/**
 * The servers of one failed launch (MGN's job): this server and the others MGN does not show launched in it.
 * None when this server is not in the job or launched in it (it failed later, on its own).
 */
export function failedTogether(job: JobView | undefined, serverId: string): string[] | undefined {
  const mine = job?.servers.find((s) => s.id === serverId);
  if (!job || !mine || mine.launchStatus === 'LAUNCHED') return undefined;
  return job.servers.filter((s) => s.id === serverId || MAY_FAIL.has(s.launchStatus)).map((s) => s.id).sort();
}

/** `log`: the invocation's (functions/_lib/runtime.ts); stderr when absent (src/core/log.ts). */
export type WaitDeps = { mgn: MgnPort; waits: WaitStore; callbacks: TaskCallbacks; clock: Clock; log?: Log };

/**
 * `deps` with its MGN port scoped to `account` of MGN's global view (the home account: `deps` itself); every
 * other port as is (a handler's checked view stays checked: it is the prototype).
 */
export function inAccount<D extends { mgn: MgnPort }>(deps: D, account: string | null | undefined): D {
  if (!account || deps.mgn.account === account) return deps;
  return Object.assign(Object.create(deps) as D, { mgn: deps.mgn.forAccount(account) });
}

/** Record the server's wait at an application's rendezvous (a gate or a launch point), with its token. */
export async function parkAt(
  deps: Pick<WaitDeps, 'waits' | 'clock'>,
  a: { serverId: string; executionArn: string; state: string; token: string; account?: string | null },
  condition: Extract<WaitCondition, { kind: 'GATE' | 'LAUNCH_POINT' }>,
  waitSeconds?: number,
): Promise<void> {
  await deps.waits.put({
    serverId: a.serverId,
    executionArn: a.executionArn,
    state: a.state,
    token: a.token,
    condition,
    createdAt: deps.clock.now().toISOString(),
    ...(waitSeconds !== undefined ? { waitSeconds } : {}),
    ...(a.account ? { account: a.account } : {}),
  });
}

export type Outcome = { output: Record<string, unknown> } | { error: string; cause: string };

/** Evaluate a condition against what MGN says now. Undefined: not yet. Pure. */
export function evaluate(condition: WaitCondition, serverId: string, server: ServerView | undefined, job: JobView | undefined, now: Date): Outcome | undefined {
  // another (older) job never answers for the one the wait names
  if (job && 'jobId' in condition && job.id !== condition.jobId) job = undefined;
  switch (condition.kind) {
    case 'AGENT':
      // the agent is in: MGN moved the server out of DISCOVERED / PENDING_INSTALLATION, or replication runs
      if (!server) return undefined;
      if (!NO_AGENT.has(server.lifeCycle) || REPLICATING.has(server.replication.state)) return { output: { lifeCycle: server.lifeCycle, replication: server.replication.state } };
      return undefined;
    case 'READY_FOR_TEST':
      if (!server) return undefined;
      if (server.replication.lagSeconds !== null && READY_OR_LATER.has(server.lifeCycle)) return { output: { lifeCycle: server.lifeCycle } };
      return undefined;
    case 'LAUNCH_RESULT': {
      const p = job?.servers.find((s) => s.id === serverId);
      if (!job || !p) return undefined;
      if (p.launchStatus === 'LAUNCHED') return { output: { jobId: job.id, status: 'LAUNCHED', ec2InstanceId: p.ec2InstanceId } };
      if (p.launchStatus === 'FAILED') return { output: { jobId: job.id, status: 'FAILED' } };
      if (job.status === 'COMPLETED') return { output: { jobId: job.id, status: 'FAILED', reason: `launch ended ${p.launchStatus}` } };
      return undefined;
    }
    case 'POST_LAUNCH': {
      const p = job?.servers.find((s) => s.id === serverId);
      if (!job || !p || !server) return undefined;
      if (server.launchedInstance?.jobId !== job.id) return undefined;
      // launchDisposition STOPPED: the instance never boots, so there is no first boot to wait for and MGN
      // runs no post-launch action on it; the launch is verified as launched and stopped
      if (server.launchedInstance.firstBoot === 'STOPPED' && p.launchStatus === 'LAUNCHED') {
        return { output: { jobId: job.id, firstBoot: 'STOPPED', actions: [], mustSucceedFailed: [], otherFailed: [], note: 'launched stopped (launchDisposition STOPPED): no boot, no post-launch actions' } };
      }
      if (server.launchedInstance.firstBoot !== 'SUCCEEDED') return undefined;
      const actions = p.postLaunch?.actions ?? [];
      if (actions.some((a) => a.status === 'IN_PROGRESS')) return undefined;
      if (p.postLaunch && !p.postLaunch.discovered && actions.length === 0) return undefined;
      const failed = actions.filter((a) => a.status === 'FAILED');
      return {
        output: {
          jobId: job.id,
          actions: actions.map((a) => ({ name: a.name, status: a.status })),
          mustSucceedFailed: failed.filter((a) => a.mustSucceedForCutover).map((a) => a.name),
          otherFailed: failed.filter((a) => !a.mustSucceedForCutover).map((a) => a.name),
        },
      };
    }
    case 'JOB_DONE':
      return job?.status === 'COMPLETED' ? { output: { jobId: job.id, status: job.status } } : undefined;
    case 'CUTOVER_STATE':
      return server?.lifeCycle === 'CUTOVER' ? { output: { lifeCycle: 'CUTOVER' } } : undefined;
    case 'UNTIL':
      return now.getTime() >= Date.parse(condition.at) ? { output: { reached: condition.at, reason: condition.reason } } : undefined;
    case 'READINESS': {
      if (!server) return undefined;
      const r = readiness(server, condition.maxLagSeconds);
      return r.ready ? { output: { ready: true } } : undefined;
    }
    case 'LAUNCH_POINT':
    case 'GATE':
      // resolved by the launcher and by the decision, never by polling MGN
      return undefined;
  }
}

/**
 * Right before StartCutover. Agent-based: CONTINUOUS, not stalled, lag under the threshold, no backlog.
 * Agentless (SNAPSHOT_SHIPPING, no continuous data protection): between snapshots or shipping one, not
 * stalled, and the last shipped snapshot (the lag) no older than the threshold: the cutover instance is made
 * from that snapshot, so writes after it are lost. Backlog does not apply.
 */
export function readiness(server: ServerView, maxLagSeconds: number): { ready: boolean; reasons: string[] } {
  const reasons: string[] = [];
  const agentless = server.replicationType === 'SNAPSHOT_SHIPPING';
  if (agentless) {
    if (!SNAPSHOT_SHIPPING_HEALTHY.has(server.replication.state)) reasons.push(`agentless replication is ${server.replication.state}, not PENDING_SNAPSHOT_SHIPPING or SHIPPING_SNAPSHOT`);
  } else if (server.replication.state !== 'CONTINUOUS') reasons.push(`replication is ${server.replication.state}, not CONTINUOUS`);
  if (server.replication.lagSeconds === null) reasons.push('no launchable snapshot (lag unknown)');
  else if (server.replication.lagSeconds > maxLagSeconds) reasons.push(agentless ? `last snapshot shipped ${server.replication.lagSeconds}s ago, over ${maxLagSeconds}s` : `lag ${server.replication.lagSeconds}s is over ${maxLagSeconds}s`);
  if (!agentless && server.replication.backlogBytes > 0) reasons.push(`backlog ${server.replication.backlogBytes} bytes`);
  return { ready: reasons.length === 0, reasons };
}

function jobIdOf(c: WaitCondition): string | undefined {
  return 'jobId' in c ? c.jobId : undefined;
}

/** Resolve one wait exactly once. Returns true if this caller resumed the execution. */
export async function resolve(deps: Pick<WaitDeps, 'waits' | 'callbacks' | 'log'>, wait: OpenWait, outcome: Outcome): Promise<boolean> {
  if (!(await deps.waits.take(wait.serverId, wait.token))) return false;
  try {
    if ('output' in outcome) await deps.callbacks.succeed(wait.token, outcome.output);
    else await deps.callbacks.fail(wait.token, outcome.error, outcome.cause);
  } catch (err) {
    // The execution already moved on (stopped, timed out): nothing to resume.
    if (err instanceof TaskClosedError) {
      logOf(deps).info('wait already closed', { serverId: wait.serverId, state: wait.state, ...errorFields(err), safe: 'the execution moved on (stopped, timed out): nothing to resume' });
      return true;
    }
    // Throttled: Step Functions did not take the call, so put the wait back for the next event or reconcile.
    // Any other error may have applied: putting back could overwrite the execution's next wait.
    if (err instanceof TransientError && err.throttled) await deps.waits.put(wait);
    throw err;
  }
  return true;
}

/** Register a wait and check it at once. */
export async function registerWait(deps: WaitDeps, wait: Omit<OpenWait, 'createdAt'>, opts: { checkNow?: boolean } = {}): Promise<{ resolvedAtOnce: boolean }> {
  const record: OpenWait = { ...wait, createdAt: deps.clock.now().toISOString() };
  await deps.waits.put(record);
  // A wait for a job made a moment ago (checkNow false) cannot be satisfied yet: no call.
  if (opts.checkNow === false) return { resolvedAtOnce: false };
  const [server] = NEEDS_SERVER.has(wait.condition.kind) ? await deps.mgn.describeServers([wait.serverId]) : [];
  const jobId = jobIdOf(wait.condition);
  const [job] = jobId && NEEDS_JOB.has(wait.condition.kind) ? await deps.mgn.describeJobs([jobId]) : [];
  const outcome = evaluate(wait.condition, wait.serverId, server, job, deps.clock.now());
  if (!outcome) return { resolvedAtOnce: false };
  return { resolvedAtOnce: await resolve(deps, record, outcome) };
}

/**
 * What the reconciler does besides resolving waits, when its deps carry them: recover lost stall and
 * not-stalled events from MGN's state (src/core/stalls.ts), and notice console drift of parked servers
 * (src/core/drift.ts).
 */
export type ReconcileExtras = {
  stalls: StallStore;
  notifier: Notifier;
  onceKey(key: string, ttlSeconds: number): Promise<boolean>;
  maxStallRetries: number;
  mgn: Pick<MgnPort, 'retryDataReplication'>;
  /**
   * Read the servers parked where nothing in MGN resolves them (soak, gates, holds, launch points) in this
   * run, for console drift and lost stall events (default true). The reconciler does so once per
   * PARKED_SWEEP_SECONDS: those are recoveries, and reading every parked server each run was most of a large
   * wave's MGN reads.
   */
  sweepParked?: boolean;
};

/** How often the reconciler reads parked servers (console drift, lost stall events). */
export const PARKED_SWEEP_SECONDS = 1800;

/**
 * The reconciler: batch-poll what open waits need (200 ids a call), resolve what is satisfied. With the stall
 * extras it reads the server of every open wait (a running execution) and recovers the stall and not-stalled
 * events MGN did not deliver.
 */
export async function reconcile(deps: WaitDeps, watch?: ReconcileExtras): Promise<{ open: number; resolved: number; serverCalls: number; jobCalls: number; failedCalls?: number; stalls?: Record<string, number>; drifted?: number }> {
  // eventually consistent (an index): a wait written a moment ago is seen at the next run; each resolution is conditional
  const open = await deps.waits.list({ consistent: false });
  if (open.length === 0) return { open: 0, resolved: 0, serverCalls: 0, jobCalls: 0 };
  const now = deps.clock.now();
  const sweep = watch !== undefined && watch.sweepParked !== false;
  // without the sweep only these read the server: UNTIL, JOB_DONE and LAUNCH_RESULT need none; LAUNCH_POINT and GATE are never polled
  const needsServer = sweep ? open : open.filter((w) => NEEDS_SERVER.has(w.condition.kind));
  const serverIds = [...new Set(needsServer.map((w) => w.serverId))];
  const asked = new Set(serverIds);
  const jobIds = [...new Set(open.map((w) => jobIdOf(w.condition)).filter((j): j is string => j !== undefined))];
  const servers = new Map<string, ServerView>();
  const jobs = new Map<string, JobView>();
  let serverCalls = 0;
  let jobCalls = 0;
  // A batch MGN refuses (throttled, down) is left for the next run; the other batches still count, and a
  // server not read is never taken for one MGN no longer knows.
  const unread = new Set<string>();
  let failedCalls = 0;
  // each account of MGN's global view is read on its own (its servers and jobs answer only with its accountID)
  const accountOf = new Map(open.map((w) => [w.serverId, w.account ?? undefined]));
  for (const [account, ids] of byAccount(serverIds, (id) => accountOf.get(id))) {
    const mgn = deps.mgn.forAccount(account);
    for (let i = 0; i < ids.length; i += 200) {
      serverCalls++;
      const batch = ids.slice(i, i + 200);
      try {
        for (const s of await mgn.describeServers(batch)) servers.set(s.id, s);
      } catch (err) {
        failedCalls++;
        for (const id of batch) unread.add(id);
        logOf(deps).warn('MGN read failed', { operation: 'DescribeSourceServers', servers: batch.length, ...(account ? { account } : {}), ...errorFields(err), safe: 'the waits of these servers stay open for the next reconcile run; a server not read is never taken for one MGN no longer knows' });
      }
    }
  }
  const jobAccount = new Map(open.map((w) => [jobIdOf(w.condition), w.account ?? undefined]));
  for (const [account, ids] of byAccount(jobIds, (id) => jobAccount.get(id))) {
    const mgn = deps.mgn.forAccount(account);
    for (let i = 0; i < ids.length; i += 200) {
      jobCalls++;
      try {
        for (const j of await mgn.describeJobs(ids.slice(i, i + 200))) jobs.set(j.id, j);
      } catch (err) {
        failedCalls++;
        logOf(deps).warn('MGN read failed', { operation: 'DescribeJobs', jobs: Math.min(200, ids.length - i), ...(account ? { account } : {}), ...errorFields(err), safe: 'the waits on these jobs stay open for the next reconcile run' });
      }
    }
  }
  let resolved = 0;
  const done = new Set<string>();
  for (const w of open) {
    const jobId = jobIdOf(w.condition);
    const outcome = evaluate(w.condition, w.serverId, servers.get(w.serverId), jobId ? jobs.get(jobId) : undefined, now);
    if (outcome && (await resolve(deps, w, outcome))) {
      resolved++;
      done.add(w.token);
    }
  }
  if (resolved > 0) metric(deps, 'ReconcilerResolutions', resolved);
  if (!watch) return { open: open.length, resolved, serverCalls, jobCalls, ...(failedCalls ? { failedCalls } : {}) };
  const stalls: Record<string, number> = {};
  const x = { ...watch, clock: deps.clock, log: deps.log };
  // the history is read only for a server MGN shows stalled or one with an open episode (one index query)
  const openStalls = new Set(await watch.stalls.openServers());
  const observed = new Set<string>();
  let drifted = 0;
  for (const w of open) {
    // a server not read in this run (no sweep) is neither drifted nor observed
    if (!asked.has(w.serverId)) continue;
    const server = servers.get(w.serverId);
    // console drift: a parked server changed by hand is told to ops once and routed on MGN's new state
    const drift = done.has(w.token) || unread.has(w.serverId) ? undefined : consoleDrift(w, server);
    if (drift) {
      // only the one that takes the wait (the index may show a wait already gone) routes and tells ops
      if (!(await resolve(deps, w, { error: 'ConsoleDrift', cause: drift }))) continue;
      drifted++;
      await watch.notifier.ops({
        subject: `Changed in MGN by hand: ${w.serverId}`,
        text: `${w.serverId} was waiting in ${w.state} and ${drift}. mgn-flow follows MGN: the server goes back to Route, which continues from MGN's state (or ends it, naming why).`,
        key: `drift#${w.executionArn}#${w.state}#${w.createdAt}`,
        attributes: { event: 'ConsoleDrift', server: w.serverId },
      });
      continue;
    }
    if (!server || observed.has(server.id)) continue;
    observed.add(server.id);
    if (server.replication.state !== 'STALLED' && !openStalls.has(server.id)) continue;
    // one server's failure (a throttled write) does not stop the others; the next run tries again
    const action = await observeReplication(w.account ? { ...x, mgn: deps.mgn.forAccount(w.account) } : x, server, { via: 'reconcile', quiesced: AFTER_QUIESCE.has(w.state) }).catch(
      warnAndContinue(deps, 'stall observation failed', 'the other servers are observed all the same; the next reconcile run observes this one again', { serverId: server.id }),
    );
    if (action && action !== 'known') stalls[action] = (stalls[action] ?? 0) + 1;
  }
  return { open: open.length, resolved, serverCalls, jobCalls, stalls, drifted, ...(failedCalls ? { failedCalls } : {}) };
}

/** Ids grouped by account (undefined: the home account), in first-seen order. */
function byAccount(ids: readonly string[], accountOf: (id: string) => string | undefined): Map<string | undefined, string[]> {
  const out = new Map<string | undefined, string[]>();
  for (const id of ids) {
    const a = accountOf(id);
    const list = out.get(a);
    if (list) list.push(id);
    else out.set(a, [id]);
  }
  return out;
}

export interface MgnEventLike {
  'detail-type': string;
  resources: string[];
  detail: Record<string, unknown>;
  /** When MGN sent it (the envelope's `time`). */
  time?: string;
}

/**
 * The event router: an MGN event resolves the matching open wait (an event for an older job never resolves a
 * newer wait). A stall or not-stalled event makes it read the server in MGN and follow what MGN says
 * (src/core/stalls.ts): a stall opens an episode, tells ops once and asks MGN to retry replication, unless
 * the source was quiesced for cutover, where a stall is evidence, not an alert; its end closes the episode.
 */
export async function routeEvent(
  deps: WaitDeps & { notifier: Notifier; onceKey(key: string, ttlSeconds: number): Promise<boolean>; maxStallRetries: number; stalls: StallStore },
  event: MgnEventLike,
): Promise<{ resolved: boolean; action?: string }> {
  const serverId = event.resources[0]?.split('/')[1];
  if (!serverId) return { resolved: false };
  const type = event['detail-type'];
  if (type === 'MGN Source Server Data Replication Stalled Change') {
    // best effort, duplicated, reordered: the event only says "look"; MGN's state decides (in the account the
    // server's wait names: another account of MGN's global view is read with its accountID)
    const wait = await deps.waits.get(serverId);
    const scoped = inAccount(deps, wait?.account);
    const [server] = await scoped.mgn.describeServers([serverId]);
    if (!server) return { resolved: false };
    const action = await observeReplication(scoped, server, { via: 'event', quiesced: wait !== undefined && AFTER_QUIESCE.has(wait.state), ...(event.time ? { at: event.time } : {}) });
    return { resolved: false, ...(action ? { action } : {}) };
  }
  const wait = await deps.waits.get(serverId);
  if (!wait) return { resolved: false };
  const c = wait.condition;
  // how long from MGN's event to the execution it resumes (EventBridge delivery and this handler)
  const resumed = (resolved: boolean) => {
    if (resolved && event.time) metric(deps, 'EventToResumeSeconds', Math.max(0, (deps.clock.now().getTime() - Date.parse(event.time)) / 1000), { event: type }, { server: serverId, execution: wait.executionArn });
    return { resolved };
  };
  if (type === 'MGN Source Server Lifecycle State Change' && event.detail.state === 'READY_FOR_TEST' && c.kind === 'READY_FOR_TEST') {
    return resumed(await resolve(deps, wait, { output: { lifeCycle: 'READY_FOR_TEST', via: 'event' } }));
  }
  if (type === 'MGN Source Server Launch Result' && c.kind === 'LAUNCH_RESULT') {
    const state = String(event.detail.state ?? '');
    const jobId = String(event.detail['job-id'] ?? '');
    if (jobId !== c.jobId || !state.startsWith(c.launch)) return { resolved: false };
    const ok = state.endsWith('_SUCCEEDED');
    return resumed(await resolve(deps, wait, { output: { jobId, status: ok ? 'LAUNCHED' : 'FAILED', via: 'event' } }));
  }
  return { resolved: false };
}

/**
 * An execution closed (stopped, failed, timed out): its open waits go, so no event or reconcile acts for it
 * any more. The token is never used again.
 */
export async function closeExecutionWaits(
  deps: Pick<WaitDeps, 'waits'> & { points: Pick<RendezvousStore, 'leave'>; gates?: Pick<GateStore, 'expire' | 'leave'> },
  executionArn: string,
): Promise<{ closed: string[]; leftLaunchPoints: string[]; closedGates: string[] }> {
  const closed: string[] = [];
  const leftLaunchPoints: string[] = [];
  const closedGates: string[] = [];
  const waits = await deps.waits.list();
  for (const w of waits) {
    if (w.executionArn !== executionArn || !(await deps.waits.take(w.serverId, w.token))) continue;
    closed.push(w.serverId);
    // an arrival at a launch point not yet made is taken back: stopping starts no further MGN job
    if (w.condition.kind === 'LAUNCH_POINT' && (await deps.points.leave(w.condition.pointId, w.serverId))) leftLaunchPoints.push(w.condition.pointId);
    // the last server parked at a gate left: the gate closes with it, and so do its links
    const gate = w.condition.kind === 'GATE' ? w.condition.gateId : undefined;
    if (gate && deps.gates) {
      await deps.gates.leave(gate, w.serverId);
      const others = (await deps.waits.list()).some((o) => o.condition.kind === 'GATE' && o.condition.gateId === gate);
      if (!others && (await deps.gates.expire(gate))) closedGates.push(gate);
    }
  }
  return { closed, leftLaunchPoints, closedGates };
}

/**
 * A server execution ended without success (stopped, failed, timed out): ops get one message naming how it
 * ended, and its waits close with it.
 */
export async function executionClosed(
  deps: Pick<WaitDeps, 'waits'> & { points: Pick<RendezvousStore, 'leave'>; gates?: Pick<GateStore, 'expire' | 'leave'>; notifier: Notifier },
  detail: { executionArn: string; name?: string; status: string; error?: string | null; cause?: string | null },
): Promise<{ closed: string[]; leftLaunchPoints: string[]; closedGates: string[] }> {
  const r = await closeExecutionWaits(deps, detail.executionArn);
  const name = detail.name ?? detail.executionArn.split(':').pop() ?? detail.executionArn;
  await deps.notifier.ops({
    subject: `Execution ${detail.status.toLowerCase()}: ${name}`,
    text: `Server execution ${name} ended ${detail.status}${detail.error ? ` with ${detail.error}` : ''}${detail.cause ? `: ${detail.cause.slice(0, 500)}` : ''}. Start it again (attempt + 1) to resume from MGN's state.`,
    key: `closed#${detail.executionArn}`,
    attributes: { event: 'ExecutionClosed', status: detail.status },
  });
  return r;
}

/** A run of independent parts in which some failed: the others ran; the failures are named. */
export class PartsFailedError extends Error {
  constructor(
    readonly failures: Record<string, string>,
    readonly results: Record<string, unknown>,
  ) {
    super(`reconcile: ${Object.entries(failures).map(([k, m]) => `${k} failed (${m})`).join('; ')}; the other parts ran`);
    this.name = 'PartsFailedError';
  }
}

/** Run every part in turn, each whatever the others met; throws PartsFailedError at the end if any failed. */
export async function allParts<T extends Record<string, () => Promise<unknown>>>(parts: T): Promise<{ [K in keyof T]: Awaited<ReturnType<T[K]>> }> {
  const results: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  for (const [name, part] of Object.entries(parts)) {
    try {
      results[name] = await part();
    } catch (err) {
      failures[name] = `${(err as Error).name}: ${(err as Error).message}`;
    }
  }
  if (Object.keys(failures).length) throw new PartsFailedError(failures, results);
  return results as { [K in keyof T]: Awaited<ReturnType<T[K]>> };
}
