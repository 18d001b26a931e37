import {
  DeleteRuleCommand,
  DescribeRuleCommand,
  EventBridgeClient,
  InvalidEventPatternException,
  ListRulesCommand,
  PutEventsCommand,
  PutRuleCommand,
  ResourceNotFoundException,
  TestEventPatternCommand,
} from '@aws-sdk/client-eventbridge';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBus } from '../../../../src/local/cloud/bus/bus.ts';
import { busService } from '../../../../src/local/cloud/bus/service.ts';
import type { VirtualClock } from '../../../../src/local/emulator/clock.ts';
import { type Served, clientConfig, fakeLambda, manualClock, mgnSample, serve } from './helpers.ts';

const REGION = 'us-east-1';
const ACCOUNT = '111122223333';

describe('busService (through @aws-sdk/client-eventbridge)', () => {
  let clock: VirtualClock;
  let lambda: ReturnType<typeof fakeLambda>;
  let bus: LocalBus;
  let served: Served;
  let client: EventBridgeClient;
  let failuresLeft: number;
  let gate: Promise<void>;

  beforeEach(async () => {
    clock = manualClock();
    failuresLeft = 0;
    gate = Promise.resolve();
    lambda = fakeLambda(clock, {
      onLaunchResult: async () => {
        await gate;
        if (failuresLeft-- > 0) throw new Error('transient');
        return { ok: true };
      },
    });
    bus = new LocalBus({ clock, lambda, region: REGION, accountId: ACCOUNT, retry: { attempts: 3, baseDelayMs: 1000 } });
    bus.addRule({
      name: 'launch-result',
      pattern: { source: ['aws.mgn'], 'detail-type': ['MGN Source Server Launch Result'], detail: { state: ['TEST_LAUNCH_SUCCEEDED', 'TEST_LAUNCH_FAILED'] } },
      target: { functionKey: 'onLaunchResult' },
    });
    served = await serve(busService(bus));
    client = new EventBridgeClient(clientConfig(served.endpoint));
  });

  afterEach(async () => {
    client.destroy();
    await served.close();
  });

  const launchEntry = {
    Source: 'aws.mgn',
    DetailType: 'MGN Source Server Launch Result',
    Detail: JSON.stringify({ state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': 'mgnjob-04ca7d0d3fb6afa3e' }),
    Resources: ['arn:aws:mgn:us-east-1:111122223333:source-server/s-12345678901234567'],
  };

  it('returns EventIds for accepted entries and invokes the routed Lambda with the exact EventBridge envelope', async () => {
    const out = await client.send(new PutEventsCommand({ Entries: [launchEntry, { ...launchEntry, DetailType: 'Something Else' }] }));

    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries).toHaveLength(2);
    const ids = (out.Entries ?? []).map((e) => e.EventId);
    expect(ids.every((id) => typeof id === 'string' && id.length > 0)).toBe(true);

    await bus.drain();
    expect(lambda.calls).toHaveLength(1);
    expect(lambda.calls[0]).toMatchObject({ functionKey: 'onLaunchResult' });
    expect(lambda.calls[0]?.event).toEqual({
      version: '0',
      id: ids[0],
      'detail-type': 'MGN Source Server Launch Result',
      source: 'aws.mgn',
      account: ACCOUNT,
      time: '2026-01-05T08:00:00Z',
      region: REGION,
      resources: ['arn:aws:mgn:us-east-1:111122223333:source-server/s-12345678901234567'],
      detail: { state: 'TEST_LAUNCH_SUCCEEDED', 'job-id': 'mgnjob-04ca7d0d3fb6afa3e' },
    });
  });

  it('carries the entry Time through the SDK to the event time', async () => {
    await client.send(new PutEventsCommand({ Entries: [{ ...launchEntry, Time: new Date('2026-02-01T10:20:30Z') }] }));
    await bus.drain();
    expect(lambda.calls[0]?.event).toMatchObject({ time: '2026-02-01T10:20:30Z' });
  });

  it('fails only the entry whose Detail is malformed, with its error code', async () => {
    const out = await client.send(new PutEventsCommand({ Entries: [launchEntry, { ...launchEntry, Detail: '{not json' }] }));
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries?.[0]?.EventId).toBeTruthy();
    expect(out.Entries?.[1]).toEqual({ ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' });
  });

  it('throws ValidationException for 11 entries in one call', async () => {
    const error = await client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => launchEntry) })).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'ValidationException', $metadata: { httpStatusCode: 400 } });
    expect((error as Error).message).toMatch(/less than or equal to 10/);
    expect(bus.published).toBe(0);
  });

  it('delivers asynchronously: PutEvents answers while the handler is still running, from outside its stack', async () => {
    let release = () => {};
    gate = new Promise<void>((resolve) => (release = resolve));
    const out = await client.send(new PutEventsCommand({ Entries: [launchEntry] }));
    expect(out.FailedEntryCount).toBe(0);
    expect(bus.deliveries[0]?.status).not.toBe('succeeded');
    release();
    await bus.drain();
    expect(bus.deliveries[0]?.status).toBe('succeeded');
    expect(lambda.calls[0]?.stack).not.toMatch(/putEvents|PutEvents|handleJsonProtocol/);
  });

  it('retries a throwing handler and records the attempts', async () => {
    failuresLeft = 1;
    await client.send(new PutEventsCommand({ Entries: [launchEntry] }));
    await bus.drain({ advanceClock: true });
    expect(lambda.calls).toHaveLength(2);
    expect(bus.deliveries).toEqual([expect.objectContaining({ rule: 'launch-result', status: 'succeeded', attempts: 2 })]);
  });

  it('dead-letters an event whose handler keeps failing', async () => {
    failuresLeft = 10;
    const out = await client.send(new PutEventsCommand({ Entries: [launchEntry] }));
    await bus.drain({ advanceClock: true });
    expect(lambda.calls).toHaveLength(3);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({ rule: 'launch-result', attempts: 3, reason: 'MaximumRetryAttempts', event: expect.objectContaining({ id: out.Entries?.[0]?.EventId }) }),
    ]);
  });

  it('creates, describes, lists and deletes rules with PutRule, DescribeRule, ListRules and DeleteRule', async () => {
    const pattern = JSON.stringify({ source: ['aws.mgn'], 'detail-type': ['MGN Source Server Data Replication Stalled Change'] });
    const put = await client.send(new PutRuleCommand({ Name: 'stalls', EventPattern: pattern, Description: 'replication stalls' }));
    expect(put.RuleArn).toBe(`arn:aws:events:${REGION}:${ACCOUNT}:rule/stalls`);

    const described = await client.send(new DescribeRuleCommand({ Name: 'stalls' }));
    expect(described).toMatchObject({ Name: 'stalls', Arn: put.RuleArn, State: 'ENABLED', Description: 'replication stalls', EventBusName: 'default' });
    expect(JSON.parse(described.EventPattern ?? '')).toEqual(JSON.parse(pattern));

    const listed = await client.send(new ListRulesCommand({ NamePrefix: 'st' }));
    expect(listed.Rules?.map((r) => r.Name)).toEqual(['stalls']);
    expect((await client.send(new ListRulesCommand({}))).Rules?.map((r) => r.Name)).toEqual(['launch-result', 'stalls']);

    await client.send(new DeleteRuleCommand({ Name: 'stalls' }));
    const missing = await client.send(new DescribeRuleCommand({ Name: 'stalls' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
  });

  it('throws InvalidEventPatternException from PutRule for a malformed pattern', async () => {
    const error = await client.send(new PutRuleCommand({ Name: 'bad', EventPattern: '{"source": []}' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidEventPatternException);
    expect((error as Error).message).toBe('Event pattern is not valid. Reason: Empty arrays are not allowed at source');
  });

  it('answers TestEventPattern with the matcher result', async () => {
    const event = JSON.stringify(mgnSample('replication-stalled'));
    const yes = await client.send(new TestEventPatternCommand({ EventPattern: '{"detail": {"state": [{"prefix": "STALL"}]}}', Event: event }));
    const no = await client.send(new TestEventPatternCommand({ EventPattern: '{"detail": {"state": ["NOT_STALLED"]}}', Event: event }));
    expect([yes.Result, no.Result]).toEqual([true, false]);
  });

  it('answers an operation it does not implement with a modeled JSON error', async () => {
    const response = await fetch(served.endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutTargets' },
      body: '{}',
    });
    expect(response.status).toBe(400);
    expect(response.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(await response.json()).toMatchObject({ message: expect.stringMatching(/PutTargets is not supported/) });
  });
});
