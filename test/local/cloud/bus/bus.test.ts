import { describe, expect, it } from 'vitest';
import { type BusEvent, LocalBus, type PutEventsRequestEntry } from '../../../../src/local/cloud/bus/bus.ts';
import { AwsError } from '../../../../src/local/cloud/protocol.ts';
import { START, fakeLambda, manualClock, mgnSample } from './helpers.ts';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';

const orderPattern = { source: ['com.example.orders'], 'detail-type': ['Order Placed'] };
const orderEntry: PutEventsRequestEntry = {
  Source: 'com.example.orders',
  DetailType: 'Order Placed',
  Detail: JSON.stringify({ orderId: 'o-1', total: 42 }),
  Resources: ['arn:aws:example:us-east-1:111122223333:order/o-1'],
};

function setup(handlers: Record<string, (event: unknown) => unknown> = {}, retry?: { attempts: number; baseDelayMs: number }) {
  const clock = manualClock();
  const lambda = fakeLambda(clock, handlers);
  const bus = new LocalBus({ clock, lambda, region: REGION, accountId: ACCOUNT, ...(retry ? { retry } : {}) });
  return { clock, lambda, bus };
}

function caught(fn: () => unknown): AwsError {
  try {
    fn();
  } catch (err) {
    return err as AwsError;
  }
  throw new Error('expected an error');
}

describe('LocalBus.putEvents', () => {
  it('returns an EventId per accepted entry and forms the event with the bus account, region and clock time', async () => {
    const { bus, lambda } = setup({ onOrder: () => undefined });
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'onOrder' } });

    const result = bus.putEvents([orderEntry]);

    expect(result.FailedEntryCount).toBe(0);
    const [entry] = result.Entries;
    expect(entry).toEqual({ EventId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    await bus.drain();
    expect(lambda.calls).toHaveLength(1);
    expect(lambda.calls[0]?.event).toEqual({
      version: '0',
      id: (entry as { EventId: string }).EventId,
      'detail-type': 'Order Placed',
      source: 'com.example.orders',
      account: ACCOUNT,
      time: '2026-01-05T08:00:00Z',
      region: REGION,
      resources: ['arn:aws:example:us-east-1:111122223333:order/o-1'],
      detail: { orderId: 'o-1', total: 42 },
    });
  });

  it('uses the entry Time when given and an empty resources list when none', async () => {
    const { bus, lambda } = setup({ onOrder: () => undefined });
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'onOrder' } });
    bus.putEvents([{ Source: 'com.example.orders', DetailType: 'Order Placed', Detail: '{}', Time: new Date('2025-12-31T23:59:59.750Z') }]);
    await bus.drain();
    expect(lambda.calls[0]?.event).toMatchObject({ time: '2025-12-31T23:59:59Z', resources: [], detail: {} });
  });

  it('fails only the entries whose Detail is not a JSON object, with MalformedDetail', () => {
    const { bus } = setup();
    const result = bus.putEvents([orderEntry, { ...orderEntry, Detail: '{"orderId": ' }, { ...orderEntry, Detail: '[1, 2]' }, { ...orderEntry, Detail: '"text"' }]);
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries[0]).toHaveProperty('EventId');
    for (const e of result.Entries.slice(1)) expect(e).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
  });

  it('fails entries without Source, DetailType or Detail with InvalidArgument', () => {
    const { bus } = setup();
    const result = bus.putEvents([
      { DetailType: 'x', Detail: '{}' },
      { Source: 's', Detail: '{}' },
      { Source: 's', DetailType: 'x' },
    ]);
    expect(result.FailedEntryCount).toBe(3);
    expect(result.Entries.map((e) => ('ErrorCode' in e ? [e.ErrorCode, e.ErrorMessage] : []))).toEqual([
      ['InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.'],
      ['InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'],
      ['InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.'],
    ]);
  });

  it('throws ValidationException when a call has no entry or more than 10', () => {
    const { bus } = setup();
    expect(caught(() => bus.putEvents([])).type).toBe('ValidationException');
    const eleven = caught(() => bus.putEvents(Array.from({ length: 11 }, () => orderEntry)));
    expect(eleven.type).toBe('ValidationException');
    expect(eleven.message).toMatch(/less than or equal to 10/);
  });

  it('throws ValidationException when the entries add up to more than 256 KB', () => {
    const { bus } = setup();
    const big = { ...orderEntry, Detail: JSON.stringify({ blob: 'x'.repeat(100 * 1024) }) };
    expect(bus.putEvents([big, big]).FailedEntryCount).toBe(0);
    const error = caught(() => bus.putEvents([big, big, big]));
    expect(error.type).toBe('ValidationException');
    expect(error.message).toBe('Total size of the entries in the request is over the limit.');
  });
});

