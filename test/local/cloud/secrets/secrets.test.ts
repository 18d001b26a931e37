import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetRandomPasswordCommand,
  GetSecretValueCommand,
  InvalidRequestException,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../../../../src/local/cloud/gateway.ts';
import { type LocalSecrets, PUNCTUATION, createSecretsManager, generateSecretString, randomPassword, secretsFromResources } from '../../../../src/local/cloud/secrets/index.ts';
import { LOCAL_CLIENT } from '../../../helpers/local-server.ts';

const ARN = /^arn:aws:secretsmanager:us-east-1:111122223333:secret:(.+)-[A-Za-z0-9]{6}$/;

describe('local Secrets Manager through @aws-sdk/client-secrets-manager, behind the shared gateway', () => {
  let now = Date.UTC(2026, 0, 5, 8);
  let secrets: LocalSecrets;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let client: SecretsManagerClient;

  beforeAll(async () => {
    secrets = createSecretsManager({ clock: { now: () => now } });
    gw = await startGateway([secrets]);
    client = new SecretsManagerClient({ ...LOCAL_CLIENT, endpoint: gw.endpoint });
  });
  afterAll(async () => {
    client.destroy();
    await gw.close();
  });

  it('creates a secret with an AWS-shaped ARN and reads its value back by name and by ARN (full or partial)', async () => {
    const created = await client.send(new CreateSecretCommand({ Name: 'app/db-password', SecretString: 'hunter2-hunter2', Description: 'the db' }));
    expect(created.ARN).toMatch(ARN);
    expect(ARN.exec(created.ARN as string)?.[1]).toBe('app/db-password');
    expect(created.Name).toBe('app/db-password');
    expect(created.VersionId).toMatch(/^[0-9a-f-]{36}$/); // the SDK's ClientRequestToken becomes the VersionId

    for (const SecretId of ['app/db-password', created.ARN as string, (created.ARN as string).slice(0, -7)]) {
      const got = await client.send(new GetSecretValueCommand({ SecretId }));
      expect(got).toMatchObject({ ARN: created.ARN, Name: 'app/db-password', VersionId: created.VersionId, SecretString: 'hunter2-hunter2', VersionStages: ['AWSCURRENT'] });
      expect(got.CreatedDate).toEqual(new Date(now));
    }
    expect(secrets.arnOf('app/db-password')).toBe(created.ARN);
  });

  it('keeps bytes as bytes (SecretBinary)', async () => {
    const bytes = Uint8Array.from([0, 1, 2, 250, 255]);
    await client.send(new CreateSecretCommand({ Name: 'binary', SecretBinary: bytes }));
    const got = await client.send(new GetSecretValueCommand({ SecretId: 'binary' }));
    expect(got.SecretString).toBeUndefined();
    expect(Buffer.from(got.SecretBinary as Uint8Array)).toEqual(Buffer.from(bytes));
  });

  it('refuses a second secret of the same name, and a value given both as string and bytes', async () => {
    await expect(client.send(new CreateSecretCommand({ Name: 'app/db-password', SecretString: 'other' }))).rejects.toThrow(ResourceExistsException);
    const err = await client.send(new CreateSecretCommand({ Name: 'app/db-password', SecretString: 'other' })).catch((e: unknown) => e);
    expect((err as Error).message).toBe('The operation failed because the secret app/db-password already exists.');
    await expect(client.send(new CreateSecretCommand({ Name: 'both', SecretString: 'x', SecretBinary: Uint8Array.from([1]) }))).rejects.toThrow(InvalidRequestException);
  });

  it('answers ResourceNotFoundException in AWS words for an unknown secret, version or stage', async () => {
    const missing = await client.send(new GetSecretValueCommand({ SecretId: 'nope' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as Error).message).toBe("Secrets Manager can't find the specified secret.");
    expect((missing as ResourceNotFoundException).$metadata.httpStatusCode).toBe(400);
    await expect(client.send(new DescribeSecretCommand({ SecretId: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:nope-AbCdEf' }))).rejects.toThrow(ResourceNotFoundException);
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'app/db-password', VersionId: '00000000-0000-0000-0000-000000000000' }))).rejects.toThrow(
      "Secrets Manager can't find the specified secret value for VersionId: 00000000-0000-0000-0000-000000000000",
    );
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'app/db-password', VersionStage: 'AWSPREVIOUS' }))).rejects.toThrow(
      "Secrets Manager can't find the specified secret value for staging label: AWSPREVIOUS",
    );
    // a secret created without a value has no AWSCURRENT yet
    await client.send(new CreateSecretCommand({ Name: 'empty' }));
    await expect(client.send(new GetSecretValueCommand({ SecretId: 'empty' }))).rejects.toThrow(ResourceNotFoundException);
  });

  it('rotates: PutSecretValue makes the new value AWSCURRENT and the replaced one AWSPREVIOUS; older values keep their VersionId', async () => {
    const { ARN: arn, VersionId: v1 } = await client.send(new CreateSecretCommand({ Name: 'rotating', SecretString: 'value-1' }));
    now += 60_000;
    const put2 = await client.send(new PutSecretValueCommand({ SecretId: 'rotating', SecretString: 'value-2' }));
    expect(put2).toMatchObject({ ARN: arn, Name: 'rotating', VersionStages: ['AWSCURRENT'] });
    const v2 = put2.VersionId as string;
    expect(v2).not.toBe(v1);
    expect(await client.send(new GetSecretValueCommand({ SecretId: arn }))).toMatchObject({ VersionId: v2, SecretString: 'value-2', VersionStages: ['AWSCURRENT'] });
    expect(await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }))).toMatchObject({ VersionId: v1, SecretString: 'value-1', VersionStages: ['AWSPREVIOUS'] });

    const { VersionId: v3 } = await client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: 'value-3' }));
    expect(await client.send(new GetSecretValueCommand({ SecretId: arn, VersionStage: 'AWSPREVIOUS' }))).toMatchObject({ VersionId: v2, SecretString: 'value-2' });
    // the first value lost its labels but is still there by VersionId
    expect(await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v1 }))).toMatchObject({ SecretString: 'value-1', VersionStages: [] });
    expect(await client.send(new GetSecretValueCommand({ SecretId: arn, VersionId: v3, VersionStage: 'AWSCURRENT' }))).toMatchObject({ SecretString: 'value-3' });

    const d = await client.send(new DescribeSecretCommand({ SecretId: 'rotating' }));
    expect(d).toMatchObject({ ARN: arn, Name: 'rotating', RotationEnabled: false, VersionIdsToStages: { [v2 as string]: ['AWSPREVIOUS'], [v3 as string]: ['AWSCURRENT'] } });
    expect(d.CreatedDate).toEqual(new Date(now - 60_000));
    expect(d.LastChangedDate).toEqual(new Date(now));
    expect(d.LastAccessedDate).toEqual(new Date(Date.UTC(2026, 0, 5)));
  });

  it('is idempotent on ClientRequestToken: a retried put answers the same version, a different value under it is refused', async () => {
    await client.send(new CreateSecretCommand({ Name: 'tokens', SecretString: 'a' }));
    const token = 'b'.repeat(32);
    const first = await client.send(new PutSecretValueCommand({ SecretId: 'tokens', SecretString: 'b', ClientRequestToken: token }));
    const again = await client.send(new PutSecretValueCommand({ SecretId: 'tokens', SecretString: 'b', ClientRequestToken: token }));
    expect(again.VersionId).toBe(first.VersionId);
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'tokens', VersionStage: 'AWSPREVIOUS' }))).SecretString).toBe('a');
    await expect(client.send(new PutSecretValueCommand({ SecretId: 'tokens', SecretString: 'c', ClientRequestToken: token }))).rejects.toThrow(ResourceExistsException);
    await expect(client.send(new PutSecretValueCommand({ SecretId: 'no-such', SecretString: 'c' }))).rejects.toThrow(ResourceNotFoundException);
  });

  it('stages a pending value without moving AWSCURRENT', async () => {
    await client.send(new CreateSecretCommand({ Name: 'staged', SecretString: 'live' }));
    await client.send(new PutSecretValueCommand({ SecretId: 'staged', SecretString: 'next', VersionStages: ['AWSPENDING'] }));
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'staged' }))).SecretString).toBe('live');
    expect((await client.send(new GetSecretValueCommand({ SecretId: 'staged', VersionStage: 'AWSPENDING' }))).SecretString).toBe('next');
  });

  it('generates random passwords (GetRandomPassword)', async () => {
    const { RandomPassword } = await client.send(new GetRandomPasswordCommand({ PasswordLength: 40, ExcludePunctuation: true }));
    expect(RandomPassword).toMatch(/^[A-Za-z0-9]{40}$/);
  });

  it('answers AWS JSON 1.1 errors with __type and message', async () => {
    const res = await fetch(gw.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'secretsmanager.GetSecretValue' },
      body: JSON.stringify({ SecretId: 'nope' }),
    });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/x-amz-json-1.1');
    expect(await res.json()).toEqual({ __type: 'com.amazonaws.secretsmanager#ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
  });
});

