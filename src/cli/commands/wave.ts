import { readFileSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions, withDeps } from '../with-deps.ts';
import { ConflictError, NotFoundError, UsageError, waveFileUsage } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { styleFor } from '../output.ts';
import type { Target, TargetFlags } from '../target.ts';
import type { AwsDeps as Deps } from '../../adapters/aws/deps.ts';
import type { Wave } from '../../core/wave-file.ts';
import { visible } from '../../core/text.ts';
import type { Gate, LaunchPoint, StallEpisode, WaveSource } from '../../ports.ts';
import type { StackVariable } from '../stack.ts';
import { SCHEDULE_PREFIX, scheduledExecutionName, waveScheduleInput } from '../../adapters/aws/wave-schedules.ts';
import { registerRehearse } from './rehearse.ts';

interface StartFlags extends TargetFlags {
  mgnWave?: string;
  mgnImport?: string;
  waveName?: string;
}

interface ScheduleFlags extends TargetFlags {
  mgnImport?: string;
  waveName?: string;
  at?: string;
  tz?: string;
  fold?: 'earlier' | 'later';
  list?: boolean;
  cancel?: boolean;
}

export { SCHEDULE_PREFIX, scheduledExecutionName, waveScheduleInput };


export function register(program: Command, ctx: CliContext): void {
  const wave = program.command('wave').description('validate, start, schedule and follow a wave');
  targetOptions(
    wave
      .command('start [file]')
      .description('validate a wave file (YAML or JSON) against MGN and start it; started again, it resumes (nothing runs twice)')
      .option('--mgn-wave <id-or-name>', "start MGN's own wave (its applications and their servers) instead of a file")
      .option('--mgn-import <file.csv>', "start the wave of MGN's import file (CSV, MGN's import template) instead of a wave file")
      .option('--wave-name <name>', 'with --mgn-import: the wave to start when the file lists several (mgn:wave:name)'),
  ).action(handler(ctx, (file: string | undefined, flags: StartFlags) => start(ctx, file, flags)));
  targetOptions(
    wave
      .command('schedule [file]')
      .description('validate a wave file and schedule its start (EventBridge Scheduler, one time) at a local time in a time zone; --list, --cancel <wave>')
      .option('--mgn-import <file.csv>', "schedule the wave of MGN's import file (CSV) instead of a wave file")
      .option('--wave-name <name>', 'with --mgn-import: the wave to schedule when the file lists several (mgn:wave:name)')
      .option('--at <local-time>', 'when, as YYYY-MM-DDTHH:mm local time (or with an offset, +01:00)')
      .option('--tz <zone>', 'IANA time zone of --at, e.g. Europe/Berlin (default: the wave file\'s)')
      .addOption(new Option('--fold <which>', 'for a local time that happens twice (clocks go back): which one').choices(['earlier', 'later']))
      .option('--list', 'list the scheduled waves')
      .option('--cancel', 'cancel the schedule of the wave named by the argument'),
  ).action(handler(ctx, (arg: string | undefined, flags: ScheduleFlags) => schedule(ctx, arg, flags)));
  targetOptions(
    wave
      .command('watch <wave>')
      .description('follow a wave until its execution ends: servers by status, a progress bar on a terminal, one line per change when piped')
      .option('--interval <seconds>', 'how often to look (default 2)', (v) => {
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0.2 || n > 300) throw new UsageError(`--interval ${v}: a number of seconds from 0.2 to 300`);
        return n;
      }),
  ).action(handler(ctx, (name: string, flags: TargetFlags & { interval?: number }) => watch(ctx, name, flags)));
  registerRehearse(wave, ctx);
  targetOptions(
    wave
      .command('report <wave>')
      .description('the evidence pack for the change record: plan, timeline, gate decisions with their evidence, launches, holds, outcome per server')
      .requiredOption('--html <file>', 'write the pack as one self-contained HTML page (no script, nothing loaded from elsewhere)'),
  ).action(handler(ctx, (name: string, flags: TargetFlags & { html: string }) => report(ctx, name, flags)));
  targetOptions(
    wave
      .command('status <wave>')
      .description('where every server of the wave is and why, since when, waiting for whom or what and until when; its execution; the outcome')
      .option('--utc', "times in UTC instead of the wave's time zone"),
  ).action(handler(ctx, (name: string, flags: TargetFlags & { utc?: boolean }) => status(ctx, name, flags)));
}


