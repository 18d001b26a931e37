/** Deciding a gate: by a link's POST, the CLI or the demo; every decision in the audit log. */

import { LIMITS } from '../contracts.ts';
import { metric } from '../metrics.ts';
import { InvalidDecisionError } from '../errors.ts';
import { gateWords } from '../lifecycle.ts';
import { changeRefProblem, decide, missingAt } from '../gates.ts';
import type { AuditEntry, Decision, Gate, GateKind } from '../../ports.ts';
import { cleanComment, cleanName } from '../text.ts';
import type { ApprovalDeps } from './deps.ts';
import { checkLink, type Checked, expiredRefusal, type Refusal } from './links.ts';
import { EVIDENCE_BUDGET_MS, type GateEvidence, gatherEvidence } from './evidence.ts';

// --------------------------------------------------------------------------------------- deciding

export interface DecisionRequest {
  gateId: string;
  decision: Decision;
  /**
   * Who decides as mgn-flow knows them (the audit's `approver`): the link's approver, the CLI's caller identity
   * (STS ARN; locally `local:<name>`), the caller of the decideGate Lambda.
   */
  by: string;
  /** The name they typed or gave (the audit's `name`); `by` when absent. */
  name?: string;
  comment?: string;
  quiesced?: boolean;
  acceptMissing?: string[];
  terminateInstances?: boolean;
  /** The change id, where the plan requires one at this gate. */
  changeRef?: string;
}

export interface DecisionSource {
  channel: 'link' | 'cli';
  linkId?: string;
  sourceIp?: string;
  userAgent?: string;
}

/** Name and approver as one line, as pages and messages show them. */
export function displayBy(name: string, approver: string): string {
  return approver === '*' || approver === name || approver === `local:${name}` ? name : `${name} <${approver}>`;
}

/**
 * The fields a decision carries at this gate kind, and no other: the quiesce confirmation and the servers
 * named as missing belong to a go/no-go approval, terminating the cutover instances to a finalize rejection.
 */
export function kindFields(kind: GateKind, decision: Decision, req: Pick<DecisionRequest, 'quiesced' | 'acceptMissing' | 'terminateInstances'>): { quiesced?: boolean; acceptMissing?: string[]; terminateInstances?: boolean } {
  if (gateWords(kind).approveLaunches && decision === 'approve') return { ...(req.quiesced !== undefined ? { quiesced: req.quiesced } : {}), ...(req.acceptMissing?.length ? { acceptMissing: [...req.acceptMissing] } : {}) };
  if (gateWords(kind).rejectMayTerminate && decision === 'reject') return { terminateInstances: req.terminateInstances === true };
  return {};
}

/**
 * The one path every decision takes (page, CLI, the decideGate Lambda): decide the gate exactly once (core
 * `decide` checks the choice, the deadline, the quiesce confirmation and the named missing servers), then
 * write the audit entry: approver and typed name apart, only the fields of this gate kind.
 */
export async function recordDecision(deps: ApprovalDeps, given: DecisionRequest, source: DecisionSource): Promise<{ released: string[]; entry: AuditEntry }> {
  // every path stores names and comments without control characters
  const approver = cleanName(given.by);
  const name = cleanName(given.name ?? given.by);
  const comment = given.comment !== undefined ? cleanComment(given.comment) : '';
  if (!approver || !name) throw new InvalidDecisionError('say who decides: the name is empty once control characters are removed');
  const gate = await deps.gates.get(given.gateId);
  if (!gate) throw new InvalidDecisionError(`no gate ${given.gateId}`, { reason: 'unknown' });
  const at = deps.clock.now().toISOString();
  const by = displayBy(name, approver);
  const fields = kindFields(gate.gate, given.decision, given);
  const changeRef = given.changeRef?.trim();
  // the evidence as it is at the moment of deciding (before the servers move on), kept with the decision; MGN
  // within the page's budget (it says so when it could not be read), so the audit entry follows the decision at once
  const evidence = await gatherEvidence(deps, gate);
  const { released, decided, tally: t } = await decide(deps, given.gateId, {
    decision: given.decision,
    by,
    at,
    approver,
    ...(comment ? { comment } : {}),
    ...(changeRef ? { changeRef } : {}),
    ...fields,
  });
  // the gate's waiting time, once it is decided (a quorum vote that does not decide it yet is not counted)
  if (decided) metric(deps, 'GateWaitSeconds', Math.max(0, (Date.parse(at) - Date.parse(gate.openedAt)) / 1000), { gate: gate.gate }, { wave: gate.wave, application: gate.application, decision: given.decision });
  const entry: AuditEntry = {
    gateId: gate.id,
    gate: gate.gate,
    wave: gate.wave,
    application: gate.application,
    decision: given.decision,
    approver,
    name,
    by,
    at,
    channel: source.channel,
    released,
    ...(comment ? { comment } : {}),
    ...(source.linkId ? { linkId: source.linkId } : {}),
    ...(source.sourceIp ? { sourceIp: source.sourceIp } : {}),
    ...(source.userAgent ? { userAgent: cleanName(source.userAgent).slice(0, 512) } : {}),
    ...(changeRef ? { changeRef } : {}),
    ...(t ? { quorum: { needed: t.needed, of: t.of, approvals: t.approvals, rejections: t.rejections, decided } } : {}),
    ...fields,
  };
  await deps.audit.record({ ...entry, evidence });
  return { released, entry };
}

export interface LinkPost {
  id: string;
  sig: string;
  decision: string;
  name: string;
  comment?: string;
  quiesced?: boolean;
  acceptMissing?: string[];
  terminateInstances?: boolean;
  changeRef?: string;
  sourceIp?: string;
  userAgent?: string;
}

