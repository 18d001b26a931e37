import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { ServerView } from '../../src/ports.ts';
import {
  WaveFileError,
  actionIdFor,
  checkWave,
  loadWaveFile,
  parseWaveFile,
  validateWave,
  waveFromMgn,
  type Wave,
  type WaveContext,
} from '../../src/core/wave-file.ts';

const fixture = (name: string) => readFileSync(new URL(`../fixtures/waves/${name}`, import.meta.url), 'utf8');
const example = (name: string) => readFileSync(new URL(`../../examples/${name}`, import.meta.url), 'utf8');

const server = (id: string, hostname?: string, extra: Partial<ServerView> = {}): ServerView => ({
  id,
  ...(hostname ? { hostname } : {}),
  isArchived: false,
  lifeCycle: 'READY_FOR_TEST',
  replication: { state: 'CONTINUOUS', lagSeconds: 0, backlogBytes: 0 },
  lastTest: {},
  lastCutover: {},
  ...extra,
});

/** The servers the examples name, as DescribeSourceServers would list them. */
const EXAMPLE_SERVERS: ServerView[] = [
  server('s-0000000000000web1', 'fra-prd-web-01'),
  server('s-0000000000000web2', 'fra-prd-web-02'),
  server('s-0000000000000api3', 'fra-prd-api-03'),
  server('s-000000000000app11', 'fra-prd-app-11'),
  server('s-00000000000000mq2', 'fra-prd-mq-02'),
  server('s-3c0ffee0000000017'),
  server('s-00000000000000db1', 'fra-prd-db-01'),
  server('s-00000000000000db2', 'fra-prd-db-02'),
  server('s-00000000000jump01', 'fra-prd-jump-01'),
  server('s-00000000000file07', 'fra-prd-file-07'),
  server('s-0000000000000old1', 'fra-prd-web-01', { isArchived: true }),
];

const ctx = (over: Partial<WaveContext> = {}): WaveContext => ({
  file: 'wave.yaml',
  servers: EXAMPLE_SERVERS,
  quotas: { replicatingServers: 150 },
  now: new Date('2026-11-01T00:00:00Z'),
  ...over,
});

function errorsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof WaveFileError) {
      expect(e.message).toBe(e.errors.join('\n'));
      expect(e.name).toBe('WaveFileError');
      return e.errors;
    }
    throw e;
  }
  throw new Error('expected a WaveFileError');
}

const minimal = (body: string) => `version: 1\nwave: { name: w1, timeZone: Europe/Berlin }\n${body}`;

