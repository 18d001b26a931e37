import { TerminateInput } from '../../src/core/contracts.ts';
import { terminateTestInstances } from '../../src/core/launch.ts';
import { handle } from '../_lib/runtime.ts';

/** After the sign-off: the application's test instances in one TERMINATE job, within MGN's job quotas. */
export const handler = handle(
  { name: 'terminateTestInstance', uses: ['clock', 'lock', 'quotas', 'gates', 'mgn.describeServers', 'mgn.jobsSince', 'mgn.terminateTargetInstances'] },
  TerminateInput,
  async (i, d) => {
    // the servers the same sign-off approved: their test instances go in this one job
    const gate = i.signoffGate ? await d.gates.get(i.signoffGate) : undefined;
    const approved = gate?.status === 'DECIDED' && gate.decision?.decision === 'approve' ? { servers: gate.decision.released ?? [], at: gate.decision.at } : undefined;
    return terminateTestInstances(d, i.serverId, i.members ?? [i.serverId], approved);
  },
);
