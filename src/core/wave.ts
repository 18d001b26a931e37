import type { z } from 'zod';
import { APPROVAL_GATES, type ApprovalGate, type GatePolicy, Plan, type ServerRun } from './contracts.ts';
import { metric } from './metrics.ts';
import { STATE_ROLES } from './lifecycle.ts';
import { MgnConflictError, ServerBusyError, TaskClosedError } from './errors.ts';
import { type Wave, WaveFileError, checkWave } from './wave-file.ts';
import { minuteIn } from './zoned-time.ts';
import type { Clock, ExecutionPort, ExecutionStatus, HoldRecord, LaunchTemplatePort, Log, MgnPort, Notifier, QuotaPort, ServerOutcome, TaskCallbacks, WaveStore } from '../ports.ts';
import { errorFields, logOf, warnAndContinue } from './log.ts';
import { mapLimit } from './batches.ts';
import { SERVER_ID_SOURCE } from './ids.ts';

/**
 * A wave (docs/adr): admit whole applications within MGN's quotas and the plan's concurrency, canaries
 * first; start one server-lifecycle execution per server (named `<wave>-<server>-<attempt>`: a running one
 * is attached to, a closed unsuccessful one gets attempt + 1); learn each outcome from Step Functions'
 * status events; apply the failure policy; report per server. The wave execution parks between admissions
 * and is woken by each outcome (no polling loop in the state machine).
 */

export type WaveDeps = {
  waves: WaveStore;
  executions: ExecutionPort;
  quotas: QuotaPort;
  mgn: Pick<MgnPort, 'describeServers' | 'applyLaunchSettings' | 'forAccount'>;
  /** The EC2 launch template MGN made for each server (the plan's launchTemplate settings). */
  launchTemplates?: LaunchTemplatePort;
  callbacks: TaskCallbacks;
  notifier: Notifier;
  clock: Clock;
  log?: Log;
};

/** The wave cannot run as defined (quota, window in the past, unknown wave): nothing is started. */
export class WaveInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WaveInvalidError';
  }
}

const CLOSED_BAD: ReadonlySet<ExecutionStatus> = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

/** How many servers of an application are started at once. */
export const ADMIT_PARALLELISM = 10;


export function executionName(wave: string, serverId: string, attempt: number): string {
  return `${wave}-${serverId}-${attempt}`;
}

/** `<wave>-<server>-<attempt>` back to its parts (wave names may contain '-'; server ids have a fixed form). */
export function parseExecutionName(name: string): { wave: string; serverId: string; attempt: number } | undefined {
  const m = new RegExp(`^(.+)-(${SERVER_ID_SOURCE})-(\\d+)$`).exec(name);
  return m ? { wave: m[1] as string, serverId: m[2] as string, attempt: Number(m[3]) } : undefined;
}

/** What each server execution of the wave gets as its plan. */
export function serverPlan(wave: Wave, overrides: Partial<z.input<typeof Plan>> = {}): z.infer<typeof Plan> {
  // MGN launches at most 200 servers at once (all active jobs): in a larger wave an application may wait for
  // others' jobs before its own launch, so the launch timeout grows with the wave (3 h per 200 servers)
  const servers = wave.applications.reduce((n, a) => n + a.servers.length, 0);
  const launchTimeoutSeconds = Math.max(3, 3 * Math.ceil(servers / 200)) * 3600 + 3600;
  return Plan.parse({
    launchTimeoutSeconds,
    soakSeconds: Math.round(wave.defaults.soakDays * 86400),
    cutoverWindow: wave.cutoverWindow ? { start: wave.cutoverWindow.start, end: wave.cutoverWindow.end } : null,
    archive: wave.defaults.archive,
    approvers: gateApprovers(wave),
    freeze: wave.freeze.map((f) => ({ start: f.start, end: f.end, ...(f.reason ? { reason: f.reason } : {}) })),
    timeZone: wave.timeZone,
    ...overrides,
  });
}

