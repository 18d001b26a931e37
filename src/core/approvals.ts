import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { LIMITS } from './contracts.ts';
import { metric } from './metrics.ts';
import { InvalidDecisionError } from './errors.ts';
import { type GateDeps, changeRefProblem, closesWithWindow, tallyText, deadlineText, decide, expireGate, expiredReason, missingAt, MGN_READ_BUDGET_MS, within, zonedMinute } from './gates.ts';
import { minuteIn } from './zoned-time.ts';
import type { ApprovalLink, ApprovalNotifier, AuditEntry, AuditLog, Decision, Gate, GateKind, JobView, LinkStore, ServerView, SigningKeys, StallStore } from '../ports.ts';
import { stallSummary } from './stalls.ts';
import { inAccount } from './waits.ts';
import { cleanComment, cleanName } from './text.ts';

/**
 * Approvals people can trust (docs/adr, "Approvals"): one link per (gate, approver), the choices signed into
 * it, single-use, expiring with the gate; opening it changes nothing, only the POST decides; every decision is
 * in the audit log. The task token never leaves the wait store: a link names a link record, the record a
 * gate, the gate its parked servers.
 */

export type ApprovalDeps = GateDeps & {
  links: LinkStore;
  audit: AuditLog;
  keys: SigningKeys;
  approvals: ApprovalNotifier;
  /** Where the approval pages are served (the HTTP API's URL), without a trailing slash. */
  approvalBaseUrl: string;
};

// ------------------------------------------------------------------------------------------- links

const LINK_ID = /^[A-Za-z0-9_-]{22}$/;
const SIG = /^[A-Za-z0-9_-]{43}$/;

/** What the signature covers: everything the link allows, so changing any of it breaks the signature. */
function canonical(l: Pick<ApprovalLink, 'id' | 'gateId' | 'approver' | 'choices' | 'expiresAt' | 'keyVersion'>): string {
  return ['mgn-flow-approval-link-v1', l.id, l.gateId, l.approver, [...l.choices].sort().join(','), l.expiresAt, l.keyVersion].join('\n');
}

export function signLink(key: Buffer, l: Parameters<typeof canonical>[0]): string {
  return createHmac('sha256', key).update(canonical(l)).digest('base64url');
}

export function linkUrl(baseUrl: string, id: string, sig: string): string {
  return `${baseUrl}/approvals/${id}?sig=${sig}`;
}

/** Make the gate's links: one per approver the plan names, else one for the gate. */
export async function issueLinks(deps: ApprovalDeps, gate: Gate): Promise<{ approver: string; url: string; linkId: string }[]> {
  const { version, key } = await deps.keys.current();
  const approvers = gate.approvers && gate.approvers.length > 0 ? gate.approvers : ['*'];
  const out: { approver: string; url: string; linkId: string }[] = [];
  for (const approver of approvers) {
    const link = { id: randomBytes(16).toString('base64url'), gateId: gate.id, approver, choices: gate.allowed, expiresAt: gate.deadline, keyVersion: version };
    await deps.links.create(link);
    out.push({ approver, linkId: link.id, url: linkUrl(deps.approvalBaseUrl, link.id, signLink(key, link)) });
  }
  return out;
}

/** The open links of a gate with their URLs again (the signature is derived, never stored): for reminders. */
async function openLinkUrls(deps: ApprovalDeps, gate: Gate): Promise<{ approver: string; url: string }[]> {
  const keys = new Map((await deps.keys.all()).map((k) => [k.version, k.key]));
  const out: { approver: string; url: string }[] = [];
  for (const l of await deps.links.forGate(gate.id)) {
    const key = keys.get(l.keyVersion);
    if (l.status === 'OPEN' && key) out.push({ approver: l.approver, url: linkUrl(deps.approvalBaseUrl, l.id, signLink(key, l)) });
  }
  return out.sort((a, b) => a.approver.localeCompare(b.approver));
}

export type Refusal =
  /** Forged, tampered, unknown, cross-gate: one body for all, so a refusal tells nothing. */
  | { status: 403 }
  | { status: 409; by: string; at: string; decision: Decision }
  /** Past the gate's deadline: until when it took a decision (in the wave's time zone) and why it no longer does. */
  | { status: 410; deadline: string; reason: string };

export type Checked = { status: 200; link: ApprovalLink; gate: Gate };

