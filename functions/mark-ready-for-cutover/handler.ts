import { ServerInput } from '../../src/core/contracts.ts';
import { markReadyForCutover } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

export const handler = handle({ name: 'markReadyForCutover', uses: ['mgn.describeServers', 'mgn.changeLifeCycleState'] }, ServerInput, (i, d) => markReadyForCutover(d, i.serverId));
