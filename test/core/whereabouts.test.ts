import { describe, expect, it } from 'vitest';
import type { Gate, LaunchPoint, OpenWait, ServerOutcome } from '../../src/ports.ts';
import type { Wave } from '../../src/core/wave-file.ts';
import { minuteIn, whereabouts, type WhereaboutsInput } from '../../src/core/whereabouts.ts';
import { evidenceLines } from '../../src/core/approvals.ts';
import { finalizeCutover, notifyOps } from '../../src/core/steps.ts';
import { FakeMgn, ManualClock, serverView } from '../helpers/fakes.ts';

const ID = (n: number) => `s-${String(n).padStart(17, '0')}`;
const ARN = (n: number) => `arn:aws:states:us-east-1:111122223333:execution:mgn-flow-dev-serverLifecycle:w1-${ID(n)}-1`;

const wave: Wave = {
  name: 'w1',
  timeZone: 'Europe/Berlin',
  source: { kind: 'file', file: 'w1.yaml' },
  defaults: { soakDays: 14, concurrency: 1, failurePolicy: 'hold', archive: true },
  cutoverWindow: { start: '2026-12-05T01:00:00.000Z', end: '2026-12-05T05:00:00.000Z', timeZone: 'Europe/Berlin' },
  approvers: { testSignoff: ['qa@example.com'], goNoGo: ['cm@example.com'], finalize: [] },
  freeze: [{ start: '2026-12-18T17:00:00.000Z', end: '2027-01-04T07:00:00.000Z', timeZone: 'Europe/Berlin', reason: 'year-end' }],
  applications: [
    { name: 'shop', canary: true, standalone: false, servers: [{ id: ID(1), hostname: 'web-01' }, { id: ID(2), hostname: 'web-02' }, { id: ID(3), hostname: 'web-03' }] },
    { name: 'erp', canary: false, standalone: false, servers: [{ id: ID(4), hostname: 'erp-01' }] },
  ],
};

const running = (n: number, app = 'shop'): ServerOutcome => ({ wave: 'w1', serverId: ID(n), application: app, attempt: 1, executionArn: ARN(n), waveRun: 'w1-1', status: 'RUNNING', at: '2026-12-01T08:00:00.000Z' });
const wait = (n: number, state: string, condition: OpenWait['condition'], createdAt = '2026-12-04T09:30:00.000Z') => ({ serverId: ID(n), executionArn: ARN(n), state, condition, createdAt });

const gate: Gate = {
  id: 'w1#shop#GO_NO_GO#1-0',
  application: 'shop',
  wave: 'w1',
  gate: 'GO_NO_GO',
  servers: [ID(1), ID(2)],
  arrived: [ID(1), ID(2)],
  allowed: ['approve', 'reject'],
  openedAt: '2026-12-05T01:00:00.000Z',
  deadline: '2026-12-05T05:00:00.000Z',
  status: 'OPEN',
  approvers: ['cm@example.com'],
  timeZone: 'Europe/Berlin',
};

const point: LaunchPoint = { id: 'w1#shop#TEST#1-0', application: 'shop', launch: 'TEST', expected: [ID(1), ID(2), ID(3)], arrived: [ID(3)], openedAt: '2026-12-04T09:00:00.000Z', deadline: '2026-12-04T10:00:00.000Z', status: 'OPEN' };

function input(over: Partial<WhereaboutsInput>): WhereaboutsInput {
  return { wave, outcomes: [], waits: [], gates: new Map(), points: new Map(), holds: [], ...over };
}

