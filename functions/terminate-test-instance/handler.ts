import { ServerInput } from '../../src/core/contracts.ts';
import { terminateTestInstance } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

export const handler = handle('terminateTestInstance', ServerInput, (i) => terminateTestInstance(deps(), i.serverId));
