/**
 * Per-function IAM, produced from the code (docs/adr/0005-deploy-and-iam.md).
 *
 * Each handler declares the ports it uses (`handle({ name, uses: [...] }, ...)`, functions/_lib/runtime.ts),
 * and that declaration is enforced at run time. This module maps each port (MGN: each method) to the IAM
 * actions of the SDK commands its adapter sends, on the resources it sends them to, plus the actions AWS
 * performs with the caller's rights behind some of them (DEPENDENT). deploy/serverless-plugin.js turns the
 * declarations into one role per function at `osls package`. test/deploy checks every role against the
 * commands the adapter source really sends (none missing, none extra).
 *
 * A new port in src/adapters/aws/deps.ts (or a new MGN method) needs an entry here; packaging fails until
 * it has one.
 */

/** A CloudFormation value: a string, or an intrinsic (`{ 'Fn::Sub': ... }`, `{ Ref: ... }`). */
export type Cfn = string | Record<string, unknown>;
export interface Statement {
  Sid?: string;
  Effect: 'Allow';
  Action: string[];
  Resource: Cfn[];
  Condition?: Record<string, Record<string, unknown>>;
}

const sub = (s: string): Cfn => ({ 'Fn::Sub': s });
const allow = (Action: string[], Resource: Cfn[], Condition?: Statement['Condition']): Statement => ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) });

// Resources ----------------------------------------------------------------------------------------------------

/** The state table, and its indexes (`byKind`: the reconciler's lists). */
export const TABLE: Cfn = { 'Fn::GetAtt': ['StateTable', 'Arn'] };
export const TABLE_INDEXES: Cfn = sub('${StateTable.Arn}/index/*');
export const OPS_TOPIC: Cfn = { Ref: 'OpsTopic' };
export const APPROVAL_TOPIC: Cfn = { Ref: 'ApprovalTopic' };
/** The customer-managed key the topics are encrypted with: publishing to them needs it (DEPENDENT). */
export const TOPICS_KEY: Cfn = { 'Fn::GetAtt': ['TopicsKey', 'Arn'] };
export const SIGNING_SECRET: Cfn = { Ref: 'ApprovalSigningSecret' };
/** This stack's state machines and their executions (named mgn-flow-<stage>-...). */
export const STATE_MACHINES: Cfn = sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:${AWS::StackName}-*');
export const EXECUTIONS: Cfn = sub('arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-*');
/** MGN supports resource-level permissions on source servers (and jobs) for every write; reads are List actions on "*". */
export const SOURCE_SERVERS: Cfn = sub('arn:${AWS::Partition}:mgn:${AWS::Region}:${AWS::AccountId}:source-server/*');
export const MGN_JOBS: Cfn = sub('arn:${AWS::Partition}:mgn:${AWS::Region}:${AWS::AccountId}:job/*');
export const MGN_WAVES: Cfn = sub('arn:${AWS::Partition}:mgn:${AWS::Region}:${AWS::AccountId}:wave/*');
export const MGN_APPLICATIONS: Cfn = sub('arn:${AWS::Partition}:mgn:${AWS::Region}:${AWS::AccountId}:application/*');
const EC2 = (type: string): Cfn => sub(`arn:\${AWS::Partition}:ec2:\${AWS::Region}:\${AWS::AccountId}:${type}/*`);
/** Service Quotas and the MGN/EC2 reads have no resource-level permissions. */
const ANY: Cfn = '*';

/** The tag MGN puts on everything it creates for a launch (instances, volumes, snapshots, security groups, launch templates). */
const MGN_MANAGED = 'AWSApplicationMigrationServiceManaged';
const mgnOwned = { Null: { [`aws:ResourceTag/${MGN_MANAGED}`]: 'false' } };
const mgnTagged = { Null: { [`aws:RequestTag/${MGN_MANAGED}`]: 'false' } };

// Ports --------------------------------------------------------------------------------------------------------

