/**
 * In-memory fakes of every port in src/ports.ts, for core tests (STYLE.md: no mocking library).
 *
 * - Every fake returns copies, as a remote service would: mutating what a call returned changes nothing.
 * - Every async method first yields (`latency`, one microtask by default; pass `jitter(seed)` to shuffle
 *   concurrent callers), then checks and writes synchronously. So `take`, `claim`, `decide`, `open` and
 *   `once` are atomic even under concurrent async callers, like a DynamoDB conditional write. Store errors
 *   carry the adapter's names (StoreConflictError, StoreNotFoundError).
 * - `FakeMgn` follows MGN's documented preconditions (reference/mgn-api.md section 7) closely enough for
 *   the core: launches need launchable servers in the right states and no active job, within the job
 *   quotas; refusals are MgnConflictError (what the adapter makes of ConflictException), invalid calls a
 *   ValidationException by name. Jobs never progress by
 *   themselves: tests move them with the helpers (`setParticipant`, `completeJob`, ...).
 */
import { MgnConflictError, TaskClosedError, TransientError } from '../../src/core/errors.ts';
import type {
  ApprovalLink,
  ApprovalMessage,
  ApprovalNotifier,
  AuditEntry,
  AuditLog,
  GateVote,
  RefusalCount,
  Clock,
  LinkStore,
  SigningKeys,
  Gate,
  GateStore,
  JobView,
  LaunchPoint,
  LifeCycleState,
  MgnPort,
  Notifier,
  OpenWait,
  RendezvousStore,
  ServerView,
  StallEpisode,
  StallStore,
  TaskCallbacks,
  WaitStore,
} from '../../src/ports.ts';

// ------------------------------------------------------------------ shared

/** How a fake waits before it answers: the gap in which concurrent callers interleave. */
export type Latency = () => Promise<void>;

export const microtask: Latency = () => Promise.resolve();

/** A deterministic latency of 0 to `maxTicks` microtasks, so concurrent callers interleave differently. */
export function jitter(seed: number, maxTicks = 8): Latency {
  let state = seed >>> 0 || 1;
  return async () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    const ticks = state % (maxTicks + 1);
    for (let i = 0; i < ticks; i++) await Promise.resolve();
  };
}

/** An error with the given `name`, the way SDK errors and core errors are told apart. */
export function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** What the adapters make of a throttled call (ThrottlingException): a TransientError that was not applied. */
export function throttled(message = 'Rate exceeded'): TransientError {
  return new TransientError(message, { name: 'ThrottlingException', throttled: true });
}

const copy = <T>(value: T): T => structuredClone(value);

// ------------------------------------------------------------------ Clock

/** A clock that moves only when told. */
export class ManualClock implements Clock {
  private t: number;
  constructor(start: string | Date = '2025-03-01T00:00:00.000Z') {
    this.t = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.t);
  }
  set(at: string | Date): void {
    this.t = new Date(at).getTime();
  }
  advance(seconds: number): void {
    this.t += seconds * 1000;
  }
  iso(): string {
    return this.now().toISOString();
  }
}

// ------------------------------------------------------------------ MGN

/** A source server as MGN reports it once the initial sync is done; override what a test needs. */
export function serverView(id: string, patch: Partial<Omit<ServerView, 'replication'>> & { replication?: Partial<ServerView['replication']> } = {}): ServerView {
  const { replication, ...rest } = patch;
  return {
    id,
    hostname: `${id}.example.internal`,
    isArchived: false,
    lifeCycle: 'READY_FOR_TEST',
    lastTest: {},
    lastCutover: {},
    ...rest,
    replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0, ...replication },
  };
}

type Participant = JobView['servers'][number];

/** A job as DescribeJobs reports it; servers default to PENDING. */
export function jobView(id: string, serverIds: readonly string[], patch: Partial<Omit<JobView, 'id' | 'servers'>> & { servers?: Participant[] } = {}): JobView {
  return {
    id,
    type: 'LAUNCH',
    initiatedBy: 'START_TEST',
    status: 'PENDING',
    createdAt: '2025-03-01T00:00:00.000Z',
    servers: serverIds.map((s) => ({ id: s, launchStatus: 'PENDING' })),
    ...patch,
  };
}

export type MgnOperation = keyof MgnPort;
/** `account`: the account of MGN's global view a scoped port (forAccount) made the call for. */
export type MgnCall = { op: MgnOperation; ids: string[]; arg?: string; account?: string };
/**
 * A one-shot fault for the next call of an operation:
 * - 'afterCommit': the call takes effect, then throws a TransientError (InternalServerException; the caller cannot tell);
 * - 'conflict': throws MgnConflictError, nothing changes;
 * - an Error: thrown as is, nothing changes.
 */
