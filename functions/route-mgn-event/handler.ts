import { z } from 'zod';
import { routeEvent } from '../../src/core/waits.ts';
import { extend, handle } from '../_lib/runtime.ts';

const MgnEvent = z.object({ source: z.literal('aws.mgn'), 'detail-type': z.string(), time: z.string().optional(), resources: z.array(z.string()), detail: z.record(z.string(), z.unknown()) });

/** MGN's three events resolve open waits (an event for an older job never resolves a newer wait). */
export const handler = handle(
  { name: 'routeMgnEvent', uses: ['clock', 'metrics', 'config', 'waits', 'callbacks', 'notifier', 'onceKey', 'stalls', 'mgn.describeServers', 'mgn.retryDataReplication'] },
  MgnEvent,
  (e, d) => routeEvent(extend(d, { maxStallRetries: d.config.maxStallRetries }), e),
);
