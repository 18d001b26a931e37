import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DescribeSourceServersCommand, MgnClient } from '@aws-sdk/client-mgn';
import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { ListTopicsCommand, SNSClient } from '@aws-sdk/client-sns';
import { CreateScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalCloud, startLocalCloud } from '../../../src/local/cloud/index.ts';

const root = join(import.meta.dirname, '../../fixtures/local-project');
const creds = { accessKeyId: 'local', secretAccessKey: 'local' };

describe('the local cloud running a project', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await startLocalCloud({ root, timeScale: 2000, servers: 2, seed: 5, start: 'ready-for-test', writeLocalJson: true });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  const until = async (what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 15_000) => {
    const deadline = performance.now() + timeoutMs; // wall time: Date follows the simulated clock here
    while (!(await cond())) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  it('writes .mgn-flow/local.json with every endpoint', () => {
    const info = JSON.parse(readFileSync(join(root, '.mgn-flow/local.json'), 'utf8'));
    expect(Object.keys(info.endpoints).sort()).toEqual(['api', 'cloudformation', 'cloudwatch', 'dynamodb', 'ec2', 'eventbridge', 'iam', 'mgn', 'scheduler', 'secretsmanager', 'servicequotas', 'sfn', 'sns', 'sts']);
    for (const url of Object.values(info.endpoints)) expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.region).toBe('us-east-1');
    expect(info.dashboard).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    expect(info.stateMachines.demo).toBe('arn:aws:states:us-east-1:111122223333:stateMachine:fixture-demo');
  });

  it('serves each AWS API to its real SDK client and gives handlers the AWS environment', async () => {
    const e = cloud.endpoints;
    const mgn = new MgnClient({ region: 'us-east-1', endpoint: e.mgn, credentials: creds });
    expect((await mgn.send(new DescribeSourceServersCommand({}))).items).toHaveLength(2);
    const ddb = new DynamoDBClient({ region: 'us-east-1', endpoint: e.dynamodb, credentials: creds });
    expect((await ddb.send(new ListTablesCommand({}))).TableNames).toEqual(['fixture-waits-dev']);
    const sns = new SNSClient({ region: 'us-east-1', endpoint: e.sns, credentials: creds });
    expect((await sns.send(new ListTopicsCommand({}))).Topics?.map((t) => t.TopicArn)).toEqual(['arn:aws:sns:us-east-1:111122223333:fixture-ops-dev']);
    const sq = new ServiceQuotasClient({ region: 'us-east-1', endpoint: e.servicequotas, credentials: creds });
    expect((await sq.send(new GetServiceQuotaCommand({ ServiceCode: 'mgn', QuotaCode: 'L-FE2EBE17' }))).Quota?.Value).toBe(20);
    expect(cloud.env.WAITS_TABLE).toBe('fixture-waits-dev');
    expect(cloud.env.SERVICE_STAGE).toBe('fixture-dev');
    expect(process.env.AWS_ENDPOINT_URL_MGN).toBe(e.mgn);
    // handlers read the simulated time, as a Lambda reads real time on AWS
    expect(Math.abs(Date.now() - cloud.clock.now())).toBeLessThan(5_000);
    expect(Math.abs(new Date().getTime() - cloud.clock.now())).toBeLessThan(5_000);
    for (const c of [mgn, ddb, sns, sq]) c.destroy();
  });

  it('routes an HTTP API request to its handler with the API Gateway v2 event', async () => {
    const res = await fetch(`${cloud.endpoints.api}/ping/alice`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ hello: 'alice', method: 'GET', stage: 'fixture-dev' });
  });

  it('runs the machine end to end: MGN launch event -> bus -> handler -> SendTaskSuccess resumes the execution', async () => {
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: cloud.endpoints.sfn, credentials: creds });
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: cloud.stateMachineArn('demo'), name: 'e2e-1', input: '{}' }));
    await until('execution to finish', async () => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).status !== 'RUNNING', 20_000);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect({ status: d.status, error: d.error, cause: d.cause }).toMatchObject({ status: 'SUCCEEDED' });
    const out = JSON.parse(d.output as string);
    expect(out.serverIds).toHaveLength(2);
    expect(out.result.state).toBe('TEST_LAUNCH_SUCCEEDED');
    expect(out.servers).toEqual(out.serverIds.map((s: string) => ({ server: s, ok: true })));
    // one StartTest for the two servers, made by the handler through the real SDK
    expect(cloud.emulator.http.log.filter((r) => r.operation === 'StartTest' && r.status === 202)).toHaveLength(1);
    const types = ((await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? []).map((x) => x.type);
    expect(types).toEqual(expect.arrayContaining(['ExecutionStarted', 'TaskScheduled', 'TaskSucceeded', 'WaitStateEntered', 'MapStateEntered', 'ExecutionSucceeded']));
    // the launch-result events reached the routed handler, and the aws.states event reached its rule
    expect(cloud.lambda.invocations.some((i) => i.functionKey === 'onLaunchResult' && i.ok)).toBe(true);
    await until('aws.states delivery', () => cloud.bus.deliveries.some((x) => x.rule.startsWith('onExecutionStatus') && x.status === 'succeeded'));
    sfn.destroy();
  });

  it('fires a one-time schedule on the local clock through the universal StartExecution target', async () => {
    const scheduler = new SchedulerClient({ region: 'us-east-1', endpoint: cloud.endpoints.scheduler, credentials: creds });
    const at = new Date(cloud.clock.now() + 600_000).toISOString().slice(0, 19);
    await scheduler.send(
      new CreateScheduleCommand({
        Name: 'fixture-wave-1',
        ScheduleExpression: `at(${at})`,
        ScheduleExpressionTimezone: 'UTC',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
          RoleArn: 'arn:aws:iam::111122223333:role/scheduler',
          Input: JSON.stringify({ StateMachineArn: cloud.stateMachineArn('demo'), Name: 'scheduled-1', Input: '{}' }),
        },
      }),
    );
    await until('scheduled execution', () => cloud.host.listExecutions(cloud.stateMachineArn('demo')).some((x) => x.name === 'scheduled-1'), 10_000);
    scheduler.destroy();
  });

  it('refuses a second cloud in the same folder while the first runs, and leaves its local.json alone', async () => {
    const file = join(root, '.mgn-flow/local.json');
    const before = readFileSync(file, 'utf8');
    await expect(startLocalCloud({ root, manualClock: true, servers: 0, port: 0 })).rejects.toMatchObject({
      name: 'LocalCloudRunningError',
      exitCode: 4,
      message: expect.stringMatching(/another local cloud runs from .* \(process \d+, started .*\): its \.mgn-flow\/local\.json stays; stop it first/),
    });
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect((JSON.parse(before) as { pid: number }).pid).toBe(process.pid);
  });

  it('removes local.json when it closes, once it is its own', async () => {
    const file = join(root, '.mgn-flow/local.json');
    await cloud.close();
    expect(existsSync(file)).toBe(false);
    const other = await startLocalCloud({ root, manualClock: true, servers: 0, port: 0 });
    expect(existsSync(file)).toBe(true);
    await other.close();
    expect(existsSync(file)).toBe(false);
  });
});
