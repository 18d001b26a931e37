import type { Gate, HoldRecord, LaunchPoint, OpenWait, ServerOutcome } from '../ports.ts';
import { OUTCOME_WORDS, type ServerResult, admissionOrder, executionName, serverPlan, serverResult } from './wave.ts';

export { OUTCOME_WORDS };
import type { Wave } from './wave-file.ts';
import { SOAK_STATE, gateWords } from './lifecycle.ts';
import { minuteIn } from './zoned-time.ts';

export { minuteIn };

/**
 * Where each server of a wave is, as an operator asks it: in which state, why, since when, waiting for whom
 * or what, and until when; with the outcome in the report's own words. Pure: the caller reads the stores
 * (outcomes, open waits, gates, launch points, holds) and passes them in.
 */

export interface Whereabouts {
  application: string;
  serverId: string;
  hostname?: string;
  /** The report's result: succeeded, rolledBack, stopped, failed, running, notStarted. */
  result: ServerResult;
  /** The same in words: `rolled back`, `not started`, ... */
  outcome: string;
  attempt: number;
  /** The server execution (`<wave>-<server>-<attempt>`), for `mgn-flow graph`; absent before it started. */
  execution?: string;
  executionArn?: string;
  /** The state it waits in (a callback task), when it waits. */
  state?: string;
  /** Where it is, in words: `at the go/no-go gate`, `held for the cutover window`, ... */
  where: string;
  /** Why it is there (or why it ended so). */
  reason: string;
  /** Who or what it waits for: approvers, MGN, the other servers of its application. */
  waitingFor?: string;
  /** Since when (ISO). */
  since?: string;
  /** Until when (ISO): the gate's deadline, the hold's end, the wait's timeout. */
  deadline?: string;
  /** What happens at the deadline. */
  atDeadline?: string;
}

export interface WhereaboutsInput {
  wave: Wave;
  outcomes: readonly ServerOutcome[];
  /** Open waits (any wave: those of other executions are ignored). */
  waits: readonly Pick<OpenWait, 'serverId' | 'executionArn' | 'state' | 'condition' | 'createdAt' | 'waitSeconds'>[];
  gates: ReadonlyMap<string, Gate>;
  points: ReadonlyMap<string, LaunchPoint>;
  holds: readonly HoldRecord[];
  /** The wave's hold on admissions (report.holding), if any. */
  holding?: string;
}


const plus = (iso: string, seconds: number | undefined): string | undefined =>
  seconds === undefined ? undefined : new Date(Date.parse(iso) + seconds * 1000).toISOString();

const hostOf = (wave: Wave) => {
  const m = new Map<string, string>();
  for (const a of wave.applications) for (const s of a.servers) m.set(s.id, s.hostname ?? s.id);
  return (id: string) => m.get(id) ?? id;
};

function list(names: readonly string[], shown = 4): string {
  return names.length <= shown ? names.join(', ') : `${names.slice(0, shown).join(', ')} and ${names.length - shown} more`;
}

