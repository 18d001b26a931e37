import { ServerInput } from '../../src/core/contracts.ts';
import { terminateTestInstance } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

export const handler = handle(
  { name: 'terminateTestInstance', uses: ['mgn.describeServers', 'mgn.terminateTargetInstances'] },
  ServerInput,
  (i, d) => terminateTestInstance(d, i.serverId),
);
