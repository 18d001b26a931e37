import { CreateSecretCommand, PutSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIN_KEY_BYTES, SigningKeyError, createSigningKeys } from '../../../src/adapters/aws/signing-keys.ts';
import { createSecretsManager } from '../../../src/local/cloud/secrets/index.ts';
import { LOCAL_CLIENT, type LocalServer, serveLocal } from '../../helpers/local-server.ts';
import { manualClock } from './helpers.ts';

const KEY_1 = 'k1'.repeat(32);
const KEY_2 = 'k2'.repeat(32);
const KEY_3 = 'k3'.repeat(32);

describe('createSigningKeys on the local Secrets Manager', () => {
  let server: LocalServer;
  let client: SecretsManagerClient;
  let n = 0;

  beforeAll(async () => {
    server = await serveLocal(createSecretsManager());
    client = new SecretsManagerClient({ ...LOCAL_CLIENT, endpoint: server.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await server.close();
  });

  /** A new secret holding `value`: its ARN and first VersionId. */
  const secret = async (value: string | Uint8Array) => {
    const r = await client.send(new CreateSecretCommand({ Name: `signing-${++n}`, ...(typeof value === 'string' ? { SecretString: value } : { SecretBinary: value }) }));
    return { arn: r.ARN as string, v1: r.VersionId as string };
  };
  const put = async (arn: string, value: string) => (await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }))).VersionId as string;
  const reads = () => server.requests.filter((r) => r.body.includes('"VersionStage"')).length;

  it('signs with AWSCURRENT (its VersionId is the version); a secret never rotated has one key', async () => {
    const { arn, v1 } = await secret(KEY_1);
    const keys = createSigningKeys(client, arn);
    expect(await keys.current()).toEqual({ version: v1, key: Buffer.from(KEY_1) });
    expect(await keys.all()).toEqual([{ version: v1, key: Buffer.from(KEY_1) }]);
  });

  it('reads the secret once per cacheSeconds, concurrent callers sharing one read', async () => {
    const { arn } = await secret(KEY_1);
    const clock = manualClock();
    const keys = createSigningKeys(client, arn, { clock, cacheSeconds: 60 });
    const before = reads();
    await Promise.all([keys.current(), keys.all(), keys.current(), keys.all()]);
    expect(reads() - before).toBe(2); // AWSCURRENT and AWSPREVIOUS, once
    clock.advance(59);
    await keys.all();
    expect(reads() - before).toBe(2);
    clock.advance(1);
    await keys.all();
    expect(reads() - before).toBe(4);
  });

  it('follows a rotation once its cache expires: the new value signs, the replaced one still verifies', async () => {
    const { arn, v1 } = await secret(KEY_1);
    const clock = manualClock();
    const keys = createSigningKeys(client, arn, { clock }); // default 300 s
    expect((await keys.current()).version).toBe(v1);

    const v2 = await put(arn, KEY_2);
    clock.advance(299);
    expect((await keys.current()).version).toBe(v1);
    clock.advance(1);
    expect(await keys.current()).toEqual({ version: v2, key: Buffer.from(KEY_2) });
    expect(await keys.all()).toEqual([
      { version: v2, key: Buffer.from(KEY_2) },
      { version: v1, key: Buffer.from(KEY_1) },
    ]);

    // a second rotation retires the first value
    const v3 = await put(arn, KEY_3);
    clock.advance(300);
    expect((await keys.all()).map((k) => k.version)).toEqual([v3, v2]);
  });

  it('with cacheSeconds 0 reads at every call', async () => {
    const { arn } = await secret(KEY_1);
    const keys = createSigningKeys(client, arn, { cacheSeconds: 0 });
    await keys.current();
    const v2 = await put(arn, KEY_2);
    expect((await keys.current()).version).toBe(v2);
  });

  it('uses the bytes of a binary secret', async () => {
    const bytes = Uint8Array.from({ length: 48 }, (_, i) => (i * 37) % 256);
    const { arn } = await secret(bytes);
    expect((await createSigningKeys(client, arn).current()).key).toEqual(Buffer.from(bytes));
  });

  it(`refuses a current value shorter than ${MIN_KEY_BYTES} bytes, naming neither the value nor part of it`, async () => {
    const short = 'short-secret-value-31-bytes-xyz';
    expect(Buffer.byteLength(short)).toBe(31);
    const { arn } = await secret(short);
    const keys = createSigningKeys(client, arn);
    const err = await keys.current().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SigningKeyError);
    expect((err as Error).message).toMatch(/is 31 bytes; a signing key needs at least 32/);
    expect((err as Error).message).toContain(arn);
    expect((err as Error).message).not.toContain('short-secret');
    await expect(keys.all()).rejects.toThrow(SigningKeyError);

    // the error is not cached: once a proper key is put, it is used
    const v2 = await put(arn, KEY_2);
    expect(await keys.all()).toEqual([{ version: v2, key: Buffer.from(KEY_2) }]); // the short previous value verifies nothing
  });

  it('says which secret is missing', async () => {
    const keys = createSigningKeys(client, 'no-such-signing-secret');
    await expect(keys.current()).rejects.toThrow(/signing secret no-such-signing-secret: not found or without a current value/);
  });
});
