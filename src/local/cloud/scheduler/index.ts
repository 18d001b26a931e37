import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { LambdaInvoker } from '../lambda-types.ts';
import { AwsError, type LocalRequest, type LocalService, header, pageOf, parseJsonBody } from '../protocol.ts';
import { type ScheduleExpression, checkTimeZone, isoSeconds, parseScheduleExpression } from './expressions.ts';

export { parseScheduleExpression, zonedTimeToUtc, wallTimeIn, checkTimeZone } from './expressions.ts';
export type { ScheduleExpression, WallTime } from './expressions.ts';

/**
 * EventBridge Scheduler stand-in (restJson1, the API `@aws-sdk/client-scheduler` speaks): schedules and
 * schedule groups, `at()` (in a time zone) and `rate()` expressions fired on the local cloud's one clock,
 * universal `aws-sdk:sfn:startExecution`, templated Step Functions and Lambda targets, the target retry
 * policy and a dead-letter list. Local differences from AWS: cron() is refused; a FLEXIBLE window fires at
 * the window's start; an at() time that does not exist in its zone (DST gap) is refused, not skipped.
 */

/** StartExecution's request as the universal target's `Input` carries it (the API's own member names). */
export interface SfnStartExecutionRequest {
  StateMachineArn: string;
  Name?: string;
  Input?: string;
  TraceHeader?: string;
}
export type StartExecution = (request: SfnStartExecutionRequest) => Promise<unknown>;

/** What the scheduler needs of the clock (the emulator's VirtualClock fits). */
export interface SchedulerClock {
  now(): number;
  at(ms: number, run: () => void): void;
}

export interface LocalSchedulerOptions {
  clock: SchedulerClock;
  /** The Step Functions host's StartExecution (may also be connected later with `connect`). */
  startExecution?: StartExecution;
  lambda?: LambdaInvoker;
  region?: string;
  accountId?: string;
  /** Groups that exist from the start besides `default` (a stack's AWS::Scheduler::ScheduleGroup). */
  groups?: string[];
  /** Backoff between target retries: base doubling per attempt up to the cap (simulated ms). */
  retry?: { baseDelayMs?: number; maxDelayMs?: number };
}

/** One attempt to invoke a schedule's target. */
export interface FireRecord {
  scheduleArn: string;
  name: string;
  groupName: string;
  targetArn: string;
  /** The occurrence's scheduled time (simulated ms). */
  scheduledTime: number;
  /** When this attempt ran (simulated ms). */
  at: number;
  attempt: number;
  executionId: string;
  /** What the target was called with (the StartExecution request or the Lambda event). */
  request: unknown;
  outcome: 'succeeded' | 'failed';
  error?: string;
}

/** An occurrence whose target kept failing (or failed with a non-retryable error). */
export interface DeadLetter {
  scheduleArn: string;
  name: string;
  groupName: string;
  targetArn: string;
  scheduledTime: number;
  at: number;
  attempts: number;
  executionId: string;
  request: unknown;
  error: string;
  /** Target.DeadLetterConfig.Arn when the schedule has one. */
  deadLetterArn?: string;
}

interface Target {
  Arn: string;
  RoleArn: string;
  Input?: string;
  RetryPolicy: { MaximumEventAgeInSeconds: number; MaximumRetryAttempts: number };
  DeadLetterConfig?: { Arn?: string };
  [other: string]: unknown;
}

interface Schedule {
  name: string;
  groupName: string;
  arn: string;
  expression: string;
  timeZone: string;
  parsed: ScheduleExpression;
  startDate?: number;
  endDate?: number;
  description?: string;
  state: 'ENABLED' | 'DISABLED';
  target: Target;
  flexibleTimeWindow: { Mode: 'OFF' | 'FLEXIBLE'; MaximumWindowInMinutes?: number };
  actionAfterCompletion: 'NONE' | 'DELETE';
  kmsKeyArn?: string;
  clientToken?: string;
  createdAt: number;
  modifiedAt: number;
  /** rate(): occurrences are anchor + k * period. */
  anchor: number;
  lastFire?: number;
  /** Bumped on every change: a clock callback armed under an older generation does nothing. */
  generation: number;
  deleted: boolean;
}

