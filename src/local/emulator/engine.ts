import { VirtualClock, iso } from './clock.ts';
import { type Faults, type Quotas, FaultsSchema, defaultQuotas } from './config.ts';
import { EventHub } from './events.ts';
import {
  type Application,
  type DataReplicationState,
  INITIATION_STEPS,
  type Job,
  type JobLogItem,
  type Participant,
  type PostLaunchActionStatus,
  type Server,
  type Template,
  type Wave,
} from './model.ts';
import { type Rng, createRng } from './rng.ts';
import { seedServers } from './seed.ts';
import type { EmulatorOptions } from './types.ts';
import { ACCOUNT_ID } from '../../core/ids.ts';

const DEFAULT_START = Date.UTC(2026, 0, 5, 8, 0, 0);
const MiB = 1024 * 1024;
const S = 1000;
const MIN = 60 * S;

/** States in which a server counts against "Max Active Source Servers". */
const ACTIVE_STATES: ReadonlySet<DataReplicationState> = new Set([
  'INITIATING',
  'INITIAL_SYNC',
  'BACKLOG',
  'CREATING_SNAPSHOT',
  'CONTINUOUS',
  'RESCAN',
  'STALLED',
  'PENDING_SNAPSHOT_SHIPPING',
  'SHIPPING_SNAPSHOT',
]);

/**
 * Agentless (SNAPSHOT_SHIPPING) replication after its first snapshot: the vCenter client takes a snapshot of
 * the VM every SNAPSHOT_PERIOD and ships it, which takes the last SNAPSHOT_SHIPPING of the period. There is no
 * continuous data protection: the lag is the age of the last shipped snapshot (0 to one period).
 */
export const SNAPSHOT_PERIOD_MS = 10 * 60 * 1000;
export const SNAPSHOT_SHIPPING_MS = 3 * 60 * 1000;

/**
 * The emulated MGN account: source servers whose replication progresses on the virtual clock, jobs that
 * launch and terminate instances, waves and applications, and the events MGN sends. The HTTP layer
 * (http.ts) and the operations (operations.ts) sit on top of it.
 */
export class MgnEngine {
  readonly clock: VirtualClock;
  readonly region: string;
  readonly accountId: string;
  readonly seed: number;
  /** The home account's quotas, and every managed account's unless it has its own (`accountQuotas`). */
  readonly quotas: Quotas;
  /**
   * MGN's global view: the accounts this MGN manages (the home account first). A request with `accountID`
   * works on that account's servers, jobs, waves and applications; without it, on the home account's.
   */
  readonly managedAccounts: Set<string>;
  /** Quotas of a managed account that differ from `quotas` (MGN's quotas apply per account). */
  readonly accountQuotas = new Map<string, Partial<Quotas>>();
  /** The account of the request being served (operations run synchronously; timers never read it). */
  requestAccount: string;
  faults: Faults;
  initialized: boolean;
  readonly bandwidth: number;
  readonly servers = new Map<string, Server>();
  readonly jobs = new Map<string, Job>();
  readonly waves = new Map<string, Wave>();
  readonly applications = new Map<string, Application>();
  readonly templates = new Map<string, Template>();
  readonly events: EventHub;
  /** Seconds a quiesced source keeps being seen before its replication stalls with AGENT_NOT_SEEN. */
  agentNotSeenAfterS = 900;
  private readonly idRng: Rng;
  readonly requestRng: Rng;

  constructor(opts: EmulatorOptions = {}) {
    this.seed = opts.seed ?? 1;
    this.region = opts.region ?? 'us-east-1';
    this.accountId = opts.accountId ?? '111122223333';
    this.requestAccount = this.accountId;
    this.managedAccounts = new Set([this.accountId]);
    for (const [account, quotas] of Object.entries(opts.managedAccounts ?? {})) this.addManagedAccount(account, quotas);
    this.clock = new VirtualClock({
      start: opts.startTime ?? DEFAULT_START,
      scale: opts.timeScale ?? 1,
      mode: opts.clockMode ?? (opts.manualClock ? 'manual' : 'scaled'),
    });
    this.quotas = { ...defaultQuotas(), ...opts.quotas };
    this.faults = FaultsSchema.parse(opts.faults ?? {});
    this.initialized = opts.initialized ?? true;
    this.bandwidth = opts.bandwidthBytesPerS ?? 25 * MiB;
    this.idRng = createRng(this.seed, 'ids');
    this.requestRng = createRng(this.seed, 'requests');
    this.events = new EventHub(
      this.clock,
      createRng(this.seed, 'events'),
      () => this.faults,
      { region: this.region, accountId: this.accountId },
      opts.putEventsEndpoint,
    );
    this.seedTemplates();
    seedServers(this, opts.servers ?? 10, opts.start ?? 'agent-installed', opts.applications ?? 0);
  }