export type MgnFault = 'afterCommit' | 'conflict' | Error;

const RULES = {
  startTest: ['READY_FOR_TEST', 'TESTING'],
  startCutover: ['READY_FOR_TEST', 'READY_FOR_CUTOVER'],
  READY_FOR_TEST: ['TESTING', 'READY_FOR_CUTOVER'],
  READY_FOR_CUTOVER: ['READY_FOR_TEST', 'TESTING', 'CUTTING_OVER'],
  finalizeCutover: ['CUTTING_OVER'],
  terminateTargetInstances: ['NOT_READY', 'READY_FOR_TEST', 'READY_FOR_CUTOVER', 'DISCONNECTED', 'STOPPED'],
  markAsArchived: ['CUTOVER', 'DISCONNECTED'],
} satisfies Record<string, LifeCycleState[]>;

export class FakeMgn implements MgnPort {
  readonly servers = new Map<string, ServerView>();
  readonly jobs = new Map<string, JobView>();
  /** Every call, in order, including the ones that failed. */
  readonly calls: MgnCall[] = [];
  readonly quotas = { concurrentJobs: 20, serversInActiveJobs: 200, serversPerJob: 200, idsPerDescribe: 200 };
  private readonly faults = new Map<MgnOperation, MgnFault[]>();
  private readonly clock: Clock;
  private readonly latency: Latency;
  private seq = 0;

  constructor(opts: { clock?: Clock; latency?: Latency; servers?: ServerView[]; jobs?: JobView[] } = {}) {
    this.clock = opts.clock ?? new ManualClock();
    this.latency = opts.latency ?? microtask;
    for (const s of opts.servers ?? []) this.addServer(s);
    for (const j of opts.jobs ?? []) this.addJob(j);
  }

  /** The accounts ListManagedAccounts names (MGN's global view). */
  managedAccounts: string[] = ['111122223333'];

  /** Set on a scoped view (forAccount): the account its calls are for. */
  account?: string;

  /**
   * A view scoped to an account of MGN's global view: the same servers and jobs (the fake keeps one pool), with
   * `account` set and recorded on each call, so tests see which account a call was made for.
   */
  forAccount(account: string | null | undefined): MgnPort {
    if (!account || account === this.account) return this;
    return Object.assign(Object.create(this) as FakeMgn, { account });
  }

  async listManagedAccounts(): Promise<string[]> {
    this.calls.push({ op: 'listManagedAccounts', ids: [] });
    return [...this.managedAccounts];
  }

  // ---- test helpers (synchronous: they are the world changing, not the core calling)

  addServer(server: ServerView): ServerView {
    this.servers.set(server.id, copy(server));
    return server;
  }

  /** Change a server; `replication` is merged field by field. */
  setServer(id: string, patch: Partial<Omit<ServerView, 'replication'>> & { replication?: Partial<ServerView['replication']> }): void {
    const s = this.mustServer(id);
    const { replication, ...rest } = patch;
    Object.assign(s, copy(rest));
    if (replication) Object.assign(s.replication, replication);
  }

  addJob(job: JobView): JobView {
    this.jobs.set(job.id, copy(job));
    return job;
  }

  setJob(id: string, patch: Partial<Omit<JobView, 'id'>>): void {
    Object.assign(this.mustJob(id), copy(patch));
  }

  /** Change one server's entry in a job. */
  setParticipant(jobId: string, serverId: string, patch: Partial<Omit<Participant, 'id'>>): void {
    const p = this.mustJob(jobId).servers.find((s) => s.id === serverId);
    if (!p) throw new Error(`fake MGN: ${serverId} is not in job ${jobId}`);
    Object.assign(p, copy(patch));
  }

  /**
   * A launch finished for one server: LAUNCHED with an instance (which becomes the server's launched instance,
   * first boot WAITING) or FAILED. The job is not completed: call `completeJob`.
   */
  finishLaunch(jobId: string, serverId: string, result: 'LAUNCHED' | 'FAILED' = 'LAUNCHED'): void {
    const job = this.mustJob(jobId);
    job.status = 'STARTED';
    if (result === 'FAILED') {
      this.setParticipant(jobId, serverId, { launchStatus: 'FAILED' });
      return;
    }
    const ec2InstanceId = `i-${(++this.seq).toString(16).padStart(17, '0')}`;
    this.setParticipant(jobId, serverId, { launchStatus: 'LAUNCHED', ec2InstanceId });
    this.setServer(serverId, { launchedInstance: { ec2InstanceId, jobId, firstBoot: 'WAITING' } });
  }

  completeJob(jobId: string): void {
    this.mustJob(jobId).status = 'COMPLETED';
  }

