import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { GetScheduleCommand, SchedulerClient } from '@aws-sdk/client-scheduler';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_RETRY_POLICY, STACK_OUTPUTS, discoverResources, stackName } from '../../src/cli/stack.ts';
import { loadConfig } from '../../src/adapters/aws/config.ts';
import { roleLogicalId, usesInSource } from '../../deploy/iam.ts';
import { readServerlessConfig } from '../../src/local/cloud/serverless-config.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { serverIds } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, asOperator, cliCloud } from './cloud-helpers.ts';
import { OPERATOR } from '../../src/local/cloud/iam/index.ts';
import { run } from './helpers.ts';

/**
 * Stack discovery: the CLI finds every resource through CloudFormation DescribeStacks of `mgn-flow-<stage>`,
 * on AWS and on the local cloud alike; environment variables override; a command needs only what it reads.
 */

const root = resolve(import.meta.dirname, '../..');
const yml = parse(readFileSync(resolve(root, 'serverless.yml'), 'utf8')) as { resources: { Outputs: Record<string, unknown> }; custom: { mgnFlow: Record<string, unknown> } };

describe('the stack outputs the CLI reads', () => {
  it('are all declared in serverless.yml resources.Outputs, with a description', () => {
    for (const o of STACK_OUTPUTS) expect(yml.resources.Outputs, o.output).toHaveProperty([o.output, 'Description']);
  });

  it('name as launchers exactly the functions whose handlers declare mgn.startTest or mgn.startCutover', () => {
    const config = readServerlessConfig(root);
    const launchers = Object.entries(config.functions)
      .filter(([, f]) => {
        const file = `${f.handler.replace(/\.[^./]+$/, '')}.ts`;
        return usesInSource(readFileSync(resolve(root, file), 'utf8'), file).some((u) => u === 'mgn.startTest' || u === 'mgn.startCutover');
      })
      .map(([key]) => roleLogicalId(key))
      .sort();
    const join = (yml.resources.Outputs.LauncherRoleArns as { Value: { 'Fn::Join': [string, { 'Fn::GetAtt': [string, string] }[]] } }).Value['Fn::Join'][1];
    expect(join.map((g) => g['Fn::GetAtt'][0]).sort()).toEqual(launchers);
  });

  it("give wave schedules the stack's own retry policy", () => {
    expect(SCHEDULE_RETRY_POLICY).toEqual({ MaximumRetryAttempts: yml.custom.mgnFlow.maximumRetryAttempts, MaximumEventAgeInSeconds: yml.custom.mgnFlow.maximumEventAgeInSeconds });
  });
});

