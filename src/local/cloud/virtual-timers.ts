import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import type { VirtualClock } from '../emulator/clock.ts';

/**
 * Timers on simulated time, for the discrete-event clock. Inside the local cloud's process every
 * `setTimeout`/`setInterval` (the global and `node:timers`, which middy and the AWS SDK's retry backoff use)
 * becomes an action on the clock: a handler that backs off for 200 ms after a throttle, a Lambda's own
 * timeout, a library's retry interval all happen in simulated time, in a deterministic order, and never
 * because the host was slow. `setImmediate` and `process.nextTick` stay real (they are "now").
 *
 * Delays of `NEVER_MS` or more are the sentinels libraries use for "no timeout" (aws-local-stepfunctions is
 * given 2,000,000 s so its own wall timers never overflow): they are kept but never fire, so an idle cloud
 * does not jump weeks ahead to fire them.
 *
 * `install` returns the undo; timers still pending then are handed to the real timers with the same delay.
 */
export const NEVER_MS = 1_000_000_000;

type Callback = (...args: unknown[]) => void;

const real = {
  setTimeout: globalThis.setTimeout,
  clearTimeout: globalThis.clearTimeout,
  setInterval: globalThis.setInterval,
  clearInterval: globalThis.clearInterval,
};

export const realTimers = real;

let nextId = 1;

export class VirtualTimeout {
  readonly id = nextId++;
  private referenced = true;
  /** The clock action, or undefined once fired or cleared. */
  action: (() => void) | undefined;
  /** Set when the undo moved it to a real timer. */
  handedOver: NodeJS.Timeout | undefined;

  constructor(
    readonly callback: Callback,
    readonly args: unknown[],
    readonly delayMs: number,
    readonly repeat: boolean,
    public dueAt: number,
  ) {}

  ref(): this {
    this.referenced = true;
    this.handedOver?.ref();
    return this;
  }

  unref(): this {
    this.referenced = false;
    this.handedOver?.unref();
    return this;
  }

  hasRef(): boolean {
    return this.referenced;
  }

  refresh(): this {
    active?.reschedule(this);
    return this;
  }

  close(): this {
    active?.clear(this);
    return this;
  }

  [Symbol.toPrimitive](): number {
    return this.id;
  }
}

class VirtualTimers {
  private readonly live = new Map<number, VirtualTimeout>();

  constructor(private readonly clock: VirtualClock) {}

  create(callback: unknown, delay: unknown, args: unknown[], repeat: boolean): VirtualTimeout {
    if (typeof callback !== 'function') throw new TypeError('The "callback" argument must be of type function');
    let ms = Number(delay);
    if (!(ms >= 1) || !Number.isFinite(ms)) ms = repeat ? 1 : 0;
    const t = new VirtualTimeout(callback as Callback, args, ms, repeat, 0);
    this.live.set(t.id, t);
    this.schedule(t);
    return t;
  }

  private schedule(t: VirtualTimeout): void {
    t.dueAt = this.clock.now() + t.delayMs;
    if (t.delayMs >= NEVER_MS) {
      t.action = undefined;
      return;
    }
    const action = () => {
      if (t.action !== action) return;
      if (t.repeat) this.schedule(t);
      else {
        t.action = undefined;
        this.live.delete(t.id);
      }
      t.callback(...t.args);
    };
    t.action = action;
    this.clock.at(t.dueAt, action);
  }

  reschedule(t: VirtualTimeout): void {
    if (!this.live.has(t.id)) return;
    if (t.action) this.clock.cancel(t.action);
    this.schedule(t);
  }

  clear(t: unknown): boolean {
    let timer: VirtualTimeout | undefined;
    if (t instanceof VirtualTimeout) timer = t;
    else if (typeof t === 'number' || typeof t === 'string') timer = this.live.get(Number(t));
    if (!timer) return false;
    if (timer.handedOver) real.clearTimeout(timer.handedOver);
    if (timer.action) this.clock.cancel(timer.action);
    timer.action = undefined;
    this.live.delete(timer.id);
    return true;
  }

  /** The undo: what is still pending runs on the real timers after the same (simulated) delay left. */
  handOver(): void {
    const now = this.clock.now();
    for (const t of this.live.values()) {
      if (t.action) this.clock.cancel(t.action);
      if (t.delayMs >= NEVER_MS) continue;
      const left = Math.min(Math.max(0, t.dueAt - now), 2 ** 31 - 1);
      const h = t.repeat ? real.setInterval(t.callback, t.delayMs, ...t.args) : real.setTimeout(t.callback, left, ...t.args);
      if (!t.hasRef()) h.unref();
      t.handedOver = h;
    }
    this.live.clear();
  }

  get pending(): number {
    return this.live.size;
  }
}

let active: VirtualTimers | undefined;
let activeClock: VirtualClock | undefined;

/** The discrete-event clock whose timers are installed in this process, if any (test helpers wait on it). */
export function discreteClock(): VirtualClock | undefined {
  return activeClock;
}

/** Put the process's timers on `clock` (discrete mode). One clock at a time. */
export function installVirtualTimers(clock: VirtualClock): () => void {
  if (active) throw new Error('virtual timers are already installed for another local cloud in this process');
  const v = new VirtualTimers(clock);
  active = v;
  activeClock = clock;
  const patched = {
    setTimeout: (cb: unknown, ms?: unknown, ...args: unknown[]) => v.create(cb, ms, args, false),
    setInterval: (cb: unknown, ms?: unknown, ...args: unknown[]) => v.create(cb, ms, args, true),
    clearTimeout: (t: unknown) => {
      if (!v.clear(t)) real.clearTimeout(t as NodeJS.Timeout);
    },
    clearInterval: (t: unknown) => {
      if (!v.clear(t)) real.clearInterval(t as NodeJS.Timeout);
    },
  };
  const g = globalThis as unknown as Record<string, unknown>;
  const t = timers as unknown as Record<string, unknown>;
  for (const [k, fn] of Object.entries(patched)) {
    g[k] = fn;
    t[k] = fn;
  }
  syncBuiltinESMExports();
  return () => {
    if (active !== v) return;
    active = undefined;
    activeClock = undefined;
    for (const [k, fn] of Object.entries(real)) {
      g[k] = fn;
      t[k] = fn;
    }
    syncBuiltinESMExports();
    v.handOver();
  };
}

/**
 * `Math.random` from a seeded generator, for the discrete-event clock: the AWS SDK draws its retry jitter
 * from it, and with virtual timers that jitter orders the retries; seeded, the same seed gives the same order.
 * Security-relevant randomness (task tokens, link ids, signing keys) comes from node:crypto and is untouched.
 * Returns the undo.
 */
export function installSeededRandom(next: () => number): () => void {
  const original = Math.random;
  Math.random = next;
  return () => {
    if (Math.random === next) Math.random = original;
  };
}
