import { CreateStateMachineCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/adapters/aws/config.ts';
import { createDeps, systemClock } from '../../../src/adapters/aws/deps.ts';
import { startGateway } from '../../../src/local/cloud/gateway.ts';
import { StepFunctionsHost } from '../../../src/local/cloud/sfn/host.ts';
import { stepFunctionsService } from '../../../src/local/cloud/sfn/service.ts';
import { createSns } from '../../../src/local/cloud/sns/index.ts';
import { VirtualClock } from '../../../src/local/emulator/clock.ts';
import { startEmulator } from '../../../src/local/emulator/index.ts';
import { CREDENTIALS, REGION, localStateTable } from './helpers.ts';

/**
 * createDeps as a handler calls it: no endpoint in code; the SDK reads region, credentials and
 * AWS_ENDPOINT_URL_<SERVICE> from the environment the local cloud gives every handler.
 */
describe('createDeps on the local stand-ins through the SDK environment', () => {
  const saved = new Map<string, string | undefined>();
  const setEnv = (vars: Record<string, string>) => {
    for (const [k, v] of Object.entries(vars)) {
      if (!saved.has(k)) saved.set(k, process.env[k]);
      process.env[k] = v;
    }
  };
  const closers: (() => Promise<void>)[] = [];
  const tokens: string[] = [];
  let sns: ReturnType<typeof createSns>;
  let host: StepFunctionsHost;
  let stateMachineArn: string;
  let emu: Awaited<ReturnType<typeof startEmulator>>;

  beforeAll(async () => {
    const local = await localStateTable('mgn-flow-deps-state');
    closers.push(local.close);
    emu = await startEmulator({ manualClock: true, servers: 2, seed: 7, start: 'ready-for-test' });
    closers.push(() => emu.close());
    sns = createSns({ topics: ['mgn-flow-deps-ops'] });
    host = new StepFunctionsHost({
      clock: new VirtualClock({ start: Date.UTC(2026, 0, 5), scale: 1, manual: true }),
      lambda: { resolve: (r) => (typeof r === 'string' ? r : undefined), invoke: async (_k, e) => void tokens.push((e as { token: string }).token) },
      region: REGION,
      accountId: '111122223333',
    });
    const gw = await startGateway([sns, stepFunctionsService(host)]);
    closers.push(gw.close);
    setEnv({
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_MGN: emu.endpoint,
      AWS_ENDPOINT_URL_SFN: gw.endpoint,
      AWS_ENDPOINT_URL_SNS: gw.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: local.endpoint,
      STATE_TABLE: local.table,
      OPS_TOPIC_ARN: sns.topicArn('mgn-flow-deps-ops'),
    });
    const setup = { region: REGION, endpoint: gw.endpoint, credentials: CREDENTIALS };
    const snsClient = new SNSClient(setup);
    await snsClient.send(new SubscribeCommand({ TopicArn: sns.topicArn('mgn-flow-deps-ops'), Protocol: 'email', Endpoint: 'ops@example.com' }));
    snsClient.destroy();
    const sfn = new SFNClient(setup);
    const definition = {
      StartAt: 'Park',
      States: { Park: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken', Parameters: { FunctionName: 'park', Payload: { 'token.$': '$$.Task.Token' } }, TimeoutSeconds: 60, End: true } },
    };
    stateMachineArn = (await sfn.send(new CreateStateMachineCommand({ name: 'deps', definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::111122223333:role/x' }))).stateMachineArn as string;
    await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'one' }));
    sfn.destroy();
    for (let i = 0; i < 400 && tokens.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
  });
  afterAll(async () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    while (closers.length) await closers.pop()?.();
  });

  it('builds every port from the configuration alone and each one reaches its service', async () => {
    const deps = createDeps(loadConfig());
    try {
      expect(deps.clock).toBe(systemClock);
      expect(Math.abs(deps.clock.now().getTime() - Date.now())).toBeLessThan(1000);
      expect(deps.config.maxStallRetries).toBe(2);

      const ids = [...emu.engine.servers.keys()];
      expect((await deps.mgn.describeServers(ids)).map((s) => s.lifeCycle)).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST']);

      await deps.waits.put({ serverId: 's-1', executionArn: 'arn:x', state: 'Park', condition: { kind: 'READY_FOR_TEST' }, token: tokens[0] as string, createdAt: '2026-01-05T00:00:00.000Z' });
      const wait = await deps.waits.get('s-1');
      expect(await deps.waits.take('s-1', wait?.token as string)).toBe(true);
      await deps.callbacks.succeed(wait?.token as string, { ok: true });
      await expect(deps.callbacks.succeed(wait?.token as string, { ok: true })).rejects.toMatchObject({ name: 'TaskClosedError' });

      expect((await deps.points.arrive({ id: 'p', application: 'a', launch: 'TEST', expected: ['s-1'], openedAt: 'x', deadline: 'y' }, 's-1')).arrived).toEqual(['s-1']);
      expect((await deps.gates.open({ id: 'g', application: 'a', wave: 'w', gate: 'SIGNOFF', servers: ['s-1'], allowed: ['approve'], openedAt: 'x', deadline: 'y' })).created).toBe(true);
      expect(await deps.onceKey('k', 60)).toBe(true);
      expect(await deps.onceKey('k', 60)).toBe(false);

      await deps.notifier.ops({ subject: 'Held: s-1', text: 'outside the window', key: 'hold#s-1' });
      await deps.notifier.ops({ subject: 'Held: s-1', text: 'outside the window', key: 'hold#s-1' });
      expect(sns.outbox().filter((e) => e.subject === 'Held: s-1')).toHaveLength(1);
    } finally {
      for (const c of Object.values(deps.clients)) c.destroy();
    }
  });

  it('sends MGN writes through their own client, which retries throttling only', async () => {
    const deps = createDeps(loadConfig());
    try {
      expect(deps.clients.mgnWrite).not.toBe(deps.clients.mgn);
      const strategy = (await deps.clients.mgnWrite.config.retryStrategy()) as unknown as { refreshRetryTokenForRetry: (t: unknown, i: unknown) => Promise<unknown> };
      const first = { getRetryCount: () => 0, getRetryDelay: () => 0 };
      await expect(strategy.refreshRetryTokenForRetry(first, { errorType: 'SERVER_ERROR' })).rejects.toThrow();
      await expect(strategy.refreshRetryTokenForRetry(first, { errorType: 'TRANSIENT' })).rejects.toThrow();
      await expect(strategy.refreshRetryTokenForRetry(first, { errorType: 'THROTTLING' })).resolves.toMatchObject({ getRetryCount: expect.any(Function) });
    } finally {
      for (const c of Object.values(deps.clients)) c.destroy();
    }
  });
});
