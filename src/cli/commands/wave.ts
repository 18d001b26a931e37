import { readFileSync, statSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions, withDeps } from '../with-deps.ts';
import { ConflictError, NotFoundError, UsageError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { styleFor } from '../output.ts';
import type { TargetFlags } from '../target.ts';
import type { Deps } from '../../adapters/aws/deps.ts';
import type { Wave } from '../../core/wave-file.ts';
import type { Gate, LaunchPoint, StallEpisode } from '../../ports.ts';
import type { CreateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { registerRehearse } from './rehearse.ts';

interface StartFlags extends TargetFlags {
  mgnWave?: string;
}

interface ScheduleFlags extends TargetFlags {
  at?: string;
  tz?: string;
  fold?: 'earlier' | 'later';
  list?: boolean;
  cancel?: boolean;
}

/** Schedules mgn-flow creates are named after their wave, under this prefix. */
export const SCHEDULE_PREFIX = 'mgn-flow-wave-';


export function register(program: Command, ctx: CliContext): void {
  const wave = program.command('wave').description('validate, start, schedule and follow a wave');
  targetOptions(
    wave
      .command('start [file]')
      .description('validate a wave file (YAML or JSON) against MGN and start it; started again, it resumes (nothing runs twice)')
      .option('--mgn-wave <id-or-name>', "start MGN's own wave (its applications and their servers) instead of a file"),
  ).action(handler(ctx, (file: string | undefined, flags: StartFlags) => start(ctx, file, flags)));
  targetOptions(
    wave
      .command('schedule [file]')
      .description('validate a wave file and schedule its start (EventBridge Scheduler, one time) at a local time in a time zone; --list, --cancel <wave>')
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
      .command('status <wave>')
      .description('where every server of the wave is and why, since when, waiting for whom or what and until when; its execution; the outcome')
      .option('--utc', "times in UTC instead of the wave's time zone"),
  ).action(handler(ctx, (name: string, flags: TargetFlags & { utc?: boolean }) => status(ctx, name, flags)));
}


/** The wave state machine: from .mgn-flow/local.json, WAVE_STATE_MACHINE_ARN, or the stage's name and the caller's account. */
async function waveMachineArn(flags: TargetFlags): Promise<string> {
  if (process.env.WAVE_STATE_MACHINE_ARN) return process.env.WAVE_STATE_MACHINE_ARN;
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const sts = new STSClient({});
  try {
    const me = await sts.send(new GetCallerIdentityCommand({}));
    const region = process.env.AWS_REGION ?? flags.region ?? 'us-east-1';
    return `arn:aws:states:${region}:${me.Account}:stateMachine:mgn-flow-${flags.stage ?? 'dev'}-wave`;
  } finally {
    sts.destroy();
  }
}

/** Read, parse and validate the wave (file or MGN's own wave) against MGN and its quotas: nothing starts unless it is whole and valid. */
export async function loadAndValidate(deps: Deps, file: string | undefined, mgnWave: string | undefined): Promise<Wave> {
  const { parseWaveFile, validateWave, waveFromMgn, checkWave, checkWaveFileSize, WaveFileError } = await import('../../core/wave-file.ts');
  const limits = await deps.quotas.mgnLimits();
  const servers = await deps.mgn.listServers();
  const quotas = { replicatingServers: limits.replicatingServers, serversPerApplication: limits.serversPerApplication };
  if (mgnWave !== undefined) {
    if (file) throw new UsageError('give a wave file or --mgn-wave, not both');
    const { MgnClient, ListWavesCommand, ListApplicationsCommand } = await import('@aws-sdk/client-mgn');
    const mgn = new MgnClient({});
    try {
      const waves = (await mgn.send(new ListWavesCommand({ filters: {} }))).items ?? [];
      const w = waves.find((x) => x.waveID === mgnWave || x.name === mgnWave);
      if (!w?.waveID) throw new NotFoundError(`MGN has no wave ${JSON.stringify(mgnWave)}; its waves: ${waves.map((x) => `${x.name} (${x.waveID})`).join(', ') || 'none'}`);
      const apps = ((await mgn.send(new ListApplicationsCommand({ filters: { waveIDs: [w.waveID] } }))).items ?? []).filter((a) => !a.isArchived);
      const wave = waveFromMgn({ wave: { waveID: w.waveID, name: w.name ?? w.waveID }, applications: apps.map((a) => ({ applicationID: String(a.applicationID), name: String(a.name) })), servers: servers.filter((s) => !s.isArchived) });
      const problems = checkWave(wave, { quotas, now: deps.clock.now() });
      if (problems.length) throw new UsageError(problems.map((p) => `mgn:${p.path}${p.index !== undefined ? `[${p.index}]` : ''}: ${p.value}: ${p.allowed}`).join('\n'));
      return wave;
    } finally {
      mgn.destroy();
    }
  }
  if (!file) throw new UsageError('name the wave file (YAML or JSON), e.g. mgn-flow wave start examples/wave.yaml, or use --mgn-wave <id>');
  let text: string;
  try {
    checkWaveFileSize(file, statSync(file).size);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (err instanceof WaveFileError) throw waveFileUsage(err);
    throw new NotFoundError(`${file}: no such file; give the path of a wave file (YAML or JSON), e.g. examples/wave.yaml`);
  }
  try {
    // archived servers are kept: a wave started again after some servers finished reports them done
    return validateWave(parseWaveFile(text, file), { file, servers, quotas, now: deps.clock.now(), archived: 'keep' });
  } catch (err) {
    if (err instanceof WaveFileError) throw waveFileUsage(err);
    throw err;
  }
}

/** Every error listed (at most 50, the rest counted), then the count: exit 2. */
export function waveFileUsage(err: { lines: string[]; total: number }, outcome = 'nothing was started'): UsageError {
  const e = new UsageError(`${err.lines.join('\n')}\n${err.total} error${err.total === 1 ? '' : 's'}; ${outcome}`);
  // one problem: its own "what to do" when it says one; several: fix them where they say
  const own = err.total === 1 ? err.lines[0]?.split('; ').slice(1).join('; ') : undefined;
  return Object.assign(e, { fix: own || 'correct the wave file where each problem says (file:path: value: what is allowed), then run the command again' });
}

/** `<wave>-<n>`: the running one is attached to; otherwise the next number starts (resuming what is left). */
async function startRun(deps: Deps, machineArn: string, wave: string): Promise<{ executionArn: string; name: string; started: boolean }> {
  const { createExecutionPort } = await import('../../adapters/aws/executions.ts');
  const port = createExecutionPort(deps.clients.sfn, machineArn);
  for (let n = 1; n < 1000; n++) {
    const name = `${wave}-${n}`;
    const existing = await port.describe(port.arnFor(name));
    if (existing?.status === 'RUNNING') return { executionArn: port.arnFor(name), name, started: false };
    if (existing) continue;
    const r = await port.start(name, { wave });
    if (r.started || r.status === 'RUNNING') return { executionArn: r.executionArn, name, started: r.started };
  }
  throw new ConflictError(`wave ${wave} has been started 999 times; give it a new name`);
}

function summary(wave: Wave): string {
  const servers = wave.applications.reduce((n, a) => n + a.servers.length, 0);
  const standalone = wave.applications.filter((a) => a.standalone).length;
  return `${wave.applications.length - standalone} application(s) and ${standalone} standalone server(s), ${servers} server(s) in all`;
}

/** A server is in one running wave at a time: refuse a wave naming a server another running wave has. */
async function refuseHeld(deps: Deps, wave: Wave): Promise<void> {
  const { heldByOtherWaves, heldMessage } = await import('../../core/wave.ts');
  const held = await heldByOtherWaves({ waves: deps.waves, executions: deps.executions }, wave);
  if (held.length) throw new ConflictError(`${heldMessage(wave.name, held)}; nothing was started`);
}

async function start(ctx: CliContext, file: string | undefined, flags: StartFlags): Promise<number> {
  return withDeps(flags, async (deps) => {
    const wave = await loadAndValidate(deps, file, flags.mgnWave);
    await refuseHeld(deps, wave);
    const machine = await waveMachineArn(flags);
    await deps.waves.putDefinition(wave);
    // who receives the gates' requests: subscribed here on the local cloud, checked on any target
    const { prepareRecipients } = await import('../recipients.ts');
    const recipients = await prepareRecipients(wave, { local: !flags.stage });
    for (const w of recipients.warnings) ctx.stderr.write(`${styleFor(ctx.stderr, ctx.env).yellow('warning:')} ${w}\n`);
    const run = await startRun(deps, machine, wave.name);
    if (ctx.json) ctx.stdout.write(`${JSON.stringify({ wave: wave.name, execution: run.name, executionArn: run.executionArn, started: run.started, applications: wave.applications.length, subscribed: recipients.subscribed, warnings: recipients.warnings })}\n`);
    else {
      const s = styleFor(ctx.stdout, ctx.env);
      ctx.stdout.write(`${s.green('✓')} ${wave.name}: ${summary(wave)}\n`);
      if (recipients.subscribed.length) ctx.stdout.write(`subscribed on the local cloud (e-mail, with the deployed stack's filter policies): ${recipients.subscribed.join(', ')}; their messages are in the outbox (the dashboard, or GET <api>/_outbox)\n`);
      ctx.stdout.write(run.started ? `started ${run.name} (${run.executionArn})\n` : `${run.name} is already running: attached to it, nothing started twice (${run.executionArn})\n`);
      ctx.stdout.write(`follow it with: mgn-flow wave status ${wave.name}\n`);
    }
    return ExitCode.Ok;
  });
}

/**
 * The one-time schedule that starts a wave (EventBridge Scheduler, universal target
 * `aws-sdk:sfn:startExecution`): `at(...)` in UTC, the local time it was asked as in the description.
 */
export function waveScheduleInput(o: { wave: string; when: Date; machineArn: string; local: string }): { input: CreateScheduleCommandInput; executionName: string } {
  // the instant in UTC: a local time that happens twice was disambiguated before, so the schedule is exact
  const at = o.when.toISOString().slice(0, 19);
  const stamp = at.replace(/[-:]/g, '').replace('T', 't');
  const executionName = `${o.wave}-at-${stamp}`;
  const account = o.machineArn.split(':')[4];
  const role = process.env.SCHEDULER_ROLE_ARN ?? `arn:aws:iam::${account}:role/mgn-flow-scheduler`;
  return {
    executionName,
    input: {
      Name: `${SCHEDULE_PREFIX}${o.wave}`,
      ScheduleExpression: `at(${at})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Description: `mgn-flow: start wave ${o.wave} at ${o.local}`,
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:sfn:startExecution',
        RoleArn: role,
        Input: JSON.stringify({ StateMachineArn: o.machineArn, Name: executionName, Input: JSON.stringify({ wave: o.wave }) }),
        RetryPolicy: { MaximumRetryAttempts: 3, MaximumEventAgeInSeconds: 3600 },
        ...(process.env.SCHEDULE_DLQ_ARN ? { DeadLetterConfig: { Arn: process.env.SCHEDULE_DLQ_ARN } } : {}),
      },
    },
  };
}

async function schedule(ctx: CliContext, arg: string | undefined, flags: ScheduleFlags): Promise<number> {
  const { SchedulerClient, CreateScheduleCommand, DeleteScheduleCommand, ListSchedulesCommand, GetScheduleCommand } = await import('@aws-sdk/client-scheduler');
  if (flags.list && flags.cancel) throw new UsageError('--list and --cancel exclude each other');
  return withDeps(flags, async (deps) => {
    const scheduler = new SchedulerClient({});
    try {
      if (flags.list) {
        const items = (await scheduler.send(new ListSchedulesCommand({ NamePrefix: SCHEDULE_PREFIX }))).Schedules ?? [];
        const rows = [];
        for (const i of items) {
          const g = await scheduler.send(new GetScheduleCommand({ Name: String(i.Name), ...(i.GroupName ? { GroupName: i.GroupName } : {}) }));
          rows.push({ wave: String(i.Name).slice(SCHEDULE_PREFIX.length), name: i.Name, expression: g.ScheduleExpression, timeZone: g.ScheduleExpressionTimezone ?? 'UTC', state: g.State });
        }
        if (ctx.json) ctx.stdout.write(`${JSON.stringify(rows)}\n`);
        else if (rows.length === 0) ctx.stdout.write('no wave is scheduled\n');
        else for (const r of rows) ctx.stdout.write(`${r.wave}: ${r.expression} ${r.timeZone} (${r.state})\n`);
        return ExitCode.Ok;
      }
      if (flags.cancel) {
        if (!arg) throw new UsageError('name the wave whose schedule to cancel: mgn-flow wave schedule <wave> --cancel');
        try {
          await scheduler.send(new DeleteScheduleCommand({ Name: `${SCHEDULE_PREFIX}${arg}` }));
        } catch (err) {
          if ((err as Error).name === 'ResourceNotFoundException') throw new NotFoundError(`no schedule for wave ${arg}: 'mgn-flow wave schedule --list' shows the scheduled waves`);
          throw err;
        }
        if (ctx.json) ctx.stdout.write(`${JSON.stringify({ wave: arg, cancelled: true })}\n`);
        else ctx.stdout.write(`${arg}: schedule cancelled\n`);
        return ExitCode.Ok;
      }
      if (!flags.at) throw new UsageError('say when with --at YYYY-MM-DDTHH:mm (local time) and --tz <zone>, e.g. --at 2026-12-05T02:00 --tz Europe/Berlin');
      const wave = await loadAndValidate(deps, arg, undefined);
      const tz = flags.tz ?? wave.timeZone;
      const { resolveLocalTime, LocalTimeError } = await import('../../core/zoned-time.ts');
      let when: Date;
      try {
        when = resolveLocalTime(flags.at, tz, flags.fold ? { fold: flags.fold } : {});
      } catch (err) {
        if (err instanceof LocalTimeError) throw new UsageError(`--at ${err.message}`);
        throw err;
      }
      if (when.getTime() <= deps.clock.now().getTime()) throw new UsageError(`--at ${flags.at} ${tz} is in the past (${when.toISOString()}); give a time to come`);
      const machine = await waveMachineArn(flags);
      await deps.waves.putDefinition(wave);
      const { input, executionName } = waveScheduleInput({ wave: wave.name, when, machineArn: machine, local: `${flags.at} ${tz}` });
      try {
        await scheduler.send(new CreateScheduleCommand(input));
      } catch (err) {
        if ((err as Error).name === 'ConflictException') throw new ConflictError(`wave ${wave.name} is already scheduled: cancel it first (mgn-flow wave schedule ${wave.name} --cancel)`);
        throw err;
      }
      if (ctx.json) ctx.stdout.write(`${JSON.stringify({ wave: wave.name, at: when.toISOString(), local: flags.at, timeZone: tz, execution: executionName })}\n`);
      else ctx.stdout.write(`${wave.name}: ${summary(wave)}; starts at ${flags.at} ${tz} (${when.toISOString()}) as ${executionName}\n`);
      return ExitCode.Ok;
    } finally {
      scheduler.destroy();
    }
  });
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
    const rows = where.map((w) => {
      const o = byId.get(w.serverId);
      const history = stalls.get(w.serverId) ?? [];
      return {
        ...w,
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
      ctx.stdout.write(`  ${r.application.padEnd(20)} ${host.padEnd(24)} ${colour(r.result, r.outcome.padEnd(11))} #${r.attempt}${r.where !== r.outcome ? `  ${r.where}` : ''}${r.sinceLocal ? ` since ${r.sinceLocal}` : ''}\n`);
      const detail = [
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
  return withDeps(flags, async (deps) => {
    const wave = await deps.waves.getDefinition(name);
    if (!wave) throw new NotFoundError(`no wave ${name} is stored here: start one with 'mgn-flow wave start <file>'`);
    const machine = await waveMachineArn(flags);
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
  });
}
