import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { sdkEnvironment } from '../../src/cli/target.ts';
import { run } from './helpers.ts';

describe('mgn-flow soak extend', () => {
  it('returns 2 naming the missing --days and refuses a non-positive number', async () => {
    expect((await run(['soak', 'extend', 'app-1'])).stderr).toMatch(/--days/);
    const r = await run(['soak', 'extend', 'app-1', '--days', '0']);
    expect(r.code).toBe(2);
  });

  it('returns 3 with how to start one when no local cloud is running and no stage is given', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-'));
    expect(() => sdkEnvironment({}, dir)).toThrow(/no local cloud is running here .*npx mgn-flow local/);
    try {
      sdkEnvironment({}, dir);
    } catch (err) {
      expect((err as Error).name).toBe('NotFoundError');
    }
  });

  it('targets AWS with --stage: the region and profile, nothing else from the environment; a bad stage is 2', () => {
    expect(sdkEnvironment({ stage: 'prod', region: 'eu-central-1', profile: 'ops' }, '/nowhere')).toEqual({ stage: 'prod', local: false, env: { AWS_REGION: 'eu-central-1', AWS_PROFILE: 'ops' } });
    expect(() => sdkEnvironment({ stage: 'Prod!' }, '/nowhere')).toThrow(/--stage/);
  });
});