/**
 * The execution's approvers per gate: the plain list where one decision decides and no change id is needed,
 * else the gate's policy (people, quorum, rejects, change id pattern); the arrival reads either.
 */
export function gateApprovers(wave: Pick<Wave, 'approvers' | 'rules'>): Record<ApprovalGate, string[] | GatePolicy> {
  const out = {} as Record<ApprovalGate, string[] | GatePolicy>;
  for (const g of APPROVAL_GATES) {
    const q = wave.rules?.quorum?.[g];
    const ref = wave.rules?.changeRef?.gates.includes(g) ? wave.rules.changeRef.pattern : undefined;
    out[g] = q || ref ? { people: wave.approvers[g], quorum: q?.quorum ?? 1, rejects: q?.rejects ?? 1, ...(ref ? { changeRef: ref } : {}) } : wave.approvers[g];
  }
  return out;
}

/** Applications in admission order: canaries first, then the rest as written. */
export function admissionOrder(wave: Wave): Wave['applications'] {
  return [...wave.applications.filter((a) => a.canary), ...wave.applications.filter((a) => !a.canary)];
}

/** The wave as stored, checked again against the live quotas and the clock: the first state of a wave run. */
export async function loadWave(deps: Pick<WaveDeps, 'waves' | 'quotas' | 'clock'> & { mgn?: Pick<MgnPort, 'listManagedAccounts'> }, name: string): Promise<{ wave: string; applications: number; servers: number; canaries: number; failurePolicy: string; concurrency: number }> {
  const wave = await deps.waves.getDefinition(name);
  if (!wave) throw new WaveInvalidError(`no wave named ${name} is stored: start it with 'mgn-flow wave start <file>' (which validates and stores it)`);
  const limits = await deps.quotas.mgnLimits();
  const problems = checkWave(wave, { quotas: { replicatingServers: limits.replicatingServers, serversPerApplication: limits.serversPerApplication }, now: deps.clock.now() });
  if (problems.length) throw new WaveInvalidError(problems.map((p) => `${p.path}${p.index !== undefined ? `[${p.index}]` : ''}: ${p.value}: ${p.allowed}`).join('\n'));
  await checkAccounts(deps, wave);
  return {
    wave: wave.name,
    applications: wave.applications.length,
    servers: wave.applications.reduce((n, a) => n + a.servers.length, 0),
    canaries: wave.applications.filter((a) => a.canary).length,
    failurePolicy: wave.defaults.failurePolicy,
    concurrency: wave.defaults.concurrency,
  };
}

/**
 * The accounts the wave's applications name must be in MGN's global view (ListManagedAccounts): otherwise MGN
 * would refuse every call for their servers. Refused whole, naming each application and account.
 */
export async function checkAccounts(deps: { mgn?: Pick<MgnPort, 'listManagedAccounts'> }, wave: Pick<Wave, 'name' | 'applications'>): Promise<void> {
  const named = wave.applications.filter((a) => a.account);
  if (named.length === 0) return;
  if (!deps.mgn) throw new WaveInvalidError(`wave ${wave.name} names accounts of MGN's global view, and this step cannot read ListManagedAccounts: declare mgn.listManagedAccounts in its uses`);
  const managed = new Set(await deps.mgn.listManagedAccounts());
  const bad = named.filter((a) => !managed.has(a.account as string));
  if (bad.length) {
    throw new WaveInvalidError(
      bad
        .map((a) => `application ${a.name}: account ${a.account} is not managed by MGN here (ListManagedAccounts: ${[...managed].join(', ') || 'none'}); add the account to MGN's global view (AWS Organizations, MGN console "Global view"), or correct the account in the wave file`)
        .join('\n'),
    );
  }
}

/** A server of the wave that another wave runs now. */
export interface HeldServer {
  serverId: string;
  hostname?: string;
  /** The wave that runs it. */
  wave: string;
  executionArn: string;
}