  now(): number {
    return this.clock.now();
  }

  arn(kind: string, id: string, account = this.requestAccount): string {
    return `arn:aws:mgn:${this.region}:${account}:${kind}/${id}`;
  }

  /** Add an account to MGN's global view (ListManagedAccounts), with quotas of its own if given. */
  addManagedAccount(account: string, quotas: Partial<Quotas> = {}): void {
    if (!ACCOUNT_ID.test(account)) throw new Error(`managed account ${JSON.stringify(account)}: an AWS account id of 12 digits`);
    this.managedAccounts.add(account);
    if (Object.keys(quotas).length > 0) this.accountQuotas.set(account, { ...this.accountQuotas.get(account), ...quotas });
  }

  /** The quotas of one account: its own where set, else the emulator's. */
  quotasFor(account = this.requestAccount): Quotas {
    return { ...this.quotas, ...this.accountQuotas.get(account) };
  }

  newId(prefix: string): string {
    return `${prefix}-${this.idRng.hex(17)}`;
  }

  ec2Id(): string {
    return `i-${this.idRng.hex(17)}`;
  }

  // ---------------------------------------------------------------- replication

  activeReplicatingCount(account = this.requestAccount): number {
    let n = 0;
    for (const s of this.servers.values()) if (s.account === account && !s.isArchived && ACTIVE_STATES.has(s.repl.state)) n++;
    return n;
  }

  /** The healthy steady state of a server's replication type: CONTINUOUS (agent) or PENDING_SNAPSHOT_SHIPPING (agentless). */
  steadyState(s: Server): DataReplicationState {
    return s.replicationType === 'SNAPSHOT_SHIPPING' ? 'PENDING_SNAPSHOT_SHIPPING' : 'CONTINUOUS';
  }

  /** Agentless: when the last snapshot finished shipping, as of `now` (the cycle runs from continuousSince). */
  lastShippedAt(s: Server, now = this.now()): number {
    const start = s.repl.continuousSince ?? now;
    return start + Math.floor(Math.max(0, now - start) / SNAPSHOT_PERIOD_MS) * SNAPSHOT_PERIOD_MS;
  }

  private transition(s: Server, state: DataReplicationState): number {
    const r = s.repl;
    const steady = this.steadyState(s);
    const wasContinuous = r.state === steady;
    const wasStalled = r.state === 'STALLED';
    // agentless: data since the last shipped snapshot is what a launch would miss from now on
    if (wasContinuous && state !== steady && steady === 'PENDING_SNAPSHOT_SHIPPING') r.lastSnapshotAt = this.lastShippedAt(s);
    r.state = state;
    r.gen++;
    if (wasContinuous && state !== steady) r.lagSince = steady === 'CONTINUOUS' ? this.now() : r.lastSnapshotAt;
    if (state === steady) {
      r.lagSince = undefined;
      r.continuousSince = this.now();
    }
    if (wasStalled && state !== 'STALLED') {
      r.error = undefined;
      r.failedStep = undefined;
      r.nextAttemptAt = undefined;
      this.emitServerEvent(s, 'MGN Source Server Data Replication Stalled Change', { state: 'NOT_STALLED' });
    }
    return r.gen;
  }

  /** Run `fn` at `at` only if the server's replication has not moved on since. */
  private schedule(s: Server, gen: number, at: number, fn: () => void): void {
    this.clock.at(at, () => {
      if (s.repl.gen === gen) fn();
    });
  }

