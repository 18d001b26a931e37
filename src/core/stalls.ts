import type { Clock, Log, MgnPort, Notifier, ServerView, StallEpisode, StallStore } from '../ports.ts';
import { warnAndContinue } from './log.ts';

/**
 * Stalls (docs/adr/0004, "Stalls"): MGN's "Data Replication Stalled Change" events are best effort, so the
 * event router and the reconciler both compare what MGN says now with the stall history and do what the
 * event would have done: a stall opens an episode, tells ops once and asks MGN to retry replication (up to
 * the configured count per server); the end of a stall closes the episode with its duration. The history
 * (episodes, durations, dataReplicationError, the failing initiation step) is evidence for approvers and
 * `wave status`. Decisions follow MGN's state (read by the caller), never the event alone.
 */
export type StallDeps = {
  mgn: Pick<MgnPort, 'retryDataReplication'>;
  stalls: StallStore;
  notifier: Notifier;
  clock: Clock;
  onceKey(key: string, ttlSeconds: number): Promise<boolean>;
  maxStallRetries: number;
  log?: Log;
};

export type StallAction = 'retried' | 'notified' | 'evidence' | 'known' | 'recovered' | undefined;

export async function observeReplication(
  deps: StallDeps,
  server: ServerView,
  opts: { via: 'event' | 'reconcile'; quiesced: boolean; at?: string },
): Promise<StallAction> {
  const now = deps.clock.now().toISOString();
  const episodes = await deps.stalls.list(server.id);
  const open = episodes.findLast((e) => e.endedAt === undefined);
  const stalled = server.replication.state === 'STALLED';
  if (!stalled) {
    if (!open) return undefined;
    await deps.stalls.end(server.id, open.startedAt, now, opts.via);
    return 'recovered';
  }
  if (open) {
    // a STALLED event sent after our retry: replication came back and stalled again (a duplicate of the
    // first event carries the first stall's time)
    const restalled = opts.via === 'event' && open.retriedAt !== undefined && opts.at !== undefined && Date.parse(opts.at) > Date.parse(open.retriedAt);
    if (!restalled) return 'known';
    await deps.stalls.end(server.id, open.startedAt, opts.at as string, 'restall');
  }
  const startedAt = opts.via === 'event' && opts.at && (!open || Date.parse(opts.at) > Date.parse(open.startedAt)) ? opts.at : now;
  const episode: StallEpisode = {
    serverId: server.id,
    startedAt,
    detectedBy: opts.via,
    ...(server.replication.error ? { error: server.replication.error } : {}),
    ...(server.replication.rawError ? { rawError: server.replication.rawError } : {}),
    ...(server.replication.failedStep ? { failedStep: server.replication.failedStep } : {}),
    ...(opts.quiesced ? { evidenceOnly: true } : {}),
  };
  // one observer opens it; the other sees it open (known)
  if (!(await deps.stalls.start(episode))) return 'known';
  // Once the source is quiesced for cutover, a stall is expected (the agent is gone): evidence, not an alert.
  if (opts.quiesced) return 'evidence';
  const why = [server.replication.error, server.replication.failedStep ? `initiation step ${server.replication.failedStep} failed` : undefined, server.replication.rawError].filter(Boolean).join('; ');
  await deps.notifier.ops({
    subject: `Replication stalled: ${server.id}`,
    text: `Data replication of ${server.id} stalled.${why ? ` MGN says: ${why}.` : ''}${opts.via === 'reconcile' ? " MGN's stall event did not arrive: the reconciler found it in MGN." : ''}`,
    key: `stall#${server.id}#${startedAt}`,
  });
  await deps.stalls.mark(server.id, startedAt, { alerted: true });
  for (let k = 0; k < deps.maxStallRetries; k++) {
    if (await deps.onceKey(`stall-retry#${server.id}#${k}`, 14 * 86400)) {
      await deps.mgn
        .retryDataReplication(server.id)
        .catch(warnAndContinue(deps, 'replication retry failed', 'ops were told of the stall; the episode stays open and the next retry (the next event or reconcile run, up to maxStallRetries) asks MGN again', { serverId: server.id, startedAt }));
      await deps.stalls.mark(server.id, startedAt, { retriedAt: deps.clock.now().toISOString() });
      return 'retried';
    }
  }
  return 'notified';
}

/** The stall history in one line (wave status, approval evidence). */
export function stallSummary(episodes: readonly StallEpisode[], now: Date): string | undefined {
  if (episodes.length === 0) return undefined;
  const secs = (e: StallEpisode) => e.durationSeconds ?? Math.max(0, Math.round((now.getTime() - Date.parse(e.startedAt)) / 1000));
  const total = episodes.reduce((n, e) => n + secs(e), 0);
  const fmt = (s: number) => (s < 3600 ? `${Math.round(s / 60)} min` : `${(s / 3600).toFixed(1)} h`);
  const last = episodes.at(-1) as StallEpisode;
  const lastText = `${last.error ?? 'stalled'}${last.failedStep ? ` at ${last.failedStep}` : ''} ${last.endedAt ? `for ${fmt(secs(last))}` : `since ${last.startedAt} (ongoing)`}`;
  return `${episodes.length} stall${episodes.length === 1 ? '' : 's'}, ${fmt(total)} in all; last: ${lastText}`;
}