/** One server's open wait in words. */
function describeWait(input: WhereaboutsInput, wait: WhereaboutsInput['waits'][number], application: string): Pick<Whereabouts, 'where' | 'reason' | 'waitingFor' | 'since' | 'deadline' | 'atDeadline'> {
  const plan = serverPlan(input.wave);
  const host = hostOf(input.wave);
  const since = wait.createdAt;
  const c = wait.condition;
  switch (c.kind) {
    case 'AGENT':
      return { where: 'waiting for the replication agent', reason: 'MGN knows the server but no agent replicates it yet', waitingFor: 'someone to install the MGN agent on the source server', since, deadline: plus(since, plan.readyTimeoutSeconds), atDeadline: 'ends not migratable' };
    case 'READY_FOR_TEST':
      return { where: 'waiting for replication', reason: 'replication has not caught up (MGN: not ready for test)', waitingFor: 'MGN: initial sync to finish', since, deadline: plus(since, plan.readyTimeoutSeconds), atDeadline: 'ends not ready' };
    case 'LAUNCH_RESULT':
      return { where: `${c.launch === 'TEST' ? 'test' : 'cutover'} launch running`, reason: `MGN launches the ${c.launch === 'TEST' ? 'test' : 'cutover'} instance (job ${c.jobId})`, waitingFor: `MGN: job ${c.jobId}`, since, deadline: plus(since, plan.launchTimeoutSeconds), atDeadline: 'reads MGN once more, then takes the failure path' };
    case 'POST_LAUNCH':
      return { where: 'post-launch actions running', reason: `the instance booted; its post-launch actions run (job ${c.jobId})`, waitingFor: 'MGN: the post-launch actions', since, deadline: plus(since, plan.verifyTimeoutSeconds), atDeadline: 'reads MGN once more, then takes the failure path' };
    case 'JOB_DONE':
      return { where: 'terminating the test instance', reason: `MGN terminates the test instance (job ${c.jobId})`, waitingFor: `MGN: job ${c.jobId}`, since, deadline: plus(since, plan.jobTimeoutSeconds) };
    case 'CUTOVER_STATE':
      return { where: 'finalizing', reason: 'finalized; MGN has yet to show the server CUTOVER', waitingFor: 'MGN', since, deadline: plus(since, plan.jobTimeoutSeconds) };
    case 'READINESS':
      return { where: 'held: not ready for cutover', reason: `replication must be CONTINUOUS with lag <= ${c.maxLagSeconds} s, no backlog, not stalled`, waitingFor: 'MGN: replication to catch up', since, deadline: plus(since, plan.readinessHoldTimeoutSeconds), atDeadline: 'ends not ready for cutover (no cutover)' };
    case 'UNTIL': {
      if (c.reason === 'freeze') {
        const f = input.wave.freeze.find((x) => Date.parse(x.end) === Date.parse(c.at));
        return { where: 'held by a freeze', reason: `no cutover inside the freeze${f?.reason ? ` "${f.reason}"` : ''}`, waitingFor: 'the freeze to end', since, deadline: c.at, atDeadline: 'goes on to the cutover' };
      }
      return { where: `held for the ${c.reason}`, reason: `the ${c.reason} opens at ${minuteIn(c.at, input.wave.timeZone)}`, waitingFor: `the ${c.reason} to open`, since, deadline: c.at, atDeadline: 'goes on to the go/no-go' };
    }
    case 'LAUNCH_POINT': {
      const p = input.points.get(c.pointId);
      const kind = c.launch === 'TEST' ? 'test' : 'cutover';
      if (!p) return { where: `at the ${kind} launch point`, reason: `waits for ${application} to launch together`, waitingFor: 'the launcher', since };
      const missing = p.expected.filter((id) => !p.arrived.includes(id));
      if (p.status === 'OPEN' && missing.length) {
        return { where: `at the ${kind} launch point`, reason: `${p.arrived.length} of ${p.expected.length} servers of ${application} arrived: one launch for all`, waitingFor: `the other servers: ${list(missing.map(host))}`, since, deadline: p.deadline, atDeadline: 'launches the servers present and names the missing ones to ops' };
      }
      return { where: `at the ${kind} launch point`, reason: `all ${p.arrived.length} servers of ${application} arrived; ${p.status === 'LAUNCHING' ? 'the launch is being made' : 'the launch waits for MGN job capacity (20 jobs, 200 servers in jobs)'}`, waitingFor: 'the launcher (MGN job quotas)', since, deadline: plus(since, plan.launchTimeoutSeconds), atDeadline: 'takes the launch failure path' };
    }
    case 'GATE': {
      const g = input.gates.get(c.gateId);
      if (!g) return { where: 'at a gate', reason: `gate ${c.gateId}`, waitingFor: 'a decision', since };
      const words = gateWords(g.gate).label;
      const arrived = g.arrived ?? g.servers;
      const missing = g.servers.filter((id) => !arrived.includes(id));
      const who = g.approvers?.length ? list(g.approvers) : 'whoever the approvals topic reaches (the wave names no approver)';
      if (g.status !== 'OPEN') return { where: `at the ${words} gate`, reason: `the gate is ${g.status.toLowerCase()}${g.decision ? `: ${g.decision.decision} by ${g.decision.by}` : ''}`, since };
      if (wait.state === SOAK_STATE && g.decisionFrom && Date.parse(g.decisionFrom) > Date.parse(since)) {
        return { where: 'in its soak', reason: `testing on the test instance; the sign-off is due at the end of the soak (${minuteIn(g.decisionFrom, input.wave.timeZone)})`, waitingFor: `${who} to sign off (or the soak to end)`, since, deadline: g.deadline, atDeadline: 'no cutover (the safe path)' };
      }
      if (missing.length) {
        return { where: `at the ${words} gate`, reason: `${arrived.length} of ${g.servers.length} servers of ${application} arrived: one request once all are there`, waitingFor: `the other servers: ${list(missing.map(host))}`, since, deadline: g.deadline, atDeadline: 'no cutover, no finalize (the safe path)' };
      }
      return { where: `at the ${words} gate`, reason: `asked ${who} to decide (${g.allowed.join(', ')})`, waitingFor: who, since, deadline: g.deadline, atDeadline: 'no cutover, no finalize (the safe path)' };
    }
  }
}

