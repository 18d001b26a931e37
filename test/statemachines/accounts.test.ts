import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Wave } from '../../src/core/wave-file.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, lifecycleCloud, startWave, statePath } from './lifecycle-helpers.ts';

/** Issue 18, "Many accounts": one wave over two accounts of MGN's global view, each with its own quotas. */
const HOME = '111122223333';
const OTHER = '222233334444';
const UNMANAGED = '999988887777';

const hosts = { alpha: ['alpha-01', 'alpha-02'], beta: ['beta-01', 'beta-02'], gamma: ['gamma-01', 'gamma-02'] };

function idOf(cloud: LocalCloud, hostname: string): string {
  const s = [...cloud.emulator.engine.servers.values()].find((x) => x.properties.identificationHints.hostname === hostname);
  if (!s) throw new Error(`no server ${hostname}`);
  return s.id;
}

function twoAccountWave(cloud: LocalCloud, name: string, account = OTHER): Wave {
  const app = (n: keyof typeof hosts, acct?: string) => ({ name: n, canary: false, standalone: false, ...(acct ? { account: acct } : {}), servers: hosts[n].map((h) => ({ id: idOf(cloud, h), hostname: h })) });
  return {
    name,
    timeZone: 'UTC',
    source: { kind: 'file', file: 'test' },
    defaults: { soakDays: 1, concurrency: 10, failurePolicy: 'continue', archive: true },
    cutoverWindow: null,
    approvers: { testSignoff: [], goNoGo: [], finalize: [] },
    freeze: [],
    applications: [app('alpha'), app('beta', account), app('gamma', account)],
  } as Wave;
}

describe('a wave over two accounts of MGN\'s global view', () => {
  let cloud: LocalCloud;
  beforeAll(async () => {
    cloud = await lifecycleCloud({
      servers: 0,
      serverSpecs: [
        ...hosts.alpha.map((hostname) => ({ hostname })),
        ...[...hosts.beta, ...hosts.gamma].map((hostname) => ({ hostname, account: OTHER })),
      ],
    });
    // the other account may run one job at a time (MGN's quotas apply per account)
    cloud.emulator.engine.addManagedAccount(OTHER, { concurrentJobs: 1 });
  });
  afterAll(async () => {
    await cloud?.close();
  });

  it('runs to the end; every MGN request for a server carries its account; the other account\'s full job quota does not hold back the home account', { timeout: 180_000 }, async () => {
    const stop = autoApprove(cloud);
    const arn = await startWave(cloud, twoAccountWave(cloud, 'wave-acc'));
    const r = await cloud.host.settled(arn);
    stop();
    expect({ status: r.status, error: r.error, cause: r.cause }).toEqual({ status: 'SUCCEEDED', error: undefined, cause: undefined });
    const engine = cloud.emulator.engine;
    for (const s of engine.servers.values()) expect([s.properties.identificationHints.hostname, s.lifeCycle.state, s.isArchived]).toEqual([s.properties.identificationHints.hostname, 'CUTOVER', true]);

    // every request naming a server carried the account of its server (none for the home account's)
    const accountOf = new Map([...engine.servers.values()].map((s) => [s.id, s.account === HOME ? undefined : s.account]));
    const named = cloud.emulator.http.log.filter((e) => e.sourceServerIDs?.length);
    expect(named.length).toBeGreaterThan(0);
    const wrong = named.filter((e) => (e.sourceServerIDs ?? []).some((id) => accountOf.get(id) !== e.accountID));
    expect(wrong.map((e) => `${e.operation} ${e.accountID ?? 'home'} ${e.sourceServerIDs?.join(',')}`)).toEqual([]);
    // and the other account's calls were made: launches, lifecycle changes, finalize, archive
    const otherOps = new Set(named.filter((e) => e.accountID === OTHER && e.status < 300).map((e) => e.operation));
    for (const op of ['DescribeSourceServers', 'StartTest', 'StartCutover', 'ChangeServerLifeCycleState', 'FinalizeCutover', 'MarkAsArchived']) expect(otherOps).toContain(op);

    // the other account never ran two jobs at once (its quota), and MGN refused at least one launch there ...
    const jobs = [...engine.jobs.values()].map((j) => ({ account: j.account, from: j.createdAt, to: j.endedAt ?? Infinity }));
    const other = jobs.filter((j) => j.account === OTHER).sort((a, b) => a.from - b.from);
    for (let i = 1; i < other.length; i++) expect(other[i]!.from).toBeGreaterThanOrEqual(other[i - 1]!.to);
    const refused = cloud.emulator.http.log.filter((e) => e.accountID === OTHER && (e.operation === 'StartTest' || e.operation === 'StartCutover') && e.status === 409);
    expect(refused.length).toBeGreaterThan(0);
    // ... while the home account's launches were never refused and ran alongside the other account's jobs
    const homeLaunches = cloud.emulator.http.log.filter((e) => !e.accountID && (e.operation === 'StartTest' || e.operation === 'StartCutover'));
    expect(homeLaunches.map((e) => e.status)).toEqual([202, 202]);
    const home = jobs.filter((j) => j.account === HOME && j.to !== Infinity);
    expect(home.some((h) => other.some((o) => h.from < o.to && o.from < h.to))).toBe(true);

    // the dashboard shows the account of the other account's applications, and reads their servers there
    const seen = cloud.emulator.http.log.length;
    const board = (await (await fetch(`${cloud.info.dashboard}api/board`)).json()) as { plans: { wave: string; applications: { application: string; account?: string }[] }[]; problems: string[] };
    expect(board.plans.find((p) => p.wave === 'wave-acc')?.applications.map((a) => [a.application, a.account])).toEqual([
      ['alpha', undefined],
      ['beta', OTHER],
      ['gamma', OTHER],
    ]);
    const reads = cloud.emulator.http.log.slice(seen).filter((e) => e.operation === 'DescribeSourceServers');
    expect(reads.filter((e) => (e.sourceServerIDs ?? []).some((id) => accountOf.get(id) !== e.accountID))).toEqual([]);
    expect(reads.some((e) => e.accountID === OTHER)).toBe(true);
  });

  it('refuses a wave naming an account MGN does not manage, naming the application, the account and the fix', { timeout: 60_000 }, async () => {
    const arn = await startWave(cloud, twoAccountWave(cloud, 'wave-unmanaged', UNMANAGED));
    const r = await cloud.host.settled(arn);
    expect(statePath(cloud, arn)).toContain('WaveInvalid');
    expect([r.status, r.error]).toEqual(['FAILED', 'WaveInvalid']);
    // LoadWave's error (caught into WaveInvalid) names what is wrong and how to fix it
    const text = JSON.stringify(cloud.host.history(arn));
    expect(text).toContain('WaveInvalidError');
    expect(text).toContain(`application beta: account ${UNMANAGED} is not managed by MGN here`);
    expect(text).toContain(`application gamma: account ${UNMANAGED}`);
    expect(text).toContain("add the account to MGN's global view");
    // nothing was started for it
    expect(cloud.emulator.http.log.filter((e) => e.accountID === UNMANAGED)).toEqual([]);
  });
});
