/**
 * `npm run bench`: prints a table and writes bench/results.json, one key per figure, each with the server
 * count, time scale and quotas it ran under. Figures are measured in one run on the same machine; compare
 * ratios, not absolute numbers, across machines.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { Agent, request } from 'node:http';
import { DescribeSourceServersCommand, MgnClient } from '@aws-sdk/client-mgn';

interface Figure {
  value: number;
  unit: string;
  servers: number;
  timeScale: number | 'manual' | 'idle-jump' | 'discrete';
  quotas: Record<string, number>;
  note: string;
  /** A run that stops at a wall-time cap says whether it got to its end. */
  finished?: boolean;
}

const results: Record<string, Figure> = {};

async function startEmulatorProcess(args: string[]): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['bin/mgn-flow.js', 'emulator', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout });
  const url = await new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`emulator exited with ${code}`)));
  });
  return {
    url,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** One keep-alive HTTP caller speaking MGN's wire protocol without the SDK's parsing cost. */
function rawCaller(url: string, agent: Agent) {
  const { hostname, port } = new URL(url);
  return (body: string) =>
    new Promise<Buffer>((resolve, reject) => {
      const req = request(
        { hostname, port, path: '/DescribeSourceServers', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks)) : reject(new Error(`HTTP ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}

/**
 * emulatorRequestsPerS / emulatorRssMb: DescribeSourceServers, 100 per page, 16 concurrent callers over
 * loopback (raw keep-alive HTTP in this process, the emulator in its own); emulatorSdkRequestsPerS: the same
 * with 16 real SDK clients, whose JSON deserialization then dominates.
 */
async function emulatorThroughput(): Promise<void> {
  const servers = 1000;
  const quotas = { maxActiveSourceServers: 1000 };
  const emu = await startEmulatorProcess([
    '--servers', String(servers), '--seed', '1', '--time-scale', '60', '--start', 'ready-for-test',
    '--quota', `maxActiveSourceServers=${quotas.maxActiveSourceServers}`,
  ]);
  try {
    const callers = 16;
    const durationMs = 6000;
    {
      const agent = new Agent({ keepAlive: true, maxSockets: callers });
      const call = rawCaller(emu.url, agent);
      let requests = 0;
      const start = performance.now();
      const deadline = start + durationMs;
      await Promise.all(
        Array.from({ length: callers }, async () => {
          let nextToken: string | undefined;
          while (performance.now() < deadline) {
            const body = await call(JSON.stringify({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
            requests++;
            // only the tail carries the token; the 240 KB of servers are received, not parsed
            nextToken = /"nextToken":"([^"]+)"\}$/.exec(body.subarray(-400).toString('utf8'))?.[1];
          }
        }),
      );
      const elapsedS = (performance.now() - start) / 1000;
      agent.destroy();
      results.emulatorRequestsPerS = {
        value: Math.round(requests / elapsedS),
        unit: 'requests/s',
        servers,
        timeScale: 60,
        quotas,
        note: `DescribeSourceServers, 100 per page (~240 KB each), ${callers} concurrent keep-alive callers over loopback, ${elapsedS.toFixed(1)} s (aim >= 2000)`,
      };
    }
    const clients = Array.from({ length: callers }, () =>
      new MgnClient({ region: 'us-east-1', endpoint: emu.url, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } }),
    );
    // warm-up
    await Promise.all(clients.map((c) => c.send(new DescribeSourceServersCommand({ maxResults: 100 }))));
    let requests = 0;
    let items = 0;
    const start = performance.now();
    const deadline = start + durationMs;
    await Promise.all(
      clients.map(async (c) => {
        let nextToken: string | undefined;
        while (performance.now() < deadline) {
          const r = await c.send(new DescribeSourceServersCommand({ maxResults: 100, ...(nextToken ? { nextToken } : {}) }));
          requests++;
          items += r.items?.length ?? 0;
          nextToken = r.nextToken;
        }
      }),
    );
    const elapsedS = (performance.now() - start) / 1000;
    const metrics = (await (await fetch(`${emu.url}/_emulator/metrics`)).json()) as { rssBytes: number };
    for (const c of clients) c.destroy();
    results.emulatorSdkRequestsPerS = {
      value: Math.round(requests / elapsedS),
      unit: 'requests/s',
      servers,
      timeScale: 60,
      quotas,
      note: `the same through ${callers} @aws-sdk/client-mgn clients (SDK parsing included), ${items} servers returned`,
    };
    results.emulatorRssMb = {
      value: Math.round(metrics.rssBytes / 1024 / 1024),
      unit: 'MB',
      servers,
      timeScale: 60,
      quotas,
      note: 'resident set size of the emulator process after the throughput run',
    };
  } finally {
    await emu.stop();
  }
}

/** A 20-state machine with Pass, Choice, Lambda tasks, a Map and one callback task. */
function twentyStateMachine(): Record<string, unknown> {
  const states: Record<string, unknown> = {};
  const names: string[] = [];
  for (let i = 1; i <= 14; i++) names.push(`Step${i}`);
  names.forEach((n, i) => {
    const next = i + 1 < names.length ? names[i + 1] : 'Decide';
    states[n] = i % 2 === 0
      ? { Type: 'Task', Resource: { 'Fn::GetAtt': ['WorkLambdaFunction', 'Arn'] }, TimeoutSeconds: 30, ResultPath: `$.r${i}`, Next: next }
      : { Type: 'Pass', Result: i, ResultPath: `$.p${i}`, Next: next };
  });
  states.Decide = { Type: 'Choice', Choices: [{ Variable: '$.go', BooleanEquals: true, Next: 'Await' }], Default: 'Failed' };
  states.Await = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: { FunctionName: 'callback', Payload: { 'token.$': '$$.Task.Token' } },
    ResultPath: '$.cb',
    TimeoutSeconds: 3600,
    Next: 'Fan',
  };
  states.Fan = { Type: 'Map', ItemsPath: '$.items', ItemProcessor: { StartAt: 'Item', States: { Item: { Type: 'Pass', End: true } } }, ResultPath: '$.fan', Next: 'Last' };
  states.Last = { Type: 'Pass', Next: 'Done' };
  states.Done = { Type: 'Succeed' };
  states.Failed = { Type: 'Fail', Error: 'NoGo' };
  return { StartAt: 'Step1', States: states };
}

/** sfnExecutionsPerS: the Step Functions host itself (in-process handlers), executions run concurrently. */
async function sfnThroughput(): Promise<void> {
  const { StepFunctionsHost } = await import('../src/local/cloud/sfn/host.ts');
  const { VirtualClock } = await import('../src/local/emulator/clock.ts');
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), scale: 1000, manual: false });
  clock.start();
  const ref: { host?: InstanceType<typeof StepFunctionsHost> } = {};
  const lambda = {
    resolve: (ref: unknown) => (typeof ref === 'string' ? ref : 'work'),
    invoke: async (key: string, event: unknown) => {
      if (key === 'callback') {
        const token = (event as { token: string }).token;
        setImmediate(() => ref.host?.sendTaskSuccess(token, '{"ok":true}'));
        return { sent: true };
      }
      return { done: true };
    },
  };
  const host = new StepFunctionsHost({ clock, lambda, region: 'us-east-1', accountId: '111122223333' });
  ref.host = host;
  const { stateMachineArn } = host.createStateMachine({ name: 'bench20', definition: twentyStateMachine() });
  const total = 2000;
  const batch = 250;
  const start = performance.now();
  let transitions = 0;
  for (let b = 0; b < total; b += batch) {
    const arns = Array.from({ length: batch }, (_, i) =>
      host.startExecution({ stateMachineArn, name: `e-${b + i}`, input: JSON.stringify({ go: true, items: [1, 2, 3] }) }).executionArn,
    );
    const results = await Promise.all(arns.map((a) => host.settled(a)));
    if (results.some((r) => r.status !== 'SUCCEEDED')) throw new Error('a bench execution did not succeed');
    for (const a of arns) transitions += host.history(a).filter((e) => e.type.endsWith('StateEntered')).length;
  }
  const elapsedS = (performance.now() - start) / 1000;
  clock.stop();
  results.sfnExecutionsPerS = {
    value: Math.round(total / elapsedS),
    unit: 'executions/s',
    servers: 0,
    timeScale: 1000,
    quotas: {},
    note: `${total} executions of a 20-state machine (Lambda tasks, Choice, Map, one callback resolved by SendTaskSuccess), ${batch} at a time, ${Math.round(transitions / elapsedS)} state transitions/s`,
  };
}

/** busEventsPerS: events published to the local bus, matched against the rules and delivered to handlers. */
async function busThroughput(): Promise<void> {
  const { LocalBus } = await import('../src/local/cloud/bus/index.ts');
  const { VirtualClock } = await import('../src/local/emulator/clock.ts');
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), scale: 1, manual: true });
  let delivered = 0;
  const bus = new LocalBus({
    clock,
    region: 'us-east-1',
    accountId: '111122223333',
    lambda: { resolve: (r: unknown) => String(r), invoke: async () => { delivered++; return null; } },
  });
  const patterns: Record<string, unknown>[] = [
    { source: ['aws.mgn'], 'detail-type': ['MGN Source Server Launch Result'], detail: { state: ['TEST_LAUNCH_SUCCEEDED', 'TEST_LAUNCH_FAILED'] } },
    { source: ['aws.mgn'], 'detail-type': ['MGN Source Server Launch Result'], detail: { state: [{ prefix: 'CUTOVER_' }] } },
    { source: ['aws.mgn'], 'detail-type': ['MGN Source Server Lifecycle State Change'] },
    { source: ['aws.mgn'], 'detail-type': ['MGN Source Server Data Replication Stalled Change'], detail: { state: ['STALLED'] } },
    { source: ['aws.mgn'], 'detail-type': ['MGN Source Server Data Replication Stalled Change'], detail: { state: [{ 'anything-but': 'STALLED' }] } },
    { source: ['aws.states'], detail: { status: ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] } },
    { source: ['aws.mgn'], 'detail-type': ['AWS API Call via CloudTrail'], detail: { eventName: [{ wildcard: 'Start*' }] } },
    { source: [{ prefix: 'mgn-flow' }] },
  ];
  patterns.forEach((pattern, i) => bus.addRule({ name: `rule-${i}`, pattern, target: { functionKey: `fn${i}` } }));
  const states = ['TEST_LAUNCH_SUCCEEDED', 'CUTOVER_LAUNCH_SUCCEEDED', 'TEST_LAUNCH_FAILED'];
  const total = 30_000;
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    bus.publish({
      source: 'aws.mgn',
      'detail-type': i % 3 === 2 ? 'MGN Source Server Data Replication Stalled Change' : 'MGN Source Server Launch Result',
      resources: [`arn:aws:mgn:us-east-1:111122223333:source-server/s-${String(i).padStart(17, '0')}`],
      detail: i % 3 === 2 ? { state: i % 2 ? 'STALLED' : 'NOT_STALLED' } : { state: states[i % 3], 'job-id': `mgnjob-${String(i).padStart(17, '0')}` },
    });
    if (i % 1000 === 999) await bus.drain();
  }
  await bus.drain();
  const elapsedS = (performance.now() - start) / 1000;
  results.busEventsPerS = {
    value: Math.round(total / elapsedS),
    unit: 'events/s',
    servers: 0,
    timeScale: 'manual',
    quotas: {},
    note: `${total} MGN events published, matched against ${patterns.length} rules and delivered to in-process handlers (${delivered} deliveries)`,
  };
}

/**
 * transitionsPerServer, mgnCallsPerServer, eventResumeP50Ms / eventResumeP99Ms: a happy-path application of
 * 10 servers through the server-lifecycle machine on the local cloud (gates decided as soon as they ask).
 */
async function lifecycleFigures(): Promise<void> {
  // twice, in discrete-event time: the per-server figures must be identical (they were 13.4 to 20.2 on a wall clock)
  const first = await lifecycleRun();
  const second = await lifecycleRun();
  const same = first.transitionsPerServer.value === second.transitionsPerServer.value && first.mgnCallsPerServer.value === second.mgnCallsPerServer.value;
  const twice = `; two runs: ${first.transitionsPerServer.value}/${second.transitionsPerServer.value} transitions, ${first.mgnCallsPerServer.value}/${second.mgnCallsPerServer.value} calls: ${same ? 'identical' : 'DIFFERENT'}`;
  results.transitionsPerServer = { ...first.transitionsPerServer, note: `${first.transitionsPerServer.note}${twice}` };
  results.mgnCallsPerServer = { ...first.mgnCallsPerServer, note: `${first.mgnCallsPerServer.note}${twice}` };
  results.eventResumeP50Ms = first.eventResumeP50Ms;
  results.eventResumeP99Ms = first.eventResumeP99Ms;
  if (!same) throw new Error(`two runs of the same seeded lifecycle differ${twice}`);
}

async function lifecycleRun(): Promise<Record<'transitionsPerServer' | 'mgnCallsPerServer' | 'eventResumeP50Ms' | 'eventResumeP99Ms', Figure>> {
  const { lifecycleCloud, startServers, decideWhenAsked, serverIds } = await import('../test/statemachines/lifecycle-helpers.ts');
  const { logicalCalls } = await import('../src/local/emulator/http.ts');
  const servers = 10;
  const timeScale = 'discrete' as const;
  const cloud = await lifecycleCloud({ servers, seed: 21 });
  try {
    const ids = serverIds(cloud);
    const arns = startServers(cloud, { ids });
    await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
    await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
    await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
    const done = await Promise.all(arns.map((a) => cloud.host.settled(a)));
    if (done.some((d) => d.status !== 'SUCCEEDED')) throw new Error('a lifecycle bench execution did not succeed');
    let transitions = 0;
    const latencies: number[] = [];
    const launchEvents = cloud.emulator.engine.events.delivered.filter((d) => d.event['detail-type'] === 'MGN Source Server Launch Result');
    for (const arn of arns) {
      const history = cloud.host.history(arn);
      transitions += history.filter((e) => e.type.endsWith('StateEntered') || e.type === 'TaskScheduled' && history[e.id - 2]?.type === 'TaskFailed').length;
      const serverId = JSON.parse(cloud.host.describeExecution(arn).input).serverId as string;
      for (const [waitState, next] of [['TestLaunchPoint', 'CountTestLaunch'], ['CutoverLaunchPoint', 'CountCutoverLaunch']] as const) {
        const ev = launchEvents.find((d) => d.event.resources[0]?.endsWith(serverId) && String(d.event.detail.state).startsWith(waitState === 'TestLaunchPoint' ? 'TEST' : 'CUTOVER'));
        const entered = history.find((e) => e.type.endsWith('StateEntered') && e.details?.value.name === next);
        if (ev && entered) latencies.push(entered.wallMs - ev.deliveredWallMs);
      }
    }
    latencies.sort((a, b) => a - b);
    const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
    const calls = logicalCalls(cloud.emulator.http.log);
    const base = { servers, timeScale, quotas: {} };
    return {
      transitionsPerServer: { value: Math.round((transitions / servers) * 10) / 10, unit: 'transitions', ...base, note: 'state entries plus retries per server, happy path of a 10-server application (aim <= 40)' },
      mgnCallsPerServer: { value: Math.round((calls.length / servers) * 10) / 10, unit: 'calls', ...base, note: `logical MGN calls per server from the emulator's request log, reconciler included (${calls.length} in all; aim <= 15)` },
      eventResumeP50Ms: { value: Math.round(pct(50) * 10) / 10, unit: 'ms', ...base, note: `wall time from the emulator's launch-result event to the next state entered (${latencies.length} events)` },
      eventResumeP99Ms: { value: Math.round(pct(99) * 10) / 10, unit: 'ms', ...base, note: 'the same, 99th percentile (aim <= 50)' },
    };
  } finally {
    await cloud.close();
  }
}

/** bundleZipKbMax: `osls package` (offline) and the zipped size of the largest function bundle in .serverless/. */
async function bundleFigures(): Promise<void> {
  const start = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['node_modules/osls/bin/serverless.js', 'package', '--stage', 'dev', '--region', 'us-east-1'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`osls package exited with ${code}`))));
  });
  const seconds = (performance.now() - start) / 1000;
  const zips = readdirSync('.serverless')
    .filter((f) => f.endsWith('.zip'))
    .map((f) => ({ f, kb: statSync(`.serverless/${f}`).size / 1024 }))
    .sort((a, b) => b.kb - a.kb);
  const largest = zips[0];
  if (!largest) throw new Error('osls package wrote no zip to .serverless/');
  results.bundleZipKbMax = {
    value: Math.round(largest.kb * 10) / 10,
    unit: 'KB',
    servers: 0,
    timeScale: 'manual',
    quotas: {},
    note: `largest of ${zips.length} function zips (${largest.f}; smallest ${Math.round((zips.at(-1)?.kb ?? 0) * 10) / 10} KB), esbuild ESM, minified, @aws-sdk bundled; osls package took ${seconds.toFixed(1)} s`,
  };
}

