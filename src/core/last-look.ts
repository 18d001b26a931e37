import type { WaitCondition } from '../ports.ts';
import { evaluate, type WaitDeps } from './waits.ts';

/**
 * A wait timed out: before its timeout path (a failure gate, a revert, a failed execution), one last look at
 * MGN (docs/adr/0004, "No decision from a timer"). Events are best-effort and the reconciler may have been
 * throttled or down: what the wait waited for may well have happened. `met` with the output the wait would
 * have resumed with, or the timeout path stands.
 */
export async function lastLook(
  deps: Pick<WaitDeps, 'mgn' | 'clock'>,
  i: { serverId: string; condition: WaitCondition },
): Promise<{ met: boolean; output: Record<string, unknown> | null; reason: string }> {
  const c = i.condition;
  const jobId = 'jobId' in c ? c.jobId : undefined;
  const [server] = c.kind === 'JOB_DONE' ? [] : await deps.mgn.describeServers([i.serverId]);
  const [job] = jobId ? await deps.mgn.describeJobs([jobId]) : [];
  const outcome = evaluate(c, i.serverId, server, job, deps.clock.now());
  if (outcome && 'output' in outcome) return { met: true, output: { ...outcome.output, via: 'last look' }, reason: `MGN shows ${c.kind} reached` };
  const state = server ? `${server.lifeCycle}, replication ${server.replication.state}` : job ? `job ${job.id} ${job.status}` : 'nothing';
  return { met: false, output: null, reason: `MGN shows ${state}: ${c.kind} not reached` };
}
