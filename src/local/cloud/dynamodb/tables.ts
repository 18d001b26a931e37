import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * A table as an `AWS::DynamoDB::Table` resource's Properties declare it in serverless.yml (after the
 * framework resolved its variables): the CreateTable fields plus TimeToLiveSpecification. Properties that
 * only matter on AWS (PointInTimeRecoverySpecification, SSESpecification, DeletionProtectionEnabled, ...)
 * are accepted and ignored.
 */
export interface TableDefinition {
  TableName: string;
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  KeySchema: CreateTableCommandInput['KeySchema'];
  BillingMode?: CreateTableCommandInput['BillingMode'];
  ProvisionedThroughput?: CreateTableCommandInput['ProvisionedThroughput'];
  GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
  LocalSecondaryIndexes?: CreateTableCommandInput['LocalSecondaryIndexes'];
  StreamSpecification?: CreateTableCommandInput['StreamSpecification'];
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
  Tags?: CreateTableCommandInput['Tags'];
  [awsOnly: string]: unknown;
}

const CREATE_FIELDS = [
  'TableName',
  'AttributeDefinitions',
  'KeySchema',
  'BillingMode',
  'ProvisionedThroughput',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'StreamSpecification',
  'Tags',
] as const;

/** The table definitions among CloudFormation resources (`resources.Resources` of serverless.yml). */
export function tablesFromResources(resources: Record<string, { Type?: string; Properties?: unknown }>): TableDefinition[] {
  return Object.values(resources)
    .filter((r) => r.Type === 'AWS::DynamoDB::Table' && typeof r.Properties === 'object' && r.Properties !== null)
    .map((r) => r.Properties as TableDefinition);
}

/**
 * Create each table (an existing table is left as it is), turn its TTL on when declared, and wait until it
 * is ACTIVE. Returns the names of the tables it created.
 */
export async function createTables(client: DynamoDBClient, tables: readonly TableDefinition[]): Promise<string[]> {
  const created: string[] = [];
  for (const table of tables) {
    const input: Record<string, unknown> = {};
    for (const f of CREATE_FIELDS) if (table[f] !== undefined) input[f] = table[f];
    if (input.BillingMode === undefined && input.ProvisionedThroughput === undefined) input.BillingMode = 'PAY_PER_REQUEST';
    try {
      await client.send(new CreateTableCommand(input as unknown as CreateTableCommandInput));
      created.push(table.TableName);
    } catch (err) {
      if (!(err instanceof ResourceInUseException)) throw err;
      continue;
    }
    for (let i = 0; i < 100; i++) {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: table.TableName }));
      if (Table?.TableStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 10));
    }
    if (table.TimeToLiveSpecification?.Enabled) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: table.TableName,
          TimeToLiveSpecification: { AttributeName: table.TimeToLiveSpecification.AttributeName, Enabled: true },
        }),
      );
    }
  }
  return created;
}