/** Verify a link: signature first (nothing is told about a link whose signature fails), then its state. */
export async function checkLink(deps: ApprovalDeps, id: string, sig: string): Promise<Checked | Refusal> {
  const forbidden = { status: 403 } as const;
  if (!LINK_ID.test(id) || !SIG.test(sig)) return forbidden;
  const link = await deps.links.get(id);
  const key = link ? (await deps.keys.all()).find((k) => k.version === link.keyVersion)?.key : undefined;
  // an unknown link still costs one HMAC, so timing does not tell unknown from forged
  // the signature's one canonical spelling is compared, character for character: decoding first would let the
  // last character's two unused low bits vary (four spellings of one signature, all accepted)
  const expected = Buffer.from(signLink(key ?? Buffer.alloc(32), link ?? { id, gateId: '', approver: '', choices: [], expiresAt: '', keyVersion: '' }), 'ascii');
  const given = Buffer.from(sig, 'ascii');
  if (!link || !key || given.length !== expected.length || !timingSafeEqual(given, expected)) return forbidden;
  const gate = await deps.gates.get(link.gateId);
  if (!gate) return forbidden;
  if (link.status === 'USED' && link.used) return { status: 409, ...link.used };
  if (gate.status === 'DECIDED' && gate.decision) return { status: 409, by: gate.decision.by, at: gate.decision.at, decision: gate.decision.decision };
  // a link expires with its gate: the gate's deadline (moved when a soak is extended) decides, not the one at issue
  if (gate.status === 'EXPIRED' || deps.clock.now().getTime() >= Date.parse(gate.deadline)) return expiredRefusal(gate);
  return { status: 200, link, gate };
}

function expiredRefusal(gate: Gate): Refusal {
  return { status: 410, deadline: deadlineText(gate), reason: expiredReason(gate) };
}

// ---------------------------------------------------------------------------------------- evidence

export interface ServerEvidence {
  id: string;
  hostname?: string;
  lifeCycle: string;
  replication: { state: string; lagSeconds: number | null; backlogBytes: number; stalled: boolean; error?: string };
  test?: { jobId: string; launch: string; postLaunch: string };
  cutover?: { jobId: string; launch: string; postLaunch: string };
  /** Hours the test instance has run so far (while it runs). */
  testInstanceHours?: number;
  /** Days left in MGN's 90-day free replication period. */
  freeReplicationDaysLeft?: number;
  /** Parked at this gate now (false: missing or failed, unless `movedOn`). */
  atGate: boolean;
  /** Already past this gate (a relaunch of another server asks about that one alone). */
  movedOn?: boolean;
  /** The server's stall history (episodes, time stalled, the last error and failing step), when there is one. */
  stalls?: string;
}

export interface GateEvidence {
  collectedAt: string;
  servers: ServerEvidence[];
  /** Servers of the application not at the gate: a go-ahead without them must name them. */
  missing: string[];
  soakElapsedHours?: number;
  window: { start: string; end: string } | null;
  /** MGN could not be read in time (throttled, down): what happened; the servers' MGN columns are unknown. */
  unavailable?: string;
}

/** How long the page and the requests wait for MGN's evidence before saying it could not be read. */
export const EVIDENCE_BUDGET_MS = MGN_READ_BUDGET_MS;

export const FREE_REPLICATION_DAYS = 90;
const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;

function launchSummary(job: JobView | undefined, serverId: string): { launch: string; postLaunch: string } {
  const p = job?.servers.find((s) => s.id === serverId);
  if (!job || !p) return { launch: 'unknown', postLaunch: 'unknown' };
  const actions = p.postLaunch?.actions ?? [];
  const ok = actions.filter((a) => a.status === 'SUCCESS').length;
  const failed = actions.filter((a) => a.status === 'FAILED');
  const postLaunch = actions.length === 0 ? 'none' : `${ok}/${actions.length} succeeded${failed.length ? `; failed: ${failed.map((a) => `${a.name}${a.mustSucceedForCutover ? ' (must succeed)' : ''}`).join(', ')}` : ''}`;
  return { launch: `${p.launchStatus} (job ${job.status.toLowerCase()})`, postLaunch };
}

