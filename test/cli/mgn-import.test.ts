import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, serverIds, until } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';

/** `mgn-flow wave start --mgn-import FILE.csv`: MGN's import file as the source of a wave, on the local cloud. */
describe('mgn-flow wave start --mgn-import', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let ids: string[];
  const file = (name: string, text: string) => {
    writeFileSync(join(env.dir, name), text);
    return name;
  };

  beforeAll(async () => {
    env = await cliCloud({ servers: 5, applications: 0 });
    cloud = env.cloud;
    ids = serverIds(cloud);
    // the second server's agent was installed with --user-provided-id, as MGN's import expects
    const second = cloud.emulator.engine.servers.get(ids[1] as string);
    if (second) second.userProvidedID = 'upid-web-2';
    cloud.emulator.engine.mutations++;
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses a broken import file whole with 2, every error as file:line:column: value: what is allowed; nothing starts', async () => {
    const bad = file('bad.csv', ['mgn:wave:name,mgn:app:name,mgn:server:id,mgn:launch:placement:tenancy', `Wave 7,Web Shop,${ids[0]},dedicated`, `Wave 7,Web Shop,s-nope,`, `,billing-db,${ids[2]},`, ''].join('\n'));
    const r = await run(['wave', 'start', '--mgn-import', bad]);
    expect(r.code).toBe(2);
    const errors = r.stderr.split('\n').filter((l) => /bad\.csv:/.test(l));
    expect(errors.map((l) => l.replace(/^error: /, '').split(': ')[0])).toEqual(['bad.csv:1:4', 'bad.csv:3:3', 'bad.csv:4:1']);
    expect(r.stderr).toContain('3 errors; the file is refused whole, nothing was started');
    expect(cloud.host.listExecutions(cloud.stateMachineArn('wave'))).toHaveLength(0);
  });

  it('runs the wave of an import file with 3 applications and a standalone server to the end, and mirrors it in MGN', { timeout: 120_000 }, async () => {
    const engine = cloud.emulator.engine;
    const fqdn = engine.servers.get(ids[2] as string)?.properties.identificationHints.fqdn as string;
    const csv = file(
      'wave7.csv',
      [
        'mgn:account-id,mgn:region,mgn:wave:name,mgn:app:name,mgn:server:id,mgn:server:user-provided-id,mgn:server:fqdn-for-action-framework,mgn:server:platform,mgn:launch:transfer-server-tags,mgn:launch:instance-type',
        `,,Wave 7,Web Shop,${ids[0]},,,LINUX,true,m6i.large`,
        ',,Wave 7,Web Shop,,upid-web-2,,LINUX,,',
        `,,Wave 7,billing-db,,,${fqdn.toUpperCase()},LINUX,,`,
        `,,Wave 7,"reports, nightly",${ids[3]},,,,,`,
        `,,Wave 7,,${ids[4]},,,,,`,
        '',
      ].join('\n'),
    );
    const stop = autoApprove(cloud);
    const r = await run(['wave', 'start', '--mgn-import', csv, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ wave: 'Wave-7', applications: 4, started: true });
    const [exec] = cloud.host.listExecutions(cloud.stateMachineArn('wave'));
    const done = await cloud.host.settled(String(exec?.executionArn));
    stop();
    expect(done.status).toBe('SUCCEEDED');
    for (const id of ids) expect([engine.servers.get(id)?.lifeCycle.state, engine.servers.get(id)?.isArchived]).toEqual(['CUTOVER', true]);
    // one StartTest per application (3) and one for the standalone server
    expect(cloud.emulator.http.log.filter((l) => l.operation === 'StartTest' && l.status === 202)).toHaveLength(4);
    // transfer-server-tags reached the first server's launch configuration (copyTags)
    expect(engine.servers.get(ids[0] as string)?.launchConfig.copyTags).toBe(true);
    // mgn:launch:instance-type reached the default version of the EC2 launch template MGN made for it
    expect(cloud.ec2.defaultData(String(engine.servers.get(ids[0] as string)?.launchConfig.ec2LaunchTemplateID))?.InstanceType).toBe('m6i.large');
    // MGN's plan: the wave by its name in the file, its 3 applications, archived at the end
    const mgnWave = [...engine.waves.values()].find((w) => w.name === 'Wave 7');
    expect(mgnWave?.isArchived).toBe(true);
    expect([...engine.applications.values()].filter((a) => a.waveID === mgnWave?.waveID).map((a) => a.name).sort()).toEqual(['Web Shop', 'billing-db', 'reports, nightly']);
    await until('status', async () => (await run(['wave', 'status', 'Wave-7'])).code === 0);
  });
});
