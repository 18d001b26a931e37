/**
 * Prepares an ASL definition (JSONPath, as committed in statemachines/) for aws-local-stepfunctions on the
 * local cloud's clock. The file on disk is never changed; the runner gets a copy where:
 * - every Task keeps its ASL but gets a string Resource (CloudFormation intrinsics such as
 *   `{"Fn::GetAtt": ["LaunchTestLambdaFunction", "Arn"]}` become a function ARN) and a safe TimeoutSeconds:
 *   the host enforces the real TimeoutSeconds and HeartbeatSeconds on the simulated clock;
 * - every Wait becomes a Task served by the host, which waits on the simulated clock (the library's own
 *   Wait uses wall-clock timers and Date.now(), which know nothing of the time scale);
 * - the machine's TimeoutSeconds is removed and enforced by the host.
 */

export type Integration =
  | { kind: 'lambda'; functionRef: unknown; callback: false }
  | { kind: 'lambda-invoke'; callback: boolean }
  | { kind: 'sns'; callback: boolean }
  | { kind: 'events'; callback: boolean }
  | { kind: 'sfn'; mode: 'async' | 'sync' | 'sync:2' | 'callback'; callback: boolean }
  | { kind: 'wait'; callback: false };

export interface TaskMeta {
  name: string;
  /** The state's type in the original definition (Wait for converted waits). */
  type: string;
  integration: Integration;
  /** The Resource as AWS would report it in history (`arn:aws:states:::lambda:invoke`, a function ARN). */
  resource: string;
  timeoutSeconds?: number;
  /** TimeoutSecondsPath: the host reads the value from the task's input (TIMEOUT_KEY). */
  timeoutFromInput?: boolean;
  heartbeatSeconds?: number;
  wait?: { seconds?: number; secondsPath?: string; timestamp?: string; timestampPath?: string };
}

export interface PreparedDefinition {
  runnable: Record<string, unknown>;
  tasks: Map<string, TaskMeta>;
  /** Every state's original type, by name (history event names). */
  stateTypes: Map<string, string>;
  /** Retry intervals (seconds) per state, to scale. */
  retries: Map<string, number[]>;
  timeoutSeconds?: number;
}

/** Hidden parameter carrying a TimeoutSecondsPath value to the host. */
export const TIMEOUT_KEY = '__mgnFlowTimeoutSeconds';

/** Safe value for the library's wall-clock timers: Node overflows above 2,147,483 s. */
const RUNNER_TIMEOUT_S = 2_000_000;

export class DefinitionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidDefinition';
  }
}

export function prepareDefinition(
  definition: Record<string, unknown>,
  resolveFunction: (ref: unknown) => string | undefined,
  ids: { region: string; accountId: string },
): PreparedDefinition {
  const runnable = structuredClone(definition) as Record<string, unknown>;
  const tasks = new Map<string, TaskMeta>();
  const stateTypes = new Map<string, string>();
  const retries = new Map<string, number[]>();
  const timeoutSeconds = typeof runnable.TimeoutSeconds === 'number' ? runnable.TimeoutSeconds : undefined;
  delete runnable.TimeoutSeconds;
  delete runnable.QueryLanguage;
  if (definition.QueryLanguage === 'JSONata') throw new DefinitionError('JSONata is not supported locally: write JSONPath');

  const functionArn = (key: string) => `arn:aws:lambda:${ids.region}:${ids.accountId}:function:${key}`;

  const walk = (machine: Record<string, unknown>): void => {
    const states = machine.States as Record<string, Record<string, unknown>> | undefined;
    if (!states || typeof states !== 'object') throw new DefinitionError('a machine needs States');
    for (const [name, state] of Object.entries(states)) {
      const type = String(state.Type);
      if (stateTypes.has(name)) throw new DefinitionError(`state name ${name} is used twice`);
      stateTypes.set(name, type);
      if (state.QueryLanguage === 'JSONata' || 'Arguments' in state || 'Assign' in state || 'Output' in state) {
        throw new DefinitionError(`state ${name}: JSONata fields (Arguments, Assign, Output) are not supported locally`);
      }
      if (Array.isArray(state.Retry)) {
        retries.set(
          name,
          (state.Retry as Record<string, unknown>[]).map((r) => (typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1)),
        );
      }
      if (type === 'Map') {
        const proc = (state.ItemProcessor ?? state.Iterator) as Record<string, unknown> | undefined;
        if (proc) walk(proc);
      } else if (type === 'Parallel') {
        for (const b of (state.Branches as Record<string, unknown>[]) ?? []) walk(b);
      } else if (type === 'Wait') {
        const wait = {
          ...(typeof state.Seconds === 'number' ? { seconds: state.Seconds } : {}),
          ...(typeof state.SecondsPath === 'string' ? { secondsPath: state.SecondsPath } : {}),
          ...(typeof state.Timestamp === 'string' ? { timestamp: state.Timestamp } : {}),
          ...(typeof state.TimestampPath === 'string' ? { timestampPath: state.TimestampPath } : {}),
        };
        tasks.set(name, { name, type: 'Wait', integration: { kind: 'wait', callback: false }, resource: 'wait', wait });
        const replacement: Record<string, unknown> = {
          Type: 'Task',
          Resource: 'arn:aws:states:::local:wait',
          TimeoutSeconds: RUNNER_TIMEOUT_S,
        };
        for (const k of ['Next', 'End', 'InputPath', 'OutputPath', 'Comment']) if (k in state) replacement[k] = state[k];
        states[name] = replacement;
      } else if (type === 'Task') {
        const meta = classify(name, state, resolveFunction, functionArn);
        tasks.set(name, meta);
        if (meta.integration.kind === 'lambda') state.Resource = meta.resource;
        if (typeof state.TimeoutSeconds === 'number') meta.timeoutSeconds = state.TimeoutSeconds;
        if (typeof state.HeartbeatSeconds === 'number') meta.heartbeatSeconds = state.HeartbeatSeconds;
        if ('HeartbeatSecondsPath' in state) throw new DefinitionError(`state ${name}: HeartbeatSecondsPath is not supported locally; use HeartbeatSeconds`);
        if (typeof state.TimeoutSecondsPath === 'string') {
          // Evaluated on the same effective input as Parameters: carried to the host as a hidden parameter.
          if (!state.Parameters || typeof state.Parameters !== 'object' || Array.isArray(state.Parameters)) {
            throw new DefinitionError(`state ${name}: TimeoutSecondsPath needs Parameters locally`);
          }
          (state.Parameters as Record<string, unknown>)[`${TIMEOUT_KEY}.$`] = state.TimeoutSecondsPath;
          meta.timeoutFromInput = true;
          delete state.TimeoutSecondsPath;
        }
        state.TimeoutSeconds = RUNNER_TIMEOUT_S;
        delete state.HeartbeatSeconds;
      }
    }
  };
  walk(runnable);
  return { runnable, tasks, stateTypes, retries, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) };
}

