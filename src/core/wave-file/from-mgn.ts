/** A wave from MGN's own Waves and Applications. */

import type { ServerView } from '../../ports.ts';
import { noApprovers } from '../lifecycle.ts';
import { type Approvers, type FreezeWindow, type TimeWindow, WAVE_DEFAULTS, type Wave, type WaveDefaults } from './model.ts';
import { WAVE_NAME } from './schema.ts';

// ---------------------------------------------------------------------------------------------------------
// a wave from MGN's own Waves and Applications

/** The plan for a wave read from MGN (MGN holds no schedule, approvers or launch settings). */
export interface WavePlan {
  timeZone?: string;
  defaults?: Partial<WaveDefaults>;
  cutoverWindow?: TimeWindow | null;
  approvers?: Partial<Approvers>;
  freeze?: FreezeWindow[];
  /** Applications to migrate first, by name or applicationID. */
  canaries?: readonly string[];
}

/**
 * The Wave of an MGN wave: one application per MGN application (in the order given), its servers those
 * whose applicationId is its applicationID (archived ones included: a wave run again reports them done).
 * The name is MGN's when it is a valid wave name (it starts execution names), the waveID otherwise.
 */
export function waveFromMgn(
  input: { wave: { waveID: string; name: string }; applications: readonly { applicationID: string; name: string }[]; servers: readonly ServerView[] },
  plan: WavePlan = {},
): Wave {
  const canaries = new Set(plan.canaries ?? []);
  const byApp = new Map<string, ServerView[]>();
  for (const s of input.servers) {
    if (!s.applicationId) continue;
    byApp.set(s.applicationId, [...(byApp.get(s.applicationId) ?? []), s]);
  }
  return {
    name: WAVE_NAME.test(input.wave.name) ? input.wave.name : input.wave.waveID,
    timeZone: plan.timeZone ?? 'UTC',
    source: { kind: 'mgn', waveId: input.wave.waveID, name: input.wave.name },
    defaults: { ...WAVE_DEFAULTS, ...plan.defaults },
    cutoverWindow: plan.cutoverWindow ?? null,
    approvers: { ...noApprovers(), ...plan.approvers },
    freeze: plan.freeze ?? [],
    applications: input.applications.map((a) => ({
      name: a.name,
      id: a.applicationID,
      canary: canaries.has(a.name) || canaries.has(a.applicationID),
      standalone: false,
      servers: (byApp.get(a.applicationID) ?? []).map((s) => ({ id: s.id, ...(s.hostname ? { hostname: s.hostname } : {}) })),
    })),
  };
}
