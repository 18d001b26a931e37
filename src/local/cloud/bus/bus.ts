import { randomUUID } from 'node:crypto';
import type { VirtualClock } from '../../emulator/clock.ts';
import { iso } from '../../emulator/clock.ts';
import type { LambdaInvoker } from '../lambda-types.ts';
import { AwsError } from '../protocol.ts';
import { type EventPattern, compilePattern } from './matcher.ts';

/** An event on the bus, in the shape a Lambda target receives it from EventBridge. */
export interface BusEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  /** ISO-8601, whole seconds: `2016-08-22T20:12:19Z`. */
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

/** An event to publish: source and detail-type at least; the bus fills in the rest as EventBridge would. */
export type PublishableEvent = Pick<BusEvent, 'source' | 'detail-type'> & Partial<BusEvent>;

/** Where a rule sends the events it matches: a Lambda (by function key) or an in-process callback. */
export type RuleTarget = { functionKey: string } | { deliver(event: BusEvent): Promise<void> };

/**
 * Retries of a failed delivery, on the simulated clock: exponential backoff `baseDelayMs * 2^(n-1)` capped at
 * `maxDelayMs` (no jitter, so runs are reproducible), until `attempts` deliveries in all have failed or the event
 * is older than `maxEventAgeMs`; then the event goes to the dead-letter list.
 */
export interface RetryPolicy {
  /** Delivery attempts in all, the first included (AWS's default policy, 185 retries: 186). */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** AWS's MaximumEventAgeInSeconds (default 24 h). */
  maxEventAgeMs: number;
}

/** EventBridge's default target retry policy: 24 hours and up to 185 retries (eb-rule-dlq). */
export const EVENTBRIDGE_RETRY_POLICY: RetryPolicy = {
  attempts: 186,
  baseDelayMs: 1_000,
  maxDelayMs: 300_000,
  maxEventAgeMs: 86_400_000,
};

export interface BusRule {
  name: string;
  pattern: EventPattern;
  /** No target: the rule matches (and is listed) but delivers nothing, as a rule without targets on AWS. */
  target?: RuleTarget;
  state?: 'ENABLED' | 'DISABLED';
  description?: string;
  /** Overrides the bus's retry policy for this rule's target (serverless.yml `retryPolicy`). */
  retry?: Partial<RetryPolicy>;
}

/** One PutEvents entry, as the SDK sends it (`Time` arrives as epoch seconds on the wire). */
export interface PutEventsRequestEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  Time?: Date | number | string;
  EventBusName?: string;
  TraceHeader?: string;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export type DeliveryStatus = 'pending' | 'running' | 'retrying' | 'succeeded' | 'dead-lettered';

/** One (event, rule) delivery, updated in place as it progresses. */
export interface DeliveryRecord {
  eventId: string;
  rule: string;
  /** `lambda:<functionKey>` or `callback`. */
  target: string;
  attempts: number;
  status: DeliveryStatus;
  /** Simulated times (ms). */
  publishedAt: number;
  lastAttemptAt?: number;
  nextAttemptAt?: number;
  lastError?: string;
}

export interface DeadLetter {
  event: BusEvent;
  rule: string;
  target: string;
  attempts: number;
  error: string;
  /** AWS's "Exhausted Retry Condition". */
  reason: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds';
  /** Simulated time (ms). */
  at: number;
}

export interface LocalBusOptions {
  clock: VirtualClock;
  lambda: LambdaInvoker;
  region: string;
  accountId: string;
  retry?: Partial<RetryPolicy>;
  /** The delivery log keeps at most this many records, oldest dropped first (default 100 000). */
  maxLogEntries?: number;
}

interface Job {
  event: BusEvent;
  rule: BusRule;
  record: DeliveryRecord;
  policy: RetryPolicy;
}

interface InstalledRule {
  rule: BusRule;
  test: (event: unknown) => boolean;
}

