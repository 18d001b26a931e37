import {
  ConflictException,
  CreateScheduleCommand,
  type CreateScheduleCommandInput,
  CreateScheduleGroupCommand,
  DeleteScheduleCommand,
  DeleteScheduleGroupCommand,
  GetScheduleCommand,
  ListScheduleGroupsCommand,
  ListSchedulesCommand,
  ResourceNotFoundException,
  SchedulerClient,
  UpdateScheduleCommand,
  ValidationException,
  paginateListSchedules,
} from '@aws-sdk/client-scheduler';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LambdaInvoker } from '../../../../src/local/cloud/lambda-types.ts';
import { LocalScheduler, type SfnStartExecutionRequest } from '../../../../src/local/cloud/scheduler/index.ts';
import { VirtualClock } from '../../../../src/local/emulator/clock.ts';
import { LOCAL_CLIENT, type LocalServer, serveLocal } from '../../../helpers/local-server.ts';

const START = Date.parse('2026-03-28T00:00:00Z');
const SFN_TARGET = 'arn:aws:scheduler:::aws-sdk:sfn:startExecution';
const MACHINE = 'arn:aws:states:us-east-1:111122223333:stateMachine:mgn-flow-dev-wave';
const ROLE = 'arn:aws:iam::111122223333:role/mgn-flow-scheduler';

function sfnSchedule(name: string, expression: string, extra: Partial<CreateScheduleCommandInput> = {}): CreateScheduleCommandInput {
  return {
    Name: name,
    ScheduleExpression: expression,
    FlexibleTimeWindow: { Mode: 'OFF' },
    Target: { Arn: SFN_TARGET, RoleArn: ROLE, Input: JSON.stringify({ StateMachineArn: MACHINE, Name: name, Input: JSON.stringify({ wave: name }) }) },
    ...extra,
  };
}

