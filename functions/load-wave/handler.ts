import { z } from 'zod';
import { loadWave } from '../../src/core/wave.ts';
import { handle } from '../_lib/runtime.ts';

/** The wave's first state: the stored wave, checked again against MGN's live quotas and the clock. */
export const handler = handle({ name: 'loadWave', uses: ['waves', 'quotas', 'clock', 'mgn.listManagedAccounts'] }, z.object({ wave: z.string().min(1).max(48) }), (i, d) => loadWave(d, i.wave));
