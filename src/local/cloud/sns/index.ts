import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { LambdaInvoker } from '../lambda-types.ts';
import { AwsError, type LocalRequest, type LocalService, header, pageOf } from '../protocol.ts';
import {
  type FilterPolicy,
  FilterPolicyError,
  type FilterPolicyScope,
  type MessageAttribute,
  matchesFilterPolicy,
  parseFilterPolicy,
} from './filter-policy.ts';
import { type Xml, readEntries, readMembers, readStringMap, sendQueryError, sendQueryResult, xmlMap } from './query.ts';

export { matchesFilterPolicy, parseFilterPolicy, FilterPolicyError } from './filter-policy.ts';
export type { FilterPolicy, FilterPolicyScope, MessageAttribute } from './filter-policy.ts';

/**
 * SNS stand-in (awsQuery, the protocol `@aws-sdk/client-sns` speaks): topics, subscriptions (confirmed at once
 * locally) with filter policies, Publish, and an OUTBOX of every message each subscription received. Nothing
 * leaves the machine: email and http(s) deliveries are only recorded; lambda subscriptions invoke the handler
 * in-process with the SNS event.
 */

export const SUBSCRIPTION_PROTOCOLS = ['email', 'email-json', 'http', 'https', 'lambda', 'sqs'] as const;
export type SubscriptionProtocol = (typeof SUBSCRIPTION_PROTOCOLS)[number];

/** One message as one subscription received it. */
export interface OutboxEntry {
  /** Order of delivery in this outbox, from 1. */
  seq: number;
  messageId: string;
  topicArn: string;
  subscriptionArn: string;
  endpoint: string;
  protocol: SubscriptionProtocol;
  subject?: string;
  /** The message text for this protocol (MessageStructure json resolved). */
  message: string;
  attributes: Record<string, MessageAttribute>;
  /** Simulated time, ISO. */
  at: string;
  /** The body the endpoint gets: the text for email, the JSON notification for email-json/http(s)/sqs, the event for lambda. */
  payload: unknown;
  /** recorded: kept here only (email, http(s), sqs); delivered / failed: the lambda handler's outcome. */
  delivery: 'recorded' | 'delivered' | 'failed';
  error?: string;
}

/** A published message no subscription received. */
export interface UnmatchedMessage {
  seq: number;
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  attributes: Record<string, MessageAttribute>;
  at: string;
  /** no-subscriptions: the topic has none; filtered-out: every subscription's filter policy refused it. */
  reason: 'no-subscriptions' | 'filtered-out';
}

export interface LocalSnsOptions {
  /** Simulated time (ms): the local cloud's clock. Default: wall clock. */
  clock?: { now(): number };
  lambda?: LambdaInvoker;
  region?: string;
  accountId?: string;
  /** Topics that exist from the start (names), as a deployed stack's AWS::SNS::Topic resources. */
  topics?: string[];
}

interface Topic {
  arn: string;
  name: string;
  attributes: Record<string, string>;
  tags: Record<string, string>;
}

interface Subscription {
  arn: string;
  topicArn: string;
  protocol: SubscriptionProtocol;
  endpoint: string;
  attributes: Record<string, string>;
  policy?: FilterPolicy;
  scope: FilterPolicyScope;
}

const SNS_VERSION = '2010-03-31';
const TOPIC_NAME = /^[A-Za-z0-9_-]{1,256}$/;
const MAX_MESSAGE_BYTES = 256 * 1024;
const SUBSCRIPTION_ATTRIBUTES = new Set([
  'DeliveryPolicy',
  'FilterPolicy',
  'FilterPolicyScope',
  'RawMessageDelivery',
  'RedrivePolicy',
  'SubscriptionRoleArn',
  'ReplayPolicy',
]);
const ENDPOINT_FORMS: Record<SubscriptionProtocol, RegExp> = {
  email: /^[^@\s]+@[^@\s]+$/,
  'email-json': /^[^@\s]+@[^@\s]+$/,
  http: /^http:\/\/\S+$/,
  https: /^https:\/\/\S+$/,
  lambda: /^arn:aws[a-z-]*:lambda:[^:]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/,
  sqs: /^arn:aws[a-z-]*:sqs:[^:]+:\d{12}:[A-Za-z0-9_.-]+$/,
};

const invalidParameter = (message: string) => new AwsError('InvalidParameter', `Invalid parameter: ${message}`, 400);
const invalidValue = (message: string) => new AwsError('ParameterValueInvalid', message, 400);
const notFound = (message: string) => new AwsError('NotFound', message, 404);

