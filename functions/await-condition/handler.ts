import { AwaitConditionInput } from '../../src/core/contracts.ts';
import { registerWait } from '../../src/core/waits.ts';
import { deps, handle } from '../_lib/runtime.ts';

/** Every callback wait: record it, check it at once; the event router or the reconciler resolves it later. */
export const handler = handle('awaitCondition', AwaitConditionInput, ({ checkNow, ...wait }) => registerWait(deps(), wait, { checkNow }));
