export {
  type BusEvent,
  type BusRule,
  type DeadLetter,
  type DeliveryRecord,
  type DeliveryStatus,
  EVENTBRIDGE_RETRY_POLICY,
  LocalBus,
  type LocalBusOptions,
  type PublishableEvent,
  type PutEventsRequestEntry,
  type PutEventsResult,
  type PutEventsResultEntry,
  type RetryPolicy,
  type RuleTarget,
  entrySize,
  eventTime,
} from './bus.ts';
export { type EventPattern, compilePattern, matches, parsePattern, validatePattern } from './matcher.ts';
export { type LoadedRule, type LoadedRules, RuleLoadError, installRules, loadRules } from './rules.ts';
export { EVENTBRIDGE_TARGET_PREFIX, busService } from './service.ts';
