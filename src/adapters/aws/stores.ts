import { createHash } from 'node:crypto';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
  paginateQuery,
  paginateScan,
} from '@aws-sdk/lib-dynamodb';
import type { ApprovalLink, AuditEntry, AuditLog, Clock, Dedupe, Gate, GateStore, HoldRecord, LaunchPoint, LinkStore, OpenWait, RefusalCount, RendezvousStore, ServerOutcome, WaitStore, WaveStore } from '../../ports.ts';
import type { Wave } from '../../core/wave-file.ts';

/**
 * The state stores on ONE DynamoDB table keyed by the string `pk`:
 *   WAIT#<serverId>   the server's open wait (the only item that holds a task token)
 *   POINT#<id>        an application's launch point (arrivals in the string set `arrivedSet`)
 *   GATE#<id>         an application's gate and its decision
 *   ONCE#<key>        a dedupe marker with a `ttl` (epoch seconds)
 *   LINK#<id>         an approval link (gate, approver, signed choices, single use); no secret in it
 *   AUDIT#<gate>#<at>#<link, or channel#approver>   one decision in the audit log
 *   REFUSAL#<wave>#<gate>#<status>        refused approval requests, counted
 * Every exactly-once step is a single conditional write: the condition is the lock.
 */

export const WAIT_PREFIX = 'WAIT#';
export const POINT_PREFIX = 'POINT#';
export const GATE_PREFIX = 'GATE#';
export const ONCE_PREFIX = 'ONCE#';
export const LINK_PREFIX = 'LINK#';
export const AUDIT_PREFIX = 'AUDIT#';
export const REFUSAL_PREFIX = 'REFUSAL#';

/** A state transition the item's current state does not allow (e.g. `launched` on a point nobody claimed). */
export class StoreConflictError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StoreConflictError';
  }
}

/** The item the call is about does not exist. */
export class StoreNotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreNotFoundError';
  }
}

export function isConditionFailed(err: unknown): boolean {
  return (err as { name?: string } | null)?.name === 'ConditionalCheckFailedException';
}

/** Run a conditional write; false when its condition did not hold, any other error as it came. */
async function conditional(write: () => Promise<unknown>): Promise<boolean> {
  try {
    await write();
    return true;
  } catch (err) {
    if (isConditionFailed(err)) return false;
    throw err;
  }
}

type Item = Record<string, unknown>;

/** An attribute value as DynamoDB's wire has it, to a value as the DocumentClient gives it (numbers as numbers, sets as Sets). */
function fromAttributeValue(v: Record<string, unknown>): unknown {
  if ('S' in v) return v.S;
  if ('N' in v) return Number(v.N);
  if ('BOOL' in v) return v.BOOL;
  if ('NULL' in v) return null;
  if ('M' in v) return fromAttributeMap(v.M as Record<string, Record<string, unknown>>);
  if ('L' in v) return (v.L as Record<string, unknown>[]).map(fromAttributeValue);
  if ('SS' in v) return new Set(v.SS as string[]);
  if ('NS' in v) return new Set((v.NS as string[]).map(Number));
  if ('B' in v) return v.B;
  if ('BS' in v) return new Set(v.BS as unknown[]);
  throw new Error(`unknown DynamoDB attribute value: ${Object.keys(v).join(', ')}`);
}

function fromAttributeMap(m: Record<string, Record<string, unknown>>): Item {
  const out: Item = {};
  for (const [k, v] of Object.entries(m)) out[k] = fromAttributeValue(v);
  return out;
}

/**
 * A conditional write asking for the item that failed its condition (`ReturnValuesOnConditionCheckFailure:
 * ALL_OLD`): true when it was written, `{ old }` when the condition failed and DynamoDB sent the item, false
 * when it failed without one; any other error as it came.
 */
async function conditionalWithOld(write: () => Promise<unknown>): Promise<true | false | { old: Item }> {
  try {
    await write();
    return true;
  } catch (err) {
    if (!isConditionFailed(err)) throw err;
    const item = (err as { Item?: Record<string, Record<string, unknown>> }).Item;
    return item && typeof item === 'object' ? { old: fromAttributeMap(item) } : false;
  }
}