/**
 * The servers of `wave` another wave runs now (its server execution is running there): a server is in one
 * running wave at a time, or two waves would launch it and each gate would release only its own execution.
 * A record that says RUNNING is checked with Step Functions when it can be (a lost status event does not hold
 * a server forever).
 */
export async function heldByOtherWaves(deps: { waves: Pick<WaveStore, 'runningOutcomes'>; executions?: Pick<ExecutionPort, 'describe'>; log?: Log }, wave: Wave): Promise<HeldServer[]> {
  const mine = new Map(wave.applications.flatMap((a) => a.servers.map((s) => [s.id, s] as const)));
  const held: HeldServer[] = [];
  for (const o of await deps.waves.runningOutcomes()) {
    const s = mine.get(o.serverId);
    if (!s || o.wave === wave.name) continue;
    const now = await deps.executions
      ?.describe(o.executionArn)
      .catch(warnAndContinue(deps, 'execution status unreadable', 'the record says RUNNING, so the server counts as held by the other wave (the safe side: never started twice)', { serverId: o.serverId, heldBy: o.wave, executionArn: o.executionArn }));
    if (now && now.status !== 'RUNNING') continue;
    held.push({ serverId: o.serverId, ...(s.hostname ? { hostname: s.hostname } : {}), wave: o.wave, executionArn: o.executionArn });
  }
  return held.sort((a, b) => a.serverId.localeCompare(b.serverId));
}

/** What a person reads when a server is held by another running wave: which, and what to do. */
export function heldMessage(wave: string, held: readonly HeldServer[]): string {
  const byWave = new Map<string, HeldServer[]>();
  for (const h of held) byWave.set(h.wave, [...(byWave.get(h.wave) ?? []), h]);
  const name = (h: HeldServer) => (h.hostname ? `${h.hostname} (${h.serverId})` : h.serverId);
  // a few names per wave: the message stays short however many servers are held
  const parts = [...byWave].map(([w, hs]) => `${hs.slice(0, 5).map(name).join(', ')}${hs.length > 5 ? ` and ${hs.length - 5} more` : ''} ${hs.length === 1 ? 'is' : 'are'} in wave ${w}, which is running ${hs.length === 1 ? 'it' : 'them'}`);
  return `${parts.join('; ')}: a server is in one running wave at a time; let that wave finish (or stop it), or take ${held.length === 1 ? 'the server' : 'these servers'} out of wave ${wave}`;
}

export type AdmitAction = 'WAIT' | 'REPORT' | 'STOP';

export interface AdmitResult {
  action: AdmitAction;
  /** Executions started and attached to in this round (counts: what passes between states never grows with the wave). */
  started: number;
  attached: number;
  running: number;
  done: number;
  failed: number;
  notStarted: number;
  /** Why no more applications are admitted, when that is the case. */
  holding: string;
  /** Outcomes closed so far: the park step compares, so an outcome between admit and park is not missed. */
  closed: number;
}

/** A few names, then how many more: text that passes between states stays short whatever the wave's size. */
export function someOf(names: readonly string[], shown = 5): string {
  if (names.length <= shown) return names.join(', ');
  return `${names.slice(0, shown).join(', ')} and ${names.length - shown} more (mgn-flow wave status lists them)`;
}

/**
 * One admission round. Servers that succeeded (in any run) are done; running ones count against the
 * concurrency; those that failed in an earlier run start again (attempt + 1); a failure in this run applies the
 * failure policy: `continue` admits on, `hold` admits no new application (running ones finish; start the wave
 * again to resume), `stop` stops every running execution of the wave.
 */
