import { z } from 'zod';
import { reconcileLaunchPoints } from '../../src/core/launch.ts';
import { reconcile } from '../../src/core/waits.ts';
import { handle } from '../_lib/runtime.ts';

/** On a schedule: resolve the waits events missed, and make the launches whose arrival timeout passed. */
export const handler = handle(
  {
    name: 'reconcile',
    uses: ['clock', 'waits', 'points', 'callbacks', 'notifier', 'lock', 'mgn.describeServers', 'mgn.describeJobs', 'mgn.jobsSince', 'mgn.startTest', 'mgn.startCutover'],
  },
  z.unknown(),
  async (_e, d) => ({ waits: await reconcile(d), launchPoints: await reconcileLaunchPoints(d) }),
);
