import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDefinition } from '../../src/dashboard/asl.ts';
import { stateStatuses } from '../../src/dashboard/history.ts';
import { derivePhase, deriveStatus, phaseOfMgn, phaseOfState } from '../../src/dashboard/phase.ts';
import { gateApprovers } from '../../src/dashboard/reader.ts';

const lifecycle = JSON.parse(readFileSync(new URL('../../statemachines/server-lifecycle.asl.json', import.meta.url), 'utf8')) as { States: Record<string, unknown> };

describe('phaseOfState', () => {
  it.each([
    ['AwaitReady', 'replication'],
    ['NotifyNotReady', 'replication'],
    ['TestLaunchPoint', 'test'],
    ['AwaitTestVerify', 'test'],
    ['NotifyActionFailed', 'test'],
    ['TestFailureGate', 'test'],
    ['Soak', 'soak'],
    ['AwaitSignoff', 'soak'],
    ['RevertAfterRejection', 'soak'],
    ['MarkReadyForCutover', 'ready-for-cutover'],
    ['AwaitTerminate', 'ready-for-cutover'],
    ['HoldForWindow', 'ready-for-cutover'],
    ['CheckFreeze', 'ready-for-cutover'],
    ['HoldForFreeze', 'ready-for-cutover'],
    ['CutoverWindowClosed', 'ready-for-cutover'],
    ['GoNoGo', 'ready-for-cutover'],
    ['HoldForReadiness', 'ready-for-cutover'],
    ['Ready', 'ready-for-cutover'],
    ['CutoverLaunchPoint', 'cutover'],
    ['CutoverFailureGate', 'cutover'],
    ['TrafficSwitch', 'cutover'],
    ['FinalizeGate', 'finalize'],
    ['AwaitCutoverState', 'finalize'],
    ['ArchiveChoice', 'finalize'],
    ['Archive', 'archived'],
    ['Done', 'archived'],
    ['Route', null],
    ['GateExpired', null],
  ])('returns %s -> %s', (state, phase) => {
    expect(phaseOfState(state)).toBe(phase);
  });

  it('gives every state of the lifecycle a phase, except routing and the terminals several phases reach', () => {
    const none = Object.keys(lifecycle.States).filter((s) => phaseOfState(s) === null);
    expect(none.sort()).toEqual(['ConsoleDrift', 'GateExpired', 'Init', 'RolledBack', 'Route', 'RouteChoice', 'StoppedByDecision']);
  });
});

describe('derivePhase', () => {
  it('returns the phase of the latest state that names one', () => {
    expect(derivePhase(['GateExpired', 'GoNoGo', 'InCutoverWindow'], { lifeCycle: 'READY_FOR_CUTOVER' })).toBe('ready-for-cutover');
    expect(derivePhase(['StoppedByDecision', 'TestFailureDecision', 'TestFailureGate'], undefined)).toBe('test');
  });

  it('returns what MGN says while routing or before the history is read', () => {
    expect(derivePhase(['RouteChoice', 'Route', 'Init'], { lifeCycle: 'CUTTING_OVER' })).toBe('cutover');
    expect(derivePhase([], { lifeCycle: 'READY_FOR_TEST' })).toBe('test');
    expect(derivePhase([], { lifeCycle: 'CUTOVER', isArchived: true })).toBe('archived');
    expect(derivePhase([], undefined)).toBe('replication');
  });

  it('returns MGN’s phase for a run that ended without archiving', () => {
    expect(derivePhase(['Done', 'ArchiveChoice'], { lifeCycle: 'CUTOVER', isArchived: false })).toBe('finalize');
    expect(derivePhase(['Done', 'Archive'], { lifeCycle: 'CUTOVER', isArchived: true })).toBe('archived');
  });

  it('maps each MGN lifecycle state', () => {
    expect(['NOT_READY', 'READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER'].map((l) => phaseOfMgn({ lifeCycle: l }))).toEqual([
      'replication', 'test', 'test', 'ready-for-cutover', 'cutover', 'finalize',
    ]);
  });
});

