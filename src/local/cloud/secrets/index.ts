import { randomInt, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, epochSeconds, handleJsonProtocol, jsonTarget, optionalString } from '../protocol.ts';
import { type GenerateSecretStringOptions, type PasswordOptions, PasswordOptionsError, generateSecretString, randomPassword } from './generate.ts';

export { DEFAULT_PASSWORD_LENGTH, PUNCTUATION, generateSecretString, randomPassword } from './generate.ts';

/**
 * Secrets Manager stand-in (awsJson1_1, `X-Amz-Target: secretsmanager.<Operation>`), for the real
 * `@aws-sdk/client-secrets-manager`: CreateSecret, GetSecretValue, PutSecretValue, DescribeSecret and
 * GetRandomPassword. Secrets are kept in memory with AWS's version model: each value is a version (its
 * VersionId is the request's ClientRequestToken, which the SDK fills in), AWSCURRENT marks the value in
 * force, and putting a new current value moves AWSPREVIOUS to the value it replaces. A secret is found by
 * name, by ARN (`arn:aws:secretsmanager:<region>:<account>:secret:<name>-<6 random characters>`) or by the
 * ARN without its random suffix. Errors are AWS's shapes and words (ResourceNotFoundException "Secrets
 * Manager can't find the specified secret.").
 *
 * Locally not modelled: KMS (values are kept as given), rotation Lambdas (RotateSecret), deletion and
 * recovery windows, resource policies, replication, and the removal of versions with no staging label.
 */

export const SECRETS_MANAGER_TARGET = 'secretsmanager';
const NAMESPACE = 'com.amazonaws.secretsmanager';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
/** Secrets Manager's limit on a secret value (SecretString or SecretBinary). */
const MAX_VALUE_BYTES = 65_536;
const NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;
const SUFFIX_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export interface LocalSecretsOptions {
  /** The local cloud's clock (creation and access dates); default the wall clock. */
  clock?: { now(): number };
  region?: string;
  accountId?: string;
}

interface SecretVersion {
  id: string;
  string?: string;
  binary?: Buffer;
  stages: Set<string>;
  created: number;
}

interface Secret {
  arn: string;
  name: string;
  description?: string;
  tags: { Key: string; Value: string }[];
  created: number;
  changed: number;
  accessed?: number;
  versions: Map<string, SecretVersion>;
}

/** A secret value to store: text or bytes. */
export type SecretValue = { SecretString: string } | { SecretBinary: Uint8Array };

export interface LocalSecrets extends LocalService {
  /** The ARN of a secret by name or ARN, or undefined. */
  arnOf(secretId: string): string | undefined;
  /** Every secret's name and ARN, in creation order. */
  list(): { name: string; arn: string }[];
}

const notFound = () => new AwsError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
const invalidParameter = (message: string) => new AwsError('InvalidParameterException', message);