  /** Make the next call of `op` fail (see MgnFault). Faults queue up per operation. */
  failNext(op: MgnOperation, fault: MgnFault = 'afterCommit'): void {
    const queue = this.faults.get(op) ?? [];
    queue.push(fault);
    this.faults.set(op, queue);
  }

  callsTo(op: MgnOperation): MgnCall[] {
    return this.calls.filter((c) => c.op === op);
  }

  // ---- MgnPort

  readonly launchSettings = new Map<string, { launch?: Record<string, unknown>; actions?: Record<string, unknown>[] }>();

  async listServers(): Promise<ServerView[]> {
    return this.call('listServers', [], undefined, () => [...this.servers.values()].map(copy));
  }

  async applyLaunchSettings(id: string, launch: Record<string, unknown> | undefined, actions: Record<string, unknown>[] | undefined, removeActionIds: readonly string[] = []): Promise<{ removed: string[] }> {
    return this.call('applyLaunchSettings', [id], undefined, () => {
      const had = this.launchSettings.get(id)?.actions ?? [];
      const removed = removeActionIds.filter((r) => had.some((a) => a.actionId === r) && !(actions ?? []).some((a) => a.actionId === r));
      this.launchSettings.set(id, { ...(launch ? { launch } : {}), ...(actions ? { actions } : {}) });
      return { removed };
    });
  }

  async describeServers(ids: readonly string[]): Promise<ServerView[]> {
    return this.call('describeServers', ids, undefined, () => {
      this.maxIds(ids, this.quotas.idsPerDescribe, 'sourceServerIDs');
      return ids.flatMap((id) => {
        const s = this.servers.get(id);
        return s ? [copy(s)] : [];
      });
    });
  }

  async describeJobs(ids: readonly string[]): Promise<JobView[]> {
    return this.call('describeJobs', ids, undefined, () => {
      this.maxIds(ids, 1000, 'jobIDs');
      return this.newestFirst([...this.jobs.values()].filter((j) => ids.includes(j.id)));
    });
  }

  async jobsSince(since: string): Promise<JobView[]> {
    return this.call('jobsSince', [], since, () => this.newestFirst([...this.jobs.values()].filter((j) => Date.parse(j.createdAt) >= Date.parse(since))));
  }

  async startTest(ids: readonly string[]): Promise<{ jobId: string }> {
    return this.call('startTest', ids, undefined, () => {
      this.checkLaunch(ids, RULES.startTest);
      return { jobId: this.launch(ids, 'START_TEST', 'TESTING', 'lastTest') };
    });
  }

  async startCutover(ids: readonly string[]): Promise<{ jobId: string }> {
    return this.call('startCutover', ids, undefined, () => {
      this.checkLaunch(ids, RULES.startCutover);
      return { jobId: this.launch(ids, 'START_CUTOVER', 'CUTTING_OVER', 'lastCutover') };
    });
  }

  async terminateTargetInstances(ids: readonly string[]): Promise<{ jobId: string }> {
    return this.call('terminateTargetInstances', ids, undefined, () => {
      this.checkIds(ids);
      for (const id of ids) this.checkState(this.mustExist(id), RULES.terminateTargetInstances, 'TerminateTargetInstances');
      this.checkQuotas(ids);
      const job = jobView(this.nextJobId(), ids, { type: 'TERMINATE', initiatedBy: 'TERMINATE', createdAt: this.clock.now().toISOString() });
      this.jobs.set(job.id, job);
      return { jobId: job.id };
    });
  }

  async changeLifeCycleState(id: string, state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER'): Promise<ServerView> {
    return this.call('changeLifeCycleState', [id], state, () => {
      const s = this.mustExist(id);
      this.checkState(s, RULES[state], `ChangeServerLifeCycleState to ${state}`);
      this.checkIdle(s);
      this.checkLaunchable(s);
      s.lifeCycle = state;
      return copy(s);
    });
  }

  async finalizeCutover(id: string): Promise<ServerView> {
    return this.call('finalizeCutover', [id], undefined, () => {
      const s = this.mustExist(id);
      this.checkState(s, RULES.finalizeCutover, 'FinalizeCutover');
      this.checkIdle(s);
      const cutover = s.lastCutover.jobId ? this.jobs.get(s.lastCutover.jobId) : undefined;
      if (cutover?.servers.find((p) => p.id === id)?.launchStatus !== 'LAUNCHED') {
        throw new MgnConflictError(`Source server ${id} has no successfully launched cutover instance to finalize`);
      }
      s.lifeCycle = 'CUTOVER';
      s.replication = { state: 'DISCONNECTED', lagSeconds: null, backlogBytes: 0 };
      s.lastCutover.finalizedAt = this.clock.now().toISOString();
      return copy(s);
    });
  }

