import type { Command } from 'commander';
import type { Deps } from '../adapters/aws/deps.ts';
import { targetClock, targetEnvironment, useTarget, type TargetFlags } from './target.ts';

/** The flags every command that acts on a target takes: the local cloud by default, or AWS. */
export function targetOptions(c: Command): Command {
  return c
    .option('--endpoint-url <url>', 'one endpoint for every service instead of .mgn-flow/local.json')
    .option('--stage <stage>', 'act on the AWS stage instead of the local cloud')
    .option('--region <region>', 'AWS region')
    .option('--profile <profile>', 'AWS profile');
}

/**
 * Run with the product's own ports on the target (the same adapters a Lambda uses), on the target's clock
 * (the local cloud's simulated time, or the system clock on AWS); the SDK clients are closed after.
 */
export async function withDeps<T>(flags: TargetFlags, run: (deps: Deps) => Promise<T>): Promise<T> {
  const target = targetEnvironment(flags);
  useTarget(target);
  const clock = await targetClock(target);
  const { createDeps, loadConfig } = await import('../adapters/aws/index.ts');
  const deps = createDeps(loadConfig(), clock ? { clock } : {});
  try {
    return await run(deps);
  } finally {
    for (const c of Object.values(deps.clients)) c.destroy();
  }
}
