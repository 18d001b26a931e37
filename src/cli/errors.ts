import { CommanderError } from 'commander';
import { UsageError } from '../local/emulator/config.ts';
import { ExitCode } from './exit-codes.ts';

export { UsageError };

/** The thing a command names (wave, execution, approval, ...) does not exist: exit 3. */
export class NotFoundError extends Error {
  readonly exitCode = ExitCode.NotFound;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'NotFoundError';
  }
}

/** The request clashes with the current state (already decided, already running, ...): exit 4. */
export class ConflictError extends Error {
  readonly exitCode = ExitCode.Conflict;
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** commander's own exits that are not mistakes: --help, --version, `help`. */
const COMMANDER_OK = new Set(['commander.helpDisplayed', 'commander.version']);

export function exitCodeFor(err: unknown): ExitCode {
  if (err instanceof CommanderError) {
    if (COMMANDER_OK.has(err.code) || (err.code === 'commander.help' && err.exitCode === 0)) return ExitCode.Ok;
    return ExitCode.Usage;
  }
  if (err instanceof UsageError) return ExitCode.Usage;
  if (err instanceof NotFoundError) return ExitCode.NotFound;
  if (err instanceof ConflictError) return ExitCode.Conflict;
  return ExitCode.Failed;
}