export function createSecretsManager(opts: LocalSecretsOptions = {}): LocalSecrets {
  const region = opts.region ?? 'us-east-1';
  const accountId = opts.accountId ?? '111122223333';
  const now = () => (opts.clock ? opts.clock.now() : Date.now());
  const secrets = new Map<string, Secret>(); // by ARN, in creation order

  const arnPrefix = `arn:aws:secretsmanager:${region}:${accountId}:secret:`;
  const newArn = (name: string): string => {
    for (;;) {
      const suffix = Array.from({ length: 6 }, () => SUFFIX_CHARS.charAt(randomInt(SUFFIX_CHARS.length))).join('');
      const arn = `${arnPrefix}${name}-${suffix}`;
      if (!secrets.has(arn)) return arn;
    }
  };

  const find = (secretId: string): Secret | undefined => {
    const byArn = secrets.get(secretId);
    if (byArn) return byArn;
    for (const s of secrets.values()) {
      // a name, or a partial ARN (the ARN without its random suffix)
      if (s.name === secretId || `${arnPrefix}${s.name}` === secretId) return s;
    }
    return undefined;
  };

  const secretOf = (input: Record<string, unknown>): Secret => {
    const id = input.SecretId;
    if (typeof id !== 'string' || id === '') throw invalidParameter('SecretId is required.');
    const secret = find(id);
    if (!secret) throw notFound();
    return secret;
  };

  /** SecretString or SecretBinary (base64 on the wire), not both; undefined when neither is given. */
  const valueOf = (input: Record<string, unknown>): { string?: string; binary?: Buffer } | undefined => {
    const string = optionalString(input, 'SecretString');
    const binaryText = optionalString(input, 'SecretBinary');
    if (string !== undefined && binaryText !== undefined) {
      throw new AwsError('InvalidRequestException', 'You can\'t specify both a binary secret value and a string secret value in the same secret.');
    }
    if (string !== undefined) {
      if (Buffer.byteLength(string) > MAX_VALUE_BYTES) throw invalidParameter(`SecretString must be at most ${MAX_VALUE_BYTES} bytes.`);
      return { string };
    }
    if (binaryText !== undefined) {
      const binary = Buffer.from(binaryText, 'base64');
      if (binary.length > MAX_VALUE_BYTES) throw invalidParameter(`SecretBinary must be at most ${MAX_VALUE_BYTES} bytes.`);
      return { binary };
    }
    return undefined;
  };

  const sameValue = (v: SecretVersion, value: { string?: string; binary?: Buffer }): boolean =>
    v.string === value.string && (v.binary === undefined ? value.binary === undefined : value.binary !== undefined && v.binary.equals(value.binary));

  const token = (input: Record<string, unknown>): string => {
    const t = optionalString(input, 'ClientRequestToken');
    if (t === undefined) return randomUUID();
    if (t.length < 32 || t.length > 64) throw invalidParameter('ClientRequestToken must be 32 to 64 characters.');
    return t;
  };

  /** Add a version holding `stages`; each stage leaves the version that had it, and a replaced AWSCURRENT becomes AWSPREVIOUS. */
  const addVersion = (secret: Secret, id: string, value: { string?: string; binary?: Buffer }, stages: string[]): SecretVersion => {
    const at = now();
    const version: SecretVersion = { id, ...value, stages: new Set(), created: at };
    for (const stage of stages) {
      for (const other of secret.versions.values()) {
        if (!other.stages.delete(stage) || stage !== CURRENT) continue;
        for (const o of secret.versions.values()) o.stages.delete(PREVIOUS);
        other.stages.add(PREVIOUS);
      }
      version.stages.add(stage);
    }
    secret.versions.set(id, version);
    secret.changed = at;
    return version;
  };

  const versionStages = (input: Record<string, unknown>): string[] => {
    const v = input.VersionStages;
    if (v === undefined || v === null) return [CURRENT];
    if (!Array.isArray(v) || v.length === 0 || v.length > 20 || v.some((s) => typeof s !== 'string' || s.length === 0 || s.length > 256)) {
      throw invalidParameter('VersionStages must be a list of 1 to 20 staging labels.');
    }
    return [...new Set(v as string[])];
  };

  const createSecret = (input: Record<string, unknown>) => {
    const name = input.Name;
    if (typeof name !== 'string' || !NAME.test(name)) throw invalidParameter('Name must be 1 to 512 characters: letters, digits and /_+=.@-');
    const value = valueOf(input);
    const id = token(input);
    const existing = find(name);
    if (existing) {
      // the SDK's retry of a create that succeeded: same token and value answer as the first time
      const v = existing.versions.get(id);
      if (value && v && sameValue(v, value)) return { ARN: existing.arn, Name: existing.name, VersionId: v.id };
      throw new AwsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    const tags = Array.isArray(input.Tags) ? (input.Tags as { Key?: unknown; Value?: unknown }[]).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') })) : [];
    const description = optionalString(input, 'Description');
    const secret: Secret = { arn: newArn(name), name, tags, created: now(), changed: now(), versions: new Map(), ...(description !== undefined ? { description } : {}) };
    secrets.set(secret.arn, secret);
    if (!value) return { ARN: secret.arn, Name: name };
    addVersion(secret, id, value, [CURRENT]);
    return { ARN: secret.arn, Name: name, VersionId: id };
  };

  const putSecretValue = (input: Record<string, unknown>) => {
    const secret = secretOf(input);
    const value = valueOf(input);
    if (!value) throw invalidParameter('You must provide either SecretString or SecretBinary.');
    const id = token(input);
    const stages = versionStages(input);
    const existing = secret.versions.get(id);
    if (existing) {
      if (!sameValue(existing, value)) throw new AwsError('ResourceExistsException', `A version with VersionId ${id} already exists with a different value: you can't modify an existing version, you can only create a new version.`);
      return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...existing.stages] };
    }
    const version = addVersion(secret, id, value, stages);
    return { ARN: secret.arn, Name: secret.name, VersionId: id, VersionStages: [...version.stages] };
  };

  const getSecretValue = (input: Record<string, unknown>) => {
    const secret = secretOf(input);
    const versionId = optionalString(input, 'VersionId');
    const stage = optionalString(input, 'VersionStage');
    let version: SecretVersion | undefined;
    if (versionId !== undefined) {
      version = secret.versions.get(versionId);
      if (!version) throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for VersionId: ${versionId}`);
      if (stage !== undefined && !version.stages.has(stage)) {
        throw invalidParameter(`The staging label ${stage} is not attached to the version ${versionId}.`);
      }
    } else {
      const label = stage ?? CURRENT;
      version = [...secret.versions.values()].find((v) => v.stages.has(label));
      if (!version) throw new AwsError('ResourceNotFoundException', `Secrets Manager can't find the specified secret value for staging label: ${label}`);
    }
    secret.accessed = now();
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: version.id,
      ...(version.string !== undefined ? { SecretString: version.string } : {}),
      ...(version.binary !== undefined ? { SecretBinary: version.binary.toString('base64') } : {}),
      VersionStages: [...version.stages],
      CreatedDate: epochSeconds(version.created),
    };
  };

  /** AWS reports the last access as a date (midnight UTC), not a time. */
  const day = (ms: number) => epochSeconds(ms - (ms % 86_400_000));

  const describeSecret = (input: Record<string, unknown>) => {
    const secret = secretOf(input);
    return {
      ARN: secret.arn,
      Name: secret.name,
      ...(secret.description !== undefined ? { Description: secret.description } : {}),
      RotationEnabled: false,
      LastChangedDate: epochSeconds(secret.changed),
      ...(secret.accessed !== undefined ? { LastAccessedDate: day(secret.accessed) } : {}),
      CreatedDate: epochSeconds(secret.created),
      ...(secret.tags.length ? { Tags: secret.tags } : {}),
      VersionIdsToStages: Object.fromEntries([...secret.versions.values()].filter((v) => v.stages.size > 0).map((v) => [v.id, [...v.stages]])),
    };
  };

  const getRandomPassword = (input: Record<string, unknown>) => {
    try {
      return { RandomPassword: randomPassword(input as PasswordOptions) };
    } catch (err) {
      if (err instanceof PasswordOptionsError) throw invalidParameter(err.message);
      throw err;
    }
  };

  return {
    name: 'secretsmanager',
    matches: (req: LocalRequest) => jsonTarget(req, SECRETS_MANAGER_TARGET) !== undefined,
    handle: (req: LocalRequest, res: ServerResponse) =>
      handleJsonProtocol(req, res, {
        prefix: SECRETS_MANAGER_TARGET,
        namespace: NAMESPACE,
        contentType: CONTENT_TYPE,
        operations: {
          CreateSecret: createSecret,
          PutSecretValue: putSecretValue,
          GetSecretValue: getSecretValue,
          DescribeSecret: describeSecret,
          GetRandomPassword: getRandomPassword,
        },
      }),
    arnOf: (secretId) => find(secretId)?.arn,
    list: () => [...secrets.values()].map((s) => ({ name: s.name, arn: s.arn })),
  };
}

