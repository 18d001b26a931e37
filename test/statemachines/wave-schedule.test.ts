import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCHEDULE_PREFIX } from '../../src/cli/commands/wave.ts';
import type { LocalCloud } from '../../src/local/cloud/index.ts';
import { run } from '../cli/helpers.ts';
import { lifecycleCloud, serverIds, until } from './lifecycle-helpers.ts';

/**
 * Issue 6 "Done when": a scheduled wave starts at its time in its time zone, including across a
 * daylight-saving change. `mgn-flow wave schedule` itself (the CLI's code, in-process, finding the local
 * cloud through .mgn-flow/local.json in its working directory) creates the EventBridge Scheduler one-time
 * schedule; the local scheduler fires it on the cloud's clock, here a manual one moved by the test.
 */

/** A cloud whose clock stands still at `start` until the test moves it, and a working directory pointing the CLI at it. */
async function scheduleCloud(start: string): Promise<{ cloud: LocalCloud; dir: string; waveFile: (name: string) => string; close: () => Promise<void> }> {
  const cloud = await lifecycleCloud({ servers: 2, applications: 1, manualClock: true, startTime: Date.parse(start) });
  const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-schedule-'));
  mkdirSync(join(dir, '.mgn-flow'));
  writeFileSync(join(dir, '.mgn-flow', 'local.json'), `${JSON.stringify(cloud.info, null, 2)}\n`);
  const waveFile = (name: string) => {
    const file = join(dir, `${name}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        wave: { name, timeZone: 'Europe/Berlin' },
        defaults: { soakDays: 1, concurrency: 1, failurePolicy: 'hold', archive: true },
        applications: [{ name: 'shop', servers: serverIds(cloud) }],
      }),
    );
    return file;
  };
  return {
    cloud,
    dir,
    waveFile,
    close: async () => {
      await cloud.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** `mgn-flow <args> --json` run in `dir` (where .mgn-flow/local.json names the cloud). */
async function cli(dir: string, args: string[]): Promise<{ code: number; out: Record<string, unknown> | undefined; stderr: string }> {
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const r = await run([...args, '--json']);
    return { code: r.code, out: r.stdout.trim() ? (JSON.parse(r.stdout.trim().split('\n').pop() as string) as Record<string, unknown>) : undefined, stderr: r.stderr };
  } finally {
    process.chdir(cwd);
  }
}

/** Wave executions as the Step Functions API lists them, with their start time (simulated, ISO). */
function waveRuns(cloud: LocalCloud): { name: string; start: string; status: string }[] {
  return cloud.host.listExecutions(cloud.stateMachineArn('wave')).map((e) => ({ name: e.name, start: new Date(e.startDate).toISOString(), status: e.status }));
}

/** Move the manual clock to `iso` (simulated) and let what fired run. */
async function clockTo(cloud: LocalCloud, iso: string): Promise<void> {
  const seconds = (Date.parse(iso) - cloud.clock.now()) / 1000;
  expect(seconds).toBeGreaterThanOrEqual(0);
  cloud.clock.advance(seconds);
  await cloud.scheduler.drain();
  await new Promise((r) => setTimeout(r, 20));
}

describe('wave schedule: clocks go forward (Europe/Berlin, 2026-03-29 02:00 CET -> 03:00 CEST at 01:00Z)', () => {
  let env: Awaited<ReturnType<typeof scheduleCloud>>;
  beforeAll(async () => {
    env = await scheduleCloud('2026-03-29T00:50:00Z');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses 02:30 local time, which does not exist that night, and schedules nothing', async () => {
    const r = await cli(env.dir, ['wave', 'schedule', env.waveFile('spring-gap'), '--at', '2026-03-29T02:30', '--tz', 'Europe/Berlin']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/does not exist in Europe\/Berlin/);
    expect(env.cloud.scheduler.list().filter((s) => String(s.Name).startsWith(SCHEDULE_PREFIX))).toEqual([]);
  });

  it('starts a wave scheduled for 03:30 Berlin time at 01:30Z (the new offset, +02:00), not at 02:30Z, with its deterministic name', { timeout: 60_000 }, async () => {
    const { cloud, dir } = env;
    const r = await cli(dir, ['wave', 'schedule', env.waveFile('spring'), '--at', '2026-03-29T03:30', '--tz', 'Europe/Berlin']);
    expect(r).toMatchObject({ code: 0, out: { wave: 'spring', at: '2026-03-29T01:30:00.000Z', local: '2026-03-29T03:30+02:00', timeZone: 'Europe/Berlin', execution: 'spring-at-20260329t013000' } });
    // the schedule as `--list` shows it: in the wave's zone, with the offset of that night
    const list = await cli(dir, ['wave', 'schedule', '--list']);
    expect(list.out).toEqual([{ wave: 'spring', at: '2026-03-29T01:30:00.000Z', local: '2026-03-29T03:30+02:00', timeZone: 'Europe/Berlin', state: 'pending', execution: 'spring-at-20260329t013000' }]);

    // across the change (01:00Z) and up to a second before: nothing starts
    await clockTo(cloud, '2026-03-29T01:00:00Z');
    expect(waveRuns(cloud)).toEqual([]);
    await clockTo(cloud, '2026-03-29T01:29:59Z');
    expect(waveRuns(cloud)).toEqual([]);
    // at 03:30 CEST = 01:30Z the wave starts, once, under its deterministic name
    await clockTo(cloud, '2026-03-29T01:30:00Z');
    expect(waveRuns(cloud)).toEqual([{ name: 'spring-at-20260329t013000', start: '2026-03-29T01:30:00.000Z', status: expect.any(String) }]);
    expect(cloud.scheduler.fires.filter((f) => f.name === `${SCHEDULE_PREFIX}spring`).map((f) => ({ at: new Date(f.at).toISOString(), outcome: f.outcome }))).toEqual([
      { at: '2026-03-29T01:30:00.000Z', outcome: 'succeeded' },
    ]);
    // the wave execution really runs the stored wave: it loads it and starts its servers' executions
    const arn = (cloud.host.listExecutions(cloud.stateMachineArn('wave'))[0] as { executionArn: string }).executionArn;
    await until('the wave parked after admitting its application', () => cloud.host.history(arn).some((e) => e.type === 'TaskStateEntered' && e.details?.value.name === 'AwaitProgress'));
    expect(cloud.host.listExecutions(cloud.stateMachineArn('serverLifecycle')).map((e) => e.name).sort()).toEqual(serverIds(cloud).map((id) => `spring-${id}-1`).sort());

    // an hour later (02:30Z, what a fixed +01:00 would have given): still the one execution
    await clockTo(cloud, '2026-03-29T02:30:00Z');
    expect(waveRuns(cloud).map((w) => w.name)).toEqual(['spring-at-20260329t013000']);
    // fired: Scheduler deleted it (ActionAfterCompletion DELETE); --list shows it from its execution
    expect((await cli(dir, ['wave', 'schedule', '--list'])).out).toEqual([expect.objectContaining({ wave: 'spring', state: 'fired', local: '2026-03-29T03:30+02:00', execution: 'spring-at-20260329t013000' })]);
  });
});

describe('wave schedule: clocks go back (Europe/Berlin, 2026-10-25 03:00 CEST -> 02:00 CET at 01:00Z)', () => {
  let env: Awaited<ReturnType<typeof scheduleCloud>>;
  beforeAll(async () => {
    env = await scheduleCloud('2026-10-25T00:00:00Z');
  }, 60_000);
  afterAll(async () => {
    await env?.close();
  });

  it('refuses the ambiguous 02:30 without --fold, naming both instants, and schedules nothing', async () => {
    const r = await cli(env.dir, ['wave', 'schedule', env.waveFile('autumn'), '--at', '2026-10-25T02:30', '--tz', 'Europe/Berlin']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--fold/);
    expect(env.cloud.scheduler.list().filter((s) => String(s.Name).startsWith(SCHEDULE_PREFIX))).toEqual([]);
  });

  it('--fold later starts at the second 02:30 (01:30Z, +01:00), not the first (00:30Z); --fold earlier at 00:30Z', { timeout: 60_000 }, async () => {
    const { cloud, dir } = env;
    const later = await cli(dir, ['wave', 'schedule', env.waveFile('autumn'), '--at', '2026-10-25T02:30', '--tz', 'Europe/Berlin', '--fold', 'later']);
    expect(later).toMatchObject({ code: 0, out: { wave: 'autumn', at: '2026-10-25T01:30:00.000Z', execution: 'autumn-at-20261025t013000' } });
    const earlier = await cli(dir, ['wave', 'schedule', env.waveFile('autumn-early'), '--at', '2026-10-25T02:30', '--tz', 'Europe/Berlin', '--fold', 'earlier']);
    expect(earlier).toMatchObject({ code: 0, out: { wave: 'autumn-early', at: '2026-10-25T00:30:00.000Z', execution: 'autumn-early-at-20261025t003000' } });

    await clockTo(cloud, '2026-10-25T00:29:59Z');
    expect(waveRuns(cloud)).toEqual([]);
    // the first 02:30 (CEST): only the --fold earlier wave
    await clockTo(cloud, '2026-10-25T00:30:00Z');
    expect(waveRuns(cloud).map((w) => [w.name, w.start])).toEqual([['autumn-early-at-20261025t003000', '2026-10-25T00:30:00.000Z']]);
    // the clocks go back at 01:00Z; up to a second before the second 02:30, the --fold later wave waits
    await clockTo(cloud, '2026-10-25T01:29:59Z');
    expect(waveRuns(cloud).map((w) => w.name)).toEqual(['autumn-early-at-20261025t003000']);
    await clockTo(cloud, '2026-10-25T01:30:00Z');
    expect(waveRuns(cloud).map((w) => [w.name, w.start]).sort()).toEqual([
      ['autumn-at-20261025t013000', '2026-10-25T01:30:00.000Z'],
      ['autumn-early-at-20261025t003000', '2026-10-25T00:30:00.000Z'],
    ]);
  });
});
