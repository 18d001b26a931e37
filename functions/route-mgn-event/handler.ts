import { z } from 'zod';
import { routeEvent } from '../../src/core/waits.ts';
import { deps, handle } from '../_lib/runtime.ts';

const MgnEvent = z.object({ source: z.literal('aws.mgn'), 'detail-type': z.string(), resources: z.array(z.string()), detail: z.record(z.string(), z.unknown()) });

/** MGN's three events resolve open waits (an event for an older job never resolves a newer wait). */
export const handler = handle('routeMgnEvent', MgnEvent, (e) =>
  routeEvent({ ...deps(), maxStallRetries: deps().config.maxStallRetries }, e),
);
