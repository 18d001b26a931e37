import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolve } from 'node:path';
import { createTables, startDynamo, tablesFromResources } from '../../../src/local/cloud/dynamodb/index.ts';
import { readServerlessConfig } from '../../../src/local/cloud/serverless-config.ts';

export const REGION = 'us-east-1';
export const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

/** dynalite with the state table as serverless.yml declares it (`{pk S HASH}`, TTL on `ttl`, the byKind index), and a client on it. */
export async function localStateTable(table = 'mgn-flow-test-state') {
  const dynamo = await startDynamo();
  const client = new DynamoDBClient({ region: REGION, endpoint: dynamo.endpoint, credentials: CREDENTIALS });
  // the state table exactly as serverless.yml declares it (its byKind index included), under the test's name
  const [state] = tablesFromResources(readServerlessConfig(resolve(import.meta.dirname, '../../..')).resources);
  await createTables(client, [{ ...(state as NonNullable<typeof state>), TableName: table }]);
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