/** The evidence an approver needs (docs/adr/0007-approvals.md), read from MGN now (the page shows it as of opening). */
export async function gatherEvidence(given: Pick<ApprovalDeps, 'mgn' | 'waits' | 'clock'> & { stalls?: StallStore }, gate: Gate, opts: { budgetMs?: number } = {}): Promise<GateEvidence> {
  // the servers are read in the application's account (MGN's global view)
  const deps = inAccount(given, gate.account);
  const now = deps.clock.now().getTime();
  // the stall history, where the caller has it ('in': a handler that does not declare it reads none)
  const stallStore = 'stalls' in deps ? deps.stalls : undefined;
  // MGN throttled or down must not keep people from deciding: the reads get a time budget (no retry loop on
  // the page path), and without them the evidence says so
  const read = await within(opts.budgetMs ?? EVIDENCE_BUDGET_MS, async () => {
    const views = new Map((await deps.mgn.describeServers(gate.servers)).map((v) => [v.id, v]));
    const jobIds = [...new Set([...views.values()].flatMap((v) => [v.lastTest.jobId, v.lastCutover.jobId]).filter((j): j is string => !!j))];
    const jobs = new Map((jobIds.length ? await deps.mgn.describeJobs(jobIds) : []).map((j) => [j.id, j]));
    return { views, jobs };
  });
  const { views, jobs } = read.ok ? read.value : { views: new Map<string, ServerView>(), jobs: new Map<string, JobView>() };
  const unavailable = read.ok ? undefined : `MGN could not be read (${read.why}): the servers' MGN state, replication and launches are unknown right now; reload the page in a minute, or decide on what you know`;
  const servers: ServerEvidence[] = [];
  for (const id of gate.servers) {
    const wait = await deps.waits.get(id);
    const atGate = wait?.condition.kind === 'GATE' && wait.condition.gateId === gate.id;
    const v: ServerView | undefined = views.get(id);
    if (!v && unavailable) {
      servers.push({ id, lifeCycle: 'unknown (MGN not read)', replication: { state: 'UNKNOWN', lagSeconds: null, backlogBytes: 0, stalled: false }, atGate });
      continue;
    }
    if (!v) {
      servers.push({ id, lifeCycle: 'not found in MGN', replication: { state: 'UNKNOWN', lagSeconds: null, backlogBytes: 0, stalled: false }, atGate });
      continue;
    }
    const e: ServerEvidence = {
      id,
      ...(v.hostname ? { hostname: v.hostname } : {}),
      lifeCycle: v.isArchived ? `${v.lifeCycle} (archived)` : v.lifeCycle,
      replication: { state: v.replication.state, lagSeconds: v.replication.lagSeconds, backlogBytes: v.replication.backlogBytes, stalled: v.replication.state === 'STALLED', ...(v.replication.error ? { error: v.replication.error } : {}) },
      atGate,
    };
    if (v.lastTest.jobId) e.test = { jobId: v.lastTest.jobId, ...launchSummary(jobs.get(v.lastTest.jobId), id) };
    if (v.lastCutover.jobId) e.cutover = { jobId: v.lastCutover.jobId, ...launchSummary(jobs.get(v.lastCutover.jobId), id) };
    // the test instance runs from its launch (MGN's firstBoot is a status, not a time) until it is terminated
    const launched = v.lastTest.initiatedAt ? Date.parse(v.lastTest.initiatedAt) : NaN;
    if (v.lifeCycle === 'TESTING' && v.launchedInstance?.ec2InstanceId && Number.isFinite(launched)) e.testInstanceHours = hours(now - launched);
    if (v.replicationStartedAt) e.freeReplicationDaysLeft = Math.max(0, FREE_REPLICATION_DAYS - Math.floor((now - Date.parse(v.replicationStartedAt)) / 86_400_000));
    const history = stallStore ? stallSummary(await stallStore.list(id).catch(() => []), new Date(now)) : undefined;
    if (history) e.stalls = history;
    servers.push(e);
  }
  // without MGN's answer a server not at the gate cannot be told "already past it": it counts as missing
  const missing = new Set(read.ok ? await missingAt(deps, gate) : servers.filter((e) => !e.atGate).map((e) => e.id));
  for (const e of servers) if (!e.atGate && !missing.has(e.id)) e.movedOn = true;
  const tests = [...views.values()].map((v) => v.lastTest.initiatedAt).filter((t): t is string => !!t).map(Date.parse);
  return {
    collectedAt: new Date(now).toISOString(),
    servers,
    missing: [...missing],
    ...(gate.gate === 'SIGNOFF' && tests.length ? { soakElapsedHours: hours(now - Math.min(...tests)) } : {}),
    window: gate.window ?? null,
    ...(unavailable ? { unavailable } : {}),
  };
}

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
  if (kind === 'GO_NO_GO' && decision === 'approve') return { ...(req.quiesced !== undefined ? { quiesced: req.quiesced } : {}), ...(req.acceptMissing?.length ? { acceptMissing: [...req.acceptMissing] } : {}) };
  if (kind === 'FINALIZE' && decision === 'reject') return { terminateInstances: req.terminateInstances === true };
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
  if (gate.gate === 'GO_NO_GO' && decision === 'approve' && post.quiesced !== true) problems.push('Confirm that the sources are quiesced: the cutover launches from their latest data.');
  if (gate.gate === 'GO_NO_GO' && decision === 'approve') {
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

// ------------------------------------------------------------------------------- requests, reminders

export const GATE_TITLES: Record<GateKind, string> = {
  SIGNOFF: 'test sign-off',
  GO_NO_GO: 'cutover go/no-go',
  FINALIZE: 'finalize cutover',
  TEST_FAILURE: 'test launch failed',
  CUTOVER_FAILURE: 'cutover launch failed',
};

/** What the request asks, in one sentence per gate. */
export const GATE_QUESTIONS: Record<GateKind, string> = {
  SIGNOFF: 'Have the test instances passed their tests? Approving ends the soak and prepares the cutover (the test instances are terminated); changes made on the test instances do not carry over to the cutover.',
  GO_NO_GO: 'Launch the cutover instances now? Approve only once the sources are quiesced: the cutover launches from their latest data.',
  FINALIZE: 'Finalize the cutover? This is the point of no return: replication stops and MGN deletes the staging resources; the cutover instances stay.',
  TEST_FAILURE: 'The test launch failed. Retry it, roll back (revert to ready for test), or stop this server?',
  CUTOVER_FAILURE: 'The cutover launch failed. Retry it, roll back (revert to ready for cutover, the source keeps serving), or stop this server?',
};

const fmtBytes = (b: number) => (b < 1024 ? `${b} B` : b < 1024 ** 2 ? `${(b / 1024).toFixed(1)} KiB` : b < 1024 ** 3 ? `${(b / 1024 ** 2).toFixed(1)} MiB` : `${(b / 1024 ** 3).toFixed(1)} GiB`);

/** The evidence as text; times in the wave's zone (`timeZone`, else UTC) to the minute. */
export function evidenceLines(ev: GateEvidence, timeZone?: string): string[] {
  const lines = ev.servers.map((s) => {
    const parts = [
      `${s.hostname ?? s.id} (${s.id}): ${s.lifeCycle}`,
      `replication ${s.replication.state}${s.replication.lagSeconds !== null ? `, lag ${s.replication.lagSeconds} s` : ''}, backlog ${fmtBytes(s.replication.backlogBytes)}${s.replication.stalled ? `, STALLED${s.replication.error ? ` (${s.replication.error})` : ''}` : ', not stalled'}`,
      ...(s.test ? [`test launch ${s.test.launch}, post-launch actions ${s.test.postLaunch}`] : []),
      ...(s.cutover ? [`cutover launch ${s.cutover.launch}, post-launch actions ${s.cutover.postLaunch}`] : []),
      ...(s.testInstanceHours !== undefined ? [`test instance running ${s.testInstanceHours} h`] : []),
      ...(s.freeReplicationDaysLeft !== undefined ? [`${s.freeReplicationDaysLeft} of ${FREE_REPLICATION_DAYS} free replication days left`] : []),
      ...(s.stalls ? [`replication history: ${s.stalls}`] : []),
    ];
    return `  - ${parts.join('; ')}`;
  });
  return [
    ...lines,
    ...(ev.soakElapsedHours !== undefined ? [`Soak elapsed: ${ev.soakElapsedHours} h (${(ev.soakElapsedHours / 24).toFixed(1)} days).`] : []),
    `Cutover window: ${ev.window ? `${minuteIn(ev.window.start, timeZone)} to ${zonedMinute(ev.window.end, timeZone)}` : 'none set (any time)'}.`,
    ...(ev.unavailable ? [`Evidence unavailable: ${ev.unavailable}.`] : []),
  ];
}

/** Until when the gate decides, and what happens then: one sentence for the request, the reminders and the page. */
export function deadlineSentence(gate: Gate): string {
  return closesWithWindow(gate)
    ? `Decide by ${deadlineText(gate)}, the end of the cutover window: the go/no-go closes then and without a go-ahead the servers take the safe path (no cutover).`
    : `Decide by ${deadlineText(gate)}. Without a decision by then the servers take the safe path (no cutover, no finalize).`;
}

function requestText(gate: Gate, ev: GateEvidence, link: { approver: string; url: string }, intro: string): string {
  return [
    intro,
    '',
    `Gate: ${GATE_TITLES[gate.gate]} (${gate.gate})`,
    `Wave: ${gate.wave}`,
    `Application: ${gate.application} (${gate.servers.length} server${gate.servers.length === 1 ? '' : 's'})`,
    deadlineSentence(gate),
    '',
    GATE_QUESTIONS[gate.gate],
    '',
    `Evidence as of ${zonedMinute(ev.collectedAt, gate.timeZone)}:`,
    ...evidenceLines(ev, gate.timeZone),
    '',
    `Choices: ${gate.allowed.join(', ')}.`,
    ...(gate.quorum ? [`This gate needs ${gate.quorum.needed} of ${gate.approvers?.length ?? 0} approvals; ${gate.quorum.rejects > 1 ? `${gate.quorum.rejects} rejections decide reject` : 'one rejection decides reject'}. So far: ${tallyText(gate)}.`] : []),
    ...(gate.changeRef ? [`Approving needs the change id (pattern ${gate.changeRef}).`] : []),
    'Open this link to see the evidence again and decide (opening it decides nothing; you confirm on the page):',
    `  ${link.url}`,
    '',
    link.approver === '*'
      ? 'The link works once and expires with the gate. Do not forward it: whoever holds it can decide.'
      : `This link is for ${link.approver} alone, works once and expires with the gate. Do not forward it.`,
  ].join('\n');
}

/** The request for a gate just opened: its links, one message per approver (SNS filter policies route them). */
export async function requestDecision(deps: ApprovalDeps, gate: Gate): Promise<{ messages: number }> {
  const links = await issueLinks(deps, gate);
  const ev = await gatherEvidence(deps, gate);
  for (const l of links) {
    await deps.approvals.approval({
      subject: `Decision needed: ${gate.gate} for ${gate.application}`,
      text: requestText(gate, ev, l, `mgn-flow asks you to decide: ${GATE_TITLES[gate.gate]} for ${gate.application}.`),
      key: `request#${gate.id}#${l.approver}`,
      approver: l.approver === '*' ? 'any' : l.approver,
      attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: 'request' },
    });
  }
  return { messages: links.length };
}

