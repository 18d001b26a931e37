import type { EmulatorClock } from './types.ts';

interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
  cancelled?: boolean;
}

/** How simulated time moves: with the wall clock times a scale, only when advanced, or by discrete events. */
export type ClockMode = 'scaled' | 'manual' | 'discrete';

/** How many event-loop turns (setImmediate) with no work in flight and no new activity make "idle". */
const QUIET_TURNS = 3;

const realSetImmediate = globalThis.setImmediate;
const realSetTimeout = globalThis.setTimeout;
const realClearTimeout = globalThis.clearTimeout;
const turn = () => new Promise<void>((r) => realSetImmediate(r));

/**
 * The local cloud's one clock and discrete-event scheduler. Simulated time moves in one of three modes:
 * - `scaled`: it follows the wall clock at `scale` simulated seconds per wall second (`mgn-flow local`);
 *   `pause()` and `setScale()` change the pace;
 * - `manual`: only `advance()` moves it (unit tests that step time themselves);
 * - `discrete`: it stands still while any work is in flight (`begin()`/`track()`: a request to a stand-in,
 *   a delivery, a handler's own I/O) and, once everything is idle, jumps to the next scheduled action. No
 *   timeout fires because the host is slow, idle stretches cost no wall time, and the same inputs give the
 *   same sequence of actions.
 * Everything the local cloud does later (MGN's progress, Step Functions waits and timeouts, deliveries,
 * schedules, and in discrete mode every setTimeout of the process) is a scheduled action; `runDue()` runs
 * the due ones in time order with `now()` set to each action's own time, so timestamps are exact.
 */
export class VirtualClock implements EmulatorClock {
  private base: number;
  private wallBase: number;
  private current: number;
  private scaleValue: number;
  private readonly manual: boolean;
  readonly mode: ClockMode;
  private paused = false;
  private readonly queue: Scheduled[] = [];
  private readonly byRun = new WeakMap<() => void, Scheduled>();
  private cancelledCount = 0;
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  /** Bumped by every scheduled action that runs: render caches key on it. */
  version = 0;

  // discrete mode: work in flight, activity counter, the driver's wake-up
  private inFlight = 0;
  private activityCount = 0;
  private wake: (() => void) | undefined;
  private jumps = 0;
  private driving = false;
  private idleWaiters: { minJump: number; resolve: () => void }[] = [];

  constructor(opts: { start: number; scale: number; manual?: boolean; mode?: ClockMode }) {
    this.base = opts.start;
    this.current = opts.start;
    this.wallBase = performance.now();
    this.scaleValue = opts.scale;
    this.mode = opts.mode ?? (opts.manual ? 'manual' : 'scaled');
    // discrete time never follows the wall clock: like a manual clock, only scheduled actions move it
    this.manual = this.mode !== 'scaled';
  }

  /** Simulated seconds per wall second; 0 when time does not follow the wall clock (manual, discrete, paused). */
  get scale(): number {
    return this.manual || this.paused ? 0 : this.scaleValue;
  }

  /** The scale set for the scaled mode, paused or not. */
  get configuredScale(): number {
    return this.scaleValue;
  }

  get isManual(): boolean {
    return this.mode === 'manual';
  }

  get isDiscrete(): boolean {
    return this.mode === 'discrete';
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Jumps made by the discrete driver so far. */
  get jumpCount(): number {
    return this.jumps;
  }

  /** Work in flight now (discrete mode holds time while this is above zero). */
  get busy(): number {
    return this.inFlight;
  }

  /**
   * Mark one piece of work in flight; the returned function ends it (idempotent). In discrete mode time
   * stands still until every piece has ended; in the other modes it only counts.
   */
  begin(): () => void {
    this.inFlight++;
    this.activityCount++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.inFlight--;
      this.activityCount++;
      this.poke();
    };
  }

  /** `begin()` for the life of a promise. */
  track<T>(p: Promise<T>): Promise<T> {
    const end = this.begin();
    return p.finally(end);
  }

  /** Pause the scaled clock (simulated time stops until `resume()`). */
  pause(): void {
    if (this.mode !== 'scaled' || this.paused) return;
    this.now();
    this.paused = true;
    if (this.timer) realClearTimeout(this.timer);
    this.timer = undefined;
  }

