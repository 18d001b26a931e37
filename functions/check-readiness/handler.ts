import { ReadinessInput } from '../../src/core/contracts.ts';
import { checkReadiness } from '../../src/core/steps.ts';
import { handle } from '../_lib/runtime.ts';

export const handler = handle({ name: 'checkReadiness', uses: ['mgn.describeServers'] }, ReadinessInput, (i, d) => checkReadiness(d, i.serverId, i.maxLagSeconds));
