import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fakeCloud, run, TextSink } from './helpers.ts';

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

  it('seeds the servers the README and examples name by default, a wave file\'s with --servers-from, none with --no-examples', async () => {
    const plain = fakeCloud();
    expect((await run(['local'], { load: plain.load })).code).toBe(0);
    const hosts = (plain.calls.started?.serverSpecs ?? []).map((s) => s.hostname);
    for (const h of ['fra-prd-web-01', 'fra-prd-web-02', 'fra-prd-jump-01', 'fra-prd-file-07']) expect(hosts).toContain(h);
    expect(plain.calls.started?.serverSpecs?.map((s) => s.id).filter(Boolean)).toEqual(['s-3c0ffee0000000017', 's-0123456789abcdef0']);
    expect(plain.calls.started).toMatchObject({ applications: 3, servers: 12 });

    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-local-'));
    try {
      const file = join(dir, 'mine.yaml');
      writeFileSync(file, 'version: 1\nwave: { name: mine, timeZone: UTC }\nservers: [my-host-01, my-host-02]\n');
      const own = fakeCloud();
      const r = await run(['local', '--servers-from', file], { load: own.load });
      expect(r.code, r.stderr).toBe(0);
      expect(own.calls.started?.serverSpecs).toEqual([
        { hostname: 'my-host-01', start: 'ready-for-test' },
        { hostname: 'my-host-02', start: 'ready-for-test' },
      ]);
      expect(r.stdout).toContain(`seeded servers    2 named by ${file} (my-host-01, my-host-02), replication caught up; 12 more made up`);
      const missing = await run(['local', '--servers-from', join(dir, 'nope.yaml')], { load: own.load });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain('nope.yaml: no such file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const none = fakeCloud();
    await run(['local', '--no-examples'], { load: none.load });
    expect(none.calls.started?.serverSpecs).toBeUndefined();
  });

  it('shows the simulated time live on a terminal', async () => {
    const { load } = fakeCloud();
    const stderr = new TextSink(true);
    const r = await run(['local'], { load, stderr, waitForShutdown: () => new Promise((res) => setTimeout(() => res('SIGINT'), 1300)) });
    expect(r.code).toBe(0);
    expect(stderr.text).toContain('\r  simulated 2026-01-05 08:00 UTC (60x)');
  });
});
