/** Named errors: the state machine's Retry and Catch decide what happens to each. */

function named(name: string) {
  return class extends Error {
    constructor(message: string, options?: { cause?: unknown }) {
      super(message, options);
      this.name = name;
    }
  };
}

/** MGN reports a state the lifecycle cannot continue from (STOPPED, PAUSED, DISCONNECTED, archived elsewhere). */
export class ServerNotMigratableError extends named('ServerNotMigratableError') {}
/** The server is unknown to MGN. */
export class ServerNotFoundError extends named('ServerNotFoundError') {}
/** No room in MGN's job quotas for a job now (a termination): the state machine tries again shortly. */
export class JobSlotBusyError extends named('JobSlotBusyError') {}
/** A launch could not be made now (job quota): the launch point stays open and the reconciler retries. */
export class LaunchDeferredError extends named('LaunchDeferredError') {}
/** MGN refused the plan's launch settings while the server is in an active job: admission tries again shortly. */
export class ServerBusyError extends named('ServerBusyError') {}
/**
 * A gate decision that cannot be taken: `unknown` gate, `conflict` (decided already), `expired` (past its
 * deadline: the message says why and until when), or `invalid` (a choice the gate does not allow, a missing
 * confirmation).
 */
export class InvalidDecisionError extends named('InvalidDecisionError') {
  readonly reason: 'unknown' | 'conflict' | 'expired' | 'invalid';
  constructor(message: string, options?: { cause?: unknown; reason?: 'unknown' | 'conflict' | 'expired' | 'invalid' }) {
    super(message, options);
    this.reason = options?.reason ?? 'invalid';
  }
}

/*
 * The errors the ports raise for what the core decides on. The adapters translate the services' own errors
 * into these (src/adapters/aws/errors.ts holds the one list of names); the core never looks at a service's
 * error name, only at these classes.
 */

/** The task token is closed: the execution moved on, timed out or was stopped, or the token is not one. Nothing to resume. */
export class TaskClosedError extends named('TaskClosedError') {}
/** MGN refuses the call in the server's present state (a job running, not launchable yet, a quota of jobs): asking later may succeed. */
export class MgnConflictError extends named('MgnConflictError') {}
/**
 * The service did not answer the call now: `throttled` (refused for rate: the call was not applied) or
 * unavailable (a 5xx, a timeout, a dropped connection: the call may have applied). Asking again is the answer.
 * It keeps the service's own error name (the throttling or server error the service answered): the state
 * machines' standard Retry names those, and people read them.
 */
export class TransientError extends Error {
  readonly throttled: boolean;
  constructor(message: string, options: { cause?: unknown; name: string; throttled: boolean }) {
    super(message, { cause: options.cause });
    this.name = options.name;
    this.throttled = options.throttled;
  }
}

/** MGN has no wave by the id or name given (a wave started from MGN's own plan). */
export class MgnWaveNotFoundError extends named('MgnWaveNotFoundError') {}
/** A server of the wave is in another running wave: nothing was started. */
export class WaveHeldError extends named('WaveHeldError') {}
/** The wave has a schedule already: it is cancelled first. */
export class WaveAlreadyScheduledError extends named('WaveAlreadyScheduledError') {}
/** The wave has no schedule to cancel (it fired, or never was). */
export class WaveNotScheduledError extends named('WaveNotScheduledError') {}
/** The start asked for cannot be (in the past, after the cutover window ends): the message starts with the time as given. */
export class WaveStartTimeError extends named('WaveStartTimeError') {}

export const ERROR_NAMES = ['ServerNotMigratableError', 'ServerNotFoundError', 'LaunchDeferredError', 'InvalidDecisionError', 'JobSlotBusyError', 'FrozenError', 'WaveInvalidError', 'ServerBusyError', 'TaskClosedError', 'MgnConflictError'] as const;
