import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { TaskCallbacks } from '../../ports.ts';
import { withDomainErrors } from './errors.ts';

/** SendTaskFailure limits: `error` at most 256 characters, `cause` at most 32,768. */
export const TASK_ERROR_MAX = 256;
export const TASK_CAUSE_MAX = 32_768;

/** Cut `text` to at most `max` characters (code points, so a surrogate pair is never split). */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  const chars = [...text];
  if (chars.length <= max) return text;
  return chars.slice(0, max - 1).join('') + '…';
}

/**
 * TaskCallbacks on Step Functions. The token is only ever sent to the API, never logged or put into an
 * error message. A closed task (TaskTimedOut, TaskDoesNotExist, InvalidToken) throws TaskClosedError, a
 * throttled or failing call TransientError (errors.ts).
 */
export function createTaskCallbacks(client: SFNClient): TaskCallbacks {
  withDomainErrors(client, 'sfn');
  return {
    async succeed(token, output) {
      await client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output ?? {}) }));
    },
    async fail(token, error, cause) {
      await client.send(new SendTaskFailureCommand({ taskToken: token, error: truncate(error, TASK_ERROR_MAX), cause: truncate(cause, TASK_CAUSE_MAX) }));
    },
  };
}