/**
 * wave1000WallS, wave1000PeakRssMb and the per-server figures over that wave: the demo's whole path (wave file
 * validated like `mgn-flow wave start`, scheduled through the Scheduler, applications admitted by the wave
 * execution, one server-lifecycle execution per server, every gate decided through its link) for 1,000
 * servers on the local cloud with compressed time, in a process of its own (bench/wave1000.ts).
 */
async function wave1000Figures(): Promise<void> {
  const servers = Number(process.env.WAVE_SERVERS ?? 1000);
  const applications = Number(process.env.WAVE_APPS ?? 20);
  // discrete-event time unless WAVE_TS asks for a time scale
  const timeScale = process.env.WAVE_TS ? Number(process.env.WAVE_TS) : undefined;
  // the wave gets at most this much wall time
  const capS = Number(process.env.WAVE_MAX_S ?? 600);
  const resultFile = `${process.env.TMPDIR ?? '/tmp'}/mgn-flow-wave1000-${process.pid}.json`;
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/run-ts.js', 'bench/wave1000.ts', resultFile], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, WAVE_SERVERS: String(servers), WAVE_APPS: String(applications), WAVE_MAX_S: String(capS) },
    });
    child.once('exit', (code) => (code === 0 || code === 3 ? resolve() : reject(new Error(`bench/wave1000.ts exited with ${code}`))));
  });
  const r = JSON.parse(readFileSync(resultFile, 'utf8')) as {
    finished: boolean; ok: boolean; wallS: number; peakRssMb: number; simulatedHours: number; transitions: number; waveTransitions?: number;
    lambdaInvocations: number; mgnCalls: number; cpuS?: number; requests?: { inProcess: number }; launchJobs?: number; estimatedOrchestrationCostUsd?: number; waveStatus?: string;
    archived?: number; states?: Record<string, number>; gateRetries: number; byFunction: Record<string, { n: number; ms: number }>;
  };
  // MGN's quotas in this run: the replicating quota raised for the wave, the job quotas MGN's defaults
  const quotas = { maxActiveSourceServers: Math.max(150, servers), serversPerApplication: 200, concurrentJobs: 20, serversInActiveJobs: 200 };
  const per = (n: number) => Math.round((n / servers) * 10) / 10;
  const busiest = Object.entries(r.byFunction).sort((a, b) => b[1].n - a[1].n).slice(0, 4).map(([k, v]) => `${k} ${v.n}`).join(', ');
  const conditions =
    `${servers} servers in ${applications} applications of ${Math.ceil(servers / applications)} (no canary, concurrency ${Math.min(200, Math.max(10, applications))}), replication caught up (READY_FOR_TEST), ` +
    `soak 14 days ended by the sign-off, every gate decided through its link; ${timeScale !== undefined ? `time scale ${timeScale}x` : 'discrete-event time'}; simulated ${r.simulatedHours} h`;
  const status = r.finished
    ? `finished: every server CUTOVER and archived: ${r.ok ? 'yes' : 'NO'}, wave ${r.waveStatus}, ${r.launchJobs} launch jobs, ${r.gateRetries} failure gates decided retry`
    : `NOT FINISHED within the ${capS} s cap: ${r.archived ?? 0} of ${servers} archived, states ${JSON.stringify(r.states)}, ${r.gateRetries} failure gates (test or cutover launch failed or timed out) decided retry`;
  const base = { servers, timeScale: timeScale ?? ('discrete' as const), quotas, finished: r.finished };
  const partial = r.finished ? '' : 'PARTIAL (wave not finished), counted so far and divided by all servers; ';
  results.wave1000WallS = { value: Math.round(r.wallS * 10) / 10, unit: 's', ...base, note: `wall time from the local cloud's start to the wave's end: ${conditions}; ${status} (target <= 60)` };
  if (r.cpuS !== undefined) {
    results.wave1000CpuMsPerServer = {
      value: Math.round((r.cpuS * 1000) / servers),
      unit: 'ms',
      ...base,
      note: `${partial}CPU time (user + system, GC threads included) of the wave's process per server: ${Math.round(r.cpuS)} s of CPU in ${Math.round(r.wallS)} s of wall time${r.requests ? `; ${per(r.requests.inProcess)} requests to the local stand-ins per server` : ''} (wall time above this on a shared host is time spent waiting for a core)`,
    };
  }
  results.wave1000PeakRssMb = { value: Math.round(r.peakRssMb), unit: 'MB', ...base, note: `peak resident set size of the one process running the whole local cloud (emulator, Step Functions, handlers, dynalite) for that wave${r.finished ? '' : ' until the cap'} (target <= 800)` };
  results.wave1000TransitionsPerServer = { value: per(r.transitions), unit: 'transitions', ...base, note: `${partial}state transitions per server over that wave, the wave execution's included (${r.transitions} in all)` };
  results.wave1000MgnCallsPerServer = { value: per(r.mgnCalls), unit: 'calls', ...base, note: `${partial}logical MGN calls per server from the emulator's request log, reconciler included (${r.mgnCalls} in all; aim <= 15)` };
  results.wave1000LambdaInvocationsPerServer = {
    value: per(r.lambdaInvocations),
    unit: 'invocations',
    ...base,
    note: `${partial}Lambda invocations per server (${r.lambdaInvocations} in all; most: ${busiest})${r.estimatedOrchestrationCostUsd !== undefined ? `; estimated orchestration cost $${r.estimatedOrchestrationCostUsd} for the wave` : ''}`,
  };
}

