import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetEnvironment } from '../../src/cli/target.ts';
import { run } from './helpers.ts';

describe('mgn-flow soak extend', () => {
  it('returns 2 naming the missing --days and refuses a non-positive number', async () => {
    expect((await run(['soak', 'extend', 'app-1'])).stderr).toMatch(/--days/);
    const r = await run(['soak', 'extend', 'app-1', '--days', '0']);
    expect(r.code).toBe(2);
  });

  it('returns 3 with how to start one when no local cloud is running and no stage is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-'));
    expect(() => targetEnvironment({}, dir)).toThrow(/no local cloud is running here .*npx mgn-flow local/);
    try {
      targetEnvironment({}, dir);
    } catch (err) {
      expect((err as Error).name).toBe('NotFoundError');
    }
  });

  it('targets AWS with --stage, the stage default table and the ops topic from the environment', () => {
    expect(targetEnvironment({ stage: 'prod', region: 'eu-central-1' }, '/nowhere', { OPS_TOPIC_ARN: 'arn:aws:sns:eu-central-1:123456789012:ops' })).toEqual({
      AWS_REGION: 'eu-central-1',
      STATE_TABLE: 'mgn-flow-prod-state',
      OPS_TOPIC_ARN: 'arn:aws:sns:eu-central-1:123456789012:ops',
    });
    expect(() => targetEnvironment({ stage: 'prod' }, '/nowhere', {})).toThrow(/OPS_TOPIC_ARN/);
    expect(() => targetEnvironment({ stage: 'Prod!' }, '/nowhere', { OPS_TOPIC_ARN: 'x' })).toThrow(/--stage/);
  });
});