interface Group {
  name: string;
  arn: string;
  createdAt: number;
  modifiedAt: number;
}

interface Delivery {
  schedule: Schedule;
  target: Target;
  scheduledTime: number;
  attempt: number;
  executionId: string;
}

const UNIVERSAL_PREFIX = 'arn:aws:scheduler:::aws-sdk:';
const NAME = /^[0-9a-zA-Z-_.]{1,64}$/;
const MAX_FIRE_RECORDS = 20_000;

/** A late-but-recent `at()` (the clock moved on while the request travelled) fires at once; older is refused. */
const AT_PAST_TOLERANCE_MS = 60_000;
/** Lambda targets are invoked asynchronously on AWS: Lambda retries a failed handler twice, 1 and 2 minutes apart. */
const LAMBDA_ASYNC_RETRY_DELAYS_MS = [60_000, 120_000];

const validation = (message: string) => new AwsError('ValidationException', message, 400);
const notFound = (message: string) => new AwsError('ResourceNotFoundException', message, 404);

/** The service name in a SigV4 Authorization header's credential scope, if signed. */
function signingService(req: LocalRequest): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(header(req, 'authorization') ?? '')?.[1];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errorText(err: unknown): string {
  if (err instanceof Error) return err.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : err.message;
  return String(err);
}

/** AWS retries throttling and server faults; a request the target refuses (4xx) goes to the dead-letter list. */
function isRetryable(err: unknown): boolean {
  const e = err as { name?: string; $fault?: string; status?: number };
  const name = e?.name ?? '';
  if (/Throttl|TooManyRequests|ServiceUnavailable|InternalServer|InternalError|Timeout/i.test(name)) return true;
  if (e?.$fault === 'client') return false;
  if (err instanceof AwsError) return err.status >= 500 || err.status === 429;
  if (/AlreadyExists|DoesNotExist|NotFound|Invalid|Validation|AccessDenied/.test(name)) return false;
  return true;
}

export class LocalScheduler implements LocalService {
  readonly name = 'scheduler';
  /** Every target invocation attempt, in order. */
  /** The latest fires (at most MAX_FIRE_RECORDS), oldest first. */
  readonly fires: FireRecord[] = [];
  readonly deadLetters: DeadLetter[] = [];
  private readonly schedulesByKey = new Map<string, Schedule>();
  private readonly groups = new Map<string, Group>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly clock: SchedulerClock;
  private readonly region: string;
  private readonly accountId: string;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private startExecution: StartExecution | undefined;
  private lambda: LambdaInvoker | undefined;

  constructor(opts: LocalSchedulerOptions) {
    this.clock = opts.clock;
    this.region = opts.region ?? 'us-east-1';
    this.accountId = opts.accountId ?? '111122223333';
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 1_000;
    this.maxDelayMs = opts.retry?.maxDelayMs ?? 60_000;
    this.startExecution = opts.startExecution;
    this.lambda = opts.lambda;
    for (const g of ['default', ...(opts.groups ?? [])]) this.addGroup(g);
  }

  /** Wire the targets once they exist (the Step Functions host is built after the scheduler). */
  connect(targets: { startExecution?: StartExecution; lambda?: LambdaInvoker }): void {
    if (targets.startExecution) this.startExecution = targets.startExecution;
    if (targets.lambda) this.lambda = targets.lambda;
  }

  matches(req: LocalRequest): boolean {
    const service = signingService(req);
    if (service !== undefined && service !== 'scheduler') return false;
    const p = req.url.pathname;
    return p === '/schedules' || p.startsWith('/schedules/') || p === '/schedule-groups' || p.startsWith('/schedule-groups/');
  }

  async handle(req: LocalRequest, res: ServerResponse): Promise<void> {
    try {
      const out = this.route(req);
      send(res, 200, out);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalServerException', (err as Error).message, 500);
      send(res, e.status, { Message: e.message }, e.type);
    }
  }

  /** Resolves once every target invocation started so far (and the retries they armed) has settled. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  /** Schedules as GetSchedule shows them, plus the next fire time (tests, dashboard). */
  list(): (Record<string, unknown> & { NextFire?: number })[] {
    return [...this.schedulesByKey.values()].map((s) => ({ ...this.describe(s), NextFire: this.nextFire(s, this.clock.now()) }));
  }

