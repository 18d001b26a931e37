import { describe, expect, it } from 'vitest';
import { fakeCloud, run } from './helpers.ts';

describe('mgn-flow local', () => {
  it('starts the local cloud with the given flags, prints its endpoints and closes it on a signal', async () => {
    const { calls, load } = fakeCloud();
    const r = await run(['local', '--time-scale', '500', '--servers', '30', '--seed', '9', '--quota', 'maxActiveSourceServers=300', '--start', 'ready-for-test'], { load });
    expect(r.code).toBe(0);
    expect(calls.started).toMatchObject({ timeScale: 500, servers: 30, seed: 9, quotas: { maxActiveSourceServers: 300 }, start: 'ready-for-test', stage: 'dev' });
    expect(r.stdout).toContain('http://127.0.0.1:1');
    expect(r.stdout).toContain('.mgn-flow/local.json');
    expect(calls.closed).toBe(true);
  });

  it('prints the simulated time at start, the pace, and how to pause or speed it up', async () => {
    const { load } = fakeCloud();
    const r = await run(['local', '--time-scale', '600'], { load });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('  simulated time    2026-01-05 08:00:00 UTC at start, 600x: 1 wall minute = 10 simulated hours\n');
    expect(r.stdout).toContain("the dashboard's pause, slower and faster buttons");
    expect(r.stdout).toContain(`curl -X POST http://127.0.0.1:1/_emulator/clock -d '{"paused":true}'`);
    expect((await run(['local'], { load })).stdout).toContain('at start, 60x: 1 wall minute = 1 simulated hour\n');
    expect((await run(['local', '--time-scale', '1'], { load })).stdout).toContain('at start, 1x: 1 wall minute = 1 simulated minute\n');
    expect((await run(['local', '--time-scale', '5000'], { load })).stdout).toContain('at start, 5000x: 1 wall minute = 3.47 simulated days\n');
  });

  it('prints local.json content as one JSON document with --json', async () => {
    const { load, info } = fakeCloud();
    const r = await run(['--json', 'local'], { load });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(info);
  });

  it('returns 2 with the allowed form for a bad time scale, quota or start state', async () => {
    const { load, calls } = fakeCloud();
    for (const argv of [
      ['local', '--time-scale', '0'],
      ['local', '--quota', 'concurrentJobs=50'],
      ['local', '--start', 'cutover'],
      ['local', '--servers', 'many'],
      ['local', '--bogus'],
    ]) {
      const r = await run(argv, { load });
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.stderr, argv.join(' ')).toMatch(/error/i);
    }
    expect(calls.started).toBeUndefined();
  });
});
