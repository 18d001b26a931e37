import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import type { MgnEngine } from '../../emulator/engine.ts';
import { AwsError, header, type LocalRequest, type LocalService } from '../protocol.ts';
import { escapeXml } from '../sns/query.ts';

/**
 * EC2 on the local cloud: the launch templates MGN made for its source servers (one per server, named in
 * its launch configuration's `ec2LaunchTemplateID`, tagged AWSApplicationMigrationServiceManaged), on EC2's
 * own wire protocol (the `ec2` query protocol: form-encoded `Action=...&Version=2016-11-15`, XML out, lists as
 * `<item>`), so the real `@aws-sdk/client-ec2` talks to it unchanged. Only what mgn-flow calls:
 * DescribeLaunchTemplateVersions, CreateLaunchTemplateVersion and ModifyLaunchTemplate.
 */

export const EC2_VERSION = '2016-11-15';
const XMLNS = `http://ec2.amazonaws.com/doc/${EC2_VERSION}/`;

/** A launch template version's data, in the SDK's shape (what CreateLaunchTemplateVersion takes). */
export interface TemplateData {
  InstanceType?: string;
  NetworkInterfaces?: { DeviceIndex?: number; SubnetId?: string; Groups?: string[]; PrivateIpAddress?: string }[];
  TagSpecifications?: { ResourceType?: string; Tags?: { Key: string; Value: string }[] }[];
}

interface Template {
  id: string;
  name: string;
  createdAt: number;
  defaultVersion: number;
  versions: { number: number; data: TemplateData; createdAt: number; description?: string }[];
  tags: Record<string, string>;
}

/** `A.B.1.C` form parameters as nested objects and (1-based) arrays. */
export function unflatten(params: URLSearchParams): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  for (const [key, value] of params) {
    const parts = key.split('.');
    let node: Record<string, unknown> | unknown[] = root;
    parts.forEach((part, i) => {
      const last = i === parts.length - 1;
      const index = /^\d+$/.test(part) ? Number(part) - 1 : undefined;
      const next = parts[i + 1];
      const make = () => (next !== undefined && /^\d+$/.test(next) ? [] : {});
      if (index !== undefined) {
        const arr = node as unknown[];
        if (last) arr[index] = value;
        else node = (arr[index] ??= make()) as Record<string, unknown>;
      } else {
        const obj = node as Record<string, unknown>;
        if (last) obj[part] = value;
        else node = (obj[part] ??= make()) as Record<string, unknown>;
      }
    });
  }
  return root;
}

