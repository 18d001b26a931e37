import type { Rng } from './rng.ts';

/** In-memory state of the emulated MGN accounts (engine.ts changes it). Rendering to wire shapes is in render.ts. */

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

export type DataReplicationState =
  | 'STOPPED'
  | 'INITIATING'
  | 'INITIAL_SYNC'
  | 'BACKLOG'
  | 'CREATING_SNAPSHOT'
  | 'CONTINUOUS'
  | 'PAUSED'
  | 'RESCAN'
  | 'STALLED'
  | 'DISCONNECTED'
  /** Agentless (SNAPSHOT_SHIPPING): waiting for the next snapshot; the emulator's healthy agentless state. */
  | 'PENDING_SNAPSHOT_SHIPPING'
  /** Agentless: a snapshot is being shipped (rendered from the snapshot cycle, never stored). */
  | 'SHIPPING_SNAPSHOT';

export const INITIATION_STEPS = [
  ['WAIT', 30],
  ['CREATE_SECURITY_GROUP', 15],
  ['LAUNCH_REPLICATION_SERVER', 90],
  ['BOOT_REPLICATION_SERVER', 120],
  ['AUTHENTICATE_WITH_SERVICE', 20],
  ['DOWNLOAD_REPLICATION_SOFTWARE', 60],
  ['CREATE_STAGING_DISKS', 45],
  ['ATTACH_STAGING_DISKS', 30],
  ['PAIR_REPLICATION_SERVER_WITH_AGENT', 20],
  ['CONNECT_AGENT_TO_REPLICATION_SERVER', 20],
  ['START_DATA_TRANSFER', 10],
] as const;

export interface Disk {
  deviceName: string;
  bytes: number;
}

export interface SourceProperties {
  lastUpdatedDateTime: string;
  recommendedInstanceType: string;
  identificationHints: { fqdn: string; hostname: string; vmWareUuid?: string };
  networkInterfaces: { macAddress: string; ips: string[]; isPrimary: boolean }[];
  disks: Disk[];
  cpus: { cores: number; modelName: string }[];
  ramBytes: number;
  os: { fullString: string };
}

export interface Replication {
  state: DataReplicationState;
  /** Bumped on every transition: scheduled actions of an older generation are ignored. */
  gen: number;
  /** How many times replication was (re)started: seeds the stall decision of each run. */
  runs: number;
  initiationStart?: number;
  /** Simulated end time of each initiation step (cumulative). */
  stepEnds: number[];
  /** Index of the step that failed (stall during initiation). */
  failedStep?: number;
  nextAttemptAt?: number;
  /** Fraction of the disks replicated (0..1), as of phaseStart. */
  syncBase: number;
  phaseStart: number;
  /** A launchable snapshot exists: lagDuration is not null. */
  launchable: boolean;
  firstByteAt?: number;
  /** When the server last left CONTINUOUS (lag counts from here while not CONTINUOUS). */
  lagSince?: number;
  continuousSince?: number;
  lastSnapshotAt?: number;
  error?: { error: string; rawError: string };
  /** State to return to after a pause or a stall recovers. */
  resumeTo?: DataReplicationState;
  /** Injected backlog (tests): bytes written at the source not yet copied. */
  backlogBytes: number;
  disconnected: boolean;
}

export interface LaunchRecord {
  initiated?: { apiCallDateTime: string; jobID: string };
  reverted?: { apiCallDateTime: string };
  finalized?: { apiCallDateTime: string };
}

export interface ActionDocument {
  actionID: string;
  actionName: string;
  documentIdentifier: string;
  order: number;
  documentVersion?: string;
  active?: boolean;
  timeoutSeconds?: number;
  mustSucceedForCutover?: boolean;
  parameters?: Record<string, unknown>;
  externalParameters?: Record<string, unknown>;
  description?: string;
  category?: string;
}

