import { ArriveAtLaunchPointInput } from '../../src/core/contracts.ts';
import { arriveAtLaunchPoint } from '../../src/core/launch.ts';
import { handle } from '../_lib/runtime.ts';

/** An application's launch point: the last arrival makes the one StartTest / StartCutover. */
export const handler = handle(
  {
    name: 'arriveAtLaunchPoint',
    uses: ['clock', 'metrics', 'waits', 'points', 'gates', 'callbacks', 'notifier', 'lock', 'quotas', 'waves', 'mgn.describeServers', 'mgn.describeJobs', 'mgn.jobsSince', 'mgn.startTest', 'mgn.startCutover'],
  },
  ArriveAtLaunchPointInput,
  (i, d) => arriveAtLaunchPoint(d, i),
);