  resume(): void {
    if (this.mode !== 'scaled' || !this.paused) return;
    this.paused = false;
    this.base = this.current;
    this.wallBase = performance.now();
    this.arm();
  }

  /** Simulated time now (ms). Never goes backwards. */
  now(): number {
    if (this.manual || this.running || this.paused) return this.current;
    const t = this.base + (performance.now() - this.wallBase) * this.scaleValue;
    if (t > this.current) this.current = t;
    return this.current;
  }

  setScale(scale: number): void {
    if (!(scale > 0)) throw new RangeError('time scale must be > 0');
    if (this.mode === 'discrete') throw new RangeError('a discrete-event clock has no time scale: it jumps whenever the cloud is idle');
    const now = this.now();
    this.base = now;
    this.wallBase = performance.now();
    this.scaleValue = scale;
    this.arm();
  }

  advance(seconds: number): void {
    if (!(seconds >= 0)) throw new RangeError('advance: seconds must be >= 0');
    const target = this.now() + seconds * 1000;
    if (!this.manual) {
      this.base += seconds * 1000;
    }
    this.runDue(target);
    this.current = Math.max(this.current, target);
    this.arm();
  }

  /** Schedule `run` at simulated time `at` (ms). */
  at(at: number, run: () => void): void {
    const item: Scheduled = { at, seq: this.seq++, run };
    this.byRun.set(run, item);
    // binary insertion keeps the queue sorted by (at, seq)
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.queue[mid] as Scheduled;
      if (m.at < at || (m.at === at && m.seq < item.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, item);
    this.activityCount++;
    if (lo === 0) this.arm();
    this.poke();
  }

  /** The time of the next scheduled action, if any. */
  get nextAt(): number | undefined {
    this.dropCancelledHead();
    return this.queue[0]?.at;
  }

  private readonly observers = new Set<(now: number) => void>();

  /**
   * Call `listener` after each batch of scheduled actions has run (in discrete mode: after every jump), with
   * the simulated time. For observers that report progress (the demo, rehearsals): they see each instant
   * without a polling timer of their own, which in discrete mode would itself be an action to jump to.
   * Returns the unsubscribe function.
   */
  observe(listener: (now: number) => void): () => void {
    this.observers.add(listener);
    return () => this.observers.delete(listener);
  }

  /** Cancel a scheduled action by the function given to `at` (virtual timers); lazily removed. */
  cancel(run: () => void): boolean {
    const item = this.byRun.get(run);
    if (!item || item.cancelled) return false;
    item.cancelled = true;
    this.byRun.delete(run);
    this.cancelledCount++;
    if (this.cancelledCount > 1000 && this.cancelledCount * 2 > this.queue.length) {
      const kept = this.queue.filter((q) => !q.cancelled);
      this.queue.length = 0;
      this.queue.push(...kept);
      this.cancelledCount = 0;
    }
    return true;
  }

  private dropCancelledHead(): void {
    while (this.queue.length > 0 && (this.queue[0] as Scheduled).cancelled) {
      this.queue.shift();
      this.cancelledCount = Math.max(0, this.cancelledCount - 1);
    }
  }

  after(ms: number, run: () => void): void {
    this.at(this.now() + ms, run);
  }

  get pending(): number {
    return this.queue.length - this.cancelledCount;
  }

  /** Run every action due at or before `until` (default: now), in order. */
  runDue(until = this.now()): void {
    if (this.running) return;
    this.running = true;
    const reached = Math.max(this.current, until);
    try {
      while (this.queue.length > 0 && (this.queue[0] as Scheduled).at <= until) {
        const item = this.queue.shift() as Scheduled;
        if (item.cancelled) {
          this.cancelledCount = Math.max(0, this.cancelledCount - 1);
          continue;
        }
        this.byRun.delete(item.run);
        // each action runs at its own instant, even when the wall-clock driver reaches it late
        this.current = item.at;
        this.version++;
        item.run();
      }
    } finally {
      this.current = Math.max(reached, this.current);
      this.running = false;
    }
    for (const o of this.observers) o(this.current);
  }

  /** Start the driver: the wall-clock timer (scaled mode) or the discrete-event loop (discrete mode). */
  start(): void {
    this.closed = false;
    if (this.mode === 'discrete') {
      if (!this.driving) void this.drive();
      return;
    }
    this.arm();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) realClearTimeout(this.timer);
    this.timer = undefined;
    this.poke();
  }

