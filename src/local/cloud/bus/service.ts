import type { ServerResponse } from 'node:http';
import { AwsError, type LocalRequest, type LocalService, handleJsonProtocol, jsonTarget, optionalString, pageOf, requireString } from '../protocol.ts';
import type { BusEvent, LocalBus, PutEventsRequestEntry } from './bus.ts';
import { matches, parsePattern } from './matcher.ts';

/** EventBridge speaks awsJson1_1: `X-Amz-Target: AWSEvents.<Operation>`. */
export const EVENTBRIDGE_TARGET_PREFIX = 'AWSEvents';
const CONTENT_TYPE = 'application/x-amz-json-1.1';
/** The SDK looks modeled errors up in this namespace (InvalidEventPatternException, ResourceNotFoundException). */
const NAMESPACE = 'com.amazonaws.eventbridge';
const RULE_NAME = /^[.\-_A-Za-z0-9]{1,64}$/;

function busNameOk(bus: LocalBus, input: Record<string, unknown>): void {
  const name = optionalString(input, 'EventBusName');
  if (name === undefined || name === 'default' || name === `arn:aws:events:${bus.region}:${bus.accountId}:event-bus/default`) return;
  throw new AwsError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
}

function describe(bus: LocalBus, name: string) {
  const rule = bus.getRule(name);
  if (!rule) throw new AwsError('ResourceNotFoundException', `Rule ${name} does not exist on EventBus default.`);
  return {
    Name: rule.name,
    Arn: bus.ruleArn(rule.name),
    EventPattern: JSON.stringify(rule.pattern),
    State: rule.state ?? 'ENABLED',
    ...(rule.description ? { Description: rule.description } : {}),
    EventBusName: 'default',
  };
}

/**
 * The local EventBridge endpoint: PutEvents (what the product uses), plus PutRule, DescribeRule, ListRules,
 * DeleteRule and TestEventPattern. Rules made with PutRule have no target (PutTargets is not implemented):
 * routed rules come from the project (`loadRules`).
 */
export function busService(bus: LocalBus): LocalService {
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    PutEvents: (input) => {
      const entries = input.Entries;
      if (!Array.isArray(entries)) {
        throw new AwsError('ValidationException', "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null");
      }
      for (const e of entries) {
        if (typeof e === 'object' && e !== null) busNameOk(bus, e as Record<string, unknown>);
      }
      return bus.putEvents(entries as PutEventsRequestEntry[]);
    },
    PutRule: (input) => {
      busNameOk(bus, input);
      const name = requireString(input, 'Name', { max: 64, pattern: RULE_NAME });
      const text = optionalString(input, 'EventPattern');
      if (text === undefined) {
        throw new AwsError(
          'ValidationException',
          optionalString(input, 'ScheduleExpression') !== undefined
            ? 'ScheduleExpression rules are not supported by the local bus: use the Scheduler stand-in'
            : 'Parameter(s) EventPattern or ScheduleExpression must be specified.',
        );
      }
      const state = optionalString(input, 'State') ?? 'ENABLED';
      if (state !== 'ENABLED' && state !== 'DISABLED') {
        throw new AwsError('ValidationException', `State ${state} is not valid: ENABLED or DISABLED`);
      }
      const description = optionalString(input, 'Description');
      const existing = bus.getRule(name);
      bus.addRule({
        name,
        pattern: parsePattern(text),
        state,
        ...(description !== undefined ? { description } : {}),
        ...(existing?.target ? { target: existing.target } : {}),
        ...(existing?.retry ? { retry: existing.retry } : {}),
      });
      return { RuleArn: bus.ruleArn(name) };
    },
    DescribeRule: (input) => {
      busNameOk(bus, input);
      return describe(bus, requireString(input, 'Name'));
    },
    ListRules: (input) => {
      busNameOk(bus, input);
      const prefix = optionalString(input, 'NamePrefix') ?? '';
      const names = bus.rules
        .map((r) => r.name)
        .filter((n) => n.startsWith(prefix))
        .sort();
      const { page, nextToken } = pageOf(names, input.Limit, input.NextToken, 100);
      return { Rules: page.map((n) => describe(bus, n)), ...(nextToken ? { NextToken: nextToken } : {}) };
    },
    DeleteRule: (input) => {
      busNameOk(bus, input);
      bus.removeRule(requireString(input, 'Name'));
      return {};
    },
    TestEventPattern: (input) => {
      const pattern = parsePattern(requireString(input, 'EventPattern'));
      let event: unknown;
      try {
        event = JSON.parse(requireString(input, 'Event'));
      } catch (err) {
        if (err instanceof AwsError) throw err;
        throw new AwsError('InvalidEventPatternException', 'Event is not valid JSON');
      }
      if (typeof event !== 'object' || event === null || Array.isArray(event)) {
        throw new AwsError('ValidationException', 'Event must be a JSON object');
      }
      for (const field of ['id', 'account', 'source', 'time', 'region', 'detail-type'] as const) {
        if (typeof (event as Partial<BusEvent>)[field] !== 'string') {
          throw new AwsError('ValidationException', `Parameter Event is not valid. Reason: Provided JSON does not have required field ${field}.`);
        }
      }
      return { Result: matches(pattern, event) };
    },
  };
  return {
    name: 'eventbridge',
    matches: (req: LocalRequest) => jsonTarget(req, EVENTBRIDGE_TARGET_PREFIX) !== undefined,
    handle: (req: LocalRequest, res: ServerResponse) =>
      handleJsonProtocol(req, res, { prefix: EVENTBRIDGE_TARGET_PREFIX, namespace: NAMESPACE, contentType: CONTENT_TYPE, operations }),
  };
}
