/**
 * The colour of each state of an execution, from its history (AWS's event names): entered, current,
 * succeeded, failed, caught (failed and left through a Catch), aborted. The latest visit of a state decides.
 */

export type StateStatus = 'entered' | 'current' | 'succeeded' | 'failed' | 'caught' | 'aborted';

export interface HistoryEventLike {
  id?: number;
  type?: string;
  stateEnteredEventDetails?: { name?: string };
  stateExitedEventDetails?: { name?: string };
}

export interface StateRun {
  status: StateStatus;
  /** How many times the state was entered. */
  visits: number;
}

export interface ExecutionStates {
  states: Record<string, StateRun>;
  /** The state the execution is in (running), or was in when it stopped. */
  current?: string;
  /** State names entered, newest first (at most 20). */
  recent: string[];
}

export function stateStatuses(events: readonly HistoryEventLike[], executionStatus: string): ExecutionStates {
  const states: Record<string, StateRun> = {};
  const entered: string[] = [];
  let current: string | undefined;
  let failedCurrent = false;
  const set = (name: string, status: StateStatus) => {
    const run = states[name] ?? { status, visits: 0 };
    run.status = status;
    states[name] = run;
  };
  for (const e of [...events].sort((a, b) => (a.id ?? 0) - (b.id ?? 0))) {
    const type = e.type ?? '';
    if (type.endsWith('StateEntered')) {
      const name = e.stateEnteredEventDetails?.name;
      if (!name) continue;
      if (current !== undefined && failedCurrent) set(current, 'caught');
      const run = states[name] ?? { status: 'entered', visits: 0 };
      run.status = 'entered';
      run.visits++;
      states[name] = run;
      current = name;
      failedCurrent = false;
      entered.push(name);
    } else if (type.endsWith('StateExited')) {
      const name = e.stateExitedEventDetails?.name;
      if (name) set(name, 'succeeded');
      if (name === current) current = undefined;
      failedCurrent = false;
    } else if (current !== undefined && /^(Task|LambdaFunction|Activity)(Failed|TimedOut|StartFailed|ScheduleFailed|SubmitFailed)$|^(Map|Parallel)StateFailed$/.test(type)) {
      set(current, 'failed');
      failedCurrent = true;
    } else if (current !== undefined && /^(Task|LambdaFunction|Activity)(Scheduled|Started)$/.test(type) && failedCurrent) {
      // retried after a failure: running again
      set(current, 'entered');
      failedCurrent = false;
    } else if (current !== undefined && (type === 'ExecutionFailed' || type === 'ExecutionTimedOut')) {
      set(current, 'failed');
    } else if (current !== undefined && type === 'ExecutionSucceeded') {
      set(current, 'succeeded');
    } else if (current !== undefined && type === 'ExecutionAborted') {
      set(current, 'aborted');
    }
  }
  if (current !== undefined && executionStatus === 'RUNNING' && states[current]?.status === 'entered') set(current, 'current');
  const last = entered.at(-1);
  return { states, ...((current ?? last) !== undefined ? { current: (current ?? last) as string } : {}), recent: entered.slice(-20).reverse() };
}
