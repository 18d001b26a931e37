import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StallEpisode, StallStore } from '../../ports.ts';
import { isConditionFailed, queryKind } from './stores.ts';

/**
 * The stall history on the state table: one item per server, `STALLS#<serverId>`, holding its episodes
 * (the last 50) and `openSince`, the start of the open episode. Opening is conditional on no open episode;
 * marking and ending are conditional on `openSince` still being that episode: two observers (an event and the
 * reconciler) never open two episodes for one stall or end one twice.
 */
export const STALLS_PREFIX = 'STALLS#';
const KEEP = 50;

export function createStallStore(doc: DynamoDBDocumentClient, table: string): StallStore {
  const key = (serverId: string) => ({ pk: `${STALLS_PREFIX}${serverId}` });
  const read = async (serverId: string): Promise<{ episodes: StallEpisode[]; openSince?: string } | undefined> => {
    const { Item } = await doc.send(new GetCommand({ TableName: table, Key: key(serverId), ConsistentRead: true }));
    return Item as { episodes: StallEpisode[]; openSince?: string } | undefined;
  };
  const indexOf = async (serverId: string, startedAt: string): Promise<number> => {
    const item = await read(serverId);
    if (item?.openSince !== startedAt) return -1;
    return item.episodes.findIndex((e) => e.startedAt === startedAt && e.endedAt === undefined);
  };
  const conditional = async (write: () => Promise<unknown>): Promise<boolean> => {
    try {
      await write();
      return true;
    } catch (err) {
      if (isConditionFailed(err)) return false;
      throw err;
    }
  };
  return {
    async list(serverId) {
      return (await read(serverId))?.episodes ?? [];
    },
    async openServers() {
      const items = await queryKind(doc, table, 'STALLS', STALLS_PREFIX, { filter: 'attribute_exists(#open)', names: { '#open': 'openSince' }, values: {} });
      return items.map((i) => String(i.pk).slice(STALLS_PREFIX.length));
    },
    async start(episode) {
      const item = await read(episode.serverId);
      if (item?.openSince) return false;
      const episodes = [...(item?.episodes ?? []), episode].slice(-KEEP);
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(episode.serverId),
            UpdateExpression: 'SET #episodes = :episodes, #open = :open, #kind = :kind',
            // nobody opened one since the read, and nobody added an episode (the list we replace is the one we read)
            ConditionExpression: item ? 'attribute_not_exists(#open) AND size(#episodes) = :n' : 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#episodes': 'episodes', '#open': 'openSince', '#kind': 'kind', ...(item ? {} : { '#pk': 'pk' }) },
            ExpressionAttributeValues: { ':episodes': episodes, ':open': episode.startedAt, ':kind': 'STALLS', ...(item ? { ':n': item.episodes.length } : {}) },
          }),
        ),
      );
    },
    async mark(serverId, startedAt, fields) {
      const i = await indexOf(serverId, startedAt);
      if (i < 0) return;
      const sets = Object.entries(fields).filter(([, v]) => v !== undefined);
      if (sets.length === 0) return;
      await conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(serverId),
            UpdateExpression: `SET ${sets.map(([k]) => `#episodes[${i}].#${k} = :${k}`).join(', ')}`,
            ConditionExpression: '#open = :open',
            ExpressionAttributeNames: { '#episodes': 'episodes', '#open': 'openSince', ...Object.fromEntries(sets.map(([k]) => [`#${k}`, k])) },
            ExpressionAttributeValues: { ':open': startedAt, ...Object.fromEntries(sets.map(([k, v]) => [`:${k}`, v])) },
          }),
        ),
      );
    },
    async end(serverId, startedAt, at, by) {
      const i = await indexOf(serverId, startedAt);
      if (i < 0) return false;
      const durationSeconds = Math.max(0, Math.round((Date.parse(at) - Date.parse(startedAt)) / 1000));
      return conditional(() =>
        doc.send(
          new UpdateCommand({
            TableName: table,
            Key: key(serverId),
            UpdateExpression: `SET #episodes[${i}].#endedAt = :at, #episodes[${i}].#duration = :d, #episodes[${i}].#by = :by REMOVE #open`,
            ConditionExpression: '#open = :open',
            ExpressionAttributeNames: { '#episodes': 'episodes', '#open': 'openSince', '#endedAt': 'endedAt', '#duration': 'durationSeconds', '#by': 'endedBy' },
            ExpressionAttributeValues: { ':open': startedAt, ':at': at, ':d': durationSeconds, ':by': by },
          }),
        ),
      );
    },
  };
}