/** The wave state machine, from the stack's outputs (WaveStateMachineArn) or WAVE_STATE_MACHINE_ARN. */
function waveMachineArn(target: Target): string {
  const arn = target.resources.WAVE_STATE_MACHINE_ARN;
  if (!arn) throw new UsageError(`stack ${target.stack} has no output WaveStateMachineArn: deploy this version of mgn-flow to it again, or set WAVE_STATE_MACHINE_ARN`);
  return arn;
}

type SourceDeps = Pick<Deps, 'quotas' | 'mgn' | 'clock'> & Partial<Pick<Deps, 'clients' | 'mgnPlan'>>;

/** The wave source the arguments name: a wave file, MGN's own wave, MGN's import file (the CLI reads the file; the core validates). */
export async function waveSourceFor(deps: SourceDeps, file: string | undefined, mgnWave: string | undefined, mgnImport?: { file: string; wave?: string }): Promise<WaveSource> {
  const { waveFileSource, mgnImportSource, mgnWaveSource } = await import('../../core/wave-start.ts');
  const { checkWaveFileSize, WaveFileError } = await import('../../core/wave-file.ts');
  if (mgnImport && (file || mgnWave !== undefined)) throw new UsageError('give a wave file, --mgn-wave or --mgn-import, one of them');
  if (mgnImport) {
    let text: string;
    try {
      text = readFileSync(mgnImport.file, 'utf8');
    } catch {
      throw new NotFoundError(`${mgnImport.file}: no such file; give the path of MGN's import file (CSV), e.g. the one MGN's console exports`);
    }
    const region = deps.clients ? await deps.clients.mgn.config.region().catch(() => undefined) : undefined;
    return mgnImportSource(text, mgnImport.file, { ...(region ? { region } : {}), ...(mgnImport.wave !== undefined ? { wave: mgnImport.wave } : {}) });
  }
  if (mgnWave !== undefined) {
    if (file) throw new UsageError('give a wave file or --mgn-wave, not both');
    return mgnWaveSource(mgnWave);
  }
  if (!file) throw new UsageError('name the wave file (YAML or JSON), e.g. mgn-flow wave start examples/wave.yaml, or use --mgn-wave <id> or --mgn-import <file.csv>');
  try {
    checkWaveFileSize(file, statSync(file).size);
    return waveFileSource(readFileSync(file, 'utf8'), file);
  } catch (err) {
    if (err instanceof WaveFileError) throw waveFileUsage(err);
    throw new NotFoundError(`${file}: no such file; give the path of a wave file (YAML or JSON), e.g. examples/wave.yaml`);
  }
}

/** The core's refusals as the CLI says them (exit codes: usage 2, not found 3, conflict 4). */
async function cliError(err: unknown, source: WaveSource | undefined): Promise<unknown> {
  const { WaveFileError } = await import('../../core/wave-file.ts');
  const { WaveInvalidError } = await import('../../core/wave.ts');
  const { MgnWaveNotFoundError, WaveHeldError, WaveAlreadyScheduledError, WaveNotScheduledError } = await import('../../core/errors.ts');
  if (err instanceof WaveFileError) {
    return source?.kind === 'mgn-import' ? new UsageError(`${err.errors.join('\n')}\n${err.errors.length} error${err.errors.length === 1 ? '' : 's'}; the file is refused whole, nothing was started`) : waveFileUsage(err);
  }
  if (err instanceof WaveInvalidError) return new UsageError(err.message);
  if (err instanceof MgnWaveNotFoundError || err instanceof WaveNotScheduledError) return new NotFoundError(err.message);
  if (err instanceof WaveHeldError || err instanceof WaveAlreadyScheduledError) return new ConflictError(err.message);
  return err;
}

/** Read, parse and validate the wave (file, MGN's own wave, MGN's import file) against MGN and its quotas: nothing starts unless it is whole and valid. */
export async function loadAndValidate(deps: SourceDeps, file: string | undefined, mgnWave: string | undefined, mgnImport?: { file: string; wave?: string }): Promise<Wave> {
  const source = await waveSourceFor(deps, file, mgnWave, mgnImport);
  const { loadWave } = await import('../../core/wave-start.ts');
  try {
    return await loadWave(deps, source);
  } catch (err) {
    throw await cliError(err, source);
  }
}

function summary(wave: Wave): string {
  const servers = wave.applications.reduce((n, a) => n + a.servers.length, 0);
  const standalone = wave.applications.filter((a) => a.standalone).length;
  return `${wave.applications.length - standalone} application(s) and ${standalone} standalone server(s), ${servers} server(s) in all`;
}

