import type { Clock, Log, MgnPort, Notifier, WaveStore } from '../ports.ts';
import { warnAndContinue } from './log.ts';
import { metric } from './metrics.ts';
import { readiness } from './waits.ts';
import { zonedMinute } from './gates.ts';

/**
 * The lifecycle's one-shot steps. Each reads MGN first and returns "already done" rather than acting twice
 * (STYLE.md habit 5): a Lambda retry, or an execution re-run after a stop, never repeats a change.
 */

type Deps = { mgn: MgnPort; clock: Clock; notifier: Notifier };

async function server(deps: Pick<Deps, 'mgn'>, id: string) {
  const [s] = await deps.mgn.describeServers([id]);
  if (!s) throw new Error(`MGN knows no source server ${id}`);
  return s;
}

/** After sign-off: TESTING -> READY_FOR_CUTOVER. */
export async function markReadyForCutover(deps: Pick<Deps, 'mgn'>, id: string): Promise<{ changed: boolean }> {
  const s = await server(deps, id);
  if (s.lifeCycle === 'READY_FOR_CUTOVER') return { changed: false };
  await deps.mgn.changeLifeCycleState(id, 'READY_FOR_CUTOVER');
  return { changed: true };
}

/** Stop paying for the test instance: a TERMINATE job (refused while TESTING, so after the mark). */
export async function terminateTestInstance(deps: Pick<Deps, 'mgn'>, id: string): Promise<{ jobId: string | null }> {
  const s = await server(deps, id);
  if (!s.launchedInstance?.ec2InstanceId) return { jobId: null };
  // Never two TERMINATE jobs: while the first runs MGN refuses a second (one job per server) with a
  // MgnConflictError, which the state machine retries until the instance is gone (then this returns null).
  return { jobId: (await deps.mgn.terminateTargetInstances([id])).jobId };
}

/** Revert after a rejection or a failure: back to READY_FOR_TEST or READY_FOR_CUTOVER. */
export async function revertLifecycle(deps: Pick<Deps, 'mgn'>, id: string, to: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER'): Promise<{ changed: boolean }> {
  const s = await server(deps, id);
  if (s.lifeCycle === to) return { changed: false };
  await deps.mgn.changeLifeCycleState(id, to);
  return { changed: true };
}

/** Revert, then terminate the launched instance when asked (after a rejection or a failure). */
export async function revertAndTerminate(deps: Pick<Deps, 'mgn'>, id: string, to: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER', terminate: boolean): Promise<{ changed: boolean; terminateJobId: string | null }> {
  const { changed } = await revertLifecycle(deps, id, to);
  const terminateJobId = terminate ? (await terminateTestInstance(deps, id)).jobId : null;
  return { changed, terminateJobId };
}

export interface CutoverWindow {
  start: string;
  end: string;
}

export interface Freeze {
  start: string;
  end: string;
  reason?: string;
}

/** The freeze `at` falls in (the one ending last when they overlap or chain), or undefined. */
export function activeFreeze(at: number, freeze: readonly Freeze[] | undefined): Freeze | undefined {
  let hit: Freeze | undefined;
  for (;;) {
    const t = hit ? Date.parse(hit.end) : at;
    const next = (freeze ?? []).filter((f) => Date.parse(f.start) <= t && t < Date.parse(f.end) && (!hit || Date.parse(f.end) > Date.parse(hit.end)));
    if (next.length === 0) return hit;
    hit = next.reduce((a, b) => (Date.parse(a.end) >= Date.parse(b.end) ? a : b));
  }
}

/**
 * A freeze holds `what` for these servers: one reason, recorded per server for the wave report (a failed
 * record is logged with `safe`: the hold itself never depends on it).
 */
export async function holdForFreeze(
  deps: Pick<Deps, 'clock'> & { waves?: Pick<WaveStore, 'recordHold'>; log?: Log },
  what: 'cutover' | 'finalize',
  f: Freeze,
  wave: string | undefined,
  servers: readonly string[],
  safe: string,
): Promise<string> {
  const reason = `${what} held by the freeze${f.reason ? ` "${f.reason}"` : ''}`;
  const waves = deps.waves;
  if (wave && waves) {
    const from = deps.clock.now().toISOString();
    await Promise.all(servers.map((serverId) => waves.recordHold({ wave, serverId, reason, from, until: f.end }).catch(warnAndContinue(deps, 'freeze hold not recorded', safe, { wave, serverId }))));
  }
  return reason;
}