function classify(
  name: string,
  state: Record<string, unknown>,
  resolveFunction: (ref: unknown) => string | undefined,
  functionArn: (key: string) => string,
): TaskMeta {
  const r = state.Resource;
  if (typeof r !== 'string') {
    const key = resolveFunction(r);
    if (!key) throw new DefinitionError(`state ${name}: Resource ${JSON.stringify(r)} names no function of serverless.yml`);
    return { name, type: 'Task', integration: { kind: 'lambda', functionRef: r, callback: false }, resource: functionArn(key) };
  }
  if (r.startsWith('arn:aws:lambda:')) {
    const key = resolveFunction(r);
    if (!key) throw new DefinitionError(`state ${name}: Resource ${r} names no function of serverless.yml`);
    return { name, type: 'Task', integration: { kind: 'lambda', functionRef: r, callback: false }, resource: functionArn(key) };
  }
  const m = /^arn:aws:states:::([a-z-]+):([A-Za-z]+)(?:\.(waitForTaskToken|sync(?::2)?))?$/.exec(r);
  if (!m) throw new DefinitionError(`state ${name}: integration ${r} is not supported by the local cloud (lambda:invoke, sns:publish, events:putEvents, states:startExecution are)`);
  const [, service, action, suffix] = m;
  const callback = suffix === 'waitForTaskToken';
  if (service === 'lambda' && action === 'invoke') return { name, type: 'Task', integration: { kind: 'lambda-invoke', callback }, resource: r };
  if (service === 'sns' && action === 'publish') return { name, type: 'Task', integration: { kind: 'sns', callback }, resource: r };
  if (service === 'events' && action === 'putEvents') return { name, type: 'Task', integration: { kind: 'events', callback }, resource: r };
  if (service === 'states' && action === 'startExecution') {
    const mode = callback ? 'callback' : suffix === 'sync:2' ? 'sync:2' : suffix === 'sync' ? 'sync' : 'async';
    return { name, type: 'Task', integration: { kind: 'sfn', mode, callback }, resource: r };
  }
  throw new DefinitionError(`state ${name}: integration ${r} is not supported by the local cloud (lambda:invoke, sns:publish, events:putEvents, states:startExecution are)`);
}

/** Reads `$.a.b[0].c` style reference paths (what Wait's SecondsPath/TimestampPath use). */
export function readPath(value: unknown, path: string): unknown {
  if (path === '$') return value;
  if (!path.startsWith('$')) throw new DefinitionError(`invalid path ${path}`);
  const parts = path
    .slice(1)
    .split(/\.|\[(\d+)\]/)
    .filter((p) => p !== undefined && p !== '');
  let cur: unknown = value;
  for (const p of parts) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