/**
 * rehearse1000WallS: `mgn-flow wave rehearse` of a generated 1,000-server wave file (20 applications of 50, a
 * one-day soak, a cutover window, approvers on call deciding after an hour), in a process of its own.
 */
async function rehearse1000Figures(): Promise<void> {
  const servers = Number(process.env.REHEARSE_SERVERS ?? 1000);
  const applications = 20;
  const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-bench-rehearse-'));
  const file = join(dir, 'wave-1000.yaml');
  writeFileSync(file, generatedWave(servers, applications));
  const json = join(dir, 'forecast.json');
  const t = performance.now();
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ['bin/mgn-flow.js', '--json', 'wave', 'rehearse', file, '--start', '2026-12-01T09:00', '--working-hours', 'always', '--approver-delay', '1h', '--seed', '5'], { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => chunks.push(c));
    child.once('exit', (c) => {
      writeFileSync(json, Buffer.concat(chunks));
      resolve(c);
    });
  });
  const wallS = (performance.now() - t) / 1000;
  if (code !== 0 && code !== 1) throw new Error(`mgn-flow wave rehearse exited with ${code}`);
  const f = JSON.parse(readFileSync(json, 'utf8')) as { outcome: string; risks: unknown[]; transitions: number; mgnCalls: number; endedAt: number; startedAt: number };
  results.rehearse1000WallS = {
    value: Math.round(wallS * 10) / 10,
    unit: 's',
    servers,
    timeScale: 'discrete',
    quotas: { concurrentJobs: 20, serversInActiveJobs: 200 },
    note: `mgn-flow wave rehearse of a generated wave file (${applications} applications of ${servers / applications}, soak 1 day, approvers on call after 1 h), the whole command: wave ${f.outcome}, ${f.risks.length} risk(s), ${Math.round(((f.endedAt - f.startedAt) / 86_400_000) * 10) / 10} simulated days, ${f.transitions} transitions, ${f.mgnCalls} MGN requests (aim <= 60)`,
  };
}

