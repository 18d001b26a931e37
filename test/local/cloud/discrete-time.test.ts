import { describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../src/local/cloud/index.ts';
import { autoApprove, lifecycleCloud, startWave, waveOf } from '../../statemachines/lifecycle-helpers.ts';

/**
 * The discrete-event clock: simulated time stands still while work is in flight and jumps to the next
 * scheduled moment when the cloud is idle, so the same seed and inputs give the same run, whatever the host's
 * speed or load.
 */

interface Run {
  status: string;
  log: string[];
  simulatedHours: number;
  transitions: number;
}

async function seededWave(seed: number, faults: Record<string, number>): Promise<Run> {
  let cloud: LocalCloud | undefined;
  try {
    cloud = await lifecycleCloud({ servers: 8, applications: 2, seed, faults });
    const start = cloud.clock.now();
    const stop = autoApprove(cloud, { failure: 'retry' });
    const arn = await startWave(cloud, waveOf(cloud, { standalone: 1 }));
    const r = await cloud.host.settled(arn);
    stop();
    // the request log without what the SDK draws at random per call (its invocation id)
    const log = cloud.emulator.http.log.map((e) => JSON.stringify({ ...e, invocationId: undefined }));
    let transitions = 0;
    for (const m of Object.values(cloud.info.stateMachines)) for (const e of cloud.host.listExecutions(m)) transitions += cloud.host.history(e.executionArn).filter((h) => h.type.endsWith('StateEntered')).length;
    return { status: r.status, log, simulatedHours: (cloud.clock.now() - start) / 3_600_000, transitions };
  } finally {
    await cloud?.close();
  }
}

describe('discrete-event time', () => {
  it('the same seeded wave twice, with faults on, gives the identical emulator request log', { timeout: 120_000 }, async () => {
    const faults = { throttleRate: 0.05, internalErrorRate: 0.03, launchFailRate: 0.15, eventDropRate: 0.1, eventDupRate: 0.1, eventReorderWindowS: 60 };
    const a = await seededWave(7, faults);
    const b = await seededWave(7, faults);
    expect(a.status).toBe('SUCCEEDED');
    expect(a.log.length).toBeGreaterThan(50);
    const firstDiff = a.log.findIndex((line, i) => line !== b.log[i]);
    expect(firstDiff === -1 ? 'identical' : `first difference at ${firstDiff}: ${a.log[firstDiff]} vs ${b.log[firstDiff]}`).toBe('identical');
    expect(b.log.length).toBe(a.log.length);
    expect(b.transitions).toBe(a.transitions);
    expect(b.simulatedHours).toBe(a.simulatedHours);
  });
});
