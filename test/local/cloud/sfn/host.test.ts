import {
  DescribeExecutionCommand,
  DescribeStateMachineForExecutionCommand,
  ExecutionAlreadyExists,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  TaskTimedOut,
  InvalidToken,
  CreateStateMachineCommand,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../src/local/emulator/clock.ts';
import { startGateway } from '../../../../src/local/cloud/gateway.ts';
import type { LambdaInvoker } from '../../../../src/local/cloud/lambda-types.ts';
import { StepFunctionsHost, type StatusChangeEvent } from '../../../../src/local/cloud/sfn/host.ts';
import { stepFunctionsService } from '../../../../src/local/cloud/sfn/service.ts';

/** A small machine with a Lambda task, a callback task, a Wait, a Map and a Catch. */
const definition = {
  Comment: 'local host test',
  StartAt: 'Prepare',
  States: {
    Prepare: {
      Type: 'Task',
      Resource: { 'Fn::GetAtt': ['PrepareLambdaFunction', 'Arn'] },
      TimeoutSeconds: 30,
      Retry: [{ ErrorEquals: ['Lambda.ServiceException', 'Flaky'], IntervalSeconds: 2, MaxAttempts: 2, BackoffRate: 2 }],
      Next: 'AwaitApproval',
    },
    AwaitApproval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: { 'Fn::GetAtt': ['RequestApprovalLambdaFunction', 'Arn'] }, Payload: { 'token.$': '$$.Task.Token', 'servers.$': '$.servers' } },
      ResultPath: '$.approval',
      TimeoutSeconds: 3600,
      Catch: [
        { ErrorEquals: ['Rejected'], ResultPath: '$.error', Next: 'Rejected' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
      ],
      Next: 'Soak',
    },
    Soak: { Type: 'Wait', Seconds: 600, Next: 'Launch' },
    Launch: {
      Type: 'Map',
      ItemsPath: '$.servers',
      MaxConcurrency: 2,
      ItemProcessor: {
        StartAt: 'LaunchOne',
        States: { LaunchOne: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'launchOne', 'Payload.$': '$' }, OutputPath: '$.Payload', TimeoutSeconds: 30, End: true } },
      },
      ResultPath: '$.launched',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Rejected: { Type: 'Fail', Error: 'ApprovalRejected', Cause: 'the approver said no' },
    TimedOut: { Type: 'Fail', Error: 'ApprovalTimedOut' },
  },
};