export async function admitWave(deps: WaveDeps, input: { wave: string; waveRun: string }): Promise<AdmitResult> {
  const wave = await deps.waves.getDefinition(input.wave);
  if (!wave) throw new WaveInvalidError(`no wave named ${input.wave}`);
  const outcomes = new Map((await deps.waves.outcomes(wave.name)).map((o) => [o.serverId, o]));
  const now = deps.clock.now().toISOString();
  const failedThisRun = [...outcomes.values()].filter((o) => o.waveRun === input.waveRun && CLOSED_BAD.has(o.status));
  const closed = [...outcomes.values()].filter((o) => o.status !== 'RUNNING').length;
  const order = admissionOrder(wave);
  const appState = (a: Wave['applications'][number]) => {
    const os = a.servers.map((s) => outcomes.get(s.id));
    return {
      done: os.every((o) => o?.status === 'SUCCEEDED'),
      running: os.some((o) => o?.status === 'RUNNING'),
      failedThisRun: os.some((o) => o && o.waveRun === input.waveRun && CLOSED_BAD.has(o.status)),
      untouchedThisRun: os.every((o) => !o || (o.waveRun !== input.waveRun && o.status !== 'RUNNING')),
    };
  };
  const counts = () => {
    const all = [...outcomes.values()];
    const total = wave.applications.reduce((n, a) => n + a.servers.length, 0);
    const running = all.filter((o) => o.status === 'RUNNING').length;
    const done = all.filter((o) => o.status === 'SUCCEEDED').length;
    const failed = all.filter((o) => o.waveRun === input.waveRun && CLOSED_BAD.has(o.status)).length;
    return { running, done, failed, notStarted: total - running - done - failed };
  };

  if (failedThisRun.length && wave.defaults.failurePolicy === 'stop') {
    return { action: 'STOP', started: 0, attached: 0, ...counts(), holding: `failure policy stop: ${someOf(failedThisRun.map((o) => o.serverId))} failed`, closed };
  }
  let holding: string | undefined;
  if (failedThisRun.length && wave.defaults.failurePolicy === 'hold') holding = `failure policy hold: ${someOf(failedThisRun.map((o) => `${o.serverId} (${o.error ?? o.status})`))} failed; running applications finish, no new one starts; start the wave again to resume`;
  const canaries = order.filter((a) => a.canary);
  if (!holding && canaries.some((a) => !appState(a).done)) {
    const pending = canaries.filter((a) => !appState(a).done).map((a) => a.name);
    if (canaries.some((a) => appState(a).failedThisRun)) holding = `canary ${someOf(pending)} did not succeed: the other applications wait for the canaries`;
  }

  let inFlight = order.filter((a) => appState(a).running).length;
  const started: string[] = [];
  const attached: string[] = [];
  // read once, and only when an application is about to start
  let elsewhere: Map<string, HeldServer> | undefined;
  for (const app of order) {
    const st = appState(app);
    const unconfirmed = app.servers.some((sv) => outcomes.get(sv.id)?.status === 'RUNNING' && outcomes.get(sv.id)?.confirmed === false);
    if (st.done || (st.running && !unconfirmed) || (!st.untouchedThisRun && !unconfirmed)) continue;
    if (holding) break;
    // canaries first: the rest waits until every canary application succeeded
    if (!app.canary && canaries.some((c) => !appState(c).done)) break;
    if (!unconfirmed) {
      if (inFlight >= wave.defaults.concurrency) break;
      // a server another wave runs is not started here: the wave holds, naming the wave that has it
      elsewhere ??= new Map((await heldByOtherWaves(deps, wave)).map((h) => [h.serverId, h]));
      const held = app.servers.flatMap((s) => elsewhere?.get(s.id) ?? []);
      if (held.length) {
        holding = `application ${app.name} not started: ${heldMessage(wave.name, held)}`;
        break;
      }
      inFlight++;
    }
    const members = app.servers.map((s) => s.id);
    // the application's account travels in the plan: every state's input names it, every MGN call carries it
    const plan = serverPlan(wave, app.account ? { account: app.account } : {});
    const mgn = deps.mgn.forAccount(app.account);
    // the servers of an application start side by side (a few at a time), each through the steps below
    await mapLimit(app.servers, ADMIT_PARALLELISM, async (s) => {
      const prev = outcomes.get(s.id);
      if (prev?.status === 'SUCCEEDED') return;
      let attempt = prev ? (CLOSED_BAD.has(prev.status) ? prev.attempt + 1 : prev.attempt) : 1;
      // the plan's launch settings and post-launch actions, applied at every admission (before the execution
      // that launches, so a wave file changed between runs takes effect); MGN's own calls are idempotent. The
      // actions an earlier admission put there and this plan dropped are removed from MGN (if MGN still has them).
      const actionIds = (s.postLaunchActions ?? []).map((a) => a.actionId);
      const dropped = (prev?.postLaunchActionIds ?? []).filter((id) => !actionIds.includes(id));
      if (s.launch || actionIds.length || dropped.length) {
        await mgn
          .applyLaunchSettings(s.id, s.launch as Record<string, unknown> | undefined, s.postLaunchActions as unknown as Record<string, unknown>[] | undefined, dropped)
          .catch((err: unknown) => {
            // MGN refuses launch-configuration changes while the server is in a job (a rollback's TERMINATE):
            // nothing of this server started yet; the state machine runs the admission again shortly
            if (err instanceof MgnConflictError) throw new ServerBusyError(`${s.id}: ${(err as Error).message}`, { cause: err });
            throw err;
          });
      }
      // the plan's EC2 launch template settings: a new version of the template MGN made for the server, set as
      // its default, only when the default version differs (so a re-admission changes nothing)
      if (s.launchTemplate && deps.launchTemplates) await deps.launchTemplates.apply(s.id, s.launchTemplate);
      const run: ServerRun = { wave: wave.name, application: app.name, serverId: s.id, members, attempt, plan };
      // recorded before the start, so an execution that ends at once still finds its outcome; `confirmed`
      // after, so a start that failed half-way is made again (same name: attached, never doubled)
      for (;;) {
        const name = executionName(wave.name, s.id, attempt);
        const pending: ServerOutcome = { wave: wave.name, serverId: s.id, application: app.name, attempt, executionArn: deps.executions.arnFor(name), waveRun: input.waveRun, status: 'RUNNING', confirmed: false, at: now, ...(actionIds.length ? { postLaunchActionIds: actionIds } : {}) };
        if (!(prev?.status === 'RUNNING' && prev.attempt === attempt)) await deps.waves.recordOutcome(pending);
        const r = await deps.executions.start(name, { ...run, attempt });
        if (r.started || r.status === 'RUNNING' || r.status === 'SUCCEEDED') {
          (r.started ? started : attached).push(s.id);
          const outcome: ServerOutcome = { ...pending, executionArn: r.executionArn, status: r.started ? 'RUNNING' : r.status, confirmed: true };
          await deps.waves.recordOutcome(outcome);
          outcomes.set(s.id, outcome);
          break;
        }
        attempt++;
      }
    });
  }
  const c = counts();
  // the wave waits while anything runs; once nothing runs, it reports (all done, or held, or stopped)
  return { action: c.running > 0 ? 'WAIT' : 'REPORT', started: started.length, attached: attached.length, ...c, holding: holding ?? '', closed };
}

