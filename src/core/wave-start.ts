/**
 * Sourcing, starting and scheduling a wave: the use cases behind `mgn-flow wave start|schedule`, the demo and
 * the rehearsal. A wave comes from a WaveSource (a wave file, MGN's own wave, MGN's import file); it is read
 * against MGN's servers and quotas as they are now and is started or scheduled only whole and valid.
 */
import type { Deps, ExecutionPort, ServerView, WaveSchedules, WaveSource, WaveSourceContext } from '../ports.ts';
import { MgnWaveNotFoundError, WaveHeldError, WaveNotScheduledError, WaveStartTimeError } from './errors.ts';
import { importAccounts, loadMgnImport } from './mgn-import.ts';
import { heldByOtherWaves, heldMessage, WaveInvalidError } from './wave.ts';
import { checkWave, parseWaveFile, validateWave, waveFromMgn, type Wave } from './wave-file.ts';
import { formatZoned, resolveLocalTime } from './zoned-time.ts';

// Sources -------------------------------------------------------------------------------------------------------

/** A wave file (YAML or JSON), its text as read. Archived servers are kept: a wave started again after some servers finished reports them done. */
export function waveFileSource(text: string, file: string): WaveSource {
  return {
    kind: 'file',
    label: file,
    async load(ctx) {
      const parsed = parseWaveFile(text, file);
      // an application in another account of MGN's global view: its servers are found in that account
      const accounts = await ctx.globalView(parsed.applications.flatMap((a) => (a.account ? [a.account] : [])));
      return validateWave(parsed, { file, servers: ctx.servers, quotas: ctx.quotas, now: ctx.now, archived: 'keep', ...(accounts ? { accounts } : {}) });
    },
  };
}

/** MGN's import file (CSV, MGN's import template); `wave` chooses one when it lists several, `region` refuses rows of another Region. */
export function mgnImportSource(text: string, file: string, opts: { wave?: string; region?: string } = {}): WaveSource {
  return {
    kind: 'mgn-import',
    label: file,
    async load(ctx) {
      const accounts = await ctx.globalView(importAccounts(text));
      return loadMgnImport(text, { file, servers: ctx.servers, quotas: ctx.quotas, now: ctx.now, archived: 'keep', ...(opts.region ? { region: opts.region } : {}), ...(opts.wave !== undefined ? { wave: opts.wave } : {}), ...(accounts ? { accounts } : {}) });
    },
  };
}

/** MGN's own wave (by id or name): its applications that are not archived, and their servers. */
export function mgnWaveSource(idOrName: string): WaveSource {
  return {
    kind: 'mgn-wave',
    label: `MGN wave ${idOrName}`,
    async load(ctx) {
      const waves = await ctx.mgnPlan.listWaves();
      const w = waves.find((x) => x.id === idOrName || x.name === idOrName);
      if (!w) throw new MgnWaveNotFoundError(`MGN has no wave ${JSON.stringify(idOrName)}; its waves: ${waves.map((x) => `${x.name} (${x.id})`).join(', ') || 'none'}`);
      const apps = (await ctx.mgnPlan.listApplications()).filter((a) => a.waveId === w.id && !a.isArchived);
      const wave = waveFromMgn({ wave: { waveID: w.id, name: w.name }, applications: apps.map((a) => ({ applicationID: a.id, name: a.name })), servers: ctx.servers.filter((s) => !s.isArchived) });
      const problems = checkWave(wave, { quotas: ctx.quotas, now: ctx.now });
      if (problems.length) throw new WaveInvalidError(problems.map((p) => `mgn:${p.path}${p.index !== undefined ? `[${p.index}]` : ''}: ${p.value}: ${p.allowed}`).join('\n'));
      return wave;
    },
  };
}

// Use cases -----------------------------------------------------------------------------------------------------

export type WaveSourceDeps = Pick<Deps, 'mgn' | 'quotas' | 'clock'> & Partial<Pick<Deps, 'mgnPlan'>>;

/** The wave of `source`, read against MGN's servers and quotas as they are now; throws if it is not whole and valid. */
export async function loadWave(deps: WaveSourceDeps, source: WaveSource): Promise<Wave> {
  const limits = await deps.quotas.mgnLimits();
  const servers = await deps.mgn.listServers();
  const noPlan = () => Promise.reject(new Error(`${source.label}: reading MGN's waves needs the MGN plan port`));
  const ctx: WaveSourceContext = {
    servers,
    quotas: { replicatingServers: limits.replicatingServers, serversPerApplication: limits.serversPerApplication },
    now: deps.clock.now(),
    mgnPlan: deps.mgnPlan ?? { listWaves: noPlan, listApplications: noPlan },
    async globalView(named) {
      const wanted = [...new Set(named)];
      if (wanted.length === 0) return undefined;
      const managed = await deps.mgn.listManagedAccounts();
      const byAccount = new Map<string, ServerView[]>();
      for (const a of wanted) if (managed.includes(a)) byAccount.set(a, await deps.mgn.forAccount(a).listServers());
      return { managed, servers: byAccount };
    },
  };
  return source.load(ctx);
}

/** A server is in one running wave at a time: refuse a wave naming a server another running wave has. */
export async function refuseHeld(deps: Pick<Deps, 'waves' | 'executions'>, wave: Wave): Promise<void> {
  const held = await heldByOtherWaves({ waves: deps.waves, executions: deps.executions }, wave);
  if (held.length) throw new WaveHeldError(`${heldMessage(wave.name, held)}; nothing was started`);
}

