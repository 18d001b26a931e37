import { z } from 'zod';
import { stopWave } from '../../src/core/wave.ts';
import { handle } from '../_lib/runtime.ts';

/** Failure policy `stop`: stop every running server execution of the wave. */
export const handler = handle({ name: 'stopWave', uses: ['waves', 'executions', 'clock'] }, z.object({ wave: z.string().min(1).max(48), cause: z.string().max(2000) }), (i, d) => stopWave(d, i));
