import { JobSlotBusyError, LaunchDeferredError, MgnConflictError, TransientError } from './errors.ts';
import type { GateStore, LaunchPoint, Lock, Notifier, QuotaPort, RendezvousStore, WaveStore } from '../ports.ts';
import { failureRound, gateId, zonedMinute } from './gates.ts';
import { failureGateOf } from './lifecycle.ts';
import { activeFreeze, holdForFreeze } from './steps.ts';
import { evaluate, failedTogether, inAccount, parkAt, readiness, registerWait, resolve, type WaitDeps } from './waits.ts';
import { metric } from './metrics.ts';
import { minuteIn } from './zoned-time.ts';
import { logOf } from './log.ts';

/**
 * Launch points (docs/adr, "Applications move together"): the servers of an application arrive; when all
 * expected servers are there, or the arrival timeout has passed, ONE StartTest / StartCutover is made for
 * those present. Each server's wait then becomes "the launch result of that job", resolved by its own
 * launch-result event or by the reconciler. A launch is never made twice for one point, even when MGN
 * applied a request and answered an error: before and after asking, MGN's own records are read.
 */

export type LaunchDeps = WaitDeps & {
  points: RendezvousStore;
  notifier: Notifier;
  /** The job-slot limiter: launches are made one at a time, so the quota check and the launch are atomic. */
  lock?: Lock;
  limits?: { concurrentJobs: number; serversInActiveJobs: number };
  /** MGN's quotas (Service Quotas): the job limits the launcher keeps to. */
  quotas?: QuotaPort;
  /** Where holds are recorded for the wave report. */
  waves?: Pick<WaveStore, 'recordHold'>;
  /** Failure gates, read by a relaunch: the servers one retry released relaunch together. */
  gates?: Pick<GateStore, 'get'>;
};

/** The lease of the job-slot limiter: whoever creates an MGN job holds it (launches and terminations). */
export const LAUNCHER = 'launcher';

/**
 * The job-slot limiter's lease of one account: MGN's job quotas apply per account, so each account of MGN's
 * global view has its own slots (and lease); one account's full quota does not hold back another's launches.
 */
export function launcherKey(account: string | null | undefined): string {
  return account ? `${LAUNCHER}#${account}` : LAUNCHER;
}

/**
 * Take the launcher lock, waiting for it while another launch or termination is being made (each holds it
 * for a few MGN calls) rather than failing at once into a Step Functions retry a minute later: an
 * application's servers released together by one decision would otherwise take turns a minute apart.
 * Gives up after `waitMs` (the caller then defers as before).
 */
export async function acquireLauncher(deps: Pick<LaunchDeps, 'lock' | 'clock' | 'mgn'>, waitMs = 20_000): Promise<boolean> {
  if (!deps.lock) return true;
  const until = deps.clock.now().getTime() + waitMs;
  for (let delay = 100; ; delay = Math.min(2000, delay * 2)) {
    if (await deps.lock.acquire(launcherKey(deps.mgn.account), 120)) return true;
    if (!deps.clock.sleep || deps.clock.now().getTime() + delay > until) return false;
    await deps.clock.sleep(delay);
  }
}

export interface Arrival {
  serverId: string;
  executionArn: string;
  state: string;
  token: string;
  wave: string;
  application: string;
  launch: 'TEST' | 'CUTOVER';
  /** Which launch of this application this is (a relaunch after a failure is a new round). */
  round: string;
  members: string[];
  arrivalTimeoutSeconds: number;
  /** Cutover: what must still hold right before StartCutover. */
  guard?: LaunchPoint['guard'];
  /** A relaunch: the launch that failed (with the round, it names the failure gate that may have decided it). */
  regroup?: { job: string | null };
  /** The application's account in MGN's global view (null: the home account). */
  account?: string | null;
}

export function pointId(a: Pick<Arrival, 'wave' | 'application' | 'launch' | 'round'>): string {
  return `${a.wave}#${a.application}#${a.launch}#${a.round}`;
}

/** MGN states of a server already past a launch point of this kind (it will not arrive there). */
const PAST_POINT: Record<Arrival['launch'], ReadonlySet<string>> = {
  TEST: new Set(['TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER']),
  CUTOVER: new Set(['CUTTING_OVER', 'CUTOVER']),
};

