import { NotifyInput } from '../../src/core/contracts.ts';
import { notifyOps } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

/** One ops message per event (deduplicated), never a storm. */
export const handler = handle({ name: 'notifyOps', uses: ['notifier'] }, NotifyInput, (i, d) => notifyOps(d, i).then(() => ({ sent: true })));
