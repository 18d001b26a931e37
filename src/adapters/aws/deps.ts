import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SNSClient } from '@aws-sdk/client-sns';
import type { Clock, GateStore, Lock, MgnPort, Notifier, RendezvousStore, TaskCallbacks, WaitStore } from '../../ports.ts';
import { createTaskCallbacks } from './callbacks.ts';
import type { Config } from './config.ts';
import { createMgnPort, writeRetryStrategy } from './mgn.ts';
import { createNotifier } from './notifier.ts';
import { type Dedupe, createDedupe, createDocumentClient, createGateStore, createRendezvousStore, createWaitStore } from './stores.ts';

export const systemClock: Clock = { now: () => new Date() };

/** The SDK clients behind the ports. Region, credentials and endpoints come from the SDK's own environment (AWS_REGION, AWS_ENDPOINT_URL_<SERVICE>). */
export interface AwsClients {
  /** MGN reads (standard retries). */
  mgn: MgnClient;
  /** MGN writes: retried on throttling only, so an applied-then-failed request is never repeated behind the core's back. */
  mgnWrite: MgnClient;
  sfn: SFNClient;
  sns: SNSClient;
  dynamodb: DynamoDBClient;
}

export interface Deps {
  mgn: MgnPort;
  waits: WaitStore;
  points: RendezvousStore;
  gates: GateStore;
  callbacks: TaskCallbacks;
  notifier: Notifier;
  clock: Clock;
  /** Leases on the state table (the launch job-slot limiter). */
  lock: Lock;
  /** True the first time `key` is seen within `ttlSeconds`. */
  onceKey: Dedupe['once'];
  dedupe: Dedupe;
  config: Config;
  clients: AwsClients;
}

export function createClients(overrides: Partial<AwsClients> = {}): AwsClients {
  return {
    mgn: overrides.mgn ?? new MgnClient({}),
    mgnWrite: overrides.mgnWrite ?? new MgnClient({ retryStrategy: writeRetryStrategy() }),
    sfn: overrides.sfn ?? new SFNClient({}),
    sns: overrides.sns ?? new SNSClient({}),
    dynamodb: overrides.dynamodb ?? new DynamoDBClient({}),
  };
}

/**
 * Every port on AWS. Call it once per Lambda container, at module scope (`const deps = createDeps(loadConfig())`),
 * so each SDK client and its connections are built once and reused by every invocation.
 */
export function createDeps(config: Config, opts: { clients?: Partial<AwsClients>; clock?: Clock } = {}): Deps {
  const clients = createClients(opts.clients);
  const clock = opts.clock ?? systemClock;
  const doc = createDocumentClient(clients.dynamodb);
  const dedupe = createDedupe(doc, config.stateTable, clock);
  return {
    mgn: createMgnPort(clients.mgn, { writeClient: clients.mgnWrite }),
    waits: createWaitStore(doc, config.stateTable),
    points: createRendezvousStore(doc, config.stateTable),
    gates: createGateStore(doc, config.stateTable),
    callbacks: createTaskCallbacks(clients.sfn),
    notifier: createNotifier({ client: clients.sns, opsTopicArn: config.opsTopicArn, dedupe }),
    clock,
    lock: { acquire: (key, ttlSeconds) => dedupe.once(`lock#${key}`, ttlSeconds), release: (key) => dedupe.forget(`lock#${key}`) },
    onceKey: (key, ttlSeconds) => dedupe.once(key, ttlSeconds),
    dedupe,
    config,
    clients,
  };
}