const table = (...actions: string[]) => [allow(actions.map((a) => `dynamodb:${a}`), [TABLE])];
const dedupe = table('PutItem', 'DeleteItem');

/**
 * Port (or `mgn.<method>`) -> what its adapter needs. Keys are the names a handler writes in `uses`; `clock`,
 * `config` and plain values need nothing.
 */
export const PORTS: Record<string, Statement[]> = {
  clock: [],
  config: [],
  // Embedded Metric Format on stdout: CloudWatch Logs makes the metrics, no API call
  metrics: [],
  approvalBaseUrl: [],
  waits: [...table('GetItem', 'PutItem', 'DeleteItem', 'Scan'), allow(['dynamodb:Query'], [TABLE_INDEXES])],
  points: [...table('GetItem', 'UpdateItem'), allow(['dynamodb:Query'], [TABLE_INDEXES])],
  gates: [...table('GetItem', 'PutItem', 'UpdateItem'), allow(['dynamodb:Query'], [TABLE_INDEXES])],
  links: table('GetItem', 'PutItem', 'UpdateItem', 'Scan'),
  stalls: [...table('GetItem', 'UpdateItem'), allow(['dynamodb:Query'], [TABLE_INDEXES])],
  audit: table('PutItem', 'UpdateItem', 'Scan'),
  waves: [...table('GetItem', 'PutItem', 'DeleteItem', 'Scan'), allow(['dynamodb:Query'], [TABLE_INDEXES])],
  dedupe,
  lock: dedupe,
  onceKey: dedupe,
  callbacks: [allow(['states:SendTaskSuccess', 'states:SendTaskFailure'], [STATE_MACHINES])],
  executions: [allow(['states:StartExecution'], [STATE_MACHINES]), allow(['states:DescribeExecution', 'states:StopExecution'], [EXECUTIONS])],
  notifier: [...dedupe, allow(['sns:Publish'], [OPS_TOPIC])],
  // the approvals topic, or the ops topic when none is configured
  approvals: [...dedupe, allow(['sns:Publish'], [APPROVAL_TOPIC, OPS_TOPIC])],
  keys: [allow(['secretsmanager:GetSecretValue'], [SIGNING_SECRET])],
  quotas: [allow(['servicequotas:GetServiceQuota', 'servicequotas:GetAWSDefaultServiceQuota'], [ANY])],
  'mgn.describeServers': [allow(['mgn:DescribeSourceServers'], [ANY])],
  'mgn.describeJobs': [allow(['mgn:DescribeJobs'], [ANY])],
  'mgn.jobsSince': [allow(['mgn:DescribeJobs'], [ANY])],
  'mgn.startTest': [allow(['mgn:StartTest'], [SOURCE_SERVERS, MGN_JOBS])],
  'mgn.startCutover': [allow(['mgn:StartCutover'], [SOURCE_SERVERS, MGN_JOBS])],
  'mgn.terminateTargetInstances': [allow(['mgn:TerminateTargetInstances'], [SOURCE_SERVERS, MGN_JOBS])],
  'mgn.changeLifeCycleState': [allow(['mgn:ChangeServerLifeCycleState'], [SOURCE_SERVERS])],
  'mgn.finalizeCutover': [allow(['mgn:FinalizeCutover'], [SOURCE_SERVERS])],
  'mgn.markAsArchived': [allow(['mgn:MarkAsArchived'], [SOURCE_SERVERS])],
  'mgn.retryDataReplication': [allow(['mgn:RetryDataReplication'], [SOURCE_SERVERS])],
  'mgn.listServers': [allow(['mgn:DescribeSourceServers'], [ANY])],
  /** MGN's global view: the accounts it manages (a wave naming accounts is checked against them). */
  'mgn.listManagedAccounts': [allow(['mgn:ListManagedAccounts'], [ANY])],
  /** Scoping the port to an account calls nothing: the scoped port's calls are the methods declared. */
  'mgn.forAccount': [],
  // the launch template MGN made for a server: read it, add a version, make it the default; only MGN's own templates
  launchTemplates: [
    allow(['mgn:GetLaunchConfiguration'], [SOURCE_SERVERS]),
    allow(['ec2:DescribeLaunchTemplateVersions'], [ANY]),
    allow(['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'], [EC2('launch-template')], mgnOwned),
  ],
  // MGN's plan mirror: its waves and applications (created with tags), server associations, server tags
  mgnPlan: [
    allow(['mgn:ListWaves', 'mgn:ListApplications', 'mgn:DescribeSourceServers', 'mgn:CreateWave', 'mgn:CreateApplication'], [ANY]),
    allow(['mgn:UnarchiveWave', 'mgn:ArchiveWave', 'mgn:AssociateApplications', 'mgn:DisassociateApplications'], [MGN_WAVES, MGN_APPLICATIONS]),
    allow(['mgn:UnarchiveApplication', 'mgn:ArchiveApplication', 'mgn:AssociateSourceServers', 'mgn:DisassociateSourceServers'], [MGN_APPLICATIONS, SOURCE_SERVERS]),
    allow(['mgn:TagResource'], [MGN_WAVES, MGN_APPLICATIONS, SOURCE_SERVERS]),
  ],
  'mgn.applyLaunchSettings': [allow(['mgn:GetLaunchConfiguration', 'mgn:UpdateLaunchConfiguration', 'mgn:PutSourceServerAction', 'mgn:ListSourceServerActions', 'mgn:RemoveSourceServerAction'], [SOURCE_SERVERS])],
};

