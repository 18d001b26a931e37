import { InvalidDecisionError } from './errors.ts';
import { resolve, type WaitDeps } from './waits.ts';

/**
 * `soak extend <application> --days N`: every server of the application still soaking ends its soak wait with
 * a caught `SoakExtended` error carrying the new remaining time, and re-enters the soak with it. The sign-off
 * request stays open; a sign-off still ends the soak early.
 */
export async function extendSoak(
  deps: WaitDeps,
  req: { wave: string; application: string; days: number },
): Promise<{ extended: { serverId: string; remainingSeconds: number }[] }> {
  if (!(req.days > 0)) throw new InvalidDecisionError('--days must be a positive number');
  const prefix = `${req.wave}#${req.application}#SIGNOFF#`;
  const now = deps.clock.now().getTime();
  const extended: { serverId: string; remainingSeconds: number }[] = [];
  for (const wait of await deps.waits.list()) {
    if (wait.state !== 'Soak' || wait.condition.kind !== 'GATE' || !wait.condition.gateId.startsWith(prefix)) continue;
    const total = wait.waitSeconds;
    if (total === undefined) continue;
    const elapsed = Math.max(0, (now - Date.parse(wait.createdAt)) / 1000);
    const remainingSeconds = Math.max(1, Math.round(total - elapsed + req.days * 86400));
    if (remainingSeconds > 2_000_000) throw new InvalidDecisionError(`a soak wait of ${remainingSeconds}s is above the 23-day limit of one wait; extend in steps after the current soak ends`);
    if (await resolve(deps, wait, { error: 'SoakExtended', cause: JSON.stringify({ remainingSeconds, days: req.days }) })) {
      extended.push({ serverId: wait.serverId, remainingSeconds });
    }
  }
  if (extended.length === 0) throw new InvalidDecisionError(`no server of ${req.application} in wave ${req.wave} is soaking`);
  return { extended };
}