/**
 * Who the point waits for. In a first run, every member. In a re-run (attempt 2 or later: one server run again
 * after it was stopped or failed), only the members that still need this launch: siblings MGN shows past it
 * (launched, cut over, archived) are not waited for, nor reported missing.
 */
async function expectedAt(deps: LaunchDeps, a: Arrival): Promise<string[]> {
  const members = [...new Set(a.members.includes(a.serverId) ? a.members : [...a.members, a.serverId])].sort();
  if (a.round.startsWith('1-') || members.length === 1) return members;
  const past = PAST_POINT[a.launch];
  const gone = new Set((await deps.mgn.describeServers(members.filter((s) => s !== a.serverId))).filter((v) => v.isArchived || past.has(v.lifeCycle)).map((v) => v.id));
  return members.filter((s) => !gone.has(s));
}

/**
 * Who relaunches together (docs/adr/0004, "Failure gates per application"):
 * - the servers a `retry` released from one failure gate (the decision recorded them);
 * - else the servers of the failed launch MGN does not show launched (an automatic relaunch): the point
 *   remembers the job, and does not wait for a member whose launch in it succeeded;
 * - else this server alone (it missed its application's launch, or failed after launching).
 * Each group gets its own round, so groups never share a point.
 */
export async function relaunchGroup(deps: LaunchDeps, a: Arrival): Promise<{ round: string; members: string[]; job?: string }> {
  if (!a.regroup) return { round: a.round, members: a.members };
  const kind = failureGateOf(a.launch);
  const gateRound = failureRound(a.round, a.regroup.job);
  const gate = deps.gates ? await deps.gates.get(gateId({ wave: a.wave, application: a.application, gate: kind, round: gateRound })) : undefined;
  const released = gate?.status === 'DECIDED' && gate.decision?.decision === 'retry' ? (gate.decision.released ?? []) : [];
  if (released.includes(a.serverId)) return { round: `${gateRound}-retry`, members: [...released].sort() };
  if (a.regroup.job) {
    const [job] = await deps.mgn.describeJobs([a.regroup.job]);
    const together = failedTogether(job, a.serverId);
    if (together && job) return { round: `${a.round}-${job.id}`, members: together, job: job.id };
  }
  return { round: `${a.round}-${a.serverId}`, members: [a.serverId] };
}

/** Members of a relaunch that will not come: MGN shows their launch in the failed job succeeded. */
async function notComing(deps: LaunchDeps, point: LaunchPoint): Promise<string[]> {
  const waiting = point.expected.filter((s) => !point.arrived.includes(s));
  if (!point.job || waiting.length === 0) return [];
  const [job] = await deps.mgn.describeJobs([point.job]);
  return waiting.filter((s) => job?.servers.find((p) => p.id === s)?.launchStatus === 'LAUNCHED');
}

export async function arriveAtLaunchPoint(deps: LaunchDeps, given: Arrival): Promise<{ pointId: string; status: LaunchPoint['status']; arrived: number; expected: number }> {
  const group = await relaunchGroup(deps, given);
  const a: Arrival = { ...given, round: group.round, members: group.members };
  const id = pointId(a);
  const now = deps.clock.now();
  const expected = await expectedAt(deps, a);
  await parkAt(deps, a, { kind: 'LAUNCH_POINT', pointId: id, launch: a.launch });
  const point = await deps.points.arrive(
    {
      id,
      application: a.application,
      launch: a.launch,
      expected,
      openedAt: now.toISOString(),
      deadline: new Date(now.getTime() + a.arrivalTimeoutSeconds * 1000).toISOString(),
      ...(group.job ? { job: group.job } : {}),
      ...(a.guard ? { guard: a.guard } : {}),
      ...(a.account ? { account: a.account } : {}),
    },
    a.serverId,
  );
  if (point.status === 'LAUNCHED') {
    // Arrived after the application launched without it: wait on the job if it is in it, else say so.
    await followLaunch(deps, point, [a.serverId], true);
  } else {
    const gone = point.arrived.length >= point.expected.length ? [] : await notComing(deps, point);
    if (point.arrived.length + gone.length >= point.expected.length) {
      try {
        await launchPoint(deps, id, { force: gone.length > 0, notComing: gone });
      } catch (err) {
        // the arrival is recorded; the reconciler makes the launch once the quotas leave room
        if (!(err instanceof LaunchDeferredError)) throw err;
        logOf(deps).info('launch deferred', { pointId: id, reason: err.message, safe: 'the arrival is recorded; the reconciler makes the launch once it can' });
      }
    }
  }
  const after = (await deps.points.get(id)) ?? point;
  return { pointId: id, status: after.status, arrived: after.arrived.length, expected: after.expected.length };
}

