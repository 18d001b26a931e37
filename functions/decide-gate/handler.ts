import { DecideInput } from '../../src/core/contracts.ts';
import { decide } from '../../src/core/gates.ts';
import { deps, handle } from '../_lib/runtime.ts';

/** A gate decision (from the approval page or the CLI): exactly once, releasing every parked server. */
export const handler = handle('decideGate', DecideInput, ({ gateId, ...d }) =>
  decide(deps(), gateId, { ...d, at: deps().clock.now().toISOString() }),
);