/**
 * The DocumentClient the stores expect: undefined fields are dropped (views carry optional fields), and
 * numbers come back as numbers.
 */
export function createDocumentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false } });
}

async function scanPrefix(doc: DynamoDBDocumentClient, table: string, prefix: string, extra?: { filter: string; names: Record<string, string>; values: Record<string, unknown> }): Promise<Item[]> {
  const out: Item[] = [];
  const pages = paginateScan(
    { client: doc },
    {
      TableName: table,
      ConsistentRead: true,
      FilterExpression: `begins_with(#pk, :prefix)${extra ? ` AND ${extra.filter}` : ''}`,
      ExpressionAttributeNames: { '#pk': 'pk', ...extra?.names },
      ExpressionAttributeValues: { ':prefix': prefix, ...extra?.values },
    },
  );
  for await (const page of pages) out.push(...((page.Items ?? []) as Item[]));
  return out;
}

/** The table's index of items by `kind` (sort key `pk`): what the reconciler lists every few minutes. */
export const BY_KIND_INDEX = 'byKind';

/**
 * The items of one kind, from the `byKind` index: a Query that reads only them, where a Scan would read the
 * whole table (every outcome, link, audit entry and dedupe marker of every wave) every five minutes. An
 * index is eventually consistent: for the reconciler's lists, which each item's own conditional write then
 * confirms, that is enough.
 */
export async function queryKind(doc: DynamoDBDocumentClient, table: string, kind: string, prefix: string, extra?: { filter: string; names: Record<string, string>; values: Record<string, unknown> }): Promise<Item[]> {
  const out: Item[] = [];
  const pages = paginateQuery(
    { client: doc },
    {
      TableName: table,
      IndexName: BY_KIND_INDEX,
      KeyConditionExpression: '#kind = :kind AND begins_with(#pk, :prefix)',
      ...(extra ? { FilterExpression: extra.filter } : {}),
      ExpressionAttributeNames: { '#kind': 'kind', '#pk': 'pk', ...extra?.names },
      ExpressionAttributeValues: { ':kind': kind, ':prefix': prefix, ...extra?.values },
    },
  );
  for await (const page of pages) out.push(...((page.Items ?? []) as Item[]));
  return out;
}

async function getItem(doc: DynamoDBDocumentClient, table: string, pk: string): Promise<Item | undefined> {
  const { Item } = await doc.send(new GetCommand({ TableName: table, Key: { pk }, ConsistentRead: true }));
  return Item as Item | undefined;
}

function withoutKey(item: Item): Item {
  const { pk: _pk, kind: _kind, ...rest } = item;
  return rest;
}

// ------------------------------------------------------------------------------------------------ waits

function toWait(item: Item): OpenWait {
  return withoutKey(item) as unknown as OpenWait;
}

export function createWaitStore(doc: DynamoDBDocumentClient, table: string): WaitStore {
  return {
    async put(wait) {
      await doc.send(new PutCommand({ TableName: table, Item: { ...wait, pk: `${WAIT_PREFIX}${wait.serverId}`, kind: 'WAIT' } }));
    },
    async get(serverId) {
      const item = await getItem(doc, table, `${WAIT_PREFIX}${serverId}`);
      return item ? toWait(item) : undefined;
    },
    async list(opts) {
      // the reconciler's list comes from the index; callers that act on what another server just wrote read the table
      if (opts?.consistent === false) return (await queryKind(doc, table, 'WAIT', WAIT_PREFIX)).map(toWait);
      return (await scanPrefix(doc, table, WAIT_PREFIX)).map(toWait);
    },
    take(serverId, token) {
      return conditional(() =>
        doc.send(
          new DeleteCommand({
            TableName: table,
            Key: { pk: `${WAIT_PREFIX}${serverId}` },
            ConditionExpression: '#token = :token',
            ExpressionAttributeNames: { '#token': 'token' },
            ExpressionAttributeValues: { ':token': token },
          }),
        ),
      );
    },
  };
}

// ----------------------------------------------------------------------------------------- launch points

