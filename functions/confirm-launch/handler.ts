import { ConfirmLaunchInput } from '../../src/core/contracts.ts';
import { confirmLaunch } from '../../src/core/launch.ts';
import { handle } from '../_lib/runtime.ts';

/** Before a launch timeout path or a relaunch: what MGN says of the server's latest launch (read only). */
export const handler = handle(
  { name: 'confirmLaunch', uses: ['clock', 'mgn.describeServers', 'mgn.describeJobs'] },
  ConfirmLaunchInput,
  (i, d) => confirmLaunch(d, i),
);
