import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import './memory-store.ts';
import dynalite from 'dynalite';
import inject from 'light-my-request';

export { createTables, tablesFromResources, type TableDefinition } from './tables.ts';

/**
 * DynamoDB stand-in: `dynalite` (in memory) behind a thin front that adds what dynalite 4 lacks and the
 * product uses: TransactWriteItems and TransactGetItems (all-or-nothing, isolated from every other request,
 * TransactionCanceledException with CancellationReasons, ClientRequestToken idempotency), UpdateTimeToLive
 * and DescribeTimeToLive (the setting is kept; expired items are not swept, as AWS may take days to), and
 * `ReturnValuesOnConditionCheckFailure: ALL_OLD` on PutItem, UpdateItem and DeleteItem (the item that failed
 * the condition comes back in the ConditionalCheckFailedException, read while no other request runs). Every
 * other operation is dynalite's own.
 */

export interface LocalDynamo {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  /** The front's HTTP server (the in-process transport hands it requests directly). */
  server: Server;
  close(): Promise<void>;
}

export interface DynamoOptions {
  /** Front port (default: a free one). */
  port?: number;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';
const ERROR_NAMESPACE = 'com.amazonaws.dynamodb.v20120810';
const FRONT_OPERATIONS = new Set(['TransactWriteItems', 'TransactGetItems', 'UpdateTimeToLive', 'DescribeTimeToLive']);
/** Writes that may ask for the item that failed their condition (dynalite 4 does not know the parameter). */
const WRITES_WITH_OLD_ON_FAILURE = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
/** ClientRequestToken is remembered this long (AWS: 10 minutes). */
const IDEMPOTENCY_MS = 10 * 60_000;

type Json = Record<string, unknown>;

class DynamoError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    readonly extra: Json = {},
  ) {
    super(message);
    this.name = type;
  }
}

/** Many readers (ordinary requests) or one writer (a transaction), first come first served. */
class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private readonly queue: { write: boolean; grant: () => void }[] = [];

  acquire(write: boolean): Promise<() => void> {
    return new Promise((resolve) => {
      this.queue.push({
        write,
        grant: () => {
          let released = false;
          resolve(() => {
            if (released) return;
            released = true;
            if (write) this.writer = false;
            else this.readers--;
            this.pump();
          });
        },
      });
      this.pump();
    });
  }

  private pump(): void {
    while (this.queue.length > 0 && !this.writer) {
      const next = this.queue[0] as { write: boolean; grant: () => void };
      if (next.write && this.readers > 0) return;
      this.queue.shift();
      if (next.write) this.writer = true;
      else this.readers++;
      next.grant();
      if (next.write) return;
    }
  }
}

function listen(server: Server, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseOrUndefined(body: string): Json | undefined {
  try {
    const v = JSON.parse(body) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** The request again, its body already read: what dynalite's listener uses of it (headers, method, url, data and end). */
function replayed(req: IncomingMessage, body: string): IncomingMessage {
  const again = Object.assign(new EventEmitter(), { headers: req.headers, method: req.method, url: req.url, socket: req.socket });
  process.nextTick(() => {
    if (body) again.emit('data', Buffer.from(body, 'utf8'));
    again.emit('end');
  });
  return again as unknown as IncomingMessage;
}

function send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
    ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
  });
  res.end(text);
}

/** A failed request answered as DynamoDB does: its error type, message and extra fields (an unknown error: a 500). */
function sendError(res: ServerResponse, err: unknown): void {
  const e = err instanceof DynamoError ? err : new DynamoError('InternalServerError', (err as Error).message, 500);
  send(res, e.status, { __type: `${ERROR_NAMESPACE}#${e.type}`, message: e.message, ...e.extra }, e.type);
}

