import { APPROVER_KEYS, type ApproverKey, GATE_KINDS, isFailureGate, noApprovers } from './lifecycle.ts';
import { z } from 'zod';
import { ACCOUNT_ID, SERVER_ID, SERVER_ID_EXAMPLE } from './ids.ts';

/** Contracts between the state machine and its tasks: defined once, used by handlers and tests. */

/**
 * Every bound a person can reach from a wave file, defined once: the plan below and the wave file
 * (wave-file.ts) both read them, so the wave file refuses exactly what the plan would (docs/adr/0006-waves.md).
 */
export const LIMITS = Object.freeze({
  /** Application (and wave) names as the executions carry them. */
  nameChars: 128,
  /** E-mail addresses asked per gate (one link each). */
  approversPerGate: 20,
  emailChars: 254,
  /** Whole days of soak: at least one (a sign-off ends it earlier), at most MGN's 90-day free replication period. */
  soakDays: Object.freeze({ min: 1, max: 90 }),
  freezeWindows: 100,
  freezeReasonChars: 200,
  /**
   * The longest single callback wait: the local cloud's timers overflow above 24.8 days (docs/adr/0001). A soak
   * longer than this is chained in parts of `soakPartSeconds` (the Soak state re-enters with what is left).
   */
  oneWaitSeconds: 2_000_000,
  /** One part of a chained soak (20 days); the ASL's SoakPart choice uses the same number. */
  soakPartSeconds: 1_728_000,
  /** A change id as typed (CHG0001234, a Jira key, ...), and the plan's pattern for it. */
  changeRefChars: 64,
  changeRefPatternChars: 200,
  /** A name typed on the page or given with --as, and a comment. */
  typedNameChars: 100,
  commentChars: 2000,
});

/** The longest soak, extensions included. */
export const MAX_SOAK_SECONDS = LIMITS.soakDays.max * 86400;

/** What the plan and the wave file accept as an e-mail address. */
export const EMAIL_PATTERN = /^[^\s@<>"',;]+@[^\s@<>"',;]+\.[^\s@<>"',;]+$/;

const ServerId = z.string().regex(SERVER_ID, `a source server id such as ${SERVER_ID_EXAMPLE}`);
const Token = z.string().min(1).max(1024);
/**
 * The account of the server's application in MGN's global view (12 digits), null for the home account. Every
 * input naming a server carries it (the state machine passes `$.plan.account`): the handler's MGN port is scoped
 * to it (functions/_lib/runtime.ts), so every MGN call for the server carries MGN's accountID.
 */
export const Account = z.string().regex(ACCOUNT_ID, 'an AWS account id of 12 digits').nullable().default(null);
const Name = z.string().min(1).max(LIMITS.nameChars);
const Email = z.string().regex(EMAIL_PATTERN, 'an e-mail address such as alice@example.com').max(LIMITS.emailChars);

/** Who decides each gate (one link each); failure gates ask the approvers of the launch that failed. */
/** A blackout window: no cutover and no finalize starts inside it. */
export const FreezeWindow = z.object({ start: z.string().datetime(), end: z.string().datetime(), reason: z.string().max(LIMITS.freezeReasonChars).optional() });

/** The gates a plan can ask for quorums and change ids at (the failure gates are decided by one person). */
export const APPROVAL_GATES = APPROVER_KEYS;
export type ApprovalGate = ApproverKey;

/** Is `pattern` a regular expression JavaScript compiles (the plan's change id pattern)? */
export function compiles(pattern: string): boolean {
  try {
    new RegExp(pattern, 'u');
    return true;
  } catch {
    return false;
  }
}

export const ChangeRefPattern = z.string().min(1).max(LIMITS.changeRefPatternChars).refine(compiles, 'a regular expression such as ^CHG[0-9]{7}$');

/**
 * A gate's approvers with its rules, as the execution carries them: `people` (one link each), how many of them
 * must approve (`quorum`), how many rejections decide reject (`rejects`, 1 unless the plan says otherwise) and
 * the change id pattern when the plan requires one at this gate.
 */
export const GatePolicy = z
  .object({
    people: z.array(Email).max(LIMITS.approversPerGate).default([]),
    quorum: z.number().int().min(1).max(LIMITS.approversPerGate).default(1),
    rejects: z.number().int().min(1).max(LIMITS.approversPerGate).default(1),
    changeRef: ChangeRefPattern.optional(),
  })
  .refine((p) => p.quorum <= Math.max(1, p.people.length), { message: 'quorum: at most the number of people named', path: ['quorum'] })
  .refine((p) => p.rejects <= Math.max(1, p.people.length), { message: 'rejects: at most the number of people named', path: ['rejects'] });
export type GatePolicy = z.infer<typeof GatePolicy>;

/** A gate's approvers: the plain list of e-mail addresses (one approval decides), or a GatePolicy. */
export const GateApprovers = z.union([z.array(Email).max(LIMITS.approversPerGate), GatePolicy]);

