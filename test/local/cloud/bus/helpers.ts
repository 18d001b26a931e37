import { serveLocal } from '../../../helpers/local-server.ts';
import { readFileSync } from 'node:fs';
import { VirtualClock } from '../../../../src/local/emulator/clock.ts';
import type { BusEvent } from '../../../../src/local/cloud/bus/bus.ts';
import type { LambdaInvoker } from '../../../../src/local/cloud/lambda-types.ts';
import type { LocalService } from '../../../../src/local/cloud/protocol.ts';

export const START = Date.parse('2026-01-05T08:00:00Z');

export const manualClock = (): VirtualClock => new VirtualClock({ start: START, scale: 1, manual: true });

export interface LambdaCall {
  functionKey: string;
  event: unknown;
  /** The call stack at invocation, to show delivery runs outside the publisher's stack. */
  stack: string;
  /** Simulated time of the call. */
  at: number;
}

/**
 * An in-process Lambda runtime for tests: records every invocation, then runs the handler of that key
 * (none: the invocation fails, as an unknown function would).
 */
export function fakeLambda(
  clock: VirtualClock,
  handlers: Record<string, (event: unknown) => unknown> = {},
): LambdaInvoker & { calls: LambdaCall[] } {
  const calls: LambdaCall[] = [];
  return {
    calls,
    resolve: (ref) => (typeof ref === 'string' && ref in handlers ? ref : undefined),
    async invoke(functionKey, event) {
      calls.push({ functionKey, event, stack: new Error('invocation').stack ?? '', at: clock.now() });
      const handler = handlers[functionKey];
      if (!handler) throw new Error(`Function not found: ${functionKey}`);
      return handler(event);
    },
  };
}

/** A documented MGN sample event (reference section 10.1), from test/fixtures/eventbridge/mgn/. */
export function mgnSample(name: 'launch-result' | 'lifecycle-state-change' | 'replication-stalled', detail?: Record<string, unknown>): BusEvent {
  const url = new URL(`../../../fixtures/eventbridge/mgn/${name}.json`, import.meta.url);
  const event = JSON.parse(readFileSync(url, 'utf8')) as BusEvent;
  return detail ? { ...event, detail: { ...event.detail, ...detail } } : event;
}

export interface Served {
  endpoint: string;
  close(): Promise<void>;
}

/** Serve local services on 127.0.0.1 (a free port): each request goes to the first service that claims it. */
export async function serve(...services: LocalService[]): Promise<Served> {
  return serveLocal(...services);
}

/** SDK client settings for a local endpoint: test credentials, no SDK retries. */
export const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
  maxAttempts: 1,
});
