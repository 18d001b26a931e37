import type { Log } from '../ports.ts';

/**
 * The core's logging, through the Log port (src/ports.ts). A handler's deps view always carries the
 * invocation's logger (functions/_lib/runtime.ts); a caller without one (the CLI, a script, a unit test)
 * gets its warnings and errors as JSON lines on stderr, so no failure the core continues past goes unseen.
 */

const stderrLog: Log = {
  debug: () => undefined,
  info: () => undefined,
  warn: (message, fields) => console.error(JSON.stringify({ level: 'WARN', message, ...fields })),
  error: (message, fields) => console.error(JSON.stringify({ level: 'ERROR', message, ...fields })),
};

/** The log of these deps: the invocation's, or stderr. */
export function logOf(deps: { log?: Log | undefined }): Log {
  return deps.log ?? stderrLog;
}

/** An error as log fields: its name and message (never the whole object: a cause may carry a request). */
export function errorFields(err: unknown): { error: string; reason: string } {
  const e = err as { name?: unknown; message?: unknown } | null | undefined;
  return { error: typeof e?.name === 'string' ? e.name : typeof err, reason: typeof e?.message === 'string' ? e.message.slice(0, 500) : String(err).slice(0, 500) };
}

/**
 * A `.catch` for a failure that is safe to continue past: logged at warn with what failed (`message`, a
 * constant), why continuing is safe (`safe`) and the error; resolves to `fallback`.
 */
export function warnAndContinue<T = undefined>(deps: { log?: Log | undefined }, message: string, safe: string, fields: Record<string, unknown> = {}, fallback?: T): (err: unknown) => T {
  return (err) => {
    logOf(deps).warn(message, { ...fields, ...errorFields(err), safe });
    return fallback as T;
  };
}