// What AWS does with the caller's rights behind a command --------------------------------------------------------

/** EC2 reads MGN makes while launching (EC2 Describe* have no resource-level permissions). */
const EC2_READS = [
  'ec2:DescribeAccountAttributes',
  'ec2:DescribeAvailabilityZones',
  'ec2:DescribeImages',
  'ec2:DescribeInstanceAttribute',
  'ec2:DescribeInstanceStatus',
  'ec2:DescribeInstanceTypes',
  'ec2:DescribeInstances',
  'ec2:DescribeLaunchTemplateVersions',
  'ec2:DescribeLaunchTemplates',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeSnapshots',
  'ec2:DescribeSubnets',
  'ec2:DescribeVolumes',
  'ec2:GetEbsDefaultKmsKeyId',
  'ec2:GetEbsEncryptionByDefault',
];

/**
 * StartTest / StartCutover: MGN launches the conversion server and the test or cutover instance partly with
 * the caller's rights, which is why AWS asks launchers to hold the managed policy
 * AWSApplicationMigrationEC2Access. These are its statements, scoped to this account and region, every write
 * conditioned on MGN's own tag (on the resource, or requested at creation), and iam:PassRole limited to MGN's
 * launch roles passed to EC2. Sources in docs/adr/0005-deploy-and-iam.md.
 */
