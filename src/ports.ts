/**
 * The small interfaces the core needs. src/core depends only on these; src/adapters/aws implements them on
 * the AWS SDK, and tests pass in-memory fakes.
 */

export type LifeCycleState =
  | 'STOPPED'
  | 'NOT_READY'
  | 'READY_FOR_TEST'
  | 'TESTING'
  | 'READY_FOR_CUTOVER'
  | 'CUTTING_OVER'
  | 'CUTOVER'
  | 'DISCONNECTED'
  | 'DISCOVERED'
  | 'PENDING_INSTALLATION';

/** What the core reads of a source server (a projection of MGN's SourceServer). */
export interface ServerView {
  id: string;
  hostname?: string;
  /** The FQDN MGN knows the server by (fqdnForActionFramework, else the identification hints). */
  fqdn?: string;
  /** The id given when the agent was installed (--user-provided-id): MGN's import file names servers by it. */
  userProvidedId?: string;
  isArchived: boolean;
  applicationId?: string;
  lifeCycle: LifeCycleState;
  /** MGN's replicationType: AGENT_BASED (continuous, the default when MGN says nothing) or SNAPSHOT_SHIPPING (agentless). */
  replicationType?: 'AGENT_BASED' | 'SNAPSHOT_SHIPPING';
  replication: {
    state: string;
    /** null when MGN reports no lag (not launchable). */
    lagSeconds: number | null;
    backlogBytes: number;
    error?: string;
    /** MGN's rawError with the stall (dataReplicationError.rawError). */
    rawError?: string;
    /** The initiation step MGN shows FAILED (dataReplicationInitiation.steps), during a stall in initiation. */
    failedStep?: string;
  };
  lastTest: { jobId?: string; initiatedAt?: string };
  lastCutover: { jobId?: string; initiatedAt?: string; finalizedAt?: string };
  launchedInstance?: { ec2InstanceId?: string; jobId?: string; firstBoot?: string };
  /** When replication began (MGN's free replication period counts from it). */
  replicationStartedAt?: string;
}

export type JobStatus = 'PENDING' | 'STARTED' | 'COMPLETED';

export interface JobView {
  id: string;
  type: 'LAUNCH' | 'TERMINATE';
  initiatedBy: string;
  status: JobStatus;
  createdAt: string;
  servers: {
    id: string;
    launchStatus: string;
    ec2InstanceId?: string;
    postLaunch?: { discovered: boolean; actions: { name: string; status: string; mustSucceedForCutover: boolean; failureReason?: string }[] };
  }[];
}

/** An AWS account id (12 digits): the account of an application's servers in MGN's global view. */
export type AccountId = string;

