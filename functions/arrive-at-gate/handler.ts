import { ensureRequested } from '../../src/core/approvals.ts';
import { ArriveAtGateInput } from '../../src/core/contracts.ts';
import { arriveAtGate } from '../../src/core/gates.ts';
import { handle } from '../_lib/runtime.ts';

/**
 * An application's gate: park here; the request (signed links, one per approver) goes out once; a decision
 * releases all.
 */
export const handler = handle(
  {
    name: 'arriveAtGate',
    uses: ['clock', 'waits', 'gates', 'callbacks', 'notifier', 'dedupe', 'keys', 'links', 'approvals', 'approvalBaseUrl', 'stalls', 'mgn.describeServers', 'mgn.describeJobs'],
  },
  ArriveAtGateInput,
  async (i, d) => {
    const { gate, ...r } = await arriveAtGate(d, i);
    const requested = await ensureRequested(d, gate);
    return { ...r, requested };
  },
);
