import middy from '@middy/core';
import type { z } from 'zod';
import type { MgnPort } from '../../src/ports.ts';
import { type Deps, createDeps, createLogger, loadConfig } from '../../src/adapters/aws/index.ts';

/**
 * Shared by every handler: the ports, built once per container from the environment (config parsed with zod
 * at cold start), and the middy wrapper that parses the event with the handler's contract. Logs never carry
 * task tokens (the logger redacts them).
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
 *   `const spec: HandlerSpec = { name: 'approvalPage', uses: ['links', 'gates', ...] };` then `portView(spec, deps())`.
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

export const logger = createLogger();

/** The ports a handler may see: all but the raw SDK clients (which would bypass the declaration). */
export type HandlerDeps = Omit<Deps, 'clients'>;
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
 * plain object.
 */
export function portView(spec: HandlerSpec, all: Deps, account?: string | null): HandlerDeps {
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
      if (prop === 'clients' || (portNames.has(prop) && !declared(prop))) {
        throw new UndeclaredPortError(`${where} uses port '${prop}' but does not declare it in uses`);
      }
      if (prop === 'mgn') return mgn;
      return portNames.has(prop) ? (all as unknown as Record<string, unknown>)[prop] : undefined;
    },
    has: (_t, prop) => typeof prop === 'string' && portNames.has(prop) && declared(prop),
    ownKeys: () => [...portNames].filter(declared),
    getOwnPropertyDescriptor: (_t, prop) =>
      typeof prop === 'string' && portNames.has(prop) && declared(prop) ? { enumerable: true, configurable: true, writable: false, value: prop === 'mgn' ? mgn : (all as unknown as Record<string, unknown>)[prop] } : undefined,
  });
}

/** `d` with extra values (read first); every other key goes to `d`, still checked. */
export function extend<D extends object, E extends object>(d: D, extra: E): D & E {
  return Object.assign(Object.create(d) as D, extra) as D & E;
}

export function handle<S extends z.ZodType, R>(spec: HandlerSpec, schema: S, useCase: (input: z.infer<S>, d: HandlerDeps) => Promise<R>) {
  const handler = middy(async (event: unknown): Promise<R> => {
    const input = schema.parse(event);
    // a server of an application in another account (MGN's global view): every MGN call carries its accountID
    const account = typeof input === 'object' && input !== null ? (input as { account?: string | null }).account : undefined;
    const result = await useCase(input, portView(spec, deps(), account));
    logger.debug(spec.name, { result: result as never });
    return result;
  });
  return Object.assign(handler, { spec: { name: spec.name, uses: [...spec.uses] } as HandlerSpec });
}
