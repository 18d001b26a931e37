import { MgnConflictError, TaskClosedError, TransientError } from '../../core/errors.ts';

/**
 * The services' error names the core decides on, translated here into the named errors of src/core/errors.ts.
 * This is the one place that knows them: the core checks `instanceof` only.
 */

/** Step Functions' answers for a token whose task is closed (resumed, timed out, stopped) or that is not a token. */
export const CLOSED_TASK_ERRORS = ['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken'] as const;
/** MGN refusing a call in the server's present state. */
export const MGN_CONFLICT_ERRORS = ['ConflictException'] as const;
/** Refused for rate: the call was not applied. */
const THROTTLED = /Throttl|TooManyRequests|RequestLimitExceeded|ProvisionedThroughputExceeded|SlowDown/;
/** No answer: a 5xx, a timeout, a dropped connection (the call may have applied). */
const UNAVAILABLE = /InternalServer|InternalFailure|InternalError|ServiceUnavailable|RequestTimeout|TimeoutError/;
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);

/** Which service a client talks to: the names mean something only for their service. */
export type ErrorScope = 'mgn' | 'sfn' | 'other';

function has(list: readonly string[], name: string): boolean {
  return list.includes(name);
}

/** The named error for `err` (from a client of `scope`), or `err` itself when the core has no name for it. */
export function toDomainError(err: unknown, scope: ErrorScope): unknown {
  if (!(err instanceof Error) || err instanceof TaskClosedError || err instanceof MgnConflictError || err instanceof TransientError) return err;
  const name = err.name;
  // the token never goes into a message: Step Functions' own message does not carry it
  if (scope === 'sfn' && has(CLOSED_TASK_ERRORS, name)) return new TaskClosedError(`${name}: ${err.message}`, { cause: err });
  if (scope === 'mgn' && has(MGN_CONFLICT_ERRORS, name)) return new MgnConflictError(err.message, { cause: err });
  const code = (err as { code?: unknown }).code;
  const throttled = THROTTLED.test(name);
  if (throttled || UNAVAILABLE.test(name) || (typeof code === 'string' && NETWORK_CODES.has(code))) {
    const out = new TransientError(err.message, { cause: err, name, throttled });
    // the SDK's request metadata (attempts, status) stays readable
    const metadata = (err as { $metadata?: unknown }).$metadata;
    return metadata === undefined ? out : Object.assign(out, { $metadata: metadata });
  }
  return err;
}

/** What of an SDK client this needs: its middleware stack. */
interface WithMiddleware {
  middlewareStack: { add(middleware: never, options: { step: 'initialize'; name: string; override: boolean }): void };
}

type Next = (args: unknown) => Promise<unknown>;

/**
 * Translate the client's errors for the core, once the SDK's own retries are done (the initialize step wraps
 * them). Returns the client; adding it again replaces it.
 */
export function withDomainErrors<C extends WithMiddleware>(client: C, scope: ErrorScope): C {
  const middleware = (next: Next) => async (args: unknown) => {
    try {
      return await next(args);
    } catch (err) {
      throw toDomainError(err, scope);
    }
  };
  client.middlewareStack.add(middleware as never, { step: 'initialize', name: 'mgnFlowDomainErrors', override: true });
  return client;
}
