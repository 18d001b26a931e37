import { createHash } from 'node:crypto';
import { iso } from './clock.ts';
import type { MgnEngine } from './engine.ts';
import { MgnError, conflict, notFound, quotaExceeded, validation, type ConflictItem } from './errors.ts';
import { blocker, type LifecycleRule } from './lifecycle.ts';
import type { ActionDocument, Application, Server, Wave } from './model.ts';
import type { Input, OperationName } from './schemas.ts';
import { renderServer, renderJob, renderWave, renderApplication, serverJson } from './render.ts';

export interface OpResult {
  body?: Record<string, unknown>;
  /** Pre-serialized JSON body (hot paths); sent as is. */
  raw?: Buffer;
}

type Handler<O extends OperationName> = (e: MgnEngine, input: Input<O>) => OpResult;

// ---------------------------------------------------------------- helpers

const COMMA = Buffer.from(',');

function page<T>(op: string, items: T[], input: { maxResults?: number; nextToken?: string }, key: unknown): { items: T[]; nextToken?: string } {
  const fingerprint = createHash('sha256').update(JSON.stringify([op, key])).digest('base64url').slice(0, 12);
  let offset = 0;
  if (input.nextToken) {
    try {
      const t = JSON.parse(Buffer.from(input.nextToken, 'base64url').toString('utf8')) as { o: number; f: string };
      if (t.f !== fingerprint || !Number.isInteger(t.o) || t.o < 0) throw new Error('mismatch');
      offset = t.o;
    } catch {
      throw validation('Invalid nextToken: it does not belong to this request', 'fieldValidationFailed', [
        { name: 'nextToken', message: 'invalid pagination token' },
      ]);
    }
  }
  const size = input.maxResults ?? 1000;
  const slice = items.slice(offset, offset + size);
  const next = offset + size < items.length ? offset + size : undefined;
  return {
    items: slice,
    ...(next !== undefined
      ? { nextToken: Buffer.from(JSON.stringify({ o: next, f: fingerprint })).toString('base64url') }
      : {}),
  };
}

/** Is it the request's account's (MGN's global view: a request sees one account's resources)? */
function mine(e: MgnEngine, x: { account: string } | undefined): boolean {
  return x !== undefined && x.account === e.requestAccount;
}

function server(e: MgnEngine, id: string): Server {
  const s = e.servers.get(id);
  if (!s || !mine(e, s)) throw notFound('SOURCE_SERVER', id, 'Source server');
  return s;
}

function wave(e: MgnEngine, id: string): Wave {
  const w = e.waves.get(id);
  if (!w || !mine(e, w)) throw notFound('WAVE', id, 'Wave');
  return w;
}

function application(e: MgnEngine, id: string): Application {
  const a = e.applications.get(id);
  if (!a || !mine(e, a)) throw notFound('APPLICATION', id, 'Application');
  return a;
}

function check(rule: LifecycleRule, s: Server): void {
  const b = blocker(rule, s);
  if (b) throw conflict(b.message, b.code, s.id, 'SOURCE_SERVER', [{ resourceId: s.id, ...b }]);
}

/** Validate a whole launch request: every server, then the job quotas. Nothing starts unless all pass. */
function checkLaunch(e: MgnEngine, rule: LifecycleRule, ids: string[]): void {
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) {
    throw validation(`Source server ${dup} is listed more than once`, 'fieldValidationFailed', [
      { name: 'sourceServerIDs', message: `duplicate ${dup}` },
    ]);
  }
  const problems: ConflictItem[] = [];
  for (const id of ids) {
    const s = e.servers.get(id);
    if (!s || !mine(e, s)) {
      problems.push({ resourceId: id, code: 'SOURCE_SERVER_NOT_FOUND', message: `Source server ${id} not found` });
      continue;
    }
    const b = blocker(rule, s);
    if (b) problems.push({ resourceId: id, ...b });
  }
  if (problems.length) {
    const first = problems[0] as ConflictItem;
    const message = problems.length === 1 ? first.message : `${problems.length} source servers cannot be used: ${first.message}; ...`;
    throw conflict(message, first.code, first.resourceId, 'SOURCE_SERVER', problems);
  }
  // MGN's job quotas apply per account: another account's jobs do not count
  const q = e.quotasFor(e.requestAccount);
  if (ids.length > q.maxServersPerJob) {
    throw conflict(`A job can include at most ${q.maxServersPerJob} source servers`, 'MAX_SERVERS_PER_JOB_EXCEEDED');
  }
  const active = e.activeJobs(e.requestAccount);
  if (active.length >= q.concurrentJobs) {
    throw conflict(`At most ${q.concurrentJobs} jobs can be in progress at once; ${active.length} are`, 'CONCURRENT_JOBS_LIMIT_EXCEEDED');
  }
  const inJobs = active.reduce((n, j) => n + j.participants.length, 0);
  if (inJobs + ids.length > q.maxServersInActiveJobs) {
    throw conflict(
      `At most ${q.maxServersInActiveJobs} source servers can be in active jobs; ${inJobs} are, ${ids.length} requested`,
      'MAX_SERVERS_IN_ACTIVE_JOBS_EXCEEDED',
    );
  }
}