function toPoint(item: Item): LaunchPoint {
  const { arrivedSet, ...rest } = withoutKey(item);
  const arrived = arrivedSet instanceof Set ? [...(arrivedSet as Set<string>)] : [];
  return { ...(rest as Omit<LaunchPoint, 'arrived'>), arrived: arrived.sort() };
}

export function createRendezvousStore(doc: DynamoDBDocumentClient, table: string): RendezvousStore {
  const key = (id: string) => ({ pk: `${POINT_PREFIX}${id}` });
  const names = { '#status': 'status' };
  const get = async (id: string) => {
    const item = await getItem(doc, table, key(id).pk);
    return item ? toPoint(item) : undefined;
  };

  return {
    async arrive(init, serverId) {
      const fields = { id: init.id, application: init.application, launch: init.launch, expected: init.expected, openedAt: init.openedAt, deadline: init.deadline, kind: 'POINT', ...(init.job ? { job: init.job } : {}), ...(init.guard ? { guard: init.guard } : {}), ...(init.account ? { account: init.account } : {}) };
      const set = Object.keys(fields).map((f) => `#${f} = if_not_exists(#${f}, :${f})`);
      const { Attributes } = await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key(init.id),
          UpdateExpression: `SET ${set.join(', ')}, #status = if_not_exists(#status, :open) ADD #arrivedSet :server`,
          ExpressionAttributeNames: { ...names, '#arrivedSet': 'arrivedSet', ...Object.fromEntries(Object.keys(fields).map((f) => [`#${f}`, f])) },
          ExpressionAttributeValues: { ...Object.fromEntries(Object.entries(fields).map(([f, v]) => [`:${f}`, v])), ':open': 'OPEN', ':server': new Set([serverId]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toPoint(Attributes as Item);
    },
    get,
    claim(id, at, staleBefore) {
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :launching, #claimedAt = :at',
            ConditionExpression: staleBefore
              ? '#status = :open OR (#status = :launching AND (attribute_not_exists(#claimedAt) OR #claimedAt < :stale))'
              : '#status = :open',
            ExpressionAttributeNames: { ...names, '#claimedAt': 'claimedAt' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':launching': 'LAUNCHING', ':at': at, ...(staleBefore ? { ':stale': staleBefore } : {}) },
          }),
        ),
      );
    },
    async launched(id, jobId, servers) {
      // a retried call with the same job is already done; anything else but LAUNCHING is a conflict
      const ok = await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :launched, #jobId = :jobId, #launched = :servers',
            ConditionExpression: '#status = :launching OR (#status = :launched AND #jobId = :jobId)',
            ExpressionAttributeNames: { ...names, '#jobId': 'jobId', '#launched': 'launched' },
            ExpressionAttributeValues: { ':launching': 'LAUNCHING', ':launched': 'LAUNCHED', ':jobId': jobId, ':servers': servers },
          }),
        ),
      );
      if (!ok) {
        const now = await get(id);
        throw new StoreConflictError(now ? `Launch point ${id} is ${now.status}${now.jobId ? ` with job ${now.jobId}` : ''}, not LAUNCHING: job ${jobId} cannot be recorded` : `Launch point ${id} does not exist`);
      }
    },
    async release(id) {
      // LAUNCHING -> OPEN; a point that is already OPEN stays so, a LAUNCHED one is never reopened
      await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :open',
            ConditionExpression: '#status = :launching',
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: { ':open': 'OPEN', ':launching': 'LAUNCHING' },
          }),
        ),
      );
    },
    leave(id, serverId) {
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'DELETE #arrivedSet :server',
            ConditionExpression: '#status = :open AND contains(#arrivedSet, :one)',
            ExpressionAttributeNames: { ...names, '#arrivedSet': 'arrivedSet' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':server': new Set([serverId]), ':one': serverId },
          }),
        ),
      );
    },
    async listOpen() {
      const items = await queryKind(doc, table, 'POINT', POINT_PREFIX, { filter: '#status <> :launched', names, values: { ':launched': 'LAUNCHED' } });
      return items.map(toPoint);
    },
  };
}

// ------------------------------------------------------------------------------------------------ gates