/** A fake Lambda runtime: records invocations, hands callback tokens to the test. */
function fakeLambda() {
  const calls: { key: string; event: unknown }[] = [];
  const tokens: string[] = [];
  let prepareFailures = 0;
  const invoker: LambdaInvoker = {
    resolve: (ref) => {
      if (typeof ref === 'string') return ref.split(':').pop();
      const getAtt = (ref as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      if (getAtt) return getAtt[0].replace(/LambdaFunction$/, '').replace(/^./, (c) => c.toLowerCase());
      return undefined;
    },
    invoke: async (key, event) => {
      calls.push({ key, event });
      if (key === 'prepare') {
        if (prepareFailures-- > 0) {
          const e = new Error('try again');
          e.name = 'Flaky';
          throw e;
        }
        return { servers: ['s-1', 's-2', 's-3'] };
      }
      if (key === 'requestApproval') {
        tokens.push((event as { token: string }).token);
        return { sent: true };
      }
      if (key === 'launchOne') return { server: event, launched: true };
      throw new Error(`unknown function ${key}`);
    },
  };
  return { invoker, calls, tokens, failPrepare: (n: number) => (prepareFailures = n) };
}

describe('StepFunctionsHost behind the Step Functions API', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()?.();
  });

  async function setup() {
    const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), scale: 1, manual: true });
    const lambda = fakeLambda();
    const statusEvents: StatusChangeEvent[] = [];
    const host = new StepFunctionsHost({ clock, lambda: lambda.invoker, region: 'us-east-1', accountId: '111122223333', onStatusChange: (e) => statusEvents.push(e) });
    const gw = await startGateway([stepFunctionsService(host)]);
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: gw.endpoint, credentials: { accessKeyId: 'a', secretAccessKey: 'b' } });
    closers.push(async () => {
      sfn.destroy();
      await gw.close();
    });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'test-machine', definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::111122223333:role/x' }));
    const until = async (cond: () => boolean | Promise<boolean>) => {
      for (let i = 0; i < 400 && !(await cond()); i++) await new Promise((r) => setTimeout(r, 5));
      expect(await cond()).toBe(true);
    };
    return { clock, lambda, host, sfn, stateMachineArn: stateMachineArn as string, statusEvents, until };
  }

  it('runs Lambda, callback, Wait and Map states and resumes on SendTaskSuccess with AWS history names', async () => {
    const { clock, lambda, host, sfn, stateMachineArn, statusEvents, until } = await setup();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'wave-1-app-1', input: JSON.stringify({ wave: 'w1' }) }));
    await until(() => lambda.tokens.length === 1);
    const token = lambda.tokens[0] as string;
    expect(token).toMatch(/^AQ/);
    expect((await sfn.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('RUNNING');
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ decision: 'approve' }) }));
    // the Wait runs on simulated time: nothing moves until the clock does
    await new Promise((r) => setTimeout(r, 20));
    expect(lambda.calls.filter((c) => c.key === 'launchOne')).toHaveLength(0);
    clock.advance(600);
    const done = await host.settled(executionArn as string);
    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output as string);
    expect(output.approval).toEqual({ decision: 'approve' });
    expect(output.launched).toEqual([
      { server: 's-1', launched: true },
      { server: 's-2', launched: true },
      { server: 's-3', launched: true },
    ]);

    const history = (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
    const types = history.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    for (const t of ['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited', 'WaitStateEntered', 'WaitStateExited', 'MapStateEntered', 'MapStateStarted', 'MapIterationStarted', 'MapIterationSucceeded', 'MapStateSucceeded', 'MapStateExited', 'SucceedStateEntered']) {
      expect(types).toContain(t);
    }
    expect(types.indexOf('WaitStateEntered')).toBeLessThan(types.indexOf('MapStateEntered'));
    const waitEntered = history.find((e) => e.type === 'WaitStateEntered');
    const waitExited = history.find((e) => e.type === 'WaitStateExited');
    expect((waitExited?.timestamp?.getTime() ?? 0) - (waitEntered?.timestamp?.getTime() ?? 0)).toBe(600_000);
    const scheduled = history.find((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails?.resourceType === 'lambda');
    expect(scheduled?.taskScheduledEventDetails?.resource).toBeTruthy();
    expect(history.every((e, i) => e.id === i + 1)).toBe(true);
    expect(statusEvents.map((e) => e.status)).toEqual(['RUNNING', 'SUCCEEDED']);

    const forExec = await sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    expect(JSON.parse(forExec.definition as string)).toEqual(definition);
    // a token is single-use: the closed token now times out
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('routes SendTaskFailure to the Catch matching its error name', async () => {
    const { lambda, host, sfn, stateMachineArn, until } = await setup();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'rejected' }));
    await until(() => lambda.tokens.length === 1);
    await sfn.send(new SendTaskFailureCommand({ taskToken: lambda.tokens[0], error: 'Rejected', cause: 'no' }));
    const d = await host.settled(executionArn as string);
    expect(d).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected', cause: 'the approver said no' });
    const types = ((await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map((e) => e.type);
    expect(types).toContain('TaskFailed');
    expect(types).toContain('FailStateEntered');
    expect(types.at(-1)).toBe('ExecutionFailed');
  });

  it('times a callback out on the simulated clock and takes the States.Timeout Catch', async () => {
    const { clock, lambda, host, sfn, stateMachineArn, until } = await setup();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'timeout' }));
    await until(() => lambda.tokens.length === 1);
    clock.advance(3599);
    await new Promise((r) => setTimeout(r, 10));
    expect(host.describeExecution(executionArn as string).status).toBe('RUNNING');
    clock.advance(1);
    const d = await host.settled(executionArn as string);
    expect(d).toMatchObject({ status: 'FAILED', error: 'ApprovalTimedOut' });
    const types = ((await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map((e) => e.type);
    // AWS's sequence for a caught timeout: the task times out, the state exits (no TaskSucceeded), the Catch's
    // state is entered
    const from = types.lastIndexOf('TaskStateEntered');
    expect(types.slice(from, from + 6)).toEqual(['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskTimedOut', 'TaskStateExited', 'FailStateEntered']);
    expect(types.filter((t, i) => t === 'TaskSucceeded' && types[i - 1] === 'TaskTimedOut')).toEqual([]);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: lambda.tokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('retries a failing Lambda task as its Retry block says', async () => {
    const { lambda, host, sfn, stateMachineArn, until } = await setup();
    lambda.failPrepare(1);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'retry' }));
    await until(() => lambda.tokens.length === 1);
    expect(lambda.calls.filter((c) => c.key === 'prepare')).toHaveLength(2);
    await sfn.send(new StopExecutionCommand({ executionArn }));
    expect((await host.settled(executionArn as string)).status).toBe('ABORTED');
  });

  it('answers ExecutionAlreadyExists as AWS does, and returns the running execution for an identical start', async () => {
    const { lambda, sfn, stateMachineArn, until } = await setup();
    const first = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'dup', input: '{"a":1}' }));
    await until(() => lambda.tokens.length === 1);
    const again = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'dup', input: '{"a":1}' }));
    expect(again.executionArn).toBe(first.executionArn);
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'dup', input: '{"a":2}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await until(async () => (await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }))).status === 'ABORTED');
    await expect(sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'dup', input: '{"a":1}' }))).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('closes the pending tokens of a stopped execution and lists executions by status', async () => {
    const { lambda, sfn, stateMachineArn, until } = await setup();
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'stopped' }));
    await until(() => lambda.tokens.length === 1);
    await sfn.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by ops' }));
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: lambda.tokens[0], output: '{}' }))).rejects.toBeInstanceOf(TaskTimedOut);
    await expect(sfn.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toBeInstanceOf(InvalidToken);
    await until(async () => (await sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'ABORTED' }))).executions?.length === 1);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by ops' });
    expect(d.stopDate).toBeInstanceOf(Date);
  });
});