/**
 * Has MGN already launched some of these servers since the point opened? (a request applied, then an error
 * answered; a launcher that failed after asking; a launch made by hand in the console). The job holding the
 * most of them is the point's launch; the others are not in it (they learn MISSED and relaunch alone).
 */
async function alreadyLaunched(deps: LaunchDeps, point: LaunchPoint, servers: string[]): Promise<{ jobId: string; servers: string[] } | undefined> {
  const opened = Date.parse(point.openedAt);
  const byJob = new Map<string, string[]>();
  for (const v of await deps.mgn.describeServers(servers)) {
    const r = point.launch === 'TEST' ? v.lastTest : v.lastCutover;
    if (r.jobId && r.initiatedAt && Date.parse(r.initiatedAt) >= opened) byJob.set(r.jobId, [...(byJob.get(r.jobId) ?? []), v.id]);
  }
  const [found] = [...byJob].sort((a, b) => b[1].length - a[1].length || a[0].localeCompare(b[0]));
  return found ? { jobId: found[0], servers: found[1].sort() } : undefined;
}

/** MGN errors worth asking again later (throttled, unavailable, a request that timed out): the launch is deferred. */
function transient(err: unknown): boolean {
  return err instanceof TransientError;
}

/** A launch claim holds this long; past it its holder is taken to have failed (a Lambda runs 15 minutes at most). */
export const CLAIM_LEASE_SECONDS = 15 * 60;

/**
 * Room for one more job of these servers within MGN's job quotas, counting jobs others started. A server still
 * in an active job (a relaunch while the rest of its application's job runs) waits for it: MGN would refuse.
 */
export async function withinJobQuotas(deps: LaunchDeps, ids: string[]): Promise<{ ok: boolean; why?: string; busy?: boolean }> {
  const n = ids.length;
  const limits = deps.limits ?? (deps.quotas ? await deps.quotas.mgnLimits() : { concurrentJobs: 20, serversInActiveJobs: 200 });
  const since = new Date(deps.clock.now().getTime() - 24 * 3600_000).toISOString();
  const active = (await deps.mgn.jobsSince(since)).filter((j) => j.status !== 'COMPLETED');
  const busy = active.find((j) => j.servers.some((s) => ids.includes(s.id)));
  if (busy) return { ok: false, busy: true, why: `a server is still in job ${busy.id}` };
  if (active.length >= limits.concurrentJobs) return { ok: false, why: `${active.length} jobs in progress (quota ${limits.concurrentJobs})` };
  const servers = active.reduce((sum, j) => sum + j.servers.length, 0);
  if (servers + n > limits.serversInActiveJobs) return { ok: false, why: `${servers} servers in active jobs, ${n} more would pass ${limits.serversInActiveJobs}` };
  return { ok: true };
}

/**
 * Make the point's launch if it is due (all arrived, or `force` after the arrival timeout). Exactly one caller
 * wins the claim; the others return. Throws LaunchDeferredError when the job quotas leave no room (the point
 * goes back to OPEN and the reconciler tries again).
 */
