import { TerminateInput } from '../../src/core/contracts.ts';
import { terminateTestInstances } from '../../src/core/launch.ts';
import { handle } from '../_lib/runtime.ts';

/** After the sign-off: the application's test instances in one TERMINATE job, within MGN's job quotas. */
export const handler = handle(
  { name: 'terminateTestInstance', uses: ['clock', 'lock', 'quotas', 'mgn.describeServers', 'mgn.jobsSince', 'mgn.terminateTargetInstances'] },
  TerminateInput,
  (i, d) => terminateTestInstances(d, i.serverId, i.members ?? [i.serverId]),
);