  /** Begin (or restart) replication initiation: the documented steps, in order. */
  beginInitiation(s: Server, at = this.now()): void {
    const r = s.repl;
    r.runs++;
    const gen = this.transition(s, 'INITIATING');
    r.initiationStart = at;
    r.disconnected = false;
    const jitter = 0.8 + s.rng.next() * 0.5;
    let t = at;
    r.stepEnds = INITIATION_STEPS.map(([, secs]) => (t += secs * S * jitter));
    const stall = this.rollStall(s);
    if (stall?.phase === 'initiation') {
      const step = stall.step;
      this.schedule(s, gen, r.stepEnds[step] as number, () => {
        const name = (INITIATION_STEPS[step] as readonly [string, number])[0];
        r.failedStep = step;
        this.stall(s, `FAILED_TO_${name}`, `Step ${name} failed`, 'INITIATING');
      });
      return;
    }
    this.schedule(s, gen, r.stepEnds[r.stepEnds.length - 1] as number, () => this.beginSync(s, stall));
  }

  private rollStall(s: Server): { phase: 'initiation'; step: number } | { phase: 'sync' | 'continuous'; after: number } | undefined {
    const rng = createRng(this.seed, `stall/${s.id}/${s.repl.runs}`);
    if (!rng.chance(this.faults.stallRate)) return undefined;
    const p = rng.next();
    if (p < 0.3) return { phase: 'initiation', step: rng.int(1, INITIATION_STEPS.length - 1) };
    if (p < 0.7) return { phase: 'sync', after: rng.next() };
    return { phase: 'continuous', after: (5 + rng.next() * 115) * MIN };
  }

  totalBytes(s: Server): number {
    return s.properties.disks.reduce((a, d) => a + d.bytes, 0);
  }

  syncFraction(s: Server, now = this.now()): number {
    const r = s.repl;
    if (r.state !== 'INITIAL_SYNC') return r.syncBase;
    const total = this.totalBytes(s);
    // now may be the heartbeat-floored render time, a little before the phase began: never below syncBase
    return Math.min(1, r.syncBase + (Math.max(0, now - r.phaseStart) / S) * (this.bandwidth / total));
  }

  private beginSync(s: Server, stall?: ReturnType<MgnEngine['rollStall']>): void {
    const r = s.repl;
    const gen = this.transition(s, 'INITIAL_SYNC');
    r.phaseStart = this.now();
    r.firstByteAt ??= this.now() + 5 * S;
    const total = this.totalBytes(s);
    const remainingMs = ((1 - r.syncBase) * total * S) / this.bandwidth;
    if (stall?.phase === 'sync') {
      this.schedule(s, gen, this.now() + remainingMs * stall.after, () => {
        r.syncBase = this.syncFraction(s);
        this.stall(s, 'UNSTABLE_NETWORK', 'Connection to replication server lost', 'INITIAL_SYNC');
      });
      return;
    }
    this.schedule(s, gen, this.now() + remainingMs, () => {
      r.syncBase = 1;
      this.createSnapshot(s, stall);
    });
  }

  private createSnapshot(s: Server, stall?: ReturnType<MgnEngine['rollStall']>): void {
    const gen = this.transition(s, 'CREATING_SNAPSHOT');
    this.schedule(s, gen, this.now() + (2 + s.rng.next() * 3) * MIN, () => this.becomeContinuous(s, stall));
  }

  private becomeContinuous(s: Server, stall?: ReturnType<MgnEngine['rollStall']>): void {
    const r = s.repl;
    // agentless: the first snapshot has shipped; the next ones follow every SNAPSHOT_PERIOD_MS
    const gen = this.transition(s, this.steadyState(s));
    r.launchable = true;
    r.lastSnapshotAt = this.now();
    if (s.lifeCycle.state === 'NOT_READY') {
      s.lifeCycle.state = 'READY_FOR_TEST';
      if (!s.readyForTestEventSent) {
        s.readyForTestEventSent = true;
        this.emitServerEvent(s, 'MGN Source Server Lifecycle State Change', { state: 'READY_FOR_TEST' });
      }
    }
    // no agent to go unseen when the source of an agentless server is shut down
    if (s.quiescedAt !== undefined && s.replicationType === 'AGENT_BASED') this.scheduleAgentNotSeen(s);
    else if (stall?.phase === 'continuous') {
      this.schedule(s, gen, this.now() + stall.after, () =>
        this.stall(s, 'SNAPSHOTS_FAILURE', 'Snapshot creation failed', 'CONTINUOUS'),
      );
    }
  }

