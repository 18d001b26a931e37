import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { parseExecutionName } from '../core/wave.ts';
import type { Wave } from '../core/wave-file.ts';
import { formatZoned } from '../core/zoned-time.ts';
import { STATE_ROLES } from '../core/lifecycle.ts';
import { type ApproverFetch, type LinkDecision, linksIn, openAndDecide } from './approver.ts';
import { realTimers } from './cloud/virtual-timers.ts';
import { startLocalCloud, type LocalCloud } from './cloud/index.ts';
import type { Faults } from './emulator/config.ts';
import { logicalCalls } from './emulator/http.ts';
import { doubleLaunches } from './invariants.ts';

/**
 * `npm run demo`: a whole simulated wave on the local cloud, run by the product itself, the way a migration
 * engineer runs one. The MGN emulator seeds source servers whose replication has caught up (READY_FOR_TEST),
 * in applications, plus standalone servers. The demo writes the wave file from their hostnames, validates it
 * with the code of `mgn-flow wave start` (parse, then every server against MGN and its quotas), stores it and
 * schedules it a few simulated minutes ahead through the Scheduler (one-time `at()`, universal target
 * `aws-sdk:sfn:startExecution`, as `mgn-flow wave schedule` does). When the schedule fires, the wave
 * execution admits the applications (the canary first) and starts one server-lifecycle execution per server.
 * One server's first test launch is made to fail (the emulator's per-server injection); the lifecycle
 * relaunches that server alone. The automatic approver opens each approval link from the outbox (GET) and
 * decides (POST) as soon as the request arrives; `--approve interactive` prints the links for a person.
 *
 * It exits 0 only on the emulator's own evidence (every server CUTOVER and archived, no launch made twice)
 * and if the wave execution SUCCEEDED.
 */
export interface DemoOptions {
  /** Servers in the applications. */
  servers: number;
  applications: number;
  /** Standalone servers on top (each an application of one); default 2. */
  standalone?: number;
  faults?: Faults;
  approve: 'auto' | 'interactive';
  summaryFile?: string;
  seed?: number;
  timeScale?: number;
  json: boolean;
  out?: (line: string) => void;
  /** Where the wave file is written (default: a new temporary directory). */
  waveDir?: string;
  /** Fail one server's first test launch (default true). */
  injectFailure?: boolean;
  /** The first application is a canary, migrated before the others (default true). */
  canary?: boolean;
  /** Called once the local cloud runs (the bench samples it). */
  onCloud?: (cloud: LocalCloud) => void;
  /** Called when the wave has ended, before the local cloud closes (e.g. to write its evidence pack). */
  onFinished?: (cloud: LocalCloud, wave: string) => Promise<void>;
}

interface ServerSummary {
  serverId: string;
  hostname: string;
  application: string;
  outcome: string;
  attempt: number;
  path: string[];
  transitions: number;
  mgnCalls: number;
  testLaunches: number;
  cutoverLaunches: number;
  failedLaunches: number;
  simulatedHours: number;
  testInstanceHours: number;
  finalState: string;
  archived: boolean;
}

/** Step Functions Standard: $0.025 per 1,000 state transitions; Lambda: $0.20 per 1M requests + 256 MB x ~50 ms. */
export const COST = { perTransition: 0.000025, perInvocation: 0.0000002 + 0.256 * 0.05 * 0.0000166667 };

/** Who the demo's wave asks at each gate. */
const APPROVERS = { testSignoff: ['qa-lead@example.com'], goNoGo: ['app-owner@example.com'], finalize: ['app-owner@example.com'] };

const WAVE = 'demo-wave';
const TIME_ZONE = 'Europe/Berlin';
/** The wave starts this long after it is scheduled (simulated). */
const SCHEDULE_AHEAD_MS = 5 * 60_000;

/**
 * Open the link and decide; a page that asks to wait (a server not at the gate yet: 400) is tried again,
 * backing off from 100 ms to 2 s of wall time (each try renders the page with its evidence: a large
 * application's servers arrive over a while, and a tight loop would load the cloud it waits for).
 */
