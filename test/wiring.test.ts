import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as mgn from '@aws-sdk/client-mgn';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/adapters/aws/config.ts';
import { ERROR_NAMES } from '../src/core/errors.ts';
import { GATE_EXPIRED, GATE_KINDS, PARKED_STATES, PHASE_RULES, STATE_ROLES, gateWords } from '../src/core/lifecycle.ts';
import { matches, validatePattern } from '../src/local/cloud/bus/matcher.ts';
import { functionLogicalId, readServerlessConfig } from '../src/local/cloud/serverless-config.ts';

/**
 * The repository checks its own wiring (STYLE.md habit 11): one name, four spellings (ASL -> function key ->
 * functions/<kebab>/handler.ts), every function used, every ErrorEquals a real error, every pattern in events/
 * referenced, valid and matching a real MGN event, every required environment variable given.
 */

type Json = Record<string, unknown>;

const root = resolve(import.meta.dirname, '..');
const raw = parse(readFileSync(resolve(root, 'serverless.yml'), 'utf8')) as Json;
const config = readServerlessConfig(root);
const rawFunctions = (raw.functions ?? {}) as Record<string, { handler: string; events?: Json[] }>;
const functionKeys = Object.keys(config.functions).sort();
const machines = Object.entries(config.stateMachines);

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const kebab = (key: string) => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
const camel = (dir: string) => dir.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

/** Every object in a JSON value, depth first. */
function objects(value: unknown): Json[] {
  if (Array.isArray(value)) return value.flatMap(objects);
  if (!isObject(value)) return [];
  return [value, ...Object.values(value).flatMap(objects)];
}

/** `${file(./events/x.json)}` -> `events/x.json`. */
const fileRef = (v: unknown) => (typeof v === 'string' ? /^\$\{file\(\.\/(.+?)\)\}$/.exec(v)?.[1] : undefined);

/** The `Fn::GetAtt` logical ids each machine names. */
const getAtts = machines.flatMap(([machine, m]) =>
  objects(m.definition)
    .filter((o) => 'Fn::GetAtt' in o)
    .map((o) => ({ machine, value: o['Fn::GetAtt'] })),
);

/**
 * Functions no machine, rule, schedule or HTTP route invokes, with the reason: they are invoked directly
 * (lambda:InvokeFunction).
 */
const INVOKED_DIRECTLY: Record<string, string> = {
  decideGate: 'a gate decision comes from the approval page, the CLI or the demo, which invoke the function directly',
};
const EVENT_SOURCES = ['eventBridge', 'schedule', 'http', 'httpApi'];

// The errors ErrorEquals may name ----------------------------------------------------------------------------

/** Step Functions' own error names (Amazon States Language, "Errors"). */
const STATES_ERRORS = [
  'States.ALL',
  'States.DataLimitExceeded',
  'States.ExceedToleratedFailureThreshold',
  'States.HeartbeatTimeout',
  'States.Http.Socket',
  'States.IntrinsicFailure',
  'States.ItemReaderFailed',
  'States.NoChoiceMatched',
  'States.ParameterPathFailure',
  'States.Permissions',
  'States.QueryEvaluationError',
  'States.ResultPathMatchFailure',
  'States.ResultWriterFailed',
  'States.Runtime',
  'States.TaskFailed',
  'States.Timeout',
  'States.BranchFailed',
];
/** The Lambda service errors a Lambda Task can raise (AWS: "Handling errors in Step Functions workflows"). */
const LAMBDA_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.Unknown',
  // a function that ran out of time: Lambda's own timeout, and middy's timeoutEarly just before it
  'Sandbox.Timedout',
  'TimeoutError',
];
/** Every exception the MGN client models (ConflictException, ThrottlingException, ...), from the SDK itself. */
const MGN_EXCEPTIONS = Object.entries(mgn)
  .filter(([, v]) => typeof v === 'function' && v.prototype instanceof mgn.MgnServiceException)
  .map(([name]) => name);