/**
 * The wave execution parks until an outcome arrives. An outcome recorded between the admission and this
 * park (more closed outcomes than the admission saw) wakes it at once.
 */
export async function parkWave(deps: Pick<WaveDeps, 'waves' | 'callbacks' | 'log'>, input: { wave: string; token: string; closed: number }): Promise<{ parked: boolean }> {
  await deps.waves.park(input.wave, input.token);
  const closed = (await deps.waves.outcomes(input.wave)).filter((o) => o.status !== 'RUNNING').length;
  if (closed > input.closed) {
    const token = await deps.waves.unpark(input.wave);
    if (token) await deps.callbacks.succeed(token, { woke: 'at once' }).catch(ignoreClosedToken(deps, input.wave));
    return { parked: false };
  }
  return { parked: true };
}

/** The parked wave's token is closed (its execution stopped or timed out): nobody to wake, logged at info. */
function ignoreClosedToken(deps: { log?: Log }, wave: string): (err: unknown) => void {
  return (err) => {
    if (!(err instanceof TaskClosedError)) throw err;
    logOf(deps).info('parked wave token closed', { wave, ...errorFields(err), safe: 'the wave execution ended (stopped or timed out): there is nobody to wake' });
  };
}

/** A server execution changed status (Step Functions' `aws.states` event): record it and wake its wave. */
export async function recordServerOutcome(
  deps: Pick<WaveDeps, 'waves' | 'callbacks' | 'clock' | 'log'>,
  detail: { executionArn: string; name?: string; status: string; error?: string | null; cause?: string | null },
): Promise<{ recorded: boolean; woke: boolean }> {
  const name = detail.name ?? detail.executionArn.split(':').pop() ?? '';
  const parts = parseExecutionName(name);
  if (!parts) return { recorded: false, woke: false };
  const known = await deps.waves.outcome(parts.wave, parts.serverId);
  // not a server of a wave (started by hand), or an event of an older attempt
  if (!known || known.attempt > parts.attempt || detail.status === 'RUNNING') return { recorded: false, woke: false };
  await deps.waves.recordOutcome({
    ...known,
    attempt: parts.attempt,
    executionArn: detail.executionArn,
    status: detail.status as ExecutionStatus,
    ...(detail.error ? { error: detail.error } : {}),
    ...(detail.cause ? { cause: detail.cause.slice(0, 1000) } : {}),
    at: deps.clock.now().toISOString(),
  });
  const token = await deps.waves.unpark(parts.wave);
  if (token) await deps.callbacks.succeed(token, { serverId: parts.serverId, status: detail.status }).catch(ignoreClosedToken(deps, parts.wave));
  return { recorded: true, woke: token !== undefined };
}