async function decideWithRetries(url: string, d: LinkDecision, fetchFn: ApproverFetch): Promise<number> {
  // 400: servers still arriving at the gate (ask again soon); 5xx: the page failed, and a person tries again a
  // few minutes later (a few times), as they would from the e-mail
  for (let attempt = 0, delay = 100, failures = 0; ; attempt++, delay = Math.min(2000, delay * 1.5)) {
    const r = await openAndDecide(url, d, undefined, fetchFn);
    const status = r.post?.status ?? r.get.status;
    if (status >= 500 && failures < 10) {
      failures++;
      await new Promise((res) => setTimeout(res, 5 * 60_000));
      continue;
    }
    if (status !== 400 || attempt >= 200) return status;
    await new Promise((res) => setTimeout(res, delay));
  }
}

/** The demo's wave file: MGN's applications by hostname, the first one a canary, and the standalone servers. */
export function demoWaveFile(o: { seed: number; applications: { name: string; hostnames: string[] }[]; standalone: string[]; canary?: boolean }): string {
  const list = (hosts: string[]) => `[${hosts.join(', ')}]`;
  return [
    `# Written by npm run demo (seed ${o.seed}) from the hostnames the MGN emulator seeded; checked like any wave file`,
    '# (mgn-flow wave start/schedule): its shape, then every server against MGN and its quotas.',
    'version: 1',
    '',
    'wave:',
    `  name: ${WAVE}`,
    `  timeZone: ${TIME_ZONE}`,
    '',
    'defaults:',
    '  soakDays: 14            # ended early by the sign-off',
    `  concurrency: ${Math.min(200, Math.max(10, o.applications.length + o.standalone.length))}`,
    '  failurePolicy: hold',
    '  archive: true',
    '',
    'approvers:',
    `  testSignoff: ${list(APPROVERS.testSignoff)}`,
    `  goNoGo: ${list(APPROVERS.goNoGo)}`,
    `  finalize: ${list(APPROVERS.finalize)}`,
    '',
    'applications:',
    ...o.applications.flatMap((a, i) => [`  - name: ${a.name}`, ...(i === 0 && o.applications.length > 1 && o.canary !== false ? ['    canary: true          # migrated first; the others follow once it is through'] : []), `    servers: ${list(a.hostnames)}`]),
    ...(o.standalone.length ? ['', '# standalone servers: each migrates as an application of one, named after it', 'servers:', ...o.standalone.map((h) => `  - ${h}`)] : []),
    '',
  ].join('\n');
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stderr.write(`${line}\n`));
  // discrete-event time unless a time scale is asked for: the same seed gives the same run on any machine
  const timeScale = opts.timeScale;
  const timeLabel = timeScale === undefined ? 'discrete-event time' : `time scale ${timeScale}x`;
  const standaloneCount = opts.standalone ?? 2;
  const seed = opts.seed ?? 1;
  const total = opts.servers + standaloneCount;
  const wallStart = performance.now();
  const cloud = await startLocalCloud({
    root: resolve(import.meta.dirname, '../..'),
    servers: total,
    applications: opts.applications,
    seed,
    ...(timeScale !== undefined ? { timeScale } : { clock: 'discrete' as const, holdClock: true }),
    start: 'ready-for-test',
    writeLocalJson: false,
    quotas: { maxActiveSourceServers: Math.max(150, total) },
    ...(opts.faults ? { faults: opts.faults } : {}),
  });
  opts.onCloud?.(cloud);
  // simulated time is counted from the moment the wave is scheduled
  let simStart = cloud.clock.now();
  const clockLabel = () => `T+${((cloud.clock.now() - simStart) / 3_600_000).toFixed(1).padStart(5)}h`;
  const cleanups: (() => void)[] = [];
  try {
    const region = cloud.info.region;
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const sns = new SNSClient({ region, endpoint: cloud.endpoints.sns, credentials });
    await sns.send(new SubscribeCommand({ TopicArn: String(cloud.env.OPS_TOPIC_ARN), Protocol: 'email', Endpoint: 'ops@example.com' }));
    for (const person of new Set(Object.values(APPROVERS).flat())) {
      await sns.send(
        new SubscribeCommand({ TopicArn: String(cloud.env.APPROVAL_TOPIC_ARN), Protocol: 'email', Endpoint: person, Attributes: { FilterPolicy: JSON.stringify({ approver: [person, 'any'] }) } }),
      );
    }
    sns.destroy();

    // The servers as MGN lists them: the first `servers` in MGN's applications, the last `standalone` alone.
    const engine = cloud.emulator.engine;
    const seeded = [...engine.servers.values()];
    const hostOf = (id: string) => engine.servers.get(id)?.properties.identificationHints.hostname ?? id;
    const inApps = seeded.slice(0, opts.servers);
    const standalone = seeded.slice(opts.servers);
    const apps = new Map<string, string[]>();
    for (const s of inApps) {
      const app = s.applicationID ? (engine.applications.get(s.applicationID)?.name ?? s.applicationID) : s.id;
      apps.set(app, [...(apps.get(app) ?? []), hostOf(s.id)]);
    }
    const dir = opts.waveDir ?? mkdtempSync(join(tmpdir(), 'mgn-flow-demo-'));
    // a folder of our own is removed with the run (one given by the caller is the caller's)
    if (!opts.waveDir) cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const waveFile = join(dir, 'demo-wave.yaml');
    writeFileSync(waveFile, demoWaveFile({ seed, applications: [...apps].map(([name, hostnames]) => ({ name, hostnames })), standalone: standalone.map((s) => hostOf(s.id)), canary: opts.canary !== false }));

    // Validated, stored and scheduled by the use cases of `mgn-flow wave start|schedule`, through the product's
    // own adapters (the local cloud gave this process the environment a handler gets).
    const { loadWave, scheduleWave, waveFileSource } = await import('../core/wave-start.ts');
    const { createWaveSchedules } = await import('../adapters/aws/wave-schedules.ts');
    const { createDeps, loadConfig } = await import('../adapters/aws/index.ts');
    const deps = createDeps(loadConfig());
    cleanups.push(() => {
      for (const c of Object.values(deps.clients)) c.destroy();
    });
    let wave: Wave;
    try {
      wave = await loadWave(deps, waveFileSource(readFileSync(waveFile, 'utf8'), waveFile));
    } catch (err) {
      out(`demo: the wave file ${waveFile} does not validate:\n${(err as Error).message}`);
      return 2;
    }
    await deps.waves.putDefinition(wave);
    const appOf = new Map(wave.applications.flatMap((a) => a.servers.map((s) => [s.id, a.name] as const)));
    const appSize = new Map(wave.applications.map((a) => [a.name, a.servers.length]));

    // One injected failure: the first test launch of one server (of the second application, not the canary).
    const victimApp = wave.applications.find((a) => !a.canary && !a.standalone) ?? wave.applications[0];
    const victim = opts.injectFailure === false ? undefined : victimApp?.servers[0]?.id;
    if (victim) {
      const r = await cloud.fetch(`${cloud.endpoints.mgn}/_emulator/servers/${victim}/inject`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ failNextLaunch: true }) });
      if (r.status >= 300) throw new Error(`emulator refused the injection: ${r.status} ${await r.text()}`);
    }

    // discrete time moves from here: the setup above took no simulated time, however long it took here
    cloud.startClock();
    simStart = cloud.clock.now();
    const when = new Date(Math.ceil((simStart + SCHEDULE_AHEAD_MS) / 60_000) * 60_000);
    const waveMachine = cloud.stateMachineArn('wave');
    const stack = cloud.stackOutputs();
    const scheduler = new SchedulerClient({ region, endpoint: cloud.endpoints.scheduler, credentials });
    let scheduled: { executionName: string; expression: string };
    try {
      const schedules = createWaveSchedules(scheduler, { group: String(stack.ScheduleGroupName), roleArn: String(stack.SchedulerRoleArn), deadLetterArn: String(stack.EventsDeadLetterQueueArn), machineArn: waveMachine });
      scheduled = await scheduleWave({ waves: deps.waves, schedules }, wave, when, `${formatZoned(when.getTime(), TIME_ZONE)} ${TIME_ZONE}`);
    } finally {
      scheduler.destroy();
    }
    const { executionName } = scheduled;
    const standaloneApps = wave.applications.filter((a) => a.standalone).length;
    out(`demo: wave file ${waveFile}`);
    out(
      `demo: ${wave.name}: ${wave.applications.length - standaloneApps} applications (${wave.applications.filter((a) => !a.standalone).map((a) => `${a.name}${a.canary ? ' canary' : ''}: ${a.servers.length}`).join(', ')}) and ${standaloneApps} standalone server(s), ${appOf.size} in all; replication caught up (READY_FOR_TEST); ${timeLabel}`,
    );
    out(`T+  0.0h  ${wave.name}: validated against MGN, stored, scheduled at ${formatZoned(when.getTime(), TIME_ZONE)} ${TIME_ZONE} (${scheduled.expression}) as ${executionName}`);
    if (victim) out(`demo: the emulator will fail the first test launch of ${hostOf(victim)} (${victimApp?.name})`);

    // The approvers: the wave names one per gate; each subscribes by e-mail with a filter policy on the
    // `approver` attribute, so each gets only their own links. The automatic approver opens each link (GET)
    // and then decides (POST), as a person would; interactive mode prints the links for you to open.
    const decided = new Set<string>();
    cleanups.push(
      cloud.sns.onMessage((m) => {
        const gateId = m.attributes.gateId?.StringValue;
        const gate = m.attributes.gate?.StringValue;
        if (!gateId || !gate || m.attributes.kind?.StringValue !== 'request' || decided.has(gateId)) return;
        const url = linksIn(m.message)[0];
        if (!url) return;
        decided.add(gateId);
        const application = m.attributes.application?.StringValue;
        if (opts.approve === 'interactive') {
          out(`${clockLabel()}  ${application}: ${gate} waits for ${m.endpoint}: open ${url}`);
          return;
        }
        const decision = gate.endsWith('FAILURE') ? 'retry' : 'approve';
        void decideWithRetries(url, { decision, name: 'Demo Approver', comment: 'decided by the demo', quiesced: true }, cloud.fetch)
          .then((status) => out(`${clockLabel()}  ${application}: ${gate} -> ${decision}${status === 200 ? '' : ` (answer ${status})`}`))
          .catch((err: Error) => out(`demo: could not decide ${gateId}: ${err.message}`));
      }),
    );
    cleanups.push(
      cloud.emulator.onEvent((e) => {
        if (e['detail-type'] !== 'MGN Source Server Launch Result' || !String(e.detail.state).endsWith('_FAILED')) return;
        const id = String(e.resources[0] ?? '').split('/').pop() ?? '';
        out(`${clockLabel()}  ${appOf.get(id) ?? '?'}: ${String(e.detail.state)} for ${hostOf(id)}${id === victim ? ' (injected)' : ''}`);
      }),
    );

    // Progress: the schedule firing, admissions, and each application reaching a lifecycle state.
    const serverMachine = cloud.stateMachineArn('serverLifecycle');
    const waveArn = `${waveMachine.replace(':stateMachine:', ':execution:')}:${executionName}`;
    const announced = new Set<string>();
    const started = new Set<string>();
    const admitted = new Map<string, number>();
    let fired = false;
    const look = () => {
      if (!fired && cloud.host.listExecutions(waveMachine).some((e) => e.executionArn === waveArn)) {
        fired = true;
        out(`${clockLabel()}  schedule fired at ${formatZoned(cloud.clock.now(), TIME_ZONE)}: ${executionName} started`);
      }
      for (const e of cloud.host.listExecutions(serverMachine)) {
        if (started.has(e.name)) continue;
        started.add(e.name);
        const app = appOf.get(parseExecutionName(e.name)?.serverId ?? '') ?? '?';
        const n = (admitted.get(app) ?? 0) + 1;
        admitted.set(app, n);
        if (n === appSize.get(app)) out(`${clockLabel()}  ${WAVE}: admitted ${app}: ${n} server execution(s) started`);
      }
      for (const a of wave.applications) {
        const states = a.servers.map((s) => engine.servers.get(s.id)?.lifeCycle.state);
        const key = `${a.name}:${states.join(',')}`;
        if (states.every((s) => s === states[0]) && !announced.has(key)) {
          announced.add(key);
          if (states[0] === 'READY_FOR_TEST' && !started.size) continue;
          out(`${clockLabel()}  ${a.name}: ${a.servers.length} server(s) ${states[0]}${engine.servers.get(a.servers[0]?.id ?? '')?.isArchived ? ', archived' : ''}`);
        }
      }
    };
    // discrete time: look after every instant the clock moves to; scaled: every 50 ms of wall time
    let lastLook = Number.NaN;
    const stopProgress =
      timeScale === undefined
        ? cloud.clock.observe((now) => {
            if (now === lastLook) return;
            lastLook = now;
            look();
          })
        : (() => {
            const t = realTimers.setInterval(look, 50);
            return () => realTimers.clearInterval(t);
          })();
    cleanups.push(stopProgress);

    const waveResult = await untilExecution(cloud, waveArn).then(() => cloud.host.settled(waveArn));
    look();
    stopProgress();
    out(`${clockLabel()}  ${WAVE}: ${executionName} ${waveResult.status}${waveResult.error ? ` (${waveResult.error})` : ''}`);

    // the latest execution of each server of the wave
    const latest = new Map<string, { arn: string; application: string; attempt: number }>();
    for (const e of cloud.host.listExecutions(serverMachine)) {
      const p = parseExecutionName(e.name);
      if (!p || p.wave !== wave.name) continue;
      const prev = latest.get(p.serverId);
      if (!prev || prev.attempt < p.attempt) latest.set(p.serverId, { arn: e.executionArn, application: appOf.get(p.serverId) ?? '?', attempt: p.attempt });
    }
    const executions = new Map([...appOf.keys()].flatMap((id) => (latest.has(id) ? [[id, latest.get(id) as { arn: string; application: string; attempt: number }] as const] : [])));
    await Promise.all([...executions.values()].map((e) => cloud.host.settled(e.arn)));
    const summary = summarize(cloud, executions, simStart, waveArn);
    const failed = [...executions.values()].map((e) => cloud.host.describeExecution(e.arn)).filter((d) => d.status !== 'SUCCEEDED');
    const all = [...engine.servers.values()];
    const allDone = all.length === appOf.size && all.every((s) => s.lifeCycle.state === 'CUTOVER' && s.isArchived);
    // no double launch: every launch the emulator made for a server was made by one launch point of its
    // execution, and none followed a launch of the same kind that MGN shows succeeded
    const doubles = doubleLaunches(engine);
    const noDoubleLaunch = doubles.length === 0 && summary.perServer.every((s) => s.testLaunches + s.cutoverLaunches === engine.servers.get(s.serverId)?.launches);
    const launchJobs = [...engine.jobs.values()].filter((j) => j.type === 'LAUNCH');
    const victimSummary = summary.perServer.find((s) => s.serverId === victim);
    const recovered = victim === undefined || (victimSummary !== undefined && victimSummary.failedLaunches >= 1 && victimSummary.testLaunches === 2 && victimSummary.outcome === 'succeeded');
    const report = {
      ok: allDone && noDoubleLaunch && failed.length === 0 && waveResult.status === 'SUCCEEDED' && recovered,
      wave: wave.name,
      waveFile,
      waveExecution: executionName,
      waveStatus: waveResult.status,
      scheduledAt: when.toISOString(),
      servers: appOf.size,
      applications: wave.applications.length - standaloneApps,
      standalone: standaloneApps,
      allCutoverAndArchived: allDone,
      noDoubleLaunch,
      doubleLaunches: doubles,
      injectedTestLaunchFailure: victim ? { serverId: victim, hostname: hostOf(victim), application: appOf.get(victim), recovered } : null,
      launchJobs: launchJobs.length,
      failedExecutions: failed.map((f) => ({ name: f.name, error: f.error, cause: f.cause })),
      simulatedHours: round((cloud.clock.now() - simStart) / 3_600_000),
      wallSeconds: round((performance.now() - wallStart) / 1000),
      timeScale,
      ...summary.totals,
      perServer: summary.perServer,
    };
    await opts.onFinished?.(cloud, wave.name);
    if (opts.summaryFile) writeFileSync(opts.summaryFile, `${JSON.stringify(report, null, 2)}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${table(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    for (const c of cleanups.reverse()) c();
    await cloud.close();
  }
}

/** Until the execution exists (the schedule fired). */
async function untilExecution(cloud: LocalCloud, arn: string): Promise<void> {
  for (;;) {
    try {
      cloud.host.describeExecution(arn);
      return;
    } catch {
      // wall time: a simulated timer here would be one more moment for the clock to jump to
      await new Promise((r) => realTimers.setTimeout(r, 20));
    }
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function round4(n: number): number {
  return Math.round(n * 10_000) / 10_000;
}

export function summarize(cloud: LocalCloud, executions: Map<string, { arn: string; application: string; attempt: number }>, simStart: number, waveArn?: string) {
  const engine = cloud.emulator.engine;
  const log = cloud.emulator.http.log;
  const perServer: ServerSummary[] = [];
  const jobs = [...engine.jobs.values()];
  const callsByServer = new Map<string, typeof log>();
  for (const r of log) for (const id of r.sourceServerIDs ?? []) callsByServer.set(id, [...(callsByServer.get(id) ?? []), r]);
  for (const [serverId, e] of executions) {
    const history = cloud.host.history(e.arn);
    const entered = history.filter((h) => h.type.endsWith('StateEntered')).map((h) => String(h.details?.value.name));
    const s = engine.servers.get(serverId);
    const d = cloud.host.describeExecution(e.arn);
    const mine = jobs.filter((j) => j.participants.some((p) => p.sourceServerID === serverId));
    const testJobs = mine.filter((j) => j.initiatedBy === 'START_TEST');
    const terminate = mine.find((j) => j.type === 'TERMINATE');
    const launchedAt = testJobs.map((j) => j.endedAt ?? j.createdAt).sort()[0];
    const testInstanceHours = launchedAt !== undefined ? ((terminate?.endedAt ?? cloud.clock.now()) - launchedAt) / 3_600_000 : 0;
    const failedLaunches = mine.filter((j) => j.type === 'LAUNCH' && j.participants.some((p) => p.sourceServerID === serverId && p.launchStatus === 'FAILED')).length;
    perServer.push({
      serverId,
      hostname: s?.properties.identificationHints.hostname ?? '',
      application: e.application,
      outcome: d.status === 'SUCCEEDED' ? 'succeeded' : `${d.status.toLowerCase()} (${d.error ?? ''})`,
      attempt: e.attempt,
      path: entered.filter((n) => !/Choice|Count|Launched$|Verified$|Decision$|^Ready$|^SignedOff$|InCutoverWindow|TestInstanceTerminating|^Init$/.test(n)),
      transitions: entered.length,
      mgnCalls: logicalCalls(callsByServer.get(serverId) ?? []).length,
      testLaunches: entered.filter((n) => (STATE_ROLES.testLaunchPoints as readonly string[]).includes(n)).length,
      cutoverLaunches: entered.filter((n) => (STATE_ROLES.cutoverLaunchPoints as readonly string[]).includes(n)).length,
      failedLaunches,
      simulatedHours: round(((d.stopDate ?? cloud.clock.now()) - d.startDate) / 3_600_000),
      testInstanceHours: round(testInstanceHours),
      finalState: s?.lifeCycle.state ?? '',
      archived: s?.isArchived ?? false,
    });
  }
  const waveTransitions = waveArn ? cloud.host.history(waveArn).filter((h) => h.type.endsWith('StateEntered')).length : 0;
  const transitions = perServer.reduce((a, s) => a + s.transitions, 0) + waveTransitions;
  const invocations = cloud.lambda.invocations.length;
  const mgnCalls = logicalCalls(log).length;
  return {
    perServer,
    totals: {
      transitions,
      waveTransitions,
      lambdaInvocations: invocations,
      mgnCalls,
      testInstanceHours: round(perServer.reduce((a, s) => a + s.testInstanceHours, 0)),
      stepFunctionsCostUsd: round4(transitions * COST.perTransition),
      lambdaCostUsd: round4(invocations * COST.perInvocation),
      estimatedOrchestrationCostUsd: round4(transitions * COST.perTransition + invocations * COST.perInvocation),
    },
  };
}

function table(r: { perServer: ServerSummary[] } & Record<string, unknown>): string {
  // the paths taken, each once: most servers share the happy path, a recovered one shows its detour
  const paths = [...new Set(r.perServer.map((s) => s.path.join(' > ')))];
  const label = (s: ServerSummary) => String.fromCharCode(65 + paths.indexOf(s.path.join(' > ')));
  const rows = r.perServer.map(
    (s) =>
      `${s.hostname.padEnd(20)} ${s.application.padEnd(18)} ${`${label(s)} (${s.outcome})`.padEnd(15)} ${String(s.transitions).padStart(5)} ${String(s.mgnCalls).padStart(4)} ${`${s.testLaunches}${s.failedLaunches ? ` (${s.failedLaunches} failed)` : ''}`.padStart(12)} ${String(s.cutoverLaunches).padStart(7)} ${s.simulatedHours.toFixed(1).padStart(6)} ${s.testInstanceHours.toFixed(1).padStart(7)}  ${s.finalState}${s.archived ? ', archived' : ''}`,
  );
  const injected = r.injectedTestLaunchFailure as { hostname: string; application: string; recovered: boolean } | null;
  return [
    '',
    `${'server'.padEnd(20)} ${'application'.padEnd(18)} ${'path (outcome)'.padEnd(15)} trans  MGN         test cutover  sim h  test h  MGN state`,
    ...rows,
    '',
    ...paths.map((p, i) => `path ${String.fromCharCode(65 + i)}: ${p}`),
    '',
    `${r.servers} servers (${r.applications} applications, ${r.standalone} standalone), ${r.launchJobs} launch jobs; ${r.transitions} state transitions (${r.waveTransitions} of the wave execution), ${r.lambdaInvocations} Lambda invocations, ${r.mgnCalls} MGN calls`,
    `estimated AWS cost of the orchestration: $${(r.estimatedOrchestrationCostUsd as number).toFixed(4)} (Step Functions transitions $${(r.stepFunctionsCostUsd as number).toFixed(4)}, Lambda $${(r.lambdaCostUsd as number).toFixed(4)}); test instances ran ${r.testInstanceHours} h`,
    `simulated ${r.simulatedHours} h in ${r.wallSeconds} s (${r.timeScale === undefined ? 'discrete-event time' : `time scale ${String(r.timeScale)}x`})`,
    `wave execution ${r.waveExecution}: ${r.waveStatus}`,
    ...(injected ? [`injected test-launch failure of ${injected.hostname} (${injected.application}): ${injected.recovered ? 'recovered (relaunched alone)' : 'NOT recovered'}`] : []),
    `every server CUTOVER and archived: ${r.allCutoverAndArchived ? 'yes' : 'NO'}; no double launch: ${r.noDoubleLaunch ? 'yes' : 'NO'}`,
    ...(r.doubleLaunches as string[]).slice(0, 10).map((d) => `double launch: ${d}`),
    ...(r.failedExecutions as { name: string; error?: string }[]).map((f) => `failed: ${f.name} ${f.error ?? ''}`),
    r.ok ? 'demo: OK' : 'demo: FAILED',
  ].join('\n');
}
