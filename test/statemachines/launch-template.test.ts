import { EC2Client } from '@aws-sdk/client-ec2';
import { MgnClient } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { createLaunchTemplatePort } from '../../src/adapters/aws/launch-templates.ts';
import { invocationContext } from '../../src/local/cloud/iam/index.ts';
import { serverIds, startWave, until, waveOf, withCloud } from './lifecycle-helpers.ts';

describe('EC2 launch template settings from the wave', () => {
  it("put the plan's instance type, subnet, security groups, private IP and tags in a new default version of the template MGN made; applied again, nothing changes", { timeout: 60_000 }, async () => {
    await withCloud({ servers: 2, applications: 1 }, async (cloud) => {
      const [a, b] = serverIds(cloud) as [string, string];
      const engine = cloud.emulator.engine;
      const wave = waveOf(cloud);
      const app = wave.applications[0] as (typeof wave.applications)[number];
      const template = { instanceType: 'm6i.large', subnetId: 'subnet-0abc12345def67890', securityGroupIds: ['sg-0aaa1111bbbb2222c'], tags: { CostCenter: 'shop' } };
      app.servers = [{ id: a, launchTemplate: { ...template, privateIpAddress: '10.20.30.40', tags: { CostCenter: 'shop', Role: 'web' } } }, { id: b, launchTemplate: template }];
      await startWave(cloud, wave);
      const lt = (id: string) => String(engine.servers.get(id)?.launchConfig.ec2LaunchTemplateID);
      await until('the templates changed', () => cloud.ec2.calls.filter((c) => c.action === 'ModifyLaunchTemplate').length === 2);

      expect(cloud.ec2.defaultData(lt(a))).toEqual({
        InstanceType: 'm6i.large',
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0abc12345def67890', Groups: ['sg-0aaa1111bbbb2222c'], PrivateIpAddress: '10.20.30.40' }],
        TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'CostCenter', Value: 'shop' }, { Key: 'Role', Value: 'web' }] }],
      });
      expect(cloud.ec2.template(lt(a))?.defaultVersion).toBe(2);
      // every EC2 call was checked against admitWave's role (deploy/iam.ts), and allowed: MGN made the templates
      expect(cloud.iam.denied).toEqual([]);
      // a template MGN did not make (no AWSApplicationMigrationServiceManaged tag) is refused, as EC2 refuses it
      const call = (template: string) => ({
        method: 'POST',
        path: '/',
        headers: { authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/ec2/aws4_request', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
        body: `Action=CreateLaunchTemplateVersion&Version=2016-11-15&LaunchTemplateId=${template}`,
      });
      expect(invocationContext.run({ functionKey: 'admitWave' }, () => cloud.iam.guard(call(lt(a))))).toBeUndefined();
      const refused = invocationContext.run({ functionKey: 'admitWave' }, () => cloud.iam.guard(call('lt-0notmadebymgn0000')));
      expect(refused?.statusCode).toBe(403);
      expect(Buffer.from(refused?.body ?? []).toString()).toMatch(/<Code>UnauthorizedOperation<\/Code>.*ec2:CreateLaunchTemplateVersion on resource: arn:aws:ec2:us-east-1:\d{12}:launch-template\/lt-0notmadebymgn0000/);
      expect(cloud.ec2.defaultData(lt(b))?.NetworkInterfaces?.[0]?.PrivateIpAddress).toBeUndefined();

      // the same settings again (a wave admitted again): the default version already has them, no new version
      const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
      const mgn = new MgnClient({ region: cloud.info.region, endpoint: cloud.endpoints.mgn, credentials });
      const ec2 = new EC2Client({ region: cloud.info.region, endpoint: String(cloud.endpoints.ec2), credentials });
      try {
        const port = createLaunchTemplatePort(mgn, ec2);
        expect(await port.apply(b, template)).toEqual({ templateId: lt(b), version: 2, changed: false });
        expect(await port.apply(b, { ...template, instanceType: 'm6i.xlarge' })).toEqual({ templateId: lt(b), version: 3, changed: true });
        expect(cloud.ec2.defaultData(lt(b))?.InstanceType).toBe('m6i.xlarge');
        expect(cloud.ec2.defaultData(lt(b))?.NetworkInterfaces?.[0]?.SubnetId).toBe('subnet-0abc12345def67890');
      } finally {
        mgn.destroy();
        ec2.destroy();
      }
    });
  });

  it("refuses admitWave's EC2 call when its role lacks ec2:CreateLaunchTemplateVersion (local IAM checks EC2 too)", { timeout: 60_000 }, async () => {
    const without = (key: string, statements: { Action: string[] }[]) =>
      key === 'admitWave' ? statements.map((st) => ({ ...st, Action: st.Action.filter((a) => a !== 'ec2:CreateLaunchTemplateVersion') })).filter((st) => st.Action.length > 0) : statements;
    await withCloud({ servers: 1, applications: 1, rolePolicies: without as never }, async (cloud) => {
      const [a] = serverIds(cloud) as [string];
      const wave = waveOf(cloud);
      const app = wave.applications[0] as (typeof wave.applications)[number];
      app.servers = [{ id: a, launchTemplate: { instanceType: 'c7i.2xlarge', subnetId: 'subnet-0abc12345def67890' } }];
      await startWave(cloud, wave);
      await until('the EC2 call was refused', () => cloud.iam.denied.length > 0);
      expect(cloud.iam.denied[0]).toMatchObject({ functionKey: 'admitWave', action: 'ec2:CreateLaunchTemplateVersion', resource: expect.stringMatching(/^arn:aws:ec2:us-east-1:\d{12}:launch-template\/lt-/) });
      expect(cloud.ec2.calls.filter((c) => c.action === 'CreateLaunchTemplateVersion')).toEqual([]);
    });
  });
});
