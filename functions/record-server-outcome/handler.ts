import { z } from 'zod';
import { recordServerOutcome } from '../../src/core/wave.ts';
import { handle } from '../_lib/runtime.ts';

const StatusChange = z.object({
  source: z.literal('aws.states'),
  detail: z.object({ executionArn: z.string().min(1), name: z.string().optional(), status: z.string(), error: z.string().nullish(), cause: z.string().nullish() }),
});

/** A server execution ended (Step Functions status event): its outcome is recorded and its wave woken. */
export const handler = handle({ name: 'recordServerOutcome', uses: ['waves', 'callbacks', 'clock'] }, StatusChange, (e, d) => recordServerOutcome(d, e.detail));
