import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '../../ports.ts';

/** SendTaskFailure limits: `error` at most 256 characters, `cause` at most 32,768. */
export const TASK_ERROR_MAX = 256;
export const TASK_CAUSE_MAX = 32_768;

/**
 * Errors Step Functions answers for a token whose task is closed (the execution moved on, timed out or was
 * stopped). They reach the caller with these names, so the core can tell "nothing to resume" from a fault.
 */
export const CLOSED_TASK_ERRORS = ['TaskTimedOut', 'TaskDoesNotExist'] as const;

export function isClosedTaskError(err: unknown): boolean {
  const name = (err as { name?: string } | null)?.name;
  return typeof name === 'string' && (CLOSED_TASK_ERRORS as readonly string[]).includes(name);
}

/** Cut `text` to at most `max` characters (code points, so a surrogate pair is never split). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, max - 1).join('') + '…';
}

/**
 * TaskCallbacks on Step Functions. The token is only ever sent to the API, never logged or put into an
 * error message; SDK errors are rethrown as they came (TaskTimedOut, TaskDoesNotExist, InvalidToken, ...).
 */
export function createTaskCallbacks(client: SFNClient): TaskCallbacks {
  return {
    async succeed(token, output) {
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) }));
    },
    async fail(token, error, cause) {
      await client.send(new SendTaskFailureCommand({ taskToken: token, error: truncate(error, TASK_ERROR_MAX), cause: truncate(cause, TASK_CAUSE_MAX) }));
    },
  };
}
