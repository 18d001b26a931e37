import type { GraphNode } from './asl.ts';

/**
 * Where a server is in its migration, for the wave board: the lifecycle phase from the state its execution
 * is in (or was last in, for states any phase can reach), else from what MGN says; and a status colour.
 */

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

export type Status = 'running' | 'waiting' | 'succeeded' | 'failed' | 'aborted';

/**
 * First match wins. `null`: the state says nothing about the phase (routing, or a terminal state several
 * phases lead to): look at the state before it, then at MGN.
 */
const RULES: [RegExp, Phase | null][] = [
  [/^(Init|Route|RouteChoice|ConsoleDrift)$/, null],
  [/^(GateExpired|StoppedByDecision|RolledBack)$/, null],
  [/^ArchiveChoice$/, 'finalize'],
  [/Archive|^Done$/, 'archived'],
  [/Finaliz|AwaitCutoverState/, 'finalize'],
  [/CutoverWindow|HeldForWindow|HoldForWindow|WindowClosed|Freeze|Frozen|GoNoGo|GoDecision|Quiesce|Readiness|NotReadyForCutover|^Ready$|MarkReadyForCutover|TestInstanceTerminat|TerminateTestInstance|AwaitTerminate|TerminateTimeout/, 'ready-for-cutover'],
  [/Cutover|TrafficSwitch/, 'cutover'],
  [/Soak|Sign(ed)?[Oo]ff|RevertAfterRejection/, 'soak'],
  [/Test|ActionFailed|VerifyTimeout/, 'test'],
  [/NotReady|AwaitReady|Replication|NotMigratable|Agent/, 'replication'],
];

/** The phase a state name stands for, or null when it stands for none. */
export function phaseOfState(state: string): Phase | null {
  for (const [re, phase] of RULES) if (re.test(state)) return phase;
  return null;
}

export interface MgnView {
  lifeCycle?: string;
  isArchived?: boolean;
}

const BY_LIFECYCLE: Record<string, Phase> = {
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

export function phaseOfMgn(mgn: MgnView | undefined): Phase {
  if (mgn?.isArchived) return 'archived';
  return (mgn?.lifeCycle && BY_LIFECYCLE[mgn.lifeCycle]) || 'replication';
}

/**
 * The phase of a server: from the latest state entered that names one (`recentStates` newest first), else
 * from MGN. A finished run that did not archive (`Done` with archive off) shows MGN's own phase.
 */
export function derivePhase(recentStates: readonly string[], mgn: MgnView | undefined): Phase {
  for (const s of recentStates) {
    const p = phaseOfState(s);
    if (p === 'archived' && s === 'Done' && mgn && !mgn.isArchived && mgn.lifeCycle) return phaseOfMgn(mgn);
    if (p) return p;
  }
  return phaseOfMgn(mgn);
}

/** The board's colour: closed executions by their status; a running one waits when it sits at a gate or hold. */
export function deriveStatus(executionStatus: string, current: Pick<GraphNode, 'kind'> | undefined): Status {
  switch (executionStatus) {
    case 'SUCCEEDED':
      return 'succeeded';
    case 'FAILED':
    case 'TIMED_OUT':
      return 'failed';
    case 'ABORTED':
      return 'aborted';
    default:
      return current && (current.kind === 'gate' || current.kind === 'hold') ? 'waiting' : 'running';
  }
}