  async markAsArchived(id: string): Promise<ServerView> {
    return this.call('markAsArchived', [id], undefined, () => {
      const s = this.mustExist(id);
      this.checkState(s, RULES.markAsArchived, 'MarkAsArchived');
      s.isArchived = true;
      return copy(s);
    });
  }

  async retryDataReplication(id: string): Promise<ServerView> {
    return this.call('retryDataReplication', [id], undefined, () => {
      const s = this.mustExist(id);
      if (s.replication.state !== 'STALLED') throw new MgnConflictError(`Replication of ${id} is ${s.replication.state}, not STALLED`);
      s.replication.state = 'INITIATING';
      delete s.replication.error;
      return copy(s);
    });
  }

  // ---- internals

  private async call<T>(op: MgnOperation, ids: readonly string[], arg: string | undefined, apply: () => T): Promise<T> {
    this.calls.push({ op, ids: [...ids], ...(arg !== undefined ? { arg } : {}), ...(this.account ? { account: this.account } : {}) });
    await this.latency();
    const fault = this.faults.get(op)?.shift();
    if (fault instanceof Error) throw fault;
    if (fault === 'conflict') throw new MgnConflictError(`fake MGN: injected conflict on ${op}`);
    const result = apply();
    if (fault === 'afterCommit') throw new TransientError(`fake MGN: ${op} took effect, then failed`, { name: 'InternalServerException', throttled: false });
    return result;
  }

  private newestFirst(jobs: JobView[]): JobView[] {
    return jobs.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt) || b.id.localeCompare(a.id)).map(copy);
  }

  private nextJobId(): string {
    return `mgnjob-${(++this.seq).toString(16).padStart(17, '0')}`;
  }

  private launch(ids: readonly string[], initiatedBy: 'START_TEST' | 'START_CUTOVER', lifeCycle: LifeCycleState, last: 'lastTest' | 'lastCutover'): string {
    const now = this.clock.now().toISOString();
    const job = jobView(this.nextJobId(), ids, { initiatedBy, createdAt: now });
    this.jobs.set(job.id, job);
    for (const id of ids) {
      const s = this.mustServer(id);
      s.lifeCycle = lifeCycle;
      s[last] = { ...s[last], jobId: job.id, initiatedAt: now };
    }
    return job.id;
  }

  private checkLaunch(ids: readonly string[], states: readonly LifeCycleState[]): void {
    this.checkIds(ids);
    for (const id of ids) {
      const s = this.servers.get(id);
      if (!s) throw new MgnConflictError(`Source server ${id} not found`);
      this.checkState(s, states, 'Launch');
      this.checkIdle(s);
      this.checkLaunchable(s);
    }
    this.checkQuotas(ids);
  }

  private checkIds(ids: readonly string[]): void {
    if (ids.length === 0) throw namedError('ValidationException', 'sourceServerIDs must not be empty');
    if (new Set(ids).size !== ids.length) throw namedError('ValidationException', 'sourceServerIDs has duplicates');
    if (ids.length > this.quotas.serversPerJob) throw new MgnConflictError(`A job can include at most ${this.quotas.serversPerJob} source servers`);
  }

  private checkQuotas(ids: readonly string[]): void {
    const active = [...this.jobs.values()].filter((j) => j.status !== 'COMPLETED');
    if (active.length >= this.quotas.concurrentJobs) throw new MgnConflictError(`At most ${this.quotas.concurrentJobs} jobs can be in progress at once`);
    const busy = active.reduce((n, j) => n + j.servers.length, 0);
    if (busy + ids.length > this.quotas.serversInActiveJobs) throw new MgnConflictError(`At most ${this.quotas.serversInActiveJobs} source servers can be in active jobs`);
  }

  private checkState(s: ServerView, states: readonly LifeCycleState[], what: string): void {
    if (s.isArchived && what !== 'MarkAsArchived') throw new MgnConflictError(`Source server ${s.id} is archived`);
    if (!states.includes(s.lifeCycle)) throw new MgnConflictError(`${what} is not allowed for ${s.id} in ${s.lifeCycle}`);
  }

  private checkIdle(s: ServerView): void {
    const active = [...this.jobs.values()].find((j) => j.status !== 'COMPLETED' && j.servers.some((p) => p.id === s.id));
    if (active) throw new MgnConflictError(`Source server ${s.id} is in active job ${active.id}`);
  }

  private checkLaunchable(s: ServerView): void {
    if (s.replication.lagSeconds === null) throw new MgnConflictError(`Source server ${s.id} is not launchable yet`);
  }

  private maxIds(ids: readonly string[], max: number, field: string): void {
    if (ids.length > max) throw namedError('ValidationException', `${field} accepts at most ${max} ids, got ${ids.length}`);
  }

  private mustExist(id: string): ServerView {
    const s = this.servers.get(id);
    if (!s) throw namedError('ResourceNotFoundException', `Source server ${id} not found`);
    return s;
  }

  private mustServer(id: string): ServerView {
    const s = this.servers.get(id);
    if (!s) throw new Error(`fake MGN: no server ${id}`);
    return s;
  }

  private mustJob(id: string): JobView {
    const j = this.jobs.get(id);
    if (!j) throw new Error(`fake MGN: no job ${id}`);
    return j;
  }
}