const MGN_LAUNCH: Statement[] = [
  { Sid: 'MgnLaunchReads', ...allow(EC2_READS, [ANY]) },
  { Sid: 'MgnLaunchRunTagged', ...allow(['ec2:RunInstances'], [EC2('instance')], mgnTagged) },
  {
    Sid: 'MgnLaunchRunWith',
    ...allow(['ec2:RunInstances'], [EC2('subnet'), EC2('security-group'), EC2('volume'), EC2('network-interface'), EC2('launch-template'), sub('arn:${AWS::Partition}:ec2:${AWS::Region}::image/*'), EC2('image')]),
  },
  { Sid: 'MgnLaunchCreateTagged', ...allow(['ec2:CreateVolume', 'ec2:CreateSecurityGroup'], [EC2('volume'), EC2('security-group')], mgnTagged) },
  { Sid: 'MgnLaunchSecurityGroupInVpc', ...allow(['ec2:CreateSecurityGroup'], [EC2('vpc')]) },
  { Sid: 'MgnLaunchSnapshotTagged', ...allow(['ec2:CreateSnapshot'], [EC2('snapshot')], mgnTagged) },
  { Sid: 'MgnLaunchSnapshotOwned', ...allow(['ec2:CreateSnapshot'], [EC2('volume')], mgnOwned) },
  {
    Sid: 'MgnLaunchTagOnCreate',
    ...allow(['ec2:CreateTags'], [EC2('instance'), EC2('volume'), EC2('snapshot'), EC2('security-group')], {
      StringEquals: { 'ec2:CreateAction': ['RunInstances', 'CreateVolume', 'CreateSnapshot', 'CreateSecurityGroup'] },
    }),
  },
  {
    Sid: 'MgnLaunchOwnedInstances',
    ...allow(
      ['ec2:StartInstances', 'ec2:StopInstances', 'ec2:TerminateInstances', 'ec2:ModifyInstanceAttribute', 'ec2:GetConsoleOutput', 'ec2:GetConsoleScreenshot', 'ec2:AttachVolume', 'ec2:DetachVolume'],
      [EC2('instance')],
      mgnOwned,
    ),
  },
  { Sid: 'MgnLaunchOwnedVolumes', ...allow(['ec2:AttachVolume', 'ec2:DetachVolume', 'ec2:DeleteVolume'], [EC2('volume')], mgnOwned) },
  { Sid: 'MgnLaunchOwnedSnapshots', ...allow(['ec2:DeleteSnapshot'], [EC2('snapshot')], mgnOwned) },
  {
    Sid: 'MgnLaunchOwnedSecurityGroups',
    ...allow(['ec2:AuthorizeSecurityGroupIngress', 'ec2:AuthorizeSecurityGroupEgress', 'ec2:RevokeSecurityGroupEgress'], [EC2('security-group')], mgnOwned),
  },
  {
    Sid: 'MgnLaunchOwnedLaunchTemplates',
    ...allow(['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate', 'ec2:DeleteLaunchTemplateVersions'], [EC2('launch-template')], mgnOwned),
  },
  {
    Sid: 'MgnLaunchPassRoles',
    ...allow(
      ['iam:PassRole'],
      ['AWSApplicationMigrationConversionServerRole', 'AWSApplicationMigrationLaunchInstanceWithDrsRole', 'AWSApplicationMigrationLaunchInstanceWithSsmRole'].map((r) =>
        sub(`arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/service-role/${r}`),
      ),
      { StringEquals: { 'iam:PassedToService': 'ec2.amazonaws.com' } },
    ),
  },
];

/** TerminateTargetInstances: MGN terminates the instances it launched, with the caller's rights. */
const MGN_TERMINATE: Statement[] = [
  { Sid: 'MgnTerminateReads', ...allow(['ec2:DescribeInstances', 'ec2:DescribeInstanceStatus'], [ANY]) },
  { Sid: 'MgnTerminateOwnedInstances', ...allow(['ec2:TerminateInstances'], [EC2('instance')], mgnOwned) },
];

/**
 * IAM action -> what else the caller needs for it (not visible in the code: from AWS's documentation, with
 * the sources in the ADR).
 */
export const DEPENDENT: Record<string, Statement[]> = {
  'mgn:StartTest': MGN_LAUNCH,
  'mgn:StartCutover': MGN_LAUNCH,
  'mgn:TerminateTargetInstances': MGN_TERMINATE,
  // UpdateLaunchConfiguration writes a new version of the server's MGN-owned EC2 launch template with the
  // caller's rights (AWSApplicationMigrationEC2Access grants the same, on MGN-tagged templates)
  'mgn:UpdateLaunchConfiguration': [
    { Sid: 'MgnLaunchTemplateReads', ...allow(['ec2:DescribeLaunchTemplates', 'ec2:DescribeLaunchTemplateVersions'], [ANY]) },
    { Sid: 'MgnLaunchTemplateWrites', ...allow(['ec2:CreateLaunchTemplateVersion', 'ec2:ModifyLaunchTemplate'], [EC2('launch-template')], mgnOwned) },
  ],
  // SNS server-side encryption with a customer-managed key: the publisher needs the key
  'sns:Publish': [allow(['kms:GenerateDataKey', 'kms:Decrypt'], [TOPICS_KEY])],
};