describe('generated secret values', () => {
  it('honours length and exclusions, with one character of each included type', () => {
    for (let i = 0; i < 50; i++) {
      const p = randomPassword({ PasswordLength: 8 });
      expect(p).toHaveLength(8);
      expect(p).toMatch(/[a-z]/);
      expect(p).toMatch(/[A-Z]/);
      expect(p).toMatch(/[0-9]/);
      expect([...p].some((c) => PUNCTUATION.includes(c))).toBe(true);
    }
    expect(randomPassword()).toHaveLength(32);
    expect(randomPassword({ PasswordLength: 64, ExcludePunctuation: true, ExcludeCharacters: 'abc' })).toMatch(/^[d-zA-Z0-9]{64}$/);
    expect(randomPassword({ PasswordLength: 20, ExcludeLowercase: true, ExcludeUppercase: true, ExcludePunctuation: true })).toMatch(/^[0-9]{20}$/);
    expect(new Set(Array.from({ length: 20 }, () => randomPassword())).size).toBe(20);
    expect(() => randomPassword({ PasswordLength: 3 })).toThrow(/too short/);
    expect(() => randomPassword({ ExcludeLowercase: true, ExcludeUppercase: true, ExcludeNumbers: true, ExcludePunctuation: true })).toThrow(/every character/);
  });

  it('fills a JSON template under GenerateStringKey', () => {
    const v = JSON.parse(generateSecretString({ SecretStringTemplate: '{"username":"admin"}', GenerateStringKey: 'password', PasswordLength: 16 }));
    expect(v.username).toBe('admin');
    expect(v.password).toHaveLength(16);
  });

  it('reads AWS::SecretsManager::Secret resources as CloudFormation creates them', () => {
    const declared = secretsFromResources({
      Table: { Type: 'AWS::DynamoDB::Table' },
      Signing: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'signing', Description: 'd', GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true } } },
      Fixed: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'given' } },
      Default: { Type: 'AWS::SecretsManager::Secret', Properties: { Name: 'default', GenerateSecretString: {} } },
    });
    expect(declared.map((d) => d.logicalId)).toEqual(['Signing', 'Fixed', 'Default']);
    expect(declared[0]?.input).toMatchObject({ Name: 'signing', Description: 'd' });
    expect(declared[0]?.input.SecretString).toMatch(/^[A-Za-z0-9]{64}$/);
    expect(declared[1]?.input).toEqual({ Name: 'Fixed', SecretString: 'given' });
    expect(declared[2]?.input.SecretString).toHaveLength(32);
    expect(() => secretsFromResources({ Bad: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: 'x', GenerateSecretString: {} } } })).toThrow(/exclusive/);
    expect(() => secretsFromResources({ Bad: { Type: 'AWS::SecretsManager::Secret', Properties: { SecretString: { 'Fn::Sub': 'x' } } } })).toThrow(/must be a string/);
  });
});
