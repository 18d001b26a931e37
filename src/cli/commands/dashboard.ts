import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Option, type Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { NotFoundError, UsageError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import type { StackResources } from '../stack.ts';
import { type Env, styleFor } from '../output.ts';
import { positiveNumber, wholeNumber } from '../parse.ts';

interface DashboardFlags {
  port: number;
  endpointUrl?: string;
  stage?: string;
  region?: string;
  profile?: string;
  historyReads?: number;
}

/** What the dashboard reads and with which clients' settings. */
export interface DashboardTarget {
  kind: 'local' | 'aws';
  region: string;
  /** Local cloud: the Step Functions and MGN endpoints (AWS: the SDK's own). */
  sfnEndpoint?: string;
  mgnEndpoint?: string;
  profile?: string;
  /** Local cloud: the state machines from .mgn-flow/local.json; AWS: the names to find with ListStateMachines. */
  stateMachineArns?: string[];
  stateMachineNames?: string[];
  /** AWS: the stage, whose stack's outputs name the machine and the state table (found by name without it). */
  stage?: string;
  title: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('dashboard')
    .description('serve the dashboard (wave board, execution graphs, outbox) on 127.0.0.1, reading Step Functions and MGN for the browser; the first stdout line is its URL')
    .addOption(new Option('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)').argParser(wholeNumber(0, 65535)).default(0))
    .option('--endpoint-url <url>', 'one endpoint for Step Functions and MGN instead of .mgn-flow/local.json')
    .option('--stage <stage>', 'read the AWS stage instead of the local cloud')
    .option('--region <region>', 'AWS region')
    .option('--profile <profile>', 'AWS profile (its credentials stay in this process)')
    .addOption(new Option('--history-reads <n>', 'GetExecutionHistory calls per second for the board (default 4 on AWS, 100 locally)').argParser(positiveNumber))
    .action(handler(ctx, (flags: DashboardFlags) => runDashboard(ctx, flags)));
}

/** Where the dashboard reads: `--stage`/`--profile` for AWS, else `--endpoint-url`, else the running local cloud. */
export function dashboardTarget(flags: Omit<DashboardFlags, 'port'>, cwd = process.cwd(), env: Env = process.env): DashboardTarget {
  const aws = flags.stage !== undefined || flags.profile !== undefined;
  if (aws && flags.endpointUrl !== undefined) throw new UsageError('--endpoint-url and --stage/--profile: pass one; --endpoint-url reads a local cloud, --stage an AWS deployment');
  if (flags.endpointUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(flags.endpointUrl)) throw new UsageError(`--endpoint-url ${flags.endpointUrl}: a URL such as http://127.0.0.1:4566`);
  if (aws) {
    const stage = flags.stage ?? 'dev';
    if (!/^[a-z0-9-]{1,20}$/.test(stage)) throw new UsageError(`--stage ${stage}: lowercase letters, digits and - (at most 20)`);
    const region = flags.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
    if (!region) throw new UsageError('targeting AWS needs a region: pass --region or set AWS_REGION');
    return {
      kind: 'aws',
      region,
      ...(flags.profile ? { profile: flags.profile } : {}),
      stateMachineNames: [`mgn-flow-${stage}-server-lifecycle`],
      stage,
      title: `${stage} · ${region}`,
    };
  }
  const file = join(cwd, '.mgn-flow', 'local.json');
  const info = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { endpoints?: Record<string, string>; region?: string; stateMachines?: Record<string, string> })
    : undefined;
  if (!info && flags.endpointUrl === undefined) {
    throw new NotFoundError(`no local cloud is running here (${file} not found): start one with 'npx mgn-flow local', or pass --endpoint-url, or --stage to read AWS`);
  }
  const region = flags.region ?? info?.region ?? 'us-east-1';
  const arns = Object.values(info?.stateMachines ?? {});
  return {
    kind: 'local',
    region,
    sfnEndpoint: flags.endpointUrl ?? String(info?.endpoints?.sfn),
    mgnEndpoint: flags.endpointUrl ?? String(info?.endpoints?.mgn),
    ...(arns.length && flags.endpointUrl === undefined ? { stateMachineArns: arns } : { stateMachineNames: [] }),
    title: `local · ${region}`,
  };
}

