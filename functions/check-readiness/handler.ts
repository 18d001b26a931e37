import { ReadinessInput } from '../../src/core/contracts.ts';
import { checkReadiness } from '../../src/core/steps.ts';
import { deps, handle } from '../_lib/runtime.ts';

export const handler = handle('checkReadiness', ReadinessInput, (i) => checkReadiness(deps(), i.serverId, i.maxLagSeconds));