async function start(ctx: CliContext, file: string | undefined, flags: StartFlags): Promise<number> {
  return withDeps(flags, async (deps, target) => {
    if (flags.waveName !== undefined && !flags.mgnImport) throw new UsageError('--wave-name goes with --mgn-import (it chooses a wave of the import file)');
    const machine = waveMachineArn(target);
    const source = await waveSourceFor(deps, file, flags.mgnWave, flags.mgnImport ? { file: flags.mgnImport, ...(flags.waveName !== undefined ? { wave: flags.waveName } : {}) } : undefined);
    const { startWave } = await import('../../core/wave-start.ts');
    const { createExecutionPort } = await import('../../adapters/aws/executions.ts');
    // who receives the gates' requests: subscribed here on the local cloud (once the wave is stored, before it starts), checked on any target
    const { prepareRecipients } = await import('../recipients.ts');
    let recipients: Awaited<ReturnType<typeof prepareRecipients>> = { subscribed: [], warnings: [] };
    let started: Awaited<ReturnType<typeof startWave>>;
    try {
      started = await startWave({ ...deps, waveRuns: createExecutionPort(deps.clients.sfn, machine) }, source, {
        beforeStart: async (w) => {
          recipients = await prepareRecipients(w, { local: !flags.stage, topics: { approvals: target.resources.APPROVAL_TOPIC_ARN, ops: target.resources.OPS_TOPIC_ARN } });
        },
      });
    } catch (err) {
      throw await cliError(err, source);
    }
    const { wave } = started;
    const run = { name: started.execution, executionArn: started.executionArn, started: started.started };
    for (const w of recipients.warnings) ctx.stderr.write(`${styleFor(ctx.stderr, ctx.env).yellow('warning:')} ${w}\n`);
    if (ctx.json) ctx.stdout.write(`${JSON.stringify({ wave: wave.name, execution: run.name, executionArn: run.executionArn, started: run.started, applications: wave.applications.length, subscribed: recipients.subscribed, warnings: recipients.warnings })}\n`);
    else {
      const s = styleFor(ctx.stdout, ctx.env);
      ctx.stdout.write(`${s.green('✓')} ${wave.name}: ${summary(wave)}\n`);
      if (recipients.subscribed.length) ctx.stdout.write(`subscribed on the local cloud (e-mail, with the deployed stack's filter policies): ${recipients.subscribed.join(', ')}; their messages are in the outbox (the dashboard, or GET <api>/_outbox)\n`);
      ctx.stdout.write(run.started ? `started ${run.name} (${run.executionArn})\n` : `${run.name} is already running: attached to it, nothing started twice (${run.executionArn})\n`);
      ctx.stdout.write(`follow it with: mgn-flow wave status ${wave.name}\n`);
    }
    return ExitCode.Ok;
  }, { env: ctx.env, needs: ['STATE_TABLE', 'WAVE_STATE_MACHINE_ARN', 'STATE_MACHINE_ARN'] });
}

