import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetScheduleCommand, ListSchedulesCommand, SchedulerClient, UpdateScheduleCommand, type UpdateScheduleCommandInput } from '@aws-sdk/client-scheduler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { serverIds } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, asOperator, cliCloud } from './cloud-helpers.ts';
import { run as runCli } from './helpers.ts';

/** The doctor runs as the operator, under the generated operator policy: a check it may not make would fail. */
const run: typeof runCli = (argv, io) => asOperator(() => runCli(argv, io));

/**
 * `mgn-flow doctor` on the local cloud: every check passes on a fresh cloud; each fails, with its fix, when
 * its cause is injected (and only that check fails).
 */
describe('mgn-flow doctor', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let hosts: string[];

  const waveFile = (name: string, approvers: string[]) => {
    writeFileSync(
      join(env.dir, `${name}.yaml`),
      ['version: 1', `wave: { name: ${name}, timeZone: Europe/Berlin }`, 'defaults: { soakDays: 1, concurrency: 2, failurePolicy: hold }', `approvers: { testSignoff: [${approvers.join(', ')}] }`, 'applications:', '  - name: shop', `    servers: [${hosts.join(', ')}]`, ''].join('\n'),
    );
    return `${name}.yaml`;
  };

  /** The doctor's lines that failed, by title, and the fixes it printed. */
  const failures = (out: string) => out.split('\n').filter((l) => l.startsWith('✗ '));
  const expectOnlyFailure = (r: { code: number; stdout: string }, title: string, fix: RegExp) => {
    expect(r.code).toBe(1);
    const failed = failures(r.stdout);
    expect(failed, r.stdout).toHaveLength(1);
    expect(failed[0]).toContain(`✗ ${title}`);
    const lines = r.stdout.split('\n');
    expect(lines[lines.indexOf(failed[0] as string) + 1]).toMatch(fix);
  };

  beforeAll(async () => {
    env = await cliCloud({ servers: 3, applications: 0, start: 'agent-installed', holdClock: true });
    cloud = env.cloud;
    hosts = serverIds(cloud).map((id) => cloud.emulator.engine.servers.get(id)?.properties.identificationHints.hostname as string);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('passes on a fresh local cloud, with a wave whose approver is subscribed (exit 0; --json says each check)', async () => {
    const r = await run(['doctor', '--wave', waveFile('wave-ok', ['approver@example.com'])]);
    expect(r.stderr).toBe('');
    expect(failures(r.stdout)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('ready: nothing failed');
    expect(cloud.iam.denied).toEqual([]);
    const j = await run(['--json', 'doctor']);
    const doc = JSON.parse(j.stdout) as { ok: boolean; stack: string; checks: { id: string; status: string }[] };
    expect(doc.ok).toBe(true);
    expect(doc.stack).toBe('mgn-flow-dev');
    expect(doc.checks.map((c) => [c.id, c.status])).toEqual([
      ['credentials', 'ok'],
      ['stack', 'ok'],
      ['mgn', 'ok'],
      ['quotas', 'ok'],
      ['subscriptions', 'ok'],
      ['signing-secret', 'ok'],
      ['reconciler', 'ok'],
      ['approval-api', 'ok'],
      ['launch-permissions', 'ok'],
    ]);
  });

  it('credentials: expired ones fail first, with how to renew them; the rest is skipped', async () => {
    cloud.account.failCredentials({ code: 'ExpiredToken', message: 'The security token included in the request is expired' });
    try {
      const r = await run(['doctor']);
      expectOnlyFailure(r, 'credentials and region', /fix: give --profile .* --region .*aws sso login/);
      expect(r.stdout).toContain('ExpiredToken');
      expect(r.stdout.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(8);
    } finally {
      cloud.account.failCredentials();
    }
  });

  it('stack: a missing output is named, with how to redeploy', async () => {
    cloud.cloudformation.hideOutput('SigningSecretArn');
    try {
      const r = await run(['doctor']);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('✗ stack mgn-flow-dev and its outputs: missing output(s) SigningSecretArn');
      expect(r.stdout).toMatch(/fix: deploy this version of mgn-flow to the stage again .*or set SIGNING_SECRET_ARN/);
      // what needs it is skipped, not failed
      expect(r.stdout).toContain('- approval link signing secret: needs the stack output SigningSecretArn');
      expect(failures(r.stdout)).toHaveLength(1);
    } finally {
      cloud.cloudformation.restore();
    }
  });

  it('MGN: not initialized in the region', async () => {
    cloud.emulator.engine.initialized = false;
    try {
      expectOnlyFailure(await run(['doctor']), 'MGN initialized in this region', /fix: initialize Application Migration Service in us-east-1: .*aws mgn initialize-service --region us-east-1/);
    } finally {
      cloud.emulator.engine.initialized = true;
    }
  });

  it('quotas: a wave over the replicating-servers quota', async () => {
    const quotas = cloud.emulator.engine.quotas;
    const before = quotas.maxActiveSourceServers;
    quotas.maxActiveSourceServers = 2;
    try {
      const r = await run(['doctor', '--wave', waveFile('wave-big', ['approver@example.com'])]);
      expectOnlyFailure(r, 'MGN quotas, and wave wave-big within them', /fix: split the wave or ask for a quota increase/);
      expect(r.stdout).toContain('replicating servers 2');
    } finally {
      quotas.maxActiveSourceServers = before;
    }
  });

  it('subscriptions: an approver the wave names without a confirmed subscription', async () => {
    const r = await run(['doctor', '--wave', waveFile('wave-qa', ['qa-lead@example.com'])]);
    expectOnlyFailure(r, "ops and the wave's approvers subscribed and confirmed", /fix: add them to approverEmails and deploy .*Confirm subscription/);
    expect(r.stdout).toContain('no confirmed subscription to the approvals topic: qa-lead@example.com');
  });

  it('signing secret: one that does not exist', async () => {
    // outside the operator policy, which allows only the stack's own secret (it would be AccessDenied, as on AWS)
    const r = await runCli(['doctor'], { env: { SIGNING_SECRET_ARN: `arn:aws:secretsmanager:us-east-1:${cloud.info.accountId}:secret:nope-AbCdEf` } });
    expectOnlyFailure(r, 'approval link signing secret', /fix: deploy the stack again/);
  });

  it('reconciler: its schedule disabled', async () => {
    const scheduler = new SchedulerClient({ region: cloud.info.region, endpoint: cloud.endpoints.scheduler, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const group = cloud.stackOutputs().ScheduleGroupName as string;
    const name = String((await scheduler.send(new ListSchedulesCommand({ GroupName: group }))).Schedules?.find((s) => s.Target?.Arn === cloud.stackOutputs().ReconcileFunctionArn)?.Name);
    const current = await scheduler.send(new GetScheduleCommand({ Name: name, GroupName: group }));
    const update = (State: 'ENABLED' | 'DISABLED') =>
      scheduler.send(new UpdateScheduleCommand({ Name: name, GroupName: group, ScheduleExpression: current.ScheduleExpression, FlexibleTimeWindow: current.FlexibleTimeWindow, Target: current.Target, State } as UpdateScheduleCommandInput));
    await update('DISABLED');
    try {
      expectOnlyFailure(await run(['doctor']), 'reconciler schedule enabled and run recently', /fix: enable it/);
    } finally {
      await update('ENABLED');
      scheduler.destroy();
    }
  });

  it('approval pages: an API that does not answer', async () => {
    const r = await run(['doctor'], { env: { APPROVAL_BASE_URL: 'http://127.0.0.1:9' } });
    expectOnlyFailure(r, 'approval pages reachable', /fix: check the HTTP API exists and is reachable/);
  });

  it("launch rights: the reconciler's role without mgn:StartCutover (IAM SimulatePrincipalPolicy)", async () => {
    cloud.iam.revoke('reconcile', 'mgn:StartCutover');
    try {
      const r = await run(['doctor']);
      expectOnlyFailure(r, "launching roles allowed MGN's launch actions", /fix: deploy this version again .*permissions boundary or SCP/);
      expect(r.stdout).toContain('ReconcileLambdaRole: mgn:StartCutover implicitDeny');
    } finally {
      cloud.iam.restore();
    }
  });
});