/** Every Lambda: its own log group (streams and events) and X-Ray traces (no resource-level permissions). */
export function runtimeStatements(functionName: string): Statement[] {
  return [
    allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [sub(`arn:\${AWS::Partition}:logs:\${AWS::Region}:\${AWS::AccountId}:log-group:/aws/lambda/${functionName}:*`)]),
    allow(['xray:PutTraceSegments', 'xray:PutTelemetryRecords'], [ANY]),
  ];
}

export class IamDeclarationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IamDeclarationError';
  }
}

/** The statements for a function declaring `uses`: its ports', what AWS needs behind them, and the runtime's; merged. */
export function statementsFor(fn: { key: string; name: string; uses: readonly string[] }): Statement[] {
  const out: Statement[] = [];
  for (const use of fn.uses) {
    const port = PORTS[use];
    if (!port) {
      throw new IamDeclarationError(
        `functions ${fn.key} uses '${use}', which deploy/iam.ts does not know: add it to PORTS with the IAM actions of the SDK commands its adapter sends`,
      );
    }
    out.push(...port);
  }
  const actions = new Set(out.flatMap((s) => s.Action));
  for (const a of [...actions].sort()) out.push(...(DEPENDENT[a] ?? []));
  out.push(...runtimeStatements(fn.name));
  return merge(out);
}

/** Statements with the same resources and condition become one (actions united and sorted); exact duplicates go. */
export function merge(statements: Statement[]): Statement[] {
  const byScope = new Map<string, Statement>();
  for (const s of statements) {
    const key = JSON.stringify([s.Sid ?? '', s.Resource, s.Condition ?? null]);
    const prev = byScope.get(key);
    if (prev) prev.Action = [...new Set([...prev.Action, ...s.Action])].sort();
    else byScope.set(key, { ...s, Action: [...new Set(s.Action)].sort() });
  }
  return [...byScope.values()];
}

/** `uses: ['a', 'mgn.b']` as written in a handler's source (a literal array of string literals). */
export function usesInSource(text: string, where: string): string[] {
  const found = [...text.matchAll(/\buses:\s*\[([^\]]*)\]/g)];
  if (found.length !== 1) {
    throw new IamDeclarationError(
      `${where}: expected exactly one \`uses: [...]\` (a literal array of strings: handle({ name, uses: ['waits', 'mgn.describeServers'] }, ...)), found ${found.length}`,
    );
  }
  const body = (found[0] as RegExpMatchArray)[1] as string;
  const uses = [...body.matchAll(/'([^']*)'|"([^"]*)"/g)].map((m) => (m[1] ?? m[2]) as string);
  const rest = body.replace(/'[^']*'|"[^"]*"/g, '').replace(/[\s,]/g, '');
  if (rest !== '') throw new IamDeclarationError(`${where}: \`uses\` must list string literals only (found ${JSON.stringify(rest)})`);
  return uses;
}

/** The CloudFormation role of one function. */
export function roleResource(fn: { key: string; name: string; uses: readonly string[] }): Record<string, unknown> {
  return {
    Type: 'AWS::IAM::Role',
    Properties: {
      Description: `mgn-flow ${fn.key}: ${fn.uses.join(', ') || 'no ports'}`.slice(0, 1000),
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      Policies: [{ PolicyName: `${fn.key}`, PolicyDocument: { Version: '2012-10-17', Statement: statementsFor(fn) } }],
    },
  };
}

/** `routeMgnEvent` -> `RouteMgnEventLambdaRole`. */
export const roleLogicalId = (key: string) => `${key.charAt(0).toUpperCase()}${key.slice(1)}LambdaRole`;