function toGate(item: Item): Gate {
  const { arrivedSet, voterSet: _voters, ...rest } = withoutKey(item);
  const gate = rest as unknown as Gate;
  if (arrivedSet instanceof Set) {
    gate.arrived = [...(arrivedSet as Set<string>)].sort();
    // a server that arrived without being named at the gate's opening (a failure gate gathers the servers of
    // one failed launch as they come) is one of its servers: the request, the page and the decision see it
    const extra = gate.arrived.filter((s) => !gate.servers.includes(s));
    if (extra.length) gate.servers = [...gate.servers, ...extra].sort();
  }
  return gate;
}

export function createGateStore(doc: DynamoDBDocumentClient, table: string): GateStore {
  const key = (id: string) => ({ pk: `${GATE_PREFIX}${id}` });
  const get = async (id: string) => {
    const item = await getItem(doc, table, key(id).pk);
    return item ? toGate(item) : undefined;
  };
  return {
    async open(gate) {
      const stored: Gate = { ...gate, status: 'OPEN' };
      const created = await conditionalWithOld(() =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...stored, ...key(gate.id), kind: 'GATE' },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        ),
      );
      if (created === true) return { created: true, gate: stored };
      // the gate that was there came back with the failed condition (one request fewer); else read it
      const existing = created ? toGate(created.old) : await get(gate.id);
      if (!existing) throw new StoreConflictError(`Gate ${gate.id} was there a moment ago and is gone`);
      return { created: false, gate: existing };
    },
    get,
    async decide(id, decision) {
      const ok = await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :decided, #decision = :decision',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status', '#decision': 'decision' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':decided': 'DECIDED', ':decision': decision },
          }),
        ),
      );
      if (!ok && !(await get(id))) throw new StoreNotFoundError(`Gate ${id} does not exist`);
      return ok;
    },
    async vote(id, vote) {
      // one atomic write: the approver joins the set of voters only while the gate is open and they have not
      // voted; the vote goes on the list in the same write (the list and the set never disagree)
      try {
        const r = await doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'ADD #voters :voter SET #votes = list_append(if_not_exists(#votes, :none), :vote)',
            ConditionExpression: 'attribute_exists(#pk) AND #status = :open AND (attribute_not_exists(#voters) OR NOT contains(#voters, :approver))',
            ExpressionAttributeNames: { '#pk': 'pk', '#status': 'status', '#voters': 'voterSet', '#votes': 'votes' },
            ExpressionAttributeValues: { ':voter': new Set([vote.approver]), ':approver': vote.approver, ':none': [], ':vote': [vote], ':open': 'OPEN' },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return { recorded: true, gate: toGate(r.Attributes as Item) };
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
        const gate = await get(id);
        if (!gate) throw new StoreNotFoundError(`Gate ${id} does not exist`);
        return { recorded: false, gate };
      }
    },
    expire(id) {
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :expired',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':expired': 'EXPIRED' },
          }),
        ),
      );
    },
    reschedule(id, times) {
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #deadline = :deadline, #from = :from',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status', '#deadline': 'deadline', '#from': 'decisionFrom' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':deadline': times.deadline, ':from': times.decisionFrom },
          }),
        ),
      );
    },
    async listOpen() {
      const items = await queryKind(doc, table, 'GATE', GATE_PREFIX, { filter: '#status = :open', names: { '#status': 'status' }, values: { ':open': 'OPEN' } });
      return items.map(toGate);
    },
    async forWave(wave) {
      // gate ids start with the wave's name (`<wave>#<application>#<gate>#<round>`)
      const items = await queryKind(doc, table, 'GATE', `${GATE_PREFIX}${wave}#`);
      return items.map(toGate).sort((a, b) => a.openedAt.localeCompare(b.openedAt) || a.id.localeCompare(b.id));
    },
    async arrive(id, serverId) {
      const r = await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key(id),
          UpdateExpression: 'ADD #arrived :s',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#arrived': 'arrivedSet', '#pk': 'pk' },
          ExpressionAttributeValues: { ':s': new Set([serverId]) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return toGate(r.Attributes as Item);
    },
    async leave(id, serverId) {
      await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'DELETE #arrived :s',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#arrived': 'arrivedSet', '#pk': 'pk' },
            ExpressionAttributeValues: { ':s': new Set([serverId]) },
          }),
        ),
      );
    },
  };
}

