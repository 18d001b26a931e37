import { NotifyInput } from '../../src/core/contracts.ts';
import { notifyOps } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

/** One ops message per event (deduplicated), never a storm. */
export const handler = handle('notifyOps', NotifyInput, (i) => notifyOps(deps(), i).then(() => ({ sent: true })));