  scheduleAgentNotSeen(s: Server): void {
    const gen = s.repl.gen;
    const at = Math.max(this.now(), (s.quiescedAt ?? this.now()) + this.agentNotSeenAfterS * S);
    this.schedule(s, gen, at, () => this.stall(s, 'AGENT_NOT_SEEN', 'Agent not seen for 15 minutes', s.repl.state, false));
  }

  /** Stall replication; it recovers by itself after stallRecoverAfterS unless the source is gone. */
  stall(s: Server, error: string, rawError: string, resumeTo: DataReplicationState, autoRecover = true): void {
    const r = s.repl;
    const gen = this.transition(s, 'STALLED');
    r.error = { error, rawError };
    r.resumeTo = resumeTo;
    this.emitServerEvent(s, 'MGN Source Server Data Replication Stalled Change', { state: 'STALLED' });
    const recoverS = this.faults.stallRecoverAfterS;
    if (autoRecover && s.quiescedAt === undefined && recoverS > 0) {
      r.nextAttemptAt = this.now() + recoverS * S;
      this.schedule(s, gen, r.nextAttemptAt, () => this.recover(s));
    }
  }

  /** Leave STALLED (or PAUSED) towards where replication was. */
  recover(s: Server): void {
    const r = s.repl;
    const to = r.resumeTo ?? 'INITIATING';
    r.resumeTo = undefined;
    if (to === 'INITIATING' || r.failedStep !== undefined) {
      this.resumeInitiation(s);
    } else if (to === 'INITIAL_SYNC' || to === 'BACKLOG') {
      this.beginSync(s);
    } else if (to === 'CREATING_SNAPSHOT') {
      this.createSnapshot(s);
    } else {
      this.rescan(s);
    }
  }

  private resumeInitiation(s: Server): void {
    // A retried initiation runs the steps again, without a new stall roll.
    const r = s.repl;
    const gen = this.transition(s, 'INITIATING');
    r.initiationStart = this.now();
    let t = this.now();
    r.stepEnds = INITIATION_STEPS.map(([, secs]) => (t += secs * S));
    this.schedule(s, gen, t, () => this.beginSync(s));
  }

  /** After an interruption of continuous replication: rescan the disks, then CONTINUOUS again. */
  private rescan(s: Server): void {
    const gen = this.transition(s, 'RESCAN');
    s.repl.phaseStart = this.now();
    this.schedule(s, gen, this.now() + (3 + s.rng.next() * 7) * MIN, () => this.becomeContinuous(s));
  }

  pause(s: Server): void {
    const r = s.repl;
    r.syncBase = this.syncFraction(s);
    r.resumeTo = r.state === 'STALLED' ? (r.resumeTo ?? 'INITIATING') : r.state;
    this.transition(s, 'PAUSED');
  }

  resume(s: Server): void {
    this.recover(s);
  }

  stop(s: Server): void {
    s.repl.resumeTo = undefined;
    this.transition(s, 'STOPPED');
  }

  startReplication(s: Server): void {
    s.repl.syncBase = s.repl.launchable ? s.repl.syncBase : 0;
    this.beginInitiation(s);
  }

  /**
   * The agent side of a server MGN knows without one (imported, or discovered through vCenter or a
   * connector): `DISCOVERED` (no agent), `PENDING_INSTALLATION` (an install is running), or `INSTALLED` (the
   * agent registers: NOT_READY, and replication initiation begins).
   */
  setAgent(s: Server, agent: 'DISCOVERED' | 'PENDING_INSTALLATION' | 'INSTALLED'): void {
    if (agent === 'INSTALLED') {
      if (s.lifeCycle.state !== 'DISCOVERED' && s.lifeCycle.state !== 'PENDING_INSTALLATION') return;
      s.lifeCycle.state = 'NOT_READY';
      s.lifeCycle.addedToServiceAt = this.now();
      this.startReplication(s);
      return;
    }
    if (s.lifeCycle.state !== 'DISCOVERED' && s.lifeCycle.state !== 'PENDING_INSTALLATION') {
      this.stop(s);
      s.repl.launchable = false;
      s.repl.syncBase = 0;
      s.repl.lagSince = undefined;
      s.repl.backlogBytes = 0;
    }
    s.lifeCycle.state = agent;
  }

