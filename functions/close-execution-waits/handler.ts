import { z } from 'zod';
import { closeExecutionWaits } from '../../src/core/waits.ts';
import { deps, handle } from '../_lib/runtime.ts';

const StatusChange = z.object({ source: z.literal('aws.states'), detail: z.object({ executionArn: z.string().min(1), status: z.string() }) });

/** A server execution closed: its open waits close with it (stopping starts no further MGN job). */
export const handler = handle('closeExecutionWaits', StatusChange, (e) => closeExecutionWaits(deps(), e.detail.executionArn));
