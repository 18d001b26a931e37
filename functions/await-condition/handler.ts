import { AwaitConditionInput } from '../../src/core/contracts.ts';
import { registerWait } from '../../src/core/waits.ts';
import { handle } from '../_lib/runtime.ts';

/** Every callback wait: record it, check it at once; the event router or the reconciler resolves it later. */
export const handler = handle(
  { name: 'awaitCondition', uses: ['clock', 'waits', 'callbacks', 'mgn.describeServers', 'mgn.describeJobs'] },
  AwaitConditionInput,
  ({ checkNow, ...wait }, d) => registerWait(d, wait, { checkNow }),
);
