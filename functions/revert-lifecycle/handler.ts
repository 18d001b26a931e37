import { RevertInput } from '../../src/core/contracts.ts';
import { revertAndTerminate } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

export const handler = handle('revertLifecycle', RevertInput, (i) => revertAndTerminate(deps(), i.serverId, i.to, i.terminate));