  // ---- routing ----------------------------------------------------------------------------------------

  private route(req: LocalRequest): unknown {
    const segments = req.url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const q = req.url.searchParams;
    const [collection, name, extra] = segments;
    if (extra !== undefined) throw new AwsError('UnknownOperationException', `No operation at ${req.method} ${req.url.pathname}`, 404);
    if (collection === 'schedules') {
      if (name === undefined) {
        if (req.method === 'GET') return this.listSchedules(q);
      } else {
        switch (req.method) {
          case 'POST':
            return this.createSchedule(name, parseJsonBody(req));
          case 'PUT':
            return this.updateSchedule(name, parseJsonBody(req));
          case 'GET':
            return this.describe(this.get(name, q.get('groupName') ?? undefined));
          case 'DELETE':
            return this.deleteSchedule(name, q.get('groupName') ?? undefined);
        }
      }
    } else if (collection === 'schedule-groups') {
      if (name === undefined) {
        if (req.method === 'GET') return this.listGroups(q);
      } else {
        switch (req.method) {
          case 'POST':
            return this.createGroup(name);
          case 'GET':
            return this.describeGroup(this.group(name));
          case 'DELETE':
            return this.deleteGroup(name);
        }
      }
    }
    throw new AwsError('UnknownOperationException', `No operation at ${req.method} ${req.url.pathname}`, 404);
  }

  // ---- schedule groups --------------------------------------------------------------------------------

