import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { Plan, type ServerRun } from '../core/contracts.ts';
import { type LinkDecision, linksIn, openAndDecide } from './approver.ts';
import { startLocalCloud, type LocalCloud } from './cloud/index.ts';
import type { Faults } from './emulator/config.ts';
import { logicalCalls } from './emulator/http.ts';

/**
 * `npm run demo`: a whole simulated migration on the local cloud, run by the product itself. The MGN emulator
 * seeds servers in applications (agents just installed); one server-lifecycle execution per server takes it
 * through replication, the test launch, the soak, cutover, finalize and archive; the automatic approver
 * opens each approval link from the outbox (GET) and decides (POST) as soon as the request arrives. It exits 0 only on the emulator's own
 * evidence: every server CUTOVER and archived, and no launch made twice for one launch point.
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

interface ServerSummary {
  serverId: string;
  hostname: string;
  application: string;
  outcome: string;
  path: string[];
  transitions: number;
  mgnCalls: number;
  testLaunches: number;
  cutoverLaunches: number;
  simulatedHours: number;
  testInstanceHours: number;
  finalState: string;
  archived: boolean;
}

/** Step Functions Standard: $0.025 per 1,000 state transitions; Lambda: $0.20 per 1M requests + 256 MB x ~50 ms. */
const COST = { perTransition: 0.000025, perInvocation: 0.0000002 + 0.256 * 0.05 * 0.0000166667 };

/** Who the demo's plan asks at each gate. */
const APPROVERS = { testSignoff: ['qa-lead@example.com'], goNoGo: ['app-owner@example.com'], finalize: ['app-owner@example.com'] };

/** Open the link and decide; a page that asks to wait (a server not at the gate yet: 400) is tried again. */
async function decideWithRetries(url: string, d: LinkDecision): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const r = await openAndDecide(url, d);
    const status = r.post?.status ?? r.get.status;
    if (status !== 400 || attempt >= 50) return status;
    await new Promise((res) => setTimeout(res, 100));
  }
}