function checkActiveQuota(e: MgnEngine, s: Server): void {
  const max = e.quotasFor(s.account).maxActiveSourceServers;
  if (e.activeReplicatingCount(s.account) >= max) {
    throw quotaExceeded(
      `Max Active Source Servers quota (${max}) reached; archive, stop or disconnect servers or raise quota L-9A599620`,
      'L-9A599620',
      max,
      s.id,
    );
  }
}

function notArchived(s: Server): void {
  if (s.isArchived) throw conflict(`Source server ${s.id} is archived`, 'SOURCE_SERVER_ARCHIVED', s.id);
}

function renderAction(a: ActionDocument): Record<string, unknown> {
  return { ...a };
}

function parseArn(e: MgnEngine, arn: string): { tags: Record<string, string> } {
  const m = /^arn:aws:mgn:([a-z0-9-]+):(\d{12}):([a-z-]+)\/(.+)$/.exec(arn);
  if (!m) {
    throw validation(`Invalid resource ARN ${arn}`, 'fieldValidationFailed', [
      { name: 'resourceArn', message: 'must be arn:aws:mgn:<region>:<account>:<type>/<id>' },
    ]);
  }
  const [, , , kind, id] = m as unknown as [string, string, string, string, string];
  const found =
    (kind === 'source-server' && e.servers.get(id)) ||
    (kind === 'job' && e.jobs.get(id)) ||
    (kind === 'wave' && e.waves.get(id)) ||
    (kind === 'application' && e.applications.get(id)) ||
    ((kind === 'launch-configuration-template' || kind === 'replication-configuration-template') && e.templates.get(id));
  if (!found || found.arn !== arn || ('account' in found && !mine(e, found as { account: string }))) throw notFound('RESOURCE', arn, 'Resource');
  return found;
}

function mineOf<T extends { account: string }>(e: MgnEngine, items: Iterable<T>): T[] {
  return [...items].filter((x) => mine(e, x));
}

function uniqueName<T extends { name: string; isArchived: boolean }>(items: Iterable<T>, name: string, kind: 'WAVE' | 'APPLICATION', except?: T): void {
  for (const x of items) {
    // MGN checks name uniqueness case-insensitively
    if (x !== except && x.name.toLowerCase() === name.toLowerCase() && !x.isArchived) {
      throw conflict(`A ${kind.toLowerCase()} named '${name}' already exists`, `${kind}_NAME_ALREADY_EXISTS`, name, kind);
    }
  }
}

const single =
  (fn: (e: MgnEngine, s: Server) => void) =>
  (e: MgnEngine, input: { sourceServerID: string }): OpResult => {
    const s = server(e, input.sourceServerID);
    fn(e, s);
    return { body: renderServer(e, s) };
  };

// ---------------------------------------------------------------- operations