  /**
   * UpdateSourceServerReplicationType: the server replicates the other way from now on. A server replicating
   * starts again (initiation, then a resync of what changed); its launchable snapshot stays launchable.
   */
  setReplicationType(s: Server, type: Server['replicationType']): void {
    if (s.replicationType === type) return;
    s.replicationType = type;
    if (s.repl.state !== 'STOPPED' && s.repl.state !== 'PAUSED' && s.lifeCycle.state !== 'DISCOVERED' && s.lifeCycle.state !== 'PENDING_INSTALLATION') this.startReplication(s);
  }

  retry(s: Server): void {
    s.repl.runs++;
    this.resumeInitiation(s);
  }

  /** DisconnectFromService / FinalizeCutover: replication stops for good, lag is nullified. */
  disconnect(s: Server): void {
    const r = s.repl;
    this.transition(s, 'DISCONNECTED');
    r.disconnected = true;
    r.launchable = false;
    r.lagSince = undefined;
    r.stepEnds = [];
    r.initiationStart = undefined;
    r.backlogBytes = 0;
  }

  quiesce(s: Server): void {
    if (s.quiescedAt !== undefined) return;
    s.quiescedAt = this.now();
    s.repl.backlogBytes = 0;
    if (s.repl.state === 'CONTINUOUS') this.scheduleAgentNotSeen(s);
  }

  // ---------------------------------------------------------------- jobs

  /** The jobs in progress of one account (every account's without one). */
  activeJobs(account?: string): Job[] {
    return [...this.jobs.values()].filter((j) => j.status !== 'COMPLETED' && (account === undefined || j.account === account));
  }

  private log(job: Job, event: string, eventData?: JobLogItem['eventData']): void {
    job.log.push({ at: this.now(), event, ...(eventData ? { eventData } : {}) });
  }

  private newJob(type: Job['type'], initiatedBy: Job['initiatedBy'], ids: string[], tags: Record<string, string>): Job {
    const jobID = this.newId('mgnjob');
    const job: Job = {
      jobID,
      arn: this.arn('job', jobID),
      account: this.requestAccount,
      type,
      initiatedBy,
      createdAt: this.now(),
      status: 'PENDING',
      tags: { ...tags },
      participants: ids.map((id) => ({ sourceServerID: id, launchStatus: 'PENDING' })),
      log: [],
    };
    this.jobs.set(jobID, job);
    for (const id of ids) (this.servers.get(id) as Server).activeJobID = jobID;
    return job;
  }

  private maybeComplete(job: Job): void {
    if (job.status === 'COMPLETED') return;
    if (job.participants.every((p) => p.launchStatus !== 'PENDING' && p.launchStatus !== 'IN_PROGRESS')) {
      job.status = 'COMPLETED';
      job.endedAt = this.now();
      this.log(job, 'JOB_END');
      for (const p of job.participants) {
        const s = this.servers.get(p.sourceServerID);
        if (s && s.activeJobID === job.jobID) s.activeJobID = undefined;
      }
    }
  }

  /** StartTest / StartCutover: one LAUNCH job; each server converts and launches on its own timeline. */
  launch(kind: 'TEST' | 'CUTOVER', ids: string[], tags: Record<string, string>): Job {
    const job = this.newJob('LAUNCH', kind === 'TEST' ? 'START_TEST' : 'START_CUTOVER', ids, tags);
    const apiCall = { apiCallDateTime: iso(this.now()), jobID: job.jobID };
    for (const id of ids) {
      const s = this.servers.get(id) as Server;
      s.launches++;
      s.lastLaunch = { jobID: job.jobID, kind, status: 'IN_PROGRESS' };
      if (kind === 'TEST') {
        s.lifeCycle.state = 'TESTING';
        s.lifeCycle.lastTest = { initiated: apiCall };
      } else {
        s.lifeCycle.state = 'CUTTING_OVER';
        s.lifeCycle.lastCutover = { initiated: apiCall };
      }
    }
    const startAt = this.now() + (15 + this.requestRng.next() * 30) * S;
    this.clock.at(startAt, () => {
      job.status = 'STARTED';
      this.log(job, 'JOB_START');
      for (const p of job.participants) this.runLaunch(job, p, kind);
    });
    return job;
  }

