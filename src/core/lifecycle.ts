/**
 * The lifecycle's vocabulary, in one place (docs/design.md, "The lifecycle's vocabulary"): every gate kind
 * with who decides it, what it asks, what it allows and how it behaves; every state of the server lifecycle
 * the code names, with its role; the dashboard's phases. The contracts' enums, the gate mechanics, the
 * approval messages and pages, the dashboard and the rehearsal derive from these tables; the wiring test
 * checks every state name here against the ASL.
 *
 * Adding a gate kind: an entry in GATE_VOCABULARY, its state in statemachines/server-lifecycle.asl.json, and
 * (when it has a new behaviour) the one place that behaves so. test/core/lifecycle.test.ts shows it with a
 * made-up gate kind.
 *
 * This module imports nothing: src/ports.ts takes its GateKind from here.
 */

export type Decision = 'approve' | 'reject' | 'retry' | 'rollback' | 'stop';

/** The plan's approver lists (a wave file's `approvers.<key>`); a gate is decided by one of them. */
export const APPROVER_KEYS = ['testSignoff', 'goNoGo', 'finalize'] as const;
export type ApproverKey = (typeof APPROVER_KEYS)[number];

/** Every list of approvers, empty. */
export const noApprovers = (): Record<ApproverKey, string[]> => Object.fromEntries(APPROVER_KEYS.map((k) => [k, []])) as unknown as Record<ApproverKey, string[]>;

export interface GateWords {
  /** Whose list decides it (the plan's `approvers.<key>`); also how the plan names it for quorums and change ids. */
  approvers: ApproverKey;
  /** The words in a sentence: "the test sign-off for app-a expired", "waits at the cutover go/no-go gate". */
  label: string;
  /** The words of a request's subject and a page's heading. */
  title: string;
  /** What the request asks, in one sentence. */
  question: string;
  /** The decisions it takes. */
  choices: readonly Decision[];
  /** The lifecycle state where its servers park (an arriveAtGate task). */
  state: string;
  /**
   * A failure gate (of the launch named): it gathers the servers of the launch that failed, one round per
   * failed launch, is decided by one person (no quorum, no change id), and ops are asked too.
   */
  failure?: { launch: 'TEST' | 'CUTOVER' };
  /** MGN lifecycle states showing a server already went past it (a relaunch of one server asks about it alone). */
  past?: readonly string[];
  /**
   * Approving it launches the cutover: it closes at the end of the cutover window, and approving needs the
   * quiesce confirmation and the servers missing from it named.
   */
  approveLaunches?: 'CUTOVER';
  /** Rejecting may terminate the launched instances (the decision carries terminateInstances). */
  rejectMayTerminate?: true;
  /** Its evidence shows how long the soak ran. */
  afterSoak?: true;
  /** The point of no return: its page warns so. */
  pointOfNoReturn?: true;
  /** Other names (than its approver list's) under which a definition may pass its approvers (the dashboard reads them). */
  approverFields: readonly string[];
  /** Its colour on the rehearsal's timeline. */
  colour: string;
}

