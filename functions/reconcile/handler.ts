import { z } from 'zod';
import { remindOpenGates } from '../../src/core/approvals.ts';
import { reconcileLaunchPoints } from '../../src/core/launch.ts';
import { allParts, PARKED_SWEEP_SECONDS, reconcile } from '../../src/core/waits.ts';
import { handle } from '../_lib/runtime.ts';

/**
 * On a schedule: resolve the waits events missed, make the launches whose arrival timeout passed, remind
 * approvers (50% and 90% of a gate's time), escalate to ops (90%) and expire gates past their deadline.
 */
/** The lease a run holds: the function's timeout (serverless.yml), so a crashed run frees it. */
const RUN_LEASE_SECONDS = 120;

export const handler = handle(
  {
    name: 'reconcile',
    uses: [
      'clock',
      'metrics',
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
      'config',
      'stalls',
      'mgn.describeServers',
      'mgn.retryDataReplication',
      'mgn.describeJobs',
      'mgn.jobsSince',
      'mgn.startTest',
      'mgn.startCutover',
    ],
  },
  z.unknown(),
  async (_e, d) => {
    // one run at a time: a slow run (many open waits) is not overlapped by the next schedule tick
    if (!(await d.lock.acquire('reconcile', RUN_LEASE_SECONDS))) return { skipped: 'another reconcile run is in progress' };
    try {
      // parked servers are read once per PARKED_SWEEP_SECONDS (the first run of each slot), not every run
      const slot = Math.floor(d.clock.now().getTime() / (PARKED_SWEEP_SECONDS * 1000));
      const sweepParked = await d.onceKey(`parked-sweep#${slot}`, PARKED_SWEEP_SECONDS * 2);
      const watch = { stalls: d.stalls, notifier: d.notifier, onceKey: d.onceKey, maxStallRetries: d.config.maxStallRetries, mgn: d.mgn, sweepParked };
      // each part runs whatever the others met (MGN throttled while resolving waits still leaves the launch
      // points and the gates to do); what failed is raised at the end, so the run shows as failed
      return await allParts({ waits: () => reconcile(d, watch), launchPoints: () => reconcileLaunchPoints(d), gates: () => remindOpenGates(d) });
    } finally {
      await d.lock.release('reconcile');
    }
  },
);
