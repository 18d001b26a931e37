import { GetSecretValueCommand, type GetSecretValueCommandOutput, ResourceNotFoundException, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { Clock, SigningKeys } from '../../ports.ts';

/** HMAC-SHA256 wants a key of at least its output size: a shorter secret is refused, never used. */
export const MIN_KEY_BYTES = 32;
/** How long a container keeps the keys it read (a rotation reaches every container within this). */
export const DEFAULT_CACHE_SECONDS = 300;

export interface SigningKeysOptions {
  clock?: Clock;
  /** Default DEFAULT_CACHE_SECONDS; 0 reads the secret at every call. */
  cacheSeconds?: number;
}

type Key = { version: string; key: Buffer };

export class SigningKeyError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SigningKeyError';
  }
}

const wallClock: Clock = { now: () => new Date() };

/**
 * The approval link signing keys in a Secrets Manager secret (`SIGNING_SECRET_ARN`): the AWSCURRENT version
 * signs, AWSCURRENT and AWSPREVIOUS verify, so a rotation (PutSecretValue of a new value) keeps the links
 * signed with the value it replaces valid. A key's version is its VersionId. The bytes of SecretString
 * (UTF-8) or SecretBinary are the key; a current value shorter than MIN_KEY_BYTES is refused with an error,
 * and a previous one that short is not trusted to verify. Keys are read once per `cacheSeconds` per container
 * (concurrent callers share one read; a failed read is not cached). No key value is ever logged or put in
 * an error message.
 */
export function createSigningKeys(client: SecretsManagerClient, secretId: string, opts: SigningKeysOptions = {}): SigningKeys {
  const clock = opts.clock ?? wallClock;
  const ttlMs = (opts.cacheSeconds ?? DEFAULT_CACHE_SECONDS) * 1000;
  let cached: { at: number; keys: Promise<Key[]> } | undefined;

  const read = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<GetSecretValueCommandOutput | undefined> => {
    try {
      return await client.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: stage }));
    } catch (err) {
      if (err instanceof ResourceNotFoundException || (err as Error).name === 'ResourceNotFoundException') {
        if (stage === 'AWSPREVIOUS') return undefined; // never rotated yet
        throw new SigningKeyError(`signing secret ${secretId}: not found or without a current value (AWSCURRENT): ${(err as Error).message}`, { cause: err });
      }
      throw new SigningKeyError(`signing secret ${secretId}: reading ${stage} failed: ${(err as Error).message}`, { cause: err });
    }
  };

  const keyOf = (out: GetSecretValueCommandOutput, stage: string): Key | { short: number; version: string } => {
    const version = out.VersionId;
    if (!version) throw new SigningKeyError(`signing secret ${secretId}: the ${stage} value has no VersionId`);
    const key = out.SecretString !== undefined ? Buffer.from(out.SecretString, 'utf8') : out.SecretBinary !== undefined ? Buffer.from(out.SecretBinary) : Buffer.alloc(0);
    if (key.length < MIN_KEY_BYTES) return { short: key.length, version };
    return { version, key };
  };

  const load = async (): Promise<Key[]> => {
    const [current, previous] = await Promise.all([read('AWSCURRENT'), read('AWSPREVIOUS')]);
    const cur = keyOf(current as GetSecretValueCommandOutput, 'AWSCURRENT');
    if ('short' in cur) {
      throw new SigningKeyError(
        `signing secret ${secretId}: the current value (version ${cur.version}) is ${cur.short} bytes; a signing key needs at least ${MIN_KEY_BYTES} ` +
          '(put a new random value, e.g. aws secretsmanager put-secret-value with the output of get-random-password --password-length 64 --exclude-punctuation)',
      );
    }
    const keys: Key[] = [cur];
    if (previous) {
      const prev = keyOf(previous, 'AWSPREVIOUS');
      if (!('short' in prev) && prev.version !== cur.version) keys.push(prev);
    }
    return keys;
  };

  const keys = (): Promise<Key[]> => {
    const now = clock.now().getTime();
    if (cached && now - cached.at < ttlMs && now >= cached.at) return cached.keys;
    const entry = { at: now, keys: load() };
    cached = entry;
    entry.keys.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return entry.keys;
  };

  const copy = (k: Key): Key => ({ version: k.version, key: Buffer.from(k.key) });

  return {
    current: async () => copy((await keys())[0] as Key),
    all: async () => (await keys()).map(copy),
  };
}
