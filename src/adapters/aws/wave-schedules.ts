import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import { WaveAlreadyScheduledError } from '../../core/errors.ts';
import type { WaveSchedules } from '../../ports.ts';

/** Schedules mgn-flow creates are named after their wave, under this prefix. */
export const SCHEDULE_PREFIX = 'mgn-flow-wave-';

/** The retry policy of the stack's rule and schedule targets (serverless.yml custom.mgnFlow; a test keeps them equal). */
export const SCHEDULE_RETRY_POLICY = { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 } as const;

/** `<wave>-at-<yyyymmdd>t<hhmmss>` (UTC): the execution a schedule starts, so a fired schedule is known by its execution. */
export function scheduledExecutionName(wave: string, when: Date): string {
  return `${wave}-at-${when.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', 't')}`;
}

/** Where the stack's schedules go: its group, its scheduler role, its dead-letter queue, the wave state machine. */
export interface WaveScheduleTarget {
  group: string;
  roleArn: string;
  deadLetterArn: string;
  machineArn: string;
}

/**
 * The one-time schedule that starts a wave (EventBridge Scheduler, universal target
 * `aws-sdk:sfn:startExecution`), in the stack's group, run as the stack's scheduler role, retried as the
 * stack's other schedules are and dead-lettered to its queue, deleted by Scheduler once it has fired:
 * `at(...)` in UTC, the local time it was asked as in the description.
 */
export function waveScheduleInput(o: WaveScheduleTarget & { wave: string; when: Date; local: string }): { input: CreateScheduleCommandInput; executionName: string } {
  // the instant in UTC: a local time that happens twice was disambiguated before, so the schedule is exact
  const at = o.when.toISOString().slice(0, 19);
  const executionName = scheduledExecutionName(o.wave, o.when);
  return {
    executionName,
    input: {
      Name: `${SCHEDULE_PREFIX}${o.wave}`,
      GroupName: o.group,
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: `mgn-flow: start wave ${o.wave} at ${o.local}`,
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
        RoleArn: o.roleArn,
        Input: JSON.stringify({ StateMachineArn: o.machineArn, Name: executionName, Input: JSON.stringify({ wave: o.wave }) }),
        RetryPolicy: { ...SCHEDULE_RETRY_POLICY },
        DeadLetterConfig: { Arn: o.deadLetterArn },
      },
    },
  };
}

/** WaveSchedules on EventBridge Scheduler. A schedule of the same name (Scheduler's ConflictException) is WaveAlreadyScheduledError. */
export function createWaveSchedules(client: SchedulerClient, target: WaveScheduleTarget): WaveSchedules {
  return {
    async create({ wave, when, local }) {
      const { CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
      const { input, executionName } = waveScheduleInput({ ...target, wave, when, local });
      try {
        await client.send(new CreateScheduleCommand(input));
      } catch (err) {
        if ((err as Error).name === 'ConflictException') throw new WaveAlreadyScheduledError(`wave ${wave} is already scheduled: cancel it first (mgn-flow wave schedule ${wave} --cancel)`, { cause: err });
        throw err;
      }
      return { executionName, expression: String(input.ScheduleExpression) };
    },
  };
}
