import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseFaultsArg } from '../../local/emulator/config.ts';
import { handler, type CliContext } from '../context.ts';
import { NotFoundError, UsageError, waveFileUsage } from '../errors.ts';
import { wholeNumber, positiveNumber } from '../parse.ts';

interface RehearseFlags {
  mgnImport?: string;
  waveName?: string;
  faults?: string;
  approverDelay: string;
  changeRef?: string;
  workingHours: string;
  start?: string;
  replication: 'caught-up' | 'from-scratch';
  bandwidth?: number;
  fromStage?: string;
  region?: string;
  profile?: string;
  seed?: number;
  html?: string;
  horizonDays?: number;
}

/** `mgn-flow wave rehearse <file>`: the wave on the local cloud in discrete-event time, and its forecast. */
export function registerRehearse(wave: Command, ctx: CliContext): void {
  wave
    .command('rehearse [file]')
    .description('rehearse a wave file on the local cloud in simulated time (MGN durations, people in working hours) and print a forecast: gates, launches, window fit, quotas, approvals, cost, what would break')
    .option('--mgn-import <file.csv>', "rehearse the wave of MGN's import file (CSV) instead of a wave file")
    .option('--wave-name <name>', 'with --mgn-import: the wave to rehearse when the file lists several (mgn:wave:name)')
    .option('--faults <file-or-json>', 'MGN faults to rehearse under: a JSON file or inline JSON, e.g. \'{"launchFailRate":0.1}\'')
    .option('--approver-delay <duration>', 'how long approvers take once asked, e.g. 4h, 30m, 1d', '4h')
    .option('--change-ref <id>', 'the change id approvers give where the wave requires one (changeRef), e.g. CHG0001234')
    .option('--working-hours <hours>', 'when approvers decide, in the wave\'s time zone: "09:00-17:00 Mon-Fri", "08:00-20:00 Mon-Sat" or "always"', '09:00-17:00 Mon-Fri')
    .option('--start <local-time>', 'when the wave starts, YYYY-MM-DDTHH:mm in the wave\'s time zone (default: now)')
    .addOption(new Option('--replication <state>', 'replication when the wave starts: caught up, or starting now (initial sync from disk sizes)').choices(['caught-up', 'from-scratch']).default('caught-up'))
    .addOption(new Option('--bandwidth <MiB/s>', 'replication bandwidth per server with --replication from-scratch (default 25)').argParser(positiveNumber))
    .option('--from-stage <stage>', "seed the rehearsal with the account's own source servers (read only: DescribeSourceServers) instead of made-up ones")
    .option('--region <region>', 'AWS region for --from-stage')
    .option('--profile <profile>', 'AWS profile for --from-stage')
    .addOption(new Option('--seed <n>', 'seed of the simulation (same seed, same forecast)').argParser(wholeNumber(0)))
    .option('--html <file>', 'also write the forecast as an HTML timeline (a Gantt chart) to FILE')
    .addOption(new Option('--horizon-days <n>', 'stop the rehearsal after this many simulated days (default: the soak + 60)').argParser(wholeNumber(1, 3650)))
    .action(handler(ctx, (file: string | undefined, flags: RehearseFlags) => run(ctx, file, flags)));
}