  private runLaunch(job: Job, p: Participant, kind: 'TEST' | 'CUTOVER'): void {
    const s = this.servers.get(p.sourceServerID) as Server;
    const rng = createRng(this.seed, `launch/${s.id}/${s.launches}`);
    const failByFault = rng.chance(this.faults.launchFailRate);
    const injected = s.inject.failNextLaunch === true || (s.inject.failLaunches ?? 0) > 0;
    const fail = failByFault || injected;
    s.inject.failNextLaunch = undefined;
    if (s.inject.failLaunches) s.inject.failLaunches -= 1;
    const failAtConversion = rng.next() < 0.5;
    p.launchStatus = 'IN_PROGRESS';
    const sid = { sourceServerID: s.id };
    let t = this.now();
    const step = (ms: number, fn: () => void) => this.clock.at((t += ms), fn);
    if (s.launchedInstance?.ec2InstanceID) {
      const old = s.launchedInstance.ec2InstanceID;
      step(1 * S, () => this.log(job, 'CLEANUP_START', { ...sid, targetInstanceID: old }));
      step((40 + rng.next() * 60) * S, () => {
        this.log(job, 'CLEANUP_END', { ...sid, targetInstanceID: old });
        if (s.launchedInstance?.ec2InstanceID === old) s.launchedInstance = undefined;
      });
    }
    if (s.replicationType === 'SNAPSHOT_SHIPPING') {
      // agentless: the launch converts the last snapshot the vCenter client shipped; nothing newer exists
      step(2 * S, () => this.log(job, 'USING_PREVIOUS_SNAPSHOT', sid));
    } else {
      step(2 * S, () => this.log(job, 'SNAPSHOT_START', sid));
      step((30 + rng.next() * 90) * S, () => {
        this.log(job, 'SNAPSHOT_END', sid);
        if (s.repl.launchable) s.repl.lastSnapshotAt = this.now();
      });
    }
    const conversionServerID = this.ec2Id();
    step(5 * S, () => this.log(job, 'CONVERSION_START', { ...sid, conversionServerID }));
    const slow = this.slowLaunch(s);
    const conversionMs = (5 + rng.next() * 7) * MIN + (slow?.phase === 'conversion' ? slow.extraMs : 0);
    if (fail && failAtConversion) {
      step(conversionMs / 2, () => {
        this.log(job, 'CONVERSION_FAIL', { ...sid, conversionServerID, rawError: 'Failed to convert the boot volume' });
        this.finishLaunch(job, p, s, kind, undefined);
      });
      return;
    }
    step(conversionMs, () => this.log(job, 'CONVERSION_END', { ...sid, conversionServerID }));
    const instanceId = this.ec2Id();
    step(5 * S, () => this.log(job, 'LAUNCH_START', { ...sid, targetInstanceID: instanceId }));
    step((60 + rng.next() * 120) * S, () => {
      if (fail) {
        this.log(job, 'LAUNCH_FAILED', {
          ...sid,
          targetInstanceID: instanceId,
          rawError: 'InsufficientInstanceCapacity: not enough capacity for the requested instance type',
        });
        this.finishLaunch(job, p, s, kind, undefined);
      } else {
        this.finishLaunch(job, p, s, kind, instanceId, slow?.phase === 'boot' ? slow.extraMs : 0);
      }
    });
  }

  /**
   * The slow-launch fault (docs/adr/0002): whether this launch of `s` is slow, in which phase (conversion:
   * the launch result comes late; boot: the instance boots late, so post-launch verification waits), and by
   * how much, drawn log-uniformly in [slowLaunchMinS, slowLaunchMaxS]. A stream of its own per server and
   * launch, so the other draws of a run do not move when the knob is turned.
   */
  slowLaunch(s: Server, launch = s.launches): { phase: 'conversion' | 'boot'; extraMs: number } | undefined {
    const f = this.faults;
    const rng = createRng(this.seed, `slow-launch/${s.id}/${launch}`);
    if (!rng.chance(f.slowLaunchRate)) return undefined;
    const phase = rng.next() < 0.5 ? 'conversion' : 'boot';
    const lo = Math.max(1, f.slowLaunchMinS);
    const hi = Math.max(lo, f.slowLaunchMaxS);
    const extraS = lo * Math.exp(rng.next() * Math.log(hi / lo));
    return { phase, extraMs: Math.round(extraS * S) };
  }

