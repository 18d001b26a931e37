import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDocumentClient, createWaveStore } from '../../src/adapters/aws/stores.ts';
import type { WaveReport } from '../../src/core/wave.ts';
import type { Wave } from '../../src/core/wave-file.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, lifecycleCloud, serverIds, startWave, statePath, waveOf, injectServer } from './lifecycle-helpers.ts';

/** The wave's stored report (the execution's output only when it succeeded). */
async function report(cloud: LocalCloud, wave: string): Promise<WaveReport> {
  const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    return (await createWaveStore(createDocumentClient(ddb), String(cloud.env.STATE_TABLE)).getReport(wave)) as WaveReport;
  } finally {
    ddb.destroy();
  }
}

/** The emulator's control route for one server (README "The MGN emulator"). */
const inject = injectServer;

/**
 * A wave whose first application is a standalone server with a post-launch action that must succeed and
 * fails (the failure gate then rolls it back), followed by two applications.
 */
async function failingWave(cloud: LocalCloud, defaults: Partial<Wave['defaults']>): Promise<{ wave: Wave; failing: string }> {
  const wave = waveOf(cloud, { standalone: 1, defaults });
  const standalone = wave.applications.at(-1) as Wave['applications'][number];
  const failing = standalone.servers[0]?.id as string;
  standalone.servers[0] = { id: failing, postLaunchActions: [{ actionId: 'smoke-test', actionName: 'smoke-test', documentIdentifier: 'Company-SmokeTest', order: 1001, active: true, mustSucceedForCutover: true }] };
  wave.applications = [standalone, ...wave.applications.slice(0, -1)];
  await inject(cloud, failing, { failPostLaunchAction: 'smoke-test' });
  return { wave, failing };
}

