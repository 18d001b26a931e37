import { LIMITS } from './contracts.ts';
import { GATE_EXPIRED, gateWords, isFailureGate } from './lifecycle.ts';
import { InvalidDecisionError } from './errors.ts';
import type { Decision, Gate, GateKind, GateStore, Notifier, OpenWait } from '../ports.ts';
import { failedTogether, inAccount, parkAt, resolve, type WaitDeps } from './waits.ts';
import { isTimeZone, minuteIn } from './zoned-time.ts';

/**
 * Gates (docs/adr): one approval request per application and gate; the servers of the application park
 * there with their tokens; one decision releases them all. The approval experience (messages, signed links,
 * pages, audit) builds on `openGate` and `decide`; here are the mechanics.
 */

export type GateDeps = WaitDeps & { gates: GateStore; notifier: Notifier };

/** The decisions each gate kind takes. */
export const allowed = (kind: GateKind): Decision[] => [...gateWords(kind).choices];

export interface GateArrival {
  serverId: string;
  /** The application's account in MGN's global view (null: the home account). */
  account?: string | null;
  executionArn: string;
  state: string;
  token: string;
  wave: string;
  application: string;
  gate: GateKind;
  round: string;
  members: string[];
  timeoutSeconds: number;
  /** The callback's own timeout when it differs from the gate's (the soak length while soaking). */
  waitSeconds?: number;
  evidence?: Record<string, unknown>;
  /** The plan's approvers for this gate (e-mail addresses): one link each; none: one link for the gate. */
  approvers?: string[];
  /** The plan's cutover window, shown as evidence; the go/no-go closes at its end. */
  window?: { start: string; end: string } | null;
  /** The wave's time zone: the deadline people read is shown in it. */
  timeZone?: string;
  /** N of the approvers must approve; `rejects` rejections decide reject (absent: one decision decides). */
  quorum?: { needed: number; rejects: number };
  /** The change id pattern an approval must carry at this gate. */
  changeRef?: string;
  /** Failure gates: the launch (MGN job) that failed; the gate gathers the servers that failed in it. */
  job?: string | null;
}

/**
 * Who a failure gate asks about (docs/adr/0004, "Failure gates per application"): the servers of the failed
 * launch that MGN does not show launched in it, read from MGN; this server alone when it failed after
 * launching (a post-launch action, a verification) or no launch is known. Others that fail in the same round
 * join the gate as they arrive and are released by its one decision.
 */
export async function failureGateMembers(deps: Pick<GateDeps, 'mgn'>, a: Pick<GateArrival, 'gate' | 'job' | 'serverId' | 'members'>): Promise<{ members: string[]; job?: string }> {
  if (!isFailureGate(a.gate)) return { members: a.members };
  if (!a.job) return { members: [a.serverId] };
  const [job] = await deps.mgn.describeJobs([a.job]);
  const together = failedTogether(job, a.serverId);
  return together ? { members: together, job: a.job } : { members: [a.serverId] };
}


/** A time people read: in the gate's (the wave's) time zone, to the minute (rounded down: never later than it is). */
export function zonedMinute(iso: string, timeZone: string | undefined): string {
  const zone = timeZone && isTimeZone(timeZone) ? timeZone : 'UTC';
  return `${minuteIn(iso, zone)} (${zone})`;
}

/** Until when the gate takes a decision, as people read it. */
export function deadlineText(gate: Pick<Gate, 'deadline' | 'timeZone'>): string {
  return zonedMinute(gate.deadline, gate.timeZone);
}

/** The go/no-go closes at the end of the cutover window: a go-ahead after it would start a cutover outside it. */
export function closesWithWindow(gate: Pick<Gate, 'gate' | 'window' | 'deadline'>): boolean {
  return gateWords(gate.gate).approveLaunches !== undefined && !!gate.window && Date.parse(gate.window.end) === Date.parse(gate.deadline);
}

