import { z } from 'zod';
import { archiveMgnPlan } from '../../src/core/mgn-plan.ts';
import { handle } from '../_lib/runtime.ts';

/** The wave ended complete: its MGN applications and MGN wave are archived (unless the wave says not to). */
export const handler = handle({ name: 'archiveMgnPlan', uses: ['mgnPlan', 'waves', 'notifier'] }, z.object({ wave: z.string().min(1).max(48) }), (i, d) => archiveMgnPlan(d, i.wave));