export type StartWaveDeps = WaveSourceDeps & Pick<Deps, 'waves' | 'executions'> & {
  /** The wave state machine's executions. */
  waveRuns: ExecutionPort;
};

export interface WaveStarted {
  wave: Wave;
  /** `<wave>-<n>`. */
  execution: string;
  executionArn: string;
  /** false: that execution was running already and was attached to (nothing starts twice). */
  started: boolean;
}

/**
 * Read, validate, store and start the wave: `<wave>-<n>`, the running one attached to, otherwise the next
 * number (resuming what is left). `beforeStart` runs once the wave is stored (the CLI subscribes the local
 * cloud's recipients there).
 */
export async function startWave(deps: StartWaveDeps, source: WaveSource, opts: { beforeStart?: (wave: Wave) => Promise<void> } = {}): Promise<WaveStarted> {
  const wave = await loadWave(deps, source);
  await refuseHeld(deps, wave);
  await deps.waves.putDefinition(wave);
  await opts.beforeStart?.(wave);
  const runs = deps.waveRuns;
  for (let n = 1; n < 1000; n++) {
    const name = `${wave.name}-${n}`;
    const existing = await runs.describe(runs.arnFor(name));
    if (existing?.status === 'RUNNING') return { wave, execution: name, executionArn: runs.arnFor(name), started: false };
    if (existing) continue;
    const r = await runs.start(name, { wave: wave.name });
    if (r.started || r.status === 'RUNNING') return { wave, execution: name, executionArn: r.executionArn, started: r.started };
  }
  throw new WaveHeldError(`wave ${wave.name} has been started 999 times; give it a new name`);
}

/**
 * The instant a wave is to start, from a local time in a zone (the wave's own by default): not in the past,
 * not after the wave's cutover window ends. Throws LocalTimeError or WaveStartTimeError, each message starting
 * with the time as given.
 */
export function startInstant(wave: Wave, at: string, opts: { timeZone?: string; fold?: 'earlier' | 'later'; now: Date }): { when: Date; timeZone: string } {
  const tz = opts.timeZone ?? wave.timeZone;
  const when = resolveLocalTime(at, tz, opts.fold ? { fold: opts.fold } : {});
  if (when.getTime() <= opts.now.getTime()) throw new WaveStartTimeError(`${at} ${tz} is in the past (${when.toISOString()}); give a time to come`);
  const w = wave.cutoverWindow;
  if (w && when.getTime() >= Date.parse(w.end)) {
    throw new WaveStartTimeError(`${at} ${tz} is after the wave's cutover window ends (${formatZoned(Date.parse(w.end), w.timeZone)} ${w.timeZone}): no server could cut over; start earlier or move the window in the wave file`);
  }
  return { when, timeZone: tz };
}

/** Store the wave and schedule its start at `when` (`local`: the time as asked, for people); throws WaveAlreadyScheduledError. */
export async function scheduleWave(deps: Pick<Deps, 'waves'> & { schedules: WaveSchedules }, wave: Wave, when: Date, local: string): Promise<{ executionName: string; expression: string }> {
  await deps.waves.putDefinition(wave);
  return deps.schedules.create({ wave: wave.name, when, local });
}

/** Cancel the wave's schedule; throws WaveNotScheduledError when it has none. */
export async function cancelWaveSchedule(deps: { schedules: Pick<WaveSchedules, 'cancel'> }, wave: string): Promise<void> {
  if (!(await deps.schedules.cancel(wave))) throw new WaveNotScheduledError(`no schedule for wave ${wave} (or it has fired): 'mgn-flow wave schedule --list' shows the scheduled waves`);
}

export interface ScheduledWave {
  wave: string;
  /** The start, UTC. */
  at: string;
  /** The start in the wave's time zone (with its offset). */
  local: string;
  timeZone: string;
  /** pending: not yet fired; fired: its execution started (status given); disabled: it will not fire. */
  state: 'pending' | 'fired' | 'disabled';
  execution: string;
  executionStatus?: string;
}

/**
 * The scheduled waves: those still to fire, and those that fired (Scheduler deleted them; their execution
 * `<wave>-at-<stamp>` says when and how it went), in time order, with local times in each wave's zone (its
 * stored definition, else UTC).
 */
export async function scheduledWaves(deps: Pick<Deps, 'waves'> & { schedules: Pick<WaveSchedules, 'pending' | 'fired'> }): Promise<ScheduledWave[]> {
  const zones = new Map<string, string>();
  const zone = async (wave: string) => {
    if (!zones.has(wave)) zones.set(wave, (await deps.waves.getDefinition(wave))?.timeZone ?? 'UTC');
    return zones.get(wave) as string;
  };
  const rows: ScheduledWave[] = [];
  for (const p of await deps.schedules.pending()) {
    const tz = await zone(p.wave);
    rows.push({ wave: p.wave, at: p.when.toISOString(), local: formatZoned(p.when.getTime(), tz), timeZone: tz, state: p.enabled ? 'pending' : 'disabled', execution: p.execution });
  }
  for (const f of await deps.schedules.fired()) {
    const tz = await zone(f.wave);
    rows.push({ wave: f.wave, at: f.when.toISOString(), local: formatZoned(f.when.getTime(), tz), timeZone: tz, state: 'fired', execution: f.execution, executionStatus: f.status });
  }
  return rows.sort((a, b) => a.at.localeCompare(b.at) || a.wave.localeCompare(b.wave));
}
