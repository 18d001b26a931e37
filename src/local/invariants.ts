import type { MgnEngine } from './emulator/engine.ts';

/**
 * Launches MGN made of a server after one of the same kind that MGN shows LAUNCHED with every post-launch
 * action run well: each is a launch nobody intended (a relaunch is meant only after a launch that failed, or
 * whose post-launch actions failed). Read from the emulator's own job records,
 * whoever asked for the launch. Used by the demo's check and the generated stories.
 */
export function doubleLaunches(engine: Pick<MgnEngine, 'jobs'>): string[] {
  const found: string[] = [];
  const jobs = [...engine.jobs.values()].filter((j) => j.type === 'LAUNCH').sort((a, b) => a.createdAt - b.createdAt || a.jobID.localeCompare(b.jobID));
  const byServer = new Map<string, { kind: string; jobID: string; ok: boolean }[]>();
  for (const j of jobs) {
    for (const p of j.participants) {
      const list = byServer.get(p.sourceServerID) ?? [];
      const actionsFailed = (p.postLaunch?.list ?? []).some((a) => a.executionStatus === 'FAILED');
      list.push({ kind: j.initiatedBy, jobID: j.jobID, ok: p.launchStatus === 'LAUNCHED' && !actionsFailed });
      byServer.set(p.sourceServerID, list);
    }
  }
  for (const [id, launches] of byServer) {
    for (const kind of ['START_TEST', 'START_CUTOVER']) {
      const mine = launches.filter((l) => l.kind === kind);
      for (let i = 1; i < mine.length; i++) {
        const before = mine[i - 1] as (typeof mine)[number];
        if (before.ok) found.push(`${id}: ${kind} ${mine[i]?.jobID} after ${before.jobID} had LAUNCHED`);
      }
    }
  }
  return found;
}