describe('wave failure policies', () => {
  it('continue: the failed server is rolled back, every other application still migrates', { timeout: 90_000 }, async () => {
    const cloud = await lifecycleCloud({ servers: 5, applications: 2 });
    const stop = autoApprove(cloud, { failure: 'rollback' });
    try {
      const { wave, failing } = await failingWave(cloud, { failurePolicy: 'continue', concurrency: 1 });
      const r = await cloud.host.settled(await startWave(cloud, wave));
      expect({ status: r.status, error: r.error }).toEqual({ status: 'FAILED', error: 'WaveIncomplete' });
      const rep = await report(cloud, wave.name);
      expect(rep.counts).toEqual({ succeeded: 4, rolledBack: 1, stopped: 0, failed: 0, running: 0, notStarted: 0 });
      expect(rep.servers.find((s) => s.serverId === failing)).toMatchObject({ result: 'rolledBack', why: expect.stringContaining('RolledBack') });
      // the launch settings of the plan were applied before the test launch: the action MGN ran is the plan's
      expect(cloud.emulator.http.log.some((x) => x.operation === 'PutSourceServerAction' && x.status === 200 && x.sourceServerIDs?.includes(failing))).toBe(true);
    } finally {
      stop();
      await cloud.close();
    }
  });

  it('hold: no new application starts after the failure; starting the wave again resumes with the rest', { timeout: 120_000 }, async () => {
    const cloud = await lifecycleCloud({ servers: 5, applications: 2 });
    const stop = autoApprove(cloud, { failure: 'rollback' });
    try {
      const { wave, failing } = await failingWave(cloud, { failurePolicy: 'hold', concurrency: 1 });
      const r = await cloud.host.settled(await startWave(cloud, wave));
      expect(r.error).toBe('WaveIncomplete');
      const held = await report(cloud, wave.name);
      expect(held.counts).toEqual({ succeeded: 0, rolledBack: 1, stopped: 0, failed: 0, running: 0, notStarted: 4 });
      expect(held.holding).toContain('failure policy hold');
      expect(held.servers.filter((s) => s.result === 'notStarted').every((s) => s.why?.includes('failure policy hold'))).toBe(true);
      // only the failed server ever ran
      expect(cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).map((e) => e.name)).toEqual([`wave-1-${failing}-1`]);

      // resumed: the failed server gets attempt 2 (the injected failure was used up), the others start
      const again = await cloud.host.settled(await startWave(cloud, wave, 'wave-1-2'));
      expect({ status: again.status, error: again.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      const done = await report(cloud, wave.name);
      expect(done.counts.succeeded).toBe(5);
      expect(done.servers.find((s) => s.serverId === failing)?.attempt).toBe(2);
      expect(cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle'))).toHaveLength(6);
    } finally {
      stop();
      await cloud.close();
    }
  });

  it('stop: the failure stops every running execution of the wave', { timeout: 90_000 }, async () => {
    const cloud = await lifecycleCloud({ servers: 5, applications: 2 });
    // the application running beside the failing server never gets past its sign-off
    const stop = autoApprove(cloud, { failure: 'rollback', skip: (gate) => gate === 'SIGNOFF' });
    try {
      const { wave, failing } = await failingWave(cloud, { failurePolicy: 'stop', concurrency: 2 });
      const r = await cloud.host.settled(await startWave(cloud, wave));
      expect(r.error).toBe('WaveIncomplete');
      const rep = await report(cloud, wave.name);
      const running = wave.applications[1]?.servers.map((s) => s.id) ?? [];
      expect(rep.servers.find((s) => s.serverId === failing)?.result).toBe('rolledBack');
      for (const id of running) expect(rep.servers.find((s) => s.serverId === id)).toMatchObject({ result: 'stopped' });
      expect(rep.counts.notStarted).toBe(5 - 1 - running.length);
      for (const id of running) expect(statePath(cloud, cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).find((e) => e.name.includes(id))?.executionArn as string)).not.toContain('GoNoGo');
    } finally {
      stop();
      await cloud.close();
    }
  });
});

describe('wave canaries', () => {
  it('the other applications start only after the canary succeeded; a failed canary keeps them from starting', { timeout: 120_000 }, async () => {
    const cloud = await lifecycleCloud({ servers: 5, applications: 2 });
    const stop = autoApprove(cloud, { failure: 'rollback' });
    try {
      // a failing canary: nothing else starts, whatever the failure policy
      const { wave, failing } = await failingWave(cloud, { failurePolicy: 'continue', concurrency: 5 });
      (wave.applications[0] as Wave['applications'][number]).canary = true;
      const r = await cloud.host.settled(await startWave(cloud, wave));
      expect(r.error).toBe('WaveIncomplete');
      const rep = await report(cloud, wave.name);
      expect(rep.counts).toMatchObject({ rolledBack: 1, notStarted: 4 });
      expect(rep.holding).toContain('canary');
      expect(cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).map((e) => e.name)).toEqual([`wave-1-${failing}-1`]);

      // run again (the injected failure is used up): the canary succeeds first, then the rest start
      const again = await cloud.host.settled(await startWave(cloud, wave, 'wave-1-2'));
      expect(again.status).toBe('SUCCEEDED');
      const executions = cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle'));
      const canaryDone = executions.find((e) => e.name === `wave-1-${failing}-2`)?.stopDate as number;
      for (const e of executions.filter((x) => !x.name.includes(failing))) expect(e.startDate).toBeGreaterThanOrEqual(canaryDone);
    } finally {
      stop();
      await cloud.close();
    }
  });
});

describe('wave freeze calendar', () => {
  it('a freeze holds the cutover until it ends; the report shows why the servers waited', { timeout: 90_000 }, async () => {
    const cloud = await lifecycleCloud({ servers: 2, applications: 1 });
    const stop = autoApprove(cloud);
    try {
      const now = cloud.clock.now();
      const freeze = { start: new Date(now - 3600_000).toISOString(), end: new Date(now + 8 * 3600_000).toISOString(), timeZone: 'UTC', reason: 'quarter-end freeze' };
      const wave = waveOf(cloud, { freeze: [freeze] });
      const r = await cloud.host.settled(await startWave(cloud, wave));
      expect({ status: r.status, error: r.error }).toEqual({ status: 'SUCCEEDED', error: undefined });
      const cutovers = cloud.emulator.http.log.filter((x) => x.operation === 'StartCutover' && x.status === 202);
      expect(cutovers).toHaveLength(1);
      expect(Date.parse(cutovers[0]?.time as string)).toBeGreaterThanOrEqual(Date.parse(freeze.end));
      for (const x of cloud.emulator.http.log.filter((y) => y.operation === 'FinalizeCutover' && y.status === 200)) expect(Date.parse(x.time)).toBeGreaterThanOrEqual(Date.parse(freeze.end));
      const rep = JSON.parse(String(r.output)) as WaveReport;
      for (const id of serverIds(cloud)) {
        expect(rep.servers.find((s) => s.serverId === id)?.waited?.join(' ')).toContain(`cutover held by the freeze "quarter-end freeze" (from`);
      }
    } finally {
      stop();
      await cloud.close();
    }
  });
});
