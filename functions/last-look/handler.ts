import { LastLookInput } from '../../src/core/contracts.ts';
import { lastLook } from '../../src/core/last-look.ts';
import { handle } from '../_lib/runtime.ts';

/** A wait timed out: one last look at MGN before its timeout path (read only). */
export const handler = handle({ name: 'lastLook', uses: ['clock', 'mgn.describeServers', 'mgn.describeJobs'] }, LastLookInput, (i, d) => lastLook(d, i));
