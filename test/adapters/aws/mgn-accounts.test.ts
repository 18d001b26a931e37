import { describe, expect, it } from 'vitest';
import { createMgnPort } from '../../../src/adapters/aws/mgn.ts';
import type { JobView, MgnPort } from '../../../src/ports.ts';
import { seedServers } from '../../../src/local/emulator/seed.ts';
import { control, useEmulator } from '../../helpers/emulator.ts';

const OTHER = '222233334444';

type Logged = { operation: string; sourceServerIDs?: string[]; accountID?: string; status: number; errorType?: string };

describe('createMgnPort scoped to an account of MGN global view, on the emulator', () => {
  const start = useEmulator();

  async function twoAccounts(otherQuotas = {}) {
    const env = await start({ servers: 2, start: 'ready-for-test', managedAccounts: { [OTHER]: otherQuotas } });
    const [a, b] = seedServers(env.emu.engine, 2, 'ready-for-test', 0, [
      { hostname: 'other-01', account: OTHER },
      { hostname: 'other-02', account: OTHER },
    ]).map((s) => s.id) as [string, string];
    const home = createMgnPort(env.mgn);
    return { env, home, other: home.forAccount(OTHER), otherIds: [a, b] as [string, string] };
  }
  const log = async (env: Awaited<ReturnType<typeof twoAccounts>>['env']) => (await control<{ requests: Logged[] }>(env.emu.endpoint, '/requests')).body.requests;

  it('lists the managed accounts (ListManagedAccounts), the home account first', async () => {
    const { home } = await twoAccounts();
    expect(await home.listManagedAccounts()).toEqual(['111122223333', OTHER]);
  });

  it("sees each account's servers only, and sends accountID on every call of the scoped port (none on the home port's)", async () => {
    const { env, home, other, otherIds } = await twoAccounts();
    expect(home.forAccount(undefined)).toBe(home);
    expect(other.forAccount(OTHER)).toBe(other);
    expect(other.account).toBe(OTHER);
    expect((await home.listServers()).map((s) => s.id)).not.toContain(otherIds[0]);
    expect((await other.listServers()).map((s) => s.id).sort()).toEqual([...otherIds].sort());
    // the home account does not know the other account's servers
    expect(await home.describeServers(otherIds)).toEqual([]);
    await expect(home.changeLifeCycleState(otherIds[0], 'READY_FOR_CUTOVER')).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    const before = (await log(env)).length;
    await other.applyLaunchSettings(otherIds[0], { copyTags: true }, [{ actionId: 'a1', actionName: 'hello', documentIdentifier: 'AWS-RunShellScript', order: 1001 }]);
    const { jobId } = await other.startTest(otherIds);
    expect((await other.describeJobs([jobId]))[0]?.id).toBe(jobId);
    const calls = (await log(env)).slice(before);
    expect(calls.map((c) => c.operation)).toEqual(['UpdateLaunchConfiguration', 'PutSourceServerAction', 'StartTest', 'DescribeJobs']);
    expect(calls.filter((c) => c.accountID !== OTHER).map((c) => c.operation)).toEqual([]);
    // the home account does not see the other account's job
    expect(await home.describeJobs([jobId])).toEqual([]);
  });

  it('counts the job quotas per account: a full account refuses a launch, the home account still launches', async () => {
    const { env, home, other, otherIds } = await twoAccounts({ concurrentJobs: 1 });
    const homeIds = (await home.listServers()).map((s) => s.id);
    await other.startTest([otherIds[0]]);
    await expect(other.startTest([otherIds[1]])).rejects.toMatchObject({ name: 'MgnConflictError' });
    const job: JobView | undefined = (await home.describeJobs([(await home.startTest(homeIds)).jobId]))[0];
    expect(job?.servers.map((s) => s.id).sort()).toEqual([...homeIds].sort());
    const refused = (await log(env)).filter((c) => c.status === 409);
    expect(refused.map((c) => [c.operation, c.accountID])).toEqual([['StartTest', OTHER]]);
  });

  it('refuses a request naming an account MGN does not manage', async () => {
    const { home } = await twoAccounts();
    const stranger: MgnPort = home.forAccount('999988887777');
    await expect(stranger.listServers()).rejects.toMatchObject({ name: 'ValidationException', message: expect.stringContaining('999988887777 is not managed') });
  });
});

describe('the emulator control route /_emulator/accounts', () => {
  const start = useEmulator();

  it('lists the managed accounts with their quotas, adds one, and refuses a bad id or quota', async () => {
    const env = await start({ servers: 0 });
    const added = await control<{ accounts: { accountId: string; home: boolean; quotas: { concurrentJobs: number } }[] }>(env.emu.endpoint, '/accounts', { accountId: OTHER, quotas: { concurrentJobs: 2 } });
    expect(added.status).toBe(200);
    expect(added.body.accounts.map((a) => [a.accountId, a.home, a.quotas.concurrentJobs])).toEqual([
      ['111122223333', true, 20],
      [OTHER, false, 2],
    ]);
    expect(await createMgnPort(env.mgn).listManagedAccounts()).toEqual(['111122223333', OTHER]);
    expect((await control(env.emu.endpoint, '/accounts', { accountId: '123' })).status).toBe(400);
    expect((await control(env.emu.endpoint, '/accounts', { accountId: OTHER, quotas: { colour: 1 } })).status).toBe(400);
  });
});
