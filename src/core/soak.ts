import { MAX_SOAK_SECONDS } from './contracts.ts';
import { InvalidDecisionError } from './errors.ts';
import { deadlineText } from './gates.ts';
import { SOAK_STATE } from './lifecycle.ts';
import type { GateStore, LinkStore, OpenWait } from '../ports.ts';
import { resolve, type WaitDeps } from './waits.ts';

export interface SoakExtension {
  extended: { serverId: string; remainingSeconds: number }[];
  /** The sign-off gates moved: their new deadline (ISO) and as people read it (the wave's time zone). */
  gates: { gateId: string; decisionFrom: string; deadline: string; deadlineText: string }[];
}

/**
 * `soak extend <application> --days N`: every server of the application still soaking ends its soak wait with
 * a caught `SoakExtended` error carrying the new remaining time, and re-enters the soak with it (in parts when
 * it is longer than one callback's limit). The sign-off gate moves with it: the decision is due from the new
 * end of the soak, its deadline (and so its reminders and links) as much later. The sign-off request stays
 * open; a sign-off still ends the soak early.
 */
export async function extendSoak(deps: WaitDeps & { gates: GateStore; links?: LinkStore }, req: { wave: string; application: string; days: number }): Promise<SoakExtension> {
  if (!(req.days > 0)) throw new InvalidDecisionError('--days must be a positive number');
  const prefix = `${req.wave}#${req.application}#SIGNOFF#`;
  const now = deps.clock.now().getTime();
  const soaking: { wait: OpenWait & { condition: { kind: 'GATE'; gateId: string } }; remainingSeconds: number }[] = [];
  for (const wait of await deps.waits.list()) {
    if (wait.state !== SOAK_STATE || wait.condition.kind !== 'GATE' || !wait.condition.gateId.startsWith(prefix)) continue;
    const total = wait.waitSeconds;
    if (total === undefined) continue;
    const elapsed = Math.max(0, (now - Date.parse(wait.createdAt)) / 1000);
    const remainingSeconds = Math.max(1, Math.round(total - elapsed + req.days * 86400));
    soaking.push({ wait: wait as (typeof soaking)[number]['wait'], remainingSeconds });
  }
  if (soaking.length === 0) throw new InvalidDecisionError(`no server of ${req.application} in wave ${req.wave} is soaking`);
  // the whole check first: nothing moves unless every server can take the extension
  const longest = Math.max(...soaking.map((s) => s.remainingSeconds));
  if (longest > MAX_SOAK_SECONDS) {
    const left = Math.floor((MAX_SOAK_SECONDS - (longest - req.days * 86400)) / 86400);
    throw new InvalidDecisionError(
      `--days ${req.days}: the soak would go on for ${(longest / 86400).toFixed(1)} more days, above the ${MAX_SOAK_SECONDS / 86400}-day limit of a soak (MGN's free replication period)` +
        (left >= 1 ? `; extend by at most ${left} days` : '; sign off or reject instead'),
    );
  }

  // the gate first: from the moment the soak is longer, so is the time to decide (no reminder or expiry mid-soak)
  const gates: SoakExtension['gates'] = [];
  for (const gateId of [...new Set(soaking.map((s) => s.wait.condition.gateId))]) {
    const gate = await deps.gates.get(gateId);
    if (!gate || gate.status !== 'OPEN') continue;
    const until = Math.max(...soaking.filter((s) => s.wait.condition.gateId === gateId).map((s) => now + s.remainingSeconds * 1000));
    const from = Date.parse(gate.decisionFrom ?? gate.openedAt);
    const decisionSeconds = Math.max(0, Date.parse(gate.deadline) - from);
    // never earlier than it was (an extension of a server that soaks less than its siblings)
    const decisionFrom = new Date(Math.max(from, until)).toISOString();
    const deadline = new Date(Math.max(Date.parse(gate.deadline), Date.parse(decisionFrom) + decisionSeconds)).toISOString();
    if (!(await deps.gates.reschedule(gateId, { deadline, decisionFrom }))) continue;
    // the links expire with the gate: keep them stored as long
    for (const l of (await deps.links?.forGate(gateId)) ?? []) await deps.links?.keepUntil(l.id, deadline);
    gates.push({ gateId, decisionFrom, deadline, deadlineText: deadlineText({ deadline, ...(gate.timeZone ? { timeZone: gate.timeZone } : {}) }) });
  }

  const extended: SoakExtension['extended'] = [];
  for (const { wait, remainingSeconds } of soaking) {
    if (await resolve(deps, wait, { error: 'SoakExtended', cause: JSON.stringify({ remainingSeconds, days: req.days }) })) {
      extended.push({ serverId: wait.serverId, remainingSeconds });
    }
  }
  return { extended, gates };
}
