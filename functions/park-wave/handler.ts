import { z } from 'zod';
import { parkWave } from '../../src/core/wave.ts';
import { handle } from '../_lib/runtime.ts';

/** The wave waits for its next server outcome (woken by recordServerOutcome; at once if one came meanwhile). */
export const handler = handle(
  { name: 'parkWave', uses: ['waves', 'callbacks'] },
  z.object({ wave: z.string().min(1).max(48), token: z.string().min(1).max(1024), closed: z.number().int().nonnegative() }),
  (i, d) => parkWave(d, i),
);