export interface Server {
  id: string;
  arn: string;
  /** The account the server belongs to (MGN's global view: the home account or a managed one). */
  account: string;
  isArchived: boolean;
  tags: Record<string, string>;
  applicationID?: string;
  /** The id given at agent installation (--user-provided-id); MGN's import file names servers by it. */
  userProvidedID?: string;
  /** AGENT_BASED: continuous block replication by the agent; SNAPSHOT_SHIPPING: agentless, periodic vCenter snapshots. */
  replicationType: 'AGENT_BASED' | 'SNAPSHOT_SHIPPING';
  properties: SourceProperties;
  /** Cache of JSON.stringify(properties): they never change after seeding. */
  propertiesJson?: string;
  /** Last rendered JSON and the (clock version, mutations, render time) it was rendered for. */
  jsonCache?: { key: string; json: Buffer };
  osFamily: 'LINUX' | 'WINDOWS';
  lifeCycle: {
    state: LifeCycleState;
    addedToServiceAt: number;
    lastTest: LaunchRecord;
    lastCutover: LaunchRecord;
  };
  readyForTestEventSent: boolean;
  repl: Replication;
  launchedInstance?: { ec2InstanceID?: string; jobID: string; firstBoot: 'WAITING' | 'SUCCEEDED' | 'UNKNOWN' | 'STOPPED' };
  /** Outcome of this server's latest launch (test or cutover). */
  lastLaunch?: { jobID: string; kind: 'TEST' | 'CUTOVER'; status: 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' };
  activeJobID?: string;
  launches: number;
  launchConfig: Record<string, unknown> & { postLaunchActions: { deployment?: string; ssmDocuments?: Record<string, unknown>[] } };
  replicationConfig: Record<string, unknown>;
  actions: Map<string, ActionDocument>;
  quiescedAt?: number;
  inject: { failNextLaunch?: boolean; /** How many of the next launches fail. */ failLaunches?: number; failPostLaunchAction?: string };
  rng: Rng;
}

export type LaunchStatus = 'PENDING' | 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' | 'TERMINATED';

export interface PostLaunchActionStatus {
  ssmDocument: Record<string, unknown>;
  ssmDocumentType: 'AUTOMATION' | 'COMMAND';
  executionID?: string;
  executionStatus: 'IN_PROGRESS' | 'SUCCESS' | 'FAILED';
  failureReason?: string;
}

export interface Participant {
  sourceServerID: string;
  launchStatus: LaunchStatus;
  launchedEc2InstanceID?: string;
  postLaunch?: { ssmAgentDiscoveryAt?: number; list: PostLaunchActionStatus[] };
}

export interface JobLogItem {
  at: number;
  event: string;
  eventData?: { sourceServerID?: string; conversionServerID?: string; targetInstanceID?: string; rawError?: string };
}

export interface Job {
  jobID: string;
  arn: string;
  /** The account the job runs in (its servers'): quotas count per account. */
  account: string;
  type: 'LAUNCH' | 'TERMINATE';
  initiatedBy: 'START_TEST' | 'START_CUTOVER' | 'TERMINATE';
  createdAt: number;
  endedAt?: number;
  status: 'PENDING' | 'STARTED' | 'COMPLETED';
  tags: Record<string, string>;
  participants: Participant[];
  log: JobLogItem[];
}

export interface Wave {
  waveID: string;
  arn: string;
  account: string;
  name: string;
  description?: string;
  isArchived: boolean;
  createdAt: number;
  modifiedAt: number;
  tags: Record<string, string>;
}

export interface Application {
  applicationID: string;
  arn: string;
  account: string;
  name: string;
  description?: string;
  isArchived: boolean;
  createdAt: number;
  modifiedAt: number;
  tags: Record<string, string>;
  waveID?: string;
}

export interface Template {
  id: string;
  arn: string;
  kind: 'lct' | 'rct';
  body: Record<string, unknown>;
  tags: Record<string, string>;
}
