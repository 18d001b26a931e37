import type { Command } from 'commander';
import { handler, type CliContext } from '../context.ts';
import { targetOptions } from '../with-deps.ts';
import { ExitCode } from '../exit-codes.ts';
import { NotFoundError, UsageError } from '../errors.ts';
import { styleFor } from '../output.ts';
import { STACK_OUTPUTS, describeStackOutputs, discoverResources, stackName } from '../stack.ts';
import { sdkEnvironment, targetClock, useTarget, type TargetFlags } from '../target.ts';
import type { Wave } from '../../core/wave-file.ts';

interface DoctorFlags extends TargetFlags {
  wave?: string;
}

/**
 * `mgn-flow doctor [--stage S] [--wave FILE]`: checks the account and the stack before a wave (the local
 * cloud by default): credentials and region, the stack's outputs, MGN initialized, quotas (and the wave
 * within them), subscriptions of ops and of the approvers the wave names, the signing secret, the reconciler,
 * the approval pages, the launching roles' MGN rights. Each check that fails says how to fix it. Exit 0 when
 * nothing fails (warnings allowed), 1 otherwise. Also the smoke test after a deploy.
 */
export function register(program: Command, ctx: CliContext): void {
  targetOptions(
    program
      .command('doctor')
      .description('check the account and the stack are ready for a wave (credentials, stack outputs, MGN, quotas, subscriptions, signing secret, reconciler, approval pages, launch rights); each failure says how to fix it')
      .option('--wave <file>', 'also check this wave file: within the quotas, its approvers subscribed and confirmed'),
  ).action(handler(ctx, (flags: DoctorFlags) => doctor(ctx, flags)));
}

const MARK = { ok: '✓', warn: '!', fail: '✗', skipped: '-' } as const;

async function doctor(ctx: CliContext, flags: DoctorFlags): Promise<number> {
  const base = sdkEnvironment(flags);
  useTarget(base.env);
  const stack = stackName(base.stage);
  let outputs: Record<string, string> | undefined;
  let stackError: string | undefined;
  try {
    outputs = await describeStackOutputs(stack);
  } catch (err) {
    stackError = (err as Error).message;
  }
  const resources = await discoverResources(stack, [], ctx.env, () => Promise.resolve(outputs ?? {}));
  useTarget(resources as Record<string, string>);
  const clock = (await targetClock(base.env)) ?? { now: () => new Date() };
  const { MgnClient } = await import('@aws-sdk/client-mgn');
  const { ServiceQuotasClient } = await import('@aws-sdk/client-service-quotas');
  const { createMgnPort } = await import('../../adapters/aws/index.ts');
  const { createQuotaPort } = await import('../../adapters/aws/quotas.ts');
  const { runDoctor } = await import('../../adapters/aws/doctor.ts');
  const mgnClient = new MgnClient({});
  const quotasClient = new ServiceQuotasClient({});
  const portClock = { now: () => clock.now(), sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)) };
  const ports = { mgn: createMgnPort(mgnClient), quotas: createQuotaPort(quotasClient, { clock: portClock }), clock: portClock };
  try {
    let wave: Wave | undefined;
    let waveProblems: string[] | undefined;
    if (flags.wave) {
      const { loadAndValidate } = await import('./wave.ts');
      try {
        wave = await loadAndValidate(ports, flags.wave, undefined);
      } catch (err) {
        if (err instanceof NotFoundError) throw err;
        waveProblems = (err instanceof UsageError ? err.message.split('\n').filter((l) => !/error(s)?; nothing was started$/.test(l)) : [(err as Error).message]);
        // the approvers still count: read them from the file as written
        try {
          const { parseWaveFile } = await import('../../core/wave-file.ts');
          const { readFileSync } = await import('node:fs');
          const parsed = parseWaveFile(readFileSync(flags.wave, 'utf8'), flags.wave);
          wave = { name: parsed.wave.name, timeZone: parsed.wave.timeZone, approvers: parsed.approvers, applications: [] } as unknown as Wave;
        } catch {
          // unparseable: its problems are reported above
        }
      }
    }
    const region = base.env.AWS_REGION ?? process.env.AWS_REGION ?? (await mgnClient.config.region().catch(() => '(none)'));
    const checks = await runDoctor({
      stack,
      stage: base.stage,
      region,
      resources,
      expectedOutputs: STACK_OUTPUTS,
      ...(outputs ? { outputs } : {}),
      ...(stackError ? { stackError } : {}),
      quotas: ports.quotas,
      now: clock.now(),
      ...(wave ? { wave } : {}),
      ...(waveProblems ? { waveProblems } : {}),
    });
    const failed = checks.filter((c) => c.status === 'fail').length;
    if (ctx.json) {
      ctx.stdout.write(`${JSON.stringify({ stack, target: base.local ? 'local' : 'aws', ok: failed === 0, checks })}\n`);
    } else {
      const s = styleFor(ctx.stdout, ctx.env);
      const paint = { ok: s.green, warn: s.yellow, fail: s.red, skipped: s.dim };
      ctx.stdout.write(`${s.bold(`mgn-flow doctor: ${stack}`)} (${base.local ? 'local cloud' : `AWS, ${region}`})\n`);
      for (const c of checks) {
        ctx.stdout.write(`${paint[c.status](MARK[c.status])} ${c.title}: ${c.detail}\n`);
        if (c.fix && c.status !== 'ok') ctx.stdout.write(`    fix: ${c.fix}\n`);
      }
      ctx.stdout.write(failed === 0 ? `${s.green('ready')}: nothing failed\n` : `${s.red(`${failed} check(s) failed`)}\n`);
    }
    return failed === 0 ? ExitCode.Ok : ExitCode.Failed;
  } finally {
    mgnClient.destroy();
    quotasClient.destroy();
  }
}
