import type { Command } from 'commander';
import type { AwsDeps as Deps } from '../adapters/aws/deps.ts';
import type { StackVariable } from './stack.ts';
import { resolveTarget, targetClock, useTarget, type Target, type TargetFlags } from './target.ts';

/** The flags every command that acts on a target takes: the local cloud by default, or AWS. */
export function targetOptions(c: Command): Command {
  return c
    .option('--endpoint-url <url>', 'one endpoint for every service instead of .mgn-flow/local.json')
    .option('--stage <stage>', 'act on the AWS stage (its stack mgn-flow-<stage>, found through CloudFormation) instead of the local cloud')
    .option('--region <region>', 'AWS region')
    .option('--profile <profile>', 'AWS profile');
}

export interface WithDepsOptions {
  /** The stack resources the command cannot do without (default: the state table). */
  needs?: readonly StackVariable[];
  /** Where overrides (STATE_TABLE, OPS_TOPIC_ARN, ...) are read: the CLI's environment (default process.env). */
  env?: Record<string, string | undefined>;
}

/**
 * Run with the product's own ports on the target (the same adapters a Lambda uses), its resources found
 * through the stack's outputs, on the target's clock (the local cloud's simulated time, or the system clock on
 * AWS); the SDK clients are closed after. A command needs only what it reads: a resource it does not name in
 * `needs` may be missing (a read-only command works with STATE_TABLE alone).
 */
export async function withDeps<T>(flags: TargetFlags, run: (deps: Deps, target: Target) => Promise<T>, opts: WithDepsOptions = {}): Promise<T> {
  const target = await resolveTarget(flags, { needs: opts.needs ?? ['STATE_TABLE'], ...(opts.env ? { env: opts.env } : {}) });
  useTarget(target.env);
  const clock = await targetClock(target.env);
  const { createDeps, loadConfig } = await import('../adapters/aws/index.ts');
  // the configuration comes from the target alone, never from variables this process happens to hold
  const config = loadConfig({ MAX_STALL_RETRIES: undefined, ...target.resources }, { optional: ['OPS_TOPIC_ARN'] });
  const { noMetrics } = await import('../adapters/aws/metrics.ts');
  // the CLI's stdout is its output: no EMF there (the handlers record the metrics)
  const deps = createDeps(config, { ...(clock ? { clock } : {}), metrics: noMetrics });
  try {
    return await run(deps, target);
  } finally {
    for (const c of Object.values(deps.clients)) c.destroy();
  }
}
