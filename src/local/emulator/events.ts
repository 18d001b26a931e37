import { randomUUID } from 'node:crypto';
import type { VirtualClock } from './clock.ts';
import { iso } from './clock.ts';
import type { Faults } from './config.ts';
import type { Rng } from './rng.ts';
import type { MgnEvent } from './types.ts';

export interface DeliveredEvent {
  event: MgnEvent;
  /** Simulated time it was emitted (before any reorder delay). */
  emittedAt: number;
  deliveredAt: number;
  /** Wall-clock time of delivery (performance.now()), for latency figures. */
  deliveredWallMs: number;
  fault?: 'duplicate' | 'delayed';
}

/**
 * Where MGN's events go: best-effort delivery with the drop, duplicate and reorder faults applied, to
 * in-process listeners and optionally to an EventBridge PutEvents endpoint.
 */
export class EventHub {
  private readonly listeners = new Set<(e: MgnEvent) => void>();
  readonly delivered: DeliveredEvent[] = [];
  dropped = 0;
  private pending = 0;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: Rng,
    private readonly faults: () => Faults,
    private readonly identity: { region: string; accountId: string },
    private readonly putEventsEndpoint?: string,
  ) {}

  subscribe(listener: (e: MgnEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  build(detailType: string, resources: string[], detail: Record<string, unknown>): MgnEvent {
    return {
      version: '0',
      id: randomUUID(),
      'detail-type': detailType,
      source: 'aws.mgn',
      // the account the resource is in (a managed account's server: that account's event, forwarded to the bus)
      account: /^arn:aws:mgn:[^:]*:(\d{12}):/.exec(resources[0] ?? '')?.[1] ?? this.identity.accountId,
      time: iso(this.clock.now()).replace(/\.\d{3}Z$/, 'Z'),
      region: this.identity.region,
      resources,
      detail,
    };
  }

  /** Emit with the configured faults: dropped, duplicated, or delayed by up to the reorder window. */
  emit(event: MgnEvent): void {
    const f = this.faults();
    const emittedAt = this.clock.now();
    if (this.rng.chance(f.eventDropRate)) {
      this.dropped++;
      return;
    }
    const copies = this.rng.chance(f.eventDupRate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const delayMs = f.eventReorderWindowS > 0 ? this.rng.next() * f.eventReorderWindowS * 1000 : 0;
      const fault = i > 0 ? 'duplicate' : delayMs > 0 ? 'delayed' : undefined;
      if (delayMs > 0) {
        this.clock.after(delayMs, () => this.deliver(event, emittedAt, fault));
      } else {
        this.deliver(event, emittedAt, fault);
      }
    }
  }

  private deliver(event: MgnEvent, emittedAt: number, fault?: DeliveredEvent['fault']): void {
    this.delivered.push({ event, emittedAt, deliveredAt: this.clock.now(), deliveredWallMs: performance.now(), ...(fault ? { fault } : {}) });
    if (this.delivered.length > 200_000) this.delivered.splice(0, 50_000);
    // Listeners run outside the emulator's own call stack, as a bus would deliver them.
    for (const listener of this.listeners) {
      this.pending++;
      setImmediate(() => {
        this.pending--;
        try {
          listener(event);
        } catch {
          // a failing subscriber does not affect the service
        }
      });
    }
    if (this.putEventsEndpoint) void this.forward(event);
  }

  /** Resolves once every listener call scheduled so far has run. */
  async drain(): Promise<void> {
    while (this.pending > 0) await new Promise((r) => setImmediate(r));
  }

  private async forward(event: MgnEvent): Promise<void> {
    const body = JSON.stringify({
      Entries: [
        {
          Source: event.source,
          DetailType: event['detail-type'],
          Detail: JSON.stringify(event.detail),
          Resources: event.resources,
          Time: event.time,
        },
      ],
    });
    try {
      await fetch(this.putEventsEndpoint as string, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amz-target': 'AWSEvents.PutEvents' },
        body,
      });
    } catch {
      // best effort, as MGN's own delivery
    }
  }
}
