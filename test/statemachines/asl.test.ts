import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ctx } from '../../src/core/contracts.ts';

/**
 * Every statemachines/*.asl.json is valid ASL (asl-validator and statelint, both run: they catch different
 * things) once its CloudFormation intrinsics are replaced the way the deploy plugin replaces them, and follows
 * the house rules: JSONPath only, a timeout on every Task, the standard Lambda Retry on every Lambda Task, a
 * timeout and a States.Timeout Catch on every callback Task, every state reachable, every target present.
 */

const require = createRequire(import.meta.url);
// Both packages are CommonJS without type declarations: typed here by what the test uses.
type AslValidator = (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };
type StateLintFactory = () => { validate: (definition: unknown) => string[] };
const aslValidator = require('asl-validator') as AslValidator;
const statelint = require('@wmfs/statelint') as StateLintFactory;

const root = resolve(import.meta.dirname, '../..');
const dir = resolve(root, 'statemachines');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.asl.json'))
  .sort();

type Json = Record<string, unknown>;
type State = Json & { Type: string };
interface Scope {
  where: string;
  StartAt: string;
  States: Record<string, State>;
}

const load = (file: string) => JSON.parse(readFileSync(resolve(dir, file), 'utf8')) as Json;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{"Fn::GetAtt": [...]}`, `{"Ref": ...}`, `{"Fn::Sub": ...}`: a CloudFormation intrinsic, one key. */
function isIntrinsic(v: unknown): v is Json {
  if (!isObject(v)) return false;
  const keys = Object.keys(v);
  return keys.length === 1 && (keys[0] === 'Ref' || (keys[0] as string).startsWith('Fn::'));
}

function intrinsicName(v: Json): string {
  const getAtt = v['Fn::GetAtt'];
  if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  if (typeof v.Ref === 'string') return v.Ref;
  return 'Intrinsic';
}

const placeholderArn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

/**
 * A deep copy in which every intrinsic object is a placeholder Lambda ARN, as serverless-step-functions turns
 * `{"Fn::GetAtt": ["RouteLambdaFunction", "Arn"]}` into the function's ARN at deploy time.
 */
function withPlaceholders(value: unknown): unknown {
  if (isIntrinsic(value)) return placeholderArn(intrinsicName(value));
  if (Array.isArray(value)) return value.map(withPlaceholders);
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withPlaceholders(v)]));
  return value;
}

/** The machine and every nested one (Parallel branches, Map item processors), each with its own StartAt. */
function scopes(definition: Json, where = 'machine'): Scope[] {
  const scope = { where, StartAt: definition.StartAt as string, States: (definition.States ?? {}) as Record<string, State> };
  const nested: Scope[] = [];
  for (const [name, state] of Object.entries(scope.States)) {
    const branches = Array.isArray(state.Branches) ? (state.Branches as Json[]) : [];
    branches.forEach((b, i) => nested.push(...scopes(b, `${where}.${name}.Branches[${i}]`)));
    const processor = state.ItemProcessor ?? state.Iterator;
    if (isObject(processor)) nested.push(...scopes(processor, `${where}.${name}.ItemProcessor`));
  }
  return [scope, ...nested];
}

function allStates(definition: Json): [string, State][] {
  return scopes(definition).flatMap((s) => Object.entries(s.States).map(([name, st]) => [`${s.where}.${name}`, st] as [string, State]));
}

const tasks = (definition: Json) => allStates(definition).filter(([, s]) => s.Type === 'Task');

/** Resource an intrinsic, a Lambda ARN, or the lambda:invoke integration (request-response or callback). */
function isLambdaTask(state: State): boolean {
  const r = state.Resource;
  if (isIntrinsic(r)) return true;
  if (typeof r !== 'string') return false;
  return /^arn:aws[a-z-]*:lambda:/.test(r) || /^arn:aws[a-z-]*:states:::lambda:invoke(\.waitForTaskToken)?$/.test(r);
}

const isCallbackTask = (state: State) => typeof state.Resource === 'string' && state.Resource.endsWith('.waitForTaskToken');
const hasTimeout = (state: State) => state.TimeoutSeconds !== undefined || state.TimeoutSecondsPath !== undefined;
const errorsOf = (list: unknown) => (Array.isArray(list) ? (list as Json[]) : []).map((r) => (Array.isArray(r.ErrorEquals) ? (r.ErrorEquals as string[]) : []));

/** The correlation keys every Task passes (contracts.ts `Ctx`): the wave machine runs for a wave, a server execution for one server. */
const WAVE_CTX = { 'execution.$': '$$.Execution.Id', 'wave.$': '$$.Execution.Input.wave' };
const LIFECYCLE_CTX = { ...WAVE_CTX, 'application.$': '$$.Execution.Input.application', 'server.$': '$$.Execution.Input.serverId' };

/** The transient Lambda errors the standard Lambda Retry block covers (AWS's recommended retrier). */
const LAMBDA_TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];

/**
 * Callback Tasks that may lack a TimeoutSeconds/TimeoutSecondsPath or a States.Timeout Catch, per file and
 * state, each with the reason taken from the ASL's own structure. None today: every callback Task has both.
 */
const CALLBACK_EXCEPTIONS: Record<string, Record<string, string>> = {};

/** Fields that only exist in JSONata (or in JSONPath variables, which the local runner cannot run). */
const JSONATA_STATE_FIELDS = ['Arguments', 'Assign', 'Output'];

function choiceRules(state: State): Json[] {
  const out: Json[] = [];
  const walk = (rule: unknown) => {
    if (!isObject(rule)) return;
    out.push(rule);
    for (const k of ['And', 'Or']) if (Array.isArray(rule[k])) (rule[k] as unknown[]).forEach(walk);
    walk(rule.Not);
  };
  if (Array.isArray(state.Choices)) (state.Choices as unknown[]).forEach(walk);
  return out;
}

function transitions(state: State): string[] {
  const targets: string[] = [];
  if (typeof state.Next === 'string') targets.push(state.Next);
  if (typeof state.Default === 'string') targets.push(state.Default);
  for (const c of Array.isArray(state.Choices) ? (state.Choices as Json[]) : []) if (typeof c.Next === 'string') targets.push(c.Next);
  for (const c of Array.isArray(state.Catch) ? (state.Catch as Json[]) : []) if (typeof c.Next === 'string') targets.push(c.Next);
  return targets;
}

describe('the ASL checks themselves', () => {
  it('finds at least one state machine in statemachines/', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it('replaces every intrinsic with a placeholder Lambda ARN in a copy, leaving the original untouched', () => {
    const original = { A: { Resource: { 'Fn::GetAtt': ['RouteLambdaFunction', 'Arn'] }, Parameters: { FunctionName: { 'Fn::GetAtt': ['NotifyOpsLambdaFunction', 'Arn'] }, TopicArn: { Ref: 'OpsTopic' } } } };
    const before = structuredClone(original);
    expect(withPlaceholders(original)).toEqual({
      A: {
        Resource: placeholderArn('RouteLambdaFunction'),
        Parameters: { FunctionName: placeholderArn('NotifyOpsLambdaFunction'), TopicArn: placeholderArn('OpsTopic') },
      },
    });
    expect(original).toEqual(before);
  });

  it('rejects a definition with a missing target in both validators', () => {
    const broken = { StartAt: 'A', States: { A: { Type: 'Pass', Next: 'Missing' } } };
    expect(aslValidator(structuredClone(broken)).isValid).toBe(false);
    expect(statelint().validate(structuredClone(broken))).not.toEqual([]);
  });
});

describe.each(files)('statemachines/%s', (file) => {
  const definition = load(file);
  const deployed = withPlaceholders(definition) as Json;

  it('passes asl-validator once intrinsics are placeholder ARNs', () => {
    const result = aslValidator(structuredClone(deployed)); // asl-validator mutates its argument
    expect(result.errorsText('\n')).toBe('');
    expect(result.isValid).toBe(true);
  });

  it('passes statelint once intrinsics are placeholder ARNs', () => {
    expect(statelint().validate(structuredClone(deployed))).toEqual([]);
  });

  it('is JSONPath only: no JSONata query language, no Arguments, Assign, Output or Condition', () => {
    const found: string[] = [];
    const checkLanguage = (where: string, v: unknown) => {
      if (v !== undefined && v !== 'JSONPath') found.push(`${where}.QueryLanguage = ${String(v)}`);
    };
    checkLanguage('machine', definition.QueryLanguage);
    for (const [where, state] of allStates(definition)) {
      checkLanguage(where, state.QueryLanguage);
      for (const f of JSONATA_STATE_FIELDS) if (f in state) found.push(`${where}.${f}`);
      for (const c of Array.isArray(state.Catch) ? (state.Catch as Json[]) : []) for (const f of JSONATA_STATE_FIELDS) if (f in c) found.push(`${where}.Catch.${f}`);
      for (const rule of choiceRules(state)) if ('Condition' in rule) found.push(`${where}.Choices.Condition`);
    }
    const jsonata = JSON.stringify(definition).match(/"\{%[^"]*%\}"/g) ?? [];
    expect([...found, ...jsonata]).toEqual([]);
  });

  it('gives every Task a TimeoutSeconds or TimeoutSecondsPath', () => {
    expect(tasks(definition).filter(([, s]) => !hasTimeout(s)).map(([w]) => w)).toEqual([]);
  });

  it('gives every Lambda Task the standard Lambda Retry (the transient Lambda.* errors)', () => {
    const lambdaTasks = tasks(definition).filter(([, s]) => isLambdaTask(s));
    expect(lambdaTasks.length).toBeGreaterThan(0);
    const missing = lambdaTasks.flatMap(([where, s]) => {
      const retried = errorsOf(s.Retry).flat();
      if (retried.includes('States.ALL')) return [];
      const absent = LAMBDA_TRANSIENT.filter((e) => !retried.includes(e));
      return absent.length ? [`${where}: no Retry for ${absent.join(', ')}`] : [];
    });
    expect(missing).toEqual([]);
  });

  it("passes the correlation keys as the same ctx object in every Lambda Task's payload (functions/_lib/runtime.ts logs them)", () => {
    const payloads = tasks(definition)
      .filter(([, s]) => isLambdaTask(s))
      .map(([where, s]) => {
        const params = (s.Parameters ?? {}) as Json;
        return [where, (isCallbackTask(s) || String(s.Resource).includes(':::lambda:invoke') ? (params.Payload ?? {}) : params) as Json] as const;
      });
    const expected = file === 'wave.asl.json' ? WAVE_CTX : LIFECYCLE_CTX;
    expect(payloads.filter(([, p]) => JSON.stringify(p.ctx) !== JSON.stringify(expected)).map(([where]) => where)).toEqual([]);
    // every key is one the Ctx contract accepts
    expect(Object.keys(expected).map((k) => k.replace(/\.\$$/, '')).filter((k) => !(k in Ctx.shape))).toEqual([]);
  });

  it('gives every callback Task a timeout, the task token and a Catch for States.Timeout (or a listed exception)', () => {
    const exceptions = CALLBACK_EXCEPTIONS[file] ?? {};
    const states = (definition.States ?? {}) as Record<string, State>;
    const problems = tasks(definition)
      .filter(([, s]) => isCallbackTask(s))
      .flatMap(([where, s]) => {
        const out: string[] = [];
        if (!JSON.stringify(s.Parameters ?? {}).includes('"$$.Task.Token"')) out.push(`${where}: never passes $$.Task.Token`);
        const name = where.slice(where.lastIndexOf('.') + 1);
        if (exceptions[name]) return out;
        if (!hasTimeout(s)) out.push(`${where}: no TimeoutSeconds or TimeoutSecondsPath`);
        if (!errorsOf(s.Catch).some((e) => e.includes('States.Timeout'))) out.push(`${where}: no Catch for States.Timeout`);
        return out;
      });
    expect(problems).toEqual([]);
    // a listed exception names a callback Task that really lacks the timeout or the Catch, with a reason
    for (const [name, reason] of Object.entries(exceptions)) {
      const s = states[name];
      expect(s && isCallbackTask(s), `${name} is listed but is not a callback Task`).toBe(true);
      expect(reason.length).toBeGreaterThan(0);
      expect(!hasTimeout(s as State) || !errorsOf((s as State).Catch).some((e) => e.includes('States.Timeout')), `${name} is listed but has both: drop it from the list`).toBe(true);
    }
  });

  it('reaches every state from StartAt, and every Next, Default and Catch target exists', () => {
    const problems: string[] = [];
    for (const scope of scopes(definition)) {
      const names = new Set(Object.keys(scope.States));
      if (!names.has(scope.StartAt)) problems.push(`${scope.where}: StartAt ${scope.StartAt} does not exist`);
      for (const [name, state] of Object.entries(scope.States)) {
        for (const t of transitions(state)) if (!names.has(t)) problems.push(`${scope.where}.${name}: target ${t} does not exist`);
      }
      const reached = new Set<string>();
      const queue = [scope.StartAt];
      while (queue.length) {
        const name = queue.shift() as string;
        if (reached.has(name) || !names.has(name)) continue;
        reached.add(name);
        queue.push(...transitions(scope.States[name] as State));
      }
      for (const name of names) if (!reached.has(name)) problems.push(`${scope.where}.${name}: unreachable from ${scope.StartAt}`);
    }
    expect(problems).toEqual([]);
  });
});
