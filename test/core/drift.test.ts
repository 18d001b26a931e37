import { describe, expect, it } from 'vitest';
import { consoleDrift } from '../../src/core/drift.ts';
import type { OpenWait } from '../../src/ports.ts';
import { serverView } from '../helpers/fakes.ts';

const S = 's-1';
const PARKED = '2026-01-05T10:00:00.000Z';
const wait = (state: string): OpenWait => ({ serverId: S, executionArn: 'arn:x', state, token: 't', createdAt: PARKED, condition: { kind: 'GATE', gateId: 'w#a#SIGNOFF#1' } });

describe('consoleDrift', () => {
  it('is quiet while MGN matches the parked state, and for states that are not parked', () => {
    expect(consoleDrift(wait('Soak'), serverView(S, { lifeCycle: 'TESTING', lastTest: { jobId: 'j1', initiatedAt: '2026-01-05T09:00:00.000Z' } }))).toBeUndefined();
    expect(consoleDrift(wait('GoNoGo'), serverView(S, { lifeCycle: 'READY_FOR_CUTOVER' }))).toBeUndefined();
    expect(consoleDrift(wait('AwaitTestVerify'), serverView(S, { lifeCycle: 'READY_FOR_TEST' }))).toBeUndefined();
  });

  it('names a lifecycle change, an archive, a server MGN lost, and a launch made by hand while parked', () => {
    expect(consoleDrift(wait('Soak'), serverView(S, { lifeCycle: 'READY_FOR_TEST' }))).toBe('MGN shows READY_FOR_TEST where Soak expects TESTING');
    expect(consoleDrift(wait('FinalizeGate'), serverView(S, { lifeCycle: 'CUTOVER', isArchived: true }))).toBe('the server was archived in MGN (CUTOVER)');
    expect(consoleDrift(wait('GoNoGo'), undefined)).toBe('MGN no longer knows the source server');
    expect(consoleDrift(wait('Soak'), serverView(S, { lifeCycle: 'TESTING', lastTest: { jobId: 'j2', initiatedAt: '2026-01-05T11:00:00.000Z' } }))).toContain('a test launch was made in MGN (job j2)');
    expect(consoleDrift(wait('CutoverFailureGate'), serverView(S, { lifeCycle: 'CUTTING_OVER', lastCutover: { jobId: 'j3', initiatedAt: '2026-01-05T11:00:00.000Z' } }))).toContain('a cutover launch was made in MGN (job j3)');
  });
});