/** 256 KB: the PutEvents request limit on the summed entry sizes (eb-putevent-size). */
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;
export const MAX_PUT_EVENTS_ENTRIES = 10;

const clone = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

/** EventBridge's event time: ISO-8601 to the second. */
export const eventTime = (ms: number): string => iso(Math.floor(ms / 1000) * 1000).replace(/\.\d{3}Z$/, 'Z');

/**
 * The local EventBridge bus: rules with patterns, PutEvents, and asynchronous delivery with retries on the
 * simulated clock. Delivery never happens inside the caller's stack: a matched event is queued and its targets
 * run from a later macrotask; retries wait on the clock (`clock.after`), then run from a macrotask too.
 */
export class LocalBus {
  private readonly clock: VirtualClock;
  private readonly lambda: LambdaInvoker;
  readonly region: string;
  readonly accountId: string;
  private readonly retry: RetryPolicy;
  private readonly maxLogEntries: number;
  private readonly ruleMap = new Map<string, InstalledRule>();
  private readonly queue: Job[] = [];
  private flushScheduled = false;
  private running = 0;
  /** Jobs waiting on the clock for their next attempt. */
  private readonly waiting = new Set<Job>();
  private readonly idleWaiters = new Set<() => void>();
  private readonly listeners = new Set<(event: BusEvent) => void>();

  /** Every (event, rule) delivery, oldest first (bounded by maxLogEntries). */
  readonly deliveries: DeliveryRecord[] = [];
  /** Deliveries whose retries were exhausted. */
  readonly deadLetters: DeadLetter[] = [];
  /** Events accepted so far (PutEvents and publish). */
  published = 0;