/** Any gate's approvers as a policy (the plain list: each one alone decides). */
export function policyOf(a: z.infer<typeof GateApprovers> | undefined): GatePolicy {
  if (!a) return { people: [], quorum: 1, rejects: 1 };
  return Array.isArray(a) ? { people: a, quorum: 1, rejects: 1 } : a;
}

const approverList = GateApprovers.default([]);
export const Approvers = z.object(Object.fromEntries(APPROVER_KEYS.map((k) => [k, approverList])) as Record<ApproverKey, typeof approverList>);

export const Condition = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('READY_FOR_TEST') }),
  z.object({ kind: z.literal('AGENT') }),
  z.object({ kind: z.literal('LAUNCH_RESULT'), launch: z.enum(['TEST', 'CUTOVER']), jobId: z.string().min(1) }),
  z.object({ kind: z.literal('POST_LAUNCH'), jobId: z.string().min(1) }),
  z.object({ kind: z.literal('JOB_DONE'), jobId: z.string().min(1) }),
  z.object({ kind: z.literal('CUTOVER_STATE') }),
  z.object({ kind: z.literal('UNTIL'), at: z.string().datetime(), reason: z.string() }),
  z.object({ kind: z.literal('READINESS'), maxLagSeconds: z.number().nonnegative() }),
]);

/**
 * The correlation keys every Task of a state machine passes as `ctx` (the same object in every Task's
 * payload): the execution, and the wave, application and server it runs for, from the execution's input. A
 * handler's log lines all carry them (functions/_lib/runtime.ts takes `ctx` off the event before the
 * handler's own contract parses the rest). The wave machine has no application or server.
 */
export const Ctx = z.object({ execution: z.string().min(1).max(2048), wave: Name.optional(), application: Name.optional(), server: ServerId.optional() });
export type Ctx = z.infer<typeof Ctx>;

const WaitBase = { token: Token, executionArn: z.string().min(1), state: Name, serverId: ServerId, account: Account };

/**
 * `checkNow: false` when the wait follows the action that starts what it waits for (a job made a moment ago,
 * an instance still booting): the at-once check could not succeed, so it is skipped; events and the
 * reconciler resolve it.
 */
export const AwaitConditionInput = z.object({ ...WaitBase, condition: Condition, checkNow: z.boolean().default(true) });

export const ArriveAtLaunchPointInput = z.object({
  ...WaitBase,
  wave: Name,
  application: Name,
  launch: z.enum(['TEST', 'CUTOVER']),
  round: z.string().min(1),
  members: z.array(ServerId).min(1).max(200),
  arrivalTimeoutSeconds: z.number().int().positive(),
  /**
   * A relaunch (docs/adr/0004, "Failure gates per application"): the launch that failed (`job`; with the round,
   * it names the failure gate that may have decided the relaunch). The servers of one failed launch, or those
   * one retry released, relaunch together; a server alone relaunches alone.
   */
  regroup: z.object({ job: z.string().min(1).nullable() }).optional(),
  guard: z
    .object({ maxLagSeconds: z.number().nonnegative(), window: z.object({ start: z.string().datetime(), end: z.string().datetime() }).nullable(), freeze: z.array(FreezeWindow).max(LIMITS.freezeWindows).default([]), timeZone: z.string().min(1).max(64).optional() })
    .optional(),
});

export const ArriveAtGateInput = z.object({
  ...WaitBase,
  wave: Name,
  application: Name,
  gate: z.enum(GATE_KINDS),
  round: z.string().min(1),
  members: z.array(ServerId).min(1).max(200),
  timeoutSeconds: z.number().int().positive(),
  waitSeconds: z.number().int().positive().optional(),
  /** The plan's approvers for the gate: a list, or a policy with a quorum and a change id pattern. */
  approvers: GateApprovers.optional(),
  window: z.object({ start: z.string().datetime(), end: z.string().datetime() }).nullable().optional(),
  /** The wave's time zone, for the deadline people read. */
  timeZone: z.string().min(1).max(64).optional(),
  /** Failure gates: the launch (MGN job) that failed, if any; the gate gathers its failed servers. */
  job: z.string().min(1).nullable().optional(),
}).transform(({ approvers, ...a }) => {
  // a quorum and a change id belong to approve/reject gates; a failure gate is decided by one person
  const p = policyOf(approvers);
  const approval = !isFailureGate(a.gate);
  return {
    ...a,
    approvers: p.people,
    ...(approval && (p.quorum > 1 || p.rejects > 1) ? { quorum: { needed: p.quorum, rejects: p.rejects } } : {}),
    ...(approval && p.changeRef ? { changeRef: p.changeRef } : {}),
  };
});