describe('wave file: the examples', () => {
  it('reads examples/wave.yaml into a resolved wave: 3 applications, then the 2 standalone servers as applications of one', () => {
    const wave = loadWaveFile(example('wave.yaml'), ctx({ file: 'examples/wave.yaml' }));
    expect(wave.name).toBe('wave-2026-12-shop');
    expect(wave.timeZone).toBe('Europe/Berlin');
    expect(wave.defaults).toEqual({ soakDays: 14, concurrency: 3, failurePolicy: 'hold', archive: true });
    expect(wave.cutoverWindow).toEqual({ start: '2026-12-05T01:00:00.000Z', end: '2026-12-05T05:00:00.000Z', timeZone: 'Europe/Berlin' });
    expect(wave.freeze.map((f) => [f.start, f.end, f.reason])).toEqual([
      ['2026-11-26T23:00:00.000Z', '2026-11-30T22:59:00.000Z', 'Black Friday and Cyber Monday'],
      ['2026-12-18T17:00:00.000Z', '2027-01-04T07:00:00.000Z', 'year-end change freeze'],
    ]);
    expect(wave.approvers.finalize).toEqual(['change-manager@example.com', 'ops-lead@example.com']);
    expect(wave.applications.map((a) => [a.name, a.canary, a.standalone, a.servers.map((s) => s.id)])).toEqual([
      ['shop-frontend', true, false, ['s-0000000000000web1', 's-0000000000000web2', 's-0000000000000api3']],
      ['shop-orders', false, false, ['s-000000000000app11', 's-00000000000000mq2', 's-3c0ffee0000000017']],
      ['shop-database', false, false, ['s-00000000000000db1', 's-00000000000000db2']],
      ['fra-prd-jump-01', false, true, ['s-00000000000jump01']],
      ['fra-prd-file-07', false, true, ['s-00000000000file07']],
    ]);
  });

  it('gives each server its application launch settings with its own on top, and derives action ids from names', () => {
    const wave = loadWaveFile(example('wave.yaml'), ctx());
    const [frontend, orders, , jump, file] = wave.applications as [Wave['applications'][number], ...Wave['applications']];
    expect(orders?.servers[2]).toEqual({
      id: 's-3c0ffee0000000017',
      launch: { targetInstanceTypeRightSizingMethod: 'NONE', copyPrivateIp: true, bootMode: 'UEFI', licensing: { osByol: true } },
    });
    expect(orders?.servers[0]).toEqual({ id: 's-000000000000app11', hostname: 'fra-prd-app-11', launch: { targetInstanceTypeRightSizingMethod: 'NONE', copyPrivateIp: true } });
    expect(frontend.servers[0]?.postLaunchActions?.map((a) => [a.actionId, a.order, a.active, a.mustSucceedForCutover])).toEqual([
      ['install-cloudwatch-agent', 1001, true, true],
      ['smoke-test', 1100, true, false],
    ]);
    expect(frontend.servers[0]?.postLaunchActions?.[1]).toMatchObject({
      documentVersion: '$LATEST',
      parameters: { endpoint: [{ parameterType: 'STRING', parameterName: 'shop.smoke.endpoint' }] },
    });
    expect(jump?.servers[0]).toEqual({ id: 's-00000000000jump01', hostname: 'fra-prd-jump-01' });
    expect(file?.servers[0]?.launch).toEqual({ bootMode: 'LEGACY_BIOS' });
  });

  it('reads examples/wave.json into the same wave as the YAML', () => {
    const fromJson = loadWaveFile(example('wave.json'), ctx({ file: 'examples/wave.json' }));
    const fromYaml = loadWaveFile(example('wave.yaml'), ctx({ file: 'examples/wave.json' }));
    expect(fromJson).toEqual(fromYaml);
  });

  it('prefers the live server when an archived one has the same hostname (a reinstalled agent)', () => {
    const wave = loadWaveFile(example('wave.yaml'), ctx());
    expect(wave.applications[0]?.servers[0]?.id).toBe('s-0000000000000web1');
  });
});

