import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient, type PublishCommandInput } from '@aws-sdk/client-sns';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { gateInbox } from '../../dashboard/inbox.ts';
import { seedServers, type SeedSpec } from '../emulator/seed.ts';
import { startDashboard } from '../../dashboard/server.ts';
import { createDocumentClient, createGateStore, createRendezvousStore, createWaitStore, createWaveStore } from '../../adapters/aws/stores.ts';
import { wavePlans } from '../../dashboard/waves.ts';
import type { Faults, Quotas } from '../emulator/config.ts';
import { startEmulator } from '../emulator/index.ts';
import { type ApiRoute, type LocalApi, startApi } from './api/index.ts';
import { createCloudFormation, isHttpApiUrl, type LocalCloudFormation, type LocalRefs, type LocalStackOutput, resolveLocal } from './cloudformation/index.ts';
import { LocalBus, busService, installRules, loadRules } from './bus/index.ts';
import { createTables, startDynamo, tablesFromResources, type LocalDynamo } from './dynamodb/index.ts';
import { startGateway } from './gateway.ts';
import { type Handler, LocalLambda } from './lambda.ts';
import { createServiceQuotas } from './quotas/index.ts';
import { createScheduler, type LocalScheduler } from './scheduler/index.ts';
import { createSecretsManager, secretsFromResources, type LocalSecrets } from './secrets/index.ts';
import { readServerlessConfig, type ServerlessConfig } from './serverless-config.ts';
import { installSimulatedDate } from './simulated-date.ts';
import { inProcessFetch, serveInProcess, setRequestGuard, simulatedDateHeader, trackRequests, warmSdkConfig } from './in-process.ts';
import { LocalIam, outsideFunctions } from './iam/index.ts';
import { createAccount, type LocalAccount } from './account/index.ts';
import { createCloudWatch } from './cloudwatch/index.ts';
import type { Statement } from '../../../deploy/iam.ts';
import { installSeededRandom, installVirtualTimers, realTimers } from './virtual-timers.ts';
import { createRng } from '../emulator/rng.ts';
import { StepFunctionsHost } from './sfn/host.ts';
import { stepFunctionsService } from './sfn/service.ts';
import { createSns, type LocalSns } from './sns/index.ts';
import { LocalEc2 } from './ec2/index.ts';

/**
 * The local cloud: the MGN emulator and the stand-ins for Step Functions, EventBridge, Scheduler, SNS,
 * DynamoDB, Service Quotas, Secrets Manager and API Gateway, on one clock, running the project's own
 * serverless.yml: its functions in-process, its state machines, its rules, its tables, topics and secrets,
 * its HTTP routes. Handlers see
 * the environment they would get on AWS plus `AWS_ENDPOINT_URL_<SERVICE>` for each stand-in; no product code
 * knows it is local.
 */

export interface LocalCloudOptions {
  /** Project root holding serverless.yml (default: the current directory). */
  root?: string;
  /**
   * How simulated time moves: 'discrete' (it stands still while any work is in flight and jumps to the next
   * scheduled moment when the cloud is idle: deterministic, whatever the host's speed), 'scaled' (the wall
   * clock times `timeScale`: `mgn-flow local`) or 'manual' (only `clock.advance()`). Default: 'manual' when
   * `manualClock`, else 'scaled' when a `timeScale` is given, else 'discrete'.
   */
  clock?: 'discrete' | 'scaled' | 'manual';
  timeScale?: number;
  manualClock?: boolean;
  /**
   * Discrete mode: leave simulated time standing until `cloud.startClock()` (a scenario that seeds servers,
   * validates a wave and subscribes people first, so that how long that takes on this host moves nothing).
   */
  holdClock?: boolean;
  /** SDK clients in this process reach the stand-ins without a socket (default true; conformance tests turn it off). */
  inProcess?: boolean;
  /** Simulated start time (ms since epoch; default the emulator's, 2026-01-05T08:00:00Z). */
  startTime?: number;
  servers?: number;
  seed?: number;
  applications?: number;
  start?: 'agent-installed' | 'ready-for-test';
  faults?: Partial<Faults>;
  quotas?: Partial<Quotas>;
  stage?: string;
  /** Port of the shared AWS endpoint (Step Functions, EventBridge, Scheduler, SNS, Service Quotas, Secrets Manager). */
  port?: number;
  /**
   * Source servers seeded as given (hostname, id, start), before the `servers` synthetic ones (whose made-up
   * hostnames then never clash with them): `mgn-flow local` seeds the servers its examples and wave files name.
   */
  serverSpecs?: SeedSpec[];
  /** Write `.mgn-flow/local.json` under root (default true; tests turn it off). */
  writeLocalJson?: boolean;
  /** Replace handlers by key (tests). */
  lambdaOverrides?: Record<string, Handler>;
  /** Port of the dashboard (0 or absent picks a free one). */
  dashboardPort?: number;
  /**
   * Enforce each function's generated IAM role on its AWS calls (default true; in-process transport only).
   * `rolePolicies` changes a role's statements first (tests: take one action away).
   */
  iam?: boolean;
  /** Let handlers write their metrics (EMF documents on stdout) as on AWS (default false: tests and demos stay readable). */
  metrics?: boolean;
  rolePolicies?: (functionKey: string, statements: Statement[]) => Statement[];
}