/** No StartCutover outside the window; outside, hold until it opens (or say it has closed). With `freeze`: whether now is inside one, and until when. */
export function checkCutoverWindow(now: Date, window: CutoverWindow | null | undefined, freeze?: readonly Freeze[]): { inWindow: boolean; opensAt?: string; closed?: boolean; frozenUntil?: string; freezeReason?: string } {
  const f = activeFreeze(now.getTime(), freeze);
  // a freeze holds like a window that has not opened yet: until the freeze ends (then the window is checked again)
  if (f) return { inWindow: false, opensAt: f.end, frozenUntil: f.end, ...(f.reason ? { freezeReason: f.reason } : {}) };
  if (!window) return { inWindow: true };
  const t = now.getTime();
  const start = Date.parse(window.start);
  const end = Date.parse(window.end);
  if (t < start) return { inWindow: false, opensAt: new Date(start).toISOString() };
  if (t > end) return { inWindow: false, closed: true };
  return { inWindow: true };
}

/** The readiness check right before StartCutover, with the reasons it fails. */
export async function checkReadiness(deps: Pick<Deps, 'mgn'>, id: string, maxLagSeconds: number): Promise<{ ready: boolean; reasons: string[]; lagSeconds: number | null }> {
  const s = await server(deps, id);
  const r = readiness(s, maxLagSeconds);
  return { ...r, lagSeconds: s.replication.lagSeconds };
}

/** A finalize asked for inside a freeze window: the execution holds until the freeze ends, then asks again. */
export class FrozenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FrozenError';
  }
}

/**
 * The point of no return: FinalizeCutover (once: CUTOVER already means done). Never inside a freeze, checked
 * right before the call: FrozenError (the hold is recorded for the wave report).
 */
export async function finalizeCutover(
  deps: Pick<Deps, 'mgn' | 'clock'> & { waves?: Pick<WaveStore, 'recordHold'>; log?: Log },
  id: string,
  opts: { wave?: string; freeze?: readonly Freeze[]; timeZone?: string } = {},
): Promise<{ changed: boolean }> {
  const s = await server(deps, id);
  if (s.lifeCycle === 'CUTOVER') return { changed: false };
  const f = activeFreeze(deps.clock.now().getTime(), opts.freeze);
  if (f) {
    const reason = await holdForFreeze(deps, 'finalize', f, opts.wave, [id], 'the finalize is held all the same (FrozenError follows); only the wave report misses this hold');
    metric(deps, 'Holds', 1, { reason: 'freeze' }, { ...(opts.wave ? { wave: opts.wave } : {}), server: id });
    throw new FrozenError(`${reason} until ${opts.timeZone ? zonedMinute(f.end, opts.timeZone) : f.end}`);
  }
  await deps.mgn.finalizeCutover(id);
  return { changed: true };
}

export async function archiveServer(deps: Pick<Deps, 'mgn'>, id: string): Promise<{ changed: boolean }> {
  const s = await server(deps, id);
  if (s.isArchived) return { changed: false };
  await deps.mgn.markAsArchived(id);
  return { changed: true };
}

/** Ops notification for a hold, a failure or a timeout: one message per event (deduplicated by key). */
export async function notifyOps(deps: Pick<Deps, 'notifier'>, n: { serverId: string; application: string; wave: string; event: string; detail: string; key?: string; timeZone?: string }): Promise<void> {
  // a time (the window opens, closes) reads in the wave's zone, to the minute
  const detail = n.timeZone && /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?Z$/.test(n.detail) ? zonedMinute(n.detail, n.timeZone) : n.detail;
  await deps.notifier.ops({
    subject: `${n.event}: ${n.application}/${n.serverId}`,
    text: `${n.event} for ${n.serverId} (application ${n.application}, wave ${n.wave}): ${detail}`,
    key: n.key ?? `${n.event}#${n.wave}#${n.serverId}#${n.detail}`,
    attributes: { event: n.event, application: n.application, wave: n.wave },
  });
}
