import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { autoApprove, startWave, waveOf } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';

/** mgn-flow graph and wave watch against a real local cloud with a finished wave. */
describe('mgn-flow graph <execution> and wave watch <wave>', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let serverExecution: string;

  beforeAll(async () => {
    env = await cliCloud({ servers: 2, applications: 1 });
    cloud = env.cloud;
    const stop = autoApprove(cloud);
    const r = await cloud.host.settled(await startWave(cloud, waveOf(cloud, { name: 'wave-g' })));
    stop();
    expect(r.status).toBe('SUCCEEDED');
    serverExecution = cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle'))[0]?.name as string;
  }, 90_000);
  afterAll(async () => {
    await env?.close();
  });

  it('graph: the states in machine order, marked from the history; --json; 3 for an unknown execution', async () => {
    const human = await run(['graph', serverExecution]);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^${serverExecution}: SUCCEEDED`));
    expect(lines).toContain('✓ Init → Route');
    expect(lines.some((l) => l.startsWith('· NotMigratable'))).toBe(true);
    expect(human.stdout.includes('\u001b[')).toBe(false); // plain when not a terminal

    const json = await run(['--json', 'graph', serverExecution]);
    const g = JSON.parse(json.stdout) as { status: string; states: { name: string; status: string; visits: number }[] };
    expect(g.status).toBe('SUCCEEDED');
    expect(g.states.find((s) => s.name === 'Done')).toMatchObject({ status: 'succeeded', visits: 1 });
    expect(g.states.find((s) => s.name === 'GateExpired')).toMatchObject({ status: 'not reached', visits: 0 });

    const unknown = await run(['graph', 'wave-g-s-00000000000000000-1']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("no execution wave-g-s-00000000000000000-1: give its ARN, its name");
  });

  it("graph <hostname>: the server's latest execution; an unknown hostname is 3", async () => {
    const id = /-(s-[0-9a-zA-Z]{17})-\d+$/.exec(serverExecution)?.[1] as string;
    const host = cloud.emulator.engine.servers.get(id)?.properties.identificationHints.hostname as string;
    const byHost = await run(['graph', host]);
    expect(byHost.code, byHost.stderr).toBe(0);
    expect(byHost.stdout.split('\n')[0]).toMatch(new RegExp(`^${serverExecution}: SUCCEEDED`));
    expect((await run(['graph', id])).stdout.split('\n')[0]).toMatch(new RegExp(`^${serverExecution}: SUCCEEDED`));
    const none = await run(['graph', 'no-such-host-01']);
    expect(none.code).toBe(3);
    expect(none.stderr).toContain("no execution or source server no-such-host-01");
  });

  it('servers list: every source server with its state, replication and lag; the wave and application with --wave; --json', async () => {
    const human = await run(['servers', 'list', '--wave', 'wave-g', '--archived']);
    expect(human.code, human.stderr).toBe(0);
    const lines = human.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^HOSTNAME\s+ID\s+MGN STATE\s+REPLICATION\s+LAG\s+WAVE \/ APPLICATION$/);
    expect(lines[1]).toMatch(/^[a-z]{3}-\S+\s+s-[0-9a-f]{17}\s+CUTOVER \(archived\)\s+\S+\s+\S+( \S+)?\s+wave-g \/ \S+$/);
    expect((await run(['servers', 'list'])).stdout).toBe('every source server here is archived (2): --archived lists them\n');
    const json = await run(['--json', 'servers', 'list', '--wave', 'wave-g', '--archived']);
    const doc = JSON.parse(json.stdout) as { servers: { hostname: string; serverId: string; lifeCycle: string; archived: boolean; replication: string; lagSeconds: number | null; wave: string | null; application: string | null }[] };
    const inWave = doc.servers.filter((s) => s.wave === 'wave-g');
    expect(inWave).toHaveLength(2);
    for (const s of inWave) {
      expect(s).toMatchObject({ lifeCycle: 'CUTOVER', archived: true });
      expect(s.application).toBeTruthy();
      expect(s.hostname).toMatch(/^[a-z]{3}-/);
    }
    // archived servers are left out unless asked for
    const plain = JSON.parse((await run(['--json', 'servers', 'list'])).stdout) as { servers: { archived: boolean }[] };
    expect(plain.servers.every((s) => !s.archived)).toBe(true);
    expect(plain.servers.length).toBe(doc.servers.length - 2);
  });

  it('wave watch: ends with the wave (exit 0 when every server succeeded); --json lines; 3 unknown, 2 bad --interval', async () => {
    const w = await run(['wave', 'watch', 'wave-g', '--interval', '0.2']);
    expect(w.code, w.stderr).toBe(0);
    expect(w.stdout.trim().split('\n').at(-1)).toBe('wave-g wave-g-1 SUCCEEDED: 2/2 succeeded, 0 running, 0 failed, 0 not started');
    const j = await run(['--json', 'wave', 'watch', 'wave-g']);
    expect(JSON.parse(j.stdout.trim().split('\n').at(-1) as string)).toEqual({ wave: 'wave-g', execution: 'wave-g-1', status: 'SUCCEEDED', total: 2, succeeded: 2, running: 0, failed: 0, notStarted: 0 });
    expect((await run(['wave', 'watch', 'nope'])).code).toBe(3);
    const bad = await run(['wave', 'watch', 'wave-g', '--interval', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--interval 0: a number of seconds from 0.2 to 300');
  });
});
