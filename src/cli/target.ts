import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NotFoundError } from './errors.ts';
import { UsageError } from '../local/emulator/config.ts';
import type { Clock } from '../ports.ts';

/** Where a command acts: the running local cloud (default) or an AWS stage. */
export interface TargetFlags {
  endpointUrl?: string;
  stage?: string;
  region?: string;
  profile?: string;
}

/**
 * The environment the product's adapters read (the same variables a Lambda gets): for the local cloud, its
 * endpoints and configuration from `.mgn-flow/local.json`; for AWS, the region and profile, with the stack's
 * table and topic from STATE_TABLE / OPS_TOPIC_ARN (or the stage's default names).
 */
export function targetEnvironment(flags: TargetFlags, cwd = process.cwd(), env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  if (flags.stage !== undefined || flags.profile !== undefined) {
    const stage = flags.stage ?? 'dev';
    if (!/^[a-z0-9-]{1,20}$/.test(stage)) throw new UsageError(`--stage ${stage}: lowercase letters, digits and - (at most 20)`);
    if (!env.OPS_TOPIC_ARN) throw new UsageError('targeting AWS needs OPS_TOPIC_ARN set to the ops topic of the deployed stack (serverless info --verbose shows it)');
    return {
      ...(flags.region ? { AWS_REGION: flags.region } : {}),
      ...(flags.profile ? { AWS_PROFILE: flags.profile } : {}),
      STATE_TABLE: env.STATE_TABLE ?? `mgn-flow-${stage}-state`,
      OPS_TOPIC_ARN: env.OPS_TOPIC_ARN,
      ...(env.STATE_MACHINE_ARN ? { STATE_MACHINE_ARN: env.STATE_MACHINE_ARN } : {}),
      ...(env.WAVE_STATE_MACHINE_ARN ? { WAVE_STATE_MACHINE_ARN: env.WAVE_STATE_MACHINE_ARN } : {}),
      ...(env.SCHEDULER_ROLE_ARN ? { SCHEDULER_ROLE_ARN: env.SCHEDULER_ROLE_ARN } : {}),
    };
  }
  const file = join(cwd, '.mgn-flow', 'local.json');
  if (!existsSync(file)) {
    throw new NotFoundError(`no local cloud is running here (${file} not found): start one with 'npx mgn-flow local', or pass --stage to act on AWS`);
  }
  const info = JSON.parse(readFileSync(file, 'utf8')) as { endpoints: Record<string, string>; region: string; config?: Record<string, string>; stateMachines?: Record<string, string> };
  const e = info.endpoints;
  const one = flags.endpointUrl;
  return {
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
    // absent from the local.json of a cloud started before Secrets Manager was served
    ...((one ?? e.secretsmanager) ? { AWS_ENDPOINT_URL_SECRETS_MANAGER: String(one ?? e.secretsmanager) } : {}),
    ...(info.config ?? {}),
    ...(info.stateMachines?.serverLifecycle ? { STATE_MACHINE_ARN: info.stateMachines.serverLifecycle } : {}),
    ...(info.stateMachines?.wave ? { WAVE_STATE_MACHINE_ARN: info.stateMachines.wave } : {}),
  };
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
