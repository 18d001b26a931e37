import type { CreateScheduleCommandInput, SchedulerClient } from '@aws-sdk/client-scheduler';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { WaveAlreadyScheduledError } from '../../core/errors.ts';
import { resolveLocalTime } from '../../core/zoned-time.ts';
import type { WaveSchedules } from '../../ports.ts';

/** Schedules mgn-flow creates are named after their wave, under this prefix. */
export const SCHEDULE_PREFIX = 'mgn-flow-wave-';

/** The retry policy of the stack's rule and schedule targets (serverless.yml custom.mgnFlow; a test keeps them equal). */
export const SCHEDULE_RETRY_POLICY = { MaximumRetryAttempts: 20, MaximumEventAgeInSeconds: 3600 } as const;

/** `<wave>-at-<yyyymmdd>t<hhmmss>` (UTC): the execution a schedule starts, so a fired schedule is known by its execution. */
export function scheduledExecutionName(wave: string, when: Date): string {
  return `${wave}-at-${when.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', 't')}`;
}

/** `2026-12-05T01:00:00Z` from the stamp of a scheduled execution's name. */
function stampInstant(stamp: string): Date {
  const m = /^(\d{4})(\d{2})(\d{2})t(\d{2})(\d{2})(\d{2})$/.exec(stamp);
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]))) : new Date(NaN);
}

/** Where the stack's schedules go: its group, its scheduler role, its dead-letter queue, the wave state machine. */
export interface WaveScheduleTarget {
  group: string;
  roleArn: string;
  deadLetterArn: string;
  machineArn: string;
}

/** Listing and cancelling need less than creating: the group, and the wave machine (with a Step Functions client) to list what fired. */
export type WaveScheduleReadTarget = Pick<WaveScheduleTarget, 'group'> & Partial<Omit<WaveScheduleTarget, 'group'>> & { sfn?: SFNClient };

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

/**
 * WaveSchedules on EventBridge Scheduler. A schedule of the same name (Scheduler's ConflictException) is
 * WaveAlreadyScheduledError; the fired ones are the wave machine's executions named `<wave>-at-<stamp>`.
 */
export function createWaveSchedules(client: SchedulerClient, target: WaveScheduleReadTarget): WaveSchedules {
  const group = target.group;
  return {
    async create({ wave, when, local }) {
      const { CreateScheduleCommand } = await import('@aws-sdk/client-scheduler');
      const { machineArn, roleArn, deadLetterArn } = target;
      if (!machineArn || !roleArn || !deadLetterArn) throw new Error('scheduling a wave needs the wave state machine, the scheduler role and the dead-letter queue of the stack');
      const { input, executionName } = waveScheduleInput({ group, machineArn, roleArn, deadLetterArn, wave, when, local });
      try {
        await client.send(new CreateScheduleCommand(input));
      } catch (err) {
        if ((err as Error).name === 'ConflictException') throw new WaveAlreadyScheduledError(`wave ${wave} is already scheduled: cancel it first (mgn-flow wave schedule ${wave} --cancel)`, { cause: err });
        throw err;
      }
      return { executionName, expression: String(input.ScheduleExpression) };
    },
    async cancel(wave) {
      const { DeleteScheduleCommand } = await import('@aws-sdk/client-scheduler');
      try {
        await client.send(new DeleteScheduleCommand({ Name: `${SCHEDULE_PREFIX}${wave}`, GroupName: group }));
        return true;
      } catch (err) {
        if ((err as Error).name === 'ResourceNotFoundException') return false;
        throw err;
      }
    },
    async pending() {
      const { ListSchedulesCommand, GetScheduleCommand } = await import('@aws-sdk/client-scheduler');
      const out: { wave: string; when: Date; execution: string; enabled: boolean }[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(new ListSchedulesCommand({ GroupName: group, NamePrefix: SCHEDULE_PREFIX, ...(token ? { NextToken: token } : {}) }));
        for (const i of page.Schedules ?? []) {
          const g = await client.send(new GetScheduleCommand({ Name: String(i.Name), GroupName: group }));
          const m = /^at\((.+)\)$/.exec(String(g.ScheduleExpression));
          const when = m ? resolveLocalTime(String(m[1]), g.ScheduleExpressionTimezone ?? 'UTC', { fold: 'earlier' }) : new Date(NaN);
          const execution = (JSON.parse(String(g.Target?.Input ?? '{}')) as { Name?: string }).Name ?? '';
          out.push({ wave: String(i.Name).slice(SCHEDULE_PREFIX.length), when, execution, enabled: g.State !== 'DISABLED' });
        }
        token = page.NextToken;
      } while (token);
      return out;
    },
    async fired() {
      const { sfn, machineArn } = target;
      if (!sfn || !machineArn) return [];
      const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
      const out: { wave: string; when: Date; execution: string; status: string }[] = [];
      let next: string | undefined;
      do {
        const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 1000, ...(next ? { nextToken: next } : {}) }));
        for (const e of page.executions ?? []) {
          const m = /^(.+)-at-(\d{8}t\d{6})$/.exec(String(e.name));
          if (m) out.push({ wave: String(m[1]), when: stampInstant(String(m[2])), execution: String(e.name), status: String(e.status) });
        }
        next = page.nextToken;
      } while (next);
      return out;
    },
  };
}
