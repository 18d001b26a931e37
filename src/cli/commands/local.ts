import { Option, type Command } from 'commander';
import { parseFaultsArg, parseQuotaArgs } from '../../local/emulator/config.ts';
import { handler, type CliContext } from '../context.ts';
import { ExitCode } from '../exit-codes.ts';
import { styleFor } from '../output.ts';
import { collect, positiveNumber, wholeNumber } from '../parse.ts';

interface LocalFlags {
  timeScale: number;
  servers: number;
  seed: number;
  faults?: string;
  quota?: string[];
  applications?: number;
  start?: 'agent-installed' | 'ready-for-test';
  port: number;
  stage: string;
  serversFrom?: string[];
  examples: boolean;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('local')
    .description('run the local cloud (MGN emulator, Step Functions, EventBridge, Scheduler, SNS, DynamoDB, Service Quotas, HTTP API) until interrupted; writes .mgn-flow/local.json')
    .addOption(new Option('--time-scale <x>', 'simulated seconds per wall second').argParser(positiveNumber).default(60))
    .addOption(new Option('--servers <n>', 'source servers to seed in the emulator').argParser(wholeNumber(0, 5000)).default(12))
    .addOption(new Option('--seed <seed>', 'PRNG seed: same seed, same servers and faults').argParser(wholeNumber()).default(1))
    .option('--faults <file-or-json>', 'emulator fault rates: a JSON file or inline JSON')
    .addOption(new Option('--quota <name=value>', 'override an MGN quota (repeatable)').argParser(collect))
    .addOption(new Option('--applications <m>', 'also seed M MGN applications in one wave').argParser(wholeNumber(0, 5000)))
    .addOption(new Option('--start <state>', 'where seeded servers start').choices(['agent-installed', 'ready-for-test']))
    .addOption(new Option('--port <port>', 'port of the shared AWS endpoint (0 picks a free one)').argParser(wholeNumber(0, 65535)).default(0))
    .option('--stage <stage>', 'serverless stage the resources are named for', 'dev')
    .addOption(new Option('--servers-from <wave-file>', 'also seed the servers this wave file names, replication caught up (repeatable); default: the ones examples/ and the README name').argParser(collect))
    .option('--no-examples', "do not seed the servers of examples/ and the README's examples")
    .action(handler(ctx, (flags: LocalFlags) => runLocal(ctx, flags)));
}

async function runLocal(ctx: CliContext, flags: LocalFlags): Promise<number> {
  const faults = flags.faults === undefined ? undefined : parseFaultsArg(flags.faults);
  const quotas = parseQuotaArgs(flags.quota ?? []);
  // the servers the wave files name (or, by default, the README's and examples/' servers), so that they run as written
  const { specsFromWaveFiles, exampleServerSpecs } = await import('../../local/seed-from-waves.ts');
  const root = new URL('../../..', import.meta.url).pathname;
  const serverSpecs = flags.serversFrom?.length ? specsFromWaveFiles(flags.serversFrom) : flags.examples ? exampleServerSpecs(root) : [];
  const shutdown = ctx.waitForShutdown();
  const { startLocalCloud } = await ctx.load.cloud();
  const cloud = await startLocalCloud({
    timeScale: flags.timeScale,
    servers: flags.servers,
    seed: flags.seed,
    port: flags.port,
    stage: flags.stage,
    ...(faults ? { faults } : {}),
    quotas,
    // MGN's own wave ("Wave 1", for `wave start --mgn-wave`) of 3 applications over the synthetic servers
    applications: flags.applications ?? Math.min(3, flags.servers),
    ...(flags.start ? { start: flags.start } : {}),
    ...(serverSpecs.length ? { serverSpecs } : {}),
  });
  if (ctx.json) {
    ctx.stdout.write(`${JSON.stringify(cloud.info)}\n`);
  } else {
    const s = styleFor(ctx.stdout, ctx.env);
    const e = cloud.info.endpoints;
    const simulated = cloud.clock ? simulatedText(cloud.clock.now(), true) : undefined;
    ctx.stdout.write(
      [
        `${s.bold('mgn-flow local cloud')} (time scale ${cloud.info.timeScale}x, ${flags.servers + serverSpecs.length} servers, seed ${flags.seed})`,
        ...(serverSpecs.length ? [`  seeded servers    ${serverSpecs.length} named by ${flags.serversFrom?.length ? flags.serversFrom.join(', ') : "examples/ and the README"} (${someHostnames(serverSpecs.map((x) => x.hostname))}), replication caught up; ${flags.servers} more made up; 'mgn-flow servers list' shows them`] : []),
        `  MGN emulator      ${s.cyan(e.mgn)}`,
        `  AWS APIs          ${s.cyan(e.sfn)}  (Step Functions, EventBridge, Scheduler, SNS, Service Quotas)`,
        `  DynamoDB          ${s.cyan(e.dynamodb)}`,
        `  HTTP API          ${s.cyan(e.api)}  (approval pages; outbox at /_outbox)`,
        `  dashboard         ${s.cyan(cloud.info.dashboard)}  (wave board, execution graphs, outbox)`,
        ...(simulated ? [`  simulated time    ${simulated} at start, ${flags.timeScale}x: ${paceHint(flags.timeScale)}`] : []),
        `  pause/speed up    the dashboard's pause, slower and faster buttons, or`,
        `                    curl -X POST ${e.mgn}/_emulator/clock -d '{"paused":true}'  ({"paused":false} resumes, {"timeScale":600} sets the pace)`,
        `  state machines    ${Object.keys(cloud.info.stateMachines).join(', ') || 'none yet'}`,
        `  written to .mgn-flow/local.json; other mgn-flow commands find the cloud there`,
        s.dim('  Ctrl-C to stop'),
        '',
      ].join('\n'),
    );
  }
  // the simulated time, live, on a terminal
  const live = !ctx.json && ctx.stderr.isTTY === true && cloud.clock ? setInterval(() => ctx.stderr.write(`\r  simulated ${simulatedText(cloud.clock?.now() ?? 0)} (${flags.timeScale}x)\u001b[K`), 1000) : undefined;
  live?.unref();
  await shutdown;
  if (live) {
    clearInterval(live);
    ctx.stderr.write('\n');
  }
  await cloud.close();
  return ExitCode.Ok;
}

/** What a wall minute is worth in simulated time: "1 wall minute = 1 simulated hour". */
function paceHint(scale: number): string {
  const simulatedS = scale * 60;
  const units: [number, string][] = [
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, name] = units.find(([u]) => simulatedS >= u) ?? [1, 'second'];
  const n = Number((simulatedS / size).toPrecision(3));
  return `1 wall minute = ${n} simulated ${name}${n === 1 ? '' : 's'}`;
}

/** `2026-01-05 08:00 UTC` (seconds when asked): the local cloud's clock, which no wave's zone owns. */
function simulatedText(ms: number, seconds = false): string {
  return `${new Date(ms).toISOString().slice(0, seconds ? 19 : 16).replace('T', ' ')} UTC`;
}

function someHostnames(names: readonly string[]): string {
  return names.length <= 4 ? names.join(', ') : `${names.slice(0, 4).join(', ')}, ...`;
}