export async function launchPoint(given: LaunchDeps, id: string, opts: { force: boolean; notComing?: string[] }): Promise<{ launched: boolean; jobId?: string }> {
  const point = await given.points.get(id);
  if (!point) return { launched: false };
  // the launch is made in the application's account (the reconciler's port is the home account's)
  const deps = inAccount(given, point.account);
  const now = deps.clock.now();
  // a claim whose holder failed (it never launched nor released) is re-driven by the reconciler (force)
  const staleBefore = new Date(now.getTime() - CLAIM_LEASE_SECONDS * 1000).toISOString();
  const stale = opts.force && point.status === 'LAUNCHING' && (!point.claimedAt || point.claimedAt < staleBefore);
  if (point.status !== 'OPEN' && !stale) return { launched: false };
  if (!opts.force && point.arrived.length < point.expected.length) return { launched: false };
  if (point.arrived.length === 0) return { launched: false };
  if (!(await deps.points.claim(id, now.toISOString(), stale ? staleBefore : undefined))) return { launched: false };
  // Only servers still waiting at this point: an arrival whose wait timed out (or moved on) is not launched.
  const servers: string[] = [];
  for (const serverId of [...point.arrived].sort()) {
    const w = await deps.waits.get(serverId);
    if (w?.condition.kind === 'LAUNCH_POINT' && w.condition.pointId === id) servers.push(serverId);
  }
  if (servers.length === 0) {
    await deps.points.release(id);
    return { launched: false };
  }
  // The job-slot limiter: one launcher at a time for the account, so counting active jobs (ours and
  // others', from DescribeJobs) and making the launch cannot interleave with another launch of ours.
  if (!(await acquireLauncher(deps))) {
    await deps.points.release(id);
    throw new LaunchDeferredError(`launch of ${id} deferred: another launch is being made`);
  }
  try {
    return await launchClaimed(deps, id, point, servers, opts.notComing ?? []);
  } catch (err) {
    if (err instanceof LaunchDeferredError) throw err;
    // Whatever failed (MGN reads throttled, a store write), the claim is given back: the next attempt reads
    // MGN first and adopts a launch this one made. A release that fails too leaves the lease to expire.
    await deps.points.release(id);
    if (transient(err)) throw new LaunchDeferredError(`launch of ${id} deferred: ${(err as Error).name}: ${(err as Error).message}`);
    throw err;
  } finally {
    await deps.lock?.release(launcherKey(deps.mgn.account));
  }
}

async function launchClaimed(deps: LaunchDeps, id: string, point: LaunchPoint, arrived: string[], notComing: string[]): Promise<{ launched: boolean; jobId?: string }> {
  const adopted = await alreadyLaunched(deps, point, arrived);
  let jobId = adopted?.jobId;
  let servers = adopted?.servers ?? arrived;
  if (!jobId && point.guard) await checkGuard(deps, id, point, servers);
  if (!jobId) {
    const room = await withinJobQuotas(deps, servers);
    if (!room.ok) {
      await deps.points.release(id);
      if (!room.busy) await deps.notifier.ops({
        subject: `Launch held: ${point.application}`,
        text: `The ${point.launch.toLowerCase()} launch of ${point.application} waits for room in MGN's job quotas: ${room.why}.`,
        key: `quota#${id}`,
      });
      throw new LaunchDeferredError(`launch of ${id} deferred: ${room.why}`);
    }
    try {
      jobId = (point.launch === 'TEST' ? await deps.mgn.startTest(servers) : await deps.mgn.startCutover(servers)).jobId;
      metric(deps, 'LaunchesStarted', servers.length, { launch: point.launch }, { application: point.application, jobId });
    } catch (err) {
      metric(deps, 'LaunchesFailed', servers.length, { launch: point.launch }, { application: point.application, error: (err as Error).name });
      const applied = await alreadyLaunched(deps, point, servers);
      jobId = applied?.jobId;
      if (applied) servers = applied.servers;
      if (!jobId) {
        await deps.points.release(id);
        if (err instanceof MgnConflictError) {
          // MGN refuses for now (a server still in a job, not launchable yet): the reconciler tries again;
          // the launch point's own timeout takes the failure path if it never clears.
          await deps.notifier.ops({
            subject: `Launch refused by MGN: ${point.application}`,
            text: `MGN refused the ${point.launch.toLowerCase()} launch of ${point.application} (${servers.join(', ')}): ${(err as Error).message}. It is retried on each reconcile until the launch timeout.`,
            key: `refused#${id}`,
          });
          throw new LaunchDeferredError(`launch of ${id} refused by MGN: ${(err as Error).message}`);
        }
        throw err;
      }
    }
  }
  await deps.points.launched(id, jobId, servers);
  const missing = point.expected.filter((s) => !servers.includes(s) && !notComing.includes(s));
  if (missing.length) {
    await deps.notifier.ops({
      subject: `Launched without ${missing.length} server(s): ${point.application}`,
      text: `The arrival timeout of the ${point.launch.toLowerCase()} launch of ${point.application} passed; launched ${servers.length} server(s) in ${jobId}. Missing: ${missing.join(', ')}.`,
      key: `missing#${id}`,
    });
  }
  // Arrivals that came between our read and the claim are not in this launch: they learn it now (MISSED).
  const latest = (await deps.points.get(id)) ?? point;
  await followLaunch(deps, { ...latest, status: 'LAUNCHED', jobId, launched: servers }, [...new Set([...servers, ...latest.arrived])], false);
  return { launched: true, jobId };
}