// ------------------------------------------------------------------ WaitStore

export class FakeWaitStore implements WaitStore {
  /** The open waits by server, as stored. Tests may read it; the core goes through the port. */
  readonly byServer = new Map<string, OpenWait>();
  /** Successful takes, in order. */
  readonly taken: { serverId: string; token: string }[] = [];
  private readonly latency: Latency;

  constructor(opts: { latency?: Latency } = {}) {
    this.latency = opts.latency ?? microtask;
  }

  async put(wait: OpenWait): Promise<void> {
    await this.latency();
    this.byServer.set(wait.serverId, copy(wait));
  }

  async get(serverId: string): Promise<OpenWait | undefined> {
    await this.latency();
    const w = this.byServer.get(serverId);
    return w && copy(w);
  }

  async list(): Promise<OpenWait[]> {
    await this.latency();
    return [...this.byServer.values()].map(copy);
  }

  async take(serverId: string, token: string): Promise<boolean> {
    await this.latency();
    // check and delete with no await in between: the conditional delete
    if (this.byServer.get(serverId)?.token !== token) return false;
    this.byServer.delete(serverId);
    this.taken.push({ serverId, token });
    return true;
  }
}

// ------------------------------------------------------------------ RendezvousStore

export class FakeRendezvousStore implements RendezvousStore {
  readonly points = new Map<string, LaunchPoint>();
  private readonly latency: Latency;

  constructor(opts: { latency?: Latency } = {}) {
    this.latency = opts.latency ?? microtask;
  }

  async arrive(init: Omit<LaunchPoint, 'arrived' | 'status'>, serverId: string): Promise<LaunchPoint> {
    await this.latency();
    let p = this.points.get(init.id);
    if (!p) {
      p = { ...copy(init), arrived: [], status: 'OPEN' };
      this.points.set(p.id, p);
    }
    if (!p.arrived.includes(serverId)) p.arrived = [...p.arrived, serverId].sort();
    return copy(p);
  }

  async get(id: string): Promise<LaunchPoint | undefined> {
    await this.latency();
    const p = this.points.get(id);
    return p && copy(p);
  }

  async claim(id: string, at: string, staleBefore?: string): Promise<boolean> {
    await this.latency();
    const p = this.points.get(id);
    const stale = p?.status === 'LAUNCHING' && staleBefore !== undefined && (p.claimedAt === undefined || p.claimedAt < staleBefore);
    if (p?.status !== 'OPEN' && !stale) return false;
    Object.assign(p as LaunchPoint, { status: 'LAUNCHING', claimedAt: at });
    return true;
  }

  /** LAUNCHING -> LAUNCHED. Repeating it with the same job is a no-op; any other state throws StoreConflictError (as the adapter). */
  async launched(id: string, jobId: string, servers: string[]): Promise<void> {
    await this.latency();
    const p = this.points.get(id);
    if (p?.status === 'LAUNCHED' && p.jobId === jobId) return;
    if (p?.status !== 'LAUNCHING') throw namedError('StoreConflictError', `Launch point ${id} is ${p?.status ?? 'absent'}, not LAUNCHING`);
    Object.assign(p, { status: 'LAUNCHED', jobId, launched: [...servers] });
  }

  /** LAUNCHING -> OPEN; a no-op in any other state (a repeated release). */
  async release(id: string): Promise<void> {
    await this.latency();
    const p = this.points.get(id);
    if (p?.status === 'LAUNCHING') p.status = 'OPEN';
  }

  async leave(id: string, serverId: string): Promise<boolean> {
    await this.latency();
    const p = this.points.get(id);
    if (p?.status !== 'OPEN' || !p.arrived.includes(serverId)) return false;
    p.arrived = p.arrived.filter((s) => s !== serverId);
    return true;
  }

  /** Points not LAUNCHED yet (OPEN, and LAUNCHING ones a crashed launcher may have left), as the adapter. */
  async listOpen(): Promise<LaunchPoint[]> {
    await this.latency();
    return [...this.points.values()].filter((p) => p.status !== 'LAUNCHED').map(copy);
  }
}