/**
 * Make sure an open gate's request went out exactly once: every arrival calls it, the first one sends (a
 * marker guards it; a send that fails gives the marker back, so the next arrival or retry sends it).
 */
export async function ensureRequested(deps: ApprovalDeps & { dedupe: { once(key: string, ttlSeconds: number): Promise<boolean>; forget(key: string): Promise<void> } }, given: Gate, opts: { force?: boolean } = {}): Promise<boolean> {
  if (!stillOpen(deps, given)) return false;
  // read again: a gate decided or expired a moment ago (a listing is not always current) is never asked again
  const gate = await deps.gates.get(given.id);
  if (!gate || !stillOpen(deps, gate)) return false;
  // one request for the application once all its servers are at the gate (or, from the reconciler, once the
  // arrival time passed: the request then names the missing ones), so a decision never races an arrival
  if (!opts.force && gate.servers.length > 1 && (await missingAt(deps, gate)).length > 0) return false;
  const key = `request#${gate.id}`;
  const ttl = Math.max(3600, Math.ceil((Date.parse(gate.deadline) - deps.clock.now().getTime()) / 1000) + 86400);
  if (!(await deps.dedupe.once(key, ttl))) return false;
  try {
    await requestDecision(deps, gate);
  } catch (err) {
    await deps.dedupe.forget(key).catch(() => undefined);
    throw err;
  }
  return true;
}

