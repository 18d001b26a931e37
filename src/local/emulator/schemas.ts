import { z } from 'zod';
import { ACCOUNT_ID } from '../../core/ids.ts';

/** Input shapes of the emulated operations, from the MGN model (reference/mgn-api.md Appendix B/C). */

const id = (prefix: string) => z.string().regex(new RegExp(`^${prefix}-[0-9a-zA-Z]{17}$`), `must match ${prefix}-[0-9a-zA-Z]{17}`);
export const SourceServerID = id('s');
export const JobID = id('mgnjob');
export const WaveID = id('wave');
export const ApplicationID = id('app');
const LctID = id('lct');
const RctID = id('rct');
const AccountID = z.string().regex(ACCOUNT_ID, 'must be 12 digits');
const MaxResults = z.number().int().min(1).max(1000);
const NextToken = z.string().max(2048);
const Name = z
  .string()
  .min(1)
  .max(256)
  // eslint-disable-next-line no-control-regex -- the model's own pattern excludes NUL
  .regex(/^[^\s\x00]( *[^\s\x00])*$/, 'must not start or end with spaces');
const Description = z.string().max(600);
const Tags = z
  .record(z.string().max(256), z.string().max(256))
  .refine((t) => Object.keys(t).length <= 50, 'at most 50 tags');
const Iso = z
  .string()
  .regex(
    /^[1-9][0-9]*-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?Z$/,
    'must be an ISO-8601 date-time ending in Z',
  );

const LifeCycleState = z.enum([
  'STOPPED',
  'NOT_READY',
  'READY_FOR_TEST',
  'TESTING',
  'READY_FOR_CUTOVER',
  'CUTTING_OVER',
  'CUTOVER',
  'DISCONNECTED',
  'DISCOVERED',
  'PENDING_INSTALLATION',
]);

const base = { accountID: AccountID.optional() };
const paged = { ...base, maxResults: MaxResults.optional(), nextToken: NextToken.optional() };
const oneServer = z.object({ ...base, sourceServerID: SourceServerID });
const launch = z.object({
  ...base,
  sourceServerIDs: z.array(SourceServerID).min(1).max(200),
  tags: Tags.optional(),
});

const SsmDocument = z.object({
  actionName: z.string().max(256),
  ssmDocumentName: z.string().min(3).max(172).regex(/^[A-Za-z0-9/:_.-]+$/),
  timeoutSeconds: z.number().int().min(1).optional(),
  mustSucceedForCutover: z.boolean().optional(),
  parameters: z
    .record(
      z.string(),
      z.array(z.object({ parameterType: z.enum(['STRING', 'SECURE_STRING']), parameterName: z.string().min(1) })).max(10),
    )
    .optional(),
  externalParameters: z.record(z.string(), z.object({ dynamicPath: z.string().optional() })).optional(),
});

export const PostLaunchActions = z.object({
  deployment: z.enum(['TEST_AND_CUTOVER', 'CUTOVER_ONLY', 'TEST_ONLY']).optional(),
  s3LogBucket: z.string().min(3).max(63).optional(),
  s3OutputKeyPrefix: z.string().max(256).optional(),
  cloudWatchLogGroupName: z.string().min(1).max(512).optional(),
  ssmDocuments: z.array(SsmDocument).max(10).optional(),
});