export interface LocalEndpoints {
  mgn: string;
  sfn: string;
  eventbridge: string;
  scheduler: string;
  sns: string;
  dynamodb: string;
  servicequotas: string;
  secretsmanager: string;
  /** CloudFormation: DescribeStacks of the local stack (the CLI finds its resources there, as on AWS). */
  cloudformation: string;
  /** STS (GetCallerIdentity), IAM (GetRole, SimulatePrincipalPolicy) and CloudWatch (GetMetricStatistics): what `doctor` asks. */
  sts: string;
  iam: string;
  cloudwatch: string;
  api: string;
  /** EC2 (the launch templates MGN made for its servers). */
  ec2?: string;
}

export interface LocalCloudInfo {
  endpoints: LocalEndpoints;
  dashboard: string;
  region: string;
  accountId: string;
  stage: string;
  timeScale: number | 'manual' | 'discrete';
  stateMachines: Record<string, string>;
  /** The product's own configuration as its handlers see it (table and topic names), for the CLI. */
  config: Record<string, string>;
  startedAt: string;
  /** The process serving this cloud: a second cloud in the same folder refuses to start while it lives. */
  pid?: number;
}

/** Another local cloud runs from this folder (its `.mgn-flow/local.json` names a live process): exit 4. */
export class LocalCloudRunningError extends Error {
  readonly exitCode = 4;
  constructor(message: string) {
    super(message);
    this.name = 'LocalCloudRunningError';
  }
}

/** The cloud `.mgn-flow/local.json` describes, when its process still runs (a file left by a crash is not one). */
export function runningLocalCloud(root: string): (LocalCloudInfo & { pid: number }) | undefined {
  const file = join(root, LOCAL_JSON);
  if (!existsSync(file)) return undefined;
  let info: LocalCloudInfo;
  try {
    info = JSON.parse(readFileSync(file, 'utf8')) as LocalCloudInfo;
  } catch {
    return undefined;
  }
  if (typeof info.pid !== 'number') return undefined;
  try {
    process.kill(info.pid, 0);
    return info as LocalCloudInfo & { pid: number };
  } catch (err) {
    // EPERM: it lives, under another user
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? (info as LocalCloudInfo & { pid: number }) : undefined;
  }
}

export type LocalCloud = Awaited<ReturnType<typeof startLocalCloud>>;

export const LOCAL_JSON = join('.mgn-flow', 'local.json');

