import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { ApprovalNotifier, Notifier } from '../../ports.ts';
import type { Dedupe } from './stores.ts';
import { visibleLines } from '../../core/text.ts';
import { onceOrGiveBack } from '../../core/once.ts';

/** SNS Subject: printable ASCII, at most 100 characters, no line breaks or control characters. */
export const SUBJECT_MAX = 100;
/** SNS accepts at most 10 message attributes. */
export const MAX_ATTRIBUTES = 10;
/** How long one ops message key silences its repeats (duplicated events, event and reconciler racing). */
export const DEFAULT_DEDUPE_SECONDS = 6 * 3600;

/**
 * A Subject SNS accepts: one line of printable ASCII (accents dropped, other characters as '?'), starting
 * with a visible character, at most 100 characters ('...' marks a cut).
 */
export function toSubject(subject: string): string {
  const ascii = subject
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/[^\x20-\x7e]/g, '?');
  const line = ascii.replace(/ +/g, ' ').trim();
  return line.length <= SUBJECT_MAX ? line : `${line.slice(0, SUBJECT_MAX - 3).trimEnd()}...`;
}

function toAttributes(attributes: Record<string, string> | undefined): Record<string, MessageAttributeValue> | undefined {
  const entries = Object.entries(attributes ?? {}).filter(([k, v]) => k !== '' && v !== '');
  if (entries.length === 0) return undefined;
  return Object.fromEntries(entries.slice(0, MAX_ATTRIBUTES).map(([k, v]) => [k, { DataType: 'String', StringValue: v }]));
}

export interface NotifierOptions {
  client: SNSClient;
  opsTopicArn: string;
  dedupe: Dedupe;
  /** Default DEFAULT_DEDUPE_SECONDS. */
  dedupeSeconds?: number;
}

/**
 * Notifier on SNS: one message per `key` (a dedupe marker taken before publishing; a publish that fails
 * gives the key back so a retry sends it), published to the ops topic.
 */
export function createNotifier(opts: NotifierOptions): Notifier {
  const ttl = opts.dedupeSeconds ?? DEFAULT_DEDUPE_SECONDS;
  return {
    async ops(message) {
      const subject = toSubject(message.subject);
      const attributes = toAttributes(message.attributes);
      await onceOrGiveBack(opts, `ops#${message.key}`, ttl, async () => {
        await opts.client.send(
          new PublishCommand({
            TopicArn: opts.opsTopicArn,
            // an e-mail body is read in terminals and mail clients: names in it show control characters escaped
            Message: message.text === '' ? subject || message.key : visibleLines(message.text),
            ...(subject ? { Subject: subject } : {}),
            ...(attributes ? { MessageAttributes: attributes } : {}),
          }),
        );
      });
    },
  };
}

/**
 * Approval requests and reminders on SNS: published to the approvals topic (the ops topic when none is
 * configured), one message per key, with the `approver` attribute that subscription filter policies route on
 * (`{"approver": ["alice@example.com", "any"]}` gets Alice her own links and the gates that name nobody).
 */
export function createApprovalNotifier(opts: NotifierOptions & { approvalTopicArn?: string }): ApprovalNotifier {
  const ttl = opts.dedupeSeconds ?? DEFAULT_DEDUPE_SECONDS;
  return {
    async approval(message) {
      const subject = toSubject(message.subject);
      const attributes = toAttributes({ approver: message.approver, ...message.attributes });
      await onceOrGiveBack(opts, `approval#${message.key}`, ttl, async () => {
        await opts.client.send(
          new PublishCommand({
            TopicArn: opts.approvalTopicArn ?? opts.opsTopicArn,
            Message: visibleLines(message.text),
            ...(subject ? { Subject: subject } : {}),
            ...(attributes ? { MessageAttributes: attributes } : {}),
          }),
        );
      });
    },
  };
}
