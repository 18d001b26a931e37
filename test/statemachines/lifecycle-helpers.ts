import { resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { createDocumentClient, createGateStore, createWaveStore } from '../../src/adapters/aws/stores.ts';
import type { Gate } from '../../src/ports.ts';
import type { Wave } from '../../src/core/wave-file.ts';
import { linksIn, openAndDecide } from '../../src/local/approver.ts';
import { type LocalCloud, startLocalCloud, type LocalCloudOptions } from '../../src/local/cloud/index.ts';
import { discreteClock, realTimers } from '../../src/local/cloud/virtual-timers.ts';
import { Plan, type ServerRun } from '../../src/core/contracts.ts';

export const repoRoot = resolve(import.meta.dirname, '../..');

/** Start the local cloud on the project's own serverless.yml. */
export async function lifecycleCloud(opts: LocalCloudOptions = {}): Promise<LocalCloud> {
  const cloud = await startLocalCloud({ root: repoRoot, servers: 3, applications: 1, start: 'ready-for-test', seed: 11, writeLocalJson: false, ...opts });
  // ops subscribe to the ops topic by email, as a deployment's parameters would
  const sns = new SNSClient({ region: cloud.info.region, endpoint: cloud.endpoints.sns, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await sns.send(new SubscribeCommand({ TopicArn: String(cloud.env.OPS_TOPIC_ARN), Protocol: 'email', Endpoint: 'ops@example.com' }));
  // and an approver subscribes to the approvals topic (the plan names nobody: one link per gate)
  await sns.send(new SubscribeCommand({ TopicArn: String(cloud.env.APPROVAL_TOPIC_ARN), Protocol: 'email', Endpoint: 'approver@example.com' }));
  sns.destroy();
  return cloud;
}

/** Run one scenario on a fresh lifecycle cloud, closed whatever happens. */
export async function withCloud(opts: LocalCloudOptions, body: (cloud: LocalCloud) => Promise<void>): Promise<void> {
  const cloud = await lifecycleCloud(opts);
  try {
    await body(cloud);
  } finally {
    await cloud.close();
  }
}

/**
 * Wait until `cond` holds. On a discrete-event clock it is checked at every instant the clock moves to, once
 * that instant's work is done (no polling timer: the clock jumps straight to the next thing that happens);
 * on a scaled clock it is polled every 20 ms. `timeoutMs` is wall time.
 */
export async function until(what: string, cond: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = performance.now() + timeoutMs; // wall time: Date follows the simulated clock in the cloud
  const clock = discreteClock();
  let expired = false;
  const timer = realTimers.setTimeout(() => (expired = true), timeoutMs);
  try {
    while (!(await cond())) {
      if (expired || performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      if (clock) {
        // a clock with nothing left to do never moves again: then the wall deadline decides
        await Promise.race([clock.nextIdle(), new Promise((r) => realTimers.setTimeout(r, 200))]);
      } else await new Promise((r) => setTimeout(r, 20));
    }
  } finally {
    realTimers.clearTimeout(timer);
  }
}

/** Change the pace of a scaled clock; a discrete-event clock has none (it jumps whenever the cloud is idle). */
export function pace(cloud: LocalCloud, scale: number): void {
  if (!cloud.clock.isDiscrete) cloud.clock.setScale(scale);
}

export function serverIds(cloud: LocalCloud): string[] {
  return [...cloud.emulator.engine.servers.keys()];
}

export function startServers(cloud: LocalCloud, opts: { wave?: string; application?: string; plan?: Partial<ServerRun['plan']>; ids?: string[]; attempt?: number; members?: string[] } = {}): string[] {
  const ids = opts.ids ?? serverIds(cloud);
  const wave = opts.wave ?? 'wave-1';
  const application = opts.application ?? 'app-1';
  const attempt = opts.attempt ?? 1;
  const plan = Plan.parse({ soakSeconds: 3600, gateTimeoutSeconds: 7 * 86400, ...opts.plan });
  return ids.map((serverId) => {
    const run: ServerRun = { wave, application, serverId, members: opts.members ?? ids, attempt, plan };
    return cloud.host.startExecution({ stateMachineArn: cloud.stateMachineArn('serverLifecycle'), name: `${wave}-${serverId}-${attempt}`, input: JSON.stringify(run) }).executionArn;
  });
}

/** The approver: decide a gate once its request went out (the outbox has it). */
/**
 * Decide a gate once its request went out. A failure gate's id ends with the launch (MGN job) that failed,
 * which a test cannot know in advance: give its id up to the launch count followed by `-*`
 * (`wave-1#app-1#TEST_FAILURE#1-2-*`) and the request's gate id is used. Returns the id decided.
 */
export async function decideWhenAsked(cloud: LocalCloud, gateId: string, decision: string, extra: Record<string, unknown> = {}): Promise<string> {
  const [, application, gate] = gateId.split('#');
  const prefix = gateId.endsWith('*') ? gateId.slice(0, -1) : undefined;
  const asked = () =>
    cloud.sns
      .outbox()
      .map((m) => ({ subject: m.subject, id: m.attributes?.gateId?.StringValue, kind: m.attributes?.kind?.StringValue }))
      .find((m) => m.subject === `Decision needed: ${gate} for ${application}` && (prefix ? m.kind === 'request' && m.id?.startsWith(prefix) : true));
  await until(`gate ${gateId}`, () => asked() !== undefined);
  const id = prefix ? (asked()?.id as string) : gateId;
  await cloud.lambda.invoke('decideGate', { gateId: id, decision, by: 'approver@example.com', ...extra });
  return id;
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

/**
 * An approver who decides every request as it arrives, through its link (GET the page, POST the form):
 * approve at sign-off, go/no-go and finalize; `failure` at failure gates. Returns a stop function.
 */
export function autoApprove(cloud: LocalCloud, opts: { failure?: 'retry' | 'rollback' | 'stop'; skip?: (gate: string, application: string) => boolean } = {}): () => void {
  const seen = new Set<string>();
  let stopped = false;
  const unsubscribe = cloud.sns.onMessage((m) => {
    const gateId = m.attributes.gateId?.StringValue;
    const gate = m.attributes.gate?.StringValue ?? '';
    const application = m.attributes.application?.StringValue ?? '';
    if (!gateId || m.attributes.kind?.StringValue !== 'request' || seen.has(gateId) || opts.skip?.(gate, application)) return;
    const url = linksIn(m.message)[0];
    if (!url) return;
    seen.add(gateId);
    const decision = gate.endsWith('FAILURE') ? (opts.failure ?? 'retry') : 'approve';
    void (async () => {
      // 400 while the application's servers are still arriving at the gate (go/no-go names no missing
      // server): ask again until they are all there; a big application on a loaded machine takes a while
      const deadline = performance.now() + 300_000;
      while (!stopped && performance.now() < deadline) {
        const r = await openAndDecide(url, { decision, name: 'Test Approver', quiesced: true }, undefined, cloud.fetch);
        if ((r.post?.status ?? r.get.status) !== 400) return;
        await new Promise((res) => setTimeout(res, 50));
      }
    })();
  });
  return () => {
    stopped = true;
    unsubscribe();
  };
}

/** Store a wave (as `mgn-flow wave start` does after validating it) and start its execution. */
export async function startWave(cloud: LocalCloud, wave: Wave, name = `${wave.name}-1`): Promise<string> {
  const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  await createWaveStore(createDocumentClient(ddb), String(cloud.env.STATE_TABLE)).putDefinition(wave);
  ddb.destroy();
  return cloud.host.startExecution({ stateMachineArn: cloud.stateMachineArn('wave'), name, input: JSON.stringify({ wave: wave.name }) }).executionArn;
}

/** A Wave of the emulator's applications (each MGN application), plus the given servers standalone. */
export function waveOf(cloud: LocalCloud, opts: { name?: string; standalone?: number; defaults?: Partial<Wave['defaults']>; canary?: string[]; freeze?: Wave['freeze']; cutoverWindow?: Wave['cutoverWindow'] } = {}): Wave {
  const engine = cloud.emulator.engine;
  const ids = serverIds(cloud);
  const standalone = ids.slice(ids.length - (opts.standalone ?? 0));
  const apps = new Map<string, string[]>();
  for (const id of ids) {
    if (standalone.includes(id)) continue;
    const s = engine.servers.get(id);
    const app = s?.applicationID ? (engine.applications.get(s.applicationID)?.name ?? s.applicationID) : id;
    apps.set(app, [...(apps.get(app) ?? []), id]);
  }
  return {
    name: opts.name ?? 'wave-1',
    timeZone: 'UTC',
    source: { kind: 'file', file: 'test' },
    defaults: { soakDays: 1, concurrency: 10, failurePolicy: 'continue', archive: true, ...opts.defaults },
    cutoverWindow: opts.cutoverWindow ?? null,
    approvers: { testSignoff: [], goNoGo: [], finalize: [] },
    freeze: opts.freeze ?? [],
    applications: [
      ...[...apps].map(([name, servers]) => ({ name, canary: opts.canary?.includes(name) ?? false, standalone: false, servers: servers.map((id) => ({ id })) })),
      ...standalone.map((id) => ({ name: id, canary: false, standalone: true, servers: [{ id }] })),
    ],
  };
}


/** A gate as the table holds it (the product's own store over the local DynamoDB). */
export async function readGate(cloud: LocalCloud, gateId: string): Promise<Gate | undefined> {
  const ddb = new DynamoDBClient({ region: cloud.info.region, endpoint: cloud.endpoints.dynamodb, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    return await createGateStore(createDocumentClient(ddb), String(cloud.env.STATE_TABLE)).get(gateId);
  } finally {
    ddb.destroy();
  }
}

/** The emulator's control route for one server (README "The MGN emulator"): inject a failure, a stall, a backlog. */
export async function injectServer(cloud: LocalCloud, serverId: string, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${cloud.endpoints.mgn}/_emulator/servers/${serverId}/inject`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`inject ${serverId}: ${res.status} ${text}`);
}

/** Has the execution entered this state (at any time)? */
export function entered(cloud: LocalCloud, executionArn: string, state: string): boolean {
  return statePath(cloud, executionArn).includes(state);
}