/** A wave file of `servers` made-up hostnames in `applications` applications. */
export function generatedWave(servers: number, applications: number): string {
  const per = Math.ceil(servers / applications);
  const apps = Array.from({ length: applications }, (_, a) => {
    const hosts = Array.from({ length: Math.min(per, servers - a * per) }, (_, i) => `gen-${String(a + 1).padStart(2, '0')}-srv-${String(i + 1).padStart(3, '0')}`);
    return `  - name: app-${String(a + 1).padStart(2, '0')}\n    servers: [${hosts.join(', ')}]`;
  });
  return [
    'version: 1',
    'wave: { name: wave-1000, timeZone: Europe/Berlin }',
    'defaults: { soakDays: 1, concurrency: 20, failurePolicy: continue, archive: true }',
    'cutoverWindow: { start: 2026-12-05T00:00, end: 2026-12-06T23:00 }',
    'approvers: { testSignoff: [qa-lead@example.com], goNoGo: [change-manager@example.com], finalize: [ops-lead@example.com] }',
    'applications:',
    ...apps,
    '',
  ].join('\n');
}

const benches: [string, () => Promise<void>][] = [
  ['server lifecycle, 10-server application', lifecycleFigures],
  ['emulator throughput and memory', emulatorThroughput],
  ['step functions host', sfnThroughput],
  ['event bus', busThroughput],
  ['function bundles (bundleZipKbMax)', bundleFigures],
  ['1,000-server wave (wave1000)', wave1000Figures],
  ['rehearsal of a 1,000-server wave (rehearse1000)', rehearse1000Figures],
];