// ------------------------------------------------------------------ GateStore

export class FakeGateStore implements GateStore {
  readonly gates = new Map<string, Gate>();
  private readonly latency: Latency;

  constructor(opts: { latency?: Latency } = {}) {
    this.latency = opts.latency ?? microtask;
  }

  async open(gate: Omit<Gate, 'status'>): Promise<{ created: boolean; gate: Gate }> {
    await this.latency();
    const existing = this.gates.get(gate.id);
    if (existing) return { created: false, gate: copy(existing) };
    const created: Gate = { ...copy(gate), status: 'OPEN' };
    this.gates.set(created.id, created);
    return { created: true, gate: copy(created) };
  }

  async get(id: string): Promise<Gate | undefined> {
    await this.latency();
    const g = this.gates.get(id);
    return g && copy(g);
  }

  /** OPEN -> DECIDED once; false when already decided; StoreNotFoundError for an unknown gate (as the adapter). */
  async decide(id: string, decision: NonNullable<Gate['decision']>): Promise<boolean> {
    await this.latency();
    const g = this.gates.get(id);
    if (!g) throw namedError('StoreNotFoundError', `Gate ${id} does not exist`);
    if (g.status !== 'OPEN') return false;
    g.status = 'DECIDED';
    g.decision = copy(decision);
    return true;
  }

  async forWave(wave: string): Promise<Gate[]> {
    await this.latency();
    return [...this.gates.values()].filter((g) => g.wave === wave).map(copy);
  }

  async vote(id: string, vote: GateVote): Promise<{ recorded: boolean; gate: Gate }> {
    await this.latency();
    const g = this.gates.get(id);
    if (!g) throw namedError('StoreNotFoundError', `Gate ${id} does not exist`);
    if (g.status !== 'OPEN' || (g.votes ?? []).some((v) => v.approver === vote.approver)) return { recorded: false, gate: copy(g) };
    g.votes = [...(g.votes ?? []), copy(vote)];
    return { recorded: true, gate: copy(g) };
  }

  async expire(id: string): Promise<boolean> {
    await this.latency();
    const g = this.gates.get(id);
    if (!g || g.status !== 'OPEN') return false;
    g.status = 'EXPIRED';
    return true;
  }

  async reschedule(id: string, times: { deadline: string; decisionFrom: string }): Promise<boolean> {
    await this.latency();
    const g = this.gates.get(id);
    if (!g || g.status !== 'OPEN') return false;
    g.deadline = times.deadline;
    g.decisionFrom = times.decisionFrom;
    return true;
  }

  async listOpen(): Promise<Gate[]> {
    await this.latency();
    return [...this.gates.values()].filter((g) => g.status === 'OPEN').map(copy);
  }

  async arrive(id: string, serverId: string): Promise<Gate> {
    await this.latency();
    const g = this.gates.get(id);
    if (!g) throw namedError('ConditionalCheckFailedException', 'The conditional request failed');
    g.arrived = [...new Set([...(g.arrived ?? []), serverId])].sort();
    return copy(g);
  }

  async leave(id: string, serverId: string): Promise<void> {
    await this.latency();
    const g = this.gates.get(id);
    if (g) g.arrived = (g.arrived ?? []).filter((s) => s !== serverId);
  }
}

// ------------------------------------------------------------------ approvals: links, audit, keys, messages

export class FakeLinkStore implements LinkStore {
  readonly links = new Map<string, ApprovalLink>();
  constructor(private readonly latency: Latency = microtask) {}
  async create(link: Omit<ApprovalLink, 'status' | 'used'>): Promise<void> {
    await this.latency();
    if (this.links.has(link.id)) throw namedError('ConditionalCheckFailedException', 'The conditional request failed');
    this.links.set(link.id, { ...copy(link), status: 'OPEN' });
  }
  async get(id: string): Promise<ApprovalLink | undefined> {
    await this.latency();
    const l = this.links.get(id);
    return l && copy(l);
  }
  async use(id: string, used: NonNullable<ApprovalLink['used']>): Promise<boolean> {
    await this.latency();
    const l = this.links.get(id);
    if (!l || l.status !== 'OPEN') return false;
    l.status = 'USED';
    l.used = copy(used);
    return true;
  }
  async release(id: string): Promise<void> {
    await this.latency();
    const l = this.links.get(id);
    if (l?.status === 'USED') {
      l.status = 'OPEN';
      delete l.used;
    }
  }
  async forGate(gateId: string): Promise<ApprovalLink[]> {
    await this.latency();
    return [...this.links.values()].filter((l) => l.gateId === gateId).map(copy);
  }
  readonly keptUntil = new Map<string, string>();
  async keepUntil(id: string, until: string): Promise<void> {
    await this.latency();
    this.keptUntil.set(id, until);
  }
}