/** Why an application is not admitted yet (canaries first, concurrency), when the wave runs. */
function notAdmittedWhy(input: WhereaboutsInput, application: string): string {
  if (input.holding) return input.holding;
  if (input.outcomes.length === 0) return 'the wave has not started';
  const app = input.wave.applications.find((a) => a.name === application);
  const byServer = new Map(input.outcomes.map((o) => [o.serverId, o]));
  const canaries = input.wave.applications.filter((a) => a.canary);
  if (app && !app.canary && canaries.length) {
    const waiting = canaries.filter((a) => !a.servers.every((s) => byServer.get(s.id)?.status === 'SUCCEEDED'));
    if (waiting.length) return `not admitted yet: canaries first (${list(waiting.map((a) => a.name))} must succeed)`;
  }
  const running = new Set(input.outcomes.filter((o) => o.status === 'RUNNING').map((o) => o.application));
  if (running.size >= input.wave.defaults.concurrency) return `not admitted yet: ${running.size} application(s) in flight, at most ${input.wave.defaults.concurrency} at once`;
  return 'not admitted yet';
}

export function whereabouts(input: WhereaboutsInput): Whereabouts[] {
  const outcomes = new Map(input.outcomes.map((o) => [o.serverId, o]));
  const waits = new Map(input.waits.map((w) => [w.serverId, w]));
  const out: Whereabouts[] = [];
  for (const app of admissionOrder(input.wave)) {
    for (const s of app.servers) {
      const o = outcomes.get(s.id);
      const { result, why } = serverResult(o, input.holding);
      const base = {
        application: app.name,
        serverId: s.id,
        ...(s.hostname ? { hostname: s.hostname } : {}),
        result,
        outcome: OUTCOME_WORDS[result],
        attempt: o?.attempt ?? 0,
        ...(o ? { execution: o.executionArn.split(':').pop() ?? executionName(input.wave.name, s.id, o.attempt), executionArn: o.executionArn } : {}),
      };
      if (!o) {
        out.push({ ...base, where: 'not started', reason: notAdmittedWhy(input, app.name) });
        continue;
      }
      if (result !== 'running') {
        out.push({ ...base, where: base.outcome, reason: why ?? (result === 'succeeded' ? 'migrated' : ''), since: o.at });
        continue;
      }
      const wait = waits.get(s.id);
      if (!wait || wait.executionArn !== o.executionArn) {
        out.push({ ...base, where: 'working', reason: 'between waits: a step is running (calling MGN or the next state)', since: o.at });
        continue;
      }
      out.push({ ...base, state: wait.state, ...describeWait(input, wait, app.name) });
    }
  }
  return out;
}
