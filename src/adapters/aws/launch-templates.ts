import { CreateLaunchTemplateVersionCommand, DescribeLaunchTemplateVersionsCommand, type EC2Client, type LaunchTemplateInstanceNetworkInterfaceSpecificationRequest, ModifyLaunchTemplateCommand, type RequestLaunchTemplateData } from '@aws-sdk/client-ec2';
import { GetLaunchConfigurationCommand, type MgnClient } from '@aws-sdk/client-mgn';
import type { LaunchTemplatePort } from '../../ports.ts';
import { MgnResponseError } from './mgn.ts';

/**
 * LaunchTemplatePort on MGN and EC2: the server's launch template from GetLaunchConfiguration, its default
 * version from DescribeLaunchTemplateVersions; when a setting differs, CreateLaunchTemplateVersion (from the
 * default version, so everything else MGN put there is kept) and ModifyLaunchTemplate to make it the default.
 * The first network interface carries subnet, security groups and private IP; tags go on the instance.
 */
export function createLaunchTemplatePort(mgn: MgnClient, ec2: EC2Client): LaunchTemplatePort {
  return {
    async apply(serverId, s) {
      const config = await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: serverId }));
      const templateId = config.ec2LaunchTemplateID;
      if (!templateId) throw new MgnResponseError(`MGN shows no EC2 launch template for ${serverId}`);
      const current = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] }))).LaunchTemplateVersions?.[0];
      const data = current?.LaunchTemplateData ?? {};
      const version = current?.VersionNumber ?? 1;
      const change: RequestLaunchTemplateData = {};
      if (s.instanceType !== undefined && data.InstanceType !== s.instanceType) change.InstanceType = s.instanceType as RequestLaunchTemplateData['InstanceType'];
      const nic0 = data.NetworkInterfaces?.find((n) => (n.DeviceIndex ?? 0) === 0) ?? {};
      const groups = s.securityGroupIds ?? nic0.Groups ?? [];
      const sameGroups = groups.length === (nic0.Groups ?? []).length && groups.every((g) => (nic0.Groups ?? []).includes(g));
      if ((s.subnetId !== undefined && s.subnetId !== nic0.SubnetId) || !sameGroups || (s.privateIpAddress !== undefined && s.privateIpAddress !== nic0.PrivateIpAddress)) {
        const nic: LaunchTemplateInstanceNetworkInterfaceSpecificationRequest = { DeviceIndex: 0 };
        const subnet = s.subnetId ?? nic0.SubnetId;
        if (subnet) nic.SubnetId = subnet;
        if (groups.length) nic.Groups = groups;
        const ip = s.privateIpAddress ?? nic0.PrivateIpAddress;
        if (ip) nic.PrivateIpAddress = ip;
        change.NetworkInterfaces = [nic, ...(data.NetworkInterfaces ?? []).filter((n) => (n.DeviceIndex ?? 0) !== 0).map((n) => ({ ...(n.DeviceIndex !== undefined ? { DeviceIndex: n.DeviceIndex } : {}), ...(n.SubnetId ? { SubnetId: n.SubnetId } : {}), ...(n.Groups ? { Groups: n.Groups } : {}) }))];
      }
      if (s.tags && Object.keys(s.tags).length) {
        const specs = data.TagSpecifications ?? [];
        const instance = specs.find((t) => t.ResourceType === 'instance');
        const now = Object.fromEntries((instance?.Tags ?? []).map((t) => [t.Key as string, t.Value ?? '']));
        if (Object.entries(s.tags).some(([k, v]) => now[k] !== v)) {
          const merged = { ...now, ...s.tags };
          change.TagSpecifications = [
            ...specs.filter((t) => t.ResourceType !== 'instance').map((t) => ({ ResourceType: t.ResourceType, Tags: t.Tags })),
            { ResourceType: 'instance', Tags: Object.entries(merged).map(([Key, Value]) => ({ Key, Value })) },
          ];
        }
      }
      if (Object.keys(change).length === 0) return { templateId, version, changed: false };
      const created = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: templateId, SourceVersion: String(version), VersionDescription: 'mgn-flow: the wave plan\'s launch template settings', LaunchTemplateData: change }));
      const next = created.LaunchTemplateVersion?.VersionNumber;
      if (next === undefined) throw new MgnResponseError(`EC2 answered CreateLaunchTemplateVersion for ${templateId} without a version number`);
      await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(next) }));
      return { templateId, version: next, changed: true };
    },
  };
}
