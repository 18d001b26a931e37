import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import type { RequestLogEntry } from '../../src/local/emulator/http.ts';
import { autoApprove, lifecycleCloud, serverIds, startWave, waveOf } from './lifecycle-helpers.ts';

/**
 * Issue 6 "Done when": a wave of 450 servers (the replicating quota raised in the emulator, as an account
 * would have it raised) never breaks a job quota and launches each application as one job.
 *
 * Three applications of 150: two test launches together would put 300 servers in jobs, so the job-slot
 * limiter must hold the second until the first job is done. The clock is discrete-event: it jumps to the
 * next thing that happens whenever the cloud is idle, so no timeout fires because this machine is slow and
 * the simulated hours of jobs cost no wall time; the wall time is the work itself (the MGN requests and
 * the handlers behind them), see the figures it prints.
 */

const SERVERS = Number(process.env.WAVE_SCALE_SERVERS ?? 450);
const APPLICATIONS = 3;
const JOB_OPERATIONS = new Set(['StartTest', 'StartCutover', 'TerminateTargetInstances']);

/** The most jobs, and servers in jobs, active at any one instant, from the emulator's own job records. */
function peakJobs(cloud: LocalCloud): { jobs: number; servers: number } {
  const edges: { t: number; d: number; n: number }[] = [];
  const now = cloud.clock.now();
  for (const j of cloud.emulator.engine.jobs.values()) {
    edges.push({ t: j.createdAt, d: 1, n: j.participants.length });
    edges.push({ t: j.endedAt ?? now, d: -1, n: -j.participants.length });
  }
  // a job ending at the instant another starts has freed its slot first (MGN counts it done)
  edges.sort((a, b) => a.t - b.t || a.d - b.d);
  const peak = { jobs: 0, servers: 0 };
  let jobs = 0;
  let servers = 0;
  for (const e of edges) {
    jobs += e.d;
    servers += e.n;
    peak.jobs = Math.max(peak.jobs, jobs);
    peak.servers = Math.max(peak.servers, servers);
  }
  return peak;
}

function countBy(keys: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of keys) out[k] = (out[k] ?? 0) + 1;
  return out;
}

// The work of 450 servers on the 2-core machine (see the wallSeconds it prints), not the clock.
describe(`wave at scale: ${SERVERS} servers in ${APPLICATIONS} applications of ${SERVERS / APPLICATIONS}`, () => {
  let cloud: LocalCloud;
  let log: RequestLogEntry[] = [];
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: SERVERS, applications: APPLICATIONS, quotas: { maxActiveSourceServers: 500 } });
  }, 60_000);
  afterAll(async () => {
    await cloud?.close();
  });

  it('succeeds for every server, one StartTest and one StartCutover per application, never above 20 jobs or 200 servers in jobs, no launch refused', { timeout: 600_000 }, async () => {
    const wall = performance.now();
    const simStart = cloud.clock.now();
    const approver = autoApprove(cloud);
    const wave = waveOf(cloud, { name: 'big', defaults: { soakDays: 0.05, concurrency: 10 } });
    expect(wave.applications.map((a) => a.servers.length)).toEqual(Array(APPLICATIONS).fill(SERVERS / APPLICATIONS));
    const arn = await startWave(cloud, wave);
    const r = await cloud.host.settled(arn);
    approver();
    log = cloud.emulator.http.log;
    const jobsOf = (kind: string) => [...cloud.emulator.engine.jobs.values()].filter((j) => j.initiatedBy === kind).length;
    const peak = peakJobs(cloud);
    console.log(
      `wave-scale: ${JSON.stringify({
        servers: SERVERS,
        wave: { status: r.status, error: r.error, cause: r.cause?.slice(0, 400) },
        operations: countBy(log.map((e) => e.operation)),
        wallSeconds: Math.round((performance.now() - wall) / 100) / 10,
        peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
        clock: `discrete-event, ${cloud.clock.jumpCount} jumps`,
        simulatedHours: Math.round((cloud.clock.now() - simStart) / 360_000) / 10,
        mgnRequests: log.length,
        handlerInvocations: cloud.lambda.invocations.length,
        jobs: { test: jobsOf('START_TEST'), cutover: jobsOf('START_CUTOVER'), terminate: jobsOf('TERMINATE') },
        peak,
        refused: countBy(log.filter((e) => e.status >= 400).map((e) => `${e.operation} ${e.errorType}`)),
      })}`,
    );
    // what a stuck server was doing, when the wave did not succeed
    if (r.status !== 'SUCCEEDED') {
      for (const s of [...cloud.emulator.engine.servers.values()].filter((x) => x.lifeCycle.state !== 'CUTOVER').slice(0, 3)) {
        for (const e of cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).filter((x) => x.name.includes(s.id))) {
          console.log(s.id, s.lifeCycle.state, e.name, e.status, cloud.host.history(e.executionArn).filter((h) => h.type.endsWith('StateEntered')).slice(-5).map((h) => String(h.details?.value.name)).join(' > '));
        }
      }
    }

    expect({ status: r.status, error: r.error, cause: r.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    const report = JSON.parse(String(r.output)) as { counts: Record<string, number> };
    expect(report.counts).toEqual({ succeeded: SERVERS, rolledBack: 0, stopped: 0, failed: 0, running: 0, notStarted: 0 });
    expect([...cloud.emulator.engine.servers.values()].filter((s) => s.lifeCycle.state !== 'CUTOVER' || !s.isArchived).map((s) => s.id)).toEqual([]);
    expect(serverIds(cloud)).toHaveLength(SERVERS);

    // each application: ONE StartTest and ONE StartCutover, each naming exactly the application's servers
    const apps = wave.applications.map((a) => a.servers.map((s) => s.id).sort().join(',')).sort();
    for (const op of ['StartTest', 'StartCutover']) {
      const made = log.filter((e) => e.operation === op).map((e) => ({ status: e.status, ids: [...(e.sourceServerIDs ?? [])].sort().join(',') }));
      expect(made.map((m) => m.status)).toEqual(Array(APPLICATIONS).fill(202));
      expect(made.map((m) => m.ids).sort()).toEqual(apps);
    }
    // MGN's own job records: never more than 20 jobs, nor 200 servers in active jobs, at any instant
    expect(peak.jobs).toBeLessThanOrEqual(20);
    expect(peak.servers).toBeLessThanOrEqual(200);
    // no MGN request refused for a quota (MGN answers 402 ServiceQuotaExceeded for the replicating quota)
    expect(log.filter((e) => e.status === 402 || e.errorType === 'ServiceQuotaExceededException')).toEqual([]);
  });

  // Test-instance terminations go through the job-slot limiter too (one job for the servers of an
  // application ready at that moment): MGN never has to refuse one for the 20-job quota.
  it('no job request is refused for the job quotas (test-instance terminations included)', () => {
    expect(log.length).toBeGreaterThan(0);
    expect(countBy(log.filter((e) => JOB_OPERATIONS.has(e.operation) && e.status === 409).map((e) => e.operation))).toEqual({});
  });
});