  constructor(opts: LocalBusOptions) {
    this.clock = opts.clock;
    this.lambda = opts.lambda;
    this.region = opts.region;
    this.accountId = opts.accountId;
    this.retry = { ...EVENTBRIDGE_RETRY_POLICY, ...opts.retry };
    this.maxLogEntries = opts.maxLogEntries ?? 100_000;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Rules

  /** Add a rule, or replace the one of the same name. Throws InvalidEventPatternException for a bad pattern. */
  addRule(rule: BusRule): void {
    if (!rule.name) throw new AwsError('ValidationException', 'Rule name is required');
    const test = compilePattern(rule.pattern);
    this.ruleMap.set(rule.name, { rule: { state: 'ENABLED', ...rule }, test });
  }

  removeRule(name: string): boolean {
    return this.ruleMap.delete(name);
  }

  getRule(name: string): BusRule | undefined {
    return this.ruleMap.get(name)?.rule;
  }

  get rules(): BusRule[] {
    return [...this.ruleMap.values()].map((r) => r.rule);
  }

  ruleArn(name: string): string {
    return `arn:aws:events:${this.region}:${this.accountId}:rule/${name}`;
  }

  /** The enabled rules whose pattern matches the event (targeted or not). */
  matchingRules(event: BusEvent): BusRule[] {
    const out: BusRule[] = [];
    for (const { rule, test } of this.ruleMap.values()) {
      if (rule.state !== 'DISABLED' && test(event)) out.push(rule);
    }
    return out;
  }

  /** Observe every event the bus accepts (dashboard, tests); called synchronously. Returns an unsubscribe. */
  subscribe(listener: (event: BusEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Putting events

  /**
   * PutEvents: validates the request as AWS does (1 to 10 entries, at most 256 KB in all: ValidationException
   * for the whole request), then each entry (Source, DetailType and Detail required: InvalidArgument; Detail a
   * JSON object: MalformedDetail). Accepted entries get an id, the bus's account and region, `Time` or now.
   */
  putEvents(entries: PutEventsRequestEntry[]): PutEventsResult {
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_PUT_EVENTS_ENTRIES) {
      const n = Array.isArray(entries) ? entries.length : 0;
      throw new AwsError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${
          n < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_PUT_EVENTS_ENTRIES}`
        }`,
      );
    }
    const size = entries.reduce((sum, e) => sum + entrySize(e), 0);
    if (size > MAX_PUT_EVENTS_BYTES) {
      throw new AwsError('ValidationException', 'Total size of the entries in the request is over the limit.');
    }
    const results: PutEventsResultEntry[] = [];
    let failed = 0;
    for (const entry of entries) {
      const checked = this.checkEntry(entry);
      if ('ErrorCode' in checked) {
        failed++;
        results.push(checked);
        continue;
      }
      this.accept(checked);
      results.push({ EventId: checked.id });
    }
    return { FailedEntryCount: failed, Entries: results };
  }

  /**
   * Put an already-formed event (the MGN emulator's events, Step Functions' `aws.states` status changes):
   * delivered as given (a copy), with an id and time filled in when missing.
   */
  publish(event: PublishableEvent): BusEvent {
    if (typeof event.source !== 'string' || typeof event['detail-type'] !== 'string') {
      throw new AwsError('ValidationException', 'An event needs a source and a detail-type');
    }
    const formed: BusEvent = clone({
      version: '0',
      id: event.id ?? randomUUID(),
      'detail-type': event['detail-type'],
      source: event.source,
      account: event.account ?? this.accountId,
      time: event.time ?? eventTime(this.clock.now()),
      region: event.region ?? this.region,
      resources: event.resources ?? [],
      detail: event.detail ?? {},
    });
    this.accept(formed);
    return formed;
  }

  private checkEntry(entry: PutEventsRequestEntry): BusEvent | { ErrorCode: string; ErrorMessage: string } {
    const missing = (name: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${name} is not valid. Reason: ${name} is a required argument.`,
    });
    if (typeof entry?.Source !== 'string' || entry.Source === '') return missing('Source');
    if (typeof entry.DetailType !== 'string' || entry.DetailType === '') return missing('DetailType');
    if (typeof entry.Detail !== 'string' || entry.Detail === '') return missing('Detail');
    let detail: unknown;
    try {
      detail = JSON.parse(entry.Detail);
    } catch {
      detail = undefined;
    }
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (entry.Resources !== undefined && (!Array.isArray(entry.Resources) || entry.Resources.some((r) => typeof r !== 'string'))) {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Resources is not valid. Reason: Resources must be a list of strings.' };
    }
    let timeMs = this.clock.now();
    if (entry.Time !== undefined && entry.Time !== null) {
      const t = entry.Time instanceof Date ? entry.Time.getTime() : typeof entry.Time === 'number' ? entry.Time * 1000 : Date.parse(entry.Time);
      if (!Number.isFinite(t)) return { ErrorCode: 'InvalidArgument', ErrorMessage: 'Parameter Time is not valid.' };
      timeMs = t;
    }
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': entry.DetailType,
      source: entry.Source,
      account: this.accountId,
      time: eventTime(timeMs),
      region: this.region,
      resources: entry.Resources ?? [],
      detail: detail as Record<string, unknown>,
    };
  }

  private accept(event: BusEvent): void {
    this.published++;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // an observer never affects delivery
      }
    }
    const now = this.clock.now();
    for (const rule of this.matchingRules(event)) {
      if (!rule.target) continue;
      const record: DeliveryRecord = {
        eventId: event.id,
        rule: rule.name,
        target: 'functionKey' in rule.target ? `lambda:${rule.target.functionKey}` : 'callback',
        attempts: 0,
        status: 'pending',
        publishedAt: now,
      };
      this.log(record);
      this.enqueue({ event, rule, record, policy: { ...this.retry, ...rule.retry } });
    }
  }

  private log(record: DeliveryRecord): void {
    this.deliveries.push(record);
    if (this.deliveries.length > this.maxLogEntries) {
      this.deliveries.splice(0, this.deliveries.length - this.maxLogEntries);
    }
  }

  // -------------------------------------------------------------------------------------------------------------
  // Delivery

  private enqueue(job: Job): void {
    this.queue.push(job);
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // queued deliveries are work in flight: the discrete-event clock does not jump past them
    const end = this.clock.begin();
    setImmediate(() => {
      end();
      this.flush();
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const jobs = this.queue.splice(0, this.queue.length);
    for (const job of jobs) void this.attempt(job);
    this.notify();
  }

  private async attempt(job: Job): Promise<void> {
    const { record, rule } = job;
    const target = rule.target as RuleTarget;
    this.running++;
    record.status = 'running';
    record.attempts++;
    record.lastAttemptAt = this.clock.now();
    delete record.nextAttemptAt;
    try {
      // each attempt gets its own copy, as each Lambda invocation gets its own deserialized event
      const event = clone(job.event);
      if ('functionKey' in target) await this.lambda.invoke(target.functionKey, event);
      else await target.deliver(event);
      record.status = 'succeeded';
      delete record.lastError;
    } catch (err) {
      record.lastError = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      this.afterFailure(job);
    } finally {
      this.running--;
      this.notify();
    }
  }

  private afterFailure(job: Job): void {
    const { record, policy } = job;
    const now = this.clock.now();
    const delay = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (record.attempts - 1));
    let reason: DeadLetter['reason'] | undefined;
    if (record.attempts >= policy.attempts) reason = 'MaximumRetryAttempts';
    else if (now + delay - record.publishedAt > policy.maxEventAgeMs) reason = 'MaximumEventAgeInSeconds';
    if (reason) {
      record.status = 'dead-lettered';
      this.deadLetters.push({
        event: job.event,
        rule: record.rule,
        target: record.target,
        attempts: record.attempts,
        error: record.lastError ?? 'unknown error',
        reason,
        at: now,
      });
      return;
    }
    record.status = 'retrying';
    record.nextAttemptAt = now + delay;
    this.waiting.add(job);
    this.clock.after(delay, () => {
      this.waiting.delete(job);
      // out of the clock's own stack, like the first attempt
      this.enqueue(job);
    });
  }

  private notify(): void {
    for (const w of this.idleWaiters) w();
    this.idleWaiters.clear();
  }

  private changed(): Promise<void> {
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  /** Deliveries queued, running, or waiting on the clock for a retry. */
  get pending(): number {
    return this.queue.length + this.running + this.waiting.size;
  }

  /**
   * Resolve when no delivery is queued, running or waiting for a retry. Retries wait on the simulated clock:
   * a scaled clock gets there by itself; with `advanceClock` drain moves the clock to each retry's time (as a
   * test driving a manual clock would); on a manual clock without it, drain rejects rather than wait forever.
   */
  async drain(opts: { advanceClock?: boolean } = {}): Promise<void> {
    for (;;) {
      if (this.queue.length > 0 || this.running > 0 || this.flushScheduled) {
        await this.changed();
        continue;
      }
      if (this.waiting.size === 0) return;
      if (opts.advanceClock) {
        const next = Math.min(...[...this.waiting].map((j) => j.record.nextAttemptAt ?? 0));
        this.clock.advance(Math.max(0, next - this.clock.now()) / 1000);
        continue;
      }
      if (this.clock.isManual) {
        throw new Error(
          `LocalBus.drain: ${this.waiting.size} deliveries wait for a retry on the manual clock; advance it or pass { advanceClock: true }`,
        );
      }
      await this.changed();
    }
  }
}

/** A PutEvents entry's size as EventBridge counts it (eb-putevent-size): Time 14 bytes, then UTF-8 lengths. */
export function entrySize(entry: PutEventsRequestEntry): number {
  const bytes = (s: unknown) => (typeof s === 'string' ? Buffer.byteLength(s, 'utf8') : 0);
  let size = entry?.Time !== undefined && entry?.Time !== null ? 14 : 0;
  size += bytes(entry?.Source) + bytes(entry?.DetailType) + bytes(entry?.Detail);
  if (Array.isArray(entry?.Resources)) for (const r of entry.Resources) size += bytes(r);
  return size;
}
