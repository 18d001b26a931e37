import { ServerInput } from '../../src/core/contracts.ts';
import { markReadyForCutover } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

export const handler = handle('markReadyForCutover', ServerInput, (i) => markReadyForCutover(deps(), i.serverId));
