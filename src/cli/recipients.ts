import type { Wave } from '../core/wave-file.ts';
import { APPROVER_KEYS, type ApproverKey, gateWords, gatesOf } from '../core/lifecycle.ts';

/**
 * Who receives a wave's messages. The approval requests go to the approvals topic with the `approver`
 * message attribute (the address, or `any` for a gate that names nobody); each approver's e-mail
 * subscription carries the filter policy `{"approver": [address, "any"]}`, as the deployed stack's
 * (deploy/serverless-plugin.js). On the local cloud the CLI subscribes the people a wave names in the same
 * way; on any target it checks that each gate's request would reach someone.
 */

/** The filter policy of an approver's subscription: their own links, and the gates that name nobody. */
export function approverFilterPolicy(address: string): { approver: string[] } {
  return { approver: [address, 'any'] };
}

/**
 * The gates a list of approvers decides, in words: "test sign-off (and test failure)" (the failure gates ask
 * the approvers of the launch that failed).
 */
function listWords(key: ApproverKey): string {
  const [first, ...more] = gatesOf(key).map(gateWords);
  return `${first?.label ?? key}${more.length ? ` (and ${more.map((w) => w.label).join(', ')})` : ''}`;
}

export interface TopicSubscription {
  endpoint: string;
  protocol: string;
  /** false while an e-mail subscription waits for its "Confirm subscription" click. */
  confirmed: boolean;
  filterPolicy?: Record<string, unknown>;
}

/** The people a wave names: every approver, and ops. */
export function peopleOf(wave: Wave): { approvers: string[]; ops: string[] } {
  return { approvers: [...new Set(APPROVER_KEYS.flatMap((k) => wave.approvers[k]))], ops: [...new Set(wave.ops ?? [])] };
}

/**
 * The gates whose request would reach nobody: for each value of `approver` a gate's messages carry, no
 * confirmed subscription whose filter policy lets it through. `matches` is SNS's filter-policy matching.
 */
export function unreachedGates(
  wave: Wave,
  subscriptions: readonly TopicSubscription[],
  matches: (policy: Record<string, unknown> | undefined, attributes: Record<string, string>) => boolean,
): { list: keyof Wave['approvers']; approver: string; message: string }[] {
  const out: { list: keyof Wave['approvers']; approver: string; message: string }[] = [];
  const live = subscriptions.filter((s) => s.confirmed);
  for (const list of APPROVER_KEYS) {
    const asked = wave.approvers[list];
    for (const approver of asked.length ? asked : ['any']) {
      // the attributes a request carries (approvals.ts): a policy may filter on any of them
      const messages = gatesOf(list).flatMap((gate) => wave.applications.map((a) => ({ approver, gate, application: a.name, wave: wave.name, kind: 'request' })));
      if (messages.every((m) => live.some((s) => matches(s.filterPolicy, m)))) continue;
      const pending = subscriptions.filter((s) => !s.confirmed && matches(s.filterPolicy, { approver })).map((s) => s.endpoint);
      const what = approver === 'any' ? `the ${listWords(list)} requests (the wave names no ${list} approver: they go out as approver=any)` : `the ${listWords(list)} requests for ${approver}`;
      out.push({
        list,
        approver,
        message: pending.length
          ? `nobody would receive ${what} yet: ${pending.join(', ')} has not confirmed the subscription (the "Confirm subscription" e-mail)`
          : `nobody would receive ${what}: no subscription to the approvals topic lets approver=${approver} through; ${approver === 'any' ? `name ${list} approvers in the wave file, or subscribe someone without a filter policy` : `subscribe ${approver} with the filter policy ${JSON.stringify(approverFilterPolicy(approver))} (the approverEmails stage parameter)`}`,
      });
    }
  }
  return out;
}

/**
 * Before a wave starts: on the local cloud, subscribe the people it names (approvers with their filter
 * policy, ops to the ops topic; e-mail, confirmed at once, delivered to the outbox); on any target, say which
 * gates' requests would reach nobody, and whether anyone gets the ops messages.
 */
