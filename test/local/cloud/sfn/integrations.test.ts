import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../src/local/emulator/clock.ts';
import type { LambdaInvoker } from '../../../../src/local/cloud/lambda-types.ts';
import { StepFunctionsHost } from '../../../../src/local/cloud/sfn/host.ts';

const lambda: LambdaInvoker = {
  resolve: (ref) => (typeof ref === 'string' ? ref : undefined),
  invoke: async (_key, event) => ({ doubled: ((event as { n: number }).n ?? 0) * 2 }),
};

function host(published: Record<string, unknown>[] = [], events: Record<string, unknown>[] = []) {
  const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), scale: 1, manual: true });
  return new StepFunctionsHost({
    clock,
    lambda,
    region: 'us-east-1',
    accountId: '111122223333',
    integrations: {
      snsPublish: async (p) => {
        published.push(p);
        return { MessageId: `m-${published.length}` };
      },
      putEvents: async (p) => {
        events.push(p);
        return { FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] };
      },
    },
  });
}

describe('StepFunctionsHost service integrations', () => {
  it('publishes to SNS and puts events with the parameters the state resolved', async () => {
    const published: Record<string, unknown>[] = [];
    const events: Record<string, unknown>[] = [];
    const h = host(published, events);
    const { stateMachineArn } = h.createStateMachine({
      name: 'notify',
      definition: {
        StartAt: 'Notify',
        States: {
          Notify: {
            Type: 'Task',
            Resource: 'arn:aws:states:::sns:publish',
            Parameters: { TopicArn: 'arn:aws:sns:us-east-1:111122223333:ops', 'Message.$': '$.text', Subject: 'hold' },
            ResultPath: '$.sns',
            Next: 'Emit',
          },
          Emit: {
            Type: 'Task',
            Resource: 'arn:aws:states:::events:putEvents',
            Parameters: { Entries: [{ Source: 'mgn-flow', DetailType: 'Hold', 'Detail.$': '$' }] },
            ResultPath: '$.events',
            End: true,
          },
        },
      },
    });
    const { executionArn } = h.startExecution({ stateMachineArn, input: JSON.stringify({ text: 'server held: outside the cutover window' }) });
    const d = await h.settled(executionArn);
    expect(d.status).toBe('SUCCEEDED');
    expect(published).toEqual([{ TopicArn: 'arn:aws:sns:us-east-1:111122223333:ops', Message: 'server held: outside the cutover window', Subject: 'hold' }]);
    expect(JSON.parse(d.output as string).sns.MessageId).toBe('m-1');
    expect(events[0]).toMatchObject({ Entries: [{ Source: 'mgn-flow', DetailType: 'Hold' }] });
  });

  it('starts a nested execution and waits for it with .sync:2, failing the parent when the child fails', async () => {
    const h = host();
    const child = h.createStateMachine({
      name: 'child',
      definition: {
        StartAt: 'Check',
        States: {
          Check: { Type: 'Choice', Choices: [{ Variable: '$.n', NumericGreaterThan: 0, Next: 'Double' }], Default: 'Bad' },
          Double: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:111122223333:function:double', End: true },
          Bad: { Type: 'Fail', Error: 'NotPositive' },
        },
      },
    }).stateMachineArn;
    const parent = h.createStateMachine({
      name: 'parent',
      definition: {
        StartAt: 'Child',
        States: {
          Child: {
            Type: 'Task',
            Resource: 'arn:aws:states:::states:startExecution.sync:2',
            Parameters: { StateMachineArn: child, 'Input.$': '$' },
            OutputPath: '$.Output',
            Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'ChildFailed' }],
            End: true,
          },
          ChildFailed: { Type: 'Pass', Result: 'child failed', End: true },
        },
      },
    }).stateMachineArn;
    const ok = await h.settled(h.startExecution({ stateMachineArn: parent, name: 'ok', input: '{"n":21}' }).executionArn);
    expect(JSON.parse(ok.output as string)).toEqual({ doubled: 42 });
    const bad = await h.settled(h.startExecution({ stateMachineArn: parent, name: 'bad', input: '{"n":0}' }).executionArn);
    expect(JSON.parse(bad.output as string)).toBe('child failed');
    expect(h.listExecutions(child).map((e) => e.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
  });

  it('times a callback out after its TimeoutSecondsPath, read from the state input, on the simulated clock', async () => {
    const clock = new VirtualClock({ start: Date.UTC(2026, 0, 1), scale: 1, manual: true });
    const tokens: string[] = [];
    const h = new StepFunctionsHost({
      clock,
      region: 'us-east-1',
      accountId: '111122223333',
      lambda: { resolve: (r) => (typeof r === 'string' ? r : undefined), invoke: async (_k, e) => void tokens.push((e as { token: string }).token) },
    });
    const { stateMachineArn } = h.createStateMachine({
      name: 'soak',
      definition: {
        StartAt: 'Soak',
        States: {
          Soak: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: 'soak', Payload: { 'token.$': '$$.Task.Token' } },
            TimeoutSecondsPath: '$.soakSeconds',
            Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.ended', Next: 'Ended' }],
            End: true,
          },
          Ended: { Type: 'Pass', Result: 'soak ended', End: true },
        },
      },
    });
    const { executionArn } = h.startExecution({ stateMachineArn, input: JSON.stringify({ soakSeconds: 14 * 86400 }) });
    for (let i = 0; i < 100 && tokens.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    clock.advance(14 * 86400 - 1);
    await new Promise((r) => setTimeout(r, 10));
    expect(h.describeExecution(executionArn).status).toBe('RUNNING');
    clock.advance(1);
    expect(JSON.parse((await h.settled(executionArn)).output as string)).toBe('soak ended');
  });

  it('refuses a definition it cannot run faithfully, naming the state', () => {
    const h = host();
    expect(() =>
      h.createStateMachine({
        name: 'jsonata',
        definition: { QueryLanguage: 'JSONata', StartAt: 'A', States: { A: { Type: 'Pass', End: true } } },
      }),
    ).toThrow(/JSONata/);
    expect(() =>
      h.createStateMachine({
        name: 'sdk',
        definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:ec2:describeInstances', End: true } } },
      }),
    ).toThrow(/state A: integration .* is not supported/);
    expect(() =>
      h.createStateMachine({
        name: 'nofn',
        definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: { 'Fn::GetAtt': ['MissingLambdaFunction', 'Arn'] }, End: true } } },
      }),
    ).toThrow(/state A: Resource .* names no function/);
  });
});