describe('wave file: shape errors', () => {
  it('collects every shape error of a YAML file, each as file:path: value: what is allowed, in file order', () => {
    expect(errorsOf(() => parseWaveFile(fixture('invalid-shape.yaml'), 'wave.yaml'))).toEqual([
      'wave.yaml:version: 2: 1 (the only wave file version)',
      'wave.yaml:wave.name: "wave 12": a name of 1 to 48 letters, digits, - or _ (it starts the execution names <wave>-<server>-<attempt>)',
      'wave.yaml:wave.timeZone: "Europe/Berln": an IANA time zone name such as Europe/Berlin, America/New_York or UTC',
      "wave.yaml:defaults.soakDays: 120: a whole number of days from 1 to 90 (MGN's free replication period is 90 days; a sign-off ends the soak earlier)",
      'wave.yaml:defaults.concurrency: 0: a whole number from 1 to 200: how many applications the wave migrates at once',
      'wave.yaml:defaults.failurePolicy: "retry": continue, hold or stop',
      'wave.yaml:defaults.archive: "yes": true or false: archive each server in MGN after its cutover is finalized',
      'wave.yaml:defaults.parallel: 4: not a key of defaults; the keys are soakDays, concurrency, failurePolicy, archive, syncMgnPlan and archiveMgnPlan',
      'wave.yaml:approvers.testSignoff[1]: "bob": an e-mail address such as alice@example.com',
      'wave.yaml:approvers.goNoGo: []: at least one e-mail address, or leave the gate out: its request then goes to the approvals topic with one link for the gate',
      'wave.yaml:freeze[0].start: "2026-12-01": not a valid date and time; use YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss (e.g. 2026-12-05T02:00), optionally with an explicit offset (Z or +01:00)',
      'wave.yaml:applications[0].canary: "maybe": true or false: migrate this application before the others',
      'wave.yaml:applications[0].servers[1]: 42: an id (s-...) or a hostname, or {server, launch, launchTemplate, postLaunchActions}',
      'wave.yaml:applications[0].launch.instanceType: "m5.large": not a launch setting: EC2 launch template fields (instance type, subnet, security groups, private IP, tags) go under launchTemplate; launch takes targetInstanceTypeRightSizingMethod, licensing, bootMode, copyPrivateIp, copyTags, launchDisposition and postLaunchActionsDeployment (MGN UpdateLaunchConfiguration)',
      'wave.yaml:applications[0].launch.subnet: "subnet-0abc1234": not a launch setting: EC2 launch template fields (instance type, subnet, security groups, private IP, tags) go under launchTemplate; launch takes targetInstanceTypeRightSizingMethod, licensing, bootMode, copyPrivateIp, copyTags, launchDisposition and postLaunchActionsDeployment (MGN UpdateLaunchConfiguration)',
      'wave.yaml:applications[0].launch.bootMode: "BIOS": LEGACY_BIOS, UEFI or USE_SOURCE',
      'wave.yaml:applications[0].launch.licensing.osByol: "true": true or false: bring your own OS license',
      'wave.yaml:applications[0].postLaunchActions[0].order: 10: a whole number from 1001 to 10000 (actions run in this order)',
      'wave.yaml:applications[0].postLaunchActions[0].documentVersion: "latest": $DEFAULT, $LATEST or a version number',
      'wave.yaml:applications[0].postLaunchActions[0].category: "VALIDATION": not a key of a post-launch action; the keys are actionId, actionName, documentIdentifier, documentVersion, order, active, mustSucceedForCutover, timeoutSeconds and parameters',
      'wave.yaml:applications[1].name: "shop": another application is named so (applications[0]); application names are unique in a wave',
      'wave.yaml:applications[1].servers: []: an application has at least one server: an id (s-...) or a hostname, or {server, launch, launchTemplate, postLaunchActions}',
      'wave.yaml:servers[0].launch.securityGroups: ["sg-0123456789abcdef0"]: not a launch setting: EC2 launch template fields (instance type, subnet, security groups, private IP, tags) go under launchTemplate; launch takes targetInstanceTypeRightSizingMethod, licensing, bootMode, copyPrivateIp, copyTags, launchDisposition and postLaunchActionsDeployment (MGN UpdateLaunchConfiguration)',
      'wave.yaml:servers[1].server: (missing): required, an id (s-...) or a hostname of a source server in MGN',
      'wave.yaml:servers[1].host: "db-02": not a key of a server; the keys are server, launch, launchTemplate and postLaunchActions',
    ]);
  });

  it('collects the errors of a JSON file in the same form', () => {
    expect(errorsOf(() => parseWaveFile(fixture('invalid.json'), 'wave.json'))).toEqual([
      'wave.json:defaults.failurePolicy: "retry": continue, hold or stop',
      'wave.json:applications[0].launch.instanceType: "m5.large": not a launch setting: EC2 launch template fields (instance type, subnet, security groups, private IP, tags) go under launchTemplate; launch takes targetInstanceTypeRightSizingMethod, licensing, bootMode, copyPrivateIp, copyTags, launchDisposition and postLaunchActionsDeployment (MGN UpdateLaunchConfiguration)',
      "wave.json:applications[0].launch.copyTags: \"yes\": true or false: copy the source server's tags to the launched instance",
      'wave.json:servers[1].launch.launchDisposition: "RUNNING": STOPPED or STARTED',
    ]);
  });

  it('tells where each error is (line and column) for tools that point at it', () => {
    try {
      parseWaveFile(fixture('invalid.json'), 'wave.json');
    } catch (e) {
      expect((e as WaveFileError).issues[0]).toEqual({
        file: 'wave.json',
        path: 'defaults.failurePolicy',
        value: '"retry"',
        allowed: 'continue, hold or stop',
        line: 4,
        column: 34,
      });
    }
    expect.assertions(1);
  });

  it.each([
    ['syntax-error.yaml', 'wave.yaml:line 8, column 1: "servers: [db-01]": not valid YAML or JSON (Flow sequence in block collection must be sufficiently indented and end with a ])'],
    ['syntax-error.json', 'wave.yaml:line 5, column 3: "\\"applications\\": []": not valid YAML or JSON (Missing , between flow map items)'],
    ['duplicate-key.yaml', 'wave.yaml:line 2, column 1: "version: 1": not valid YAML or JSON (Map keys must be unique)'],
  ])('refuses the syntax of %s, naming the line', (name, error) => {
    expect(errorsOf(() => parseWaveFile(fixture(name), 'wave.yaml'))).toEqual([error]);
  });

  it.each([
    ['', 'wave.yaml:(root): (empty): a wave file: version, wave, applications and/or servers (see examples/wave.yaml)'],
    ['# nothing yet\n', 'wave.yaml:(root): (empty): a wave file: version, wave, applications and/or servers (see examples/wave.yaml)'],
    ['- a\n- b\n', 'wave.yaml:(root): ["a","b"]: a wave file: a mapping with version, wave, applications and/or servers (see examples/wave.yaml)'],
    ['version: 1\n---\nversion: 1\n', 'wave.yaml:(root): 2 documents: one YAML document per wave file (remove the --- separators)'],
  ])('refuses a file that is not one wave: %j', (text, error) => {
    expect(errorsOf(() => parseWaveFile(text, 'wave.yaml'))).toEqual([error]);
  });

  it('names every missing required key', () => {
    expect(errorsOf(() => parseWaveFile('wave: {}\n', 'wave.yaml'))).toEqual([
      'wave.yaml:version: (missing): required, 1 (the only wave file version)',
      'wave.yaml:applications: (missing): a wave needs at least one application or standalone server (applications or servers)',
      'wave.yaml:wave.name: (missing): required, a name of 1 to 48 letters, digits, - or _ (it starts the execution names <wave>-<server>-<attempt>)',
      'wave.yaml:wave.timeZone: (missing): required, an IANA time zone name such as Europe/Berlin, America/New_York or UTC',
    ]);
  });

  it('says which object a section must be', () => {
    expect(errorsOf(() => parseWaveFile('version: 1\nwave: w1\ndefaults: 5\nfreeze: { start: 2026-12-01T00:00 }\nservers: [{ server: a, launch: { licensing: true } }]\n', 'wave.yaml'))).toEqual([
      'wave.yaml:wave: "w1": an object with name and timeZone',
      'wave.yaml:defaults: 5: an object with soakDays, concurrency, failurePolicy, archive, syncMgnPlan and archiveMgnPlan',
      'wave.yaml:freeze: {"start":"2026-12-01T00:00"}: a list of freeze windows {start, end, timeZone, reason}',
      'wave.yaml:servers[0].launch.licensing: true: an object with osByol',
    ]);
  });

  it('refuses a post-launch action without its document or order, a repeated action, bad parameters and more than 100 actions', () => {
    const actions = Array.from({ length: 101 }, (_, i) => `      - { actionName: a${i}, documentIdentifier: doc, order: ${1001 + i} }`).join('\n');
    const text = minimal(`applications:
  - name: app
    servers: [web-01]
    postLaunchActions:
      - { actionName: Smoke test }
      - actionName: smoke  test
        documentIdentifier: doc
        order: 1002
        parameters:
          "bad-name": [{ parameterType: STRING, parameterName: ok }]
          good: [{ parameterType: SECRET, parameterName: "a/b" }]
servers:
  - server: db-01
    postLaunchActions:
${actions}
`);
    expect(errorsOf(() => parseWaveFile(text, 'wave.yaml'))).toEqual([
      'wave.yaml:applications[0].postLaunchActions[0].documentIdentifier: (missing): required, the name or ARN of an SSM document (1 to 256 characters), e.g. AWS-RunShellScript',
      'wave.yaml:applications[0].postLaunchActions[0].order: (missing): required, a whole number from 1001 to 10000 (actions run in this order)',
      'wave.yaml:applications[0].postLaunchActions[1].actionName: "smoke  test": the action id "smoke-test" is already used by applications[0].postLaunchActions[0]; give each action its own actionName or actionId',
      'wave.yaml:applications[0].postLaunchActions[1].parameters["bad-name"]: "bad-name": a parameter name of the SSM document: 1 to 1011 letters and digits',
      'wave.yaml:applications[0].postLaunchActions[1].parameters.good[0].parameterType: "SECRET": STRING or SECURE_STRING',
      'wave.yaml:applications[0].postLaunchActions[1].parameters.good[0].parameterName: "a/b": an SSM Parameter Store name: 1 to 1011 letters, digits, _ . or -',
      'wave.yaml:servers[0].postLaunchActions: 101 actions: at most 100 post-launch actions per source server (MGN quota L-0E532B45)',
    ]);
  });
});

