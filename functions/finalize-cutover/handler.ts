import { ServerInput } from '../../src/core/contracts.ts';
import { finalizeCutover } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

/** The point of no return (the finalize gate said so): FinalizeCutover, once. */
export const handler = handle('finalizeCutover', ServerInput, (i) => finalizeCutover(deps(), i.serverId));
