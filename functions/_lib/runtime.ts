import middy, { type MiddlewareObj } from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import type { Log, MgnPort } from '../../src/ports.ts';
import { Ctx } from '../../src/core/contracts.ts';
import { parseExecutionName } from '../../src/core/wave.ts';
import { type Deps, type FlowLogger, createDeps, createLogger, loadConfig } from '../../src/adapters/aws/index.ts';
import { SERVER_ID_SOURCE } from '../../src/core/ids.ts';

/**
 * Shared by every handler: the ports, built once per container from the environment (config parsed with zod
 * at cold start), and `handle()`, the middy stack every handler runs in:
 *
 *   1. correlate: the invocation's own logger, a child of `logger` carrying the correlation keys (wave,
 *      application, server, execution) as persistent keys, with the Lambda context on it (Powertools
 *      `injectLambdaContext`: function name, request id, cold start). The keys come from the `ctx` object the
 *      state machines pass in every Task's payload (contracts.ts `Ctx`), else from the event itself (a
 *      `serverId`, a Step Functions status event's execution, an MGN event's source server).
 *   2. parse: `ctx` is taken off the event, the rest parsed with the handler's zod contract; a failure throws
 *      InvalidInputError naming the function and the field ("functions/archive-server: invalid input:
 *      serverId: a source server id such as s-1234567890abcdef0").
 *   3. the use case, given the deps view with the invocation's logger as its `log` port (src/ports.ts `Log`):
 *      core logs through it, so its lines carry the keys too.
 *   4. onError: the error is logged once ("invocation failed"), with the keys, and rethrown: at info when it is
 *      a named error the state machine's Retry/Catch decides on, at error otherwise (a bug, a bad input).
 *
 * One child logger per invocation, never `appendKeys` on a shared logger: the local cloud runs many
 * invocations of the same module concurrently in one process, and a shared logger would mix their keys.
 * Logs never carry task tokens (the logger drops token/taskToken/secret/sig keys, children included).
 *
 * THE HANDLER CONVENTION: every handler declares the ports it uses, and gets a view of the ports that holds
 * only those:
 *
 *   export const handler = handle(
 *     { name: 'arriveAtGate', uses: ['clock', 'waits', 'gates', 'callbacks', 'notifier'] },
 *     ArriveAtGateInput,
 *     (input, d) => arriveAtGate(d, input),
 *   );
 *
 * - `name` is the function key in serverless.yml (functions/<kebab of name>/handler.ts).
 * - `uses` is a LITERAL array of strings (deploy/iam.ts reads it from the source to build the function's IAM
 *   role): a port of `Deps` by name (`waits`, `gates`, `notifier`, `clock`, ...), and MGN per method
 *   (`mgn.describeServers`, `mgn.startCutover`, ...): a function that only reads MGN gets no right to launch.
 * - Touching a port (or MGN method) not declared throws UndeclaredPortError at once, e.g. "functions/arrive-at-gate
 *   uses port 'mgn' but does not declare it in uses": the local-cloud scenario tests run every handler with
 *   the real code, so a declaration cannot drift from what the handler does, and the IAM built from it is
 *   exactly enough.
 * - Do not spread `d` (`{ ...d }` copies only the declared ports and loses the check); to add values, use
 *   `extend(d, { maxStallRetries: ... })`.
 * - A new port in src/adapters/aws/deps.ts needs its IAM in deploy/iam.ts (test/deploy says so).
 * - A handler with its own middy stack (an HTTP handler) declares the same way and takes the same view:
 *   `const spec: HandlerSpec = { name: 'approvalPage', uses: [...] };` then `.use(portViewOf(spec))` (context.deps).
 *   Exactly one `uses: [...]` literal per handler file: deploy/serverless-plugin.js reads it at package time.
 * `deps()` (everything) stays for callers that need all ports, such as the CLI.
 */

let built: { env: string; deps: Deps } | undefined;
/** What the ports are built from; on AWS it never changes, locally a second cloud in one process gets fresh ports. */
const ENV = ['AWS_REGION', 'AWS_ENDPOINT_URL_MGN', 'AWS_ENDPOINT_URL_SFN', 'AWS_ENDPOINT_URL_SNS', 'AWS_ENDPOINT_URL_DYNAMODB', 'STATE_TABLE', 'OPS_TOPIC_ARN'];
export function deps(): Deps {
  const env = ENV.map((k) => process.env[k] ?? '').join('|');
  if (built?.env !== env) built = { env, deps: createDeps(loadConfig()) };
  return built.deps;
}

/** The container's logger: each invocation logs through its own child (`handle()`). */
export const logger = createLogger();

