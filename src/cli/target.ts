import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from './errors.ts';
import { UsageError } from '../local/emulator/config.ts';
import type { Clock } from '../ports.ts';
import { discoverResources, stackName, type StackResources, type StackVariable } from './stack.ts';

/** Where a command acts: the running local cloud (default) or an AWS stage. */
export interface TargetFlags {
  endpointUrl?: string;
  stage?: string;
  region?: string;
  profile?: string;
}

/** Where the target is and how to reach it (the SDK's environment), before its stack is read. */
export interface TargetBase {
  /** AWS_REGION, AWS_PROFILE; for the local cloud, its endpoints and local credentials too. */
  env: Record<string, string>;
  stage: string;
  local: boolean;
}

/**
 * The SDK environment of the target: for the local cloud, its endpoints from `.mgn-flow/local.json` (one per
 * service, CloudFormation's included); for AWS (`--stage`, `--profile`), the region and profile. The stack's
 * resources come after, from its outputs (resolveTarget).
 */
export function sdkEnvironment(flags: TargetFlags, cwd = process.cwd()): TargetBase {
  if (flags.stage !== undefined || flags.profile !== undefined) {
    const stage = flags.stage ?? 'dev';
    if (!/^[a-z0-9-]{1,20}$/.test(stage)) throw new UsageError(`--stage ${stage}: lowercase letters, digits and - (at most 20)`);
    return {
      stage,
      local: false,
      env: {
        ...(flags.region ? { AWS_REGION: flags.region } : {}),
        ...(flags.profile ? { AWS_PROFILE: flags.profile } : {}),
      },
    };
  }
  const file = join(cwd, '.mgn-flow', 'local.json');
  if (!existsSync(file)) {
    throw new NotFoundError(`no local cloud is running here (${file} not found): start one with 'npx mgn-flow local', or pass --stage to act on AWS`);
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as { endpoints: Record<string, string>; region: string; stage?: string };
  const e = info.endpoints;
  const one = flags.endpointUrl;
  return {
    stage: info.stage ?? 'dev',
    local: true,
    env: {
      AWS_REGION: flags.region ?? info.region,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_MGN: one ?? String(e.mgn),
      AWS_ENDPOINT_URL_SFN: one ?? String(e.sfn),
      AWS_ENDPOINT_URL_SNS: one ?? String(e.sns),
      AWS_ENDPOINT_URL_DYNAMODB: one ?? String(e.dynamodb),
      AWS_ENDPOINT_URL_EVENTBRIDGE: one ?? String(e.eventbridge),
      AWS_ENDPOINT_URL_SCHEDULER: one ?? String(e.scheduler),
      AWS_ENDPOINT_URL_SERVICE_QUOTAS: one ?? String(e.servicequotas),
      // the shared endpoint serves CloudFormation (absent from the local.json of an older cloud: its sfn endpoint is the same one)
      AWS_ENDPOINT_URL_CLOUDFORMATION: one ?? String(e.cloudformation ?? e.sfn),
      AWS_ENDPOINT_URL_STS: one ?? String(e.sts ?? e.sfn),
      AWS_ENDPOINT_URL_IAM: one ?? String(e.iam ?? e.sfn),
      AWS_ENDPOINT_URL_CLOUDWATCH: one ?? String(e.cloudwatch ?? e.sfn),
      // absent from the local.json of a cloud started before Secrets Manager was served
      ...((one ?? e.secretsmanager) ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: String(one ?? e.secretsmanager) } : {}),
    },
  };
}

export interface Target extends TargetBase {
  /** `mgn-flow-<stage>`. */
  stack: string;
  /** The stack's resources (outputs, overridden by the environment). */
  resources: StackResources;
}

/**
 * The target and its stack's resources, one code path for AWS and the local cloud: the SDK environment is
 * applied, then CloudFormation DescribeStacks of `mgn-flow-<stage>` gives the resources (environment variables
 * override them; DescribeStacks is skipped when they give everything `needs` names).
 */
export async function resolveTarget(flags: TargetFlags, opts: { needs?: readonly StackVariable[]; env?: Record<string, string | undefined>; cwd?: string } = {}): Promise<Target> {
  const base = sdkEnvironment(flags, opts.cwd);
  useTarget(base.env);
  const stack = stackName(base.stage);
  const resources = await discoverResources(stack, opts.needs ?? [], opts.env ?? process.env);
  return { ...base, stack, resources, env: { ...base.env, ...(resources as Record<string, string>) } };
}

/** Apply a target environment to this process (the SDK reads it when clients are built). */
export function useTarget(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
}

/**
 * The clock a command judges by (deadlines, audit times, "in the past"). On AWS: this machine's clock (none
 * returned). On the local cloud: the cloud's simulated clock, read from its MGN emulator, which drives every
 * service there; this process's own clock is wall time, days or months away from it.
 */
export async function targetClock(env: Record<string, string>): Promise<Clock | undefined> {
  const mgn = env.AWS_ENDPOINT_URL_MGN;
  if (!mgn) return undefined;
  try {
    const res = await fetch(new URL('/_emulator/clock', mgn), { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const c = (await res.json()) as { nowMs?: unknown; timeScale?: unknown; manual?: unknown };
    if (typeof c.nowMs !== 'number') return undefined;
    const base = c.nowMs;
    const wall = performance.now();
    const scale = c.manual === true || typeof c.timeScale !== 'number' ? 0 : c.timeScale;
    return { now: () => new Date(base + (performance.now() - wall) * scale) };
  } catch {
    // an endpoint that is not the emulator (--endpoint-url to another stand-in): its own clock is wall time
    return undefined;
  }
}