/** Why a decision after the deadline is refused, in one sentence. */
export function expiredReason(gate: Pick<Gate, 'gate' | 'window' | 'deadline' | 'timeZone'>): string {
  return closesWithWindow(gate)
    ? `the go/no-go closed at ${deadlineText(gate)}, the end of the cutover window: a cutover now would start outside the window, so the servers took the safe path (no cutover); plan a new window and start the wave again`
    : `nobody decided by ${deadlineText(gate)}, so the servers took the safe path (no cutover, no finalize)`;
}

/**
 * Close a gate whose deadline passed: EXPIRED, and every server still parked there takes the safe path at once
 * (its callback fails with GateExpired) rather than waiting for its own, possibly longer, callback timeout.
 */
export async function expireGate(deps: Pick<GateDeps, 'gates' | 'waits' | 'callbacks'>, gate: Gate): Promise<{ expired: boolean; released: string[] }> {
  const expired = await deps.gates.expire(gate.id);
  const released: string[] = [];
  for (const serverId of gate.servers) {
    const wait = await deps.waits.get(serverId);
    if (wait?.condition.kind === 'GATE' && wait.condition.gateId === gate.id && (await resolve(deps, wait, { error: GATE_EXPIRED, cause: `${gateWords(gate.gate).label}${isFailureGate(gate.gate) ? ' gate' : ''} for ${gate.application}: ${expiredReason(gate)}` }))) {
      released.push(serverId);
    }
  }
  return { expired, released };
}


/** How long a decision, a page or a request waits for MGN before going on without its answer (no retry loop on those paths). */
export const MGN_READ_BUDGET_MS = 4000;

/** `work` within `ms`, or the reason it failed or took longer (the late answer is dropped). */
export async function within<T>(ms: number, work: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; why: string }> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<{ ok: false; why: string }>((res) => {
    timer = setTimeout(() => res({ ok: false, why: `no answer within ${ms / 1000} s` }), ms);
  });
  const run = work().then(
    (value) => ({ ok: true as const, value }),
    (err: unknown) => ({ ok: false as const, why: `${(err as Error).name ?? 'Error'}: ${String((err as Error).message ?? err).slice(0, 200)}` }),
  );
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Servers of the gate neither parked there nor already past it: missing or failed. When MGN cannot be read (in
 * `budgetMs` when given), a server not parked there counts as missing: a go-ahead then names it, and nobody is
 * kept from deciding by a throttled or failing MGN.
 */
export async function missingAt(given: Pick<GateDeps, 'waits' | 'mgn'>, gate: Pick<Gate, 'id' | 'gate' | 'servers' | 'arrived' | 'job' | 'account'>, opts: { budgetMs?: number } = {}): Promise<string[]> {
  const deps = inAccount(given, gate.account);
  // the gate's own arrival set (one read for the application); without one, each server's wait
  let absent: string[];
  if (gate.arrived) {
    const arrived = new Set(gate.arrived);
    absent = gate.servers.filter((s) => !arrived.has(s));
  } else {
    absent = [];
    for (const serverId of gate.servers) {
      const w = await deps.waits.get(serverId);
      if (!(w?.condition.kind === 'GATE' && w.condition.gateId === gate.id)) absent.push(serverId);
    }
  }
  if (absent.length > 0 && gate.job && isFailureGate(gate.gate)) {
    // a member whose launch MGN shows succeeded in the failed job will not come
    const read = await within(opts.budgetMs ?? MGN_READ_BUDGET_MS, () => deps.mgn.describeJobs([gate.job as string]));
    if (!read.ok) return absent;
    const launched = new Set((read.value[0]?.servers ?? []).filter((p) => p.launchStatus === 'LAUNCHED').map((p) => p.id));
    return absent.filter((id) => !launched.has(id));
  }
  // MGN states that show a server already went past this gate (a relaunch of one server asks about it alone)
  const pastStates = gateWords(gate.gate).past;
  if (absent.length === 0 || !pastStates) return absent;
  const past = new Set<string>(pastStates);
  const read = await within(opts.budgetMs ?? MGN_READ_BUDGET_MS, () => deps.mgn.describeServers(absent));
  if (!read.ok) return absent;
  const views = new Map(read.value.map((v) => [v.id, v]));
  return absent.filter((id) => !past.has(views.get(id)?.lifeCycle ?? ''));
}

