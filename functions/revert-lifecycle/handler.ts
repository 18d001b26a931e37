import { RevertInput } from '../../src/core/contracts.ts';
import { revertAndTerminate } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

export const handler = handle(
  { name: 'revertLifecycle', uses: ['mgn.describeServers', 'mgn.changeLifeCycleState', 'mgn.terminateTargetInstances'] },
  RevertInput,
  (i, d) => revertAndTerminate(d, i.serverId, i.to, i.terminate),
);