/**
 * Failure policy `stop`: stop every running execution of the wave (their waits and links close with them).
 * Each stopped execution's end is read back from Step Functions and recorded at once: the report that
 * follows must not say "running" for a server whose status event has not been delivered yet.
 */
export async function stopWave(deps: Pick<WaveDeps, 'waves' | 'executions' | 'clock'>, input: { wave: string; cause: string }): Promise<{ stopped: string[] }> {
  const stopped: string[] = [];
  for (const o of await deps.waves.outcomes(input.wave)) {
    if (o.status !== 'RUNNING') continue;
    await deps.executions.stop(o.executionArn, input.cause.slice(0, 1000));
    const ended = await deps.executions.describe(o.executionArn);
    if (ended && ended.status !== 'RUNNING') {
      await deps.waves.recordOutcome({
        ...o,
        status: ended.status,
        ...(ended.error ? { error: ended.error } : {}),
        ...(ended.cause ? { cause: ended.cause.slice(0, 1000) } : {}),
        at: deps.clock.now().toISOString(),
      });
    }
    stopped.push(o.serverId);
  }
  return { stopped };
}

export type ServerResult = 'succeeded' | 'rolledBack' | 'stopped' | 'failed' | 'running' | 'notStarted';

/** The results in words, as people read them (the report's e-mail, `wave status`, the dashboard). */
export const OUTCOME_WORDS: Record<ServerResult, string> = {
  succeeded: 'succeeded',
  rolledBack: 'rolled back',
  stopped: 'stopped',
  failed: 'failed',
  running: 'running',
  notStarted: 'not started',
};

export interface WaveReport {
  wave: string;
  at: string;
  counts: Record<ServerResult, number>;
  servers: { serverId: string; hostname?: string; application: string; result: ServerResult; attempt?: number; why?: string; waited?: string[] }[];
  holding?: string;
}

const ROLLED_BACK: ReadonlySet<string> = new Set(STATE_ROLES.rolledBack);
const STOPPED: ReadonlySet<string> = new Set(STATE_ROLES.stopped);

