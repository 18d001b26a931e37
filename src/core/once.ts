import type { Log } from '../ports.ts';
import { warnAndContinue } from './log.ts';

/** A marker per key with a time to live: the first `once` takes it, later ones see it taken until it expires. */
export interface OnceMarker {
  /** true for the first caller of `key` within the TTL. */
  once(key: string, ttlSeconds: number): Promise<boolean>;
  /** Give `key` back: the next `once` takes it again. */
  forget(key: string): Promise<void>;
}

/**
 * `work` once per `key`: the marker is taken first (a second caller does nothing and gets false); when the
 * work fails the key is given back so a retry does it, and the work's own error is rethrown (a key that
 * cannot be given back is logged: it expires with its TTL). One home for "dedupe, publish, forget on
 * failure": ops messages, approval messages and gate requests.
 */
export async function onceOrGiveBack(deps: { dedupe: OnceMarker; log?: Log | undefined }, key: string, ttlSeconds: number, work: () => Promise<void>): Promise<boolean> {
  if (!(await deps.dedupe.once(key, ttlSeconds))) return false;
  try {
    await work();
  } catch (err) {
    await deps.dedupe.forget(key).catch(warnAndContinue(deps, 'once key not given back', "the work's own error is rethrown and decides; the key expires with its TTL", { key }));
    throw err;
  }
  return true;
}