describe('wave file: local times', () => {
  it('refuses times that do not exist or happen twice on a daylight-saving change, windows that end first, and malformed times', () => {
    expect(errorsOf(() => parseWaveFile(fixture('invalid-times.yaml'), 'wave.yaml'))).toEqual([
      'wave.yaml:cutoverWindow.start: "2026-10-25T02:30": is ambiguous in Europe/Berlin: clocks go back from 03:00 to 02:00 that day, so it happens twice, at 2026-10-25T02:30+02:00 (2026-10-25T00:30Z) and at 2026-10-25T02:30+01:00 (2026-10-25T01:30Z); write the one you mean with its offset: 2026-10-25T02:30+02:00 or 2026-10-25T02:30+01:00',
      'wave.yaml:cutoverWindow.end: "2026-03-29T02:30": does not exist in Europe/Berlin: clocks go forward from 02:00 to 03:00 that day; the nearest valid times are 2026-03-29T01:59+01:00 and 2026-03-29T03:00+02:00',
      'wave.yaml:freeze[0].end: "2026-10-31T00:00": a time after the start (2026-11-01T00:00); the window must not be empty',
      'wave.yaml:freeze[1].start: "2026-11-01T01:30": is ambiguous in America/New_York: clocks go back from 02:00 to 01:00 that day, so it happens twice, at 2026-11-01T01:30-04:00 (2026-11-01T05:30Z) and at 2026-11-01T01:30-05:00 (2026-11-01T06:30Z); write the one you mean with its offset: 2026-11-01T01:30-04:00 or 2026-11-01T01:30-05:00',
      'wave.yaml:freeze[2].start: "2026-11-07T25:00": not a valid date and time; use YYYY-MM-DDTHH:mm or YYYY-MM-DDTHH:mm:ss (e.g. 2026-12-05T02:00), optionally with an explicit offset (Z or +01:00)',
      'wave.yaml:freeze[2].timeZone: "Mars/Olympus_Mons": an IANA time zone name such as Europe/Berlin, America/New_York or UTC',
    ]);
  });

  it('takes an explicit offset to choose one of the two occurrences, and a freeze in its own time zone', () => {
    const parsed = parseWaveFile(
      minimal(`cutoverWindow: { start: "2026-10-25T02:30+01:00", end: 2026-10-25T05:00 }
freeze:
  - { start: 2026-11-01T01:30-05:00, end: 2026-11-01T03:00, timeZone: America/New_York }
servers: [web-01]
`),
      'wave.yaml',
    );
    expect(parsed.cutoverWindow).toEqual({ start: '2026-10-25T01:30:00.000Z', end: '2026-10-25T04:00:00.000Z', timeZone: 'Europe/Berlin' });
    expect(parsed.freeze).toEqual([{ start: '2026-11-01T06:30:00.000Z', end: '2026-11-01T08:00:00.000Z', timeZone: 'America/New_York' }]);
  });

  it('fills in the defaults and leaves the cutover window out when none is given', () => {
    const parsed = parseWaveFile(minimal('servers: [web-01]\n'), 'wave.yaml');
    expect(parsed.defaults).toEqual({ soakDays: 14, concurrency: 10, failurePolicy: 'hold', archive: true });
    expect(parsed.cutoverWindow).toBeNull();
    expect(parsed.approvers).toEqual({ testSignoff: [], goNoGo: [], finalize: [] });
  });
});