function signingService(req: LocalRequest): string | undefined {
  return /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\/aws4_request/.exec(header(req, 'authorization') ?? '')?.[1];
}

export class LocalSns implements LocalService {
  readonly name = 'sns';
  private readonly topics = new Map<string, Topic>();
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly delivered: OutboxEntry[] = [];
  private readonly unmatchedMessages: UnmatchedMessage[] = [];
  private readonly listeners = new Set<(entry: OutboxEntry) => void>();
  private readonly inflight = new Set<Promise<void>>();
  private readonly clock: { now(): number };
  private readonly region: string;
  private readonly accountId: string;
  private lambda: LambdaInvoker | undefined;
  private seq = 0;

  constructor(opts: LocalSnsOptions = {}) {
    this.clock = opts.clock ?? { now: () => Date.now() };
    this.region = opts.region ?? 'us-east-1';
    this.accountId = opts.accountId ?? '111122223333';
    this.lambda = opts.lambda;
    for (const name of opts.topics ?? []) this.createTopic(name, {}, {});
  }

  /** Wire the in-process Lambda runtime once it exists. */
  connect(targets: { lambda?: LambdaInvoker }): void {
    if (targets.lambda) this.lambda = targets.lambda;
  }

  topicArn(name: string): string {
    return `arn:aws:sns:${this.region}:${this.accountId}:${name}`;
  }

  /** Every message each subscription received, in delivery order (the local `GET /_outbox`). */
  outbox(filter: { topicArn?: string; endpoint?: string; protocol?: string; afterSeq?: number } = {}): OutboxEntry[] {
    return this.delivered.filter(
      (e) =>
        (filter.topicArn === undefined || e.topicArn === filter.topicArn) &&
        (filter.endpoint === undefined || e.endpoint === filter.endpoint) &&
        (filter.protocol === undefined || e.protocol === filter.protocol) &&
        (filter.afterSeq === undefined || e.seq > filter.afterSeq),
    );
  }

  /** Published messages that no subscription received. */
  unmatched(): UnmatchedMessage[] {
    return [...this.unmatchedMessages];
  }