/** A failure gate's round: the launch count and the launch (job) that failed, so one failed launch has one gate. */
export function failureRound(round: string, job: string | null | undefined): string {
  return `${round}-${job ?? 'none'}`;
}

export function gateId(a: Pick<GateArrival, 'wave' | 'application' | 'gate' | 'round'>): string {
  return `${a.wave}#${a.application}#${a.gate}#${a.round}`;
}

/**
 * Park the server at its application's gate. Returns the gate as it is now; the caller makes sure its one
 * request goes out (`ensureRequested` in approvals.ts).
 */
export async function arriveAtGate(deps: GateDeps, a: GateArrival): Promise<{ gateId: string; created: boolean; decided: boolean; gate: Gate }> {
  const id = gateId(isFailureGate(a.gate) ? { ...a, round: failureRound(a.round, a.job) } : a);
  const now = deps.clock.now();
  const { members, job } = await failureGateMembers(deps, a);
  await parkAt(deps, a, { kind: 'GATE', gateId: id }, a.waitSeconds);
  // a gate never outlives what it decides: the go/no-go closes at the end of the cutover window
  let deadline = now.getTime() + a.timeoutSeconds * 1000;
  if (gateWords(a.gate).approveLaunches && a.window) deadline = Math.min(deadline, Date.parse(a.window.end));
  const { created } = await deps.gates.open({
    id,
    wave: a.wave,
    application: a.application,
    gate: a.gate,
    servers: [...members].sort(),
    ...(job ? { job } : {}),
    allowed: allowed(a.gate),
    openedAt: now.toISOString(),
    deadline: new Date(deadline).toISOString(),
    ...(a.evidence ? { evidence: a.evidence } : {}),
    approvers: [...new Set(a.approvers ?? [])].sort(),
    ...(a.waitSeconds !== undefined ? { decisionFrom: new Date(now.getTime() + a.waitSeconds * 1000).toISOString() } : {}),
    window: a.window ?? null,
    ...(a.timeZone ? { timeZone: a.timeZone } : {}),
    ...(a.quorum ? { quorum: a.quorum } : {}),
    ...(a.changeRef ? { changeRef: a.changeRef } : {}),
    ...(a.account ? { account: a.account } : {}),
  });
  // the gate as it is now, this arrival included
  const gate = await deps.gates.arrive(id, a.serverId);
  if (gate.status === 'DECIDED' && gate.decision) {
    // decided before this server arrived: it follows the decision at once
    const wait = await deps.waits.get(a.serverId);
    if (wait && wait.token === a.token) await resolve(deps, wait, { output: decisionOutput(gate) });
    return { gateId: id, created, decided: true, gate };
  }
  if (gate.status === 'EXPIRED' || (gate.status === 'OPEN' && now.getTime() >= Date.parse(gate.deadline))) {
    // closed before this server arrived (or closes now): the safe path at once, no request
    const { released } = await expireGate(deps, gate);
    if (!released.includes(a.serverId)) {
      const wait = await deps.waits.get(a.serverId);
      if (wait && wait.token === a.token) await resolve(deps, wait, { error: GATE_EXPIRED, cause: `${gateWords(gate.gate).label}${isFailureGate(gate.gate) ? ' gate' : ''} for ${gate.application}: ${expiredReason(gate)}` });
    }
    return { gateId: id, created, decided: false, gate: { ...gate, status: 'EXPIRED' } };
  }
  return { gateId: id, created, decided: false, gate };
}

function decisionOutput(gate: Gate): Record<string, unknown> {
  const d = gate.decision as NonNullable<Gate['decision']>;
  return { gateId: gate.id, gate: gate.gate, decision: d.decision, by: d.by, at: d.at, ...(d.comment ? { comment: d.comment } : {}), quiesced: d.quiesced === true, acceptMissing: d.acceptMissing ?? [], terminateInstances: d.terminateInstances === true, ...(d.changeRef ? { changeRef: d.changeRef } : {}) };
}

