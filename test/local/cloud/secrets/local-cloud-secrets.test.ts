import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeSecretCommand, GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSigningKeys } from '../../../../src/adapters/aws/signing-keys.ts';
import { type LocalCloud, startLocalCloud } from '../../../../src/local/cloud/index.ts';
import { secretsFromResources } from '../../../../src/local/cloud/secrets/index.ts';
import { readServerlessConfig } from '../../../../src/local/cloud/serverless-config.ts';

const PROJECT = `service: secrets-fixture
frameworkVersion: '4'
provider:
  name: aws
  runtime: nodejs22.x
  stage: \${opt:stage, 'dev'}
  region: \${opt:region, 'us-east-1'}
  environment:
    SIGNING_SECRET_ARN: { Ref: SigningSecret }
    FIXED_SECRET_ARN: { Ref: FixedSecret }
functions: {}
resources:
  Resources:
    SigningSecret:
      Type: AWS::SecretsManager::Secret
      Properties:
        Name: fixture-\${sls:stage}-signing-key
        Description: the signing key
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true }
    FixedSecret:
      Type: AWS::SecretsManager::Secret
      Properties:
        Name: fixture-\${sls:stage}-fixed
        SecretString: '{"user":"admin"}'
`;

describe('the local cloud creates the secrets serverless.yml declares', () => {
  let root: string;
  let cloud: LocalCloud;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'mgn-flow-secrets-'));
    writeFileSync(join(root, 'serverless.yml'), PROJECT);
    cloud = await startLocalCloud({ root, manualClock: true, servers: 0 });
  });
  afterAll(async () => {
    await cloud?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('resolves { Ref: Secret } to the secret ARN and gives handlers AWS_ENDPOINT_URL_SECRETS_MANAGER', async () => {
    const arn = cloud.env.SIGNING_SECRET_ARN as string;
    expect(arn).toMatch(/^arn:aws:secretsmanager:us-east-1:111122223333:secret:fixture-dev-signing-key-[A-Za-z0-9]{6}$/);
    expect(process.env.SIGNING_SECRET_ARN).toBe(arn);
    expect(cloud.endpoints.secretsmanager).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER).toBe(cloud.endpoints.secretsmanager);
    expect(JSON.parse(readFileSync(join(root, '.mgn-flow/local.json'), 'utf8')).endpoints.secretsmanager).toBe(cloud.endpoints.secretsmanager);

    // a client built as a handler builds it (no endpoint, no region: the environment says)
    const client = new SecretsManagerClient({});
    try {
      const got = await client.send(new GetSecretValueCommand({ SecretId: arn }));
      expect(got.SecretString).toMatch(/^[A-Za-z0-9]{64}$/);
      expect(got.VersionStages).toEqual(['AWSCURRENT']);
      expect((await client.send(new DescribeSecretCommand({ SecretId: 'fixture-dev-signing-key' }))).Description).toBe('the signing key');
      expect((await client.send(new GetSecretValueCommand({ SecretId: process.env.FIXED_SECRET_ARN }))).SecretString).toBe('{"user":"admin"}');

      const keys = await createSigningKeys(client, process.env.SIGNING_SECRET_ARN as string).all();
      expect(keys).toEqual([{ version: got.VersionId, key: Buffer.from(got.SecretString as string) }]);
    } finally {
      client.destroy();
    }
  });

  it('declares the approval signing key in the project serverless.yml, with SIGNING_SECRET_ARN pointing at it', () => {
    const config = readServerlessConfig(join(import.meta.dirname, '../../../..'));
    expect((config.provider.environment as Record<string, unknown>).SIGNING_SECRET_ARN).toEqual({ Ref: 'ApprovalSigningSecret' });
    const secret = secretsFromResources(config.resources).find((s) => s.logicalId === 'ApprovalSigningSecret');
    expect(secret?.input.Name).toBe('mgn-flow-dev-approval-signing-key');
    expect(secret?.input.SecretString).toMatch(/^[A-Za-z0-9]{64}$/);
  });
});