async function runDashboard(ctx: CliContext, flags: DashboardFlags): Promise<number> {
  const target = dashboardTarget(flags, process.cwd(), ctx.env);
  const shutdown = ctx.waitForShutdown();
  if (target.profile) process.env.AWS_PROFILE = target.profile; // the SDK's default credential chain reads it
  const { SFNClient, paginateListStateMachines } = await import('@aws-sdk/client-sfn');
  const { MgnClient } = await import('@aws-sdk/client-mgn');
  const local = target.kind === 'local' ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {};
  const sfn = new SFNClient({ region: target.region, ...(target.sfnEndpoint ? { endpoint: target.sfnEndpoint } : {}), ...local });
  const mgn = new MgnClient({ region: target.region, ...(target.mgnEndpoint ? { endpoint: target.mgnEndpoint } : {}), ...local });
  try {
    // AWS: the stack's outputs give the lifecycle machine and the state table (the approvals inbox); a stack
    // without them (or no right to read it) falls back to the machine's name and STATE_TABLE
    let stack: StackResources = {};
    if (target.kind === 'aws' && target.stage) {
      process.env.AWS_REGION ??= target.region;
      const { discoverResources, stackName } = await import('../stack.ts');
      stack = await discoverResources(stackName(target.stage), [], ctx.env).catch(() => ({}));
    }
    let arns = target.stateMachineArns ?? (stack.STATE_MACHINE_ARN ? [stack.STATE_MACHINE_ARN] : []);
    if (!target.stateMachineArns && !stack.STATE_MACHINE_ARN) {
      // by name (AWS), or every lifecycle machine the endpoint has (--endpoint-url)
      const wanted = new Set(target.stateMachineNames ?? []);
      for await (const page of paginateListStateMachines({ client: sfn }, {})) {
        for (const m of page.stateMachines ?? []) {
          if (m.stateMachineArn && m.name && (wanted.size ? wanted.has(m.name) : m.name.endsWith('-server-lifecycle'))) arns.push(m.stateMachineArn);
        }
      }
      if (!arns.length) {
        throw new NotFoundError(`no server-lifecycle state machine found (${wanted.size ? [...wanted].join(', ') : '*-server-lifecycle'} in ${target.region}): deploy the stage first, or check --stage and --region`);
      }
    }
    arns = [...new Set(arns)];
    const { startDashboard } = await import('../../dashboard/server.ts');
    const dashboard = await startDashboard({
      port: flags.port,
      clients: { sfn, mgn },
      stateMachineArns: arns,
      title: target.title,
      ...((stack.STATE_TABLE ?? process.env.STATE_TABLE) ? { inbox: await stateTableInbox(String(stack.STATE_TABLE ?? process.env.STATE_TABLE)), plans: await stateTablePlans(String(stack.STATE_TABLE ?? process.env.STATE_TABLE)) } : {}),
      reader: { historyReadsPerSecond: flags.historyReads ?? (target.kind === 'aws' ? 4 : 100), ...(target.kind === 'aws' ? { historyBurst: 50 } : {}) },
    });
    if (ctx.json) ctx.stdout.write(`${JSON.stringify({ url: dashboard.url, target: target.kind, region: target.region, stateMachineArns: arns })}\n`);
    else {
      ctx.stdout.write(`${dashboard.url}\n`);
      if (ctx.stderr.isTTY) {
        const s = styleFor(ctx.stderr, ctx.env);
        ctx.stderr.write(
          [`${s.bold('mgn-flow dashboard')} ${s.cyan(dashboard.url)}`, `  reading ${target.kind === 'aws' ? `AWS (${target.title})` : `the local cloud (${target.region})`}`, s.dim('  Ctrl-C to stop'), ''].join('\n'),
        );
      }
    }
    await shutdown;
    await dashboard.close();
    return ExitCode.Ok;
  } finally {
    sfn.destroy();
    mgn.destroy();
  }
}

/** The approvals inbox from the stack's state table (when the target names one). */
async function stateTableInbox(table: string): Promise<() => Promise<unknown[]>> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { createDocumentClient, createGateStore, createWaitStore } = await import('../../adapters/aws/stores.ts');
  const { gateInbox } = await import('../../dashboard/inbox.ts');
  const doc = createDocumentClient(new DynamoDBClient({}));
  return gateInbox({ gates: createGateStore(doc, table), waits: createWaitStore(doc, table) });
}

/** The stored waves with each server's whereabouts, from the stack's state table. */
async function stateTablePlans(table: string): Promise<() => Promise<unknown[]>> {
  const { DynamoDBClient } = await import('@aws-sdk/client-dynamodb');
  const { createDocumentClient, createGateStore, createRendezvousStore, createWaitStore, createWaveStore } = await import('../../adapters/aws/stores.ts');
  const { wavePlans } = await import('../../dashboard/waves.ts');
  const doc = createDocumentClient(new DynamoDBClient({}));
  return wavePlans({ waves: createWaveStore(doc, table), waits: createWaitStore(doc, table), gates: createGateStore(doc, table), points: createRendezvousStore(doc, table) });
}
