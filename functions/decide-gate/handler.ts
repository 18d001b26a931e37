import { recordDecision } from '../../src/core/approvals.ts';
import { DecideInput } from '../../src/core/contracts.ts';
import { handle } from '../_lib/runtime.ts';

/**
 * A gate decision invoked directly (ops tooling, tests): the same audited path as the approval page and the
 * CLI: exactly once, releasing every parked server, written to the audit log.
 */
export const handler = handle(
  { name: 'decideGate', uses: ['clock', 'metrics', 'waits', 'gates', 'callbacks', 'audit', 'mgn.describeServers', 'mgn.describeJobs'] },
  DecideInput,
  ({ gateId, ...decision }, d) => recordDecision(d, { gateId, ...decision }, { channel: 'cli', userAgent: 'decideGate' }),
);