export const LastLookInput = z.object({ serverId: ServerId, account: Account, condition: Condition });
export const ConfirmLaunchInput = z.object({
  serverId: ServerId,
  account: Account,
  launch: z.enum(['TEST', 'CUTOVER']),
  /** The execution's start: launches before it belong to an earlier run. */
  since: z.string().datetime(),
  /** The job whose result the execution already followed (null: none yet). */
  after: z.string().min(1).nullable().default(null),
  stuckAfterSeconds: z.number().int().positive(),
});
export const ServerInput = z.object({ serverId: ServerId, account: Account });
/** `signoffGate`: the sign-off that approved this server; the siblings it released are terminated with it. */
export const TerminateInput = z.object({ serverId: ServerId, account: Account, members: z.array(ServerId).min(1).max(200).optional(), signoffGate: z.string().min(1).max(600).optional() });
export const RouteInput = z.object({ serverId: ServerId, account: Account, archive: z.boolean(), soakSeconds: z.number().int().positive() });
export const RevertInput = z.object({ serverId: ServerId, account: Account, to: z.enum(['READY_FOR_TEST', 'READY_FOR_CUTOVER']), terminate: z.boolean().default(false) });
export const ReadinessInput = z.object({ serverId: ServerId, account: Account, maxLagSeconds: z.number().nonnegative() });
export const WindowInput = z.object({
  window: z.object({ start: z.string().datetime(), end: z.string().datetime() }).nullable().optional(),
  freeze: z.array(FreezeWindow).max(LIMITS.freezeWindows).optional(),
  /** Given with the freeze: a freeze hold is recorded for the wave report. */
  serverId: ServerId.optional(),
  account: Account,
  wave: Name.optional(),
});
export const FinalizeInput = z.object({ serverId: ServerId, account: Account, wave: Name.optional(), freeze: z.array(FreezeWindow).max(LIMITS.freezeWindows).default([]), timeZone: z.string().min(1).max(64).optional() });
/** `timeZone`: the wave's; a detail that is a time (a window opening) is written in it, to the minute. */
export const NotifyInput = z.object({ serverId: ServerId, account: Account, application: Name, wave: Name, event: z.string().min(1).max(200), detail: z.string().max(2000), timeZone: z.string().max(64).optional() });
export const DecideInput = z.object({
  gateId: z.string().min(1),
  decision: z.enum(['approve', 'reject', 'retry', 'rollback', 'stop']),
  by: z.string().min(1).max(200),
  /** The decider's own name, when `by` is an identity (default: `by`). */
  name: z.string().min(1).max(LIMITS.typedNameChars).optional(),
  comment: z.string().max(LIMITS.commentChars).optional(),
  changeRef: z.string().min(1).max(LIMITS.changeRefChars).optional(),
  quiesced: z.boolean().optional(),
  acceptMissing: z.array(ServerId).optional(),
  terminateInstances: z.boolean().optional(),
});

/** What a server execution starts with (the wave's launcher builds it; tests and the CLI too). */
export const Plan = z.object({
  soakSeconds: z.number().int().positive().max(MAX_SOAK_SECONDS).default(14 * 86400),
  cutoverWindow: z.object({ start: z.string().datetime(), end: z.string().datetime() }).nullable().default(null),
  maxTestLaunches: z.number().int().min(1).max(10).default(3),
  maxLagSeconds: z.number().nonnegative().default(300),
  archive: z.boolean().default(true),
  arrivalTimeoutSeconds: z.number().int().positive().default(3600),
  gateTimeoutSeconds: z.number().int().positive().max(2_000_000).default(7 * 86400),
  readyTimeoutSeconds: z.number().int().positive().max(2_000_000).default(14 * 86400),
  launchTimeoutSeconds: z.number().int().positive().default(3 * 3600),
  verifyTimeoutSeconds: z.number().int().positive().default(2 * 3600),
  jobTimeoutSeconds: z.number().int().positive().default(3 * 3600),
  windowHoldTimeoutSeconds: z.number().int().positive().max(2_000_000).default(14 * 86400),
  readinessHoldTimeoutSeconds: z.number().int().positive().default(6 * 3600),
  approvers: Approvers.default(noApprovers()),
  /** Blackout windows: no cutover and no finalize starts inside one (checked right before the call). */
  freeze: z.array(FreezeWindow).max(LIMITS.freezeWindows).default([]),
  /** The wave's time zone: times people read (deadlines in requests and on pages) are shown in it. */
  timeZone: z.string().min(1).max(64).default('UTC'),
  /** The application's account in MGN's global view (null: the home account); every server input carries it. */
  account: Account,
}).refine((p) => p.launchTimeoutSeconds >= p.arrivalTimeoutSeconds + 1800, {
  message: 'launchTimeoutSeconds must exceed arrivalTimeoutSeconds by at least 1800 s: a launch point waits for the arrivals, then for the launch',
  path: ['launchTimeoutSeconds'],
});

export const ServerRun = z.object({
  wave: Name,
  application: Name,
  serverId: ServerId,
  members: z.array(ServerId).min(1).max(200),
  attempt: z.number().int().min(1).default(1),
  plan: Plan,
});
export type ServerRun = z.infer<typeof ServerRun>;
