import { describe, expect, it } from 'vitest';
import { evaluate, globMatch } from '../../../src/local/cloud/iam/index.ts';
import { decideWhenAsked, serverIds, startServers, until, withCloud } from '../../statemachines/lifecycle-helpers.ts';

/**
 * IAM enforced on the local cloud: every AWS call a handler makes is checked against the role deploy/iam.ts
 * generates for its function (the template's own policy); one action taken away fails the local run there.
 */

describe('local IAM evaluation', () => {
  const statements = [
    { actions: ['dynamodb:GetItem', 'dynamodb:PutItem'], resources: ['arn:aws:dynamodb:us-east-1:111122223333:table/t'] },
    { actions: ['dynamodb:Query'], resources: ['arn:aws:dynamodb:us-east-1:111122223333:table/t/index/*'] },
    { actions: ['ec2:RunInstances'], resources: ['*'], condition: { Null: { 'aws:RequestTag/AWSApplicationMigrationServiceManaged': 'false' } } },
  ];
  it('allows an action on a resource a statement names; wildcards as IAM reads them', () => {
    expect(evaluate(statements, 'dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:111122223333:table/t').allowed).toBe(true);
    expect(evaluate(statements, 'dynamodb:Query', 'arn:aws:dynamodb:us-east-1:111122223333:table/t/index/byKind').allowed).toBe(true);
    expect(globMatch('mgn:Describe*', 'MGN:DescribeJobs', true)).toBe(true);
  });
  it('denies another action, another resource, and a statement whose condition the request does not meet', () => {
    expect(evaluate(statements, 'dynamodb:DeleteItem', 'arn:aws:dynamodb:us-east-1:111122223333:table/t').allowed).toBe(false);
    expect(evaluate(statements, 'dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:111122223333:table/other').allowed).toBe(false);
    expect(evaluate(statements, 'dynamodb:Query', 'arn:aws:dynamodb:us-east-1:111122223333:table/t').allowed).toBe(false);
    expect(evaluate(statements, 'ec2:RunInstances', 'arn:aws:ec2:us-east-1:111122223333:instance/*').allowed).toBe(false);
    expect(evaluate(statements, 'ec2:RunInstances', 'arn:aws:ec2:us-east-1:111122223333:instance/*', { 'aws:RequestTag/AWSApplicationMigrationServiceManaged': 'true' }).allowed).toBe(true);
  });
});

describe('the local cloud enforces each function role', () => {
  it('runs the whole lifecycle of three servers within the generated roles: every handler call checked, none refused', { timeout: 60_000 }, async () => {
    await withCloud({}, async (cloud) => {
      const ids = serverIds(cloud);
      const arns = startServers(cloud, { ids });
      await decideWhenAsked(cloud, 'wave-1#app-1#SIGNOFF#1', 'approve');
      await decideWhenAsked(cloud, 'wave-1#app-1#GO_NO_GO#1-0', 'approve', { quiesced: true });
      await decideWhenAsked(cloud, 'wave-1#app-1#FINALIZE#1-1', 'approve');
      const results = await Promise.all(arns.map((a) => cloud.host.settled(a)));
      expect(results.map((r) => r.status)).toEqual(ids.map(() => 'SUCCEEDED'));
      expect(cloud.iam.checked).toBeGreaterThan(50);
      expect(cloud.iam.denied).toEqual([]);
    });
  });

  it("fails the server's launch with AccessDeniedException at StartTest when mgn:StartTest is taken from arriveAtLaunchPoint's role", { timeout: 60_000 }, async () => {
    const withoutStartTest = (key: string, statements: { Action: string[] }[]) =>
      key === 'arriveAtLaunchPoint' ? statements.map((s) => ({ ...s, Action: s.Action.filter((a) => a !== 'mgn:StartTest') })).filter((s) => s.Action.length > 0) : statements;
    // the reconciler (whose own role may launch a due point) stays out of it: the arrival makes the launch
    await withCloud({ rolePolicies: withoutStartTest as never, lambdaOverrides: { reconcile: async () => ({ open: 0, resolved: 0 }) } }, async (cloud) => {
      const machine = cloud.stateMachineArn('serverLifecycle');
      startServers(cloud, { ids: serverIds(cloud) });
      await until('a server execution failed', () => cloud.host.listExecutions(machine).some((e) => e.status === 'FAILED'));
      // refused at the call, by that role only, as AWS words it
      expect(cloud.iam.denied.length).toBeGreaterThan(0);
      for (const d of cloud.iam.denied) expect(d).toMatchObject({ functionKey: 'arriveAtLaunchPoint', action: 'mgn:StartTest', resource: expect.stringMatching(/^arn:aws:mgn:us-east-1:\d{12}:source-server\/s-/) });
      const failed = cloud.host.listExecutions(machine).find((e) => e.status === 'FAILED');
      const r = await cloud.host.settled(String(failed?.executionArn));
      expect(`${r.error} ${r.cause}`).toMatch(/AccessDeniedException/);
      expect(r.cause).toMatch(/is not authorized to perform: mgn:StartTest on resource: arn:aws:mgn:/);
    });
  });
});
