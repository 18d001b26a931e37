import { InvalidDecisionError } from './errors.ts';
import type { Decision, Gate, GateKind, GateStore, Notifier } from '../ports.ts';
import { parkAt, resolve, type WaitDeps } from './waits.ts';
import { isTimeZone, minuteIn } from './zoned-time.ts';

/**
 * Gates (docs/adr): one approval request per application and gate; the servers of the application park
 * there with their tokens; one decision releases them all. The approval experience (messages, signed links,
 * pages, audit) builds on `openGate` and `decide`; here are the mechanics.
 */

export type GateDeps = WaitDeps & { gates: GateStore; notifier: Notifier };

export const ALLOWED: Record<GateKind, Decision[]> = {
  SIGNOFF: ['approve', 'reject'],
  GO_NO_GO: ['approve', 'reject'],
  FINALIZE: ['approve', 'reject'],
  TEST_FAILURE: ['retry', 'rollback', 'stop'],
  CUTOVER_FAILURE: ['retry', 'rollback', 'stop'],
};

export interface GateArrival {
  serverId: string;
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
}

/** The error a parked server gets when its gate closes without a decision (the gate states catch it into GateExpired). */
export const GATE_EXPIRED = 'GateExpired';

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
  return gate.gate === 'GO_NO_GO' && !!gate.window && Date.parse(gate.window.end) === Date.parse(gate.deadline);
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
    if (wait?.condition.kind === 'GATE' && wait.condition.gateId === gate.id && (await resolve(deps, wait, { error: 'GateExpired', cause: `${GATE_LABEL[gate.gate]} for ${gate.application}: ${expiredReason(gate)}` }))) {
      released.push(serverId);
    }
  }
  return { expired, released };
}

const GATE_LABEL: Record<GateKind, string> = { SIGNOFF: 'test sign-off', GO_NO_GO: 'go/no-go', FINALIZE: 'finalize', TEST_FAILURE: 'test failure gate', CUTOVER_FAILURE: 'cutover failure gate' };

/** MGN states that show a server already went past this gate (a relaunch of one server asks about it alone). */
const PAST: Partial<Record<GateKind, ReadonlySet<string>>> = {
  SIGNOFF: new Set(['READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER']),
  GO_NO_GO: new Set(['CUTTING_OVER', 'CUTOVER']),
  FINALIZE: new Set(['CUTOVER']),
};

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
export async function missingAt(deps: Pick<GateDeps, 'waits' | 'mgn'>, gate: Pick<Gate, 'id' | 'gate' | 'servers' | 'arrived'>, opts: { budgetMs?: number } = {}): Promise<string[]> {
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
  const past = PAST[gate.gate];
  if (absent.length === 0 || !past) return absent;
  const read = await within(opts.budgetMs ?? MGN_READ_BUDGET_MS, () => deps.mgn.describeServers(absent));
  if (!read.ok) return absent;
  const views = new Map(read.value.map((v) => [v.id, v]));
  return absent.filter((id) => !past.has(views.get(id)?.lifeCycle ?? ''));
}

export function gateId(a: Pick<GateArrival, 'wave' | 'application' | 'gate' | 'round'>): string {
  return `${a.wave}#${a.application}#${a.gate}#${a.round}`;
}

/**
 * Park the server at its application's gate. Returns the gate as it is now; the caller makes sure its one
 * request goes out (`ensureRequested` in approvals.ts).
 */
