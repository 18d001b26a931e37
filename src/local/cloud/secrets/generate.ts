import { randomInt } from 'node:crypto';

/**
 * Random secret values as Secrets Manager makes them (GetRandomPassword, and CloudFormation's
 * `GenerateSecretString` on an `AWS::SecretsManager::Secret`), from node:crypto.
 */

/** The punctuation Secrets Manager draws from (GetRandomPassword's documentation). */
export const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const DIGITS = '0123456789';

export const DEFAULT_PASSWORD_LENGTH = 32;
const MAX_PASSWORD_LENGTH = 4096;

/** GetRandomPassword's parameters, which are also `GenerateSecretString`'s. */
export interface PasswordOptions {
  PasswordLength?: number;
  ExcludeCharacters?: string;
  ExcludeNumbers?: boolean;
  ExcludePunctuation?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  IncludeSpace?: boolean;
  /** Default true: at least one character of every included type. */
  RequireEachIncludedType?: boolean;
}

/** `GenerateSecretString` adds a JSON template: the password goes in under GenerateStringKey. */
export interface GenerateSecretStringOptions extends PasswordOptions {
  SecretStringTemplate?: string;
  GenerateStringKey?: string;
}

export class PasswordOptionsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordOptionsError';
  }
}

export function randomPassword(opts: PasswordOptions = {}): string {
  const length = opts.PasswordLength ?? DEFAULT_PASSWORD_LENGTH;
  if (!Number.isInteger(length) || length < 1 || length > MAX_PASSWORD_LENGTH) {
    throw new PasswordOptionsError(`PasswordLength must be an integer from 1 to ${MAX_PASSWORD_LENGTH}`);
  }
  const excluded = new Set(opts.ExcludeCharacters ?? '');
  const types = [
    opts.ExcludeLowercase ? '' : LOWER,
    opts.ExcludeUppercase ? '' : UPPER,
    opts.ExcludeNumbers ? '' : DIGITS,
    opts.ExcludePunctuation ? '' : PUNCTUATION,
    opts.IncludeSpace ? ' ' : '',
  ]
    .map((set) => [...set].filter((c) => !excluded.has(c)).join(''))
    .filter((set) => set.length > 0);
  const alphabet = types.join('');
  if (alphabet.length === 0) throw new PasswordOptionsError('the options exclude every character');
  const requireEach = opts.RequireEachIncludedType ?? true;
  if (requireEach && length < types.length) {
    throw new PasswordOptionsError(`PasswordLength ${length} is too short to include each of the ${types.length} character types`);
  }
  const draw = (set: string): string => set.charAt(randomInt(set.length));
  const chars = Array.from({ length }, () => draw(alphabet));
  if (requireEach) {
    // one character of each type at distinct random places, the rest uniform over the whole alphabet
    const places = [...chars.keys()];
    for (const set of types) {
      const i = places.splice(randomInt(places.length), 1)[0] as number;
      chars[i] = draw(set);
    }
  }
  return chars.join('');
}

/** The SecretString CloudFormation stores for `GenerateSecretString`. */
export function generateSecretString(opts: GenerateSecretStringOptions = {}): string {
  const password = randomPassword(opts);
  if (opts.SecretStringTemplate === undefined && opts.GenerateStringKey === undefined) return password;
  if (opts.SecretStringTemplate === undefined || opts.GenerateStringKey === undefined) {
    throw new PasswordOptionsError('SecretStringTemplate and GenerateStringKey go together');
  }
  let template: unknown;
  try {
    template = JSON.parse(opts.SecretStringTemplate);
  } catch {
    throw new PasswordOptionsError('SecretStringTemplate must be a JSON object');
  }
  if (typeof template !== 'object' || template === null || Array.isArray(template)) throw new PasswordOptionsError('SecretStringTemplate must be a JSON object');
  return JSON.stringify({ ...(template as Record<string, unknown>), [opts.GenerateStringKey]: password });
}
