import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../src/adapters/aws/config.ts';

const OPS = 'arn:aws:sns:us-east-1:111122223333:mgn-flow-dev-ops';
const valid = { STATE_TABLE: 'mgn-flow-dev-state', OPS_TOPIC_ARN: OPS };

describe('loadConfig', () => {
  it('returns the parsed configuration with MAX_STALL_RETRIES defaulting to 2', () => {
    expect(loadConfig(valid)).toEqual({ stateTable: 'mgn-flow-dev-state', opsTopicArn: OPS, maxStallRetries: 2 });
  });

  it('reads the optional ARNs and a retry count, and treats empty optional variables as unset', () => {
    expect(
      loadConfig({
        ...valid,
        APPROVAL_TOPIC_ARN: 'arn:aws:sns:us-east-1:111122223333:mgn-flow-dev-approvals',
        STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:111122223333:stateMachine:server-lifecycle',
        MAX_STALL_RETRIES: '5',
      }),
    ).toEqual({
      stateTable: 'mgn-flow-dev-state',
      opsTopicArn: OPS,
      approvalTopicArn: 'arn:aws:sns:us-east-1:111122223333:mgn-flow-dev-approvals',
      stateMachineArn: 'arn:aws:states:us-east-1:111122223333:stateMachine:server-lifecycle',
      maxStallRetries: 5,
    });
    expect(loadConfig({ ...valid, APPROVAL_TOPIC_ARN: '', STATE_MACHINE_ARN: ' ', MAX_STALL_RETRIES: '' })).toEqual(loadConfig(valid));
  });

  it('names a missing STATE_TABLE and says what to set it to', () => {
    const err = (() => {
      try {
        loadConfig({ OPS_TOPIC_ARN: OPS });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).name).toBe('ConfigError');
    expect((err as ConfigError).variables).toEqual(['STATE_TABLE']);
    expect((err as Error).message).toMatch(/STATE_TABLE is not set: set it to the name of the DynamoDB state table/);
  });

  it('names every missing or invalid variable at once, with the value it got', () => {
    expect(() => loadConfig({})).toThrow(/STATE_TABLE is not set.*OPS_TOPIC_ARN is not set: set it to the ARN of the ops SNS topic/);
    expect(() => loadConfig({ ...valid, OPS_TOPIC_ARN: 'ops' })).toThrow(/OPS_TOPIC_ARN is "ops": set it to the ARN of the ops SNS topic, arn:aws:sns:<region>:<account>:<name>/);
    expect(() => loadConfig({ ...valid, MAX_STALL_RETRIES: 'two' })).toThrow(/MAX_STALL_RETRIES is "two": set it to a whole number from 0 to 10/);
    expect(() => loadConfig({ ...valid, MAX_STALL_RETRIES: '-1' })).toThrow(/MAX_STALL_RETRIES/);
    expect(() => loadConfig({ ...valid, STATE_MACHINE_ARN: 'arn:aws:sns:us-east-1:111122223333:x' })).toThrow(/STATE_MACHINE_ARN is .*stateMachine/);
  });

  it('reads process.env by default', () => {
    const saved = { ...process.env };
    try {
      Object.assign(process.env, valid, { MAX_STALL_RETRIES: '0' });
      expect(loadConfig().maxStallRetries).toBe(0);
    } finally {
      for (const k of ['STATE_TABLE', 'OPS_TOPIC_ARN', 'MAX_STALL_RETRIES']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});
