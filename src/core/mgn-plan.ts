import type { MgnPlanPort, Notifier, WaveStore } from '../ports.ts';
import { TransientError } from './errors.ts';
import type { Wave } from './wave-file.ts';

/**
 * MGN's own plan in step with the wave (docs/adr/0009-mgn-plan-import-agentless.md): MGN's console shows Waves and
 * Applications, so the wave and its applications are created (or unarchived) in MGN, the applications
 * associated with the wave and the servers with their application, and each source server tagged with its
 * wave and application. Every step reads MGN first and changes only what differs: a second run makes no
 * write at all. When the wave ends complete, its applications and the wave are archived in MGN.
 *
 * The mirror never decides anything about the migration: a refusal (a quota, an application that belongs to
 * another active wave) is told to ops and the wave runs on.
 */

export type MgnPlanDeps = { mgnPlan: MgnPlanPort; waves: Pick<WaveStore, 'getDefinition'>; notifier: Notifier };

/** The tags mgn-flow puts on source servers (and on the waves and applications it creates). */
export const TAG_WAVE = 'mgn-flow:wave';
export const TAG_APPLICATION = 'mgn-flow:application';

/** MGN takes at most 50 ids per AssociateApplications / AssociateSourceServers call. */
const ASSOCIATE_BATCH = 50;

export interface MgnPlanResult {
  wave: string;
  /** Skipped: the wave says `syncMgnPlan: false`. */
  skipped?: boolean;
  waveId?: string;
  /** Every change made in MGN, in words (empty: MGN already matched the wave). */
  changes: string[];
  /** What could not be done (told to ops); the wave runs on. */
  problems: string[];
  /** What was left as MGN has it on purpose (an application another active MGN wave holds). */
  notes?: string[];
}

const key = (name: string) => name.toLowerCase();

