import { NotFoundError, UsageError } from './errors.ts';

/**
 * The stack's outputs the CLI acts on (serverless.yml `resources.Outputs`, the same keys the local cloud's
 * DescribeStacks answers with), each with the environment variable that overrides it. A test keeps this list
 * and the template in step.
 */
export const STACK_OUTPUTS = [
  { output: 'StateTableName', variable: 'STATE_TABLE', what: 'the state table' },
  { output: 'OpsTopicArn', variable: 'OPS_TOPIC_ARN', what: 'the ops topic' },
  { output: 'ApprovalTopicArn', variable: 'APPROVAL_TOPIC_ARN', what: 'the approvals topic' },
  { output: 'SigningSecretArn', variable: 'SIGNING_SECRET_ARN', what: 'the approval link signing secret' },
  { output: 'ServerLifecycleStateMachineArn', variable: 'STATE_MACHINE_ARN', what: 'the server-lifecycle state machine' },
  { output: 'WaveStateMachineArn', variable: 'WAVE_STATE_MACHINE_ARN', what: 'the wave state machine' },
  { output: 'SchedulerRoleArn', variable: 'SCHEDULER_ROLE_ARN', what: "the role the stack's schedules run as" },
  { output: 'ScheduleGroupName', variable: 'SCHEDULE_GROUP', what: "the stack's schedule group" },
  { output: 'EventsDeadLetterQueueArn', variable: 'SCHEDULE_DLQ_ARN', what: 'the dead-letter queue of rules and schedules' },
  { output: 'ReconcileFunctionArn', variable: 'RECONCILE_FUNCTION_ARN', what: 'the reconciler function' },
  { output: 'LauncherRoleArns', variable: 'LAUNCHER_ROLE_ARNS', what: 'the roles of the functions that launch' },
  { output: 'ApprovalApiUrl', variable: 'APPROVAL_BASE_URL', what: "the approval pages' HTTP API" },
] as const;

export type StackVariable = (typeof STACK_OUTPUTS)[number]['variable'];
export type StackResources = Partial<Record<StackVariable, string>>;

/** osls names the stack `<service>-<stage>`. */
export const stackName = (stage: string): string => `mgn-flow-${stage}`;

/** The outputs of the stack, by output key, through CloudFormation DescribeStacks (region, credentials and endpoint from the SDK's environment). */
export async function describeStackOutputs(stack: string): Promise<Record<string, string>> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = new CloudFormationClient({});
  try {
    const r = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    const s = r.Stacks?.[0];
    if (!s) throw new NotFoundError(`no stack ${stack}`);
    return Object.fromEntries((s.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue !== undefined).map((o) => [String(o.OutputKey), String(o.OutputValue)]));
  } catch (err) {
    const e = err as Error;
    const region = await cfn.config.region().catch(() => process.env.AWS_REGION ?? '(no region)');
    if (e.name === 'ValidationError' && /does not exist/.test(e.message)) {
      throw new NotFoundError(`no stack ${stack} in ${region}: deploy it (npx osls deploy --stage ${stack.replace(/^mgn-flow-/, '')} --region ${region}), or give the --region and --profile of the account it is in`, { cause: err });
    }
    if (e.name === 'AccessDenied' || e.name === 'AccessDeniedException') {
      throw new UsageError(`finding stack ${stack} needs cloudformation:DescribeStacks on it (docs/deploy.md: the operator policy), or set the variables it would give: ${STACK_OUTPUTS.map((o) => o.variable).join(', ')}`);
    }
    if (/Region is missing/i.test(e.message)) throw new UsageError(`no AWS region: give --region <region> (or set AWS_REGION, or a region in the profile) to find stack ${stack}`);
    if (e.name === 'CredentialsProviderError' || /Could not load credentials/.test(e.message)) {
      throw new UsageError(`no AWS credentials: give --profile <name>, or set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (${e.message})`);
    }
    throw err;
  } finally {
    cfn.destroy();
  }
}

/**
 * The resources a command acts on: the environment's overrides first, then the stack's outputs. DescribeStacks
 * is asked only when an override does not already give every resource the command needs; a needed one found
 * nowhere is an error naming its output and its variable.
 */
export async function discoverResources(stack: string, needs: readonly StackVariable[], env: Record<string, string | undefined>, describe = describeStackOutputs): Promise<StackResources> {
  const overrides: StackResources = {};
  for (const o of STACK_OUTPUTS) {
    const v = env[o.variable]?.trim();
    if (v) overrides[o.variable] = v;
  }
  if (needs.length > 0 && needs.every((n) => overrides[n] !== undefined)) return overrides;
  const outputs = await describe(stack);
  const found: StackResources = {};
  for (const o of STACK_OUTPUTS) {
    const v = overrides[o.variable] ?? outputs[o.output];
    if (v !== undefined && v !== '') found[o.variable] = v;
  }
  const missing = STACK_OUTPUTS.filter((o) => needs.includes(o.variable) && found[o.variable] === undefined);
  if (missing.length) {
    throw new UsageError(
      `stack ${stack} has no output ${missing.map((o) => `${o.output} (${o.what})`).join(', ')}: deploy this version of mgn-flow to it again, or set ${missing.map((o) => o.variable).join(', ')}`,
    );
  }
  return found;
}

export { SCHEDULE_RETRY_POLICY } from '../adapters/aws/wave-schedules.ts';