  private finishLaunch(job: Job, p: Participant, s: Server, kind: 'TEST' | 'CUTOVER', instanceId: string | undefined, slowBootMs = 0): void {
    const ok = instanceId !== undefined;
    p.launchStatus = ok ? 'LAUNCHED' : 'FAILED';
    if (ok) p.launchedEc2InstanceID = instanceId;
    if (s.lastLaunch?.jobID === job.jobID) s.lastLaunch.status = ok ? 'LAUNCHED' : 'FAILED';
    if (ok && s.launchConfig.launchDisposition === 'STOPPED') {
      // launchDisposition STOPPED: the instance is launched and left stopped. It never boots, so firstBoot
      // says STOPPED and no post-launch action runs (they need the SSM agent of a running instance).
      s.launchedInstance = { ec2InstanceID: instanceId, jobID: job.jobID, firstBoot: 'STOPPED' };
    } else if (ok) {
      s.launchedInstance = { ec2InstanceID: instanceId, jobID: job.jobID, firstBoot: 'WAITING' };
      const rng = createRng(this.seed, `boot/${s.id}/${s.launches}`);
      this.clock.after((45 + rng.next() * 90) * S + slowBootMs, () => {
        if (s.launchedInstance?.ec2InstanceID === instanceId) s.launchedInstance.firstBoot = 'SUCCEEDED';
        this.runPostLaunchActions(s, p, kind, rng);
      });
    }
    this.maybeComplete(job);
    this.emitServerEvent(s, 'MGN Source Server Launch Result', {
      state: `${kind === 'TEST' ? 'TEST' : 'CUTOVER'}_LAUNCH_${ok ? 'SUCCEEDED' : 'FAILED'}`,
      'job-id': job.jobID,
    });
  }

  /** Post-launch actions run after the launch (the job is already COMPLETED) and finish one by one. */
  private runPostLaunchActions(s: Server, p: Participant, kind: 'TEST' | 'CUTOVER', rng: Rng): void {
    const deployment = s.launchConfig.postLaunchActions.deployment ?? 'TEST_AND_CUTOVER';
    // the deployment setting (test and cutover, test only, cutover only) covers every post-launch action of the server
    const runs = deployment === 'TEST_AND_CUTOVER' || (deployment === 'TEST_ONLY') === (kind === 'TEST');
    if (!runs) return;
    const docs: Record<string, unknown>[] = [];
    docs.push(...(s.launchConfig.postLaunchActions.ssmDocuments ?? []));
    for (const a of [...s.actions.values()].sort((x, y) => x.order - y.order)) {
      if (a.active === false) continue;
      docs.push({
        actionName: a.actionName,
        ssmDocumentName: a.documentIdentifier,
        timeoutSeconds: a.timeoutSeconds ?? 3600,
        mustSucceedForCutover: a.mustSucceedForCutover ?? true,
        ...(a.parameters ? { parameters: a.parameters } : {}),
      });
    }
    if (docs.length === 0) return;
    const list: PostLaunchActionStatus[] = docs.map((d) => ({
      ssmDocument: d,
      ssmDocumentType: String(d.ssmDocumentName).startsWith('AWS-') ? 'AUTOMATION' : 'COMMAND',
      executionStatus: 'IN_PROGRESS',
    }));
    const discoveryAt = this.now() + (30 + rng.next() * 60) * S;
    p.postLaunch = { ssmAgentDiscoveryAt: discoveryAt, list };
    let t = discoveryAt;
    for (const item of list) {
      this.clock.at(t, () => {
        item.executionID = `${this.idRng.hex(8)}-${this.idRng.hex(4)}-${this.idRng.hex(4)}-${this.idRng.hex(4)}-${this.idRng.hex(12)}`;
      });
      t += (1 + rng.next() * 4) * MIN;
      this.clock.at(t, () => {
        const failName = s.inject.failPostLaunchAction;
        if (failName && failName === item.ssmDocument.actionName) {
          s.inject.failPostLaunchAction = undefined;
          item.executionStatus = 'FAILED';
          item.failureReason = 'Step fails when it is verifying the command has completed.';
        } else {
          item.executionStatus = 'SUCCESS';
        }
      });
    }
  }

