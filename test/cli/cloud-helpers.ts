import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LocalCloud, LocalCloudOptions } from '../../src/local/cloud/index.ts';
import { lifecycleCloud } from '../statemachines/lifecycle-helpers.ts';
import { OPERATOR, invocationContext } from '../../src/local/cloud/iam/index.ts';

/**
 * Run `fn` (a CLI command, in process) as the operator: the local cloud checks each of its AWS calls against the
 * generated operator policy (deploy/operator-policy.ts), as AWS would with that policy attached.
 */
export function asOperator<T>(fn: () => Promise<T>): Promise<T> {
  return invocationContext.run({ functionKey: OPERATOR }, fn);
}

/**
 * A real local cloud for CLI tests, found as a person's shell finds it: the commands read
 * `.mgn-flow/local.json` from the current directory, so the test writes the cloud's own info there, in a
 * temporary directory, and works from it (vitest runs each file in its own process: `pool: 'forks'`).
 */
export interface CliCloud {
  cloud: LocalCloud;
  /** The directory the commands run in (holds `.mgn-flow/local.json`); write wave files here. */
  dir: string;
  close(): Promise<void>;
}

export async function cliCloud(opts: LocalCloudOptions = {}): Promise<CliCloud> {
  const cloud = await lifecycleCloud({ writeLocalJson: false, ...opts });
  const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-cli-'));
  mkdirSync(join(dir, '.mgn-flow'));
  writeFileSync(join(dir, '.mgn-flow', 'local.json'), `${JSON.stringify(cloud.info, null, 2)}\n`);
  const before = process.cwd();
  process.chdir(dir);
  return {
    cloud,
    dir,
    close: async () => {
      process.chdir(before);
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
