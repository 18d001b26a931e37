import { describe, expect, it } from 'vitest';
import type { ServerView } from '../../src/ports.ts';
import { WaveFileError, loadWaveFile, type WaveContext } from '../../src/core/wave-file.ts';
import { checkAccounts, serverPlan, WaveInvalidError } from '../../src/core/wave.ts';

const server = (id: string, hostname: string): ServerView => ({
  id,
  hostname,
  isArchived: false,
  lifeCycle: 'READY_FOR_TEST',
  replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 },
  lastTest: {},
  lastCutover: {},
});

const HOME = [server('s-0000000000000web1', 'fra-prd-web-01')];
const OTHER = '222233334444';
const IN_OTHER = [server('s-0000000000000db01', 'fra-prd-db-01'), server('s-0000000000000web2', 'fra-prd-web-01')];

const ctx = (over: Partial<WaveContext> = {}): WaveContext => ({
  file: 'wave.yaml',
  servers: HOME,
  quotas: { replicatingServers: 150 },
  now: new Date('2026-11-01T00:00:00Z'),
  accounts: { managed: ['111122223333', OTHER], servers: new Map([[OTHER, IN_OTHER]]) },
  ...over,
});

const file = (apps: string) => `version: 1\nwave: { name: w1, timeZone: UTC }\napplications:\n${apps}`;

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof WaveFileError) return e.errors;
    throw e;
  }
  throw new Error('expected a WaveFileError');
}

describe('wave file: an application in another account (MGN global view)', () => {
  it('resolves the servers of an application naming its account in that account, and keeps the account', () => {
    const wave = loadWaveFile(
      file(`  - { name: shop, servers: [fra-prd-web-01] }\n  - { name: erp, account: "${OTHER}", servers: [fra-prd-db-01, fra-prd-web-01] }\n`),
      ctx(),
    );
    expect(wave.applications.map((a) => [a.name, a.account, a.servers.map((s) => s.id)])).toEqual([
      ['shop', undefined, ['s-0000000000000web1']],
      ['erp', OTHER, ['s-0000000000000db01', 's-0000000000000web2']],
    ]);
  });

  it('puts the account in the plan of each server of the application (null for the home account)', () => {
    const wave = loadWaveFile(file(`  - { name: erp, account: "${OTHER}", servers: [fra-prd-db-01] }\n`), ctx());
    expect(serverPlan(wave, { account: wave.applications[0]?.account ?? null }).account).toBe(OTHER);
    expect(serverPlan(wave).account).toBeNull();
  });

  it.each([
    ['an unquoted number', '222233334444'],
    ['11 digits', '"22223333444"'],
    ['letters', '"22223333444x"'],
  ])('refuses an account that is %s, saying what an account is and to quote it', (_what, value) => {
    const errors = errorsOf(() => loadWaveFile(file(`  - { name: erp, account: ${value}, servers: [fra-prd-db-01] }\n`), ctx()));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/applications\[0\]\.account/);
    expect(errors[0]).toContain('12 digits in quotes, e.g. account: "123456789012"');
  });

  it('refuses an account MGN does not manage, naming the application, the account, the managed ones and the fix', () => {
    const errors = errorsOf(() => loadWaveFile(file(`  - { name: erp, account: "999988887777", servers: [fra-prd-db-01] }\n`), ctx()));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('applications[0].account');
    expect(errors[0]).toContain('application "erp" names account 999988887777, which MGN does not manage here (ListManagedAccounts: 111122223333, 222233334444)');
    expect(errors[0]).toContain("add the account to MGN's global view");
  });

  it('looks for the servers in the named account only, and says so', () => {
    const errors = errorsOf(() => loadWaveFile(file(`  - { name: erp, account: "${OTHER}", servers: [s-0000000000000web1] }\n`), ctx()));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`no source server of account ${OTHER} in MGN has this hostname or id`);
  });

  it('refuses EC2 launch template settings for an application in another account (its templates live there)', () => {
    const errors = errorsOf(() => loadWaveFile(file(`  - { name: erp, account: "${OTHER}", launchTemplate: { instanceType: m5.large }, servers: [fra-prd-db-01] }\n`), ctx()));
    expect(errors.join('\n')).toContain(`application "erp" is in account ${OTHER}: its EC2 launch templates live in that account`);
  });
});

describe('checkAccounts (wave admission)', () => {
  const wave = { name: 'w1', applications: [{ name: 'shop', canary: false, standalone: false, servers: [] }, { name: 'erp', account: '999988887777', canary: false, standalone: false, servers: [] }] };

  it('passes when every named account is managed, and reads nothing when none is named', async () => {
    let calls = 0;
    const mgn = { listManagedAccounts: async () => (calls++, ['999988887777']) };
    await checkAccounts({ mgn }, wave);
    await checkAccounts({ mgn }, { name: 'w2', applications: [wave.applications[0]!] });
    expect(calls).toBe(1);
  });

  it('refuses an unmanaged account with WaveInvalidError naming the application, the account and the fix', async () => {
    const err = await checkAccounts({ mgn: { listManagedAccounts: async () => ['111122223333'] } }, wave).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WaveInvalidError);
    expect((err as Error).message).toBe(
      'application erp: account 999988887777 is not managed by MGN here (ListManagedAccounts: 111122223333); add the account to MGN\'s global view (AWS Organizations, MGN console "Global view"), or correct the account in the wave file',
    );
  });
});
