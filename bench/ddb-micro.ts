/**
 * The cost of one state-table request through the product's path (DocumentClient, SigV4, the in-process
 * transport, the DynamoDB front, dynalite), without the rest of the local cloud: CPU microseconds per
 * GetItem, PutItem, conditional PutItem that fails, and Scan, in one process. For profiling
 * (`node --cpu-prof bin/run-ts.js bench/ddb-micro.ts`); MICRO_N requests of each kind (2000).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { resolve } from 'node:path';
import { createTables, startDynamo, tablesFromResources } from '../src/local/cloud/dynamodb/index.ts';
import { readServerlessConfig } from '../src/local/cloud/serverless-config.ts';
import { serveInProcess } from '../src/local/cloud/in-process.ts';
import { VirtualClock } from '../src/local/emulator/clock.ts';
import { createDocumentClient, createStores } from '../src/adapters/aws/stores.ts';

const n = Number(process.env.MICRO_N ?? 2000);
const dynamo = await startDynamo();
const clock = new VirtualClock({ start: Date.UTC(2026, 0, 5), scale: 1 });
const undo = serveInProcess(dynamo.endpoint, dynamo.server, clock);
const client = new DynamoDBClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
const [state] = tablesFromResources(readServerlessConfig(resolve(import.meta.dirname, '..')).resources);
const table = 'micro-state';
await createTables(client, [{ ...(state as NonNullable<typeof state>), TableName: table }]);
const doc = createDocumentClient(client);
const stores = createStores(doc, table, { now: () => new Date(Date.UTC(2026, 0, 5)) } as never);
const wait = (i: number) => ({ serverId: `s-${String(i).padStart(17, '0')}`, executionArn: `arn:aws:states:us-east-1:111122223333:execution:server-lifecycle:w1-${i}`, state: 'TestLaunchPoint', condition: { kind: 'LAUNCH_RESULT' as const, launch: 'TEST' as const, jobId: 'mgnjob-1' }, token: 'x'.repeat(600), createdAt: '2026-01-05T08:00:00.000Z' });

async function measure(label: string, count: number, f: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 50; i++) await f(i);
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await f(i);
  const c = process.cpuUsage(c0);
  process.stdout.write(`${label.padEnd(28)} ${(((c.user + c.system) / count)).toFixed(0).padStart(6)} us CPU  ${(((performance.now() - t0) * 1000) / count).toFixed(0).padStart(6)} us wall\n`);
}
const only = process.env.MICRO_ONLY;
if (only?.startsWith('scan')) for (let i = 0; i < n; i++) await stores.waits.put(wait(i));
if (!only) await measure('PutItem (wait)', n, (i) => stores.waits.put(wait(i)));
if (!only) await measure('GetItem (wait)', n, (i) => stores.waits.get(wait(i).serverId));
await stores.dedupe.once('lock#x', 1e6);
if (!only) await measure('PutItem conditional, fails', n, () => stores.dedupe.once('lock#x', 120));
if (only !== 'scan-none') await measure(`Scan of ${n + 51} items`, 20, () => stores.waits.list());
await measure(`Scan of ${n + 51} items, none match`, only === 'scan-none' ? 100 : 20, () => stores.waves.outcomes('w1'));
undo();
client.destroy();
await dynamo.close();
