import type { EmulatorClock } from './types.ts';

interface Scheduled {
  at: number;
  seq: number;
  run: () => void;
}

/**
 * The emulator's virtual clock and discrete-event scheduler. Simulated time either follows the wall clock
 * at `scale` simulated seconds per wall second, or moves only when advanced (manual). Everything the
 * emulator does later (initiation steps, sync completion, job progress, event delivery) is a scheduled
 * action; `runDue()` runs the due ones in time order with `now()` set to each action's own time, so
 * timestamps are exact whatever the scale.
 */
export class VirtualClock implements EmulatorClock {
  private base: number;
  private wallBase: number;
  private current: number;
  private scaleValue: number;
  private readonly manual: boolean;
  private readonly queue: Scheduled[] = [];
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  /** Bumped by every scheduled action that runs: render caches key on it. */
  version = 0;

  constructor(opts: { start: number; scale: number; manual: boolean }) {
    this.base = opts.start;
    this.current = opts.start;
    this.wallBase = performance.now();
    this.scaleValue = opts.scale;
    this.manual = opts.manual;
  }

  get scale(): number {
    return this.manual ? 0 : this.scaleValue;
  }

  get isManual(): boolean {
    return this.manual;
  }

  /** Simulated time now (ms). Never goes backwards. */
  now(): number {
    if (this.manual || this.running) return this.current;
    const t = this.base + (performance.now() - this.wallBase) * this.scaleValue;
    if (t > this.current) this.current = t;
    return this.current;
  }

  setScale(scale: number): void {
    if (!(scale > 0)) throw new RangeError('time scale must be > 0');
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
    if (lo === 0) this.arm();
  }

  after(ms: number, run: () => void): void {
    this.at(this.now() + ms, run);
  }

  get pending(): number {
    return this.queue.length;
  }

  /** Run every action due at or before `until` (default: now), in order. */
  runDue(until = this.now()): void {
    if (this.running) return;
    this.running = true;
    const reached = Math.max(this.current, until);
    try {
      while (this.queue.length > 0 && (this.queue[0] as Scheduled).at <= until) {
        const item = this.queue.shift() as Scheduled;
        // each action runs at its own instant, even when the wall-clock driver reaches it late
        this.current = item.at;
        this.version++;
        item.run();
      }
    } finally {
      this.current = Math.max(reached, this.current);
      this.running = false;
    }
  }

  /** Start the wall-clock driver (scaled mode only). */
  start(): void {
    this.closed = false;
    this.arm();
  }

  stop(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    if (this.manual || this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const first = this.queue[0];
    if (!first) return;
    const wallMs = Math.max(0, (first.at - this.now()) / this.scaleValue);
    this.timer = setTimeout(() => {
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