/** The ports a handler may see: all but the raw SDK clients (which would bypass the declaration), and the invocation's log. */
export type HandlerDeps = Omit<Deps, 'clients'> & { log: Log };
/** MGN is declared per method; every other port by name. */
export type Use = Exclude<keyof HandlerDeps, 'mgn'> | `mgn.${keyof MgnPort & string}`;
export interface HandlerSpec {
  /** The function key in serverless.yml. */
  name: string;
  uses: readonly Use[];
}

/** A handler touched a port (or an MGN method) its `uses` does not declare. */
export class UndeclaredPortError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UndeclaredPortError';
  }
}

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/**
 * A view of `all` holding only the declared ports; any other port throws UndeclaredPortError when touched.
 * Keys that are not ports (e.g. an optional `limits` the core reads if present) read as undefined, as on a
 * plain object. `log` (the invocation's logger; the container's when not given) needs no declaration: it
 * needs no IAM.
 */
export function portView(spec: HandlerSpec, all: Deps, log: Log = logger.asPort(), account?: string | null): HandlerDeps {
  const where = `functions/${kebab(spec.name)}`;
  const ports = new Set<string>(spec.uses.filter((u) => !u.includes('.')));
  const mgnMethods = new Set(spec.uses.filter((u) => u.startsWith('mgn.')).map((u) => u.slice(4)));
  const portNames = new Set(Object.keys(all).filter((k) => k !== 'clients'));
  // the port scoped to the account the input names (MGN's accountID on every call); the same checks on any scope
  const guard = (port: MgnPort): MgnPort =>
    new Proxy(port, {
      get(target, prop, receiver) {
        if (prop === 'forAccount') return (a: string | null | undefined) => guard(target.forAccount(a));
        if (typeof prop === 'string' && prop !== 'account' && prop in target && !mgnMethods.has(prop)) {
          throw new UndeclaredPortError(`${where} uses 'mgn.${prop}' but does not declare it in uses (declared: ${[...mgnMethods].map((m) => `mgn.${m}`).join(', ')})`);
        }
        return Reflect.get(target, prop, receiver);
      },
    });
  const mgn = mgnMethods.size === 0 ? undefined : guard(all.mgn.forAccount(account));
  const declared = (key: string) => (key === 'mgn' ? mgn !== undefined : ports.has(key));
  return new Proxy({} as HandlerDeps, {
    get(_t, prop) {
      if (typeof prop !== 'string') return undefined;
      if (prop === 'log') return log;
      if (prop === 'clients' || (portNames.has(prop) && !declared(prop))) {
        throw new UndeclaredPortError(`${where} uses port '${prop}' but does not declare it in uses`);
      }
      if (prop === 'mgn') return mgn;
      return portNames.has(prop) ? (all as unknown as Record<string, unknown>)[prop] : undefined;
    },
    has: (_t, prop) => prop === 'log' || (typeof prop === 'string' && portNames.has(prop) && declared(prop)),
    ownKeys: () => [...[...portNames].filter(declared), 'log'],
    getOwnPropertyDescriptor: (_t, prop) =>
      prop === 'log'
        ? { enumerable: true, configurable: true, writable: false, value: log }
        : typeof prop === 'string' && portNames.has(prop) && declared(prop)
          ? { enumerable: true, configurable: true, writable: false, value: prop === 'mgn' ? mgn : (all as unknown as Record<string, unknown>)[prop] }
          : undefined,
  });
}

/** `d` with extra values (read first); every other key goes to `d`, still checked. */
export function extend<D extends object, E extends object>(d: D, extra: E): D & E {
  return Object.assign(Object.create(d) as D, extra) as D & E;
}

/** The event did not match the handler's contract. */
export class InvalidInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidInputError';
  }
}

/** What the middlewares keep on the invocation's context. */
export interface InvocationContext extends Context {
  /** The invocation's own logger, with the correlation keys and the Lambda context. */
  log: FlowLogger;
  /** The handler's view of the ports (`portViewOf`): only what its `uses` declares, MGN scoped to the input's account. */
  deps: HandlerDeps;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v.slice(0, 2048) : undefined);
const SOURCE_SERVER = new RegExp(`:source-server/(${SERVER_ID_SOURCE})$`);

/**
 * The correlation keys of an event: the `ctx` a state machine passes, else what the event says of itself (a
 * Task input's serverId/wave/application, a Step Functions status event's execution and the wave and server
 * its name carries, an MGN event's source server). Absent keys are left out.
 */
