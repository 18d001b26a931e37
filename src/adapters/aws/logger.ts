import { Logger } from '@aws-lambda-powertools/logger';

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

/**
 * The Powertools Logger for mgn-flow. Whatever is logged, a key named token/taskToken/secret/sig is dropped
 * when the log line is serialised (jsonReplacerFn), so a forgotten `redact()` still cannot leak a token.
 */
export function createLogger(opts: { serviceName?: string; persistentKeys?: Record<string, string> } = {}): Logger {
  return new Logger({
    serviceName: opts.serviceName ?? 'mgn-flow',
    ...(opts.persistentKeys ? { persistentKeys: opts.persistentKeys } : {}),
    jsonReplacerFn: (key, value) => (key !== '' && isSecretKey(key) ? undefined : value),
  });
}