export const operations: { [O in OperationName]: Handler<O> } = {
  ListManagedAccounts: (e, input) => {
    const p = page('ListManagedAccounts', [...e.managedAccounts].map((accountId) => ({ accountId })), input, null);
    return { body: { items: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
  },

  InitializeService: (e) => {
    e.initialized = true;
    return {};
  },

  DescribeSourceServers: (e, input) => {
    const f = input.filters ?? {};
    const ids = f.sourceServerIDs?.length ? new Set(f.sourceServerIDs) : undefined;
    const states = f.lifeCycleStates?.length ? new Set<string>(f.lifeCycleStates) : undefined;
    const types = f.replicationTypes?.length ? new Set<string>(f.replicationTypes) : undefined;
    const apps = f.applicationIDs?.length ? new Set(f.applicationIDs) : undefined;
    const matching = [...e.servers.values()].filter(
      (s) =>
        mine(e, s) &&
        (!ids || ids.has(s.id)) &&
        (f.isArchived === undefined || s.isArchived === f.isArchived) &&
        (!states || states.has(s.lifeCycle.state)) &&
        (!types || types.has(s.replicationType)) &&
        (!apps || (s.applicationID !== undefined && apps.has(s.applicationID))),
    );
    const p = page('DescribeSourceServers', matching, input, f);
    const parts: Buffer[] = [Buffer.from('{"items":[')];
    p.items.forEach((s, i) => {
      if (i > 0) parts.push(COMMA);
      parts.push(serverJson(e, s));
    });
    parts.push(Buffer.from(`]${p.nextToken ? `,"nextToken":${JSON.stringify(p.nextToken)}` : ''}}`));
    return { raw: Buffer.concat(parts) };
  },

  StartTest: (e, input) => {
    checkLaunch(e, 'StartTest', input.sourceServerIDs);
    return { body: { job: renderJob(e, e.launch('TEST', input.sourceServerIDs, input.tags ?? {})) } };
  },

  StartCutover: (e, input) => {
    checkLaunch(e, 'StartCutover', input.sourceServerIDs);
    return { body: { job: renderJob(e, e.launch('CUTOVER', input.sourceServerIDs, input.tags ?? {})) } };
  },

  TerminateTargetInstances: (e, input) => {
    checkLaunch(e, 'TerminateTargetInstances', input.sourceServerIDs);
    return { body: { job: renderJob(e, e.terminate(input.sourceServerIDs, input.tags ?? {})) } };
  },

  FinalizeCutover: single((e, s) => {
    check('FinalizeCutover', s);
    s.lifeCycle.state = 'CUTOVER';
    s.lifeCycle.lastCutover.finalized = { apiCallDateTime: iso(e.now()) };
    e.disconnect(s);
  }),

  ChangeServerLifeCycleState: (e, input) => {
    const s = server(e, input.sourceServerID);
    const target = input.lifeCycle.state;
    check(`ChangeServerLifeCycleState:${target}`, s);
    const at = { apiCallDateTime: iso(e.now()) };
    const from = s.lifeCycle.state;
    if (target === 'READY_FOR_TEST') {
      s.lifeCycle.lastTest.reverted = at;
    } else if (target === 'READY_FOR_CUTOVER') {
      if (from === 'TESTING') s.lifeCycle.lastTest.finalized = at;
      if (from === 'CUTTING_OVER') s.lifeCycle.lastCutover.reverted = at;
    } else {
      s.lifeCycle.lastCutover.finalized = at;
    }
    s.lifeCycle.state = target;
    return { body: renderServer(e, s) };
  },

  MarkAsArchived: single((_e, s) => {
    check('MarkAsArchived', s);
    s.isArchived = true;
  }),

  DisconnectFromService: single((e, s) => {
    notArchived(s);
    if (s.activeJobID) throw conflict(`Source server ${s.id} is in active job ${s.activeJobID}`, 'SOURCE_SERVER_IN_ACTIVE_JOB', s.id);
    if (s.repl.state === 'DISCONNECTED') throw conflict(`Source server ${s.id} is already disconnected`, 'ALREADY_DISCONNECTED', s.id);
    e.disconnect(s);
    if (s.lifeCycle.state !== 'CUTOVER') s.lifeCycle.state = 'DISCONNECTED';
  }),

  RetryDataReplication: single((e, s) => {
    if (s.repl.state !== 'STALLED') {
      throw validation(
        `Data replication of ${s.id} is ${s.repl.state}; RetryDataReplication only works on a STALLED server`,
        'other',
      );
    }
    e.retry(s);
  }),

  StartReplication: single((e, s) => {
    notArchived(s);
    if (s.repl.state !== 'STOPPED') {
      throw conflict(`Replication of ${s.id} is ${s.repl.state}; StartReplication needs STOPPED`, 'INVALID_REPLICATION_STATE', s.id);
    }
    checkActiveQuota(e, s);
    e.startReplication(s);
  }),

  StopReplication: single((e, s) => {
    notArchived(s);
    if (s.repl.state === 'STOPPED' || s.repl.state === 'DISCONNECTED') {
      throw conflict(`Replication of ${s.id} is already ${s.repl.state}`, 'INVALID_REPLICATION_STATE', s.id);
    }
    e.stop(s);
  }),

  PauseReplication: single((e, s) => {
    notArchived(s);
    if (['STOPPED', 'DISCONNECTED', 'PAUSED'].includes(s.repl.state)) {
      throw conflict(`Replication of ${s.id} is ${s.repl.state}; only active replication can be paused`, 'INVALID_REPLICATION_STATE', s.id);
    }
    e.pause(s);
  }),

  ResumeReplication: single((e, s) => {
    notArchived(s);
    if (s.repl.state !== 'PAUSED') {
      throw conflict(`Replication of ${s.id} is ${s.repl.state}; ResumeReplication needs PAUSED`, 'INVALID_REPLICATION_STATE', s.id);
    }
    checkActiveQuota(e, s);
    e.resume(s);
  }),

  UpdateSourceServerReplicationType: (e, input) => {
    const s = server(e, input.sourceServerID);
    notArchived(s);
    if (s.activeJobID) throw conflict(`Source server ${s.id} is in active job ${s.activeJobID}`, 'SOURCE_SERVER_IN_ACTIVE_JOB', s.id);
    if (s.repl.state === 'DISCONNECTED') throw conflict(`Source server ${s.id} is disconnected`, 'INVALID_REPLICATION_STATE', s.id);
    e.setReplicationType(s, input.replicationType);
    return { body: renderServer(e, s) };
  },

  DescribeJobs: (e, input) => {
    const f = input.filters ?? {};
    const ids = f.jobIDs?.length ? new Set(f.jobIDs) : undefined;
    const from = f.fromDate ? Date.parse(f.fromDate) : -Infinity;
    const to = f.toDate ? Date.parse(f.toDate) : Infinity;
    const jobs = [...e.jobs.values()]
      .filter((j) => mine(e, j) && (!ids || ids.has(j.jobID)) && j.createdAt >= from && j.createdAt <= to)
      .sort((a, b) => b.createdAt - a.createdAt);
    const p = page('DescribeJobs', jobs, input, f);
    return { body: { items: p.items.map((j) => renderJob(e, j)), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
  },

  DescribeJobLogItems: (e, input) => {
    const found = e.jobs.get(input.jobID);
    const job = mine(e, found) ? found : undefined;
    const items = (job?.log ?? []).map((l) => ({
      logDateTime: iso(l.at),
      event: l.event,
      ...(l.eventData ? { eventData: { ...l.eventData } } : {}),
    }));
    const p = page('DescribeJobLogItems', items, input, input.jobID);
    return { body: { items: p.items, ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
  },

  GetLaunchConfiguration: (e, input) => ({ body: structuredClone(server(e, input.sourceServerID).launchConfig) }),

  UpdateLaunchConfiguration: (e, input) => {
    const s = server(e, input.sourceServerID);
    notArchived(s);
    if (s.activeJobID) {
      throw conflict(`Source server ${s.id} is in active job ${s.activeJobID}; update the launch configuration after it`, 'SOURCE_SERVER_IN_ACTIVE_JOB', s.id);
    }
    const { sourceServerID: _id, accountID: _acct, ...changes } = input;
    Object.assign(s.launchConfig, structuredClone(changes));
    return { body: structuredClone(s.launchConfig) };
  },

  GetReplicationConfiguration: (e, input) => ({ body: structuredClone(server(e, input.sourceServerID).replicationConfig) }),

  DescribeLaunchConfigurationTemplates: (e, input) => templates(e, 'lct', input.launchConfigurationTemplateIDs, input),
  DescribeReplicationConfigurationTemplates: (e, input) =>
    templates(e, 'rct', input.replicationConfigurationTemplateIDs, input),

  CreateWave: (e, input) => {
    const active = [...e.waves.values()].filter((w) => mine(e, w) && !w.isArchived).length;
    if (active >= e.quotasFor().maxActiveWaves) throw quotaExceeded(`Max active waves (${e.quotasFor().maxActiveWaves}) reached`, 'L-9FD6E875', e.quotasFor().maxActiveWaves, undefined, 'WAVE');
    uniqueName(mineOf(e, e.waves.values()), input.name, 'WAVE');
    const waveID = e.newId('wave');
    const now = e.now();
    const w: Wave = { waveID, arn: e.arn('wave', waveID), account: e.requestAccount, name: input.name, description: input.description, isArchived: false, createdAt: now, modifiedAt: now, tags: { ...input.tags } };
    e.waves.set(waveID, w);
    return { body: renderWave(e, w) };
  },
  UpdateWave: (e, input) => {
    const w = wave(e, input.waveID);
    if (input.name !== undefined) uniqueName(mineOf(e, e.waves.values()), input.name, 'WAVE', w);
    if (input.name !== undefined) w.name = input.name;
    if (input.description !== undefined) w.description = input.description;
    w.modifiedAt = e.now();
    return { body: renderWave(e, w) };
  },
  ArchiveWave: (e, input) => {
    const w = wave(e, input.waveID);
    w.isArchived = true;
    w.modifiedAt = e.now();
    return { body: renderWave(e, w) };
  },
  UnarchiveWave: (e, input) => {
    const w = wave(e, input.waveID);
    const active = [...e.waves.values()].filter((x) => mine(e, x) && !x.isArchived).length;
    if (w.isArchived && active >= e.quotasFor().maxActiveWaves) throw quotaExceeded(`Max active waves (${e.quotasFor().maxActiveWaves}) reached`, 'L-9FD6E875', e.quotasFor().maxActiveWaves, w.waveID, 'WAVE');
    if (w.isArchived) uniqueName(mineOf(e, e.waves.values()), w.name, 'WAVE', w);
    w.isArchived = false;
    w.modifiedAt = e.now();
    return { body: renderWave(e, w) };
  },
  DeleteWave: (e, input) => {
    const w = wave(e, input.waveID);
    const apps = [...e.applications.values()].filter((a) => a.waveID === w.waveID);
    if (apps.length) throw conflict(`Wave ${w.waveID} still has ${apps.length} applications; disassociate them first`, 'WAVE_NOT_EMPTY', w.waveID, 'WAVE');
    e.waves.delete(w.waveID);
    return {};
  },
  ListWaves: (e, input) => {
    const f = input.filters ?? {};
    const ids = f.waveIDs?.length ? new Set(f.waveIDs) : undefined;
    const items = [...e.waves.values()].filter((w) => mine(e, w) && (!ids || ids.has(w.waveID)) && (f.isArchived === undefined || w.isArchived === f.isArchived));
    const p = page('ListWaves', items, input, f);
    return { body: { items: p.items.map((w) => renderWave(e, w)), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
  },

  CreateApplication: (e, input) => {
    const active = [...e.applications.values()].filter((a) => mine(e, a) && !a.isArchived).length;
    if (active >= e.quotasFor().maxActiveApplications) throw quotaExceeded(`Max active applications (${e.quotasFor().maxActiveApplications}) reached`, 'L-D5507441', e.quotasFor().maxActiveApplications, undefined, 'APPLICATION');
    uniqueName(mineOf(e, e.applications.values()), input.name, 'APPLICATION');
    const applicationID = e.newId('app');
    const now = e.now();
    const a: Application = { applicationID, arn: e.arn('application', applicationID), account: e.requestAccount, name: input.name, description: input.description, isArchived: false, createdAt: now, modifiedAt: now, tags: { ...input.tags } };
    e.applications.set(applicationID, a);
    return { body: renderApplication(e, a) };
  },
  UpdateApplication: (e, input) => {
    const a = application(e, input.applicationID);
    if (input.name !== undefined) uniqueName(mineOf(e, e.applications.values()), input.name, 'APPLICATION', a);
    if (input.name !== undefined) a.name = input.name;
    if (input.description !== undefined) a.description = input.description;
    a.modifiedAt = e.now();
    return { body: renderApplication(e, a) };
  },
  ArchiveApplication: (e, input) => {
    const a = application(e, input.applicationID);
    a.isArchived = true;
    a.modifiedAt = e.now();
    return { body: renderApplication(e, a) };
  },
  UnarchiveApplication: (e, input) => {
    const a = application(e, input.applicationID);
    const active = [...e.applications.values()].filter((x) => mine(e, x) && !x.isArchived).length;
    if (a.isArchived && active >= e.quotasFor().maxActiveApplications) throw quotaExceeded(`Max active applications (${e.quotasFor().maxActiveApplications}) reached`, 'L-D5507441', e.quotasFor().maxActiveApplications, a.applicationID, 'APPLICATION');
    if (a.isArchived) uniqueName(mineOf(e, e.applications.values()), a.name, 'APPLICATION', a);
    a.isArchived = false;
    a.modifiedAt = e.now();
    return { body: renderApplication(e, a) };
  },
  DeleteApplication: (e, input) => {
    const a = application(e, input.applicationID);
    const n = [...e.servers.values()].filter((s) => s.applicationID === a.applicationID).length;
    if (n) throw conflict(`Application ${a.applicationID} still has ${n} source servers; disassociate them first`, 'APPLICATION_NOT_EMPTY', a.applicationID, 'APPLICATION');
    e.applications.delete(a.applicationID);
    return {};
  },
  ListApplications: (e, input) => {
    const f = input.filters ?? {};
    const ids = f.applicationIDs?.length ? new Set(f.applicationIDs) : undefined;
    const waves = f.waveIDs?.length ? new Set(f.waveIDs) : undefined;
    const items = [...e.applications.values()].filter(
      (a) => mine(e, a) && (!ids || ids.has(a.applicationID)) && (!waves || (a.waveID !== undefined && waves.has(a.waveID))) && (f.isArchived === undefined || a.isArchived === f.isArchived),
    );
    const p = page('ListApplications', items, input, f);
    return { body: { items: p.items.map((a) => renderApplication(e, a)), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
  },

  AssociateApplications: (e, input) => {
    const w = wave(e, input.waveID);
    if (w.isArchived) throw conflict(`Wave ${w.waveID} is archived`, 'WAVE_ARCHIVED', w.waveID, 'WAVE');
    const apps = input.applicationIDs.map((id) => application(e, id));
    for (const a of apps) {
      if (a.waveID && a.waveID !== w.waveID) throw conflict(`Application ${a.applicationID} already belongs to wave ${a.waveID}`, 'APPLICATION_IN_ANOTHER_WAVE', a.applicationID, 'APPLICATION');
      if (a.isArchived) throw conflict(`Application ${a.applicationID} is archived`, 'APPLICATION_ARCHIVED', a.applicationID, 'APPLICATION');
    }
    const current = [...e.applications.values()].filter((a) => a.waveID === w.waveID).length;
    const adding = apps.filter((a) => a.waveID !== w.waveID).length;
    if (current + adding > e.quotasFor().maxApplicationsPerWave) throw quotaExceeded(`A wave can hold at most ${e.quotasFor().maxApplicationsPerWave} applications`, 'L-CBE9E36A', e.quotasFor().maxApplicationsPerWave, w.waveID, 'WAVE');
    for (const a of apps) a.waveID = w.waveID;
    w.modifiedAt = e.now();
    return { body: {} };
  },
  DisassociateApplications: (e, input) => {
    const w = wave(e, input.waveID);
    const apps = input.applicationIDs.map((id) => application(e, id));
    for (const a of apps) if (a.waveID !== w.waveID) throw conflict(`Application ${a.applicationID} is not in wave ${w.waveID}`, 'APPLICATION_NOT_IN_WAVE', a.applicationID, 'APPLICATION');
    for (const a of apps) a.waveID = undefined;
    w.modifiedAt = e.now();
    return { body: {} };
  },
  AssociateSourceServers: (e, input) => {
    const a = application(e, input.applicationID);
    if (a.isArchived) throw conflict(`Application ${a.applicationID} is archived`, 'APPLICATION_ARCHIVED', a.applicationID, 'APPLICATION');
    const servers = input.sourceServerIDs.map((id) => server(e, id));
    for (const s of servers) {
      if (s.applicationID && s.applicationID !== a.applicationID) throw conflict(`Source server ${s.id} already belongs to application ${s.applicationID}`, 'SOURCE_SERVER_IN_ANOTHER_APPLICATION', s.id);
      notArchived(s);
    }
    const current = [...e.servers.values()].filter((s) => s.applicationID === a.applicationID).length;
    const adding = servers.filter((s) => s.applicationID !== a.applicationID).length;
    if (current + adding > e.quotasFor().maxServersPerApplication) throw quotaExceeded(`An application can hold at most ${e.quotasFor().maxServersPerApplication} source servers`, 'L-90A3F9F5', e.quotasFor().maxServersPerApplication, a.applicationID, 'APPLICATION');
    for (const s of servers) s.applicationID = a.applicationID;
    a.modifiedAt = e.now();
    return { body: {} };
  },
  DisassociateSourceServers: (e, input) => {
    const a = application(e, input.applicationID);
    const servers = input.sourceServerIDs.map((id) => server(e, id));
    for (const s of servers) if (s.applicationID !== a.applicationID) throw conflict(`Source server ${s.id} is not in application ${a.applicationID}`, 'SOURCE_SERVER_NOT_IN_APPLICATION', s.id);
    for (const s of servers) s.applicationID = undefined;
    a.modifiedAt = e.now();
    return { body: {} };
  },

  ListSourceServerActions: (e, input) => {
    const s = server(e, input.sourceServerID);
    const ids = input.filters?.actionIDs?.length ? new Set(input.filters.actionIDs) : undefined;
    const items = [...s.actions.values()].filter((a) => !ids || ids.has(a.actionID)).sort((x, y) => x.order - y.order);
    const p = page('ListSourceServerActions', items, input, [s.id, input.filters]);
    return { body: { items: p.items.map(renderAction), ...(p.nextToken ? { nextToken: p.nextToken } : {}) } };
  },
  PutSourceServerAction: (e, input) => {
    const s = server(e, input.sourceServerID);
    notArchived(s);
    const clash = [...s.actions.values()].find((a) => a.order === input.order && a.actionID !== input.actionID);
    if (clash) throw conflict(`Action ${clash.actionID} already uses order ${input.order}`, 'ACTION_ORDER_CONFLICT', s.id);
    if (!s.actions.has(input.actionID) && s.actions.size >= e.quotasFor().maxActionsPerServer) {
      throw conflict(`A source server can have at most ${e.quotasFor().maxActionsPerServer} actions`, 'MAX_ACTIONS_PER_SERVER_EXCEEDED', s.id);
    }
    const { sourceServerID: _s, accountID: _a, ...doc } = input;
    const action: ActionDocument = { active: true, mustSucceedForCutover: true, timeoutSeconds: 3600, documentVersion: '$DEFAULT', category: 'OTHER', ...structuredClone(doc) };
    s.actions.set(action.actionID, action);
    return { body: renderAction(action) };
  },
  RemoveSourceServerAction: (e, input) => {
    const s = server(e, input.sourceServerID);
    if (!s.actions.delete(input.actionID)) throw notFound('SOURCE_SERVER_ACTION', input.actionID, 'Source server action');
    return {};
  },

  TagResource: (e, input) => {
    const r = parseArn(e, input.resourceArn);
    const merged = { ...r.tags, ...input.tags };
    if (Object.keys(merged).length > 50) throw validation('A resource can have at most 50 tags', 'fieldValidationFailed', [{ name: 'tags', message: 'at most 50 tags' }]);
    Object.assign(r.tags, input.tags);
    return { body: {} };
  },
  UntagResource: (e, input) => {
    const r = parseArn(e, input.resourceArn);
    for (const k of input.tagKeys) delete r.tags[k];
    return { body: {} };
  },
  ListTagsForResource: (e, input) => ({ body: { tags: { ...parseArn(e, input.resourceArn).tags } } }),
};

function templates(
  e: MgnEngine,
  kind: 'lct' | 'rct',
  ids: string[] | undefined,
  input: { maxResults?: number; nextToken?: string },
): OpResult {
  const all = [...e.templates.values()].filter((t) => t.kind === kind);
  if (ids?.length) {
    const missing = ids.find((id) => !e.templates.has(id));
    if (missing) throw notFound(kind === 'lct' ? 'LAUNCH_CONFIGURATION_TEMPLATE' : 'REPLICATION_CONFIGURATION_TEMPLATE', missing, 'Template');
  }
  const items = all.filter((t) => !ids?.length || ids.includes(t.id));
  const p = page(`Describe${kind}`, items, input, ids);
  return {
    body: {
      items: p.items.map((t) => ({ ...structuredClone(t.body), arn: t.arn, tags: { ...t.tags } })),
      ...(p.nextToken ? { nextToken: p.nextToken } : {}),
    },
  };
}

export { MgnError };
