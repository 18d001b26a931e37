import { writeFileSync } from 'node:fs';
import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  FinalizeCutoverCommand,
  MarkAsArchivedCommand,
  MgnClient,
  type SourceServer,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  paginateDescribeSourceServers,
} from '@aws-sdk/client-mgn';
import type { Faults } from './emulator/config.ts';
import { startEmulator } from './emulator/index.ts';
import { logicalCalls } from './emulator/http.ts';

/**
 * `npm run demo` until the orchestrator's lifecycle exists: an emulator scenario that takes every seeded
 * server through replication, a test launch, cutover, finalize and archive, driven through the real MGN
 * SDK client by a scripted operator. It exits 0 only on the emulator's own evidence: every server CUTOVER
 * and archived, and no launch requested twice for one intended launch.
 */
export interface DemoOptions {
  servers: number;
  applications: number;
  faults?: Faults;
  approve: 'auto' | 'interactive';
  summaryFile?: string;
  seed?: number;
  timeScale?: number;
  json: boolean;
  out?: (line: string) => void;
}

interface ServerReport {
  sourceServerID: string;
  hostname: string;
  application: string;
  path: string[];
  testLaunches: number;
  cutoverLaunches: number;
  finalState?: string;
  archived?: boolean;
}

const POLL_MS = 25;

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stderr.write(`${line}\n`));
  if (opts.approve === 'interactive') {
    out('demo: --approve interactive needs the approval gates, which this version does not have yet; use --approve auto');
    return 2;
  }
  const timeScale = opts.timeScale ?? 2000;
  const emu = await startEmulator({
    servers: opts.servers,
    applications: opts.applications,
    seed: opts.seed ?? 1,
    timeScale,
    faults: opts.faults ?? { launchFailRate: 0 },
    quotas: { maxActiveSourceServers: Math.max(150, opts.servers) },
  });
  const wallStart = Date.now();
  const simStart = emu.clock.now();
  const mgn = new MgnClient({
    region: emu.region,
    endpoint: emu.endpoint,
    credentials: { accessKeyId: 'AKIDLOCAL', secretAccessKey: 'local' },
    maxAttempts: 8,
  });
  const reports = new Map<string, ServerReport>();
  const sleep = () => new Promise((r) => setTimeout(r, POLL_MS));
  const describe = async (ids: string[]): Promise<SourceServer[]> =>
    (await mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: ids } }))).items ?? [];
  const step = (ids: string[], label: string) => {
    for (const id of ids) reports.get(id)?.path.push(label);
  };
  const simClock = () => {
    const h = (emu.clock.now() - simStart) / 3_600_000;
    return `T+${h.toFixed(1).padStart(5)}h`;
  };

  try {
    const all: SourceServer[] = [];
    for await (const p of paginateDescribeSourceServers({ client: mgn }, {})) all.push(...(p.items ?? []));
    const byApp = new Map<string, SourceServer[]>();
    for (const s of all) {
      const app = s.applicationID ?? s.sourceServerID ?? '';
      byApp.set(app, [...(byApp.get(app) ?? []), s]);
    }
    let appIndex = 0;
    const appNames = new Map<string, string>();
    for (const app of byApp.keys()) appNames.set(app, `app-${String(++appIndex).padStart(2, '0')}`);
    for (const s of all) {
      reports.set(s.sourceServerID ?? '', {
        sourceServerID: s.sourceServerID ?? '',
        hostname: s.sourceProperties?.identificationHints?.hostname ?? '',
        application: appNames.get(s.applicationID ?? s.sourceServerID ?? '') ?? '',
        path: [],
        testLaunches: 0,
        cutoverLaunches: 0,
      });
    }
    out(`demo: ${all.length} servers in ${byApp.size} applications, time scale ${timeScale}x, emulator ${emu.endpoint}`);

    const waitFor = async (ids: string[], ok: (s: SourceServer) => boolean) => {
      for (;;) {
        const servers = await describe(ids);
        if (servers.length === ids.length && servers.every(ok)) return servers;
        await sleep();
      }
    };
    const waitJob = async (jobID: string) => {
      for (;;) {
        const job = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [jobID] } }))).items?.[0];
        if (job?.status === 'COMPLETED') return job;
        await sleep();
      }
    };
    /** Launch once per intent: after an error, MGN's own state says whether the launch happened. */
    const launch = async (kind: 'TEST' | 'CUTOVER', ids: string[], before: Map<string, string | undefined>) => {
      const Cmd = kind === 'TEST' ? StartTestCommand : StartCutoverCommand;
      try {
        const r = await mgn.send(new Cmd({ sourceServerIDs: ids }));
        return r.job?.jobID as string;
      } catch (err) {
        const servers = await describe(ids);
        const rec = (s: SourceServer) => (kind === 'TEST' ? s.lifeCycle?.lastTest : s.lifeCycle?.lastCutover)?.initiated?.jobID;
        const jobs = new Set(servers.map(rec));
        const first = rec(servers[0] as SourceServer);
        if (jobs.size === 1 && first && first !== before.get(ids[0] as string)) return first;
        throw err;
      }
    };
    /** Do a mutating call once; after an error, accept it if MGN's state shows it took effect. */
    const once = async (call: () => Promise<unknown>, tookEffect: () => Promise<boolean>) => {
      try {
        await call();
      } catch (err) {
        if (!(await tookEffect())) throw err;
      }
    };
    const stateOf = async (id: string) => (await describe([id]))[0] as SourceServer;
    const toState = (id: string, target: 'READY_FOR_CUTOVER') =>
      once(
        () => mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: target } })),
        async () => (await stateOf(id)).lifeCycle?.state === target,
      );
    const terminate = async (ids: string[]): Promise<string> => {
      const since = new Date(emu.clock.now() - 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      try {
        const r = await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: ids }));
        return r.job?.jobID as string;
      } catch (err) {
        const jobs = (await mgn.send(new DescribeJobsCommand({ filters: { fromDate: since } }))).items ?? [];
        const mine = jobs.find((j) => j.type === 'TERMINATE' && ids.every((id) => j.participatingServers?.some((p) => p.sourceServerID === id)));
        if (mine?.jobID) return mine.jobID;
        throw err;
      }
    };
    const lastJob = async (kind: 'TEST' | 'CUTOVER', ids: string[]) =>
      new Map((await describe(ids)).map((s) => [s.sourceServerID as string, (kind === 'TEST' ? s.lifeCycle?.lastTest : s.lifeCycle?.lastCutover)?.initiated?.jobID]));

    const runApp = async (app: string, members: SourceServer[]) => {
      const name = appNames.get(app);
      const ids = members.map((s) => s.sourceServerID as string);
      await waitFor(ids, (s) => s.lifeCycle?.state === 'READY_FOR_TEST');
      step(ids, 'READY_FOR_TEST');
      out(`${simClock()}  ${name}: ${ids.length} servers ready for testing`);
      for (const kind of ['TEST', 'CUTOVER'] as const) {
        let pending = ids;
        for (let attempt = 1; pending.length > 0; attempt++) {
          if (attempt > 4) throw new Error(`${name}: ${kind.toLowerCase()} launch kept failing for ${pending.join(', ')}`);
          const jobID = await launch(kind, pending, await lastJob(kind, pending));
          for (const id of pending) {
            const r = reports.get(id) as ServerReport;
            if (kind === 'TEST') r.testLaunches++;
            else r.cutoverLaunches++;
          }
          step(pending, kind === 'TEST' ? 'TESTING' : 'CUTTING_OVER');
          const job = await waitJob(jobID);
          const failed = (job.participatingServers ?? []).filter((p) => p.launchStatus === 'FAILED').map((p) => p.sourceServerID as string);
          out(`${simClock()}  ${name}: ${kind.toLowerCase()} launch ${jobID} ${failed.length ? `failed for ${failed.length}` : 'succeeded'}`);
          step(pending.filter((id) => !failed.includes(id)), `${kind}_LAUNCHED`);
          step(failed, `${kind}_LAUNCH_FAILED`);
          if (kind === 'CUTOVER') {
            for (const id of failed) await toState(id, 'READY_FOR_CUTOVER');
          }
          pending = failed;
        }
        if (kind === 'TEST') {
          for (const id of ids) {
            if ((await stateOf(id)).lifeCycle?.state === 'TESTING') await toState(id, 'READY_FOR_CUTOVER');
          }
          step(ids, 'READY_FOR_CUTOVER');
          await waitJob(await terminate(ids));
          step(ids, 'TEST_INSTANCE_TERMINATED');
          out(`${simClock()}  ${name}: signed off, test instances terminated`);
        }
      }
      for (const id of ids) {
        if ((await stateOf(id)).lifeCycle?.state === 'CUTTING_OVER') {
          await once(() => mgn.send(new FinalizeCutoverCommand({ sourceServerID: id })), async () => (await stateOf(id)).lifeCycle?.state === 'CUTOVER');
        }
        if (!(await stateOf(id)).isArchived) {
          await once(() => mgn.send(new MarkAsArchivedCommand({ sourceServerID: id })), async () => (await stateOf(id)).isArchived === true);
        }
      }
      step(ids, 'CUTOVER');
      step(ids, 'ARCHIVED');
      out(`${simClock()}  ${name}: cutover finalized and archived`);
    };

    const results = await Promise.allSettled([...byApp].map(([app, members]) => runApp(app, members)));
    const errors = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String((r.reason as Error).message));

    // The emulator's own evidence, not the driver's belief.
    const state = emu.engine;
    const launchesOk = [...state.servers.values()].every((s) => {
      const r = reports.get(s.id) as ServerReport;
      return s.launches === r.testLaunches + r.cutoverLaunches;
    });
    const calls = logicalCalls(emu.http.log.filter((x) => x.operation === 'StartTest' || x.operation === 'StartCutover'));
    for (const s of state.servers.values()) {
      const r = reports.get(s.id) as ServerReport;
      r.finalState = s.lifeCycle.state;
      r.archived = s.isArchived;
    }
    const allDone = [...state.servers.values()].every((s) => s.lifeCycle.state === 'CUTOVER' && s.isArchived);
    const summary = {
      ok: allDone && launchesOk && errors.length === 0,
      servers: state.servers.size,
      applications: byApp.size,
      allCutoverAndArchived: allDone,
      noDoubleLaunch: launchesOk,
      launchCalls: calls.length,
      launchJobs: [...state.jobs.values()].filter((j) => j.type === 'LAUNCH').length,
      simulatedHours: Number(((emu.clock.now() - simStart) / 3_600_000).toFixed(2)),
      wallSeconds: Number(((Date.now() - wallStart) / 1000).toFixed(1)),
      timeScale,
      mgnRequests: emu.http.log.length,
      eventsDelivered: state.events.delivered.length,
      errors,
      perServer: [...reports.values()],
    };
    if (opts.summaryFile) writeFileSync(opts.summaryFile, `${JSON.stringify(summary, null, 2)}\n`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    } else {
      const lines = [
        '',
        'server                 application  test  cutover  final state  archived',
        ...summary.perServer.map(
          (r) =>
            `${r.hostname.padEnd(22)} ${r.application.padEnd(12)} ${String(r.testLaunches).padStart(4)}  ${String(r.cutoverLaunches).padStart(7)}  ${(r.finalState ?? '').padEnd(11)}  ${r.archived ? 'yes' : 'no'}`,
        ),
        '',
        `${summary.servers} servers, ${summary.applications} applications, ${summary.launchJobs} launch jobs, ${summary.mgnRequests} MGN requests`,
        `simulated ${summary.simulatedHours} h in ${summary.wallSeconds} s (time scale ${timeScale}x)`,
        `every server CUTOVER and archived: ${allDone ? 'yes' : 'NO'}; no double launch: ${launchesOk ? 'yes' : 'NO'}`,
        ...errors.map((e) => `error: ${e}`),
        summary.ok ? 'demo: OK' : 'demo: FAILED',
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return summary.ok ? 0 : 1;
  } finally {
    mgn.destroy();
    await emu.close();
  }
}
