import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse } from 'yaml';

/**
 * Reads serverless.yml the way the local cloud needs it: the functions with their handlers and events, the
 * state machines, the provider environment and the resources. Resolves the variables the project uses
 * (`${opt:stage, 'dev'}`, `${self:...}`, `${sls:stage}`, `${env:X, default}`, `${file(./x.json)}`); anything
 * else is an error that names the variable, so a new kind of reference is noticed rather than ignored.
 */

export interface ServerlessConfig {
  root: string;
  service: string;
  stage: string;
  region: string;
  provider: Record<string, unknown>;
  functions: Record<string, FunctionConfig>;
  stateMachines: Record<string, { name: string; definition: Record<string, unknown>; /** CloudFormation logical id (`id:`). */ logicalId?: string }>;
  resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  raw: Record<string, unknown>;
}

export interface FunctionConfig {
  key: string;
  handler: string;
  environment: Record<string, unknown>;
  timeout?: number;
  memorySize?: number;
  events: Record<string, unknown>[];
}

export class ServerlessConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerlessConfigError';
  }
}

export function readServerlessConfig(root: string, opts: { stage?: string; region?: string } = {}): ServerlessConfig {
  const file = resolve(root, 'serverless.yml');
  if (!existsSync(file)) throw new ServerlessConfigError(`${file} not found`);
  const raw = parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  const providerRaw = (raw.provider ?? {}) as Record<string, unknown>;
  const ctx = { root, raw, opts };
  const resolved = resolveValue(raw, ctx, 'serverless.yml') as Record<string, unknown>;
  const provider = (resolved.provider ?? {}) as Record<string, unknown>;
  const stage = opts.stage ?? (typeof provider.stage === 'string' ? provider.stage : 'dev');
  const region = opts.region ?? (typeof provider.region === 'string' ? provider.region : 'us-east-1');
  void providerRaw;
  const functions: Record<string, FunctionConfig> = {};
  for (const [key, f] of Object.entries((resolved.functions ?? {}) as Record<string, Record<string, unknown>>)) {
    if (typeof f?.handler !== 'string') throw new ServerlessConfigError(`serverless.yml: functions.${key}.handler must be a string such as functions/${key}/handler.handler`);
    functions[key] = {
      key,
      handler: f.handler,
      environment: (f.environment ?? {}) as Record<string, unknown>,
      ...(typeof f.timeout === 'number' ? { timeout: f.timeout } : {}),
      ...(typeof f.memorySize === 'number' ? { memorySize: f.memorySize } : {}),
      events: Array.isArray(f.events) ? (f.events as Record<string, unknown>[]) : [],
    };
  }
  const machines: ServerlessConfig['stateMachines'] = {};
  const sf = ((resolved.stepFunctions ?? {}) as Record<string, unknown>).stateMachines as Record<string, Record<string, unknown>> | undefined;
  for (const [id, m] of Object.entries(sf ?? {})) {
    if (!m?.definition || typeof m.definition !== 'object') throw new ServerlessConfigError(`serverless.yml: stepFunctions.stateMachines.${id}.definition must be an ASL object (\${file(./statemachines/x.asl.json)})`);
    machines[id] = { name: typeof m.name === 'string' ? m.name : id, definition: m.definition as Record<string, unknown>, ...(typeof m.id === 'string' ? { logicalId: m.id } : {}) };
  }
  const resources = (((resolved.resources ?? {}) as Record<string, unknown>).Resources ?? {}) as ServerlessConfig['resources'];
  return { root, service: String(resolved.service ?? 'service'), stage, region, provider, functions, stateMachines: machines, resources, raw: resolved };
}

interface Ctx {
  root: string;
  raw: Record<string, unknown>;
  opts: { stage?: string; region?: string };
}

const VAR = /\$\{([^{}]+)\}/g;

function resolveValue(value: unknown, ctx: Ctx, where: string): unknown {
  if (typeof value === 'string') return resolveString(value, ctx, where);
  if (Array.isArray(value)) return value.map((v, i) => resolveValue(v, ctx, `${where}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveValue(v, ctx, `${where}.${k}`)]));
  }
  return value;
}

function resolveString(s: string, ctx: Ctx, where: string): unknown {
  const whole = /^\$\{([^{}]+)\}$/.exec(s);
  if (whole) return resolveVariable((whole[1] as string).trim(), ctx, where);
  return s.replace(VAR, (_m, v: string) => String(resolveVariable(v.trim(), ctx, where)));
}

function splitDefault(expr: string): [string, string | undefined] {
  const i = expr.indexOf(',');
  if (i < 0) return [expr.trim(), undefined];
  return [expr.slice(0, i).trim(), expr.slice(i + 1).trim().replace(/^['"]|['"]$/g, '')];
}

function resolveVariable(expr: string, ctx: Ctx, where: string): unknown {
  // CloudFormation pseudo parameters inside Fn::Sub (`${AWS::Partition}`): left as they are, as osls does
  if (/^AWS::\w+$/.test(expr)) return `\${${expr}}`;
  const file = /^file\((.+)\)(?::(.+))?$/.exec(expr);
  if (file) {
    const path = resolve(ctx.root, (file[1] as string).trim());
    if (!existsSync(path)) throw new ServerlessConfigError(`${where}: \${file(${file[1]})}: ${path} not found`);
    const text = readFileSync(path, 'utf8');
    const parsed = path.endsWith('.json') ? (JSON.parse(text) as unknown) : (parse(text) as unknown);
    return resolveValue(parsed, { ...ctx, root: dirname(path) === ctx.root ? ctx.root : ctx.root }, `${where}(${file[1]})`);
  }
  const [ref, fallback] = splitDefault(expr);
  if (ref === 'opt:stage' || ref === 'sls:stage') return ctx.opts.stage ?? fallback ?? providerValue(ctx, 'stage') ?? 'dev';
  if (ref === 'opt:region' || ref === 'aws:region') return ctx.opts.region ?? fallback ?? providerValue(ctx, 'region') ?? 'us-east-1';
  if (ref.startsWith('opt:')) return fallback ?? '';
  if (ref.startsWith('env:')) return process.env[ref.slice(4)] ?? fallback ?? '';
  if (ref === 'aws:accountId') return '111122223333';
  if (ref.startsWith('self:')) {
    let cur: unknown = ctx.raw;
    for (const part of ref.slice(5).split('.')) cur = (cur as Record<string, unknown> | undefined)?.[part];
    if (cur === undefined) {
      if (fallback !== undefined) return fallback;
      throw new ServerlessConfigError(`${where}: \${${expr}} resolves to nothing`);
    }
    return resolveValue(cur, ctx, where);
  }
  if (ref.startsWith('param:')) return fallback ?? '';
  throw new ServerlessConfigError(`${where}: variable \${${expr}} is not supported by the local cloud`);
}

function providerValue(ctx: Ctx, key: string): string | undefined {
  const v = (ctx.raw.provider as Record<string, unknown> | undefined)?.[key];
  if (typeof v !== 'string') return undefined;
  const m = /^\$\{(.+)\}$/.exec(v);
  if (!m) return v;
  const [, fallback] = splitDefault(m[1] as string);
  return fallback;
}

/** serverless's logical id of a function: `launchTest` -> `LaunchTestLambdaFunction`. */
export function functionLogicalId(key: string): string {
  const normalized = key.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}
