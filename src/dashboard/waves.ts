import type { Gate, GateStore, LaunchPoint, RendezvousStore, WaitStore, WaveStore } from '../ports.ts';
import { whereabouts, type Whereabouts } from '../core/whereabouts.ts';
import { minuteIn } from '../core/zoned-time.ts';

/**
 * The waves as planned, for the board: every application of every stored wave (started or not) and, for
 * each server, where it is and why, in words, with its times in the wave's zone to the minute. The board
 * draws the executions it reads from Step Functions; this fills in the applications not started yet and
 * the "why" and "until when" that only the state table knows.
 */
export interface PlannedServer extends Pick<Whereabouts, 'serverId' | 'hostname' | 'result' | 'outcome' | 'where' | 'reason' | 'waitingFor' | 'atDeadline' | 'execution'> {
  sinceLocal?: string;
  deadlineLocal?: string;
}

export interface PlannedWave {
  wave: string;
  timeZone: string;
  /** `account`: the application's account in MGN's global view, when it is not the account mgn-flow runs in. */
  applications: { application: string; canary: boolean; account?: string; servers: PlannedServer[] }[];
}

export function wavePlans(stores: { waves: Pick<WaveStore, 'listDefinitions' | 'outcomes' | 'holds' | 'getReport'>; waits: Pick<WaitStore, 'list'>; gates: Pick<GateStore, 'get'>; points: Pick<RendezvousStore, 'get'> }): () => Promise<PlannedWave[]> {
  return async () => {
    const [definitions, waits] = await Promise.all([stores.waves.listDefinitions(), stores.waits.list({ consistent: false })]);
    const gates = new Map<string, Gate>();
    const points = new Map<string, LaunchPoint>();
    for (const w of waits) {
      if (w.condition.kind === 'GATE' && !gates.has(w.condition.gateId)) {
        const g = await stores.gates.get(w.condition.gateId);
        if (g) gates.set(g.id, g);
      }
      if (w.condition.kind === 'LAUNCH_POINT' && !points.has(w.condition.pointId)) {
        const p = await stores.points.get(w.condition.pointId);
        if (p) points.set(p.id, p);
      }
    }
    const out: PlannedWave[] = [];
    for (const wave of definitions) {
      const [outcomes, holds, report] = await Promise.all([stores.waves.outcomes(wave.name), stores.waves.holds(wave.name), stores.waves.getReport(wave.name) as Promise<{ holding?: string } | undefined>]);
      const rows = whereabouts({ wave, outcomes, waits, gates, points, holds, ...(report?.holding ? { holding: report.holding } : {}) });
      const zone = wave.timeZone;
      out.push({
        wave: wave.name,
        timeZone: zone,
        applications: wave.applications.map((a) => ({
          application: a.name,
          canary: a.canary,
          ...(a.account ? { account: a.account } : {}),
          servers: rows
            .filter((r) => r.application === a.name)
            .map((r) => ({
              serverId: r.serverId,
              ...(r.hostname ? { hostname: r.hostname } : {}),
              result: r.result,
              outcome: r.outcome,
              where: r.where,
              reason: r.reason,
              ...(r.waitingFor ? { waitingFor: r.waitingFor } : {}),
              ...(r.atDeadline ? { atDeadline: r.atDeadline } : {}),
              ...(r.execution ? { execution: r.execution } : {}),
              ...(r.since ? { sinceLocal: minuteIn(r.since, zone) } : {}),
              ...(r.deadline ? { deadlineLocal: minuteIn(r.deadline, zone) } : {}),
            })),
        })),
      });
    }
    return out;
  };
}