export async function runDemo(opts: DemoOptions): Promise<number> {
  const out = opts.out ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timeScale = opts.timeScale ?? 3000;
  const wallStart = performance.now();
  const cloud = await startLocalCloud({
    root: resolve(import.meta.dirname, '../..'),
    servers: opts.servers,
    applications: opts.applications,
    seed: opts.seed ?? 1,
    timeScale,
    start: 'agent-installed',
    writeLocalJson: false,
    quotas: { maxActiveSourceServers: Math.max(150, opts.servers) },
    ...(opts.faults ? { faults: opts.faults } : {}),
  });
  const simStart = cloud.clock.now();
  const clockLabel = () => `T+${((cloud.clock.now() - simStart) / 3_600_000).toFixed(1).padStart(5)}h`;
  try {
    const sns = new SNSClient({ region: cloud.info.region, endpoint: cloud.endpoints.sns, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await sns.send(new SubscribeCommand({ TopicArn: String(cloud.env.OPS_TOPIC_ARN), Protocol: 'email', Endpoint: 'ops@example.com' }));
    for (const person of new Set(Object.values(APPROVERS).flat())) {
      await sns.send(
        new SubscribeCommand({ TopicArn: String(cloud.env.APPROVAL_TOPIC_ARN), Protocol: 'email', Endpoint: person, Attributes: { FilterPolicy: JSON.stringify({ approver: [person, 'any'] }) } }),
      );
    }
    sns.destroy();

    const engine = cloud.emulator.engine;
    const apps = new Map<string, string[]>();
    for (const s of engine.servers.values()) {
      const app = s.applicationID ? (engine.applications.get(s.applicationID)?.name ?? s.applicationID) : s.id;
      apps.set(app, [...(apps.get(app) ?? []), s.id]);
    }
    const wave = 'wave-1';
    // An application launches together: its servers finish their initial sync hours apart, so the arrival
    // timeout is generous; the soak is the default 14 days, ended early by the sign-off.
    const plan = Plan.parse({ arrivalTimeoutSeconds: 2 * 86400, launchTimeoutSeconds: 2 * 86400 + 3 * 3600, readyTimeoutSeconds: 4 * 86400, approvers: APPROVERS });
    const executions = new Map<string, { arn: string; application: string }>();
    for (const [application, members] of apps) {
      for (const serverId of members) {
        const run: ServerRun = { wave, application, serverId, members, attempt: 1, plan };
        const { executionArn } = cloud.host.startExecution({ stateMachineArn: cloud.stateMachineArn('serverLifecycle'), name: `${wave}-${serverId}-1`, input: JSON.stringify(run) });
        executions.set(serverId, { arn: executionArn, application });
      }
    }
    out(`demo: ${engine.servers.size} servers in ${apps.size} applications, agents just installed; time scale ${timeScale}x; one execution per server`);

    // The approvers: the plan names one per gate; each subscribes by e-mail with a filter policy on the
    // `approver` attribute, so each gets only their own links. The automatic approver opens each link (GET)
    // and then decides (POST), as a person would; interactive mode prints the links for you to open.
    const decided = new Set<string>();
    const approver = cloud.sns.onMessage((m) => {
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
      void decideWithRetries(url, { decision, name: 'Demo Approver', comment: 'decided by the demo', quiesced: true })
        .then((status) => out(`${clockLabel()}  ${application}: ${gate} -> ${decision}${status === 200 ? '' : ` (answer ${status})`}`))
        .catch((err: Error) => out(`demo: could not decide ${gateId}: ${err.message}`));
    });
    const announced = new Set<string>();
    const progress = setInterval(() => {
      for (const [application, members] of apps) {
        const states = members.map((id) => engine.servers.get(id)?.lifeCycle.state);
        const key = `${application}:${states.join(',')}`;
        if (states.every((s) => s === states[0]) && !announced.has(key)) {
          announced.add(key);
          out(`${clockLabel()}  ${application}: ${members.length} server(s) ${states[0]}`);
        }
      }
    }, 50);

    const results = await Promise.all([...executions.values()].map((e) => cloud.host.settled(e.arn)));
    clearInterval(progress);
    approver();

    const summary = summarize(cloud, executions, simStart);
    const failed = results.filter((r) => r.status !== 'SUCCEEDED');
    const allDone = [...engine.servers.values()].every((s) => s.lifeCycle.state === 'CUTOVER' && s.isArchived);
    // no double launch: every launch job came from one launch point, and no server is in two jobs of one kind and round
    const launchJobs = [...engine.jobs.values()].filter((j) => j.type === 'LAUNCH');
    const perServerLaunches = summary.perServer.every((s) => s.testLaunches + s.cutoverLaunches === engine.servers.get(s.serverId)?.launches);
    const report = {
      ok: allDone && perServerLaunches && failed.length === 0,
      servers: engine.servers.size,
      applications: apps.size,
      allCutoverAndArchived: allDone,
      noDoubleLaunch: perServerLaunches,
      launchJobs: launchJobs.length,
      failedExecutions: failed.map((f) => ({ name: f.name, error: f.error, cause: f.cause })),
      simulatedHours: round((cloud.clock.now() - simStart) / 3_600_000),
      wallSeconds: round((performance.now() - wallStart) / 1000),
      timeScale,
      ...summary.totals,
      perServer: summary.perServer,
    };
    if (opts.summaryFile) writeFileSync(opts.summaryFile, `${JSON.stringify(report, null, 2)}\n`);
    if (opts.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else process.stdout.write(`${table(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    await cloud.close();
  }
}

function round(n: number): number {
  return Math.round(n * 100) / 100;
}

function summarize(cloud: LocalCloud, executions: Map<string, { arn: string; application: string }>, simStart: number) {
  const engine = cloud.emulator.engine;
  const log = cloud.emulator.http.log;
  const perServer: ServerSummary[] = [];
  for (const [serverId, e] of executions) {
    const history = cloud.host.history(e.arn);
    const entered = history.filter((h) => h.type.endsWith('StateEntered')).map((h) => String(h.details?.value.name));
    const s = engine.servers.get(serverId);
    const d = cloud.host.describeExecution(e.arn);
    const testJobs = [...engine.jobs.values()].filter((j) => j.initiatedBy === 'START_TEST' && j.participants.some((p) => p.sourceServerID === serverId));
    const terminate = [...engine.jobs.values()].find((j) => j.type === 'TERMINATE' && j.participants.some((p) => p.sourceServerID === serverId));
    const launchedAt = testJobs.map((j) => j.endedAt ?? j.createdAt).sort()[0];
    const testInstanceHours = launchedAt !== undefined ? ((terminate?.endedAt ?? cloud.clock.now()) - launchedAt) / 3_600_000 : 0;
    perServer.push({
      serverId,
      hostname: s?.properties.identificationHints.hostname ?? '',
      application: e.application,
      outcome: d.status === 'SUCCEEDED' ? 'succeeded' : `${d.status.toLowerCase()} (${d.error ?? ''})`,
      path: entered.filter((n) => !/Choice|Count|Launched$|Verified$|Decision$|^Ready$|^SignedOff$|InCutoverWindow|TestInstanceTerminating|^Init$/.test(n)),
      transitions: entered.length,
      mgnCalls: logicalCalls(log.filter((r) => r.sourceServerIDs?.includes(serverId))).length,
      testLaunches: entered.filter((n) => n === 'TestLaunchPoint' || n === 'TestRelaunchPoint').length,
      cutoverLaunches: entered.filter((n) => n === 'CutoverLaunchPoint').length,
      simulatedHours: round(((d.stopDate ?? cloud.clock.now()) - simStart) / 3_600_000),
      testInstanceHours: round(testInstanceHours),
      finalState: s?.lifeCycle.state ?? '',
      archived: s?.isArchived ?? false,
    });
  }
  const transitions = perServer.reduce((a, s) => a + s.transitions, 0);
  const invocations = cloud.lambda.invocations.length;
  const mgnCalls = logicalCalls(log).length;
  return {
    perServer,
    totals: {
      transitions,
      lambdaInvocations: invocations,
      mgnCalls,
      testInstanceHours: round(perServer.reduce((a, s) => a + s.testInstanceHours, 0)),
      estimatedOrchestrationCostUsd: round(transitions * COST.perTransition + invocations * COST.perInvocation),
    },
  };
}

function table(r: { perServer: ServerSummary[] } & Record<string, unknown>): string {
  const rows = r.perServer.map(
    (s) =>
      `${s.hostname.padEnd(20)} ${s.application.padEnd(8)} ${s.outcome.padEnd(10)} ${String(s.transitions).padStart(5)} ${String(s.mgnCalls).padStart(5)} ${String(s.testLaunches).padStart(4)} ${String(s.cutoverLaunches).padStart(7)} ${s.simulatedHours.toFixed(1).padStart(7)} ${s.testInstanceHours.toFixed(1).padStart(8)}  ${s.finalState}${s.archived ? ', archived' : ''}`,
  );
  return [
    '',
    'server               app      outcome    trans   MGN test cutover  sim h  test-i h  MGN state',
    ...rows,
    '',
    `${r.servers} servers, ${r.applications} applications, ${r.launchJobs} launch jobs; ${r.transitions} state transitions, ${r.lambdaInvocations} Lambda invocations, ${r.mgnCalls} MGN calls`,
    `estimated AWS cost of the orchestration: $${r.estimatedOrchestrationCostUsd} (Step Functions transitions and Lambda); test instances ran ${r.testInstanceHours} h`,
    `simulated ${r.simulatedHours} h in ${r.wallSeconds} s (time scale ${r.timeScale}x)`,
    `every server CUTOVER and archived: ${r.allCutoverAndArchived ? 'yes' : 'NO'}; no double launch: ${r.noDoubleLaunch ? 'yes' : 'NO'}`,
    ...((r.failedExecutions as { name: string; error?: string }[]).map((f) => `failed: ${f.name} ${f.error ?? ''}`)),
    r.ok ? 'demo: OK' : 'demo: FAILED',
  ].join('\n');
}
