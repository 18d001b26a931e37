import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient, StartExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { TASK_CAUSE_MAX, TASK_ERROR_MAX, createTaskCallbacks, truncate } from '../../../src/adapters/aws/callbacks.ts';
import { TaskClosedError } from '../../../src/core/errors.ts';
import { startGateway } from '../../../src/local/cloud/gateway.ts';
import type { LambdaInvoker } from '../../../src/local/cloud/lambda-types.ts';
import { StepFunctionsHost } from '../../../src/local/cloud/sfn/host.ts';
import { stepFunctionsService } from '../../../src/local/cloud/sfn/service.ts';
import { VirtualClock } from '../../../src/local/emulator/clock.ts';
import { CREDENTIALS, REGION } from './helpers.ts';

/** One callback task that parks (hands its token to the test), then Succeed; no Catch, so a failure ends the execution with it. */
const definition = {
  StartAt: 'WaitForLaunchResult',
  States: {
    WaitForLaunchResult: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'park', Payload: { 'token.$': '$$.Task.Token', 'serverId.$': '$.serverId' } },
      ResultPath: '$.result',
      TimeoutSeconds: 3600,
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
};

describe('createTaskCallbacks on the local Step Functions', () => {
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    while (closers.length) await closers.pop()?.();
  });

  async function setup() {
    const clock = new VirtualClock({ start: Date.UTC(2026, 0, 5, 8), scale: 1, manual: true });
    const tokens: string[] = [];
    const lambda: LambdaInvoker = {
      resolve: (ref) => (typeof ref === 'string' ? ref.split(':').pop() : undefined),
      invoke: async (_key, event) => {
        tokens.push((event as { token: string }).token);
        return {};
      },
    };
    const host = new StepFunctionsHost({ clock, lambda, region: REGION, accountId: '111122223333' });
    const gw = await startGateway([stepFunctionsService(host)]);
    const sfn = new SFNClient({ region: REGION, endpoint: gw.endpoint, credentials: CREDENTIALS, maxAttempts: 1 });
    closers.push(async () => {
      sfn.destroy();
      await gw.close();
    });
    const { stateMachineArn } = await sfn.send(new CreateStateMachineCommand({ name: 'server-lifecycle', definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::111122223333:role/x' }));
    const start = async (name: string) => {
      const before = tokens.length;
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ serverId: 's-1' }) }));
      for (let i = 0; i < 400 && tokens.length === before; i++) await new Promise((r) => setTimeout(r, 5));
      return { executionArn: executionArn as string, token: tokens[tokens.length - 1] as string };
    };
    return { host, sfn, clock, start, callbacks: createTaskCallbacks(sfn) };
  }

  it('resumes a parked execution with the JSON output', async () => {
    const { host, start, callbacks } = await setup();
    const { executionArn, token } = await start('w1-s-1-1');
    await callbacks.succeed(token, { jobId: 'mgnjob-1', status: 'LAUNCHED', via: 'event' });
    const done = await host.settled(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output as string)).toEqual({ serverId: 's-1', result: { jobId: 'mgnjob-1', status: 'LAUNCHED', via: 'event' } });
  });

  it('fails a parked execution with the error and cause cut to the API limits', async () => {
    const { sfn, host, start, callbacks } = await setup();
    const { executionArn, token } = await start('w1-s-1-2');
    await callbacks.fail(token, `LaunchFailed${'E'.repeat(400)}`, 'c'.repeat(40_000));
    await host.settled(executionArn);
    const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(d.status).toBe('FAILED');
    expect(d.error).toHaveLength(TASK_ERROR_MAX);
    expect(d.error?.startsWith('LaunchFailed')).toBe(true);
    expect(d.cause).toHaveLength(TASK_CAUSE_MAX);
  });

  it('throws TaskClosedError for a token whose task is closed (resumed, stopped or timed out) or that is no token', async () => {
    const { sfn, host, clock, start, callbacks } = await setup();
    const resumed = await start('w1-s-1-3');
    await callbacks.succeed(resumed.token, {});
    await host.settled(resumed.executionArn);
    const again = await callbacks.succeed(resumed.token, {}).catch((e: unknown) => e);
    expect(again).toBeInstanceOf(TaskClosedError);
    expect((again as Error).message).toMatch(/^TaskTimedOut: /);
    // the token is never in the error the core sees
    expect(String((again as Error).message)).not.toContain(resumed.token);

    const stopped = await start('w1-s-1-4');
    await sfn.send(new StopExecutionCommand({ executionArn: stopped.executionArn }));
    await expect(callbacks.fail(stopped.token, 'X', 'y')).rejects.toBeInstanceOf(TaskClosedError);

    const timedOut = await start('w1-s-1-5');
    clock.advance(3600);
    await host.settled(timedOut.executionArn);
    await expect(callbacks.succeed(timedOut.token, {})).rejects.toBeInstanceOf(TaskClosedError);

    const invalid = await callbacks.succeed('not-a-token', {}).catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(TaskClosedError);
    expect((invalid as Error).message).toMatch(/^InvalidToken: /);
  });
});

describe('truncate', () => {
  it('keeps short text, cuts long text to the limit with an ellipsis, and never splits a surrogate pair', () => {
    expect(truncate('abc', 3)).toBe('abc');
    expect(truncate('abcd', 3)).toBe('ab…');
    expect(truncate('😀😀😀', 2)).toBe('😀…');
    expect([...truncate('😀'.repeat(300), TASK_ERROR_MAX)]).toHaveLength(TASK_ERROR_MAX);
  });
});
