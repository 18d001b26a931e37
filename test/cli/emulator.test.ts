import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/cli/exit-codes.ts';
import { fakeEmulator, run, TextSink } from './helpers.ts';

describe('mgn-flow emulator flags', () => {
  it.each([
    ['--port', '-1', 'Allowed: a whole number from 0 to 65535.'],
    ['--port', '65536', 'Allowed: a whole number from 0 to 65535.'],
    ['--port', '80.5', 'Allowed: a whole number from 0 to 65535.'],
    ['--port', 'http', 'Allowed: a whole number from 0 to 65535.'],
    ['--servers', '5001', 'Allowed: a whole number from 0 to 5000.'],
    ['--servers', 'ten', 'Allowed: a whole number from 0 to 5000.'],
    ['--seed', '1.5', 'Allowed: a whole number.'],
    ['--time-scale', '0', 'Allowed: a number greater than 0'],
    ['--time-scale', '-3', 'Allowed: a number greater than 0'],
    ['--time-scale', 'fast', 'Allowed: a number greater than 0'],
    ['--start', 'cutover', 'Allowed choices are agent-installed, ready-for-test.'],
  ])('returns 2 when %s is %s, naming the allowed values', async (flag, value, allowed) => {
    const r = await run(['emulator', flag, value]);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`argument '${value}' is invalid. ${allowed}`);
    expect(r.stderr).toContain("Run 'mgn-flow emulator --help' for usage.");
  });

  it('returns 2 when --quota names an unknown quota', async () => {
    const r = await run(['emulator', '--quota', 'maxJobs=5']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain("unknown quota 'maxJobs'; known: maxActiveSourceServers");
  });

  it('returns 2 when --quota raises a quota AWS does not let you raise', async () => {
    const r = await run(['emulator', '--quota', 'maxActiveSourceServers=500', '--quota', 'concurrentJobs=50']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('is not adjustable on AWS');
  });

  it('returns 2 when --quota is not name=value', async () => {
    const r = await run(['emulator', '--quota', 'concurrentJobs']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('expected name=value');
  });

  it('returns 2 when --faults is not valid JSON', async () => {
    const r = await run(['emulator', '--faults', '{"throttleRate":']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('error: --faults: inline JSON: not valid JSON');
  });

  it('returns 2 when --faults names an unknown fault or a rate above 1', async () => {
    const r = await run(['emulator', '--faults', '{"throttleRate":2,"chaos":1}']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('Allowed keys: throttleRate');
  });

  it('returns 2 when the --faults file does not exist', async () => {
    const r = await run(['emulator', '--faults', 'no-such-faults.json']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('no such file');
  });

  it('returns 2 when --applications exceeds --servers', async () => {
    const r = await run(['emulator', '--servers', '2', '--applications', '3']);
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('--applications 3: at most --servers (2)');
  });
});

describe('mgn-flow emulator', () => {
  it('returns 0 after printing the URL as the first stdout line and closing on shutdown', async () => {
    const emu = fakeEmulator(43210);
    const r = await run(['emulator'], { load: emu.load });
    expect(r.code).toBe(ExitCode.Ok);
    expect(r.stdout).toBe('http://127.0.0.1:43210\n');
    expect(emu.calls.closed).toBe(true);
    expect(emu.calls.started).toMatchObject({ port: 0, servers: 10, seed: 1, timeScale: 1, manualClock: false, quotas: {} });
  });

  it('passes every validated flag to startEmulator', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mgn-flow-cli-'));
    const file = join(dir, 'faults.json');
    writeFileSync(file, JSON.stringify({ launchFailRate: 0.25 }));
    const emu = fakeEmulator();
    const r = await run(
      [
        'emulator', '--port', '0', '--servers', '3', '--seed', '7', '--time-scale', '10', '--faults', file,
        '--quota', 'concurrentJobs=5', '--quota', 'maxActiveSourceServers=500', '--applications', '2',
        '--start', 'ready-for-test', '--manual-clock', '--managed-account', '222233334444', '--managed-account', '333344445555',
      ],
      { load: emu.load },
    );
    expect(r.code).toBe(ExitCode.Ok);
    expect(emu.calls.started).toMatchObject({
      port: 0,
      servers: 3,
      seed: 7,
      timeScale: 10,
      faults: { launchFailRate: 0.25, throttleRate: 0 },
      quotas: { concurrentJobs: 5, maxActiveSourceServers: 500 },
      applications: 2,
      start: 'ready-for-test',
      manualClock: true,
      managedAccounts: { '222233334444': {}, '333344445555': {} },
    });
  });

  it("returns 2 when --managed-account is not an account id, saying what one is", async () => {
    const r = await run(['emulator', '--managed-account', '1234'], { load: fakeEmulator().load });
    expect(r.code).toBe(ExitCode.Usage);
    expect(r.stderr).toContain('--managed-account 1234: an AWS account id of 12 digits, e.g. --managed-account 222233334444');
  });

  it('prints only the URL on stdout with --json, even on a terminal', async () => {
    const stderr = new TextSink(true);
    const r = await run(['emulator', '--json'], { load: fakeEmulator(5000).load, stdout: new TextSink(true), stderr });
    expect(r.stdout).toBe('http://127.0.0.1:5000\n');
    expect(r.stderr).toBe('');
  });

  it('prints a banner to stderr on a terminal', async () => {
    const r = await run(['emulator', '--servers', '3', '--seed', '7'], {
      load: fakeEmulator(5000).load,
      stderr: new TextSink(true),
      env: { NO_COLOR: '1' },
    });
    expect(r.stdout).toBe('http://127.0.0.1:5000\n');
    expect(r.stderr).toContain('3 servers, seed 7, time scale 1x');
    expect(r.stderr).toContain('http://127.0.0.1:5000/_emulator/');
  });

  it('prints no banner when stderr is not a terminal', async () => {
    const r = await run(['emulator'], { load: fakeEmulator().load });
    expect(r.stderr).toBe('');
  });
});
