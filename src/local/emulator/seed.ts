import { iso } from './clock.ts';
import type { Quotas } from './config.ts';
import { type Application, type DataReplicationState, type Disk, INITIATION_STEPS, type Server, type Wave } from './model.ts';
import { createRng } from './rng.ts';

const GiB = 1024 ** 3;
const SITES = ['fra', 'ams', 'dub', 'ldn', 'nyc', 'chi'];
const ENVS = ['prd', 'prd', 'prd', 'uat', 'stg'];
const ROLES = ['web', 'app', 'api', 'db', 'sql', 'ora', 'mq', 'cache', 'file', 'ad', 'batch', 'etl', 'crm', 'erp', 'sap', 'jump'];
const WINDOWS_ROLES = new Set(['sql', 'file', 'ad', 'crm']);
const LINUX_OS = [
  'Linux version 5.14.0-362.8.1.el9_3.x86_64 (Red Hat Enterprise Linux 9.3)',
  'Linux version 4.18.0-513.5.1.el8_9.x86_64 (Red Hat Enterprise Linux 8.9)',
  'Linux version 5.15.0-91-generic (Ubuntu 22.04.3 LTS)',
  'Linux version 5.4.0-167-generic (Ubuntu 20.04.6 LTS)',
  'Linux version 5.14.21-150500.55.39-default (SUSE Linux Enterprise Server 15 SP5)',
  'Linux version 3.10.0-1160.105.1.el7.x86_64 (CentOS Linux 7)',
];
const WINDOWS_OS = [
  'Microsoft Windows Server 2019 Datacenter 10.0.17763 Build 17763',
  'Microsoft Windows Server 2022 Standard 10.0.20348 Build 20348',
  'Microsoft Windows Server 2016 Standard 10.0.14393 Build 14393',
];
const CPUS = ['Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz', 'Intel(R) Xeon(R) CPU E5-2680 v4 @ 2.40GHz', 'AMD EPYC 7543 32-Core Processor'];

function fromTemplate(template: Record<string, unknown>): Record<string, unknown> {
  const { replicationConfigurationTemplateID: _id, ...settings } = structuredClone(template);
  return settings;
}

function instanceType(cores: number, ramGiB: number): string {
  const size = cores <= 2 ? 'large' : cores <= 4 ? 'xlarge' : cores <= 8 ? '2xlarge' : '4xlarge';
  const family = ramGiB / cores >= 8 ? 'r5' : ramGiB / cores >= 4 ? 'm5' : 'c5';
  return `${family}.${size}`;
}

/** What seeding uses of the engine: MgnEngine is one (an interface here, so the engine, which seeds itself, is not imported back). */
export interface SeedTarget {
  readonly seed: number;
  readonly quotas: Pick<Quotas, 'maxActiveSourceServers'>;
  readonly servers: Map<string, Server>;
  readonly waves: Map<string, Wave>;
  readonly applications: Map<string, Application>;
  /** The home account; the others of MGN's global view. */
  readonly accountId: string;
  readonly managedAccounts: Set<string>;
  addManagedAccount(account: string, quotas?: Partial<Quotas>): void;
  quotasFor(account?: string): Pick<Quotas, 'maxActiveSourceServers'>;
  now(): number;
  arn(kind: string, id: string, account?: string): string;
  newId(prefix: string): string;
  activeReplicatingCount(account?: string): number;
  steadyState(s: Server): DataReplicationState;
  beginInitiation(s: Server, at?: number): void;
  templateBody(kind: 'lct' | 'rct'): Record<string, unknown>;
}

/**
 * A source server to seed as it is known (a wave file's hostname or id; a real account's server read with
 * DescribeSourceServers): what is not given is drawn like any seeded server's.
 */