export const inputSchemas = {
  InitializeService: z.object({}),
  /** MGN's global view: the accounts it manages ({ items: [{ accountId }] }). */
  ListManagedAccounts: z.object({ maxResults: MaxResults.optional(), nextToken: NextToken.optional() }),
  DescribeSourceServers: z.object({
    ...paged,
    filters: z
      .object({
        sourceServerIDs: z.array(SourceServerID).max(200).optional(),
        isArchived: z.boolean().optional(),
        replicationTypes: z.array(z.enum(['AGENT_BASED', 'SNAPSHOT_SHIPPING'])).max(2).optional(),
        lifeCycleStates: z.array(LifeCycleState).max(10).optional(),
        applicationIDs: z.array(ApplicationID).max(200).optional(),
      })
      .optional(),
  }),
  StartTest: launch,
  StartCutover: launch,
  TerminateTargetInstances: launch,
  FinalizeCutover: oneServer,
  MarkAsArchived: oneServer,
  DisconnectFromService: oneServer,
  RetryDataReplication: oneServer,
  StartReplication: oneServer,
  StopReplication: oneServer,
  PauseReplication: oneServer,
  ResumeReplication: oneServer,
  GetLaunchConfiguration: oneServer,
  GetReplicationConfiguration: oneServer,
  ChangeServerLifeCycleState: z.object({
    ...base,
    sourceServerID: SourceServerID,
    lifeCycle: z.object({ state: z.enum(['READY_FOR_TEST', 'READY_FOR_CUTOVER', 'CUTOVER']) }),
  }),
  DescribeJobs: z.object({
    ...paged,
    filters: z
      .object({ jobIDs: z.array(JobID).max(1000).optional(), fromDate: Iso.optional(), toDate: Iso.optional() })
      .optional(),
  }),
  DescribeJobLogItems: z.object({ ...paged, jobID: JobID }),
  UpdateSourceServerReplicationType: z.object({ ...base, sourceServerID: SourceServerID, replicationType: z.enum(['AGENT_BASED', 'SNAPSHOT_SHIPPING']) }),
  UpdateLaunchConfiguration: z.object({
    ...base,
    sourceServerID: SourceServerID,
    name: z.string().max(128).optional(),
    launchDisposition: z.enum(['STOPPED', 'STARTED']).optional(),
    targetInstanceTypeRightSizingMethod: z.enum(['NONE', 'BASIC']).optional(),
    copyPrivateIp: z.boolean().optional(),
    copyTags: z.boolean().optional(),
    licensing: z.object({ osByol: z.boolean().optional() }).optional(),
    bootMode: z.enum(['LEGACY_BIOS', 'UEFI', 'USE_SOURCE']).optional(),
    postLaunchActions: PostLaunchActions.optional(),
    enableMapAutoTagging: z.boolean().optional(),
    mapAutoTaggingMpeID: z.string().max(256).optional(),
  }),
  DescribeLaunchConfigurationTemplates: z.object({
    ...paged,
    launchConfigurationTemplateIDs: z.array(LctID).max(200).optional(),
  }),
  DescribeReplicationConfigurationTemplates: z.object({
    ...paged,
    replicationConfigurationTemplateIDs: z.array(RctID).max(200).optional(),
  }),
  CreateWave: z.object({ ...base, name: Name, description: Description.optional(), tags: Tags.optional() }),
  UpdateWave: z.object({ ...base, waveID: WaveID, name: Name.optional(), description: Description.optional() }),
  ArchiveWave: z.object({ ...base, waveID: WaveID }),
  UnarchiveWave: z.object({ ...base, waveID: WaveID }),
  DeleteWave: z.object({ ...base, waveID: WaveID }),
  ListWaves: z.object({
    ...paged,
    filters: z.object({ waveIDs: z.array(WaveID).max(200).optional(), isArchived: z.boolean().optional() }).optional(),
  }),
  CreateApplication: z.object({ ...base, name: Name, description: Description.optional(), tags: Tags.optional() }),
  UpdateApplication: z.object({
    ...base,
    applicationID: ApplicationID,
    name: Name.optional(),
    description: Description.optional(),
  }),
  ArchiveApplication: z.object({ ...base, applicationID: ApplicationID }),
  UnarchiveApplication: z.object({ ...base, applicationID: ApplicationID }),
  DeleteApplication: z.object({ ...base, applicationID: ApplicationID }),
  ListApplications: z.object({
    ...paged,
    filters: z
      .object({
        applicationIDs: z.array(ApplicationID).max(200).optional(),
        isArchived: z.boolean().optional(),
        waveIDs: z.array(WaveID).max(200).optional(),
      })
      .optional(),
  }),
  AssociateApplications: z.object({ ...base, waveID: WaveID, applicationIDs: z.array(ApplicationID).min(1).max(50) }),
  DisassociateApplications: z.object({
    ...base,
    waveID: WaveID,
    applicationIDs: z.array(ApplicationID).min(1).max(50),
  }),
  AssociateSourceServers: z.object({
    ...base,
    applicationID: ApplicationID,
    sourceServerIDs: z.array(SourceServerID).min(1).max(50),
  }),
  DisassociateSourceServers: z.object({
    ...base,
    applicationID: ApplicationID,
    sourceServerIDs: z.array(SourceServerID).min(1).max(50),
  }),
  ListSourceServerActions: z.object({
    ...paged,
    sourceServerID: SourceServerID,
    filters: z.object({ actionIDs: z.array(z.string().min(1).max(64)).max(100).optional() }).optional(),
  }),
  PutSourceServerAction: z.object({
    ...base,
    sourceServerID: SourceServerID,
    actionName: Name,
    documentIdentifier: z.string().min(1).max(256),
    order: z.number().int().min(1001).max(10000),
    actionID: z.string().min(1).max(64).regex(/[0-9a-zA-Z]$/, 'must end with a letter or digit'),
    documentVersion: z
      .string()
      .regex(/^(\$DEFAULT|\$LATEST|[0-9]+)$/)
      .optional(),
    active: z.boolean().optional(),
    timeoutSeconds: z.number().int().min(1).optional(),
    mustSucceedForCutover: z.boolean().optional(),
    parameters: z.record(z.string(), z.array(z.unknown()).max(10)).optional(),
    externalParameters: z.record(z.string(), z.object({ dynamicPath: z.string().optional() })).optional(),
    description: z.string().max(256).optional(),
    category: z
      .enum([
        'DISASTER_RECOVERY',
        'OPERATING_SYSTEM',
        'LICENSE_AND_SUBSCRIPTION',
        'VALIDATION',
        'OBSERVABILITY',
        'REFACTORING',
        'SECURITY',
        'NETWORKING',
        'CONFIGURATION',
        'BACKUP',
        'OTHER',
      ])
      .optional(),
  }),
  RemoveSourceServerAction: z.object({ ...base, sourceServerID: SourceServerID, actionID: z.string().min(1).max(64) }),
  TagResource: z.object({ resourceArn: z.string().min(20).max(2048), tags: Tags }),
  UntagResource: z.object({ resourceArn: z.string().min(20).max(2048), tagKeys: z.array(z.string().max(256)).min(1).max(50) }),
  ListTagsForResource: z.object({ resourceArn: z.string().min(20).max(2048) }),
} as const;

