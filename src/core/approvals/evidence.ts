/** What a request and a page show about a gate's servers, read from MGN within a budget. */

import { gateWords } from '../lifecycle.ts';
import { warnAndContinue } from '../log.ts';
import { inAccount } from '../waits.ts';
import { missingAt, MGN_READ_BUDGET_MS, within } from '../gates.ts';
import type { Gate, JobView, ServerView, StallStore } from '../../ports.ts';
import { stallSummary } from '../stalls.ts';
import type { ApprovalDeps } from './deps.ts';

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
export const hours = (ms: number) => Math.round((ms / 3_600_000) * 10) / 10;

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
export async function gatherEvidence(given: Pick<ApprovalDeps, 'mgn' | 'waits' | 'clock' | 'log'> & { stalls?: StallStore }, gate: Gate, opts: { budgetMs?: number } = {}): Promise<GateEvidence> {
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
    const history = stallStore ? stallSummary(await stallStore.list(id).catch(warnAndContinue(deps, 'stall history unreadable', 'the evidence shows the server without its stall history; MGN\'s replication state above is current', { serverId: id, gateId: gate.id }, [])), new Date(now)) : undefined;
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
    ...(gateWords(gate.gate).afterSoak && tests.length ? { soakElapsedHours: hours(now - Math.min(...tests)) } : {}),
    window: gate.window ?? null,
    ...(unavailable ? { unavailable } : {}),
  };
}