function xmlTemplateData(d: TemplateData): string {
  const nics = (d.NetworkInterfaces ?? [])
    .map(
      (n) =>
        `<item>${n.DeviceIndex !== undefined ? `<deviceIndex>${n.DeviceIndex}</deviceIndex>` : ''}${n.SubnetId ? `<subnetId>${escapeXml(n.SubnetId)}</subnetId>` : ''}` +
        `${n.Groups?.length ? `<groupSet>${n.Groups.map((g) => `<groupId>${escapeXml(g)}</groupId>`).join('')}</groupSet>` : ''}` +
        `${n.PrivateIpAddress ? `<privateIpAddress>${escapeXml(n.PrivateIpAddress)}</privateIpAddress>` : ''}</item>`,
    )
    .join('');
  const tags = (d.TagSpecifications ?? [])
    .map((t) => `<item><resourceType>${escapeXml(t.ResourceType ?? 'instance')}</resourceType><tagSet>${(t.Tags ?? []).map((x) => `<item><key>${escapeXml(x.Key)}</key><value>${escapeXml(x.Value)}</value></item>`).join('')}</tagSet></item>`)
    .join('');
  return `${d.InstanceType ? `<instanceType>${escapeXml(d.InstanceType)}</instanceType>` : ''}${nics ? `<networkInterfaceSet>${nics}</networkInterfaceSet>` : ''}${tags ? `<tagSpecificationSet>${tags}</tagSpecificationSet>` : ''}`;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class LocalEc2 implements LocalService {
  readonly name = 'ec2';
  private readonly templates = new Map<string, Template>();
  /** Every call, for tests: action and launch template. */
  readonly calls: { action: string; launchTemplateId?: string }[] = [];

  constructor(private readonly engine: MgnEngine) {}

  /** The launch template MGN made for a server, version 1 from its source properties (made when first asked for). */
  template(id: string): Template | undefined {
    const known = this.templates.get(id);
    if (known) return known;
    const server = [...this.engine.servers.values()].find((s) => s.launchConfig.ec2LaunchTemplateID === id);
    if (!server) return undefined;
    const now = this.engine.now();
    const t: Template = {
      id,
      name: `${server.id}-launch-template`,
      createdAt: server.lifeCycle.addedToServiceAt,
      defaultVersion: 1,
      versions: [{ number: 1, createdAt: now, data: { InstanceType: server.properties.recommendedInstanceType, NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0mgndefault00000', Groups: [] }] } }],
      tags: { AWSApplicationMigrationServiceManaged: 'mgn.amazonaws.com', 'AWSApplicationMigrationServiceSourceServerID': server.id },
    };
    this.templates.set(id, t);
    return t;
  }

  /** A launch template's tags by its ARN (`arn:aws:ec2:<region>:<account>:launch-template/<id>`): local IAM reads them. */
  tagsOf(arn: string): Record<string, string> | undefined {
    const id = /:launch-template\/(.+)$/.exec(arn)?.[1];
    return id ? this.template(id)?.tags : undefined;
  }

  /** The data of a template's default version (tests, the emulator's launches). */
  defaultData(id: string): TemplateData | undefined {
    const t = this.template(id);
    return t?.versions.find((v) => v.number === t.defaultVersion)?.data;
  }

  matches(req: LocalRequest): boolean {
    if (req.method !== 'POST' || !(header(req, 'content-type') ?? '').startsWith('application/x-www-form-urlencoded')) return false;
    return new URLSearchParams(req.body.toString('utf8')).get('Version') === EC2_VERSION;
  }

  async handle(req: LocalRequest, res: ServerResponse): Promise<void> {
    const params = new URLSearchParams(req.body.toString('utf8'));
    const action = params.get('Action') ?? '';
    const requestId = randomUUID();
    try {
      const input = unflatten(params);
      const op = this.operations[action];
      if (!op) throw new AwsError('InvalidAction', `The action ${action || '(none)'} is not valid for this web service (local EC2 serves launch templates only).`);
      this.calls.push({ action, ...(typeof input.LaunchTemplateId === 'string' ? { launchTemplateId: input.LaunchTemplateId } : {}) });
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response xmlns="${XMLNS}"><requestId>${requestId}</requestId>${op(input)}</${action}Response>`;
      res.writeHead(200, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } catch (err) {
      const e = err instanceof AwsError ? err : new AwsError('InternalError', (err as Error).message, 500);
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escapeXml(e.type)}</Code><Message>${escapeXml(e.message)}</Message></Error></Errors><RequestID>${requestId}</RequestID></Response>`;
      res.writeHead(e.status, { 'content-type': 'text/xml;charset=UTF-8', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }
  }

  private find(input: Record<string, unknown>): Template {
    const id = input.LaunchTemplateId;
    if (typeof id !== 'string' || !id) throw new AwsError('MissingParameter', 'The request must contain the parameter LaunchTemplateId');
    const t = this.template(id);
    if (!t) throw new AwsError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    return t;
  }

  private version(t: Template, v: string | undefined): Template['versions'][number] {
    const n = v === undefined || v === '$Default' ? t.defaultVersion : v === '$Latest' ? Math.max(...t.versions.map((x) => x.number)) : Number(v);
    const found = t.versions.find((x) => x.number === n);
    if (!found) throw new AwsError('InvalidLaunchTemplateId.VersionNotFound', `Could not find launch template version ${v} for template ${t.id}`);
    return found;
  }

  private versionXml(t: Template, v: Template['versions'][number]): string {
    return `<launchTemplateId>${t.id}</launchTemplateId><launchTemplateName>${escapeXml(t.name)}</launchTemplateName><versionNumber>${v.number}</versionNumber><createTime>${iso(v.createdAt)}</createTime><defaultVersion>${v.number === t.defaultVersion}</defaultVersion><launchTemplateData>${xmlTemplateData(v.data)}</launchTemplateData>`;
  }

  private readonly operations: Record<string, (input: Record<string, unknown>) => string> = {
    DescribeLaunchTemplateVersions: (input) => {
      const t = this.find(input);
      const asked = (input.LaunchTemplateVersion as string[] | undefined) ?? [];
      const versions = asked.length ? asked.map((v) => this.version(t, v)) : t.versions;
      return `<launchTemplateVersionSet>${versions.map((v) => `<item>${this.versionXml(t, v)}</item>`).join('')}</launchTemplateVersionSet>`;
    },
    CreateLaunchTemplateVersion: (input) => {
      const t = this.find(input);
      const source = input.SourceVersion === undefined ? undefined : this.version(t, String(input.SourceVersion));
      const raw = (input.LaunchTemplateData ?? {}) as Record<string, unknown>;
      const data: TemplateData = structuredClone(source?.data ?? {});
      if (typeof raw.InstanceType === 'string') data.InstanceType = raw.InstanceType;
      if (Array.isArray(raw.NetworkInterface)) {
        data.NetworkInterfaces = (raw.NetworkInterface as Record<string, unknown>[]).map((n) => ({
          ...(n.DeviceIndex !== undefined ? { DeviceIndex: Number(n.DeviceIndex) } : {}),
          ...(typeof n.SubnetId === 'string' ? { SubnetId: n.SubnetId } : {}),
          Groups: ((n.SecurityGroupId as string[] | undefined) ?? []).filter(Boolean),
          ...(typeof n.PrivateIpAddress === 'string' ? { PrivateIpAddress: n.PrivateIpAddress } : {}),
        }));
      }
      if (Array.isArray(raw.TagSpecification)) {
        data.TagSpecifications = (raw.TagSpecification as Record<string, unknown>[]).map((s) => ({
          ResourceType: String(s.ResourceType ?? 'instance'),
          Tags: ((s.Tag as { Key: string; Value?: string }[] | undefined) ?? []).map((x) => ({ Key: x.Key, Value: x.Value ?? '' })),
        }));
      }
      for (const n of data.NetworkInterfaces ?? []) {
        if (n.SubnetId !== undefined && !/^subnet-[0-9a-z]+$/.test(n.SubnetId)) throw new AwsError('InvalidSubnetID.Malformed', `Invalid id: "${n.SubnetId}"`);
        for (const g of n.Groups ?? []) if (!/^sg-[0-9a-z]+$/.test(g)) throw new AwsError('InvalidGroupId.Malformed', `Invalid id: "${g}"`);
      }
      const v = { number: Math.max(...t.versions.map((x) => x.number)) + 1, data, createdAt: this.engine.now() };
      t.versions.push(v);
      return `<launchTemplateVersion>${this.versionXml(t, v)}</launchTemplateVersion>`;
    },
    ModifyLaunchTemplate: (input) => {
      const t = this.find(input);
      if (input.SetDefaultVersion !== undefined) t.defaultVersion = this.version(t, String(input.SetDefaultVersion)).number;
      const latest = Math.max(...t.versions.map((x) => x.number));
      return `<launchTemplate><launchTemplateId>${t.id}</launchTemplateId><launchTemplateName>${escapeXml(t.name)}</launchTemplateName><createTime>${iso(t.createdAt)}</createTime><defaultVersionNumber>${t.defaultVersion}</defaultVersionNumber><latestVersionNumber>${latest}</latestVersionNumber></launchTemplate>`;
    },
  };
}