export const GATE_VOCABULARY = {
  SIGNOFF: {
    approvers: 'testSignoff',
    label: 'test sign-off',
    title: 'test sign-off',
    question: 'Have the test instances passed their tests? Approving ends the soak and prepares the cutover (the test instances are terminated); changes made on the test instances do not carry over to the cutover.',
    choices: ['approve', 'reject'],
    state: 'AwaitSignoff',
    past: ['READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER'],
    afterSoak: true,
    approverFields: ['signoff', 'SIGNOFF'],
    colour: '#1d3557',
  },
  GO_NO_GO: {
    approvers: 'goNoGo',
    label: 'cutover go/no-go',
    title: 'cutover go/no-go',
    question: 'Launch the cutover instances now? Approve only once the sources are quiesced: the cutover launches from their latest data.',
    choices: ['approve', 'reject'],
    state: 'GoNoGo',
    past: ['CUTTING_OVER', 'CUTOVER'],
    approveLaunches: 'CUTOVER',
    approverFields: ['GO_NO_GO'],
    colour: '#7b3294',
  },
  FINALIZE: {
    approvers: 'finalize',
    label: 'finalize',
    title: 'finalize cutover',
    question: 'Finalize the cutover? This is the point of no return: replication stops and MGN deletes the staging resources; the cutover instances stay.',
    choices: ['approve', 'reject'],
    state: 'FinalizeGate',
    past: ['CUTOVER'],
    rejectMayTerminate: true,
    pointOfNoReturn: true,
    approverFields: ['FINALIZE'],
    colour: '#00695c',
  },
  TEST_FAILURE: {
    approvers: 'testSignoff',
    label: 'test failure',
    title: 'test launch failed',
    question: 'The test launch failed. Retry it, roll back (revert to ready for test), or stop this server?',
    choices: ['retry', 'rollback', 'stop'],
    state: 'TestFailureGate',
    failure: { launch: 'TEST' },
    approverFields: ['testFailure', 'failure', 'TEST_FAILURE', 'ops'],
    colour: '#d55e00',
  },
  CUTOVER_FAILURE: {
    approvers: 'goNoGo',
    label: 'cutover failure',
    title: 'cutover launch failed',
    question: 'The cutover launch failed. Retry it, roll back (revert to ready for cutover, the source keeps serving), or stop this server?',
    choices: ['retry', 'rollback', 'stop'],
    state: 'CutoverFailureGate',
    failure: { launch: 'CUTOVER' },
    approverFields: ['cutoverFailure', 'failure', 'CUTOVER_FAILURE', 'ops'],
    colour: '#d55e00',
  },
} as const satisfies Record<string, GateWords>;

export type GateKind = keyof typeof GATE_VOCABULARY;
export const GATE_KINDS = Object.keys(GATE_VOCABULARY) as [GateKind, ...GateKind[]];

export const isGateKind = (s: string): s is GateKind => Object.hasOwn(GATE_VOCABULARY, s);

/** The words of a gate kind. */
export function gateWords(kind: GateKind): GateWords {
  return GATE_VOCABULARY[kind];
}

export const isFailureGate = (kind: GateKind): boolean => gateWords(kind).failure !== undefined;

/** The failure gate of a launch. */
export function failureGateOf(launch: 'TEST' | 'CUTOVER'): GateKind {
  const kind = GATE_KINDS.find((k) => gateWords(k).failure?.launch === launch);
  if (!kind) throw new Error(`no failure gate for ${launch} launches in GATE_VOCABULARY`);
  return kind;
}

/** The gate kinds an approver list decides. */
export const gatesOf = (key: ApproverKey): GateKind[] => GATE_KINDS.filter((k) => gateWords(k).approvers === key);

/**
 * The states of the server lifecycle the code names, by role. Every name is checked against the ASL
 * (test/wiring.test.ts).
 */
export const STATE_ROLES = {
  /** Where a server waits after its source was quiesced (a replication stall there is evidence, not an alert). */
  afterQuiesce: ['CheckReadiness', 'HoldForReadiness', 'CutoverLaunchPoint', 'CutoverRelaunchPoint', 'AwaitCutoverResult', 'AwaitCutoverVerify', 'CutoverFailureGate', 'FinalizeGate', 'AwaitCutoverState'],
  /** The soak: the sign-off gate's first wait, whose decisions count only from its end (or an early decision). */
  soak: ['Soak'],
  /** Ends that leave the server where it was before the launch (a rollback or a rejection). */
  rolledBack: ['RolledBack', 'SignoffRejected', 'FinalizeRejected'],
  /** Ends by a person's stop or a gate that expired without a decision (the safe path). */
  stopped: ['StoppedByDecision', 'GateExpired'],
  /** The end of a server run that went all the way. */
  done: ['Done'],
  /** Where a test launch is made (the first, and a relaunch after a failure gate's retry). */
  testLaunchPoints: ['TestLaunchPoint', 'TestRelaunchPoint'],
  /** Where a cutover launch is made (the first, and a relaunch after a failure gate's retry). */
  cutoverLaunchPoints: ['CutoverLaunchPoint', 'CutoverRelaunchPoint'],
} as const satisfies Record<string, readonly string[]>;

