import { describe, expect, it } from 'vitest';
import { terminateTestInstance } from '../../src/core/steps.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

const A = 's-aaaaaaaaaaaaaaaaa';

describe('terminateTestInstance', () => {
  it('adopts the TERMINATE job a retried request already started instead of starting a second one', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(A, { lifeCycle: 'READY_FOR_CUTOVER', launchedInstance: { ec2InstanceId: 'i-0123456789abcdef0', jobId: 'mgnjob-t', firstBoot: 'SUCCEEDED' } }));
    const first = await terminateTestInstance(deps, A);
    const again = await terminateTestInstance(deps, A);
    expect(again.jobId).toBe(first.jobId);
    expect(deps.mgn.callsTo('terminateTargetInstances')).toHaveLength(1);
  });

  it('does nothing for a server without a launched instance', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(A, { lifeCycle: 'READY_FOR_CUTOVER' }));
    expect(await terminateTestInstance(deps, A)).toEqual({ jobId: null });
    expect(deps.mgn.callsTo('terminateTargetInstances')).toHaveLength(0);
  });
});
