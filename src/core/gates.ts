import { InvalidDecisionError } from './errors.ts';
import type { Decision, Gate, GateKind, GateStore, Notifier } from '../ports.ts';
import { resolve, type WaitDeps } from './waits.ts';

/**
 * Gates (DESIGN.md): one approval request per application and gate; the servers of the application park
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

/** What the request says beyond the choices (the approval pages of the next issue say it too). */
const GATE_NOTES: Partial<Record<GateKind, string>> = {
  FINALIZE: 'Approving finalizes the cutover: this is the point of no return (replication stops, staging resources are deleted; the cutover instances stay).',
  GO_NO_GO: 'Approve only once the sources are quiesced (say so with quiesced: true): the cutover launches from the latest data.',
  SIGNOFF: 'Changes made on the test instances do not carry over to the cutover.',
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
}

export function gateId(a: Pick<GateArrival, 'wave' | 'application' | 'gate' | 'round'>): string {
  return `${a.wave}#${a.application}#${a.gate}#${a.round}`;
}

/** Park the server at its application's gate; the first arrival sends the one request. */
export async function arriveAtGate(deps: GateDeps, a: GateArrival): Promise<{ gateId: string; created: boolean; decided: boolean }> {
  const id = gateId(a);
  const now = deps.clock.now();
  await deps.waits.put({
    serverId: a.serverId,
    executionArn: a.executionArn,
    state: a.state,
    token: a.token,
    condition: { kind: 'GATE', gateId: id },
    createdAt: now.toISOString(),
    ...(a.waitSeconds !== undefined ? { waitSeconds: a.waitSeconds } : {}),
  });
  const { created, gate } = await deps.gates.open({
    id,
    wave: a.wave,
    application: a.application,
    gate: a.gate,
    servers: [...a.members].sort(),
    allowed: ALLOWED[a.gate],
    openedAt: now.toISOString(),
    deadline: new Date(now.getTime() + a.timeoutSeconds * 1000).toISOString(),
    ...(a.evidence ? { evidence: a.evidence } : {}),
  });
  if (created) {
    await deps.notifier.ops({
      subject: `Decision needed: ${a.gate} for ${a.application}`,
      text: `${a.application} (wave ${a.wave}) waits at ${a.gate}; allowed: ${ALLOWED[a.gate].join(', ')}; deadline ${gate.deadline}.${GATE_NOTES[a.gate] ? ` ${GATE_NOTES[a.gate]}` : ''}`,
      key: `gate#${id}`,
      attributes: { gate: a.gate, gateId: id, application: a.application, wave: a.wave },
    });
  }
  if (gate.status === 'DECIDED' && gate.decision) {
    // decided before this server arrived: it follows the decision at once
    const wait = await deps.waits.get(a.serverId);
    if (wait && wait.token === a.token) await resolve(deps, wait, { output: decisionOutput(gate) });
    return { gateId: id, created, decided: true };
  }
  return { gateId: id, created, decided: false };
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
  if (!gate) throw new InvalidDecisionError(`no gate ${id}`);
  if (!gate.allowed.includes(d.decision)) throw new InvalidDecisionError(`${d.decision} is not allowed at ${gate.gate}; allowed: ${gate.allowed.join(', ')}`);
  if (deps.clock.now().getTime() > Date.parse(gate.deadline)) throw new InvalidDecisionError(`gate ${id} expired at ${gate.deadline}: its servers took the safe path`);
  if (gate.gate === 'GO_NO_GO' && d.decision === 'approve' && d.quiesced !== true) {
    throw new InvalidDecisionError('approving the go/no-go needs the quiesce confirmation (quiesced: true): the cutover launches from the latest data of quiesced sources');
  }
  if (!(await deps.gates.decide(id, d))) throw new InvalidDecisionError(`gate ${id} is already decided`);
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