describe('discoverResources', () => {
  const outputs = { StateTableName: 'mgn-flow-prod-state', OpsTopicArn: 'arn:aws:sns:eu-west-1:123456789012:mgn-flow-prod-ops', WaveStateMachineArn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:mgn-flow-prod-wave' };
  const describeFake = () => {
    const calls: string[] = [];
    return { calls, describe: (stack: string) => (calls.push(stack), Promise.resolve(outputs)) };
  };

  it('reads the outputs of mgn-flow-<stage> as the variables the product uses', async () => {
    const f = describeFake();
    const r = await discoverResources(stackName('prod'), ['STATE_TABLE', 'WAVE_STATE_MACHINE_ARN'], {}, f.describe);
    expect(f.calls).toEqual(['mgn-flow-prod']);
    expect(r).toEqual({ STATE_TABLE: 'mgn-flow-prod-state', OPS_TOPIC_ARN: outputs.OpsTopicArn, WAVE_STATE_MACHINE_ARN: outputs.WaveStateMachineArn });
  });

  it('lets an environment variable override an output', async () => {
    const f = describeFake();
    const r = await discoverResources('mgn-flow-prod', ['STATE_TABLE', 'OPS_TOPIC_ARN'], { STATE_TABLE: 'other-table' }, f.describe);
    expect(r.STATE_TABLE).toBe('other-table');
    expect(r.OPS_TOPIC_ARN).toBe(outputs.OpsTopicArn);
  });

  it('does not ask CloudFormation when the overrides give all a read-only command needs (no OPS_TOPIC_ARN demanded)', async () => {
    const f = describeFake();
    const r = await discoverResources('mgn-flow-prod', ['STATE_TABLE'], { STATE_TABLE: 'mgn-flow-prod-state' }, f.describe);
    expect(f.calls).toEqual([]);
    expect(r).toEqual({ STATE_TABLE: 'mgn-flow-prod-state' });
    // and the configuration the CLI builds from it needs no ops topic
    expect(loadConfig({ STATE_TABLE: 'mgn-flow-prod-state' }, { optional: ['OPS_TOPIC_ARN'] }).stateTable).toBe('mgn-flow-prod-state');
    expect(() => loadConfig({ STATE_TABLE: 'mgn-flow-prod-state' })).toThrow(/OPS_TOPIC_ARN is not set/);
  });

  it('names the missing output and the variable that would give it', async () => {
    const f = describeFake();
    await expect(discoverResources('mgn-flow-prod', ['STATE_TABLE', 'SCHEDULE_GROUP'], {}, f.describe)).rejects.toThrow(
      'stack mgn-flow-prod has no output ScheduleGroupName (the stack\'s schedule group): deploy this version of mgn-flow to it again, or set SCHEDULE_GROUP',
    );
  });
});

describe('every command on the local cloud, with no mgn-flow variable set: everything from DescribeStacks', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let hosts: string[];
  const describes = () => cloud.cloudformation.calls.describeStacks;
  const file = (name: string, text: string) => {
    writeFileSync(join(env.dir, name), text);
    return name;
  };
  const waveFile = (name: string, servers = [hosts[0], hosts[1]]) =>
    file(
      `${name}.yaml`,
      ['version: 1', `wave: { name: ${name}, timeZone: Europe/Berlin }`, 'defaults: { soakDays: 14, concurrency: 2, failurePolicy: hold, archive: true }', 'applications:', '  - name: shop', `    servers: [${servers.join(', ')}]`, ''].join('\n'),
    );

  /**
   * Runs a command as the operator (the CLI's environment is empty: run() passes env {}; each AWS call is checked
   * against the generated operator policy) and checks it asked CloudFormation and nothing was refused.
   */
  const viaStack = async (argv: string[]) => {
    const before = describes();
    const checked = cloud.iam.checkedBy.get(OPERATOR) ?? 0;
    const r = await asOperator(() => run(argv));
    expect(describes(), `${argv.join(' ')} asked DescribeStacks`).toBeGreaterThan(before);
    expect(cloud.iam.checkedBy.get(OPERATOR) ?? 0, `${argv.join(' ')}: its calls checked against the operator policy`).toBeGreaterThan(checked);
    expect(cloud.iam.denied, `${argv.join(' ')}: refused by the operator policy`).toEqual([]);
    return r;
  };

  beforeAll(async () => {
    env = await cliCloud({ servers: 3, applications: 0, timeScale: 60, start: 'agent-installed' });
    cloud = env.cloud;
    hosts = serverIds(cloud).map((id) => cloud.emulator.engine.servers.get(id)?.properties.identificationHints.hostname as string);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('answers DescribeStacks for mgn-flow-<stage> with every output the CLI reads, resolved to the local resources', () => {
    const o = cloud.stackOutputs();
    for (const d of STACK_OUTPUTS) expect(o[d.output], d.output).toBeTruthy();
    expect(o.StateTableName).toBe('mgn-flow-dev-state');
    expect(o.WaveStateMachineArn).toBe(cloud.stateMachineArn('wave'));
    expect(o.ServerLifecycleStateMachineArn).toBe(cloud.stateMachineArn('serverLifecycle'));
    expect(o.ScheduleGroupName).toBe('mgn-flow-dev');
    expect(o.EventsDeadLetterQueueArn).toMatch(/^arn:aws:sqs:us-east-1:\d{12}:mgn-flow-dev-events-dlq$/);
    expect(o.ApprovalApiUrl).toBe(cloud.endpoints.api);
  });

  it('wave start, status, watch, graph: found through the stack', async () => {
    const start = await viaStack(['--json', 'wave', 'start', waveFile('wave-d')]);
    expect(start.stderr).toBe('');
    expect(start.code).toBe(0);
    const started = JSON.parse(start.stdout) as { executionArn: string; started: boolean };
    expect(started.started).toBe(true);
    expect(started.executionArn.startsWith(cloud.stateMachineArn('wave').replace(':stateMachine:', ':execution:'))).toBe(true);

    const status = await viaStack(['wave', 'status', 'wave-d']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('wave-d: 1 application(s)');

    const watch = await viaStack(['wave', 'watch', 'wave-d']);
    expect(watch.code).toBe(0);
    expect(watch.stdout).toMatch(/^wave-d wave-d-1 RUNNING: /);

    const graph = await viaStack(['graph', started.executionArn]);
    expect(graph.code).toBe(0);
    expect(graph.stdout).toMatch(/^wave-d-1: RUNNING/);
  });

  it("wave schedule: in the stack's group, as its role, DELETE after completion, its dead-letter queue and retry policy", async () => {
    const r = await viaStack(['wave', 'schedule', waveFile('wave-e'), '--at', '2027-06-01T03:00']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const o = cloud.stackOutputs();
    const scheduler = new SchedulerClient({ region: cloud.info.region, endpoint: cloud.endpoints.scheduler, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    try {
      const s = await scheduler.send(new GetScheduleCommand({ Name: 'mgn-flow-wave-wave-e', GroupName: o.ScheduleGroupName }));
      expect(s.ActionAfterCompletion).toBe('DELETE');
      expect(s.Target?.RoleArn).toBe(o.SchedulerRoleArn);
      expect(s.Target?.DeadLetterConfig?.Arn).toBe(o.EventsDeadLetterQueueArn);
      expect(s.Target?.RetryPolicy).toEqual(SCHEDULE_RETRY_POLICY);
      expect(JSON.parse(String(s.Target?.Input)).StateMachineArn).toBe(o.WaveStateMachineArn);
    } finally {
      scheduler.destroy();
    }
    expect((await viaStack(['wave', 'schedule', '--list'])).stdout).toContain('wave-e: 2027-06-01T03:00+02:00 Europe/Berlin (2027-06-01T01:00Z) pending');
    expect((await viaStack(['wave', 'schedule', 'wave-e', '--cancel'])).code).toBe(0);
  });

  it('approvals list, approve, reject, decide and soak extend: found through the stack', async () => {
    const list = await viaStack(['approvals', 'list']);
    expect(list).toEqual({ code: 0, stdout: 'no gate waits for a decision\n', stderr: '' });
    // no gate of that id: the stack was found (3 is "not found", not a configuration error)
    for (const argv of [
      ['approvals', 'approve', 'g-none', '--as', 'Alice'],
      ['approvals', 'reject', 'g-none', '--as', 'Alice'],
      ['approvals', 'decide', 'g-none', 'retry', '--as', 'Alice'],
    ]) {
      const r = await viaStack(argv);
      expect(r.stderr).toContain("'mgn-flow approvals list' shows the open gates");
      expect(r.code).toBe(3);
    }
    const soak = await viaStack(['soak', 'extend', 'shop', '--days', '2', '--wave', 'wave-d']);
    expect(soak.stderr).not.toMatch(/STATE_TABLE|OPS_TOPIC_ARN|configuration/);
  });

  it('fails with the missing output named when the stack lacks what a command needs; the variable overrides it', async () => {
    cloud.cloudformation.hideOutput('WaveStateMachineArn');
    try {
      const r = await run(['wave', 'start', waveFile('wave-f', [hosts[2]])]);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain('stack mgn-flow-dev has no output WaveStateMachineArn (the wave state machine): deploy this version of mgn-flow to it again, or set WAVE_STATE_MACHINE_ARN');
      // a read-only command does not need it
      expect((await run(['wave', 'status', 'wave-d'])).code).toBe(0);
      const overridden = await run(['wave', 'start', 'wave-f.yaml'], { env: { WAVE_STATE_MACHINE_ARN: cloud.stateMachineArn('wave') } });
      expect(overridden.stderr).toBe('');
      expect(overridden.code).toBe(0);
    } finally {
      cloud.cloudformation.restore();
    }
  });
});
