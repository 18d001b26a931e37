import { Logger } from '@aws-lambda-powertools/logger';
import type { ConstructorOptions, LogLevel } from '@aws-lambda-powertools/logger/types';
import type { Log } from '../../ports.ts';

/** Keys whose values never reach a log: task tokens, approval secrets and link signatures. */
export const SECRET_KEYS = ['token', 'taskToken', 'secret', 'sig'] as const;
const SECRET = new Set(SECRET_KEYS.map((k) => k.toLowerCase()));

export function isSecretKey(key: string): boolean {
  return SECRET.has(key.toLowerCase());
}

/** A copy of `value` without any key named token/taskToken/secret/sig, at any depth. */
export function redact<T>(value: T): T {
  const seen = new WeakMap<object, unknown>();
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    if (v instanceof Date) return v;
    if (seen.has(v)) return seen.get(v);
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const x of v) out.push(walk(x));
      return out;
    }
    if (v instanceof Error) {
      const out: Record<string, unknown> = { name: v.name, message: v.message };
      seen.set(v, out);
      for (const [k, x] of Object.entries(v)) if (!isSecretKey(k)) out[k] = walk(x);
      if (v.stack) out.stack = v.stack;
      return out;
    }
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const [k, x] of Object.entries(v)) if (!isSecretKey(k)) out[k] = walk(x);
    return out;
  };
  return walk(value) as T;
}

const LEVELS = new Set(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL', 'SILENT']);

/**
 * The Powertools Logger of mgn-flow. `forInvocation` gives each Lambda invocation its own child logger with the
 * invocation's correlation keys as persistent keys: the local cloud runs many invocations of the same handler
 * module concurrently in one process, where `appendKeys` on one shared logger would put one invocation's keys
 * on another's lines.
 */
export class FlowLogger extends Logger {
  /**
   * A child for one invocation, carrying `keys` on every line. `coldStart`: the first invocation of this
   * function's container (a child is a new Logger: left to itself, each child would report a cold start).
   */
  forInvocation(keys: Record<string, string>, coldStart: boolean): FlowLogger {
    // the level as the environment says now (the local cloud sets it after a test may have loaded the module)
    const level = process.env.POWERTOOLS_LOG_LEVEL?.toUpperCase();
    const child = this.createChild({ persistentKeys: keys, ...(level && LEVELS.has(level) ? { logLevel: level as LogLevel } : {}) }) as FlowLogger;
    if (!coldStart) child.coldStart = false;
    return child;
  }

  /** This logger as the core's Log port (fields become keys of the line). */
  asPort(): Log {
    const at = (level: 'debug' | 'info' | 'warn' | 'error') => (message: string, fields?: Record<string, unknown>) => (fields ? this[level](message, fields) : this[level](message));
    return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
  }

  protected override createLogger(options?: ConstructorOptions): FlowLogger {
    return new FlowLogger(options);
  }
}

/**
 * The Powertools Logger for mgn-flow. Whatever is logged, a key named token/taskToken/secret/sig is dropped
 * when the log line is serialised (jsonReplacerFn), so a forgotten `redact()` still cannot leak a token; a
 * child logger (`forInvocation`, `createChild`) keeps the replacer.
 */
export function createLogger(opts: { serviceName?: string; persistentKeys?: Record<string, string> } = {}): FlowLogger {
  return new FlowLogger({
    serviceName: opts.serviceName ?? 'mgn-flow',
    ...(opts.persistentKeys ? { persistentKeys: opts.persistentKeys } : {}),
    jsonReplacerFn: (key, value) => (key !== '' && isSecretKey(key) ? undefined : value),
  });
}