/**
 * Right before StartCutover: every server still ready (CONTINUOUS, not stalled, lag under the threshold, no
 * backlog) and the window still open. Otherwise the point goes back to OPEN, ops are told once, and the
 * reconciler checks again; the launch point's timeout takes the failure path if it never clears.
 */
async function checkGuard(deps: LaunchDeps, id: string, point: LaunchPoint, servers: string[]): Promise<void> {
  const guard = point.guard as NonNullable<LaunchPoint['guard']>;
  const reasons: string[] = [];
  const now = deps.clock.now().getTime();
  if (guard.window && (now < Date.parse(guard.window.start) || now > Date.parse(guard.window.end))) {
    reasons.push(`outside the cutover window ${minuteIn(guard.window.start, guard.timeZone)} - ${zonedMinute(guard.window.end, guard.timeZone)}`);
  }
  const freeze = activeFreeze(now, guard.freeze);
  if (freeze) {
    const reason = await holdForFreeze(deps, 'cutover', freeze, id.split('#')[0], servers, 'the cutover is held all the same (the guard refuses the launch); only the wave report misses this hold');
    reasons.push(`${reason} until ${zonedMinute(freeze.end, guard.timeZone)}`);
  }
  for (const s of await deps.mgn.describeServers(servers)) {
    const r = readiness(s, guard.maxLagSeconds);
    if (!r.ready) reasons.push(`${s.id}: ${r.reasons.join(', ')}`);
  }
  if (reasons.length === 0) return;
  const why = reasons[0]?.startsWith('outside the cutover window') ? 'window' : freeze ? 'freeze' : 'readiness';
  metric(deps, 'Holds', servers.length, { reason: why }, { wave: id.split('#')[0] as string, application: point.application });
  await deps.points.release(id);
  await deps.notifier.ops({
    subject: `Cutover held: ${point.application}`,
    text: `The cutover launch of ${point.application} is held right before StartCutover: ${reasons.join('; ')}.`,
    key: `guard#${id}`,
  });
  throw new LaunchDeferredError(`cutover of ${id} held: ${reasons.join('; ')}`);
}

/** Turn the arrivals' waits into "launch result of this job" and check each at once. */
async function followLaunch(deps: LaunchDeps, point: LaunchPoint, servers: string[], checkNow: boolean): Promise<void> {
  for (const serverId of servers) {
    const wait = await deps.waits.get(serverId);
    if (!wait || wait.condition.kind !== 'LAUNCH_POINT' || wait.condition.pointId !== point.id) continue;
    if (!point.launched?.includes(serverId) || !point.jobId) {
      await resolve(deps, wait, { output: { status: 'MISSED', pointId: point.id, jobId: point.jobId ?? null } });
      continue;
    }
    await registerWait(
      deps,
      { serverId, executionArn: wait.executionArn, state: wait.state, token: wait.token, condition: { kind: 'LAUNCH_RESULT', launch: point.launch, jobId: point.jobId }, ...(wait.account ? { account: wait.account } : {}) },
      // a job made a moment ago has no result yet; a late arrival checks the job at once
      { checkNow },
    );
  }
}