const only = process.env.BENCH_ONLY;
const wallStart = performance.now();
// One bench that fails is reported and the others still run; its figures keep their last value in results.json.
const failures: string[] = [];
for (const [name, run] of benches.filter(([n]) => !only || n.includes(only))) {
  process.stderr.write(`bench: ${name}...\n`);
  const t = performance.now();
  try {
    await run();
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message}`);
    process.stderr.write(`bench: ${name} FAILED: ${(err as Error).message}\n`);
  }
  process.stderr.write(`bench: ${name} took ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
}
const rows = Object.entries(results).map(([k, f]) => [k, String(f.value), f.unit, String(f.servers), String(f.timeScale), f.note]);
const header = ['figure', 'value', 'unit', 'servers', 'scale', 'conditions'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] as number))).join('  ');
process.stdout.write(`${[line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n')}\n`);
process.stdout.write(`bench took ${((performance.now() - wallStart) / 1000).toFixed(1)} s\n`);
// A partial run (BENCH_ONLY), or one where a bench failed, keeps the other figures of the last run.
const previous = (only || failures.length) && existsSync('bench/results.json') ? (JSON.parse(readFileSync('bench/results.json', 'utf8')) as { results?: Record<string, Figure> }).results ?? {} : {};
writeFileSync('bench/results.json', `${JSON.stringify({ measuredAt: new Date().toISOString(), node: process.version, results: { ...previous, ...results } }, null, 2)}\n`);
if (failures.length) {
  process.stderr.write(`bench: ${failures.length} bench(es) failed; their figures are the previous run's:\n${failures.map((f) => `  ${f}`).join('\n')}\n`);
  process.exitCode = 1;
}
