import type { Faults, Quotas } from './config.ts';

/** An EventBridge event as MGN (or CloudTrail) would put it on the default bus. */
export interface MgnEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: 'aws.mgn';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Number of synthetic source servers seeded at start (default 10). */
  servers?: number;
  /** PRNG seed: the same seed gives the same servers, durations and faults (default 1). */
  seed?: number;
  /** Simulated seconds per wall second (default 1). Ignored when manualClock is true. */
  timeScale?: number;
  /** Time moves only through clock.advance() / POST /_emulator/clock (tests). */
  manualClock?: boolean;
  /** How time moves; overrides manualClock. 'discrete': time stands still while work is in flight and jumps when idle. */
  clockMode?: 'scaled' | 'manual' | 'discrete';
  /** Start the clock's driver at once (default true); the local cloud starts a discrete clock when it is up. */
  startClock?: boolean;
  /** Simulated start time (ms since epoch); default 2026-01-05T08:00:00Z so runs are reproducible. */
  startTime?: number;
  faults?: Partial<Faults>;
  quotas?: Partial<Quotas>;
  region?: string;
  accountId?: string;
  /**
   * Accounts besides the home one in MGN's global view (ListManagedAccounts), each with quotas of its own
   * where given: `{ '222233334444': { concurrentJobs: 1 } }`.
   */
  managedAccounts?: Record<string, Partial<Quotas>>;
  /** false: every call but InitializeService answers UninitializedAccountException until it is called. */
  initialized?: boolean;
  /**
   * Where seeded servers start: 'agent-installed' (default: replication initiation begins at time 0,
   * staggered over a few simulated minutes) or 'ready-for-test' (already CONTINUOUS and READY_FOR_TEST).
   */
  start?: 'agent-installed' | 'ready-for-test';
  /** Also seed this many MGN applications (servers spread over them) in one wave. */
  applications?: number;
  /** Replication bandwidth per server, bytes per simulated second (default 25 MiB/s). */
  bandwidthBytesPerS?: number;
  /** Send every event to an EventBridge PutEvents endpoint as well (e.g. the local bus). */
  putEventsEndpoint?: string;
}

export interface EmulatorClock {
  /** Current simulated time, ms since epoch. */
  now(): number;
  /** Move simulated time forward (manual or scaled clock), running everything due. */
  advance(seconds: number): void;
  /** Simulated seconds per wall second. */
  readonly scale: number;
  setScale(scale: number): void;
}

export interface RunningEmulator {
  /** http://127.0.0.1:<port> */
  endpoint: string;
  port: number;
  region: string;
  accountId: string;
  clock: EmulatorClock;
  /** Subscribe to every event MGN sends (after drop/dup/reorder faults). Returns an unsubscribe function. */
  onEvent(listener: (event: MgnEvent) => void): () => void;
  setFaults(faults: Partial<Faults>): void;
  quotas: Quotas;
  close(): Promise<void>;
}