export async function arriveAtGate(deps: GateDeps, a: GateArrival): Promise<{ gateId: string; created: boolean; decided: boolean; gate: Gate }> {
  const id = gateId(a);
  const now = deps.clock.now();
  await parkAt(deps, a, { kind: 'GATE', gateId: id }, a.waitSeconds);
  // a gate never outlives what it decides: the go/no-go closes at the end of the cutover window
  let deadline = now.getTime() + a.timeoutSeconds * 1000;
  if (a.gate === 'GO_NO_GO' && a.window) deadline = Math.min(deadline, Date.parse(a.window.end));
  const { created } = await deps.gates.open({
    id,
    wave: a.wave,
    application: a.application,
    gate: a.gate,
    servers: [...a.members].sort(),
    allowed: ALLOWED[a.gate],
    openedAt: now.toISOString(),
    deadline: new Date(deadline).toISOString(),
    ...(a.evidence ? { evidence: a.evidence } : {}),
    approvers: [...new Set(a.approvers ?? [])].sort(),
    ...(a.waitSeconds !== undefined ? { decisionFrom: new Date(now.getTime() + a.waitSeconds * 1000).toISOString() } : {}),
    window: a.window ?? null,
    ...(a.timeZone ? { timeZone: a.timeZone } : {}),
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
      if (wait && wait.token === a.token) await resolve(deps, wait, { error: 'GateExpired', cause: `${GATE_LABEL[gate.gate]} for ${gate.application}: ${expiredReason(gate)}` });
    }
    return { gateId: id, created, decided: false, gate: { ...gate, status: 'EXPIRED' } };
  }
  return { gateId: id, created, decided: false, gate };
}

function decisionOutput(gate: Gate): Record<string, unknown> {
  const d = gate.decision as NonNullable<Gate['decision']>;
  return { gateId: gate.id, gate: gate.gate, decision: d.decision, by: d.by, at: d.at, ...(d.comment ? { comment: d.comment } : {}), quiesced: d.quiesced === true, acceptMissing: d.acceptMissing ?? [], terminateInstances: d.terminateInstances === true };
}

/**
 * Decide a gate exactly once and release every server parked there. The decision must be one the gate
 * allows; a second decision is refused (the first stands).
 */
export async function decide(deps: GateDeps, id: string, d: NonNullable<Gate['decision']>): Promise<{ released: string[] }> {
  const gate = await deps.gates.get(id);
  if (!gate) throw new InvalidDecisionError(`no gate ${id}`, { reason: 'unknown' });
  if (!gate.allowed.includes(d.decision)) throw new InvalidDecisionError(`${d.decision} is not allowed at ${gate.gate}; allowed: ${gate.allowed.join(', ')}`);
  if (gate.status === 'DECIDED') throw new InvalidDecisionError(`gate ${id} is already decided`, { reason: 'conflict' });
  if (gate.status === 'EXPIRED' || deps.clock.now().getTime() >= Date.parse(gate.deadline)) {
    throw new InvalidDecisionError(`gate ${id} expired and takes no decision any more: ${expiredReason(gate)}`, { reason: 'expired' });
  }
  if (gate.gate === 'GO_NO_GO' && d.decision === 'approve') {
    if (d.quiesced !== true) throw new InvalidDecisionError('approving the go/no-go needs the quiesce confirmation (quiesced: true): the cutover launches from the latest data of quiesced sources');
    // no cutover with missing or failed servers unless the decider names them
    const missing = await missingAt(deps, gate);
    const unnamed = missing.filter((s) => !(d.acceptMissing ?? []).includes(s));
    if (unnamed.length) throw new InvalidDecisionError(`${unnamed.join(', ')} ${unnamed.length === 1 ? 'is' : 'are'} not at the go/no-go (missing or failed): name ${unnamed.length === 1 ? 'it' : 'them'} in acceptMissing to cut over without ${unnamed.length === 1 ? 'it' : 'them'}, or wait`);
  }
  if (!(await deps.gates.decide(id, d))) throw new InvalidDecisionError(`gate ${id} is already decided`, { reason: 'conflict' });
  const decided: Gate = { ...gate, status: 'DECIDED', decision: d };
  const released: string[] = [];
  for (const serverId of gate.servers) {
    const wait = await deps.waits.get(serverId);
    if (wait?.condition.kind === 'GATE' && wait.condition.gateId === id && (await resolve(deps, wait, { output: decisionOutput(decided) }))) {
      released.push(serverId);
    }
  }
  return { released };
}
