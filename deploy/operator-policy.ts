/**
 * The least-privilege policy of the operator who runs the `mgn-flow` CLI against a deployed stage (docs/deploy.md).
 * Generated: the ports the CLI's commands use take their statements from deploy/iam.ts's PORTS (the same
 * source as the functions' roles), and the calls the CLI makes itself (stack discovery, schedules, the wave
 * state machine, graph, doctor) are listed below. The local cloud enforces this policy on the CLI's calls in
 * the tests (test/cli/discovery.test.ts runs every command under it), so a call added without its permission
 * fails there. `npx tsx deploy/operator-policy.ts --stage prod --region eu-west-1 --account 123456789012` prints it.
 */
import { DEPENDENT, PORTS, merge, type Cfn, type Statement } from './iam.ts';

const sub = (s: string): Cfn => ({ 'Fn::Sub': s });
const allow = (Action: string[], Resource: Cfn[], Condition?: Statement['Condition']): Statement => ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) });
const ANY: Cfn = '*';

/** The ports the CLI's commands reach through createDeps (wave start/status/watch, approvals, soak extend). */
export const OPERATOR_PORTS = ['waves', 'waits', 'gates', 'links', 'audit', 'stalls', 'callbacks', 'notifier', 'approvals', 'dedupe', 'executions', 'quotas', 'keys', 'mgn.listServers', 'mgn.listManagedAccounts', 'mgn.describeServers', 'mgn.describeJobs'] as const;

const STACK = sub('arn:${AWS::Partition}:cloudformation:${AWS::Region}:${AWS::AccountId}:stack/${AWS::StackName}/*');
const MACHINES = sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-*');
const EXECUTIONS = sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-*');
const WAVE_SCHEDULES = sub('arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${AWS::StackName}/mgn-flow-wave-*');
const GROUP_SCHEDULES = sub('arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${AWS::StackName}/*');
const STACK_ROLES = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-*');
const MGN_SERVICE_ROLES = sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/service-role/AWSApplicationMigration*');

/** What the CLI calls itself, beside the ports. */
export const OPERATOR_CALLS: Statement[] = [
  // stack discovery (every command on AWS)
  allow(['cloudformation:DescribeStacks'], [STACK]),
  // wave start (MGN's own waves), wave watch, graph
  allow(['mgn:ListWaves', 'mgn:ListApplications'], [ANY]),
  allow(['states:ListExecutions'], [MACHINES]),
  allow(['states:DescribeExecution', 'states:GetExecutionHistory', 'states:DescribeStateMachineForExecution'], [EXECUTIONS]),
  // wave schedule: the wave's one-time schedule in the stack's group, run as the stack's scheduler role
  allow(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'], [WAVE_SCHEDULES]),
  allow(['scheduler:GetSchedule'], [GROUP_SCHEDULES]),
  allow(['scheduler:ListSchedules'], [ANY]),
  allow(['iam:PassRole'], [sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:role/${AWS::StackName}-SchedulerRole*')], { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }),
  // doctor
  allow(['mgn:DescribeReplicationConfigurationTemplates', 'mgn:DescribeLaunchConfigurationTemplates'], [ANY]),
  allow(['iam:GetRole'], [MGN_SERVICE_ROLES]),
  allow(['iam:SimulatePrincipalPolicy'], [STACK_ROLES]),
  // doctor and wave start: who would receive the gates' requests and the ops messages (their filter policies)
  allow(['sns:ListSubscriptionsByTopic'], [{ Ref: 'OpsTopic' }, { Ref: 'ApprovalTopic' }]),
  allow(['sns:GetSubscriptionAttributes'], [sub('${OpsTopic}:*'), sub('${ApprovalTopic}:*')]),
  allow(['secretsmanager:DescribeSecret'], [{ Ref: 'ApprovalSigningSecret' }]),
  allow(['cloudwatch:GetMetricStatistics'], [ANY]),
];

/** The operator's statements, merged: the ports', what AWS needs behind them, and the CLI's own calls. */
export function operatorStatements(): Statement[] {
  const ports = OPERATOR_PORTS.flatMap((p) => PORTS[p] ?? []);
  const actions = new Set(ports.flatMap((s) => s.Action));
  // the operator never launches (no mgn:StartTest): only the dependents of what the ports do (KMS for encrypted topics)
  const dependent = [...actions].sort().flatMap((a) => DEPENDENT[a] ?? []);
  return merge([...ports, ...dependent, ...OPERATOR_CALLS]);
}

/** The policy document for one deployed stage, with its ARNs written out (what docs/deploy.md tells to attach). */
export function operatorPolicyDocument(o: { stage: string; region: string; accountId: string; partition?: string; names?: Record<string, string> }): { Version: string; Statement: { Effect: 'Allow'; Action: string[]; Resource: string[]; Condition?: Statement['Condition'] }[] } {
  const stack = `mgn-flow-${o.stage}`;
  const names: Record<string, string> = {
    StateTable: `arn:${o.partition ?? 'aws'}:dynamodb:${o.region}:${o.accountId}:table/${stack}-state`,
    OpsTopic: `arn:${o.partition ?? 'aws'}:sns:${o.region}:${o.accountId}:${stack}-ops`,
    ApprovalTopic: `arn:${o.partition ?? 'aws'}:sns:${o.region}:${o.accountId}:${stack}-approvals`,
    ApprovalSigningSecret: `arn:${o.partition ?? 'aws'}:secretsmanager:${o.region}:${o.accountId}:secret:${stack}-approval-signing-key-*`,
    TopicsKey: `arn:${o.partition ?? 'aws'}:kms:${o.region}:${o.accountId}:key/*`,
    ...o.names,
  };
  const render = (v: Cfn): string => {
    if (typeof v === 'string') return v;
    if (typeof v.Ref === 'string') return names[v.Ref] ?? `<${v.Ref}>`;
    const att = v['Fn::GetAtt'];
    if (Array.isArray(att)) return names[String(att[0])] ?? `<${att.join('.')}>`;
    return String(v['Fn::Sub']).replace(/\$\{([^}]+)\}/g, (_m, n: string) =>
      n === 'AWS::Partition' ? (o.partition ?? 'aws') : n === 'AWS::Region' ? o.region : n === 'AWS::AccountId' ? o.accountId : n === 'AWS::StackName' ? stack : (names[n.split('.')[0] as string] ?? `<${n}>`),
    );
  };
  return { Version: '2012-10-17', Statement: operatorStatements().map((s) => ({ Effect: 'Allow', Action: s.Action, Resource: s.Resource.map(render), ...(s.Condition ? { Condition: s.Condition } : {}) })) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const stage = arg('stage') ?? 'dev';
  const region = arg('region') ?? 'us-east-1';
  const accountId = arg('account') ?? '123456789012';
  process.stdout.write(`${JSON.stringify(operatorPolicyDocument({ stage, region, accountId }), null, 2)}\n`);
}
