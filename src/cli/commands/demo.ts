import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { parseFaultsArg, UsageError } from '../../local/emulator/config.ts';
import { handler, type CliContext } from '../context.ts';
import { positiveNumber, wholeNumber } from '../parse.ts';

interface DemoFlags {
  servers: number;
  applications: number;
  standalone?: number;
  faults?: string;
  approve: 'auto' | 'interactive';
  summary?: string;
  seed?: number;
  timeScale?: number;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('demo')
    .description('run a whole simulated wave on the local cloud (a wave file, validated and scheduled) and print a summary')
    .addOption(new Option('--servers <n>', 'source servers in the applications of the wave').argParser(wholeNumber(1, 5000)).default(12))
    .addOption(new Option('--applications <m>', 'applications the servers are grouped into').argParser(wholeNumber(1, 5000)).default(3))
    .addOption(new Option('--standalone <k>', 'standalone servers on top, each an application of one (default 2)').argParser(wholeNumber(0, 1000)))
    .option('--faults <file-or-json>', 'emulator fault rates: a JSON file or inline JSON')
    .addOption(new Option('--approve <mode>', 'who decides at each gate').choices(['auto', 'interactive']).default('auto'))
    .option('--summary <file>', 'also write the summary as JSON to FILE')
    .addOption(new Option('--seed <seed>', 'PRNG seed for the emulator').argParser(wholeNumber()))
    .addOption(new Option('--time-scale <x>', 'simulated seconds per wall second').argParser(positiveNumber))
    .action(handler(ctx, (flags: DemoFlags) => runDemoCommand(ctx, flags)));
}

async function runDemoCommand(ctx: CliContext, flags: DemoFlags): Promise<number> {
  const faults = flags.faults === undefined ? undefined : parseFaultsArg(flags.faults);
  if (flags.applications > flags.servers) {
    throw new UsageError(`--applications ${flags.applications}: at most --servers (${flags.servers})`);
  }
  if (Math.ceil(flags.servers / flags.applications) > 200) {
    throw new UsageError(`--servers ${flags.servers} in --applications ${flags.applications}: at most 200 servers per application (MGN quota); give at least ${Math.ceil(flags.servers / 200)} applications`);
  }
  if (flags.summary !== undefined) checkWritableTarget(flags.summary);

  const { runDemo } = await ctx.load.demo();
  return await runDemo({
    servers: flags.servers,
    applications: flags.applications,
    standalone: flags.standalone,
    faults,
    approve: flags.approve,
    summaryFile: flags.summary,
    seed: flags.seed,
    timeScale: flags.timeScale,
    json: ctx.json,
  });
}

/** Refuse up front rather than after a whole demo run. */
function checkWritableTarget(file: string): void {
  const dir = dirname(resolve(file));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`--summary ${file}: directory ${dir} does not exist`);
  }
  if (existsSync(file) && statSync(file).isDirectory()) {
    throw new UsageError(`--summary ${file}: is a directory; pass a file path`);
  }
}
