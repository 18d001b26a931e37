import { EC2Client } from '@aws-sdk/client-ec2';
import { MgnClient } from '@aws-sdk/client-mgn';
import { describe, expect, it } from 'vitest';
import { createLaunchTemplatePort } from '../../src/adapters/aws/launch-templates.ts';
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
});
