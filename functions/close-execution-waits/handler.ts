import { z } from 'zod';
import { executionClosed } from '../../src/core/waits.ts';
import { handle } from '../_lib/runtime.ts';

const StatusChange = z.object({
  source: z.literal('aws.states'),
  detail: z.object({ executionArn: z.string().min(1), name: z.string().optional(), status: z.string(), error: z.string().nullish(), cause: z.string().nullish() }),
});

/** A server execution ended without success: ops are told once, and its open waits close with it. */
export const handler = handle({ name: 'closeExecutionWaits', uses: ['waits', 'points', 'gates', 'notifier'] }, StatusChange, (e, d) => executionClosed(d, e.detail));