/** Open and before its deadline: a request or a reminder may go out. */
function stillOpen(deps: Pick<ApprovalDeps, 'clock'>, gate: Gate): boolean {
  return gate.status === 'OPEN' && deps.clock.now().getTime() < Date.parse(gate.deadline);
}

/** How long a gate waits for all its servers before the request goes out without them: an hour, or a quarter of the gate's time when shorter. */
export function arrivalMs(gate: Gate): number {
  return Math.min(3_600_000, (Date.parse(gate.deadline) - Date.parse(gate.openedAt)) / 4);
}

export const REMINDER_MARKS = [0.5, 0.9] as const;

/**
 * For the reconciler: reminders at 50% and 90% of each open gate's decision time (counted from when the
 * decision is due, e.g. the end of the soak), escalation to ops at 90%, and a gate past its deadline marked
 * expired (its servers' callbacks time out into the safe path; its links answer 410).
 */
export async function remindOpenGates(deps: ApprovalDeps & { onceKey(key: string, ttlSeconds: number): Promise<boolean>; dedupe: { once(key: string, ttlSeconds: number): Promise<boolean>; forget(key: string): Promise<void> } }): Promise<{ reminded: number; escalated: number; expired: number }> {
  const now = deps.clock.now().getTime();
  let reminded = 0;
  let escalated = 0;
  let expired = 0;
  for (const listed of await deps.gates.listOpen()) {
    // the listing may be a moment old (decided, expired or rescheduled since): the gate as it is now
    const gate = await deps.gates.get(listed.id);
    if (!gate || gate.status !== 'OPEN') continue;
    const deadline = Date.parse(gate.deadline);
    const from = Date.parse(gate.decisionFrom ?? gate.openedAt);
    // servers still missing after the arrival time: the request goes out now, naming them
    if (now >= Date.parse(gate.openedAt) + arrivalMs(gate) && now < deadline) await ensureRequested(deps, gate, { force: true });
    // a failure gate whose last members' launches succeeded (they will not come): the request goes out now
    else if (gate.job && now < deadline) await ensureRequested(deps, gate);
    if (now >= deadline) {
      if ((await expireGate(deps, gate)).expired) {
        expired++;
        await deps.notifier.ops({
          subject: `Gate expired: ${gate.gate} for ${gate.application}`,
          text: `${GATE_TITLES[gate.gate]} for ${gate.application} (wave ${gate.wave}) no longer takes a decision: ${expiredReason(gate)}. Its links no longer work.`,
          key: `gate-expired#${gate.id}`,
          attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: 'expired' },
        });
      }
      continue;
    }
    // the highest mark passed: a reconciler that missed 50% sends only the 90% one
    const mark = [...REMINDER_MARKS].reverse().find((m) => now >= from + m * (deadline - from));
    // once per mark and deadline: a deadline moved (soak extended) counts its marks again
    if (mark === undefined || !(await deps.onceKey(`remind#${gate.id}#${gate.deadline}#${mark}`, Math.ceil((deadline - now) / 1000) + 86400))) continue;
    const pct = Math.round(mark * 100);
    const left = hours(deadline - now);
    const ev = await gatherEvidence(deps, gate);
    for (const l of await openLinkUrls(deps, gate)) {
      await deps.approvals.approval({
        subject: `Reminder (${pct}% of the time gone): ${gate.gate} for ${gate.application}`,
        text: requestText(gate, ev, l, `Reminder: ${GATE_TITLES[gate.gate]} for ${gate.application} still waits for a decision; ${left} h left.`),
        key: `remind#${gate.id}#${mark}#${l.approver}`,
        approver: l.approver === '*' ? 'any' : l.approver,
        attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: `reminder-${pct}` },
      });
      reminded++;
    }
    if (mark === 0.9) {
      escalated++;
      await deps.notifier.ops({
        subject: `Escalation: ${gate.gate} for ${gate.application} undecided, ${left} h left`,
        text: `${GATE_TITLES[gate.gate]} for ${gate.application} (wave ${gate.wave}) has no decision and expires at ${deadlineText(gate)}; then its servers take the safe path. Asked: ${(gate.approvers ?? []).join(', ') || 'the approvals topic'}. Decide with: mgn-flow approvals list`,
        key: `escalate#${gate.id}`,
        attributes: { gateId: gate.id, gate: gate.gate, application: gate.application, wave: gate.wave, kind: 'escalation' },
      });
    }
  }
  return { reminded, escalated, expired };
}
