import { SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNotifier, toSubject } from '../../../src/adapters/aws/notifier.ts';
import { createDedupe, createDocumentClient } from '../../../src/adapters/aws/stores.ts';
import { startGateway } from '../../../src/local/cloud/gateway.ts';
import { type LocalSns, createSns } from '../../../src/local/cloud/sns/index.ts';
import { CREDENTIALS, REGION, localStateTable, manualClock } from './helpers.ts';

describe('createNotifier on the local SNS', () => {
  let local: Awaited<ReturnType<typeof localStateTable>>;
  let sns: LocalSns;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let client: SNSClient;
  let topicArn: string;
  const clock = manualClock();

  beforeAll(async () => {
    local = await localStateTable();
    sns = createSns({ topics: ['mgn-flow-test-ops'] });
    gw = await startGateway([sns]);
    client = new SNSClient({ region: REGION, endpoint: gw.endpoint, credentials: CREDENTIALS });
    topicArn = sns.topicArn('mgn-flow-test-ops');
    await client.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'email', Endpoint: 'ops@example.com' }));
  });
  afterAll(async () => {
    client.destroy();
    await gw.close();
    await local.close();
  });

  const notifier = (dedupeSeconds?: number) =>
    createNotifier({ client, opsTopicArn: topicArn, dedupe: createDedupe(createDocumentClient(local.client), local.table, clock), ...(dedupeSeconds ? { dedupeSeconds } : {}) });

  it('publishes once per key: the same key twice (and ten times at once) gives one outbox message', async () => {
    const n = notifier();
    const message = { subject: 'Replication stalled: s-1', text: 'Data replication of s-1 stalled.', key: 'stall#s-1#1', attributes: { kind: 'stall', server: 's-1' } };
    await n.ops(message);
    await n.ops(message);
    await Promise.all(Array.from({ length: 10 }, () => n.ops(message)));
    const out = sns.outbox({ topicArn }).filter((e) => e.subject === 'Replication stalled: s-1');
    expect(out).toHaveLength(1);
    expect(out[0]).toMatchObject({
      endpoint: 'ops@example.com',
      message: 'Data replication of s-1 stalled.',
      attributes: { kind: { DataType: 'String', StringValue: 'stall' }, server: { DataType: 'String', StringValue: 's-1' } },
    });
    await n.ops({ ...message, key: 'stall#s-1#2' });
    expect(sns.outbox({ topicArn }).filter((e) => e.subject === 'Replication stalled: s-1')).toHaveLength(2);
  });

  it('sends the same key again once its dedupe window has passed', async () => {
    const n = notifier(60);
    const message = { subject: 'Held: outside the cutover window', text: 'app-1 is held.', key: 'hold#app-1' };
    await n.ops(message);
    clock.advance(59);
    await n.ops(message);
    clock.advance(1);
    await n.ops(message);
    expect(sns.outbox({ topicArn }).filter((e) => e.subject === message.subject)).toHaveLength(2);
  });

  it('sends a Subject SNS accepts: one line, at most 100 characters', async () => {
    const n = notifier();
    await n.ops({ subject: `Launch failed:\n${'x'.repeat(200)}`, text: 'body', key: 'long-subject' });
    const [entry] = sns.outbox({ topicArn }).filter((e) => e.message === 'body');
    expect(entry?.subject).toHaveLength(100);
    expect(entry?.subject?.endsWith('...')).toBe(true);
    expect(entry?.subject).not.toMatch(/[\r\n]/);
    expect(entry?.subject?.startsWith('Launch failed: xxx')).toBe(true);
  });

  it('gives the key back when the publish fails, so a retry sends the message', async () => {
    const broken = createNotifier({ client, opsTopicArn: sns.topicArn('no-such-topic'), dedupe: createDedupe(createDocumentClient(local.client), local.table, clock) });
    const message = { subject: 'Gate timed out', text: 'go/no-go for app-2 expired', key: 'gate-timeout#app-2' };
    await expect(broken.ops(message)).rejects.toMatchObject({ name: 'NotFoundException' });
    await notifier().ops(message);
    expect(sns.outbox({ topicArn }).filter((e) => e.subject === 'Gate timed out')).toHaveLength(1);
  });
});

describe('toSubject', () => {
  it('joins lines, keeps printable ASCII only and at most 100 characters', () => {
    expect(toSubject('  a\r\nb\tc\u0007 ')).toBe('a b c');
    expect(toSubject('Réplication bloquée — s-1')).toBe('Replication bloquee ? s-1');
    expect(toSubject('é'.repeat(150))).toBe(`${'e'.repeat(97)}...`);
    expect(toSubject('short')).toBe('short');
  });
});