export interface SeedSpec {
  hostname: string;
  /** MGN's id (s- and 17 hex digits); default: a new one. */
  id?: string;
  disks?: Disk[];
  cores?: number;
  ramGiB?: number;
  windows?: boolean;
  /** Where its replication starts (default: the call's `start`). */
  start?: 'agent-installed' | 'ready-for-test';
  /** The id its agent was installed with (--user-provided-id). */
  userProvidedId?: string;
  /** The account it belongs to (default: the home account); a managed account is added to the global view. */
  account?: string;
  /** SNAPSHOT_SHIPPING: an agentless server (vCenter), replicated by periodic snapshots (default AGENT_BASED). */
  replicationType?: 'AGENT_BASED' | 'SNAPSHOT_SHIPPING';
}

/**
 * Seed `count` synthetic source servers (same seed, same servers): realistic hostnames, Linux and Windows,
 * 1-8 disks, CPUs, RAM and addresses; or, with `specs`, one per spec with its hostname, id, disks and
 * replication start. Servers past the active-replication quota stay STOPPED, as agents beyond the quota
 * cannot start replicating.
 */
export function seedServers(
  engine: SeedTarget,
  count: number,
  start: 'agent-installed' | 'ready-for-test',
  applications: number,
  specs?: readonly SeedSpec[],
): Server[] {
  const rng = createRng(engine.seed, 'seed');
  const now = engine.now();
  const used = new Set<string>();
  const created: Server[] = [];
  const starts = new Map<Server, 'agent-installed' | 'ready-for-test'>();
  const existing = engine.servers.size;
  if (specs) count = specs.length;
  for (let i = 0; i < count; i++) {
    let hostname = '';
    let role = 'app';
    do {
      role = rng.pick(ROLES);
      hostname = `${rng.pick(SITES)}-${rng.pick(ENVS)}-${role}-${String(rng.int(1, 40)).padStart(2, '0')}`;
    } while (used.has(hostname) || [...engine.servers.values()].some((s) => s.properties.identificationHints.hostname === hostname));
    const spec = specs?.[i];
    if (spec) hostname = spec.hostname;
    used.add(hostname);
    const windows = spec?.windows ?? (WINDOWS_ROLES.has(role) || rng.chance(0.15));
    const roll = rng.next();
    const diskCount = roll < 0.6 ? rng.int(1, 2) : roll < 0.9 ? rng.int(3, 4) : rng.int(5, 8);
    const disks: Disk[] = [];
    for (let d = 0; d < diskCount; d++) {
      const bytes = (d === 0 ? rng.int(40, 120) : rng.int(20, 200)) * GiB;
      const deviceName = windows ? `\\\\.\\PHYSICALDRIVE${d}` : `/dev/sd${String.fromCharCode(97 + d)}`;
      disks.push({ deviceName, bytes });
    }
    if (spec?.disks?.length) disks.splice(0, disks.length, ...spec.disks);
    const drawnCores = rng.pick([2, 2, 4, 4, 8, 16]);
    const cores = spec?.cores ?? drawnCores;
    const ramGiB = spec?.ramGiB ?? cores * rng.pick([2, 4, 4, 8]);
    const ip = `10.${rng.int(10, 60)}.${rng.int(0, 255)}.${rng.int(2, 254)}`;
    const mac = Array.from({ length: 6 }, () => rng.hex(2).toUpperCase()).join('-');
    const drawnId = engine.newId('s');
    const id = spec?.id ?? drawnId;
    const serverStart = spec?.start ?? start;
    const installedAt = serverStart === 'agent-installed' ? now - Math.round(Math.min(i * 2, 600) * 1000 * rng.next()) : now - 6 * 3600_000;
    const account = spec?.account ?? engine.accountId;
    if (!engine.managedAccounts.has(account)) engine.addManagedAccount(account);
    const server: Server = {
      id,
      arn: engine.arn('source-server', id, account),
      account,
      isArchived: false,
      tags: { Name: hostname },
      replicationType: spec?.replicationType ?? 'AGENT_BASED',
      ...(spec?.userProvidedId ? { userProvidedID: spec.userProvidedId } : {}),
      osFamily: windows ? 'WINDOWS' : 'LINUX',
      properties: {
        lastUpdatedDateTime: iso(installedAt),
        recommendedInstanceType: instanceType(cores, ramGiB),
        identificationHints: { fqdn: `${hostname}.corp.example.com`, hostname },
        networkInterfaces: [{ macAddress: mac, ips: [ip], isPrimary: true }],
        disks,
        cpus: [{ cores, modelName: rng.pick(CPUS) }],
        ramBytes: ramGiB * GiB,
        os: { fullString: windows ? rng.pick(WINDOWS_OS) : rng.pick(LINUX_OS) },
      },
      lifeCycle: { state: 'NOT_READY', addedToServiceAt: installedAt, lastTest: {}, lastCutover: {} },
      readyForTestEventSent: false,
      repl: {
        state: 'STOPPED',
        gen: 0,
        runs: 0,
        stepEnds: [],
        syncBase: 0,
        phaseStart: installedAt,
        launchable: false,
        backlogBytes: 0,
        disconnected: false,
      },
      launches: 0,
      launchConfig: {
        sourceServerID: id,
        name: `Launch Configuration for Source Server ${id}`,
        ec2LaunchTemplateID: `lt-${rng.hex(17)}`,
        launchDisposition: 'STARTED',
        targetInstanceTypeRightSizingMethod: 'BASIC',
        copyPrivateIp: false,
        copyTags: false,
        licensing: { osByol: !windows },
        bootMode: windows ? 'UEFI' : 'LEGACY_BIOS',
        postLaunchActions: { deployment: 'TEST_AND_CUTOVER', ssmDocuments: [] },
        enableMapAutoTagging: false,
      },
      // a server's replication configuration starts from the account's replication template
      replicationConfig: {
        ...fromTemplate(engine.templateBody('rct')),
        sourceServerID: id,
        name: hostname,
        replicatedDisks: disks.map((d, n) => ({ deviceName: d.deviceName, isBootDisk: n === 0, stagingDiskType: 'AUTO' })),
      },
      actions: new Map(),
      inject: {},
      rng: createRng(engine.seed, `server/${existing + i}`),
    };
    engine.servers.set(id, server);
    created.push(server);
    starts.set(server, serverStart);
  }

  for (const s of created) {
    const withinQuota = engine.activeReplicatingCount(s.account) < engine.quotasFor(s.account).maxActiveSourceServers;
    if (!withinQuota) continue; // stays STOPPED / NOT_READY until StartReplication within the quota
    if (starts.get(s) === 'ready-for-test') {
      const r = s.repl;
      r.state = engine.steadyState(s);
      r.runs = 1;
      r.initiationStart = s.lifeCycle.addedToServiceAt;
      let t = r.initiationStart;
      r.stepEnds = INITIATION_STEPS.map(([, secs]) => (t += secs * 1000));
      r.syncBase = 1;
      r.launchable = true;
      r.firstByteAt = t + 5000;
      r.continuousSince = now - 3600_000;
      r.lastSnapshotAt = now - 600_000;
      s.lifeCycle.state = 'READY_FOR_TEST';
      s.readyForTestEventSent = true;
    } else {
      engine.beginInitiation(s, s.lifeCycle.addedToServiceAt);
    }
  }

  if (applications > 0 && created.length > 0) {
    const waveID = engine.newId('wave');
    engine.waves.set(waveID, {
      waveID,
      arn: engine.arn('wave', waveID, engine.accountId),
      account: engine.accountId,
      name: 'Wave 1',
      isArchived: false,
      createdAt: now,
      modifiedAt: now,
      tags: {},
    });
    const apps = Array.from({ length: applications }, (_, n) => {
      const applicationID = engine.newId('app');
      const app = {
        applicationID,
        arn: engine.arn('application', applicationID, engine.accountId),
        account: engine.accountId,
        name: `app-${String(n + 1).padStart(2, '0')}`,
        isArchived: false,
        createdAt: now,
        modifiedAt: now,
        tags: {},
        waveID,
      };
      engine.applications.set(applicationID, app);
      return app;
    });
    created.forEach((s, n) => {
      s.applicationID = (apps[n % apps.length] as (typeof apps)[number]).applicationID;
    });
  }
  return created;
}