  private addGroup(name: string): Group {
    const now = this.clock.now();
    const g = { name, arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule-group/${name}`, createdAt: now, modifiedAt: now };
    this.groups.set(name, g);
    return g;
  }

  private group(name: string): Group {
    const g = this.groups.get(name);
    if (!g) throw notFound(`Schedule group ${name} does not exist.`);
    return g;
  }

  private createGroup(name: string): unknown {
    if (!NAME.test(name)) throw validation(`Invalid schedule group name ${name}: 1 to 64 letters, digits, '-', '_' or '.'.`);
    if (this.groups.has(name)) throw new AwsError('ConflictException', `Schedule group ${name} already exists.`, 409);
    return { ScheduleGroupArn: this.addGroup(name).arn };
  }

  private describeGroup(g: Group): Record<string, unknown> {
    return { Arn: g.arn, Name: g.name, State: 'ACTIVE', CreationDate: g.createdAt / 1000, LastModificationDate: g.modifiedAt / 1000 };
  }

  private deleteGroup(name: string): unknown {
    if (name === 'default') throw validation('The default schedule group cannot be deleted.');
    this.group(name);
    for (const s of this.schedulesByKey.values()) if (s.groupName === name) this.remove(s);
    this.groups.delete(name);
    return {};
  }

  private listGroups(q: URLSearchParams): unknown {
    const prefix = q.get('NamePrefix') ?? '';
    const all = [...this.groups.values()].filter((g) => g.name.startsWith(prefix)).sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = this.page(all, q);
    return { ScheduleGroups: page.map((g) => this.describeGroup(g)), ...(nextToken ? { NextToken: nextToken } : {}) };
  }

  // ---- schedules --------------------------------------------------------------------------------------

  private get(name: string, groupName = 'default'): Schedule {
    const s = this.schedulesByKey.get(`${groupName}/${name}`);
    if (!s) throw notFound(`Schedule ${name} does not exist.`);
    return s;
  }

  private createSchedule(name: string, input: Record<string, unknown>): unknown {
    if (!NAME.test(name)) throw validation(`Invalid schedule name ${name}: 1 to 64 letters, digits, '-', '_' or '.'.`);
    const groupName = this.optString(input, 'GroupName') ?? 'default';
    this.group(groupName);
    const existing = this.schedulesByKey.get(`${groupName}/${name}`);
    const clientToken = this.optString(input, 'ClientToken');
    if (existing) {
      // an SDK retry of the same call carries the same ClientToken: answer as the first time
      if (clientToken && existing.clientToken === clientToken) return { ScheduleArn: existing.arn };
      throw new AwsError('ConflictException', `Schedule ${name} already exists.`, 409);
    }
    const now = this.clock.now();
    const s: Schedule = {
      ...this.validate(input, now, true),
      name,
      groupName,
      arn: `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${groupName}/${name}`,
      createdAt: now,
      modifiedAt: now,
      generation: 0,
      deleted: false,
      ...(clientToken ? { clientToken } : {}),
    };
    this.schedulesByKey.set(`${groupName}/${name}`, s);
    this.arm(s);
    return { ScheduleArn: s.arn };
  }

  private updateSchedule(name: string, input: Record<string, unknown>): unknown {
    const groupName = this.optString(input, 'GroupName') ?? 'default';
    const s = this.get(name, groupName);
    const now = this.clock.now();
    const changedWhen = input.ScheduleExpression !== s.expression || (input.ScheduleExpressionTimezone ?? 'UTC') !== s.timeZone;
    const next = this.validate(input, now, changedWhen);
    // UpdateSchedule replaces every field: what is not given goes back to its default
    Object.assign(s, next, { modifiedAt: now });
    if (next.description === undefined) delete s.description;
    if (next.startDate === undefined) delete s.startDate;
    if (next.endDate === undefined) delete s.endDate;
    if (next.kmsKeyArn === undefined) delete s.kmsKeyArn;
    if (changedWhen) delete s.lastFire;
    this.arm(s);
    return { ScheduleArn: s.arn };
  }

  private deleteSchedule(name: string, groupName?: string): unknown {
    this.remove(this.get(name, groupName));
    return {};
  }

  private remove(s: Schedule): void {
    s.deleted = true;
    s.generation++;
    this.schedulesByKey.delete(`${s.groupName}/${s.name}`);
  }

  private listSchedules(q: URLSearchParams): unknown {
    const group = q.get('ScheduleGroup');
    const prefix = q.get('NamePrefix') ?? '';
    const state = q.get('State');
    if (state !== null && state !== 'ENABLED' && state !== 'DISABLED') throw validation(`Invalid State ${state}: ENABLED or DISABLED.`);
    if (group !== null) this.group(group);
    const all = [...this.schedulesByKey.values()]
      .filter((s) => (group === null || s.groupName === group) && s.name.startsWith(prefix) && (state === null || s.state === state))
      .sort((a, b) => a.groupName.localeCompare(b.groupName) || a.name.localeCompare(b.name));
    const { page, nextToken } = this.page(all, q);
    return {
      Schedules: page.map((s) => ({
        Arn: s.arn,
        Name: s.name,
        GroupName: s.groupName,
        State: s.state,
        CreationDate: s.createdAt / 1000,
        LastModificationDate: s.modifiedAt / 1000,
        Target: { Arn: s.target.Arn },
      })),
      ...(nextToken ? { NextToken: nextToken } : {}),
    };
  }

  private page<T>(items: T[], q: URLSearchParams): { page: T[]; nextToken?: string } {
    const max = q.get('MaxResults');
    const maxResults = max === null ? undefined : Number(max);
    if (maxResults !== undefined && !(Number.isInteger(maxResults) && maxResults >= 1 && maxResults <= 100)) {
      throw validation('MaxResults must be between 1 and 100.');
    }
    try {
      return pageOf(items, maxResults, q.get('NextToken') ?? undefined, 100);
    } catch {
      throw validation('Invalid NextToken.');
    }
  }

  private describe(s: Schedule): Record<string, unknown> {
    return {
      Arn: s.arn,
      GroupName: s.groupName,
      Name: s.name,
      ScheduleExpression: s.expression,
      ScheduleExpressionTimezone: s.timeZone,
      ...(s.startDate !== undefined ? { StartDate: s.startDate / 1000 } : {}),
      ...(s.endDate !== undefined ? { EndDate: s.endDate / 1000 } : {}),
      ...(s.description !== undefined ? { Description: s.description } : {}),
      State: s.state,
      CreationDate: s.createdAt / 1000,
      LastModificationDate: s.modifiedAt / 1000,
      ...(s.kmsKeyArn !== undefined ? { KmsKeyArn: s.kmsKeyArn } : {}),
      Target: s.target,
      FlexibleTimeWindow: s.flexibleTimeWindow,
      ActionAfterCompletion: s.actionAfterCompletion,
    };
  }

  private optString(input: Record<string, unknown>, name: string, max = 1600): string | undefined {
    const v = input[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string' || v.length === 0 || v.length > max) throw validation(`${name} must be a string of 1 to ${max} characters.`);
    return v;
  }

  private optDate(input: Record<string, unknown>, name: string): number | undefined {
    const v = input[name];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw validation(`${name} must be a timestamp.`);
    return Math.round(v * 1000);
  }

  /** The fields CreateSchedule and UpdateSchedule share, validated as AWS does. */
  private validate(
    input: Record<string, unknown>,
    now: number,
    checkPast: boolean,
  ): Pick<
    Schedule,
    | 'expression'
    | 'timeZone'
    | 'parsed'
    | 'startDate'
    | 'endDate'
    | 'description'
    | 'state'
    | 'target'
    | 'flexibleTimeWindow'
    | 'actionAfterCompletion'
    | 'kmsKeyArn'
    | 'anchor'
  > {
    const expression = this.optString(input, 'ScheduleExpression', 256);
    if (!expression) throw validation('ScheduleExpression is required.');
    const timeZone = checkTimeZone(this.optString(input, 'ScheduleExpressionTimezone', 50) ?? 'UTC');
    const parsed = parseScheduleExpression(expression, timeZone);
    if (checkPast && parsed.kind === 'at' && parsed.at < now - AT_PAST_TOLERANCE_MS) {
      throw validation(`Invalid Schedule Expression ${expression}: the time is in the past (now ${isoSeconds(now)}).`);
    }
    const startDate = this.optDate(input, 'StartDate');
    const endDate = this.optDate(input, 'EndDate');
    if (startDate !== undefined && endDate !== undefined && endDate <= startDate) throw validation('EndDate must be after StartDate.');
    const description = this.optString(input, 'Description', 512);
    const state = input.State ?? 'ENABLED';
    if (state !== 'ENABLED' && state !== 'DISABLED') throw validation('State must be ENABLED or DISABLED.');
    const action = input.ActionAfterCompletion ?? 'NONE';
    if (action !== 'NONE' && action !== 'DELETE') throw validation('ActionAfterCompletion must be NONE or DELETE.');
    const kmsKeyArn = this.optString(input, 'KmsKeyArn', 2048);

    const ftw = input.FlexibleTimeWindow;
    if (!isObject(ftw)) throw validation('FlexibleTimeWindow is required.');
    let flexibleTimeWindow: Schedule['flexibleTimeWindow'];
    if (ftw.Mode === 'OFF') {
      if (ftw.MaximumWindowInMinutes !== undefined) throw validation('MaximumWindowInMinutes must not be set when FlexibleTimeWindow Mode is OFF.');
      flexibleTimeWindow = { Mode: 'OFF' };
    } else if (ftw.Mode === 'FLEXIBLE') {
      const m = ftw.MaximumWindowInMinutes;
      if (typeof m !== 'number' || !Number.isInteger(m) || m < 1 || m > 1440) {
        throw validation('MaximumWindowInMinutes must be between 1 and 1440 when FlexibleTimeWindow Mode is FLEXIBLE.');
      }
      flexibleTimeWindow = { Mode: 'FLEXIBLE', MaximumWindowInMinutes: m };
    } else {
      throw validation('FlexibleTimeWindow Mode must be OFF or FLEXIBLE.');
    }

    const target = this.validateTarget(input.Target);
    return {
      expression,
      timeZone,
      parsed,
      startDate,
      endDate,
      description,
      state,
      target,
      flexibleTimeWindow,
      actionAfterCompletion: action,
      kmsKeyArn,
      anchor: startDate ?? now,
    };
  }

  private validateTarget(raw: unknown): Target {
    if (!isObject(raw)) throw validation('Target is required.');
    const arn = this.optString(raw, 'Arn');
    const roleArn = this.optString(raw, 'RoleArn');
    if (!arn) throw validation('Target.Arn is required.');
    if (!roleArn) throw validation('Target.RoleArn is required.');
    const input = raw.Input;
    if (input !== undefined && (typeof input !== 'string' || input.length === 0)) throw validation('Target.Input must be a non-empty string.');
    const rp = isObject(raw.RetryPolicy) ? raw.RetryPolicy : {};
    const age = rp.MaximumEventAgeInSeconds ?? 86_400;
    const attempts = rp.MaximumRetryAttempts ?? 185;
    if (typeof age !== 'number' || !Number.isInteger(age) || age < 60 || age > 86_400) {
      throw validation('RetryPolicy.MaximumEventAgeInSeconds must be between 60 and 86400.');
    }
    if (typeof attempts !== 'number' || !Number.isInteger(attempts) || attempts < 0 || attempts > 185) {
      throw validation('RetryPolicy.MaximumRetryAttempts must be between 0 and 185.');
    }
    if (arn.startsWith(UNIVERSAL_PREFIX)) {
      const action = arn.slice(UNIVERSAL_PREFIX.length);
      if (action !== 'sfn:startExecution') {
        throw validation(`Universal target ${arn} is not supported locally; the local scheduler runs aws-sdk:sfn:startExecution.`);
      }
      let request: unknown;
      try {
        request = JSON.parse(typeof input === 'string' ? input : '');
      } catch {
        throw validation(`Target.Input for ${arn} must be the JSON of StartExecution's request, e.g. {"StateMachineArn": "...", "Input": "{}"}.`);
      }
      if (!isObject(request) || typeof startExecutionRequest(request).StateMachineArn !== 'string') {
        throw validation(`Target.Input for ${arn} must name the StateMachineArn.`);
      }
    } else if (!/^arn:aws[a-z-]*:states:[^:]*:\d*:stateMachine:/.test(arn) && !/^arn:aws[a-z-]*:lambda:[^:]*:\d*:function:/.test(arn)) {
      throw validation(`Target ${arn} is not supported locally: use a Lambda function, a state machine or ${UNIVERSAL_PREFIX}sfn:startExecution.`);
    }
    return {
      ...raw,
      Arn: arn,
      RoleArn: roleArn,
      ...(typeof input === 'string' ? { Input: input } : {}),
      RetryPolicy: { MaximumEventAgeInSeconds: age, MaximumRetryAttempts: attempts },
    } as Target;
  }

  // ---- firing -----------------------------------------------------------------------------------------

  /** The next occurrence at or after `now`, or undefined when the schedule has none (disabled, done). */
  private nextFire(s: Schedule, now: number): number | undefined {
    if (s.deleted || s.state === 'DISABLED') return undefined;
    if (s.parsed.kind === 'at') {
      if (s.lastFire !== undefined || s.parsed.at < now - AT_PAST_TOLERANCE_MS) return undefined;
      return Math.max(s.parsed.at, now);
    }
    const period = s.parsed.periodMs;
    let next = s.anchor + Math.ceil(Math.max(0, now - s.anchor) / period) * period;
    if (s.lastFire !== undefined && next <= s.lastFire) next = s.lastFire + period;
    if (s.endDate !== undefined && next > s.endDate) return undefined;
    return next;
  }

  private arm(s: Schedule): void {
    const generation = ++s.generation;
    const next = this.nextFire(s, this.clock.now());
    if (next === undefined) {
      if (s.state === 'ENABLED') this.completed(s);
      return;
    }
    this.clock.at(next, () => {
      if (s.generation !== generation || s.deleted) return;
      this.fire(s, next);
    });
  }

  /** No occurrence left: `ActionAfterCompletion: DELETE` removes the schedule. */
  private completed(s: Schedule): void {
    if (s.actionAfterCompletion === 'DELETE' && !s.deleted) this.remove(s);
  }

  private fire(s: Schedule, scheduledTime: number): void {
    s.lastFire = scheduledTime;
    this.deliver({ schedule: s, target: s.target, scheduledTime, attempt: 1, executionId: randomUUID() });
    this.arm(s);
  }

  private deliver(d: Delivery): void {
    const p = this.attempt(d);
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }

  private async attempt(d: Delivery): Promise<void> {
    const now = this.clock.now();
    const input = d.target.Input?.replaceAll('<aws.scheduler.schedule-arn>', d.schedule.arn)
      .replaceAll('<aws.scheduler.scheduled-time>', isoSeconds(d.scheduledTime))
      .replaceAll('<aws.scheduler.execution-id>', d.executionId)
      .replaceAll('<aws.scheduler.attempt-number>', String(d.attempt));
    const arn = d.target.Arn;
    const isLambda = /^arn:aws[a-z-]*:lambda:/.test(arn);
    let request: unknown = input;
    const record = (outcome: FireRecord['outcome'], error?: string) => {
      // bounded: a reconciler schedule fires 288 times a simulated day, and rehearsals run for months
      if (this.fires.length >= MAX_FIRE_RECORDS) this.fires.splice(0, MAX_FIRE_RECORDS / 10);
      this.fires.push({
        scheduleArn: d.schedule.arn,
        name: d.schedule.name,
        groupName: d.schedule.groupName,
        targetArn: arn,
        scheduledTime: d.scheduledTime,
        at: now,
        attempt: d.attempt,
        executionId: d.executionId,
        request,
        outcome,
        ...(error !== undefined ? { error } : {}),
      });
    };
    try {
      if (arn.startsWith(UNIVERSAL_PREFIX)) {
        request = startExecutionRequest(JSON.parse(input ?? '{}') as Record<string, unknown>);
        await this.requireStartExecution()(request as SfnStartExecutionRequest);
      } else if (isLambda) {
        request = parseMaybeJson(input);
        const key = this.lambda?.resolve(arn);
        if (!this.lambda || key === undefined) throw new AwsError('ResourceNotFoundException', `Function not found: ${arn}`, 404);
        await this.lambda.invoke(key, request);
      } else {
        request = { StateMachineArn: arn, ...(input !== undefined ? { Input: input } : {}) } satisfies SfnStartExecutionRequest;
        await this.requireStartExecution()(request as SfnStartExecutionRequest);
      }
      record('succeeded');
    } catch (err) {
      const error = errorText(err);
      record('failed', error);
      const delay = this.retryDelay(d, err, isLambda, now);
      if (delay === undefined) {
        this.deadLetters.push({
          scheduleArn: d.schedule.arn,
          name: d.schedule.name,
          groupName: d.schedule.groupName,
          targetArn: arn,
          scheduledTime: d.scheduledTime,
          at: now,
          attempts: d.attempt,
          executionId: d.executionId,
          request,
          error,
          ...(d.target.DeadLetterConfig?.Arn ? { deadLetterArn: d.target.DeadLetterConfig.Arn } : {}),
        });
        return;
      }
      // counted from this attempt's own time, so retries land where they would whatever steps the clock takes
      this.clock.at(now + delay, () => this.deliver({ ...d, attempt: d.attempt + 1 }));
    }
  }

  /** Delay before the next attempt, or undefined when the occurrence goes to the dead-letter list. */
  private retryDelay(d: Delivery, err: unknown, isLambda: boolean, attemptedAt: number): number | undefined {
    if (err instanceof AwsError && err.type === 'ResourceNotFoundException') return undefined;
    if (isLambda) return LAMBDA_ASYNC_RETRY_DELAYS_MS[d.attempt - 1];
    if (!isRetryable(err)) return undefined;
    const { MaximumRetryAttempts, MaximumEventAgeInSeconds } = d.target.RetryPolicy;
    if (d.attempt > MaximumRetryAttempts) return undefined;
    const delay = Math.min(this.baseDelayMs * 2 ** (d.attempt - 1), this.maxDelayMs);
    if (attemptedAt + delay - d.scheduledTime > MaximumEventAgeInSeconds * 1000) return undefined;
    return delay;
  }

  private requireStartExecution(): StartExecution {
    if (!this.startExecution) {
      throw new AwsError('ResourceNotFoundException', 'No Step Functions host is connected to the local scheduler', 404);
    }
    return this.startExecution;
  }
}

/**
 * The universal target's Input as StartExecution's request. AWS SDK integrations name members in PascalCase
 * (`StateMachineArn`); the Step Functions wire names (`stateMachineArn`) are accepted too.
 */
function startExecutionRequest(raw: Record<string, unknown>): SfnStartExecutionRequest {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) out[k.charAt(0).toUpperCase() + k.slice(1)] = v;
  return out as unknown as SfnStartExecutionRequest;
}

function parseMaybeJson(input: string | undefined): unknown {
  if (input === undefined) return {};
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  res.end(text);
}

export function createScheduler(opts: LocalSchedulerOptions): LocalScheduler {
  return new LocalScheduler(opts);
}
