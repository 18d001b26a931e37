import { RouteInput } from '../../src/core/contracts.ts';
import { route } from '../../src/core/route.ts';
import { handle } from '../_lib/runtime.ts';

/** Route: where MGN says the server is, so an execution can start or restart anywhere. */
export const handler = handle(
  { name: 'route', uses: ['clock', 'mgn.describeServers', 'mgn.describeJobs'] },
  RouteInput,
  (i, d) => route(d, i.serverId, { archive: i.archive, soakSeconds: i.soakSeconds }),
);