describe('deriveStatus', () => {
  it('returns waiting at a gate or hold, running elsewhere, and the closed statuses', () => {
    expect(deriveStatus('RUNNING', { kind: 'gate' })).toBe('waiting');
    expect(deriveStatus('RUNNING', { kind: 'hold' })).toBe('waiting');
    expect(deriveStatus('RUNNING', { kind: 'launch' })).toBe('running');
    expect(deriveStatus('RUNNING', undefined)).toBe('running');
    expect(deriveStatus('SUCCEEDED', undefined)).toBe('succeeded');
    expect(deriveStatus('FAILED', undefined)).toBe('failed');
    expect(deriveStatus('TIMED_OUT', undefined)).toBe('failed');
    expect(deriveStatus('ABORTED', { kind: 'gate' })).toBe('aborted');
  });
});

describe('gateApprovers', () => {
  const soak = parseDefinition(lifecycle as never).nodes.find((n) => n.id === 'Soak')!;
  it('returns the plan’s approvers for the gate, else "approvers"', () => {
    expect(gateApprovers(soak, { plan: { approvers: { testSignoff: ['qa@example.com'], goNoGo: 'cab@example.com' } } })).toEqual(['qa@example.com']);
    expect(gateApprovers({ gate: 'GO_NO_GO' }, { plan: { approvers: { testSignoff: ['qa@example.com'], goNoGo: 'cab@example.com' } } })).toEqual(['cab@example.com']);
    expect(gateApprovers({ gate: 'FINALIZE' }, { plan: { approvers: ['a@example.com', 'b@example.com'] } })).toEqual(['a@example.com', 'b@example.com']);
    expect(gateApprovers({ gate: 'FINALIZE' }, { plan: {} })).toEqual(['approvers']);
  });
  it('follows the path the definition passes to the gate first', () => {
    expect(gateApprovers({ gate: 'SIGNOFF', approversPath: '$.plan.approvers.signoff' }, { plan: { approvers: { signoff: ['x@example.com'], testSignoff: ['y@example.com'] } } })).toEqual(['x@example.com']);
  });
});

describe('stateStatuses', () => {
  const entered = (id: number, name: string, type = 'TaskStateEntered') => ({ id, type, stateEnteredEventDetails: { name } });
  const exited = (id: number, name: string, type = 'TaskStateExited') => ({ id, type, stateExitedEventDetails: { name } });

  it('returns succeeded, caught and current from a history with a caught timeout', () => {
    const s = stateStatuses(
      [
        { id: 1, type: 'ExecutionStarted' },
        entered(2, 'A', 'PassStateEntered'),
        exited(3, 'A', 'PassStateExited'),
        entered(4, 'B'),
        { id: 5, type: 'TaskScheduled' },
        { id: 6, type: 'TaskTimedOut' },
        entered(7, 'C'),
        { id: 8, type: 'TaskScheduled' },
      ],
      'RUNNING',
    );
    expect(s.states).toEqual({ A: { status: 'succeeded', visits: 1 }, B: { status: 'caught', visits: 1 }, C: { status: 'current', visits: 1 } });
    expect(s.current).toBe('C');
    expect(s.recent).toEqual(['C', 'B', 'A']);
  });

  it('returns entered again for a retried task, and failed where the execution failed', () => {
    const s = stateStatuses(
      [entered(1, 'A'), { id: 2, type: 'TaskFailed' }, { id: 3, type: 'TaskScheduled' }, { id: 4, type: 'TaskFailed' }, { id: 5, type: 'ExecutionFailed' }],
      'FAILED',
    );
    expect(s.states.A).toEqual({ status: 'failed', visits: 1 });
  });

  it('counts visits and lets the latest visit decide; a Fail state is failed, an aborted one aborted', () => {
    const failed = stateStatuses([entered(1, 'L'), exited(2, 'L'), entered(3, 'L'), exited(4, 'L'), entered(5, 'X', 'FailStateEntered'), { id: 6, type: 'ExecutionFailed' }], 'FAILED');
    expect(failed.states).toEqual({ L: { status: 'succeeded', visits: 2 }, X: { status: 'failed', visits: 1 } });
    const aborted = stateStatuses([entered(1, 'G'), { id: 2, type: 'ExecutionAborted' }], 'ABORTED');
    expect(aborted.states.G?.status).toBe('aborted');
  });

  it('reads events in id order whatever order they came in (reverse pages)', () => {
    const s = stateStatuses([entered(3, 'B'), exited(2, 'A'), entered(1, 'A')].reverse().reverse(), 'RUNNING');
    expect(s.current).toBe('B');
    expect(s.states.A?.status).toBe('succeeded');
  });
});
