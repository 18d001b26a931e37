import { ConflictException, ThrottlingException } from '@aws-sdk/client-mgn';
import { TaskDoesNotExist, TaskTimedOut, InvalidToken } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { CLOSED_TASK_ERRORS, toDomainError } from '../../../src/adapters/aws/errors.ts';
import { MgnConflictError, TaskClosedError, TransientError } from '../../../src/core/errors.ts';

const meta = { $metadata: { httpStatusCode: 400, attempts: 1 } };

describe('toDomainError', () => {
  it.each([
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', ...meta })],
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task does not exist', ...meta })],
    ['InvalidToken', new InvalidToken({ message: 'Invalid token', ...meta })],
  ])('makes Step Functions %s a TaskClosedError, its name in the message', (name, err) => {
    const out = toDomainError(err, 'sfn');
    expect(out).toBeInstanceOf(TaskClosedError);
    expect((out as Error).message).toMatch(new RegExp(`^${name}: `));
    expect((out as Error).cause).toBe(err);
  });

  it('lists every closed-task answer once', () => {
    expect([...CLOSED_TASK_ERRORS].sort()).toEqual(['InvalidToken', 'TaskDoesNotExist', 'TaskTimedOut']);
  });

  it("makes MGN's ConflictException an MgnConflictError, and only MGN's", () => {
    const err = new ConflictException({ message: 'Source server s-1 is in active job mgnjob-1', ...meta });
    expect(toDomainError(err, 'mgn')).toBeInstanceOf(MgnConflictError);
    expect(toDomainError(err, 'other')).toBe(err);
  });

  it('makes throttling a TransientError that was not applied, keeping the name and the metadata', () => {
    const err = new ThrottlingException({ message: 'Rate exceeded', ...meta });
    const out = toDomainError(err, 'mgn');
    expect(out).toBeInstanceOf(TransientError);
    expect(out).toMatchObject({ name: 'ThrottlingException', throttled: true, message: 'Rate exceeded', $metadata: meta.$metadata });
  });

  it.each(['InternalServerException', 'ServiceUnavailable', 'TimeoutError'])('makes %s a TransientError that may have applied', (name) => {
    const out = toDomainError(Object.assign(new Error('no answer'), { name }), 'other');
    expect(out).toMatchObject({ name, throttled: false });
  });

  it('makes a dropped connection a TransientError, and leaves every other error as it came', () => {
    expect(toDomainError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'sfn')).toBeInstanceOf(TransientError);
    const other = Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });
    expect(toDomainError(other, 'other')).toBe(other);
    expect(toDomainError('not an error', 'mgn')).toBe('not an error');
  });
});
