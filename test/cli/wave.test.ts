import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { serverIds, until } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';

/** mgn-flow wave start|schedule|status against a real local cloud, found through `.mgn-flow/local.json`. */
describe('mgn-flow wave start|schedule|status on the local cloud', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let ids: string[];
  let hosts: string[];

  const executions = (machine: 'wave' | 'serverLifecycle') => cloud.host.listExecutions(cloud.stateMachineArn(machine));
  /** A wave file in the command's directory; its path relative to it, as a person types it. */
  const file = (name: string, text: string) => {
    writeFileSync(join(env.dir, name), text);
    return name;
  };
  const validWave = (name: string) =>
    [
      'version: 1',
      `wave: { name: ${name}, timeZone: Europe/Berlin }`,
      'defaults: { soakDays: 14, concurrency: 2, failurePolicy: hold, archive: true }',
      'approvers: { testSignoff: [qa-lead@example.com] }',
      'applications:',
      '  - name: shop',
      `    servers: [${hosts[0]}, ${hosts[1]}]`,
      `servers: [${hosts[2]}]`,
      '',
    ].join('\n');

  beforeAll(async () => {
    // servers agent-installed: they replicate first, so a started wave stays running through the test
    env = await cliCloud({ servers: 3, applications: 0, timeScale: 60, start: 'agent-installed' });
    cloud = env.cloud;
    ids = serverIds(cloud);
    hosts = ids.map((id) => cloud.emulator.engine.servers.get(id)?.properties.identificationHints.hostname as string);
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses an invalid wave file with 2: every error as file:path: value: what is allowed; nothing started', async () => {
    const bad = file(
      'bad.yaml',
      [
        'version: 1',
        'wave: { name: wave-bad, timeZone: Mars/Olympus }',
        'defaults: { soakDays: -1, failurePolicy: sometimes }',
        'applications:',
        '  - name: shop',
        `    servers: [${hosts[0]}]`,
        '    colour: blue',
        '',
      ].join('\n'),
    );
    const r = await run(['wave', 'start', bad]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('bad.yaml:') || l.startsWith('error: bad.yaml:'));
    // every error line reads file:path: value: what is allowed
    for (const l of errors) expect(l).toMatch(/^(error: )?bad\.yaml:[^:\s]+: .+: .+/);
    const text = r.stderr;
    expect(text).toMatch(/bad\.yaml:wave\.timeZone: "?Mars\/Olympus"?: /);
    expect(text).toMatch(/bad\.yaml:defaults\.soakDays: -1: /);
    expect(text).toMatch(/bad\.yaml:defaults\.failurePolicy: "?sometimes"?: .*continue.*hold.*stop/);
    expect(text).toMatch(/bad\.yaml:applications\[0\]\.colour: /);
    expect(errors).toHaveLength(4);
    expect(text).toContain('4 errors; nothing was started');

    // a well-formed file naming a server MGN does not have: the same, from the second pass
    const unknown = file('unknown.yaml', validWave('wave-unknown').replace(hosts[2] as string, 'fra-prd-nope-99'));
    const u = await run(['wave', 'start', unknown]);
    expect(u.code).toBe(2);
    expect(u.stderr).toMatch(/unknown\.yaml:servers\[0\]: "?fra-prd-nope-99"?: /);

    // nothing started, nothing stored
    expect(executions('wave')).toEqual([]);
    expect(executions('serverLifecycle')).toEqual([]);
    expect((await run(['wave', 'status', 'wave-bad'])).code).toBe(3);
    expect((await run(['wave', 'status', 'wave-unknown'])).code).toBe(3);

    // a file that is not there: 3; no file at all: 2, saying how
    expect((await run(['wave', 'start', 'missing.yaml'])).code).toBe(3);
    const none = await run(['wave', 'start']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('name the wave file (YAML or JSON)');
  });

  it('starts a valid wave (0); started again it attaches to the running execution and starts nothing twice', { timeout: 60_000 }, async () => {
    const w = file('wave.yaml', validWave('wave-a'));
    const first = await run(['wave', 'start', w]);
    expect(first.code).toBe(0);
    // the approver the wave names is subscribed by the local cloud (with the deployed filter policy): nobody is left unreached
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('subscribed on the local cloud (e-mail, with the deployed stack\'s filter policies): qa-lead@example.com');
    expect(first.stdout).toContain('✓ wave-a: 1 application(s) and 1 standalone server(s), 3 server(s) in all');
    expect(first.stdout).toMatch(/^started wave-a-1 \(arn:aws:states:[^)]+:execution:[^)]+:wave-a-1\)$/m);
    expect(first.stdout).toContain('follow it with: mgn-flow wave status wave-a');
    expect(executions('wave').map((e) => [e.name, e.status])).toEqual([['wave-a-1', 'RUNNING']]);

    const again = await run(['wave', 'start', w]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('wave-a-1 is already running: attached to it, nothing started twice');
    const json = await run(['--json', 'wave', 'start', w]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({ wave: 'wave-a', execution: 'wave-a-1', started: false, applications: 2 });
    expect(executions('wave')).toHaveLength(1);

    // the wave starts one execution per server, once
    await until('one execution per server', () => executions('serverLifecycle').length === 3, 30_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(executions('serverLifecycle')).toHaveLength(3);
  });

  it('reports status (human and --json); an unknown wave is 3', async () => {
    const human = await run(['wave', 'status', 'wave-a']);
    expect(human.code).toBe(0);
    expect(human.stderr).toBe('');
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(/^wave-a: 1 application\(s\) and 1 standalone server\(s\), 3 server\(s\) in all; now \d{4}-\d\d-\d\dT\d\d:\d\d\+0[12]:00 \(times in Europe\/Berlin\)$/);
    for (const h of hosts) expect(human.stdout).toMatch(new RegExp(`^  \\S+\\s+${h}\\s+(running|not started)\\s+#\\d`, 'm'));
    // where, why, until when and the execution to graph, for a server waiting for its replication
    expect(human.stdout).toMatch(/waiting for replication since \d{4}-\d\d-\d\dT\d\d:\d\d\+0[12]:00\n {6}why: .+; waiting for: MGN: initial sync to finish; until \d{4}-\d\d-\d\dT\d\d:\d\d\+0[12]:00 \(then ends not ready\)\n {6}execution wave-a-s-[0-9a-f]{17}-1\n/);
    const utc = await run(['wave', 'status', 'wave-a', '--utc']);
    expect(utc.stdout).toMatch(/\(times in UTC\)/);
    expect(utc.stdout).toMatch(/since \d{4}-\d\d-\d\dT\d\d:\d\dZ|since \d{4}-\d\d-\d\dT\d\d:\d\d\+00:00/);

    const json = await run(['--json', 'wave', 'status', 'wave-a']);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { wave: string; servers: { application: string; serverId: string; hostname: string; status: string; attempt: number; why: string; waited: string[] }[]; report: unknown };
    expect(doc.wave).toBe('wave-a');
    expect(doc.servers.map((s) => s.serverId).sort()).toEqual([...ids].sort());
    // the application first, then the standalone server as an application of one, named after it
    expect(doc.servers.map((s) => s.application)).toEqual(['shop', 'shop', hosts[2]]);
    expect(doc.servers.map((s) => s.hostname)).toEqual(hosts);
    for (const s of doc.servers) expect(s).toMatchObject({ hostname: hosts[ids.indexOf(s.serverId)], waited: [] });
    for (const s of doc.servers) expect(['RUNNING', 'NOT_STARTED']).toContain(s.status);
    // each server's reason and deadline (ISO, and in the wave's zone to the minute)
    const running = (doc.servers as unknown as { status: string; reason: string; deadline: string | null; deadlineLocal: string | null; execution?: string }[]).filter((s) => s.status === 'RUNNING');
    expect(running.length).toBeGreaterThan(0);
    for (const s of running) {
      expect(s.reason).toBe('replication has not caught up (MGN: not ready for test)');
      expect(Date.parse(s.deadline ?? '')).toBeGreaterThan(Date.parse('2026-01-01'));
      expect(s.deadlineLocal).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d\+0[12]:00$/);
      expect(s.execution).toMatch(/^wave-a-s-[0-9a-f]{17}-1$/);
    }

    const unknown = await run(['wave', 'status', 'wave-zz']);
    expect(unknown.code).toBe(3);
    expect(unknown.stdout).toBe('');
    expect(unknown.stderr).toContain("no wave wave-zz is stored here: start one with 'mgn-flow wave start <file>'");
  });

  it('schedules at a local time: a skipped time is 2 naming the nearest valid times; a doubled time needs --fold; --list; --cancel', async () => {
    const w = file('wave-b.yaml', validWave('wave-b'));
    // 2027-03-28 02:30 does not exist in Berlin (clocks go 02:00 -> 03:00)
    const gap = await run(['wave', 'schedule', w, '--at', '2027-03-28T02:30']);
    expect(gap.code).toBe(2);
    expect(gap.stderr).toMatch(/^error: --at "2027-03-28T02:30": does not exist in Europe\/Berlin: .*; the nearest valid times are 2027-03-28T01:59\+01:00 and 2027-03-28T03:00\+02:00$/m);

    // 2027-10-31 02:30 happens twice (clocks go 03:00 -> 02:00)
    const twice = await run(['wave', 'schedule', w, '--at', '2027-10-31T02:30']);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('choose with --fold earlier|later');
    const badFold = await run(['wave', 'schedule', w, '--at', '2027-10-31T02:30', '--fold', 'middle']);
    expect(badFold.code).toBe(2);
    expect(badFold.stderr).toContain('Allowed choices are earlier, later');
    expect((await run(['wave', 'schedule', '--list'])).stdout).toBe('no wave is scheduled\n');

    const later = await run(['wave', 'schedule', w, '--at', '2027-10-31T02:30', '--fold', 'later']);
    expect(later.code).toBe(0);
    expect(later.stderr).toBe('');
    // the later 02:30 is CET (+01:00): 01:30 UTC
    expect(later.stdout).toBe('wave-b: 1 application(s) and 1 standalone server(s), 3 server(s) in all; starts at 2027-10-31T02:30+01:00 Europe/Berlin (2027-10-31T01:30:00.000Z) as wave-b-at-20271031t013000\n');
    const again = await run(['wave', 'schedule', w, '--at', '2027-11-01T02:30']);
    expect(again.code).toBe(4);
    expect(again.stderr).toContain('wave wave-b is already scheduled: cancel it first (mgn-flow wave schedule wave-b --cancel)');
    // scheduled, not started
    expect(executions('wave').map((e) => e.name)).toEqual(['wave-a-1']);

    const list = await run(['wave', 'schedule', '--list']);
    expect(list).toEqual({ code: 0, stdout: 'wave-b: 2027-10-31T02:30+01:00 Europe/Berlin (2027-10-31T01:30Z) pending, will start wave-b-at-20271031t013000\n', stderr: '' });
    const listJson = await run(['--json', 'wave', 'schedule', '--list']);
    expect(JSON.parse(listJson.stdout)).toEqual([{ wave: 'wave-b', at: '2027-10-31T01:30:00.000Z', local: '2027-10-31T02:30+01:00', timeZone: 'Europe/Berlin', state: 'pending', execution: 'wave-b-at-20271031t013000' }]);

    const cancel = await run(['wave', 'schedule', 'wave-b', '--cancel']);
    expect(cancel).toEqual({ code: 0, stdout: 'wave-b: schedule cancelled\n', stderr: '' });
    expect((await run(['--json', 'wave', 'schedule', '--list'])).stdout).toBe('[]\n');
    const unknown = await run(['wave', 'schedule', 'wave-b', '--cancel']);
    expect(unknown.code).toBe(3);
    expect(unknown.stderr).toContain("no schedule for wave wave-b (or it has fired): 'mgn-flow wave schedule --list' shows the scheduled waves");
    const both = await run(['wave', 'schedule', '--list', '--cancel']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--list and --cancel exclude each other');
  });
});

describe("mgn-flow wave start --mgn-wave: MGN's own Waves and Applications", () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  beforeAll(async () => {
    env = await cliCloud({ servers: 4, applications: 2, timeScale: 60, start: 'agent-installed' });
    cloud = env.cloud;
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it("starts MGN's wave by name: its applications and their servers, one server execution each", async () => {
    const missing = await run(['wave', 'start', '--mgn-wave', 'No Such Wave']);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toContain('MGN has no wave "No Such Wave"; its waves: Wave 1 (');
    const r = await run(['--json', 'wave', 'start', '--mgn-wave', 'Wave 1']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { wave: string; started: boolean; applications: number };
    expect(out).toMatchObject({ started: true, applications: 2 });
    await until('the servers started', () => cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).length === 4);
    const names = cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).map((e) => e.name).sort();
    expect(names).toEqual(serverIds(cloud).map((id) => `${out.wave}-${id}-1`).sort());
  });
});
