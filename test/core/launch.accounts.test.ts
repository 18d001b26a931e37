import { describe, expect, it } from 'vitest';
import { arriveAtLaunchPoint, launcherKey, reconcileLaunchPoints, type Arrival } from '../../src/core/launch.ts';
import { inAccount } from '../../src/core/waits.ts';
import { fakeDeps, serverView } from '../helpers/fakes.ts';

const A = 's-aaaaaaaaaaaaaaaaa';
const B = 's-bbbbbbbbbbbbbbbbb';
const OTHER = '222233334444';

function setup() {
  const deps = fakeDeps({ start: '2026-03-10T12:00:00.000Z' });
  for (const id of [A, B]) deps.mgn.addServer(serverView(id, { lifeCycle: 'READY_FOR_TEST' }));
  const arrival = (serverId: string): Arrival => ({
    serverId,
    executionArn: `arn:aws:states:us-east-1:111122223333:execution:m:${serverId}`,
    state: 'TestLaunchPoint',
    token: `token-${serverId}`,
    wave: 'w',
    application: 'erp',
    launch: 'TEST',
    round: '1-0',
    members: [A, B],
    arrivalTimeoutSeconds: 3600,
    account: OTHER,
  });
  // what the handler runtime does for an input naming the account: the MGN port scoped to it
  return { deps, scoped: inAccount(deps, OTHER), arrival };
}

describe("the job-slot limiter per account of MGN's global view", () => {
  it('keys the lease per account (the home account keeps the plain key)', () => {
    expect([launcherKey(undefined), launcherKey(null), launcherKey(OTHER)]).toEqual(['launcher', 'launcher', `launcher#${OTHER}`]);
  });

  it("launches in an account while the home account's lease is held, the job made in that account", async () => {
    const { deps, scoped, arrival } = setup();
    expect(await deps.lock.acquire('launcher', 120)).toBe(true);
    await arriveAtLaunchPoint(scoped, arrival(A));
    await arriveAtLaunchPoint(scoped, arrival(B));
    expect(deps.mgn.callsTo('startTest').map((c) => [c.ids, c.account])).toEqual([[[A, B], OTHER]]);
    // every call for the launch named the account, and the point and waits keep it for later
    expect(deps.mgn.calls.filter((c) => c.account !== OTHER).map((c) => c.op)).toEqual([]);
    expect((await deps.waits.get(A))?.account).toBe(OTHER);
  });

  it("waits for its own account's lease; the reconciler (home port) then launches it in the point's account", async () => {
    const { deps, scoped, arrival } = setup();
    expect(await deps.lock.acquire(launcherKey(OTHER), 120)).toBe(true);
    await arriveAtLaunchPoint(scoped, arrival(A));
    await arriveAtLaunchPoint(scoped, arrival(B));
    expect(deps.mgn.callsTo('startTest')).toEqual([]);
    await deps.lock.release(launcherKey(OTHER));
    expect((await reconcileLaunchPoints(deps)).launched).toBe(1);
    expect(deps.mgn.callsTo('startTest').map((c) => [c.ids, c.account])).toEqual([[[A, B], OTHER]]);
  });
});
