import { z } from 'zod';

/**
 * The handlers' configuration, parsed once at cold start from the environment serverless.yml gives them
 * (the local cloud gives the same variables).
 */
export interface Config {
  /** The one DynamoDB table holding waits, launch points, gates and dedupe markers. */
  stateTable: string;
  opsTopicArn: string;
  approvalTopicArn?: string;
  /** Where approval links point (the HTTP API's URL); unset: approval pages are not reachable, links are not made. */
  approvalBaseUrl?: string;
  /** The Secrets Manager secret holding the HMAC key that signs approval links. */
  signingSecretArn?: string;
  stateMachineArn?: string;
  /** RetryDataReplication attempts per stall episode before only ops are told (default 2). */
  maxStallRetries: number;
}

/** What each variable is and what to set it to: the error message says it. */
const HELP: Record<string, string> = {
  STATE_TABLE: 'the name of the DynamoDB state table (serverless.yml provider.environment: STATE_TABLE: !Ref StateTable)',
  OPS_TOPIC_ARN: 'the ARN of the ops SNS topic, arn:aws:sns:<region>:<account>:<name> (provider.environment: OPS_TOPIC_ARN: !Ref OpsTopic)',
  APPROVAL_TOPIC_ARN: 'the ARN of the approvals SNS topic, arn:aws:sns:<region>:<account>:<name>, or leave it unset',
  APPROVAL_BASE_URL: 'the https URL of the approvals HTTP API, without a trailing slash (serverless.yml sets it)',
  SIGNING_SECRET_ARN: 'the ARN (or name) of the Secrets Manager secret holding the approval link signing key (serverless.yml: !Ref ApprovalSigningSecret)',
  STATE_MACHINE_ARN: 'the ARN of the server-lifecycle state machine, arn:aws:states:<region>:<account>:stateMachine:<name>, or leave it unset',
  MAX_STALL_RETRIES: 'a whole number from 0 to 10 (default 2)',
};

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly variables: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Unset and empty are the same: an empty variable is a missing one. */
const blank = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const snsArn = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;
const sfnArn = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

const schema = z.object({
  STATE_TABLE: z.preprocess(blank, z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/)),
  OPS_TOPIC_ARN: z.preprocess(blank, z.string().regex(snsArn)),
  APPROVAL_TOPIC_ARN: z.preprocess(blank, z.string().regex(snsArn).optional()),
  STATE_MACHINE_ARN: z.preprocess(blank, z.string().regex(sfnArn).optional()),
  APPROVAL_BASE_URL: z.preprocess(blank, z.string().regex(/^https?:\/\/[^\s/?#]+(\/[^\s?#]*[^\s?#/])?$/).optional()),
  SIGNING_SECRET_ARN: z.preprocess(blank, z.string().regex(/^(arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:)?[A-Za-z0-9/_+=.@-]{1,512}$/).optional()),
  MAX_STALL_RETRIES: z.preprocess(blank, z.coerce.number().int().min(0).max(10).default(2)),
});

/**
 * Parse the configuration; throws ConfigError naming every variable to set and what to set it to. `optional`
 * (the CLI's read-only commands) lets the ops topic be missing: it is then '' and nothing may publish to it.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, opts: { optional?: readonly 'OPS_TOPIC_ARN'[] } = {}): Config {
  const parsed = (opts.optional?.includes('OPS_TOPIC_ARN') ? schema.extend({ OPS_TOPIC_ARN: z.preprocess(blank, z.string().regex(snsArn).optional()) }) : schema).safeParse(env);
  if (!parsed.success) {
    const variables = [...new Set(parsed.error.issues.map((i) => String(i.path[0])))];
    const lines = variables.map((name) => {
      const value = blank(env[name]);
      const what = value === undefined ? `${name} is not set` : `${name} is ${JSON.stringify(value)}`;
      return `${what}: set it to ${HELP[name] ?? 'a valid value'}`;
    });
    throw new ConfigError(`mgn-flow configuration: ${lines.join('; ')}`, variables);
  }
  const v = parsed.data;
  return {
    stateTable: v.STATE_TABLE,
    opsTopicArn: v.OPS_TOPIC_ARN ?? '',
    ...(v.APPROVAL_TOPIC_ARN ? { approvalTopicArn: v.APPROVAL_TOPIC_ARN } : {}),
    ...(v.STATE_MACHINE_ARN ? { stateMachineArn: v.STATE_MACHINE_ARN } : {}),
    ...(v.APPROVAL_BASE_URL ? { approvalBaseUrl: v.APPROVAL_BASE_URL } : {}),
    ...(v.SIGNING_SECRET_ARN ? { signingSecretArn: v.SIGNING_SECRET_ARN } : {}),
    maxStallRetries: v.MAX_STALL_RETRIES,
  };
}