async function schedule(ctx: CliContext, arg: string | undefined, flags: ScheduleFlags): Promise<number> {
  const { SchedulerClient } = await import('@aws-sdk/client-scheduler');
  if (flags.list && flags.cancel) throw new UsageError('--list and --cancel exclude each other');
  const needs: StackVariable[] = flags.list
    ? ['SCHEDULE_GROUP', 'STATE_TABLE', 'WAVE_STATE_MACHINE_ARN']
    : flags.cancel
      ? ['SCHEDULE_GROUP', 'STATE_TABLE']
      : ['SCHEDULE_GROUP', 'STATE_TABLE', 'WAVE_STATE_MACHINE_ARN', 'SCHEDULER_ROLE_ARN', 'SCHEDULE_DLQ_ARN'];
  return withDeps(flags, async (deps, target) => {
    const scheduler = new SchedulerClient({});
    const group = target.resources.SCHEDULE_GROUP as string;
    const { cancelWaveSchedule, scheduledWaves, scheduleWave, startInstant } = await import('../../core/wave-start.ts');
    const { createWaveSchedules } = await import('../../adapters/aws/wave-schedules.ts');
    const r = target.resources;
    const schedules = createWaveSchedules(scheduler, {
      group,
      sfn: deps.clients.sfn,
      ...(r.WAVE_STATE_MACHINE_ARN ? { machineArn: r.WAVE_STATE_MACHINE_ARN } : {}),
      ...(r.SCHEDULER_ROLE_ARN ? { roleArn: r.SCHEDULER_ROLE_ARN } : {}),
      ...(r.SCHEDULE_DLQ_ARN ? { deadLetterArn: r.SCHEDULE_DLQ_ARN } : {}),
    });
    try {
      if (flags.list) {
        const rows = await scheduledWaves({ waves: deps.waves, schedules });
        if (ctx.json) ctx.stdout.write(`${JSON.stringify(rows)}\n`);
        else if (rows.length === 0) ctx.stdout.write('no wave is scheduled\n');
        else for (const r of rows) ctx.stdout.write(`${r.wave}: ${r.local} ${r.timeZone} (${r.at.slice(0, 16)}Z) ${r.state === 'fired' ? `fired: ${r.execution} ${r.executionStatus ?? ''}`.trimEnd() : r.state === 'disabled' ? 'disabled: will not fire' : `pending, will start ${r.execution}`}\n`);
        return ExitCode.Ok;
      }
      if (flags.cancel) {
        if (!arg) throw new UsageError('name the wave whose schedule to cancel: mgn-flow wave schedule <wave> --cancel');
        try {
          await cancelWaveSchedule({ schedules }, arg);
        } catch (err) {
          throw await cliError(err, undefined);
        }
        if (ctx.json) ctx.stdout.write(`${JSON.stringify({ wave: arg, cancelled: true })}\n`);
        else ctx.stdout.write(`${arg}: schedule cancelled\n`);
        return ExitCode.Ok;
      }
      if (!flags.at) throw new UsageError('say when with --at YYYY-MM-DDTHH:mm (local time) and --tz <zone>, e.g. --at 2026-12-05T02:00 --tz Europe/Berlin');
      const wave = await loadAndValidate(deps, arg, undefined, flags.mgnImport ? { file: flags.mgnImport, ...(flags.waveName !== undefined ? { wave: flags.waveName } : {}) } : undefined);
      const { LocalTimeError, formatZoned } = await import('../../core/zoned-time.ts');
      const { WaveStartTimeError } = await import('../../core/errors.ts');
      let when: Date;
      try {
        ({ when } = startInstant(wave, flags.at, { ...(flags.tz ? { timeZone: flags.tz } : {}), ...(flags.fold ? { fold: flags.fold } : {}), now: deps.clock.now() }));
      } catch (err) {
        if (err instanceof LocalTimeError || err instanceof WaveStartTimeError) throw new UsageError(`--at ${err.message}`);
        throw err;
      }
      waveMachineArn(target);
      let executionName: string;
      try {
        ({ executionName } = await scheduleWave({ waves: deps.waves, schedules }, wave, when, `${flags.at} ${flags.tz ?? wave.timeZone}`));
      } catch (err) {
        throw await cliError(err, undefined);
      }
      const local = formatZoned(when.getTime(), wave.timeZone);
      if (ctx.json) ctx.stdout.write(`${JSON.stringify({ wave: wave.name, at: when.toISOString(), local, timeZone: wave.timeZone, execution: executionName, group })}\n`);
      else ctx.stdout.write(`${wave.name}: ${summary(wave)}; starts at ${local} ${wave.timeZone} (${when.toISOString()}) as ${executionName}\n`);
      return ExitCode.Ok;
    } finally {
      scheduler.destroy();
    }
  }, { env: ctx.env, needs });
}