export class FakeAuditLog implements AuditLog {
  readonly entries: AuditEntry[] = [];
  async record(entry: AuditEntry): Promise<void> {
    await Promise.resolve();
    this.entries.push(copy(entry));
  }
  async list(gateId?: string): Promise<AuditEntry[]> {
    await Promise.resolve();
    return this.entries.filter((e) => !gateId || e.gateId === gateId).map(copy);
  }
  readonly refusalCounts = new Map<string, RefusalCount>();
  async refused(r: { status: RefusalCount['status']; wave?: string; gateId?: string; at: string }): Promise<void> {
    await Promise.resolve();
    const key = `${r.wave ?? '-'}#${r.gateId ?? '-'}#${r.status}`;
    const was = this.refusalCounts.get(key);
    this.refusalCounts.set(key, { wave: r.wave ?? '-', gateId: r.gateId ?? '-', status: r.status, count: (was?.count ?? 0) + 1, firstAt: was?.firstAt ?? r.at, lastAt: r.at });
  }
  async refusals(): Promise<RefusalCount[]> {
    await Promise.resolve();
    return [...this.refusalCounts.values()].map(copy);
  }
}

export class FakeSigningKeys implements SigningKeys {
  keys: { version: string; key: Buffer }[] = [{ version: 'v1', key: Buffer.alloc(32, 7) }];
  /** Rotate: a new current key; the old one still verifies. */
  rotate(version: string, key: Buffer): void {
    this.keys = [{ version, key }, ...this.keys].slice(0, 2);
  }
  async current(): Promise<{ version: string; key: Buffer }> {
    return this.keys[0] as { version: string; key: Buffer };
  }
  async all(): Promise<{ version: string; key: Buffer }[]> {
    return [...this.keys];
  }
}

export class FakeApprovalNotifier implements ApprovalNotifier {
  readonly messages: ApprovalMessage[] = [];
  async approval(message: ApprovalMessage): Promise<void> {
    await Promise.resolve();
    this.messages.push(copy(message));
  }
}

// ------------------------------------------------------------------ TaskCallbacks

type CallbackRequest = { kind: 'succeed'; token: string; output: unknown } | { kind: 'fail'; token: string; error: string; cause: string };
export type CallbackCall = CallbackRequest & { accepted: boolean };

/**
 * Step Functions' SendTaskSuccess / SendTaskFailure. A token closes once it has been answered, or when the
 * test closes it (execution stopped or timed out); answering a closed token throws TaskTimedOut, as AWS does.
 */
export class FakeTaskCallbacks implements TaskCallbacks {
  /** Every call, including the refused ones (`accepted: false`). */
  readonly calls: CallbackCall[] = [];
  private readonly closed = new Set<string>();
  private readonly errors: Error[] = [];
  private readonly latency: Latency;

  constructor(opts: { latency?: Latency } = {}) {
    this.latency = opts.latency ?? microtask;
  }

  /** The execution behind this token moved on: later calls throw TaskClosedError. */
  close(token: string): void {
    this.closed.add(token);
  }

  /** The next call throws this error (e.g. `throttled()`) and changes nothing. */
  failNextWith(error: Error): void {
    this.errors.push(error);
  }

  get succeeded(): { token: string; output: unknown }[] {
    return this.calls.flatMap((c) => (c.kind === 'succeed' && c.accepted ? [{ token: c.token, output: c.output }] : []));
  }

  get failed(): { token: string; error: string; cause: string }[] {
    return this.calls.flatMap((c) => (c.kind === 'fail' && c.accepted ? [{ token: c.token, error: c.error, cause: c.cause }] : []));
  }

  /** How many times this token was answered or attempted (accepted or not). */
  callsFor(token: string): CallbackCall[] {
    return this.calls.filter((c) => c.token === token);
  }

  async succeed(token: string, output: unknown): Promise<void> {
    await this.latency();
    const accepted = this.accept({ kind: 'succeed', token, output: copy(output) });
    if (!accepted) throw new TaskClosedError('TaskTimedOut: Task Timed Out: Provided task does not exist anymore');
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    await this.latency();
    const accepted = this.accept({ kind: 'fail', token, error, cause });
    if (!accepted) throw new TaskClosedError('TaskTimedOut: Task Timed Out: Provided task does not exist anymore');
  }

  /** Record the call; false when the token is closed. Throws the injected error, if any. */
  private accept(call: CallbackRequest): boolean {
    const injected = this.errors.shift();
    if (injected) {
      this.calls.push({ ...call, accepted: false });
      throw injected;
    }
    const accepted = !this.closed.has(call.token);
    this.calls.push({ ...call, accepted });
    this.closed.add(call.token);
    return accepted;
  }
}

