import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeps, loadConfig } from '../../src/adapters/aws/index.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { extendSoak } from '../../src/core/soak.ts';
import { decideWhenAsked, lifecycleCloud, serverIds, startServers, statePath, until } from './lifecycle-helpers.ts';

describe('server lifecycle: the soak', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({ servers: 2, seed: 31, timeScale: 10_000 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('re-enters the soak with the new remaining time when it is extended, then ends it by time and waits for the sign-off', { timeout: 60_000 }, async () => {
    const ids = serverIds(cloud);
    const arns = startServers(cloud, { ids, plan: { soakSeconds: 12 * 3600, launchTimeoutSeconds: 12 * 3600, verifyTimeoutSeconds: 12 * 3600 } });
    const deps = createDeps(loadConfig(process.env));
    await until('both servers soaking', async () => (await deps.waits.list()).filter((w) => w.state === 'Soak').length === 2);
    const soakStart = cloud.clock.now();
    const { extended } = await extendSoak(deps, { wave: 'wave-1', application: 'app-1', days: 1 });
    expect(extended.map((e) => e.serverId).sort()).toEqual([...ids].sort());
    for (const e of extended) expect(e.remainingSeconds).toBeGreaterThan(86400);
    expect(extended.every((e) => e.remainingSeconds <= 86400 + 12 * 3600)).toBe(true);
    // the soak now ends a day later: the sign-off gate is still open, nobody decided
    await until('soak ended by time', () => arns.every((a) => statePath(cloud, a).includes('AwaitSignoff')), 45_000);
    expect(cloud.clock.now() - soakStart).toBeGreaterThanOrEqual((86400 + 12 * 3600 - 600) * 1000);
    for (const a of arns) expect(statePath(cloud, a).filter((s) => s === 'Soak')).toHaveLength(2);
    expect(statePath(cloud, arns[0] as string)).toEqual(expect.arrayContaining(['StartSoak', 'Soak', 'SoakExtended', 'SoakRemaining', 'AwaitSignoff']));
    // one sign-off request for the application, still valid after the extension
    expect(cloud.sns.outbox().filter((m) => m.subject === 'Decision needed: SIGNOFF for app-1' && m.attributes.kind?.StringValue === 'request')).toHaveLength(1);
    await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'reject');
    const done = await Promise.all(arns.map((a) => cloud.host.settled(a)));
    expect(done.map((d) => d.error)).toEqual(['SignoffRejected', 'SignoffRejected']);
  });
});
