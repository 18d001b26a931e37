import { FinalizeInput } from '../../src/core/contracts.ts';
import { finalizeCutover } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

/** The point of no return (the finalize gate said so): FinalizeCutover, once, never inside a freeze window. */
export const handler = handle({ name: 'finalizeCutover', uses: ['clock', 'metrics', 'waves', 'mgn.describeServers', 'mgn.finalizeCutover'] }, FinalizeInput, (i, d) =>
  finalizeCutover(d, i.serverId, { ...(i.wave ? { wave: i.wave } : {}), freeze: i.freeze, ...(i.timeZone ? { timeZone: i.timeZone } : {}) }),
);