describe('wave file: checks against MGN', () => {
  const SERVERS: ServerView[] = [
    server('s-web00000000000001', 'fra-prd-web-01'),
    server('s-web00000000000002', 'fra-prd-web-02'),
    server('s-app00000000000001', 'fra-prd-app-01'),
    server('s-app00000000000002', 'fra-prd-app-01'),
    server('s-old00000000000001', 'fra-prd-old-01', { isArchived: true }),
    server('s-db000000000000001', 'fra-prd-db-01'),
    server('s-mq000000000000001', 'fra-prd-mq-01'),
  ];

  it('collects every error: unknown, ambiguous and archived servers, a server in two places, the quota, a window in a freeze and in the past', () => {
    const parsed = parseWaveFile(fixture('cross-checks.yaml'), 'wave.yaml');
    const errors = errorsOf(() =>
      validateWave(parsed, { file: 'wave.yaml', servers: SERVERS, quotas: { replicatingServers: 4 }, now: new Date('2027-01-01T00:00:00Z') }),
    );
    expect(errors).toEqual([
      'wave.yaml:wave: 11 servers: at most 4, the source servers this account may replicate at once (MGN quota Max Active Source Servers, L-9A599620); request an increase in Service Quotas or split the wave',
      'wave.yaml:cutoverWindow: 2026-12-19T02:00+01:00 to 2026-12-19T06:00+01:00: overlaps freeze[0] (2026-12-18T18:00+01:00 to 2027-01-04T08:00+01:00, "year-end change freeze"); no cutover starts inside a freeze: move the window out of it',
      'wave.yaml:cutoverWindow.end: 2026-12-19T06:00+01:00: is in the past (now is 2027-01-01T01:00+01:00); give a cutover window that ends in the future',
      'wave.yaml:applications[0].servers[2]: "fra-prd-web-07": no source server in MGN has this hostname or id; use an id (s-...) or a hostname that DescribeSourceServers lists',
      'wave.yaml:applications[0].servers[3]: "fra-prd-app-01": 2 source servers in MGN have this hostname (s-app00000000000001, s-app00000000000002); use the id of the one you mean',
      'wave.yaml:applications[0].servers[4]: "fra-prd-old-01": this source server (s-old00000000000001) is archived in MGN and cannot migrate; remove it from the wave',
      'wave.yaml:applications[1].servers[0]: "s-web00000000000001": this source server (s-web00000000000001) is already in applications[0].servers[0] (application "shop"); a server belongs to one application: keep one of the two',
      'wave.yaml:applications[1].servers[1]: "fra-prd-web-02": this source server (s-web00000000000002) is already in applications[0].servers[1] (application "shop"); a server belongs to one application: keep one of the two',
      'wave.yaml:servers[0]: "fra-prd-db-01": this source server (s-db000000000000001) is already in applications[1].servers[2] (application "orders"); a server belongs to one application: keep one of the two',
      'wave.yaml:servers[1]: "s-zzzzzzzzzzzzzzzzz": no source server in MGN has this hostname or id; use an id (s-...) or a hostname that DescribeSourceServers lists',
    ]);
  });

  it('resolves hostnames whatever their case, and ids', () => {
    const wave = loadWaveFile(minimal('applications:\n  - { name: web, servers: [FRA-PRD-WEB-01, s-web00000000000002] }\nservers: [fra-prd-mq-01]\n'), ctx({ servers: SERVERS }));
    expect(wave.applications).toEqual([
      {
        name: 'web',
        canary: false,
        standalone: false,
        servers: [
          { id: 's-web00000000000001', hostname: 'fra-prd-web-01' },
          { id: 's-web00000000000002', hostname: 'fra-prd-web-02' },
        ],
      },
      { name: 'fra-prd-mq-01', canary: false, standalone: true, servers: [{ id: 's-mq000000000000001', hostname: 'fra-prd-mq-01' }] },
    ]);
  });

  it('keeps archived servers when asked (a wave run again after some servers finished)', () => {
    const wave = loadWaveFile(minimal('servers: [fra-prd-old-01]\n'), ctx({ servers: SERVERS, archived: 'keep' }));
    expect(wave.applications[0]?.servers).toEqual([{ id: 's-old00000000000001', hostname: 'fra-prd-old-01' }]);
  });

  it('refuses an application above 200 servers (one MGN job), counting what the file lists', () => {
    const many = Array.from({ length: 201 }, (_, i) => server(`s-${String(i).padStart(17, '0')}`, `h-${i}`));
    const text = minimal(`applications:\n  - name: big\n    servers: [${many.map((s) => s.hostname).join(', ')}]\n`);
    expect(errorsOf(() => loadWaveFile(text, ctx({ servers: many, quotas: { replicatingServers: 1000 } })))).toEqual([
      'wave.yaml:applications[0].servers: 201 servers: at most 200 servers per application (MGN quota L-90A3F9F5, not adjustable: an application launches as one job); split it into applications of 200 or fewer',
    ]);
    // the same 201 servers split in two applications pass
    const split = minimal(
      `applications:\n  - name: a\n    servers: [${many.slice(0, 150).map((s) => s.hostname).join(', ')}]\n  - name: b\n    servers: [${many.slice(150).map((s) => s.hostname).join(', ')}]\n`,
    );
    expect(loadWaveFile(split, ctx({ servers: many, quotas: { replicatingServers: 1000 } })).applications.map((a) => a.servers.length)).toEqual([150, 51]);
  });

  it('refuses a standalone server whose name an application already has', () => {
    const text = minimal('applications:\n  - { name: fra-prd-mq-01, servers: [fra-prd-web-01] }\nservers: [s-mq000000000000001]\n');
    expect(errorsOf(() => loadWaveFile(text, ctx({ servers: SERVERS })))).toEqual([
      'wave.yaml:servers[0]: "s-mq000000000000001": a standalone server is an application of one named after it ("fra-prd-mq-01"), and applications[0] has that name; rename that application',
    ]);
  });

  it('lets a server action replace the application action with the same id, and counts both against the 100-action limit', () => {
    const appActions = Array.from({ length: 60 }, (_, i) => `      - { actionName: app${i}, documentIdentifier: doc, order: ${1001 + i} }`).join('\n');
    const serverActions = Array.from({ length: 41 }, (_, i) => `          - { actionName: srv${i}, documentIdentifier: doc, order: ${2001 + i} }`).join('\n');
    const ok = minimal(`applications:
  - name: app
    postLaunchActions:
      - { actionName: smoke, documentIdentifier: doc-a, order: 1001 }
      - { actionName: agent, documentIdentifier: doc-b, order: 1002 }
    servers:
      - server: fra-prd-web-01
        postLaunchActions:
          - { actionName: smoke, documentIdentifier: doc-c, order: 1500, active: false }
`);
    const wave = loadWaveFile(ok, ctx({ servers: SERVERS }));
    expect(wave.applications[0]?.servers[0]?.postLaunchActions?.map((a) => [a.actionId, a.documentIdentifier, a.order, a.active])).toEqual([
      ['agent', 'doc-b', 1002, true],
      ['smoke', 'doc-c', 1500, false],
    ]);
    const tooMany = minimal(`applications:
  - name: app
    postLaunchActions:
${appActions}
    servers:
      - server: fra-prd-web-01
        postLaunchActions:
${serverActions}
`);
    expect(errorsOf(() => loadWaveFile(tooMany, ctx({ servers: SERVERS })))).toEqual([
      'wave.yaml:applications[0].servers[0]: "fra-prd-web-01": 101 post-launch actions with its application\'s: at most 100 per source server (MGN quota L-0E532B45)',
    ]);
  });

  it('accepts a cutover window that is open now or outside every freeze', () => {
    const text = minimal('cutoverWindow: { start: 2026-12-17T02:00, end: 2026-12-18T18:00 }\nfreeze: [{ start: 2026-12-18T18:00, end: 2027-01-04T08:00 }]\nservers: [fra-prd-web-01]\n');
    expect(loadWaveFile(text, ctx({ servers: SERVERS, now: new Date('2026-12-17T12:00:00Z') })).cutoverWindow?.end).toBe('2026-12-18T17:00:00.000Z');
  });
});

