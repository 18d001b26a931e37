import { z } from 'zod';
import { remindOpenGates } from '../../src/core/approvals.ts';
import { reconcileLaunchPoints } from '../../src/core/launch.ts';
import { reconcile } from '../../src/core/waits.ts';
import { handle } from '../_lib/runtime.ts';

/**
 * On a schedule: resolve the waits events missed, make the launches whose arrival timeout passed, remind
 * approvers (50% and 90% of a gate's time), escalate to ops (90%) and expire gates past their deadline.
 */
export const handler = handle(
  {
    name: 'reconcile',
    uses: [
      'clock',
      'waits',
      'points',
      'quotas',
      'waves',
      'callbacks',
      'notifier',
      'lock',
      'gates',
      'onceKey',
      'dedupe',
      'keys',
      'links',
      'approvals',
      'approvalBaseUrl',
      'mgn.describeServers',
      'mgn.describeJobs',
      'mgn.jobsSince',
      'mgn.startTest',
      'mgn.startCutover',
    ],
  },
  z.unknown(),
  async (_e, d) => ({ waits: await reconcile(d), launchPoints: await reconcileLaunchPoints(d), gates: await remindOpenGates(d) }),
);
