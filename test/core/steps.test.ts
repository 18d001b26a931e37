import { describe, expect, it } from 'vitest';
import { terminateTestInstance } from '../../src/core/steps.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';
import { MgnConflictError } from '../../src/core/errors.ts';

const A = 's-aaaaaaaaaaaaaaaaa';

describe('terminateTestInstance', () => {
  it('never starts a second TERMINATE job: MGN refuses it while the first runs, and once it ends there is nothing to do', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(A, { lifeCycle: 'READY_FOR_CUTOVER', launchedInstance: { ec2InstanceId: 'i-0123456789abcdef0', jobId: 'mgnjob-t', firstBoot: 'SUCCEEDED' } }));
    const first = await terminateTestInstance(deps, A);
    expect(first.jobId).toBeTruthy();
    // a retry while the job runs: MGN refuses it (one job per server; the emulator enforces it), the step
    // surfaces the MgnConflictError, and the state machine retries it
    deps.mgn.failNext('terminateTargetInstances', 'conflict');
    await expect(terminateTestInstance(deps, A)).rejects.toBeInstanceOf(MgnConflictError);
    deps.mgn.setServer(A, { launchedInstance: undefined });
    deps.mgn.completeJob(first.jobId as string);
    expect(await terminateTestInstance(deps, A)).toEqual({ jobId: null });
    expect(deps.mgn.callsTo('terminateTargetInstances').filter((c) => c.ids[0] === A)).toHaveLength(2);
  });

  it('does nothing for a server without a launched instance', async () => {
    const deps = fakeDeps();
    deps.mgn.addServer(serverView(A, { lifeCycle: 'READY_FOR_CUTOVER' }));
    expect(await terminateTestInstance(deps, A)).toEqual({ jobId: null });
    expect(deps.mgn.callsTo('terminateTargetInstances')).toHaveLength(0);
  });
});