const coreSources = (readdirSync(resolve(root, 'src/core'), { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts'))
  .map((f) => readFileSync(resolve(root, 'src/core', f), 'utf8'));
/** Error classes src/core throws (`new ServerNotFoundError(`), and the task failures it sends (`error: 'SoakExtended'`). */
const CORE_THROWN = [...new Set(coreSources.flatMap((s) => [...s.matchAll(/\bnew ([A-Z]\w*Error)\(/g)].map((m) => m[1] as string)))];
const CORE_TASK_FAILURES = [...new Set(coreSources.flatMap((s) => [...s.matchAll(/\berror: '([A-Za-z][\w.]*)'/g)].map((m) => m[1] as string)))];
/** ...and the task failure a gate sends when it expires (lifecycle.ts). */
const PROJECT_ERRORS = new Set<string>([...ERROR_NAMES, ...CORE_THROWN, ...CORE_TASK_FAILURES, GATE_EXPIRED]);
const KNOWN_ERRORS = new Set<string>([...STATES_ERRORS, ...LAMBDA_ERRORS, ...MGN_EXCEPTIONS, ...PROJECT_ERRORS]);

// Event patterns and fixtures ----------------------------------------------------------------------------------

const eventFiles = readdirSync(resolve(root, 'events'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const fixtureDir = resolve(root, 'test/fixtures/mgn-events');
const fixtures = readdirSync(fixtureDir)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((f) => ({ name: f, event: JSON.parse(readFileSync(resolve(fixtureDir, f), 'utf8')) as Json }));
/** `events/x.json` -> the functions whose eventBridge pattern is `${file(./events/x.json)}`. */
const patternUsers = new Map<string, string[]>();
for (const [key, f] of Object.entries(rawFunctions)) {
  for (const e of f.events ?? []) {
    const ref = fileRef((e.eventBridge as Json | undefined)?.pattern);
    if (ref) patternUsers.set(ref, [...(patternUsers.get(ref) ?? []), key]);
  }
}

describe('serverless.yml functions', () => {
  it('declares functions and at least one state machine', () => {
    expect(functionKeys.length).toBeGreaterThan(0);
    expect(machines.length).toBeGreaterThan(0);
  });

  it.each(functionKeys)('%s: the key is camelCase and its handler is functions/<kebab>/handler.handler', (key) => {
    expect(key).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(camel(kebab(key))).toBe(key);
    expect(config.functions[key]?.handler).toBe(`functions/${kebab(key)}/handler.handler`);
  });

  it.each(functionKeys)('%s: the handler file exists and exports handler', async (key) => {
    const [path, exported] = [config.functions[key]?.handler.replace(/\.[^./]+$/, '') ?? '', config.functions[key]?.handler.split('.').pop() ?? ''];
    const file = resolve(root, `${path}.ts`);
    expect(existsSync(file), `${file} is missing`).toBe(true);
    const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    expect(typeof mod[exported]).toBe('function');
  });

  it('has a function for every functions/<kebab>/ directory (helpers start with _)', () => {
    const dirs = readdirSync(resolve(root, 'functions'), { withFileTypes: true })
      .filter((d) => d.isDirectory() && !d.name.startsWith('_'))
      .map((d) => d.name);
    expect(dirs.filter((d) => !functionKeys.includes(camel(d)) || kebab(camel(d)) !== d)).toEqual([]);
  });

  it('names in every Fn::GetAtt the <Key>LambdaFunction Arn of a declared function', () => {
    const ids = new Map(functionKeys.map((k) => [functionLogicalId(k), k]));
    expect(getAtts.length).toBeGreaterThan(0);
    const bad = getAtts.filter(({ value }) => !Array.isArray(value) || value.length !== 2 || value[1] !== 'Arn' || !ids.has(String(value[0])));
    expect(bad.map(({ machine, value }) => `${machine}: ${JSON.stringify(value)}`)).toEqual([]);
  });

  it('names in every Ref of a state machine or of the provider environment a declared resource', () => {
    const refs = [...machines.map(([, m]) => m.definition), config.provider.environment].flatMap(objects).filter((o) => 'Ref' in o);
    // pseudo parameters (AWS::Region) and the HTTP API osls generates from the httpApi events
    const generated = new Set(['HttpApi', ...machines.map(([, m]) => m.logicalId).filter(Boolean)]);
    expect(refs.filter((o) => !(String(o.Ref) in config.resources) && !String(o.Ref).startsWith('AWS::') && !generated.has(String(o.Ref))).map((o) => String(o.Ref))).toEqual([]);
  });

  it('uses every function from a machine, a rule, a schedule or an HTTP route, or lists it as invoked directly', () => {
    const ids = new Map(functionKeys.map((k) => [functionLogicalId(k), k]));
    const used = new Set<string>(getAtts.map(({ value }) => ids.get(String((value as unknown[])[0])) ?? ''));
    for (const key of functionKeys) {
      if (config.functions[key]?.events.some((e) => EVENT_SOURCES.some((s) => s in e))) used.add(key);
    }
    expect(functionKeys.filter((k) => !used.has(k) && !INVOKED_DIRECTLY[k])).toEqual([]);
    // the list stays true: each entry is a declared function nothing else invokes, with a reason
    for (const [key, reason] of Object.entries(INVOKED_DIRECTLY)) {
      expect(functionKeys, `${key} is listed as invoked directly but is not declared`).toContain(key);
      expect(used.has(key), `${key} is listed as invoked directly but has an event source`).toBe(false);
      expect(reason.length).toBeGreaterThan(0);
    }
  });

  it('points every state machine at a statemachines/*.asl.json file, and every such file is used', () => {
    const machineFiles = Object.values(((raw.stepFunctions as Json | undefined)?.stateMachines ?? {}) as Record<string, Json>).map((m) => fileRef(m.definition));
    expect(machineFiles.every((f) => typeof f === 'string' && /^statemachines\/[\w-]+\.asl\.json$/.test(f))).toBe(true);
    const onDisk = readdirSync(resolve(root, 'statemachines'))
      .filter((f) => f.endsWith('.asl.json'))
      .map((f) => `statemachines/${f}`);
    expect(onDisk.filter((f) => !machineFiles.includes(f))).toEqual([]);
  });
});

describe('ErrorEquals in the state machines', () => {
  it('knows the error names it accepts', () => {
    expect(MGN_EXCEPTIONS).toEqual(expect.arrayContaining(['ConflictException', 'ThrottlingException', 'InternalServerException']));
    expect([...PROJECT_ERRORS]).toEqual(expect.arrayContaining([...ERROR_NAMES, 'SoakExtended']));
  });

  it.each(machines.map(([id]) => id))('%s: every ErrorEquals names a States.*, Lambda.*, MGN or project error', (id) => {
    const definition = config.stateMachines[id]?.definition;
    const named = objects(definition)
      .filter((o) => Array.isArray(o.ErrorEquals))
      .flatMap((o) => o.ErrorEquals as unknown[]);
    expect(named.length).toBeGreaterThan(0);
    expect([...new Set(named.filter((e) => typeof e !== 'string' || !KNOWN_ERRORS.has(e)))]).toEqual([]);
  });
});

describe('events/ patterns', () => {
  it('has MGN fixtures to match against', () => {
    expect(fixtures.length).toBeGreaterThan(1);
  });

  it('references nothing in serverless.yml that is not in events/', () => {
    const referenced = [...patternUsers.keys()];
    expect(referenced.filter((f) => !f.startsWith('events/') || !eventFiles.includes(f.slice('events/'.length)))).toEqual([]);
  });

  describe.each(eventFiles)('events/%s', (file) => {
    const pattern = JSON.parse(readFileSync(resolve(root, 'events', file), 'utf8')) as unknown;

    it('is the eventBridge pattern of a function in serverless.yml', () => {
      expect(patternUsers.get(`events/${file}`) ?? []).not.toEqual([]);
    });

    it('is a valid EventBridge pattern', () => {
      expect(() => validatePattern(pattern)).not.toThrow();
    });

    it('matches at least one MGN fixture event and not an unrelated one', () => {
      validatePattern(pattern);
      const matched = fixtures.filter((f) => matches(pattern, f.event)).map((f) => f.name);
      expect(matched, 'no fixture in test/fixtures/mgn-events/ matches').not.toEqual([]);
      expect(fixtures.length - matched.length, 'matches every fixture: it filters nothing').toBeGreaterThan(0);
    });
  });
});

describe('provider environment', () => {
  /** The variables loadConfig refuses to start without: what an empty environment is missing. */
  const required = (() => {
    try {
      loadConfig({});
      return [];
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return e.variables;
    }
  })();

  it('knows which variables the AWS config requires', () => {
    expect(required).toEqual(expect.arrayContaining(['STATE_TABLE', 'OPS_TOPIC_ARN']));
  });

  it('gives every function each variable src/adapters/aws/config.ts requires', () => {
    const env = ((raw.provider as Json | undefined)?.environment ?? {}) as Json;
    expect(required.filter((v) => env[v] === undefined || env[v] === null || env[v] === '')).toEqual([]);
  });
});

describe("the lifecycle's vocabulary (src/core/lifecycle.ts) against the ASL", () => {
  const asl = JSON.parse(readFileSync(resolve(root, 'statemachines/server-lifecycle.asl.json'), 'utf8')) as Json;
  /** Every state of the lifecycle machine, nested ones included: name -> definition. */
  const states = new Map<string, Json>();
  const walk = (m: Json) => {
    for (const [name, s] of Object.entries((m.States ?? {}) as Record<string, Json>)) {
      states.set(name, s);
      for (const b of (s.Branches ?? []) as Json[]) walk(b);
      for (const key of ['Iterator', 'ItemProcessor']) if (isObject(s[key])) walk(s[key]);
    }
  };
  walk(asl);
  /** The tasks that park a server at a gate: their Payload names the gate kind. */
  const gateTasks = [...states].map(([name, s]) => ({ name, payload: ((s.Parameters as Json | undefined)?.Payload ?? {}) as Json })).filter((t) => typeof t.payload.gate === 'string');

  it('knows every gate kind the ASL parks servers at, and the ASL parks at every kind it knows', () => {
    expect([...new Set(gateTasks.map((t) => t.payload.gate as string))].sort()).toEqual([...GATE_KINDS].sort());
  });

  it.each(GATE_KINDS)('%s: its state parks there, with the approvers of its list', (kind) => {
    const words = gateWords(kind);
    const tasks = gateTasks.filter((t) => t.payload.gate === kind);
    expect(tasks.map((t) => t.payload.state), `no task of ${kind} reports state ${words.state}`).toContain(words.state);
    for (const t of tasks) expect(t.payload['approvers.$'], `${t.name}: the approvers of ${kind}`).toBe(`$.plan.approvers.${words.approvers}`);
  });

  it.each([...Object.entries(STATE_ROLES), ['parked', Object.keys(PARKED_STATES)] as const])('names only states of the ASL as %s', (_role, names) => {
    expect(names.filter((n) => !states.has(n))).toEqual([]);
  });

  it('gives every state of the ASL a dashboard phase rule', () => {
    const unmatched = [...states.keys()].filter((n) => !PHASE_RULES.some(([re]) => re.test(n)));
    expect(unmatched, 'states no PHASE_RULES entry matches: add them to a rule (null when they say nothing about the phase)').toEqual([]);
  });
});