describe('LocalScheduler through @aws-sdk/client-scheduler', () => {
  let clock: VirtualClock;
  let started: SfnStartExecutionRequest[];
  let failures: Error[];
  let scheduler: LocalScheduler;
  let server: LocalServer;
  let client: SchedulerClient;

  beforeEach(async () => {
    clock = new VirtualClock({ start: START, scale: 1, manual: true });
    started = [];
    failures = [];
    scheduler = new LocalScheduler({
      clock,
      startExecution: async (request) => {
        const failure = failures.shift();
        if (failure) throw failure;
        started.push(request);
        return { executionArn: `${MACHINE}:${request.Name ?? 'x'}` };
      },
    });
    server = await serveLocal(scheduler);
    client = new SchedulerClient({ ...LOCAL_CLIENT, endpoint: server.endpoint });
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  /** Move the simulated clock and let the target calls it started settle. */
  const advance = async (seconds: number) => {
    clock.advance(seconds);
    await scheduler.drain();
  };

  describe('one-time at() schedules', () => {
    it('starts the execution at the wall time in the schedule time zone, across a DST change', async () => {
      // Paris moves to CEST (UTC+2) at 02:00 on 2026-03-29: 03:30 local is 01:30Z
      const { ScheduleArn } = await client.send(
        new CreateScheduleCommand(sfnSchedule('wave-1', 'at(2026-03-29T03:30:00)', { ScheduleExpressionTimezone: 'Europe/Paris' })),
      );
      expect(ScheduleArn).toBe('arn:aws:scheduler:us-east-1:111122223333:schedule/default/wave-1');
      await advance((Date.parse('2026-03-29T01:30:00Z') - START) / 1000 - 1);
      expect(started).toEqual([]);
      await advance(1);
      expect(started).toEqual([{ StateMachineArn: MACHINE, Name: 'wave-1', Input: '{"wave":"wave-1"}' }]);
      expect(scheduler.fires).toMatchObject([
        { name: 'wave-1', groupName: 'default', scheduledTime: Date.parse('2026-03-29T01:30:00Z'), attempt: 1, outcome: 'succeeded' },
      ]);
      await advance(86_400);
      expect(started).toHaveLength(1);
    });

    it('refuses a local time that does not exist on the DST change and an unknown time zone', async () => {
      await expect(
        client.send(new CreateScheduleCommand(sfnSchedule('gap', 'at(2026-03-29T02:30:00)', { ScheduleExpressionTimezone: 'Europe/Paris' }))),
      ).rejects.toThrow(ValidationException);
      const err = await client
        .send(new CreateScheduleCommand(sfnSchedule('zone', 'at(2026-04-01T02:30:00)', { ScheduleExpressionTimezone: 'Europe/Atlantis' })))
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ValidationException);
      expect((err as Error).message).toMatch(/Europe\/Atlantis/);
    });

    it('refuses cron() as not supported locally, and a time well in the past', async () => {
      await expect(client.send(new CreateScheduleCommand(sfnSchedule('c', 'cron(0 2 ? * SAT *)')))).rejects.toThrow(/not supported locally/);
      await expect(client.send(new CreateScheduleCommand(sfnSchedule('p', 'at(2026-03-27T00:00:00)')))).rejects.toThrow(/in the past/);
    });

    it('deletes the schedule after it fired when ActionAfterCompletion is DELETE, and keeps it when NONE', async () => {
      await client.send(new CreateScheduleCommand(sfnSchedule('gone', 'at(2026-03-28T01:00:00)', { ActionAfterCompletion: 'DELETE' })));
      await client.send(new CreateScheduleCommand(sfnSchedule('kept', 'at(2026-03-28T01:00:00)')));
      await advance(3600);
      expect(started.map((r) => r.Name)).toEqual(['gone', 'kept']);
      await expect(client.send(new GetScheduleCommand({ Name: 'gone' }))).rejects.toThrow(ResourceNotFoundException);
      const kept = await client.send(new GetScheduleCommand({ Name: 'kept' }));
      expect(kept).toMatchObject({ State: 'ENABLED', ActionAfterCompletion: 'NONE' });
    });

    it('never fires a DISABLED schedule, and fires it once enabled by UpdateSchedule', async () => {
      const input = sfnSchedule('held', 'at(2026-03-28T02:00:00)', { State: 'DISABLED' });
      await client.send(new CreateScheduleCommand(input));
      await advance(3 * 3600);
      expect(started).toEqual([]);
      await client.send(new UpdateScheduleCommand({ ...input, ScheduleExpression: 'at(2026-03-28T04:00:00)', State: 'ENABLED' }));
      await advance(3600);
      expect(started.map((r) => r.Name)).toEqual(['held']);
    });

    it('fires at the new time after UpdateSchedule moves it, not at the old one', async () => {
      const input = sfnSchedule('moved', 'at(2026-03-28T02:00:00)');
      await client.send(new CreateScheduleCommand(input));
      await client.send(new UpdateScheduleCommand({ ...input, ScheduleExpression: 'at(2026-03-28T05:00:00)' }));
      await advance(3 * 3600);
      expect(started).toEqual([]);
      await advance(2 * 3600);
      expect(scheduler.fires.map((f) => new Date(f.scheduledTime).toISOString())).toEqual(['2026-03-28T05:00:00.000Z']);
    });

    it('fires on a clock driven by the wall clock at a time scale, too', async () => {
      const scaled = new VirtualClock({ start: START, scale: 36_000, manual: false });
      scaled.start();
      const fired: SfnStartExecutionRequest[] = [];
      const live = new LocalScheduler({ clock: scaled, startExecution: async (r) => void fired.push(r) });
      const liveServer = await serveLocal(live);
      const liveClient = new SchedulerClient({ ...LOCAL_CLIENT, endpoint: liveServer.endpoint });
      try {
        await liveClient.send(new CreateScheduleCommand(sfnSchedule('soon', 'at(2026-03-28T01:00:00)')));
        await expect.poll(() => fired.length, { timeout: 2000, interval: 10 }).toBe(1);
        expect(live.fires[0]).toMatchObject({ scheduledTime: START + 3_600_000, at: START + 3_600_000 });
      } finally {
        scaled.stop();
        liveClient.destroy();
        await liveServer.close();
      }
    });

    it('does not fire a schedule deleted before its time', async () => {
      await client.send(new CreateScheduleCommand(sfnSchedule('cancelled', 'at(2026-03-28T02:00:00)')));
      await client.send(new DeleteScheduleCommand({ Name: 'cancelled' }));
      await advance(3 * 3600);
      expect(started).toEqual([]);
    });
  });

  describe('rate() schedules', () => {
    it('fires at once, then every period, until EndDate', async () => {
      await client.send(
        new CreateScheduleCommand({
          ...sfnSchedule('reconcile', 'rate(5 minutes)'),
          EndDate: new Date(START + 20 * 60_000),
          ActionAfterCompletion: 'DELETE',
        }),
      );
      await advance(3600);
      expect(scheduler.fires.map((f) => (f.scheduledTime - START) / 60_000)).toEqual([0, 5, 10, 15, 20]);
      await expect(client.send(new GetScheduleCommand({ Name: 'reconcile' }))).rejects.toThrow(ResourceNotFoundException);
    });

    it('starts at StartDate when given', async () => {
      await client.send(new CreateScheduleCommand({ ...sfnSchedule('later', 'rate(1 hour)'), StartDate: new Date(START + 90 * 60_000) }));
      await advance(4 * 3600);
      expect(scheduler.fires.map((f) => (f.scheduledTime - START) / 60_000)).toEqual([90, 150, 210]);
    });
  });

  describe('targets', () => {
    it('accepts the Step Functions wire names (stateMachineArn) in a universal target Input', async () => {
      await client.send(
        new CreateScheduleCommand({
          ...sfnSchedule('camel', 'at(2026-03-28T00:30:00)'),
          Target: { Arn: SFN_TARGET, RoleArn: ROLE, Input: JSON.stringify({ stateMachineArn: MACHINE, name: 'camel', input: '{}' }) },
        }),
      );
      await advance(1800);
      expect(started).toEqual([{ StateMachineArn: MACHINE, Name: 'camel', Input: '{}' }]);
    });

    it('starts a templated state machine target with Input as the execution input', async () => {
      await client.send(
        new CreateScheduleCommand({
          Name: 'templated',
          ScheduleExpression: 'at(2026-03-28T00:30:00)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: { Arn: MACHINE, RoleArn: ROLE, Input: '{"wave":"w1"}' },
        }),
      );
      await advance(1800);
      expect(started).toEqual([{ StateMachineArn: MACHINE, Input: '{"wave":"w1"}' }]);
    });

    it('invokes a Lambda target with its Input, context attributes filled in', async () => {
      const calls: { key: string; event: unknown }[] = [];
      const lambda: LambdaInvoker = {
        resolve: (ref) => (typeof ref === 'string' && ref.endsWith(':function:mgn-flow-dev-reconcile') ? 'reconcile' : undefined),
        invoke: async (key, event) => {
          calls.push({ key, event });
          return null;
        },
      };
      scheduler.connect({ lambda });
      await client.send(
        new CreateScheduleCommand({
          Name: 'reconcile',
          ScheduleExpression: 'rate(10 minutes)',
          FlexibleTimeWindow: { Mode: 'OFF' },
          Target: {
            Arn: 'arn:aws:lambda:us-east-1:111122223333:function:mgn-flow-dev-reconcile',
            RoleArn: ROLE,
            Input: '{"at":"<aws.scheduler.scheduled-time>","schedule":"<aws.scheduler.schedule-arn>","attempt":"<aws.scheduler.attempt-number>"}',
          },
        }),
      );
      await advance(600);
      expect(calls).toEqual([
        { key: 'reconcile', event: { at: '2026-03-28T00:00:00Z', schedule: 'arn:aws:scheduler:us-east-1:111122223333:schedule/default/reconcile', attempt: '1' } },
        { key: 'reconcile', event: { at: '2026-03-28T00:10:00Z', schedule: 'arn:aws:scheduler:us-east-1:111122223333:schedule/default/reconcile', attempt: '1' } },
      ]);
    });

    it('retries a throttled target on the clock, then succeeds', async () => {
      const throttled = () => Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      failures.push(throttled(), throttled());
      await client.send(new CreateScheduleCommand(sfnSchedule('w', 'at(2026-03-28T00:10:00)')));
      await advance(600);
      await advance(1);
      await advance(2);
      expect(scheduler.fires.map((f) => [f.attempt, f.outcome])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
        [3, 'succeeded'],
      ]);
      expect(started).toHaveLength(1);
      expect(scheduler.deadLetters).toEqual([]);
    });

    it('dead-letters at once an error the target will repeat (ExecutionAlreadyExists)', async () => {
      failures.push(Object.assign(new Error('Execution already exists'), { name: 'ExecutionAlreadyExists', $fault: 'client' }));
      await client.send(
        new CreateScheduleCommand({
          ...sfnSchedule('dup', 'at(2026-03-28T00:10:00)'),
          Target: { ...sfnSchedule('dup', '').Target!, DeadLetterConfig: { Arn: 'arn:aws:sqs:us-east-1:111122223333:dlq' } },
        }),
      );
      await advance(3600);
      expect(scheduler.deadLetters).toMatchObject([
        { name: 'dup', attempts: 1, error: 'ExecutionAlreadyExists: Execution already exists', deadLetterArn: 'arn:aws:sqs:us-east-1:111122223333:dlq' },
      ]);
    });

    it('dead-letters after MaximumRetryAttempts retries', async () => {
      for (let i = 0; i < 10; i++) failures.push(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
      await client.send(
        new CreateScheduleCommand({
          ...sfnSchedule('flaky', 'at(2026-03-28T00:10:00)'),
          Target: { ...sfnSchedule('flaky', '').Target!, RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 } },
        }),
      );
      for (let i = 0; i < 5; i++) await advance(600);
      expect(scheduler.fires.map((f) => f.outcome)).toEqual(['failed', 'failed', 'failed']);
      expect(scheduler.deadLetters).toMatchObject([{ name: 'flaky', attempts: 3 }]);
    });
  });

  describe('the API', () => {
    it('answers ConflictException for a name already used in the group, but allows it in another group', async () => {
      await client.send(new CreateScheduleCommand(sfnSchedule('w', 'at(2026-04-01T00:00:00)')));
      const err = await client.send(new CreateScheduleCommand(sfnSchedule('w', 'at(2026-04-02T00:00:00)'))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConflictException);
      expect((err as ConflictException).$metadata.httpStatusCode).toBe(409);
      await client.send(new CreateScheduleGroupCommand({ Name: 'mgn-flow-dev' }));
      await client.send(new CreateScheduleCommand({ ...sfnSchedule('w', 'at(2026-04-02T00:00:00)'), GroupName: 'mgn-flow-dev' }));
      const got = await client.send(new GetScheduleCommand({ Name: 'w', GroupName: 'mgn-flow-dev' }));
      expect(got.ScheduleExpression).toBe('at(2026-04-02T00:00:00)');
    });

    it('answers ResourceNotFoundException for a missing schedule or group', async () => {
      await expect(client.send(new GetScheduleCommand({ Name: 'nope' }))).rejects.toThrow(ResourceNotFoundException);
      await expect(client.send(new DeleteScheduleCommand({ Name: 'nope' }))).rejects.toThrow(ResourceNotFoundException);
      await expect(client.send(new UpdateScheduleCommand(sfnSchedule('nope', 'rate(1 hour)')))).rejects.toThrow(ResourceNotFoundException);
      await expect(client.send(new CreateScheduleCommand({ ...sfnSchedule('x', 'rate(1 hour)'), GroupName: 'nope' }))).rejects.toThrow(
        ResourceNotFoundException,
      );
    });

    it('returns the schedule as created, with the defaults AWS fills in', async () => {
      await client.send(
        new CreateScheduleCommand(sfnSchedule('w', 'at(2026-04-01T02:00:00)', { ScheduleExpressionTimezone: 'America/New_York', Description: 'wave 1' })),
      );
      const got = await client.send(new GetScheduleCommand({ Name: 'w' }));
      expect(got).toMatchObject({
        Arn: 'arn:aws:scheduler:us-east-1:111122223333:schedule/default/w',
        Name: 'w',
        GroupName: 'default',
        ScheduleExpression: 'at(2026-04-01T02:00:00)',
        ScheduleExpressionTimezone: 'America/New_York',
        Description: 'wave 1',
        State: 'ENABLED',
        ActionAfterCompletion: 'NONE',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: { Arn: SFN_TARGET, RoleArn: ROLE, RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 185 } },
      });
      expect(got.CreationDate).toEqual(new Date(START));
    });

    it('validates what AWS validates: FlexibleTimeWindow, RoleArn, the universal target Input', async () => {
      const bad: Partial<CreateScheduleCommandInput>[] = [
        { FlexibleTimeWindow: undefined },
        { FlexibleTimeWindow: { Mode: 'FLEXIBLE' } },
        { Target: { Arn: SFN_TARGET, RoleArn: ROLE, Input: 'not json' } },
        { Target: { Arn: SFN_TARGET, RoleArn: ROLE, Input: '{"Name":"x"}' } },
        { Target: { Arn: SFN_TARGET, RoleArn: undefined as unknown as string, Input: '{"StateMachineArn":"a"}' } },
        { Target: { Arn: 'arn:aws:scheduler:::aws-sdk:ec2:terminateInstances', RoleArn: ROLE, Input: '{}' } },
        { ScheduleExpression: 'rate(1 minutes)' },
      ];
      for (const [i, extra] of bad.entries()) {
        await expect(client.send(new CreateScheduleCommand({ ...sfnSchedule(`bad-${i}`, 'rate(1 hour)'), ...extra })), `case ${i}`).rejects.toThrow(
          ValidationException,
        );
      }
    });

    it('lists schedules by group, prefix and state, page by page', async () => {
      await client.send(new CreateScheduleGroupCommand({ Name: 'waves' }));
      for (let i = 0; i < 7; i++) {
        await client.send(new CreateScheduleCommand({ ...sfnSchedule(`wave-${i}`, 'rate(1 day)'), GroupName: 'waves', State: i === 3 ? 'DISABLED' : 'ENABLED' }));
      }
      await client.send(new CreateScheduleCommand(sfnSchedule('reconcile', 'rate(5 minutes)')));
      const names: string[] = [];
      for await (const page of paginateListSchedules({ client, pageSize: 3 }, { GroupName: 'waves', NamePrefix: 'wave-' })) {
        expect(page.Schedules!.length).toBeLessThanOrEqual(3);
        names.push(...page.Schedules!.map((s) => s.Name!));
      }
      expect(names).toEqual(['wave-0', 'wave-1', 'wave-2', 'wave-3', 'wave-4', 'wave-5', 'wave-6']);
      const disabled = await client.send(new ListSchedulesCommand({ State: 'DISABLED' }));
      expect(disabled.Schedules).toMatchObject([{ Name: 'wave-3', GroupName: 'waves', State: 'DISABLED', Target: { Arn: SFN_TARGET } }]);
      const all = await client.send(new ListSchedulesCommand({}));
      expect(all.Schedules).toHaveLength(8);
    });

    it('manages schedule groups: default always there, deleting a group deletes its schedules', async () => {
      await client.send(new CreateScheduleGroupCommand({ Name: 'waves' }));
      await expect(client.send(new CreateScheduleGroupCommand({ Name: 'waves' }))).rejects.toThrow(ConflictException);
      await client.send(new CreateScheduleCommand({ ...sfnSchedule('w', 'at(2026-03-28T01:00:00)'), GroupName: 'waves' }));
      const groups = await client.send(new ListScheduleGroupsCommand({}));
      expect(groups.ScheduleGroups?.map((g) => g.Name)).toEqual(['default', 'waves']);
      await client.send(new DeleteScheduleGroupCommand({ Name: 'waves' }));
      await expect(client.send(new GetScheduleCommand({ Name: 'w', GroupName: 'waves' }))).rejects.toThrow(ResourceNotFoundException);
      await advance(7200);
      expect(started).toEqual([]);
      await expect(client.send(new DeleteScheduleGroupCommand({ Name: 'default' }))).rejects.toThrow(ValidationException);
    });
  });
});
