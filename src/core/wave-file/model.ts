/** The resolved wave: what a wave file (or MGN's own plan) becomes once both passes succeed. */

import type { LaunchTemplateSettings } from '../../ports.ts';
import type { ApproverKey } from '../lifecycle.ts';
import type { ApprovalGate } from '../contracts.ts';

// ---------------------------------------------------------------------------------------------------------
// the resolved wave

export type FailurePolicy = 'continue' | 'hold' | 'stop';

export interface WaveDefaults {
  /** Days of soak after the test launch, unless signed off earlier. */
  soakDays: number;
  /** How many applications the wave migrates at once (MGN's job quotas still apply). */
  concurrency: number;
  /** What the wave does when an application fails: carry on, hold new admissions, or stop. */
  failurePolicy: FailurePolicy;
  /** Archive each server in MGN once its cutover is finalized. */
  archive: boolean;
  /** Keep MGN's Waves and Applications in step with the wave and tag its servers (default true). */
  syncMgnPlan?: boolean;
  /** Archive the wave's MGN applications and MGN wave when the wave ends complete (default true). */
  archiveMgnPlan?: boolean;
}

export const WAVE_DEFAULTS: Readonly<WaveDefaults> = Object.freeze({ soakDays: 14, concurrency: 10, failurePolicy: 'hold', archive: true });

/** What mgn-flow sets with UpdateLaunchConfiguration before the test launch (nothing of the EC2 launch template). */
export interface LaunchSettings {
  targetInstanceTypeRightSizingMethod?: 'NONE' | 'BASIC' | 'IN_AWS';
  licensing?: { osByol: boolean };
  bootMode?: 'LEGACY_BIOS' | 'UEFI' | 'USE_SOURCE';
  copyPrivateIp?: boolean;
  copyTags?: boolean;
  launchDisposition?: 'STOPPED' | 'STARTED';
  /** Which launches run the post-launch actions (MGN's postLaunchActions.deployment): TEST_ONLY limits them to test launches. */
  postLaunchActionsDeployment?: 'TEST_AND_CUTOVER' | 'TEST_ONLY' | 'CUTOVER_ONLY';
}

export interface SsmParameter {
  parameterType: 'STRING' | 'SECURE_STRING';
  parameterName: string;
}

/** A post-launch action, as PutSourceServerAction takes it (actionId derived from the name unless given). */
export interface PostLaunchAction {
  actionId: string;
  actionName: string;
  documentIdentifier: string;
  documentVersion?: string;
  order: number;
  active: boolean;
  mustSucceedForCutover: boolean;
  timeoutSeconds?: number;
  parameters?: Record<string, SsmParameter[]>;
}

/** Per list of approvers (src/core/lifecycle.ts, APPROVER_KEYS): the people on it. */
export type Approvers = Record<ApproverKey, string[]>;

/** A change board's rules for a wave's approval gates (docs/adr/0007, "Change boards"). */
export interface ApprovalRules {
  /** Per gate: how many of its people must approve, how many rejections decide reject (1 unless set). */
  quorum?: Partial<Record<ApprovalGate, { quorum: number; rejects: number }>>;
  /** The gates whose approval needs a change id, and the pattern it must match. */
  changeRef?: { gates: ApprovalGate[]; pattern: string };
}

/** A window of time: UTC instants (ISO), and the zone it was written in (for people). */
export interface TimeWindow {
  start: string;
  end: string;
  timeZone: string;
}

export interface FreezeWindow extends TimeWindow {
  reason?: string;
}

export interface WaveServer {
  id: string;
  hostname?: string;
  /** The application's settings with the server's on top; absent when nothing is to be set. */
  launch?: LaunchSettings;
  postLaunchActions?: PostLaunchAction[];
  /** EC2 launch template settings: the application's with the server's on top (tags merged). */
  launchTemplate?: LaunchTemplateSettings;
}

export interface WaveApplication {
  name: string;
  /** MGN's applicationID, for a wave read from MGN. */
  id?: string;
  canary: boolean;
  /** A standalone server: an application of one, named after the server. */
  standalone: boolean;
  /**
   * The AWS account of its servers in MGN's global view (absent: the account mgn-flow runs in): every MGN call
   * for them carries MGN's accountID, and the job-slot limiter counts its jobs apart.
   */
  account?: string;
  servers: WaveServer[];
}

export interface Wave {
  name: string;
  timeZone: string;
  /** mgn-import: MGN's import file (CSV), `name` the wave's name there (mgn:wave:name). */
  source: { kind: 'file'; file: string } | { kind: 'mgn'; waveId: string; name: string } | { kind: 'mgn-import'; file: string; name: string };
  defaults: WaveDefaults;
  cutoverWindow: TimeWindow | null;
  approvers: Approvers;
  /** Quorums and change ids, when the wave file sets any. */
  rules?: ApprovalRules;
  /** Who gets the ops messages of this wave (holds, failures, escalations); the local cloud subscribes them. */
  ops?: string[];
  freeze: FreezeWindow[];
  applications: WaveApplication[];
}