/** The reconciler's part: launch points past their arrival timeout, and points whose launch was deferred. */
export async function reconcileLaunchPoints(deps: LaunchDeps): Promise<{ launched: number; deferred: number }> {
  let launched = 0;
  let deferred = 0;
  const now = deps.clock.now().getTime();
  for (const p of await deps.points.listOpen()) {
    // OPEN and due, or LAUNCHING under a claim whose holder failed (launchPoint takes over a stale claim only)
    if (p.status === 'LAUNCHED') continue;
    // a relaunch does not wait for members whose launch MGN shows succeeded
    const gone = p.status === 'OPEN' && p.arrived.length > 0 && p.arrived.length < p.expected.length ? await notComing(deps, p) : [];
    const due = p.arrived.length + gone.length >= p.expected.length || now >= Date.parse(p.deadline);
    if (!due) continue;
    try {
      if ((await launchPoint(deps, p.id, { force: true, notComing: gone })).launched) launched++;
    } catch (err) {
      if (!(err instanceof LaunchDeferredError)) throw err;
      deferred++;
      logOf(deps).info('launch deferred', { pointId: p.id, reason: err.message, safe: 'the point stays open; the next reconcile run tries again' });
    }
  }
  return { launched, deferred };
}

/** How long the first server waits for the siblings its sign-off approved to mark themselves ready, so all terminate in one job. */
export const SIBLINGS_MARK_SECONDS = 300;

/**
 * After the sign-off: terminate the test instances of the application in one TERMINATE job (MGN takes up to
 * 200 servers a job), within the job quotas like a launch. MGN refuses to terminate a TESTING server's
 * instance, so while a sibling the same sign-off approved (`approved.servers`) is still TESTING, marking
 * itself ready right now, and the decision is less than SIBLINGS_MARK_SECONDS old, this waits
 * (JobSlotBusyError: the state machine tries again a minute later). Then it terminates for every member
 * marked READY_FOR_CUTOVER with a test instance and no active job; the others find their instance in that job
 * and follow it. No room in the quotas: JobSlotBusyError too.
 */
export async function terminateTestInstances(deps: LaunchDeps, serverId: string, members: readonly string[], approved?: { servers: readonly string[]; at: string }): Promise<{ jobId: string | null; servers?: string[] }> {
  const [me] = await deps.mgn.describeServers([serverId]);
  if (!me?.launchedInstance?.ec2InstanceId) return { jobId: null };
  const since = new Date(deps.clock.now().getTime() - 24 * 3600_000).toISOString();
  const attach = async () => (await deps.mgn.jobsSince(since)).find((j) => j.type === 'TERMINATE' && j.status !== 'COMPLETED' && j.servers.some((x) => x.id === serverId));
  const running = await attach();
  if (running) return { jobId: running.id };
  if (!(await acquireLauncher(deps))) throw new JobSlotBusyError(`termination for ${serverId} deferred: another job is being made`);
  try {
    const again = await attach();
    if (again) return { jobId: again.id };
    const views = await deps.mgn.describeServers([...new Set([serverId, ...members])]);
    if (approved && deps.clock.now().getTime() - Date.parse(approved.at) < SIBLINGS_MARK_SECONDS * 1000) {
      const marking = views.filter((v) => v.id !== serverId && v.lifeCycle === 'TESTING' && v.launchedInstance?.ec2InstanceId && approved.servers.includes(v.id));
      if (marking.length) throw new JobSlotBusyError(`termination for ${serverId} waits for ${marking.length} server(s) of the same sign-off to be marked ready, to terminate all in one job`);
    }
    const ids = views.filter((v) => v.id === serverId || (v.lifeCycle === 'READY_FOR_CUTOVER' && v.launchedInstance?.ec2InstanceId)).map((v) => v.id).sort();
    const room = await withinJobQuotas(deps, ids);
    if (!room.ok) {
      // a member still in another job (its own termination): terminate the others now
      const free = room.busy ? ids.filter((id) => id === serverId) : [];
      if (free.length === 0 || !(await withinJobQuotas(deps, free)).ok) throw new JobSlotBusyError(`termination for ${serverId} deferred: ${room.why}`);
      return { jobId: (await deps.mgn.terminateTargetInstances(free)).jobId, servers: free };
    }
    return { jobId: (await deps.mgn.terminateTargetInstances(ids)).jobId, servers: ids };
  } finally {
    await deps.lock?.release(launcherKey(deps.mgn.account));
  }
}