export type LinkPostResult =
  | { status: 200; gate: Gate; entry: AuditEntry; released: string[] }
  /** The form is incomplete (name, quiesce confirmation, missing servers not named): nothing changed; say what to fix. */
  | { status: 400; problems: string[]; checked: Checked; evidence: GateEvidence }
  | Refusal;

/**
 * Count a refused request in the audit (per wave, gate and status; nothing of the request is kept). A 403 names
 * no gate: a forged or unknown link tells nothing, and the count does not either.
 */
async function countRefusal(deps: ApprovalDeps, linkId: string, status: 400 | 403 | 409 | 410): Promise<void> {
  const link = status === 403 ? undefined : await deps.links.get(linkId);
  const gate = link ? await deps.gates.get(link.gateId) : undefined;
  await deps.audit.refused({ status, ...(gate ? { wave: gate.wave, gateId: gate.id } : {}), at: deps.clock.now().toISOString() });
}

/** The GET of the approval page: the link checked (nothing decided); a refusal is counted. */
export async function openLink(deps: ApprovalDeps, id: string, sig: string): Promise<Checked | Refusal> {
  const checked = await checkLink(deps, id, sig);
  if (checked.status !== 200) await countRefusal(deps, id, checked.status);
  return checked;
}

/** The POST of the approval page: the only request that decides; a refusal (400, 403, 409, 410) is counted. */
export async function decideByLink(deps: ApprovalDeps, post: LinkPost): Promise<LinkPostResult> {
  const r = await decideByLinkOnce(deps, post);
  if (r.status !== 200) await countRefusal(deps, post.id, r.status);
  return r;
}

async function decideByLinkOnce(deps: ApprovalDeps, post: LinkPost): Promise<LinkPostResult> {
  const checked = await checkLink(deps, post.id, post.sig);
  if (checked.status !== 200) return checked;
  const { link, gate } = checked;
  // a choice the link does not carry is a tampered request
  if (!link.choices.includes(post.decision as Decision)) return { status: 403 };
  const decision = post.decision as Decision;
  // what people type is stored without control or reordering characters (and shown escaped wherever it goes out)
  const name = cleanName(post.name);
  const comment = cleanComment(post.comment ?? '');
  const problems: string[] = [];
  if (name.length === 0 || name.length > LIMITS.typedNameChars) problems.push('Type your name (1 to 100 characters): it goes into the audit log with your decision.');
  if (comment.length > LIMITS.commentChars) problems.push('The comment is longer than 2,000 characters.');
  const changeRef = cleanName(post.changeRef ?? '');
  const refProblem = changeRefProblem(gate, decision, changeRef || undefined);
  if (refProblem) problems.push(`Change id: ${refProblem}.`);
  if (gateWords(gate.gate).approveLaunches && decision === 'approve' && post.quiesced !== true) problems.push('Confirm that the sources are quiesced: the cutover launches from their latest data.');
  if (gateWords(gate.gate).approveLaunches && decision === 'approve') {
    const unnamed = (await missingAt(deps, gate, { budgetMs: EVIDENCE_BUDGET_MS })).filter((s) => !(post.acceptMissing ?? []).includes(s));
    if (unnamed.length) problems.push(`Servers missing from the cutover must be named to go ahead without them: tick ${unnamed.join(', ')}, or wait for them.`);
  }
  if (problems.length) {
    // decided meanwhile (its servers left the gate, which looks like missing ones): that answer comes first
    const again = await checkLink(deps, post.id, post.sig);
    if (again.status !== 200) return again;
    return { status: 400, problems, checked, evidence: await gatherEvidence(deps, gate) };
  }

  const by = displayBy(name, link.approver);
  const at = deps.clock.now().toISOString();
  if (!(await deps.links.use(link.id, { by, at, decision }))) {
    const now = await deps.links.get(link.id);
    return now?.used ? { status: 409, ...now.used } : { status: 403 };
  }
  try {
    const { released, entry } = await recordDecision(
      deps,
      { gateId: gate.id, decision, by: link.approver, name, ...(comment ? { comment } : {}), ...(changeRef ? { changeRef } : {}), ...(post.quiesced !== undefined ? { quiesced: post.quiesced } : {}), ...(post.acceptMissing?.length ? { acceptMissing: post.acceptMissing } : {}), ...(post.terminateInstances !== undefined ? { terminateInstances: post.terminateInstances } : {}) },
      { channel: 'link', linkId: link.id, ...(post.sourceIp ? { sourceIp: post.sourceIp } : {}), ...(post.userAgent ? { userAgent: post.userAgent } : {}) },
    );
    return { status: 200, gate, entry, released };
  } catch (err) {
    if (err instanceof InvalidDecisionError) {
      // another approver's link or the CLI decided first, or the gate expired meanwhile: this link stays used
      const g = await deps.gates.get(gate.id);
      if (g?.status === 'DECIDED' && g.decision) return { status: 409, by: g.decision.by, at: g.decision.at, decision: g.decision.decision };
      if (g?.status === 'EXPIRED' || deps.clock.now().getTime() >= Date.parse((g ?? gate).deadline)) return expiredRefusal(g ?? gate);
      // at a quorum gate this approver already decided (through the CLI): that decision stands
      const mine = g?.votes?.find((v) => v.approver === link.approver);
      if (mine) return { status: 409, by: mine.by, at: mine.at, decision: mine.decision };
    }
    // not a refusal: give the link back so the approver can try again
    await deps.links.release(link.id);
    throw err;
  }
}