export async function prepareRecipients(wave: Wave, opts: { local: boolean; topics?: { approvals?: string | undefined; ops?: string | undefined } }): Promise<{ subscribed: string[]; warnings: string[] }> {
  const { SNSClient, SubscribeCommand, ListSubscriptionsByTopicCommand, GetSubscriptionAttributesCommand } = await import('@aws-sdk/client-sns');
  const { matchesFilterPolicy } = await import('../local/cloud/sns/filter-policy.ts');
  // the stack's topics (found through DescribeStacks, or their variables)
  const opsTopic = opts.topics?.ops ?? process.env.OPS_TOPIC_ARN;
  const approvalTopic = opts.topics?.approvals ?? process.env.APPROVAL_TOPIC_ARN ?? opsTopic;
  if (!approvalTopic) return { subscribed: [], warnings: ['no approvals topic is configured (APPROVAL_TOPIC_ARN, OPS_TOPIC_ARN): nobody would receive an approval request'] };
  const sns = new SNSClient({});
  try {
    const people = peopleOf(wave);
    const subscribed: string[] = [];
    if (opts.local) {
      for (const person of people.approvers) {
        await sns.send(new SubscribeCommand({ TopicArn: approvalTopic, Protocol: 'email', Endpoint: person, Attributes: { FilterPolicy: JSON.stringify(approverFilterPolicy(person)) }, ReturnSubscriptionArn: true }));
        subscribed.push(person);
      }
      if (opsTopic) {
        for (const person of people.ops) {
          await sns.send(new SubscribeCommand({ TopicArn: opsTopic, Protocol: 'email', Endpoint: person, ReturnSubscriptionArn: true }));
          subscribed.push(`${person} (ops)`);
        }
      }
    }
    const list = async (topic: string): Promise<TopicSubscription[]> => {
      const out: TopicSubscription[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn: topic, ...(nextToken ? { NextToken: nextToken } : {}) }));
        for (const sub of page.Subscriptions ?? []) {
          const arn = sub.SubscriptionArn ?? '';
          const confirmed = arn.startsWith('arn:');
          let filterPolicy: Record<string, unknown> | undefined;
          if (confirmed) {
            const attrs = (await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: arn }))).Attributes ?? {};
            if (attrs.FilterPolicy && (attrs.FilterPolicyScope ?? 'MessageAttributes') === 'MessageAttributes') filterPolicy = JSON.parse(attrs.FilterPolicy) as Record<string, unknown>;
            if (attrs.PendingConfirmation === 'true') out.push({ endpoint: sub.Endpoint ?? '', protocol: sub.Protocol ?? '', confirmed: false, ...(filterPolicy ? { filterPolicy } : {}) });
            else out.push({ endpoint: sub.Endpoint ?? '', protocol: sub.Protocol ?? '', confirmed: true, ...(filterPolicy ? { filterPolicy } : {}) });
          } else out.push({ endpoint: sub.Endpoint ?? '', protocol: sub.Protocol ?? '', confirmed: false });
        }
        nextToken = page.NextToken;
      } while (nextToken);
      return out;
    };
    const matches = (policy: Record<string, unknown> | undefined, attributes: Record<string, string>) =>
      matchesFilterPolicy(policy, 'MessageAttributes', { attributes: Object.fromEntries(Object.entries(attributes).map(([k, v]) => [k, { DataType: 'String', StringValue: v }])), body: '' });
    const warnings = unreachedGates(wave, await list(approvalTopic), matches).map((u) => u.message);
    if (opsTopic && !(await list(opsTopic)).some((s) => s.confirmed)) {
      warnings.push(`nobody receives the ops messages (holds, failures, escalations): ${opts.local ? "name ops in the wave file (ops: [ops@example.com])" : 'subscribe ops to the ops topic (the opsEmails stage parameter)'}`);
    }
    return { subscribed, warnings };
  } finally {
    sns.destroy();
  }
}
