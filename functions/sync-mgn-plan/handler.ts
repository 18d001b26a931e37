import { z } from 'zod';
import { syncMgnPlan } from '../../src/core/mgn-plan.ts';
import { handle } from '../_lib/runtime.ts';

/** MGN's wave and applications created or updated for the wave, its servers associated and tagged (idempotent). */
export const handler = handle({ name: 'syncMgnPlan', uses: ['mgnPlan', 'waves', 'notifier'] }, z.object({ wave: z.string().min(1).max(48) }), (i, d) => syncMgnPlan(d, i.wave));