describe('waveFromMgn', () => {
  const servers = [
    server('s-web00000000000001', 'web-01', { applicationId: 'app-00000000000000001' }),
    server('s-web00000000000002', 'web-02', { applicationId: 'app-00000000000000001' }),
    server('s-db000000000000001', 'db-01', { applicationId: 'app-00000000000000002' }),
    server('s-zz000000000000001', 'elsewhere', { applicationId: 'app-99999999999999999' }),
    server('s-lone0000000000001', 'lone'),
  ];

  it('groups the servers by their MGN application, with the plan around them', () => {
    const wave = waveFromMgn(
      {
        wave: { waveID: 'wave-00000000000000001', name: 'December' },
        applications: [
          { applicationID: 'app-00000000000000001', name: 'Shop front' },
          { applicationID: 'app-00000000000000002', name: 'Shop DB' },
        ],
        servers,
      },
      { timeZone: 'Europe/Berlin', defaults: { soakDays: 7 }, canaries: ['Shop DB'], approvers: { finalize: ['ops@example.com'] } },
    );
    expect(wave).toEqual({
      name: 'December',
      timeZone: 'Europe/Berlin',
      source: { kind: 'mgn', waveId: 'wave-00000000000000001', name: 'December' },
      defaults: { soakDays: 7, concurrency: 10, failurePolicy: 'hold', archive: true },
      cutoverWindow: null,
      approvers: { testSignoff: [], goNoGo: [], finalize: ['ops@example.com'] },
      freeze: [],
      applications: [
        {
          name: 'Shop front',
          id: 'app-00000000000000001',
          canary: false,
          standalone: false,
          servers: [
            { id: 's-web00000000000001', hostname: 'web-01' },
            { id: 's-web00000000000002', hostname: 'web-02' },
          ],
        },
        { name: 'Shop DB', id: 'app-00000000000000002', canary: true, standalone: false, servers: [{ id: 's-db000000000000001', hostname: 'db-01' }] },
      ],
    });
  });

  it('names the wave by its waveID when its MGN name cannot start an execution name', () => {
    const wave = waveFromMgn({ wave: { waveID: 'wave-00000000000000001', name: 'Wave 1 (Dec)' }, applications: [], servers: [] });
    expect(wave.name).toBe('wave-00000000000000001');
    expect(wave.source).toEqual({ kind: 'mgn', waveId: 'wave-00000000000000001', name: 'Wave 1 (Dec)' });
  });

  it('is checked like a file: quotas and the freeze', () => {
    const wave = waveFromMgn(
      { wave: { waveID: 'wave-00000000000000001', name: 'w' }, applications: [{ applicationID: 'app-00000000000000001', name: 'a' }], servers },
      {
        cutoverWindow: { start: '2026-12-19T01:00:00.000Z', end: '2026-12-19T05:00:00.000Z', timeZone: 'Europe/Berlin' },
        freeze: [{ start: '2026-12-18T17:00:00.000Z', end: '2027-01-04T07:00:00.000Z', timeZone: 'Europe/Berlin' }],
      },
    );
    expect(checkWave(wave, { quotas: { replicatingServers: 1 } }).map((e) => `${e.path}: ${e.value}: ${e.allowed}`)).toEqual([
      'wave: 2 servers: at most 1, the source servers this account may replicate at once (MGN quota Max Active Source Servers, L-9A599620); request an increase in Service Quotas or split the wave',
      'cutoverWindow: 2026-12-19T02:00+01:00 to 2026-12-19T06:00+01:00: overlaps freeze[0] (2026-12-18T18:00+01:00 to 2027-01-04T08:00+01:00); no cutover starts inside a freeze: move the window out of it',
    ]);
  });
});

describe('actionIdFor', () => {
  it.each([
    ['Install CloudWatch agent', 'install-cloudwatch-agent'],
    ['  --  ', 'action'],
    ['x'.repeat(80), 'x'.repeat(64)],
  ])('derives %j -> %j', (name, id) => {
    expect(actionIdFor(name)).toBe(id);
  });
});