describe('whereabouts', () => {
  it('says who decides a gate and until when, with the execution to graph', () => {
    const w = whereabouts(input({ outcomes: [running(1)], waits: [wait(1, 'GoNoGo', { kind: 'GATE', gateId: gate.id })], gates: new Map([[gate.id, gate]]) }))[0];
    expect(w).toMatchObject({
      hostname: 'web-01',
      result: 'running',
      outcome: 'running',
      execution: `w1-${ID(1)}-1`,
      state: 'GoNoGo',
      where: 'at the cutover go/no-go gate',
      reason: 'asked cm@example.com to decide (approve, reject)',
      waitingFor: 'cm@example.com',
      since: '2026-12-04T09:30:00.000Z',
      deadline: '2026-12-05T05:00:00.000Z',
    });
    expect(minuteIn(w?.deadline ?? '', wave.timeZone)).toBe('2026-12-05T06:00+01:00');
  });

  it('says a server is held for the cutover window until it opens, in the wave zone', () => {
    const w = whereabouts(input({ outcomes: [running(2)], waits: [wait(2, 'HoldForWindow', { kind: 'UNTIL', at: '2026-12-05T01:00:00.000Z', reason: 'cutover window' })] }))[1];
    expect(w).toMatchObject({ where: 'held for the cutover window', reason: 'the cutover window opens at 2026-12-05T02:00+01:00', deadline: '2026-12-05T01:00:00.000Z' });
  });

  it('names the servers a launch point still waits for, and its arrival deadline', () => {
    const w = whereabouts(input({ outcomes: [running(3)], waits: [wait(3, 'TestLaunchPoint', { kind: 'LAUNCH_POINT', pointId: point.id, launch: 'TEST' })], points: new Map([[point.id, point]]) }))[2];
    expect(w).toMatchObject({ where: 'at the test launch point', reason: '1 of 3 servers of shop arrived: one launch for all', waitingFor: 'the other servers: web-01, web-02', deadline: point.deadline });
  });

  it('uses the report words: rolled back and stopped, not FAILED', () => {
    const rolled: ServerOutcome = { ...running(1), status: 'FAILED', error: 'RolledBack', cause: 'rollback decided by Alice' };
    const stopped: ServerOutcome = { ...running(2), status: 'ABORTED', cause: 'stopped by the wave' };
    const failed: ServerOutcome = { ...running(3), status: 'FAILED', error: 'LaunchFailed', cause: 'job failed' };
    const [a, b, c] = whereabouts(input({ outcomes: [rolled, stopped, failed] }));
    expect([a?.outcome, b?.outcome, c?.outcome]).toEqual(['rolled back', 'stopped', 'failed']);
    expect(a?.reason).toBe('RolledBack: rollback decided by Alice');
  });

  it('says why an application is not admitted yet: the canary first, then concurrency', () => {
    const erp = (o: ServerOutcome[]) => whereabouts(input({ outcomes: o })).find((x) => x.application === 'erp');
    expect(erp([running(1)])).toMatchObject({ where: 'not started', outcome: 'not started', reason: 'not admitted yet: canaries first (shop must succeed)' });
    const done = [1, 2, 3].map((n) => ({ ...running(n), status: 'SUCCEEDED' as const }));
    expect(erp(done)?.reason).toBe('not admitted yet');
    expect(erp([])?.reason).toBe('the wave has not started');
  });

  it('ignores a wait of another execution of the same server', () => {
    const w = whereabouts(input({ outcomes: [running(1)], waits: [{ ...wait(1, 'GoNoGo', { kind: 'GATE', gateId: gate.id }), executionArn: 'arn:other' }], gates: new Map([[gate.id, gate]]) }))[0];
    expect(w?.where).toBe('working');
  });
});

describe('times people read', () => {
  it('are in the wave zone to the minute, UTC when asked', () => {
    expect(minuteIn('2026-12-05T01:00:59.999Z', 'Europe/Berlin')).toBe('2026-12-05T02:00+01:00');
    expect(minuteIn('2026-07-05T01:00:00.000Z', 'Europe/Berlin')).toBe('2026-07-05T03:00+02:00');
    expect(minuteIn('2026-12-05T01:00:30.000Z', 'UTC')).toBe('2026-12-05T01:00+00:00');
  });

  it('include the cutover window of an approval request', () => {
    const lines = evidenceLines({ collectedAt: '2026-12-04T09:30:12.345Z', servers: [], missing: [], window: { start: '2026-12-05T01:00:00.000Z', end: '2026-12-05T05:00:00.000Z' } }, 'Europe/Berlin');
    expect(lines).toContain('Cutover window: 2026-12-05T02:00+01:00 to 2026-12-05T06:00+01:00 (Europe/Berlin).');
  });

  it('include the time in an ops hold message, in the wave zone', async () => {
    const sent: { text: string }[] = [];
    const notifier = { ops: (m: { text: string }) => Promise.resolve(void sent.push(m)) };
    await notifyOps({ notifier }, { serverId: ID(1), application: 'shop', wave: 'w1', event: 'Held until the cutover window opens', detail: '2026-12-05T01:00:00.000Z', timeZone: 'Europe/Berlin' });
    await notifyOps({ notifier }, { serverId: ID(1), application: 'shop', wave: 'w1', event: 'Refused', detail: 'lag 900 s' , timeZone: 'Europe/Berlin' });
    expect(sent.map((m) => m.text)).toEqual([
      `Held until the cutover window opens for ${ID(1)} (application shop, wave w1): 2026-12-05T02:00+01:00 (Europe/Berlin)`,
      `Refused for ${ID(1)} (application shop, wave w1): lag 900 s`,
    ]);
  });

  it('include the end of the freeze that holds a finalize, in the wave zone', async () => {
    const clock = new ManualClock('2026-12-20T10:00:00.000Z');
    const mgn = new FakeMgn({ clock, servers: [serverView(ID(1), { lifeCycle: 'CUTTING_OVER' })] });
    const freeze = [{ start: '2026-12-18T17:00:00.000Z', end: '2027-01-04T07:00:00.000Z', reason: 'year-end' }];
    await expect(finalizeCutover({ mgn, clock }, ID(1), { freeze, timeZone: 'Europe/Berlin' })).rejects.toThrow('finalize held by the freeze "year-end" until 2027-01-04T08:00+01:00 (Europe/Berlin)');
  });
});
