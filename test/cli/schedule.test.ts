import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { serverIds, until } from '../statemachines/lifecycle-helpers.ts';
import { type CliCloud, cliCloud } from './cloud-helpers.ts';
import { run } from './helpers.ts';

/**
 * `wave schedule` on a discrete-event local cloud: a start after the wave's cutover window is refused; a
 * schedule fires on the simulated clock, Scheduler deletes it (ActionAfterCompletion DELETE) and `--list`
 * shows it fired, with its execution, in the wave's own time zone.
 */
describe('mgn-flow wave schedule: the cutover window, firing, --list', () => {
  let env: CliCloud;
  let cloud: LocalCloud;
  let hosts: string[];

  beforeAll(async () => {
    // time stands still until the schedule is made: the cloud starts at 2026-01-05T08:00Z (09:00 in Berlin)
    env = await cliCloud({ servers: 2, applications: 0, start: 'agent-installed', holdClock: true });
    cloud = env.cloud;
    hosts = serverIds(cloud).map((id) => cloud.emulator.engine.servers.get(id)?.properties.identificationHints.hostname as string);
    writeFileSync(
      join(env.dir, 'wave-w.yaml'),
      [
        'version: 1',
        'wave: { name: wave-w, timeZone: Europe/Berlin }',
        'defaults: { soakDays: 1, concurrency: 2, failurePolicy: hold }',
        'cutoverWindow: { start: 2026-01-07T02:00, end: 2026-01-07T06:00 }',
        'applications:',
        '  - name: shop',
        `    servers: [${hosts.join(', ')}]`,
        '',
      ].join('\n'),
    );
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it("refuses a start at or after the end of the wave's cutover window (2), naming the window's end", async () => {
    const r = await run(['wave', 'schedule', 'wave-w.yaml', '--at', '2026-01-07T06:30']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--at 2026-01-07T06:30 Europe/Berlin is after the wave's cutover window ends (2026-01-07T06:00+01:00 Europe/Berlin)");
    expect((await run(['wave', 'schedule', '--list'])).stdout).toBe('no wave is scheduled\n');
  });

  it('fires on the clock: the schedule is deleted, --list shows it fired with its execution, in the wave\'s zone', async () => {
    const r = await run(['wave', 'schedule', 'wave-w.yaml', '--at', '2026-01-05T10:00']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect((await run(['wave', 'schedule', '--list'])).stdout).toBe('wave-w: 2026-01-05T10:00+01:00 Europe/Berlin (2026-01-05T09:00Z) pending, will start wave-w-at-20260105t090000\n');

    cloud.startClock();
    const wave = cloud.stateMachineArn('wave');
    await until('the schedule fired', () => cloud.host.listExecutions(wave).some((e) => e.name === 'wave-w-at-20260105t090000'));
    const list = await run(['--json', 'wave', 'schedule', '--list']);
    const rows = JSON.parse(list.stdout) as { wave: string; state: string; execution: string; local: string; timeZone: string }[];
    // fired and gone from Scheduler: listed once, from its execution
    expect(rows).toEqual([expect.objectContaining({ wave: 'wave-w', state: 'fired', execution: 'wave-w-at-20260105t090000', local: '2026-01-05T10:00+01:00', timeZone: 'Europe/Berlin' })]);
    expect(cloud.scheduler.deadLetters).toEqual([]);
    const cancel = await run(['wave', 'schedule', 'wave-w', '--cancel']);
    expect(cancel.code).toBe(3);
  });
});
