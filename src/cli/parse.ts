import { InvalidArgumentError } from 'commander';

/**
 * Option value parsers for commander's `.argParser()`. A bad value throws InvalidArgumentError, which
 * commander reports as `error: option '--port <port>' argument 'x' is invalid. Allowed: ...` (exit 2).
 */

export function wholeNumber(min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER): (raw: string) => number {
  const allowed =
    min === Number.MIN_SAFE_INTEGER
      ? 'a whole number'
      : max === Number.MAX_SAFE_INTEGER
        ? `a whole number >= ${min}`
        : `a whole number from ${min} to ${max}`;
  return (raw) => {
    const n = /^\s*[+-]?\d+\s*$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`Allowed: ${allowed}.`);
    return n;
  };
}

export function positiveNumber(raw: string): number {
  const n = raw.trim() === '' ? Number.NaN : Number(raw);
  if (!Number.isFinite(n) || n <= 0) {
    throw new InvalidArgumentError('Allowed: a number greater than 0, e.g. 0.5, 1 or 3600.');
  }
  return n;
}

/** For repeatable options (`--quota a=1 --quota b=2`). */
export function collect(value: string, previous: readonly string[] = []): string[] {
  return [...previous, value];
}