export type OperationName = keyof typeof inputSchemas;
export type Input<O extends OperationName> = z.infer<(typeof inputSchemas)[O]>;

export function isOperation(name: string): name is OperationName {
  return Object.prototype.hasOwnProperty.call(inputSchemas, name);
}

/** Operations that change state: CloudTrail records them and errorAfterCommit applies to them. */
export function isMutating(op: string): boolean {
  return !/^(Describe|Get|List)/.test(op);
}

/** Modeled success status per operation (Appendix A). */
export function successStatus(op: string): number {
  if (op === 'StartTest' || op === 'StartCutover' || op === 'TerminateTargetInstances') return 202;
  if (op.startsWith('Create')) return 201;
  if (op.startsWith('Delete') || op === 'InitializeService' || op.startsWith('Remove')) return 204;
  return 200;
}

/** Every operation of client-mgn 3.523.0 (Appendix A), to tell "unknown" from "not emulated". */
export const ALL_SDK_OPERATIONS = new Set([
  'ArchiveApplication', 'ArchiveWave', 'AssociateApplications', 'AssociateSourceServers', 'ChangeServerLifeCycleState',
  'CreateApplication', 'CreateConnector', 'CreateLaunchConfigurationTemplate', 'CreateReplicationConfigurationTemplate',
  'CreateWave', 'DeleteApplication', 'DeleteConnector', 'DeleteJob', 'DeleteLaunchConfigurationTemplate',
  'DeleteReplicationConfigurationTemplate', 'DeleteSourceServer', 'DeleteVcenterClient', 'DeleteWave',
  'DescribeJobLogItems', 'DescribeJobs', 'DescribeLaunchConfigurationTemplates',
  'DescribeReplicationConfigurationTemplates', 'DescribeSourceServers', 'DescribeVcenterClients',
  'DisassociateApplications', 'DisassociateSourceServers', 'DisconnectFromService', 'FinalizeCutover',
  'GetLaunchConfiguration', 'GetReplicationConfiguration', 'InitializeService', 'ListApplications', 'ListConnectors',
  'ListExportErrors', 'ListExports', 'ListImportErrors', 'ListImports', 'ListManagedAccounts',
  'ListSourceServerActions', 'ListTagsForResource', 'ListTemplateActions', 'ListWaves', 'MarkAsArchived',
  'PauseReplication', 'PutSourceServerAction', 'PutTemplateAction', 'RemoveSourceServerAction',
  'RemoveTemplateAction', 'ResumeReplication', 'RetryDataReplication', 'StartCutover', 'StartExport', 'StartImport',
  'StartReplication', 'StartTest', 'StopReplication', 'TagResource', 'TerminateTargetInstances',
  'UnarchiveApplication', 'UnarchiveWave', 'UntagResource', 'UpdateApplication', 'UpdateConnector',
  'UpdateLaunchConfiguration', 'UpdateLaunchConfigurationTemplate', 'UpdateReplicationConfiguration',
  'UpdateReplicationConfigurationTemplate', 'UpdateSourceServer', 'UpdateSourceServerReplicationType',
]);