async function run(ctx: CliContext, given: string | undefined, flags: RehearseFlags): Promise<number> {
  if (given && flags.mgnImport) throw new UsageError('give a wave file or --mgn-import <file.csv>, not both');
  if (flags.waveName !== undefined && !flags.mgnImport) throw new UsageError('--wave-name goes with --mgn-import (it chooses a wave of the import file)');
  const file = flags.mgnImport ?? given;
  if (!file) throw new UsageError('name the wave file (YAML or JSON), e.g. mgn-flow wave rehearse examples/wave.yaml, or use --mgn-import <file.csv>');
  if (!existsSync(file) || !statSync(file).isFile()) throw new NotFoundError(`${file}: no such file; give the path of a wave file (YAML or JSON), e.g. examples/wave.yaml, or of MGN's import file (CSV)`);
  const r = await import('../../local/rehearse.ts');
  let approverDelayMs: number;
  let workingHours: ReturnType<typeof r.parseWorkingHours>;
  try {
    approverDelayMs = r.parseDuration(flags.approverDelay);
    workingHours = r.parseWorkingHours(flags.workingHours);
  } catch (err) {
    throw new UsageError(`--${(err as Error).message.startsWith('--') ? '' : 'approver-delay '}${(err as Error).message.replace(/^--/, '')}`);
  }
  if (flags.html !== undefined) {
    const dir = dirname(resolve(flags.html));
    if (!existsSync(dir)) throw new UsageError(`--html ${flags.html}: directory ${dir} does not exist`);
  }
  if (flags.fromStage && flags.mgnImport) throw new UsageError('--from-stage reads the servers a wave file names; with --mgn-import the rehearsal makes up the servers the import file names');
  if ((flags.region || flags.profile) && !flags.fromStage) throw new UsageError('--region and --profile are for --from-stage (reading the account\'s source servers); the rehearsal itself runs locally');
  const faults = flags.faults === undefined ? undefined : parseFaultsArg(flags.faults);
  // the wave's own time zone for --start, from the file (a file that does not parse is refused with its errors)
  const { parseWaveFile, checkWaveFileSize, WaveFileError } = await import('../../core/wave-file.ts');
  let zone = 'UTC'; // MGN's import file has no time zone: its waves run in UTC
  let rules: ReturnType<typeof parseWaveFile>['rules'] | undefined;
  try {
    if (!flags.mgnImport) {
      checkWaveFileSize(file, statSync(file).size);
      const parsed = parseWaveFile(readFileSync(file, 'utf8'), file);
      zone = parsed.wave.timeZone;
      rules = parsed.rules;
    }
  } catch (err) {
    if (err instanceof WaveFileError) throw waveFileUsage(err, 'nothing was rehearsed');
    throw err;
  }
  // approvals that need a change id need one in the rehearsal too
  const ref = rules?.changeRef;
  if (ref && (flags.changeRef === undefined || !new RegExp(ref.pattern, 'u').test(flags.changeRef))) {
    throw new UsageError(`${file} requires a change id matching ${ref.pattern} at ${ref.gates.join(', ')}: pass --change-ref <id> for the rehearsal's approvers${flags.changeRef !== undefined ? ` (${JSON.stringify(flags.changeRef)} does not match)` : ''}`);
  }
  let startAt: number | undefined;
  if (flags.start !== undefined) {
    const { resolveLocalTime } = await import('../../core/zoned-time.ts');
    try {
      startAt = resolveLocalTime(flags.start, zone, { fold: 'earlier' }).getTime();
    } catch (err) {
      throw new UsageError(`--start ${flags.start}: ${(err as Error).message}`);
    }
  }
  const servers = flags.fromStage ? await r.readAccountServers(file, { ...(flags.region ? { region: flags.region } : {}), ...(flags.profile ? { profile: flags.profile } : {}) }) : undefined;
  const forecast = await r.rehearse({
    waveFile: file,
    ...(flags.mgnImport ? { mgnImport: flags.waveName !== undefined ? { wave: flags.waveName } : {} } : {}),
    approverDelayMs,
    ...(flags.changeRef !== undefined ? { changeRef: flags.changeRef } : {}),
    workingHours,
    replication: flags.replication,
    ...(flags.bandwidth !== undefined ? { bandwidthMiBps: flags.bandwidth } : {}),
    ...(startAt !== undefined ? { startAt } : {}),
    ...(faults ? { faults } : {}),
    ...(servers ? { servers } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.horizonDays !== undefined ? { horizonDays: flags.horizonDays } : {}),
    out: (line) => ctx.stderr.write(`${line}\n`),
  }).catch((err: unknown) => {
    // the wave is validated inside the rehearsal: its errors as the CLI says them (exit 2)
    throw err instanceof WaveFileError ? waveFileUsage(err, 'nothing was rehearsed') : err;
  });
  if (flags.html !== undefined) {
    const { forecastHtml } = await import('../../local/rehearse-html.ts');
    writeFileSync(flags.html, forecastHtml(forecast));
  }
  if (ctx.json) ctx.stdout.write(`${JSON.stringify(forecast, null, 2)}\n`);
  else ctx.stdout.write(`${r.forecastText(forecast)}\n${flags.html !== undefined ? `timeline: ${flags.html}\n` : ''}`);
  // 0: nothing would break; 1: the forecast lists what would (the rehearsal itself ran)
  return forecast.risks.length === 0 ? 0 : 1;
}
