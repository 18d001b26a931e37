import { Option, type Command } from 'commander';
import { parseFaultsArg, parseQuotaArgs, UsageError } from '../../local/emulator/config.ts';
import { handler, type CliContext } from '../context.ts';
import { ExitCode } from '../exit-codes.ts';
import { styleFor } from '../output.ts';
import { collect, positiveNumber, wholeNumber } from '../parse.ts';
import { ACCOUNT_ID } from '../../core/ids.ts';

interface EmulatorFlags {
  port: number;
  servers: number;
  seed: number;
  timeScale: number;
  faults?: string;
  quota?: string[];
  managedAccount?: string[];
  applications?: number;
  start?: 'agent-installed' | 'ready-for-test';
  manualClock?: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('emulator')
    .description('run the local MGN emulator until interrupted; the first stdout line is its URL')
    .addOption(new Option('--port <port>', 'TCP port on 127.0.0.1 (0 picks a free one)').argParser(wholeNumber(0, 65535)).default(0))
    .addOption(new Option('--servers <n>', 'source servers to seed').argParser(wholeNumber(0, 5000)).default(10))
    .addOption(new Option('--seed <seed>', 'PRNG seed: same seed, same servers and faults').argParser(wholeNumber()).default(1))
    .addOption(new Option('--time-scale <x>', 'simulated seconds per wall second').argParser(positiveNumber).default(1))
    .option('--faults <file-or-json>', 'fault rates: a JSON file or inline JSON, e.g. \'{"throttleRate":0.1}\'')
    .addOption(new Option('--quota <name=value>', 'override an MGN quota, e.g. concurrentJobs=5 (repeatable)').argParser(collect))
    .addOption(new Option('--managed-account <id>', "another account of MGN's global view (12 digits; ListManagedAccounts lists it, requests with its accountID see its servers); repeatable").argParser(collect))
    .addOption(new Option('--applications <m>', 'also seed M applications, servers spread over them').argParser(wholeNumber(0, 5000)))
    .addOption(new Option('--start <state>', 'where seeded servers start').choices(['agent-installed', 'ready-for-test']))
    .option('--manual-clock', 'time moves only through POST /_emulator/clock')
    .action(handler(ctx, (flags: EmulatorFlags) => runEmulator(ctx, flags)));
}

async function runEmulator(ctx: CliContext, flags: EmulatorFlags): Promise<number> {
  const faults = flags.faults === undefined ? undefined : parseFaultsArg(flags.faults);
  const quotas = parseQuotaArgs(flags.quota ?? []);
  const badAccount = (flags.managedAccount ?? []).find((a) => !ACCOUNT_ID.test(a));
  if (badAccount !== undefined) throw new UsageError(`--managed-account ${badAccount}: an AWS account id of 12 digits, e.g. --managed-account 222233334444`);
  const managedAccounts = Object.fromEntries((flags.managedAccount ?? []).map((a) => [a, {}]));
  if (flags.applications !== undefined && flags.applications > flags.servers) {
    throw new UsageError(`--applications ${flags.applications}: at most --servers (${flags.servers})`);
  }

  const shutdown = ctx.waitForShutdown(); // listen first: a Ctrl-C while starting still closes cleanly
  const { startEmulator } = await ctx.load.emulator();
  const emulator = await startEmulator({
    port: flags.port,
    servers: flags.servers,
    seed: flags.seed,
    timeScale: flags.timeScale,
    manualClock: flags.manualClock === true,
    faults,
    quotas,
    ...(Object.keys(managedAccounts).length ? { managedAccounts } : {}),
    applications: flags.applications,
    start: flags.start,
  });
  const url = `http://127.0.0.1:${emulator.port}`;
  ctx.stdout.write(`${url}\n`);
  if (!ctx.json && ctx.stderr.isTTY) ctx.stderr.write(banner(ctx, url, flags));

  await shutdown;
  await emulator.close();
  return ExitCode.Ok;
}

function banner(ctx: CliContext, url: string, flags: EmulatorFlags): string {
  const s = styleFor(ctx.stderr, ctx.env);
  const clock = flags.manualClock ? 'manual clock' : `time scale ${flags.timeScale}x`;
  return [
    `${s.bold('MGN emulator')} ${s.cyan(url)}`,
    `  ${flags.servers} servers, seed ${flags.seed}, ${clock}`,
    `  control routes: ${url}/_emulator/ (state, clock, faults, request log)`,
    s.dim('  Ctrl-C to stop'),
    '',
  ].join('\n');
}