/** Where a quorum gate stands: the votes so far and the outcome once it is reached. */
export interface Tally {
  needed: number;
  rejects: number;
  /** The people asked (the approvers named); voters outside them (an operator's CLI identity) count too. */
  of: number;
  approvals: number;
  rejections: number;
  outcome?: 'approve' | 'reject';
}

/**
 * A quorum gate's outcome: approve once `needed` approvals are in; reject once `rejects` rejections are in (one,
 * unless the plan says otherwise), or once the approvals can no longer reach the quorum.
 */
export function tally(gate: Pick<Gate, 'quorum' | 'approvers' | 'votes'>): Tally {
  const needed = gate.quorum?.needed ?? 1;
  const rejects = gate.quorum?.rejects ?? 1;
  const people = gate.approvers ?? [];
  const votes = gate.votes ?? [];
  const approvals = votes.filter((v) => v.decision === 'approve').length;
  const rejections = votes.filter((v) => v.decision === 'reject').length;
  const voted = new Set(votes.map((v) => v.approver));
  const undecided = people.filter((p) => !voted.has(p)).length;
  const outcome = approvals >= needed ? 'approve' : rejections >= rejects || approvals + undecided < needed ? 'reject' : undefined;
  return { needed, rejects, of: people.length, approvals, rejections, ...(outcome ? { outcome } : {}) };
}

/** "2 of 3: approve by Alice <a@x>, Bob <b@x>; reject by Carol <c@x>": every individual decision, for pages and messages. */
export function tallyText(gate: Pick<Gate, 'quorum' | 'approvers' | 'votes'>): string {
  const t = tally(gate);
  const votes = gate.votes ?? [];
  const of = (d: 'approve' | 'reject') => votes.filter((v) => v.decision === d).map((v) => v.by);
  const parts = [...(of('approve').length ? [`approve by ${of('approve').join(', ')}`] : []), ...(of('reject').length ? [`reject by ${of('reject').join(', ')}`] : [])];
  return `${t.approvals} of ${t.of} approved (${t.needed} needed${t.rejects > 1 ? `, ${t.rejects} rejections decide reject` : ', one rejection decides reject'})${parts.length ? `: ${parts.join('; ')}` : ''}`;
}

/** The change id a decision must carry at this gate (approvals; a rejection's is checked when given). */
export function changeRefProblem(gate: Pick<Gate, 'changeRef'>, decision: Decision, changeRef: string | undefined): string | undefined {
  if (!gate.changeRef) return undefined;
  const ref = changeRef?.trim() ?? '';
  if (!ref) return decision === 'approve' ? `this gate needs a change id matching ${gate.changeRef} to approve (the change record that authorises it)` : undefined;
  if (ref.length > LIMITS.changeRefChars || !new RegExp(gate.changeRef, 'u').test(ref)) return `change id ${JSON.stringify(ref.slice(0, LIMITS.changeRefChars))} does not match ${gate.changeRef}`;
  return undefined;
}

/**
 * Decide a gate exactly once and release every server parked there. The decision must be one the gate
 * allows; a second decision is refused (the first stands). At a quorum gate each call is one approver's
 * decision (once each); the gate decides, once, when the quorum is met (`decided` tells whether this call did).
 */