const sameJson = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Start dynalite in memory on 127.0.0.1 behind the front. */
export async function startDynamo(opts: DynamoOptions = {}): Promise<LocalDynamo> {
  const inner = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const innerPort = await listen(inner, 0);
  const innerHandler = inner.listeners('request')[0] as (req: IncomingMessage, res: ServerResponse) => void;
  const lock = new ReadWriteLock();
  const ttl = new Map<string, { AttributeName: string; Enabled: boolean }>();
  const tokens = new Map<string, { request: unknown; response: unknown; at: number }>();
  const keySchemas = new Map<string, string[]>();

  /** One operation on dynalite itself (no lock: the caller holds it). */
  // in process, with dynalite's own request listener: no socket, so concurrent transactions keep their order
  void innerPort;
  const call = async (operation: string, body: Json): Promise<Json> => {
    const res = await inject(innerHandler as never, {
      method: 'POST',
      url: '/',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': `${TARGET_PREFIX}${operation}`,
        'x-amz-date': '20260101T000000Z',
        authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=local',
      },
      payload: JSON.stringify(body),
    });
    const out = res.json() as Json;
    if (res.statusCode >= 400) {
      const type = String(out.__type ?? 'InternalServerError').split('#').pop() as string;
      throw new DynamoError(type, String(out.message ?? out.Message ?? type), res.statusCode);
    }
    return out;
  };

  const keyOf = async (table: string, item: Json): Promise<Json> => {
    let names = keySchemas.get(table);
    if (!names) {
      const { Table } = (await call('DescribeTable', { TableName: table })) as { Table: { KeySchema: { AttributeName: string }[] } };
      names = Table.KeySchema.map((k) => k.AttributeName);
      keySchemas.set(table, names);
    }
    const key: Json = {};
    for (const n of names) {
      if (item[n] === undefined) throw new DynamoError('ValidationException', `One of the required keys was not given a value (${n})`);
      key[n] = item[n];
    }
    return key;
  };

  const expressionFields = (op: Json): Json => {
    const out: Json = {};
    for (const f of ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues']) if (op[f] !== undefined) out[f] = op[f];
    return out;
  };

  const transactWrite = async (input: Json): Promise<Json> => {
    const items = input.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > 100) {
      throw new DynamoError('ValidationException', 'TransactItems must have between 1 and 100 items');
    }
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined;
    if (token) {
      const seen = tokens.get(token);
      if (seen && Date.now() - seen.at < IDEMPOTENCY_MS) {
        if (!sameJson(seen.request, items)) {
          throw new DynamoError('IdempotentParameterMismatchException', 'The request uses the same client token as a previous, but non-identical request.');
        }
        return seen.response as Json;
      }
    }
    // plan: every item names one action; no two actions on one item
    const plan: { kind: string; op: Json; table: string; key: Json }[] = [];
    const seenKeys = new Set<string>();
    for (const item of items as Json[]) {
      const kinds = Object.keys(item ?? {}).filter((k) => ['ConditionCheck', 'Put', 'Delete', 'Update'].includes(k));
      if (kinds.length !== 1) throw new DynamoError('ValidationException', 'Each TransactItem must name exactly one of ConditionCheck, Put, Delete, Update');
      const kind = kinds[0] as string;
      const op = item[kind] as Json;
      const table = op.TableName;
      if (typeof table !== 'string') throw new DynamoError('ValidationException', `${kind}.TableName is required`);
      if (kind === 'ConditionCheck' && typeof op.ConditionExpression !== 'string') {
        throw new DynamoError('ValidationException', 'ConditionCheck.ConditionExpression is required');
      }
      let key: Json;
      try {
        key = await keyOf(table, (kind === 'Put' ? op.Item : op.Key) as Json);
      } catch (err) {
        if (err instanceof DynamoError && err.type === 'ResourceNotFoundException') throw new DynamoError('ResourceNotFoundException', 'Requested resource not found');
        throw err;
      }
      const id = `${table}\u0000${JSON.stringify(key)}`;
      if (seenKeys.has(id)) throw new DynamoError('ValidationException', 'Transaction request cannot include multiple operations on one item');
      seenKeys.add(id);
      plan.push({ kind, op, table, key });
    }
    // apply in order, remembering each item's old image; undo everything if any condition failed
    const undo: { table: string; key: Json; old: Json | undefined }[] = [];
    const reasons: Json[] = [];
    let failed = false;
    try {
      for (const { kind, op, table, key } of plan) {
        try {
          let old: Json | undefined;
          if (kind === 'Put') {
            old = (await call('PutItem', { TableName: table, Item: op.Item, ...expressionFields(op), ReturnValues: 'ALL_OLD' })).Attributes as Json | undefined;
          } else if (kind === 'Delete') {
            old = (await call('DeleteItem', { TableName: table, Key: key, ...expressionFields(op), ReturnValues: 'ALL_OLD' })).Attributes as Json | undefined;
          } else if (kind === 'Update') {
            old = (
              await call('UpdateItem', {
                TableName: table,
                Key: key,
                UpdateExpression: op.UpdateExpression,
                ...expressionFields(op),
                ReturnValues: 'ALL_OLD',
              })
            ).Attributes as Json | undefined;
          } else {
            // a condition check writes nothing: an UpdateItem without updates checks the condition, and
            // creates a key-only item when there was none, which is removed at once
            old = (await call('UpdateItem', { TableName: table, Key: key, ...expressionFields(op), ReturnValues: 'ALL_OLD' })).Attributes as
              | Json
              | undefined;
            if (old === undefined) await call('DeleteItem', { TableName: table, Key: key });
            reasons.push({ Code: 'None' });
            continue;
          }
          undo.push({ table, key, old });
          reasons.push({ Code: 'None' });
        } catch (err) {
          if (!(err instanceof DynamoError) || err.type !== 'ConditionalCheckFailedException') throw err;
          failed = true;
          const reason: Json = { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed' };
          if (op.ReturnValuesOnConditionCheckFailure === 'ALL_OLD') {
            const { Item } = await call('GetItem', { TableName: table, Key: key });
            if (Item) reason.Item = Item;
          }
          reasons.push(reason);
        }
      }
    } catch (err) {
      await rollback(undo);
      throw err;
    }
    if (failed) {
      await rollback(undo);
      throw new DynamoError(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        400,
        { CancellationReasons: reasons },
      );
    }
    const response = {};
    if (token) tokens.set(token, { request: items, response, at: Date.now() });
    return response;
  };

  const rollback = async (undo: { table: string; key: Json; old: Json | undefined }[]): Promise<void> => {
    for (const { table, key, old } of undo.reverse()) {
      if (old) await call('PutItem', { TableName: table, Item: old });
      else await call('DeleteItem', { TableName: table, Key: key });
    }
  };

  const transactGet = async (input: Json): Promise<Json> => {
    const items = input.TransactItems;
    if (!Array.isArray(items) || items.length < 1 || items.length > 100) {
      throw new DynamoError('ValidationException', 'TransactItems must have between 1 and 100 items');
    }
    const responses: Json[] = [];
    for (const item of items as Json[]) {
      const get = item?.Get as Json | undefined;
      if (!get) throw new DynamoError('ValidationException', 'Each TransactGetItem must have a Get');
      const fields: Json = {};
      for (const f of ['TableName', 'Key', 'ProjectionExpression', 'ExpressionAttributeNames']) if (get[f] !== undefined) fields[f] = get[f];
      const { Item } = await call('GetItem', { ...fields, ConsistentRead: true });
      responses.push(Item ? { Item } : {});
    }
    return { Responses: responses };
  };

  const front: Record<string, (input: Json) => Promise<Json>> = {
    TransactWriteItems: transactWrite,
    TransactGetItems: transactGet,
    UpdateTimeToLive: async (input) => {
      const table = input.TableName;
      const spec = input.TimeToLiveSpecification as { AttributeName?: unknown; Enabled?: unknown } | undefined;
      if (typeof table !== 'string') throw new DynamoError('ValidationException', 'TableName is required');
      if (!spec || typeof spec.AttributeName !== 'string' || spec.AttributeName === '' || typeof spec.Enabled !== 'boolean') {
        throw new DynamoError('ValidationException', 'TimeToLiveSpecification needs AttributeName and Enabled');
      }
      await call('DescribeTable', { TableName: table });
      const current = ttl.get(table);
      if (spec.Enabled && current?.Enabled) throw new DynamoError('ValidationException', 'TimeToLive is already enabled');
      if (!spec.Enabled && !current?.Enabled) throw new DynamoError('ValidationException', 'TimeToLive is already disabled');
      const value = { AttributeName: spec.AttributeName, Enabled: spec.Enabled };
      ttl.set(table, value);
      return { TimeToLiveSpecification: value };
    },
    DescribeTimeToLive: async (input) => {
      const table = input.TableName;
      if (typeof table !== 'string') throw new DynamoError('ValidationException', 'TableName is required');
      await call('DescribeTable', { TableName: table });
      const current = ttl.get(table);
      return {
        TimeToLiveDescription: current?.Enabled ? { TimeToLiveStatus: 'ENABLED', AttributeName: current.AttributeName } : { TimeToLiveStatus: 'DISABLED' },
      };
    },
  };

  let active = 0;
  let closing = false;
  const outer = createServer((req, res) => {
    if (closing) {
      // a request handed over in process after close began: refused as AWS refuses when it cannot serve,
      // never passed to a database that is closing (dynalite would throw outside any request)
      send(res, 503, { __type: `${ERROR_NAMESPACE}#ServiceUnavailable`, message: 'the local DynamoDB is stopping' }, 'ServiceUnavailable');
      return;
    }
    active++;
    let done = false;
    const finished = () => {
      if (!done) {
        done = true;
        active--;
      }
    };
    res.once('finish', finished);
    res.once('close', finished);
    const target = String(req.headers['x-amz-target'] ?? '');
    const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (req.method === 'POST' && WRITES_WITH_OLD_ON_FAILURE.has(operation)) {
      // a write that may ask for the item that failed its condition: the front reads the body first
      void (async () => {
        const body = await readBody(req);
        const input = body.includes('ReturnValuesOnConditionCheckFailure') ? parseOrUndefined(body) : undefined;
        const ask = input?.ReturnValuesOnConditionCheckFailure;
        if (!input || ask === undefined) {
          // dynalite answers it as it came (the body handed over again)
          const release = await lock.acquire(false);
          res.once('finish', release);
          res.once('close', release);
          innerHandler(replayed(req, body), res);
          return;
        }
        let release: (() => void) | undefined;
        try {
          if (ask !== 'ALL_OLD' && ask !== 'NONE') {
            throw new DynamoError('ValidationException', `1 validation error detected: Value '${String(ask)}' at 'returnValuesOnConditionCheckFailure' failed to satisfy constraint: Member must satisfy enum value set: [ALL_OLD, NONE]`);
          }
          // the write and the read of the item that failed it run alone: the item is the one that failed it
          release = await lock.acquire(ask === 'ALL_OLD');
          const { ReturnValuesOnConditionCheckFailure: _asked, ...write } = input;
          try {
            send(res, 200, await call(operation, write));
          } catch (err) {
            if (!(err instanceof DynamoError) || err.type !== 'ConditionalCheckFailedException' || ask !== 'ALL_OLD') throw err;
            const table = String(write.TableName);
            const key = operation === 'PutItem' ? await keyOf(table, write.Item as Json) : (write.Key as Json);
            const { Item } = await call('GetItem', { TableName: table, Key: key, ConsistentRead: true });
            throw new DynamoError(err.type, err.message, err.status, Item ? { Item } : {});
          }
        } catch (err) {
          sendError(res, err);
        } finally {
          release?.();
        }
      })();
      return;
    }
    if (req.method === 'POST' && FRONT_OPERATIONS.has(operation)) {
      void (async () => {
        let release: (() => void) | undefined;
        try {
          const body = await readBody(req);
          let input: Json;
          try {
            input = (body ? JSON.parse(body) : {}) as Json;
          } catch {
            throw new DynamoError('SerializationException', 'Request body is not valid JSON');
          }
          // transactions run alone; TTL settings need no isolation
          release = await lock.acquire(operation.startsWith('Transact'));
          send(res, 200, await (front[operation] as (i: Json) => Promise<Json>)(input));
        } catch (err) {
          sendError(res, err);
        } finally {
          release?.();
        }
      })();
      return;
    }
    // dynalite's own operations read the body themselves; they wait while a transaction runs
    void lock.acquire(false).then((release) => {
      res.once('finish', release);
      res.once('close', release);
      innerHandler(req, res);
    });
  });
  outer.keepAliveTimeout = 30_000;
  const port = await listen(outer, opts.port ?? 0);

  return {
    endpoint: `http://127.0.0.1:${port}`,
    server: outer,
    close: async () => {
      closing = true;
      // no new request; the ones in flight finish before the database closes under them (at most 2 s)
      const closed = new Promise<void>((resolve) => outer.close(() => resolve()));
      outer.closeIdleConnections();
      const deadline = performance.now() + 2000;
      while (active > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      outer.closeAllConnections();
      inner.closeAllConnections();
      await closed;
      // requests still inside dynalite (a busy host) would meet a closed database and throw outside any
      // request: the in-memory store is then left to the garbage collector instead of being closed under them
      if (active > 0) return;
      await new Promise<void>((resolve, reject) => inner.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
