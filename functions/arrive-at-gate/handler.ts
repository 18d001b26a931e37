import { ArriveAtGateInput } from '../../src/core/contracts.ts';
import { arriveAtGate } from '../../src/core/gates.ts';
import { handle } from '../_lib/runtime.ts';

/** An application's gate: park here; the first arrival sends the one request; a decision releases all. */
export const handler = handle({ name: 'arriveAtGate', uses: ['clock', 'waits', 'gates', 'callbacks', 'notifier'] }, ArriveAtGateInput, (i, d) => arriveAtGate(d, i));