export function correlationKeys(event: unknown): Record<string, string> {
  const e = (event && typeof event === 'object' ? event : {}) as Record<string, unknown>;
  const ctx = (e.ctx && typeof e.ctx === 'object' ? e.ctx : {}) as Record<string, unknown>;
  const detail = (e.detail && typeof e.detail === 'object' ? e.detail : {}) as Record<string, unknown>;
  const execution = str(ctx.execution) ?? str(e.executionArn) ?? (e.source === 'aws.states' ? str(detail.executionArn) : undefined);
  const named = execution ? parseExecutionName(execution.split(':').pop() ?? '') : undefined;
  const resource = Array.isArray(e.resources) ? e.resources.map((r) => SOURCE_SERVER.exec(String(r))?.[1]).find(Boolean) : undefined;
  const keys: Record<string, string | undefined> = {
    wave: str(ctx.wave) ?? str(e.wave) ?? named?.wave,
    application: str(ctx.application) ?? str(e.application),
    server: str(ctx.server) ?? str(e.serverId) ?? named?.serverId ?? resource,
    execution,
  };
  return Object.fromEntries(Object.entries(keys).filter((kv): kv is [string, string] => kv[1] !== undefined));
}

const UNNAMED = new Set(['Error', 'TypeError', 'RangeError', 'ReferenceError', 'SyntaxError', 'InvalidInputError', 'UndeclaredPortError']);
const expected = (err: Error | null | undefined) => typeof err?.name === 'string' && !UNNAMED.has(err.name);

/**
 * The invocation's logger (`context.log`) with its keys and the Lambda context; errors logged once on the way
 * out. `handle()` uses it; a handler with its own middy stack (the approval page) too.
 */
export function invocationLogger<E = unknown, R = unknown>(): MiddlewareObj<E, R, Error, InvocationContext> {
  let first = true;
  return {
    before: async (request) => {
      const log = logger.forInvocation(correlationKeys(request.event), first);
      first = false;
      // Powertools' own middleware, on this invocation's logger (function name, request id, cold start)
      await injectLambdaContext(log).before?.(request as never);
      request.context.log = log;
    },
    onError: async (request) => {
      const log = request.context.log ?? logger;
      const err = request.error;
      const error = { name: err?.name, message: err?.message };
      // a named error (ServerNotReadyError, JobSlotBusyError, ThrottlingException, ...) is the state machine's
      // to decide (Retry/Catch): info; anything else (a bug, a bad input) is an error
      if (expected(err)) log.info('invocation failed', { error });
      else log.error('invocation failed', { error, ...(err?.stack ? { stack: err.stack } : {}) });
    },
  };
}

/** `ctx` off the event, the rest parsed with the handler's contract. */
function parse(spec: HandlerSpec, schema: z.ZodType): MiddlewareObj<unknown, unknown, Error, InvocationContext> {
  const where = `functions/${kebab(spec.name)}`;
  const problems = (error: z.ZodError, prefix = '') => error.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.') || '(the event)'}: ${i.message}`).join('; ');
  return {
    before: (request) => {
      let event = request.event;
      if (event && typeof event === 'object' && !Array.isArray(event) && 'ctx' in event) {
        const { ctx, ...rest } = event as Record<string, unknown>;
        const c = Ctx.safeParse(ctx);
        if (!c.success) throw new InvalidInputError(`${where}: invalid input: ${problems(c.error, 'ctx')}`);
        event = rest;
      }
      const r = schema.safeParse(event);
      if (!r.success) throw new InvalidInputError(`${where}: invalid input: ${problems(r.error)}`);
      request.event = r.data;
    },
  };
}

/**
 * The port view as a middleware (after the logger and the parsing): `context.deps` holds only the ports the
 * handler declares, logging to the invocation's logger, MGN scoped to the account the input names (an
 * application in another account of MGN's global view: every MGN call carries its accountID).
 */
export function portViewOf<E = unknown, R = unknown>(spec: HandlerSpec): MiddlewareObj<E, R, Error, InvocationContext> {
  return {
    before: (request) => {
      const input = request.event as unknown;
      const account = typeof input === 'object' && input !== null ? (input as { account?: string | null }).account : undefined;
      request.context.deps = portView(spec, deps(), request.context.log.asPort(), account);
    },
  };
}

export function handle<S extends z.ZodType, R>(spec: HandlerSpec, schema: S, useCase: (input: z.infer<S>, d: HandlerDeps) => Promise<R>) {
  const handler = middy<unknown, R, Error, InvocationContext>()
    .use(invocationLogger<unknown, R>())
    .use(parse(spec, schema) as MiddlewareObj<unknown, R, Error, InvocationContext>)
    .use(portViewOf<unknown, R>(spec))
    .handler(async (input, context): Promise<R> => {
      const result = await useCase(input as z.infer<S>, context.deps);
      context.log.debug(spec.name, { result: result as never });
      return result;
    });
  return Object.assign(handler, { spec: { name: spec.name, uses: [...spec.uses] } as HandlerSpec });
}
