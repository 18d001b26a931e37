import { ServerInput } from '../../src/core/contracts.ts';
import { finalizeCutover } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

/** The point of no return (the finalize gate said so): FinalizeCutover, once. */
export const handler = handle({ name: 'finalizeCutover', uses: ['mgn.describeServers', 'mgn.finalizeCutover'] }, ServerInput, (i, d) => finalizeCutover(d, i.serverId));
