import { ServerNotFoundError, ServerNotMigratableError } from './errors.ts';
import type { Clock, JobView, MgnPort } from '../ports.ts';

/**
 * Resuming (docs/adr): the first state routes on what MGN says, so any execution starts or restarts
 * anywhere. Named errors for the states the lifecycle cannot continue from.
 */
export type Phase =
  | 'AWAIT_AGENT'
  | 'AWAIT_READY'
  | 'TEST_LAUNCH'
  | 'AWAIT_TEST_RESULT'
  | 'VERIFY_TEST'
  | 'CUTOVER_WINDOW'
  | 'AWAIT_CUTOVER_RESULT'
  | 'VERIFY_CUTOVER'
  | 'ARCHIVE'
  | 'DONE';

export interface Route {
  phase: Phase;
  lifeCycle: string;
  jobId?: string;
  /** When the test instance was launched: the soak counts from here on a resume. */
  testInitiatedAt?: string;
  /** The soak still to run: the whole soak, or on a resume what is left since the test launch (at least 60 s). */
  soakRemainingSeconds: number;
}

export async function route(deps: { mgn: MgnPort; clock: Clock }, serverId: string, opts: { archive: boolean; soakSeconds: number }): Promise<Route> {
  const r = await routeOn(deps, serverId, opts);
  const started = r.testInitiatedAt ? Date.parse(r.testInitiatedAt) : NaN;
  const elapsed = r.phase === 'VERIFY_TEST' && !Number.isNaN(started) ? (deps.clock.now().getTime() - started) / 1000 : 0;
  return { ...r, soakRemainingSeconds: Math.max(60, Math.round(opts.soakSeconds - elapsed)) };
}

async function routeOn(deps: { mgn: MgnPort }, serverId: string, opts: { archive: boolean }): Promise<Omit<Route, 'soakRemainingSeconds'>> {
  const [s] = await deps.mgn.describeServers([serverId]);
  if (!s) throw new ServerNotFoundError(`MGN knows no source server ${serverId}`);
  if (s.isArchived) return { phase: 'DONE', lifeCycle: s.lifeCycle };
  const jobOf = async (jobId: string | undefined): Promise<JobView | undefined> => (jobId ? (await deps.mgn.describeJobs([jobId]))[0] : undefined);
  switch (s.lifeCycle) {
    // known to MGN (imported, discovered through vCenter or a connector) but no agent yet: wait for it
    case 'DISCOVERED':
    case 'PENDING_INSTALLATION':
      return { phase: 'AWAIT_AGENT', lifeCycle: s.lifeCycle };
    case 'NOT_READY':
      return { phase: 'AWAIT_READY', lifeCycle: s.lifeCycle };
    case 'READY_FOR_TEST':
      return { phase: 'TEST_LAUNCH', lifeCycle: s.lifeCycle };
    case 'TESTING': {
      const jobId = s.lastTest.jobId;
      const job = await jobOf(jobId);
      const mine = job?.servers.find((p) => p.id === serverId);
      const base = { lifeCycle: s.lifeCycle, ...(jobId ? { jobId } : {}), ...(s.lastTest.initiatedAt ? { testInitiatedAt: s.lastTest.initiatedAt } : {}) };
      if (job && job.status !== 'COMPLETED' && mine?.launchStatus !== 'LAUNCHED' && mine?.launchStatus !== 'FAILED') return { phase: 'AWAIT_TEST_RESULT', ...base };
      if (mine?.launchStatus === 'LAUNCHED') return { phase: 'VERIFY_TEST', ...base };
      return { phase: 'TEST_LAUNCH', ...base };
    }
    case 'READY_FOR_CUTOVER':
      return { phase: 'CUTOVER_WINDOW', lifeCycle: s.lifeCycle };
    case 'CUTTING_OVER': {
      const jobId = s.lastCutover.jobId;
      const job = await jobOf(jobId);
      const mine = job?.servers.find((p) => p.id === serverId);
      const base = { lifeCycle: s.lifeCycle, ...(jobId ? { jobId } : {}) };
      if (job && job.status !== 'COMPLETED' && mine?.launchStatus !== 'LAUNCHED' && mine?.launchStatus !== 'FAILED') return { phase: 'AWAIT_CUTOVER_RESULT', ...base };
      if (mine?.launchStatus === 'LAUNCHED') return { phase: 'VERIFY_CUTOVER', ...base };
      return { phase: 'AWAIT_CUTOVER_RESULT', ...base };
    }
    case 'CUTOVER':
      return { phase: opts.archive ? 'ARCHIVE' : 'DONE', lifeCycle: s.lifeCycle };
    default:
      throw new ServerNotMigratableError(`source server ${serverId} is ${s.lifeCycle} (replication ${s.replication.state}); resume replication or reconnect it, then start again`);
  }
}