/** A secret a stack declares (`AWS::SecretsManager::Secret`), as CreateSecret input with its first value. */
export interface DeclaredSecret {
  logicalId: string;
  input: { Name: string; Description?: string; SecretString: string; Tags?: { Key: string; Value: string }[] };
}

/**
 * The `AWS::SecretsManager::Secret` resources of a template as CreateSecret inputs, as CloudFormation
 * creates them: `SecretString` as given, or `GenerateSecretString` generated now (PasswordLength default
 * 32, the Exclude* options, SecretStringTemplate + GenerateStringKey); with neither, CloudFormation
 * generates a 32-character value. A secret without `Name` is named after its logical id (CloudFormation
 * adds a random suffix; locally the logical id is stable).
 */
export function secretsFromResources(resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>): DeclaredSecret[] {
  const out: DeclaredSecret[] = [];
  for (const [logicalId, r] of Object.entries(resources)) {
    if (r.Type !== 'AWS::SecretsManager::Secret') continue;
    const p = r.Properties ?? {};
    const where = `serverless.yml: resources.Resources.${logicalId}`;
    if (p.SecretString !== undefined && p.GenerateSecretString !== undefined) throw new Error(`${where}: SecretString and GenerateSecretString are exclusive`);
    if (p.SecretString !== undefined && typeof p.SecretString !== 'string') throw new Error(`${where}.Properties.SecretString must be a string (a CloudFormation function cannot be resolved locally)`);
    const name = p.Name ?? logicalId;
    if (typeof name !== 'string' || !NAME.test(name)) throw new Error(`${where}.Properties.Name must be 1 to 512 characters: letters, digits and /_+=.@-`);
    let secretString: string;
    if (typeof p.SecretString === 'string') secretString = p.SecretString;
    else {
      const generate = p.GenerateSecretString ?? {};
      if (typeof generate !== 'object' || generate === null || Array.isArray(generate)) throw new Error(`${where}.Properties.GenerateSecretString must be a map`);
      try {
        secretString = generateSecretString(generate as GenerateSecretStringOptions);
      } catch (err) {
        throw new Error(`${where}.Properties.GenerateSecretString: ${(err as Error).message}`);
      }
    }
    const tags = Array.isArray(p.Tags) ? (p.Tags as { Key?: unknown; Value?: unknown }[]).map((t) => ({ Key: String(t.Key), Value: String(t.Value ?? '') })) : undefined;
    out.push({
      logicalId,
      input: { Name: name, SecretString: secretString, ...(typeof p.Description === 'string' ? { Description: p.Description } : {}), ...(tags ? { Tags: tags } : {}) },
    });
  }
  return out;
}
