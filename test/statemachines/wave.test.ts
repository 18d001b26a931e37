import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, lifecycleCloud, mgnCalls, serverIds, startWave, waveOf } from './lifecycle-helpers.ts';

describe('wave: 3 applications and standalone servers', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 11, applications: 3 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('runs to the end: every server CUTOVER and archived, each application launched as one job, a report per server', { timeout: 90_000 }, async () => {
    const stop = autoApprove(cloud);
    const wave = waveOf(cloud, { standalone: 2 });
    const arn = await startWave(cloud, wave);
    const r = await cloud.host.settled(arn);
    stop();
    expect({ status: r.status, error: r.error, cause: r.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    const report = JSON.parse(String(r.output)) as { counts: Record<string, number>; servers: { result: string }[] };
    expect(report.counts).toEqual({ succeeded: 11, rolledBack: 0, stopped: 0, failed: 0, running: 0, notStarted: 0 });
    for (const s of cloud.emulator.engine.servers.values()) expect([s.lifeCycle.state, s.isArchived]).toEqual(['CUTOVER', true]);
    // 3 applications + 2 standalone servers: 5 StartTest and 5 StartCutover jobs
    expect(mgnCalls(cloud, 'StartTest').filter((c) => c.status === 202)).toHaveLength(5);
    expect(mgnCalls(cloud, 'StartCutover').filter((c) => c.status === 202)).toHaveLength(5);
    expect(serverIds(cloud)).toHaveLength(11);
  });
});
