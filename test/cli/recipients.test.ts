import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../src/local/cloud/index.ts';
import { serverIds, until } from '../statemachines/lifecycle-helpers.ts';
import { run } from './helpers.ts';
import { unreachedGates } from '../../src/cli/recipients.ts';

const repoRoot = new URL('../..', import.meta.url).pathname;

/**
 * The local cloud delivers: `wave start` subscribes the approvers and ops the wave names, with the deployed
 * stack's filter policies (each approver gets their own links and the gates that name nobody), and warns
 * when a gate's request would reach nobody. No other subscription exists in this cloud.
 */
describe('mgn-flow wave start: who receives the requests, on the local cloud', () => {
  let cloud: LocalCloud;
  let dir: string;
  let before: string;
  let hosts: string[];

  beforeAll(async () => {
    cloud = await startLocalCloud({ root: repoRoot, servers: 2, applications: 0, start: 'ready-for-test', seed: 3, writeLocalJson: false });
    dir = mkdtempSync(join(tmpdir(), 'mgn-flow-recipients-'));
    mkdirSync(join(dir, '.mgn-flow'));
    writeFileSync(join(dir, '.mgn-flow', 'local.json'), JSON.stringify(cloud.info));
    before = process.cwd();
    process.chdir(dir);
    hosts = serverIds(cloud).map((id) => cloud.emulator.engine.servers.get(id)?.properties.identificationHints.hostname as string);
  }, 60_000);
  afterAll(async () => {
    process.chdir(before);
    await cloud?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const waveFile = (name: string, host: string, extra: string[]) => {
    writeFileSync(join(dir, `${name}.yaml`), ['version: 1', `wave: { name: ${name}, timeZone: Europe/Berlin }`, 'defaults: { soakDays: 1 }', ...extra, `servers: [${host}]`, ''].join('\n'));
    return `${name}.yaml`;
  };

  it('warns when nobody would receive a gate request or the ops messages (the wave still starts)', async () => {
    const r = await run(['--json', 'wave', 'start', waveFile('nobody', hosts[0] as string, [])]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { subscribed: string[]; warnings: string[] };
    expect(doc.subscribed).toEqual([]);
    expect(doc.warnings).toEqual([
      expect.stringMatching(/^nobody would receive the test sign-off \(and test failure\) requests \(the wave names no testSignoff approver: they go out as approver=any\)/),
      expect.stringMatching(/^nobody would receive the cutover go\/no-go \(and cutover failure\) requests/),
      expect.stringMatching(/^nobody would receive the finalize requests/),
      expect.stringMatching(/^nobody receives the ops messages .*ops: \[ops@example\.com\]/),
    ]);
    expect(r.stderr).toContain('warning: nobody would receive the test sign-off');
  });

  it("subscribes the wave's approvers and ops; each gets their own request in the outbox", { timeout: 60_000 }, async () => {
    const file = waveFile('named', hosts[1] as string, ['approvers: { testSignoff: [qa@example.com], goNoGo: [cm@example.com] }', 'ops: [ops@example.com]']);
    const r = await run(['wave', 'start', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("subscribed on the local cloud (e-mail, with the deployed stack's filter policies): qa@example.com, cm@example.com, ops@example.com (ops)");
    // nobody named for finalize: its requests go out as approver=any, which both approvers' policies let through
    expect(r.stderr).toBe('');

    const signoff = () => cloud.sns.outbox({ endpoint: 'qa@example.com' }).filter((m) => m.subject === `Decision needed: SIGNOFF for ${hosts[1]}`);
    await until('the sign-off request reaches qa@example.com', () => signoff().length > 0, 45_000);
    expect(signoff()[0]?.message).toContain('This link is for qa@example.com alone');
    // the filter policy keeps the go/no-go approver out of the sign-off
    expect(cloud.sns.outbox({ endpoint: 'cm@example.com' }).filter((m) => m.subject === `Decision needed: SIGNOFF for ${hosts[1]}`)).toEqual([]);
    // started again: the same subscriptions, no duplicate
    const again = await run(['--json', 'wave', 'start', file]);
    expect(JSON.parse(again.stdout)).toMatchObject({ started: false, warnings: [] });
    expect(cloud.sns.outbox({ endpoint: 'qa@example.com' }).filter((m) => m.subject === `Decision needed: SIGNOFF for ${hosts[1]}`)).toHaveLength(1);
  });
});

describe('unreachedGates', () => {
  const wave = {
    name: 'w',
    timeZone: 'UTC',
    source: { kind: 'file', file: 'w.yaml' },
    defaults: { soakDays: 1, concurrency: 1, failurePolicy: 'hold', archive: true },
    cutoverWindow: null,
    approvers: { testSignoff: ['qa@example.com'], goNoGo: ['cab@example.com'], finalize: [] },
    freeze: [],
    applications: [{ name: 'shop', canary: false, standalone: false, servers: [{ id: 's-00000000000000001' }] }],
  } as const satisfies Parameters<typeof unreachedGates>[0];
  const policy = (address: string) => ({ approver: [address, 'any'] });
  // SNS's matching for these policies: every key's value is one of the listed strings
  const matches = (p: Record<string, unknown> | undefined, a: Record<string, string>) => !p || Object.entries(p).every(([k, v]) => (v as string[]).includes(a[k] ?? ''));

  it('is empty when each approver has a confirmed subscription (finalize, naming nobody, reaches both through "any")', () => {
    const subs = ['qa@example.com', 'cab@example.com'].map((e) => ({ endpoint: e, protocol: 'email', confirmed: true, filterPolicy: policy(e) }));
    expect(unreachedGates(wave, subs, matches)).toEqual([]);
  });

  it('names an approver whose subscription waits for its confirmation, and one with none', () => {
    const subs = [{ endpoint: 'qa@example.com', protocol: 'email', confirmed: false, filterPolicy: policy('qa@example.com') }];
    expect(unreachedGates(wave, subs, matches).map((u) => u.message)).toEqual([
      'nobody would receive the test sign-off (and test failure) requests for qa@example.com yet: qa@example.com has not confirmed the subscription (the "Confirm subscription" e-mail)',
      'nobody would receive the cutover go/no-go (and cutover failure) requests for cab@example.com: no subscription to the approvals topic lets approver=cab@example.com through; subscribe cab@example.com with the filter policy {"approver":["cab@example.com","any"]} (the approverEmails stage parameter)',
      expect.stringMatching(/^nobody would receive the finalize requests \(the wave names no finalize approver: they go out as approver=any\)/),
    ]);
  });

  it('reads the other attributes a request carries: a policy on the gate lets only that gate through', () => {
    const subs = [
      { endpoint: 'qa@example.com', protocol: 'email', confirmed: true, filterPolicy: { approver: ['qa@example.com', 'any'], gate: ['SIGNOFF'] } },
      { endpoint: 'cab@example.com', protocol: 'email', confirmed: true, filterPolicy: policy('cab@example.com') },
    ];
    expect(unreachedGates(wave, subs, matches).map((u) => u.list)).toEqual(['testSignoff']);
  });
});
