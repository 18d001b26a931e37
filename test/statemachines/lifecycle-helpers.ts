import { resolve } from 'node:path';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { type LocalCloud, startLocalCloud, type LocalCloudOptions } from '../../src/local/cloud/index.ts';
import { Plan, type ServerRun } from '../../src/core/contracts.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** Start the local cloud on the project's own serverless.yml. */
export async function lifecycleCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  const cloud = await startLocalCloud({ root: repoRoot, timeScale: 3000, servers: 3, applications: 1, start: 'ready-for-test', seed: 11, writeLocalJson: false, ...opts });
  // ops subscribe to the ops topic by email, as a deployment's parameters would
  const sns = new SNSClient({ region: cloud.info.region, endpoint: cloud.endpoints.sns, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await sns.send(new SubscribeCommand({ TopicArn: String(cloud.env.OPS_TOPIC_ARN), Protocol: 'email', Endpoint: 'ops@example.com' }));
  sns.destroy();
  return cloud;
}

export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs; // wall time: Date follows the simulated clock in the cloud
  while (!(await cond())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function serverIds(cloud: LocalCloud): string[] {
  return [...cloud.emulator.engine.servers.keys()];
}

export function startServers(cloud: LocalCloud, opts: { wave?: string; application?: string; plan?: Partial<ServerRun['plan']>; ids?: string[] } = {}): string[] {
  const ids = opts.ids ?? serverIds(cloud);
  const wave = opts.wave ?? 'wave-1';
  const application = opts.application ?? 'app-1';
  const plan = Plan.parse({ soakSeconds: 3600, gateTimeoutSeconds: 7 * 86400, ...opts.plan });
  return ids.map((serverId) => {
    const run: ServerRun = { wave, application, serverId, members: ids, attempt: 1, plan };
    return cloud.host.startExecution({ stateMachineArn: cloud.stateMachineArn('serverLifecycle'), name: `${wave}-${serverId}-1`, input: JSON.stringify(run) }).executionArn;
  });
}

/** The approver: decide a gate once its request went out (the ops outbox has it). */
export async function decideWhenAsked(cloud: LocalCloud, gateId: string, decision: string, extra: Record<string, unknown> = {}): Promise<void> {
  const [, application, gate] = gateId.split('#');
  await until(`gate ${gateId}`, () => cloud.sns.outbox().some((m) => m.subject === `Decision needed: ${gate} for ${application}`));
  await cloud.lambda.invoke('decideGate', { gateId, decision, by: 'approver@example.com', ...extra });
}

/** The state names an execution entered, in order. */
export function statePath(cloud: LocalCloud, executionArn: string): string[] {
  return cloud.host
    .history(executionArn)
    .filter((e) => e.type.endsWith('StateEntered'))
    .map((e) => String(e.details?.value.name));
}

export function mgnCalls(cloud: LocalCloud, operation: string): { status: number; ids?: string[] }[] {
  return cloud.emulator.http.log.filter((r) => r.operation === operation).map((r) => ({ status: r.status, ...(r.sourceServerIDs ? { ids: r.sourceServerIDs } : {}) }));
}