/**
 * Where a server waits on people or on time, not on MGN, with the MGN lifecycle states that waiting there
 * implies: the reconciler reads MGN anyway and a change by hand (console drift) fails the wait.
 */
export const PARKED_STATES: Readonly<Record<string, readonly string[]>> = {
  Soak: ['TESTING'],
  AwaitSignoff: ['TESTING'],
  // a failure gate opens after a failed or timed-out test launch (TESTING, or READY_FOR_TEST if none was made)
  TestFailureGate: ['TESTING', 'READY_FOR_TEST'],
  HoldForWindow: ['READY_FOR_CUTOVER'],
  GoNoGo: ['READY_FOR_CUTOVER'],
  HoldForReadiness: ['READY_FOR_CUTOVER'],
  // after the revert; CUTTING_OVER while MGN still refuses the revert (the job runs)
  CutoverFailureGate: ['READY_FOR_CUTOVER', 'CUTTING_OVER'],
  FinalizeGate: ['CUTTING_OVER'],
  HoldForFreeze: ['CUTTING_OVER'],
};

export const AFTER_QUIESCE: ReadonlySet<string> = new Set(STATE_ROLES.afterQuiesce);
export const SOAK_STATE = STATE_ROLES.soak[0];
export const DONE_STATE = STATE_ROLES.done[0];
export const GATE_EXPIRED = 'GateExpired';

// ------------------------------------------------------------------------------------ dashboard phases

export const PHASES = ['replication', 'test', 'soak', 'ready-for-cutover', 'cutover', 'finalize', 'archived'] as const;
export type Phase = (typeof PHASES)[number];

export const PHASE_LABELS: Record<Phase, string> = {
  replication: 'Replication',
  test: 'Test',
  soak: 'Soak',
  'ready-for-cutover': 'Ready for cutover',
  cutover: 'Cutover',
  finalize: 'Finalize',
  archived: 'Archived',
};

/**
 * The phase a state stands for, first match wins. `null`: the state says nothing about the phase (routing,
 * or an end several phases lead to): the board looks at the state before it, then at MGN. Every state of
 * the ASL matches one rule (test/wiring.test.ts).
 */
export const PHASE_RULES: readonly (readonly [RegExp, Phase | null])[] = [
  [/^(Init|Route|RouteChoice|ConsoleDrift)$/, null],
  [new RegExp(`^(${[...STATE_ROLES.stopped, 'RolledBack'].join('|')})$`), null],
  [/^ArchiveChoice$/, 'finalize'],
  [/Archive|^Done$/, 'archived'],
  [/Finaliz|AwaitCutoverState/, 'finalize'],
  [/CutoverWindow|HeldForWindow|HoldForWindow|WindowClosed|Freeze|Frozen|GoNoGo|GoDecision|Quiesce|Readiness|NotReadyForCutover|^Ready$|MarkReadyForCutover|TestInstanceTerminat|TerminateTestInstance|AwaitTerminate|TerminateTimeout/, 'ready-for-cutover'],
  [/Cutover|TrafficSwitch/, 'cutover'],
  [/Soak|Sign(ed)?[Oo]ff|RevertAfterRejection/, 'soak'],
  [/Test|ActionFailed|VerifyTimeout/, 'test'],
  [/NotReady|AwaitReady|Replication|NotMigratable|Agent/, 'replication'],
];

/** The phase MGN's lifecycle state stands for, when no state of the execution names one. */
export const PHASE_OF_LIFECYCLE: Record<string, Phase> = {
  NOT_READY: 'replication',
  READY_FOR_TEST: 'test',
  TESTING: 'test',
  READY_FOR_CUTOVER: 'ready-for-cutover',
  CUTTING_OVER: 'cutover',
  CUTOVER: 'finalize',
  DISCONNECTED: 'replication',
  STOPPED: 'replication',
  PENDING_INSTALLATION: 'replication',
};
