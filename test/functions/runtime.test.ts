import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { ServerInput } from '../../src/core/contracts.ts';
import { correlationKeys, handle, InvalidInputError } from '../../functions/_lib/runtime.ts';

const S1 = 's-11111111111111111';
const S2 = 's-22222222222222222';
const ENV = { AWS_REGION: 'eu-west-1', STATE_TABLE: 'mgn-flow-test', OPS_TOPIC_ARN: 'arn:aws:sns:eu-west-1:111122223333:ops' };
const saved: Record<string, string | undefined> = {};

beforeAll(() => {
  for (const [k, v] of Object.entries(ENV)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
});
afterAll(() => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterEach(() => vi.restoreAllMocks());

/** Every JSON line written while `fn` runs (Powertools writes debug/info to stdout, warn/error to stderr). */
async function captured(fn: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const chunks: string[] = [];
  const keep = (chunk: string | Uint8Array) => {
    chunks.push(String(chunk));
    return true;
  };
  vi.spyOn(process.stdout, 'write').mockImplementation(keep);
  vi.spyOn(process.stderr, 'write').mockImplementation(keep);
  try {
    await fn();
  } catch {
    // the test asserts on the error itself
  }
  vi.restoreAllMocks();
  return chunks
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const context = (requestId: string) =>
  ({
    functionName: 'mgn-flow-test-probe',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:111122223333:function:mgn-flow-test-probe',
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/mgn-flow-test-probe',
    logStreamName: 'local',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 30_000,
  }) as never;

const ctx = (wave: string, application: string, server: string) => ({
  execution: `arn:aws:states:eu-west-1:111122223333:execution:mgn-flow-test-serverLifecycle:${wave}-${server}-1`,
  wave,
  application,
  server,
});

describe('handle()', () => {
  it('gives each of two concurrent invocations its own keys on every log line, the core port included', async () => {
    // the two invocations interleave: each logs, yields to the other, and logs again
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let arrived = 0;
    const probe = handle({ name: 'probe', uses: [] }, ServerInput, async (i, d) => {
      d.log.info('probe started', { serverId: i.serverId, token: 'AQ-never-logged' });
      if (++arrived === 2) release();
      await gate;
      d.log.warn('probe continued', { serverId: i.serverId });
      return { ok: i.serverId };
    });
    const lines = await captured(() =>
      Promise.all([
        probe({ serverId: S1, ctx: ctx('wave-a', 'app-a', S1) }, context('req-1')),
        probe({ serverId: S2, ctx: ctx('wave-b', 'app-b', S2) }, context('req-2')),
      ]),
    );
    const mine = lines.filter((l) => typeof l.message === 'string' && (l.message as string).startsWith('probe '));
    expect(mine).toHaveLength(4);
    for (const l of mine) {
      const [wave, application, requestId] = l.serverId === S1 ? ['wave-a', 'app-a', 'req-1'] : ['wave-b', 'app-b', 'req-2'];
      expect(l).toMatchObject({ wave, application, server: l.serverId, function_request_id: requestId, function_name: 'mgn-flow-test-probe', service: 'mgn-flow' });
      expect(String(l.execution)).toContain(`${wave}-${String(l.serverId)}-1`);
      expect(l).toHaveProperty('cold_start');
    }
    expect(JSON.stringify(lines)).not.toContain('AQ-never-logged');
  });

  it('reports a cold start on the first invocation of the function only (each invocation has a new child logger)', async () => {
    process.env.AWS_LAMBDA_INITIALIZATION_TYPE = 'on-demand';
    try {
      const probe = handle({ name: 'probe', uses: [] }, ServerInput, async (i, d) => d.log.info('probe ran', { serverId: i.serverId }));
      const lines = await captured(async () => {
        await probe({ serverId: S1 }, context('req-c1'));
        await probe({ serverId: S2 }, context('req-c2'));
      });
      expect(lines.filter((l) => l.message === 'probe ran').map((l) => [l.function_request_id, l.cold_start])).toEqual([
        ['req-c1', true],
        ['req-c2', false],
      ]);
    } finally {
      delete process.env.AWS_LAMBDA_INITIALIZATION_TYPE;
    }
  });

  it('takes ctx off the event before the contract parses it (the use case never sees it)', async () => {
    const seen: unknown[] = [];
    const probe = handle({ name: 'probe', uses: [] }, z.unknown(), async (e) => void seen.push(e));
    await captured(() => probe({ serverId: S1, ctx: ctx('w', 'a', S1) }, context('req-3')));
    expect(seen).toEqual([{ serverId: S1 }]);
  });

  it('refuses an event that does not match the contract with an error naming the function and the field, logged with the keys', async () => {
    const probe = handle({ name: 'archiveServer', uses: [] }, ServerInput, async () => 'never');
    let error: unknown;
    const lines = await captured(() => probe({ serverId: 'nope', ctx: ctx('wave-a', 'app-a', S1) }, context('req-4')).catch((e: unknown) => (error = e)));
    expect(error).toBeInstanceOf(InvalidInputError);
    expect((error as Error).message).toBe('functions/archive-server: invalid input: serverId: a source server id such as s-1234567890abcdef0');
    expect(lines.find((l) => l.level === 'ERROR')).toMatchObject({ message: 'invocation failed', error: { name: 'InvalidInputError' }, wave: 'wave-a', server: S1, function_request_id: 'req-4' });
  });

  it('refuses a malformed ctx, naming it', async () => {
    const probe = handle({ name: 'archiveServer', uses: [] }, ServerInput, async () => 'never');
    let error: unknown;
    await captured(() => probe({ serverId: S1, ctx: { wave: 'w' } }, context('req-5')).catch((e: unknown) => (error = e)));
    expect((error as Error).message).toMatch(/^functions\/archive-server: invalid input: ctx\.execution: /);
  });
});

describe('correlationKeys', () => {
  it('reads a Step Functions status event: the execution, and the wave and server its name carries', () => {
    const arn = `arn:aws:states:eu-west-1:111122223333:execution:m:wave-1-${S1}-2`;
    expect(correlationKeys({ source: 'aws.states', detail: { executionArn: arn, status: 'FAILED' } })).toEqual({ execution: arn, wave: 'wave-1', server: S1 });
  });

  it("reads an MGN event's source server", () => {
    expect(correlationKeys({ source: 'aws.mgn', resources: [`arn:aws:mgn:eu-west-1:111122223333:source-server/${S2}`], detail: {} })).toEqual({ server: S2 });
  });

  it('reads a direct invocation without ctx by its own fields, and an empty event as no keys', () => {
    expect(correlationKeys({ serverId: S1, wave: 'w', application: 'a' })).toEqual({ wave: 'w', application: 'a', server: S1 });
    expect(correlationKeys(undefined)).toEqual({});
  });
});