// ------------------------------------------------------------------------------------------------ links

/** Links live a week past their expiry (a late click still gets 410, not 403), then DynamoDB's TTL sweeps them. */
const LINK_KEEP_SECONDS = 7 * 86400;

export function createLinkStore(doc: DynamoDBDocumentClient, table: string): LinkStore {
  const key = (id: string) => ({ pk: `${LINK_PREFIX}${id}` });
  const get = async (id: string) => {
    const item = await getItem(doc, table, key(id).pk);
    return item ? (withoutKey(item) as unknown as ApprovalLink) : undefined;
  };
  return {
    async create(link) {
      const ttl = Math.floor(Date.parse(link.expiresAt) / 1000) + LINK_KEEP_SECONDS;
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { ...link, status: 'OPEN', ...key(link.id), kind: 'LINK', ttl },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    },
    get,
    use(id, used) {
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :used, #used = :u',
            ConditionExpression: '#status = :open',
            ExpressionAttributeNames: { '#status': 'status', '#used': 'used' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':used': 'USED', ':u': used },
          }),
        ),
      );
    },
    async release(id) {
      await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #status = :open REMOVE #used',
            ConditionExpression: '#status = :used',
            ExpressionAttributeNames: { '#status': 'status', '#used': 'used' },
            ExpressionAttributeValues: { ':open': 'OPEN', ':used': 'USED' },
          }),
        ),
      );
    },
    async keepUntil(id, until) {
      await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(id),
            UpdateExpression: 'SET #ttl = :ttl',
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#ttl': 'ttl', '#pk': 'pk' },
            ExpressionAttributeValues: { ':ttl': Math.floor(Date.parse(until) / 1000) + LINK_KEEP_SECONDS },
          }),
        ),
      );
    },
    async forGate(gateId) {
      const items = await scanPrefix(doc, table, LINK_PREFIX, { filter: '#gate = :gate', names: { '#gate': 'gateId' }, values: { ':gate': gateId } });
      return items.map((i) => withoutKey(i) as unknown as ApprovalLink);
    },
  };
}

// ------------------------------------------------------------------------------------------------ audit

