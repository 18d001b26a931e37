import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EC2Client } from '@aws-sdk/client-ec2';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Clock, Deps, ExecutionPort, MetricsPort, SigningKeys } from '../../ports.ts';
import { createStallStore } from './stalls.ts';
import { withDomainErrors } from './errors.ts';
import { createTaskCallbacks } from './callbacks.ts';
import { createExecutionPort } from './executions.ts';
import type { Config } from './config.ts';
import { createMgnPort, writeRetryStrategy } from './mgn.ts';
import { createMgnPlanPort } from './mgn-plan.ts';
import { createLaunchTemplatePort } from './launch-templates.ts';
import { createApprovalNotifier, createNotifier } from './notifier.ts';
import { createQuotaPort } from './quotas.ts';
import { createMetricsPort } from './metrics.ts';
import { createSigningKeys } from './signing-keys.ts';
import { createAuditLog, createLeaseLock, createDedupe, createDocumentClient, createGateStore, createLinkStore, createRendezvousStore, createWaitStore, createWaveStore } from './stores.ts';

/** Attempts of an MGN read (the SDK's standard retry: exponential backoff with jitter, throttling and 5xx retried). */
export const MGN_READ_ATTEMPTS = 8;

export const systemClock: Clock = { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

/** The SDK clients behind the ports. Region, credentials and endpoints come from the SDK's own environment (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>). */
export interface AwsClients {
  /** MGN reads (standard retries). */
  mgn: MgnClient;
  /** MGN writes: retried on throttling only, so an applied-then-failed request is never repeated behind the core's back. */
  mgnWrite: MgnClient;
  sfn: SFNClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
  secrets: SecretsManagerClient;
  quotas: ServiceQuotasClient;
  /** EC2: the launch templates MGN made for its servers. */
  ec2: EC2Client;
}

/** The ports on AWS, with the configuration they were built from and the SDK clients behind them (the CLI reads a few directly). */
export interface AwsDeps extends Deps {
  config: Config;
  clients: AwsClients;
}

/** Without SIGNING_SECRET_ARN no link can be signed or verified: say what to set. */
const noSigningKeys: SigningKeys = {
  current: () => Promise.reject(new Error('approval links need SIGNING_SECRET_ARN: the Secrets Manager secret with the signing key (serverless.yml sets it)')),
  all: () => Promise.resolve([]),
};

/** Without STATE_MACHINE_ARN no server execution can be started (only the wave functions get it). */
const noExecutions: ExecutionPort = {
  arnFor: () => {
    throw new Error('starting server executions needs STATE_MACHINE_ARN: the server-lifecycle state machine (serverless.yml sets it for the wave functions)');
  },
  start: () => Promise.reject(new Error('starting server executions needs STATE_MACHINE_ARN (serverless.yml sets it for the wave functions)')),
  describe: () => Promise.reject(new Error('needs STATE_MACHINE_ARN')),
  stop: () => Promise.reject(new Error('needs STATE_MACHINE_ARN')),
};

/** The clients, each translating its errors for the core (errors.ts). */
export function createClients(overrides: Partial<AwsClients> = {}): AwsClients {
  const c: AwsClients = {
    // reads are idempotent: a throttled or failing MGN is asked up to 8 times (about 13 s of backoff at most)
    mgn: overrides.mgn ?? new MgnClient({ maxAttempts: MGN_READ_ATTEMPTS }),
    mgnWrite: overrides.mgnWrite ?? new MgnClient({ retryStrategy: writeRetryStrategy() }),
    sfn: overrides.sfn ?? new SFNClient({}),
    sns: overrides.sns ?? new SNSClient({}),
    dynamodb: overrides.dynamodb ?? new DynamoDBClient({}),
    secrets: overrides.secrets ?? new SecretsManagerClient({}),
    quotas: overrides.quotas ?? new ServiceQuotasClient({}),
    ec2: overrides.ec2 ?? new EC2Client({}),
  };
  for (const [key, client] of Object.entries(c) as [keyof AwsClients, AwsClients[keyof AwsClients]][]) withDomainErrors(client, key === 'mgn' || key === 'mgnWrite' ? 'mgn' : key === 'sfn' ? 'sfn' : 'other');
  return c;
}

/**
 * Every port on AWS. Call it once per Lambda container, at module scope (`const deps = createDeps(loadConfig())`),
 * so each SDK client and its connections are built once and reused by every invocation.
 */
export function createDeps(config: Config, opts: { clients?: Partial<AwsClients>; clock?: Clock; metrics?: MetricsPort } = {}): AwsDeps {
  const clients = createClients(opts.clients);
  const clock = opts.clock ?? systemClock;
  const doc = createDocumentClient(clients.dynamodb);
  const dedupe = createDedupe(doc, config.stateTable, clock);
  return {
    mgn: createMgnPort(clients.mgn, { writeClient: clients.mgnWrite }),
    mgnPlan: createMgnPlanPort(clients.mgn, clients.mgnWrite),
    launchTemplates: createLaunchTemplatePort(clients.mgn, clients.ec2),
    waits: createWaitStore(doc, config.stateTable),
    points: createRendezvousStore(doc, config.stateTable),
    gates: createGateStore(doc, config.stateTable),
    stalls: createStallStore(doc, config.stateTable),
    callbacks: createTaskCallbacks(clients.sfn),
    notifier: createNotifier({ client: clients.sns, opsTopicArn: config.opsTopicArn, dedupe }),
    links: createLinkStore(doc, config.stateTable),
    audit: createAuditLog(doc, config.stateTable),
    keys: config.signingSecretArn ? createSigningKeys(clients.secrets, config.signingSecretArn, { clock }) : noSigningKeys,
    approvals: createApprovalNotifier({ client: clients.sns, opsTopicArn: config.opsTopicArn, dedupe, ...(config.approvalTopicArn ? { approvalTopicArn: config.approvalTopicArn } : {}) }),
    approvalBaseUrl: config.approvalBaseUrl ?? '',
    waves: createWaveStore(doc, config.stateTable),
    executions: config.stateMachineArn ? createExecutionPort(clients.sfn, config.stateMachineArn) : noExecutions,
    quotas: createQuotaPort(clients.quotas, { clock }),
    metrics: opts.metrics ?? createMetricsPort(),
    clock,
    lock: createLeaseLock(dedupe, clock),
    onceKey: (key, ttlSeconds) => dedupe.once(key, ttlSeconds),
    dedupe,
    config,
    clients,
  };
}