  /**
   * Resolves once the cloud is idle: nothing in flight and no new activity (a begin, an end, a newly
   * scheduled action) for a few event-loop turns, so every promise chain that work set off has settled.
   */
  async idle(): Promise<void> {
    let quiet = 0;
    let last = this.activityCount;
    while (quiet < QUIET_TURNS) {
      await turn();
      if (this.inFlight === 0 && this.activityCount === last) quiet++;
      else {
        quiet = 0;
        last = this.activityCount;
      }
    }
  }

  /**
   * Discrete mode: resolves once the clock has moved on at least once and everything due then has been
   * done (the cloud is idle again), before it moves on further. An observer that checks a condition after
   * each `nextIdle()` sees every instant's settled state, and schedules nothing the clock would have to
   * jump to (a polling timer would be one). Whatever the observer starts before its next await is work
   * like any other: the clock waits for it.
   */
  nextIdle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push({ minJump: this.jumps + 1, resolve });
      this.poke();
    });
  }

  private poke(): void {
    const w = this.wake;
    if (w) {
      this.wake = undefined;
      w();
    }
  }

  /** The discrete-event loop: wait until idle, then jump to the next action and run everything due then. */
  private async drive(): Promise<void> {
    this.driving = true;
    try {
      while (!this.closed) {
        await this.idle();
        if (this.closed) break;
        // observers waiting for this instant look now; what they start is done before the clock moves on
        const due = this.idleWaiters.filter((w) => w.minJump <= this.jumps);
        if (due.length > 0) {
          this.idleWaiters = this.idleWaiters.filter((w) => w.minJump > this.jumps);
          for (const w of due) w.resolve();
          continue;
        }
        this.dropCancelledHead();
        const next = this.queue[0];
        if (!next) {
          // nothing scheduled: time stands still until something from outside starts work
          await new Promise<void>((r) => {
            this.wake = r;
            // a safety net for activity that does not poke (e.g. a request from another process)
            const t = realSetTimeout(() => this.poke(), 50);
            t.unref?.();
          });
          continue;
        }
        if (this.inFlight > 0) continue;
        this.jumps++;
        this.runDue(Math.max(next.at, this.current));
      }
    } finally {
      this.driving = false;
    }
  }

  private arm(): void {
    if (this.manual || this.closed || this.paused) return;
    if (this.timer) realClearTimeout(this.timer);
    this.timer = undefined;
    const first = this.queue[0];
    if (!first) return;
    if (first.cancelled) {
      this.dropCancelledHead();
      this.arm();
      return;
    }
    const wallMs = Math.max(0, (first.at - this.now()) / this.scaleValue);
    this.timer = realSetTimeout(() => {
      this.timer = undefined;
      this.runDue();
      this.arm();
    }, Math.min(wallMs, 1000));
    this.timer.unref();
  }
}

/** ISO-8601 duration as MGN writes it: "P0D", "PT16H20M38.697S". */
export function isoDuration(ms: number): string {
  if (ms <= 0) return 'P0D';
  const totalS = ms / 1000;
  const days = Math.floor(totalS / 86400);
  let rest = totalS - days * 86400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const s = Math.round((rest - m * 60) * 1000) / 1000;
  let out = 'P';
  if (days) out += `${days}D`;
  if (h || m || s) {
    out += 'T';
    if (h) out += `${h}H`;
    if (m) out += `${m}M`;
    if (s) out += `${s}S`;
  }
  return out === 'P' ? 'P0D' : out;
}

const isoCache = new Map<number, string>();

/** ISO-8601 timestamp; memoized, as the same few instants are rendered many times per second. */
export function iso(ms: number): string {
  let v = isoCache.get(ms);
  if (v === undefined) {
    if (isoCache.size > 100_000) isoCache.clear();
    v = new Date(ms).toISOString();
    isoCache.set(ms, v);
  }
  return v;
}