async function status(ctx: CliContext, name: string, flags: TargetFlags & { utc?: boolean }): Promise<number> {
  return withDeps(flags, async (deps) => {
    const wave = await deps.waves.getDefinition(name);
    if (!wave) throw new NotFoundError(`no wave ${name} is stored here: start one with 'mgn-flow wave start <file>'`);
    const { stallSummary } = await import('../../core/stalls.ts');
    const { whereabouts, minuteIn } = await import('../../core/whereabouts.ts');
    const outcomes = await deps.waves.outcomes(name);
    const holds = await deps.waves.holds(name);
    const report = (await deps.waves.getReport(name)) as { at: string; counts: Record<string, number>; holding?: string } | undefined;
    const now = deps.clock.now();
    const zone = flags.utc ? 'UTC' : wave.timeZone;
    const at = (iso: string | undefined) => (iso ? minuteIn(iso, zone) : undefined);
    // what each running server waits for: its open wait, and the gate or launch point it is parked at
    const members = new Set(wave.applications.flatMap((a) => a.servers.map((s) => s.id)));
    // the index (one query, not a scan of the table): a wait written a moment ago may show on the next look
    const waits = (await deps.waits.list({ consistent: false })).filter((w) => members.has(w.serverId));
    const gates = new Map<string, Gate>();
    const points = new Map<string, LaunchPoint>();
    for (const w of waits) {
      if (w.condition.kind === 'GATE' && !gates.has(w.condition.gateId)) {
        const g = await deps.gates.get(w.condition.gateId);
        if (g) gates.set(g.id, g);
      }
      if (w.condition.kind === 'LAUNCH_POINT' && !points.has(w.condition.pointId)) {
        const p = await deps.points.get(w.condition.pointId);
        if (p) points.set(p.id, p);
      }
    }
    const where = whereabouts({ wave, outcomes, waits, gates, points, holds, ...(report?.holding ? { holding: report.holding } : {}) });
    // the stall history of each server (episodes, time stalled, MGN's error and failing step)
    const stalls = new Map<string, StallEpisode[]>();
    for (const id of members) stalls.set(id, await deps.stalls.list(id));
    const byId = new Map(outcomes.map((o) => [o.serverId, o]));
    // an application in another account of MGN's global view shows its account (the home account's show none)
    const accountOf = new Map(wave.applications.flatMap((a) => (a.account ? [[a.name, a.account] as const] : [])));
    const rows = where.map((w) => {
      const o = byId.get(w.serverId);
      const history = stalls.get(w.serverId) ?? [];
      return {
        ...w,
        account: accountOf.get(w.application) ?? null,
        hostname: w.hostname ?? '',
        status: o ? o.status : 'NOT_STARTED',
        why: w.reason,
        sinceLocal: at(w.since) ?? null,
        deadline: w.deadline ?? null,
        deadlineLocal: at(w.deadline) ?? null,
        waited: holds.filter((h) => h.serverId === w.serverId).map((h) => `${h.reason} (from ${at(h.from)}${h.until ? ` until ${at(h.until)}` : ''})`),
        stalls: history,
        stalled: stallSummary(history, now) ?? '',
      };
    });
    if (ctx.json) {
      ctx.stdout.write(`${JSON.stringify({ wave: name, timeZone: zone, now: now.toISOString(), servers: rows, report: report ?? null })}\n`);
      return ExitCode.Ok;
    }
    const s = styleFor(ctx.stdout, ctx.env);
    const colour = (r: string, text: string) => (r === 'succeeded' ? s.green(text) : r === 'running' ? s.cyan(text) : r === 'notStarted' ? s.dim(text) : s.red(text));
    ctx.stdout.write(`${s.bold(name)}: ${summary(wave)}; now ${minuteIn(now.toISOString(), zone)} (times in ${zone})\n`);
    for (const r of rows) {
      const host = r.hostname || r.serverId;
      ctx.stdout.write(`  ${visible(r.application).padEnd(20)} ${visible(host).padEnd(24)} ${colour(r.result, r.outcome.padEnd(11))} #${r.attempt}${r.where !== r.outcome ? `  ${r.where}` : ''}${r.sinceLocal ? ` since ${r.sinceLocal}` : ''}\n`);
      const detail = [
        r.account ? `account ${r.account}` : '',
        r.reason ? `why: ${r.reason}` : '',
        r.waitingFor ? `waiting for: ${r.waitingFor}` : '',
        r.deadlineLocal ? `until ${r.deadlineLocal}${r.atDeadline ? ` (then ${r.atDeadline})` : ''}` : '',
      ].filter(Boolean);
      if (detail.length) ctx.stdout.write(`      ${detail.join('; ')}\n`);
      if (r.execution) ctx.stdout.write(`      ${s.dim(`execution ${r.execution}`)}\n`);
      if (r.waited.length) ctx.stdout.write(`      waited: ${r.waited.join('; ')}\n`);
      if (r.stalled) ctx.stdout.write(`      replication: ${r.stalled}\n`);
    }
    if (report) {
      const { OUTCOME_WORDS } = await import('../../core/whereabouts.ts');
      const words = (k: string) => (OUTCOME_WORDS as Record<string, string>)[k] ?? k;
      ctx.stdout.write(`report ${minuteIn(report.at, zone)}: ${Object.entries(report.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${words(k)}`).join(', ')}${report.holding ? `; ${report.holding}` : ''}\n`);
    }
    return ExitCode.Ok;
  }, { env: ctx.env });
}

async function report(ctx: CliContext, name: string, flags: TargetFlags & { html: string }): Promise<number> {
  return withDeps(flags, async (deps) => {
    const { collectEvidencePack, evidencePackHtml } = await import('../../core/evidence-pack.ts');
    let pack;
    try {
      pack = await collectEvidencePack(deps, name);
    } catch (err) {
      if ((err as Error).name === 'WaveNotStoredError') throw new NotFoundError((err as Error).message);
      throw err;
    }
    const { writeFile } = await import('node:fs/promises');
    await writeFile(flags.html, evidencePackHtml(pack));
    const summary = { wave: name, file: flags.html, servers: pack.servers.length, gates: pack.gates.length, decisions: pack.decisions.length, launches: pack.launches.length, holds: pack.holds.length };
    if (ctx.json) ctx.stdout.write(`${JSON.stringify(summary)}\n`);
    else ctx.stdout.write(`${name}: evidence pack written to ${flags.html} (${summary.servers} servers, ${summary.gates} gates, ${summary.decisions} decisions, ${summary.launches} jobs, ${summary.holds} holds)\n`);
    return ExitCode.Ok;
  });
}

/** The wave's executions, newest first (names `<wave>-<n>` and `<wave>-at-<stamp>`). */
async function waveExecutions(deps: Deps, machine: string, wave: string): Promise<{ name: string; status: string; executionArn: string }[]> {
  const { ListExecutionsCommand } = await import('@aws-sdk/client-sfn');
  const out: { name: string; status: string; executionArn: string; start: number }[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deps.clients.sfn.send(new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1000, ...(nextToken ? { nextToken } : {}) }));
    for (const e of page.executions ?? []) {
      const name = String(e.name);
      if (name.startsWith(`${wave}-`) && /^(\d+|at-\d{8}t\d{6})$/.test(name.slice(wave.length + 1))) out.push({ name, status: String(e.status), executionArn: String(e.executionArn), start: e.startDate?.getTime() ?? 0 });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return out.sort((a, b) => b.start - a.start);
}

function bar(done: number, total: number, width = 30): string {
  const n = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(n)}${'-'.repeat(width - n)}]`;
}

async function watch(ctx: CliContext, name: string, flags: TargetFlags & { interval?: number }): Promise<number> {
  return withDeps(flags, async (deps, target) => {
    const wave = await deps.waves.getDefinition(name);
    if (!wave) throw new NotFoundError(`no wave ${name} is stored here: start one with 'mgn-flow wave start <file>'`);
    const machine = waveMachineArn(target);
    const total = wave.applications.reduce((n, a) => n + a.servers.length, 0);
    const tty = ctx.stdout.isTTY === true && !ctx.json;
    const s = styleFor(ctx.stdout, ctx.env);
    let last = '';
    const stop = { now: false };
    void ctx.waitForShutdown().then(() => {
      stop.now = true;
    });
    for (;;) {
      const outcomes = await deps.waves.outcomes(name);
      const count = (st: string) => outcomes.filter((o) => o.status === st).length;
      const counts = { succeeded: count('SUCCEEDED'), running: count('RUNNING'), failed: count('FAILED') + count('TIMED_OUT') + count('ABORTED'), notStarted: total - outcomes.length };
      const runs = await waveExecutions(deps, machine, name);
      const latest = runs[0];
      const line = `${name} ${latest ? `${latest.name} ${latest.status}` : 'not started'}: ${counts.succeeded}/${total} succeeded, ${counts.running} running, ${counts.failed} failed, ${counts.notStarted} not started`;
      if (ctx.json) {
        if (line !== last) ctx.stdout.write(`${JSON.stringify({ wave: name, execution: latest?.name ?? null, status: latest?.status ?? null, total, ...counts })}\n`);
      } else if (tty) {
        ctx.stdout.write(`\r${s.bold(bar(counts.succeeded + counts.failed, total))} ${line.slice(name.length + 1)}\u001b[K`);
      } else if (line !== last) {
        ctx.stdout.write(`${line}\n`);
      }
      last = line;
      if (latest && latest.status !== 'RUNNING') {
        if (tty) ctx.stdout.write('\n');
        return latest.status === 'SUCCEEDED' ? ExitCode.Ok : ExitCode.Failed;
      }
      if (stop.now) {
        if (tty) ctx.stdout.write('\n');
        return ExitCode.Ok;
      }
      await new Promise((r) => setTimeout(r, (flags.interval ?? 2) * 1000));
    }
  }, { env: ctx.env, needs: ['STATE_TABLE', 'WAVE_STATE_MACHINE_ARN'] });
}
