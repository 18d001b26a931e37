import { DecideInput } from '../../src/core/contracts.ts';
import { decide } from '../../src/core/gates.ts';
import { handle } from '../_lib/runtime.ts';

/** A gate decision (from the approval page or the CLI): exactly once, releasing every parked server. */
export const handler = handle({ name: 'decideGate', uses: ['clock', 'waits', 'gates', 'callbacks'] }, DecideInput, ({ gateId, ...decision }, d) =>
  decide(d, gateId, { ...decision, at: d.clock.now().toISOString() }),
);