describe('LocalBus delivery', () => {
  it('invokes the target outside the caller stack, after putEvents has returned', async () => {
    const { bus, lambda } = setup({ onOrder: () => undefined });
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'onOrder' } });

    function publisherFrameForTheTest(): void {
      bus.putEvents([orderEntry]);
    }
    publisherFrameForTheTest();
    expect(lambda.calls).toHaveLength(0);
    await Promise.resolve();
    expect(lambda.calls).toHaveLength(0);

    await bus.drain();
    expect(lambda.calls).toHaveLength(1);
    expect(lambda.calls[0]?.stack).not.toContain('publisherFrameForTheTest');
  });

  it('delivers to every matching enabled rule once and to nothing else', async () => {
    const { bus, lambda } = setup({ a: () => undefined, b: () => undefined, c: () => undefined, d: () => undefined });
    bus.addRule({ name: 'a', pattern: orderPattern, target: { functionKey: 'a' } });
    bus.addRule({ name: 'b', pattern: { source: [{ prefix: 'com.example.' }] }, target: { functionKey: 'b' } });
    bus.addRule({ name: 'c', pattern: { source: ['com.example.payments'] }, target: { functionKey: 'c' } });
    bus.addRule({ name: 'd', pattern: orderPattern, target: { functionKey: 'd' }, state: 'DISABLED' });
    bus.addRule({ name: 'untargeted', pattern: orderPattern });

    bus.putEvents([orderEntry]);
    await bus.drain();

    expect(lambda.calls.map((c) => c.functionKey).sort()).toEqual(['a', 'b']);
    expect(bus.deliveries.map((d) => [d.rule, d.target, d.status, d.attempts])).toEqual([
      ['a', 'lambda:a', 'succeeded', 1],
      ['b', 'lambda:b', 'succeeded', 1],
    ]);
  });

  it('delivers an already-formed event as given when published', async () => {
    const { bus } = setup();
    const received: BusEvent[] = [];
    bus.addRule({
      name: 'launch',
      pattern: { source: ['aws.mgn'] },
      target: { deliver: async (e) => void received.push(e) },
    });
    const sample = mgnSample('launch-result');
    bus.publish(sample);
    await bus.drain();
    expect(received).toEqual([sample]);
  });

  it('gives each attempt its own copy of the event so a handler cannot change what others receive', async () => {
    const { bus } = setup({}, { attempts: 2, baseDelayMs: 1000 });
    const seen: unknown[] = [];
    bus.addRule({
      name: 'mutating',
      pattern: orderPattern,
      target: {
        async deliver(e) {
          seen.push(structuredClone(e.detail));
          (e.detail as { total: number }).total = 0;
          if (seen.length === 1) throw new Error('first attempt fails');
        },
      },
    });
    bus.putEvents([orderEntry]);
    await bus.drain({ advanceClock: true });
    expect(seen).toEqual([
      { orderId: 'o-1', total: 42 },
      { orderId: 'o-1', total: 42 },
    ]);
  });

  it('retries a throwing handler with exponential backoff on the simulated clock until it succeeds', async () => {
    let failures = 2;
    const { bus, lambda } = setup(
      {
        flaky: () => {
          if (failures-- > 0) throw new Error('downstream unavailable');
        },
      },
      { attempts: 5, baseDelayMs: 1000 },
    );
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'flaky' } });

    bus.putEvents([orderEntry]);
    await bus.drain({ advanceClock: true });

    expect(lambda.calls.map((c) => c.at - START)).toEqual([0, 1000, 3000]);
    expect(bus.deliveries).toHaveLength(1);
    expect(bus.deliveries[0]).toMatchObject({ status: 'succeeded', attempts: 3 });
    expect(bus.deliveries[0]).not.toHaveProperty('lastError');
    expect(bus.deadLetters).toEqual([]);
  });

  it('dead-letters the event when the handler still fails after the configured attempts', async () => {
    const { bus, lambda } = setup(
      {
        broken: () => {
          throw new TypeError('cannot read detail');
        },
      },
      { attempts: 3, baseDelayMs: 500 },
    );
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'broken' } });

    const [entry] = bus.putEvents([orderEntry]).Entries;
    await bus.drain({ advanceClock: true });

    expect(lambda.calls.map((c) => c.at - START)).toEqual([0, 500, 1500]);
    expect(bus.deliveries[0]).toMatchObject({ status: 'dead-lettered', attempts: 3, lastError: 'TypeError: cannot read detail' });
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({
      rule: 'orders',
      target: 'lambda:broken',
      attempts: 3,
      error: 'TypeError: cannot read detail',
      reason: 'MaximumRetryAttempts',
      event: { id: (entry as { EventId: string }).EventId },
    });
  });

  it('dead-letters the event when the next retry would pass the maximum event age', async () => {
    const { bus, lambda } = setup({ broken: () => Promise.reject(new Error('no')) });
    bus.addRule({
      name: 'orders',
      pattern: orderPattern,
      target: { functionKey: 'broken' },
      retry: { attempts: 100, baseDelayMs: 60_000, maxEventAgeMs: 200_000 },
    });
    bus.putEvents([orderEntry]);
    await bus.drain({ advanceClock: true });
    // attempts at 0, 60 s, 180 s; the next would be at 420 s > 200 s
    expect(lambda.calls.map((c) => (c.at - START) / 1000)).toEqual([0, 60, 180]);
    expect(bus.deadLetters[0]?.reason).toBe('MaximumEventAgeInSeconds');
  });

  it('gives up after 186 attempts within 24 hours by default, as EventBridge does', async () => {
    const { bus, lambda } = setup({ broken: () => Promise.reject(new Error('no')) });
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'broken' } });
    bus.putEvents([orderEntry]);
    await bus.drain({ advanceClock: true });
    expect(lambda.calls).toHaveLength(186);
    const last = lambda.calls.at(-1) as { at: number };
    expect(last.at - START).toBeLessThan(86_400_000);
    expect(bus.deadLetters[0]).toMatchObject({ attempts: 186, reason: 'MaximumRetryAttempts' });
  });

  it('rejects drain on a manual clock when a retry waits and the test did not ask to advance it', async () => {
    const { bus } = setup({ broken: () => Promise.reject(new Error('no')) }, { attempts: 2, baseDelayMs: 1000 });
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'broken' } });
    bus.putEvents([orderEntry]);
    await expect(bus.drain()).rejects.toThrow(/wait for a retry on the manual clock/);
    expect(bus.pending).toBe(1);
    expect(bus.deliveries[0]).toMatchObject({ status: 'retrying', attempts: 1, nextAttemptAt: START + 1000 });
  });

  it('retries when the clock is advanced by whoever drives it', async () => {
    let fail = true;
    const { bus, clock, lambda } = setup(
      {
        flaky: () => {
          if (fail) {
            fail = false;
            throw new Error('once');
          }
        },
      },
      { attempts: 3, baseDelayMs: 2000 },
    );
    bus.addRule({ name: 'orders', pattern: orderPattern, target: { functionKey: 'flaky' } });
    bus.putEvents([orderEntry]);
    await expect(bus.drain()).rejects.toThrow();
    clock.advance(1);
    expect(bus.deliveries[0]?.status).toBe('retrying');
    clock.advance(1);
    await bus.drain();
    expect(lambda.calls).toHaveLength(2);
    expect(bus.deliveries[0]?.status).toBe('succeeded');
  });

  it('tells subscribers of every accepted event, matched by a rule or not', () => {
    const { bus } = setup();
    const seen: string[] = [];
    bus.subscribe((e) => seen.push(e['detail-type']));
    bus.putEvents([orderEntry, { ...orderEntry, Detail: 'nope' }]);
    bus.publish({ source: 'aws.states', 'detail-type': 'Step Functions Execution Status Change', detail: { status: 'RUNNING' } });
    expect(seen).toEqual(['Order Placed', 'Step Functions Execution Status Change']);
    expect(bus.published).toBe(2);
  });

  it('refuses a rule whose pattern is malformed with InvalidEventPatternException', () => {
    const { bus } = setup();
    expect(caught(() => bus.addRule({ name: 'bad', pattern: { source: [] } })).type).toBe('InvalidEventPatternException');
    expect(bus.rules).toEqual([]);
  });
});
