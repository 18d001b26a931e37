import type { Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions, withDeps } from '../with-deps.ts';
import { NotFoundError, UsageError } from '../errors.ts';
import { ExitCode } from '../exit-codes.ts';
import { positiveNumber } from '../parse.ts';
import type { TargetFlags } from '../target.ts';

interface SoakFlags extends TargetFlags {
  days: number;
  wave: string;
}

export function register(program: Command, ctx: CliContext): void {
  const soak = program.command('soak').description('act on the test soak of an application');
  targetOptions(
    soak
      .command('extend <application>')
      .description("extend the soak of an application's servers by N days; the sign-off request stays open and its deadline moves as much")
      .requiredOption('--days <n>', 'days to add to the soak', positiveNumber)
      .option('--wave <wave>', 'the wave the application belongs to', 'wave-1'),
  ).action(handler(ctx, (application: string, flags: SoakFlags) => extend(ctx, application, flags)));
}

async function extend(ctx: CliContext, application: string, flags: SoakFlags): Promise<number> {
  const { extendSoak } = await import('../../core/soak.ts');
  return withDeps(flags, async (deps) => {
    try {
      const r = await extendSoak(deps, { wave: flags.wave, application, days: flags.days });
      if (ctx.json) ctx.stdout.write(`${JSON.stringify(r)}\n`);
      else {
        for (const e of r.extended) ctx.stdout.write(`${e.serverId}: soak extended, ${(e.remainingSeconds / 86400).toFixed(1)} days left\n`);
        for (const g of r.gates) ctx.stdout.write(`${g.gateId}: the sign-off is due from the end of the soak; decide by ${g.deadlineText}\n`);
      }
      return ExitCode.Ok;
    } catch (err) {
      if ((err as Error).name === 'InvalidDecisionError' && /is soaking/.test((err as Error).message)) throw new NotFoundError((err as Error).message);
      if ((err as Error).name === 'InvalidDecisionError') throw new UsageError((err as Error).message);
      throw err;
    }
  }, { env: ctx.env });
}
