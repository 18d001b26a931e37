import type { GraphNode } from './asl.ts';
import { DONE_STATE, PHASE_LABELS, PHASE_OF_LIFECYCLE, PHASE_RULES, PHASES, type Phase } from '../core/lifecycle.ts';

/**
 * Where a server is in its migration, for the wave board: the lifecycle phase from the state its execution
 * is in (or was last in, for states any phase can reach), else from what MGN says; and a status colour.
 */

export { PHASES, PHASE_LABELS, type Phase };

export type Status = 'running' | 'waiting' | 'succeeded' | 'failed' | 'aborted';

/** The phase a state name stands for, or null when it stands for none. */
export function phaseOfState(state: string): Phase | null {
  for (const [re, phase] of PHASE_RULES) if (re.test(state)) return phase;
  return null;
}

export interface MgnView {
  lifeCycle?: string;
  isArchived?: boolean;
}

export function phaseOfMgn(mgn: MgnView | undefined): Phase {
  if (mgn?.isArchived) return 'archived';
  return (mgn?.lifeCycle && PHASE_OF_LIFECYCLE[mgn.lifeCycle]) || 'replication';
}

/**
 * The phase of a server: from the latest state entered that names one (`recentStates` newest first), else
 * from MGN. A finished run that did not archive (`Done` with archive off) shows MGN's own phase.
 */
export function derivePhase(recentStates: readonly string[], mgn: MgnView | undefined): Phase {
  for (const s of recentStates) {
    const p = phaseOfState(s);
    if (p === 'archived' && s === DONE_STATE && mgn && !mgn.isArchived && mgn.lifeCycle) return phaseOfMgn(mgn);
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
