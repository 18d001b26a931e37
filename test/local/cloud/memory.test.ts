import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../../src/local/cloud/index.ts';
import { lifecycleCloud, startServers, until } from '../../statemachines/lifecycle-helpers.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

/** While a wave waits (a long soak), the local cloud does the same small work every 5 minutes: memory stays flat. */
describe('memory while a wave waits', () => {
  it('a server soaking for weeks: the heap after 6 simulated days is within a few MB of the heap after 1', { timeout: 180_000 }, async () => {
    let cloud: LocalCloud | undefined;
    try {
      cloud = await lifecycleCloud({ servers: 3, applications: 1 });
      const c = cloud;
      const t0 = c.clock.now();
      startServers(c, { plan: { soakSeconds: 14 * 86400, gateTimeoutSeconds: 20 * 86400 } });
      const at = async (days: number) => until(`day ${days}`, () => c.clock.now() >= t0 + days * 86_400_000, 120_000);
      await at(1);
      const day1 = heapMb();
      const invocations1 = c.lambda.invocations.length;
      await at(6);
      const day6 = heapMb();
      const runs = c.lambda.invocations.length - invocations1;
      if (process.env.MEM_DEBUG) console.log(JSON.stringify({ inv: c.lambda.invocations.length, fires: c.scheduler.fires.length, outbox: c.sns.outbox().length, log: c.emulator.http.log.length, deliveries: (c.bus as unknown as { deliveries: unknown[] }).deliveries.length, queue: c.clock.pending }));
      console.log(`memory: heap ${day1.toFixed(1)} MB at day 1, ${day6.toFixed(1)} MB at day 6, after ${runs} Lambda invocations`);
      // 5 days of the reconciler (about 1,440 runs) and the soak's waits
      expect(runs).toBeGreaterThan(1400);
      expect(day6 - day1).toBeLessThan(15);
    } finally {
      await cloud?.close();
    }
  });
});