export function createAuditLog(doc: DynamoDBDocumentClient, table: string): AuditLog {
  return {
    async record(entry) {
      await doc.send(
        new PutCommand({
          TableName: table,
          // two people deciding in the same millisecond (a quorum) are two entries: the link, or channel and approver
          Item: { ...entry, pk: `${AUDIT_PREFIX}${entry.gateId}#${entry.at}#${entry.linkId ?? `${entry.channel}#${entry.approver}`}`, kind: 'AUDIT' },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    },
    async list(gateId) {
      const items = await scanPrefix(doc, table, gateId ? `${AUDIT_PREFIX}${gateId}#` : AUDIT_PREFIX);
      return items.map((i) => withoutKey(i) as unknown as AuditEntry).sort((a, b) => a.at.localeCompare(b.at));
    },
    async refused(r) {
      // one counter item per (wave, gate, status): an attacker's thousand probes are one item, not a thousand
      const wave = r.wave ?? '-';
      const gateId = r.gateId ?? '-';
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: { pk: `${REFUSAL_PREFIX}${wave}#${gateId}#${r.status}` },
          UpdateExpression: 'ADD #count :one SET #wave = :wave, #gate = :gate, #status = :status, #kind = :kind, #first = if_not_exists(#first, :at), #last = :at',
          ExpressionAttributeNames: { '#count': 'count', '#wave': 'wave', '#gate': 'gateId', '#status': 'status', '#kind': 'kind', '#first': 'firstAt', '#last': 'lastAt' },
          ExpressionAttributeValues: { ':one': 1, ':wave': wave, ':gate': gateId, ':status': r.status, ':kind': 'REFUSAL', ':at': r.at },
        }),
      );
    },
    async refusals() {
      const items = await scanPrefix(doc, table, REFUSAL_PREFIX);
      return items.map((i) => withoutKey(i) as unknown as RefusalCount).sort((a, b) => a.lastAt.localeCompare(b.lastAt));
    },
  };
}

// ------------------------------------------------------------------------------------------------ dedupe

export type { Dedupe };

/** The dedupe item's key: the key itself, or its SHA-256 when it would not fit a partition key (2,048 bytes). */
export function onceItemKey(key: string): string {
  return Buffer.byteLength(key) <= 1024 ? `${ONCE_PREFIX}${key}` : `${ONCE_PREFIX}sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function createDedupe(doc: DynamoDBDocumentClient, table: string, clock: Clock): Dedupe {
  return {
    once(key, ttlSeconds) {
      const now = Math.floor(clock.now().getTime() / 1000);
      return conditional(() =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { pk: onceItemKey(key), kind: 'ONCE', ttl: now + Math.max(1, Math.ceil(ttlSeconds)), at: clock.now().toISOString() },
            // DynamoDB sweeps expired items late (up to days): an expired marker counts as absent
            ConditionExpression: 'attribute_not_exists(#pk) OR #ttl <= :now',
            ExpressionAttributeNames: { '#pk': 'pk', '#ttl': 'ttl' },
            ExpressionAttributeValues: { ':now': now },
          }),
        ),
      );
    },
    async forget(key) {
      await doc.send(new DeleteCommand({ TableName: table, Key: { pk: onceItemKey(key) } }));
    },
  };
}

/**
 * The lease lock on dedupe markers (`lock#<key>`), remembering what this container knows: while it holds a
 * lease (acquired here, not released, its `ttl` not passed) another acquire here fails without asking
 * DynamoDB, whose conditional put could only fail too (the marker is there and unexpired; only its holder
 * deletes it); and an acquire made while another acquire of the same key is in flight here fails with it
 * (it lost that race: ordered right after the one in flight, it finds the lock taken either by this
 * container or by the one that made the first fail). A waiter polling for the lock (the launcher) then costs
 * no request per poll while the holder is in this container. Anything else asks DynamoDB as before.
 */
export function createLeaseLock(dedupe: Dedupe, clock: Clock): { acquire(key: string, ttlSeconds: number): Promise<boolean>; release(key: string): Promise<void> } {
  /** lease key -> the epoch second its marker's `ttl` ends (as written, or a moment earlier) */
  const held = new Map<string, number>();
  const inFlight = new Map<string, Promise<boolean>>();
  return {
    async acquire(key, ttlSeconds) {
      const now = Math.floor(clock.now().getTime() / 1000);
      const until = held.get(key);
      if (until !== undefined) {
        if (now < until) return false;
        held.delete(key);
      }
      const racing = inFlight.get(key);
      if (racing) {
        await racing.catch(() => undefined);
        return false;
      }
      const attempt = dedupe.once(`lock#${key}`, ttlSeconds);
      inFlight.set(key, attempt);
      try {
        if (!(await attempt)) return false;
      } finally {
        inFlight.delete(key);
      }
      held.set(key, now + Math.max(1, Math.ceil(ttlSeconds)));
      return true;
    },
    async release(key) {
      await dedupe.forget(`lock#${key}`);
      held.delete(key);
    },
  };
}

/** All stores on one table. */
export function createStores(doc: DynamoDBDocumentClient, table: string, clock: Clock) {
  return {
    waits: createWaitStore(doc, table),
    points: createRendezvousStore(doc, table),
    gates: createGateStore(doc, table),
    links: createLinkStore(doc, table),
    audit: createAuditLog(doc, table),
    waves: createWaveStore(doc, table),
    dedupe: createDedupe(doc, table, clock),
  };
}

// ------------------------------------------------------------------------------------------------ waves

/**
 *   WAVE#<name>                 the wave definition as validated (a resolved Wave)
 *   OUTCOME#<wave>#<serverId>   a server's latest execution in the wave and how it ended
 *   HOLD#<wave>#<serverId>#<reason>#<until>  why a server waited (freeze, window, readiness)
 *   WAVEWAIT#<wave>             the wave execution's parked task token
 *   REPORT#<wave>               the latest report
 */
export const WAVE_PREFIX = 'WAVE#';
export const OUTCOME_PREFIX = 'OUTCOME#';
export const HOLD_PREFIX = 'HOLD#';

export function createWaveStore(doc: DynamoDBDocumentClient, table: string): WaveStore {
  return {
    async putDefinition(wave) {
      await doc.send(new PutCommand({ TableName: table, Item: { pk: `${WAVE_PREFIX}${wave.name}`, kind: 'WAVE', definition: wave } }));
    },
    async getDefinition(name) {
      const item = await getItem(doc, table, `${WAVE_PREFIX}${name}`);
      return item?.definition as Wave | undefined;
    },
    async listDefinitions() {
      return (await queryKind(doc, table, 'WAVE', WAVE_PREFIX)).map((i) => i.definition as Wave);
    },
    async recordOutcome(o) {
      await conditional(() =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...o, pk: `${OUTCOME_PREFIX}${o.wave}#${o.serverId}`, kind: 'OUTCOME' },
            // an older attempt never overwrites a newer one; a RUNNING record never overwrites an end
            ConditionExpression: o.status === 'RUNNING' ? 'attribute_not_exists(#pk) OR #attempt < :a OR (#attempt = :a AND #status = :running)' : 'attribute_not_exists(#pk) OR #attempt <= :a',
            ExpressionAttributeNames: { '#pk': 'pk', '#attempt': 'attempt', ...(o.status === 'RUNNING' ? { '#status': 'status' } : {}) },
            ExpressionAttributeValues: { ':a': o.attempt, ...(o.status === 'RUNNING' ? { ':running': 'RUNNING' } : {}) },
          }),
        ),
      );
    },
    async outcomes(wave) {
      return (await scanPrefix(doc, table, `${OUTCOME_PREFIX}${wave}#`)).map((i) => withoutKey(i) as unknown as ServerOutcome);
    },
    async runningOutcomes() {
      const items = await queryKind(doc, table, 'OUTCOME', OUTCOME_PREFIX, { filter: '#status = :running', names: { '#status': 'status' }, values: { ':running': 'RUNNING' } });
      return items.map((i) => withoutKey(i) as unknown as ServerOutcome);
    },
    async outcome(wave, serverId) {
      const item = await getItem(doc, table, `${OUTCOME_PREFIX}${wave}#${serverId}`);
      return item ? (withoutKey(item) as unknown as ServerOutcome) : undefined;
    },
    async recordHold(h) {
      // one record per hold (server, reason, end): a hold checked again keeps its first `from`
      await conditional(() =>
        doc.send(
          new PutCommand({
            TableName: table,
            Item: { ...h, pk: `${HOLD_PREFIX}${h.wave}#${h.serverId}#${h.reason}#${h.until ?? ''}`, kind: 'HOLD' },
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          }),
        ),
      );
    },
    async holds(wave) {
      return (await scanPrefix(doc, table, `${HOLD_PREFIX}${wave}#`)).map((i) => withoutKey(i) as unknown as HoldRecord).sort((a, b) => a.from.localeCompare(b.from));
    },
    async park(wave, token) {
      await doc.send(new PutCommand({ TableName: table, Item: { pk: `WAVEWAIT#${wave}`, kind: 'WAVEWAIT', token } }));
    },
    async unpark(wave) {
      try {
        const r = await doc.send(new DeleteCommand({ TableName: table, Key: { pk: `WAVEWAIT#${wave}` }, ConditionExpression: 'attribute_exists(#pk)', ExpressionAttributeNames: { '#pk': 'pk' }, ReturnValues: 'ALL_OLD' }));
        return r.Attributes?.token as string | undefined;
      } catch (err) {
        if (isConditionFailed(err)) return undefined;
        throw err;
      }
    },
    async putReport(wave, report) {
      await doc.send(new PutCommand({ TableName: table, Item: { pk: `REPORT#${wave}`, kind: 'REPORT', report } }));
    },
    async getReport(wave) {
      return (await getItem(doc, table, `REPORT#${wave}`))?.report;
    },
  };
}