export async function startLocalCloud(opts: LocalCloudOptions = {}) {
  const root = resolve(opts.root ?? process.cwd());
  if (opts.writeLocalJson !== false) {
    const other = runningLocalCloud(root);
    if (other) {
      throw new LocalCloudRunningError(
        `another local cloud runs from ${root} (process ${other.pid}, started ${other.startedAt}, dashboard ${other.dashboard}): its ${LOCAL_JSON} stays; stop it first (Ctrl-C where it runs) or start this one from another folder (if process ${other.pid} is no local cloud, delete ${LOCAL_JSON})`,
      );
    }
  }
  const config: ServerlessConfig = readServerlessConfig(root, { ...(opts.stage ? { stage: opts.stage } : {}) });
  const region = config.region;
  const closers: (() => Promise<void>)[] = [];
  const clockMode = opts.clock ?? (opts.manualClock ? 'manual' : opts.timeScale !== undefined ? 'scaled' : 'discrete');
  const close = async () => {
    while (closers.length) await closers.pop()?.().catch(() => undefined);
  };
  try {
    const specs = opts.serverSpecs ?? [];
    const emulator = await startEmulator({
      servers: specs.length ? 0 : (opts.servers ?? 10),
      seed: opts.seed ?? 1,
      timeScale: opts.timeScale ?? 1,
      clockMode,
      ...(opts.startTime !== undefined ? { startTime: opts.startTime } : {}),
      region,
      ...(opts.applications !== undefined && !specs.length ? { applications: opts.applications } : {}),
      ...(opts.start ? { start: opts.start } : {}),
      ...(opts.faults ? { faults: opts.faults } : {}),
      ...(opts.quotas ? { quotas: opts.quotas } : {}),
      // discrete time starts once the whole cloud is up: how long start-up takes must not move it
      startClock: clockMode !== 'discrete',
    });
    closers.push(() => emulator.close());
    if (specs.length) {
      seedServers(emulator.engine, specs.length, 'ready-for-test', 0, specs);
      seedServers(emulator.engine, opts.servers ?? 10, opts.start ?? 'agent-installed', opts.applications ?? 0);
    }
    const clock = emulator.engine.clock;
    const accountId = emulator.accountId;
    const restoreDate = installSimulatedDate(clock);
    closers.unshift(async () => restoreDate());
    const inProcess = opts.inProcess !== false;
    const serve = (endpoint: string, server: Server, tracked = true) => {
      simulatedDateHeader(server, clock);
      if (tracked) trackRequests(server, clock);
      if (inProcess) {
        const undo = serveInProcess(endpoint, server, clock);
        closers.unshift(async () => undo());
      }
    };
    serve(emulator.endpoint, emulator.http.server);

    const dynamo: LocalDynamo = await startDynamo();
    closers.push(() => dynamo.close());
    serve(dynamo.endpoint, dynamo.server);

    const lambda = new LocalLambda(config, { accountId, ...(opts.lambdaOverrides ? { overrides: opts.lambdaOverrides } : {}), ...(clockMode === 'discrete' ? { simulatedTime: clock } : {}) });
    const sns: LocalSns = createSns({ clock, lambda, region, accountId, topics: topicNames(config) });
    const bus = new LocalBus({ clock, lambda, region, accountId });
    installRules(bus, await loadRules(root));
    // the stack's schedule groups exist from the start, as CloudFormation creates them
    const scheduler: LocalScheduler = createScheduler({ clock, lambda, region, accountId, groups: scheduleGroups(config) });
    const quotas = createServiceQuotas({ quotas: () => emulator.engine.quotas, region, accountId });
    const secrets: LocalSecrets = createSecretsManager({ clock, region, accountId });

    const snsRef: { client?: SNSClient } = {};
    const host = new StepFunctionsHost({
      clock,
      lambda,
      region,
      accountId,
      integrations: {
        // the state machine's own calls, whichever function's callback resumed it
        snsPublish: (params) =>
          outsideFunctions(async () => {
            const r = await (snsRef.client as SNSClient).send(new PublishCommand(params as unknown as PublishCommandInput));
            return { MessageId: r.MessageId as string };
          }),
        putEvents: (params) => outsideFunctions(async () => bus.putEvents((params.Entries ?? []) as never)),
      },
      onStatusChange: (e) => {
        bus.publish({
          source: 'aws.states',
          'detail-type': 'Step Functions Execution Status Change',
          resources: [e.executionArn],
          detail: { ...e, inputDetails: { included: true }, ...(e.output !== null ? { outputDetails: { included: true } } : {}) },
        });
      },
    });
    scheduler.connect({
      startExecution: async (req) =>
        host.startExecution({ stateMachineArn: req.StateMachineArn, ...(req.Name ? { name: req.Name } : {}), ...(req.Input !== undefined ? { input: req.Input } : {}) }),
    });
    emulator.onEvent((event) => bus.publish(event));

    // The stack as CloudFormation would answer for it: `<service>-<stage>` with serverless.yml's Outputs, each
    // resolved to the local resource (an output a test deletes is gone from the next DescribeStacks).
    const refs: { current?: LocalRefs } = {};
    const stackOutputs = declaredOutputs(config);
    const outputs = () =>
      Object.entries(stackOutputs).flatMap(([key, o]): LocalStackOutput[] => {
        const value = refs.current ? resolveLocal(o.Value, refs.current) : undefined;
        return value === undefined ? [] : [{ OutputKey: key, OutputValue: value, ...(o.Description ? { Description: o.Description } : {}) }];
      });
    const cloudformation: LocalCloudFormation = createCloudFormation({ region, accountId, stack: { name: `${config.service}-${config.stage}`, createdAt: clock.now(), outputs } });
    // STS and IAM answer once the roles are known (below); until then nothing asks them
    const accountRef: { current?: LocalAccount } = {};
    const late = (name: 'sts' | 'iam') => ({
      name,
      matches: (req: Parameters<LocalAccount['sts']['matches']>[0]) => accountRef.current?.[name].matches(req) ?? false,
      handle: (req: Parameters<LocalAccount['sts']['handle']>[0], res: Parameters<LocalAccount['sts']['handle']>[1]) => (accountRef.current as LocalAccount)[name].handle(req, res),
    });
    const ec2 = new LocalEc2(emulator.engine);
    const gateway = await startGateway([stepFunctionsService(host), busService(bus), scheduler, sns, quotas, secrets, cloudformation, late('sts'), late('iam'), createCloudWatch({ lambda }), ec2], opts.port ?? 0);
    closers.push(() => gateway.close());
    serve(gateway.endpoint, gateway.server);
    const snsClient = new SNSClient({ region, endpoint: gateway.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    snsRef.client = snsClient;
    closers.push(async () => snsClient.destroy());

    // The stack's secrets (AWS::SecretsManager::Secret), created through the real client before the handlers'
    // environment is built: `{ Ref: Secret }` is the secret's ARN, as in CloudFormation.
    const secretArns: Record<string, string> = {};
    const secretsClient = new SecretsManagerClient({ region, endpoint: gateway.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      for (const s of secretsFromResources(config.resources)) {
        secretArns[s.logicalId] = (await secretsClient.send(new CreateSecretCommand(s.input))).ARN as string;
      }
    } finally {
      secretsClient.destroy();
    }

    // the HTTP API first: its URL is part of the handlers' environment (links in approval messages)
    const api: LocalApi = await startApi({
      routes: httpRoutes(config),
      lambda,
      clock,
      accountId,
      extraRoutes: [
        {
          method: 'GET',
          path: '/_outbox',
          handle: (_req, res) => {
            const text = JSON.stringify({ messages: sns.outbox() });
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(text);
          },
        },
        {
          method: 'GET',
          path: '/_local',
          handle: (_req, res) => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify(info));
          },
        },
      ],
    });
    closers.push(() => api.close());
    // the HTTP API tracks its own requests: not while their Lambda runs
    serve(api.endpoint, api.server, false);

    // The environment handlers get: what AWS gives a Lambda, the provider's variables, and the endpoints;
    // set before anything can invoke a handler (schedules, machines).
    const awsEndpoints = { mgn: emulator.endpoint, sfn: gateway.endpoint, eventbridge: gateway.endpoint, scheduler: gateway.endpoint, sns: gateway.endpoint, dynamodb: dynamo.endpoint, servicequotas: gateway.endpoint, secretsmanager: gateway.endpoint, cloudformation: gateway.endpoint, sts: gateway.endpoint, iam: gateway.endpoint, cloudwatch: gateway.endpoint, api: api.endpoint, ec2: gateway.endpoint };
    const topicArns = Object.fromEntries(topicLogicalIds(config).map(([id, name]) => [id, sns.topicArn(name)]));
    const machineArns = Object.fromEntries(Object.values(config.stateMachines).filter((m) => m.logicalId).map((m) => [m.logicalId as string, `arn:aws:states:${region}:${accountId}:stateMachine:${m.name}`]));
    const env = handlerEnvironment(config, awsEndpoints, { region, tables: tableNames(config), topics: topicArns, secrets: secretArns, stateMachines: machineArns });
    refs.current = localRefs(config, { region, accountId, tables: tableNames(config), topics: topicArns, secrets: secretArns, stateMachines: machineArns, lambda, apiUrl: api.endpoint });
    const resolveRefs = refs.current;
    // each function's role, generated as for the template, checked on every AWS call its handler makes
    const iam = new LocalIam({ config, refs: resolveRefs, region, accountId, resourceTags: (arn) => ec2.tagsOf(arn), ...(opts.rolePolicies ? { rolePolicies: opts.rolePolicies } : {}) });
    accountRef.current = createAccount({ accountId, region, iam, mgnInitialized: () => emulator.engine.initialized });
    if (opts.iam !== false && inProcess) {
      const undoGuard = setRequestGuard(iam.guard);
      closers.unshift(async () => undoGuard());
    }
    env.POWERTOOLS_METRICS_DISABLED = opts.metrics ? 'false' : 'true';
    // the functions' log lines (Powertools, on stdout/stderr of this process): warnings and errors unless asked
    // for more; a routine failure the state machine retries is logged at info and stays out of the terminal
    env.POWERTOOLS_LOG_LEVEL = process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN';
    const previous = new Map<string, string | undefined>();
    for (const [k, v] of Object.entries(env)) {
      previous.set(k, process.env[k]);
      process.env[k] = v;
    }
    closers.unshift(async () => {
      for (const [k, v] of previous) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    });

    // Scheduled functions (`events: - schedule: rate(...)`) become Scheduler schedules, as on AWS.
    const schedulerClient = new SchedulerClient({ region, endpoint: gateway.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    for (const f of Object.values(config.functions)) {
      let n = 0;
      for (const e of f.events) {
        const spec = e.schedule as string | { rate?: string | string[]; enabled?: boolean } | undefined;
        if (spec === undefined) continue;
        const rates = typeof spec === 'string' ? [spec] : Array.isArray(spec.rate) ? spec.rate : spec.rate ? [spec.rate] : [];
        if (typeof spec === 'object' && spec.enabled === false) continue;
        // `method: scheduler` with the stack's group and role, as osls compiles it
        const group = typeof spec === 'object' ? resolveLocal((spec as Record<string, unknown>).groupName, resolveRefs) : undefined;
        const role = typeof spec === 'object' ? resolveLocal((spec as Record<string, unknown>).roleArn, resolveRefs) : undefined;
        for (const expression of rates) {
          await schedulerClient.send(
            new CreateScheduleCommand({
              Name: `${f.key}-schedule-${++n}`,
              ...(group ? { GroupName: group } : {}),
              ScheduleExpression: expression,
              FlexibleTimeWindow: { Mode: 'OFF' },
              Target: { Arn: lambda.functionArn(f.key), RoleArn: role ?? `arn:aws:iam::${accountId}:role/local-scheduler`, Input: '{}' },
            }),
          );
        }
      }
    }
    schedulerClient.destroy();

    const ddb = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    await createTables(ddb, tablesFromResources(config.resources));
    ddb.destroy();
    if (clockMode === 'discrete') {
      await lambda.preload();
      await warmSdkConfig();
    }

    const stateMachines: Record<string, string> = {};
    for (const [id, m] of Object.entries(config.stateMachines)) {
      stateMachines[id] = host.createStateMachine({ name: m.name, definition: m.definition }).stateMachineArn;
    }


    // The dashboard reads the stand-ins through the SDK, as it reads AWS; the outbox panel shows the SNS outbox.
    const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
    const dashboardClients = { sfn: new SFNClient({ region, endpoint: gateway.endpoint, credentials }), mgn: new MgnClient({ region, endpoint: emulator.endpoint, credentials }) };
    // the approvals inbox reads the open gates from the state table
    const inboxDdb = new DynamoDBClient({ region, endpoint: dynamo.endpoint, credentials });
    const inboxDoc = createDocumentClient(inboxDdb);
    const dashboard = await startDashboard({
      port: opts.dashboardPort ?? 0,
      clients: dashboardClients,
      stateMachineArns: Object.values(stateMachines),
      outbox: async () => sns.outbox(),
      inbox: gateInbox({ gates: createGateStore(inboxDoc, String(env.STATE_TABLE)), waits: createWaitStore(inboxDoc, String(env.STATE_TABLE)) }),
      plans: wavePlans({
        waves: createWaveStore(inboxDoc, String(env.STATE_TABLE)),
        waits: createWaitStore(inboxDoc, String(env.STATE_TABLE)),
        gates: createGateStore(inboxDoc, String(env.STATE_TABLE)),
        points: createRendezvousStore(inboxDoc, String(env.STATE_TABLE)),
      }),
      title: `local (${config.stage}, ${region})`,
      clock,
    });
    closers.push(async () => {
      await dashboard.close();
      dashboardClients.sfn.destroy();
      dashboardClients.mgn.destroy();
      inboxDdb.destroy();
    });

    const endpoints: LocalEndpoints = {
      mgn: emulator.endpoint,
      sfn: gateway.endpoint,
      eventbridge: gateway.endpoint,
      scheduler: gateway.endpoint,
      sns: gateway.endpoint,
      dynamodb: dynamo.endpoint,
      servicequotas: gateway.endpoint,
      secretsmanager: gateway.endpoint,
      cloudformation: gateway.endpoint,
      sts: gateway.endpoint,
      iam: gateway.endpoint,
      cloudwatch: gateway.endpoint,
      api: api.endpoint,
      ec2: gateway.endpoint,
    };
    const info: LocalCloudInfo = {
      endpoints,
      dashboard: `${dashboard.url}/`,
      region,
      accountId,
      stage: config.stage,
      timeScale: clockMode === 'scaled' ? (opts.timeScale ?? 1) : clockMode,
      stateMachines,
      config: Object.fromEntries(Object.keys(config.provider.environment ?? {}).filter((k) => env[k] !== undefined).map((k) => [k, env[k] as string])),
      startedAt: new Date().toISOString(),
      pid: process.pid,
    };

    const localJson = join(root, LOCAL_JSON);
    if (opts.writeLocalJson !== false) {
      mkdirSync(dirname(localJson), { recursive: true });
      writeFileSync(localJson, `${JSON.stringify(info, null, 2)}\n`);
      // removed on close only while it is still ours
      closers.unshift(async () => {
        const now = existsSync(localJson) ? (JSON.parse(readFileSync(localJson, 'utf8')) as { pid?: number }) : undefined;
        if (now?.pid === process.pid) rmSync(localJson, { force: true });
      });
    }

    // closed first: no handler starts any more and running executions stop, before the services they use close
    closers.push(async () => {
      lambda.shutdown();
      for (const arn of Object.values(stateMachines)) {
        for (const e of host.listExecutions(arn, 'RUNNING')) {
          try {
            host.stopExecution(e.executionArn, 'LocalCloudClosed', 'the local cloud closed');
          } catch {
            // already ended
          }
        }
      }
      await new Promise((r) => realTimers.setTimeout(r, 20));
    });

    let clockStarted = false;
    const startClock = () => {
      if (clockMode !== 'discrete' || clockStarted) return;
      clockStarted = true;
      // from here on every timer of the process is on simulated time, and the clock moves by itself
      const restoreTimers = installVirtualTimers(clock);
      const restoreRandom = installSeededRandom(createRng(opts.seed ?? 1, 'process-random').next);
      closers.unshift(async () => {
        restoreRandom();
        restoreTimers();
      });
      clock.start();
    };
    if (!opts.holdClock) startClock();

    return {
      info,
      endpoints,
      config,
      clock,
      emulator,
      host,
      bus,
      scheduler,
      sns,
      secrets,
      cloudformation,
      iam,
      /** STS and IAM stand-ins (tests: make credentials fail). */
      account: accountRef.current,
      /** The stack's outputs by key, as DescribeStacks answers them. */
      stackOutputs: (): Record<string, string> => Object.fromEntries(outputs().map((o) => [o.OutputKey, o.OutputValue])),
      ec2,
      lambda,
      env,
      /** Discrete mode with `holdClock`: let simulated time move from now on. */
      startClock,
      /** fetch for the cloud's own endpoints, in process and on the clock (approvers in tests and rehearsals). */
      fetch: inProcessFetch(),
      stateMachineArn: (id: string) => {
        const arn = stateMachines[id];
        if (!arn) throw new Error(`no state machine ${id} in serverless.yml (have: ${Object.keys(stateMachines).join(', ') || 'none'})`);
        return arn;
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}

function topicLogicalIds(config: ServerlessConfig): [string, string][] {
  return Object.entries(config.resources)
    .filter(([, r]) => r.Type === 'AWS::SNS::Topic')
    .map(([id, r]) => [id, String(r.Properties?.TopicName ?? id)]);
}

function scheduleGroups(config: ServerlessConfig): string[] {
  return Object.entries(config.resources)
    .filter(([, r]) => r.Type === 'AWS::Scheduler::ScheduleGroup')
    .map(([id, r]) => String(r.Properties?.Name ?? id));
}

/** serverless.yml's `resources.Outputs`: the stack's outputs (key -> value and description). */
function declaredOutputs(config: ServerlessConfig): Record<string, { Value: unknown; Description?: string }> {
  const outputs = ((config.raw.resources ?? {}) as Record<string, unknown>).Outputs;
  return (outputs ?? {}) as Record<string, { Value: unknown; Description?: string }>;
}

/**
 * What Ref and Fn::GetAtt of the stack's logical ids are locally: tables by name, topics, secrets and state
 * machines by ARN, schedule groups by name, functions (Ref: name, Arn), roles and queues by the ARN
 * CloudFormation would give them.
 */
function localRefs(
  config: ServerlessConfig,
  o: { region: string; accountId: string; tables: Record<string, string>; topics: Record<string, string>; secrets: Record<string, string>; stateMachines: Record<string, string>; lambda: LocalLambda; apiUrl: string },
): LocalRefs {
  const stack = `${config.service}-${config.stage}`;
  const resource = (id: string) => config.resources[id];
  return {
    apiUrl: o.apiUrl,
    ref: (id) => {
      const known = o.tables[id] ?? o.topics[id] ?? o.secrets[id] ?? o.stateMachines[id];
      if (known !== undefined) return known;
      const r = resource(id);
      if (r?.Type === 'AWS::Scheduler::ScheduleGroup') return String(r.Properties?.Name ?? id);
      if (r?.Type === 'AWS::SQS::Queue') return `http://sqs.${o.region}.localhost/${o.accountId}/${String(r.Properties?.QueueName ?? id)}`;
      const fn = o.lambda.resolve({ Ref: id });
      return fn ? o.lambda.functionName(fn) : undefined;
    },
    getAtt: (id, attribute) => {
      const r = resource(id);
      if (attribute === 'Arn') {
        if (o.stateMachines[id]) return o.stateMachines[id];
        if (r?.Type === 'AWS::DynamoDB::Table') return `arn:aws:dynamodb:${o.region}:${o.accountId}:table/${o.tables[id] ?? id}`;
        if (r?.Type === 'AWS::IAM::Role') return `arn:aws:iam::${o.accountId}:role/${String(r.Properties?.RoleName ?? `${stack}-${id}`)}`;
        if (r?.Type === 'AWS::SQS::Queue') return `arn:aws:sqs:${o.region}:${o.accountId}:${String(r.Properties?.QueueName ?? id)}`;
        // the functions' roles, which deploy/serverless-plugin.js adds to the template (<Function>LambdaRole)
        if (!r && /LambdaRole$/.test(id)) return `arn:aws:iam::${o.accountId}:role/${stack}-${id}`;
        if (r?.Type === 'AWS::KMS::Key') return `arn:aws:kms:${o.region}:${o.accountId}:key/${stack}-${id}`;
        const fn = o.lambda.resolve({ 'Fn::GetAtt': [id, 'Arn'] });
        if (fn) return o.lambda.functionArn(fn);
      }
      if (attribute === 'QueueName' && r?.Type === 'AWS::SQS::Queue') return String(r.Properties?.QueueName ?? id);
      return undefined;
    },
  };
}

function topicNames(config: ServerlessConfig): string[] {
  return topicLogicalIds(config).map(([, name]) => name);
}

function tableNames(config: ServerlessConfig): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.resources)
      .filter(([, r]) => r.Type === 'AWS::DynamoDB::Table')
      .map(([id, r]) => [id, String(r.Properties?.TableName ?? id)]),
  );
}

function httpRoutes(config: ServerlessConfig): ApiRoute[] {
  const routes: ApiRoute[] = [];
  for (const f of Object.values(config.functions)) {
    for (const e of f.events) {
      const h = e.httpApi as Record<string, unknown> | string | undefined;
      if (!h) continue;
      if (typeof h === 'string') {
        const [method, path] = h === '*' ? ['ANY', '$default'] : h.split(' ');
        routes.push({ method: String(method), path: String(path), functionKey: f.key });
      } else {
        routes.push({ method: String(h.method ?? 'ANY').toUpperCase(), path: String(h.path), functionKey: f.key });
      }
    }
  }
  return routes;
}

/**
 * What a handler's process.env holds on AWS, locally: region, function-independent provider variables
 * (CloudFormation `Ref`s to tables, topics and secrets resolved to their local names and ARNs), credentials for the
 * stand-ins, and one `AWS_ENDPOINT_URL_<SERVICE>` per stand-in.
 */

export function handlerEnvironment(
  config: ServerlessConfig,
  endpoints: LocalEndpoints,
  refs: { region: string; tables: Record<string, string>; topics: Record<string, string>; secrets?: Record<string, string>; /** logical id -> ARN (CloudFormation's Ref of a state machine) */ stateMachines?: Record<string, string> },
): Record<string, string> {
  const env: Record<string, string> = {
    AWS_REGION: refs.region,
    AWS_DEFAULT_REGION: refs.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_MGN: endpoints.mgn,
    AWS_ENDPOINT_URL_SFN: endpoints.sfn,
    AWS_ENDPOINT_URL_EVENTBRIDGE: endpoints.eventbridge,
    AWS_ENDPOINT_URL_SCHEDULER: endpoints.scheduler,
    AWS_ENDPOINT_URL_SNS: endpoints.sns,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_SERVICE_QUOTAS: endpoints.servicequotas,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: endpoints.secretsmanager,
    ...(endpoints.ec2 ? { AWS_ENDPOINT_URL_EC2: endpoints.ec2 } : {}),
  };
  const resolveRef = (name: string, v: unknown): string => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return String(v);
    const ref = (v as { Ref?: unknown } | null)?.Ref;
    if (typeof ref === 'string') {
      const value = refs.tables[ref] ?? refs.topics[ref] ?? refs.secrets?.[ref] ?? refs.stateMachines?.[ref];
      if (value !== undefined) return value;
    }
    // the HTTP API's URL, as serverless.yml writes it for AWS (https://<HttpApi>.execute-api.<region>.<suffix>)
    if (isHttpApiUrl(v)) return endpoints.api;
    throw new Error(`serverless.yml: environment ${name}: ${JSON.stringify(v)} cannot be resolved locally (Ref to a table or topic, the HTTP API's URL, or a plain value)`);
  };
  const provider = (config.provider.environment ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(provider)) env[k] = resolveRef(k, v);
  const setBy = new Map<string, string>();
  for (const f of Object.values(config.functions)) {
    for (const [k, v] of Object.entries(f.environment)) {
      const value = resolveRef(k, v);
      if (env[k] !== undefined && env[k] !== value) {
        const other = setBy.get(k) ?? 'provider';
        throw new Error(`serverless.yml: functions.${f.key}.environment.${k} differs from ${other}'s value; the local cloud runs all handlers in one process, so give the variable another name`);
      }
      env[k] = value;
      setBy.set(k, `functions.${f.key}`);
    }
  }
  return env;
}
