import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  InvalidParameterException,
  InvalidParameterValueException,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  NotFoundException,
  PublishCommand,
  SNSClient,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
} from '@aws-sdk/client-sns';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LambdaInvoker } from '../../../../src/local/cloud/lambda-types.ts';
import { LocalSns } from '../../../../src/local/cloud/sns/index.ts';
import { VirtualClock } from '../../../../src/local/emulator/clock.ts';
import { LOCAL_CLIENT, type LocalServer, serveLocal } from '../../../helpers/local-server.ts';

const START = Date.parse('2026-06-13T02:00:00Z');

describe('LocalSns through @aws-sdk/client-sns', () => {
  let clock: VirtualClock;
  let sns: LocalSns;
  let server: LocalServer;
  let client: SNSClient;

  beforeEach(async () => {
    clock = new VirtualClock({ start: START, scale: 1, manual: true });
    sns = new LocalSns({ clock });
    server = await serveLocal(sns);
    client = new SNSClient({ ...LOCAL_CLIENT, endpoint: server.endpoint });
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const topic = async (name = 'mgn-flow-dev-approvals') => (await client.send(new CreateTopicCommand({ Name: name }))).TopicArn as string;
  const subscribe = async (TopicArn: string, Endpoint: string, filter?: object, Protocol = 'email') =>
    (
      await client.send(
        new SubscribeCommand({
          TopicArn,
          Protocol,
          Endpoint,
          ...(filter ? { Attributes: { FilterPolicy: JSON.stringify(filter), FilterPolicyScope: 'MessageAttributes' } } : {}),
          ReturnSubscriptionArn: true,
        }),
      )
    ).SubscriptionArn as string;

  describe('topics', () => {
    it('creates a topic idempotently by name and lists it', async () => {
      const a = await topic();
      expect(a).toBe('arn:aws:sns:us-east-1:111122223333:mgn-flow-dev-approvals');
      expect(await topic()).toBe(a);
      await topic('mgn-flow-dev-ops');
      const { Topics } = await client.send(new ListTopicsCommand({}));
      expect(Topics).toEqual([{ TopicArn: a }, { TopicArn: 'arn:aws:sns:us-east-1:111122223333:mgn-flow-dev-ops' }]);
    });

    it('refuses the same name with different attributes, and a bad name', async () => {
      await client.send(new CreateTopicCommand({ Name: 't', Attributes: { DisplayName: 'one' } }));
      await expect(client.send(new CreateTopicCommand({ Name: 't', Attributes: { DisplayName: 'two' } }))).rejects.toThrow(
        InvalidParameterException,
      );
      await expect(client.send(new CreateTopicCommand({ Name: 'bad name!' }))).rejects.toThrow(InvalidParameterException);
    });

    it('shows topic attributes, and deleting a topic removes it and its subscriptions', async () => {
      const arn = await topic();
      await subscribe(arn, 'ops@example.com');
      const { Attributes } = await client.send(new GetTopicAttributesCommand({ TopicArn: arn }));
      expect(Attributes).toMatchObject({ TopicArn: arn, Owner: '111122223333', SubscriptionsConfirmed: '1' });
      await client.send(new DeleteTopicCommand({ TopicArn: arn }));
      await expect(client.send(new GetTopicAttributesCommand({ TopicArn: arn }))).rejects.toThrow(NotFoundException);
      await expect(client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }))).rejects.toThrow(NotFoundException);
    });
  });

  describe('subscriptions', () => {
    it('confirms an email subscription at once and lists it by topic', async () => {
      const arn = await topic();
      const sub = await subscribe(arn, 'approver@example.com');
      expect(sub).toMatch(/^arn:aws:sns:us-east-1:111122223333:mgn-flow-dev-approvals:[0-9a-f-]{36}$/);
      const { Subscriptions } = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
      expect(Subscriptions).toEqual([
        { SubscriptionArn: sub, Owner: '111122223333', Protocol: 'email', Endpoint: 'approver@example.com', TopicArn: arn },
      ]);
      const { Attributes } = await client.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: sub }));
      expect(Attributes).toMatchObject({ PendingConfirmation: 'false', Protocol: 'email' });
    });

    it('returns the same subscription for the same endpoint, and refuses it with other attributes', async () => {
      const arn = await topic();
      const sub = await subscribe(arn, 'a@example.com', { gate: ['finalize'] });
      expect(await subscribe(arn, 'a@example.com', { gate: ['finalize'] })).toBe(sub);
      await expect(subscribe(arn, 'a@example.com', { gate: ['sign-off'] })).rejects.toThrow(/already exists with different attributes/);
    });

    it('refuses an unknown topic (NotFound), protocol, endpoint or filter policy (InvalidParameter)', async () => {
      const arn = await topic();
      await expect(subscribe(`${arn}-nope`, 'a@example.com')).rejects.toThrow(NotFoundException);
      await expect(subscribe(arn, 'a@example.com', undefined, 'carrier-pigeon')).rejects.toThrow(InvalidParameterException);
      await expect(subscribe(arn, 'not-an-address')).rejects.toThrow(InvalidParameterException);
      const err = await subscribe(arn, 'a@example.com', { gate: 'finalize' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InvalidParameterException);
      expect((err as Error).message).toMatch(/^Invalid parameter: Attributes Reason: FilterPolicy: gate/);
    });

    it('unsubscribes, and answers NotFound for an unknown subscription', async () => {
      const arn = await topic();
      const sub = await subscribe(arn, 'a@example.com');
      await client.send(new UnsubscribeCommand({ SubscriptionArn: sub }));
      expect((await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }))).Subscriptions).toEqual([]);
      await expect(client.send(new UnsubscribeCommand({ SubscriptionArn: sub }))).rejects.toThrow(NotFoundException);
    });

    it('lists page by page', async () => {
      const arn = await topic();
      for (let i = 0; i < 120; i++) await subscribe(arn, `a${i}@example.com`);
      const first = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn }));
      expect(first.Subscriptions).toHaveLength(100);
      const second = await client.send(new ListSubscriptionsByTopicCommand({ TopicArn: arn, NextToken: first.NextToken }));
      expect(second.Subscriptions).toHaveLength(20);
      expect(second.NextToken).toBeUndefined();
    });
  });

  describe('Publish and the outbox', () => {
    it('puts the message in the outbox of each subscription whose filter policy matches', async () => {
      const arn = await topic();
      const finalizeSub = await subscribe(arn, 'finalizer@example.com', { gate: ['finalize'] });
      const allSub = await subscribe(arn, 'ops@example.com');
      await subscribe(arn, 'big@example.com', { servers: [{ numeric: ['>=', 10] }] });
      clock.advance(90);
      const { MessageId } = await client.send(
        new PublishCommand({
          TopicArn: arn,
          Subject: 'Finalize wave-1 / app-a?',
          Message: 'Open https://approvals.local/approvals/abc?sig=xyz',
          MessageAttributes: {
            gate: { DataType: 'String', StringValue: 'finalize' },
            servers: { DataType: 'Number', StringValue: '3' },
            approvers: { DataType: 'String.Array', StringValue: '["finalizer@example.com"]' },
          },
        }),
      );
      expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
      const outbox = sns.outbox();
      expect(outbox.map((e) => e.endpoint)).toEqual(['finalizer@example.com', 'ops@example.com']);
      expect(outbox[0]).toEqual({
        seq: 1,
        messageId: MessageId,
        topicArn: arn,
        subscriptionArn: finalizeSub,
        endpoint: 'finalizer@example.com',
        protocol: 'email',
        subject: 'Finalize wave-1 / app-a?',
        message: 'Open https://approvals.local/approvals/abc?sig=xyz',
        attributes: {
          gate: { DataType: 'String', StringValue: 'finalize' },
          servers: { DataType: 'Number', StringValue: '3' },
          approvers: { DataType: 'String.Array', StringValue: '["finalizer@example.com"]' },
        },
        at: '2026-06-13T02:01:30.000Z',
        payload: 'Open https://approvals.local/approvals/abc?sig=xyz',
        delivery: 'recorded',
      });
      expect(outbox[1]?.subscriptionArn).toBe(allSub);
      expect(sns.outbox({ endpoint: 'ops@example.com' })).toHaveLength(1);
      expect(sns.unmatched()).toEqual([]);
    });

    it('applies a filter policy changed with SetSubscriptionAttributes', async () => {
      const arn = await topic();
      const sub = await subscribe(arn, 'a@example.com', { gate: ['finalize'] });
      await client.send(
        new SetSubscriptionAttributesCommand({ SubscriptionArn: sub, AttributeName: 'FilterPolicy', AttributeValue: '{"gate":[{"prefix":"sign"}]}' }),
      );
      await client.send(new PublishCommand({ TopicArn: arn, Message: 'm1', MessageAttributes: { gate: { DataType: 'String', StringValue: 'sign-off' } } }));
      await client.send(new PublishCommand({ TopicArn: arn, Message: 'm2', MessageAttributes: { gate: { DataType: 'String', StringValue: 'finalize' } } }));
      expect(sns.outbox().map((e) => e.message)).toEqual(['m1']);
      expect(sns.unmatched()).toMatchObject([{ message: 'm2', reason: 'filtered-out' }]);
      await expect(
        client.send(new SetSubscriptionAttributesCommand({ SubscriptionArn: sub, AttributeName: 'FilterPolicy', AttributeValue: '{"gate":"x"}' })),
      ).rejects.toThrow(InvalidParameterException);
    });

    it('records a message published to a topic without subscriptions', async () => {
      const arn = await topic('mgn-flow-dev-ops');
      await client.send(new PublishCommand({ TopicArn: arn, Message: 'stalled', Subject: 'Replication stalled' }));
      expect(sns.outbox()).toEqual([]);
      expect(sns.unmatched()).toMatchObject([{ topicArn: arn, message: 'stalled', subject: 'Replication stalled', reason: 'no-subscriptions', at: '2026-06-13T02:00:00.000Z' }]);
    });

    it('answers NotFound for an unknown topic', async () => {
      const err = await client.send(new PublishCommand({ TopicArn: 'arn:aws:sns:us-east-1:111122223333:nope', Message: 'x' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NotFoundException);
      expect((err as NotFoundException).message).toBe('Topic does not exist');
      expect((err as NotFoundException).$metadata.httpStatusCode).toBe(404);
    });

    it('refuses an empty message, a bad subject and bad message attributes', async () => {
      const arn = await topic();
      await expect(client.send(new PublishCommand({ TopicArn: arn, Message: '' }))).rejects.toThrow(/Empty message/);
      await expect(client.send(new PublishCommand({ TopicArn: arn, Message: 'x', Subject: 'two\nlines' }))).rejects.toThrow(InvalidParameterException);
      await expect(
        client.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageAttributes: { n: { DataType: 'Number', StringValue: 'many' } } })),
      ).rejects.toThrow(InvalidParameterValueException);
      await expect(
        client.send(new PublishCommand({ TopicArn: arn, Message: 'x', MessageAttributes: { n: { DataType: 'Text', StringValue: 'a' } } })),
      ).rejects.toThrow(InvalidParameterValueException);
    });

    it('sends each protocol its message with MessageStructure json, and email-json the JSON notification', async () => {
      const arn = await topic();
      await subscribe(arn, 'a@example.com');
      await subscribe(arn, 'b@example.com', undefined, 'email-json');
      await client.send(
        new PublishCommand({ TopicArn: arn, MessageStructure: 'json', Message: JSON.stringify({ default: 'plain', email: 'for email' }), Subject: 'S' }),
      );
      const [email, json] = sns.outbox();
      expect(email?.message).toBe('for email');
      expect(json?.message).toBe('plain');
      expect(JSON.parse(json?.payload as string)).toMatchObject({ Type: 'Notification', TopicArn: arn, Subject: 'S', Message: 'plain' });
    });

    it('invokes a lambda subscription with the SNS event and tells listeners', async () => {
      const events: unknown[] = [];
      const lambda: LambdaInvoker = {
        resolve: (ref) => (ref === 'arn:aws:lambda:us-east-1:111122223333:function:mgn-flow-dev-notify' ? 'notify' : undefined),
        invoke: async (_key, event) => {
          events.push(event);
        },
      };
      sns.connect({ lambda });
      const seen: string[] = [];
      sns.onMessage((e) => seen.push(e.endpoint));
      const arn = await topic();
      const sub = await subscribe(arn, 'arn:aws:lambda:us-east-1:111122223333:function:mgn-flow-dev-notify', undefined, 'lambda');
      await client.send(new PublishCommand({ TopicArn: arn, Message: 'hi', MessageAttributes: { gate: { DataType: 'String', StringValue: 'x' } } }));
      await sns.drain();
      expect(events).toMatchObject([
        {
          Records: [
            {
              EventSource: 'aws:sns',
              EventSubscriptionArn: sub,
              Sns: { Type: 'Notification', TopicArn: arn, Message: 'hi', MessageAttributes: { gate: { Type: 'String', Value: 'x' } } },
            },
          ],
        },
      ]);
      expect(sns.outbox()[0]?.delivery).toBe('delivered');
      expect(seen).toEqual(['arn:aws:lambda:us-east-1:111122223333:function:mgn-flow-dev-notify']);
    });
  });
});
