import './polyfill.ts';
import { randomBytes, randomUUID } from 'node:crypto';
import { StateMachine } from 'aws-local-stepfunctions';
import type { VirtualClock } from '../../emulator/clock.ts';
import type { LambdaInvoker } from '../lambda-types.ts';
import { AwsError } from '../protocol.ts';
import { realTimers } from '../virtual-timers.ts';
import { DefinitionError, type PreparedDefinition, TIMEOUT_KEY, type TaskMeta, prepareDefinition, readPath } from './definition.ts';

/**
 * The Step Functions stand-in: runs the SAME ASL files with aws-local-stepfunctions, on the local cloud's
 * clock, and adds what the library lacks: task tokens (`.waitForTaskToken`), callback and heartbeat
 * timeouts, Wait states on simulated time, service integrations (Lambda, SNS, EventBridge, nested
 * executions), execution records with AWS's history event names, and `aws.states` status-change events.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  /** Wall-clock time it was recorded (performance.now()): latency figures; not part of the API. */
  wallMs: number;
  type: string;
  details?: { key: string; value: Record<string, unknown> };
}

interface MachineRecord {
  arn: string;
  name: string;
  definition: Record<string, unknown>;
  definitionText: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  createdAt: number;
  prepared: PreparedDefinition;
  runner: StateMachine;
}

interface ExecutionRecord {
  arn: string;
  name: string;
  machine: MachineRecord;
  input: string;
  status: ExecutionStatus;
  startedAt: number;
  stoppedAt?: number;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  tokens: Set<string>;
  abort?: () => void;
  done: Promise<void>;
  finish: () => void;
  parentArn?: string;
  /** Resolves when the library's event log has been fully turned into history. */
  consumed?: Promise<void>;
}

interface OpenToken {
  executionArn: string;
  stateName: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  heartbeat: () => void;
}

export interface StatusChangeEvent {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate: number | null;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
}

export interface HostOptions {
  clock: VirtualClock;
  lambda: LambdaInvoker;
  region: string;
  accountId: string;
  /** Service integrations the machines use besides Lambda. */
  integrations?: {
    snsPublish?: (params: Record<string, unknown>) => Promise<{ MessageId: string }>;
    putEvents?: (params: Record<string, unknown>) => Promise<unknown>;
  };
  /** `aws.states` "Step Functions Execution Status Change" events. */
  onStatusChange?: (event: StatusChangeEvent) => void;
}

const PLACEHOLDER = '__mgn_flow_local_task_token__';
const NAME = /^[A-Za-z0-9_-]{1,80}$/;

function taskError(name: string, cause: string): Error {
  const e = new Error(cause);
  e.name = name;
  return e;
}

function replaceToken(value: unknown, token: string): unknown {
  if (value === PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => replaceToken(v, token));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceToken(v, token)]));
  }
  return value;
}

export class StepFunctionsHost {
  private readonly machines = new Map<string, MachineRecord>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly tokens = new Map<string, OpenToken>();
  private readonly closedTokens = new Set<string>();

  constructor(private readonly opts: HostOptions) {}

  private get clock(): VirtualClock {
    return this.opts.clock;
  }

  // ---------------------------------------------------------------- state machines

