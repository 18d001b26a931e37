import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTables, startDynamo } from '../../../src/local/cloud/dynamodb/index.ts';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** dynalite with one state table `{pk S HASH}` (TTL on `ttl`, as serverless.yml declares it), and a client on it. */
export async function localStateTable(table = 'mgn-flow-test-state') {
  const dynamo = await startDynamo();
  const client = new DynamoDBClient({ region: REGION, endpoint: dynamo.endpoint, credentials: CREDENTIALS });
  await createTables(client, [
    {
      TableName: table,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    },
  ]);
  return {
    table,
    endpoint: dynamo.endpoint,
    client,
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}

/** A clock the test moves. */
export function manualClock(start = Date.UTC(2026, 0, 5, 8)) {
  let now = start;
  return { now: () => new Date(now), advance: (seconds: number) => (now += seconds * 1000) };
}