  /** Called for each outbox entry as it is added; returns an unsubscribe function. */
  onMessage(listener: (entry: OutboxEntry) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves once every lambda delivery started so far has settled. */
  async drain(): Promise<void> {
    while (this.inflight.size > 0) await Promise.allSettled([...this.inflight]);
  }

  matches(req: LocalRequest): boolean {
    if (req.method !== 'POST' || !(header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return false;
    const service = signingService(req);
    if (service !== undefined && service !== 'sns') return false;
    return new URLSearchParams(req.body.toString('utf8')).get('Version') === SNS_VERSION;
  }

  async handle(req: LocalRequest, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(req.body.toString('utf8'));
    const action = params.get('Action') ?? '';
    try {
      const op = this.operations[action];
      if (!op) throw new AwsError('InvalidAction', `The action ${action || '(none)'} is not valid for this endpoint (local SNS).`, 400);
      sendQueryResult(res, action, op(params));
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalError', (err as Error).message, 500);
      sendQueryError(res, e.status, e.type, e.message);
    }
  }

  private readonly operations: Record<string, (p: URLSearchParams) => Xml> = {
    CreateTopic: (p) => ({ TopicArn: this.createTopic(this.required(p, 'Name'), readStringMap(p, 'Attributes'), this.tags(p)).arn }),
    DeleteTopic: (p) => {
      const arn = this.required(p, 'TopicArn');
      this.topics.delete(arn);
      for (const s of this.subscriptions.values()) if (s.topicArn === arn) this.subscriptions.delete(s.arn);
      return undefined;
    },
    ListTopics: (p) => {
      const { page, nextToken } = this.page([...this.topics.values()], p);
      return { Topics: page.map((t) => ({ TopicArn: t.arn })), NextToken: nextToken };
    },
    GetTopicAttributes: (p) => {
      const t = this.topic(this.required(p, 'TopicArn'));
      const subs = [...this.subscriptions.values()].filter((s) => s.topicArn === t.arn);
      return {
        Attributes: xmlMap({
          TopicArn: t.arn,
          Owner: this.accountId,
          DisplayName: '',
          SubscriptionsConfirmed: String(subs.length),
          SubscriptionsPending: '0',
          SubscriptionsDeleted: '0',
          ...t.attributes,
        }),
      };
    },
    Subscribe: (p) => ({ SubscriptionArn: this.subscribe(p).arn }),
    Unsubscribe: (p) => {
      this.subscription(this.required(p, 'SubscriptionArn'));
      this.subscriptions.delete(this.required(p, 'SubscriptionArn'));
      return undefined;
    },
    ListSubscriptionsByTopic: (p) => {
      const t = this.topic(this.required(p, 'TopicArn'));
      const { page, nextToken } = this.page(
        [...this.subscriptions.values()].filter((s) => s.topicArn === t.arn),
        p,
      );
      return { Subscriptions: page.map((s) => this.summary(s)), NextToken: nextToken };
    },
    ListSubscriptions: (p) => {
      const { page, nextToken } = this.page([...this.subscriptions.values()], p);
      return { Subscriptions: page.map((s) => this.summary(s)), NextToken: nextToken };
    },
    GetSubscriptionAttributes: (p) => {
      const s = this.subscription(this.required(p, 'SubscriptionArn'));
      return {
        Attributes: xmlMap({
          SubscriptionArn: s.arn,
          TopicArn: s.topicArn,
          Owner: this.accountId,
          Protocol: s.protocol,
          Endpoint: s.endpoint,
          ConfirmationWasAuthenticated: 'true',
          PendingConfirmation: 'false',
          RawMessageDelivery: 'false',
          ...s.attributes,
        }),
      };
    },
    SetSubscriptionAttributes: (p) => {
      const s = this.subscription(this.required(p, 'SubscriptionArn'));
      const name = this.required(p, 'AttributeName');
      const value = p.get('AttributeValue') ?? '';
      const attributes = { ...s.attributes, [name]: value };
      if (value === '') delete attributes[name];
      Object.assign(s, this.checkSubscriptionAttributes(attributes));
      return undefined;
    },
    Publish: (p) => ({ MessageId: this.publish(p) }),
  };

  private required(p: URLSearchParams, name: string): string {
    const v = p.get(name);
    if (v === null || v === '') throw invalidParameter(`${name} Reason: must be provided`);
    return v;
  }

  private tags(p: URLSearchParams): Record<string, string> {
    return Object.fromEntries(readMembers(p, 'Tags').map((m) => [m.Key ?? '', m.Value ?? '']));
  }

  private page<T>(items: T[], p: URLSearchParams): { page: T[]; nextToken?: string } {
    try {
      return pageOf(items, 100, p.get('NextToken') ?? undefined, 100);
    } catch {
      throw invalidParameter('NextToken');
    }
  }

  private topic(arn: string): Topic {
    const t = this.topics.get(arn);
    if (!t) throw notFound('Topic does not exist');
    return t;
  }

  private subscription(arn: string): Subscription {
    const s = this.subscriptions.get(arn);
    if (!s) throw notFound('Subscription does not exist');
    return s;
  }

  private summary(s: Subscription): Xml {
    return { SubscriptionArn: s.arn, Owner: this.accountId, Protocol: s.protocol, Endpoint: s.endpoint, TopicArn: s.topicArn };
  }

  /** Idempotent by name, as on AWS: the same name and attributes give the same topic. */
  private createTopic(name: string, attributes: Record<string, string>, tags: Record<string, string>): Topic {
    if (!TOPIC_NAME.test(name)) {
      if (name.endsWith('.fifo')) throw invalidParameter('Topic Name Reason: FIFO topics are not supported locally');
      throw invalidParameter('Topic Name Reason: 1 to 256 letters, digits, hyphens or underscores');
    }
    const arn = this.topicArn(name);
    const existing = this.topics.get(arn);
    if (existing) {
      const same = Object.entries(attributes).every(([k, v]) => existing.attributes[k] === v);
      if (!same) throw invalidParameter('Attributes Reason: Topic already exists with different attributes');
      return existing;
    }
    const topic = { arn, name, attributes, tags };
    this.topics.set(arn, topic);
    return topic;
  }

  private checkSubscriptionAttributes(attributes: Record<string, string>): Pick<Subscription, 'attributes' | 'policy' | 'scope'> {
    for (const k of Object.keys(attributes)) {
      if (!SUBSCRIPTION_ATTRIBUTES.has(k)) throw invalidParameter(`AttributeName Reason: unknown attribute ${k}`);
    }
    const scope = (attributes.FilterPolicyScope ?? 'MessageAttributes') as FilterPolicyScope;
    if (scope !== 'MessageAttributes' && scope !== 'MessageBody') {
      throw invalidParameter('Attributes Reason: FilterPolicyScope: Invalid value [' + scope + ']. Please use either MessageBody or MessageAttributes');
    }
    let policy: FilterPolicy | undefined;
    try {
      policy = attributes.FilterPolicy === undefined ? undefined : parseFilterPolicy(attributes.FilterPolicy, scope);
    } catch (err) {
      if (err instanceof FilterPolicyError) throw invalidParameter(`Attributes Reason: FilterPolicy: ${err.message}`);
      throw err;
    }
    return { attributes, scope, ...(policy ? { policy } : {}) };
  }

  private subscribe(p: URLSearchParams): Subscription {
    const topic = this.topic(this.required(p, 'TopicArn'));
    const protocol = this.required(p, 'Protocol') as SubscriptionProtocol;
    if (!(SUBSCRIPTION_PROTOCOLS as readonly string[]).includes(protocol)) {
      throw invalidParameter(`Invalid protocol type: ${protocol} (local SNS supports ${SUBSCRIPTION_PROTOCOLS.join(', ')})`);
    }
    const endpoint = this.required(p, 'Endpoint');
    if (!ENDPOINT_FORMS[protocol].test(endpoint)) throw invalidParameter(`${protocol === 'lambda' || protocol === 'sqs' ? 'Endpoint' : `${protocol} address`}: ${endpoint}`);
    const checked = this.checkSubscriptionAttributes(readStringMap(p, 'Attributes'));
    for (const s of this.subscriptions.values()) {
      if (s.topicArn === topic.arn && s.protocol === protocol && s.endpoint === endpoint) {
        const same =
          Object.keys({ ...s.attributes, ...checked.attributes }).every((k) => s.attributes[k] === checked.attributes[k]);
        if (!same) throw invalidParameter('Attributes Reason: Subscription already exists with different attributes');
        return s;
      }
    }
    // every protocol is confirmed at once locally: the ARN is returned, never "pending confirmation"
    const sub: Subscription = { arn: `${topic.arn}:${randomUUID()}`, topicArn: topic.arn, protocol, endpoint, ...checked };
    this.subscriptions.set(sub.arn, sub);
    return sub;
  }

  private messageAttributes(p: URLSearchParams): Record<string, MessageAttribute> {
    const out: Record<string, MessageAttribute> = {};
    const entries = readEntries(p, 'MessageAttributes', 'Name');
    if (entries.size > 10) throw invalidParameter('MessageAttributes Reason: at most 10 message attributes');
    for (const [name, fields] of entries) {
      const type = fields['Value.DataType'];
      if (!type) throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute type.`);
      const base = type.split('.')[0];
      const string = fields['Value.StringValue'];
      const binary = fields['Value.BinaryValue'];
      if (base !== 'String' && base !== 'Number' && base !== 'Binary') {
        throw invalidValue(`The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`);
      }
      if (base === 'Binary') {
        if (binary === undefined) throw invalidValue(`The message attribute '${name}' with type 'Binary' must use field 'Binary'.`);
        out[name] = { DataType: type, BinaryValue: binary };
        continue;
      }
      if (string === undefined || string === '') throw invalidValue(`The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${type}'.`);
      if (base === 'Number' && !Number.isFinite(Number(string))) {
        throw invalidValue(`Could not cast message attribute '${name}' value to number.`);
      }
      if (type === 'String.Array') {
        let arr: unknown;
        try {
          arr = JSON.parse(string);
        } catch {
          arr = undefined;
        }
        if (!Array.isArray(arr)) throw invalidValue(`The message attribute '${name}' with type 'String.Array' must be a JSON array.`);
      }
      out[name] = { DataType: type, StringValue: string };
    }
    return out;
  }

  private publish(p: URLSearchParams): string {
    if (p.get('PhoneNumber')) throw invalidParameter('PhoneNumber Reason: SMS is not supported locally');
    const topicArn = p.get('TopicArn') || p.get('TargetArn');
    if (!topicArn) throw invalidParameter('TopicArn or TargetArn Reason: no value for required parameter');
    const message = p.get('Message');
    if (message === null || message === '') throw invalidParameter('Empty message');
    const subject = p.get('Subject') ?? undefined;
    if (subject !== undefined && (subject.length === 0 || subject.length > 100 || /[\r\n]/.test(subject) || !/^[\x20-\x7E]+$/.test(subject))) {
      throw invalidParameter('Subject');
    }
    const attributes = this.messageAttributes(p);
    const size = Buffer.byteLength(message) + Object.entries(attributes).reduce((n, [k, a]) => n + k.length + a.DataType.length + (a.StringValue ?? a.BinaryValue ?? '').length, 0);
    if (size > MAX_MESSAGE_BYTES) throw invalidParameter('Message too long');
    let perProtocol: Record<string, unknown> | undefined;
    if (p.get('MessageStructure') === 'json') {
      try {
        perProtocol = JSON.parse(message) as Record<string, unknown>;
      } catch {
        perProtocol = undefined;
      }
      if (!perProtocol || typeof perProtocol.default !== 'string') {
        throw invalidParameter('Message Structure - JSON message body failed to parse or has no "default" string');
      }
    }
    const topic = this.topic(topicArn);
    const messageId = randomUUID();
    const now = this.clock.now();
    const at = new Date(now).toISOString();
    const subs = [...this.subscriptions.values()].filter((s) => s.topicArn === topic.arn);
    let matched = 0;
    for (const s of subs) {
      const text = perProtocol ? String(perProtocol[s.protocol] ?? perProtocol.default) : message;
      if (!matchesFilterPolicy(s.policy, s.scope, { attributes, body: text })) continue;
      matched++;
      this.deliver(s, { messageId, subject, message: text, attributes, at });
    }
    if (matched === 0) {
      this.unmatchedMessages.push({
        seq: ++this.seq,
        messageId,
        topicArn: topic.arn,
        ...(subject !== undefined ? { subject } : {}),
        message,
        attributes,
        at,
        reason: subs.length === 0 ? 'no-subscriptions' : 'filtered-out',
      });
    }
    return messageId;
  }

  private notification(s: Subscription, m: { messageId: string; subject?: string; message: string; attributes: Record<string, MessageAttribute>; at: string }) {
    return {
      Type: 'Notification',
      MessageId: m.messageId,
      TopicArn: s.topicArn,
      ...(m.subject !== undefined ? { Subject: m.subject } : {}),
      Message: m.message,
      Timestamp: m.at,
      SignatureVersion: '1',
      Signature: 'LOCAL',
      SigningCertURL: `https://sns.${this.region}.amazonaws.com/SimpleNotificationService-local.pem`,
      UnsubscribeURL: `https://sns.${this.region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(s.arn)}`,
      ...(Object.keys(m.attributes).length
        ? { MessageAttributes: Object.fromEntries(Object.entries(m.attributes).map(([k, a]) => [k, { Type: a.DataType, Value: a.StringValue ?? a.BinaryValue }])) }
        : {}),
    };
  }

  private deliver(s: Subscription, m: { messageId: string; subject?: string; message: string; attributes: Record<string, MessageAttribute>; at: string }): void {
    const envelope = this.notification(s, m);
    let payload: unknown;
    if (s.protocol === 'email') payload = m.message;
    else if (s.protocol === 'lambda') {
      payload = { Records: [{ EventSource: 'aws:sns', EventVersion: '1.0', EventSubscriptionArn: s.arn, Sns: envelope }] };
    } else payload = s.attributes.RawMessageDelivery === 'true' ? m.message : JSON.stringify(envelope);
    const entry: OutboxEntry = {
      seq: ++this.seq,
      messageId: m.messageId,
      topicArn: s.topicArn,
      subscriptionArn: s.arn,
      endpoint: s.endpoint,
      protocol: s.protocol,
      ...(m.subject !== undefined ? { subject: m.subject } : {}),
      message: m.message,
      attributes: m.attributes,
      at: m.at,
      payload,
      delivery: 'recorded',
    };
    this.delivered.push(entry);
    if (s.protocol === 'lambda') this.invokeLambda(entry);
    for (const l of this.listeners) l(entry);
  }

  private invokeLambda(entry: OutboxEntry): void {
    const p = (async () => {
      const key = this.lambda?.resolve(entry.endpoint);
      if (!this.lambda || key === undefined) throw new Error(`Function not found: ${entry.endpoint}`);
      await this.lambda.invoke(key, entry.payload);
    })().then(
      () => {
        entry.delivery = 'delivered';
      },
      (err: unknown) => {
        entry.delivery = 'failed';
        entry.error = (err as Error).message;
      },
    );
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
  }
}

export function createSns(opts: LocalSnsOptions = {}): LocalSns {
  return new LocalSns(opts);
}