  /** TerminateTargetInstances: a TERMINATE job that removes each server's launched instance. */
  terminate(ids: string[], tags: Record<string, string>): Job {
    const job = this.newJob('TERMINATE', 'TERMINATE', ids, tags);
    this.clock.after((10 + this.requestRng.next() * 20) * S, () => {
      job.status = 'STARTED';
      this.log(job, 'JOB_START');
      for (const p of job.participants) {
        const s = this.servers.get(p.sourceServerID) as Server;
        p.launchStatus = 'IN_PROGRESS';
        const instance = s.launchedInstance?.ec2InstanceID;
        if (!instance) {
          this.log(job, 'SERVER_SKIPPED', { sourceServerID: s.id });
          p.launchStatus = 'TERMINATED';
          continue;
        }
        this.log(job, 'CLEANUP_START', { sourceServerID: s.id, targetInstanceID: instance });
        this.clock.after((40 + s.rng.next() * 80) * S, () => {
          this.log(job, 'CLEANUP_END', { sourceServerID: s.id, targetInstanceID: instance });
          if (s.launchedInstance?.ec2InstanceID === instance) s.launchedInstance = undefined;
          p.launchStatus = 'TERMINATED';
          p.launchedEc2InstanceID = instance;
          this.maybeComplete(job);
        });
      }
      this.maybeComplete(job);
    });
    return job;
  }

  // ---------------------------------------------------------------- events

  emitServerEvent(s: Server, detailType: string, detail: Record<string, unknown>): void {
    this.events.emit(this.events.build(detailType, [s.arn], detail));
  }

  // ---------------------------------------------------------------- render time (render.ts renders)

  /** Bumped by every state-changing request: render caches key on it. */
  mutations = 0;

  /**
   * "Now" as the service reports it: the agent reports progress and liveness on a heartbeat, so the
   * time-derived fields (lastSeenByServiceDateTime, replicated bytes, lag, elapsed duration) move in
   * heartbeat steps. Equal heartbeats render equal documents, which keeps large polls cheap.
   */
  renderTime(): number {
    return Math.floor(this.now() / this.heartbeatMs) * this.heartbeatMs;
  }

  /** Agent heartbeat in simulated ms (default 10 s). */
  heartbeatMs = 10_000;

  // ---------------------------------------------------------------- seed helpers

  private seedTemplates(): void {
    const lct = this.newId('lct');
    this.templates.set(lct, {
      id: lct,
      kind: 'lct',
      arn: this.arn('launch-configuration-template', lct),
      tags: {},
      body: {
        launchConfigurationTemplateID: lct,
        postLaunchActions: { deployment: 'TEST_AND_CUTOVER', ssmDocuments: [] },
        enableMapAutoTagging: false,
        launchDisposition: 'STARTED',
        targetInstanceTypeRightSizingMethod: 'BASIC',
        copyPrivateIp: false,
        associatePublicIpAddress: false,
        copyTags: true,
        licensing: { osByol: true },
        bootMode: 'USE_SOURCE',
        smallVolumeMaxSize: 0,
        smallVolumeConf: { volumeType: 'gp3' },
        largeVolumeConf: { volumeType: 'gp3' },
      },
    });
    const rct = this.newId('rct');
    this.templates.set(rct, {
      id: rct,
      kind: 'rct',
      arn: this.arn('replication-configuration-template', rct),
      tags: {},
      body: {
        replicationConfigurationTemplateID: rct,
        stagingAreaSubnetId: `subnet-${this.idRng.hex(17)}`,
        associateDefaultSecurityGroup: true,
        replicationServersSecurityGroupsIDs: [],
        replicationServerInstanceType: 't3.small',
        useDedicatedReplicationServer: false,
        defaultLargeStagingDiskType: 'GP3',
        ebsEncryption: 'DEFAULT',
        bandwidthThrottling: 0,
        dataPlaneRouting: 'PRIVATE_IP',
        createPublicIP: false,
        stagingAreaTags: {},
        useFipsEndpoint: false,
      },
    });
  }

  templateBody(kind: 'lct' | 'rct'): Record<string, unknown> {
    const t = [...this.templates.values()].find((x) => x.kind === kind) as Template;
    return t.body;
  }
}

export const MS = { S, MIN };