  createStateMachine(input: { name: string; definition: string | Record<string, unknown>; roleArn?: string; type?: string }): { stateMachineArn: string; creationDate: number } {
    if (!NAME.test(input.name)) throw new AwsError('InvalidName', `Invalid state machine name: ${input.name}`);
    const arn = `arn:aws:states:${this.opts.region}:${this.opts.accountId}:stateMachine:${input.name}`;
    let definition: Record<string, unknown>;
    try {
      definition = typeof input.definition === 'string' ? (JSON.parse(input.definition) as Record<string, unknown>) : input.definition;
    } catch {
      throw new AwsError('InvalidDefinition', 'Definition is not valid JSON');
    }
    const existing = this.machines.get(arn);
    const text = JSON.stringify(definition);
    if (existing) {
      if (existing.definitionText === text) return { stateMachineArn: arn, creationDate: existing.createdAt };
      throw new AwsError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    let prepared: PreparedDefinition;
    let runner: StateMachine;
    try {
      prepared = prepareDefinition(definition, (ref) => this.opts.lambda.resolve(ref), this.opts);
      runner = new StateMachine(prepared.runnable as never, { validationOptions: { checkArn: false, checkPaths: true } });
    } catch (err) {
      throw new AwsError('InvalidDefinition', `Invalid State Machine Definition: ${(err as Error).message}`);
    }
    const rec: MachineRecord = {
      arn,
      name: input.name,
      definition,
      definitionText: text,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.opts.accountId}:role/local-${input.name}`,
      type: input.type === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
      createdAt: this.clock.now(),
      prepared,
      runner,
    };
    this.machines.set(arn, rec);
    return { stateMachineArn: arn, creationDate: rec.createdAt };
  }

  private machine(arn: unknown): MachineRecord {
    if (typeof arn !== 'string' || !arn.startsWith('arn:aws:states:')) throw new AwsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const m = this.machines.get(arn);
    if (!m) throw new AwsError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  private execution(arn: unknown): ExecutionRecord {
    if (typeof arn !== 'string' || !arn.startsWith('arn:aws:states:')) throw new AwsError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const e = this.executions.get(arn);
    if (!e) throw new AwsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  describeStateMachine(arn: string) {
    const m = this.machine(arn);
    return { stateMachineArn: m.arn, name: m.name, status: 'ACTIVE', definition: m.definitionText, roleArn: m.roleArn, type: m.type, creationDate: m.createdAt };
  }

  listStateMachines() {
    return [...this.machines.values()].map((m) => ({ stateMachineArn: m.arn, name: m.name, type: m.type, creationDate: m.createdAt }));
  }

  // ---------------------------------------------------------------- executions

  /**
   * StartExecution. As on AWS for Standard workflows: the same name with the same input while it runs
   * returns the running execution; a closed one, or another input, is ExecutionAlreadyExists.
   */
  startExecution(input: { stateMachineArn: string; name?: string; input?: string }, parentArn?: string): { executionArn: string; startDate: number } {
    const m = this.machine(input.stateMachineArn);
    const name = input.name ?? randomUUID();
    if (!NAME.test(name)) throw new AwsError('InvalidName', `Invalid Name: '${name}' (1-80 characters: letters, digits, - and _)`);
    const text = input.input ?? '{}';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new AwsError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const arn = `arn:aws:states:${this.opts.region}:${this.opts.accountId}:execution:${m.name}:${name}`;
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === text) return { executionArn: arn, startDate: existing.startedAt };
      throw new AwsError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    let finish!: () => void;
    const done = new Promise<void>((r) => (finish = r));
    const exec: ExecutionRecord = {
      arn,
      name,
      machine: m,
      input: text,
      status: 'RUNNING',
      startedAt: this.clock.now(),
      history: [],
      tokens: new Set(),
      done,
      finish,
      ...(parentArn ? { parentArn } : {}),
    };
    this.executions.set(arn, exec);
    this.run(exec, parsed);
    return { executionArn: arn, startDate: exec.startedAt };
  }

  private record(exec: ExecutionRecord, type: string, key?: string, value?: Record<string, unknown>): void {
    const id = exec.history.length + 1;
    exec.history.push({ id, previousEventId: id - 1, timestamp: this.clock.now(), wallMs: performance.now(), type, ...(key && value ? { details: { key, value } } : {}) });
  }

  private run(exec: ExecutionRecord, input: unknown): void {
    const m = exec.machine;
    // discrete time: the library's retry sleeps are virtual timers, so the intervals stay as written;
    // manual: no wait; scaled: the interval shrinks with the scale
    const scale = this.clock.isDiscrete ? 1 : this.clock.isManual ? Infinity : this.clock.configuredScale;
    const handlers: Record<string, (i: unknown) => Promise<unknown>> = {};
    for (const [name, meta] of m.prepared.tasks) handlers[name] = (i) => this.task(exec, meta, i);
    const retryIntervalOverrides: Record<string, number[]> = {};
    for (const [name, secs] of m.prepared.retries) retryIntervalOverrides[name] = secs.map((s) => (scale === Infinity ? 0 : (s * 1000) / scale));
    const run = m.runner.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      context: {
        Execution: { Id: exec.arn, Name: exec.name, StartTime: new Date(exec.startedAt).toISOString(), RoleArn: m.roleArn },
        StateMachine: { Id: m.arn, Name: m.name },
        Task: { Token: PLACEHOLDER },
      },
    });
    exec.abort = run.abort;
    this.opts.onStatusChange?.(this.statusEvent(exec));
    exec.consumed = this.consume(exec, run.eventLogs as AsyncIterable<Record<string, unknown>>).catch(() => undefined);
    if (m.prepared.timeoutSeconds !== undefined) {
      this.clock.after(m.prepared.timeoutSeconds * 1000, () => {
        if (exec.status === 'RUNNING') this.close(exec, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out' });
      });
    }
    run.result.then(
      (output: unknown) => {
        if (exec.status === 'RUNNING') this.close(exec, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
      },
      (err: Error & { Error?: string; Cause?: string }) => {
        if (exec.status !== 'RUNNING') return;
        const error = failErrorName(err);
        this.close(exec, 'FAILED', { error, cause: failCause(err) });
      },
    );
  }

  /** Turn the library's event log into AWS's history event names and details. */
  private async consume(exec: ExecutionRecord, events: AsyncIterable<Record<string, unknown>>): Promise<void> {
    const types = exec.machine.prepared.stateTypes;
    const tasks = exec.machine.prepared.tasks;
    // task states whose last attempt failed (caught): they exit without a TaskSucceeded, as on AWS
    const failed = new Set<string>();
    for await (const ev of events) {
      const state = ev.state as { name: string; input?: unknown; output?: unknown } | undefined;
      const type = state ? (types.get(state.name) ?? 'Pass') : '';
      const meta = state ? tasks.get(state.name) : undefined;
      const isTask = type === 'Task' && meta;
      const res = meta ? resourceFields(meta) : {};
      switch (ev.type) {
        case 'ExecutionStarted':
          this.record(exec, 'ExecutionStarted', 'executionStartedEventDetails', {
            input: exec.input,
            inputDetails: { truncated: false },
            roleArn: exec.machine.roleArn,
          });
          break;
        case 'StateEntered':
          if (state) failed.delete(state.name);
          this.record(exec, `${type}StateEntered`, 'stateEnteredEventDetails', json({ name: state?.name, inputDetails: { truncated: false } }, 'input', state?.input));
          if (isTask) {
            this.record(
              exec,
              'TaskScheduled',
              'taskScheduledEventDetails',
              json(
                {
                  ...res,
                  region: this.opts.region,
                  ...(meta.timeoutSeconds !== undefined ? { timeoutInSeconds: meta.timeoutSeconds } : {}),
                  ...(meta.heartbeatSeconds !== undefined ? { heartbeatInSeconds: meta.heartbeatSeconds } : {}),
                },
                'parameters',
                state?.input,
              ),
            );
            this.record(exec, 'TaskStarted', 'taskStartedEventDetails', res);
          }
          if (type === 'Map') this.record(exec, 'MapStateStarted', 'mapStateStartedEventDetails', { length: Array.isArray(state?.input) ? state?.input.length : 0 });
          if (type === 'Parallel') this.record(exec, 'ParallelStateStarted');
          break;
        case 'StateExited':
          if (isTask && !failed.has(state?.name ?? '')) this.record(exec, 'TaskSucceeded', 'taskSucceededEventDetails', json({ ...res, outputDetails: { truncated: false } }, 'output', state?.output));
          if (type === 'Map') this.record(exec, 'MapStateSucceeded');
          if (type === 'Parallel') this.record(exec, 'ParallelStateSucceeded');
          this.record(exec, `${type}StateExited`, 'stateExitedEventDetails', json({ name: state?.name, outputDetails: { truncated: false } }, 'output', state?.output));
          break;
        case 'StateFailed': {
          const error = String(ev.Error ?? 'States.TaskFailed');
          const cause = typeof ev.Cause === 'string' ? ev.Cause : JSON.stringify(ev.Cause ?? '');
          if (isTask) {
            failed.add(state?.name ?? '');
            if (error === 'States.Timeout' || error === 'States.HeartbeatTimeout') this.record(exec, 'TaskTimedOut', 'taskTimedOutEventDetails', { ...res, error, cause });
            else this.record(exec, 'TaskFailed', 'taskFailedEventDetails', { ...res, error, cause });
          } else if (type === 'Map') this.record(exec, 'MapStateFailed');
          else if (type === 'Parallel') this.record(exec, 'ParallelStateFailed');
          break;
        }
        case 'StateRetried':
          if (isTask) {
            failed.delete(state?.name ?? '');
            this.record(exec, 'TaskScheduled', 'taskScheduledEventDetails', json({ ...res, region: this.opts.region }, 'parameters', state?.input));
            this.record(exec, 'TaskStarted', 'taskStartedEventDetails', res);
          }
          break;
        case 'StateCaught':
          break;
        case 'MapIterationStarted':
          this.record(exec, 'MapIterationStarted', 'mapIterationStartedEventDetails', { name: (ev.parentState as { name: string }).name, index: ev.index });
          break;
        case 'MapIterationSucceeded':
          this.record(exec, 'MapIterationSucceeded', 'mapIterationSucceededEventDetails', { name: (ev.parentState as { name: string }).name, index: ev.index });
          break;
        case 'MapIterationFailed':
          this.record(exec, 'MapIterationFailed', 'mapIterationFailedEventDetails', { name: (ev.parentState as { name: string }).name, index: ev.index });
          break;
        default:
          break;
      }
    }
  }

  private close(exec: ExecutionRecord, status: ExecutionStatus, r: { output?: string; error?: string; cause?: string }): void {
    exec.status = status;
    exec.stoppedAt = this.clock.now();
    if (r.output !== undefined) exec.output = r.output;
    if (r.error !== undefined) exec.error = r.error;
    if (r.cause !== undefined) exec.cause = r.cause;
    for (const t of exec.tokens) this.closeToken(t);
    if (status !== 'SUCCEEDED' && exec.abort) exec.abort();
    const kind = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', ABORTED: 'ExecutionAborted', RUNNING: '' }[status];
    const key = { SUCCEEDED: 'executionSucceededEventDetails', FAILED: 'executionFailedEventDetails', TIMED_OUT: 'executionTimedOutEventDetails', ABORTED: 'executionAbortedEventDetails', RUNNING: '' }[status];
    // the terminal event comes after every state event the library logged; meanwhile simulated time holds
    // (the grace is wall time, so a log that never ends cannot stop the clock)
    const logged = exec.consumed ?? Promise.resolve();
    const end = this.clock.begin();
    const grace = new Promise((r) => realTimers.setTimeout(r, 100).unref());
    void Promise.race([logged, grace]).then(() => {
      end();
      this.record(
        exec,
        kind,
        key,
        status === 'SUCCEEDED' ? { output: exec.output, outputDetails: { truncated: false } } : { ...(exec.error !== undefined ? { error: exec.error } : {}), ...(exec.cause !== undefined ? { cause: exec.cause } : {}) },
      );
      this.opts.onStatusChange?.(this.statusEvent(exec));
      exec.finish();
    });
  }

  private statusEvent(exec: ExecutionRecord): StatusChangeEvent {
    return {
      executionArn: exec.arn,
      stateMachineArn: exec.machine.arn,
      name: exec.name,
      status: exec.status,
      startDate: exec.startedAt,
      stopDate: exec.stoppedAt ?? null,
      input: exec.input,
      output: exec.output ?? null,
      error: exec.error ?? null,
      cause: exec.cause ?? null,
    };
  }

  // ---------------------------------------------------------------- tasks

  private newToken(exec: ExecutionRecord): string {
    const token = `AQ${randomBytes(96).toString('base64url')}`;
    exec.tokens.add(token);
    return token;
  }

  private closeToken(token: string): void {
    const open = this.tokens.get(token);
    this.tokens.delete(token);
    this.closedTokens.add(token);
    if (this.closedTokens.size > 200_000) this.closedTokens.clear();
    open?.reject(taskError('States.Runtime', 'execution closed'));
  }

  /** Run one Task (or converted Wait) of an execution: the integration, its callback and its timeouts. */
  private async task(exec: ExecutionRecord, meta: TaskMeta, rawInput: unknown): Promise<unknown> {
    if (exec.status !== 'RUNNING') throw taskError('States.Runtime', 'execution is not running');
    let timeoutSeconds = meta.timeoutSeconds;
    if (meta.timeoutFromInput && rawInput && typeof rawInput === 'object') {
      const { [TIMEOUT_KEY]: t, ...rest } = rawInput as Record<string, unknown>;
      if (typeof t !== 'number' || !(t > 0)) throw taskError('States.Runtime', `TimeoutSecondsPath of ${meta.name} must resolve to a positive number`);
      timeoutSeconds = t;
      rawInput = rest;
    }
    const token = meta.integration.callback ? this.newToken(exec) : undefined;
    const input = token ? replaceToken(rawInput, token) : rawInput;
    let timer: { cancelled: boolean; wall?: NodeJS.Timeout } | undefined;
    const timeout = new Promise<never>((_, reject) => {
      if (timeoutSeconds === undefined) return;
      timer = { cancelled: false };
      const t = timer;
      const fire = () => {
        if (!t.cancelled) reject(taskError('States.Timeout', `Task timed out after ${timeoutSeconds} seconds`));
      };
      // A task that waits on the world (a callback, a nested execution) waits in simulated time; a task that
      // only runs code (a Lambda, a publish) runs in wall time, whatever the time scale.
      if (waitsOnWorld(meta)) this.clock.after(timeoutSeconds * 1000, fire);
      else t.wall = setTimeout(fire, timeoutSeconds * 1000);
    });
    try {
      return await Promise.race([this.integrate(exec, meta, input, token), timeout]);
    } finally {
      if (timer) {
        timer.cancelled = true;
        if (timer.wall) clearTimeout(timer.wall);
      }
      if (token && this.tokens.has(token)) this.closeToken(token);
      else if (token) this.closedTokens.add(token);
    }
  }

  private waitForToken(exec: ExecutionRecord, meta: TaskMeta, token: string): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let beat = 0;
      const armHeartbeat = () => {
        if (meta.heartbeatSeconds === undefined) return;
        const mine = ++beat;
        this.clock.after(meta.heartbeatSeconds * 1000, () => {
          if (mine === beat && this.tokens.has(token)) {
            this.tokens.delete(token);
            this.closedTokens.add(token);
            reject(taskError('States.HeartbeatTimeout', `No heartbeat within ${meta.heartbeatSeconds} seconds`));
          }
        });
      };
      this.tokens.set(token, { executionArn: exec.arn, stateName: meta.name, resolve, reject, heartbeat: armHeartbeat });
      armHeartbeat();
    });
  }

  private async integrate(exec: ExecutionRecord, meta: TaskMeta, input: unknown, token: string | undefined): Promise<unknown> {
    const integ = meta.integration;
    const params = (input ?? {}) as Record<string, unknown>;
    switch (integ.kind) {
      case 'wait':
        return this.wait(exec, meta, input);
      case 'lambda': {
        const key = this.opts.lambda.resolve(integ.functionRef) as string;
        return this.invokeLambda(key, input);
      }
      case 'lambda-invoke': {
        const key = this.opts.lambda.resolve(params.FunctionName);
        if (!key) throw taskError('Lambda.ResourceNotFoundException', `Function not found: ${JSON.stringify(params.FunctionName)}`);
        const waiting = token ? this.waitForToken(exec, meta, token) : undefined;
        waiting?.catch(() => undefined); // the call below may fail: then the closed token rejects this unawaited promise
        const payload = await this.invokeLambda(key, params.Payload);
        if (waiting) return waiting;
        return { ExecutedVersion: '$LATEST', Payload: payload ?? null, StatusCode: 200, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } };
      }
      case 'sns': {
        const publish = this.opts.integrations?.snsPublish;
        if (!publish) throw taskError('States.Runtime', 'no SNS stand-in is wired to this host');
        const waiting = token ? this.waitForToken(exec, meta, token) : undefined;
        waiting?.catch(() => undefined); // the call below may fail: then the closed token rejects this unawaited promise
        const r = await publish(params);
        if (waiting) return waiting;
        return { MessageId: r.MessageId, SdkHttpMetadata: { HttpStatusCode: 200 }, SdkResponseMetadata: { RequestId: randomUUID() } };
      }
      case 'events': {
        const put = this.opts.integrations?.putEvents;
        if (!put) throw taskError('States.Runtime', 'no EventBridge stand-in is wired to this host');
        const waiting = token ? this.waitForToken(exec, meta, token) : undefined;
        waiting?.catch(() => undefined); // the call below may fail: then the closed token rejects this unawaited promise
        const r = await put(params);
        if (waiting) return waiting;
        return r;
      }
      case 'sfn': {
        const waiting = token ? this.waitForToken(exec, meta, token) : undefined;
        waiting?.catch(() => undefined); // the call below may fail: then the closed token rejects this unawaited promise
        const child = this.startExecution(
          {
            stateMachineArn: String(params.StateMachineArn),
            ...(typeof params.Name === 'string' ? { name: params.Name } : {}),
            input: typeof params.Input === 'string' ? params.Input : JSON.stringify(params.Input ?? {}),
          },
          exec.arn,
        );
        if (waiting) return waiting;
        if (integ.mode === 'async') return { ExecutionArn: child.executionArn, StartDate: new Date(child.startDate).toISOString() };
        const c = this.execution(child.executionArn);
        await c.done;
        if (c.status !== 'SUCCEEDED') throw taskError('States.TaskFailed', JSON.stringify(this.describeExecution(c.arn)));
        const d = this.describeExecution(c.arn);
        return { ...d, Output: integ.mode === 'sync:2' ? JSON.parse(d.output ?? 'null') : d.output };
      }
    }
  }

  private async invokeLambda(key: string, event: unknown): Promise<unknown> {
    try {
      return await this.opts.lambda.invoke(key, event);
    } catch (err) {
      const e = err as Error;
      // Step Functions names the error after the function's errorType; the cause is Lambda's error JSON.
      throw taskError(e.name || 'Error', JSON.stringify({ errorType: e.name || 'Error', errorMessage: e.message }));
    }
  }

  private wait(exec: ExecutionRecord, meta: TaskMeta, input: unknown): Promise<unknown> {
    const w = meta.wait ?? {};
    let until: number;
    if (w.seconds !== undefined) until = this.clock.now() + w.seconds * 1000;
    else if (w.secondsPath !== undefined) {
      const s = readPath(input, w.secondsPath);
      if (typeof s !== 'number' || s < 0) return Promise.reject(taskError('States.Runtime', `SecondsPath ${w.secondsPath} is not a non-negative number`));
      until = this.clock.now() + s * 1000;
    } else {
      const ts = w.timestamp ?? readPath(input, w.timestampPath ?? '$');
      const t = typeof ts === 'string' ? Date.parse(ts) : NaN;
      if (Number.isNaN(t)) return Promise.reject(taskError('States.Runtime', `Wait ${meta.name}: invalid timestamp`));
      until = t;
    }
    return new Promise((resolve) => {
      this.clock.at(Math.max(until, this.clock.now()), () => {
        if (exec.status === 'RUNNING') resolve(input);
      });
    });
  }

  // ---------------------------------------------------------------- callbacks

  private openToken(token: unknown): OpenToken {
    if (typeof token !== 'string' || token.length < 1 || token.length > 1024) throw new AwsError('InvalidToken', 'Invalid Token');
    const open = this.tokens.get(token);
    if (open) return open;
    if (this.closedTokens.has(token)) throw new AwsError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    if (!token.startsWith('AQ')) throw new AwsError('InvalidToken', 'Invalid Token');
    throw new AwsError('TaskDoesNotExist', 'Task does not exist');
  }

  sendTaskSuccess(token: unknown, output: unknown): void {
    if (typeof output !== 'string') throw new AwsError('InvalidOutput', 'output is required');
    let value: unknown;
    try {
      value = JSON.parse(output);
    } catch {
      throw new AwsError('InvalidOutput', 'Invalid Output: not valid JSON');
    }
    const open = this.openToken(token);
    this.tokens.delete(token as string);
    this.closedTokens.add(token as string);
    this.clock.runDue();
    open.resolve(value);
  }

  sendTaskFailure(token: unknown, error?: unknown, cause?: unknown): void {
    const open = this.openToken(token);
    this.tokens.delete(token as string);
    this.closedTokens.add(token as string);
    open.reject(taskError(typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : ''));
  }

  sendTaskHeartbeat(token: unknown): void {
    this.openToken(token).heartbeat();
  }

  stopExecution(arn: string, error?: string, cause?: string): { stopDate: number } {
    const exec = this.execution(arn);
    if (exec.status === 'RUNNING') {
      this.close(exec, 'ABORTED', { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
    }
    return { stopDate: exec.stoppedAt as number };
  }

  // ---------------------------------------------------------------- reads

  describeExecution(arn: string) {
    const e = this.execution(arn);
    return {
      executionArn: e.arn,
      stateMachineArn: e.machine.arn,
      name: e.name,
      status: e.status,
      startDate: e.startedAt,
      ...(e.stoppedAt !== undefined ? { stopDate: e.stoppedAt } : {}),
      input: e.input,
      inputDetails: { included: true },
      ...(e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
      ...(e.error !== undefined ? { error: e.error } : {}),
      ...(e.cause !== undefined ? { cause: e.cause } : {}),
    };
  }

  describeStateMachineForExecution(arn: string) {
    const e = this.execution(arn);
    const m = this.describeStateMachine(e.machine.arn);
    return { stateMachineArn: m.stateMachineArn, name: m.name, definition: m.definition, roleArn: m.roleArn, updateDate: m.creationDate };
  }

  listExecutions(stateMachineArn: string, statusFilter?: string) {
    this.machine(stateMachineArn);
    return [...this.executions.values()]
      .filter((e) => e.machine.arn === stateMachineArn && (!statusFilter || e.status === statusFilter))
      .sort((a, b) => b.startedAt - a.startedAt)
      .map((e) => ({ executionArn: e.arn, stateMachineArn: e.machine.arn, name: e.name, status: e.status, startDate: e.startedAt, ...(e.stoppedAt !== undefined ? { stopDate: e.stoppedAt } : {}) }));
  }

  history(arn: string): HistoryEvent[] {
    return this.execution(arn).history;
  }

  /** Resolves when the execution has closed and its history is complete (tests, nested .sync). */
  async settled(arn: string): Promise<ReturnType<StepFunctionsHost['describeExecution']>> {
    await this.execution(arn).done;
    return this.describeExecution(arn);
  }

  /** Open task tokens (no secret leaves: only where they wait). */
  openTasks(): { executionArn: string; stateName: string }[] {
    return [...this.tokens.values()].map((t) => ({ executionArn: t.executionArn, stateName: t.stateName }));
  }
}

/**
 * A history field holding a state's input or output as JSON text, rendered when it is read (the wire, the
 * dashboard) rather than when recorded: the state values are never changed once made (the library copies
 * on write, handlers' results cross a JSON boundary), and a 1,000-server wave records tens of thousands of
 * events whose text would otherwise be most of the local cloud's memory.
 */
function json<T extends Record<string, unknown>>(details: T, key: string, value: unknown): T {
  Object.defineProperty(details, key, { enumerable: true, configurable: true, get: () => JSON.stringify(value ?? null) });
  return details;
}

function waitsOnWorld(meta: TaskMeta): boolean {
  const i = meta.integration;
  return i.callback || i.kind === 'wait' || (i.kind === 'sfn' && i.mode !== 'async');
}

function resourceFields(meta: TaskMeta): { resourceType: string; resource: string } {
  const m = /^arn:aws:states:::([a-z-]+):(.+)$/.exec(meta.resource);
  if (m) return { resourceType: m[1] as string, resource: m[2] as string };
  return { resourceType: 'lambda', resource: meta.resource };
}

/** The library wraps the failing error (a Fail state's Error/Cause, or an uncaught task error). */
function rootError(err: Error): Error {
  return err.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err;
}

function failErrorName(err: Error): string {
  const e = rootError(err);
  if (e.name && e.name !== 'Error' && e.name !== 'FailStateError') return e.name;
  return 'States.TaskFailed';
}

function failCause(err: Error): string {
  const e = rootError(err);
  return e.message === 'Execution failed because of a Fail state' ? '' : e.message;
}

export { DefinitionError };
