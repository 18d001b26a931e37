import { z } from 'zod';
import { waveReport } from '../../src/core/wave.ts';
import { handle } from '../_lib/runtime.ts';

/** The wave's report per server (succeeded, rolled back, stopped, failed; why; why it waited), kept and sent to ops. */
export const handler = handle(
  { name: 'waveReport', uses: ['waves', 'clock', 'metrics', 'notifier'] },
  z.object({ wave: z.string().min(1).max(48), holding: z.string().max(5000).default('') }),
  (i, d) => waveReport(d, i),
);