/** MGN as the core uses it. A refusal in the server's present state throws MgnConflictError; throttling or a 5xx TransientError (src/core/errors.ts). */
export interface MgnPort {
  /**
   * The same port scoped to one account of MGN's global view: every call it makes carries MGN's `accountID`.
   * `undefined` or `null` is the home account (the calls carry no accountID): this port itself.
   */
  forAccount(account: AccountId | null | undefined): MgnPort;
  /** The account this port is scoped to; undefined: the home account. */
  readonly account?: AccountId;
  /** The accounts of MGN's global view (ListManagedAccounts), the home account's own view included where MGN lists it. */
  listManagedAccounts(): Promise<AccountId[]>;
  describeServers(ids: readonly string[]): Promise<ServerView[]>;
  /** Every source server of the account (archived included): resolving a wave file's hostnames. */
  listServers(): Promise<ServerView[]>;
  /**
   * Apply launch settings (UpdateLaunchConfiguration) and post-launch actions (PutSourceServerAction); then
   * remove the actions named in `removeActionIds` that MGN still has (ListSourceServerActions, then
   * RemoveSourceServerAction): the ones an earlier plan put there and this plan no longer has. Returns the
   * ids removed.
   */
  applyLaunchSettings(id: string, launch: Record<string, unknown> | undefined, actions: Record<string, unknown>[] | undefined, removeActionIds?: readonly string[]): Promise<{ removed: string[] }>;
  describeJobs(ids: readonly string[]): Promise<JobView[]>;
  /** Jobs created at or after `since` (ISO), newest first. */
  jobsSince(since: string): Promise<JobView[]>;
  startTest(ids: readonly string[]): Promise<{ jobId: string }>;
  startCutover(ids: readonly string[]): Promise<{ jobId: string }>;
  terminateTargetInstances(ids: readonly string[]): Promise<{ jobId: string }>;
  changeLifeCycleState(id: string, state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER'): Promise<ServerView>;
  finalizeCutover(id: string): Promise<ServerView>;
  markAsArchived(id: string): Promise<ServerView>;
  retryDataReplication(id: string): Promise<ServerView>;
}

/** EC2 launch template settings of a server's target instance (the plan's `launchTemplate`). */
export interface LaunchTemplateSettings {
  instanceType?: string;
  subnetId?: string;
  securityGroupIds?: string[];
  privateIpAddress?: string;
  /** Tags of the launched instance. */
  tags?: Record<string, string>;
}

/**
 * The EC2 launch template MGN made for a source server (its launch configuration's ec2LaunchTemplateID):
 * brought to the settings by a new version set as default, only when its default version differs.
 */
export interface LaunchTemplatePort {
  apply(serverId: string, settings: LaunchTemplateSettings): Promise<{ templateId: string; version: number; changed: boolean }>;
}

/** An MGN Wave or Application as the plan mirror reads it (ListWaves / ListApplications). */
export interface MgnPlanItem {
  id: string;
  arn: string;
  name: string;
  isArchived: boolean;
  /** Applications: the wave it belongs to. */
  waveId?: string;
}

/**
 * MGN's own plan (Waves, Applications, server associations and tags), kept in step with the wave by
 * src/core/mgn-plan.ts. Lists cover the archived ones too.
 */
export interface MgnPlanPort {
  listWaves(): Promise<MgnPlanItem[]>;
  listApplications(): Promise<MgnPlanItem[]>;
  createWave(name: string, description: string, tags: Record<string, string>): Promise<MgnPlanItem>;
  createApplication(name: string, description: string, tags: Record<string, string>): Promise<MgnPlanItem>;
  unarchiveWave(id: string): Promise<void>;
  unarchiveApplication(id: string): Promise<void>;
  archiveWave(id: string): Promise<void>;
  archiveApplication(id: string): Promise<void>;
  associateApplications(waveId: string, applicationIds: readonly string[]): Promise<void>;
  disassociateApplications(waveId: string, applicationIds: readonly string[]): Promise<void>;
  associateServers(applicationId: string, serverIds: readonly string[]): Promise<void>;
  disassociateServers(applicationId: string, serverIds: readonly string[]): Promise<void>;
  /** The servers' ARN, application and tags (DescribeSourceServers). */
  describeServers(ids: readonly string[]): Promise<{ id: string; arn: string; applicationId?: string; tags: Record<string, string> }[]>;
  /** TagResource: adds or overwrites these tags. */
  tag(arn: string, tags: Record<string, string>): Promise<void>;
}

/** What a wait is waiting for (docs/adr, "Waiting for MGN"). */
export type WaitCondition =
  | { kind: 'READY_FOR_TEST' }
  /** DISCOVERED or PENDING_INSTALLATION: resolved once the agent is installed and replication starts. */
  | { kind: 'AGENT' }
  | { kind: 'LAUNCH_RESULT'; launch: 'TEST' | 'CUTOVER'; jobId: string }
  | { kind: 'POST_LAUNCH'; jobId: string }
  | { kind: 'JOB_DONE'; jobId: string }
  | { kind: 'CUTOVER_STATE' }
  | { kind: 'UNTIL'; at: string; reason: string }
  | { kind: 'READINESS'; maxLagSeconds: number }
  /** Arrived at an application's launch point; becomes LAUNCH_RESULT once the launch is made. */
  | { kind: 'LAUNCH_POINT'; pointId: string; launch: 'TEST' | 'CUTOVER' }
  /** Parked at an application's gate; the decision resolves every parked server. */
  | { kind: 'GATE'; gateId: string };

export interface OpenWait {
  serverId: string;
  executionArn: string;
  state: string;
  condition: WaitCondition;
  /** Secret: never logged, never returned by list operations meant for people. */
  token: string;
  createdAt: string;
  /** How long the callback task waits (its TimeoutSeconds), when the wait needs to know (the soak). */
  waitSeconds?: number;
  /** The server's account in MGN's global view (absent or null: the home account): the reconciler reads it there. */
  account?: AccountId | null;
}

export interface WaitStore {
  /** Record the server's open wait (one per server; a newer one replaces it). */
  put(wait: OpenWait): Promise<void>;
  get(serverId: string): Promise<OpenWait | undefined>;
  /** Every open wait; `consistent: false` reads an index (cheaper, may miss a wait written a moment ago). */
  list(opts?: { consistent?: boolean }): Promise<OpenWait[]>;
  /**
   * Take the wait if it is still the one given (same token): exactly one caller gets true. The winner then
   * resumes the execution; everybody else does nothing.
   */
  take(serverId: string, token: string): Promise<boolean>;
}

/** Resume a parked execution. A closed task (or a token that is none) throws TaskClosedError; a throttled call TransientError (src/core/errors.ts). */
export interface TaskCallbacks {
  succeed(token: string, output: unknown): Promise<void>;
  fail(token: string, error: string, cause: string): Promise<void>;
}

export interface Notifier {
  ops(message: { subject: string; text: string; key: string; attributes?: Record<string, string> }): Promise<void>;
}

export interface Clock {
  now(): Date;
  /** Wait this long (a handler waiting for a short-held lock instead of failing and being retried a minute later). */
  sleep?(ms: number): Promise<void>;
}

/**
 * Structured logs from the core: a constant message, the data in fields. On AWS it is the invocation's own
 * Powertools logger (functions/_lib/runtime.ts), so every line already carries the Lambda context and the
 * correlation keys (wave, application, server, execution). Task tokens and approval secrets are never logged
 * (the logger drops such keys anyway).
 */
export interface Log {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/** An application's launch point (docs/adr, "Applications move together"). */
export interface LaunchPoint {
  id: string;
  application: string;
  launch: 'TEST' | 'CUTOVER';
  expected: string[];
  arrived: string[];
  openedAt: string;
  /** Arrival timeout: after it, the servers present launch without the missing ones. */
  deadline: string;
  status: 'OPEN' | 'LAUNCHING' | 'LAUNCHED';
  /** LAUNCHING: when the launcher claimed it. A claim older than the lease is taken over (its holder failed). */
  claimedAt?: string;
  jobId?: string;
  launched?: string[];
  /**
   * A relaunch of the servers of one failed launch: that job. Members MGN shows launched in it will not come
   * (their launch succeeded), so the point does not wait for them.
   */
  job?: string;
  /** The application's account in MGN's global view (absent: the home account): the launch is made there. */
  account?: AccountId;
  /** Cutover only: checked again right before StartCutover (readiness of every server, the window). */
  guard?: { maxLagSeconds: number; window: { start: string; end: string } | null; freeze?: { start: string; end: string; reason?: string }[]; timeZone?: string };
}

export interface RendezvousStore {
  /** Create the point if absent and add the server to its arrivals; returns the point as it is now. */
  arrive(init: Omit<LaunchPoint, 'arrived' | 'status'>, serverId: string): Promise<LaunchPoint>;
  get(id: string): Promise<LaunchPoint | undefined>;
  /**
   * OPEN -> LAUNCHING at `at`: exactly one caller wins the right to launch. With `staleBefore`, a LAUNCHING
   * claim made before it is taken over too (its holder failed: a crashed Lambda, MGN reads that kept failing).
   */
  claim(id: string, at: string, staleBefore?: string): Promise<boolean>;
  /** LAUNCHING -> LAUNCHED with the job that was made. */
  launched(id: string, jobId: string, servers: string[]): Promise<void>;
  /** LAUNCHING -> OPEN: the launch could not be made now (quota); the reconciler tries again. */
  release(id: string): Promise<void>;
  /** Take a server's arrival back while the point is still OPEN (its execution stopped); false otherwise. */
  leave(id: string, serverId: string): Promise<boolean>;
  listOpen(): Promise<LaunchPoint[]>;
}

/** The gate kinds and decisions are the lifecycle's vocabulary (src/core/lifecycle.ts). */
export type { Decision, GateKind } from './core/lifecycle.ts';
import type { Decision, GateKind } from './core/lifecycle.ts';

export interface Gate {
  id: string;
  application: string;
  wave: string;
  gate: GateKind;
  servers: string[];
  allowed: Decision[];
  openedAt: string;
  deadline: string;
  /** EXPIRED: the deadline passed, or every execution parked there closed; no decision is taken any more. */
  status: 'OPEN' | 'DECIDED' | 'EXPIRED';
  decision?: GateDecision;
  /** N of the approvers must approve (`needed`); `rejects` rejections decide reject. Absent: one decision decides. */
  quorum?: { needed: number; rejects: number };
  /** The change id pattern the plan requires at this gate (an approval must carry a matching change id). */
  changeRef?: string;
  /** Every individual decision at a quorum gate, in order (one per approver). */
  votes?: GateVote[];
  /** Failure gates: the launch (MGN job) that failed; its members MGN shows launched will not come. */
  job?: string;
  evidence?: Record<string, unknown>;
  /** Who is asked (e-mail addresses): one link each. Empty: one link for the gate, to whoever the topic reaches. */
  approvers?: string[];
  /** When the decision is due from (the end of the soak for a sign-off requested when the soak starts); reminders count from it. */
  decisionFrom?: string;
  /** The cutover window the servers will launch in, shown as evidence. */
  window?: { start: string; end: string } | null;
  /** Servers parked at the gate (arrived and not gone): the request waits for all of them. */
  arrived?: string[];
  /** The wave's time zone: deadlines people read are shown in it (UTC when absent). */
  timeZone?: string;
  /** The application's account in MGN's global view (absent: the home account): its evidence is read there. */
  account?: AccountId;
}

/** A gate's decision (the one that released its servers). */
export interface GateDecision {
  decision: Decision;
  /** Who decided, as pages show it; at a quorum gate "2 of 3: Alice <a@x>, Bob <b@x>". */
  by: string;
  at: string;
  comment?: string;
  quiesced?: boolean;
  acceptMissing?: string[];
  terminateInstances?: boolean;
  /** Who was asked (the link's approver or the CLI's identity): the voter at a quorum gate. */
  approver?: string;
  changeRef?: string;
  /** The servers parked at the gate when it was decided (a retry relaunches them together; the sign-off's siblings terminate together). */
  released?: string[];
}

/** One person's decision at a quorum gate. */
export type GateVote = GateDecision & { approver: string };

export interface GateStore {
  /** Create the gate if absent; `created` tells the one caller that should send the request. */
  open(gate: Omit<Gate, 'status'>): Promise<{ created: boolean; gate: Gate }>;
  get(id: string): Promise<Gate | undefined>;
  /** OPEN -> DECIDED exactly once; false when already decided (or expired). */
  decide(id: string, decision: NonNullable<Gate['decision']>): Promise<boolean>;
  /**
   * One approver's decision at an open quorum gate (one atomic write: once per approver, only while OPEN): the
   * gate with every vote so far, or `recorded: false` (the gate as it is) when this approver already decided or
   * the gate is no longer open.
   */
  vote(id: string, vote: GateVote): Promise<{ recorded: boolean; gate: Gate }>;
  /** OPEN -> EXPIRED; false when it was not open. */
  expire(id: string): Promise<boolean>;
  /** Move an open gate's deadline and the time its decision is due from (a soak extended); false when it is not open. */
  reschedule(id: string, times: { deadline: string; decisionFrom: string }): Promise<boolean>;
  /** Record a server parked at the gate (one atomic write); the gate as it is now. */
  arrive(id: string, serverId: string): Promise<Gate>;
  /** A parked server's execution closed: it is no longer at the gate. */
  leave(id: string, serverId: string): Promise<void>;
  listOpen(): Promise<Gate[]>;
  /** Every gate of a wave, decided and expired too (the wave's evidence pack). */
  forWave(wave: string): Promise<Gate[]>;
}

/**
 * One approval link: (gate, approver) with the choices it allows, signed (HMAC) over all of these; the task
 * token is never part of it. Single-use: OPEN -> USED by one conditional write.
 */
export interface ApprovalLink {
  /** Opaque, random (128 bits, base64url). */
  id: string;
  gateId: string;
  /** The e-mail address it was sent to, or '*' for the gate's one link when the plan names nobody. */
  approver: string;
  choices: Decision[];
  expiresAt: string;
  /** The signing key's version (rotation: the previous key still verifies). */
  keyVersion: string;
  status: 'OPEN' | 'USED';
  used?: { by: string; at: string; decision: Decision };
}

export interface LinkStore {
  create(link: Omit<ApprovalLink, 'status' | 'used'>): Promise<void>;
  get(id: string): Promise<ApprovalLink | undefined>;
  /** OPEN -> USED exactly once; false when used already. */
  use(id: string, used: NonNullable<ApprovalLink['used']>): Promise<boolean>;
  /** USED -> OPEN: the decision it carried could not be recorded (an error, not a refusal). */
  release(id: string): Promise<void>;
  forGate(gateId: string): Promise<ApprovalLink[]>;
  /** Keep the link stored until its gate's (moved) deadline plus the usual week; its signed fields stay as they are. */
  keepUntil(id: string, until: string): Promise<void>;
}

/**
 * One decision in the audit log (DynamoDB, no TTL): self-contained, so it outlives the link record (kept a week
 * past its gate) it came through. Each gate kind records only its own fields.
 */
export interface AuditEntry {
  gateId: string;
  gate: GateKind;
  wave: string;
  application: string;
  decision: Decision;
  /**
   * Who was asked, as mgn-flow knows them: the link's approver (an e-mail address; '*' for the gate's one link
   * when the plan names nobody), or the CLI's caller identity (the STS ARN; locally `local:<--as>`).
   */
  approver: string;
  /** The name the person typed on the page, or gave with --as. */
  name: string;
  /** Name and approver as one line, as pages and messages show them ("Alice <alice@example.com>"). */
  by: string;
  at: string;
  comment?: string;
  /** 'link' (the approval page) or 'cli' (mgn-flow approvals, the decideGate Lambda). */
  channel: 'link' | 'cli';
  linkId?: string;
  sourceIp?: string;
  userAgent?: string;
  /** GO_NO_GO approve only. */
  quiesced?: boolean;
  /** GO_NO_GO approve only. */
  acceptMissing?: string[];
  /** FINALIZE reject only. */
  terminateInstances?: boolean;
  /** The change id the plan requires at this gate (e.g. CHG0001234). */
  changeRef?: string;
  /** With a quorum: this one decision and where the gate stood after it ("2 of 3 approve"). */
  quorum?: { needed: number; of: number; approvals: number; rejections: number; decided: boolean };
  /** The servers this entry released (empty for a decision that counted toward a quorum not yet met). */
  released: string[];
  /** The evidence as it was when decided (read from MGN at that moment, within the usual budget). */
  evidence?: import('./core/approvals.ts').GateEvidence;
}

/** Refused requests to the approval pages, counted per wave, gate and status (nothing of the request is kept). */
export interface RefusalCount {
  /** '-' when the request named no gate mgn-flow could tell (a forged or unknown link: 403). */
  wave: string;
  gateId: string;
  status: 400 | 403 | 409 | 410;
  count: number;
  firstAt: string;
  lastAt: string;
}

export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  list(gateId?: string): Promise<AuditEntry[]>;
  /** Count one refusal (one atomic add). */
  refused(r: { status: RefusalCount['status']; wave?: string; gateId?: string; at: string }): Promise<void>;
  refusals(): Promise<RefusalCount[]>;
}

/** An approval request or reminder, readable as plain-text e-mail. */
export interface ApprovalMessage {
  subject: string;
  text: string;
  /** Dedupe key: one message per key. */
  key: string;
  /** SNS subscription filter policies route on it: the approver's address, or 'any'. */
  approver: string;
  attributes?: Record<string, string>;
}

export interface ApprovalNotifier {
  approval(message: ApprovalMessage): Promise<void>;
}

/** A lease (DynamoDB conditional write with a TTL): one holder at a time; a crashed holder's lease expires. */
export interface Lock {
  acquire(key: string, ttlSeconds: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

/** The keys approval links are signed with: the current one signs, current and previous verify (rotation). */
export interface SigningKeys { current(): Promise<{ version: string; key: Buffer }>; all(): Promise<{ version: string; key: Buffer }[]> }

/** MGN's quotas as Service Quotas reports them for this account (never hard-coded: they can be raised). */
export interface QuotaPort {
  /** Max Active Source Servers (L-9A599620), concurrent jobs (L-FE2EBE17), servers in all active jobs (L-4FF77426), servers per application (L-90A3F9F5). */
  mgnLimits(): Promise<{ replicatingServers: number; concurrentJobs: number; serversInActiveJobs: number; serversPerApplication: number }>;
}

/** Server-lifecycle executions, as the wave starts and watches them (Step Functions). */
export interface ExecutionPort {
  /** Start `name`; when it exists already, its current status instead (AWS: ExecutionAlreadyExists). */
  start(name: string, input: unknown): Promise<{ executionArn: string; started: boolean; status: ExecutionStatus }>;
  describe(executionArn: string): Promise<{ status: ExecutionStatus; error?: string; cause?: string } | undefined>;
  stop(executionArn: string, cause: string): Promise<void>;
  arnFor(name: string): string;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

/** One server's place in a wave: its latest execution and how it ended. */
export interface ServerOutcome {
  wave: string;
  serverId: string;
  application: string;
  attempt: number;
  executionArn: string;
  /** The wave execution that started it (a wave run again restarts what failed in an earlier run). */
  waveRun: string;
  status: ExecutionStatus;
  /** false between recording a start and Step Functions confirming it (a start to make again). */
  confirmed?: boolean;
  /** The post-launch action ids the plan put on the server at this admission (the next one removes the ones dropped). */
  postLaunchActionIds?: string[];
  error?: string;
  cause?: string;
  at: string;
}

/** Why a server waited (a freeze, the cutover window, readiness), for the wave report. */
export interface HoldRecord {
  wave: string;
  serverId: string;
  reason: string;
  from: string;
  until?: string;
}

export interface WaveStore {
  putDefinition(wave: import('./core/wave-file.ts').Wave): Promise<void>;
  getDefinition(name: string): Promise<import('./core/wave-file.ts').Wave | undefined>;
  /** Every stored wave (the dashboard shows each application of each, started or not). */
  listDefinitions(): Promise<import('./core/wave-file.ts').Wave[]>;
  /** Record a server's outcome; an older attempt never overwrites a newer one, RUNNING never overwrites an end. */
  recordOutcome(o: ServerOutcome): Promise<void>;
  outcomes(wave: string): Promise<ServerOutcome[]>;
  /** The outcomes still RUNNING, of every wave: which wave runs a server now. */
  runningOutcomes(): Promise<ServerOutcome[]>;
  /** One server's outcome in the wave (a point read). */
  outcome(wave: string, serverId: string): Promise<ServerOutcome | undefined>;
  recordHold(h: HoldRecord): Promise<void>;
  holds(wave: string): Promise<HoldRecord[]>;
  /** The wave execution parks here until a server's execution ends (one parked token per wave). */
  park(wave: string, token: string): Promise<void>;
  /** Take the parked token (exactly once); undefined when none is parked. */
  unpark(wave: string): Promise<string | undefined>;
  putReport(wave: string, report: unknown): Promise<void>;
  getReport(wave: string): Promise<unknown>;
}

/**
 * One stall of a server's data replication, as mgn-flow saw it in MGN (docs/adr/0004, "Stalls"): when it
 * began and ended, MGN's dataReplicationError, the initiation step that failed, and who noticed (MGN's event
 * or the reconciler, when the event was lost).
 */
export interface StallEpisode {
  serverId: string;
  startedAt: string;
  endedAt?: string;
  durationSeconds?: number;
  error?: string;
  rawError?: string;
  failedStep?: string;
  /** What told mgn-flow: MGN's "Data Replication Stalled Change" event, or the reconciler reading MGN. */
  detectedBy: 'event' | 'reconcile';
  endedBy?: 'event' | 'reconcile' | 'restall';
  /** After the go/no-go (source quiesced): evidence only, no alert, no retry. */
  evidenceOnly?: boolean;
  /** When mgn-flow asked MGN to retry replication (RetryDataReplication) in this episode. */
  retriedAt?: string;
  /** Ops were told. */
  alerted?: boolean;
}

/** The stall history, per server (evidence for approvers and `wave status`). */
export interface StallStore {
  /** Every episode of the server, oldest first (the last ones, at most 50). */
  list(serverId: string): Promise<StallEpisode[]>;
  /** The servers with an open episode (one index query: the reconciler reads no history of a healthy server). */
  openServers(): Promise<string[]>;
  /** Open an episode unless one is open: true if this call opened it. */
  start(episode: StallEpisode): Promise<boolean>;
  /** Record on the open episode (started at `startedAt`) that replication was retried / ops were told. */
  mark(serverId: string, startedAt: string, fields: { retriedAt?: string; alerted?: boolean }): Promise<void>;
  /** End the open episode (started at `startedAt`): false if it is not open any more. */
  end(serverId: string, startedAt: string, at: string, by: NonNullable<StallEpisode['endedBy']>): Promise<boolean>;
}

/**
 * Business metrics (CloudWatch, as Embedded Metric Format on AWS): counts and durations with a few
 * low-cardinality dimensions; wave, application and server go in as metadata (searchable in the logs, not
 * dimensions). The names are src/core/metrics.ts's.
 */
export interface MetricsPort {
  add(name: string, unit: 'Count' | 'Seconds', value: number, dimensions?: Record<string, string>, metadata?: Record<string, string>): void;
}

/** Keys seen once within a time (a conditional put with a TTL on the state table). */
export interface Dedupe {
  /** True the first time `key` is seen within `ttlSeconds`. */
  once(key: string, ttlSeconds: number): Promise<boolean>;
  /** Forget `key` (the work it guarded failed, so the next attempt may do it). */
  forget(key: string): Promise<void>;
}

/** The settings use cases read (the adapters parse them from the environment, with the rest of their configuration). */
export interface Settings {
  /** RetryDataReplication attempts per stall episode before only ops are told. */
  maxStallRetries: number;
}

/**
 * Every port, as an adapter builds them once per container (src/adapters/aws/deps.ts on AWS and on the local
 * cloud, test/helpers/fakes.ts in memory). A use case takes the `Pick` it needs.
 */
export interface Deps {
  mgn: MgnPort;
  /** MGN's Waves and Applications, server associations and tags (the plan mirror). */
  mgnPlan: MgnPlanPort;
  /** The EC2 launch template MGN made for each server: the plan's instance type, subnet, security groups, private IP, tags. */
  launchTemplates: LaunchTemplatePort;
  waits: WaitStore;
  points: RendezvousStore;
  gates: GateStore;
  /** The stall history per server (episodes, durations, MGN's error, the failing step). */
  stalls: StallStore;
  callbacks: TaskCallbacks;
  notifier: Notifier;
  /** Approval links (single use), the audit log, the link signing keys, approval messages. */
  links: LinkStore;
  audit: AuditLog;
  keys: SigningKeys;
  approvals: ApprovalNotifier;
  approvalBaseUrl: string;
  /** Waves: definitions, outcomes, holds, the parked wave token, reports; the server executions; MGN's quotas. */
  waves: WaveStore;
  executions: ExecutionPort;
  quotas: QuotaPort;
  /** Business metrics (EMF on stdout). */
  metrics: MetricsPort;
  clock: Clock;
  /** Leases on the state table (the launch job-slot limiter). */
  lock: Lock;
  /** True the first time `key` is seen within `ttlSeconds`. */
  onceKey: Dedupe['once'];
  dedupe: Dedupe;
  config: Settings;
}

/** What a wave source reads a wave against: MGN's servers and quotas as they are now, and MGN's own plan. */
export interface WaveSourceContext {
  /** What DescribeSourceServers lists (all of them, archived included). */
  servers: readonly ServerView[];
  quotas: { replicatingServers: number; serversPerApplication?: number };
  now: Date;
  /** MGN's waves and applications (a source that is MGN's own wave reads them). */
  mgnPlan: Pick<MgnPlanPort, 'listWaves' | 'listApplications'>;
  /**
   * MGN's global view for the accounts a wave names: the accounts ListManagedAccounts lists, and the servers
   * of each named account that is managed. Undefined when it names none (nothing is read).
   */
  globalView(named: readonly AccountId[]): Promise<{ managed: string[]; servers: Map<string, ServerView[]> } | undefined>;
}

/**
 * Where a wave comes from: a wave file, MGN's own wave, MGN's import file (src/core/wave-start.ts makes
 * each). `load` returns the wave whole and valid, or throws (WaveFileError, WaveInvalidError,
 * MgnWaveNotFoundError): nothing starts from half a wave.
 */
export interface WaveSource {
  readonly kind: 'file' | 'mgn-wave' | 'mgn-import';
  /** What it is, for messages: the file's path, or `MGN wave <id-or-name>`. */
  readonly label: string;
  load(ctx: WaveSourceContext): Promise<import('./core/wave-file.ts').Wave>;
}

/** One-time schedules that start a wave (EventBridge Scheduler on AWS). */
export interface WaveSchedules {
  /** Schedule `wave` to start at `when` (`local`: the time as it was asked, for the description); throws WaveAlreadyScheduledError. */
  create(s: { wave: string; when: Date; local: string }): Promise<{ executionName: string; expression: string }>;
  /** Delete the wave's schedule: false when there is none (it fired and was deleted, or never was). */
  cancel(wave: string): Promise<boolean>;
  /** The schedules still to fire. */
  pending(): Promise<{ wave: string; when: Date; execution: string; enabled: boolean }[]>;
  /** The wave executions schedules started (`<wave>-at-<stamp>`), with their status. */
  fired(): Promise<{ wave: string; when: Date; execution: string; status: string }[]>;
}