function batches<T>(items: readonly T[], size = ASSOCIATE_BATCH): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** MGN errors worth asking again (the state machine's Retry): the others are refusals, told to ops. */
function transient(err: unknown): boolean {
  return err instanceof TransientError;
}

/**
 * The plan mirror covers the account mgn-flow runs in: an application in another account of MGN's global view
 * would need its own MGN wave and application in that account (not made yet), so it is left out and said so.
 */
function homeOnly(wave: Wave, changes: string[]): Wave {
  const elsewhere = wave.applications.filter((a) => a.account);
  if (elsewhere.length === 0) return wave;
  changes.push(`not mirrored (in another account of MGN's global view): ${elsewhere.map((a) => `${a.name} (${a.account})`).join(', ')}`);
  return { ...wave, applications: wave.applications.filter((a) => !a.account) };
}

/** Create or update MGN's wave and applications for the stored wave, associate and tag its servers. */
export async function syncMgnPlan(deps: MgnPlanDeps, waveName: string): Promise<MgnPlanResult> {
  const wave = await deps.waves.getDefinition(waveName);
  if (!wave) return { wave: waveName, skipped: true, changes: [], problems: [`no wave named ${waveName} is stored`] };
  if (wave.defaults.syncMgnPlan === false) return { wave: wave.name, skipped: true, changes: [], problems: [] };
  const changes: string[] = [];
  const problems: string[] = [];
  try {
    return await sync(deps, homeOnly(wave, changes), changes, problems);
  } catch (err) {
    if (transient(err)) throw err;
    // a refusal (a quota, a conflict): what was done stays done, the rest is told to ops; the wave runs on
    problems.push(`MGN refused: ${(err as Error).name}: ${(err as Error).message}`);
    await tell(deps, wave, problems, 'sync');
    return { wave: wave.name, changes, problems };
  }
}

async function sync(deps: MgnPlanDeps, wave: Wave, changes: string[], problems: string[]): Promise<MgnPlanResult> {
  const notes: string[] = [];
  const p = deps.mgnPlan;

  // the wave: the one it was read from, or the one with its name (MGN's names are unique, case-insensitively)
  const mgnWaveName = wave.source.kind === 'file' ? wave.name : wave.source.name;
  const waves = await p.listWaves();
  let mgnWave = wave.source.kind === 'mgn' ? waves.find((w) => w.id === (wave.source as { waveId: string }).waveId) : undefined;
  mgnWave ??= waves.find((w) => key(w.name) === key(mgnWaveName) && !w.isArchived) ?? waves.find((w) => key(w.name) === key(mgnWaveName));
  if (!mgnWave) {
    mgnWave = await p.createWave(mgnWaveName, `Wave ${wave.name}, run by mgn-flow`, { [TAG_WAVE]: wave.name });
    changes.push(`created wave ${mgnWaveName} (${mgnWave.id})`);
  } else if (mgnWave.isArchived) {
    await p.unarchiveWave(mgnWave.id);
    changes.push(`unarchived wave ${mgnWaveName} (${mgnWave.id})`);
  }
  const waveId = mgnWave.id;

  // the applications (standalone servers are applications of one in mgn-flow, not in MGN)
  const grouped = wave.applications.filter((a) => !a.standalone);
  const apps = await p.listApplications();
  const activeWaves = new Map(waves.filter((w) => !w.isArchived).map((w) => [w.id, w.name]));
  const appIds = new Map<string, string>();
  const toAssociate: string[] = [];
  for (const a of grouped) {
    let app = (a.id ? apps.find((x) => x.id === a.id) : undefined) ?? apps.find((x) => key(x.name) === key(a.name) && !x.isArchived) ?? apps.find((x) => key(x.name) === key(a.name));
    if (!app) {
      app = await p.createApplication(a.name, `Application ${a.name} of wave ${wave.name}, run by mgn-flow`, { [TAG_WAVE]: wave.name, [TAG_APPLICATION]: a.name });
      apps.push(app);
      changes.push(`created application ${a.name} (${app.id})`);
    } else if (app.isArchived) {
      await p.unarchiveApplication(app.id);
      changes.push(`unarchived application ${a.name} (${app.id})`);
    }
    if (app.waveId !== waveId) {
      const other = app.waveId ? activeWaves.get(app.waveId) : undefined;
      if (app.waveId && other !== undefined) {
        // another active wave holds it: moving it would change that wave's plan behind its back
        notes.push(`application ${a.name} (${app.id}) belongs to MGN wave ${other} (${app.waveId}); disassociate it there to put it in ${mgnWaveName}`);
        appIds.set(a.name, app.id);
        continue;
      }
      if (app.waveId) {
        await p.disassociateApplications(app.waveId, [app.id]);
        changes.push(`took application ${a.name} out of archived wave ${app.waveId}`);
      }
      toAssociate.push(app.id);
    }
    appIds.set(a.name, app.id);
  }
  for (const ids of batches(toAssociate)) {
    await p.associateApplications(waveId, ids);
    changes.push(`associated ${ids.length} application(s) with wave ${mgnWaveName}`);
  }

  // the servers: their application, and the tags naming their wave and application
  const serverIds = wave.applications.flatMap((a) => a.servers.map((s) => s.id));
  const current = new Map((await p.describeServers(serverIds)).map((s) => [s.id, s]));
  for (const a of wave.applications) {
    const appId = appIds.get(a.name);
    const join: string[] = [];
    for (const s of a.servers) {
      const now = current.get(s.id);
      if (!now) {
        problems.push(`source server ${s.id} is not in MGN`);
        continue;
      }
      if (appId && now.applicationId !== appId) {
        if (now.applicationId) {
          await p.disassociateServers(now.applicationId, [s.id]);
          changes.push(`took ${s.id} out of application ${now.applicationId}`);
        }
        join.push(s.id);
      }
      const tags = { [TAG_WAVE]: wave.name, [TAG_APPLICATION]: a.name };
      if (Object.entries(tags).some(([k, v]) => now.tags[k] !== v)) {
        await p.tag(now.arn, tags);
        changes.push(`tagged ${s.id} ${TAG_WAVE}=${wave.name} ${TAG_APPLICATION}=${a.name}`);
      }
    }
    for (const ids of batches(join)) {
      await p.associateServers(appId as string, ids);
      changes.push(`associated ${ids.length} server(s) with application ${a.name}`);
    }
  }
  await tell(deps, wave, problems, 'sync');
  return { wave: wave.name, waveId, changes, problems, ...(notes.length ? { notes } : {}) };
}

/**
 * The wave ended complete: archive its applications and the wave in MGN (unless `archiveMgnPlan: false`).
 * Only what mgn-flow put in the wave is archived; what is archived already is left as is.
 */
export async function archiveMgnPlan(deps: MgnPlanDeps, waveName: string): Promise<MgnPlanResult> {
  const wave = await deps.waves.getDefinition(waveName);
  if (!wave) return { wave: waveName, skipped: true, changes: [], problems: [`no wave named ${waveName} is stored`] };
  if (wave.defaults.syncMgnPlan === false || wave.defaults.archiveMgnPlan === false) return { wave: wave.name, skipped: true, changes: [], problems: [] };
  const p = deps.mgnPlan;
  const changes: string[] = [];
  const mgnWaveName = wave.source.kind === 'file' ? wave.name : wave.source.name;
  const waves = await p.listWaves();
  const mgnWave = (wave.source.kind === 'mgn' ? waves.find((w) => w.id === (wave.source as { waveId: string }).waveId) : undefined) ?? waves.find((w) => key(w.name) === key(mgnWaveName) && !w.isArchived) ?? waves.find((w) => key(w.name) === key(mgnWaveName));
  if (!mgnWave) return { wave: wave.name, changes, problems: [] };
  const names = new Set(wave.applications.filter((a) => !a.standalone && !a.account).map((a) => key(a.name)));
  for (const app of await p.listApplications()) {
    if (app.waveId !== mgnWave.id || app.isArchived || !names.has(key(app.name))) continue;
    await p.archiveApplication(app.id);
    changes.push(`archived application ${app.name} (${app.id})`);
  }
  if (!mgnWave.isArchived) {
    await p.archiveWave(mgnWave.id);
    changes.push(`archived wave ${mgnWave.name} (${mgnWave.id})`);
  }
  return { wave: wave.name, waveId: mgnWave.id, changes, problems: [] };
}

async function tell(deps: MgnPlanDeps, wave: Wave, problems: string[], what: string): Promise<void> {
  if (!problems.length) return;
  await deps.notifier.ops({
    subject: `MGN's plan not in step: ${wave.name}`,
    text: `mgn-flow could not bring MGN's waves and applications in step with wave ${wave.name}: ${problems.join('; ')}. The wave runs on; MGN's console view of it is incomplete.`,
    key: `mgn-plan#${what}#${wave.name}#${problems.join('|')}`.slice(0, 500),
  });
}