// ------------------------------------------------------------------ Notifier

export type OpsMessage = Parameters<Notifier['ops']>[0];

export class FakeNotifier implements Notifier {
  readonly messages: OpsMessage[] = [];
  async ops(message: OpsMessage): Promise<void> {
    await Promise.resolve();
    this.messages.push(copy(message));
  }
}

// ------------------------------------------------------------------ Dedupe (the `onceKey` dependency)

/** Markers with a time to live on the shared clock: `once` is true the first time a key is seen within its TTL. */
export class FakeDedupe {
  /** key -> expiry (epoch ms) */
  readonly markers = new Map<string, number>();
  private readonly clock: Clock;
  private readonly latency: Latency;

  constructor(opts: { clock?: Clock; latency?: Latency } = {}) {
    this.clock = opts.clock ?? new ManualClock();
    this.latency = opts.latency ?? microtask;
  }

  async once(key: string, ttlSeconds: number): Promise<boolean> {
    await this.latency();
    const now = this.clock.now().getTime();
    const expiry = this.markers.get(key);
    if (expiry !== undefined && expiry > now) return false;
    this.markers.set(key, now + Math.max(1, Math.ceil(ttlSeconds)) * 1000);
    return true;
  }

  async forget(key: string): Promise<void> {
    await this.latency();
    this.markers.delete(key);
  }
}

// ------------------------------------------------------------------ all together

/**
 * One fake of every port, named as in src/adapters/aws/deps.ts (`points` is the RendezvousStore), sharing one
 * manual clock. `latency` applies to MGN, the stores, the dedupe markers and the callbacks.
 */
/** The stall history in memory (same contract as the DynamoDB store: one open episode per server). */
export class FakeStallStore implements StallStore {
  readonly byServer = new Map<string, StallEpisode[]>();
  async list(serverId: string): Promise<StallEpisode[]> {
    return structuredClone(this.byServer.get(serverId) ?? []);
  }
  async openServers(): Promise<string[]> {
    return [...this.byServer].filter(([, list]) => list.some((e) => e.endedAt === undefined)).map(([id]) => id);
  }
  async start(episode: StallEpisode): Promise<boolean> {
    const list = this.byServer.get(episode.serverId) ?? [];
    if (list.some((e) => e.endedAt === undefined)) return false;
    this.byServer.set(episode.serverId, [...list, structuredClone(episode)].slice(-50));
    return true;
  }
  async mark(serverId: string, startedAt: string, fields: { retriedAt?: string; alerted?: boolean }): Promise<void> {
    const e = this.byServer.get(serverId)?.find((x) => x.startedAt === startedAt && x.endedAt === undefined);
    if (e) Object.assign(e, Object.fromEntries(Object.entries(fields).filter(([, v]) => v !== undefined)));
  }
  async end(serverId: string, startedAt: string, at: string, by: NonNullable<StallEpisode['endedBy']>): Promise<boolean> {
    const e = this.byServer.get(serverId)?.find((x) => x.startedAt === startedAt && x.endedAt === undefined);
    if (!e) return false;
    Object.assign(e, { endedAt: at, endedBy: by, durationSeconds: Math.max(0, Math.round((Date.parse(at) - Date.parse(startedAt)) / 1000)) });
    return true;
  }
}

export function fakeDeps(opts: { start?: string; latency?: Latency } = {}) {
  const clock = new ManualClock(opts.start);
  const latency = opts.latency ? { latency: opts.latency } : {};
  const dedupe = new FakeDedupe({ clock, ...latency });
  return {
    clock,
    mgn: new FakeMgn({ clock, ...latency }),
    waits: new FakeWaitStore(latency),
    points: new FakeRendezvousStore(latency),
    gates: new FakeGateStore(latency),
    stalls: new FakeStallStore(),
    callbacks: new FakeTaskCallbacks(latency),
    notifier: new FakeNotifier(),
    links: new FakeLinkStore(opts.latency),
    audit: new FakeAuditLog(),
    keys: new FakeSigningKeys(),
    approvals: new FakeApprovalNotifier(),
    approvalBaseUrl: 'https://approvals.example.com',
    dedupe,
    onceKey: (key: string, ttlSeconds: number) => dedupe.once(key, ttlSeconds),
    lock: { acquire: (key: string, ttlSeconds: number) => dedupe.once(`lock#${key}`, ttlSeconds), release: (key: string) => dedupe.forget(`lock#${key}`) },
  };
}

export type FakeDeps = ReturnType<typeof fakeDeps>;