/** How a server's latest execution ended, in the report's terms, and why (one definition: the report and `wave status`). */
export function serverResult(o: ServerOutcome | undefined, holding?: string): { result: ServerResult; why?: string } {
  if (!o) return { result: 'notStarted', why: holding || 'not admitted' };
  if (o.status === 'SUCCEEDED') return { result: 'succeeded' };
  if (o.status === 'RUNNING') return { result: 'running' };
  if (o.status === 'ABORTED') return { result: 'stopped', why: o.cause ?? 'execution stopped' };
  if (o.error && ROLLED_BACK.has(o.error)) return { result: 'rolledBack', why: `${o.error}: ${o.cause ?? ''}`.trim() };
  if (o.error && STOPPED.has(o.error)) return { result: 'stopped', why: `${o.error}: ${o.cause ?? ''}`.trim() };
  return { result: 'failed', why: `${o.error ?? o.status}${o.cause ? `: ${o.cause}` : ''}` };
}

/** The report per server: succeeded, rolled back, stopped or failed, and why; and why it waited. */
export async function waveReport(deps: Pick<WaveDeps, 'waves' | 'clock' | 'notifier'>, input: { wave: string; holding?: string }): Promise<WaveReport> {
  const wave = await deps.waves.getDefinition(input.wave);
  if (!wave) throw new WaveInvalidError(`no wave named ${input.wave}`);
  const outcomes = new Map((await deps.waves.outcomes(wave.name)).map((o) => [o.serverId, o]));
  const holds = await deps.waves.holds(wave.name);
  const counts: Record<ServerResult, number> = { succeeded: 0, rolledBack: 0, stopped: 0, failed: 0, running: 0, notStarted: 0 };
  const servers: WaveReport['servers'] = [];
  for (const app of admissionOrder(wave)) {
    for (const s of app.servers) {
      const o = outcomes.get(s.id);
      const { result, why } = serverResult(o, input.holding);
      counts[result]++;
      const waited = holds.filter((h) => h.serverId === s.id).map((h) => `${h.reason} (from ${minuteIn(h.from, wave.timeZone)}${h.until ? ` until ${minuteIn(h.until, wave.timeZone)}` : ''})`);
      servers.push({ serverId: s.id, ...(s.hostname ? { hostname: s.hostname } : {}), application: app.name, result, ...(o ? { attempt: o.attempt } : {}), ...(why ? { why } : {}), ...(waited.length ? { waited } : {}) });
    }
  }
  const report: WaveReport = { wave: wave.name, at: deps.clock.now().toISOString(), counts, servers, ...(input.holding ? { holding: input.holding } : {}) };
  for (const [phase, n] of Object.entries(counts)) metric(deps, 'ServersInPhase', n, { phase }, { wave: wave.name });
  await deps.waves.putReport(wave.name, report);
  const summary = Object.entries(counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${OUTCOME_WORDS[k as ServerResult]}`).join(', ');
  await deps.notifier.ops({
    subject: `Wave ${wave.name} ended: ${summary}`,
    text: [`Wave ${wave.name}: ${summary}.`, ...(input.holding ? [`Held: ${input.holding}`] : []), '', ...servers.map((s) => `${s.hostname ?? s.serverId} (${s.serverId}, ${s.application}): ${OUTCOME_WORDS[s.result]}${s.why ? `: ${s.why}` : ''}${s.waited ? `; waited: ${s.waited.join('; ')}` : ''}`)].join('\n').slice(0, 200_000),
    key: `wave-report#${wave.name}#${report.at}`,
    attributes: { wave: wave.name, kind: 'wave-report' },
  });
  return report;
}

/** A hold a server went through, for the report (`why it waited`). */
export async function recordHold(deps: Pick<WaveDeps, 'waves'>, h: HoldRecord): Promise<void> {
  await deps.waves.recordHold(h);
}

export { WaveFileError };