/** What MGN says of a server's latest launch of one kind, read when a wait timed out or before a relaunch. */
export type LaunchTruth = {
  status: 'LAUNCHED' | 'FAILED' | 'IN_PROGRESS' | 'STUCK' | 'ABSENT';
  jobId: string | null;
  ec2InstanceId?: string;
  reason: string;
};

/**
 * The ground truth before a timeout path, a failure gate or a relaunch (docs/adr/0004, "No decision from a
 * timer"): the server's latest launch of this kind made during this execution (`since`) that the execution has
 * not judged yet (`after`: the job whose result it already followed), and its job's state.
 * - LAUNCHED / FAILED: MGN's result; the execution follows it as it would have followed the event.
 * - IN_PROGRESS: the job still runs; wait on it. STUCK: it has run longer than `stuckAfterSeconds`.
 * - ABSENT: no such launch; the timeout path is right.
 */
export async function confirmLaunch(
  deps: Pick<WaitDeps, 'mgn' | 'clock'>,
  i: { serverId: string; launch: 'TEST' | 'CUTOVER'; since: string; after?: string | null; stuckAfterSeconds: number },
): Promise<LaunchTruth> {
  const [server] = await deps.mgn.describeServers([i.serverId]);
  if (!server) return { status: 'ABSENT', jobId: null, reason: `MGN has no source server ${i.serverId}` };
  const record = i.launch === 'TEST' ? server.lastTest : server.lastCutover;
  const kind = i.launch.toLowerCase();
  if (!record.jobId) return { status: 'ABSENT', jobId: null, reason: `MGN shows no ${kind} launch` };
  if (record.jobId === i.after) return { status: 'ABSENT', jobId: null, reason: `MGN's latest ${kind} launch is ${record.jobId}, already followed` };
  if (!record.initiatedAt || Date.parse(record.initiatedAt) < Date.parse(i.since)) {
    return { status: 'ABSENT', jobId: null, reason: `MGN's latest ${kind} launch (${record.jobId}) is older than this execution` };
  }
  const [job] = await deps.mgn.describeJobs([record.jobId]);
  if (!job) {
    // the job aged out of DescribeJobs: the server's launched instance tells
    if (server.launchedInstance?.jobId === record.jobId && server.launchedInstance.ec2InstanceId) {
      return { status: 'LAUNCHED', jobId: record.jobId, ec2InstanceId: server.launchedInstance.ec2InstanceId, reason: `instance ${server.launchedInstance.ec2InstanceId} from ${record.jobId}` };
    }
    return { status: 'ABSENT', jobId: null, reason: `job ${record.jobId} is no longer in DescribeJobs and left no instance` };
  }
  if (!job.servers.some((s) => s.id === i.serverId)) return { status: 'ABSENT', jobId: null, reason: `job ${job.id} does not hold ${i.serverId}` };
  const result = evaluate({ kind: 'LAUNCH_RESULT', launch: i.launch, jobId: job.id }, i.serverId, server, job, deps.clock.now());
  if (result && 'output' in result) {
    const out = result.output as { status: 'LAUNCHED' | 'FAILED'; ec2InstanceId?: string; reason?: string };
    return {
      status: out.status,
      jobId: job.id,
      ...(out.ec2InstanceId ? { ec2InstanceId: out.ec2InstanceId } : {}),
      reason: out.status === 'LAUNCHED' ? `launched in ${job.id}${out.ec2InstanceId ? ` as ${out.ec2InstanceId}` : ''}` : (out.reason ?? `launch failed in ${job.id}`),
    };
  }
  const ageSeconds = (deps.clock.now().getTime() - Date.parse(job.createdAt)) / 1000;
  if (ageSeconds >= i.stuckAfterSeconds) return { status: 'STUCK', jobId: job.id, reason: `job ${job.id} still ${job.status} after ${Math.round(ageSeconds / 60)} min` };
  return { status: 'IN_PROGRESS', jobId: job.id, reason: `job ${job.id} is ${job.status}` };
}
