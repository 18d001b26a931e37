import { z } from 'zod';
import { admitWave } from '../../src/core/wave.ts';
import { handle } from '../_lib/runtime.ts';

/** One admission round: start the server executions of the applications the quotas, canaries and policy allow. */
export const handler = handle(
  { name: 'admitWave', uses: ['waves', 'executions', 'clock', 'mgn.applyLaunchSettings', 'launchTemplates'] },
  z.object({ wave: z.string().min(1).max(48), waveRun: z.string().min(1).max(80) }),
  (i, d) => admitWave(d, i),
);