export async function decide(deps: GateDeps, id: string, d: NonNullable<Gate['decision']>): Promise<{ released: string[]; decided: boolean; tally?: Tally }> {
  const gate = await deps.gates.get(id);
  if (!gate) throw new InvalidDecisionError(`no gate ${id}`, { reason: 'unknown' });
  if (!gate.allowed.includes(d.decision)) throw new InvalidDecisionError(`${d.decision} is not allowed at ${gate.gate}; allowed: ${gate.allowed.join(', ')}`);
  if (gate.status === 'DECIDED') throw new InvalidDecisionError(`gate ${id} is already decided`, { reason: 'conflict' });
  if (gate.status === 'EXPIRED' || deps.clock.now().getTime() >= Date.parse(gate.deadline)) {
    throw new InvalidDecisionError(`gate ${id} expired and takes no decision any more: ${expiredReason(gate)}`, { reason: 'expired' });
  }
  const refProblem = changeRefProblem(gate, d.decision, d.changeRef);
  if (refProblem) throw new InvalidDecisionError(refProblem);
  if (gateWords(gate.gate).approveLaunches && d.decision === 'approve') {
    if (d.quiesced !== true) throw new InvalidDecisionError('approving the go/no-go needs the quiesce confirmation (quiesced: true): the cutover launches from the latest data of quiesced sources');
    // no cutover with missing or failed servers unless the decider names them
    const missing = await missingAt(deps, gate);
    const unnamed = missing.filter((s) => !(d.acceptMissing ?? []).includes(s));
    if (unnamed.length) throw new InvalidDecisionError(`${unnamed.join(', ')} ${unnamed.length === 1 ? 'is' : 'are'} not at the go/no-go (missing or failed): name ${unnamed.length === 1 ? 'it' : 'them'} in acceptMissing to cut over without ${unnamed.length === 1 ? 'it' : 'them'}, or wait`);
  }
  let final: NonNullable<Gate['decision']> = d;
  let counted: Tally | undefined;
  if (gate.quorum) {
    // one approver's decision: recorded once; the gate decides when the quorum is met
    const approver = d.approver ?? d.by;
    const { recorded, gate: now } = await deps.gates.vote(id, { ...d, approver });
    if (!recorded) {
      if (now.status === 'DECIDED') throw new InvalidDecisionError(`gate ${id} is already decided`, { reason: 'conflict' });
      if (now.status === 'EXPIRED') throw new InvalidDecisionError(`gate ${id} expired and takes no decision any more: ${expiredReason(gate)}`, { reason: 'expired' });
      throw new InvalidDecisionError(`${approver} already decided at gate ${id}: each approver decides once`, { reason: 'conflict' });
    }
    counted = tally(now);
    if (!counted.outcome) return { released: [], decided: false, tally: counted };
    const deciding = (now.votes ?? []).filter((v) => v.decision === counted?.outcome);
    // the deciding vote's own fields (its quiesce confirmation, named servers, change id) go with the decision
    final = { ...d, decision: counted.outcome, by: `${deciding.length} of ${counted.of}: ${deciding.map((v) => v.by).join(', ')}` };
    if (final.decision !== d.decision) {
      // the approvals can no longer reach the quorum: reject, carried by no single person's fields
      final = { decision: 'reject', by: `${counted.rejections} of ${counted.of} rejected; ${counted.approvals} approval(s) cannot reach ${counted.needed}`, at: d.at };
    }
  }
  // the servers parked here now: the decision records them (a retry relaunches them together; the sign-off's
  // approved siblings terminate their test instances together)
  const parked: OpenWait[] = [];
  for (const serverId of gate.servers) {
    const wait = await deps.waits.get(serverId);
    if (wait?.condition.kind === 'GATE' && wait.condition.gateId === id) parked.push(wait);
  }
  final = { ...final, released: parked.map((w) => w.serverId) };
  if (!(await deps.gates.decide(id, final))) {
    // at a quorum gate a concurrent vote may have decided it a moment ago: this vote stays recorded
    if (counted) return { released: [], decided: false, tally: counted };
    throw new InvalidDecisionError(`gate ${id} is already decided`, { reason: 'conflict' });
  }
  const decided: Gate = { ...gate, status: 'DECIDED', decision: final };
  const released: string[] = [];
  for (const wait of parked) {
    if (await resolve(deps, wait, { output: decisionOutput(decided) })) released.push(wait.serverId);
  }
  return { released, decided: true, ...(counted ? { tally: counted } : {}) };
}
