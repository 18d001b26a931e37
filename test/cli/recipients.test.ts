import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalCloud, type LocalCloud } from '../../src/local/cloud/index.ts';
import { serverIds, until } from '../statemachines/lifecycle-helpers.ts';
import { run } from './helpers.ts';

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
      expect.stringMatching(/^nobody would receive the go\/no-go \(and cutover failure\) requests/),
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
