import {
  ConditionalCheckFailedException,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  PutItemCommand,
  TransactionCanceledException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactGetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalDynamo, type TableDefinition, createTables, startDynamo, tablesFromResources } from '../../../../src/local/cloud/dynamodb/index.ts';
import { LOCAL_CLIENT } from '../../../helpers/local-server.ts';

/** As serverless.yml declares them (resources.Resources), variables resolved. */
const RESOURCES = {
  WaitsTable: {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      TableName: 'mgn-flow-test-waits',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    },
  },
  SlotsTable: {
    Type: 'AWS::DynamoDB::Table',
    Properties: {
      TableName: 'mgn-flow-test-slots',
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    },
  },
  ApprovalTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: 'x' } },
};
const WAITS = 'mgn-flow-test-waits';
const SLOTS = 'mgn-flow-test-slots';

describe('local DynamoDB (dynalite) through @aws-sdk/client-dynamodb and lib-dynamodb', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let doc: DynamoDBDocumentClient;
  let tables: TableDefinition[];

  beforeAll(async () => {
    dynamo = await startDynamo();
    client = new DynamoDBClient({ ...LOCAL_CLIENT, endpoint: dynamo.endpoint });
    doc = DynamoDBDocumentClient.from(client);
    tables = tablesFromResources(RESOURCES);
    expect(await createTables(client, tables)).toEqual([WAITS, SLOTS]);
  });
  afterAll(async () => {
    client.destroy();
    await dynamo.close();
  });

  describe('tables', () => {
    it('creates the tables of the serverless.yml resources once, and turns their TTL on', async () => {
      expect(dynamo.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(await createTables(client, tables)).toEqual([]);
      const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: WAITS }));
      expect(TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
      const slots = await client.send(new DescribeTimeToLiveCommand({ TableName: SLOTS }));
      expect(slots.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'DISABLED' });
    });

    it('refuses enabling TTL twice, as AWS does, and accepts items carrying the TTL attribute', async () => {
      await expect(
        client.send(new UpdateTimeToLiveCommand({ TableName: WAITS, TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true } })),
      ).rejects.toMatchObject({ name: 'ValidationException', message: 'TimeToLive is already enabled' });
      await doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'ttl', sk: 'a', expiresAt: 1_800_000_000 } }));
      const { Item } = await doc.send(new GetCommand({ TableName: WAITS, Key: { pk: 'ttl', sk: 'a' } }));
      expect(Item?.expiresAt).toBe(1_800_000_000);
    });
  });

  describe('conditional writes', () => {
    it('answers ConditionalCheckFailedException to a put whose condition fails (client and document client)', async () => {
      const put = { TableName: WAITS, Item: { pk: { S: 'wait#s-1' }, sk: { S: 'token' } }, ConditionExpression: 'attribute_not_exists(pk)' };
      await client.send(new PutItemCommand(put));
      await expect(client.send(new PutItemCommand(put))).rejects.toThrow(ConditionalCheckFailedException);
      await expect(
        doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'wait#s-1', sk: 'token' }, ConditionExpression: 'attribute_not_exists(pk)' })),
      ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
    });

    it('admits exactly the limit with an ADD counter and a condition (the job-slot limiter), whatever the concurrency', async () => {
      const acquire = () =>
        doc
          .send(
            new UpdateCommand({
              TableName: SLOTS,
              Key: { pk: 'jobs' },
              UpdateExpression: 'ADD inUse :one',
              ConditionExpression: 'attribute_not_exists(inUse) OR inUse < :max',
              ExpressionAttributeValues: { ':one': 1, ':max': 20 },
              ReturnValues: 'UPDATED_NEW',
            }),
          )
          .then(
            (r) => r.Attributes?.inUse as number,
            (e: unknown) => (e instanceof ConditionalCheckFailedException ? 'full' : Promise.reject(e)),
          );
      const results = await Promise.all(Array.from({ length: 25 }, acquire));
      expect(results.filter((r) => r === 'full')).toHaveLength(5);
      expect(results.filter((r) => typeof r === 'number').sort((a, b) => (a as number) - (b as number))).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });
  });

  it('queries a partition by sort-key prefix', async () => {
    for (const sk of ['server#s-1', 'server#s-2', 'server#s-3', 'gate#finalize']) {
      await doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'app#billing', sk, state: 'open' } }));
    }
    const { Items } = await doc.send(
      new QueryCommand({
        TableName: WAITS,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': 'app#billing', ':p': 'server#' },
      }),
    );
    expect(Items?.map((i) => i.sk)).toEqual(['server#s-1', 'server#s-2', 'server#s-3']);
  });

  describe('transactions (added in front of dynalite)', () => {
    it('applies every item of a TransactWriteItems when all conditions hold', async () => {
      await doc.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: { TableName: WAITS, Item: { pk: 'tx#1', sk: 'a', v: 1 }, ConditionExpression: 'attribute_not_exists(pk)' } },
            { Update: { TableName: SLOTS, Key: { pk: 'tx-counter' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } },
            { ConditionCheck: { TableName: WAITS, Key: { pk: 'tx#none', sk: 'x' }, ConditionExpression: 'attribute_not_exists(pk)' } },
          ],
        }),
      );
      const { Responses } = await doc.send(
        new TransactGetCommand({
          TransactItems: [
            { Get: { TableName: WAITS, Key: { pk: 'tx#1', sk: 'a' } } },
            { Get: { TableName: SLOTS, Key: { pk: 'tx-counter' } } },
            { Get: { TableName: WAITS, Key: { pk: 'tx#none', sk: 'x' } } },
          ],
        }),
      );
      expect(Responses?.map((r) => r.Item)).toEqual([{ pk: 'tx#1', sk: 'a', v: 1 }, { pk: 'tx-counter', n: 1 }, undefined]);
    });

    it('cancels the whole transaction with CancellationReasons when one condition fails, changing nothing', async () => {
      await doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'tx#2', sk: 'a', state: 'open' } }));
      const err = await doc
        .send(
          new TransactWriteCommand({
            TransactItems: [
              { Update: { TableName: WAITS, Key: { pk: 'tx#2', sk: 'a' }, UpdateExpression: 'SET #s = :r', ExpressionAttributeNames: { '#s': 'state' }, ExpressionAttributeValues: { ':r': 'resolved' } } },
              { Put: { TableName: WAITS, Item: { pk: 'tx#2', sk: 'b' } } },
              { ConditionCheck: { TableName: SLOTS, Key: { pk: 'tx#missing' }, ConditionExpression: 'attribute_exists(pk)' } },
            ],
          }),
        )
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransactionCanceledException);
      expect((err as TransactionCanceledException).CancellationReasons).toEqual([
        { Code: 'None' },
        { Code: 'None' },
        { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' },
      ]);
      expect((err as Error).message).toBe('Transaction cancelled, please refer cancellation reasons for specific reasons [None, None, ConditionalCheckFailed]');
      expect((await doc.send(new GetCommand({ TableName: WAITS, Key: { pk: 'tx#2', sk: 'a' } }))).Item).toEqual({ pk: 'tx#2', sk: 'a', state: 'open' });
      expect((await doc.send(new GetCommand({ TableName: WAITS, Key: { pk: 'tx#2', sk: 'b' } }))).Item).toBeUndefined();
    });

    it('returns the old item in the reason when ReturnValuesOnConditionCheckFailure is ALL_OLD', async () => {
      await doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'tx#3', sk: 'a', by: 'alice' } }));
      const err = (await doc
        .send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: WAITS, Item: { pk: 'tx#3', sk: 'a', by: 'bob' }, ConditionExpression: 'attribute_not_exists(pk)', ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } },
            ],
          }),
        )
        .catch((e: unknown) => e)) as TransactionCanceledException;
      expect(err.CancellationReasons?.[0]).toMatchObject({ Code: 'ConditionalCheckFailed', Item: { by: { S: 'alice' } } }); // errors are not unmarshalled
    });

    it('refuses two operations on one item', async () => {
      await expect(
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: { TableName: WAITS, Item: { pk: 'tx#4', sk: 'a' } } },
              { Delete: { TableName: WAITS, Key: { pk: 'tx#4', sk: 'a' } } },
            ],
          }),
        ),
      ).rejects.toThrow(/multiple operations on one item/);
    });

    it('applies a transaction once for one ClientRequestToken', async () => {
      const tx = () =>
        doc.send(
          new TransactWriteCommand({
            ClientRequestToken: 'resolve-wait-42',
            TransactItems: [{ Update: { TableName: SLOTS, Key: { pk: 'idem' }, UpdateExpression: 'ADD n :one', ExpressionAttributeValues: { ':one': 1 } } }],
          }),
        );
      await tx();
      await tx();
      expect((await doc.send(new GetCommand({ TableName: SLOTS, Key: { pk: 'idem' } }))).Item).toEqual({ pk: 'idem', n: 1 });
    });

    it('keeps transactions all-or-nothing under concurrency: a limit of 5 admits exactly 5 of 20', async () => {
      const admit = (i: number) =>
        doc
          .send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: SLOTS,
                    Key: { pk: 'wave-slots' },
                    UpdateExpression: 'ADD n :one',
                    ConditionExpression: 'attribute_not_exists(n) OR n < :max',
                    ExpressionAttributeValues: { ':one': 1, ':max': 5 },
                  },
                },
                { Put: { TableName: WAITS, Item: { pk: 'admitted', sk: `app-${String(i).padStart(2, '0')}` }, ConditionExpression: 'attribute_not_exists(pk)' } },
              ],
            }),
          )
          .then(
            () => true,
            (e: unknown) => (e instanceof TransactionCanceledException ? false : Promise.reject(e)),
          );
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => admit(i)));
      expect(results.filter(Boolean)).toHaveLength(5);
      const { Items } = await doc.send(new QueryCommand({ TableName: WAITS, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': 'admitted' } }));
      expect(Items).toHaveLength(5);
      expect((await doc.send(new GetCommand({ TableName: SLOTS, Key: { pk: 'wave-slots' } }))).Item?.n).toBe(5);
    });
  });

  describe('ReturnValuesOnConditionCheckFailure', () => {
    it('sends the item that failed the condition of a PutItem, UpdateItem or DeleteItem when asked (ALL_OLD), and nothing otherwise', async () => {
      await doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'old', sk: 'a', n: 1, tags: new Set(['x']) } }));
      const failed = async (write: Promise<unknown>) => {
        const err = await write.then(() => undefined, (e: unknown) => e);
        expect(err).toBeInstanceOf(ConditionalCheckFailedException);
        return (err as ConditionalCheckFailedException).Item;
      };
      const old = { pk: { S: 'old' }, sk: { S: 'a' }, n: { N: '1' }, tags: { SS: ['x'] } };
      const cond = { ConditionExpression: 'attribute_not_exists(pk)' };
      expect(await failed(doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'old', sk: 'a', n: 2 }, ...cond, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })))).toEqual(old);
      expect(await failed(doc.send(new UpdateCommand({ TableName: WAITS, Key: { pk: 'old', sk: 'a' }, UpdateExpression: 'SET n = :n', ExpressionAttributeValues: { ':n': 3 }, ...cond, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' })))).toEqual(old);
      expect(await failed(client.send(new PutItemCommand({ TableName: WAITS, Item: { pk: { S: 'old' }, sk: { S: 'a' } }, ...cond, ReturnValuesOnConditionCheckFailure: 'NONE' })))).toBeUndefined();
      expect(await failed(doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'old', sk: 'a' }, ...cond })))).toBeUndefined();
      // a write that succeeds is written as ever; the item was never changed by the failed ones
      await doc.send(new PutCommand({ TableName: WAITS, Item: { pk: 'new', sk: 'a', n: 4 }, ...cond, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' }));
      expect((await doc.send(new GetCommand({ TableName: WAITS, Key: { pk: 'new', sk: 'a' } }))).Item).toEqual({ pk: 'new', sk: 'a', n: 4 });
      expect((await doc.send(new GetCommand({ TableName: WAITS, Key: { pk: 'old', sk: 'a' } }))).Item?.n).toBe(1);
    });
  });
});

describe('closing', () => {
  it('answers a request handed over in process after close began with ServiceUnavailable, never touching the closed database', async () => {
    const { default: inject } = await import('light-my-request');
    const db = await startDynamo();
    const listener = db.server.listeners('request')[0] as Parameters<typeof inject>[0];
    await db.close();
    const res = await inject(listener, {
      method: 'POST',
      url: '/',
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' },
      payload: JSON.stringify({ TableName: 't', Key: { pk: { S: 'a' } } }),
    });
    expect(res.statusCode).toBe(503);
    expect(res.headers['x-amzn-errortype']).toBe('ServiceUnavailable');
  });
});
